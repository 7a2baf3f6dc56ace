// What docs/architecture.md ("What a persistent object cache changes") promises, proven on a real
// shared Redis: node1 and node2 are two php-fpm pools on one MariaDB and one redis-server.
// - a bearer request with a warm cache makes no SQL query for OAuth (traced with SAVEQUERIES);
// - a revocation on one node is refused on the other on the very next request, and is never
//   only in the cache;
// - exactly one of 50 concurrent refreshes over both nodes wins;
// - failed-secret counters (client lockout) are shared by the nodes, in Redis, and exact under
//   concurrency.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { dbQuery, health, wpEvalJson } from '../lib/site.mjs';
import { registerClient, loopbackRedirect } from '../lib/flow.mjs';
import {
  site, nodes, redis, api, call, post, refresh, mintGrant, tokensFor, traced, newTraceId, oauthQueries, assertRedisStack,
} from './lib.mjs';

let client;

before(async () => {
  assertRedisStack();
  const [n1, n2] = await Promise.all(nodes.map((b) => health(b)));
  assert.notEqual(n1.node, n2.node, 'url and node2_url are served by different php-fpm pools');
  assert.equal(redis('ping'), 'PONG');
  client = await registerClient({ client_name: 'E2E Redis client', redirect_uris: [loopbackRedirect()] });
});

const describeQueries = (t) => t.queries.map((q) => `${q.sql.replace(/\s+/g, ' ').slice(0, 160)}  <- ${q.caller.split(', ').slice(-3).join(', ')}`);

test('with a warm cache a bearer request makes no SQL query for OAuth, on either node', async (t) => {
  const tok = await tokensFor(client);

  // Cold for this grant: the trace must see the plugin's grant query, or it could not see any.
  const coldId = newTraceId();
  const cold = await api(site.url, tok.access_token, { trace: coldId });
  assert.equal(cold.status, 200, cold.text);
  const coldTrace = await traced(coldId);
  assert.ok(oauthQueries(coldTrace).some((q) => q.caller.includes('Wpoa\\Grant_Repository::bearer_state')),
    `the first check of a new grant reads it from the database: ${JSON.stringify(describeQueries(coldTrace), null, 1)}`);

  // The entry the next checks read: in Redis, for at most an hour (Grant_Repository::cache_ttl()).
  const ttl = Number(redis('TTL', `${site.redis.prefix}1:wpoa:grant:${tok.grant_id}`));
  assert.ok(ttl > 3500 && ttl <= 3600, `grant state cached for an hour: TTL ${ttl}`);

  for (const base of [site.node2_url, site.url]) {
    const id = newTraceId();
    const warm = await api(base, tok.access_token, { trace: id });
    assert.equal(warm.status, 200, warm.text);
    assert.equal(warm.body.id, tok.user_id, 'the request ran as the token user');
    const tr = await traced(id);
    assert.deepEqual(oauthQueries(tr).map((q) => q.sql), [], `no OAuth query on ${base}`);
    assert.ok(tr.cache.hits > 0 && tr.cache.failures === 0, JSON.stringify(tr.cache));
    t.diagnostic(`${base} (${tr.node}): ${tr.queries.length} queries in all, cache ${JSON.stringify(tr.cache)}`);
    for (const line of describeQueries(tr)) t.diagnostic(`  core: ${line}`);
  }

  // A new access token of the same grant (a refresh) needs no query on its first use either:
  // its jti is noted in the cache when it is issued.
  const r = await refresh(site.node2_url, client, tok.refresh_token);
  assert.equal(r.status, 200, r.text);
  const id = newTraceId();
  const fresh = await api(site.url, r.body.access_token, { trace: id });
  assert.equal(fresh.status, 200, fresh.text);
  assert.deepEqual(oauthQueries(await traced(id)).map((q) => q.sql), [], 'first use of a refreshed token');
});

