// An MCP server inside WordPress, below the REST root (/wp-json/mcp/wpoa-test-server, served by
// tests/e2e/fixtures/wpoa-e2e-mu-plugin.php), reached by the MCP TypeScript SDK's own client
// (npm @modelcontextprotocol/sdk, pinned, unmodified): Client + StreamableHTTPClientTransport
// with an OAuthClientProvider whose redirectToAuthorization() drives Chromium. The SDK follows the
// 401 challenge (RFC 9728 §5.1 resource_metadata, RFC 6750 §3 scope), discovers the server, then
// registers once through a Client ID Metadata Document (served from a local HTTPS server through
// the test-only loopback switch) and once through RFC 7591 dynamic registration; initialize,
// tools/list, a tool call that creates a draft post; refresh; revoke.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import * as jose from 'jose';
import { site, wpEval, dbQuery } from './lib/site.mjs';
import { consentAt } from './consent-cli.mjs';

const mcpUrl = `${site.url}/wp-json/mcp/wpoa-test-server`;
const tls = `${site.run_dir}/tls`;
let metadataServer;
let metadataUrl;
const CIMD_REDIRECT = 'http://localhost:47311/callback';

before(async () => {
  metadataServer = createServer({ key: readFileSync(`${tls}/server.key`), cert: readFileSync(`${tls}/server.pem`) }, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
    res.end(JSON.stringify({
      client_id: metadataUrl,
      client_name: 'E2E MCP agent (metadata document)',
      redirect_uris: [CIMD_REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    }));
  });
  await new Promise((r) => metadataServer.listen(0, '127.0.0.1', r));
  metadataUrl = `https://localhost:${metadataServer.address().port}/oauth/client-metadata.json`;
  wpEval(`update_option('wpoa_e2e_mcp_server', 1); update_option('wpoa_e2e_cimd_loopback', ${metadataServer.address().port}); update_option('wpoa_e2e_cimd_ca', ${JSON.stringify(`${tls}/ca.pem`)}); delete_transient('wpoa_cimd_budget'); echo 1;`);
});

after(async () => {
  wpEval("delete_option('wpoa_e2e_mcp_server'); delete_option('wpoa_e2e_cimd_loopback'); delete_option('wpoa_e2e_cimd_ca'); echo 1;");
  metadataServer.closeAllConnections?.();
  await new Promise((r) => metadataServer.close(r));
});

/** An in-memory OAuthClientProvider, as an agent implements it. */
class Provider {
  constructor(redirectUrl, { clientMetadataUrl } = {}) {
    this.redirectUrl = redirectUrl;
    this.clientMetadataUrl = clientMetadataUrl;
    this.store = {};
    this.authorizationUrls = [];
  }
  get clientMetadata() {
    return {
      client_name: 'E2E MCP agent (dynamic registration)',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    };
  }
  state() { return (this.store.state = `st-${Math.random().toString(36).slice(2)}`); }
  clientInformation() { return this.store.client; }
  saveClientInformation(info) { this.store.client = info; }
  tokens() { return this.store.tokens; }
  saveTokens(tokens) { this.store.tokens = tokens; }
  saveCodeVerifier(v) { this.store.verifier = v; }
  codeVerifier() { return this.store.verifier; }
  saveDiscoveryState(s) { this.store.discovery = s; }
  discoveryState() { return this.store.discovery; }
  invalidateCredentials(scope) {
    if (scope === 'all' || scope === 'tokens') delete this.store.tokens;
    if (scope === 'all' || scope === 'client') delete this.store.client;
  }
  async redirectToAuthorization(url) {
    this.authorizationUrls.push(url);
    this.consent = await consentAt(url, { redirectUri: this.redirectUrl, role: 'author' });
  }
}

async function mcpPost(token, body) {
  return fetch(mcpUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify(body),
  });
}

