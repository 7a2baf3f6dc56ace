// Scopes that hold, over real HTTPS with tokens from the real consent flow (Chromium plays the
// administrator): for `read`, `write` and `full`, every account-security operation a delegated
// credential must not reach is refused with 403 insufficient_scope, and the account is unchanged
// afterwards — email, password (still logs in), profile, role, Application Passwords, the other
// authorized applications, site settings, no new user. docs/scopes.md is the contract.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { site, httpsFetch, wpEvalJson, launchBrowser } from './lib/site.mjs';
import { fullFlow, discover, registerClient, loopbackRedirect } from './lib/flow.mjs';

const b64 = (s) => Buffer.from(s).toString('base64');
const tokens = {};
let browser;
let baseline;
let otherGrant;
let adminId;

/** The administrator's account as the database has it. */
function account() {
  return wpEvalJson(`
    $u = get_user_by('login', base64_decode('${b64(site.users.admin.login)}'));
    clean_user_cache($u->ID);
    $u = get_userdata($u->ID);
    $ok = wp_check_password(base64_decode('${b64(site.users.admin.password)}'), $u->user_pass, $u->ID);
    echo json_encode([
      'id' => $u->ID, 'email' => $u->user_email, 'login' => $u->user_login, 'roles' => array_values($u->roles),
      'password_works' => $ok, 'description' => (string) get_user_meta($u->ID, 'description', true),
      'app_passwords' => count(WP_Application_Passwords::get_user_application_passwords($u->ID)),
      'blogname' => get_option('blogname'), 'evil' => (bool) get_user_by('login', 'e2e-evil-admin'),
    ]);
  `);
}

function grantStatus(id) {
  return wpEvalJson(`echo json_encode(\\Wpoa\\Grant_Repository::find(${Number(id)})->status);`);
}

function api(path, token, { method = 'GET', json } = {}) {
  const init = { method, headers: { accept: 'application/json', authorization: `Bearer ${token}` } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['content-type'] = 'application/json';
  }
  return httpsFetch(`/wp-json${path}`, init).then(async (res) => {
    const text = await res.text();
    let body;
    try { body = JSON.parse(text); } catch { body = text; }
    return { status: res.status, headers: res.headers, body };
  });
}

before(async () => {
  browser = await launchBrowser();
  // An Application Password and another application the admin already has: both must survive.
  const made = wpEvalJson(`
    $u = get_user_by('login', base64_decode('${b64(site.users.admin.login)}'));
    $p = WP_Application_Passwords::create_new_application_password($u->ID, ['name' => 'e2e scopes: kept']);
    $cid = 'e2e-scopes-other-' . wp_generate_password(8, false);
    \\Wpoa\\Client_Repository::insert(['client_id' => $cid, 'redirect_uris' => ['https://other.example/cb'], 'metadata' => ['client_name' => 'other app']]);
    $g = \\Wpoa\\Grant_Repository::create($cid, $u->ID, 'read', \\Wpoa\\Urls::audience(), time());
    echo json_encode(['uuid' => $p[1]['uuid'], 'grant' => $g, 'id' => $u->ID]);
  `);
  otherGrant = made.grant;
  adminId = made.id;
  baseline = account();
  assert.equal(baseline.password_works, true);

  const as = await discover();
  const redirectUri = loopbackRedirect('/scopes-cb');
  const client = await registerClient({ redirect_uris: [redirectUri], scope: 'read write full', client_name: 'e2e scopes' }, { as });
  for (const scope of ['read', 'write', 'full']) {
    const flow = await fullFlow({ client, redirectUri, role: 'admin', scope, browser });
    assert.equal(flow.claims.scope, scope);
    tokens[scope] = flow.tokens.access_token;
  }
});

after(async () => {
  await browser?.close();
  wpEvalJson(`
    foreach (WP_Application_Passwords::get_user_application_passwords(${Number(adminId)}) as $p) {
      if ('e2e scopes: kept' === $p['name']) { WP_Application_Passwords::delete_application_password(${Number(adminId)}, $p['uuid']); }
    }
    echo 1;
  `);
});

