// Every URL shape of a WordPress site (scripts/lib/url-shapes.sh): in a sub-directory, with its
// core in its own directory (siteurl != home), with plain permalinks (?rest_route=) and with a
// non-default REST prefix. Run by scripts/test-url-shapes.sh against one stack per shape
// (site.json names the shape). The expected URLs are written out below from the shape alone,
// never taken from the plugin; oauth4webapi is the client, Chromium the user on the consent screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import * as jose from 'jose';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetch as undiciFetch } from 'undici';
import { site, agent, httpsFetch, launchBrowser } from './lib/site.mjs';
import { fetchOpts, loopbackRedirect, authorize } from './lib/flow.mjs';

const shape = new Set((site.url_shape || 'root').split('+'));
const ORIGIN = site.origin || new URL(site.url).origin;

// What a site owner of each shape expects to see.
const HOME = ORIGIN + (shape.has('subdir') ? '/blog' : '');
const CORE = ORIGIN + (shape.has('subdir') ? '/blog' : shape.has('split') ? '/wp' : '');
// Plain permalinks: core's rest_url() names index.php (nginx would not redirect a POST to "/").
const REST = shape.has('plain') ? `${HOME}/index.php?rest_route=/` : `${HOME}/${shape.has('prefix') ? 'api' : 'wp-json'}/`;
/** The URL of a REST route in this shape: route('wp/v2/users/me'). */
const route = (r) => (shape.has('plain') ? `${HOME}/index.php?rest_route=/${r}` : `${REST}${r}`);
const homePath = new URL(HOME).pathname.replace(/\/$/, '');
/** RFC 8414 §3.1: the well-known segment inserted between host and the issuer's path. */
const AS_METADATA = `${ORIGIN}/.well-known/oauth-authorization-server${homePath}`;
/** RFC 9728 §3.1: inserted between host and the resource's path and query (trailing slash kept). */
const restUrl = new URL(REST);
const PRM = `${ORIGIN}/.well-known/oauth-protected-resource${restUrl.pathname === '/' ? '' : restUrl.pathname}${restUrl.search}`;

const json = /^application\/json/;

/**
 * The web server adds the directory's slash to a sub-directory site's address (301); the issuer
 * is an identifier without it (RFC 8414 §2), and its front page is that one redirect away.
 */
async function followDirectorySlash(url, res) {
  if (res.status !== 301) return res;
  assert.equal(new URL(res.headers.get('location'), url).href, `${url}/`, `${url} redirects only to add the slash`);
  return httpsFetch(`${url}/`);
}

test(`[${site.url_shape}] the stack runs the shape it says (home ${HOME}, REST ${REST})`, async () => {
  assert.equal(site.url, HOME);
  assert.equal(site.wp_site_url, CORE);
  const res = await httpsFetch(REST);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), json);
  const index = await res.json();
  assert.equal(index.home, HOME);
  assert.equal(index.url, CORE);
});

test(`[${site.url_shape}] the REST index's authentication entry points at this shape's URLs`, async () => {
  const index = await (await httpsFetch(REST)).json();
  const o = index.authentication?.oauth2;
  assert.ok(o, 'authentication.oauth2 in the REST index');
  assert.equal(o.issuer, HOME);
  assert.equal(o.metadata, AS_METADATA);
  assert.equal(o.protected_resource_metadata, PRM);
  assert.equal(o.endpoints.authorization, `${HOME}/oauth/authorize`);
  assert.equal(o.endpoints.token, route('wp-oauth/v1/token'));
});

let as;

test(`[${site.url_shape}] RFC 8414: oauth4webapi discovers the issuer ${HOME} at ${AS_METADATA}`, async () => {
  let asked;
  const res = await oauth.discoveryRequest(new URL(HOME), {
    algorithm: 'oauth2',
    [oauth.customFetch]: (u, o) => { asked = u; return undiciFetch(u, { ...o, dispatcher: agent }); },
  });
  assert.equal(asked, AS_METADATA);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), json);
  as = await oauth.processDiscoveryResponse(new URL(HOME), res); // issuer === HOME exactly
  assert.equal(as.authorization_endpoint, `${HOME}/oauth/authorize`);
  assert.equal(as.token_endpoint, route('wp-oauth/v1/token'));
  assert.equal(as.jwks_uri, route('wp-oauth/v1/jwks'));
  assert.equal(as.registration_endpoint, route('wp-oauth/v1/register'));
  assert.equal(as.revocation_endpoint, route('wp-oauth/v1/revoke'));
  assert.equal(as.introspection_endpoint, route('wp-oauth/v1/introspect'));
  assert.equal(as.device_authorization_endpoint, route('wp-oauth/v1/device_authorization'));
  assert.deepEqual(as.protected_resources, [REST]);

  // The appended form (issuer + /.well-known/…), which some clients build, is the same document.
  const appended = await httpsFetch(`${HOME}/.well-known/oauth-authorization-server`);
  assert.equal(appended.status, 200);
  assert.deepEqual(await appended.json(), as);
});

