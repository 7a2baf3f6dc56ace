// "Authorized applications" on the profile screen, in a real Chromium: a person sees the app they
// approved (name, scopes in plain words, approved, last used, IP), revokes it, and the app's next
// API call gets 401. An administrator revokes all of another user's apps from Edit User.
// Screenshots go to docs/screenshots/profile-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { join } from 'node:path';
import { site, getJson, dbQuery, launchBrowser, loginAs, url, wpEval, screenshotFile } from './lib/site.mjs';
import { fullFlow, loopbackRedirect, fetchOpts, clientAuthFor } from './lib/flow.mjs';

const ME = '/wp-json/wp/v2/users/me';
const me = (token) => getJson(ME, { headers: { authorization: `Bearer ${token}` } });

let app;      // the app, signed in as the author through the real flow
let browser;  // the author's own browser session on wp-admin

before(async () => {
  // Start from an empty list (other suites leave grants behind) so the screenshots show this test's apps.
  wpEval(`\\Wpoa\\Grant_Repository::revoke_for_user(${site.users.author.id}, 'test_reset');`);
  app = await fullFlow({ role: 'author', scope: 'read write', redirectUri: loopbackRedirect(), meta: { client_name: 'Pocket Editor' } });
  assert.equal((await me(app.tokens.access_token)).status, 200, 'the app works before');
  browser = await launchBrowser({ viewport: { width: 1280, height: 1000 } });
  browser.page.on('dialog', (d) => d.accept());
  await loginAs(browser.page, 'author');
});

after(async () => {
  await browser?.close();
});

test('the profile lists the app with its scopes in plain words, last use and IP', async () => {
  const { page } = browser;
  await page.goto(url('/wp-admin/profile.php'));
  const section = page.locator('#wpoa-authorized-apps');
  await section.scrollIntoViewIfNeeded();
  assert.equal(await section.locator('h2').innerText(), 'Authorized applications');
  const row = section.locator(`tr[data-grant="${app.claims.grant_id}"]`);
  assert.equal(await row.count(), 1);
  const text = await row.innerText();
  assert.match(text, /Pocket Editor/);
  assert.match(text, /Read: See your profile/);
  assert.match(text, /Write: Create, edit, publish/);
  assert.match(text, /127\.0\.0\.1/, 'last IP (the API call in before())');
  assert.doesNotMatch(text, /Never/, 'it was used');
  await shoot(section, 'profile-authorized-apps.png');
});

test('Revoke on the profile screen: the app\'s next API call gets 401 and its refresh fails', async () => {
  const { page } = browser;
  const section = page.locator('#wpoa-authorized-apps');
  const row = section.locator(`tr[data-grant="${app.claims.grant_id}"]`);
  // wp.apiFetch sends DELETE as POST + X-HTTP-Method-Override (its HTTP/1.0 middleware).
  const done = page.waitForResponse((r) => decodeURIComponent(r.url()).endsWith(`/grants/${app.claims.grant_id}`) || decodeURIComponent(r.url()).includes(`/grants/${app.claims.grant_id}?`));
  await row.locator('button[data-wpoa-revoke]').click();
  const res = await done;
  assert.equal(res.status(), 200);
  await section.locator('.wpoa-notice.notice-success').waitFor();
  assert.equal(await row.count(), 0, 'the row is gone');
  await shoot(section, 'profile-revoked.png');

  const [g] = dbQuery(`SELECT status, revoked_reason FROM wp_oauth_grants WHERE id = ${Number(app.claims.grant_id)}`);
  assert.deepEqual(g, { status: 'revoked', revoked_reason: 'user_revoked' });
  const api = await me(app.tokens.access_token);
  assert.equal(api.status, 401);
  assert.equal(api.body.error, 'invalid_token');
  const as = app.as;
  const r = await oauth.refreshTokenGrantRequest(as, app.client, clientAuthFor(app.client), app.tokens.refresh_token, fetchOpts);
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error, 'invalid_grant');

  // Reloaded, the list no longer has it.
  await page.reload();
  assert.equal(await page.locator(`#wpoa-authorized-apps tr[data-grant="${app.claims.grant_id}"]`).count(), 0);
});

test('a revoke request without the REST nonce is refused', async () => {
  const { page } = browser;
  const other = await fullFlow({ role: 'author', scope: 'read', redirectUri: loopbackRedirect(), meta: { client_name: 'No-nonce target' } });
  const status = await page.evaluate(async (id) => {
    const r = await fetch(`/wp-json/wp-oauth/v1/me/grants/${id}`, { method: 'DELETE', credentials: 'same-origin' });
    return r.status;
  }, other.claims.grant_id);
  assert.equal(status, 401, 'cookie without X-WP-Nonce is anonymous to the REST API');
  assert.equal((await me(other.tokens.access_token)).status, 200, 'still works');
});

test('an administrator sees another user\'s apps on Edit User and revokes them all', async () => {
  const admin = await launchBrowser({ viewport: { width: 1280, height: 1000 } });
  try {
    admin.page.on('dialog', (d) => d.accept());
    const one = await fullFlow({ role: 'author', scope: 'read', redirectUri: loopbackRedirect(), meta: { client_name: 'Desktop Writer' } });
    await loginAs(admin.page, 'admin');
    await admin.page.goto(url(`/wp-admin/user-edit.php?user_id=${site.users.author.id}`));
    const section = admin.page.locator('#wpoa-authorized-apps');
    await section.scrollIntoViewIfNeeded();
    assert.ok(await section.locator(`tr[data-grant="${one.claims.grant_id}"]`).count() === 1);
    await shoot(section, 'profile-admin-view.png');
    const done = admin.page.waitForResponse((r) => /\/users\/\d+\/grants(\?|$)/.test(decodeURIComponent(r.url())));
    await section.locator('button[data-wpoa-revoke="all"]').click();
    assert.equal((await done).status(), 200);
    await section.locator('.wpoa-empty').waitFor({ state: 'visible' });
    const active = dbQuery(`SELECT COUNT(*) AS n FROM wp_oauth_grants WHERE user_id = ${site.users.author.id} AND status = 'active'`);
    assert.equal(active[0].n, '0');
    assert.equal((await me(one.tokens.access_token)).status, 401);
  } finally {
    await admin.close();
  }
});

test('a subscriber cannot read or revoke the author\'s apps', async () => {
  const sub = await launchBrowser();
  try {
    await loginAs(sub.page, 'subscriber');
    const res = await sub.page.goto(url(`/wp-admin/user-edit.php?user_id=${site.users.author.id}`));
    assert.equal(await sub.page.locator('#wpoa-authorized-apps').count(), 0);
    assert.ok(res.status() === 403 || /not allowed/i.test(await sub.page.content()));
    // From the subscriber's own profile, where wp.apiFetch sends a valid REST nonce.
    await sub.page.goto(url('/wp-admin/profile.php'));
    const status = await sub.page.evaluate(async (uid) => {
      try {
        await window.wp.apiFetch({ path: `/wp-oauth/v1/users/${uid}/grants`, method: 'DELETE' });
        return 200;
      } catch (e) {
        return e?.data?.status ?? -1;
      }
    }, site.users.author.id);
    assert.equal(status, 403);
  } finally {
    await sub.close();
  }
});

/** A screenshot of one element, named as in docs/screenshots/ (see screenshotFile). */
function shoot(locator, name) {
  return locator.screenshot({ path: screenshotFile(join('docs/screenshots', name)) });
}
