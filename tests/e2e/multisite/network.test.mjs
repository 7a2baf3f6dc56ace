// A network of real WordPress (Debian's 6.1) on real MariaDB, started by scripts/test-multisite.sh,
// once as a sub-directory network (WPOA_MULTISITE=subdir: the main site, /site2/, /site3/) and once
// as a sub-domain network (subdomain: site2.localhost, site3.localhost).
// oauth4webapi discovers each site and exchanges codes, jose verifies tokens against each site's
// JWKS, and Chromium logs in and consents. Proves that each site is its own authorization server
// and resource server, that membership decides who gets a code and whose token works, what
// network activation, new, suspended and deleted sites do, that each site runs its own cleanup,
// the per-site screens, the network admin page, and that uninstall empties every site.
//
// Users (scripts/lib/multisite.php): admin is the super admin and a member of main and site2;
// author is a member of every site (administrator of site3); subscriber is a member of main and
// site2, not of site3.
import { test, before, after } from 'node:test';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import * as jose from 'jose';
import { fetch as undiciFetch } from 'undici';
import {
  site, sites, networkSite, agent, getJson, postJson, httpsFetch, wpEval, wpEvalJson, dbQuery, launchBrowser, loginAs,
  screenshot, url,
} from '../lib/site.mjs';
import { fetchOpts, loopbackRedirect, authorize, exchangeCode, clientAuthFor } from '../lib/flow.mjs';

const ME = '/wp-json/wp/v2/users/me';
const main = networkSite('main');
const site2 = networkSite('site2');
const site3 = networkSite('site3');
const subdomain = site.multisite === 'subdomain';
// The documentation's pictures come from the sub-directory run; the other run keeps its own.
const shot = (name) => (subdomain ? join(site.run_dir, 'screenshots', name) : `docs/screenshots/${name}`);
/** Where a new site of this network lives: domain, path and URL. */
function newSite(slug) {
  const host = new URL(main.url).host;
  return subdomain
    ? { domain: `${slug}.${host}`, path: '/', url: `https://${slug}.${host}` }
    : { domain: host, path: `/${slug}/`, url: `${main.url}/${slug}` };
}
const b64 = (s) => Buffer.from(String(s)).toString('base64');
const prefix = (s) => (s.id === 1 ? 'wp_' : `wp_${s.id}_`);

/** RFC 8414 discovery of one site: oauth4webapi fetches the path-inserted well-known URL at the host's root. */
async function discoverSite(s) {
  const issuer = new URL(s.url);
  const res = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...fetchOpts });
  return oauth.processDiscoveryResponse(issuer, res);
}

/** RFC 7591 registration of a public loopback client at one site. */
async function registerAt(as, name = 'Network test client') {
  const redirectUri = loopbackRedirect();
  const res = await oauth.dynamicClientRegistrationRequest(as, {
    client_name: name, redirect_uris: [redirectUri], token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
  }, fetchOpts);
  const client = await oauth.processDynamicClientRegistrationResponse(res);
  return { ...client, redirectUri };
}

/** jose's RFC 9068 check of an access token against one site's JWKS. */
async function verifyAt(token, as, s) {
  const jwks = jose.createLocalJWKSet(await (await undiciFetch(as.jwks_uri, { dispatcher: agent })).json());
  return jose.jwtVerify(token, jwks, { issuer: s.url, audience: `${s.url}/wp-json/`, typ: 'at+jwt' });
}

/** Browser flow (Chromium logs in as `role` and approves) and code exchange at one site. */
async function flowAt(s, as, client, { role = 'author', scope = 'read write', browser, screenshotPath } = {}) {
  const auth = await authorize({ as, client, role, scope, redirectUri: client.redirectUri, browser, screenshotPath });
  if (auth.errorPage) throw new Error(`error page at ${s.url}: ${auth.errorPage.text}`);
  const tokens = await exchangeCode({ as, client, params: auth.params, redirectUri: client.redirectUri, verifier: auth.verifier, state: auth.state });
  return { auth, tokens };
}

