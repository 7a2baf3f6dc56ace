// Discovery from the bare site address, over real HTTPS, processed by independent libraries:
// oauth4webapi (RFC 8414 and RFC 9728 processing rules) and jose (JWKS + RFC 9068 token check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import * as jose from 'jose';
import { site, httpsFetch, getJson, wpEvalJson } from './lib/site.mjs';
import { fetchOpts } from './lib/flow.mjs';

const REST = `${site.url}/wp-json/`;

test('RFC 8414: oauth4webapi discovers the authorization server from the bare site URL', async () => {
  const issuer = new URL(site.url);
  const res = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...fetchOpts });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  assert.match(res.headers.get('cache-control'), /^public, max-age=\d+$/);
  const as = await oauth.processDiscoveryResponse(issuer, res); // checks issuer === site URL exactly
  assert.equal(as.issuer, site.url);
  assert.equal(as.authorization_endpoint, `${site.url}/oauth/authorize`);
  assert.equal(as.token_endpoint, `${REST}wp-oauth/v1/token`);
  assert.equal(as.registration_endpoint, `${REST}wp-oauth/v1/register`);
  assert.equal(as.jwks_uri, `${REST}wp-oauth/v1/jwks`);
  assert.equal(as.revocation_endpoint, `${REST}wp-oauth/v1/revoke`);
  assert.equal(as.introspection_endpoint, `${REST}wp-oauth/v1/introspect`);
  assert.deepEqual(as.response_types_supported, ['code']);
  assert.deepEqual(as.response_modes_supported, ['query']);
  assert.deepEqual(as.grant_types_supported, ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', 'client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange']);
  assert.equal(as.device_authorization_endpoint, `${REST}wp-oauth/v1/device_authorization`);
  assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
  assert.deepEqual(as.token_endpoint_auth_methods_supported, ['none', 'client_secret_basic', 'client_secret_post']);
  assert.deepEqual(as.scopes_supported, ['read', 'write', 'full']);
  assert.equal(as.authorization_response_iss_parameter_supported, true);
  for (const absent of ['userinfo_endpoint', 'end_session_endpoint', 'id_token_signing_alg_values_supported', 'pushed_authorization_request_endpoint']) {
    assert.equal(as[absent], undefined, absent);
  }

  // The REST mirror is the same document.
  const mirror = await getJson('/wp-json/wp-oauth/v1/metadata');
  assert.equal(mirror.status, 200);
  assert.deepEqual(mirror.body, as);
});

test('RFC 9728: oauth4webapi discovers the REST API as a protected resource', async () => {
  const resource = new URL(REST);
  const res = await oauth.resourceDiscoveryRequest(resource, fetchOpts);
  assert.equal(new URL(res.url).pathname, '/.well-known/oauth-protected-resource/wp-json/');
  const prm = await oauth.processResourceDiscoveryResponse(resource, res); // checks resource === REST URL
  assert.equal(prm.resource, REST);
  assert.deepEqual(prm.authorization_servers, [site.url]);
  assert.deepEqual(prm.bearer_methods_supported, ['header']);
  assert.deepEqual(prm.scopes_supported, ['read', 'write', 'full']);

  // The authorization server it names is discoverable and is the same issuer.
  const issuer = new URL(prm.authorization_servers[0]);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...fetchOpts }));
  assert.equal(as.issuer, site.url);

  assert.deepEqual((await getJson('/wp-json/wp-oauth/v1/resource-metadata')).body, prm);
  // RFC 9728 §3.3: each path-inserted document names exactly the URL it was derived from.
  for (const [path, resource] of [
    ['/.well-known/oauth-protected-resource/wp-json', `${site.url}/wp-json`],
    ['/.well-known/oauth-protected-resource', site.url],
    ['/.well-known/oauth-protected-resource/wp-json/mcp/mcp-adapter-default-server', `${site.url}/wp-json/mcp/mcp-adapter-default-server`],
  ]) {
    const r = await getJson(path);
    assert.equal(r.status, 200, path);
    assert.deepEqual(r.body, { ...prm, resource }, path);
  }
});

