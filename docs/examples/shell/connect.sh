#!/usr/bin/env bash
# Connect to a WordPress site that runs WP OAuth with nothing but curl, openssl and jq:
# metadata -> registration -> authorization URL with PKCE -> (browser) -> token -> REST API
# -> refresh -> revocation.
#
#   bash connect.sh https://example.com
#
# The browser step: open the printed URL, log in and approve. The browser then goes to
# http://127.0.0.1:8976/callback?code=…  — nothing listens there, so the page does not load;
# copy that address from the address bar and paste it here (or pipe it in on stdin).
# TLS: curl verifies the site against the system CAs, or the file in CURL_CA_BUNDLE.
set -euo pipefail

site=${1:?usage: bash connect.sh https://your-wordpress-site.example}
site=${site%/}
redirect_uri=http://127.0.0.1:8976/callback

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
# -f: fail on HTTP errors but still print the body (--fail-with-body), so OAuth errors are visible.
http() { curl -sS --fail-with-body "$@"; }

# 1. Authorization server metadata (RFC 8414 §3; the issuer is the site address). For a site in a
#    sub-directory the well-known part goes between the host and the path (§3.1).
origin=$(sed -E 's#^(https?://[^/]+).*#\1#' <<<"$site")
meta=$(http "$origin/.well-known/oauth-authorization-server${site#"$origin"}")
issuer=$(jq -r .issuer <<<"$meta")
[ "$issuer" = "$site" ] || { echo "metadata names issuer $issuer, expected $site" >&2; exit 1; }
authorization_endpoint=$(jq -r .authorization_endpoint <<<"$meta")
token_endpoint=$(jq -r .token_endpoint <<<"$meta")
registration_endpoint=$(jq -r .registration_endpoint <<<"$meta")
revocation_endpoint=$(jq -r .revocation_endpoint <<<"$meta")

# 2. Register a public client (RFC 7591 §3.1).
client=$(http -X POST -H 'Content-Type: application/json' "$registration_endpoint" --data @- <<JSON
{"client_name": "Example shell script (curl)",
 "redirect_uris": ["$redirect_uri"],
 "token_endpoint_auth_method": "none",
 "grant_types": ["authorization_code", "refresh_token"],
 "response_types": ["code"],
 "scope": "read write"}
JSON
)
client_id=$(jq -r .client_id <<<"$client")
echo "Registered client_id $client_id"

# 3. PKCE (RFC 7636 §4.1, §4.2) and state.
code_verifier=$(openssl rand 32 | b64url)
code_challenge=$(printf '%s' "$code_verifier" | openssl dgst -sha256 -binary | b64url)
state=$(openssl rand 16 | b64url)

# 4. The authorization URL (RFC 6749 §4.1.1). Keep any query the endpoint has (RFC 6749 §3.1):
#    append with & if it has one, else with ?.
query=$(jq -rn --arg client_id "$client_id" --arg redirect_uri "$redirect_uri" --arg state "$state" \
  --arg code_challenge "$code_challenge" \
  '{response_type: "code", client_id: $client_id, redirect_uri: $redirect_uri, scope: "read",
    state: $state, code_challenge: $code_challenge, code_challenge_method: "S256"}
   | to_entries | map("\(.key)=\(.value | @uri)") | join("&")')
case $authorization_endpoint in *\?*) sep='&' ;; *) sep='?' ;; esac
echo "Open this URL in your browser: $authorization_endpoint$sep$query"
echo "Then paste the address your browser was sent to (http://127.0.0.1:8976/callback?code=…):"
read -r callback_url

# 5. Check the answer: state, iss (RFC 9207), then take the code.
param() { sed -n "s/.*[?&]$1=\([^&#]*\).*/\1/p" <<<"$callback_url" | head -n1; }
urldecode() { local s=${1//+/ }; printf '%b' "${s//%/\\x}"; }
if [ -n "$(param error)" ]; then echo "authorization failed: $(param error)" >&2; exit 1; fi
[ "$(param state)" = "$state" ] || { echo "state does not match: not our request" >&2; exit 1; }
[ "$(urldecode "$(param iss)")" = "$issuer" ] || { echo "iss does not match the issuer" >&2; exit 1; }
code=$(urldecode "$(param code)")

# 6. Exchange the code (RFC 6749 §4.1.3, RFC 7636 §4.5).
tokens=$(http -X POST "$token_endpoint" \
  --data-urlencode grant_type=authorization_code \
  --data-urlencode "code=$code" \
  --data-urlencode "redirect_uri=$redirect_uri" \
  --data-urlencode "client_id=$client_id" \
  --data-urlencode "code_verifier=$code_verifier")
access_token=$(jq -r .access_token <<<"$tokens")
refresh_token=$(jq -r .refresh_token <<<"$tokens")
echo "Got an access token (expires in $(jq -r .expires_in <<<"$tokens") s, scope \"$(jq -r .scope <<<"$tokens")\") and a refresh token"

# 7. Call the REST API (RFC 6750 §2.1).
me=$(http -H "Authorization: Bearer $access_token" "$site/wp-json/wp/v2/users/me?context=edit")
echo "Connected as $(jq -r .name <<<"$me") (user $(jq -r .id <<<"$me"), login $(jq -r .username <<<"$me"))"

# 8. Refresh (RFC 6749 §6). Keep the NEW refresh token: the old one is now spent.
refreshed=$(http -X POST "$token_endpoint" \
  --data-urlencode grant_type=refresh_token \
  --data-urlencode "refresh_token=$refresh_token" \
  --data-urlencode "client_id=$client_id")
access_token=$(jq -r .access_token <<<"$refreshed")
new_refresh_token=$(jq -r .refresh_token <<<"$refreshed")
rotated=false; [ "$new_refresh_token" != "$refresh_token" ] && rotated=true
me=$(http -H "Authorization: Bearer $access_token" "$site/wp-json/wp/v2/users/me")
echo "Refreshed: still $(jq -r .name <<<"$me"); the refresh token rotated: $rotated"

# 9. Revoke (RFC 7009 §2.1): revoking the refresh token ends the whole grant.
http -X POST "$revocation_endpoint" \
  --data-urlencode "token=$new_refresh_token" \
  --data-urlencode token_type_hint=refresh_token \
  --data-urlencode "client_id=$client_id" >/dev/null
status=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $access_token" "$site/wp-json/wp/v2/users/me")
challenge=$(curl -sS -o /dev/null -D - -H "Authorization: Bearer $access_token" "$site/wp-json/wp/v2/users/me" \
  | sed -n 's/^[Ww][Ww][Ww]-[Aa]uthenticate: .*error="\([^"]*\)".*/\1/p')
echo "Revoked: the API now answers $status bearer error=\"$challenge\" to the old access token"
