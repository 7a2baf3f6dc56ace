<?php
/**
 * One whole WordPress request from the CLI, for the idle-cost benchmark (bench.py runs it, also
 * under callgrind): `php idle-request.php <front|rest> <active|inactive>`.
 *   front  GET /                      (the theme's front page)
 *   rest   GET /wp-json/wp/v2/posts   (anonymous REST call)
 *   inactive: the plugin is filtered out of `active_plugins` before WordPress loads (the same
 *   site, database and PHP, extension loaded in both), so the difference is the plugin alone.
 * The response goes to /dev/null; at shutdown one JSON line on STDERR: CPU µs (getrusage,
 * user+system) and wall µs from the first line of this file, the HTTP status and response bytes.
 * Env: WPOA_RUN (the stack's run dir).
 */
$wpoa_idle_t0 = hrtime( true );
$wpoa_idle_r0 = getrusage();
$page         = $argv[1] ?? ( getenv( 'WPOA_IDLE_PAGE' ) ?: 'front' );
$plugin       = $argv[2] ?? ( getenv( 'WPOA_IDLE_PLUGIN' ) ?: 'active' );
// php-cgi -T: one process serves the same script many times, as a php-fpm worker does; the
// variants take turns, request by request (WPOA_IDLE_SEQUENCE, counted in WPOA_IDLE_COUNTER).
if ( getenv( 'WPOA_IDLE_SEQUENCE' ) && getenv( 'WPOA_IDLE_COUNTER' ) ) {
	$wpoa_idle_n = (int) @file_get_contents( getenv( 'WPOA_IDLE_COUNTER' ) );
	file_put_contents( getenv( 'WPOA_IDLE_COUNTER' ), (string) ( $wpoa_idle_n + 1 ) );
	$wpoa_idle_seq = explode( ',', getenv( 'WPOA_IDLE_SEQUENCE' ) );
	$plugin        = $wpoa_idle_seq[ $wpoa_idle_n % count( $wpoa_idle_seq ) ];
}
$run          = getenv( 'WPOA_RUN' ) ?: dirname( __DIR__, 2 ) . '/.run';
$site         = json_decode( (string) file_get_contents( "$run/site.json" ), true );
require dirname( __DIR__, 2 ) . '/scripts/lib/cli-server.php';
wpoa_cli_server( (string) $site['port'] );
$_SERVER['REQUEST_URI'] = 'rest' === $page ? '/wp-json/wp/v2/posts' : '/';
$_SERVER['HTTP_ACCEPT'] = 'rest' === $page ? 'application/json' : 'text/html';

// Hooks may be given to WordPress before it loads (WP_Hook::build_preinitialized_hooks()). Every
// variant runs the same filter on `active_plugins`, which replaces this plugin with another entry:
// active keeps it (the replaced name is not in the list), inactive removes it, empty puts a plugin
// file in its place that does nothing (what WordPress itself spends on any one active plugin).
$wpoa_idle_swap = array(
	'active'   => array( 'wp-oauth/wp-oauth.php', array( 'wpoa-idle-copy/wp-oauth.php' ) ),
	'inactive' => array( 'wp-oauth/wp-oauth.php', array() ),
	'empty'    => array( 'wp-oauth/wp-oauth.php', array( 'wpoa-idle-empty/wpoa-idle-empty.php' ) ),
)[ $plugin ];
$GLOBALS['wp_filter'] = array( // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited
	'option_active_plugins' => array(
		10 => array(
			array(
				'function'      => static fn( $plugins ) => array_merge( array_values( array_diff( (array) $plugins, array( $wpoa_idle_swap[0] ) ) ), $wpoa_idle_swap[1] ),
				'accepted_args' => 1,
			),
		),
	),
);
// Route registration as under php-fpm (the CLI registers every route by default).
define( 'WPOA_LAZY_HOOKS', true );
$GLOBALS['wpoa_idle_bytes'] = 0;
ob_start(
	static function ( $buffer ) {
		$GLOBALS['wpoa_idle_bytes'] += strlen( $buffer );
		return '';
	},
	65536
);
register_shutdown_function(
	static function () use ( $wpoa_idle_t0, $wpoa_idle_r0, $page, $plugin ) {
		while ( ob_get_level() ) {
			ob_end_flush();
		}
		$r1  = getrusage();
		$cpu = ( $r1['ru_utime.tv_sec'] - $wpoa_idle_r0['ru_utime.tv_sec'] + $r1['ru_stime.tv_sec'] - $wpoa_idle_r0['ru_stime.tv_sec'] ) * 1e6
			+ ( $r1['ru_utime.tv_usec'] - $wpoa_idle_r0['ru_utime.tv_usec'] + $r1['ru_stime.tv_usec'] - $wpoa_idle_r0['ru_stime.tv_usec'] );
		fwrite(
			fopen( 'php://stderr', 'w' ),
			json_encode(
				array(
					'page'          => $page,
					'plugin'        => $plugin,
					'plugin_loaded' => class_exists( '\Wpoa\Plugin', false ),
					'classes'       => array_values( preg_grep( '/^Wpoa\\\\/', get_declared_classes() ) ),
					'status'        => http_response_code(),
					'bytes'         => $GLOBALS['wpoa_idle_bytes'],
					'cpu_us'        => $cpu,
					'wall_us'       => ( hrtime( true ) - $wpoa_idle_t0 ) / 1000,
				)
			) . "\n"
		);
	}
);
define( 'WP_USE_THEMES', true );
require "$run/wordpress/wp-blog-header.php";
