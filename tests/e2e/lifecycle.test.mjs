// Token lifecycle over real HTTPS with oauth4webapi as the client: refresh (rotation, narrowing,
// reuse → whole grant revoked), RFC 7009 revocation, RFC 7662 introspection, and automatic
// revocation on a password change. The first chain comes from the real flow (Chromium consent);
// further grants for the revocation/introspection matrix are minted inside the site with the
// plugin's own repositories (the same calls the token endpoint makes).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { site, getJson, postJson, httpsFetch, wpEval, wpEvalJson, dbQuery, launchBrowser, loginAs, url } from './lib/site.mjs';
import { discover, fetchOpts, registerClient, clientAuthFor, fullFlow, verifyAccessToken, loopbackRedirect } from './lib/flow.mjs';

const ME = '/wp-json/wp/v2/users/me';
const b64 = (s) => Buffer.from(String(s)).toString('base64');

let as;
let chain;      // { client, tokens } from the real authorization code flow (author, read write)
let rs;         // admin-created confidential client: the resource-server credential for introspection

/** An active grant with a refresh token and an access token for `clientId`, minted in the site. */
function mint(clientId, { role = 'author', scope = 'read write', userId } = {}) {
  return wpEvalJson(`
    $uid = ${userId ? Number(userId) : `get_user_by('login', base64_decode('${b64(site.users[role].login)}'))->ID`};
    $scope = base64_decode('${b64(scope)}');
    $cid = base64_decode('${b64(clientId)}');
    $g = \\Wpoa\\Grant_Repository::create($cid, $uid, $scope, \\Wpoa\\Urls::audience(), time());
    $row = \\Wpoa\\Grant_Repository::find($g);
    $rt = \\Wpoa\\Refresh_Token_Repository::create($g, $cid, $scope, (int) $row->expires_at);
    $a = \\Wpoa\\Token_Issuer::access_token($cid, $uid, $scope, $g, \\Wpoa\\Urls::audience(), time());
    echo json_encode(['grant_id' => $g, 'refresh_token' => $rt, 'access_token' => $a['token'], 'jti' => $a['jti'], 'exp' => $a['exp'], 'user_id' => $uid]);
  `);
}

const me = (token, base = site.url) => getJson(`${base}${ME}`, { headers: { authorization: `Bearer ${token}` } });
const grantRow = (id) => dbQuery(`SELECT status, revoked_reason FROM wp_oauth_grants WHERE id = ${Number(id)}`)[0];

async function refresh(client, token, extra) {
  const res = await oauth.refreshTokenGrantRequest(as, client, clientAuthFor(client), token, { ...fetchOpts, additionalParameters: extra });
  return oauth.processRefreshTokenResponse(as, client, res);
}

/** A refresh expected to fail: returns the RFC 6749 §5.2 error body and status. */
async function refreshError(client, token, extra) {
  try {
    await refresh(client, token, extra);
  } catch (e) {
    assert.ok(e instanceof oauth.ResponseBodyError, `expected an OAuth error response, got ${e}`);
    return { status: e.status, error: e.error, body: e.cause };
  }
  assert.fail('the refresh succeeded');
}

async function revoke(client, token, hint) {
  const res = await oauth.revocationRequest(as, client, clientAuthFor(client), token, { ...fetchOpts, additionalParameters: hint ? { token_type_hint: hint } : undefined });
  assert.equal(res.status, 200, `revocation: HTTP ${res.status}`);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  await oauth.processRevocationResponse(res);
}

async function introspect(token, caller = rs, hint) {
  const res = await oauth.introspectionRequest(as, caller, clientAuthFor(caller), token, { ...fetchOpts, additionalParameters: hint ? { token_type_hint: hint } : undefined });
  return oauth.processIntrospectionResponse(as, caller, res);
}

before(async () => {
  as = await discover();
  assert.ok(as.revocation_endpoint && as.introspection_endpoint, 'metadata names both endpoints');
  const redirectUri = loopbackRedirect();
  chain = await fullFlow({ redirectUri, role: 'author', scope: 'read write' });
  rs = await registerClient({ client_name: 'E2E resource server', token_endpoint_auth_method: 'client_secret_basic', redirect_uris: ['https://rs.example/cb'] }, { via: 'db' });
});

