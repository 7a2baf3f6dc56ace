// Dynamic client registration (RFC 7591) and client configuration (RFC 7592) over real HTTPS,
// driven by oauth4webapi as an independent client; storage checked in the real database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { site, httpsFetch, dbQuery, wpEval } from './lib/site.mjs';
import { fetchOpts } from './lib/flow.mjs';

const REGISTER = `${site.url}/wp-json/wp-oauth/v1/register`;
const TABLE = 'wp_oauth_clients';
let as;

const count = () => Number(dbQuery(`SELECT COUNT(*) AS n FROM ${TABLE}`)[0].n);
const row = (clientId) => dbQuery(`SELECT * FROM ${TABLE} WHERE client_id = '${clientId.replace(/[^A-Za-z0-9_-]/g, '')}'`)[0];

async function send(method, url, { body, json = true, token, headers = {} } = {}) {
  const h = { accept: 'application/json', ...headers };
  if (json && body !== undefined) h['content-type'] = 'application/json';
  if (token) h.authorization = `Bearer ${token}`;
  const res = await httpsFetch(url, { method, headers: h, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed = text;
  try { parsed = text ? JSON.parse(text) : null; } catch { /* keep text */ }
  return { status: res.status, headers: res.headers, body: parsed };
}

before(async () => {
  wpEval("delete_option('wpoa_registration_mode'); delete_option('wpoa_initial_access_token');");
  const issuer = new URL(site.url);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...fetchOpts }));
});

after(() => {
  wpEval("delete_option('wpoa_registration_mode'); delete_option('wpoa_initial_access_token');");
});