/** A grant, refresh token and access token minted inside one site with the plugin's repositories. */
function mintAt(s, clientId, login, scope = 'read write') {
  return wpEvalJson(`
    $uid = get_user_by('login', base64_decode('${b64(login)}'))->ID;
    $cid = base64_decode('${b64(clientId)}');
    $g = \\Wpoa\\Grant_Repository::create($cid, $uid, '${scope}', \\Wpoa\\Urls::audience(), time());
    $row = \\Wpoa\\Grant_Repository::find($g);
    $rt = \\Wpoa\\Refresh_Token_Repository::create($g, $cid, '${scope}', (int) $row->expires_at);
    $a = \\Wpoa\\Token_Issuer::access_token($cid, $uid, '${scope}', $g, \\Wpoa\\Urls::audience(), time());
    echo json_encode(['grant_id' => $g, 'refresh_token' => $rt, 'access_token' => $a['token']]);
  `, { blogId: s.id });
}

const me = (s, token) => getJson(`${s.url}${ME}`, { headers: { authorization: `Bearer ${token}` } });

function assertInvalidToken(res, what) {
  assert.equal(res.status, 401, `${what}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  assert.match(res.headers.get('www-authenticate') || '', /error="invalid_token"/, `${what}: challenge`);
}

const oauthTables = (p) => dbQuery(`SHOW TABLES LIKE '${p.replace(/_/g, '\\_')}oauth\\_%'`).map((r) => Object.values(r)[0]);

let as1; let as2; let as3;
// One browser per user: on a sub-directory network one login cookie covers every site.
const browsers = {};
async function browserFor(role) {
  browsers[role] ||= await launchBrowser();
  return browsers[role];
}

before(async () => {
  assert.ok(['subdir', 'subdomain'].includes(site.multisite), 'site.json: the stack is not a network (scripts/test-multisite.sh starts one)');
  assert.ok(sites.length >= 3, 'the network has the main site, site2 and site3');
  if (subdomain) assert.equal(new URL(site2.url).hostname, 'site2.localhost');
  else assert.equal(new URL(site2.url).pathname, '/site2');
  [as1, as2, as3] = await Promise.all([discoverSite(main), discoverSite(site2), discoverSite(site3)]);
});
after(async () => { for (const b of Object.values(browsers)) await b.close(); });

test('each site is its own issuer with its own metadata, protected-resource document and JWKS', async () => {
  const kids = new Map();
  for (const [s, as] of [[main, as1], [site2, as2], [site3, as3]]) {
    assert.equal(as.issuer, s.url);
    for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'registration_endpoint', 'revocation_endpoint', 'introspection_endpoint']) {
      assert.ok(as[k].startsWith(`${s.url}/`), `${s.url}: ${k} = ${as[k]}`);
    }
    // RFC 9728 §3.1: the REST API's document at the path-inserted URL, at the host's root.
    const resource = `${s.url}/wp-json/`;
    const prm = await getJson(`${new URL(s.url).origin}/.well-known/oauth-protected-resource${new URL(resource).pathname}`);
    assert.equal(prm.status, 200, `${s.url}: protected-resource metadata`);
    assert.equal(prm.body.resource, resource);
    assert.deepEqual(prm.body.authorization_servers, [s.url]);
    const jwks = await getJson(as.jwks_uri);
    assert.equal(jwks.status, 200);
    assert.ok(jwks.body.keys.length >= 1, `${s.url}: a published key`);
    for (const k of jwks.body.keys) {
      assert.ok(!kids.has(k.kid), `key ${k.kid} of ${s.url} is also published by ${kids.get(k.kid)}`);
      kids.set(k.kid, s.url);
    }
  }
  // A site path that is not a site: the root's own answer, not another site's document.
  const none = await getJson(`${main.url}/.well-known/oauth-authorization-server/no-such-site`);
  assert.equal(none.status, 404);
});

test('clients are per site: a client of site2 is unknown to site3', async () => {
  const client = await registerAt(as2);
  const rows = dbQuery(`SELECT COUNT(*) AS n FROM ${prefix(site3)}oauth_clients WHERE client_id = '${client.client_id}'`);
  assert.equal(rows[0].n, '0');
  const auth = await authorize({ as: as3, client, role: 'author', redirectUri: client.redirectUri, browser: await browserFor('author') });
  assert.ok(auth.errorPage, 'an unknown client gets an error page, never a redirect');
  assert.match(auth.errorPage.text, /client/i);
  const res = await postJson(as3.token_endpoint, {
    grant_type: 'authorization_code', client_id: client.client_id, code: 'x'.repeat(43), redirect_uri: client.redirectUri, code_verifier: 'x'.repeat(43),
  });
  assert.equal(res.status, 401, `token endpoint of site3: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.error, 'invalid_client');
});

