// DPoP (RFC 9449) end to end: oauth4webapi's DPoP support runs the whole code flow, the refresh
// and REST calls; jose builds hostile proofs by hand (replayed, wrong htm/htu/ath, stale iat,
// missing nonce, another key, a bound token sent as Bearer). The thumbprints the tests expect
// are computed by jose, never by the plugin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import * as jose from 'jose';
import { fetch as undiciFetch } from 'undici';
import { site, agent, url, wpEvalJson, launchBrowser } from './lib/site.mjs';
import {
  discover, registerClient, loopbackRedirect, authorize, validateCallback, fetchOpts, verifyAccessToken,
} from './lib/flow.mjs';

const ME = '/wp-json/wp/v2/users/me';
const ALGS = 'ES256 EdDSA PS256 RS256';

let as;
let client;
let redirectUri;
let keys; // the client's DPoP key pair (ES256)
let DPoP; // oauth4webapi's DPoP handle
let tokens; // token response of the code exchange
let jkt; // RFC 7638 thumbprint of keys.publicKey, computed by jose

/** Runs an oauth4webapi call, retrying once when the server asks for a fresh nonce (RFC 9449 §8). */
async function withNonceRetry(call) {
  try {
    return { result: await call(), retried: false };
  } catch (e) {
    if (!oauth.isDPoPNonceError(e)) throw e;
    return { result: await call(), retried: true };
  }
}

/** A raw request: { status, headers, body }. */
async function raw(method, target, { headers = {}, body } = {}) {
  const res = await undiciFetch(target, { method, headers, body, dispatcher: agent });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, headers: res.headers, body: json };
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const ath = async (token) => b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));

/** A DPoP proof built by hand with jose; every claim can be overridden or removed (undefined). */
async function proof(keyPair, { alg = 'ES256', htm = 'GET', htu, nonce, accessToken, iat, jti, extra = {}, header = {} } = {}) {
  const jwk = await jose.exportJWK(keyPair.publicKey);
  const claims = {
    jti: jti ?? b64url(crypto.getRandomValues(new Uint8Array(16))),
    htm,
    htu,
    iat: iat ?? Math.floor(Date.now() / 1000),
    ...(nonce !== undefined ? { nonce } : {}),
    ...(accessToken !== undefined ? { ath: await ath(accessToken) } : {}),
    ...extra,
  };
  return new jose.CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk, ...header })
    .sign(keyPair.privateKey);
}

/** The server's current nonce, read from the use_dpop_nonce answer to a proof without one. */
async function currentNonce(keyPair = keys, accessToken = tokens.access_token) {
  const res = await raw('GET', url(ME), {
    headers: { authorization: `DPoP ${accessToken}`, dpop: await proof(keyPair, { htu: url(ME), accessToken }) },
  });
  assert.equal(res.status, 401);
  const nonce = res.headers.get('dpop-nonce');
  assert.ok(nonce && nonce.length >= 16, 'DPoP-Nonce header');
  return nonce;
}

/** GET /users/me with a hand-built proof: { status, headers, body }. */
async function me(accessToken, dpopHeader, { scheme = 'DPoP', base = site.url, path = ME } = {}) {
  const headers = { authorization: `${scheme} ${accessToken}` };
  if (dpopHeader !== undefined) headers.dpop = dpopHeader;
  return raw('GET', url(path, base), { headers });
}

function assertDpopError(res, error, what) {
  assert.equal(res.status, 401, `${what}: status ${res.status} ${JSON.stringify(res.body)}`);
  assert.equal(res.body.error, error, `${what}: error`);
  const challenge = res.headers.get('www-authenticate') || '';
  assert.match(challenge, /^DPoP /, `${what}: DPoP challenge (${challenge})`);
  assert.ok(challenge.includes(`error="${error}"`), `${what}: challenge error (${challenge})`);
  assert.ok(challenge.includes(`algs="${ALGS}"`), `${what}: challenge algs (${challenge})`);
  assert.equal(res.body.id, undefined, `${what}: no user data`);
}

