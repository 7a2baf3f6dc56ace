// The device authorization grant (RFC 8628) over real HTTPS: the client guide's CLI example
// (openid-client) polls while Chromium plays the person on the verification page; openid-client
// itself drives a denial; raw requests check every polling error; the user codes' alphabet and
// the brute-force lockout of the verification page are checked from the outside.
// Truth comes from outside the plugin: openid-client's RFC 8628 implementation, the browser,
// site.json (the users), the database (rows), and literal expected values.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as client from 'openid-client';
import { site, REPO, launchBrowser, loginAs, dbQuery, postJson, getJson, screenshot } from './lib/site.mjs';

const EXAMPLES = join(REPO, 'docs/examples');
const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const REST = `${site.url}/wp-json/wp-oauth/v1`;
const CODE_RE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;
const TIMEOUT = 180_000;

function clearLockouts() {
  dbQuery("DELETE FROM wp_options WHERE option_name LIKE '\\_transient%wpoa\\_devfail\\_%'");
}

before(() => {
  if (!existsSync(join(EXAMPLES, 'js/node_modules/openid-client'))) {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: join(EXAMPLES, 'js'), stdio: 'inherit' });
  }
  clearLockouts();
});
after(clearLockouts);

/** A public device client, registered by RFC 7591 through openid-client. */
async function register(grantTypes = [GRANT, 'refresh_token']) {
  return client.dynamicClientRegistration(new URL(site.url), {
    client_name: 'E2E device client',
    token_endpoint_auth_method: 'none',
    grant_types: grantTypes,
    scope: 'read write',
  }, client.None(), { algorithm: 'oauth2' });
}

function idOf(config) {
  return config.clientMetadata().client_id;
}

function safe(id) {
  return String(id).replace(/[^A-Za-z0-9_-]/g, '');
}

/** Types a code on the verification page and lands on the consent screen. */
async function typeCode(page, typed) {
  await page.goto(`${site.url}/wp-login.php?action=oauth_device`);
  await page.fill('#wpoa-user-code', typed);
  await page.click('#wpoa-device-continue');
}

test('metadata announces the device endpoint, and registration accepts a device-only client', async () => {
  const meta = await getJson('/.well-known/oauth-authorization-server');
  assert.equal(meta.body.device_authorization_endpoint, `${REST}/device_authorization`);
  assert.ok(meta.body.grant_types_supported.includes(GRANT));
  const config = await register();
  assert.deepEqual(config.clientMetadata().grant_types, ['refresh_token', GRANT]);
  assert.equal(config.serverMetadata().device_authorization_endpoint, `${REST}/device_authorization`);
  // client_credentials is never open to registration.
  const refused = await postJson(`${REST}/register`, { client_name: 'x', grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' }, { json: true });
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error, 'invalid_client_metadata');
});

test('the CLI example (openid-client) signs in while Chromium types the code', { timeout: TIMEOUT }, async () => {
  const child = spawn(process.execPath, [join(EXAMPLES, 'js/device.mjs'), site.url], {
    cwd: REPO,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: site.ca_cert },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const shown = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = stdout.match(/^On any device, open (\S+) and type the code (\S+)$/m);
      if (m) resolve({ uri: m[1], code: m[2] });
    });
    exited.then((code) => reject(new Error(`example exited (${code}) early\n${stdout}\n${stderr}`)));
  });
  assert.equal(shown.uri, `${site.url}/wp-login.php?action=oauth_device`);
  assert.match(shown.code, CODE_RE);
  const clientId = safe(stdout.match(/^Registered client_id (\S+)$/m)[1]);

  const browser = await launchBrowser();
  try {
    await loginAs(browser.page, 'author');
    // Typed as a person might: lower case, no dash.
    await typeCode(browser.page, shown.code.replace('-', '').toLowerCase());
    const text = await browser.page.locator('#wpoa-consent').innerText();
    assert.match(text, /Example device CLI \(openid-client\) wants to access your account/);
    assert.match(text, new RegExp(shown.code));
    assert.deepEqual(await browser.page.locator('.wpoa-scopes li').evaluateAll((els) => els.map((e) => e.dataset.scope)), ['read']);
    await screenshot(browser.page, 'docs/screenshots/device-consent.png');
    await browser.page.click('#wpoa-approve');
    assert.match(await browser.page.locator('#wpoa-device-done').innerText(), /connected/);
  } finally {
    await browser.close();
  }
  const code = await exited;
  assert.equal(code, 0, `example exited ${code}\n${stdout}\n${stderr}`);
  const [user] = dbQuery(`SELECT ID, display_name FROM wp_users WHERE ID = ${Number(site.users.author.id)}`);
  assert.match(stdout, /^Got an access token \(expires in 3600 s, scope "read"\) and a refresh token$/m);
  assert.match(stdout, new RegExp(`^Connected as ${user.display_name} \\(user ${user.ID}\\)$`, 'm'));

  const grants = dbQuery(`SELECT id, user_id, scope, status FROM wp_oauth_grants WHERE client_id = '${clientId}'`);
  assert.equal(grants.length, 1);
  assert.equal(Number(grants[0].user_id), site.users.author.id);
  assert.equal(grants[0].scope, 'read');
  assert.equal(grants[0].status, 'active');
  const rows = dbQuery(`SELECT status, grant_id FROM wp_oauth_device_codes WHERE client_id = '${clientId}'`);
  assert.deepEqual(rows, [{ status: 'redeemed', grant_id: grants[0].id }]);
  const refresh = dbQuery(`SELECT COUNT(*) AS n FROM wp_oauth_refresh_tokens WHERE grant_id = ${Number(grants[0].id)}`);
  assert.equal(refresh[0].n, '1');
});

