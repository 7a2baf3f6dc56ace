// Faults under load: the database restarted in the middle of a run, and php-fpm workers killed in
// the middle of requests. Expected: clean failures while it lasts (503 with a clear error from
// the wp-content/db-error.php drop-in the plugin ships, never a token that was not stored), then
// recovery without intervention; no half-written grant after a worker dies mid-request.
//
// The drop-in (wp-plugin/drop-ins/db-error.php) is copied into the stack's wp-content for the
// run, as a host would install it, and removed afterwards if the stack did not have it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, unlinkSync, readFileSync, statSync } from 'node:fs';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fetch as undiciFetch, Agent } from 'undici';
import * as jose from 'jose';
import * as oauth from 'oauth4webapi';
import { site, caCert, REPO, wpEvalJson, dbQuery } from './lib/site.mjs';
import { registerClient, loopbackRedirect } from './lib/flow.mjs';

const run = promisify(execFile);
const DROPIN_SRC = join(REPO, 'wp-plugin/drop-ins/db-error.php');
const DROPIN = join(site.wp_path, 'wp-content/db-error.php');
const pool = new Agent({ connect: { ca: caCert }, connections: 32, keepAliveTimeout: 2000 });
const b64 = (s) => Buffer.from(String(s)).toString('base64');
const tokenHash = (t) => createHash('sha256').update(t).digest('base64url'); // = wp_oauth_token_hash
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let installedDropin = false;
let client;
let redirectUri;

const db = (action) => run('bash', [join(REPO, 'scripts/restart-db.sh'), action], { env: { ...process.env, WPOA_RUN: site.run_dir, WPOA_PORT: String(site.port) } });

async function call(url, init = {}) {
  try {
    const res = await undiciFetch(url, { dispatcher: pool, ...init });
    const text = await res.text();
    let body; try { body = JSON.parse(text); } catch { body = undefined; }
    return { status: res.status, body, text, headers: res.headers, at: Date.now() };
  } catch (e) {
    return { status: 0, error: e.message, at: Date.now() };
  }
}
const refresh = (base, token) => call(`${base}/wp-json/wp-oauth/v1/token`, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  body: new URLSearchParams({ grant_type: 'refresh_token', client_id: client.client_id, refresh_token: token }).toString(),
});
const api = (base, token) => call(`${base}/wp-json/wp/v2/users/me`, { headers: { authorization: `Bearer ${token}` } });

function mintChain() {
  return wpEvalJson(`
    $uid = get_user_by('login', base64_decode('${b64(site.users.author.login)}'))->ID;
    $cid = base64_decode('${b64(client.client_id)}');
    $g = \\Wpoa\\Grant_Repository::create($cid, $uid, 'read', \\Wpoa\\Urls::audience(), time());
    $row = \\Wpoa\\Grant_Repository::find($g);
    echo json_encode(['grant_id' => $g, 'refresh_token' => \\Wpoa\\Refresh_Token_Repository::create($g, $cid, 'read', (int) $row->expires_at)]);
  `);
}

/** n authorization codes for the client, as the authorization endpoint stores them. */
function mintCodes(n) {
  const verifier = oauth.generateRandomCodeVerifier();
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const codes = wpEvalJson(`
    $uid = get_user_by('login', base64_decode('${b64(site.users.author.login)}'))->ID;
    $out = [];
    for ($i = 0; $i < ${n}; $i++) {
      $out[] = \\Wpoa\\Code_Repository::create(['client_id' => base64_decode('${b64(client.client_id)}'), 'user_id' => $uid,
        'redirect_uri' => base64_decode('${b64(redirectUri)}'), 'code_challenge' => '${challenge}', 'scope' => 'read',
        'audience' => \\Wpoa\\Urls::audience(), 'auth_time' => time()]);
    }
    echo json_encode($out);
  `);
  return codes.map((code) => ({ code, verifier }));
}

/** Every 200 token response must be backed by the database: its refresh token and its grant. */
function assertStored(tokenResponses) {
  for (const r of tokenResponses) {
    const claims = jose.decodeJwt(r.body.access_token);
    const [g] = dbQuery(`SELECT id FROM wp_oauth_grants WHERE id = ${Number(claims.grant_id)}`);
    assert.ok(g, `grant ${claims.grant_id} of an issued access token exists`);
    if (r.body.refresh_token) {
      const [rt] = dbQuery(`SELECT grant_id FROM wp_oauth_refresh_tokens WHERE token_hash = '${tokenHash(r.body.refresh_token)}'`);
      assert.ok(rt, 'an issued refresh token is stored');
      assert.equal(rt.grant_id, String(claims.grant_id));
    }
  }
}

