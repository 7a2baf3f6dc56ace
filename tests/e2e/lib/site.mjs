// Shared helpers for the end-to-end tests and the demo, against the stack started by
// scripts/up.sh. The stack describes itself in $WPOA_RUN/site.json (default <repo>/.run).
import { readFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve, isAbsolute } from 'node:path';
import { tmpdir } from 'node:os';
import { lookup as dnsLookup } from 'node:dns';
import { fileURLToPath } from 'node:url';
import { Agent, fetch as undiciFetch } from 'undici';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const RUN = resolve(process.env.WPOA_RUN || join(REPO, '.run'));

function loadSite() {
  const file = join(RUN, 'site.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read ${file} (${e.code || e.message}): start the stack with "make up"`);
  }
}

/**
 * Parsed $WPOA_RUN/site.json: url, http_url, node2_url, noext_url, ca_cert, run_dir, repo, wp_path,
 * db{}, users{admin,author,subscriber}; web ('nginx' | 'apache-fpm' | 'apache-modphp'),
 * php_version, wordpress_version, php_cli (the command that runs the stack's PHP).
 */
export const site = loadSite();

/**
 * The sites of a network stack (WPOA_MULTISITE=subdir|subdomain, scripts/lib/multisite.sh), from
 * site.json: [{ id, slug ('main', 'site2', …), domain, path, url, name, members: { admin, author,
 * subscriber } }], the main site first; [] on a single site. site.multisite names the kind.
 */
export const sites = site.sites || [];

/** The network site named `slug` ('main', 'site2', 'site3'); throws when the stack has none. */
export function networkSite(slug) {
  const found = sites.find((s) => s.slug === slug);
  if (!found) throw new Error(`no network site ${slug} in ${join(RUN, 'site.json')} (start the stack with WPOA_MULTISITE=subdir or subdomain)`);
  return found;
}

/** PEM text of the stack's local CA. */
export const caCert = readFileSync(site.ca_cert, 'utf8');

/**
 * Name resolution for the stack: `*.localhost` is the loopback address (RFC 6761 §6.3), as browsers
 * treat it; the system resolver may not know it (a sub-domain network: WPOA_MULTISITE=subdomain).
 */
function stackLookup(hostname, options, callback) {
  if (typeof options === 'function') { callback = options; options = {}; }
  if (/\.localhost$/i.test(hostname)) {
    return options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4);
  }
  return dnsLookup(hostname, options, callback);
}

/** An undici Agent that trusts exactly the stack's CA (the scripts also set NODE_EXTRA_CA_CERTS). */
export const agent = new Agent({ connect: { ca: caCert, lookup: stackLookup }, keepAliveTimeout: 1000 });

/** Absolute URL on the site: url('/wp-json/') or url('/x', site.node2_url). */
export function url(path = '/', base = site.url) {
  return new URL(path, base).toString();
}

/**
 * fetch() through the CA-trusting agent. `path` may be absolute or relative to site.url.
 * Never follows redirects unless asked (redirect: 'follow'), so tests see OAuth redirects.
 */
export function httpsFetch(path, init = {}) {
  const target = /^https?:\/\//.test(path) ? path : url(path, init.base || site.url);
  const { base, ...rest } = init;
  return undiciFetch(target, { redirect: 'manual', dispatcher: agent, ...rest });
}

/** GET and parse JSON; returns { status, headers, body }. */
export async function getJson(path, init = {}) {
  const res = await httpsFetch(path, { ...init, headers: { accept: 'application/json', ...(init.headers || {}) } });
  const text = await res.text();
  let body;
  try { body = JSON.parse(text); } catch { body = text; }
  return { status: res.status, headers: res.headers, body };
}

