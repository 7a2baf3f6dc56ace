// The client guide's examples (docs/examples/) run against the real stack, so they cannot rot.
// Each example is spawned with the site URL exactly as a developer would run it; the test plays
// the user: it opens the URL the example prints in headless Chromium, logs in as `author`, checks
// the consent screen names the app, and clicks Approve. The shell example has no listener, so the
// test hands it the redirect address on stdin, as a person would paste it.
// Truth comes from outside the examples: site.json (the user), the database (client, grant,
// refresh-token rows), and the browser (the redirect it made).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { site, REPO, launchBrowser, loginAs, dbQuery, screenshot } from './lib/site.mjs';

const EXAMPLES = join(REPO, 'docs/examples');
const PYTHON = join(REPO, '.venv/bin/python');
const USER = site.users.author;
const TIMEOUT = 120_000;

before(() => {
  // Idempotent set-up, quick when already done: the JS example's own package, the Python venv.
  if (!existsSync(join(EXAMPLES, 'js/node_modules/oauth4webapi'))) {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: join(EXAMPLES, 'js'), stdio: 'inherit' });
  }
  execFileSync('bash', [join(REPO, 'scripts/python-venv.sh')], { stdio: 'inherit' });
});

/** Runs an example, plays the user in the browser, resolves with its output once it exits. */
async function runExample(cmd, args, { pasteRedirect = false, screenshotPath = null } = {}) {
  const child = spawn(cmd, args, {
    cwd: REPO,
    env: {
      ...process.env,
      NODE_EXTRA_CA_CERTS: site.ca_cert,
      REQUESTS_CA_BUNDLE: site.ca_cert,
      CURL_CA_BUNDLE: site.ca_cert,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  child.stderr.on('data', (d) => { stderr += d; });
  const authorizationUrl = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = stdout.match(/^Open this URL in your browser: (\S+)$/m);
      if (m) resolve(m[1]);
    });
    exited.then((code) => reject(new Error(`example exited (${code}) before printing the URL\n${stdout}\n${stderr}`)));
  });

  const clientId = stdout.match(/^Registered client_id (\S+)$/m)?.[1];
  assert.ok(clientId, `the example printed its client_id:\n${stdout}`);

  const browser = await launchBrowser();
  let redirect;
  try {
    await loginAs(browser.page, 'author');
    await browser.page.goto(authorizationUrl);
    const [row] = dbQuery(`SELECT client_name FROM wp_oauth_clients WHERE client_id = '${clientId.replace(/[^A-Za-z0-9_-]/g, '')}'`);
    assert.ok(row, 'the registered client is in the database');
    assert.match(await browser.page.locator('body').innerText(), new RegExp(escapeRe(row.client_name)), 'the consent screen names the app');
    if (screenshotPath) await screenshot(browser.page, screenshotPath);
    const request = browser.page.waitForRequest((r) => r.url().startsWith('http://127.0.0.1:'));
    await browser.page.click('#wpoa-approve');
    redirect = new URL((await request).url());
    if (pasteRedirect) child.stdin.write(`${redirect.href}\n`);
  } finally {
    await browser.close();
  }
  const code = await exited;
  assert.equal(code, 0, `example exited ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  return { stdout, clientId, redirect };
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** What every example must have done, checked against site.json and the database. */
function assertCompleteRun({ stdout, clientId, redirect }, clientName) {
  // The browser was sent back with code, state and the issuer (RFC 9207).
  assert.equal(redirect.hostname, '127.0.0.1');
  assert.ok(redirect.searchParams.get('code'));
  assert.equal(redirect.searchParams.get('iss'), site.url);

  const [user] = dbQuery(`SELECT ID, user_login, display_name FROM wp_users WHERE ID = ${Number(USER.id)}`);
  assert.equal(user.user_login, USER.login);
  assert.match(stdout, new RegExp(`^Connected as ${escapeRe(user.display_name)} \\(user ${user.ID}, login ${escapeRe(user.user_login)}\\)$`, 'm'));
  assert.match(stdout, /^Got an access token \(expires in 3600 s, scope "read"\) and a refresh token$/m);
  assert.match(stdout, /^Refreshed: still .+; the refresh token rotated: (true|True)$/m);
  assert.match(stdout, /^Revoked: the API now answers 401 bearer error="invalid_token" to the old access token$/m);

  const id = clientId.replace(/[^A-Za-z0-9_-]/g, '');
  const [client] = dbQuery(`SELECT client_name, token_endpoint_auth_method, client_secret_hash, first_authorized_at FROM wp_oauth_clients WHERE client_id = '${id}'`);
  assert.equal(client.client_name, clientName);
  assert.equal(client.token_endpoint_auth_method, 'none');
  assert.equal(client.client_secret_hash, null, 'a public client has no secret');
  assert.notEqual(client.first_authorized_at, null);

  const grants = dbQuery(`SELECT id, user_id, scope, status, revoked_reason FROM wp_oauth_grants WHERE client_id = '${id}'`);
  assert.equal(grants.length, 1, 'one approval, one grant');
  assert.equal(Number(grants[0].user_id), USER.id);
  assert.equal(grants[0].scope, 'read');
  assert.equal(grants[0].status, 'revoked');
  assert.equal(grants[0].revoked_reason, 'token_revoked', 'ended by the RFC 7009 revocation of the example');

  const refresh = dbQuery(`SELECT used_at FROM wp_oauth_refresh_tokens WHERE grant_id = ${Number(grants[0].id)} ORDER BY id`);
  assert.equal(refresh.length, 2, 'the first refresh token and its rotated successor');
  assert.notEqual(refresh[0].used_at, null, 'the first one was spent by the refresh');
  assert.equal(refresh[1].used_at, null);
}

test('JavaScript example (oauth4webapi) connects, calls the API, refreshes and revokes', { timeout: TIMEOUT }, async () => {
  // The README shows this consent screen: a real one, from this run.
  const run = await runExample(process.execPath, [join(EXAMPLES, 'js/connect.mjs'), site.url], { screenshotPath: 'docs/screenshots/consent-screen.png' });
  assertCompleteRun(run, 'Example CLI (oauth4webapi)');
});

test('Python example (Authlib) follows RFC 9728 discovery, connects, refreshes and revokes', { timeout: TIMEOUT }, async () => {
  const run = await runExample(PYTHON, [join(EXAMPLES, 'python/connect.py'), site.url]);
  assertCompleteRun(run, 'Example agent (Authlib)');
  // It asked for this API as the resource (RFC 8707) and the site accepted it.
  assert.equal(new URL(run.stdout.match(/^Open this URL in your browser: (\S+)$/m)[1]).searchParams.get('resource'), `${site.url}/wp-json/`);
});

test('shell example (curl) connects with a pasted redirect, refreshes and revokes', { timeout: TIMEOUT }, async () => {
  const run = await runExample('bash', [join(EXAMPLES, 'shell/connect.sh'), site.url], { pasteRedirect: true });
  assertCompleteRun(run, 'Example shell script (curl)');
  assert.equal(`${run.redirect.origin}${run.redirect.pathname}`, 'http://127.0.0.1:8976/callback');
});

test('client-guide.md shows the examples exactly as they are tested', () => {
  const guide = readFileSync(join(REPO, 'docs/client-guide.md'), 'utf8');
  for (const file of ['js/connect.mjs', 'js/device.mjs', 'python/connect.py', 'shell/connect.sh']) {
    const marker = `<!-- include: examples/${file} -->\n`;
    const at = guide.indexOf(marker);
    assert.ok(at >= 0, `client-guide.md includes examples/${file}`);
    const fenceStart = guide.indexOf('\n', at + marker.length) + 1;
    const fenceEnd = guide.indexOf('\n```\n', fenceStart);
    assert.equal(guide.slice(fenceStart, fenceEnd + 1), readFileSync(join(EXAMPLES, file), 'utf8'),
      `the block for examples/${file} is out of date: run bash scripts/docs.sh`);
  }
});