test('a native public client registers through oauth4webapi (RFC 7591), stored with hashes only', async () => {
  const meta = {
    client_name: 'E2E Native',
    redirect_uris: ['com.example.e2e:/oauth2redirect', 'http://127.0.0.1/cb', 'http://[::1]/cb'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: 'read write',
    software_id: 'e2e-native',
    software_version: '1.2.3',
    unknown_member: 'ignored',
  };
  const res = await oauth.dynamicClientRegistrationRequest(as, meta, fetchOpts);
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const client = await oauth.processDynamicClientRegistrationResponse(res);
  assert.match(client.client_id, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(client.client_secret, undefined);
  assert.equal(typeof client.client_id_issued_at, 'number');
  assert.equal(client.registration_client_uri, `${REGISTER}/${client.client_id}`);
  assert.deepEqual(client.redirect_uris, meta.redirect_uris);
  assert.equal(client.unknown_member, undefined);
  assert.equal(client.scope, 'read write');

  const stored = row(client.client_id);
  assert.ok(stored, 'row exists');
  assert.equal(stored.client_secret_hash, null);
  assert.equal(stored.registered_by, '0');
  assert.equal(stored.first_authorized_at, null);
  assert.ok(stored.registration_token_hash.startsWith('$'), 'PHC hash');
  assert.ok(!JSON.stringify(stored).includes(client.registration_access_token), 'registration token not stored in clear');
});

test('a confidential web client registers; RFC 7592 read, update (full replacement) and delete', async () => {
  const res = await oauth.dynamicClientRegistrationRequest(as, {
    client_name: 'E2E Web',
    redirect_uris: ['https://web.example.com/callback'],
    token_endpoint_auth_method: 'client_secret_post',
    contacts: ['dev@example.com'],
  }, fetchOpts);
  const client = await oauth.processDynamicClientRegistrationResponse(res);
  assert.match(client.client_secret, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(client.client_secret_expires_at, 0);
  const stored = row(client.client_id);
  assert.ok(!JSON.stringify(stored).includes(client.client_secret), 'secret not stored in clear');

  const uri = client.registration_client_uri;
  const read = await send('GET', uri, { token: client.registration_access_token });
  assert.equal(read.status, 200);
  assert.equal(read.body.client_id, client.client_id);
  assert.equal(read.body.client_secret, undefined, 'shown once only');
  assert.equal(read.body.registration_access_token, client.registration_access_token);
  assert.deepEqual(read.body.contacts, ['dev@example.com']);

  const update = {
    client_id: client.client_id,
    client_secret: client.client_secret,
    client_name: 'E2E Web v2',
    redirect_uris: ['https://web.example.com/callback2'],
    token_endpoint_auth_method: 'client_secret_basic',
  };
  const put = await send('PUT', uri, { body: update, token: client.registration_access_token });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.deepEqual(put.body.redirect_uris, ['https://web.example.com/callback2']);
  assert.equal(put.body.token_endpoint_auth_method, 'client_secret_basic');
  assert.equal(put.body.contacts, undefined, 'omitted members are removed (full replacement)');
  assert.deepEqual(JSON.parse(row(client.client_id).redirect_uris), ['https://web.example.com/callback2']);
  assert.equal(row(client.client_id).client_name, 'E2E Web v2');

  const badPut = await send('PUT', uri, { body: { ...update, redirect_uris: ['javascript:alert(1)'] }, token: client.registration_access_token });
  assert.equal(badPut.status, 400);
  assert.equal(badPut.body.error, 'invalid_redirect_uri');
  assert.deepEqual(JSON.parse(row(client.client_id).redirect_uris), ['https://web.example.com/callback2'], 'unchanged');

  const del = await send('DELETE', uri, { token: client.registration_access_token });
  assert.equal(del.status, 204);
  assert.equal(row(client.client_id), undefined);
  const gone = await send('GET', uri, { token: client.registration_access_token });
  assert.equal(gone.status, 401);
});

test('a wrong or missing registration access token gets the same 401 whether or not the client exists', async () => {
  const client = await oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(as, { redirect_uris: ['com.example.e2e:/cb'], token_endpoint_auth_method: 'none' }, fetchOpts),
  );
  const cases = [
    ['missing token', client.registration_client_uri, undefined],
    ['wrong token', client.registration_client_uri, 'A'.repeat(43)],
    ['unknown client', `${REGISTER}/does-not-exist`, client.registration_access_token],
  ];
  const seen = new Set();
  for (const [name, uri, token] of cases) {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const r = await send(method, uri, { token, body: method === 'PUT' ? { client_id: client.client_id, redirect_uris: ['com.example.e2e:/x'], token_endpoint_auth_method: 'none' } : undefined });
      assert.equal(r.status, 401, `${name} ${method}`);
      assert.equal(r.body.error, 'invalid_token', `${name} ${method}`);
      assert.match(r.headers.get('www-authenticate'), /^Bearer realm="/, `${name} ${method}`);
      if (token) seen.add(JSON.stringify(r.body));
    }
  }
  assert.equal(seen.size, 1, 'wrong token and unknown client are indistinguishable');
  assert.ok(row(client.client_id), 'still there');
});

const OK = { redirect_uris: ['com.example.e2e:/cb'], token_endpoint_auth_method: 'none' };
const BAD = [
  ['missing redirect_uris', { token_endpoint_auth_method: 'none' }, 'invalid_redirect_uri'],
  ['javascript: URI', { ...OK, redirect_uris: ['javascript:alert(document.cookie)'] }, 'invalid_redirect_uri'],
  ['data: URI', { ...OK, redirect_uris: ['data:text/html;base64,PHNjcmlwdD4='] }, 'invalid_redirect_uri'],
  ['file: URI', { ...OK, redirect_uris: ['file:///etc/passwd'] }, 'invalid_redirect_uri'],
  ['vbscript: URI', { ...OK, redirect_uris: ['vbscript:msgbox(1)'] }, 'invalid_redirect_uri'],
  ['fragment', { ...OK, redirect_uris: ['https://app.example.com/cb#frag'] }, 'invalid_redirect_uri'],
  ['plain http to a public host', { ...OK, redirect_uris: ['http://app.example.com/cb'] }, 'invalid_redirect_uri'],
  ['http to a name under localhost', { ...OK, redirect_uris: ['http://localhost.example.com:8080/cb'] }, 'invalid_redirect_uri'],
  ['client_name with a right-to-left override', { ...OK, client_name: 'Good\u202eppA liveE' }, 'invalid_client_metadata'],
  ['client_name with a zero-width space', { ...OK, client_name: 'Word\u200bPress' }, 'invalid_client_metadata'],
  ['web application_type with a loopback redirect', { ...OK, application_type: 'web', redirect_uris: ['http://localhost:8080/cb'] }, 'invalid_redirect_uri'],
  ['relative URI', { ...OK, redirect_uris: ['/callback'] }, 'invalid_redirect_uri'],
  ['string instead of array', { ...OK, redirect_uris: 'https://app.example.com/cb' }, 'invalid_redirect_uri'],
  ['absurd number of URIs', { ...OK, redirect_uris: Array.from({ length: 300 }, (_, i) => `https://app.example.com/cb${i}`) }, 'invalid_redirect_uri'],
  ['grant/response types contradict', { ...OK, grant_types: ['refresh_token'], response_types: ['code'] }, 'invalid_client_metadata'],
  ['implicit response type', { ...OK, response_types: ['token'] }, 'invalid_client_metadata'],
  ['unsupported grant type', { ...OK, grant_types: ['authorization_code', 'client_credentials'] }, 'invalid_client_metadata'],
  ['unsupported auth method', { ...OK, token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata'],
  ['scope we do not have', { ...OK, scope: 'read admin' }, 'invalid_client_metadata'],
  ['grant_types as string', { ...OK, grant_types: 'authorization_code' }, 'invalid_client_metadata'],
  ['client_name as object', { ...OK, client_name: { en: 'x' } }, 'invalid_client_metadata'],
  ['http logo_uri', { ...OK, logo_uri: 'http://app.example.com/logo.png' }, 'invalid_client_metadata'],
];

test('bad metadata is refused with the right error and nothing is stored', async () => {
  for (const [name, meta, error] of BAD) {
    const before = count();
    const res = await oauth.dynamicClientRegistrationRequest(as, meta, fetchOpts);
    assert.equal(res.status, 400, name);
    assert.equal(res.headers.get('cache-control'), 'no-store', name);
    const body = await res.json();
    assert.equal(body.error, error, `${name}: ${body.error_description}`);
    assert.equal(typeof body.error_description, 'string', name);
    assert.equal(count(), before, `${name}: nothing stored`);
    // oauth4webapi reads it as an RFC error response.
    await assert.rejects(
      oauth.processDynamicClientRegistrationResponse(await oauth.dynamicClientRegistrationRequest(as, meta, fetchOpts)),
      (e) => e instanceof oauth.ResponseBodyError && e.error === error,
      name,
    );
    assert.equal(count(), before, `${name}: still nothing stored`);
  }
});

test('malformed, oversize and mistyped bodies: 400 invalid_client_metadata, no 500, nothing stored', async () => {
  const raw = [
    ['malformed JSON', '{"redirect_uris": ["https://a.example/cb"', {}],
    ['JSON array', '[]', {}],
    ['JSON number', '42', {}],
    ['empty body', '', {}],
    ['oversize body', JSON.stringify({ ...OK, client_name: 'x', filler: 'a'.repeat(200000) }), {}],
    ['deeply nested', '['.repeat(5000) + ']'.repeat(5000), {}],
    ['form-encoded instead of JSON', 'redirect_uris=https%3A%2F%2Fa.example%2Fcb', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['NUL bytes', JSON.stringify({ ...OK, redirect_uris: ['https://a.example/cb\u0000.evil'] }), {}],
  ];
  for (const [name, body, headers] of raw) {
    const before = count();
    const r = await send('POST', REGISTER, { body, headers });
    assert.equal(r.status, 400, `${name}: ${JSON.stringify(r.body).slice(0, 200)}`);
    assert.ok(['invalid_client_metadata', 'invalid_redirect_uri'].includes(r.body.error), name);
    assert.equal(count(), before, name);
  }
});

test('policy: an initial access token can be required, and registration turned off', async () => {
  try {
    wpEval("\\Wpoa\\Registration_Controller::set_mode('token');");
    const before = count();
    const noToken = await oauth.dynamicClientRegistrationRequest(as, OK, fetchOpts);
    assert.equal(noToken.status, 401);
    assert.equal((await noToken.json()).error, 'invalid_token');
    const token = wpEval('echo \\Wpoa\\Registration_Controller::generate_initial_access_token();').trim();
    const wrong = await oauth.dynamicClientRegistrationRequest(as, OK, { ...fetchOpts, initialAccessToken: `${token}x` });
    assert.equal(wrong.status, 401);
    assert.equal(count(), before);
    const client = await oauth.processDynamicClientRegistrationResponse(
      await oauth.dynamicClientRegistrationRequest(as, { redirect_uris: ['https://web.example.com/cb'] }, { ...fetchOpts, initialAccessToken: token }),
    );
    assert.ok(client.client_secret, 'confidential with an initial access token');
    assert.equal(count(), before + 1);

    wpEval("\\Wpoa\\Registration_Controller::set_mode('off');");
    const off = await oauth.dynamicClientRegistrationRequest(as, OK, fetchOpts);
    assert.equal(off.status, 403);
    assert.equal((await off.json()).error, 'access_denied');
    const meta = await (await httpsFetch('/.well-known/oauth-authorization-server')).json();
    assert.equal(meta.registration_endpoint, undefined, 'not advertised while off');
    // Existing registrations can still be managed.
    const read = await send('GET', client.registration_client_uri, { token: client.registration_access_token });
    assert.equal(read.status, 200);
  } finally {
    wpEval("delete_option('wpoa_registration_mode'); delete_option('wpoa_initial_access_token');");
  }
});

test('plain HTTP registration is refused by the HTTPS policy', async () => {
  const before = count();
  const res = await fetch(`${site.http_url}/wp-json/wp-oauth/v1/register`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(OK), redirect: 'manual',
  });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error, 'invalid_request');
  assert.equal(count(), before);
});
