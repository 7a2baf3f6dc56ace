// Independent client: panva's oauth4webapi (npm, pinned in package.json), used as published.
// From the bare site URL only: RFC 8414 discovery → RFC 7591 registration → authorization code
// + PKCE S256 with a real Chromium consent → REST call as the user → refresh (rotation) →
// RFC 7009 revocation → the revoked tokens refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { site } from './lib/site.mjs';
import { consentAt } from './consent-cli.mjs';

// No customFetch: the client uses Node's own fetch, which trusts the stack's CA through
// NODE_EXTRA_CA_CERTS (set by scripts/test-e2e.sh), as any real app would.
const issuer = new URL(site.url); // the bare site address, nothing else is configured

async function restAs(token, path) {
  try {
    const res = await oauth.protectedResourceRequest(token, 'GET', new URL(`${site.url}/wp-json/${path}`));
    return { status: res.status, body: await res.json().catch(() => null) };
  } catch (e) {
    // oauth4webapi turns a 401 with a WWW-Authenticate challenge into an error (RFC 6750 §3).
    if (!(e instanceof oauth.WWWAuthenticateChallengeError)) throw e;
    return { status: e.response.status, challenge: e.cause[0] };
  }
}

test('oauth4webapi: discovery → DCR → code+PKCE in Chromium → REST → refresh → revoke', async () => {
  // 1. RFC 8414 discovery from the bare site URL.
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2' }));
  assert.equal(as.issuer, site.url);
  assert.ok(as.code_challenge_methods_supported.includes('S256'));
  assert.ok(as.registration_endpoint && as.revocation_endpoint);

  // 2. RFC 7591 dynamic registration of a public native client with a loopback redirect URI.
  const redirectUri = 'http://127.0.0.1:47001/oauth4webapi/cb';
  const registered = await oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(as, {
      client_name: 'oauth4webapi independent client',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }),
  );
  const client = { client_id: registered.client_id };
  const auth = oauth.None();

  // 3. Authorization request with PKCE S256 and state; a real browser logs in and approves.
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const authUrl = new URL(as.authorization_endpoint);
  for (const [k, v] of Object.entries({
    response_type: 'code', client_id: client.client_id, redirect_uri: redirectUri, scope: 'read write',
    state, code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  })) authUrl.searchParams.set(k, v);
  const consent = await consentAt(authUrl, { redirectUri, role: 'author' });
  assert.equal(consent.errorPage, undefined);
  assert.ok(consent.sawConsent, 'the consent screen was shown');
  const params = oauth.validateAuthResponse(as, client, new URL(consent.location), state); // checks state and iss (RFC 9207)
  const tokens = await oauth.processAuthorizationCodeResponse(as, client,
    await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirectUri, verifier));
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.ok(tokens.refresh_token);

  // 4. The REST API as the user who approved.
  const me = await restAs(tokens.access_token, 'wp/v2/users/me?context=edit');
  assert.equal(me.status, 200);
  assert.equal(me.body.id, site.users.author.id);
  assert.equal(me.body.username, site.users.author.login);

  // 5. Refresh: a new pair; the new access token works; the old refresh token is spent.
  const refreshed = await oauth.processRefreshTokenResponse(as, client,
    await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token));
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  assert.notEqual(refreshed.access_token, tokens.access_token);
  assert.equal((await restAs(refreshed.access_token, 'wp/v2/users/me')).status, 200);

  // 6. Revoke the access token (RFC 7009): refused on the next request.
  await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, refreshed.access_token,
    { additionalParameters: { token_type_hint: 'access_token' } }));
  const afterAccess = await restAs(refreshed.access_token, 'wp/v2/users/me');
  assert.equal(afterAccess.status, 401);
  assert.equal(afterAccess.challenge.scheme, 'bearer');
  assert.equal(afterAccess.challenge.parameters.error, 'invalid_token');

  // 7. Revoke the refresh token: the grant ends; refreshing is refused with invalid_grant.
  await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, refreshed.refresh_token));
  await assert.rejects(
    async () => oauth.processRefreshTokenResponse(as, client,
      await oauth.refreshTokenGrantRequest(as, client, auth, refreshed.refresh_token)),
    (e) => e instanceof oauth.ResponseBodyError && e.error === 'invalid_grant',
  );
});