test('client-guide.md shows the authorization server metadata exactly as the site answers it', async () => {
  const guide = readFileSync(join(REPO, 'docs/client-guide.md'), 'utf8');
  const intro = guide.indexOf('The metadata (what the local test site answers');
  assert.ok(intro >= 0, 'client-guide.md shows the metadata');
  const start = guide.indexOf('```json\n', intro) + '```json\n'.length;
  const shown = JSON.parse(guide.slice(start, guide.indexOf('\n```\n', start)).replaceAll('https://example.com', site.url));
  const res = await fetch(`${site.url}/.well-known/oauth-authorization-server`);
  assert.equal(res.status, 200);
  assert.deepEqual(shown, await res.json(), 'the metadata in client-guide.md differs from what the site answers');
});

test('host-guide.md documents every wpoa_ filter and action the plugin has', () => {
  const guide = readFileSync(join(REPO, 'docs/host-guide.md'), 'utf8');
  const php = execFileSync('grep', ['-rhoPz', "(apply_filters|do_action)\\(\\s*'wpoa_[a-z_]+'", join(REPO, 'wp-plugin')], { encoding: 'utf8' });
  const hooks = [...new Set([...php.matchAll(/'(wpoa_[a-z_]+)'/g)].map((m) => m[1]))].sort();
  assert.ok(hooks.length >= 40, `found the plugin's hooks (${hooks.length})`);
  const missing = hooks.filter((h) => !guide.includes(`| \`${h}\` |`));
  assert.deepEqual(missing, [], 'every hook has a row in a table of docs/host-guide.md');
});

test('the rendered diagrams and the Markdown are made from the current sources (scripts/docs.sh --check)', () => {
  execFileSync('bash', [join(REPO, 'scripts/docs.sh'), '--check'], { encoding: 'utf8', stdio: 'pipe' });
});