test('refresh: a new pair, the old refresh token marked used, the new access token works', async () => {
  const { client, tokens } = chain;
  assert.ok(tokens.refresh_token, 'the code exchange issued a refresh token');
  const next = await refresh(client, tokens.refresh_token);
  assert.equal(next.token_type, 'bearer');
  assert.notEqual(next.refresh_token, tokens.refresh_token);
  assert.notEqual(next.access_token, tokens.access_token);
  assert.equal(next.scope, tokens.scope);
  const { payload } = await verifyAccessToken(next.access_token, as);
  assert.equal(payload.sub, String(site.users.author.id));
  assert.equal(payload.client_id, client.client_id);
  const res = await me(next.access_token);
  assert.equal(res.status, 200);
  assert.equal(res.body.id, site.users.author.id);
  chain.previous = tokens;
  chain.tokens = next;
});

test('refresh: scope may narrow the access token, never widen', async () => {
  const { client, tokens } = chain;
  const narrow = await refresh(client, tokens.refresh_token, { scope: 'read' });
  assert.equal(narrow.scope, 'read');
  const { payload } = await verifyAccessToken(narrow.access_token, as);
  assert.equal(payload.scope, 'read');
  // The narrowed token cannot write, though its user can.
  const write = await postJson('/wp-json/wp/v2/posts', { title: 'x' }, { json: true, headers: { authorization: `Bearer ${narrow.access_token}` } });
  assert.equal(write.status, 403);
  // The new refresh token keeps the grant's scope (RFC 6749 §6): the next refresh is read write again.
  const wide = await refresh(client, narrow.refresh_token);
  assert.equal(wide.scope, tokens.scope);

  for (const scope of ['read write full', 'full', 'read bogus']) {
    const err = await refreshError(client, wide.refresh_token, { scope });
    assert.equal(err.status, 400);
    assert.equal(err.error, 'invalid_scope', scope);
  }
  chain.previous = tokens;
  chain.tokens = await refresh(client, wide.refresh_token); // invalid_scope consumed nothing
});

test('refresh: reusing a rotated token revokes the whole grant; the current access token is refused', async () => {
  const { client, tokens, previous } = chain;
  assert.equal((await me(tokens.access_token)).status, 200);
  const grantId = (await verifyAccessToken(tokens.access_token, as)).payload.grant_id;

  const err = await refreshError(client, previous.refresh_token);
  assert.equal(err.status, 400);
  assert.equal(err.error, 'invalid_grant');

  assert.deepEqual(grantRow(grantId), { status: 'revoked', revoked_reason: 'refresh_reuse' });
  const res = await me(tokens.access_token);
  assert.equal(res.status, 401);
  assert.equal(res.body.error, 'invalid_token');
  assert.match(res.headers.get('www-authenticate'), /error="invalid_token"/);
  assert.equal((await me(tokens.access_token, site.node2_url)).status, 401, 'node2 agrees');
  assert.equal((await refreshError(client, tokens.refresh_token)).error, 'invalid_grant', 'the newest refresh token dies too');
  assert.deepEqual(await introspect(tokens.access_token), { active: false });
  assert.deepEqual(await introspect(tokens.refresh_token), { active: false });
});

test('refresh: bound to its client', async () => {
  const other = await registerClient({ redirect_uris: [loopbackRedirect()] });
  const m = mint(chain.client.client_id);
  assert.equal((await refreshError(other, m.refresh_token)).error, 'invalid_grant');
  assert.equal(grantRow(m.grant_id).status, 'active');
  const ok = await refresh(chain.client, m.refresh_token);
  assert.ok(ok.access_token);
});

test('revocation: a refresh token revokes its grant, whatever the hint', async () => {
  for (const hint of [undefined, 'refresh_token', 'access_token', 'something_else']) {
    const m = mint(chain.client.client_id);
    assert.equal((await me(m.access_token)).status, 200);
    await revoke(chain.client, m.refresh_token, hint);
    assert.deepEqual(grantRow(m.grant_id), { status: 'revoked', revoked_reason: 'token_revoked' }, String(hint));
    assert.equal((await refreshError(chain.client, m.refresh_token)).error, 'invalid_grant');
    assert.equal((await me(m.access_token)).status, 401, `access token of the revoked grant (${hint})`);
  }
});