const LOGS = ['php-error.log', 'wp-debug.log'];
const logStart = {};
/** Log lines written since before(). */
function newLogLines() {
  return LOGS.flatMap((f) => {
    try { return readFileSync(join(site.logs, f)).subarray(logStart[f] || 0).toString('utf8').split('\n'); } catch { return []; }
  });
}

before(async () => {
  for (const f of LOGS) { try { logStart[f] = statSync(join(site.logs, f)).size; } catch { logStart[f] = 0; } }
  if (!existsSync(DROPIN)) { copyFileSync(DROPIN_SRC, DROPIN); installedDropin = true; }
  redirectUri = loopbackRedirect();
  client = await registerClient({ client_name: 'faults client', redirect_uris: [redirectUri] });
});

after(async () => {
  await db('start').catch(() => {});
  if (installedDropin && existsSync(DROPIN)) unlinkSync(DROPIN);
});

test('MariaDB restarted mid-run: clean 503s during the outage, nothing issued unstored, recovery without intervention', { timeout: 180000 }, async () => {
  const chains = Array.from({ length: 6 }, () => mintChain());
  const results = [];
  let stop = false;
  const bases = [site.url, site.node2_url];
  const workers = chains.map(async (chain, i) => {
    let n = 0;
    while (!stop) {
      n++;
      const base = bases[(i + n) % 2];
      const r = await refresh(base, chain.refresh_token);
      results.push({ kind: 'token', chain: i, ...r });
      if (r.status === 200) {
        chain.refresh_token = r.body.refresh_token;
        chain.access_token = r.body.access_token;
      } else if (r.status === 400) {
        chain.broken = r.body?.error; // reported below
        break;
      }
      if (chain.access_token) results.push({ kind: 'api', chain: i, ...(await api(base, chain.access_token)) });
      await sleep(50);
    }
  });
  await sleep(2000);
  const downAt = Date.now();
  console.log('faults/db: stopping MariaDB on purpose: mariadb.log shows a shutdown and a restart, php-error.log "mysqli_real_connect(): (HY000/2002)" warnings while it is down (expected, see README.md: Logs)');
  await db('stop');
  await sleep(3000);
  await db('start');
  const upAt = Date.now();
  await sleep(4000);
  stop = true;
  await Promise.all(workers);

  const during = results.filter((r) => r.at > downAt && r.at < upAt);
  const failures = results.filter((r) => r.status !== 200);
  const summary = {};
  for (const r of results) summary[`${r.kind} ${r.status}`] = (summary[`${r.kind} ${r.status}`] || 0) + 1;
  console.log(`faults/db: ${results.length} responses, ${during.length} during the outage: ${JSON.stringify(summary)}`);

  assert.ok(failures.some((r) => r.status === 503), 'the outage was seen (at least one 503)');
  for (const r of failures) {
    assert.equal(r.status, 503, `only 503 while the database is away: ${r.kind} ${r.status} ${String(r.text || r.error).slice(0, 200)}`);
    assert.equal(r.headers.get('retry-after'), '10');
    assert.match(r.headers.get('cache-control') || '', /no-store/);
    if (r.kind === 'token') {
      assert.deepEqual(r.body, { error: 'temporarily_unavailable', error_description: r.body.error_description });
    } else {
      assert.equal(r.body.code, 'db_unavailable');
      assert.equal(r.body.data.status, 503);
    }
  }
  // Every token the server handed out is in the database.
  assertStored(results.filter((r) => r.kind === 'token' && r.status === 200));
  // No PHP fatal error anywhere (e.g. in the drop-in), no warning from the plugin; core's own
  // "mysqli_real_connect(): No such file" warnings while the database is away are expected.
  const lines = newLogLines();
  assert.deepEqual(lines.filter((l) => /PHP Fatal error|Uncaught/.test(l)), []);
  assert.deepEqual(lines.filter((l) => /PHP (Warning|Notice|Deprecated)/.test(l) && /wp-oauth|Wpoa|db-error\.php/.test(l)), []);
  // Recovered without intervention: every chain refreshes and calls the API again.
  for (const [i, chain] of chains.entries()) {
    assert.equal(chain.broken, undefined, `chain ${i} was not broken by the outage`);
    const r = await refresh(site.url, chain.refresh_token);
    assert.equal(r.status, 200, `chain ${i} after recovery: ${r.text}`);
    assert.equal((await api(site.node2_url, r.body.access_token)).status, 200);
  }
});

