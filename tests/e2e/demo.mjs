// The demo: a list of named steps run in order against the stack (make demo starts it).
// Each step gets a shared `ctx` object to pass results along; add steps to grow the demo
// (register a client, authorize in the browser, exchange the code, call the API, refresh, revoke).
//
// The main job, as a client that knows only the site address: discovery from the bare URL,
// dynamic registration, login and consent in headless Chromium, code exchange (oauth4webapi),
// then the REST API as the author — who am I, a draft, an image upload, publish, read back —
// and a read-only token refused with 403. tests/e2e/main-job.test.mjs asserts the same steps.
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import { site, getJson, health, httpsFetch, dbQuery, launchBrowser } from './lib/site.mjs';
import { fetchOpts, loopbackRedirect, authorize, exchangeCode, verifyAccessToken } from './lib/flow.mjs';

// A 1×1 red PNG (70 bytes), uploaded to the media library.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

/** Never print a whole token: enough to recognise it, not to use it. */
const short = (token) => `${String(token).slice(0, 12)}… (${String(token).length} chars)`;

/** A REST call with a bearer token: { status, headers, body }. */
async function api(ctx, path, { token = ctx.tokens.access_token, method = 'GET', json, body, headers = {} } = {}) {
  const init = { method, headers: { accept: 'application/json', authorization: `Bearer ${token}`, ...headers } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['content-type'] = 'application/json';
  } else if (body !== undefined) {
    init.body = body;
  }
  const res = await httpsFetch(`/wp-json${path}`, init);
  const text = await res.text();
  let data;
  try { data = JSON.parse(text); } catch { data = text; }
  return { status: res.status, headers: res.headers, body: data };
}

/** Throws when an earlier step did not leave what this one needs. */
function need(ctx, ...keys) {
  for (const k of keys) {
    if (ctx[k] === undefined) throw new Error(`needs "${k}" from an earlier step, which failed`);
  }
}

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

