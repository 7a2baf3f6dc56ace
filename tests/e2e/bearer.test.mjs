// Bearer authentication of the REST API over real HTTPS (nginx → php-fpm → WordPress → extension).
// Tokens are minted inside the site (wpEval: the same classes the token endpoint uses), crafted
// with jose (a foreign key), or by hand (alg none). Every refusal is checked on the wire:
// status, RFC 6750 body, WWW-Authenticate, and that /wp/v2/users/me did not run as anyone.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, SignJWT, decodeProtectedHeader } from 'jose';
import { site, httpsFetch, getJson, postJson, wpEval, wpEvalJson, dbQuery, caCert, launchBrowser, loginAs } from './lib/site.mjs';

const ME = '/wp-json/wp/v2/users/me';
const b64 = (s) => Buffer.from(s).toString('base64');
const b64url = (s) => Buffer.from(s).toString('base64url');

/** A client, an active grant and an access token, made inside the site as the token endpoint does. */
function mint({ role = 'author', scope = 'read write' } = {}) {
  const login = site.users[role].login;
  return wpEvalJson(`
    $u = get_user_by('login', base64_decode('${b64(login)}'));
    $scope = base64_decode('${b64(scope)}');
    $cid = 'e2e-bearer-' . wp_generate_password(12, false);
    \\Wpoa\\Client_Repository::insert(['client_id' => $cid, 'redirect_uris' => ['https://client.example/cb'], 'metadata' => ['client_name' => 'bearer e2e']]);
    $g = \\Wpoa\\Grant_Repository::create($cid, $u->ID, $scope, \\Wpoa\\Urls::audience(), time());
    $a = \\Wpoa\\Token_Issuer::access_token($cid, $u->ID, $scope, $g, \\Wpoa\\Urls::audience(), time());
    echo json_encode($a + ['grant_id' => $g, 'client_id' => $cid, 'user_id' => $u->ID, 'kid' => \\Wpoa\\Keys::current()['kid'], 'iss' => \\Wpoa\\Urls::issuer(), 'aud' => \\Wpoa\\Urls::audience()]);
  `);
}

/** Signs claims with the site's own current key (typ at+jwt unless header says otherwise). */
function signWithSiteKey(claims, header = { typ: 'at+jwt' }) {
  return wpEval(`echo \\Wpoa\\Crypto::jwt_encode(json_decode(base64_decode('${b64(JSON.stringify(claims))}'), true), \\Wpoa\\Keys::current()['jwk'], json_decode(base64_decode('${b64(JSON.stringify(header))}'), true));`).trim();
}

function claimsFor(m, override = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: m.iss, sub: String(m.user_id), aud: m.aud, client_id: m.client_id, scope: 'read write',
    jti: `e2e-${Math.random().toString(36).slice(2)}`, iat: now, exp: now + 600, auth_time: now,
    grant_id: String(m.grant_id), ...override,
  };
}

async function me(headers = {}, path = ME) {
  return getJson(path, { headers });
}

function assertChallenge(res, error) {
  const h = res.headers.get('www-authenticate');
  assert.ok(h, 'WWW-Authenticate missing');
  assert.match(h, /^Bearer realm="localhost"/);
  assert.match(h, new RegExp(`error="${error}"`));
  assert.match(h, /error_description="[^"]+"/);
  assert.match(h, /scope="read write"/);
  assert.ok(h.endsWith(`resource_metadata="${site.url}/.well-known/oauth-protected-resource/wp-json/"`), h);
}

