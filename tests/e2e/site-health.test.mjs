// WP OAuth's Site Health checks on the real stack: the Tools → Site Health screen in headless
// Chromium on node 1 (everything set up right: every check passes), on the no-extension node
// (the extension check names the exact release artifact, as does the admin notice), and against
// the nginx server that strips the Authorization header and serves /.well-known/ as a static
// folder (site.stripped_url), where the header and discovery checks must fail for real.
// The expected artifact name is built from Cargo.toml and PHP's own `php -i`, not by the plugin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { site, url, httpsFetch, launchBrowser, loginAs, screenshot, wpEval, REPO } from './lib/site.mjs';

const DIRECT = ['wp_oauth_extension', 'wp_oauth_extension_version', 'wp_oauth_https', 'wp_oauth_other_authentication', 'wp_oauth_object_cache'];
const ASYNC = ['wp_oauth_authorization_header', 'wp_oauth_well_known', 'wp_oauth_credentials'];
const PROBE = 'WpoaProbe site-health';

const cargoVersion = readFileSync(join(REPO, 'Cargo.toml'), 'utf8').match(/^version = "([^"]+)"$/m)[1];
const phpApi = execFileSync(site.php_cli || 'php', ['-n', '-i'], { encoding: 'utf8' }).match(/^PHP Extension => (\d{8})$/m)[1];
const phpMinor = site.php_version.split('.').slice(0, 2).join('.');
const ARTIFACT = `wp-oauth-ext-${cargoVersion}-php${phpMinor}-${phpApi}.tar.gz`;

let b;
let cookie = '';
before(async () => {
  b = await launchBrowser({ viewport: { width: 1280, height: 1000 } });
  await loginAs(b.page, 'admin');
  // Login cookies are per host, not per port: the same session works on every node.
  cookie = (await b.context.cookies(site.url)).map((c) => `${c.name}=${c.value}`).join('; ');
});
after(async () => { await b?.close(); });

/** Opens Site Health on a node and returns { testId: status } for the tests whose ids start with wp_oauth_. */
async function siteHealthScreen(base, expected) {
  const { page } = b;
  await page.goto(url('/wp-admin/site-health.php', base));
  await page.waitForFunction(
    (ids) => ids.every((id) => document.getElementById(`health-check-accordion-block-${id}`)),
    expected, { timeout: 90000 },
  );
  return page.evaluate(() => Object.fromEntries(
    [...document.querySelectorAll('[id^="health-check-accordion-block-wp_oauth_"]')].map((el) => [
      el.id.replace('health-check-accordion-block-', ''),
      el.closest('[id^="health-check-issues-"]').id.replace('health-check-issues-', ''),
    ]),
  ));
}

/** The text of one test's panel on the open screen. */
function panelText(id) {
  return b.page.evaluate((i) => document.getElementById(`health-check-accordion-block-${i}`).textContent, id);
}

/** A REST nonce for the admin session (core's admin-ajax action). */
async function restNonce(base) {
  const res = await httpsFetch(url('/wp-admin/admin-ajax.php?action=rest-nonce', base), { headers: { cookie } });
  assert.equal(res.status, 200);
  return (await res.text()).trim();
}

/** GET one of the checks' REST routes as the admin session, as the Site Health screen does. */
async function runRoute(base, route, headers = {}) {
  const nonce = await restNonce(base);
  const res = await httpsFetch(url(`/wp-json/wp-oauth/v1/site-health/${route}?_locale=user`, base), {
    headers: { cookie, 'x-wp-nonce': nonce, accept: 'application/json', ...headers },
  });
  return { status: res.status, body: await res.json() };
}

test('node 1, set up as documented: every WP OAuth check passes on the Site Health screen', async () => {
  const found = await siteHealthScreen(site.url, [...DIRECT, ...ASYNC]);
  assert.deepEqual(Object.keys(found).sort(), [...DIRECT, ...ASYNC].sort(), 'exactly our eight checks');
  for (const id of [...DIRECT, ...ASYNC]) assert.equal(found[id], 'good', `${id}: ${await panelText(id)}`);
  const ext = await panelText('wp_oauth_extension');
  assert.ok(ext.includes(`(version ${cargoVersion})`) && ext.includes(`loaded in PHP ${phpMinor} (module API ${phpApi})`), ext);

  // The picture for the docs: the passed tests opened, our Authorization header check expanded.
  const { page } = b;
  await page.click('.site-health-view-passed');
  const trigger = page.locator('button[aria-controls="health-check-accordion-block-wp_oauth_authorization_header"]');
  await trigger.click();
  await page.locator('#health-check-accordion-block-wp_oauth_authorization_header').waitFor();
  await trigger.evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await screenshot(page, 'docs/screenshots/site-health.png');
});

test('the Info tab has a WP OAuth section with the extension and the artifact for this PHP', async () => {
  const { page } = b;
  await page.goto(url('/wp-admin/site-health.php?tab=debug'));
  const trigger = page.locator('button[aria-controls="health-check-accordion-block-wp-oauth"]');
  await trigger.click();
  const text = await page.locator('#health-check-accordion-block-wp-oauth').textContent();
  assert.ok(text.includes(ARTIFACT), text);
  assert.ok(text.includes(`PHP ${phpMinor}, API ${phpApi}, NTS, x86_64`), text);
});

