// Independent client: the OAuth client of the Model Context Protocol TypeScript SDK
// (npm @modelcontextprotocol/sdk, pinned), used as published: `auth()` from
// '@modelcontextprotocol/sdk/client/auth.js' with an OAuthClientProvider whose
// redirectToAuthorization() drives Chromium. The SDK knows only the server URL (our REST API
// root, Urls::audience()) and discovers RFC 9728 → RFC 8414 → registers (RFC 7591) → PKCE S256
// with `resource` (RFC 8707) → exchanges the code → refreshes. The SDK has no revocation call,
// so revocation goes to the revocation_endpoint the SDK discovered, with a plain fetch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, discoverOAuthProtectedResourceMetadata, refreshAuthorization } from '@modelcontextprotocol/sdk/client/auth.js';
import * as jose from 'jose';
import { site } from './lib/site.mjs';
import { consentAt } from './consent-cli.mjs';

const serverUrl = `${site.url}/wp-json/`; // what an MCP agent is configured with

/** An in-memory OAuthClientProvider, as an agent would implement it. */
class Provider {
  constructor(redirectUrl) {
    this.redirectUrl = redirectUrl;
    this.store = {};
    this.authorizationUrls = [];
  }
  get clientMetadata() {
    return {
      client_name: 'MCP SDK agent',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: 'read',
    };
  }
  state() { return (this.store.state = `st-${Math.random().toString(36).slice(2)}`); }
  clientInformation() { return this.store.client; }
  saveClientInformation(info) { this.store.client = info; }
  tokens() { return this.store.tokens; }
  saveTokens(tokens) { this.store.tokens = tokens; }
  saveCodeVerifier(v) { this.store.verifier = v; }
  codeVerifier() { return this.store.verifier; }
  invalidateCredentials(scope) {
    this.invalidated = [...(this.invalidated || []), scope];
    if (scope === 'all' || scope === 'tokens') delete this.store.tokens;
    if (scope === 'all' || scope === 'client') delete this.store.client;
  }
  saveDiscoveryState(s) { this.store.discovery = s; }
  discoveryState() { return this.store.discovery; }
  async redirectToAuthorization(url) {
    this.authorizationUrls.push(url);
    this.consent = await consentAt(url, { redirectUri: this.redirectUrl, role: 'author' });
  }
}

async function restMe(token) {
  const res = await fetch(`${serverUrl}wp/v2/users/me`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, www: res.headers.get('www-authenticate'), body: await res.json() };
}

test('MCP SDK auth(): RFC 9728 → RFC 8414 → DCR → PKCE + resource → token → REST → refresh → revoke', async () => {
  // An unauthenticated call shows where the resource metadata is (RFC 9728 §5.1).
  const anon = await fetch(`${serverUrl}wp/v2/users/me`, { headers: { authorization: 'Bearer x' } });
  assert.equal(anon.status, 401);
  const prm = await discoverOAuthProtectedResourceMetadata(serverUrl);
  // The SDK drops the path's trailing slash when it builds the well-known URL; RFC 9728 §3.3: the
  // document at /.well-known/oauth-protected-resource/wp-json names exactly ${site.url}/wp-json.
  assert.equal(prm.resource, serverUrl.replace(/\/$/, ''));
  assert.deepEqual(prm.authorization_servers, [site.url]);

  const provider = new Provider('http://127.0.0.1:47003/mcp/callback');
  // First call: discovery, registration, then a redirect to the authorization endpoint.
  assert.equal(await auth(provider, { serverUrl }), 'REDIRECT');
  assert.ok(provider.store.client?.client_id, 'registered through RFC 7591');
  const authUrl = provider.authorizationUrls[0];
  assert.equal(authUrl.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(authUrl.searchParams.get('resource'), prm.resource, 'RFC 8707 resource sent');
  assert.equal(provider.store.discovery.authorizationServerMetadata.issuer, site.url);
  assert.equal(provider.consent.errorPage, undefined);
  const params = provider.consent.params;
  assert.equal(params.get('state'), provider.store.state);
  assert.equal(params.get('iss'), site.url);

  // Second call with the code: token request (with code_verifier and resource).
  assert.equal(await auth(provider, { serverUrl, authorizationCode: params.get('code') }), 'AUTHORIZED');
  const first = provider.store.tokens;
  assert.ok(first.access_token && first.refresh_token);
  const claims = jose.decodeJwt(first.access_token);
  assert.equal(claims.aud, serverUrl, 'aud: the REST API, which that resource names');
  assert.equal(claims.sub, String(site.users.author.id));
  // The SDK asks for the scopes of the resource metadata (SEP-835: scopes_supported).
  assert.equal(claims.scope, authUrl.searchParams.get('scope'));
  assert.deepEqual(authUrl.searchParams.get('scope').split(' ').sort(), [...prm.scopes_supported].sort());

  const me = await restMe(first.access_token);
  assert.equal(me.status, 200);
  assert.equal(me.body.id, site.users.author.id);

  // A token request naming another resource is refused (RFC 8707 §2.2) before the refresh
  // token is looked at, so the token stays usable.
  await assert.rejects(refreshAuthorization(site.url, {
    metadata: provider.store.discovery.authorizationServerMetadata,
    clientInformation: provider.store.client,
    refreshToken: first.refresh_token,
    resource: new URL('https://mcp.example.net/'),
  }), (e) => e.errorCode === 'invalid_target' || e.constructor.errorCode === 'invalid_target');

  // Third call with stored tokens: the SDK refreshes (rotation; resource sent again).
  assert.equal(await auth(provider, { serverUrl }), 'AUTHORIZED');
  const second = provider.store.tokens;
  assert.notEqual(second.refresh_token, first.refresh_token);
  assert.equal((await restMe(second.access_token)).status, 200);

  // Revocation (RFC 7009) at the endpoint the SDK discovered, as a public client.
  const revocationEndpoint = provider.store.discovery.authorizationServerMetadata.revocation_endpoint;
  assert.ok(revocationEndpoint);
  const rv = await fetch(revocationEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: second.refresh_token, client_id: provider.store.client.client_id }),
  });
  assert.equal(rv.status, 200);
  const after = await restMe(second.access_token);
  assert.equal(after.status, 401);
  assert.match(after.www, /error="invalid_token"/);
  assert.match(after.www, /resource_metadata="/);
  // The SDK's next refresh is refused with invalid_grant: it drops the tokens and starts a new authorization.
  assert.equal(await auth(provider, { serverUrl }), 'REDIRECT');
  assert.deepEqual(provider.invalidated, ['tokens']);
  assert.equal(provider.authorizationUrls.length, 2);
});

test('MCP SDK: a resource that is not this site is refused with invalid_target (RFC 8707 §2)', async () => {
  const provider = new Provider('http://127.0.0.1:47004/mcp/callback');
  // The provider's own validateResourceURL may name any resource; the server must refuse others.
  provider.validateResourceURL = async () => new URL('https://mcp.example.net/');
  assert.equal(await auth(provider, { serverUrl }), 'REDIRECT');
  const url = provider.authorizationUrls[0];
  assert.equal(url.searchParams.get('resource'), 'https://mcp.example.net/');
  const loc = provider.consent.location ? new URL(provider.consent.location) : null;
  assert.ok(loc, 'answered with a redirect to the client (the client and redirect URI are valid)');
  assert.equal(loc.searchParams.get('error'), 'invalid_target');
  assert.equal(loc.searchParams.get('code'), null);
});