/** Operations no read or write token may perform; `full` may, except minting. */
const ACCOUNT_OPS = [
  ['create an Application Password', () => ['/wp/v2/users/me/application-passwords', { method: 'POST', json: { name: 'minted by a token' } }]],
  ['change the email address', () => ['/wp/v2/users/me', { method: 'POST', json: { email: 'attacker@example.com' } }]],
  ['change the password', () => ['/wp/v2/users/me', { method: 'POST', json: { password: 'attacker-chosen-password' } }]],
  ['edit the public profile', () => ['/wp/v2/users/me', { method: 'POST', json: { description: 'defaced' } }]],
  ['change own role', () => [`/wp/v2/users/${adminId}`, { method: 'POST', json: { roles: ['subscriber'] } }]],
  ['create an administrator', () => ['/wp/v2/users', { method: 'POST', json: { username: 'e2e-evil-admin', email: 'evil@example.com', password: 'x-Y-z-123456', roles: ['administrator'] } }]],
  ['delete the user', () => ['/wp/v2/users/me?force=true&reassign=1', { method: 'DELETE' }]],
  ['delete all Application Passwords', () => [`/wp/v2/users/${adminId}/application-passwords`, { method: 'DELETE' }]],
  ['list Application Passwords', () => [`/wp/v2/users/${adminId}/application-passwords`, {}]],
  ['revoke every other authorized application', () => ['/wp-oauth/v1/me/grants', { method: 'DELETE' }]],
  ['revoke another authorized application', () => [`/wp-oauth/v1/me/grants/${otherGrant}`, { method: 'DELETE' }]],
  ['list the authorized applications', () => ['/wp-oauth/v1/me/grants', {}]],
  ['change site settings', () => ['/wp/v2/settings', { method: 'POST', json: { title: 'defaced by a token' } }]],
  ['change the email inside a batch', () => ['/batch/v1', { method: 'POST', json: { requests: [{ method: 'POST', path: '/wp/v2/users/me', body: { email: 'batch@example.com' } }] } }]],
];

for (const scope of ['read', 'write']) {
  test(`a ${scope} token of an administrator reaches none of the account`, async () => {
    for (const [what, op] of ACCOUNT_OPS) {
      const [path, init] = op();
      const res = await api(path, tokens[scope], init);
      if (path === '/batch/v1') {
        assert.equal(res.status, 207, what);
        assert.equal(res.body.responses[0].status, 403, what);
        assert.equal(res.body.responses[0].body.code, 'insufficient_scope', what);
        continue;
      }
      assert.equal(res.status, 403, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'insufficient_scope', what);
      const challenge = res.headers.get('www-authenticate') || '';
      assert.match(challenge, /^Bearer realm="[^"]*", error="insufficient_scope"/, what);
      assert.match(challenge, /resource_metadata="https:\/\/[^"]+"/, what);
      if (what === 'create an Application Password') {
        assert.doesNotMatch(challenge, / scope="/, 'no scope allows minting');
        assert.match(res.body.message, /cannot create credentials that would outlive it/);
      } else {
        // The scopes the token holds, plus the one the operation needs.
        assert.match(challenge, /scope="(read|write) full"/, what);
      }
    }
    assert.deepEqual(account(), baseline);
    assert.equal(grantStatus(otherGrant), 'active');
  });
}

test('a full token of an administrator still cannot create an Application Password, and says why', async () => {
  const res = await api('/wp/v2/users/me/application-passwords', tokens.full, { method: 'POST', json: { name: 'minted by a full token' } });
  assert.equal(res.status, 403);
  assert.equal(res.body.code, 'insufficient_scope');
  assert.match(res.body.message, /Application Passwords/);
  assert.doesNotMatch(res.headers.get('www-authenticate') || '', / scope="/);
  assert.deepEqual(account(), baseline);
  // What full allows: the account's own authorized applications.
  const list = await api('/wp-oauth/v1/me/grants', tokens.full);
  assert.equal(list.status, 200);
  assert.ok(list.body.some((g) => g.id === otherGrant));
});

test('every scope still reads content and its own profile, and write still writes content', async () => {
  for (const scope of ['read', 'write', 'full']) {
    const me = await api('/wp/v2/users/me', tokens[scope]);
    assert.equal(me.status, 200, scope);
    assert.equal(me.body.id, adminId);
    assert.equal((await api('/wp/v2/posts?per_page=1', tokens[scope])).status, 200, scope);
  }
  const title = `e2e scopes draft ${Date.now()}`;
  const post = await api('/wp/v2/posts', tokens.write, { method: 'POST', json: { title, status: 'draft' } });
  assert.equal(post.status, 201);
  assert.equal((await api(`/wp/v2/posts/${post.body.id}?force=true`, tokens.write, { method: 'DELETE' })).status, 200);
  const refused = await api('/wp/v2/posts', tokens.read, { method: 'POST', json: { title, status: 'draft' } });
  assert.equal(refused.status, 403);
  assert.match(refused.headers.get('www-authenticate') || '', /scope="read write"/);
});