/** POST a JSON or form body (object -> application/x-www-form-urlencoded unless json: true). */
export async function postJson(path, data, { json = false, headers = {}, ...init } = {}) {
  const body = json ? JSON.stringify(data) : new URLSearchParams(data).toString();
  const ct = json ? 'application/json' : 'application/x-www-form-urlencoded';
  const res = await httpsFetch(path, { method: 'POST', body, ...init, headers: { 'content-type': ct, accept: 'application/json', ...headers } });
  const text = await res.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** The php-fpm health probe of one node: { sapi, node, wp_oauth_loaded, wp_oauth_version, ... }. */
export async function health(base = site.url) {
  const { status, body } = await getJson(url('/wpoa-health.php', base));
  if (status !== 200) throw new Error(`health ${base}: HTTP ${status}`);
  return body;
}

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Headless Debian Chromium through playwright-core, with a fresh profile.
 * Returns { browser, context, page, close() }; close() also removes the profile directory.
 */
export async function launchBrowser({ viewport = { width: 1280, height: 900 } } = {}) {
  const { chromium } = await import('playwright-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'wpoa-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    ignoreHTTPSErrors: true,
    viewport,
  });
  context.setDefaultTimeout(20000);
  const page = context.pages()[0] || await context.newPage();
  return {
    browser: context.browser(),
    context,
    page,
    async close() {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Log in through wp-login.php as 'admin' | 'author' | 'subscriber'; resolves on wp-admin. */
export async function loginAs(page, role = 'admin', base = site.url) {
  const user = site.users[role];
  if (!user) throw new Error(`unknown role ${role}`);
  await page.goto(url('/wp-login.php', base));
  // wp-login.php focuses a field from a timer 200 ms after it loads, and may empty the password
  // field then: fill the form once that has run, or a fast fill is wiped and an empty password
  // is submitted. A WordPress without that timer simply goes on after the wait.
  await page.waitForFunction(() => ['user_login', 'user_pass'].includes(document.activeElement?.id), null, { timeout: 2000 }).catch(() => {});
  await page.fill('#user_login', user.login);
  await page.fill('#user_pass', user.password);
  try {
    await Promise.all([
      page.waitForURL(/\/wp-admin\//, { timeout: 60000 }),
      page.click('#wp-submit'),
    ]);
  } catch (e) {
    // Say why: WordPress's own message (wrong password, cookies…) beats a bare timeout.
    const why = await page.locator('#login_error').textContent({ timeout: 1000 }).catch(() => null);
    throw new Error(`login as ${role} did not reach wp-admin (at ${page.url()}): ${why?.trim() || e.message}`);
  }
  return user;
}

/**
 * Where a screenshot named by a repo-relative path (e.g. 'docs/screenshots/x.png') is written:
 * into the repository only with WPOA_UPDATE_SCREENSHOTS=1 (to refresh the docs' pictures),
 * otherwise into $WPOA_RUN/screenshots/, so a test run leaves the working tree as it was.
 */
export function screenshotFile(path) {
  const file = isAbsolute(path) ? path
    : process.env.WPOA_UPDATE_SCREENSHOTS === '1' ? join(REPO, path) : join(RUN, 'screenshots', path);
  mkdirSync(dirname(file), { recursive: true });
  return file;
}

/** Screenshot of the page (path relative to the repo, e.g. 'docs/screenshots/x.png'; see screenshotFile). */
export async function screenshot(page, path, opts = {}) {
  const file = screenshotFile(path);
  await page.screenshot({ path: file, fullPage: false, ...opts });
  return file;
}

/**
 * Run PHP code inside the running site's WordPress (CLI, extension loaded) and return stdout.
 * If the code prints JSON, use wpEvalJson. dbName selects another database (e.g. wordpress_test);
 * blogId a site of a network stack.
 */
export function wpEval(code, { dbName, blogId } = {}) {
  const env = { ...process.env, WPOA_RUN: RUN };
  // On a network: run the code switched to that site (its options and tables).
  if (blogId) code = `switch_to_blog(${Number(blogId)});\n${code}`;
  if (dbName) env.WPOA_DB_NAME = dbName;
  // site.php_cli: the PHP that serves this stack (a matrix cell's PHP lives in a Debian root).
  return execFileSync(site.php_cli || 'php', [join(REPO, 'scripts/wp-eval.php'), code], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** wpEval, then JSON.parse of its output: wpEvalJson('echo json_encode(get_option("blogname"));'). */
export function wpEvalJson(code, opts) {
  return JSON.parse(wpEval(code, opts));
}

/**
 * Run SQL with the mariadb client on the private socket; returns rows as objects
 * (column names from the header line; all values are strings, NULL becomes null).
 */
export function dbQuery(sql, { database = site.db.name } = {}) {
  const out = execFileSync('mariadb', [
    '--no-defaults', `--socket=${site.db.socket}`, `--user=${site.db.user}`, `--password=${site.db.password}`,
    '--batch', '--raw', database, '-e', sql,
  ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = out.split('\n').filter((l) => l.length > 0);
  if (lines.length === 0) return [];
  const cols = lines[0].split('\t');
  return lines.slice(1).map((line) => {
    const vals = line.split('\t');
    return Object.fromEntries(cols.map((c, i) => [c, vals[i] === 'NULL' ? null : vals[i]]));
  });
}

/** True if the plugin's files exist in the checkout (tests use it to mark not-yet-built parts todo). */
export function pluginPresent() {
  try { readFileSync(join(REPO, 'wp-plugin/wp-oauth.php')); return true; } catch { return false; }
}
