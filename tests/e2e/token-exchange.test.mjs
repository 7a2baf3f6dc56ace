// RFC 8693 token exchange of an Application Password: the password is made on core's own profile
// screen in Chromium, exchanged by oauth4webapi's generic grant request, and the tokens are used
// on the REST API. Every refusal is checked to leave no grant behind (the real database).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import { fetch as undiciFetch } from 'undici';
import { site, agent, url, launchBrowser, loginAs, wpEval, wpEvalJson, dbQuery } from './lib/site.mjs';
import { discover, registerClient, loopbackRedirect, fetchOpts } from './lib/flow.mjs';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const SUBJECT_TYPE = 'urn:wp-oauth:params:oauth:token-type:application-password';
const ME = '/wp-json/wp/v2/users/me';
const MU = join(site.wp_path, 'wp-content/mu-plugins/wpoa-e2e-exchange.php');

let as;
let client; // public client registered for token exchange
let browser;
let password; // { name, value, uuid } made on core's profile screen (author)
const author = site.users.author;

const basic = (login, secret) => `Basic ${Buffer.from(`${login}:${secret}`).toString('base64')}`;

function grantCount(userId = author.id) {
  return Number(dbQuery(`SELECT COUNT(*) AS n FROM wp_oauth_grants WHERE user_id = ${Number(userId)}`)[0].n);
}

function clearCounters() {
  wpEval(`global $wpdb; $wpdb->query("DELETE FROM {$wpdb->options} WHERE option_name LIKE '\\\\_transient%wpoa\\\\_xchgfail%'"); wp_cache_flush();`);
}

/** A raw exchange request: { status, headers, body }. */
async function exchange(form, { base = site.url, c = client, headers = {} } = {}) {
  const target = new URL(new URL(as.token_endpoint).pathname, base).href;
  const res = await undiciFetch(target, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body: new URLSearchParams({ grant_type: GRANT, client_id: c.client_id, subject_token_type: SUBJECT_TYPE, ...form }).toString(),
  });
  const text = await res.text();
  let body;
  try { body = JSON.parse(text); } catch { body = text; }
  return { status: res.status, headers: res.headers, body };
}

/** Makes an Application Password on core's profile screen, as the logged-in user would. */
async function newPasswordOnProfileScreen(page, name) {
  await page.goto(url('/wp-admin/profile.php'), { waitUntil: 'domcontentloaded' });
  await page.fill('#new_application_password_name', name);
  await page.click('#do_new_application_password');
  const field = page.locator('#new-application-password-value');
  await field.waitFor({ state: 'visible', timeout: 20000 });
  const value = await field.inputValue();
  const list = await undiciFetch(url(`${ME}/application-passwords`), { dispatcher: agent, headers: { authorization: basic(author.login, value) } });
  assert.equal(list.status, 200);
  const item = (await list.json()).find((p) => p.name === name);
  assert.ok(item, 'the new password is listed by core');
  return { name, value, uuid: item.uuid };
}

before(async () => {
  as = await discover({ fresh: true });
  clearCounters();
  // Test-only: lets a test switch Application Passwords off for one user, through core's own filter.
  writeFileSync(MU, `<?php
add_filter('wp_is_application_passwords_available_for_user', function ($ok, $user) {
    return $ok && ! get_user_meta($user->ID, 'wpoa_e2e_no_app_passwords', true);
}, 10, 2);
`);
  client = await registerClient({ redirect_uris: [loopbackRedirect()], grant_types: ['authorization_code', 'refresh_token', GRANT] }, { as });
  assert.ok(client.grant_types.includes(GRANT), 'registered for token exchange');
  browser = await launchBrowser();
  await loginAs(browser.page, 'author');
  password = await newPasswordOnProfileScreen(browser.page, `e2e exchange ${Date.now()}`);
});

after(async () => {
  rmSync(MU, { force: true });
  clearCounters();
  await browser?.close();
});

test('metadata lists the token exchange grant type', () => {
  assert.ok(as.grant_types_supported.includes(GRANT));
});

