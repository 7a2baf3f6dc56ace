<?php
/**
 * Installs and prepares the local WordPress of the stack, from the PHP CLI (there is no WP-CLI).
 *
 *   WPOA_RUN=<run dir> WPOA_DB_NAME=<db> php [-d extension=...] scripts/wp-install.php <phase>
 *
 * Phases (each in its own process, because WP_INSTALLING changes how WordPress boots):
 *   reset     drop and re-create the database WPOA_DB_NAME (only 'wordpress_test' is allowed)
 *   install   wp_install() with the fixed local users, a few posts, pretty permalinks (idempotent)
 *   activate  activate the plugin wp-oauth/wp-oauth.php if it exists; print the users as JSON
 *
 * Used by scripts/wp-setup.sh (stack start) and tests/plugin/bootstrap.php (test database).
 */

$phase = $argv[1] ?? '';
$run = getenv('WPOA_RUN') ?: dirname(__DIR__) . '/.run';
$db = getenv('WPOA_DB_NAME') ?: 'wordpress';
$port = getenv('WPOA_PORT') ?: '8443';

const WPOA_USERS = [
    'admin' => ['login' => 'admin', 'password' => 'admin-pass-local', 'email' => 'admin@example.com', 'role' => 'administrator', 'display_name' => 'Ada Admin'],
    'author' => ['login' => 'author', 'password' => 'author-pass-local', 'email' => 'author@example.com', 'role' => 'author', 'display_name' => 'Arthur Author'],
    'subscriber' => ['login' => 'subscriber', 'password' => 'subscriber-pass-local', 'email' => 'subscriber@example.com', 'role' => 'subscriber', 'display_name' => 'Sue Subscriber'],
];

function wpoa_fail(string $msg): void {
    fwrite(STDERR, "[wp-install] ERROR: $msg\n");
    exit(1);
}

if ($phase === 'reset') {
    if ($db !== 'wordpress_test') {
        wpoa_fail("refusing to reset database '$db' (only wordpress_test)");
    }
    $site = json_decode((string) @file_get_contents("$run/site.json"), true);
    $sock = $site['db']['socket'] ?? "$run/sock/mysql.sock";
    mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
    $m = new mysqli('localhost', 'wpoa', 'wpoa-db-pass-local', '', 0, $sock);
    $m->query("DROP DATABASE IF EXISTS `$db`");
    $m->query("CREATE DATABASE `$db` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
    exit(0);
}

if (!in_array($phase, ['install', 'activate'], true)) {
    wpoa_fail('usage: wp-install.php reset|install|activate');
}

// A plausible HTTPS request context for code that looks at $_SERVER.
require_once __DIR__ . '/lib/cli-server.php';
wpoa_cli_server($port);

if ($phase === 'install') {
    define('WP_INSTALLING', true);
}
require "$run/wordpress/wp-load.php";

// Nothing outside is reachable, and no mail leaves the machine.
add_filter('pre_http_request', static fn() => new WP_Error('wpoa_offline', 'outbound HTTP blocked by the local stack'), 1);
add_filter('pre_wp_mail', '__return_false');

if ($phase === 'install') {
    require_once ABSPATH . 'wp-admin/includes/upgrade.php';
    if (!function_exists('wp_new_blog_notification')) {
        function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password) {}
    }
    if (is_blog_installed()) {
        exit(0);
    }
    $a = WPOA_USERS['admin'];
    $result = wp_install('WP OAuth demo', $a['login'], $a['email'], true, '', wp_slash($a['password']));
    if (is_wp_error($result) || empty($result['user_id'])) {
        wpoa_fail('wp_install failed');
    }
    wp_update_user(['ID' => $result['user_id'], 'display_name' => $a['display_name'], 'first_name' => 'Ada']);
    $ids = ['admin' => (int) $result['user_id']];
    foreach (['author', 'subscriber'] as $key) {
        $u = WPOA_USERS[$key];
        $id = wp_insert_user([
            'user_login' => $u['login'], 'user_pass' => $u['password'], 'user_email' => $u['email'],
            'role' => $u['role'], 'display_name' => $u['display_name'],
        ]);
        if (is_wp_error($id)) {
            wpoa_fail("user {$u['login']}: " . $id->get_error_message());
        }
        $ids[$key] = $id;
    }
    $posts = [
        [$ids['admin'], 'publish', 'Welcome to the WP OAuth demo', 'This site is an OAuth 2.1 authorization server. Its REST API accepts bearer tokens.'],
        [$ids['author'], 'publish', 'Notes from the author', 'A published post written by the author user.'],
        [$ids['author'], 'publish', 'Second post', 'Another published post, for list and pagination checks.'],
        [$ids['author'], 'draft', 'An unpublished draft', 'Only its author and editors can read this.'],
    ];
    foreach ($posts as [$author, $status, $title, $content]) {
        wp_insert_post(['post_author' => $author, 'post_status' => $status, 'post_title' => $title,
            'post_content' => $content, 'post_type' => 'post'], true);
    }
    update_option('permalink_structure', '/%postname%/');
    update_option('blogdescription', 'Local OAuth 2.1 test site');
    update_option('timezone_string', 'UTC');
    // flush_rewrite_rules() from the CLI loses routes; the first web request rebuilds them.
    delete_option('rewrite_rules');
    exit(0);
}

// phase: activate
require_once ABSPATH . 'wp-admin/includes/plugin.php';
$plugin = 'wp-oauth/wp-oauth.php';
$plugin_state = 'missing';
if (file_exists(WP_PLUGIN_DIR . '/' . $plugin)) {
    if (is_plugin_active($plugin)) {
        $plugin_state = 'active';
    } else {
        $r = activate_plugin($plugin);
        if (is_wp_error($r)) {
            fwrite(STDERR, "[wp-install] WARNING: activating $plugin failed: " . $r->get_error_message() . "\n");
            $plugin_state = 'activation-failed';
        } else {
            $plugin_state = 'active';
        }
    }
} else {
    fwrite(STDERR, "[wp-install] WARNING: wp-plugin/wp-oauth.php does not exist yet; plugin not activated\n");
}
$users = [];
foreach (WPOA_USERS as $key => $u) {
    $user = get_user_by('login', $u['login']);
    $users[$key] = [
        'login' => $u['login'], 'password' => $u['password'], 'email' => $u['email'],
        'id' => $user ? (int) $user->ID : null, 'role' => $u['role'],
    ];
}
echo json_encode(['plugin' => $plugin_state, 'users' => $users], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";