test('a grant revoked on node 1 is refused on node 2 on the very next request, and stays refused without the cache', async () => {
  const tok = await tokensFor(client);
  for (const base of nodes) assert.equal((await api(base, tok.access_token)).status, 200, 'warm on both nodes');

  const rv = await post(site.url, 'revoke', { client_id: client.client_id, token: tok.refresh_token, token_type_hint: 'refresh_token' });
  assert.equal(rv.status, 200, rv.text);
  const next = await api(site.node2_url, tok.access_token);
  assert.equal(next.status, 401, next.text);
  assert.equal(next.body.error, 'invalid_token');
  assert.equal((await api(site.url, tok.access_token)).status, 401);

  // The revocation is in the database, not only in the cache.
  const [g] = dbQuery(`SELECT status, revoked_reason FROM wp_oauth_grants WHERE id = ${Number(tok.grant_id)}`);
  assert.deepEqual(g, { status: 'revoked', revoked_reason: 'token_revoked' });
  assert.match(redis('GET', `${site.redis.prefix}1:wpoa:grant:${tok.grant_id}`), /"active";b:0;/, 'the cache holds the revoked state');
  assert.equal(redis('FLUSHALL'), 'OK');
  for (const base of nodes) {
    const r = await api(base, tok.access_token);
    assert.equal(r.status, 401, `${base} after the cache was emptied: ${r.text}`);
  }
});

test('an access token revoked on node 2 (RFC 7009, its jti) is refused on node 1 on the very next request', async () => {
  const tok = await tokensFor(client);
  for (const base of nodes) assert.equal((await api(base, tok.access_token)).status, 200);
  const rv = await post(site.node2_url, 'revoke', { client_id: client.client_id, token: tok.access_token, token_type_hint: 'access_token' });
  assert.equal(rv.status, 200, rv.text);
  const next = await api(site.url, tok.access_token);
  assert.equal(next.status, 401, next.text);
  // The grant itself lives on: a new access token of it works.
  const r = await refresh(site.url, client, tok.refresh_token);
  assert.equal(r.status, 200, r.text);
  assert.equal((await api(site.node2_url, r.body.access_token)).status, 200);
  assert.equal(dbQuery(`SELECT COUNT(*) AS n FROM wp_oauth_revoked_tokens WHERE grant_id = ${Number(tok.grant_id)}`)[0].n, '1');
  redis('FLUSHALL');
  assert.equal((await api(site.node2_url, tok.access_token)).status, 401, 'still refused once the cache is gone');
});

test('a user revoking an app on the profile API (node 2) stops its token on node 1 at once', async () => {
  const tok = await tokensFor(client);
  assert.equal((await api(site.url, tok.access_token)).status, 200);
  // A second grant of the same user with `full` scope (managing grants needs it) revokes the first.
  const admin = mintGrant(client, 'full');
  const full = await refresh(site.url, client, admin.refresh_token);
  assert.equal(full.status, 200, full.text);
  const del = await call(`${site.node2_url}/wp-json/wp-oauth/v1/me/grants/${tok.grant_id}`, {
    method: 'DELETE', headers: { authorization: `Bearer ${full.body.access_token}`, accept: 'application/json' },
  });
  assert.ok([200, 204].includes(del.status), `DELETE /me/grants/${tok.grant_id}: ${del.status} ${del.text}`);
  assert.equal((await api(site.url, tok.access_token)).status, 401);
});

test('50 concurrent refreshes of one token over both nodes: exactly one 200, the grant revoked everywhere', async () => {
  const tok = await tokensFor(client);
  for (const base of nodes) assert.equal((await api(base, tok.access_token)).status, 200, 'cache warm for the grant');
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => refresh(nodes[i % 2], client, tok.refresh_token)));
  const winners = results.filter((r) => r.status === 200);
  assert.equal(winners.length, 1, JSON.stringify(results.map((r) => r.status)));
  for (const l of results.filter((r) => r.status !== 200)) {
    assert.equal(l.status, 400, l.text);
    assert.equal(l.body.error, 'invalid_grant');
  }
  const rows = dbQuery(`SELECT used_at FROM wp_oauth_refresh_tokens WHERE grant_id = ${Number(tok.grant_id)} ORDER BY id`);
  assert.equal(rows.length, 3, 'the minted token, its successor from tokensFor(), and one winner');
  const [g] = dbQuery(`SELECT status, revoked_reason FROM wp_oauth_grants WHERE id = ${Number(tok.grant_id)}`);
  assert.deepEqual(g, { status: 'revoked', revoked_reason: 'refresh_reuse' });
  // The reuse revoked the grant: its tokens are refused at once on both nodes, the warm copies too.
  for (const base of nodes) {
    assert.equal((await api(base, tok.access_token)).status, 401, `old token on ${base}`);
    assert.equal((await api(base, winners[0].body.access_token)).status, 401, `winner's token on ${base}`);
  }
});

