// The shared Redis fails under load: restarted, stopped for seconds, frozen. Nothing that matters
// may be lost: valid tokens keep verifying, refresh chains keep rotating (never invalid_grant),
// revocations made before, during and after the fault keep holding on both nodes, and nothing
// answers 5xx — the database is there, so everything can still be looked up. Revocations are
// never only in the cache: a Redis that comes back empty changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbQuery } from '../lib/site.mjs';
import { registerClient, loopbackRedirect } from '../lib/flow.mjs';
import {
  site, nodes, sleep, redis, redisCtl, api, post, refresh, tokensFor, traced, newTraceId, assertRedisStack,
} from './lib.mjs';

let client;

before(async () => {
  assertRedisStack();
  client = await registerClient({ client_name: 'E2E Redis faults client', redirect_uris: [loopbackRedirect()] });
});

after(async () => {
  // Leave Redis running whatever happened (the suite's stack is stopped by test-redis.sh).
  await redisCtl('resume').catch(() => {});
  await redisCtl('start').catch(() => {});
});

const revoke = (base, tok) => post(base, 'revoke', { client_id: client.client_id, token: tok.refresh_token, token_type_hint: 'refresh_token' });

async function warm(...toks) {
  for (const tok of toks) for (const base of nodes) assert.equal((await api(base, tok.access_token)).status, 200, 'warm');
}

/** Requests in a loop until stop() (bounded: at most `max` each). */
function loop(fn, max = 400) {
  const results = [];
  let running = true;
  const done = (async () => {
    for (let i = 0; running && i < max; i++) results.push(await fn(i));
  })();
  return { results, async stop() { running = false; await done; return results; } };
}

function assertNo5xx(label, results) {
  const bad = results.filter((r) => r.status === 0 || r.status >= 500);
  assert.deepEqual(bad.map((r) => `${r.status} ${r.url} ${r.error || r.text?.slice(0, 200)}`), [], `${label}: no 5xx, no dropped connection`);
}

test('a Redis restart and a Redis outage under load: tokens verify, refreshes rotate, revocations hold, no 5xx', async (t) => {
  const live = await tokensFor(client);
  const before = await tokensFor(client);   // revoked before the restart, with the cache warm
  const during = await tokensFor(client);   // revoked while Redis is down
  await warm(live, before, during);

  let chain = (await tokensFor(client)).refresh_token;
  const marks = {};
  const bearer = loop((i) => api(nodes[i % 2], live.access_token));
  const revokedB = loop((i) => api(nodes[i % 2], before.access_token).then((r) => ({ ...r, after: marks.beforeRevoked })));
  const revokedD = loop((i) => api(nodes[(i + 1) % 2], during.access_token).then((r) => ({ ...r, after: marks.duringRevoked })));
  const rotations = loop(async (i) => {
    const r = await refresh(nodes[i % 2], client, chain);
    if (r.status === 200) chain = r.body.refresh_token;
    return r;
  });

  await sleep(400);
  const rb = await revoke(site.url, before);
  assert.equal(rb.status, 200, rb.text);
  marks.beforeRevoked = Date.now();
  await sleep(600);
  await redisCtl('restart');
  t.diagnostic(`Redis restarted at +${Date.now() - marks.beforeRevoked} ms`);
  await sleep(800);
  await redisCtl('stop');
  marks.outage = Date.now();
  await sleep(300);
  const rd = await revoke(site.node2_url, during);
  assert.equal(rd.status, 200, `revocation during the outage: ${rd.text}`);
  marks.duringRevoked = Date.now();
  const probeId = newTraceId();
  const probe = await api(site.node2_url, live.access_token, { trace: probeId });
  assert.equal(probe.status, 200, `a bearer request during the outage: ${probe.text}`);
  const probeTrace = await traced(probeId);
  assert.ok(probeTrace.cache.failures >= 1, `PHP really lost Redis: ${JSON.stringify(probeTrace.cache)}`);
  await sleep(1500);
  await redisCtl('start');
  marks.back = Date.now();
  await sleep(1200);

  const all = {
    bearer: await bearer.stop(), revokedB: await revokedB.stop(), revokedD: await revokedD.stop(), rotations: await rotations.stop(),
  };
  for (const [label, results] of Object.entries(all)) {
    assertNo5xx(label, results);
    t.diagnostic(`${label}: ${results.length} requests, ${results.filter((r) => r.at >= marks.outage && r.at < marks.back).length} during the outage`);
  }
  assert.ok(all.bearer.filter((r) => r.at >= marks.outage && r.at < marks.back).length > 0, 'load ran during the outage');
  assert.deepEqual([...new Set(all.bearer.map((r) => r.status))], [200], 'a valid token verified on every request');
  assert.deepEqual([...new Set(all.rotations.map((r) => r.status))], [200],
    `every refresh rotated (never invalid_grant): ${JSON.stringify(all.rotations.filter((r) => r.status !== 200).map((r) => r.text))}`);
  const lateB = all.revokedB.filter((r) => r.at > marks.beforeRevoked);
  assert.ok(lateB.length > 0);
  assert.deepEqual([...new Set(lateB.map((r) => r.status))], [401], 'revoked before the restart: refused on every later request');
  const lateD = all.revokedD.filter((r) => r.at > marks.duringRevoked);
  assert.ok(lateD.length > 0);
  assert.deepEqual([...new Set(lateD.map((r) => r.status))], [401], 'revoked during the outage: refused on every later request');

  // Afterwards, on both nodes, with Redis back (empty, then refilled by the requests above).
  for (const base of nodes) {
    assert.equal((await api(base, live.access_token)).status, 200);
    assert.equal((await api(base, before.access_token)).status, 401);
    assert.equal((await api(base, during.access_token)).status, 401);
  }
  const rows = dbQuery(`SELECT id, status FROM wp_oauth_grants WHERE id IN (${before.grant_id}, ${during.grant_id}) ORDER BY id`);
  assert.deepEqual(rows.map((r) => r.status), ['revoked', 'revoked']);
  const last = await refresh(site.url, client, chain);
  assert.equal(last.status, 200, `the chain goes on: ${last.text}`);
});

test('a revocation while Redis is frozen still holds when it thaws with its old entries', async () => {
  const tok = await tokensFor(client);
  await warm(tok);
  const key = `${site.redis.prefix}1:wpoa:grant:${tok.grant_id}`;
  assert.match(redis('GET', key), /"active";b:1;/, 'the cache holds the grant as active');

  await redisCtl('pause');
  try {
    const rv = await revoke(site.url, tok);
    assert.equal(rv.status, 200, `revocation while Redis is frozen: ${rv.text}`);
    const during = await api(site.node2_url, tok.access_token);
    assert.equal(during.status, 401, `refused while frozen (the database answers): ${during.text}`);
  } finally {
    await redisCtl('resume');
  }
  // Redis thawed with the entry written before the revocation: the revocation never reached it.
  assert.match(redis('GET', key), /"active";b:1;/, 'the stale copy is still in Redis');
  for (const base of [site.node2_url, site.url]) {
    const r = await api(base, tok.access_token);
    assert.equal(r.status, 401, `${base} after the thaw: ${r.text}`);
  }
  assert.equal(dbQuery(`SELECT status FROM wp_oauth_grants WHERE id = ${Number(tok.grant_id)}`)[0].status, 'revoked');
});
