// OAuth flow helpers for the end-to-end tests and the demo, built on oauth4webapi (the
// independent client) and playwright-core (a real Chromium on the consent screen).
//
// Exports
//   discover()                        → AuthorizationServer (RFC 8414 metadata of the stack's site;
//                                       built by hand from the fixed URLs if discovery is missing)
//   fetchOpts                         → { [oauth.customFetch] } for every oauth4webapi call (trusts the stack CA)
//   registerClient(meta, { as, via })  → { client_id, client_secret?, ...registration response, clientAuth() }
//                                       via 'dcr' (default: RFC 7591 at the registration endpoint, falling
//                                       back to 'db' when that fails) or 'db' (Client_Repository::insert via wpEval).
//                                       meta: RFC 7591 metadata; defaults: public client (auth method none),
//                                       grant_types [authorization_code, refresh_token], response_types [code].
//   clientAuthFor(client)             → oauth.None() / ClientSecretBasic / ClientSecretPost from the registration
//   loopbackRedirect(path = '/cb')    → 'http://127.0.0.1:<random port>/cb' (nothing needs to listen)
//   pkce()                            → { verifier, challenge } (S256)
//   buildAuthorizationUrl(as, client, { redirectUri, scope, state, challenge, prompt, resource, extra })
//                                       → URL; extra = { name: value | null } adds or (null) removes parameters
//   authorize({ as, client, role, scope, redirectUri, approve, prompt, resource, extra, browser,
//               screenshotPath, onConsent, state, pkce, omitRedirectUri })
//                                     → { params: URLSearchParams, location, state, verifier, challenge,
//                                         sawConsent, errorPage?, browser }
//                                       Drives Chromium: opens the authorization URL, logs in as `role`
//                                       ('author' by default) when WordPress asks, clicks Approve
//                                       (approve: true, default) or Deny (approve: false) on the consent
//                                       screen, and captures the redirect to redirectUri (private-use scheme
//                                       or loopback) from the 3xx Location header — no listening server.
//                                       `browser`: a launchBrowser() result to reuse (session kept, e.g. for
//                                       remembered consent); else one is launched and closed.
//                                       `screenshotPath` (repo-relative) takes a picture of the consent screen;
//                                       `onConsent(page)` runs on it first (assertions, focus, account switch).
//   loginAndConsent(page, { redirected, nav, role, approve, timeout, settle, onConsent, screenshotPath, awaitRedirect })
//                                     → { sawConsent, errorPage? }: the login/consent loop of authorize(), also used by
//                                       ../consent-cli.mjs
//                                       Each call uses a fresh tab of the browser (Chromium ignores link clicks
//                                       in a tab that was sent to a private-use scheme).
//                                       An error page (no redirect) gives { errorPage: { status, text } }.
//   validateCallback(as, client, params, state) → oauth.validateAuthResponse (throws on error / iss mismatch)
//   exchangeCode({ as, client, params, redirectUri, verifier, state })
//                                     → token response, via oauth.authorizationCodeGrantRequest +
//                                       processAuthorizationCodeResponse (throws ResponseBodyError on errors)
//   tokenRequest(form, { headers })    → raw POST to the token endpoint: { status, headers, body } (for bad-input tests)
//   verifyAccessToken(token, as)      → jose.jwtVerify against the JWKS (typ at+jwt, iss, aud = REST API URL)
//   fullFlow(opts)                    → discover + register (opts.meta) + authorize + exchange + verify:
//                                       { as, client, tokens, claims, auth }
import * as oauth from 'oauth4webapi';
import * as jose from 'jose';
import { fetch as undiciFetch } from 'undici';
import { site, agent, launchBrowser, wpEvalJson, screenshot as takeScreenshot } from './site.mjs';

/** oauth4webapi option: every request goes through the agent that trusts the stack's CA. */
export const fetchOpts = {
  [oauth.customFetch]: (url, options) => undiciFetch(url, { ...options, dispatcher: agent }),
};

let cachedAs;

/** RFC 8414 discovery of the stack's site (issuer = site.url without trailing slash). */
export async function discover({ fresh = false } = {}) {
  if (cachedAs && !fresh) return cachedAs;
  const issuer = new URL(site.url);
  try {
    const res = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...fetchOpts });
    cachedAs = await oauth.processDiscoveryResponse(issuer, res);
  } catch (e) {
    if (process.env.WPOA_FLOW_STRICT_DISCOVERY) throw e;
    // Fallback while discovery is not there: the plugin's fixed URLs (class-urls.php).
    const rest = `${site.url}/wp-json/wp-oauth/v1`;
    cachedAs = {
      issuer: site.url,
      authorization_endpoint: `${site.url}/oauth/authorize`,
      token_endpoint: `${rest}/token`,
      registration_endpoint: `${rest}/register`,
      revocation_endpoint: `${rest}/revoke`,
      introspection_endpoint: `${rest}/introspect`,
      jwks_uri: `${rest}/jwks`,
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    };
  }
  return cachedAs;
}