test('failed client secrets are counted across both nodes, in Redis: the 11th wrong secret is locked out on either node', async () => {
  const conf = await registerClient({
    client_name: 'E2E Redis confidential', redirect_uris: [loopbackRedirect()], token_endpoint_auth_method: 'client_secret_post',
  });
  assert.ok(conf.client_secret, 'a confidential client');
  const wrong = (base) => post(base, 'token', { grant_type: 'refresh_token', client_id: conf.client_id, client_secret: 'not-the-secret', refresh_token: 'x' });
  for (let i = 0; i < 10; i++) {
    const r = await wrong(nodes[i % 2]);
    assert.equal(r.status, 401, `attempt ${i + 1} on ${nodes[i % 2]}: ${r.text}`);
    assert.equal(r.body.error, 'invalid_client');
  }
  for (const base of nodes) {
    const r = await wrong(base);
    assert.equal(r.status, 429, `11th attempt on ${base}: ${r.text}`);
    assert.ok(Number(r.headers.get('retry-after')) > 0);
  }
  // Shared through Redis (atomic counts of Failure_Counter), not the options table.
  const keys = redis('--scan', '--pattern', `${site.redis.prefix}1:wpoa:fail:wpoa_authfail_*`).split('\n').filter(Boolean);
  assert.ok(keys.length >= 2, `counters in Redis: ${keys}`);
  assert.equal(dbQuery("SELECT COUNT(*) AS n FROM wp_options WHERE option_name LIKE '\\_transient\\_wpoa\\_authfail%'")[0].n, '0');
});

test('30 concurrent wrong secrets over both nodes: exactly 10 answered 401, the other 20 locked out (429)', async () => {
  const conf = await registerClient({
    client_name: 'E2E Redis concurrent lockout', redirect_uris: [loopbackRedirect()], token_endpoint_auth_method: 'client_secret_post',
  });
  const results = await Promise.all(Array.from({ length: 30 }, (_, i) => post(nodes[i % 2], 'token', {
    grant_type: 'refresh_token', client_id: conf.client_id, client_secret: `wrong-${i}`, refresh_token: 'x',
  })));
  const counts = {};
  for (const r of results) counts[r.status] = (counts[r.status] || 0) + 1;
  assert.deepEqual(counts, { 401: 10, 429: 20 }, 'the per client-and-address limit (10) holds under concurrency: no count is lost');
  // The right secret is never refused, locked or not.
  const ok = await post(site.node2_url, 'token', { grant_type: 'refresh_token', client_id: conf.client_id, client_secret: conf.client_secret, refresh_token: 'x' });
  assert.equal(ok.status, 400, ok.text);
  assert.equal(ok.body.error, 'invalid_grant', 'authenticated; only the refresh token is wrong');
});

test("a user's password change and deletion (in another PHP process) stop their tokens on both nodes at once", async () => {
  const login = `redis${Date.now()}`;
  const uid = wpEvalJson(`echo json_encode(wp_insert_user(['user_login' => '${login}', 'user_pass' => wp_generate_password(24), 'user_email' => '${login}@example.com', 'role' => 'author']));`);
  assert.ok(Number.isInteger(uid) && uid > 0, `user created: ${uid}`);
  const first = await tokensFor(client, site.url, uid);
  const second = await tokensFor(client, site.node2_url, uid);
  for (const base of nodes) {
    assert.equal((await api(base, first.access_token)).status, 200);
    assert.equal((await api(base, second.access_token)).status, 200);
  }
  // The change runs in the CLI (a third PHP process on the same Redis), as an admin screen would.
  wpEvalJson(`wp_update_user(['ID' => ${uid}, 'user_pass' => wp_generate_password(24)]); echo json_encode(true);`);
  for (const base of nodes) {
    const r = await api(base, first.access_token);
    assert.equal(r.status, 401, `${base} after the password change: ${r.text}`);
  }
  const fresh = await tokensFor(client, site.url, uid);
  assert.equal((await api(site.node2_url, fresh.access_token)).status, 200, 'a grant made after the change works');
  wpEvalJson(`require_once ABSPATH . 'wp-admin/includes/user.php'; echo json_encode(wp_delete_user(${uid}));`);
  for (const base of nodes) {
    const r = await api(base, fresh.access_token);
    assert.equal(r.status, 401, `${base} after the user was deleted: ${r.text}`);
  }
});
