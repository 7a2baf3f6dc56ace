"""Our access tokens verify in a second implementation: PyJWT (PyPI, pinned) through the site's JWKS.

The token is minted by the plugin's own Token_Issuer inside the running site (scripts/wp-eval.php),
the same code path the token endpoint uses; the JWKS comes over HTTPS from the jwks_uri of the
RFC 8414 metadata, fetched by jwt.PyJWKClient with the stack's CA.
"""
import json
import os
import ssl
import subprocess
import time
import unittest

import jwt
import requests

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN = os.environ.get("WPOA_RUN", os.path.join(REPO, ".run"))
with open(os.path.join(RUN, "site.json"), encoding="utf-8") as f:
    SITE = json.load(f)
AUDIENCE = SITE["url"] + "/wp-json/"


def wp_eval(code):
    out = subprocess.run(["php", os.path.join(REPO, "scripts", "wp-eval.php"), code],
                         env=dict(os.environ, WPOA_RUN=RUN), capture_output=True, text=True, timeout=60, check=False)
    if out.returncode != 0:
        raise AssertionError(f"wp-eval failed: {out.stderr.strip()}")
    return out.stdout


class PyJwtTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        meta = requests.get(SITE["url"] + "/.well-known/oauth-authorization-server",
                            verify=SITE["ca_cert"], timeout=30).json()
        cls.jwks_uri = meta["jwks_uri"]
        cls.issuer = meta["issuer"]
        minted = json.loads(wp_eval(
            "$a = \\Wpoa\\Token_Issuer::access_token('pyjwt-test-client', %d, 'read', 0, \\Wpoa\\Urls::audience(), time());"
            "echo json_encode($a);" % SITE["users"]["author"]["id"]))
        cls.token = minted["token"]
        cls.jti = minted["jti"]
        cls.jwks = jwt.PyJWKClient(cls.jwks_uri, ssl_context=ssl.create_default_context(cafile=SITE["ca_cert"]))

    def decode(self, token, **kw):
        key = self.jwks.get_signing_key_from_jwt(token)
        opts = dict(algorithms=["ES256", "EdDSA", "RS256"], audience=AUDIENCE, issuer=self.issuer,
                    options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]})
        opts.update(kw)
        return jwt.decode(token, key, **opts)

    def test_token_verifies_with_pyjwt(self):
        header = jwt.get_unverified_header(self.token)
        self.assertEqual(header["typ"], "at+jwt")  # RFC 9068 §2.1
        self.assertIn("kid", header)
        claims = self.decode(self.token)
        self.assertEqual(claims["sub"], str(SITE["users"]["author"]["id"]))
        self.assertEqual(claims["client_id"], "pyjwt-test-client")
        self.assertEqual(claims["scope"], "read")
        self.assertEqual(claims["jti"], self.jti)
        self.assertTrue(0 < claims["exp"] - time.time() <= 3600 + 5)

    def test_tampered_token_fails(self):
        head, payload, sig = self.token.split(".")
        flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
        with self.assertRaises(jwt.InvalidSignatureError):
            self.decode(".".join([head, payload, flipped]))

    def test_wrong_audience_and_issuer_fail(self):
        with self.assertRaises(jwt.InvalidAudienceError):
            self.decode(self.token, audience="https://other.example/wp-json/")
        with self.assertRaises(jwt.InvalidIssuerError):
            self.decode(self.token, issuer="https://other.example")


if __name__ == "__main__":
    unittest.main()