test('revocation: an access token is deny-listed and fails on the next bearer request; its grant lives on', async () => {
  for (const hint of [undefined, 'access_token', 'refresh_token']) {
    const m = mint(chain.client.client_id);
    await revoke(chain.client, m.access_token, hint);
    const res = await me(m.access_token);
    assert.equal(res.status, 401, String(hint));
    assert.equal(res.body.error, 'invalid_token');
    assert.equal((await me(m.access_token, site.node2_url)).status, 401);
    assert.equal(dbQuery(`SELECT COUNT(*) AS n FROM wp_oauth_revoked_tokens WHERE jti = '${m.jti}'`)[0].n, '1');
    assert.equal(grantRow(m.grant_id).status, 'active');
    const fresh = await refresh(chain.client, m.refresh_token);
    assert.equal((await me(fresh.access_token)).status, 200, 'the app can still refresh');
  }
});

test('revocation: unknown, malformed and already revoked tokens, and another client\'s tokens, answer 200 and change nothing', async () => {
  for (const token of ['nope', 'a.b.c', 'x'.repeat(9000), 'eyJhbGciOiJub25lIn0.e30.']) {
    await revoke(chain.client, token);
  }
  const m = mint(chain.client.client_id);
  const stranger = await registerClient({ redirect_uris: [loopbackRedirect()] });
  await revoke(stranger, m.refresh_token);
  await revoke(stranger, m.access_token);
  assert.equal(grantRow(m.grant_id).status, 'active');
  assert.equal((await me(m.access_token)).status, 200);
  await revoke(chain.client, m.refresh_token);
  await revoke(chain.client, m.refresh_token); // already revoked
  await revoke(chain.client, m.access_token);  // of a revoked grant
});

test('revocation: client authentication, body format and HTTPS are enforced in RFC format', async () => {
  const conf = await registerClient({ token_endpoint_auth_method: 'client_secret_basic', redirect_uris: ['https://conf.example/cb'] });
  const m = mint(conf.client_id);
  const noAuth = await postJson(as.revocation_endpoint, { client_id: conf.client_id, token: m.refresh_token });
  assert.equal(noAuth.status, 401);
  assert.equal(noAuth.body.error, 'invalid_client');
  assert.match(noAuth.headers.get('www-authenticate'), /^Basic /);
  const wrong = await postJson(as.revocation_endpoint, { token: m.refresh_token }, { headers: { authorization: `Basic ${b64(`${conf.client_id}:wrong`)}` } });
  assert.equal(wrong.status, 401);
  assert.equal(grantRow(m.grant_id).status, 'active');

  const missing = await postJson(as.revocation_endpoint, { client_id: chain.client.client_id });
  assert.equal(missing.status, 400);
  assert.equal(missing.body.error, 'invalid_request');
  const json = await postJson(as.revocation_endpoint, { client_id: chain.client.client_id, token: 'x' }, { json: true });
  assert.equal(json.status, 400);
  assert.equal(json.body.error, 'invalid_request');
  for (const endpoint of [as.revocation_endpoint, as.introspection_endpoint]) {
    const get = await getJson(`${endpoint}?token=${encodeURIComponent(m.refresh_token)}&client_id=${conf.client_id}`);
    assert.equal(get.status, 405, endpoint);
    assert.equal(get.headers.get('allow'), 'POST');
    assert.equal(get.body.error, 'invalid_request');
  }
  assert.equal(grantRow(m.grant_id).status, 'active', 'nothing revoked by a GET');

  const plain = await postJson(`${site.http_url}/wp-json/wp-oauth/v1/revoke`, { client_id: conf.client_id, token: m.refresh_token }, { headers: { authorization: `Basic ${b64(`${conf.client_id}:${conf.client_secret}`)}` } });
  assert.equal(plain.status, 400);
  assert.equal(plain.body.error, 'invalid_request');
  assert.match(plain.body.error_description, /HTTPS/);
  assert.equal(grantRow(m.grant_id).status, 'active', 'nothing revoked over plain HTTP');

  await revoke(conf, m.refresh_token);
  assert.equal(grantRow(m.grant_id).status, 'revoked');
});

