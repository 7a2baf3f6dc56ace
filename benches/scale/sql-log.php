<?php
/*
 * Plugin Name: WP OAuth scale benchmark: the plugin's SQL per request (benches/scale, not part of the plugin)
 *
 * Copied into the scale benchmark's own stack by scripts/bench-scale.sh. For a request that carries
 * `X-Wpoa-Scale: <label>`, appends one JSON line to $WPOA_RUN/logs/scale-sql.jsonl at shutdown:
 * the label, the HTTP status, all queries (count, ms) and the queries on the plugin's tables
 * (count, ms, statements). Queries made before must-use plugins load (options) are not seen.
 */
if ( ! empty( $_SERVER['HTTP_X_WPOA_SCALE'] ) && defined( 'WPOA_RUN' ) ) {
	if ( ! defined( 'SAVEQUERIES' ) ) {
		define( 'SAVEQUERIES', true );
	}
	add_action(
		'shutdown',
		static function () {
			global $wpdb;
			$line = array(
				'label'     => (string) $_SERVER['HTTP_X_WPOA_SCALE'],
				'status'    => http_response_code(),
				'queries'   => 0,
				'sql_ms'    => 0.0,
				'oauth'     => 0,
				'oauth_ms'  => 0.0,
				'statements' => array(),
			);
			foreach ( (array) $wpdb->queries as $q ) {
				$line['queries']++;
				$line['sql_ms'] += 1000 * (float) $q[1];
				if ( false !== strpos( (string) $q[0], 'oauth_' ) ) {
					$line['oauth']++;
					$line['oauth_ms']    += 1000 * (float) $q[1];
					$line['statements'][] = array( (string) $q[0], round( 1000 * (float) $q[1], 3 ) );
				}
			}
			file_put_contents( WPOA_RUN . '/logs/scale-sql.jsonl', wp_json_encode( $line, JSON_UNESCAPED_SLASHES ) . "\n", FILE_APPEND | LOCK_EX );
		},
		PHP_INT_MAX
	);
}
