<?php
/**
 * Bearer authentication side by side with Application Passwords and a stateless HS256 JWT
 * baseline (benches/stack/jwt-baseline.php), interleaved in one process. Run inside the site by
 * scripts/wp-eval.php (bench.py does it), after setup.php:
 *   WPOA_BENCH_TOKEN  an access token for WPOA_BENCH_LOGIN's grant
 *   WPOA_BENCH_APP    that user's Application Password;  WPOA_BENCH_LOGIN its login
 *   WPOA_BENCH_ITER   iterations per mode (default 400)
 *
 * One call = what a REST request does to authenticate: the `determine_current_user` filter,
 * wp_set_current_user() with its result, the `rest_authentication_errors` filter. Before each
 * call, outside the clock: the user's caches are emptied (clean_user_cache: without a persistent
 * object cache every request loads its user from MariaDB) and the authenticators reset. The
 * autoloaded options stay loaded (every request loads them anyway). Each mode is a site with
 * that one method: the JWT baseline is hooked only for its own mode, and this plugin's bearer
 * hooks are taken out for it. Modes:
 *   jwt_baseline  stateless HS256 JWT, `iss` check, no revocation
 *   bearer        this plugin, revocation from the autoloaded recent-revocation list (no query)
 *   bearer_query  this plugin with the list overflowed: the per-request grant query (the fallback)
 *   app_password  core's Application Passwords (Basic)
 * Prints one JSON object: per mode the median, 25th and 75th percentile of wall µs (hrtime) and the
 * mean CPU µs (getrusage, user+system), plus ratios to the baseline.
 */

// Evaluated by scripts/wp-eval.php, so __DIR__ is scripts/.
require_once dirname( __DIR__ ) . '/benches/stack/jwt-baseline.php';

$token = (string) getenv( 'WPOA_BENCH_TOKEN' );
$app   = (string) getenv( 'WPOA_BENCH_APP' );
$login = (string) getenv( 'WPOA_BENCH_LOGIN' );
$iter  = '' !== (string) getenv( 'WPOA_BENCH_ONLY' ) ? max( 0, (int) getenv( 'WPOA_BENCH_ITER' ) ) : max( 20, (int) ( getenv( 'WPOA_BENCH_ITER' ) ?: 400 ) );
$user  = get_user_by( 'login', $login );
if ( '' === $token || '' === $app || ! $user ) {
	throw new RuntimeException( 'WPOA_BENCH_TOKEN, WPOA_BENCH_APP and WPOA_BENCH_LOGIN are required' );
}
$uid = (int) $user->ID;
// Core only checks Application Passwords on API requests; this CLI run stands for one.
add_filter( 'application_password_is_api_request', '__return_true', 99 );
$_SERVER['REQUEST_URI'] = '/wp-json/wp/v2/posts';

$baseline = new Wpoa_Bench_Jwt_Baseline( wp_generate_password( 64, true, true ) );
$jwt      = $baseline->issue( $uid );
$auth     = \Wpoa\Plugin::component( \Wpoa\Bearer_Authenticator::class );
$enforcer = \Wpoa\Plugin::component( \Wpoa\Scope_Enforcer::class );

// The plugin's bearer hooks, and the same hooks without them (for the baseline's site).
global $wp_filter;
$ours = array(
	'determine_current_user'     => $wp_filter['determine_current_user'],
	'rest_authentication_errors' => $wp_filter['rest_authentication_errors'],
);
$without = array();
foreach ( array( 'determine_current_user' => \Wpoa\Bearer_Authenticator::USER_PRIORITY, 'rest_authentication_errors' => \Wpoa\Bearer_Authenticator::ERRORS_PRIORITY ) as $hook => $priority ) {
	$copy = clone $ours[ $hook ];
	foreach ( $copy->callbacks[ $priority ] ?? array() as $cb ) {
		$copy->remove_filter( $hook, $cb['function'], $priority );
	}
	$without[ $hook ] = $copy;
}
$overflowed = static fn() => 'wpoa1;o@' . ( time() + 600 );
// The bearer check reads the list from the loaded options (the `alloptions` filter), or through
// get_option() when it is not among them (`pre_option_…`): bearer_query overflows it in both.
$overflowed_all = static function ( $all ) use ( $overflowed ) {
	$all['wpoa_revocation_list'] = $overflowed();
	return $all;
};
$list_now   = get_option( 'wpoa_revocation_list' );
if ( ! is_string( $list_now ) || 1 === preg_match( '/;o@(\d+)/', $list_now, $m ) && (int) $m[1] >= time() ) {
	throw new RuntimeException( 'the recent-revocation list is missing or overflowed: bearer would not show its common case' );
}

/**
 * Sets up one mode (outside the clock).
 *
 * @param string $mode Mode.
 */
