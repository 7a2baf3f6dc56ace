// Revocation without a query, over real HTTPS on the stack's two php-fpm pools (node1, node2),
// which share only MariaDB (no persistent object cache). Revocations go through the real RFC 7009
// endpoint (oauth4webapi as the client); the recent-revocation list is read back from MariaDB.
// "No query of its own" is checked with MariaDB's own statement counter (Com_select): a bearer
// request reading the list makes one SELECT fewer than the same request with the list overflowed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { site, getJson, wpEvalJson, dbQuery } from './lib/site.mjs';
import { discover, fetchOpts, registerClient, clientAuthFor } from './lib/flow.mjs';

const ME = '/wp-json/wp/v2/users/me';
const b64 = (s) => Buffer.from(String(s)).toString('base64');
const me = (token, base = site.url) => getJson(`${base}${ME}`, { headers: { authorization: `Bearer ${token}` } });
const list = () => dbQuery("SELECT option_value AS v FROM wp_options WHERE option_name = 'wpoa_revocation_list'")[0]?.v ?? null;
const setList = (value) => dbQuery(`REPLACE INTO wp_options (option_name, option_value, autoload) VALUES ('wpoa_revocation_list', '${value}', 'yes')`);
const selects = () => Number(dbQuery("SHOW GLOBAL STATUS LIKE 'Com_select'")[0].Value);

let as;
let client;

/**
 * The list as it should read from the tables alone: every grant revoked within the window
 * (access-token lifetime 3600 s + 120 s) and every deny-listed jti not yet expired. Tests start
 * from it (instead of whatever earlier test files left, possibly an overflow marker) and leave it.
 */
function rebuilt() {
  const now = Math.floor(Date.now() / 1000);
  const grants = dbQuery(`SELECT id, revoked_at FROM wp_oauth_grants WHERE status <> 'active' AND revoked_at >= ${now - 3720}`);
  const jtis = dbQuery(`SELECT jti, expires_at FROM wp_oauth_revoked_tokens WHERE expires_at >= ${now - 120}`);
  const value = 'wpoa1' + grants.map((g) => `;g${g.id}@${Number(g.revoked_at) + 3720}`).join('')
    + jtis.map((j) => `;j${j.jti}@${Number(j.expires_at) + 120}`).join('');
  assert.ok(value.length <= 8192, 'more recent revocations than the list holds: wait an hour or restart the stack');
  return value;
}

/** An active grant and an access token for `client`, minted in the site as the token endpoint does. */
function mint() {
  return wpEvalJson(`
    $uid = get_user_by('login', base64_decode('${b64(site.users.author.login)}'))->ID;
    $cid = base64_decode('${b64(client.client_id)}');
    $g = \\Wpoa\\Grant_Repository::create($cid, $uid, 'read', \\Wpoa\\Urls::audience(), time());
    $row = \\Wpoa\\Grant_Repository::find($g);
    $rt = \\Wpoa\\Refresh_Token_Repository::create($g, $cid, 'read', (int) $row->expires_at);
    $a = \\Wpoa\\Token_Issuer::access_token($cid, $uid, 'read', $g, \\Wpoa\\Urls::audience(), time(), (int) $row->expires_at);
    echo json_encode(['grant_id' => $g, 'refresh_token' => $rt, 'access_token' => $a['token'], 'jti' => $a['jti']]);
  `);
}

async function revoke(token, hint, base) {
  const meta = base ? { ...as, revocation_endpoint: as.revocation_endpoint.replace(site.url, base) } : as;
  const res = await oauth.revocationRequest(meta, client, clientAuthFor(client), token, { ...fetchOpts, additionalParameters: { token_type_hint: hint } });
  assert.equal(res.status, 200, `revocation: HTTP ${res.status}`);
  await oauth.processRevocationResponse(res);
}

/** Fewest SELECTs MariaDB counted for one bearer request on `base` (of three: cron or a neighbour may add some). */
async function selectsPerRequest(token, base) {
  let fewest = Infinity;
  for (let i = 0; i < 3; i++) {
    const before = selects();
    assert.equal((await me(token, base)).status, 200);
    fewest = Math.min(fewest, selects() - before);
  }
  return fewest;
}

before(async () => {
  as = await discover();
  client = await registerClient({ client_name: 'E2E revocation list', token_endpoint_auth_method: 'client_secret_basic', redirect_uris: ['https://rl.example/cb'], grant_types: ['authorization_code', 'refresh_token'] }, { via: 'db' });
  setList(rebuilt());
});

