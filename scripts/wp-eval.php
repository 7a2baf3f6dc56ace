<?php
/**
 * Run PHP code inside the running stack's WordPress from the CLI, with the extension loaded.
 *
 *   php scripts/wp-eval.php 'echo get_option("siteurl");'
 *   echo 'var_dump(wp_oauth_version());' | php scripts/wp-eval.php -
 *
 * Env: WPOA_RUN (run dir, default <repo>/.run), WPOA_DB_NAME (default wordpress),
 * WPOA_USER (login to act as, optional). The code runs without "<?php", after WordPress has
 * loaded (plugins included) in an HTTPS-like request context; exceptions exit with status 1.
 */
$run = getenv('WPOA_RUN') ?: dirname(__DIR__) . '/.run';
$so = "$run/php/libwp_oauth.so";

// Load the stack's copy of the extension by re-running ourselves with -d extension=...
if (!extension_loaded('wp_oauth') && is_file($so) && !getenv('WPOA_EVAL_CHILD')) {
    putenv('WPOA_EVAL_CHILD=1');
    $cmd = array_merge([PHP_BINARY, '-d', "extension=$so", __FILE__], array_slice($argv, 1));
    $proc = proc_open($cmd, [0 => STDIN, 1 => STDOUT, 2 => STDERR], $pipes);
    exit(is_resource($proc) ? proc_close($proc) : 1);
}

$code = $argv[1] ?? '';
if ($code === '-') {
    $code = stream_get_contents(STDIN);
}
if (trim($code) === '') {
    fwrite(STDERR, "usage: php scripts/wp-eval.php '<php code>' | -\n");
    exit(2);
}
$code = preg_replace('/^\s*<\?php/', '', $code);

$site = json_decode((string) @file_get_contents("$run/site.json"), true) ?: [];
$port = (string) ($site['port'] ?? (getenv('WPOA_PORT') ?: '8443'));
require_once __DIR__ . '/lib/cli-server.php';
wpoa_cli_server($port);

if (!is_file("$run/wordpress/wp-load.php")) {
    fwrite(STDERR, "no WordPress in $run: start the stack with make up\n");
    exit(1);
}
require "$run/wordpress/wp-load.php";
require_once ABSPATH . "wp-admin/includes/plugin.php";
add_filter('pre_http_request', static fn() => new WP_Error('wpoa_offline', 'outbound HTTP blocked'), 1);
add_filter('pre_wp_mail', '__return_false');

if ($login = getenv('WPOA_USER')) {
    $user = get_user_by('login', $login);
    if (!$user) {
        fwrite(STDERR, "no such user: $login\n");
        exit(1);
    }
    wp_set_current_user($user->ID);
}

try {
    eval($code);
} catch (\Throwable $e) {
    fwrite(STDERR, get_class($e) . ': ' . $e->getMessage() . ' at ' . $e->getFile() . ':' . $e->getLine() . "\n");
    exit(1);
}