before(async () => {
  as = await discover({ fresh: true });
  redirectUri = loopbackRedirect();
  client = await registerClient({ redirect_uris: [redirectUri] }, { as });
  keys = await oauth.generateKeyPair('ES256');
  DPoP = oauth.DPoP(client, keys);
  jkt = await jose.calculateJwkThumbprint(await jose.exportJWK(keys.publicKey), 'sha256');
});

test('metadata advertises the DPoP algorithms (RFC 9449 §5.1, RFC 9728 §2)', async () => {
  assert.deepEqual(as.dpop_signing_alg_values_supported, ['ES256', 'EdDSA', 'PS256', 'RS256']);
  const pr = await raw('GET', url('/.well-known/oauth-protected-resource/wp-json'));
  assert.equal(pr.status, 200);
  assert.deepEqual(pr.body.dpop_signing_alg_values_supported, ['ES256', 'EdDSA', 'PS256', 'RS256']);
});

test('code flow with oauth4webapi DPoP: a nonce round trip, then a DPoP-bound token (cnf.jkt)', async () => {
  const auth = await authorize({ as, client, redirectUri, scope: 'read write' });
  const callback = validateCallback(as, client, auth.params, auth.state);
  const { result: res, retried } = await withNonceRetry(async () => {
    const r = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), callback, redirectUri, auth.verifier, { ...fetchOpts, DPoP });
    return oauth.processAuthorizationCodeResponse(as, client, r);
  });
  assert.equal(retried, true, 'the first proof carried no nonce and was answered use_dpop_nonce');
  assert.equal(res.token_type, 'dpop');
  assert.ok(res.refresh_token);
  const { payload } = await verifyAccessToken(res.access_token, as);
  assert.deepEqual(payload.cnf, { jkt }, 'cnf.jkt is the RFC 7638 thumbprint of the client key');
  tokens = res;
});

test('REST calls with oauth4webapi DPoP run as the user; the same token as Bearer is refused', async () => {
  const { result: res } = await withNonceRetry(() => oauth.protectedResourceRequest(
    tokens.access_token, 'GET', new URL(url(`${ME}?context=edit`)), new Headers(), null, { ...fetchOpts, DPoP },
  ));
  assert.equal(res.status, 200, 'the query string is not part of htu (RFC 9449 §4.3)');
  assert.equal((await res.json()).id, site.users.author.id);

  // A write, through the same handle (htm POST).
  const post = await oauth.protectedResourceRequest(
    tokens.access_token, 'POST', new URL(url('/wp-json/wp/v2/posts')), new Headers({ 'content-type': 'application/json' }),
    JSON.stringify({ title: 'DPoP draft', status: 'draft' }), { ...fetchOpts, DPoP },
  );
  assert.equal(post.status, 201);
  assert.equal((await post.json()).author, site.users.author.id);

  const bearer = await me(tokens.access_token, undefined, { scheme: 'Bearer' });
  assertDpopError(bearer, 'invalid_token', 'bound token as Bearer');
  const bearerWithProof = await me(tokens.access_token, await proof(keys, { htu: url(ME), accessToken: tokens.access_token, nonce: await currentNonce() }), { scheme: 'Bearer' });
  assertDpopError(bearerWithProof, 'invalid_token', 'bound token as Bearer, even with a proof');
});