test('a token of site2 works there only, also for a user who is a member of every site', async () => {
  const client = await registerAt(as2, 'Site two app');
  const { tokens } = await flowAt(site2, as2, client, { role: 'author', browser: await browserFor('author'), screenshotPath: shot('multisite-consent-site2.png') });
  const { payload } = await verifyAt(tokens.access_token, as2, site2);
  assert.equal(payload.iss, site2.url);
  assert.equal(payload.sub, String(site.users.author.id));
  await assert.rejects(verifyAt(tokens.access_token, as3, site3), 'jose: site3 publishes no key for it');

  const ok = await me(site2, tokens.access_token);
  assert.equal(ok.status, 200);
  assert.equal(ok.body.id, site.users.author.id);
  assert.ok(site3.members.author && main.members.author, 'author is a member of every site');
  assertInvalidToken(await me(site3, tokens.access_token), 'the site2 token on site3');
  assertInvalidToken(await me(main, tokens.access_token), 'the site2 token on the main site');
  // The refresh token and introspection of site2 mean nothing at site3's token endpoint.
  const r = await oauth.refreshTokenGrantRequest(as3, client, clientAuthFor(client), tokens.refresh_token, fetchOpts);
  const body = await r.json();
  assert.ok(['invalid_client', 'invalid_grant'].includes(body.error), `refresh at site3: ${JSON.stringify(body)}`);
});

test('a user who is not a member of a site gets no code there', async () => {
  assert.equal(site3.members.subscriber, false);
  const client = await registerAt(as3, 'Site three app');
  const auth = await authorize({ as: as3, client, role: 'subscriber', redirectUri: client.redirectUri, browser: await browserFor('subscriber') });
  assert.ok(!auth.errorPage, `expected a redirect with an error, got ${auth.errorPage?.text}`);
  assert.equal(auth.params.get('code'), null, 'no code');
  assert.equal(auth.params.get('error'), 'access_denied');
  assert.match(auth.params.get('error_description') || '', /not a member of this site/);
  assert.equal(auth.params.get('iss'), site3.url, 'RFC 9207: the error names its issuer');
  const grants = dbQuery(`SELECT COUNT(*) AS n FROM ${prefix(site3)}oauth_grants WHERE user_id = ${site.users.subscriber.id}`);
  assert.equal(grants[0].n, '0');
});

test('a user removed from a site: their token there stops at once, their grants end, other sites unaffected', async () => {
  const c2 = await registerAt(as2, 'Removal app');
  const c1 = await registerAt(as1, 'Removal app (main)');
  const t2 = mintAt(site2, c2.client_id, 'subscriber');
  const t1 = mintAt(main, c1.client_id, 'subscriber');
  assert.equal((await me(site2, t2.access_token)).status, 200);
  try {
    wpEval(`remove_user_from_blog(${site.users.subscriber.id}, ${site2.id});`);
    assertInvalidToken(await me(site2, t2.access_token), 'token of a removed user');
    const row = dbQuery(`SELECT status, revoked_reason FROM ${prefix(site2)}oauth_grants WHERE id = ${t2.grant_id}`)[0];
    assert.deepEqual(row, { status: 'revoked', revoked_reason: 'user_removed' });
    const r = await oauth.refreshTokenGrantRequest(as2, c2, clientAuthFor(c2), t2.refresh_token, fetchOpts);
    assert.equal((await r.json()).error, 'invalid_grant');
    assert.equal((await me(main, t1.access_token)).status, 200, 'the main site keeps its own grant');
  } finally {
    wpEval(`add_user_to_blog(${site2.id}, ${site.users.subscriber.id}, 'subscriber');`);
  }
  // Added back, the ended grant stays ended.
  assertInvalidToken(await me(site2, t2.access_token), 'token of a re-added user');
});

test('a password change on one site ends the user\'s grants on every site of the network', async () => {
  const c1 = await registerAt(as1, 'Password app (main)');
  const c2 = await registerAt(as2, 'Password app (site two)');
  const t1 = mintAt(main, c1.client_id, 'subscriber');
  const t2 = mintAt(site2, c2.client_id, 'subscriber');
  assert.equal((await me(site2, t2.access_token)).status, 200);
  await new Promise((r) => setTimeout(r, 1100)); // the cut-off is in whole seconds
  const u = site.users.subscriber;
  try {
    wpEval(`wp_update_user(['ID' => ${u.id}, 'user_pass' => 'a-new-password-${Date.now()}']);`);
  } finally {
    wpEval(`wp_update_user(['ID' => ${u.id}, 'user_pass' => base64_decode('${b64(u.password)}')]);`);
  }
  for (const [s, t] of [[main, t1], [site2, t2]]) {
    assertInvalidToken(await me(s, t.access_token), `${s.url}: token from before the change`);
    const row = dbQuery(`SELECT status, revoked_reason FROM ${prefix(s)}oauth_grants WHERE id = ${t.grant_id}`)[0];
    assert.deepEqual(row, { status: 'revoked', revoked_reason: 'password_changed' }, `${s.url}: grant`);
  }
});

