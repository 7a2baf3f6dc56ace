// client_credentials (RFC 6749 §4.4) for service accounts over real HTTPS: an administrator binds
// a confidential client to a user on Users → OAuth Service Accounts in Chromium; openid-client gets
// tokens with client_secret_basic; the REST API runs as that user, narrowed by the scope; the
// refusal paths answer the RFC errors. Truth: openid-client, the browser, the database, literals.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { site, launchBrowser, loginAs, wpEvalJson, dbQuery, httpsFetch, postJson } from './lib/site.mjs';

const REST = `${site.url}/wp-json`;
let browser;
let svc; // { client_id, client_secret }
let serviceUser; // { id, login }

/** A confidential client as an administrator creates it on the OAuth Clients screen. */
function adminClient(meta = {}) {
  return wpEvalJson(`
    $id = \\Wpoa\\Crypto::random_token(16); $secret = \\Wpoa\\Crypto::random_token(32);
    \\Wpoa\\Client_Repository::insert(['client_id' => $id, 'client_secret_hash' => \\Wpoa\\Crypto::secret_hash($secret),
      'token_endpoint_auth_method' => 'client_secret_basic', 'redirect_uris' => ['https://svc.example/cb'],
      'metadata' => array_merge(['client_name' => 'Release bot', 'grant_types' => ['authorization_code']], json_decode('${JSON.stringify(meta)}', true)),
      'registered_by' => ${Number(site.users.admin.id)}]);
    echo json_encode(['client_id' => $id, 'client_secret' => $secret]);`);
}

async function configFor(c) {
  return client.discovery(new URL(site.url), c.client_id, {}, client.ClientSecretBasic(c.client_secret), { algorithm: 'oauth2' });
}

/** Binds on the admin screen, as an administrator would. */
async function bindInBrowser(clientId, userId, scopes) {
  const page = browser.page;
  await page.goto(`${site.url}/wp-admin/users.php?page=wpoa-service-accounts`);
  await page.selectOption('#wpoa-sa-client', clientId);
  await page.selectOption('#wpoa-sa-user', String(userId));
  for (const box of await page.locator('#wpoa-sa-form input[name="scope[]"]').all()) {
    const want = scopes.includes(await box.getAttribute('value'));
    if (want !== await box.isChecked()) await box.click();
  }
  await page.click('#wpoa-sa-bind');
  return page.locator('#wpoa-sa-notice').innerText();
}

before(async () => {
  serviceUser = wpEvalJson(`$login = 'svc' . strtolower(wp_generate_password(8, false));
    $id = wp_insert_user(['user_login' => $login, 'user_pass' => wp_generate_password(24), 'user_email' => "$login@example.com", 'role' => 'author', 'display_name' => 'Release bot account']);
    echo json_encode(['id' => $id, 'login' => $login]);`);
  svc = adminClient();
  browser = await launchBrowser();
  await loginAs(browser.page, 'admin');
});
after(async () => { await browser?.close(); });