test('introspection: active access and refresh tokens carry the RFC 7662 members', async () => {
  const m = mint(chain.client.client_id, { scope: 'read' });
  const at = await introspect(m.access_token);
  assert.deepEqual(Object.keys(at), ['active', 'scope', 'client_id', 'username', 'token_type', 'exp', 'iat', 'sub', 'aud', 'iss', 'jti']);
  assert.equal(at.active, true);
  assert.equal(at.scope, 'read');
  assert.equal(at.client_id, chain.client.client_id);
  assert.equal(at.username, site.users.author.login);
  assert.equal(at.token_type, 'Bearer');
  assert.equal(at.exp, m.exp);
  assert.equal(at.sub, String(site.users.author.id));
  assert.equal(at.aud, `${site.url}/wp-json/`);
  assert.equal(at.iss, site.url);
  assert.equal(at.jti, m.jti);

  const rt = await introspect(m.refresh_token, rs, 'refresh_token');
  assert.equal(rt.active, true);
  assert.equal(rt.token_type, 'refresh_token');
  assert.equal(rt.client_id, chain.client.client_id);
  assert.equal(rt.username, site.users.author.login);
  assert.equal(rt.jti, undefined);
  assert.ok(rt.exp > at.exp, 'refresh tokens live longer');
});

test('introspection: {"active": false} and nothing else for expired, revoked, malformed, unknown tokens', async () => {
  const expired = wpEvalJson(`
    $now = time();
    echo json_encode(\\Wpoa\\Crypto::jwt_encode(['iss' => \\Wpoa\\Urls::issuer(), 'sub' => '${site.users.author.id}', 'aud' => \\Wpoa\\Urls::audience(), 'client_id' => base64_decode('${b64(chain.client.client_id)}'), 'scope' => 'read', 'jti' => 'e2e-expired-' . $now, 'iat' => $now - 7200, 'exp' => $now - 5, 'grant_id' => '1'], \\Wpoa\\Keys::current()['jwk'], ['typ' => 'at+jwt']));
  `);
  const deny = mint(chain.client.client_id);
  await revoke(chain.client, deny.access_token);
  const gone = mint(chain.client.client_id);
  await revoke(chain.client, gone.refresh_token);
  for (const [label, token] of [
    ['expired', expired], ['deny-listed', deny.access_token], ['revoked grant (access)', gone.access_token],
    ['revoked grant (refresh)', gone.refresh_token], ['malformed', 'not.a.jwt'], ['unknown', 'x'.repeat(43)],
  ]) {
    const res = await postJson(as.introspection_endpoint, { token }, { headers: { authorization: `Basic ${b64(`${rs.client_id}:${rs.client_secret}`)}` } });
    assert.equal(res.status, 200, label);
    assert.deepEqual(res.body, { active: false }, label);
    assert.equal(res.headers.get('cache-control'), 'no-store', label);
  }
});

test('introspection: public clients are refused; a dynamically registered client sees only its own tokens', async () => {
  const m = mint(chain.client.client_id);
  const pub = await postJson(as.introspection_endpoint, { client_id: chain.client.client_id, token: m.access_token });
  assert.equal(pub.status, 401);
  assert.equal(pub.body.error, 'invalid_client');
  const anon = await postJson(as.introspection_endpoint, { token: m.access_token });
  assert.equal(anon.status, 401);

  const dyn = await registerClient({ token_endpoint_auth_method: 'client_secret_basic', redirect_uris: ['https://dyn.example/cb'] });
  assert.ok(dyn.client_secret, 'dynamic registration issued a secret');
  assert.deepEqual(await introspect(m.access_token, dyn), { active: false });
  const own = mint(dyn.client_id);
  assert.equal((await introspect(own.access_token, dyn)).active, true);
  assert.equal((await introspect(m.access_token, rs)).active, true, 'the admin-made client sees every token');
});