$prepare = static function ( string $mode ) use ( $uid, $token, $jwt, $login, $app, $auth, $enforcer, $baseline, $ours, $without, $overflowed, $overflowed_all ) {
	global $wp_filter;
	unset( $_SERVER['HTTP_AUTHORIZATION'], $_SERVER['PHP_AUTH_USER'], $_SERVER['PHP_AUTH_PW'] );
	$baseline->unregister();
	remove_filter( 'pre_option_wpoa_revocation_list', $overflowed );
	remove_filter( 'alloptions', $overflowed_all );
	foreach ( $ours as $hook => $h ) {
		$wp_filter[ $hook ] = 'jwt_baseline' === $mode ? $without[ $hook ] : $h; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited
	}
	switch ( $mode ) {
		case 'jwt_baseline':
			$baseline->register();
			$_SERVER['HTTP_AUTHORIZATION'] = 'Bearer ' . $jwt;
			break;
		case 'bearer_query':
			add_filter( 'pre_option_wpoa_revocation_list', $overflowed );
			add_filter( 'alloptions', $overflowed_all );
			// Fall through.
		case 'bearer':
			$_SERVER['HTTP_AUTHORIZATION'] = 'Bearer ' . $token;
			break;
		case 'app_password':
			$_SERVER['PHP_AUTH_USER'] = $login;
			$_SERVER['PHP_AUTH_PW']   = $app;
			break;
	}
	$auth->reset();
	if ( method_exists( '\Wpoa\Urls', 'forget' ) ) {
		\Wpoa\Urls::forget(); // Memoised per request: a new request computes them again.
	}
	if ( method_exists( $enforcer, 'reset' ) ) {
		$enforcer->reset();
	}
	wp_set_current_user( 0 );
	clean_user_cache( $uid );
};

$modes = array( 'jwt_baseline', 'bearer', 'bearer_query', 'app_password' );
$only  = (string) getenv( 'WPOA_BENCH_ONLY' );
if ( '' !== $only ) {
	// For callgrind (bench.py): only this mode, $iter calls (0 = set-up only), no output.
	for ( $i = 0; $i < $iter; $i++ ) {
		$prepare( $only );
		$got = apply_filters( 'determine_current_user', false );
		wp_set_current_user( (int) $got );
		$err = apply_filters( 'rest_authentication_errors', null );
		if ( (int) $got !== $uid || is_wp_error( $err ) ) {
			throw new RuntimeException( "$only: user " . (int) $got );
		}
	}
	$prepare( $only );
	echo wp_json_encode( array( 'mode' => $only, 'calls' => $iter ) ), "\n";
	return;
}

$wall    = array_fill_keys( $modes, array() );
$cpu     = array_fill_keys( $modes, 0 );
$queries = array_fill_keys( $modes, 0 );
$count   = 0;
add_filter(
	'query',
	static function ( $sql ) use ( &$count ) {
		++$count;
		return $sql;
	}
);
for ( $i = 0; $i < $iter + 10; $i++ ) {
	$order = $i % 2 ? array_reverse( $modes ) : $modes;
	foreach ( $order as $mode ) {
		$prepare( $mode );
		$count = 0;
		$r0    = getrusage();
		$t0    = hrtime( true );
		$got   = apply_filters( 'determine_current_user', false );
		wp_set_current_user( (int) $got );
		$err = apply_filters( 'rest_authentication_errors', null );
		$t1  = hrtime( true );
		$r1  = getrusage();
		if ( (int) $got !== $uid || is_wp_error( $err ) ) {
			throw new RuntimeException( "$mode: user " . (int) $got . ( is_wp_error( $err ) ? ', ' . $err->get_error_code() : '' ) );
		}
		if ( 'bearer_query' === $mode && $count <= $queries['bearer'] && $i >= 10 ) {
			throw new RuntimeException( 'bearer_query made no more queries than bearer: the list was not overflowed' );
		}
		if ( $i < 10 ) {
			continue; // warm-up
		}
		$wall[ $mode ][] = ( $t1 - $t0 ) / 1000;
		$cpu[ $mode ]   += ( $r1['ru_utime.tv_sec'] - $r0['ru_utime.tv_sec'] + $r1['ru_stime.tv_sec'] - $r0['ru_stime.tv_sec'] ) * 1e6
			+ ( $r1['ru_utime.tv_usec'] - $r0['ru_utime.tv_usec'] + $r1['ru_stime.tv_usec'] - $r0['ru_stime.tv_usec'] );
		$queries[ $mode ] = $count;
	}
}
$prepare( 'bearer' );

$pct = static function ( array $xs, float $p ): float {
	sort( $xs );
	return round( $xs[ (int) floor( ( count( $xs ) - 1 ) * $p ) ], 1 );
};
$out = array(
	'iterations' => $iter,
	'modes'      => array(),
);
foreach ( $modes as $mode ) {
	$out['modes'][ $mode ] = array(
		'median_us'  => $pct( $wall[ $mode ], 0.5 ),
		'p25_us'     => $pct( $wall[ $mode ], 0.25 ),
		'p75_us'     => $pct( $wall[ $mode ], 0.75 ),
		'cpu_mean_us' => round( $cpu[ $mode ] / $iter, 1 ),
		'queries'    => $queries[ $mode ],
	);
}
foreach ( $modes as $mode ) {
	$out['modes'][ $mode ]['ratio_median'] = round( $out['modes'][ $mode ]['median_us'] / max( 0.1, $out['modes']['jwt_baseline']['median_us'] ), 2 );
	$out['modes'][ $mode ]['ratio_cpu']    = round( $out['modes'][ $mode ]['cpu_mean_us'] / max( 0.1, $out['modes']['jwt_baseline']['cpu_mean_us'] ), 2 );
}
echo wp_json_encode( $out ), "\n";