test('hand-built proofs: a good one passes, every hostile one is refused', async () => {
  const at = tokens.access_token;
  const nonce = await currentNonce();
  const htu = url(ME);

  const good = await proof(keys, { htu, nonce, accessToken: at });
  const ok = await me(at, good);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.id, site.users.author.id);

  assertDpopError(await me(at, good), 'invalid_dpop_proof', 'replayed proof');
  assertDpopError(await me(at, await proof(keys, { htm: 'POST', htu, nonce, accessToken: at })), 'invalid_dpop_proof', 'wrong htm');
  assertDpopError(await me(at, await proof(keys, { htu: url('/wp-json/wp/v2/posts'), nonce, accessToken: at })), 'invalid_dpop_proof', 'wrong htu path');
  assertDpopError(await me(at, await proof(keys, { htu: ME.replace(/^/, 'https://evil.example'), nonce, accessToken: at })), 'invalid_dpop_proof', 'wrong htu host');
  assertDpopError(await me(at, await proof(keys, { htu, nonce, accessToken: `${at}x` })), 'invalid_dpop_proof', 'wrong ath');
  assertDpopError(await me(at, await proof(keys, { htu, nonce })), 'invalid_dpop_proof', 'no ath');
  assertDpopError(await me(at, await proof(keys, { htu, nonce, accessToken: at, iat: Math.floor(Date.now() / 1000) - 900 })), 'invalid_dpop_proof', 'stale iat');
  assertDpopError(await me(at, await proof(keys, { htu, nonce, accessToken: at, iat: Math.floor(Date.now() / 1000) + 900 })), 'invalid_dpop_proof', 'future iat');
  assertDpopError(await me(at, await proof(keys, { htu, nonce, accessToken: at, header: { typ: 'JWT' } })), 'invalid_dpop_proof', 'typ JWT');
  assertDpopError(await me(at, undefined), 'invalid_dpop_proof', 'DPoP scheme without a proof');
  assertDpopError(await me(at, `${good}, ${good}`), 'invalid_dpop_proof', 'two proofs');

  const noNonce = await me(at, await proof(keys, { htu, accessToken: at }));
  assertDpopError(noNonce, 'use_dpop_nonce', 'missing nonce');
  assert.ok(noNonce.headers.get('dpop-nonce'), 'use_dpop_nonce comes with a DPoP-Nonce header');
  assertDpopError(await me(at, await proof(keys, { htu, accessToken: at, nonce: 'not-the-nonce' })), 'use_dpop_nonce', 'wrong nonce');

  // A private key in the header's jwk (an extractable key pair, so that its private half can leak).
  const leaky = await oauth.generateKeyPair('ES256', { extractable: true });
  const privateJwk = await jose.exportJWK(leaky.privateKey);
  assertDpopError(await me(at, await proof(leaky, { htu, nonce, accessToken: at, header: { jwk: privateJwk } })), 'invalid_dpop_proof', 'private jwk');

  // Another key: a valid proof, but not the key the token is bound to (RFC 9449 §7.1).
  const thief = await oauth.generateKeyPair('ES256');
  assertDpopError(await me(at, await proof(thief, { htu, nonce, accessToken: at })), 'invalid_token', 'key swap');
  // Another algorithm family (EdDSA) from the thief: refused the same way.
  const thiefEd = await oauth.generateKeyPair('EdDSA');
  assertDpopError(await me(at, await proof(thiefEd, { alg: 'EdDSA', htu, nonce, accessToken: at })), 'invalid_token', 'key swap (EdDSA)');
});

test('the MCP profile\'s body digest (content_digest) is checked when the proof carries it', async () => {
  const at = tokens.access_token;
  const nonce = await currentNonce();
  const target = url('/wp-json/wp/v2/posts');
  const body = JSON.stringify({ title: 'DPoP digest draft', status: 'draft' });
  const digest = (text) => `sha-256=:${createHash('sha256').update(text).digest('base64')}:`;
  const post = async (claims) => raw('POST', target, {
    headers: {
      authorization: `DPoP ${at}`, 'content-type': 'application/json',
      dpop: await proof(keys, { htm: 'POST', htu: target, nonce, accessToken: at, extra: claims }),
    },
    body,
  });
  const ok = await post({ content_digest: digest(body) });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  assertDpopError(await post({ content_digest: digest(`${body} `) }), 'invalid_dpop_proof', 'digest of another body');
});