test('the REST index names oauth2 next to application-passwords', async () => {
  const { status, body } = await getJson('/wp-json/');
  assert.equal(status, 200);
  assert.ok(body.authentication['application-passwords'], 'core entry kept');
  const o = body.authentication.oauth2;
  assert.equal(o.metadata, `${site.url}/.well-known/oauth-authorization-server`);
  assert.equal(o.endpoints.authorization, `${site.url}/oauth/authorize`);
  // Flat keys beside `endpoints`, as WordPress.com publishes them.
  assert.equal(o.authorize, `${site.url}/oauth/authorize`);
  assert.equal(o.token, `${REST}wp-oauth/v1/token`);
  assert.equal(o.endpoints.token, `${REST}wp-oauth/v1/token`);
  assert.equal(o.endpoints.registration, `${REST}wp-oauth/v1/register`);
  const meta = await getJson(o.metadata);
  assert.equal(meta.status, 200);
  assert.equal(meta.body.issuer, site.url);
});

test('well-known edge cases: other names 404 in JSON, wrong methods 405, CORS preflight, plain HTTP refused', async () => {
  for (const path of ['/.well-known/oauth-authorization-server/nope', '/.well-known/openid-configuration', '/.well-known/oauth-protected-resource/wp-admin/']) {
    const r = await getJson(path);
    assert.equal(r.status, 404, path);
    assert.equal(r.body.error, 'not_found', path);
  }
  const post = await httpsFetch('/.well-known/oauth-authorization-server', { method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
  assert.match(post.headers.get('allow'), /GET/);
  const pre = await httpsFetch('/.well-known/oauth-authorization-server', { method: 'OPTIONS', headers: { origin: 'https://spa.example', 'access-control-request-method': 'GET' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  const head = await httpsFetch('/.well-known/oauth-authorization-server', { method: 'HEAD' });
  assert.equal(head.status, 200);

  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/oauth-protected-resource/wp-json/', '/wp-json/wp-oauth/v1/jwks']) {
    const res = await fetch(`${site.http_url}${path}`, { redirect: 'manual' });
    const body = JSON.parse(await res.text());
    assert.equal(res.status, 400, path);
    assert.equal(body.error, 'invalid_request', path);
    assert.match(body.error_description, /HTTPS/);
  }
});

test('jwks_uri serves public keys only, and a token the site signs verifies with jose', async () => {
  const res = await httpsFetch('/wp-json/wp-oauth/v1/jwks');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/(jwk-set\+)?json/);
  assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
  const text = await res.text();
  const jwks = JSON.parse(text);
  assert.ok(jwks.keys.length >= 1);
  for (const key of jwks.keys) {
    for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(key[priv], undefined, `private member ${priv} in ${key.kid}`);
    assert.ok(key.kid, 'kid');
  }
  assert.doesNotMatch(text, /"d"\s*:/);

  const minted = wpEvalJson(`
    $a = \\Wpoa\\Token_Issuer::access_token('e2e-discovery', 1, 'read', 0, \\Wpoa\\Urls::audience(), time());
    echo json_encode($a + ['kid' => \\Wpoa\\Keys::current()['kid']]);
  `);
  assert.ok(jwks.keys.some((k) => k.kid === minted.kid), 'current key is published');
  // jose fetches the JWKS itself (createRemoteJWKSet; the stack CA is trusted via NODE_EXTRA_CA_CERTS).
  const remote = jose.createRemoteJWKSet(new URL(`${REST}wp-oauth/v1/jwks`));
  const viaRemote = await jose.jwtVerify(minted.token, remote, { issuer: site.url, audience: REST, typ: 'at+jwt' });
  assert.equal(viaRemote.payload.jti, JSON.parse(Buffer.from(minted.token.split('.')[1], 'base64url')).jti);
  const JWKS = jose.createLocalJWKSet(jwks);
  const { payload, protectedHeader } = await jose.jwtVerify(minted.token, JWKS, {
    issuer: site.url,
    audience: REST,
    typ: 'at+jwt',
  });
  assert.equal(protectedHeader.kid, minted.kid);
  assert.equal(payload.client_id, 'e2e-discovery');
  assert.equal(payload.sub, '1');
  assert.equal(payload.scope, 'read');

  // The same token with one flipped signature bit does not verify.
  const [h, p, s] = minted.token.split('.');
  const sig = Buffer.from(s, 'base64url');
  sig[0] ^= 1;
  await assert.rejects(jose.jwtVerify(`${h}.${p}.${sig.toString('base64url')}`, JWKS, { issuer: site.url, audience: REST }));
  // And with a wrong expected issuer (a trailing slash) it is refused: the issuer is exact.
  await assert.rejects(jose.jwtVerify(minted.token, JWKS, { issuer: `${site.url}/`, audience: REST }));
});
