// The main job, end to end, as a client that knows only the site address would do it:
// discovery from the bare URL (RFC 9728 challenge → protected-resource metadata → RFC 8414),
// dynamic registration (RFC 7591) and the code exchange with oauth4webapi, login and consent in
// headless Chromium, then the REST API as the author: who am I, a draft post, an image upload,
// publish, read back — and a read-only token refused with 403 when it tries to write.
// Every step is checked on the wire and against the database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { site, httpsFetch, getJson, dbQuery, launchBrowser } from './lib/site.mjs';
import { fetchOpts, loopbackRedirect, authorize, exchangeCode, verifyAccessToken } from './lib/flow.mjs';

// A 1×1 red PNG (70 bytes).
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
const RUN_ID = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
const TITLE = `Main job ${RUN_ID}`;
const CONTENT = `<p>Written through OAuth by the e2e test ${RUN_ID}.</p>`;

const s = {}; // state carried from step to step
let browser;

before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

function api(path, { token = s.tokens?.access_token, method = 'GET', json, body, headers = {} } = {}) {
  const init = { method, headers: { accept: 'application/json', authorization: `Bearer ${token}`, ...headers } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['content-type'] = 'application/json';
  } else if (body !== undefined) {
    init.body = body;
  }
  return httpsFetch(`/wp-json${path}`, init).then(async (res) => {
    const text = await res.text();
    let data;
    try { data = JSON.parse(text); } catch { data = text; }
    return { status: res.status, headers: res.headers, body: data };
  });
}

