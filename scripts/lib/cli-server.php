<?php
/**
 * A plausible HTTPS request context for WordPress code that looks at $_SERVER when it runs from
 * the PHP CLI. Shared by scripts/wp-eval.php and scripts/wp-install.php.
 */

function wpoa_cli_server(string $port): void {
    $_SERVER['HTTP_HOST'] = "localhost:$port";
    $_SERVER['SERVER_NAME'] = 'localhost';
    $_SERVER['SERVER_PORT'] = $port;
    $_SERVER['HTTPS'] = 'on';
    $_SERVER['REQUEST_URI'] = '/';
    $_SERVER['REQUEST_METHOD'] = 'GET';
    $_SERVER['REMOTE_ADDR'] = '127.0.0.1';
}
