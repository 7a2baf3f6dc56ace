#!/usr/bin/env python3
"""Connect an agent or script to a WordPress site that runs WP OAuth, the way an MCP client does.

Uses Authlib (https://docs.authlib.org/) and requests:

    python -m pip install -r requirements.txt      # authlib, requests
    python connect.py https://example.com

Steps: an unauthenticated API call -> 401 with `resource_metadata` (RFC 9728 §5.1) -> protected
resource metadata (RFC 9728 §3) -> authorization server metadata (RFC 8414 §3) -> registration
(RFC 7591) -> authorization code + PKCE S256 (RFC 7636) on a loopback redirect (RFC 8252 §7.3)
-> token -> REST API call -> refresh (rotation) -> revocation (RFC 7009).

TLS: requests verifies the site's certificate against certifi's bundle, or the file named by
REQUESTS_CA_BUNDLE (e.g. a local test CA).
"""
import http.server
import re
import sys
import threading
import urllib.parse

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session


def fail(message):
    sys.exit(f"error: {message}")


def well_known(name, identifier):
    """RFC 8414 §3.1 / RFC 9728 §3.1: insert the well-known segment before the identifier's path."""
    u = urllib.parse.urlsplit(identifier)
    path = u.path.rstrip("/")
    return f"{u.scheme}://{u.netloc}/.well-known/{name}{path}"


if len(sys.argv) != 2:
    sys.exit("usage: python connect.py https://your-wordpress-site.example")
site = sys.argv[1].rstrip("/")
api_root = site + "/wp-json/"

# 1. Call the API without a token: the 401 names the resource metadata (RFC 9728 §5.1).
probe = requests.get(api_root + "wp/v2/users/me", timeout=30)
challenge = probe.headers.get("WWW-Authenticate", "")
match = re.search(r'resource_metadata="([^"]+)"', challenge)
if probe.status_code != 401 or not match:
    fail(f"expected 401 with a Bearer resource_metadata challenge, got {probe.status_code} {challenge!r}")

# 2. Protected resource metadata (RFC 9728 §3): which authorization server protects this API.
prm = requests.get(match.group(1), timeout=30).json()
if prm["resource"] != api_root:
    fail(f"resource metadata is for {prm['resource']}, not {api_root}")  # RFC 9728 §3.3
issuer = prm["authorization_servers"][0]

# 3. Authorization server metadata (RFC 8414 §3); the issuer must match exactly (§3.3).
meta = requests.get(well_known("oauth-authorization-server", issuer), timeout=30).json()
if meta["issuer"] != issuer:
    fail("authorization server metadata names another issuer")
if "S256" not in meta.get("code_challenge_methods_supported", []):
    fail("the server does not support PKCE S256")

# 4. A loopback server for the authorization response, on any free port (RFC 8252 §7.3).
received = {}
done = threading.Event()


class Callback(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        if urllib.parse.urlsplit(self.path).path != "/callback":
            self.send_error(404)
            return
        received["url"] = f"http://127.0.0.1:{self.server.server_port}{self.path}"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        self.wfile.write(b"You can close this window and return to the app.\n")
        done.set()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Callback)
threading.Thread(target=server.serve_forever, daemon=True).start()
redirect_uri = f"http://127.0.0.1:{server.server_port}/callback"

# 5. Register (RFC 7591): a public client with a loopback redirect URI, registered without a port.
reg = requests.post(meta["registration_endpoint"], timeout=30, json={
    "client_name": "Example agent (Authlib)",
    "redirect_uris": ["http://127.0.0.1/callback"],
    "token_endpoint_auth_method": "none",
    "grant_types": ["authorization_code", "refresh_token"],
    "response_types": ["code"],
    "scope": "read write",
})
if reg.status_code != 201:
    fail(f"registration failed: {reg.status_code} {reg.text}")
client_id = reg.json()["client_id"]
print(f"Registered client_id {client_id}", flush=True)

# 6. The authorization request with PKCE S256 and state; `resource` names the API (RFC 8707).
session = OAuth2Session(
    client_id,
    scope="read",
    redirect_uri=redirect_uri,
    code_challenge_method="S256",
    token_endpoint_auth_method="none",
)
code_verifier = generate_token(64)
authorization_url, state = session.create_authorization_url(
    meta["authorization_endpoint"], code_verifier=code_verifier, resource=api_root,
)

# 7. The user approves in their browser.
print(f"Open this URL in your browser: {authorization_url}", flush=True)
if not done.wait(timeout=600):
    fail("no answer from the browser within 10 minutes")
server.shutdown()

# 8. Check `iss` (RFC 9207 §2.4; Authlib does not), then exchange the code. Authlib checks `state`
#    and raises on an error response such as access_denied.
params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(received["url"]).query))
if params.get("iss") != issuer:
    fail("the authorization response comes from another issuer")
if "error" in params:
    fail(f"authorization failed: {params['error']} {params.get('error_description', '')}")
token = session.fetch_token(
    meta["token_endpoint"], authorization_response=received["url"], code_verifier=code_verifier,
)
print(f"Got an access token (expires in {token['expires_in']} s, scope \"{token['scope']}\") and a refresh token", flush=True)

# 9. Call the REST API: the session sends Authorization: Bearer <access_token>.
me = session.get(api_root + "wp/v2/users/me", params={"context": "edit"}, timeout=30)
me.raise_for_status()
me = me.json()
print(f"Connected as {me['name']} (user {me['id']}, login {me['username']})", flush=True)

# 10. Refresh (RFC 6749 §6). The refresh token rotates; the session keeps the new one.
old_refresh = token["refresh_token"]
token = session.refresh_token(meta["token_endpoint"])
again = session.get(api_root + "wp/v2/users/me", timeout=30).json()
print(f"Refreshed: still {again['name']}; the refresh token rotated: {token['refresh_token'] != old_refresh}", flush=True)

# 11. Sign out: revoke the refresh token (RFC 7009), which ends the whole grant.
revoked = session.revoke_token(
    meta["revocation_endpoint"], token=token["refresh_token"], token_type_hint="refresh_token",
)
revoked.raise_for_status()
after = session.get(api_root + "wp/v2/users/me", timeout=30)
error = re.search(r'error="([^"]+)"', after.headers.get("WWW-Authenticate", ""))
print(f"Revoked: the API now answers {after.status_code} bearer error=\"{error.group(1) if error else ''}\" to the old access token", flush=True)
