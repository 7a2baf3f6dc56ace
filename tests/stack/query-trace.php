<?php
/**
 * Query trace for the Redis-mode tests (tests/e2e/redis/): a request that carries
 * `X-Wpoa-Trace: <id>` (letters, digits, dashes) runs with SAVEQUERIES, and when it ends every
 * query it made — SQL, caller chain, time — and the object cache's counters are written to
 * `$WPOA_RUN/query-trace/<id>.json`. Loaded by the generated object-cache.php (scripts/lib/redis.sh),
 * i.e. before WordPress's first query of the request. A TEST FIXTURE, NOT PART OF THE PLUGIN.
 *
 * @package Wpoa\Tests
 */

defined( 'ABSPATH' ) || exit;

( static function () {
	$id = isset( $_SERVER['HTTP_X_WPOA_TRACE'] ) ? (string) $_SERVER['HTTP_X_WPOA_TRACE'] : '';
	if ( 1 !== preg_match( '/^[A-Za-z0-9-]{1,64}$/', $id ) || ! defined( 'WPOA_RUN' ) || defined( 'SAVEQUERIES' ) ) {
		return;
	}
	define( 'SAVEQUERIES', true );
	register_shutdown_function(
		static function () use ( $id ) {
			global $wpdb;
			$queries = array();
			foreach ( (array) ( $wpdb->queries ?? array() ) as $q ) {
				$queries[] = array(
					'sql'    => (string) $q[0],
					'ms'     => round( (float) $q[1] * 1000, 3 ),
					'caller' => (string) $q[2],
				);
			}
			$dir = WPOA_RUN . '/query-trace';
			if ( ! is_dir( $dir ) ) {
				@mkdir( $dir, 0700, true ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
			}
			$cache = isset( $GLOBALS['wp_object_cache']->stats ) ? $GLOBALS['wp_object_cache']->stats : null;
			file_put_contents( // phpcs:ignore WordPress.WP.AlternativeFunctions
				"$dir/$id.json",
				json_encode(
					array(
						'node'    => getenv( 'WPOA_NODE' ) ?: null,
						'uri'     => isset( $_SERVER['REQUEST_URI'] ) ? (string) $_SERVER['REQUEST_URI'] : '',
						'queries' => $queries,
						'cache'   => $cache,
					),
					JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES
				)
			);
		}
	);
} )();
