<?php
/**
 * Turns the stack's WordPress into a network and sets up its sites, from the PHP CLI (there is no
 * WP-CLI). Run by scripts/lib/multisite.sh.
 *
 *   WPOA_RUN=<run dir> WPOA_PORT=<port> WPOA_MULTISITE=subdir|subdomain php [-d extension=...] scripts/lib/multisite.php <phase>
 *
 * Phases (each in its own process: MULTISITE is decided when WordPress boots):
 *   convert  the single site becomes the main site of network 1 (install_network(),
 *            populate_network(): what Tools → Network Setup does); run with WPOA_MS_CONVERTING=1
 *   sites    (idempotent) creates site2 (owner admin; author and subscriber are members) and
 *            site3 (owner author; admin, a super admin, and subscriber are not members) at
 *            /site2/ and /site3/ (subdir) or site2.localhost and site3.localhost (subdomain),
 *            network-activates the plugin, and prints {mode, sites, network_admin_url} as JSON
 */

$phase = $argv[1] ?? '';
$run = getenv('WPOA_RUN') ?: dirname(__DIR__, 2) . '/.run';
$port = getenv('WPOA_PORT') ?: '8443';
$mode = getenv('WPOA_MULTISITE') ?: 'subdir';
$subdomain = 'subdomain' === $mode;

function wpoa_ms_fail(string $msg): void {
    fwrite(STDERR, "[multisite] ERROR: $msg\n");
    exit(1);
}

if (!in_array($phase, ['convert', 'sites'], true)) {
    wpoa_ms_fail('usage: multisite.php convert|sites');
}

require_once __DIR__ . '/cli-server.php';
wpoa_cli_server($port);
if ($phase === 'convert') {
    define('WP_INSTALLING_NETWORK', true);
}
require "$run/wordpress/wp-load.php";
add_filter('pre_http_request', static fn() => new WP_Error('wpoa_offline', 'outbound HTTP blocked by the local stack'), 1);
add_filter('pre_wp_mail', '__return_false');
require_once ABSPATH . 'wp-admin/includes/plugin.php';

$domain = "localhost:$port";

if ($phase === 'convert') {
    if (is_multisite()) {
        wpoa_ms_fail('WordPress already boots as a network: the marker file is missing but the constants are set');
    }
    require_once ABSPATH . 'wp-admin/includes/upgrade.php';
    require_once ABSPATH . 'wp-admin/includes/network.php';
    foreach ($wpdb->tables('ms_global') as $table => $prefixed_table) {
        $wpdb->$table = $prefixed_table;
    }
    install_network();
    $admin = get_user_by('login', 'admin');
    if (!$admin) {
        wpoa_ms_fail('no admin user to make the network administrator');
    }
    $result = populate_network(1, $domain, $admin->user_email, 'WP OAuth network', '/', $subdomain);
    // no_wildcard_dns: core's warning that it could not reach a random sub-domain over HTTP; the
    // network is complete (*.localhost is the loopback address; outbound HTTP is blocked here).
    if (is_wp_error($result) && !in_array($result->get_error_code(), ['siteid_exists', 'no_wildcard_dns'], true)) {
        wpoa_ms_fail('populate_network: ' . $result->get_error_message());
    }
    // Core's own .htaccess/nginx hints are the web server's business (scripts/lib/multisite.sh).
    echo "network created for $domain\n";
    exit(0);
}

// phase: sites
if (!is_multisite()) {
    wpoa_ms_fail('WordPress does not boot as a network (is WPOA_MULTISITE set for up.sh?)');
}
$users = [];
foreach (['admin', 'author', 'subscriber'] as $login) {
    $u = get_user_by('login', $login);
    if (!$u) {
        wpoa_ms_fail("user $login missing");
    }
    $users[$login] = (int) $u->ID;
}
$wanted = [
    ['name' => 'site2', 'title' => 'Second site', 'owner' => 'admin', 'members' => ['author' => 'author', 'subscriber' => 'subscriber']],
    ['name' => 'site3', 'title' => 'Third site', 'owner' => 'author', 'members' => []],
];
foreach ($wanted as $w) {
    $site_domain = $subdomain ? "{$w['name']}.$domain" : $domain;
    $site_path = $subdomain ? '/' : "/{$w['name']}/";
    $id = get_blog_id_from_url($site_domain, $site_path);
    if (!$id) {
        $id = wp_insert_site([
            'domain' => $site_domain, 'path' => $site_path, 'title' => $w['title'],
            'user_id' => $users[$w['owner']], 'network_id' => 1,
            'options' => ['permalink_structure' => '/%postname%/', 'timezone_string' => 'UTC'],
        ]);
        if (is_wp_error($id)) {
            wpoa_ms_fail("site {$w['name']}: " . $id->get_error_message());
        }
        foreach ($w['members'] as $login => $role) {
            add_user_to_blog($id, $users[$login], $role);
        }
        switch_to_blog($id);
        delete_option('rewrite_rules');
        wp_insert_post(['post_author' => $users[$w['owner']], 'post_status' => 'publish', 'post_title' => "Welcome to {$w['title']}",
            'post_content' => 'A post on one site of the network.', 'post_type' => 'post']);
        restore_current_blog();
    }
}
$plugin = 'wp-oauth/wp-oauth.php';
if (!is_plugin_active_for_network($plugin)) {
    $r = activate_plugin($plugin, '', true);
    if (is_wp_error($r)) {
        wpoa_ms_fail('network activation: ' . $r->get_error_message());
    }
}
$sites = [];
foreach (get_sites(['number' => 100, 'orderby' => 'id']) as $s) {
    switch_to_blog((int) $s->blog_id);
    $members = [];
    foreach ($users as $login => $id) {
        $members[$login] = is_user_member_of_blog($id, (int) $s->blog_id);
    }
    $sites[] = [
        'id' => (int) $s->blog_id,
        'slug' => 1 === (int) $s->blog_id ? 'main' : strtok($subdomain ? $s->domain : trim($s->path, '/'), '.'),
        'domain' => $s->domain,
        'path' => $s->path,
        'url' => untrailingslashit(home_url()),
        'name' => get_option('blogname'),
        'members' => $members,
    ];
    restore_current_blog();
}
echo json_encode([
    'mode' => $mode,
    'sites' => $sites,
    'network_admin_url' => network_admin_url(),
    'super_admins' => get_super_admins(),
], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";