test('exchange with oauth4webapi: a normal grant for the user, usable and refreshable; the password still works', async () => {
  const before = grantCount();
  const res = await oauth.genericTokenEndpointRequest(as, client, oauth.None(), GRANT, {
    subject_token: `${author.login}:${password.value}`,
    subject_token_type: SUBJECT_TYPE,
    scope: 'read write',
  }, fetchOpts);
  const tokens = await oauth.processGenericTokenEndpointResponse(as, client, res);
  assert.equal(tokens.token_type, 'bearer');
  assert.equal(tokens.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token');
  assert.equal(tokens.scope, 'read write');
  assert.ok(tokens.refresh_token);
  assert.equal(grantCount(), before + 1);

  const me = await undiciFetch(url(ME), { dispatcher: agent, headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(me.status, 200);
  assert.equal((await me.json()).id, author.id);

  const r = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token, fetchOpts);
  const refreshed = await oauth.processRefreshTokenResponse(as, client, r);
  assert.ok(refreshed.access_token);

  // Kept: the password still authenticates (another device may not have migrated yet).
  const still = await undiciFetch(url(ME), { dispatcher: agent, headers: { authorization: basic(author.login, password.value) } });
  assert.equal(still.status, 200);
  assert.equal((await still.json()).id, author.id);

  // Recorded with where it came from, in the user's authorized applications.
  const row = dbQuery(`SELECT origin, client_id, scope FROM wp_oauth_grants WHERE user_id = ${author.id} ORDER BY id DESC LIMIT 1`)[0];
  assert.deepEqual(JSON.parse(row.origin), { type: 'application_password', uuid: password.uuid, name: password.name });
  assert.equal(row.client_id, client.client_id);
  const page = browser.page;
  await page.goto(url('/wp-admin/profile.php'), { waitUntil: 'domcontentloaded' });
  const text = await page.locator('#wpoa-authorized-apps').innerText();
  assert.ok(text.includes(`Connected with the Application Password “${password.name}”`), text);
});

test('the password with spaces (as core shows it) and the email as login work too; scope defaults to read', async () => {
  const spaced = password.value.replace(/(.{4})(?=.)/g, '$1 ');
  const email = wpEvalJson(`echo json_encode(get_userdata(${author.id})->user_email);`);
  const res = await exchange({ subject_token: `${email}:${spaced}` });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.scope, 'read');
  assert.equal(res.headers.get('cache-control'), 'no-store');
});

test('with a DPoP proof the exchanged tokens are bound to the client key (RFC 9449)', async () => {
  const keys = await oauth.generateKeyPair('ES256');
  const DPoP = oauth.DPoP(client, keys);
  const call = async () => oauth.processGenericTokenEndpointResponse(as, client, await oauth.genericTokenEndpointRequest(as, client, oauth.None(), GRANT, {
    subject_token: `${author.login}:${password.value}`, subject_token_type: SUBJECT_TYPE,
  }, { ...fetchOpts, DPoP }));
  let tokens;
  try { tokens = await call(); } catch (e) { if (!oauth.isDPoPNonceError(e)) throw e; tokens = await call(); }
  assert.equal(tokens.token_type, 'dpop');
  const jkt = await DPoP.calculateThumbprint();
  const row = dbQuery(`SELECT dpop_jkt FROM wp_oauth_grants WHERE user_id = ${author.id} ORDER BY id DESC LIMIT 1`)[0];
  assert.equal(row.dpop_jkt, jkt, 'the public client\'s grant is bound to the key');
  const bearer = await undiciFetch(url(ME), { dispatcher: agent, headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(bearer.status, 401, 'not usable as a bearer token');
});

test('refusals answer RFC 6749 §5.2 errors and store nothing', async () => {
  const before = grantCount();
  const cases = [
    [{ subject_token: `${author.login}:${password.value.slice(0, -1)}x` }, 400, 'invalid_grant', 'wrong password'],
    [{ subject_token: `nobody-here-${Date.now()}:${password.value}` }, 400, 'invalid_grant', 'unknown user'],
    [{ subject_token: password.value }, 400, 'invalid_request', 'no login'],
    [{ subject_token: `${author.login}:${password.value}`, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' }, 400, 'invalid_request', 'other subject token type'],
    [{ subject_token: `${author.login}:${password.value}`, subject_token_type: '' }, 400, 'invalid_request', 'no subject token type'],
    [{ subject_token: `${author.login}:${password.value}`, actor_token: 'x', actor_token_type: SUBJECT_TYPE }, 400, 'invalid_request', 'actor token'],
    [{ subject_token: `${author.login}:${password.value}`, requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }, 400, 'invalid_request', 'requested refresh token'],
    [{ subject_token: `${author.login}:${password.value}`, scope: 'full admin' }, 400, 'invalid_scope', 'beyond full'],
    [{ subject_token: `${author.login}:${password.value}`, audience: 'https://evil.example/' }, 400, 'invalid_target', 'foreign audience'],
  ];
  for (const [form, status, error, what] of cases) {
    const res = await exchange(form);
    assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error, error, what);
    assert.equal(res.body.access_token, undefined, what);
  }
  // Same description for a wrong password and an unknown user: no account oracle.
  const a = await exchange({ subject_token: `${author.login}:${'a'.repeat(24)}` });
  const b = await exchange({ subject_token: `nobody-${Date.now()}:${'a'.repeat(24)}` });
  assert.equal(a.body.error_description, b.body.error_description);

  // A client not registered for token exchange.
  const plain = await registerClient({ redirect_uris: [loopbackRedirect()] }, { as });
  const unauthorized = await exchange({ subject_token: `${author.login}:${password.value}` }, { c: plain });
  assert.equal(unauthorized.status, 400);
  assert.equal(unauthorized.body.error, 'unauthorized_client');

  // Plain HTTP: Application Passwords and OAuth both need HTTPS here.
  const http = await exchange({ subject_token: `${author.login}:${password.value}` }, { base: site.http_url });
  assert.equal(http.status, 400);
  assert.equal(http.body.error, 'invalid_request');

  assert.equal(grantCount(), before, 'no refusal stored a grant');
  clearCounters();
});

test('a revoked password and a user whose Application Passwords are disabled are refused', async () => {
  const revoked = await newPasswordOnProfileScreen(browser.page, `e2e revoked ${Date.now()}`);
  const del = await undiciFetch(url(`${ME}/application-passwords/${revoked.uuid}`), {
    method: 'DELETE', dispatcher: agent, headers: { authorization: basic(author.login, revoked.value) },
  });
  assert.equal(del.status, 200);
  const before = grantCount();
  const res = await exchange({ subject_token: `${author.login}:${revoked.value}` });
  assert.equal(res.status, 400);
  assert.equal(res.body.error, 'invalid_grant');

  const sub = site.users.subscriber;
  const made = wpEvalJson(`
    $r = WP_Application_Passwords::create_new_application_password(${sub.id}, ['name' => 'e2e disabled']);
    update_user_meta(${sub.id}, 'wpoa_e2e_no_app_passwords', 1);
    echo json_encode(['password' => $r[0], 'uuid' => $r[1]['uuid']]);`);
  const subBefore = grantCount(sub.id);
  try {
    const off = await exchange({ subject_token: `${sub.login}:${made.password}`, scope: 'read' });
    assert.equal(off.status, 400, JSON.stringify(off.body));
    assert.equal(off.body.error, 'invalid_grant');
    assert.equal(grantCount(sub.id), subBefore);
    wpEval(`delete_user_meta(${sub.id}, 'wpoa_e2e_no_app_passwords');`);
    const on = await exchange({ subject_token: `${sub.login}:${made.password}`, scope: 'read' });
    assert.equal(on.status, 200, `the same password works once allowed: ${JSON.stringify(on.body)}`);
  } finally {
    wpEval(`delete_user_meta(${sub.id}, 'wpoa_e2e_no_app_passwords'); WP_Application_Passwords::delete_application_password(${sub.id}, '${made.uuid}');`);
  }
  assert.equal(grantCount(), before);
  clearCounters();
});

test('failed passwords are rate limited like failed client secrets (429, Retry-After, even for a right one)', async () => {
  clearCounters();
  const before = grantCount();
  let limited;
  for (let i = 0; i < 12 && !limited; i++) {
    const res = await exchange({ subject_token: `${author.login}:${'b'.repeat(24)}` });
    if (res.status === 429) limited = res;
    else assert.equal(res.body.error, 'invalid_grant');
  }
  assert.ok(limited, 'locked after the per-IP limit (10)');
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
  const right = await exchange({ subject_token: `${author.login}:${password.value}` });
  assert.equal(right.status, 429, 'a right password is refused while locked');
  assert.equal(grantCount(), before);
  clearCounters();
  const after = await exchange({ subject_token: `${author.login}:${password.value}` });
  assert.equal(after.status, 200, 'works again once the window is over');
});