test('both PHP nodes share the replay store (RFC 9449 §11.1)', async () => {
  const at = tokens.access_token;
  const nonce = await currentNonce();
  // The proof names the site's public URL, whichever node serves it (as behind a load balancer).
  const first = await proof(keys, { htu: url(ME), nonce, accessToken: at });
  const onNode2 = await me(at, first, { base: site.node2_url });
  assert.equal(onNode2.status, 200, `node2 accepts a fresh proof: ${JSON.stringify(onNode2.body)}`);
  assertDpopError(await me(at, first), 'invalid_dpop_proof', 'replayed on node1 after node2');

  const second = await proof(keys, { htu: url(ME), nonce, accessToken: at });
  assert.equal((await me(at, second)).status, 200);
  assertDpopError(await me(at, second, { base: site.node2_url }), 'invalid_dpop_proof', 'replayed on node2 after node1');
});

test('token endpoint: refresh needs a proof with the bound key; bad proofs answer 400', async () => {
  const form = { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: client.client_id };
  const post = (headers) => raw('POST', as.token_endpoint, {
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const nonce = await currentNonce();

  const none = await post({});
  assert.equal(none.status, 400);
  assert.equal(none.body.error, 'invalid_dpop_proof', 'a public client\'s bound refresh token without a proof');

  const thief = await oauth.generateKeyPair('ES256');
  const other = await post({ dpop: await proof(thief, { htm: 'POST', htu: as.token_endpoint, nonce }) });
  assert.equal(other.status, 400);
  assert.equal(other.body.error, 'invalid_dpop_proof', 'another key');

  const wrongHtu = await post({ dpop: await proof(keys, { htm: 'POST', htu: url('/wp-json/wp-oauth/v1/revoke'), nonce }) });
  assert.equal(wrongHtu.status, 400);
  assert.equal(wrongHtu.body.error, 'invalid_dpop_proof', 'htu of another endpoint');

  const noNonce = await post({ dpop: await proof(keys, { htm: 'POST', htu: as.token_endpoint }) });
  assert.equal(noNonce.status, 400);
  assert.equal(noNonce.body.error, 'use_dpop_nonce');
  assert.ok(noNonce.headers.get('dpop-nonce'));
  assert.equal(noNonce.headers.get('cache-control'), 'no-store');

  // None of those refusals spent the refresh token: oauth4webapi refreshes with the right key.
  const { result: refreshed } = await withNonceRetry(async () => {
    const r = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token, { ...fetchOpts, DPoP });
    return oauth.processRefreshTokenResponse(as, client, r);
  });
  assert.equal(refreshed.token_type, 'dpop');
  const { payload } = await verifyAccessToken(refreshed.access_token, as);
  assert.deepEqual(payload.cnf, { jkt });
  tokens = refreshed;
});

test('introspection shows cnf and token_type DPoP (RFC 9449 §6.2)', async () => {
  const admin = await registerClient({ token_endpoint_auth_method: 'client_secret_basic', redirect_uris: [loopbackRedirect()] }, { as, via: 'db' });
  const res = await raw('POST', as.introspection_endpoint, {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(admin.client_id)}:${encodeURIComponent(admin.client_secret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token: tokens.access_token }).toString(),
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.active, true);
  assert.equal(res.body.token_type, 'DPoP');
  assert.deepEqual(res.body.cnf, { jkt });
});

test('a bearer token is not accepted under the DPoP scheme, and still works as Bearer', async () => {
  const plain = await registerClient({ redirect_uris: [redirectUri] }, { as });
  const auth = await authorize({ as, client: plain, redirectUri, scope: 'read' });
  const callback = validateCallback(as, plain, auth.params, auth.state);
  const r = await oauth.authorizationCodeGrantRequest(as, plain, oauth.None(), callback, redirectUri, auth.verifier, fetchOpts);
  const bearer = await oauth.processAuthorizationCodeResponse(as, plain, r);
  assert.equal(bearer.token_type, 'bearer');
  const { payload } = await verifyAccessToken(bearer.access_token, as);
  assert.equal(payload.cnf, undefined);

  assert.equal((await me(bearer.access_token, undefined, { scheme: 'Bearer' })).status, 200);
  const nonce = await currentNonce();
  const asDpop = await me(bearer.access_token, await proof(keys, { htu: url(ME), nonce, accessToken: bearer.access_token }));
  assertDpopError(asDpop, 'invalid_token', 'unbound token under the DPoP scheme');
});

test('dpop_jkt binds the authorization code to the key (RFC 9449 §10)', async () => {
  const browser = await launchBrowser();
  try {
    // ES256: oauth4webapi signs Ed25519 keys with the fully-specified alg "Ed25519" (RFC 9864),
    // which the extension does not accept yet (it knows "EdDSA"); see docs/dpop.md.
    const key = await oauth.generateKeyPair('ES256');
    const handle = oauth.DPoP(client, key);
    const thumbprint = await jose.calculateJwkThumbprint(await jose.exportJWK(key.publicKey), 'sha256');
    assert.equal(await handle.calculateThumbprint(), thumbprint);
    const redeem = async (auth, dpop) => {
      const callback = validateCallback(as, client, auth.params, auth.state);
      return (await withNonceRetry(async () => {
        const r = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), callback, redirectUri, auth.verifier, { ...fetchOpts, DPoP: dpop });
        return oauth.processAuthorizationCodeResponse(as, client, r);
      })).result;
    };

    // The right key: a bound token.
    const good = await authorize({ as, client, redirectUri, scope: 'read', browser, extra: { dpop_jkt: thumbprint } });
    const res = await redeem(good, handle);
    assert.equal(res.token_type, 'dpop');
    const { payload } = await verifyAccessToken(res.access_token, as);
    assert.deepEqual(payload.cnf, { jkt: thumbprint });

    // Another key: refused, and the code is spent.
    const stolen = await authorize({ as, client, redirectUri, scope: 'read', browser, extra: { dpop_jkt: thumbprint } });
    await assert.rejects(redeem(stolen, DPoP), (e) => e instanceof oauth.ResponseBodyError && e.error === 'invalid_grant');
    await assert.rejects(redeem(stolen, handle), (e) => e instanceof oauth.ResponseBodyError && e.error === 'invalid_grant');

    // No proof at all.
    const bare = await authorize({ as, client, redirectUri, scope: 'read', browser, extra: { dpop_jkt: thumbprint } });
    const callback = validateCallback(as, client, bare.params, bare.state);
    const r = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), callback, redirectUri, bare.verifier, fetchOpts);
    await assert.rejects(oauth.processAuthorizationCodeResponse(as, client, r), (e) => e.error === 'invalid_grant');

    // A malformed thumbprint never reaches the user.
    const bad = await authorize({ as, client, redirectUri, scope: 'read', browser, extra: { dpop_jkt: 'not-a-thumbprint' } });
    assert.equal(bad.params.get('error'), 'invalid_request');

    // EdDSA (alg "EdDSA", RFC 8037) proofs built by jose: code exchange and an API call.
    const ed = await oauth.generateKeyPair('EdDSA');
    const edJkt = await jose.calculateJwkThumbprint(await jose.exportJWK(ed.publicKey), 'sha256');
    const edAuth = await authorize({ as, client, redirectUri, scope: 'read', browser, extra: { dpop_jkt: edJkt } });
    const nonce = await currentNonce();
    const tokenRes = await raw('POST', as.token_endpoint, {
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await proof(ed, { alg: 'EdDSA', htm: 'POST', htu: as.token_endpoint, nonce }) },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code: edAuth.params.get('code'), redirect_uri: redirectUri, code_verifier: edAuth.verifier, client_id: client.client_id,
      }).toString(),
    });
    assert.equal(tokenRes.status, 200, JSON.stringify(tokenRes.body));
    assert.equal(tokenRes.body.token_type, 'DPoP');
    assert.ok(tokenRes.headers.get('dpop-nonce'), 'a successful DPoP token response carries the next nonce');
    assert.deepEqual((await verifyAccessToken(tokenRes.body.access_token, as)).payload.cnf, { jkt: edJkt });
    const edMe = await me(tokenRes.body.access_token, await proof(ed, { alg: 'EdDSA', htu: url(ME), nonce, accessToken: tokenRes.body.access_token }));
    assert.equal(edMe.status, 200, JSON.stringify(edMe.body));
    assert.equal(edMe.body.id, site.users.author.id);
  } finally {
    await browser.close();
  }
});

