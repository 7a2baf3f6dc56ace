"""Independent client: Authlib (PyPI, pinned in tests/python/requirements.txt), used as published.

From the bare site URL: RFC 8414 discovery (requests) -> RFC 7591 registration (requests: Authlib
has no client-side registration helper) -> authorization code + PKCE S256 with Authlib's
OAuth2Session(code_challenge_method='S256') -> the user logs in and approves in headless Chromium
(tests/e2e/consent-cli.mjs) -> fetch_token -> REST call as the user -> refresh_token (rotation) ->
revoke_token (RFC 7009) -> the revoked tokens refused.

Run by scripts/test-python.sh (venv, WPOA_RUN, REQUESTS_CA_BUNDLE set there).
"""
import json
import os
import subprocess
import unittest

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN = os.environ.get("WPOA_RUN", os.path.join(REPO, ".run"))
with open(os.path.join(RUN, "site.json"), encoding="utf-8") as f:
    SITE = json.load(f)
CONSENT_CLI = os.path.join(REPO, "tests", "e2e", "consent-cli.mjs")


def consent(authorization_url, redirect_uri, role="author", decision="approve"):
    """Plays the user in Chromium; returns the redirect URL the server sent to the client."""
    env = dict(os.environ, WPOA_RUN=RUN, NODE_EXTRA_CA_CERTS=SITE["ca_cert"])
    out = subprocess.run(
        ["node", CONSENT_CLI, authorization_url, redirect_uri, role, decision],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    if out.returncode != 0:
        raise AssertionError(f"consent-cli failed: {out.stderr.strip()}")
    return out.stdout.strip()


class AuthlibClientTest(unittest.TestCase):
    def setUp(self):
        self.http = requests.Session()
        self.http.verify = SITE["ca_cert"]

    def discover(self):
        # RFC 8414 §3 from the bare site URL (no path: no path insertion).
        res = self.http.get(SITE["url"] + "/.well-known/oauth-authorization-server", timeout=30)
        self.assertEqual(res.status_code, 200)
        meta = res.json()
        self.assertEqual(meta["issuer"], SITE["url"])
        self.assertIn("S256", meta["code_challenge_methods_supported"])
        return meta

    def register(self, meta, redirect_uri):
        res = self.http.post(meta["registration_endpoint"], json={
            "client_name": "Authlib independent client",
            "redirect_uris": [redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }, timeout=30)
        self.assertEqual(res.status_code, 201, res.text)
        return res.json()

    def session(self, client_id, redirect_uri, scope="read write"):
        s = OAuth2Session(
            client_id, redirect_uri=redirect_uri, scope=scope,
            code_challenge_method="S256", token_endpoint_auth_method="none",
        )
        s.verify = SITE["ca_cert"]
        return s

    def authorize(self, meta, s, redirect_uri, role="author"):
        verifier = generate_token(64)
        url, state = s.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier)
        self.assertIn("code_challenge_method=S256", url)
        redirect = consent(url, redirect_uri, role)
        token = s.fetch_token(
            meta["token_endpoint"], authorization_response=redirect, code_verifier=verifier, state=state,
        )
        return redirect, token

    def test_full_flow(self):
        meta = self.discover()
        redirect_uri = "http://127.0.0.1:47005/authlib/cb"
        reg = self.register(meta, redirect_uri)
        s = self.session(reg["client_id"], redirect_uri)
        redirect, token = self.authorize(meta, s, redirect_uri)
        # RFC 9207: the response names the issuer.
        self.assertIn("iss=" + requests.utils.quote(SITE["url"], safe=""), redirect)
        self.assertEqual(token["token_type"].lower(), "bearer")
        self.assertEqual(sorted(token["scope"].split()), ["read", "write"])
        self.assertTrue(token.get("refresh_token"))

        api = SITE["url"] + "/wp-json/"
        me = s.get(api + "wp/v2/users/me", params={"context": "edit"}, timeout=30)
        self.assertEqual(me.status_code, 200, me.text)
        self.assertEqual(me.json()["id"], SITE["users"]["author"]["id"])

        first_refresh = token["refresh_token"]
        new = s.refresh_token(meta["token_endpoint"], refresh_token=first_refresh)
        self.assertNotEqual(new["refresh_token"], first_refresh)
        self.assertNotEqual(new["access_token"], token["access_token"])
        self.assertEqual(s.get(api + "wp/v2/users/me", timeout=30).status_code, 200)

        # Revoke the access token: the next API call answers 401 invalid_token.
        res = s.revoke_token(meta["revocation_endpoint"], token=new["access_token"], token_type_hint="access_token")
        self.assertEqual(res.status_code, 200)
        after = s.get(api + "wp/v2/users/me", timeout=30)
        self.assertEqual(after.status_code, 401)
        self.assertIn('error="invalid_token"', after.headers.get("WWW-Authenticate", ""))

        # Revoke the refresh token: refreshing is refused with invalid_grant.
        res = s.revoke_token(meta["revocation_endpoint"], token=new["refresh_token"], token_type_hint="refresh_token")
        self.assertEqual(res.status_code, 200)
        with self.assertRaises(OAuthError) as ctx:
            s.refresh_token(meta["token_endpoint"], refresh_token=new["refresh_token"])
        self.assertEqual(ctx.exception.error, "invalid_grant")

    def test_code_with_wrong_verifier_is_refused(self):
        meta = self.discover()
        redirect_uri = "http://127.0.0.1:47006/authlib/cb"
        reg = self.register(meta, redirect_uri)
        s = self.session(reg["client_id"], redirect_uri, scope="read")
        url, state = s.create_authorization_url(meta["authorization_endpoint"], code_verifier=generate_token(64))
        redirect = consent(url, redirect_uri)
        with self.assertRaises(OAuthError) as ctx:
            s.fetch_token(meta["token_endpoint"], authorization_response=redirect,
                          code_verifier=generate_token(64), state=state)
        self.assertEqual(ctx.exception.error, "invalid_grant")


if __name__ == "__main__":
    unittest.main()