test('a password change revokes every grant of the user at once', async () => {
  const user = wpEvalJson(`
    $login = 'e2e-pw-' . wp_generate_password(6, false, false);
    $id = wp_insert_user(['user_login' => $login, 'user_pass' => wp_generate_password(20), 'user_email' => $login . '@example.com', 'role' => 'author']);
    echo json_encode(['id' => $id]);
  `);
  const a = mint(chain.client.client_id, { userId: user.id });
  const b = mint(chain.client.client_id, { userId: user.id });
  assert.equal((await me(a.access_token)).status, 200);
  wpEvalJson(`sleep(1); wp_update_user(['ID' => ${Number(user.id)}, 'user_pass' => wp_generate_password(24)]); echo 1;`);
  for (const m of [a, b]) {
    assert.deepEqual(grantRow(m.grant_id), { status: 'revoked', revoked_reason: 'password_changed' });
    assert.equal((await me(m.access_token)).status, 401);
    assert.equal((await refreshError(chain.client, m.refresh_token)).error, 'invalid_grant');
  }
  wpEvalJson(`require_once ABSPATH . 'wp-admin/includes/user.php'; wp_delete_user(${Number(user.id)}); echo 1;`);
});

test('only a full-scope token lists and revokes its own user\'s grants, and never another user\'s', async () => {
  const mine = mint(chain.client.client_id, { scope: 'full' });
  const sibling = mint(chain.client.client_id, { scope: 'read write' });
  // Managing authorized applications is account security: read and write tokens are refused
  // before the route runs, and nothing changes.
  for (const narrow of [sibling, mint(chain.client.client_id, { scope: 'read' })]) {
    const list = await getJson('/wp-json/wp-oauth/v1/me/grants', { headers: { authorization: `Bearer ${narrow.access_token}` } });
    assert.equal(list.status, 403);
    assert.equal(list.body.code, 'insufficient_scope');
    assert.match(list.headers.get('www-authenticate') || '', /error="insufficient_scope".*scope="(read |read write )?full"/);
    const all = await httpsFetch('/wp-json/wp-oauth/v1/me/grants', { method: 'DELETE', headers: { authorization: `Bearer ${narrow.access_token}` } });
    assert.equal(all.status, 403);
    assert.equal(grantRow(mine.grant_id).status, 'active');
    assert.equal(grantRow(narrow.grant_id).status, 'active');
  }

  const list = await getJson('/wp-json/wp-oauth/v1/me/grants', { headers: { authorization: `Bearer ${mine.access_token}` } });
  assert.equal(list.status, 200);
  const ids = list.body.map((g) => g.id);
  assert.ok(ids.includes(mine.grant_id) && ids.includes(sibling.grant_id));
  assert.equal(list.body.find((g) => g.id === mine.grant_id).current, true);
  assert.equal(list.body.find((g) => g.id === sibling.grant_id).current, false);

  // Another user's grants need edit_user on them: an author has it for nobody else.
  const adminGrant = mint(chain.client.client_id, { role: 'admin', scope: 'read' });
  const adminsWrite = mint(chain.client.client_id, { role: 'admin', scope: 'write' });
  const denied = await httpsFetch(`/wp-json/wp-oauth/v1/users/${site.users.author.id}/grants/${sibling.grant_id}`, { method: 'DELETE', headers: { authorization: `Bearer ${adminsWrite.access_token}` } });
  assert.equal(denied.status, 403, 'an admin\'s write-scope token cannot manage other users');
  assert.equal(grantRow(sibling.grant_id).status, 'active');
  const viaMe = await httpsFetch(`/wp-json/wp-oauth/v1/me/grants/${adminGrant.grant_id}`, { method: 'DELETE', headers: { authorization: `Bearer ${mine.access_token}` } });
  assert.equal(viaMe.status, 404, 'another user\'s grant is not found under /me');
  assert.equal(grantRow(adminGrant.grant_id).status, 'active');

  const del = await httpsFetch(`/wp-json/wp-oauth/v1/me/grants/${sibling.grant_id}`, { method: 'DELETE', headers: { authorization: `Bearer ${mine.access_token}` } });
  assert.equal(del.status, 200);
  assert.deepEqual(grantRow(sibling.grant_id), { status: 'revoked', revoked_reason: 'user_revoked' });
  assert.equal((await me(sibling.access_token)).status, 401);
  // "Sign out": the token revokes its own grant, and is refused right after.
  const self = await httpsFetch(`/wp-json/wp-oauth/v1/me/grants/${mine.grant_id}`, { method: 'DELETE', headers: { authorization: `Bearer ${mine.access_token}` } });
  assert.equal(self.status, 200);
  assert.equal((await me(mine.access_token)).status, 401);
});

