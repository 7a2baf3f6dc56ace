// The Users → OAuth Clients screen in a real Chromium: list, add (secret shown once), delete,
// settings; screenshots for docs/screenshots/.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { site, launchBrowser, loginAs, screenshot, dbQuery, wpEval, wpEvalJson } from './lib/site.mjs';
import { fetchOpts } from './lib/flow.mjs';

const PAGE = `${site.url}/wp-admin/users.php?page=wpoa-clients`;
const b64 = (s) => Buffer.from(s).toString('base64');

after(() => {
  wpEval("delete_option('wpoa_registration_mode'); delete_option('wpoa_abandoned_client_ttl');");
});

test('an administrator adds a confidential client: the secret is shown once and only its hash is stored', async (t) => {
  // A self-registered client with one authorized user, so the list shows both kinds.
  const issuer = new URL(site.url);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...fetchOpts }));
  const native = await oauth.processDynamicClientRegistrationResponse(await oauth.dynamicClientRegistrationRequest(as, {
    client_name: 'WordPress Mobile (e2e)', redirect_uris: ['org.wordpress.e2e:/oauth2redirect', 'http://127.0.0.1/cb'], token_endpoint_auth_method: 'none',
  }, fetchOpts));
  wpEval(`\\Wpoa\\Grant_Repository::create('${native.client_id}', get_user_by('login', base64_decode('${b64(site.users.author.login)}'))->ID, 'read', \\Wpoa\\Urls::audience(), time()); \\Wpoa\\Client_Repository::mark_used('${native.client_id}');`);

  const b = await launchBrowser();
  t.after(() => b.close());
  const { page } = b;
  await loginAs(page, 'admin');
  await page.goto(PAGE);
  assert.match(await page.locator('h1').first().innerText(), /OAuth Clients/);
  const nativeRow = page.locator(`tr[data-client-id="${native.client_id}"]`);
  assert.match(await nativeRow.innerText(), /WordPress Mobile \(e2e\)/);
  assert.match(await nativeRow.innerText(), /Public/);
  assert.equal((await nativeRow.locator('td.wpoa-users').innerText()).trim(), '1');

  await page.click('a.page-title-action');
  await page.fill('#wpoa-client-name', 'Newsroom Dashboard');
  await page.fill('#wpoa-redirect-uris', 'https://newsroom.example.com/oauth/callback');
  await page.selectOption('#wpoa-auth-method', 'client_secret_basic');
  await page.check('input[name="scope[]"][value="read"]');
  await page.check('input[name="scope[]"][value="write"]');
  await page.click('#wpoa-client-form [type="submit"]');

  const secret = await page.inputValue('#wpoa-secret');
  assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
  const clientId = (await page.locator('#wpoa-client-id').innerText()).trim();
  await page.click('#wpoa-copy');
  await page.waitForFunction(() => document.getElementById('wpoa-copied').textContent.length > 0);
  await screenshot(page, 'docs/screenshots/admin-clients-secret-once.png');

  const stored = dbQuery(`SELECT client_secret_hash, token_endpoint_auth_method, registered_by, metadata FROM wp_oauth_clients WHERE client_id = '${clientId.replace(/[^A-Za-z0-9_-]/g, '')}'`)[0];
  assert.equal(stored.token_endpoint_auth_method, 'client_secret_basic');
  assert.equal(stored.registered_by, String(site.users.admin.id));
  assert.ok(!stored.client_secret_hash.includes(secret));
  assert.equal(JSON.parse(stored.metadata).scope, 'read write');
  const verified = wpEvalJson(`echo json_encode(\\Wpoa\\Crypto::secret_verify(base64_decode('${b64(secret)}'), \\Wpoa\\Client_Repository::find('${clientId}')->client_secret_hash));`);
  assert.equal(verified, true, 'the shown secret is the stored one');

  // Reloading the list never shows it again.
  await page.goto(PAGE);
  const html = await page.content();
  assert.ok(html.includes('Newsroom Dashboard'));
  assert.ok(!html.includes(secret), 'secret shown once only');
  assert.match(await page.locator(`tr[data-client-id="${clientId}"]`).innerText(), /Confidential/);
  await screenshot(page, 'docs/screenshots/admin-clients-list.png'); // the top of the list (the site may hold many test clients)
  await page.locator('#wpoa-settings').scrollIntoViewIfNeeded();
  await page.evaluate(() => window.scrollBy(0, -80));
  await screenshot(page, 'docs/screenshots/admin-clients-settings.png');

  // Bad redirect URI: an error on the form, nothing stored.
  const before = Number(dbQuery('SELECT COUNT(*) AS n FROM wp_oauth_clients')[0].n);
  await page.click('a.page-title-action');
  await page.fill('#wpoa-client-name', 'Bad');
  await page.fill('#wpoa-redirect-uris', 'javascript:alert(1)');
  await page.click('#wpoa-client-form [type="submit"]');
  assert.match(await page.locator('.notice-error').innerText(), /javascript/);
  assert.equal(Number(dbQuery('SELECT COUNT(*) AS n FROM wp_oauth_clients')[0].n), before);

  // Delete the self-registered client: its grant is revoked.
  await page.goto(PAGE);
  page.once('dialog', (d) => d.accept());
  await page.locator(`tr[data-client-id="${native.client_id}"]`).hover(); // row actions appear on hover
  await Promise.all([
    page.waitForURL(/wpoa_notice=deleted/),
    page.locator(`tr[data-client-id="${native.client_id}"] .row-actions button`).click(),
  ]);
  assert.equal(await page.locator(`tr[data-client-id="${native.client_id}"]`).count(), 0);
  assert.equal(dbQuery(`SELECT COUNT(*) AS n FROM wp_oauth_clients WHERE client_id = '${native.client_id}'`)[0].n, '0');
  assert.equal(dbQuery(`SELECT COUNT(*) AS n FROM wp_oauth_grants WHERE client_id = '${native.client_id}' AND status = 'active'`)[0].n, '0');

  // Settings: registration off, then back on.
  await page.check('input[name="registration_mode"][value="off"]');
  await page.fill('#wpoa-abandoned-days', '3');
  await Promise.all([page.waitForURL(/wpoa_notice=settings_saved/), page.click('#wpoa-settings-form [type="submit"]')]);
  assert.equal(dbQuery("SELECT option_value FROM wp_options WHERE option_name = 'wpoa_registration_mode'")[0].option_value, 'off');
  assert.equal(dbQuery("SELECT option_value FROM wp_options WHERE option_name = 'wpoa_abandoned_client_ttl'")[0].option_value, String(3 * 86400));
  const off = await oauth.dynamicClientRegistrationRequest(as, { redirect_uris: ['com.example.x:/cb'], token_endpoint_auth_method: 'none' }, fetchOpts);
  assert.equal(off.status, 403);
  await page.check('input[name="registration_mode"][value="open"]');
  await Promise.all([page.waitForURL(/wpoa_notice=settings_saved/), page.click('#wpoa-settings-form [type="submit"]')]);
  assert.equal(dbQuery("SELECT option_value FROM wp_options WHERE option_name = 'wpoa_registration_mode'")[0].option_value, 'open');
});

test('a subscriber cannot open the screen', async (t) => {
  const b = await launchBrowser();
  t.after(() => b.close());
  await loginAs(b.page, 'subscriber');
  const res = await b.page.goto(PAGE);
  assert.equal(res.status(), 403);
  assert.ok(!(await b.page.content()).includes('wpoa-clients-table'));
});
