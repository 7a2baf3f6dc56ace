// The web server in front of WordPress: nginx + php-fpm, Apache + php-fpm (proxy_fcgi) and
// Apache + mod_php must give the plugin the same requests. Which server this stack runs is in
// site.json (`web`, from WPOA_WEB; every cell of the test matrix runs this file).
//
// The Authorization header is the delicate part: Apache hides it from FastCGI and CGI unless told
// otherwise, so the plugin reads three sources in turn (HTTP_AUTHORIZATION, then
// REDIRECT_HTTP_AUTHORIZATION, then getallheaders()). Each set-up of the stack (scripts/up.sh,
// scripts/lib/apache.sh) leaves the header in a different subset of them; the table below says
// which, and a real token must work on every node all the same.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { site, httpsFetch, getJson, postJson, launchBrowser } from './lib/site.mjs';
import { fullFlow, registerClient, loopbackRedirect } from './lib/flow.mjs';

const H = 'HTTP_AUTHORIZATION';
const R = 'REDIRECT_HTTP_AUTHORIZATION';
const G = 'getallheaders';
// web server -> node -> [sources that carry the header, PHP SAPI]. node1 and node2 have the
// recommended configuration; Apache's "fallback" node (site.fallback_url) one that hides the header
// from HTTP_AUTHORIZATION (scripts/lib/apache.sh), so the plugin's fallbacks are what works there.
const EXPECTED = {
  nginx: {
    // fastcgi_param HTTP_AUTHORIZATION, no rewriting.
    node1: [[H, G], 'fpm-fcgi'],
    node2: [[H, G], 'fpm-fcgi'],
  },
  'apache-fpm': {
    // CGIPassAuth On, and WordPress's .htaccess sets the variable again after its rewrite.
    node1: [[H, R, G], 'fpm-fcgi'],
    node2: [[H, R, G], 'fpm-fcgi'],
    // No CGIPassAuth; rules that set the variable before the rewrite only: just the REDIRECT_ copy.
    fallback: [[R], 'fpm-fcgi'],
  },
  'apache-modphp': {
    // WordPress's .htaccess, and mod_php sees the request's own headers.
    node1: [[H, R, G], 'apache2handler'],
    node2: [[H, R, G], 'apache2handler'],
    // Rewrite rules without WordPress's Authorization rule: only getallheaders() has it.
    fallback: [[G], 'apache2handler'],
  },
};
// Every credential in the header (bearer and DPoP tokens, client_secret_basic at the token,
// revocation and introspection endpoints, the registration access token) is read from the same
// sources, so each works on every node, the fallback ones included.
const expected = EXPECTED[site.web || 'nginx'];
const NODES = { node1: site.url, node2: site.node2_url };
if (site.fallback_url) NODES.fallback = site.fallback_url;

let browser;
let tokens;
let confidential;
before(async () => {
  browser = await launchBrowser();
  ({ tokens } = await fullFlow({ role: 'author', scope: 'read', browser }));
  confidential = await registerClient({ redirect_uris: [loopbackRedirect()], token_endpoint_auth_method: 'client_secret_basic' });
  assert.ok(confidential.client_secret, 'a confidential client for the Basic checks');
});
after(async () => { await browser?.close(); });

test('the stack says which web server it runs, and this file knows every node of it', () => {
  assert.ok(expected, `unknown web server in site.json: ${site.web}`);
  assert.deepEqual(Object.keys(NODES).sort(), Object.keys(expected).sort());
});