test('a super admin gets a code on a site they are not a member of, and scopes still narrow them', async () => {
  assert.equal(site3.members.admin, false);
  const client = await registerAt(as3, 'Super admin app');
  const { tokens } = await flowAt(site3, as3, client, { role: 'admin', scope: 'read', browser: await browserFor('admin') });
  const ok = await me(site3, tokens.access_token);
  assert.equal(ok.status, 200);
  assert.equal(ok.body.id, site.users.admin.id);
  const write = await httpsFetch(`${site3.url}/wp-json/wp/v2/posts`, {
    method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'not with read', status: 'draft' }),
  });
  assert.equal(write.status, 403, 'a read token cannot write, even for a super admin');
  // Made a super admin, a non-member's token works on site3; no longer one, it stops at once.
  // (Core never revokes the network administrator whose address is the network's admin email, so
  // the subscriber plays the part.)
  assert.equal(site3.members.subscriber, false);
  const sub = site.users.subscriber.id;
  const ms = "require_once ABSPATH . 'wp-admin/includes/ms.php';";
  try {
    assert.equal(wpEval(`${ms} echo grant_super_admin(${sub}) ? 'ok' : 'no';`), 'ok');
    const t = mintAt(site3, client.client_id, 'subscriber', 'read');
    assert.equal((await me(site3, t.access_token)).status, 200, 'a super admin token on a site they are not a member of');
    assert.equal(wpEval(`${ms} echo revoke_super_admin(${sub}) ? 'ok' : 'no';`), 'ok');
    assertInvalidToken(await me(site3, t.access_token), 'the same token after revoke_super_admin');
  } finally {
    wpEval(`${ms} revoke_super_admin(${sub});`);
  }
});

test('network activation installed every existing site, each with its own cleanup event', () => {
  for (const s of sites) {
    const tables = oauthTables(prefix(s)).filter((t) => s.id !== 1 || !/^wp_\d+_/.test(t));
    assert.equal(tables.length, 7, `${s.url}: ${tables.join(', ')}`);
    const state = wpEvalJson(`echo json_encode(['next' => wp_next_scheduled('wpoa_cleanup'), 'keys' => count(get_option('wpoa_signing_keys', []))]);`, { blogId: s.id });
    assert.ok(state.next > 0, `${s.url}: hourly cleanup scheduled in the site's own cron`);
    assert.ok(state.keys >= 1, `${s.url}: a signing key`);
  }
});

test('each site runs its own cleanup: site2\'s cron deletes site2\'s rows only', async () => {
  const now = Math.floor(Date.now() / 1000);
  const hash = (n) => `ms${n}${'x'.repeat(41 - String(n).length)}`;
  for (const s of [site2, site3]) {
    dbQuery(`INSERT INTO ${prefix(s)}oauth_codes (code_hash, client_id, user_id, redirect_uri, code_challenge, scope, audience, auth_time, created_at, expires_at)
      VALUES ('${hash(s.id)}', 'c', 1, 'http://127.0.0.1/cb', 'x', 'read', '', ${now - 9000}, ${now - 9000}, ${now - 8000})`);
  }
  wpEval(`wp_clear_scheduled_hook('wpoa_cleanup'); wp_schedule_event(time() - 5, 'hourly', 'wpoa_cleanup');`, { blogId: site2.id });
  const res = await httpsFetch(`${site2.url}/wp-cron.php?doing_wp_cron`);
  assert.equal(res.status, 200);
  const left = (s) => dbQuery(`SELECT COUNT(*) AS n FROM ${prefix(s)}oauth_codes WHERE code_hash = '${hash(s.id)}'`)[0].n;
  for (let i = 0; i < 300 && left(site2) !== '0'; i++) await new Promise((r) => setTimeout(r, 100)); // wp-cron.php answers first, then runs
  assert.equal(left(site2), '0', "site2's cron removed its expired code");
  assert.equal(left(site3), '1', "site2's cron left site3's rows alone");
  const next = wpEvalJson(`echo json_encode(wp_next_scheduled('wpoa_cleanup'));`, { blogId: site2.id });
  assert.ok(next > now, 'rescheduled an hour on');
  dbQuery(`DELETE FROM ${prefix(site3)}oauth_codes WHERE code_hash = '${hash(site3.id)}'`);
});