test(`[${site.url_shape}] RFC 9728: the REST API's protected-resource metadata is at ${PRM}`, async () => {
  let asked;
  const res = await oauth.resourceDiscoveryRequest(new URL(REST), {
    [oauth.customFetch]: (u, o) => { asked = u; return undiciFetch(u, { ...o, dispatcher: agent }); },
  });
  assert.equal(asked, PRM);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), json);
  const prm = await oauth.processResourceDiscoveryResponse(new URL(REST), res); // resource === REST exactly
  assert.deepEqual(prm.authorization_servers, [HOME]);

  // An MCP server inside WordPress is a resource below the REST API: its document is at the origin
  // root too, the site's path inserted (what MCP clients ask for). Plain permalinks have no paths below.
  if (!shape.has('plain')) {
    const mcp = new URL(`${REST}mcp/url-shape-server`);
    const expectedUrl = `${ORIGIN}/.well-known/oauth-protected-resource${mcp.pathname}`;
    let askedMcp;
    const r = await oauth.resourceDiscoveryRequest(mcp, {
      [oauth.customFetch]: (u, o) => { askedMcp = u; return undiciFetch(u, { ...o, dispatcher: agent }); },
    });
    assert.equal(askedMcp, expectedUrl);
    const doc = await oauth.processResourceDiscoveryResponse(mcp, r);
    assert.deepEqual(doc.authorization_servers, [HOME]);
  }

  // A request without credentials learns the same URL from its challenge (RFC 9728 §5.1).
  const anon = await httpsFetch(route('wp/v2/users/me'));
  assert.equal(anon.status, 401);
  const challenge = anon.headers.get('www-authenticate') || '';
  assert.match(challenge, /^Bearer /);
  assert.equal(/resource_metadata="([^"]+)"/.exec(challenge)?.[1], PRM);
});