test('an administrator binds a client to a service user; openid-client gets a token that acts as that user', { timeout: 120_000 }, async () => {
  // Before the binding the grant type is not the client's.
  const config = await configFor(svc);
  await assert.rejects(client.clientCredentialsGrant(config, { scope: 'read' }), (e) => e.error === 'unauthorized_client');

  assert.match(await bindInBrowser(svc.client_id, serviceUser.id, ['read', 'write']), /now acts as this user/);
  const tokens = await client.clientCredentialsGrant(config, { scope: 'read' });
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.equal(tokens.scope, 'read');
  assert.equal(tokens.refresh_token, undefined, 'no refresh token (RFC 6749 §4.4.3)');

  const me = await client.fetchProtectedResource(config, tokens.access_token, new URL(`${REST}/wp/v2/users/me`), 'GET');
  assert.equal(me.status, 200);
  const user = await me.json();
  assert.equal(user.id, serviceUser.id);
  assert.equal(user.name, 'Release bot account');

  // The scope narrows what the (author) user could do: a read token cannot write.
  const write = await httpsFetch('/wp-json/wp/v2/posts', { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'from a read token', status: 'draft' }) });
  assert.equal(write.status, 403);
  assert.equal((await write.json()).code, 'insufficient_scope');
  // A write token can, as that user (the post is theirs).
  const writer = await client.clientCredentialsGrant(config, { scope: 'write' });
  const created = await httpsFetch('/wp-json/wp/v2/posts', { method: 'POST', headers: { authorization: `Bearer ${writer.access_token}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Release 1.2 notes', status: 'draft' }) });
  assert.equal(created.status, 201);
  const post = await created.json();
  assert.equal(post.author, serviceUser.id);
  // …but never beyond the author role: pages are `write` content, and authors cannot create them.
  const page = await httpsFetch('/wp-json/wp/v2/pages', { method: 'POST', headers: { authorization: `Bearer ${writer.access_token}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'not mine to make' }) });
  assert.equal(page.status, 403);
  assert.equal((await page.json()).code, 'rest_cannot_create');

  // Beyond the bound maximum.
  await assert.rejects(client.clientCredentialsGrant(config, { scope: 'full' }), (e) => e.error === 'invalid_scope');

  // The service user's authorized applications (here on their profile, as an administrator sees it) list it.
  await browser.page.goto(`${site.url}/wp-admin/user-edit.php?user_id=${serviceUser.id}`);
  const listed = browser.page.locator('tr[data-grant]', { hasText: 'Release bot' });
  const [admin] = dbQuery(`SELECT display_name FROM wp_users WHERE ID = ${Number(site.users.admin.id)}`);
  assert.equal(await listed.locator('.wpoa-service-account').innerText(), `Service account, set up by ${admin.display_name}`);

  // The binding is a grant of the service user, as the database shows.
  const grants = dbQuery(`SELECT user_id, scope, status FROM wp_oauth_grants WHERE client_id = '${svc.client_id.replace(/[^A-Za-z0-9_-]/g, '')}'`);
  assert.deepEqual(grants, [{ user_id: String(serviceUser.id), scope: 'read write', status: 'active' }]);
});

test('refusals: public and self-registered clients, wrong secret; removing the binding ends the tokens', { timeout: 120_000 }, async () => {
  // A public client asking for client_credentials.
  const pub = await postJson(`${REST}/wp-oauth/v1/register`, { client_name: 'cli', redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' }, { json: true });
  const res = await postJson(`${REST}/wp-oauth/v1/token`, { grant_type: 'client_credentials', client_id: pub.body.client_id });
  assert.equal(res.status, 400);
  assert.equal(res.body.error, 'unauthorized_client');
  // A self-registered confidential client does not appear on the screen and cannot use it.
  const reg = await postJson(`${REST}/wp-oauth/v1/register`, { client_name: 'self-registered svc', redirect_uris: ['https://x.example/cb'], token_endpoint_auth_method: 'client_secret_basic' }, { json: true });
  assert.equal(reg.status, 201);
  await browser.page.goto(`${site.url}/wp-admin/users.php?page=wpoa-service-accounts`);
  const options = await browser.page.locator('#wpoa-sa-client option').evaluateAll((els) => els.map((e) => e.value));
  assert.ok(options.includes(svc.client_id));
  assert.ok(!options.includes(reg.body.client_id));
  await assert.rejects(client.clientCredentialsGrant(await configFor(reg.body), {}), (e) => e.error === 'unauthorized_client');
  // Registration asking for it.
  const asks = await postJson(`${REST}/wp-oauth/v1/register`, { client_name: 'svc', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' }, { json: true });
  assert.equal(asks.status, 400);
  assert.equal(asks.body.error, 'invalid_client_metadata');
  // A wrong secret: 401 with a Basic challenge (RFC 6749 §5.2), which openid-client reports as such.
  await assert.rejects(client.clientCredentialsGrant(await configFor({ client_id: svc.client_id, client_secret: 'wrong' }), {}), (e) => e.status === 401 && /^Basic/i.test(e.response?.headers.get('www-authenticate') ?? ''));

  // Remove the binding on the screen: the token issued before stops working at once.
  const config = await configFor(svc);
  const tokens = await client.clientCredentialsGrant(config, { scope: 'read' });
  const row = browser.page.locator('#wpoa-sa-list tr', { hasText: svc.client_id });
  await row.locator('input[type=submit]').click();
  assert.match(await browser.page.locator('#wpoa-sa-notice').innerText(), /removed/);
  const after = await httpsFetch('/wp-json/wp/v2/users/me', { headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(after.status, 401);
  assert.match(after.headers.get('www-authenticate'), /error="invalid_token"/);
  await assert.rejects(client.clientCredentialsGrant(config, {}), (e) => e.error === 'unauthorized_client');
});
