// Helpers for the Redis object-cache suite (scripts/test-redis.sh starts the stack in Redis mode:
// node1 and node2 share one redis-server through tests/stack/object-cache-redis.php).
import assert from 'node:assert/strict';
import { execFileSync, execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fetch as undiciFetch, Agent } from 'undici';
import { site, caCert, REPO, wpEvalJson } from '../lib/site.mjs';

export { site };
export const nodes = [site.url, site.node2_url];
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const b64 = (s) => Buffer.from(String(s)).toString('base64');
const run = promisify(execFile);

/** Many sockets, so concurrent requests are really on the wire together. */
export const pool = new Agent({ connect: { ca: caCert }, connections: 64, pipelining: 1, keepAliveTimeout: 2000 });

export function assertRedisStack() {
  assert.equal(site.object_cache, 'redis', `this suite needs the stack in Redis mode (site.json of ${site.run_dir}): run it with scripts/test-redis.sh`);
}

/** redis-cli on the stack's socket; returns stdout. */
export function redis(...args) {
  return execFileSync('redis-cli', ['-s', site.redis.socket, ...args], { encoding: 'utf8' }).trim();
}

/** scripts/redis-ctl.sh stop|start|restart|pause|resume on this stack. */
export function redisCtl(action) {
  return run('bash', [join(REPO, 'scripts/redis-ctl.sh'), action], {
    env: { ...process.env, WPOA_RUN: site.run_dir, WPOA_PORT: String(site.port), WPOA_OBJECT_CACHE: 'redis' },
  });
}

/** One HTTP exchange; never throws (status 0 = no answer). */
export async function call(url, init = {}) {
  const t0 = Date.now();
  try {
    const res = await undiciFetch(url, { dispatcher: pool, ...init });
    const text = await res.text();
    let body; try { body = JSON.parse(text); } catch { body = undefined; }
    return { url, status: res.status, body, text, headers: res.headers, at: t0, ms: Date.now() - t0 };
  } catch (e) {
    return { url, status: 0, error: e.message, at: t0, ms: Date.now() - t0 };
  }
}

/** GET /wp-json/wp/v2/users/me with the token, on one node; `trace` records its queries. */
export function api(base, token, { trace } = {}) {
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  if (trace) headers['x-wpoa-trace'] = trace;
  return call(`${base}/wp-json/wp/v2/users/me`, { headers });
}

/** POST to an OAuth endpoint (form). */
export function post(base, path, form) {
  return call(`${base}/wp-json/wp-oauth/v1/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
  });
}

export const refresh = (base, client, token) => post(base, 'token', { grant_type: 'refresh_token', client_id: client.client_id, refresh_token: token });

/** A new grant of the author for the client and its first refresh token (as the consent screen makes them). */
export function mintGrant(client, scope = 'read', userId = 0) {
  return wpEvalJson(`
    $uid = ${Number(userId)} ?: get_user_by('login', base64_decode('${b64(site.users.author.login)}'))->ID;
    $cid = base64_decode('${b64(client.client_id)}');
    $g = \\Wpoa\\Grant_Repository::create($cid, $uid, '${scope}', \\Wpoa\\Urls::audience(), time());
    $row = \\Wpoa\\Grant_Repository::find($g);
    echo json_encode(['grant_id' => $g, 'user_id' => $uid, 'refresh_token' => \\Wpoa\\Refresh_Token_Repository::create($g, $cid, '${scope}', (int) $row->expires_at)]);
  `);
}

/** A grant with real tokens from the token endpoint: { grant_id, access_token, refresh_token }. */
export async function tokensFor(client, base = site.url, userId = 0) {
  const g = mintGrant(client, 'read', userId);
  const r = await refresh(base, client, g.refresh_token);
  assert.equal(r.status, 200, `refresh for a fresh grant: ${r.text}`);
  return { grant_id: g.grant_id, user_id: g.user_id, access_token: r.body.access_token, refresh_token: r.body.refresh_token };
}

/** The queries of a traced request (tests/stack/query-trace.php), waiting for its file. */
export async function traced(id) {
  const file = join(site.run_dir, 'query-trace', `${id}.json`);
  for (let i = 0; i < 100 && !existsSync(file); i++) await sleep(20);
  assert.ok(existsSync(file), `no query trace ${file}: is tests/stack/query-trace.php loaded by the drop-in?`);
  return JSON.parse(readFileSync(file, 'utf8'));
}

export const newTraceId = () => randomUUID();

/** Queries made by the plugin (any Wpoa\ frame in the caller chain). */
export const oauthQueries = (trace) => trace.queries.filter((q) => q.caller.includes('Wpoa\\'));

/** The database row of a grant. */
export function grantRow(grantId) {
  return wpEvalJson(`echo json_encode(\\Wpoa\\Grant_Repository::find(${Number(grantId)}));`);
}