test('without the drop-in WordPress answers 500 "Error establishing a database connection" and issues nothing', { timeout: 60000 }, async () => {
  const chain = mintChain();
  const dropinBackup = readFileSync(DROPIN);
  unlinkSync(DROPIN);
  try {
    console.log('faults/db: stopping MariaDB on purpose again, without the drop-in (expected log lines as above)');
    await db('stop');
    const r = await refresh(site.url, chain.refresh_token);
    assert.equal(r.status, 500);
    assert.match(r.text, /Error establishing a database connection/);
    assert.equal(r.body?.access_token, undefined);
  } finally {
    await db('start');
    copyFileSync(DROPIN_SRC, DROPIN);
  }
  assert.ok(dropinBackup.length > 0);
  const ok = await refresh(site.url, chain.refresh_token);
  assert.equal(ok.status, 200, 'the refresh token was not consumed by the failed request');
});

function workerPids(pool = 'node1') {
  const master = readFileSync(join(site.run_dir, 'pids/php-fpm.pid'), 'utf8').trim();
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', master], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(`pool ${pool}`)).map((l) => Number(l.trim().split(/\s+/)[0]));
}

test('php-fpm workers killed mid-request: no half-written grant, the rest keeps working', { timeout: 180000 }, async () => {
  const [{ n: grants0 }] = dbQuery(`SELECT COUNT(*) n FROM wp_oauth_grants WHERE client_id = '${client.client_id}'`);
  const codes = mintCodes(40);
  const chains = Array.from({ length: 4 }, () => mintChain());
  const results = [];
  let stop = false;
  // Code exchanges (grant + refresh token written in one request) and refreshes (rotation), on node1.
  const exchangers = Array.from({ length: 4 }, async () => {
    while (!stop && codes.length) {
      const { code, verifier } = codes.shift();
      const r = await call(`${site.url}/wp-json/wp-oauth/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', client_id: client.client_id, code, redirect_uri: redirectUri, code_verifier: verifier }).toString(),
      });
      results.push({ kind: 'code', ...r });
    }
  });
  const refreshers = chains.map(async (chain) => {
    while (!stop) {
      const r = await refresh(site.url, chain.refresh_token);
      results.push({ kind: 'refresh', ...r });
      if (r.status === 200 && r.body?.refresh_token) chain.refresh_token = r.body.refresh_token;
      else chain.interrupted = (chain.interrupted || 0) + 1;
      // 400: the chain is gone (see below). A 200 whose body was cut off by a kill: the
      // rotation happened but its result never arrived, so the next use would be a replay.
      if (r.status === 400 || (r.status === 200 && !r.body?.refresh_token)) break;
    }
  });
  let kills = 0;
  console.log('faults/php-fpm: killing workers on purpose: php-fpm.log "child … exited on signal 9 (SIGKILL)", nginx-error.log "recv() failed (104: Connection reset by peer)" and 502s are expected (see README.md: Logs)');
  for (let i = 0; i < 8; i++) {
    await sleep(250);
    const pids = workerPids();
    if (!pids.length) continue;
    const victim = pids[i % pids.length];
    try { process.kill(victim, 'SIGKILL'); kills++; } catch { /* already gone */ }
  }
  await sleep(1000);
  stop = true;
  await Promise.all([...exchangers, ...refreshers]);

  const summary = {};
  for (const r of results) summary[`${r.kind} ${r.status}`] = (summary[`${r.kind} ${r.status}`] || 0) + 1;
  console.log(`faults/php-fpm: ${kills} workers killed, ${results.length} responses: ${JSON.stringify(summary)}`);
  assert.ok(results.some((r) => r.status === 502 || r.status === 0), 'some request was interrupted by a kill');
  assert.deepEqual(results.filter((r) => r.status >= 500 && r.status !== 502), [], 'only 502 (nginx: upstream died) for killed requests');

  // Every issued token is stored.
  assertStored(results.filter((r) => r.status === 200 && r.body?.access_token));
  // No half-written grant: every grant of this client is revoked, or has exactly one live refresh token.
  const rows = dbQuery(`SELECT g.id, g.revoked_at,
      (SELECT COUNT(*) FROM wp_oauth_refresh_tokens t WHERE t.grant_id = g.id AND t.used_at IS NULL) live
    FROM wp_oauth_grants g WHERE g.client_id = '${client.client_id}'`);
  assert.ok(rows.length > Number(grants0));
  const half = rows.filter((g) => g.revoked_at === null && g.live !== '1');
  assert.deepEqual(half, [], 'grants that are active without exactly one live refresh token');
  // Codes: an attached grant exists.
  const orphans = dbQuery(`SELECT c.id FROM wp_oauth_codes c LEFT JOIN wp_oauth_grants g ON g.id = c.grant_id
    WHERE c.client_id = '${client.client_id}' AND c.grant_id > 0 AND g.id IS NULL`);
  assert.deepEqual(orphans, []);
  // The pool is back: a fresh chain works on node1.
  await sleep(500);
  const fresh = mintChain();
  const r = await refresh(site.url, fresh.refresh_token);
  assert.equal(r.status, 200);
});