test('verification_uri_complete fills the code in but approves nothing; Deny ends the poll with access_denied', { timeout: TIMEOUT }, async () => {
  const config = await register();
  const device = await client.initiateDeviceAuthorization(config, { scope: 'read' });
  assert.match(device.user_code, CODE_RE);
  const polled = client.pollDeviceAuthorizationGrant(config, device).then(() => 'tokens', (e) => e);

  const browser = await launchBrowser();
  try {
    await loginAs(browser.page, 'subscriber');
    await browser.page.goto(device.verification_uri_complete);
    assert.equal(await browser.page.inputValue('#wpoa-user-code'), device.user_code);
    const [row] = dbQuery(`SELECT status FROM wp_oauth_device_codes WHERE client_id = '${safe(idOf(config))}'`);
    assert.equal(row.status, 'pending', 'opening the complete URI approved nothing');
    await browser.page.click('#wpoa-device-continue');
    await browser.page.click('#wpoa-deny');
    assert.match(await browser.page.locator('#wpoa-device-done').innerText(), /denied/i);
  } finally {
    await browser.close();
  }
  const outcome = await polled;
  assert.ok(outcome instanceof Error, 'openid-client did not get tokens');
  assert.equal(outcome.error, 'access_denied');
  assert.equal(dbQuery(`SELECT COUNT(*) AS n FROM wp_oauth_grants WHERE client_id = '${safe(idOf(config))}'`)[0].n, '0');
});

