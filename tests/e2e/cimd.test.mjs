// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document) over real HTTPS:
// the site fetches a client's metadata from a local HTTPS server (the stack's certificate), through
// the test-only loopback switch of tests/e2e/fixtures/wpoa-e2e-mu-plugin.php, which is off unless
// this file turns it on. A table of hostile answers is refused with an error page and leaves
// nothing in the database; a good document takes Chromium through consent, oauth4webapi through
// the code exchange, and jose verifies the token. Plus disguised client names at registration and
// on the consent screen (screenshot docs/screenshots/consent-disguised-name.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { site, httpsFetch, postJson, wpEval, dbQuery, launchBrowser, loginAs, screenshot } from './lib/site.mjs';
import { discover, authorize, exchangeCode, verifyAccessToken, pkce, buildAuthorizationUrl, fetchOpts } from './lib/flow.mjs';

const tls = `${site.run_dir}/tls`;
const hits = new Map(); // path -> number of requests the site made
let base; // https://localhost:<port>
let server;
let goodDoc;
const REDIRECT = 'http://localhost:43117/callback';

const doc = (path, change = {}) => ({
  client_id: `${base}${path}`,
  client_name: 'E2E Metadata Agent',
  client_uri: 'https://agent.example/',
  redirect_uris: [REDIRECT],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  ...change,
});

/** What the local server answers per path: [status, headers, body] or a function of the response. */
const routes = {
  '/good.json': () => [200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' }, JSON.stringify(goodDoc)],
  '/redirect.json': () => [302, { location: `${base}/good.json` }, ''],
  '/oversize.json': () => [200, { 'content-type': 'application/json' }, JSON.stringify(doc('/oversize.json', { software_id: 'x'.repeat(200), padding: 'p'.repeat(6000) }))],
  '/not-found.json': () => [404, { 'content-type': 'application/json' }, JSON.stringify(doc('/not-found.json'))],
  '/server-error.json': () => [500, { 'content-type': 'application/json' }, JSON.stringify(doc('/server-error.json'))],
  '/wrong-id.json': () => [200, { 'content-type': 'application/json' }, JSON.stringify(doc('/wrong-id.json', { client_id: `${base}/good.json` }))],
  '/bidi-name.json': () => [200, { 'content-type': 'application/json' }, JSON.stringify(doc('/bidi-name.json', { client_name: 'Word\u202eSSERP' }))],
  '/secret-basic.json': () => [200, { 'content-type': 'application/json' }, JSON.stringify(doc('/secret-basic.json', { token_endpoint_auth_method: 'client_secret_basic' }))],
  '/with-secret.json': () => [200, { 'content-type': 'application/json' }, JSON.stringify(doc('/with-secret.json', { client_secret: 'shared' }))],
  '/slow.json': (res) => { setTimeout(() => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(doc('/slow.json'))); }, 9000); return null; },
};

function clientsRow(clientId) {
  return dbQuery(`SELECT COUNT(*) AS n FROM wp_oauth_clients WHERE client_id = '${clientId.replace(/'/g, "''")}'`)[0].n;
}
function cachedRows(clientId) {
  const key = `wpoa_cimd_${createHash('sha256').update(clientId).digest('hex').slice(0, 40)}`;
  return dbQuery(`SELECT COUNT(*) AS n FROM wp_options WHERE option_name = '_transient_${key}'`)[0].n;
}
function setSwitch(port) {
  wpEval(`update_option('wpoa_e2e_cimd_loopback', ${Number(port)}); update_option('wpoa_e2e_cimd_ca', ${JSON.stringify(`${tls}/ca.pem`)}); delete_transient('wpoa_cimd_budget'); echo 1;`);
}

