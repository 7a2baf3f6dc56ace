<?php
/**
 * PHPUnit bootstrap for the plugin tests: real WordPress, real MariaDB, no mocks.
 *
 * Loads the WordPress of the running stack ($WPOA_RUN, started by scripts/test-plugin.sh or
 * make up) against its own database `wordpress_test`, which is dropped and installed afresh at
 * the start of every run (WPOA_KEEP_TEST_DB=1 keeps it), with the same users as the site:
 * admin / author / subscriber, and the plugin activated. Every tests/plugin/*Test.php shares it.
 *
 * Helpers for tests: wpoa_site() (parsed site.json), wpoa_user($role) (WP_User).
 */

// PHPUnit includes this file from inside a method: make WordPress' globals real globals.
global $wpdb, $table_prefix, $current_site, $current_blog, $wp_rewrite, $shortcode_tags, $wp,
    $wp_query, $wp_the_query, $wp_roles, $wp_locale, $wp_embed, $wp_widget_factory, $phpmailer,
    $wp_theme_directories, $wp_plugin_paths, $wp_version, $wp_db_version, $blog_id,
    $wp_filter, $wp_actions, $wp_current_filter, $wp_scripts, $wp_styles, $pagenow, $locale;

(static function (): void {
    $repo = dirname(__DIR__, 2);
    $run = getenv('WPOA_RUN') ?: "$repo/.run";
    $siteFile = "$run/site.json";
    if (!is_file($siteFile) || !is_file("$run/wordpress/wp-load.php")) {
        fwrite(STDERR, "No running stack in $run: run scripts/test-plugin.sh (or make up) first.\n");
        exit(1);
    }
    $site = json_decode((string) file_get_contents($siteFile), true);
    $db = $site['db']['test_name'] ?? 'wordpress_test';
    putenv("WPOA_RUN=$run");
    putenv("WPOA_DB_NAME=$db");
    putenv('WPOA_PORT=' . ($site['port'] ?? 8443));
    $_ENV['WPOA_DB_NAME'] = $db;

    // Same installer as the stack, one process per phase (WP_INSTALLING changes the boot).
    // A child PHP does not inherit this process's `-d extension=…`: ask a plain child
    // whether its own ini loads the extension, and pass the run dir's copy when not.
    $php = [PHP_BINARY];
    $childHasExt = trim((string) shell_exec(escapeshellarg(PHP_BINARY) . ' -r ' . escapeshellarg('echo (int) extension_loaded("wp_oauth");')));
    if (is_file("$run/php/libwp_oauth.so") && '1' !== $childHasExt) {
        $php = [PHP_BINARY, '-d', "extension=$run/php/libwp_oauth.so"];
    }
    $phases = getenv('WPOA_KEEP_TEST_DB') ? ['install', 'activate'] : ['reset', 'install', 'activate'];
    foreach ($phases as $phase) {
        $proc = proc_open(array_merge($php, ["$repo/scripts/wp-install.php", $phase]),
            [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => STDERR], $pipes);
        $out = stream_get_contents($pipes[1]);
        fclose($pipes[1]);
        if (proc_close($proc) !== 0) {
            fwrite(STDERR, "wp-install.php $phase failed for database $db\n$out\n");
            exit(1);
        }
    }
    $GLOBALS['wpoa_site'] = $site;
})();

// An HTTPS request context on the site's host, like php-fpm behind nginx; tests may change it.
$_SERVER['HTTP_HOST'] = 'localhost:' . ($GLOBALS['wpoa_site']['port'] ?? 8443);
$_SERVER['SERVER_NAME'] = 'localhost';
$_SERVER['SERVER_PORT'] = (string) ($GLOBALS['wpoa_site']['port'] ?? 8443);
$_SERVER['HTTPS'] = 'on';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['REMOTE_ADDR'] = '127.0.0.1';

require $GLOBALS['wpoa_site']['wp_path'] . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';

// Nothing outside is reachable and no mail leaves the machine.
add_filter('pre_http_request', static fn() => new WP_Error('wpoa_offline', 'outbound HTTP blocked in tests'), 1);
add_filter('pre_wp_mail', '__return_false');

/** Parsed $WPOA_RUN/site.json. */
function wpoa_site(): array
{
    return $GLOBALS['wpoa_site'];
}

/** The fixed local user for 'admin' | 'author' | 'subscriber'. */
function wpoa_user(string $role): WP_User
{
    $user = get_user_by('login', wpoa_site()['users'][$role]['login'] ?? $role);
    if (!$user) {
        throw new RuntimeException("no user for role $role");
    }
    return $user;
}
