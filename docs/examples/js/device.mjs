#!/usr/bin/env node
// Sign a command-line tool (or a TV app) in to a WordPress site that runs WP OAuth, with the
// device authorization grant (RFC 8628): the tool shows a short code, the person types it on the
// site from any browser (a phone will do), the tool waits. Uses openid-client
// (https://github.com/panva/openid-client), which registers the tool, starts the grant and polls
// the token endpoint, obeying `interval` and `slow_down` (RFC 8628 §3.5) by itself.
//
//   npm ci && node device.mjs https://example.com
//
// A real tool registers once per site and keeps client_id and the refresh token (in the OS
// keychain, never in plain files); this example does everything in one run to show each step.
import * as client from 'openid-client';

const site = process.argv[2];
if (!site) {
  console.error('usage: node device.mjs https://your-wordpress-site.example');
  process.exit(2);
}

// 1. RFC 8414 metadata at the site's address (the issuer), then RFC 7591 registration of a
//    public client for the device grant only: it needs no redirect URI.
const config = await client.dynamicClientRegistration(
  new URL(site),
  {
    client_name: 'Example device CLI (openid-client)',
    token_endpoint_auth_method: 'none',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    scope: 'read write',
  },
  client.None(),
  { algorithm: 'oauth2' },
);
console.log(`Registered client_id ${config.clientMetadata().client_id}`);

// 2. Ask for a device code and a user code (RFC 8628 §3.1–3.2).
const device = await client.initiateDeviceAuthorization(config, { scope: 'read' });
console.log(`On any device, open ${device.verification_uri} and type the code ${device.user_code}`);
console.log(`Or open ${device.verification_uri_complete} (it still asks you to approve)`);

// 3. Poll until the person approves or denies, or the code expires (RFC 8628 §3.4–3.5).
const tokens = await client.pollDeviceAuthorizationGrant(config, device);
console.log(`Got an access token (expires in ${tokens.expires_in} s, scope "${tokens.scope}")${tokens.refresh_token ? ' and a refresh token' : ''}`);

// 4. Call the REST API as that person.
const me = await client.fetchProtectedResource(config, tokens.access_token, new URL('wp-json/wp/v2/users/me', site.endsWith('/') ? site : `${site}/`), 'GET');
if (!me.ok) throw new Error(`the API answered ${me.status}`);
const user = await me.json();
console.log(`Connected as ${user.name} (user ${user.id})`);