before(async () => {
  server = createServer({ key: readFileSync(`${tls}/server.key`), cert: readFileSync(`${tls}/server.pem`) }, (req, res) => {
    const path = new URL(req.url, 'https://x').pathname;
    hits.set(path, (hits.get(path) || 0) + 1);
    const route = routes[path];
    if (!route) { res.writeHead(404); res.end(); return; }
    const answer = route(res);
    if (!answer) return;
    const [status, headers, body] = answer;
    res.writeHead(status, headers);
    res.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `https://localhost:${server.address().port}`;
  goodDoc = doc('/good.json');
  setSwitch(server.address().port);
});

after(async () => {
  wpEval("delete_option('wpoa_e2e_cimd_loopback'); delete_option('wpoa_e2e_cimd_ca'); delete_transient('wpoa_cimd_budget'); echo 1;");
  server.closeAllConnections?.();
  await new Promise((r) => server.close(r));
});

/** GET the authorization request for clientId; follows the query-free endpoint's one redirect. */
async function authorizationPage(as, clientId, redirectUri = REDIRECT) {
  const { challenge } = await pkce();
  const u = buildAuthorizationUrl(as, { client_id: clientId }, { redirectUri, scope: 'read', state: 's', challenge });
  const first = await httpsFetch(u.href);
  assert.equal(first.status, 302);
  const res = await httpsFetch(first.headers.get('location'));
  return { status: res.status, location: res.headers.get('location'), html: await res.text() };
}

test('metadata advertises client_id_metadata_document_supported and public clients', async () => {
  const as = await discover({ fresh: true });
  assert.equal(as.client_id_metadata_document_supported, true);
  assert.ok(as.token_endpoint_auth_methods_supported.includes('none'));
});

test('hostile metadata documents: each refused with an error page, nothing stored or cached', async (t) => {
  const as = await discover();
  const cases = [
    ['redirect (not followed)', '/redirect.json', /only 200/],
    ['oversize (> 5 KB)', '/oversize.json', /larger than 5120 bytes/],
    ['non-200 (404)', '/not-found.json', /HTTP 404/],
    ['non-200 (500)', '/server-error.json', /HTTP 500/],
    ['client_id that is not the URL', '/wrong-id.json', /not exactly the URL/],
    ['client_name with bidi controls', '/bidi-name.json', /invisible, bidirectional-control/],
    ['shared-secret auth method', '/secret-basic.json', /token_endpoint_auth_method must be/],
    ['a client secret in the document', '/with-secret.json', /must not contain a client secret/],
    ['slow (beyond the timeout)', '/slow.json', /could not be fetched/],
  ];
  for (const [name, path, why] of cases) {
    await t.test(name, async () => {
      const clientId = `${base}${path}`;
      const before = hits.get(path) || 0;
      const started = Date.now();
      const page = await authorizationPage(as, clientId);
      assert.equal(page.status, 400, name);
      assert.equal(page.location, null, 'never redirected to the client');
      assert.match(page.html, /id="wpoa-error"/);
      assert.match(page.html.replace(/&#0?39;|&rsquo;/g, "'"), why);
      assert.equal(hits.get(path), before + 1, 'fetched exactly once');
      assert.ok(Date.now() - started < 8500, 'the fetch gave up within its timeout');
      assert.equal(clientsRow(clientId), '0', 'no client row');
      assert.equal(cachedRows(clientId), '0', 'errors are not cached');
    });
  }
  await t.test('special-use addresses are never contacted', async () => {
    for (const clientId of ['https://10.255.255.1/client.json', 'https://169.254.169.254/latest/client.json', 'https://[fd00::1]/client.json', 'https://100.64.0.1/client.json']) {
      const page = await authorizationPage(as, clientId);
      assert.equal(page.status, 400, clientId);
      assert.match(page.html, /private or special-use address/, clientId);
      assert.equal(clientsRow(clientId), '0');
    }
  });
  await t.test('bad client_id URLs are refused before any fetch', async () => {
    for (const clientId of [`${base}`, `${base}/a/../good.json`, `${base}/good.json#f`, `https://user@localhost:${server.address().port}/good.json`]) {
      const page = await authorizationPage(as, clientId);
      assert.equal(page.status, 400, clientId);
      assert.equal(clientsRow(clientId), '0');
    }
  });
  await t.test('loopback is refused without the test switch', async () => {
    wpEval("delete_option('wpoa_e2e_cimd_loopback'); echo 1;");
    try {
      const before = hits.get('/good.json') || 0;
      const page = await authorizationPage(as, `${base}/good.json`);
      assert.equal(page.status, 400);
      assert.equal(hits.get('/good.json') || 0, before, 'never contacted');
    } finally {
      setSwitch(server.address().port);
    }
  });
});

test('a good metadata document: consent names the host, oauth4webapi gets a token for the URL client, the cache holds', async () => {
  const as = await discover();
  const clientId = `${base}/good.json`;
  const client = { client_id: clientId, token_endpoint_auth_method: 'none', redirect_uris: [REDIRECT] };
  let identity;
  let localOnly;
  const auth = await authorize({
    as, client, redirectUri: 'http://localhost:51999/callback', scope: 'read write', screenshotPath: 'docs/screenshots/consent-cimd.png',
    onConsent: async (page) => {
      identity = (await page.locator('#wpoa-client-host').innerText()).trim();
      localOnly = await page.locator('#wpoa-local-only').count();
    },
  });
  assert.equal(auth.errorPage, undefined, auth.errorPage?.text);
  assert.match(identity, /^Identified by localhost/);
  assert.equal(localOnly, 1, 'every redirect URI is on this device: warned');
  assert.equal(auth.params.get('iss'), site.url);
  const tokens = await exchangeCode({ as, client, params: auth.params, redirectUri: 'http://localhost:51999/callback', verifier: auth.verifier, state: auth.state });
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  const { payload } = await verifyAccessToken(tokens.access_token, as);
  assert.equal(payload.client_id, clientId);
  assert.equal(clientsRow(clientId), '1', 'the used client is listed');
  assert.equal(cachedRows(clientId), '1');

  // Refresh as a public client (no secret).
  const refreshed = await oauth.processRefreshTokenResponse(as, { client_id: clientId },
    await oauth.refreshTokenGrantRequest(as, { client_id: clientId }, oauth.None(), tokens.refresh_token, fetchOpts));
  assert.ok(refreshed.access_token);

  // The document changes while cached: the cached one stays in force, nothing is fetched.
  const fetched = hits.get('/good.json');
  goodDoc = doc('/good.json', { redirect_uris: ['http://127.0.0.1:43117/other'] });
  const stale = await authorizationPage(as, clientId, 'http://127.0.0.1:43117/other');
  assert.equal(stale.status, 400, 'the new redirect URI is not known yet');
  assert.equal(hits.get('/good.json'), fetched, 'served from the cache');
  goodDoc = doc('/good.json');
});

test('disguised client names: refused at registration, neutralised on the consent screen', async () => {
  const as = await discover();
  for (const name of ['Word\u202eSSERP', 'Cla\u200Bude', '\u2067WordPress\u2069 Official', 'App\u3164']) {
    const res = await postJson(as.registration_endpoint, { client_name: name, redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }, { json: true });
    assert.equal(res.status, 400, JSON.stringify(name));
    assert.equal(res.body.error, 'invalid_client_metadata');
  }
  // A row from before the rule (written straight to the database): shown neutralised.
  const clientId = `e2e-disguised-${Date.now()}`;
  const disguised = 'WordPress\u202e \u200Bgnihsihp';
  wpEval(`\\Wpoa\\Client_Repository::insert(['client_id' => ${JSON.stringify(clientId)}, 'token_endpoint_auth_method' => 'none', 'redirect_uris' => [${JSON.stringify(REDIRECT)}], 'metadata' => ['client_name' => json_decode(${JSON.stringify(JSON.stringify(disguised))}), 'grant_types' => ['authorization_code', 'refresh_token'], 'response_types' => ['code']]]); echo 1;`);
  const b = await launchBrowser();
  try {
    await loginAs(b.page, 'author');
    const { challenge } = await pkce();
    const u = buildAuthorizationUrl(as, { client_id: clientId }, { redirectUri: REDIRECT, scope: 'read', state: 's', challenge });
    const res = await b.page.goto(u.href);
    assert.equal(res.status(), 200);
    const shown = await b.page.locator('.wpoa-client-name').innerText();
    assert.equal(shown, 'WordPress gnihsihp');
    assert.doesNotMatch(await b.page.content(), /[\u202a-\u202e\u2066-\u2069\u200b-\u200d]/);
    // The login screen's hooks ran for the query-free endpoint (login and 2FA plugins see it).
    assert.equal(res.headers()['x-wpoa-e2e-login-init'], '1');
    await screenshot(b.page, 'docs/screenshots/consent-disguised-name.png');
  } finally {
    await b.close();
    wpEval(`\\Wpoa\\Client_Repository::delete(${JSON.stringify(clientId)}); echo 1;`);
  }
});
