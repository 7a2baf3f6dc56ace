// Plays the user for a client that built its own authorization URL: opens the URL in headless
// Chromium, logs in to WordPress when asked, clicks Approve (or Deny) on the consent screen and
// returns the redirect the server sent back to the client's redirect URI. Nothing needs to listen
// on the redirect URI: the redirect is captured from the 3xx Location header (loopback and https
// URIs are answered inside the browser).
//
// As a module (used by the clients-*.test.mjs files):
//   import { consentAt } from './consent-cli.mjs';
//   const { location, sawConsent, errorPage } = await consentAt(url, { redirectUri, role: 'author' });
//
// As a command (used by the Python client tests, tests/python/):
//   node tests/e2e/consent-cli.mjs <authorization URL> <redirect URI> [role] [approve|deny]
//   → prints the redirect URL (with code/state/iss or error) on stdout, exit 0;
//     exit 1 with a message on stderr when no redirect came (an error page, a timeout).
// Needs WPOA_RUN (the stack's run dir) like every e2e helper.
import { pathToFileURL } from 'node:url';
import { launchBrowser } from './lib/site.mjs';
import { loginAndConsent } from './lib/flow.mjs';

function redirectMatcher(redirectUri) {
  const base = redirectUri.split('?')[0];
  const loopback = /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(:\d+)?\//.test(base);
  return (loc) => {
    if (!loc) return false;
    if (loc.startsWith(base)) return true;
    if (!loopback) return false;
    // RFC 8252 §7.3: the port of a loopback redirect URI may vary.
    try {
      const a = new URL(loc); const b = new URL(base);
      return a.protocol === b.protocol && a.hostname === b.hostname && a.pathname === b.pathname;
    } catch { return false; }
  };
}

/**
 * Drives Chromium from `authUrl` to the redirect back to `redirectUri`.
 * @param {string|URL} authUrl  authorization request URL built by the client under test
 * @param {{redirectUri: string, role?: string, approve?: boolean, browser?: object}} opts
 * @returns {Promise<{location?: string, params?: URLSearchParams, sawConsent: boolean, errorPage?: {status: number, text: string}}>}
 */
export async function consentAt(authUrl, { redirectUri, role = 'author', approve = true, browser } = {}) {
  if (!redirectUri) throw new Error('consentAt: redirectUri is required');
  const matches = redirectMatcher(redirectUri);
  const own = !browser;
  const b = browser || await launchBrowser();
  const { page } = b;
  let resolveRedirect;
  const redirected = new Promise((r) => { resolveRedirect = r; });
  const onResponse = (response) => {
    const s = response.status();
    if (s >= 300 && s < 400 && matches(response.headers().location)) resolveRedirect(response.headers().location);
  };
  const onRequest = (request) => {
    if (request.isNavigationRequest() && matches(request.url())) resolveRedirect(request.url());
  };
  page.on('response', onResponse);
  page.on('request', onRequest);
  const routed = /^https?:/.test(redirectUri);
  const routeMatcher = (u) => matches(u.href);
  if (routed) await page.route(routeMatcher, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'redirect captured' }));
  try {
    const nav = page.goto(String(authUrl), { waitUntil: 'domcontentloaded' })
      .then((r) => (r ? r.status() : 0))
      .catch(() => 0);
    const { sawConsent, errorPage } = await loginAndConsent(page, { redirected, nav, role, approve, timeout: 30000 });
    if (errorPage) return { sawConsent, errorPage };
    let timer;
    const location = await Promise.race([
      redirected,
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no redirect to ${redirectUri} within 30 s`)), 30000); }),
    ]).finally(() => clearTimeout(timer));
    return { location, params: new URL(location).searchParams, sawConsent };
  } finally {
    page.off('response', onResponse);
    page.off('request', onRequest);
    if (routed) await page.unroute(routeMatcher).catch(() => {});
    if (own) await b.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [authUrl, redirectUri, role = 'author', decision = 'approve'] = process.argv.slice(2);
  if (!authUrl || !redirectUri) {
    process.stderr.write('usage: node consent-cli.mjs <authorization URL> <redirect URI> [role] [approve|deny]\n');
    process.exit(2);
  }
  try {
    const r = await consentAt(authUrl, { redirectUri, role, approve: decision !== 'deny' });
    if (r.errorPage) {
      process.stderr.write(`error page (HTTP ${r.errorPage.status}): ${r.errorPage.text}\n`);
      process.exit(1);
    }
    process.stdout.write(`${r.location}\n`);
    process.exit(0);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
