<?php
/**
 * Plugin Name: WP OAuth bench profiler (temporary)
 * Description: Copied into the stack's mu-plugins by benches/stack/bench.py for its profile phase
 * only, then removed. Active only for requests with the header "X-Wpoa-Bench-Profile: 1":
 * answers, in the response header of the same name, the request's SQL query count, the wall and CPU
 * time spent in the `determine_current_user` and `rest_authentication_errors` filters (authentication),
 * the CPU time from must-use plugin load to the end of REST dispatch (everything that differs
 * between the scenarios: authentication, user loading, capability checks, the route itself),
 * and the SQL statements run after must-use plugins loaded (first 160 characters each).
 */

if ( empty( $_SERVER['HTTP_X_WPOA_BENCH_PROFILE'] ) ) {
	return;
}

/**
 * CPU time (user + system) of this process so far, in nanoseconds (getrusage: Linux accounts it
 * exactly, not in scheduler ticks).
 *
 * @return int
 */
function wpoa_bench_cpu_ns(): int {
	$r = getrusage();
	return ( $r['ru_utime.tv_sec'] + $r['ru_stime.tv_sec'] ) * 1000000000 + ( $r['ru_utime.tv_usec'] + $r['ru_stime.tv_usec'] ) * 1000;
}

$GLOBALS['wpoa_bench_profile'] = array(
	'sql'   => array(),
	'auth'  => 0,
	'cpu'   => 0,
	'cpu0'  => wpoa_bench_cpu_ns(),
	'start' => array(),
);

add_filter(
	'query',
	static function ( $sql ) {
		$GLOBALS['wpoa_bench_profile']['sql'][] = substr( preg_replace( '/\s+/', ' ', (string) $sql ), 0, 160 );
		return $sql;
	},
	PHP_INT_MAX
);

foreach ( array( 'determine_current_user' => 'auth', 'rest_authentication_errors' => 'auth' ) as $wpoa_hook => $wpoa_bucket ) {
	add_filter(
		$wpoa_hook,
		static function ( $value ) use ( $wpoa_hook ) {
			$GLOBALS['wpoa_bench_profile']['start'][ $wpoa_hook ] = array( hrtime( true ), wpoa_bench_cpu_ns() );
			return $value;
		},
		PHP_INT_MIN
	);
	add_filter(
		$wpoa_hook,
		static function ( $value ) use ( $wpoa_hook, $wpoa_bucket ) {
			$start = $GLOBALS['wpoa_bench_profile']['start'][ $wpoa_hook ] ?? null;
			if ( null !== $start ) {
				$GLOBALS['wpoa_bench_profile'][ $wpoa_bucket ] += hrtime( true ) - $start[0];
				$GLOBALS['wpoa_bench_profile']['cpu']           += wpoa_bench_cpu_ns() - $start[1];
			}
			return $value;
		},
		PHP_INT_MAX
	);
}

add_filter(
	'rest_post_dispatch',
	static function ( $response ) {
		global $wpdb;
		$p    = $GLOBALS['wpoa_bench_profile'];
		$data = array(
			'queries' => (int) $wpdb->num_queries,
			'auth_ms' => round( $p['auth'] / 1e6, 3 ),
			'auth_cpu_ms' => round( $p['cpu'] / 1e6, 3 ),
			'req_cpu_ms'  => round( ( wpoa_bench_cpu_ns() - $p['cpu0'] ) / 1e6, 3 ),
			'php_ms'  => round( ( microtime( true ) - $_SERVER['REQUEST_TIME_FLOAT'] ) * 1000, 3 ),
			'sql'     => $p['sql'],
		);
		if ( $response instanceof WP_REST_Response ) {
			$response->header( 'X-Wpoa-Bench-Profile', wp_json_encode( $data ) );
		}
		return $response;
	},
	PHP_INT_MAX
);
