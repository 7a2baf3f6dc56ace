// Independent client: panva's openid-client v6 (npm, pinned), used as published, in OAuth 2
// mode (RFC 8414 metadata, not OpenID Connect discovery: this server issues no ID tokens).
// Bare site URL → dynamicClientRegistration (RFC 8414 discovery + RFC 7591) → buildAuthorizationUrl
// with PKCE S256 → Chromium consent → authorizationCodeGrant → fetchProtectedResource as the
// user → refreshTokenGrant → tokenRevocation → the revoked tokens refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { site } from './lib/site.mjs';
import { consentAt } from './consent-cli.mjs';

// HTTPS through the stack's CA via NODE_EXTRA_CA_CERTS (scripts/test-e2e.sh); no
// allowInsecureRequests, no custom fetch.
const server = new URL(site.url);
const api = (path) => new URL(`${site.url}/wp-json/${path}`);

async function rest(config, token, path) {
  try {
    const res = await client.fetchProtectedResource(config, token, api(path), 'GET');
    return { status: res.status, body: await res.json() };
  } catch (e) {
    // A 401 with a Bearer challenge is raised as WWWAuthenticateChallengeError (RFC 6750 §3).
    if (e.code !== 'OAUTH_WWW_AUTHENTICATE_CHALLENGE') throw e;
    return { status: e.response.status, challenge: e.cause[0] };
  }
}

test('openid-client: discovery+DCR → code+PKCE in Chromium → REST → refresh → revoke', async () => {
  const redirectUri = 'http://127.0.0.1:47002/openid-client/cb';
  // 1+2. Discovery from the bare URL (algorithm oauth2 = /.well-known/oauth-authorization-server)
  // and RFC 7591 registration in one call.
  const config = await client.dynamicClientRegistration(server, {
    client_name: 'openid-client independent client',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  }, client.None(), { algorithm: 'oauth2' });
  const meta = config.serverMetadata();
  assert.equal(meta.issuer, site.url);
  assert.ok(meta.supportsPKCE(), 'metadata announces S256');
  assert.ok(config.clientMetadata().client_id);

  // A second, plain discovery with the registered client_id gives the same endpoints.
  const again = await client.discovery(server, config.clientMetadata().client_id, undefined, client.None(), { algorithm: 'oauth2' });
  assert.equal(again.serverMetadata().token_endpoint, meta.token_endpoint);

  // 3. Authorization code with PKCE S256 and state, approved in Chromium.
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const authUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'read write',
    state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const consent = await consentAt(authUrl, { redirectUri, role: 'author' });
  assert.equal(consent.errorPage, undefined);
  assert.ok(consent.sawConsent);
  const tokens = await client.authorizationCodeGrant(config, new URL(consent.location), {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.ok(tokens.expiresIn() > 3000 && tokens.expiresIn() <= 3600);
  assert.deepEqual(tokens.scope.split(' ').sort(), ['read', 'write']);

  // 4. The REST API as the author.
  const me = await rest(config, tokens.access_token, 'wp/v2/users/me?context=edit');
  assert.equal(me.status, 200);
  assert.equal(me.body.id, site.users.author.id);

  // 5. Refresh (rotation).
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  assert.equal((await rest(config, refreshed.access_token, 'wp/v2/users/me')).status, 200);
  // The rotated-out refresh token is spent: reuse is refused (and, RFC 9700 §4.14.2, revokes the grant).
  await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token), (e) => e.error === 'invalid_grant');
  const afterReuse = await rest(config, refreshed.access_token, 'wp/v2/users/me');
  assert.equal(afterReuse.status, 401, 'reuse of a rotated refresh token revoked the grant');

  // 6. A fresh grant, then revocation of its refresh token: the grant and its access token end.
  const v2 = client.randomPKCECodeVerifier();
  const s2 = client.randomState();
  const consent2 = await consentAt(client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: 'read', state: s2,
    code_challenge: await client.calculatePKCECodeChallenge(v2), code_challenge_method: 'S256',
  }), { redirectUri, role: 'author' });
  const t2 = await client.authorizationCodeGrant(config, new URL(consent2.location), { pkceCodeVerifier: v2, expectedState: s2 });
  assert.equal((await rest(config, t2.access_token, 'wp/v2/users/me')).status, 200);
  await client.tokenRevocation(config, t2.refresh_token, { token_type_hint: 'refresh_token' });
  const revoked = await rest(config, t2.access_token, 'wp/v2/users/me');
  assert.equal(revoked.status, 401);
  assert.equal(revoked.challenge.parameters.error, 'invalid_token');
  await assert.rejects(client.refreshTokenGrant(config, t2.refresh_token), (e) => e.error === 'invalid_grant');
});
