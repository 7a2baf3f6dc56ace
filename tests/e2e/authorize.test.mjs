// Authorization code flow with PKCE against the real stack: oauth4webapi as the client,
// headless Chromium on wp-login.php's consent screen, jose for the JWT, MariaDB for the truth.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { site, launchBrowser, dbQuery, httpsFetch } from './lib/site.mjs';
import {
  discover, registerClient, loopbackRedirect, authorize, exchangeCode, validateCallback,
  verifyAccessToken, tokenRequest, pkce, buildAuthorizationUrl, fetchOpts, clientAuthFor,
} from './lib/flow.mjs';

const APP_REDIRECT = 'com.example.wpoa-e2e:/oauth/callback';

const browsers = [];
after(async () => { for (const b of browsers) await b.close(); });

async function sessionBrowser() {
  const b = await launchBrowser();
  browsers.push(b);
  return b;
}

function sql(s) { return s.replace(/'/g, "''"); }

test('discovery announces the endpoints, S256 only and the iss response parameter', async () => {
  const as = await discover({ fresh: true });
  assert.equal(as.issuer, site.url);
  assert.equal(as.authorization_endpoint, `${site.url}/oauth/authorize`);
  assert.equal(as.token_endpoint, `${site.url}/wp-json/wp-oauth/v1/token`);
  assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
  assert.equal(as.authorization_response_iss_parameter_supported, true);
});

test('public native app (private-use scheme): login, approve, exchange, JWT verified with the JWKS', async () => {
  const as = await discover();
  const client = await registerClient({ client_name: 'E2E Native App', client_uri: 'https://app.example.org/about', redirect_uris: [APP_REDIRECT], scope: 'read write' }, { as, via: 'dcr' });
  assert.ok(client.registration_access_token, 'registered through RFC 7591 dynamic registration');
  const auth = await authorize({
    as, client, redirectUri: APP_REDIRECT, role: 'author', scope: 'read write', approve: true,
    screenshotPath: 'docs/screenshots/consent-approve.png',
    onConsent: async (page) => {
      const text = await page.locator('#wpoa-consent').innerText();
      assert.match(text, /E2E Native App/);
      assert.match(text, /app\.example\.org/, 'client_uri host shown');
      assert.match(text, /com\.example\.wpoa-e2e:/, 'app scheme shown as the destination');
      assert.match(text, /You are logged in as .*\(author\)/);
      assert.match(text, /not approved this application before/);
      assert.deepEqual(await page.locator('.wpoa-scopes li').evaluateAll((els) => els.map((e) => e.dataset.scope)), ['read', 'write']);
    },
  });
  assert.equal(auth.sawConsent, true);
  assert.ok(auth.location.startsWith(`${APP_REDIRECT}?`), auth.location);
  assert.equal(auth.params.get('iss'), site.url, 'RFC 9207 iss');
  assert.equal(auth.params.get('state'), auth.state);
  assert.match(auth.params.get('code'), /^[A-Za-z0-9_-]{43}$/);

  const tokens = await exchangeCode({ as, client, params: auth.params, redirectUri: APP_REDIRECT, verifier: auth.verifier, state: auth.state });
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.equal(tokens.scope, 'read write');
  assert.equal(typeof tokens.expires_in, 'number');
  assert.ok(tokens.refresh_token, 'refresh token for a client registered with the refresh_token grant');

  const { payload, protectedHeader } = await verifyAccessToken(tokens.access_token, as);
  assert.equal(protectedHeader.typ, 'at+jwt');
  assert.equal(payload.sub, String(site.users.author.id));
  assert.equal(payload.client_id, client.client_id);
  assert.equal(payload.scope, 'read write');

  // The database: the code is hashed (never the plaintext), used, bound to the grant.
  const code = auth.params.get('code');
  const rows = dbQuery(`SELECT code_hash, used_at, grant_id, user_id, redirect_uri, scope FROM wp_oauth_codes WHERE client_id = '${sql(client.client_id)}'`);
  assert.equal(rows.length, 1);
  assert.notEqual(rows[0].code_hash, code);
  assert.notEqual(rows[0].used_at, null);
  assert.equal(rows[0].redirect_uri, APP_REDIRECT);
  assert.equal(rows[0].user_id, String(site.users.author.id));
  assert.equal(dbQuery(`SELECT COUNT(*) AS n FROM wp_oauth_codes WHERE code_hash = '${sql(code)}'`)[0].n, '0');
  const grant = dbQuery(`SELECT status, scope, user_id FROM wp_oauth_grants WHERE id = ${Number(payload.grant_id)}`)[0];
  assert.deepEqual(grant, { status: 'active', scope: 'read write', user_id: String(site.users.author.id) });

  // The token works on the REST API as the author.
  const me = await httpsFetch('/wp-json/wp/v2/users/me', { headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(me.status, 200);
  assert.equal((await me.json()).id, site.users.author.id);
});

test('loopback client: the port may differ from the registered one (RFC 8252 §7.3)', async () => {
  const as = await discover();
  const registered = loopbackRedirect('/cb');
  const client = await registerClient({ client_name: 'E2E Loopback CLI', redirect_uris: [registered] }, { as });
  const used = registered.replace(/:(\d+)\//, (_, p) => `:${(Number(p) % 40000) + 20001}/`);
  assert.notEqual(used, registered);
  const auth = await authorize({ as, client, redirectUri: used, scope: 'read' });
  assert.ok(auth.location.startsWith(`${used}?`), auth.location);
  const tokens = await exchangeCode({ as, client, params: auth.params, redirectUri: used, verifier: auth.verifier, state: auth.state });
  assert.equal(tokens.scope, 'read');
  // The token request must name the exact URI the code was sent to.
  const again = await authorize({ as, client, redirectUri: used, scope: 'read' });
  const bad = await tokenRequest({ grant_type: 'authorization_code', client_id: client.client_id, code: again.params.get('code'), redirect_uri: registered, code_verifier: again.verifier });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error, 'invalid_grant');
});

test('Deny redirects with access_denied, state and iss; no code is stored', async () => {
  const as = await discover();
  const client = await registerClient({ client_name: 'E2E Denied App', redirect_uris: [APP_REDIRECT] }, { as });
  const auth = await authorize({
    as, client, redirectUri: APP_REDIRECT, approve: false,
    onConsent: async (page) => { await page.locator('#wpoa-deny').focus(); },
    screenshotPath: 'docs/screenshots/consent-deny.png',
  });
  assert.equal(auth.params.get('error'), 'access_denied');
  assert.equal(auth.params.get('state'), auth.state);
  assert.equal(auth.params.get('iss'), site.url);
  assert.equal(auth.params.get('code'), null);
  assert.throws(() => validateCallback(as, client, auth.params, auth.state), (e) => e instanceof oauth.AuthorizationResponseError && e.error === 'access_denied');
  assert.equal(dbQuery(`SELECT COUNT(*) AS n FROM wp_oauth_codes WHERE client_id = '${sql(client.client_id)}'`)[0].n, '0');
});

test('replaying a code: invalid_grant, and the grant it issued is revoked (tokens stop working)', async () => {
  const as = await discover();
  const client = await registerClient({ client_name: 'E2E Replay', redirect_uris: [APP_REDIRECT] }, { as });
  const auth = await authorize({ as, client, redirectUri: APP_REDIRECT, scope: 'read' });
  const tokens = await exchangeCode({ as, client, params: auth.params, redirectUri: APP_REDIRECT, verifier: auth.verifier, state: auth.state });
  const { payload } = await verifyAccessToken(tokens.access_token, as);

  await assert.rejects(
    exchangeCode({ as, client, params: auth.params, redirectUri: APP_REDIRECT, verifier: auth.verifier, state: auth.state }),
    (e) => e instanceof oauth.ResponseBodyError && e.error === 'invalid_grant' && e.status === 400,
  );
  const grant = dbQuery(`SELECT status, revoked_reason FROM wp_oauth_grants WHERE id = ${Number(payload.grant_id)}`)[0];
  assert.deepEqual(grant, { status: 'revoked', revoked_reason: 'code_replay' });
  const me = await httpsFetch('/wp-json/wp/v2/users/me', { headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(me.status, 401, 'the access token from the replayed code no longer works');
  // And its refresh token is dead too.
  const refresh = await tokenRequest({ grant_type: 'refresh_token', client_id: client.client_id, refresh_token: tokens.refresh_token });
  assert.equal(refresh.status, 400);
  assert.equal(refresh.body.error, 'invalid_grant');
});

test('a wrong code_verifier burns the code: invalid_grant, then invalid_grant with the right one', async () => {
  const as = await discover();
  const client = await registerClient({ client_name: 'E2E PKCE', redirect_uris: [APP_REDIRECT] }, { as });
  const auth = await authorize({ as, client, redirectUri: APP_REDIRECT, scope: 'read' });
  const other = await pkce();
  const form = { grant_type: 'authorization_code', client_id: client.client_id, code: auth.params.get('code'), redirect_uri: APP_REDIRECT };
  const wrong = await tokenRequest({ ...form, code_verifier: other.verifier });
  assert.equal(wrong.status, 400);
  assert.equal(wrong.body.error, 'invalid_grant');
  assert.equal(wrong.headers.get('cache-control'), 'no-store');
  const right = await tokenRequest({ ...form, code_verifier: auth.verifier });
  assert.equal(right.status, 400);
  assert.equal(right.body.error, 'invalid_grant');
});

test('remembered consent: no screen for the same scope; prompt=consent shows it again; prompt=none answers at once', async () => {
  const as = await discover();
  const client = await registerClient({ client_name: 'E2E Remembered', client_uri: 'https://remembered.example.net/', redirect_uris: [APP_REDIRECT] }, { as });
  const browser = await sessionBrowser();
  const first = await authorize({ as, client, browser, redirectUri: APP_REDIRECT, scope: 'read write' });
  assert.equal(first.sawConsent, true);
  await exchangeCode({ as, client, params: first.params, redirectUri: APP_REDIRECT, verifier: first.verifier, state: first.state });

  const second = await authorize({ as, client, browser, redirectUri: APP_REDIRECT, scope: 'read' });
  assert.equal(second.sawConsent, false, 'a narrower scope than approved is not asked again');
  assert.ok(second.params.get('code'));

  const silent = await authorize({ as, client, browser, redirectUri: APP_REDIRECT, scope: 'read', prompt: 'none' });
  assert.equal(silent.sawConsent, false);
  assert.ok(silent.params.get('code'), 'prompt=none with consent on file gives a code');

  const wider = await authorize({ as, client, browser, redirectUri: APP_REDIRECT, scope: 'read write full', prompt: 'none' });
  assert.equal(wider.params.get('error'), 'consent_required');

  const again = await authorize({
    as, client, browser, redirectUri: APP_REDIRECT, scope: 'read write', prompt: 'consent',
    onConsent: async (page) => assert.match(await page.locator('#wpoa-consent').innerText(), /approved this application before/),
    screenshotPath: 'docs/screenshots/consent-already-approved.png',
  });
  assert.equal(again.sawConsent, true);
  assert.ok(again.params.get('code'));
});

test('prompt=none without a session answers login_required without showing a page', async () => {
  const as = await discover();
  const client = await registerClient({ redirect_uris: [APP_REDIRECT] }, { as });
  const auth = await authorize({ as, client, redirectUri: APP_REDIRECT, prompt: 'none' });
  assert.equal(auth.sawConsent, false);
  assert.equal(auth.params.get('error'), 'login_required');
  assert.equal(auth.params.get('iss'), site.url);
});

test('unknown client and unregistered redirect_uri: an error page (400), never a redirect', async () => {
  const as = await discover();
  const client = await registerClient({ redirect_uris: [APP_REDIRECT] }, { as });
  const { challenge } = await pkce();
  for (const [label, u] of [
    ['unknown client', buildAuthorizationUrl(as, { client_id: 'no-such-client' }, { redirectUri: APP_REDIRECT, scope: 'read', state: 's', challenge })],
    ['foreign redirect_uri', buildAuthorizationUrl(as, client, { redirectUri: 'https://attacker.example/cb', scope: 'read', state: 's', challenge })],
  ]) {
    // The published endpoint (no query) hands the request on to the login screen, unchanged.
    const first = await httpsFetch(u.href);
    assert.equal(first.status, 302, label);
    assert.equal(first.headers.get('location'), `${site.url}/wp-login.php?action=oauth_authorize&${u.search.slice(1)}`, label);
    assert.equal(first.headers.get('cache-control'), 'no-store, no-cache, must-revalidate, max-age=0');
    const res = await httpsFetch(first.headers.get('location'));
    const html = await res.text();
    assert.equal(res.status, 400, label);
    assert.equal(res.headers.get('location'), null, label);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.match(res.headers.get('content-security-policy'), /frame-ancestors 'none'/);
    assert.match(html, /id="wpoa-error"/, label);
    assert.doesNotMatch(html, /attacker\.example/, 'the foreign URI is not echoed');
  }
});

test('"Not you?" logs out and comes back to the same request for another account', async () => {
  const as = await discover();
  const client = await registerClient({ client_name: 'E2E Switch', redirect_uris: [APP_REDIRECT] }, { as });
  const browser = await sessionBrowser();
  await authorize({ as, client, browser, redirectUri: APP_REDIRECT, role: 'author', approve: false });
  const auth = await authorize({
    as, client, browser, redirectUri: APP_REDIRECT, role: 'subscriber', scope: 'read',
    onConsent: async (page) => {
      if (/\(author\)/.test(await page.locator('#wpoa-user').innerText())) {
        // Log out, then wait until the redirects after it have settled on the login form
        // (filling a form that is about to be replaced would submit an empty one).
        await Promise.all([page.waitForURL(/wp-login\.php/, { waitUntil: 'load' }), page.click('#wpoa-not-you')]);
        await page.waitForSelector('#loginform');
        await page.waitForLoadState('load');
        await page.fill('#user_login', site.users.subscriber.login);
        await page.fill('#user_pass', site.users.subscriber.password);
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#wp-submit')]);
        const landed = await page.waitForSelector('#wpoa-consent-form, #login_error', { state: 'attached' });
        const id = await landed.evaluate((n) => n.id);
        assert.equal(id, 'wpoa-consent-form', id === 'login_error' ? `login refused: ${await landed.innerText()} at ${page.url()}` : '');
        assert.match(await page.locator('#wpoa-user').innerText(), /\(subscriber\)/);
      }
    },
  });
  const tokens = await exchangeCode({ as, client, params: auth.params, redirectUri: APP_REDIRECT, verifier: auth.verifier, state: auth.state });
  const { payload } = await verifyAccessToken(tokens.access_token, as);
  assert.equal(payload.sub, String(site.users.subscriber.id));
});

test('confidential client with client_secret_basic; a wrong secret is 401 invalid_client', async () => {
  const as = await discover();
  const client = await registerClient({ client_name: 'E2E Confidential', token_endpoint_auth_method: 'client_secret_basic', redirect_uris: [loopbackRedirect('/callback')] }, { as });
  assert.ok(client.client_secret);
  const redirectUri = client.redirect_uris[0];
  const auth = await authorize({ as, client, redirectUri, scope: 'read' });
  const bad = await oauth.authorizationCodeGrantRequest(as, { client_id: client.client_id }, oauth.ClientSecretBasic('wrong-secret'), validateCallback(as, client, auth.params, auth.state), redirectUri, auth.verifier, fetchOpts);
  assert.equal(bad.status, 401);
  assert.match(bad.headers.get('www-authenticate'), /^Basic realm=/);
  assert.equal((await bad.json()).error, 'invalid_client');
  // Client authentication failed before the code was looked at: it still works.
  const res = await oauth.authorizationCodeGrantRequest(as, { client_id: client.client_id }, clientAuthFor(client), validateCallback(as, client, auth.params, auth.state), redirectUri, auth.verifier, fetchOpts);
  const tokens = await oauth.processAuthorizationCodeResponse(as, { client_id: client.client_id }, res);
  assert.equal(tokens.scope, 'read');
});

test('the token endpoint answers GET with 405, JSON bodies with invalid_request, unknown grants with unsupported_grant_type', async () => {
  const as = await discover();
  const get = await httpsFetch(as.token_endpoint);
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  assert.equal((await get.json()).error, 'invalid_request');
  const json = await httpsFetch(as.token_endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'authorization_code' }) });
  assert.equal(json.status, 400);
  assert.equal((await json.json()).error, 'invalid_request');
  const client = await registerClient({ redirect_uris: [APP_REDIRECT] }, { as });
  const pw = await tokenRequest({ grant_type: 'password', client_id: client.client_id, username: 'admin', password: 'x' });
  assert.equal(pw.status, 400);
  assert.equal(pw.body.error, 'unsupported_grant_type');
});