/** 401 invalid_token in RFC 6750 form, nobody authenticated. */
function assertInvalidToken(res, label) {
  assert.equal(res.status, 401, `${label}: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.error, 'invalid_token', label);
  assert.equal(typeof res.body.error_description, 'string', label);
  assert.equal(res.body.id, undefined, `${label}: ran as user ${res.body.id}`);
  assertChallenge(res, 'invalid_token');
  assert.match(res.headers.get('cache-control') || '', /no-store/, label);
}

/** Raw HTTPS request (for duplicate header lines, which fetch would join). */
function rawRequest(path, headerLines) {
  return new Promise((resolve, reject) => {
    const u = new URL(path, site.url);
    const req = https.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'GET', ca: caCert, headers: headerLines }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => {
        let body;
        try { body = JSON.parse(data); } catch { body = data; }
        resolve({ status: res.statusCode, headers: new Headers(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)])), body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const DEBUG_LOG = join(site.logs, 'wp-debug.log');
const logSize = () => { try { return statSync(DEBUG_LOG).size; } catch { return 0; } };
let author;
let logStart = 0;
before(() => {
  logStart = logSize();
  author = mint({ role: 'author', scope: 'read write' });
});

test('no credentials: anonymous as before, with a discovery challenge on 401', async () => {
  const posts = await getJson('/wp-json/wp/v2/posts');
  assert.equal(posts.status, 200);
  assert.ok(Array.isArray(posts.body));
  const res = await me();
  assert.equal(res.status, 401);
  assert.equal(res.body.code, 'rest_not_logged_in', 'core body untouched');
  assert.equal(res.headers.get('www-authenticate'),
    `Bearer realm="localhost", scope="read write", resource_metadata="${site.url}/.well-known/oauth-protected-resource/wp-json/"`);
});

test('a valid token runs the request as its user; the answer is private', async () => {
  const res = await me({ authorization: `Bearer ${author.token}` });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.id, site.users.author.id);
  assert.equal(res.body.slug, site.users.author.login);
  assert.equal(res.headers.get('cache-control'), 'private, no-store');
  assert.match(res.headers.get('vary') || '', /Authorization/);
  // Last use is recorded when tokens are issued and when a bearer request reads the grant row,
  // not on every bearer request: see revocation-list.test.mjs and
  // docs/decisions/revocation-without-a-query.md.
});

test('scheme is case-insensitive, white space tolerated, and node2 accepts the same token', async () => {
  for (const value of [`bearer ${author.token}`, `BEARER ${author.token}`, `Bearer    ${author.token}  `]) {
    const res = await me({ authorization: value });
    assert.equal(res.status, 200, value.slice(0, 12));
    assert.equal(res.body.id, site.users.author.id);
  }
  const n2 = await getJson(`${site.node2_url}${ME}`, { headers: { authorization: `Bearer ${author.token}` } });
  assert.equal(n2.status, 200);
  assert.equal(n2.body.id, site.users.author.id);
});

test('?rest_route= requests are bearer-authenticated too', async () => {
  const res = await me({ authorization: `Bearer ${author.token}` }, '/?rest_route=/wp/v2/users/me');
  assert.equal(res.status, 200);
  assert.equal(res.body.id, site.users.author.id);
  const bad = await me({ authorization: 'Bearer nope' }, '/?rest_route=/wp/v2/users/me');
  assertInvalidToken(bad, 'rest_route');
});

test('bad tokens: 401 invalid_token, and nothing runs as anyone', async (t) => {
  const m = mint({ role: 'admin', scope: 'full' });
  const now = Math.floor(Date.now() / 1000);
  const foreign = await generateKeyPair('ES256');
  const siteKid = decodeProtectedHeader(m.token).kid;
  const revokedGrant = mint({ role: 'admin', scope: 'full' });
  wpEval(`\\Wpoa\\Grant_Repository::revoke(${Number(revokedGrant.grant_id)}, 'user_revoked');`);
  const revokedJti = mint({ role: 'admin', scope: 'full' });
  wpEval(`\\Wpoa\\Grant_Repository::revoke_jti(base64_decode('${b64(revokedJti.jti)}'), ${Number(revokedJti.grant_id)}, time() + 3600);`);

  // A user who gets a token and is then deleted.
  const gone = wpEvalJson(`
    $uid = wp_insert_user(['user_login' => 'e2e-gone-' . wp_generate_password(6, false, false), 'user_pass' => wp_generate_password(), 'role' => 'editor']);
    $cid = 'e2e-gone-' . wp_generate_password(8, false);
    \\Wpoa\\Client_Repository::insert(['client_id' => $cid, 'redirect_uris' => ['https://c.example/cb'], 'metadata' => []]);
    $g = \\Wpoa\\Grant_Repository::create($cid, $uid, 'full', \\Wpoa\\Urls::audience(), time());
    $a = \\Wpoa\\Token_Issuer::access_token($cid, $uid, 'full', $g, \\Wpoa\\Urls::audience(), time());
    echo json_encode(['token' => $a['token'], 'uid' => $uid]);`);
  assert.equal((await me({ authorization: `Bearer ${gone.token}` })).status, 200, 'works before deletion');
  wpEval(`require_once ABSPATH . 'wp-admin/includes/user.php'; wp_delete_user(${Number(gone.uid)});`);

  // A token issued before a password change (set through core, as the profile screen does).
  const pw = wpEvalJson(`
    $uid = wp_insert_user(['user_login' => 'e2e-pw-' . wp_generate_password(6, false, false), 'user_pass' => 'old-' . wp_generate_password(), 'role' => 'editor']);
    $cid = 'e2e-pw-' . wp_generate_password(8, false);
    \\Wpoa\\Client_Repository::insert(['client_id' => $cid, 'redirect_uris' => ['https://c.example/cb'], 'metadata' => []]);
    $g = \\Wpoa\\Grant_Repository::create($cid, $uid, 'full', \\Wpoa\\Urls::audience(), time() - 10);
    $a = \\Wpoa\\Token_Issuer::access_token($cid, $uid, 'full', $g, \\Wpoa\\Urls::audience(), time() - 10);
    echo json_encode(['token' => $a['token'], 'uid' => $uid]);`);
  assert.equal((await me({ authorization: `Bearer ${pw.token}` })).status, 200, 'works before the change');
  wpEval(`wp_update_user(['ID' => ${Number(pw.uid)}, 'user_pass' => 'new-' . wp_generate_password()]);`);

  const cases = [
    ['expired', { authorization: `Bearer ${signWithSiteKey(claimsFor(m, { iat: now - 7200, exp: now - 3600 }))}` }],
    ['other audience (another site)', { authorization: `Bearer ${signWithSiteKey(claimsFor(m, { aud: 'https://other.example/wp-json/' }))}` }],
    ['other issuer', { authorization: `Bearer ${signWithSiteKey(claimsFor(m, { iss: 'https://other.example' }))}` }],
    ['typ JWT, not at+jwt', { authorization: `Bearer ${signWithSiteKey(claimsFor(m), { typ: 'JWT' })}` }],
    ['foreign key with our kid', { authorization: `Bearer ${await new SignJWT(claimsFor(m)).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: siteKid }).sign(foreign.privateKey)}` }],
    ['foreign key, own kid', { authorization: `Bearer ${await new SignJWT(claimsFor(m)).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'attacker' }).sign(foreign.privateKey)}` }],
    ['alg none', { authorization: `Bearer ${b64url(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: siteKid }))}.${b64url(JSON.stringify(claimsFor(m)))}.` }],
    ['HS256 with the public key as secret', { authorization: `Bearer ${await new SignJWT(claimsFor(m)).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: siteKid }).sign(new TextEncoder().encode(JSON.stringify(JSON.parse(wpEval('echo \\Wpoa\\Keys::public_jwks();')).keys[0])))}` }],
    ['revoked grant', { authorization: `Bearer ${revokedGrant.token}` }],
    ['revoked jti', { authorization: `Bearer ${revokedJti.token}` }],
    ['deleted user', { authorization: `Bearer ${gone.token}` }],
    ['issued before a password change', { authorization: `Bearer ${pw.token}` }],
    ['garbage', { authorization: 'Bearer garbage' }],
    ['truncated', { authorization: `Bearer ${m.token.slice(0, -12)}` }],
    ['payload swapped', { authorization: `Bearer ${m.token.split('.')[0]}.${b64url(JSON.stringify(claimsFor(m, { sub: String(site.users.author.id) })))}.${m.token.split('.')[2]}` }],
    ['empty', { authorization: 'Bearer' }],
    ['two credentials joined', { authorization: `Bearer ${m.token}, Bearer ${author.token}` }],
  ];
  for (const [label, headers] of cases) {
    await t.test(label, async () => {
      const res = await me(headers);
      assertInvalidToken(res, label);
      // Not even anonymous: a public list is refused too, not served as to a visitor.
      const posts = await getJson('/wp-json/wp/v2/posts', { headers });
      assert.equal(posts.status, 401, `${label}: /wp/v2/posts`);
    });
  }
});

test('a bad token with a valid login cookie: still 401, no fallback to the cookie', async (t) => {
  const b = await launchBrowser();
  t.after(() => b.close());
  await loginAs(b.page, 'admin');
  const cookies = (await b.context.cookies(site.url)).map((c) => `${c.name}=${c.value}`).join('; ');
  const nonce = (await (await httpsFetch('/wp-admin/admin-ajax.php?action=rest-nonce', { headers: { cookie: cookies } })).text()).trim();
  assert.match(nonce, /^[0-9a-f]{10}$/, 'rest nonce');

  const cookieOnly = await me({ cookie: cookies, 'x-wp-nonce': nonce });
  assert.equal(cookieOnly.status, 200, 'the cookie works on its own');
  assert.equal(cookieOnly.body.id, site.users.admin.id);

  const bad = await me({ cookie: cookies, 'x-wp-nonce': nonce, authorization: 'Bearer garbage' });
  assertInvalidToken(bad, 'cookie + bad token');

  // A valid token with an admin cookie: the token's user wins, with or without the nonce.
  for (const extra of [{}, { 'x-wp-nonce': nonce }]) {
    const res = await me({ cookie: cookies, authorization: `Bearer ${author.token}`, ...extra });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.id, site.users.author.id);
  }
});

test('a token in the query string is refused (RFC 6750 §2.3 is off by default)', async () => {
  const res = await me({}, `${ME}?access_token=${encodeURIComponent(author.token)}`);
  assertInvalidToken(res, 'query');
  assert.match(res.body.error_description, /Authorization header/);
});

test('two Authorization header lines: refused', async () => {
  const res = await rawRequest(ME, [['authorization', `Bearer ${author.token}`], ['authorization', 'Bearer garbage']].flat());
  assert.ok(res.status === 401 || res.status === 400, `status ${res.status}`);
  assert.notEqual(res.body.id, site.users.author.id, 'ran as the first token');
  if (res.status === 401) assert.equal(res.body.error, 'invalid_token');
  const swapped = await rawRequest(ME, [['authorization', 'Bearer garbage'], ['authorization', `Bearer ${author.token}`]].flat());
  assert.ok(swapped.status === 401 || swapped.status === 400, `status ${swapped.status}`);
  assert.notEqual(swapped.body.id, site.users.author.id, 'ran as the second token');
});

test('a 20 KB header: 401 invalid_token (or nginx 400), never 5xx', async () => {
  const res = await me({ authorization: `Bearer ${'A'.repeat(20 * 1024)}` });
  assert.ok(res.status < 500, `status ${res.status}`);
  if (res.status === 401) assertInvalidToken(res, '20 KB');
  else assert.equal(res.status, 400);
  // nginx's default header buffer is 8 KB: just under it, PHP sees the header and refuses it.
  const near = await me({ authorization: `Bearer ${'A'.repeat(8100)}` });
  assertInvalidToken(near, '8100 bytes');
});

test('plain HTTP with a bearer token: 400 invalid_request', async () => {
  const res = await fetch(`${site.http_url}${ME}`, { headers: { authorization: `Bearer ${author.token}` }, redirect: 'manual' });
  const body = JSON.parse(await res.text());
  assert.equal(res.status, 400, JSON.stringify(body));
  assert.equal(body.error, 'invalid_request');
  assert.match(body.error_description, /HTTPS/);
  assert.equal(body.id, undefined);
  assert.match(res.headers.get('www-authenticate') || '', /^Bearer realm="localhost", error="invalid_request"/);
});

test('CORS preflight needs no credentials and allows Authorization; WWW-Authenticate is exposed', async () => {
  const res = await httpsFetch(ME, {
    method: 'OPTIONS',
    headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('access-control-allow-headers') || '', /\bAuthorization\b/);
  assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example');
  const get = await me({ origin: 'https://app.example', authorization: `Bearer ${author.token}` });
  assert.equal(get.status, 200);
  assert.match(get.headers.get('access-control-expose-headers') || '', /WWW-Authenticate/);
});

test('scopes: read-only token cannot write (403 insufficient_scope); full access never exceeds the role', async () => {
  const ro = mint({ role: 'admin', scope: 'read' });
  const title = `e2e read-only ${Date.now()}`;
  const res = await postJson('/wp-json/wp/v2/posts', { title, status: 'draft' }, { json: true, headers: { authorization: `Bearer ${ro.token}` } });
  assert.equal(res.status, 403, JSON.stringify(res.body));
  // Refused by the route table before the route runs (docs/scopes.md).
  assert.equal(res.body.code, 'insufficient_scope');
  assert.equal(res.body.data.scope, 'write');
  const h = res.headers.get('www-authenticate') || '';
  assert.match(h, /^Bearer realm="localhost", error="insufficient_scope"/);
  // Every scope the operation needs, with the ones the token holds (re-authorizing loses nothing).
  assert.match(h, /scope="read write"/);
  assert.equal(dbQuery(`SELECT COUNT(*) AS n FROM wp_posts WHERE post_title = '${title}'`)[0].n, '0');
  // Reading still works with the same token.
  assert.equal((await me({ authorization: `Bearer ${ro.token}` })).status, 200);
  // Settings need "full" even for an administrator with "write".
  const w = mint({ role: 'admin', scope: 'write' });
  const settings = await getJson('/wp-json/wp/v2/settings', { headers: { authorization: `Bearer ${w.token}` } });
  assert.equal(settings.status, 403);
  assert.match(settings.headers.get('www-authenticate') || '', /scope="write full"/);
  const full = mint({ role: 'admin', scope: 'full' });
  assert.equal((await getJson('/wp-json/wp/v2/settings', { headers: { authorization: `Bearer ${full.token}` } })).status, 200);
  // A subscriber's full token cannot create posts: the role says no, so no scope challenge.
  const sub = mint({ role: 'subscriber', scope: 'full' });
  const s = await postJson('/wp-json/wp/v2/posts', { title: 'nope' }, { json: true, headers: { authorization: `Bearer ${sub.token}` } });
  assert.equal(s.status, 403);
  assert.equal(s.headers.get('www-authenticate'), null);
});

test('revocation is immediate: the next request after revoking the grant is refused', async () => {
  const m = mint({ role: 'author', scope: 'read' });
  assert.equal((await me({ authorization: `Bearer ${m.token}` })).status, 200);
  wpEval(`\\Wpoa\\Grant_Repository::revoke(${Number(m.grant_id)}, 'user_revoked');`);
  assertInvalidToken(await me({ authorization: `Bearer ${m.token}` }), 'after revoke');
  assertInvalidToken(await getJson(`${site.node2_url}${ME}`, { headers: { authorization: `Bearer ${m.token}` } }), 'node2 after revoke');
});

test('the plugin\'s own OAuth endpoints ignore bearer authentication', async () => {
  const res = await postJson('/wp-json/wp-oauth/v1/token', { grant_type: 'authorization_code', code: 'x' }, { headers: { authorization: 'Bearer garbage' } });
  assert.notEqual(res.body.error, 'invalid_token', JSON.stringify(res.body));
});

test('none of this left a PHP warning or error from the bearer code', () => {
  const text = logSize() > logStart ? readFileSync(DEBUG_LOG).subarray(logStart).toString('utf8') : '';
  const ours = text.split('\n').filter((l) => /class-(bearer-authenticator|scope-enforcer)\.php/.test(l));
  assert.deepEqual(ours, []);
});
