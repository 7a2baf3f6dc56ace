// The demo: a list of named steps run in order against the stack (make demo starts it).
// Each step gets a shared `ctx` object to pass results along; add steps to grow the demo
// (register a client, authorize in the browser, exchange the code, call the API, refresh, revoke).
import { site, getJson, health } from './lib/site.mjs';

const steps = [
  {
    name: 'Where the site is',
    async run() {
      console.log(`  Site (node1):        ${site.url}/`);
      console.log(`  Second node:         ${site.node2_url}/   (same database)`);
      console.log(`  Without extension:   ${site.noext_url}/wp-admin/plugins.php   (shows the plugin's notice)`);
      console.log(`  Plain HTTP:          ${site.http_url}/   (OAuth endpoints refuse it)`);
      console.log(`  TLS CA certificate:  ${site.ca_cert}`);
      console.log(`  Logs:                ${site.logs}/`);
    },
  },
  {
    name: 'Logins (local only)',
    async run() {
      for (const [role, u] of Object.entries(site.users)) {
        console.log(`  ${role.padEnd(11)} ${u.login} / ${u.password}`);
      }
      console.log(`  Admin: ${site.url}/wp-admin/`);
    },
  },
  {
    name: 'The extension inside php-fpm',
    async run(ctx) {
      for (const [label, base] of [['node1', site.url], ['node2', site.node2_url], ['noext', site.noext_url]]) {
        const h = await health(base);
        console.log(`  ${label}: sapi=${h.sapi} wp_oauth loaded=${h.wp_oauth_loaded}` +
          (h.wp_oauth_version ? ` version=${h.wp_oauth_version}` : ''));
        if (label === 'node1') ctx.extVersion = h.wp_oauth_version;
      }
    },
  },
  {
    name: 'Discovery: /.well-known/oauth-authorization-server',
    async run(ctx) {
      const { status, body } = await getJson('/.well-known/oauth-authorization-server');
      if (status !== 200 || typeof body !== 'object') {
        console.log(`  not available yet (HTTP ${status})`);
        return;
      }
      ctx.metadata = body;
      console.log(JSON.stringify(body, null, 2).replace(/^/gm, '  '));
    },
  },
];

const ctx = {};
let failed = 0;
console.log(`\nWP OAuth demo against ${site.url}\n`);
for (const [i, step] of steps.entries()) {
  console.log(`== ${i + 1}. ${step.name}`);
  try {
    await step.run(ctx);
  } catch (e) {
    failed++;
    console.log(`  FAILED: ${e.stack || e}`);
  }
  console.log('');
}
console.log(`The site keeps running at ${site.url}/ (admin: ${site.users.admin.login} / ${site.users.admin.password}).`);
console.log('Stop it with: make down');
process.exitCode = failed ? 1 : 0;