test('a new site is installed at once; archived, spam or deactivated it accepts no token; deleted, its tables go', async () => {
  const where = newSite('site4');
  const id = wpEvalJson(`
    $id = wp_insert_site(['domain' => '${where.domain}', 'path' => '${where.path}', 'title' => 'Fourth site', 'user_id' => ${site.users.admin.id}]);
    echo json_encode(is_wp_error($id) ? $id->get_error_message() : $id);`);
  assert.equal(typeof id, 'number', `wp_insert_site: ${id}`);
  const s4 = { id, ...where };
  assert.equal(wpEvalJson(`echo json_encode(home_url());`, { blogId: id }), s4.url);
  try {
    assert.equal(oauthTables(prefix(s4)).length, 7, 'tables created on wp_initialize_site');
    const as4 = await discoverSite(s4);
    assert.equal(as4.issuer, s4.url);
    const client = await registerAt(as4, 'Site four app');
    // The super admin: core lets them into a suspended site, the plugin must not let their token in.
    const t = mintAt(s4, client.client_id, 'admin');
    assert.equal((await me(s4, t.access_token)).status, 200);
    for (const flag of ['archived', 'spam', 'deleted']) {
      wpEval(`update_blog_status(${id}, '${flag}', 1);`);
      const res = await me(s4, t.access_token);
      assert.notEqual(res.status, 200, `${flag}: the token still works`);
      assert.ok([401, 410].includes(res.status), `${flag}: HTTP ${res.status}`);
      if (res.status === 401) assert.match(res.headers.get('www-authenticate') || '', /invalid_token/);
      wpEval(`update_blog_status(${id}, '${flag}', 0);`);
      assert.equal((await me(s4, t.access_token)).status, 200, `${flag} undone: works again`);
    }
    wpEval(`require_once ABSPATH . 'wp-admin/includes/ms.php'; wp_delete_site(${id});`);
    assert.deepEqual(oauthTables(prefix(s4)), [], 'tables dropped with the site');
    const gone = await me(s4, t.access_token);
    assert.notEqual(gone.status, 200, 'no token of a deleted site works');
    assertInvalidToken(await me(main, t.access_token), 'a deleted site token on the main site');
  } finally {
    wpEval(`require_once ABSPATH . 'wp-admin/includes/ms.php'; if (get_site(${id})) wp_delete_site(${id});`);
  }
});

test('screens per site: profile "Authorized applications", OAuth Clients, and the network admin page', async () => {
  const c2 = await registerAt(as2, 'Only on site two');
  const c3 = await registerAt(as3, 'Only on site three');
  const g2 = mintAt(site2, c2.client_id, 'author');
  const g3 = mintAt(site3, c3.client_id, 'author');
  const b = await launchBrowser();
  try {
    await loginAs(b.page, 'author', site2.url);
    await b.page.goto(`${site2.url}/wp-admin/profile.php`);
    const apps = b.page.locator('#wpoa-authorized-apps');
    await apps.waitFor();
    assert.equal(await apps.locator(`tr[data-grant="${g2.grant_id}"]`).count(), 1, "site2's profile lists its grant");
    assert.doesNotMatch(await apps.innerText(), /Only on site three/);
    await apps.scrollIntoViewIfNeeded();
    await screenshot(b.page, shot('multisite-profile-site2.png'));
    if (subdomain) await loginAs(b.page, 'author', site3.url); // each host has its own login cookie
    await b.page.goto(`${site3.url}/wp-admin/profile.php`);
    const apps3 = b.page.locator('#wpoa-authorized-apps');
    await apps3.waitFor();
    assert.match(await apps3.innerText(), /Only on site three/);
    assert.doesNotMatch(await apps3.innerText(), /Only on site two/);
    // author administers site3: its clients screen lists its clients only.
    await b.page.goto(`${site3.url}/wp-admin/users.php?page=wpoa-clients`);
    assert.equal(await b.page.locator(`tr[data-client-id="${c3.client_id}"]`).count(), 1);
    assert.equal(await b.page.locator(`tr[data-client-id="${c2.client_id}"]`).count(), 0);
    // Not a network administrator: no network page.
    await b.page.goto(`${main.url}/wp-admin/network/settings.php?page=wpoa-network`);
    assert.equal(await b.page.locator('#wpoa-network').count(), 0);
  } finally {
    await b.close();
  }
  const admin = await launchBrowser();
  try {
    await loginAs(admin.page, 'admin', main.url);
    const res = await admin.page.goto(`${main.url}/wp-admin/network/settings.php?page=wpoa-network`);
    assert.equal(res.status(), 200);
    const table = admin.page.locator('#wpoa-network table');
    for (const s of sites) {
      const row = table.locator(`tr[data-site-id="${s.id}"]`);
      assert.match(await row.innerText(), new RegExp(s.url.replace(/[/.]/g, '\\$&')));
      const clients = dbQuery(`SELECT COUNT(*) AS n FROM ${prefix(s)}oauth_clients`)[0].n;
      assert.equal((await row.locator('td.wpoa-clients').innerText()).trim(), clients, `${s.url}: clients`);
      const grants = dbQuery(`SELECT COUNT(*) AS n FROM ${prefix(s)}oauth_grants WHERE status = 'active' AND expires_at > UNIX_TIMESTAMP()`)[0].n;
      assert.equal((await row.locator('td.wpoa-grants').innerText()).trim(), grants, `${s.url}: grants`);
    }
    await screenshot(admin.page, shot('multisite-network-admin.png'));
    // The network's user screen belongs to no site: it lists no site's grants, it says where they are.
    await admin.page.goto(`${main.url}/wp-admin/network/user-edit.php?user_id=${site.users.author.id}`);
    const apps = admin.page.locator('#wpoa-authorized-apps');
    assert.match(await apps.innerText(), /each site/i);
    assert.equal(await apps.locator('tr[data-grant]').count(), 0);
  } finally {
    await admin.close();
  }
  assert.ok(g3.grant_id > 0);
});