test('key rotation from Tools: the next key is published before it signs; the emergency rotation signs at once; old-key tokens keep working', async () => {
  const kidOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url')).kid;
  // Time passing, as the site sees it: every stored key time moves into the past (test set-up only).
  const letTimePass = (seconds) => wpEval(`$keys = \\Wpoa\\Keys::stored();
    foreach ($keys as &$k) { foreach (['created_at', 'activates_at', 'retired_at'] as $f) { if (!empty($k[$f])) { $k[$f] = (int) $k[$f] - ${Number(seconds)}; } } }
    unset($k); update_option(\\Wpoa\\Keys::OPTION_KEYS, $keys, false);`);
  const before = mint(chain.client.client_id);
  const oldKid = kidOf(before.access_token);
  const b = await launchBrowser();
  let nextKid;
  let urgentKid;
  try {
    await loginAs(b.page, 'admin');
    await b.page.goto(url('/wp-admin/tools.php?page=wpoa-signing-keys'));
    assert.match(await b.page.locator('.wrap').innerText(), new RegExp(oldKid));
    await Promise.all([b.page.waitForURL(/wpoa_rotated=1/), b.page.click('#wpoa-rotate')]);
    assert.match(await b.page.locator('.notice-success').innerText(), /new signing key is published\. It signs new tokens from/i);
    const nextRow = b.page.locator('tr', { hasText: 'Next: published, signs new tokens from' });
    nextKid = (await nextRow.locator('code').innerText()).trim();
    assert.notEqual(nextKid, oldKid);
    assert.match(await b.page.locator('tr', { hasText: oldKid }).innerText(), /Current: signs new tokens until/);

    // Published at once, with the cache lifetime the pre-publication is derived from.
    const jwks = await getJson(as.jwks_uri);
    assert.equal(jwks.headers.get('cache-control'), 'public, max-age=300');
    assert.ok(jwks.body.keys.some((k) => k.kid === nextKid), 'the next key is in the JWKS before it signs');
    assert.ok(jwks.body.keys.some((k) => k.kid === oldKid));
    assert.equal(kidOf(mint(chain.client.client_id).access_token), oldKid, 'tokens are still signed with the old key');

    // Logged in but without the nonce (a cross-site form): refused, nothing rotated.
    const storedBefore = wpEvalJson('echo json_encode(array_column(\\Wpoa\\Keys::stored(), "kid"));');
    const forged = await b.page.evaluate(async () => (await fetch('/wp-admin/admin-post.php', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=wpoa_rotate_key&wpoa-emergency=1', redirect: 'manual' })).status);
    assert.equal(forged, 403);
    assert.deepEqual(wpEvalJson('echo json_encode(array_column(\\Wpoa\\Keys::stored(), "kid"));'), storedBefore);

    // Six minutes later (max-age 300 s + 60 s leeway) the next key signs.
    letTimePass(300 + 60);
    const after = mint(chain.client.client_id);
    assert.equal(kidOf(after.access_token), nextKid, 'after activation new tokens carry the new kid');
    assert.equal((await me(before.access_token)).status, 200, 'old-key token still accepted');
    assert.equal((await me(after.access_token)).status, 200);
    assert.equal((await introspect(before.access_token)).active, true);

    // The emergency rotation: the new key signs at once; the screen says what it costs.
    await b.page.goto(url('/wp-admin/tools.php?page=wpoa-signing-keys'));
    assert.match(await b.page.locator('.wrap').innerText(), /reject tokens signed with the new key until they fetch it again, for up to 5 mins/);
    await Promise.all([b.page.waitForURL(/wpoa_rotated=now/), b.page.click('#wpoa-emergency')]);
    assert.match(await b.page.locator('.notice-warning').innerText(), /signs new tokens from now on/);
    urgentKid = (await b.page.locator('tr', { hasText: 'Current: signs new tokens' }).first().locator('code').innerText()).trim();
  } finally {
    await b.close();
  }
  const urgent = mint(chain.client.client_id);
  assert.equal(kidOf(urgent.access_token), urgentKid);
  assert.notEqual(urgentKid, nextKid);
  const jwks = await getJson(as.jwks_uri);
  for (const kid of [oldKid, nextKid, urgentKid]) assert.ok(jwks.body.keys.some((k) => k.kid === kid), `${kid} published`);
  for (const token of [before, urgent]) assert.equal((await me(token.access_token)).status, 200);
});