async function connectAndUse(provider, label) {
  // First connection: 401 → the SDK discovers, registers and sends the browser to consent.
  await assert.rejects(new Client({ name: 'e2e', version: '1.0.0' }).connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider })), UnauthorizedError);
  const authUrl = provider.authorizationUrls.at(-1);
  assert.ok(authUrl, 'sent to the authorization endpoint');
  assert.equal(new URL(authUrl).origin + new URL(authUrl).pathname, `${site.url}/oauth/authorize`, 'the query-free endpoint');
  assert.equal(authUrl.searchParams.get('resource'), mcpUrl, 'RFC 8707: the MCP server itself');
  assert.equal(authUrl.searchParams.get('scope'), 'read write', 'the scope of the challenge, not full');
  assert.equal(provider.consent.errorPage, undefined, provider.consent.errorPage?.text);
  assert.equal(provider.consent.params.get('iss'), site.url);

  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
  await transport.finishAuth(provider.consent.params.get('code'));
  const first = provider.store.tokens;
  const claims = jose.decodeJwt(first.access_token);
  assert.equal(claims.aud, mcpUrl, 'aud is the MCP server');
  assert.equal(claims.scope, 'read write');
  assert.equal(claims.sub, String(site.users.author.id));

  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(transport);
  assert.equal(client.getServerVersion().name, 'wpoa-test-server');
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name), ['create_draft']);
  const title = `MCP draft ${label} ${Date.now()}`;
  const result = await client.callTool({ name: 'create_draft', arguments: { title } });
  assert.notEqual(result.isError, true, JSON.stringify(result));
  const post = dbQuery(`SELECT post_status, post_author FROM wp_posts WHERE ID = ${Number(result.content[0].text)}`)[0];
  assert.deepEqual(post, { post_status: 'draft', post_author: String(site.users.author.id) });
  await client.close();

  // Audience restriction: this token is for the MCP server, not for the rest of the REST API.
  const rest = await fetch(`${site.url}/wp-json/wp/v2/users/me`, { headers: { authorization: `Bearer ${first.access_token}` } });
  assert.equal(rest.status, 401);
  assert.match(rest.headers.get('www-authenticate'), /error="invalid_token"/);

  // Refresh through the SDK (rotation; resource sent again); the new token works on the server.
  assert.equal(await auth(provider, { serverUrl: new URL(mcpUrl) }), 'AUTHORIZED');
  const second = provider.store.tokens;
  assert.ok(second.access_token);
  assert.notEqual(second.refresh_token, first.refresh_token);
  assert.equal(jose.decodeJwt(second.access_token).aud, mcpUrl);
  const list = await mcpPost(second.access_token, { jsonrpc: '2.0', id: 7, method: 'tools/list' });
  assert.equal(list.status, 200);

  // Revocation (RFC 7009) at the endpoint the SDK discovered, as a public client.
  const revocationEndpoint = provider.store.discovery.authorizationServerMetadata.revocation_endpoint;
  const rv = await fetch(revocationEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: second.refresh_token, client_id: provider.store.client.client_id }),
  });
  assert.equal(rv.status, 200);
  const gone = await mcpPost(second.access_token, { jsonrpc: '2.0', id: 8, method: 'tools/list' });
  assert.equal(gone.status, 401);
  const challenge = gone.headers.get('www-authenticate');
  assert.match(challenge, /error="invalid_token"/);
  assert.match(challenge, new RegExp(`resource_metadata="${site.url}/\\.well-known/oauth-protected-resource/wp-json/mcp/wpoa-test-server"`));
  return provider;
}

test('an anonymous call to the MCP server: 401 with scope="read write" and the server\'s own metadata', async () => {
  const res = await fetch(mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"initialize"}' });
  assert.equal(res.status, 401);
  const h = res.headers.get('www-authenticate');
  assert.equal(h, `Bearer realm="localhost", scope="read write", resource_metadata="${site.url}/.well-known/oauth-protected-resource/wp-json/mcp/wpoa-test-server"`);
  const prm = await (await fetch(`${site.url}/.well-known/oauth-protected-resource/wp-json/mcp/wpoa-test-server`)).json();
  assert.equal(prm.resource, mcpUrl);
  assert.deepEqual(prm.authorization_servers, [site.url]);
});

test('MCP SDK through a Client ID Metadata Document: connect, tools/list, create a draft, refresh, revoke', async () => {
  const provider = await connectAndUse(new Provider(CIMD_REDIRECT, { clientMetadataUrl: metadataUrl }), 'cimd');
  assert.equal(provider.store.client.client_id, metadataUrl, 'no registration: the URL is the client_id');
  assert.equal(dbQuery(`SELECT COUNT(*) AS n FROM wp_oauth_clients WHERE client_id = '${metadataUrl}' AND client_secret_hash IS NULL`)[0].n, '1');
});

test('MCP SDK through dynamic client registration: connect, tools/list, create a draft, refresh, revoke', async () => {
  const provider = await connectAndUse(new Provider('http://localhost:47312/callback'), 'dcr');
  assert.match(provider.store.client.client_id, /^[A-Za-z0-9_-]+$/, 'a registered client_id');
  const stored = JSON.parse(dbQuery(`SELECT metadata FROM wp_oauth_clients WHERE client_id = '${provider.store.client.client_id}'`)[0].metadata);
  assert.equal(stored.application_type, 'native', 'application_type kept (SEP-837)');
});