test('uninstall drops every site\'s tables and options; network activation installs the sites again', async () => {
  const before = mintAt(site2, (await registerAt(as2, 'Before uninstall')).client_id, 'author');
  const out = wpEvalJson(`
    deactivate_plugins('wp-oauth/wp-oauth.php', true, true);
    uninstall_plugin('wp-oauth/wp-oauth.php');
    $left = [];
    foreach (get_sites() as $s) {
      switch_to_blog($s->blog_id);
      global $wpdb;
      $left[$s->blog_id] = (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE 'wpoa\\\\_%'");
      $left[$s->blog_id . 'cron'] = (int) wp_next_scheduled('wpoa_cleanup');
      restore_current_blog();
    }
    echo json_encode($left);`);
  for (const [k, v] of Object.entries(out)) assert.equal(v, 0, `site ${k}: left behind`);
  for (const s of sites) assert.deepEqual(oauthTables(prefix(s)).filter((t) => s.id !== 1 || !/^wp_\d+_/.test(t)), [], `${s.url}: tables`);
  // Network activation installs at most wpoa_network_activation_sites sites in its own request
  // (here 2, by site ID); the others install themselves on their first request.
  const r = wpEval(`add_filter('wpoa_network_activation_sites', fn() => 2);
    $r = activate_plugin('wp-oauth/wp-oauth.php', '', true); echo is_wp_error($r) ? $r->get_error_message() : 'ok';`);
  assert.equal(r, 'ok');
  const ours = (s) => oauthTables(prefix(s)).filter((t) => s.id !== 1 || !/^wp_\d+_/.test(t));
  const [first, second, ...later] = [...sites].sort((a, b) => a.id - b.id);
  for (const s of [first, second]) assert.equal(ours(s).length, 7, `${s.url}: installed by activation`);
  assert.ok(later.length >= 1);
  for (const s of later) {
    assert.equal(ours(s).length, 0, `${s.url}: left to its first request`);
    const meta = await getJson(`${s.url}/wp-json/wp-oauth/v1/metadata`);
    assert.equal(meta.status, 200, `${s.url}: first request`);
    assert.equal(meta.body.issuer, s.url);
    assert.equal(ours(s).length, 7, `${s.url}: installed on its first request`);
    const state = wpEvalJson(`echo json_encode(['next' => wp_next_scheduled('wpoa_cleanup'), 'keys' => count(get_option('wpoa_signing_keys', []))]);`, { blogId: s.id });
    assert.ok(state.next > 0 && state.keys >= 1, `${s.url}: cleanup and key as on activation: ${JSON.stringify(state)}`);
  }
  assertInvalidToken(await me(site2, before.access_token), 'a token from before the uninstall');
});