test('raw polling: authorization_pending, slow_down, recovery, expired_token, spent codes', { timeout: TIMEOUT }, async () => {
  const config = await register();
  const id = idOf(config);
  const started = await postJson(`${REST}/device_authorization`, { client_id: id, scope: 'read' });
  assert.equal(started.status, 200);
  assert.equal(started.headers.get('cache-control'), 'no-store');
  assert.equal(started.body.interval, 5);
  assert.equal(started.body.expires_in, 600);
  const poll = () => postJson(`${REST}/token`, { grant_type: GRANT, client_id: id, device_code: started.body.device_code });

  let res = await poll();
  assert.equal(res.status, 400);
  assert.equal(res.body.error, 'authorization_pending');
  res = await poll();
  assert.equal(res.body.error, 'slow_down');
  const [row] = dbQuery(`SELECT poll_interval FROM wp_oauth_device_codes WHERE client_id = '${safe(id)}'`);
  assert.equal(row.poll_interval, '10', 'RFC 8628 §3.5: 5 seconds more');
  // A client that obeys (waits the new 10 s) is answered normally again.
  await new Promise((r) => setTimeout(r, 10_000));
  res = await poll();
  assert.equal(res.body.error, 'authorization_pending');

  // Another client cannot use this device code; a code-only client cannot use the grant.
  const other = await register();
  const stolen = await postJson(`${REST}/token`, { grant_type: GRANT, client_id: idOf(other), device_code: started.body.device_code });
  assert.equal(stolen.body.error, 'invalid_grant');
  const codeOnly = await postJson(`${REST}/register`, { client_name: 'code only', redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' }, { json: true });
  assert.equal(codeOnly.status, 201);
  const unauthorized = await postJson(`${REST}/device_authorization`, { client_id: codeOnly.body.client_id });
  assert.equal(unauthorized.body.error, 'unauthorized_client');
  const unauthorizedPoll = await postJson(`${REST}/token`, { grant_type: GRANT, client_id: codeOnly.body.client_id, device_code: started.body.device_code });
  assert.equal(unauthorizedPoll.body.error, 'unauthorized_client');

  // Expired.
  dbQuery(`UPDATE wp_oauth_device_codes SET expires_at = UNIX_TIMESTAMP() - 1 WHERE client_id = '${safe(id)}'`);
  res = await poll();
  assert.equal(res.body.error, 'expired_token');
});

test('user codes: 8 letters of a 20-letter alphabet without look-alikes, all different', async () => {
  const config = await register();
  const seen = new Set();
  for (let i = 0; i < 30; i++) {
    const res = await postJson(`${REST}/device_authorization`, { client_id: idOf(config) });
    assert.equal(res.status, 200);
    assert.match(res.body.user_code, CODE_RE);
    seen.add(res.body.user_code);
  }
  assert.equal(seen.size, 30);
  // The stored row holds neither code in plaintext.
  const dump = JSON.stringify(dbQuery(`SELECT * FROM wp_oauth_device_codes WHERE client_id = '${safe(idOf(config))}'`));
  for (const code of seen) {
    assert.ok(!dump.includes(code) && !dump.includes(code.replace('-', '')));
  }
});

test('wrong codes lock the verification page for the user, and a right code does not reset it', { timeout: TIMEOUT }, async () => {
  clearLockouts();
  const config = await register();
  const good = await client.initiateDeviceAuthorization(config, { scope: 'read' });
  const later = await client.initiateDeviceAuthorization(config, { scope: 'read' });
  const browser = await launchBrowser();
  try {
    await loginAs(browser.page, 'subscriber');
    for (let i = 0; i < 4; i++) {
      await typeCode(browser.page, 'BBBB-BBBB');
      assert.match(await browser.page.locator('#wpoa-device-error').innerText(), /not valid/);
    }
    await typeCode(browser.page, good.user_code);
    await browser.page.click('#wpoa-approve');
    await browser.page.locator('#wpoa-device-done').waitFor();
    await typeCode(browser.page, 'CCCC-CCCC');
    // The fifth wrong code reached the per-user limit: even a right code is refused now.
    const locked = browser.page.waitForResponse((r) => r.request().method() === 'POST');
    await typeCode(browser.page, later.user_code);
    assert.equal((await locked).status(), 429);
    assert.match(await browser.page.locator('#wpoa-device-error').innerText(), /Too many wrong codes/);
  } finally {
    await browser.close();
  }
  const rows = dbQuery(`SELECT status FROM wp_oauth_device_codes WHERE client_id = '${safe(idOf(config))}' ORDER BY id`);
  assert.deepEqual(rows.map((r) => r.status), ['approved', 'pending'], 'the locked lookup approved nothing');
  clearLockouts();
});
