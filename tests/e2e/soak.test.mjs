// Soak: concurrent clients hammer the token endpoint (refresh rotation) and the REST API (bearer
// authentication) on both php-fpm nodes, for a bounded time and a bounded request count, over
// loopback HTTPS. Afterwards: no 5xx at all, no PHP fatal error/warning/notice in the logs
// (core's known PHP 8.2 deprecations aside), and no lost rotation — every refresh chain still
// ends with a working refresh token and access token, and its grant is active.
//
// Length: WPOA_SOAK_SECONDS (default 15, as in make test; `make soak` runs 60 via scripts/soak.sh),
// WPOA_SOAK_CLIENTS (default 8 concurrent clients), WPOA_SOAK_MAX_REQUESTS (default 20000).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fetch as undiciFetch, Agent } from 'undici';
import { site, caCert, wpEvalJson, dbQuery } from './lib/site.mjs';
import { registerClient, loopbackRedirect } from './lib/flow.mjs';

const SECONDS = Number(process.env.WPOA_SOAK_SECONDS || 15);
const CLIENTS = Number(process.env.WPOA_SOAK_CLIENTS || 8);
const MAX_REQUESTS = Number(process.env.WPOA_SOAK_MAX_REQUESTS || 20000);
const REFRESH_EVERY = 5; // one refresh per this many API calls per client
const pool = new Agent({ connect: { ca: caCert }, connections: CLIENTS * 2, keepAliveTimeout: 4000 });
const LOGS = ['php-error.log', 'wp-debug.log'];
const logStart = {};
let client;

const b64 = (s) => Buffer.from(String(s)).toString('base64');

/** A grant and its first refresh token, straight from the repositories (no browser needed). */
function mintChain(i) {
  const role = i % 2 ? 'author' : 'admin';
  return {
    role,
    ...wpEvalJson(`
      $uid = get_user_by('login', base64_decode('${b64(site.users[role].login)}'))->ID;
      $cid = base64_decode('${b64(client.client_id)}');
      $g = \\Wpoa\\Grant_Repository::create($cid, $uid, 'read', \\Wpoa\\Urls::audience(), time());
      $row = \\Wpoa\\Grant_Repository::find($g);
      echo json_encode(['grant_id' => $g, 'user_id' => $uid, 'refresh_token' => \\Wpoa\\Refresh_Token_Repository::create($g, $cid, 'read', (int) $row->expires_at)]);
    `),
  };
}

async function call(url, init) {
  const t0 = performance.now();
  try {
    const res = await undiciFetch(url, { dispatcher: pool, ...init });
    const text = await res.text();
    let body; try { body = JSON.parse(text); } catch { body = text; }
    return { status: res.status, body, ms: performance.now() - t0 };
  } catch (e) {
    return { status: 0, error: e.message, ms: performance.now() - t0 };
  }
}

const refresh = (base, token) => call(`${base}/wp-json/wp-oauth/v1/token`, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  body: new URLSearchParams({ grant_type: 'refresh_token', client_id: client.client_id, refresh_token: token }).toString(),
});
const api = (base, token, path) => call(`${base}/wp-json/${path}`, { headers: { authorization: `Bearer ${token}` } });

before(async () => {
  for (const f of LOGS) { try { logStart[f] = statSync(join(site.logs, f)).size; } catch { logStart[f] = 0; } }
  client = await registerClient({ client_name: 'soak client', redirect_uris: [loopbackRedirect()] });
});