after(() => setList(rebuilt()));

test('a bearer request reads no grant row: one SELECT fewer than with the list overflowed', async () => {
  const m = mint();
  const listed = rebuilt();
  for (const base of [site.url, site.node2_url]) {
    setList(listed);
    const fast = await selectsPerRequest(m.access_token, base);
    setList(`${listed};o@${Math.floor(Date.now() / 1000) + 600}`);
    const slow = await selectsPerRequest(m.access_token, base);
    assert.equal(slow - fast, 1, `${base}: ${fast} SELECTs from the list, ${slow} when overflowed`);
  }
  setList(listed);
});

test('an access token revoked on node1 (RFC 7009) is refused on node2 at its very next request', async () => {
  const m = mint();
  const other = mint();
  assert.equal((await me(m.access_token, site.node2_url)).status, 200, 'node2 accepts it first');
  await revoke(m.access_token, 'access_token');
  assert.match(list(), new RegExp(`;j${m.jti}@\\d+`));
  const res = await me(m.access_token, site.node2_url);
  assert.equal(res.status, 401);
  assert.equal(res.body.error, 'invalid_token');
  assert.equal((await me(m.access_token)).status, 401, 'node1 agrees');
  assert.equal((await me(other.access_token, site.node2_url)).status, 200, 'other grants are untouched');
});

test('a grant revoked on node2 (refresh token revocation) stops its access token on node1 at once', async () => {
  const m = mint();
  assert.equal((await me(m.access_token)).status, 200);
  await revoke(m.refresh_token, 'refresh_token', site.node2_url);
  assert.match(list(), new RegExp(`;g${m.grant_id}@\\d+`));
  assert.equal((await me(m.access_token)).status, 401);
  assert.equal((await me(m.access_token, site.node2_url)).status, 401);
});

test('revocations on both nodes at the same time all land in the list', async () => {
  const tokens = Array.from({ length: 8 }, () => mint());
  await Promise.all(tokens.map((m, i) => revoke(m.refresh_token, 'refresh_token', i % 2 ? site.node2_url : site.url)));
  const value = list();
  for (const m of tokens) {
    assert.match(value, new RegExp(`;g${m.grant_id}@\\d+`), `grant ${m.grant_id}`);
    assert.equal((await me(m.access_token, site.node2_url)).status, 401);
    assert.equal((await me(m.access_token)).status, 401);
  }
});

test('when the list overflows, revoked tokens are still refused and valid ones accepted on both nodes', async () => {
  const valid = mint();
  const revoked = mint();
  await revoke(revoked.refresh_token, 'refresh_token');
  // Fill the list past its 8 KB bound the way a storm of revocations would.
  wpEvalJson(`
    for ($i = 0; $i < 260; $i++) { \\Wpoa\\Revocation_List::add_jti('storm-' . $i . '-' . wp_generate_password(10, false), time() + 600); }
    echo json_encode(true);
  `);
  assert.match(list(), /^wpoa1;o@\d+;/);
  for (const base of [site.url, site.node2_url]) {
    assert.equal((await me(revoked.access_token, base)).status, 401, base);
    assert.equal((await me(valid.access_token, base)).status, 200, base);
  }
});

test('last use: recorded when a token is issued (refresh), not written by bearer requests that read only the list', async () => {
  setList(rebuilt()); // after the overflow above: the common case again
  const m = mint();
  const used = () => dbQuery(`SELECT last_used_at, last_used_ip FROM wp_oauth_grants WHERE id = ${Number(m.grant_id)}`)[0];
  assert.equal((await me(m.access_token)).status, 200);
  assert.equal((await me(m.access_token, site.node2_url)).status, 200);
  assert.deepEqual(used(), { last_used_at: null, last_used_ip: null }, 'no write on the bearer path');

  const res = await oauth.refreshTokenGrantRequest(as, client, clientAuthFor(client), m.refresh_token, fetchOpts);
  const next = await oauth.processRefreshTokenResponse(as, client, res);
  assert.equal((await me(next.access_token)).status, 200);
  const row = used();
  assert.ok(Math.abs(Number(row.last_used_at) - Date.now() / 1000) < 300, `last_used_at ${row.last_used_at}`);
  assert.equal(row.last_used_ip, '127.0.0.1');
});
