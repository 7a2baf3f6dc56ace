// Concurrent refreshes of one refresh token across two PHP nodes (two php-fpm pools behind one
// MariaDB): exactly one succeeds, every other request gets invalid_grant, and — because a
// losing concurrent use is a reuse (docs/lifecycle.md) — the grant ends revoked. Real parallel
// HTTPS requests with undici; nothing is mocked.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { fetch as undiciFetch, Agent } from 'undici';
import { site, caCert, wpEvalJson, dbQuery, getJson, health } from './lib/site.mjs';
import { registerClient, loopbackRedirect } from './lib/flow.mjs';

const b64 = (s) => Buffer.from(String(s)).toString('base64');
// A dedicated agent with enough sockets that every request is on the wire at once.
const wide = new Agent({ connect: { ca: caCert }, connections: 64, pipelining: 1, keepAliveTimeout: 1000 });

let client;

function mint() {
  return wpEvalJson(`
    $uid = get_user_by('login', base64_decode('${b64(site.users.author.login)}'))->ID;
    $cid = base64_decode('${b64(client.client_id)}');
    $g = \\Wpoa\\Grant_Repository::create($cid, $uid, 'read write', \\Wpoa\\Urls::audience(), time());
    $row = \\Wpoa\\Grant_Repository::find($g);
    echo json_encode(['grant_id' => $g, 'refresh_token' => \\Wpoa\\Refresh_Token_Repository::create($g, $cid, 'read write', (int) $row->expires_at)]);
  `);
}

async function refreshAt(base, refreshToken) {
  const res = await undiciFetch(`${base}/wp-json/wp-oauth/v1/token`, {
    method: 'POST',
    dispatcher: wide,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: client.client_id, refresh_token: refreshToken }).toString(),
  });
  const text = await res.text();
  let body;
  try { body = JSON.parse(text); } catch { body = text; }
  return { base, status: res.status, body };
}

/** n requests at once, alternating between node1 and node2. */
function race(refreshToken, n) {
  return Promise.all(Array.from({ length: n }, (_, i) => refreshAt(i % 2 === 0 ? site.url : site.node2_url, refreshToken)));
}

function assertOneWinner(results, n) {
  const winners = results.filter((r) => r.status === 200);
  const losers = results.filter((r) => r.status !== 200);
  assert.equal(winners.length, 1, `exactly one 200 of ${n}: ${JSON.stringify(results.map((r) => r.status))}`);
  assert.equal(losers.length, n - 1);
  for (const l of losers) {
    assert.equal(l.status, 400, JSON.stringify(l.body));
    assert.equal(l.body.error, 'invalid_grant');
  }
  assert.ok(winners[0].body.access_token && winners[0].body.refresh_token);
  return winners[0];
}

before(async () => {
  const [n1, n2] = await Promise.all([health(site.url), health(site.node2_url)]);
  assert.notEqual(n1.node, n2.node, 'url and node2_url are served by different php-fpm pools');
  assert.equal(n1.wp_oauth_loaded, true);
  assert.equal(n2.wp_oauth_loaded, true);
  client = await registerClient({ client_name: 'E2E race client', redirect_uris: [loopbackRedirect()] });
});

test('50 concurrent refreshes of one token over two nodes: exactly one 200, 49 invalid_grant, grant revoked', async () => {
  const m = mint();
  const results = await race(m.refresh_token, 50);
  assert.equal(results.filter((r) => r.base === site.url).length, 25);
  assert.equal(results.filter((r) => r.base === site.node2_url).length, 25);
  const winner = assertOneWinner(results, 50);

  // Exactly one successor was stored, and the original is used.
  const rows = dbQuery(`SELECT used_at FROM wp_oauth_refresh_tokens WHERE grant_id = ${Number(m.grant_id)} ORDER BY id`);
  assert.equal(rows.length, 2, 'one original + one successor');
  assert.notEqual(rows[0].used_at, null);
  // The losers were reuses: the grant is revoked, so the winner's pair is dead too.
  const [g] = dbQuery(`SELECT status, revoked_reason FROM wp_oauth_grants WHERE id = ${Number(m.grant_id)}`);
  assert.deepEqual(g, { status: 'revoked', revoked_reason: 'refresh_reuse' });
  const again = await refreshAt(site.url, winner.body.refresh_token);
  assert.equal(again.status, 400);
  assert.equal(again.body.error, 'invalid_grant');
  const api = await getJson('/wp-json/wp/v2/users/me', { headers: { authorization: `Bearer ${winner.body.access_token}` } });
  assert.equal(api.status, 401);
});

test('two concurrent refreshes, one per node, five rounds: always exactly one winner', async () => {
  for (let round = 0; round < 5; round++) {
    const m = mint();
    assertOneWinner(await race(m.refresh_token, 2), 2);
  }
});

test('sequential refreshes across nodes rotate normally (no false reuse)', async () => {
  const m = mint();
  let token = m.refresh_token;
  for (let i = 0; i < 6; i++) {
    const r = await refreshAt(i % 2 === 0 ? site.url : site.node2_url, token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    token = r.body.refresh_token;
  }
  const [g] = dbQuery(`SELECT status FROM wp_oauth_grants WHERE id = ${Number(m.grant_id)}`);
  assert.equal(g.status, 'active');
});