test(`[${site.url_shape}] every URL the metadata advertises resolves`, async () => {
  as ||= await oauth.processDiscoveryResponse(new URL(HOME), await oauth.discoveryRequest(new URL(HOME), { algorithm: 'oauth2', ...fetchOpts }));
  // name -> [method, expected status, content type]: documents answer 200, endpoints asked with
  // nothing answer their own OAuth error (never WordPress's 404 page or a 500).
  const expected = {
    issuer: ['GET', 200, /^text\/html/],
    authorization_endpoint: ['GET', 302, null],
    token_endpoint: ['POST', 400, json],
    jwks_uri: ['GET', 200, /^application\/jwk-set\+json/],
    registration_endpoint: ['POST', 400, json],
    revocation_endpoint: ['POST', 401, json],
    introspection_endpoint: ['POST', 401, json],
    device_authorization_endpoint: ['POST', 401, json],
  };
  const urls = Object.entries(as).filter(([k, v]) => typeof v === 'string' && /^https:\/\//.test(v) && k !== 'resource_documentation');
  assert.deepEqual(urls.map(([k]) => k).sort(), Object.keys(expected).sort(), 'the URLs the metadata advertises');
  for (const [name, url] of urls) {
    const [method, status, type] = expected[name];
    let res = await httpsFetch(url, method === 'POST'
      ? { method, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: '' }
      : { method });
    if (name === 'issuer') res = await followDirectorySlash(url, res);
    const body = await res.text();
    assert.equal(res.status, status, `${method} ${name} ${url}: ${body.slice(0, 200)}`);
    if (type) assert.match(res.headers.get('content-type') || '', type, `${name} content type`);
    if (type === json && status >= 400) assert.equal(typeof JSON.parse(body).error, 'string', `${name} answers an OAuth error`);
    if (name === 'authorization_endpoint') {
      // The consent screen lives on the login page, below siteurl (the core's directory).
      assert.ok(res.headers.get('location').startsWith(`${CORE}/wp-login.php?action=oauth_authorize`), res.headers.get('location'));
    }
  }
  for (const url of as.protected_resources) {
    const res = await httpsFetch(url);
    assert.equal(res.status, 200, url);
    assert.match(res.headers.get('content-type'), json);
  }
  const prm = await (await httpsFetch(PRM)).json();
  for (const url of prm.authorization_servers) {
    const res = await followDirectorySlash(url, await httpsFetch(url));
    assert.equal(res.status, 200, url);
  }
});

test(`[${site.url_shape}] the main job: consent in a browser, code, bearer REST call, refresh, introspection, revocation`, async () => {
  as ||= await oauth.processDiscoveryResponse(new URL(HOME), await oauth.discoveryRequest(new URL(HOME), { algorithm: 'oauth2', ...fetchOpts }));
  const redirectUri = loopbackRedirect();
  const reg = await oauth.dynamicClientRegistrationRequest(as, {
    client_name: `URL shape ${site.url_shape}`,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }, fetchOpts);
  const client = await oauth.processDynamicClientRegistrationResponse(reg);
  const auth = oauth.ClientSecretBasic(client.client_secret);

  const b = await launchBrowser();
  let result;
  try {
    result = await authorize({ as, client, redirectUri, role: 'author', scope: 'read', browser: b });
  } finally {
    await b.close();
  }
  assert.equal(result.errorPage, undefined, JSON.stringify(result.errorPage));
  assert.ok(result.sawConsent, 'the consent screen was shown');
  assert.equal(result.params.get('iss'), HOME); // RFC 9207
  const callback = oauth.validateAuthResponse(as, client, result.params, result.state);
  const tokens = await oauth.processAuthorizationCodeResponse(as, client,
    await oauth.authorizationCodeGrantRequest(as, client, auth, callback, redirectUri, result.verifier, fetchOpts));

  const jwks = jose.createLocalJWKSet(await (await httpsFetch(as.jwks_uri)).json());
  const { payload } = await jose.jwtVerify(tokens.access_token, jwks, { issuer: HOME, audience: REST, typ: 'at+jwt' });
  assert.equal(payload.sub, String(site.users.author.id));

  const me = async (token) => httpsFetch(route('wp/v2/users/me'), { headers: { authorization: `Bearer ${token}` } });
  let res = await me(tokens.access_token);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).id, site.users.author.id);

  const refreshed = await oauth.processRefreshTokenResponse(as, client,
    await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token, fetchOpts));
  res = await me(refreshed.access_token);
  assert.equal(res.status, 200);

  const info = await oauth.processIntrospectionResponse(as, client,
    await oauth.introspectionRequest(as, client, auth, refreshed.access_token, fetchOpts));
  assert.equal(info.active, true);
  assert.equal(info.aud === REST || (Array.isArray(info.aud) && info.aud.includes(REST)), true, JSON.stringify(info.aud));

  await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, refreshed.refresh_token, fetchOpts));
  res = await me(refreshed.access_token);
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate') || '', /error="invalid_token"/);
});

test(`[${site.url_shape}] the origin root serves the sub-directory site's well-known documents and nothing else of it`, { skip: !shape.has('subdir') && 'not a sub-directory site' }, async () => {
  // What docs/host-guide.md says the root must serve: its nginx snippet is the one in this stack.
  const guide = readFileSync(join(site.repo, 'docs/host-guide.md'), 'utf8');
  const section = guide.slice(guide.indexOf('### What the origin root must serve'));
  const snippet = /```nginx\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(snippet, 'the host guide has the nginx snippet');
  const squash = (t) => t.replace(/\s+/g, ' ').trim();
  const conf = readFileSync(join(site.run_dir, 'nginx/nginx.conf'), 'utf8');
  assert.ok(squash(conf).includes(squash(snippet)), 'the stack serves the root with the documented snippet');
  for (const url of [AS_METADATA, PRM, `${ORIGIN}/.well-known/oauth-protected-resource/blog`]) {
    const res = await httpsFetch(url);
    assert.equal(res.status, 200, url);
    assert.match(res.headers.get('content-type'), json);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
  }
  // The path-inserted document for the site URL itself names exactly that resource (RFC 9728 §3.3).
  const site_prm = await (await httpsFetch(`${ORIGIN}/.well-known/oauth-protected-resource/blog`)).json();
  assert.equal(site_prm.resource, HOME);
  // The snippet matches the site's path segment, not a prefix of another name.
  const other = await httpsFetch(`${ORIGIN}/.well-known/oauth-authorization-server/blogger`);
  assert.equal(other.status, 404);
  // Nothing else of the site is at the root.
  for (const path of ['/wp-json/', '/oauth/authorize', '/.well-known/oauth-authorization-server']) {
    const res = await httpsFetch(`${ORIGIN}${path}`);
    assert.equal(res.status, 404, path);
  }
});