test('the routes of the checks: admin session and nonce only', async () => {
  const anonymous = await httpsFetch(url('/wp-json/wp-oauth/v1/site-health/authorization-header'), { headers: { authorization: PROBE } });
  assert.equal(anonymous.status, 401);
  const noNonce = await httpsFetch(url('/wp-json/wp-oauth/v1/site-health/authorization-header'), { headers: { cookie, authorization: PROBE } });
  assert.equal(noNonce.status, 401, 'a cookie without the REST nonce is anonymous');
  const ok = await runRoute(site.url, 'authorization-header', { authorization: PROBE });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.test, 'wp_oauth_authorization_header');
  assert.equal(ok.body.status, 'good');
  // Without the probe the same route reports what it did not get.
  const none = await runRoute(site.url, 'authorization-header');
  assert.equal(none.body.status, 'critical');
  // The loopback checks, run by php-fpm on node 1 against the site's own address.
  for (const route of ['well-known', 'credentials']) {
    const r = await runRoute(site.url, route);
    assert.equal(r.status, 200, route);
    assert.equal(r.body.status, 'good', `${route}: ${r.body.description}`);
  }
});

test('the no-extension node: the notice and Site Health name the artifact for this PHP, no early translations', async () => {
  const debugLog = join(site.logs, 'wp-debug.log');
  const logSize = (() => { try { return statSync(debugLog).size; } catch { return 0; } })();
  const { page } = b;
  const health = await (await httpsFetch(url('/wpoa-health.php', site.noext_url))).json();
  assert.equal(health.wp_oauth_loaded, false, 'the node really runs without the extension');

  await page.goto(url('/wp-admin/', site.noext_url));
  const notice = page.locator('.wpoa-extension-notice');
  await notice.waitFor();
  const text = await notice.textContent();
  assert.match(text, /WP OAuth is inactive\. The wp_oauth PHP extension is not loaded\./);
  assert.ok(text.includes(`Install ${ARTIFACT} (the build for PHP ${phpMinor} on x86_64)`), text);
  assert.ok(text.includes(`extension=/usr/lib/php/${phpApi}/libwp_oauth.so`), text);
  assert.match(await notice.locator('a').getAttribute('href'), /docs\/host-guide\.md#prebuilt-artifacts-one-per-php-minor$/);
  await screenshot(page, 'docs/screenshots/extension-missing-notice.png', { clip: await notice.boundingBox() });

  const found = await siteHealthScreen(site.noext_url, ['wp_oauth_extension']);
  assert.deepEqual(found, { wp_oauth_extension: 'critical' }, 'only the extension check while the plugin is inactive');
  const panel = await panelText('wp_oauth_extension');
  assert.ok(panel.includes(`Install ${ARTIFACT}, the build for PHP ${phpMinor} on x86_64`), panel);
  await page.locator('button[aria-controls="health-check-accordion-block-wp_oauth_extension"]').click();
  await page.locator('#health-check-accordion-block-wp_oauth_extension').waitFor();
  await page.locator('#health-check-issues-critical').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await screenshot(page, 'docs/screenshots/site-health-extension-missing.png');

  let added = '';
  try { added = readFileSync(debugLog, 'utf8').slice(logSize); } catch { /* no log: nothing logged */ }
  assert.doesNotMatch(added, /_load_textdomain_just_in_time|triggered too early/, 'no translation before init');
  assert.doesNotMatch(added, /wp-oauth\/includes/, 'no notice from the plugin');
});

test('the stripping web server: the header check fails there, with what to do', async (t) => {
  if (!site.stripped_url) return t.skip(`no stripping server block behind ${site.web} (nginx only)`);
  const sources = await (await httpsFetch(url('/wp-json/wpoa-stack/v1/authorization-sources', site.stripped_url), { headers: { authorization: 'WpoaProbe x' } })).json();
  assert.deepEqual([sources.HTTP_AUTHORIZATION, sources.REDIRECT_HTTP_AUTHORIZATION, sources.getallheaders], [false, false, false], 'the server really hides it');

  const r = await runRoute(site.stripped_url, 'authorization-header', { authorization: PROBE });
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'critical');
  assert.equal(r.body.label, 'The Authorization header does not reach PHP');
  assert.ok(r.body.actions.includes('CGIPassAuth On') && r.body.actions.includes('fastcgi_param HTTP_AUTHORIZATION $http_authorization;'));
  // The same request through node 1's server passes: the difference is the web server.
  assert.equal((await runRoute(site.node2_url, 'authorization-header', { authorization: PROBE })).body.status, 'good');
});

test('the stripping web server: discovery and credential loopbacks to a site served by it', async (t) => {
  if (!site.stripped_url) return t.skip(`no stripping server block behind ${site.web} (nginx only)`);
  // A site whose address is the stripping server: the checks' loopbacks go there.
  const port = new URL(site.stripped_url).port;
  const out = wpEval(`
    remove_all_filters('pre_http_request');
    add_filter('wpoa_issuer', fn() => 'https://localhost:${port}');
    add_filter('wpoa_audience', fn() => 'https://localhost:${port}/wp-json/');
    add_filter('rest_url', fn($u) => preg_replace('#^https://localhost:\\d+/#', 'https://localhost:${port}/', $u));
    $h = Wpoa\\Plugin::component(Wpoa\\Site_Health::class);
    echo json_encode(['well_known' => $h->test_well_known(), 'credentials' => $h->test_credentials()]);
  `);
  const { well_known: wk, credentials: cr } = JSON.parse(out);
  assert.equal(wk.status, 'critical', wk.description);
  assert.ok(wk.description.includes(`https://localhost:${port}/.well-known/oauth-authorization-server answers 404 with an HTML page`), wk.description);
  assert.ok(wk.actions.includes('location ^~ /.well-known/ { try_files $uri $uri/ /index.php?$args; }'));
  assert.equal(cr.status, 'recommended', cr.description);
  assert.match(cr.description, /treated as anonymous: the Authorization header did not reach PHP/);
});