test('a client registered with dpop_bound_access_tokens cannot get tokens without a proof (RFC 9449 §5.2)', async () => {
  const bound = await registerClient({ redirect_uris: [redirectUri], dpop_bound_access_tokens: true }, { as });
  assert.equal(bound.dpop_bound_access_tokens, true, 'the registration response echoes it');
  const auth = await authorize({ as, client: bound, redirectUri, scope: 'read' });
  const callback = validateCallback(as, bound, auth.params, auth.state);
  const plain = await oauth.authorizationCodeGrantRequest(as, bound, oauth.None(), callback, redirectUri, auth.verifier, fetchOpts);
  await assert.rejects(oauth.processAuthorizationCodeResponse(as, bound, plain), (e) => e.error === 'invalid_dpop_proof');
  // The refusal did not spend the code: the same code with a proof works.
  const handle = oauth.DPoP(bound, await oauth.generateKeyPair('ES256'));
  const { result } = await withNonceRetry(async () => oauth.processAuthorizationCodeResponse(as, bound,
    await oauth.authorizationCodeGrantRequest(as, bound, oauth.None(), callback, redirectUri, auth.verifier, { ...fetchOpts, DPoP: handle })));
  assert.equal(result.token_type, 'dpop');
});

test('replay entries expire with their iat window and are pruned by the hourly cleanup', () => {
  const out = wpEvalJson(`
    global $wpdb;
    $t = \\Wpoa\\Schema::tables()['dpop_proofs'];
    $now = time();
    $live = (int) $wpdb->get_var($wpdb->prepare("SELECT COUNT(*) FROM {$t} WHERE expires_at >= %d", $now));
    $max = (int) $wpdb->get_var("SELECT MAX(expires_at) FROM {$t}");
    $stale = \\Wpoa\\Dpop_Repository::remember_proof('e2e-expired-key', 'e2e-' . $now, $now - 10);
    $again = \\Wpoa\\Dpop_Repository::remember_proof('e2e-expired-key', 'e2e-' . $now, $now - 10);
    $counts = \\Wpoa\\Cleanup::run();
    $after = (int) $wpdb->get_var($wpdb->prepare("SELECT COUNT(*) FROM {$t} WHERE expires_at >= %d", $now));
    $gone = 0 === (int) $wpdb->get_var($wpdb->prepare("SELECT COUNT(*) FROM {$t} WHERE expires_at < %d", $now));
    echo json_encode(compact('now', 'live', 'max', 'stale', 'again', 'counts', 'after', 'gone'));`);
  assert.ok(out.live >= 5, `accepted proofs were stored (${out.live})`);
  assert.ok(out.max - out.now <= 301, `kept no longer than the 300 s iat window (${out.max - out.now})`);
  assert.equal(out.stale, true, 'a new proof is stored');
  assert.equal(out.again, false, 'the same jkt and jti again is a replay');
  assert.ok(out.counts.dpop_proofs >= 1, 'the cleanup deleted the expired entry');
  assert.equal(out.gone, true);
  assert.equal(out.after, out.live, 'entries still inside their window are kept');
});