/** 'http://127.0.0.1:<random port>/cb'. */
export function loopbackRedirect(path = '/cb') {
  const port = 20000 + Math.floor(Math.random() * 40000);
  return `http://127.0.0.1:${port}${path}`;
}

/** A PKCE pair (RFC 7636, S256). */
export async function pkce() {
  const verifier = oauth.generateRandomCodeVerifier();
  return { verifier, challenge: await oauth.calculatePKCECodeChallenge(verifier) };
}

function withDefaults(meta) {
  return {
    client_name: 'E2E test client',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...meta,
  };
}

/** oauth4webapi client authentication for a registered client. */
export function clientAuthFor(client) {
  switch (client.token_endpoint_auth_method) {
    case 'client_secret_basic': return oauth.ClientSecretBasic(client.client_secret);
    case 'client_secret_post': return oauth.ClientSecretPost(client.client_secret);
    default: return oauth.None();
  }
}

function phpString(s) {
  return `'${String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Inserts a client straight into the database (Client_Repository::insert). */
function registerInDb(meta) {
  const m = withDefaults(meta);
  const confidential = m.token_endpoint_auth_method !== 'none';
  const code = `
    $meta = json_decode(${phpString(JSON.stringify(m))}, true);
    $id = \\Wpoa\\Crypto::random_token(16);
    $secret = ${confidential ? '\\Wpoa\\Crypto::random_token(32)' : 'null'};
    $c = \\Wpoa\\Client_Repository::insert([
      'client_id' => $id,
      'client_secret_hash' => $secret ? \\Wpoa\\Crypto::secret_hash($secret) : null,
      'token_endpoint_auth_method' => $meta['token_endpoint_auth_method'],
      'redirect_uris' => $meta['redirect_uris'] ?? [],
      'metadata' => $meta,
      'registered_by' => 1,
    ]);
    if (!$c) { fwrite(STDERR, 'insert failed'); exit(1); }
    echo json_encode(array_merge($meta, ['client_id' => $id], $secret ? ['client_secret' => $secret] : []));`;
  return wpEvalJson(code);
}

/**
 * Registers a client: RFC 7591 dynamic registration (via: 'dcr', the default, falls back to
 * the database when the endpoint is missing or refuses), or straight into the database (via: 'db').
 */
export async function registerClient(meta = {}, { as, via = 'dcr' } = {}) {
  let client;
  if (via === 'dcr') {
    const server = as || await discover();
    try {
      const res = await oauth.dynamicClientRegistrationRequest(server, withDefaults(meta), fetchOpts);
      client = await oauth.processDynamicClientRegistrationResponse(res);
    } catch (e) {
      if (process.env.WPOA_FLOW_STRICT_DCR) throw e;
      client = undefined;
    }
  }
  if (!client) client = registerInDb(meta);
  return client;
}

/** The authorization request URL (RFC 6749 §4.1.1 + RFC 7636 + RFC 8707). */
export function buildAuthorizationUrl(as, client, { redirectUri, scope, state, challenge, prompt, resource, extra = {} }) {
  const u = new URL(as.authorization_endpoint);
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('client_id', client.client_id);
  if (redirectUri) u.searchParams.set('redirect_uri', redirectUri);
  if (scope) u.searchParams.set('scope', scope);
  if (state) u.searchParams.set('state', state);
  if (challenge) {
    u.searchParams.set('code_challenge', challenge);
    u.searchParams.set('code_challenge_method', 'S256');
  }
  if (prompt) u.searchParams.set('prompt', prompt);
  if (resource) u.searchParams.set('resource', resource);
  for (const [k, v] of Object.entries(extra)) {
    if (v === null) u.searchParams.delete(k);
    else if (Array.isArray(v)) { u.searchParams.delete(k); for (const x of v) u.searchParams.append(k, x); }
    else u.searchParams.set(k, v);
  }
  return u;
}

/** Resolves with the Location of the first 3xx that points at redirectUri (any query). */
function captureRedirect(page, redirectUri, state) {
  const base = redirectUri.split('?')[0];
  const isLoopback = /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(:\d+)?\//.test(base);
  // A late event of an earlier flow in the same page must not count: the state must be ours.
  const ours = (loc) => {
    if (!state) return true;
    try { return new URL(loc).searchParams.get('state') === state; } catch { return false; }
  };
  const matches = (loc) => targets(loc) && ours(loc);
  const targets = (loc) => {
    if (!loc) return false;
    if (loc.startsWith(base)) return true;
    // RFC 8252 §7.3: for loopback URIs the port may differ from the registered one.
    if (isLoopback) {
      try {
        const a = new URL(loc); const b = new URL(base);
        return a.protocol === b.protocol && a.hostname === b.hostname && a.pathname === b.pathname;
      } catch { return false; }
    }
    return false;
  };
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  const onResponse = (response) => {
    const status = response.status();
    if (status >= 300 && status < 400) {
      const loc = response.headers().location;
      if (matches(loc)) resolve({ location: loc, status });
    }
  };
  // The redirected request itself (seen even when Chromium aborts a private-use scheme).
  const onRequest = (request) => {
    if (request.isNavigationRequest() && matches(request.url())) resolve({ location: request.url(), status: 0 });
  };
  page.on('response', onResponse);
  page.on('request', onRequest);
  return {
    promise,
    stop: () => { page.off('response', onResponse); page.off('request', onRequest); },
    matches,
    targets,
  };
}

/**
 * The browser part of an authorization request, shared by authorize() and consent-cli.mjs:
 * waits (at most 6 steps) for the login form, the consent screen, an error page or the redirect;
 * logs in as `role` on wp-login.php and clicks Approve (approve: true) or Deny on the consent screen.
 *   redirected     promise that resolves once the redirect to the client was seen
 *   nav            promise of the main navigation, resolving to its HTTP status (0 when none)
 *   timeout        ms to wait for each page element
 *   settle         wait for the page's load event before acting on it
 *   onConsent(page), screenshotPath  run / taken on the consent screen (the screenshot also on an error page)
 *   awaitRedirect  click without waiting for the navigation, then wait for `redirected`
 * → { sawConsent, errorPage?: { status, text } }
 */
export async function loginAndConsent(page, {
  redirected, nav, role = 'author', approve = true, timeout, settle = false, onConsent, screenshotPath, awaitRedirect = false,
}) {
  let sawConsent = false;
  let done = false;
  redirected.then(() => { done = true; });
  for (let step = 0; step < 6 && !done; step++) {
    const which = await Promise.race([
      redirected.then(() => 'redirect'),
      page.waitForSelector('#loginform, #wpoa-consent-form, #wpoa-error', { state: 'attached', timeout })
        .then(async (el) => (await el.evaluate((n) => n.id))),
    ]);
    if (which === 'redirect') break;
    if (settle) await page.waitForLoadState('load').catch(() => {});
    if (which === 'loginform') {
      const user = site.users[role];
      if (!user) throw new Error(`unknown role ${role}`);
      await page.fill('#user_login', user.login);
      await page.fill('#user_pass', user.password);
      await Promise.all([page.waitForLoadState('domcontentloaded').catch(() => {}), page.click('#wp-submit')]);
      await page.waitForFunction(() => !document.querySelector('#loginform'), null, { timeout }).catch(() => {});
      continue;
    }
    if (which === 'wpoa-consent-form') {
      sawConsent = true;
      if (onConsent) await onConsent(page);
      if (screenshotPath) await takeScreenshot(page, screenshotPath);
      const selector = approve ? '#wpoa-approve' : '#wpoa-deny';
      if (awaitRedirect) {
        await page.click(selector, { noWaitAfter: true });
        await redirected;
      } else {
        await page.click(selector);
      }
      break;
    }
    if (which === 'wpoa-error') {
      const status = await nav;
      const errorPage = { status, text: (await page.locator('#wpoa-error').innerText()).trim() };
      if (screenshotPath) await takeScreenshot(page, screenshotPath);
      return { sawConsent, errorPage };
    }
  }
  return { sawConsent };
}

/**
 * Drives the browser through login and consent and returns the authorization response.
 * See the header of this file for the options.
 */
export async function authorize(opts) {
  const as = opts.as || await discover();
  const { client } = opts;
  const role = opts.role || 'author';
  const approve = opts.approve !== false;
  const redirectUri = opts.redirectUri || client.redirect_uris?.[0];
  const state = opts.state === undefined ? oauth.generateRandomState() : opts.state;
  const pair = opts.pkce || await pkce();
  const authUrl = buildAuthorizationUrl(as, client, {
    redirectUri: opts.omitRedirectUri ? undefined : redirectUri,
    scope: opts.scope === undefined ? 'read write' : opts.scope,
    state,
    challenge: pair.challenge,
    prompt: opts.prompt,
    resource: opts.resource,
    extra: opts.extra,
  });

  const own = !opts.browser;
  const b = opts.browser || await launchBrowser();
  // A fresh tab each time (cookies are shared by the context): after a redirect to a private-use
  // scheme Chromium ignores later link clicks in that tab.
  const page = own ? b.page : await b.context.newPage();
  const cap = captureRedirect(page, redirectUri, state);
  // Loopback or web redirect URIs: answer them in the browser so nothing needs to listen.
  // (Only for http URIs: with interception on, Chromium reports no redirect to a private-use scheme.)
  const routeMatcher = (u) => cap.targets(u.href);
  const routed = /^https?:/.test(redirectUri);
  if (routed) await page.route(routeMatcher, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'redirect captured' }));

  try {
    const nav = page.goto(authUrl.href, { waitUntil: 'domcontentloaded' })
      .then((r) => (r ? r.status() : 0))
      .catch(() => 0); // a private-use scheme aborts the navigation; the Location was captured
    const { sawConsent, errorPage } = await loginAndConsent(page, {
      redirected: cap.promise,
      nav,
      role,
      approve,
      timeout: 20000,
      settle: true,
      onConsent: opts.onConsent,
      screenshotPath: opts.screenshotPath,
      awaitRedirect: true,
    });
    if (errorPage) {
      return { errorPage, state, verifier: pair.verifier, challenge: pair.challenge, sawConsent, browser: own ? undefined : b };
    }
    const { location, status } = await cap.promise;
    const params = new URL(location).searchParams;
    return { params, location, status, state, verifier: pair.verifier, challenge: pair.challenge, sawConsent, browser: own ? undefined : b };
  } finally {
    cap.stop();
    if (routed) await page.unroute(routeMatcher).catch(() => {});
    if (own) await b.close();
    else await page.close().catch(() => {});
  }
}

/** oauth4webapi's check of the authorization response (state, iss, error). */
export function validateCallback(as, client, params, state) {
  return oauth.validateAuthResponse(as, { client_id: client.client_id }, params, state === undefined ? oauth.skipStateCheck : state);
}

/** Exchanges the code with oauth4webapi; returns the processed token response. */
export async function exchangeCode({ as, client, params, redirectUri, verifier, state }) {
  const server = as || await discover();
  const callback = validateCallback(server, client, params, state);
  const res = await oauth.authorizationCodeGrantRequest(
    server, { client_id: client.client_id }, clientAuthFor(client), callback, redirectUri, verifier, fetchOpts,
  );
  return oauth.processAuthorizationCodeResponse(server, { client_id: client.client_id }, res);
}

/** A raw form POST to the token endpoint: { status, headers, body }. */
export async function tokenRequest(form, { headers = {}, as } = {}) {
  const server = as || await discover();
  const res = await undiciFetch(server.token_endpoint, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  let body;
  try { body = JSON.parse(text); } catch { body = text; }
  return { status: res.status, headers: res.headers, body };
}

let jwksCache;

/** Verifies an access token with jose against the site's JWKS (RFC 9068 §4). Returns { payload, protectedHeader }. */
export async function verifyAccessToken(token, as) {
  const server = as || await discover();
  if (!jwksCache) {
    const res = await undiciFetch(server.jwks_uri, { dispatcher: agent });
    jwksCache = jose.createLocalJWKSet(await res.json());
  }
  return jose.jwtVerify(token, jwksCache, {
    issuer: server.issuer,
    audience: `${site.url}/wp-json/`,
    typ: 'at+jwt',
  });
}

/** Forget the cached JWKS (after a key rotation). */
export function resetJwks() { jwksCache = undefined; }

/**
 * The whole flow: discover, register (opts.meta, defaults to a public loopback client),
 * authorize in Chromium, exchange the code, verify the access token.
 */
export async function fullFlow(opts = {}) {
  const as = await discover();
  const redirectUri = opts.redirectUri || loopbackRedirect();
  const client = opts.client || await registerClient({ redirect_uris: [redirectUri], ...(opts.meta || {}) }, { as, via: opts.via });
  const auth = await authorize({ ...opts, as, client, redirectUri });
  if (auth.errorPage) throw new Error(`authorization error page: ${auth.errorPage.text}`);
  const tokens = await exchangeCode({ as, client, params: auth.params, redirectUri, verifier: auth.verifier, state: auth.state });
  const { payload: claims } = await verifyAccessToken(tokens.access_token, as);
  return { as, client, tokens, claims, auth };
}