for (const [node, base] of Object.entries(NODES)) {
  test(`${node}: the Authorization header reaches PHP where this web server puts it`, async () => {
    const res = await getJson(`${base}/wp-json/wpoa-stack/v1/authorization-sources`, {
      headers: { authorization: 'WpoaProbe 0123456789' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const [sources, sapi] = expected[node];
    assert.equal(res.body.sapi, sapi);
    assert.deepEqual(
      Object.fromEntries([H, R, G].map((k) => [k, res.body[k]])),
      Object.fromEntries([H, R, G].map((k) => [k, sources.includes(k)])),
      `${site.web} ${node}`,
    );
  });

  if (site.web === 'apache-fpm' && node === 'fallback') {
    test('fallback: a request straight to /index.php skips those rules, and PHP gets no Authorization at all', async () => {
      // The case the host guide warns about: proxy_fcgi without CGIPassAuth and no rule that applies.
      const res = await getJson(`${base}/index.php?rest_route=/wpoa-stack/v1/authorization-sources`, {
        headers: { authorization: 'WpoaProbe 0123456789' },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual([res.body[H], res.body[R], res.body[G]], [false, false, false]);
    });
  }

  test(`${node}: a bearer token runs the request as its user; a bad one is refused, never anonymous`, async () => {
    const me = await getJson(`${base}/wp-json/wp/v2/users/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.id, site.users.author.id);
    // Had the header been lost on the way, this would be an anonymous 401 without error="invalid_token".
    const bad = await getJson(`${base}/wp-json/wp/v2/users/me`, { headers: { authorization: `Bearer ${tokens.access_token.slice(0, -4)}AAAA` } });
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get('www-authenticate') || '', /error="invalid_token"/);
  });

  test(`${node}: client_secret_basic reaches the token and revocation endpoints`, async () => {
    const basic = `Basic ${Buffer.from(`${encodeURIComponent(confidential.client_id)}:${encodeURIComponent(confidential.client_secret)}`).toString('base64')}`;
    const res = await postJson(`${base}/wp-json/wp-oauth/v1/token`,
      { grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: confidential.redirect_uris[0], code_verifier: 'v'.repeat(43) },
      { headers: { authorization: basic } });
    // The client authenticated, so the answer is about the code (a lost header: 401 invalid_client).
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error, 'invalid_grant');
    // RFC 7009 §2.2: an authenticated client revoking an unknown token gets 200.
    const rev = await postJson(`${base}/wp-json/wp-oauth/v1/revoke`, { token: 'not-a-token' }, { headers: { authorization: basic } });
    assert.equal(rev.status, 200, JSON.stringify(rev.body));
    // A wrong secret is still refused there: the header was read, not ignored.
    const wrong = `Basic ${Buffer.from(`${encodeURIComponent(confidential.client_id)}:wrong`).toString('base64')}`;
    const refused = await postJson(`${base}/wp-json/wp-oauth/v1/revoke`, { token: 'not-a-token' }, { headers: { authorization: wrong } });
    assert.equal(refused.status, 401, JSON.stringify(refused.body));
    assert.equal(refused.body.error, 'invalid_client');
  });

  test(`${node}: the registration access token reaches the client configuration endpoint (RFC 7592)`, async () => {
    assert.ok(confidential.registration_access_token && confidential.registration_client_uri, 'registered through RFC 7591');
    const res = await getJson(confidential.registration_client_uri.replace(site.url, base), {
      headers: { authorization: `Bearer ${confidential.registration_access_token}` },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.client_id, confidential.client_id);
  });

  test(`${node}: /.well-known/ reaches WordPress (RFC 8414 and RFC 9728 metadata)`, async () => {
    const as = await getJson(`${base}/.well-known/oauth-authorization-server`);
    assert.equal(as.status, 200, JSON.stringify(as.body));
    assert.equal(as.body.issuer, site.url);
    assert.match(as.headers.get('content-type') || '', /^application\/json/);
    // RFC 9728 §3.3: the path-inserted document's resource is exactly the URL it was asked for.
    const prm = await getJson(`${base}/.well-known/oauth-protected-resource/wp-json/`);
    assert.equal(prm.status, 200, JSON.stringify(prm.body));
    assert.equal(prm.body.resource, `${site.url}/wp-json/`);
  });
}

// Front-end pages: on node1 only (node2 is the same site on another port, where WordPress
// redirects pages to its canonical address).
test('pretty permalinks, unknown /.well-known/ names, no .htaccess or PHP source served', async () => {
  const post = await httpsFetch('/notes-from-the-author/');
  assert.equal(post.status, 200);
  assert.match(await post.text(), /Notes from the author/);
  const other = await httpsFetch('/.well-known/no-such-metadata');
  assert.equal(other.status, 404);
  await other.arrayBuffer();
  const ht = await httpsFetch('/.htaccess');
  assert.ok([403, 404].includes(ht.status), `/.htaccess answered ${ht.status}`);
  await ht.arrayBuffer();
  const cfg = await httpsFetch('/wp-config.php');
  const text = await cfg.text();
  assert.equal(cfg.status, 200);
  assert.doesNotMatch(text, /DB_PASSWORD/);
});

test('HTTP to HTTPS: the redirecting port sends every path, query included, to the HTTPS site', async () => {
  for (const path of ['/', '/wp-login.php?action=oauth_authorize&client_id=x', '/.well-known/oauth-authorization-server']) {
    const res = await fetch(`${site.https_redirect_url}${path}`, { redirect: 'manual' });
    assert.equal(res.status, 301, path);
    assert.equal(res.headers.get('location'), `${site.url}${path}`);
  }
});

test('plain HTTP that reaches PHP: the plugin refuses OAuth there', async () => {
  const token = await fetch(`${site.http_url}/wp-json/wp-oauth/v1/token`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=refresh_token&refresh_token=x&client_id=x',
  });
  const body = await token.json();
  assert.equal(token.status, 400);
  assert.equal(body.error, 'invalid_request');
  assert.match(body.error_description, /HTTPS/);
});