const steps = [
  {
    name: 'Where the site is',
    async run() {
      console.log(`  Site (node1):        ${site.url}/`);
      console.log(`  Second node:         ${site.node2_url}/   (same database)`);
      console.log(`  Without extension:   ${site.noext_url}/wp-admin/plugins.php   (shows the plugin's notice)`);
      console.log(`  Plain HTTP:          ${site.http_url}/   (OAuth endpoints refuse it)`);
      console.log(`  TLS CA certificate:  ${site.ca_cert}`);
      console.log(`  Logs:                ${site.logs}/`);
    },
  },
  {
    name: 'Logins (local only)',
    async run() {
      for (const [role, u] of Object.entries(site.users)) {
        console.log(`  ${role.padEnd(11)} ${u.login} / ${u.password}`);
      }
      console.log(`  Admin: ${site.url}/wp-admin/`);
    },
  },
  {
    name: 'The extension inside php-fpm',
    async run(ctx) {
      for (const [label, base] of [['node1', site.url], ['node2', site.node2_url], ['noext', site.noext_url]]) {
        const h = await health(base);
        console.log(`  ${label}: sapi=${h.sapi} wp_oauth loaded=${h.wp_oauth_loaded}` +
          (h.wp_oauth_version ? ` version=${h.wp_oauth_version}` : ''));
        if (label === 'node1') ctx.extVersion = h.wp_oauth_version;
      }
    },
  },
  {
    name: 'Discovery from the bare site URL (RFC 9728 → RFC 8414)',
    async run(ctx) {
      const probe = await getJson(`${site.url}/wp-json/wp/v2/users/me`);
      const challenge = probe.headers.get('www-authenticate') || '';
      console.log(`  GET ${site.url}/wp-json/wp/v2/users/me without a token → ${probe.status}`);
      console.log(`    WWW-Authenticate: ${challenge}`);
      const rm = /resource_metadata="([^"]+)"/.exec(challenge);
      expect(rm, 'no resource_metadata in the challenge');
      const prm = await getJson(rm[1]);
      console.log(`  ${rm[1]} → authorization_servers ${JSON.stringify(prm.body.authorization_servers)}`);
      const issuer = new URL(prm.body.authorization_servers[0]);
      ctx.as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...fetchOpts }));
      for (const k of ['issuer', 'authorization_endpoint', 'token_endpoint', 'registration_endpoint', 'jwks_uri', 'scopes_supported', 'code_challenge_methods_supported']) {
        console.log(`    ${k.padEnd(34)} ${JSON.stringify(ctx.as[k])}`);
      }
    },
  },
  {
    name: 'Dynamic client registration (RFC 7591)',
    async run(ctx) {
      need(ctx, 'as');
      ctx.redirectUri = loopbackRedirect('/callback');
      const res = await oauth.dynamicClientRegistrationRequest(ctx.as, {
        client_name: 'WP OAuth demo client',
        redirect_uris: [ctx.redirectUri],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        scope: 'read write',
      }, fetchOpts);
      ctx.client = await oauth.processDynamicClientRegistrationResponse(res);
      console.log(`  client_id     ${ctx.client.client_id}  (public client, PKCE)`);
      console.log(`  redirect_uri  ${ctx.redirectUri}`);
    },
  },
  {
    name: 'Browser login and consent as the author (headless Chromium)',
    async run(ctx) {
      need(ctx, 'client');
      ctx.browser = await launchBrowser();
      const shot = join(site.run_dir || process.env.WPOA_RUN || '.', 'demo-consent.png');
      ctx.auth = await authorize({ as: ctx.as, client: ctx.client, role: 'author', scope: 'read write', redirectUri: ctx.redirectUri, browser: ctx.browser, screenshotPath: shot });
      expect(!ctx.auth.errorPage, `error page: ${ctx.auth.errorPage?.text}`);
      expect(ctx.auth.params.get('code'), `no code in ${ctx.auth.location}`);
      console.log(`  logged in as ${site.users.author.login}, consent screen shown: ${ctx.auth.sawConsent} (screenshot ${shot})`);
      console.log(`  redirected to ${ctx.redirectUri}?code=…&state=…&iss=${ctx.auth.params.get('iss')}`);
    },
  },
  {
    name: 'Code exchange (PKCE S256) → JWT access token + refresh token',
    async run(ctx) {
      need(ctx, 'auth');
      ctx.tokens = await exchangeCode({ as: ctx.as, client: ctx.client, params: ctx.auth.params, redirectUri: ctx.redirectUri, verifier: ctx.auth.verifier, state: ctx.auth.state });
      const { payload, protectedHeader } = await verifyAccessToken(ctx.tokens.access_token, ctx.as);
      console.log(`  access_token  ${short(ctx.tokens.access_token)}  expires_in ${ctx.tokens.expires_in}s, scope "${ctx.tokens.scope}"`);
      console.log(`  refresh_token ${short(ctx.tokens.refresh_token)}`);
      console.log(`  header ${JSON.stringify(protectedHeader)}`);
      console.log(`  claims ${JSON.stringify({ ...payload, jti: '…' })}`);
    },
  },
  {
    name: 'GET /wp-json/wp/v2/users/me with the token',
    async run(ctx) {
      need(ctx, 'tokens');
      const res = await api(ctx, '/wp/v2/users/me?context=edit');
      expect(res.status === 200, `HTTP ${res.status}: ${JSON.stringify(res.body)}`);
      console.log(`  ${res.status}: id ${res.body.id}, username ${res.body.username}, roles ${JSON.stringify(res.body.roles)}`);
      console.log(`  Cache-Control: ${res.headers.get('cache-control')}; Vary: ${res.headers.get('vary')}`);
    },
  },
  {
    name: 'Create a draft post',
    async run(ctx) {
      need(ctx, 'tokens');
      ctx.title = `Hello from OAuth (${new Date().toISOString()})`;
      const res = await api(ctx, '/wp/v2/posts', { method: 'POST', json: { title: ctx.title, content: '<p>Written by a client that knows only the site address.</p>', status: 'draft' } });
      expect(res.status === 201, `HTTP ${res.status}: ${JSON.stringify(res.body)}`);
      ctx.postId = res.body.id;
      console.log(`  201: post ${ctx.postId} "${res.body.title.raw}", status ${res.body.status}, author ${res.body.author}`);
    },
  },
  {
    name: 'Upload an image to the media library',
    async run(ctx) {
      need(ctx, 'tokens');
      const res = await api(ctx, '/wp/v2/media', { method: 'POST', body: PNG, headers: { 'content-type': 'image/png', 'content-disposition': 'attachment; filename="oauth-demo.png"' } });
      expect(res.status === 201, `HTTP ${res.status}: ${JSON.stringify(res.body)}`);
      ctx.mediaId = res.body.id;
      ctx.mediaUrl = res.body.source_url;
      console.log(`  201: attachment ${ctx.mediaId} (${res.body.mime_type}, ${PNG.length} bytes) at ${ctx.mediaUrl}`);
    },
  },
  {
    name: 'Publish the post with the image',
    async run(ctx) {
      need(ctx, 'postId', 'mediaId');
      const content = `<p>Written by a client that knows only the site address.</p><figure><img src="${ctx.mediaUrl}" alt="red dot" /></figure>`;
      const res = await api(ctx, `/wp/v2/posts/${ctx.postId}`, { method: 'POST', json: { status: 'publish', featured_media: ctx.mediaId, content } });
      expect(res.status === 200, `HTTP ${res.status}: ${JSON.stringify(res.body)}`);
      console.log(`  200: status ${res.body.status}, featured_media ${res.body.featured_media}`);
      console.log(`  ${res.body.link}`);
    },
  },
  {
    name: 'Read it back (anonymously, and from the database)',
    async run(ctx) {
      need(ctx, 'postId');
      const res = await getJson(`/wp-json/wp/v2/posts/${ctx.postId}`);
      expect(res.status === 200, `HTTP ${res.status}`);
      console.log(`  GET /wp-json/wp/v2/posts/${ctx.postId} without a token → ${res.status}: "${res.body.title.rendered}"`);
      const [row] = dbQuery(`SELECT post_status, post_author, post_title FROM wp_posts WHERE ID = ${Number(ctx.postId)}`);
      console.log(`  wp_posts row: ${JSON.stringify(row)}`);
      expect(row.post_title === ctx.title && row.post_status === 'publish', 'database row differs');
    },
  },
  {
    name: 'A read-only token is refused with 403 when it writes',
    async run(ctx) {
      need(ctx, 'client', 'browser', 'postId');
      const auth = await authorize({ as: ctx.as, client: ctx.client, role: 'author', scope: 'read', redirectUri: ctx.redirectUri, browser: ctx.browser });
      const ro = await exchangeCode({ as: ctx.as, client: ctx.client, params: auth.params, redirectUri: ctx.redirectUri, verifier: auth.verifier, state: auth.state });
      const read = await api(ctx, '/wp/v2/users/me', { token: ro.access_token });
      const write = await api(ctx, `/wp/v2/posts/${ctx.postId}`, { token: ro.access_token, method: 'POST', json: { title: 'Changed by a read-only token' } });
      console.log(`  token with scope "${ro.scope}": GET users/me → ${read.status}; POST posts/${ctx.postId} → ${write.status} ${write.body.code || ''}`);
      console.log(`    WWW-Authenticate: ${write.headers.get('www-authenticate')}`);
      expect(read.status === 200 && write.status === 403, 'expected 200 then 403');
    },
  },
  {
    name: 'A bad token gets 401 invalid_token (no fallback)',
    async run(ctx) {
      need(ctx, 'tokens');
      const t = ctx.tokens.access_token;
      const res = await api(ctx, '/wp/v2/users/me', { token: `${t.slice(0, -4)}AAAA` });
      console.log(`  tampered signature → ${res.status} ${JSON.stringify(res.body)}`);
      console.log(`    WWW-Authenticate: ${res.headers.get('www-authenticate')}`);
      expect(res.status === 401 && res.body.error === 'invalid_token', 'expected 401 invalid_token');
    },
  },
  {
    name: 'Refresh: the refresh token rotates (RFC 6749 §6, RFC 9700 §4.14.2)',
    async run(ctx) {
      need(ctx, 'tokens');
      const old = ctx.tokens.refresh_token;
      const res = await oauth.refreshTokenGrantRequest(ctx.as, ctx.client, oauth.None(), old, fetchOpts);
      ctx.tokens = await oauth.processRefreshTokenResponse(ctx.as, ctx.client, res);
      expect(ctx.tokens.refresh_token && ctx.tokens.refresh_token !== old, 'no new refresh token');
      const me = await api(ctx, '/wp/v2/users/me');
      console.log(`  new access_token ${short(ctx.tokens.access_token)}, new refresh_token ${short(ctx.tokens.refresh_token)}`);
      console.log(`  the new access token works: GET users/me → ${me.status}`);
      expect(me.status === 200, `users/me answered ${me.status}`);
      const [row] = dbQuery(`SELECT COUNT(*) AS used FROM wp_oauth_refresh_tokens WHERE grant_id = ${Number(JSON.parse(Buffer.from(ctx.tokens.access_token.split('.')[1], 'base64url')).grant_id)} AND used_at IS NOT NULL`);
      console.log(`  the old refresh token is marked used in the database (${row.used} used in this grant)`);
    },
  },
  {
    name: 'The author revokes the app from their profile (RFC 7009 semantics)',
    async run(ctx) {
      need(ctx, 'tokens', 'browser');
      const grantId = JSON.parse(Buffer.from(ctx.tokens.access_token.split('.')[1], 'base64url')).grant_id;
      // The author is still logged in in the demo browser: use the profile screen's own REST call.
      const page = await ctx.browser.context.newPage();
      await page.goto(`${site.url}/wp-admin/profile.php`);
      const status = await page.evaluate(async (id) => {
        try { await window.wp.apiFetch({ path: `/wp-oauth/v1/me/grants/${id}`, method: 'DELETE' }); return 200; } catch (e) { return e?.data?.status ?? -1; }
      }, grantId);
      await page.close();
      const me = await api(ctx, '/wp/v2/users/me');
      console.log(`  DELETE /wp-oauth/v1/me/grants/${grantId} from the profile screen → ${status}`);
      console.log(`  the app's next API call → ${me.status} ${me.body.error || ''}`);
      const res = await oauth.refreshTokenGrantRequest(ctx.as, ctx.client, oauth.None(), ctx.tokens.refresh_token, fetchOpts);
      console.log(`  its refresh token → ${res.status} ${(await res.json()).error}`);
      expect(status === 200 && me.status === 401 && res.status === 400, 'expected the grant to be revoked');
    },
  },
];

const ctx = {};
let failed = 0;
console.log(`\nWP OAuth demo against ${site.url}\n`);
for (const [i, step] of steps.entries()) {
  console.log(`== ${i + 1}. ${step.name}`);
  try {
    await step.run(ctx);
  } catch (e) {
    failed++;
    console.log(`  FAILED: ${e.stack || e}`);
  }
  console.log('');
}
await ctx.browser?.close();
console.log(`The site keeps running at ${site.url}/ (admin: ${site.users.admin.login} / ${site.users.admin.password}).`);
// Name the instance when it is not the default one, so `make down` stops this stack and no other.
const runDir = process.env.WPOA_RUN || site.run_dir;
const port = String(process.env.WPOA_PORT || site.port);
const instance = [
  runDir && site.repo && runDir !== join(site.repo, '.run') && `WPOA_RUN=${runDir}`,
  port !== '8443' && `WPOA_PORT=${port}`,
].filter(Boolean).join(' ');
console.log(`Stop it with: ${instance ? `${instance} ` : ''}make down`);
process.exitCode = failed ? 1 : 0;