const sqlString = (v) => `'${String(v).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

test('1. discovery from the bare site URL', async () => {
  // An unauthenticated call tells the client where the resource metadata is (RFC 9728 §5.1).
  const probe = await getJson(`${site.url}/wp-json/wp/v2/users/me`);
  assert.equal(probe.status, 401);
  const challenge = probe.headers.get('www-authenticate') || '';
  const rm = /resource_metadata="([^"]+)"/.exec(challenge);
  assert.ok(rm, `no resource_metadata in: ${challenge}`);
  const prm = await getJson(rm[1]);
  assert.equal(prm.status, 200);
  assert.equal(prm.body.resource, `${site.url}/wp-json/`);
  assert.deepEqual(prm.body.authorization_servers, [site.url]);
  // RFC 8414 from the issuer, validated by oauth4webapi (issuer must match exactly).
  const issuer = new URL(prm.body.authorization_servers[0]);
  s.as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...fetchOpts }));
  assert.equal(s.as.issuer, site.url);
  assert.equal(s.as.authorization_endpoint, `${site.url}/oauth/authorize`);
  assert.equal(s.as.token_endpoint, `${site.url}/wp-json/wp-oauth/v1/token`);
  assert.ok(s.as.registration_endpoint);
  assert.ok(s.as.code_challenge_methods_supported.includes('S256'));
});

test('2. dynamic client registration (RFC 7591)', async () => {
  s.redirectUri = loopbackRedirect('/callback');
  const res = await oauth.dynamicClientRegistrationRequest(s.as, {
    client_name: `Main job e2e ${RUN_ID}`,
    redirect_uris: [s.redirectUri],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: 'read write',
  }, fetchOpts);
  s.client = await oauth.processDynamicClientRegistrationResponse(res);
  assert.equal(typeof s.client.client_id, 'string');
  assert.deepEqual(s.client.redirect_uris, [s.redirectUri]);
  const rows = dbQuery(`SELECT client_name, token_endpoint_auth_method FROM wp_oauth_clients WHERE client_id = ${sqlString(s.client.client_id)}`);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].client_name, `Main job e2e ${RUN_ID}`);
  assert.equal(rows[0].token_endpoint_auth_method, 'none');
});

test('3. browser login and consent as the author (headless Chromium)', async () => {
  s.auth = await authorize({ as: s.as, client: s.client, role: 'author', scope: 'read write', redirectUri: s.redirectUri, browser });
  assert.equal(s.auth.errorPage, undefined, JSON.stringify(s.auth.errorPage));
  assert.equal(s.auth.sawConsent, true, 'the consent screen was shown');
  assert.ok(s.auth.params.get('code'), `no code in ${s.auth.location}`);
  assert.equal(s.auth.params.get('state'), s.auth.state);
  assert.equal(s.auth.params.get('iss'), site.url, 'RFC 9207 iss');
});

test('4. code exchange (oauth4webapi, PKCE S256)', async () => {
  s.tokens = await exchangeCode({ as: s.as, client: s.client, params: s.auth.params, redirectUri: s.redirectUri, verifier: s.auth.verifier, state: s.auth.state });
  assert.equal(s.tokens.token_type.toLowerCase(), 'bearer');
  assert.ok(s.tokens.refresh_token);
  assert.equal(s.tokens.scope, 'read write');
  const { payload, protectedHeader } = await verifyAccessToken(s.tokens.access_token, s.as);
  assert.equal(protectedHeader.typ, 'at+jwt');
  assert.equal(payload.sub, String(site.users.author.id));
  assert.equal(payload.client_id, s.client.client_id);
  const [grant] = dbQuery(`SELECT user_id, status, scope FROM wp_oauth_grants WHERE id = ${Number(payload.grant_id)}`);
  assert.deepEqual(grant, { user_id: String(site.users.author.id), status: 'active', scope: 'read write' });
});

test('5. GET /wp/v2/users/me runs as the author', async () => {
  const res = await api('/wp/v2/users/me?context=edit');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.id, site.users.author.id);
  assert.equal(res.body.username, site.users.author.login);
  assert.deepEqual(res.body.roles, ['author']);
  assert.equal(res.headers.get('cache-control'), 'private, no-store');
});

test('6. create a draft post', async () => {
  const res = await api('/wp/v2/posts', { method: 'POST', json: { title: TITLE, content: CONTENT, status: 'draft' } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  s.postId = res.body.id;
  assert.equal(res.body.status, 'draft');
  assert.equal(res.body.author, site.users.author.id);
  const [row] = dbQuery(`SELECT post_title, post_content, post_status, post_author, post_type FROM wp_posts WHERE ID = ${Number(s.postId)}`);
  assert.deepEqual(row, { post_title: TITLE, post_content: CONTENT, post_status: 'draft', post_author: String(site.users.author.id), post_type: 'post' });
  // Not visible to anyone else yet.
  assert.equal((await getJson(`/wp-json/wp/v2/posts/${s.postId}`)).status, 401);
});

test('7. upload an image to the media library', async () => {
  const res = await api('/wp/v2/media', {
    method: 'POST',
    body: PNG,
    headers: { 'content-type': 'image/png', 'content-disposition': `attachment; filename="main-job-${RUN_ID}.png"` },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  s.mediaId = res.body.id;
  s.mediaUrl = res.body.source_url;
  assert.equal(res.body.mime_type, 'image/png');
  assert.equal(res.body.author, site.users.author.id);
  const [row] = dbQuery(`SELECT post_type, post_mime_type, post_author FROM wp_posts WHERE ID = ${Number(s.mediaId)}`);
  assert.deepEqual(row, { post_type: 'attachment', post_mime_type: 'image/png', post_author: String(site.users.author.id) });
  // The bytes are served back unchanged.
  const file = await httpsFetch(s.mediaUrl);
  assert.equal(file.status, 200);
  assert.deepEqual(Buffer.from(await file.arrayBuffer()), PNG);
});

test('8. publish the post with the image', async () => {
  // One line (the test's dbQuery reads rows line by line) in the form kses keeps byte for byte.
  const content = `${CONTENT}<figure><img src="${s.mediaUrl}" alt="red dot" /></figure>`;
  const res = await api(`/wp/v2/posts/${s.postId}`, { method: 'POST', json: { status: 'publish', featured_media: s.mediaId, content } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.status, 'publish');
  assert.equal(res.body.featured_media, s.mediaId);
  s.content = content;
});

test('9. read it back: public, with the right content, in the database', async () => {
  const res = await getJson(`/wp-json/wp/v2/posts/${s.postId}`);
  assert.equal(res.status, 200, 'visible anonymously once published');
  assert.equal(res.body.title.rendered, TITLE);
  assert.match(res.body.content.rendered, new RegExp(RUN_ID));
  assert.ok(res.body.content.rendered.includes(s.mediaUrl));
  const [row] = dbQuery(`SELECT post_status, post_content, post_author FROM wp_posts WHERE ID = ${Number(s.postId)}`);
  assert.equal(row.post_status, 'publish');
  assert.equal(row.post_content, s.content);
  assert.equal(row.post_author, String(site.users.author.id));
  const [thumb] = dbQuery(`SELECT meta_value FROM wp_postmeta WHERE post_id = ${Number(s.postId)} AND meta_key = '_thumbnail_id'`);
  assert.equal(thumb.meta_value, String(s.mediaId));
});

test('10. a read-only token is refused with 403 when it tries to write', async () => {
  // Same client, same browser session: the user approves only "read" this time.
  const auth = await authorize({ as: s.as, client: s.client, role: 'author', scope: 'read', redirectUri: s.redirectUri, browser });
  assert.equal(auth.errorPage, undefined);
  const ro = await exchangeCode({ as: s.as, client: s.client, params: auth.params, redirectUri: s.redirectUri, verifier: auth.verifier, state: auth.state });
  assert.equal(ro.scope, 'read');
  // Reading works…
  const mine = await api('/wp/v2/users/me', { token: ro.access_token });
  assert.equal(mine.status, 200);
  assert.equal(mine.body.id, site.users.author.id);
  // …writing does not, though the author may write with a cookie or a write token.
  const edit = await api(`/wp/v2/posts/${s.postId}`, { token: ro.access_token, method: 'POST', json: { title: 'Hijacked' } });
  assert.equal(edit.status, 403, JSON.stringify(edit.body));
  assert.match(edit.headers.get('www-authenticate') || '', /error="insufficient_scope"/);
  assert.match(edit.headers.get('www-authenticate') || '', /scope="read write"/);
  const create = await api('/wp/v2/posts', { token: ro.access_token, method: 'POST', json: { title: `RO ${RUN_ID}`, status: 'draft' } });
  assert.equal(create.status, 403);
  const upload = await api('/wp/v2/media', { token: ro.access_token, method: 'POST', body: PNG, headers: { 'content-type': 'image/png', 'content-disposition': 'attachment; filename="ro.png"' } });
  assert.equal(upload.status, 403);
  assert.equal(dbQuery(`SELECT post_title FROM wp_posts WHERE ID = ${Number(s.postId)}`)[0].post_title, TITLE, 'title unchanged');
  assert.equal(dbQuery(`SELECT COUNT(*) AS n FROM wp_posts WHERE post_title = ${sqlString(`RO ${RUN_ID}`)}`)[0].n, '0');
});
