#!/usr/bin/env node
// Connect a native / command-line app to a WordPress site that runs WP OAuth, knowing only the
// site's address. Uses oauth4webapi (https://github.com/panva/oauth4webapi) for every OAuth step.
//
//   npm ci && node connect.mjs https://example.com
//
// Steps: the REST index (/wp-json/) -> RFC 8414 metadata -> RFC 7591
// registration -> authorization code + PKCE through the user's browser, received on a loopback
// redirect (RFC 8252 §7.3) -> token -> REST API call -> refresh (rotation) -> revocation (RFC 7009).
//
// A real app registers once per site and keeps client_id and the refresh token (in the OS
// keychain, never in plain files); this example does everything in one run to show each step.
import http from 'node:http';
import { execFile } from 'node:child_process';
import * as oauth from 'oauth4webapi';

const site = process.argv[2];
if (!site) {
  console.error('usage: node connect.mjs https://your-wordpress-site.example');
  process.exit(2);
}

// 1. The REST API root. With "plain" permalinks WordPress serves it at ?rest_route=/ instead.
let restRoot = new URL('wp-json/', site.endsWith('/') ? site : `${site}/`).href;
let indexResponse = await fetch(restRoot, { headers: { accept: 'application/json' } });
if (!indexResponse.ok) {
  restRoot = new URL('?rest_route=/', site).href;
  indexResponse = await fetch(restRoot, { headers: { accept: 'application/json' } });
}

// 2. The REST index says whether the site speaks OAuth, and who its authorization server is.
const index = await indexResponse.json();
const oauth2 = index.authentication?.oauth2;
if (!oauth2) throw new Error(`${site} does not advertise OAuth 2 (is the WP OAuth plugin active?)`);
const issuer = new URL(oauth2.issuer);

// 3. Authorization server metadata (RFC 8414); oauth4webapi checks that `issuer` matches exactly.
const as = await oauth.processDiscoveryResponse(
  issuer,
  await oauth.discoveryRequest(issuer, { algorithm: 'oauth2' }),
);
if (!as.code_challenge_methods_supported?.includes('S256')) throw new Error('the server does not support PKCE S256');

// 4. A loopback server to receive the authorization response (any free port: RFC 8252 §7.3).
const callback = await new Promise((resolve) => {
  const server = http.createServer();
  server.listen(0, '127.0.0.1', () => resolve(server));
});
const redirectUri = `http://127.0.0.1:${callback.address().port}/callback`;

// 5. Register this app (RFC 7591). The loopback URI is registered without a port.
const client = await oauth.processDynamicClientRegistrationResponse(
  await oauth.dynamicClientRegistrationRequest(as, {
    client_name: 'Example CLI (oauth4webapi)',
    redirect_uris: ['http://127.0.0.1/callback'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: 'read write',
  }),
);
const clientAuth = oauth.None(); // a public client: PKCE protects the code
console.log(`Registered client_id ${client.client_id}`);

// 6. The authorization request with PKCE (RFC 7636) and state.
const codeVerifier = oauth.generateRandomCodeVerifier();
const state = oauth.generateRandomState();
// Add to the endpoint's query (if it has one, RFC 6749 §3.1), never replace it.
const authorizationUrl = new URL(as.authorization_endpoint);
for (const [name, value] of Object.entries({
  response_type: 'code',
  client_id: client.client_id,
  redirect_uri: redirectUri,
  scope: 'read',
  state,
  code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
  code_challenge_method: 'S256',
})) authorizationUrl.searchParams.set(name, value);

// 7. Send the user to the site: they log in (if needed) and approve on the site's own screen.
console.log(`Open this URL in your browser: ${authorizationUrl.href}`);
if (process.env.OPEN_BROWSER === '1') execFile('xdg-open', [authorizationUrl.href], () => {});

const callbackUrl = await new Promise((resolve) => {
  callback.on('request', (req, res) => {
    const url = new URL(req.url, redirectUri);
    if (url.pathname !== '/callback') { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
      .end('You can close this window and return to the app.\n');
    resolve(url);
  });
});
callback.close();

// 8. Check the response: state, and `iss` against the issuer (RFC 9207); errors such as
//    access_denied (the user clicked Deny) throw here.
const params = oauth.validateAuthResponse(as, client, callbackUrl, state);

// 9. Exchange the code (RFC 6749 §4.1.3) with the PKCE verifier.
const tokens = await oauth.processAuthorizationCodeResponse(
  as, client,
  await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, redirectUri, codeVerifier),
);
console.log(`Got an access token (expires in ${tokens.expires_in} s, scope "${tokens.scope}") and a refresh token`);

// 10. Call the REST API as the user.
function apiUrl(route, query = {}) {
  const url = restRoot.includes('rest_route=') ? new URL(restRoot) : new URL(route, restRoot);
  if (restRoot.includes('rest_route=')) url.searchParams.set('rest_route', `/${route}`);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url;
}
async function api(route, accessToken, query) {
  const res = await oauth.protectedResourceRequest(accessToken, 'GET', apiUrl(route, query));
  if (!res.ok) throw new Error(`GET ${route}: HTTP ${res.status} ${res.headers.get('www-authenticate') || ''}`);
  return res.json();
}
const me = await api('wp/v2/users/me', tokens.access_token, { context: 'edit' });
console.log(`Connected as ${me.name} (user ${me.id}, login ${me.username})`);

// 11. Refresh when the access token expires (RFC 6749 §6). The refresh token rotates: always keep
//     the NEW one; presenting an old one again revokes the whole authorization.
const refreshed = await oauth.processRefreshTokenResponse(
  as, client,
  await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token),
);
const again = await api('wp/v2/users/me', refreshed.access_token);
console.log(`Refreshed: still ${again.name}; the refresh token rotated: ${refreshed.refresh_token !== tokens.refresh_token}`);

// 12. Sign out: revoke the refresh token (RFC 7009); the whole grant ends with it.
await oauth.processRevocationResponse(
  await oauth.revocationRequest(as, client, clientAuth, refreshed.refresh_token, {
    additionalParameters: { token_type_hint: 'refresh_token' },
  }),
);
// oauth4webapi turns a 401 with a WWW-Authenticate challenge into a WWWAuthenticateChallengeError.
try {
  await oauth.protectedResourceRequest(refreshed.access_token, 'GET', apiUrl('wp/v2/users/me'));
  throw new Error('the revoked access token still works');
} catch (err) {
  if (!(err instanceof oauth.WWWAuthenticateChallengeError)) throw err;
  const [challenge] = err.cause;
  console.log(`Revoked: the API now answers ${err.status} ${challenge.scheme} error="${challenge.parameters.error}" to the old access token`);
}