test(`soak: ${CLIENTS} clients, ${SECONDS} s, token + REST endpoints on both nodes`, { timeout: (SECONDS + 120) * 1000 }, async () => {
  const chains = Array.from({ length: CLIENTS }, (_, i) => mintChain(i));
  const stats = { total: 0, byStatus: {}, refreshes: 0, apiCalls: 0, errors: [], ms: [] };
  const record = (kind, r) => {
    stats.total++;
    stats.byStatus[r.status] = (stats.byStatus[r.status] || 0) + 1;
    stats.ms.push(r.ms);
    if (r.status >= 500 || r.status === 0) stats.errors.push(`${kind} ${r.status} ${r.error || JSON.stringify(r.body).slice(0, 200)}`);
  };
  const deadline = Date.now() + SECONDS * 1000;
  const paths = ['wp/v2/users/me', 'wp/v2/posts?per_page=2', 'wp/v2/users/me?context=edit', 'wp/v2/types/post'];

  await Promise.all(chains.map(async (chain, i) => {
    const bases = [site.url, site.node2_url];
    let n = 0;
    // First access token of the chain.
    let r = await refresh(bases[i % 2], chain.refresh_token);
    record('refresh', r);
    assert.equal(r.status, 200, `initial refresh of chain ${i}: ${JSON.stringify(r.body)}`);
    Object.assign(chain, { refresh_token: r.body.refresh_token, access_token: r.body.access_token });
    stats.refreshes++;
    while (Date.now() < deadline && stats.total < MAX_REQUESTS) {
      const base = bases[(i + n) % 2];
      n++;
      if (n % REFRESH_EVERY === 0) {
        r = await refresh(base, chain.refresh_token);
        record('refresh', r);
        stats.refreshes++;
        assert.equal(r.status, 200, `refresh ${n} of chain ${i} on ${base}: ${JSON.stringify(r.body)}`);
        chain.refresh_token = r.body.refresh_token;
        chain.access_token = r.body.access_token;
      } else {
        r = await api(base, chain.access_token, paths[n % paths.length]);
        record('api', r);
        stats.apiCalls++;
        assert.equal(r.status, 200, `API call ${n} of chain ${i} on ${base}: ${JSON.stringify(r.body).slice(0, 300)}`);
      }
    }
  }));

  const sorted = stats.ms.sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))].toFixed(0);
  console.log(`soak: ${stats.total} requests in ${SECONDS} s (${(stats.total / SECONDS).toFixed(1)}/s), ${stats.refreshes} refreshes, ${stats.apiCalls} API calls, statuses ${JSON.stringify(stats.byStatus)}, latency p50 ${pct(0.5)} ms p95 ${pct(0.95)} ms max ${pct(1)} ms`);
  assert.deepEqual(stats.errors, [], 'no 5xx and no failed connection');
  assert.ok(stats.refreshes >= CLIENTS * 2, `enough rotations happened (${stats.refreshes})`);

  // No lost rotation: every chain's last refresh token works once more, its access token works,
  // its grant is active, and it has exactly one unused refresh token.
  for (const [i, chain] of chains.entries()) {
    const last = await refresh(site.url, chain.refresh_token);
    assert.equal(last.status, 200, `chain ${i} ends valid: ${JSON.stringify(last.body)}`);
    const me = await api(site.node2_url, last.body.access_token, 'wp/v2/users/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.id, Number(chain.user_id));
    const [g] = dbQuery(`SELECT revoked_at FROM wp_oauth_grants WHERE id = ${Number(chain.grant_id)}`);
    assert.equal(g.revoked_at, null, `grant of chain ${i} active`);
    const [live] = dbQuery(`SELECT COUNT(*) n FROM wp_oauth_refresh_tokens WHERE grant_id = ${Number(chain.grant_id)} AND used_at IS NULL`);
    assert.equal(live.n, '1', `chain ${i}: exactly one live refresh token`);
  }
});

test('soak left no PHP fatal error, warning or notice in the logs', () => {
  const lines = [];
  for (const f of LOGS) {
    let text = '';
    try { text = readFileSync(join(site.logs, f)).subarray(logStart[f]).toString('utf8'); } catch { continue; }
    lines.push(...text.split('\n').filter(Boolean));
  }
  const bad = lines.filter((l) => /PHP (Fatal error|Warning|Notice|Parse error)|Uncaught|WordPress database error/.test(l));
  // Known core noise under PHP 8.2 is deprecations only (docs: ENVIRONMENT.md); the plugin may have none.
  const pluginDeprecations = lines.filter((l) => /PHP Deprecated/.test(l) && /wp-oauth|Wpoa/.test(l));
  assert.deepEqual(bad, []);
  assert.deepEqual(pluginDeprecations, []);
});
