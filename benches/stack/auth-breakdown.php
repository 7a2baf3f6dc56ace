<?php
/**
 * Where the CPU of one bearer authentication goes, piece by piece, compared with an Application
 * Password check. Run inside the site by scripts/wp-eval.php (bench.py does it), after setup.php:
 *   WPOA_BENCH_TOKEN   an access token for WPOA_BENCH_LOGIN's grant
 *   WPOA_BENCH_APP     that user's Application Password;  WPOA_BENCH_LOGIN its login
 * Prints one JSON object: µs of CPU (getrusage, user+system) per call, median of batch means.
 * The WordPress user caches are emptied before every call (clean_user_cache), as in a php-fpm
 * request without a persistent object cache, where every request loads its user from MariaDB.
 * The token itself stays in the extension's verified-token cache, as in a worker that has seen
 * it before.
 */

$token = (string) getenv( 'WPOA_BENCH_TOKEN' );
$app   = (string) getenv( 'WPOA_BENCH_APP' );
$login = (string) getenv( 'WPOA_BENCH_LOGIN' );
$user  = get_user_by( 'login', $login );
if ( '' === $token || ! $user ) {
	throw new RuntimeException( 'WPOA_BENCH_TOKEN and WPOA_BENCH_LOGIN are required' );
}
$uid = (int) $user->ID;
$_SERVER['REQUEST_URI']        = '/wp-json/wp/v2/posts';
$_SERVER['HTTP_AUTHORIZATION'] = 'Bearer ' . $token;

/**
 * CPU ns of this process.
 *
 * @return int
 */
function wpoa_bench_cpu(): int {
	$r = getrusage();
	return ( $r['ru_utime.tv_sec'] + $r['ru_stime.tv_sec'] ) * 1000000000 + ( $r['ru_utime.tv_usec'] + $r['ru_stime.tv_usec'] ) * 1000;
}

/**
 * Median over batches of the CPU µs per call; $reset runs before each call, outside the clock.
 *
 * @param callable      $fn    Measured.
 * @param callable|null $reset Not measured.
 * @return float
 */
function wpoa_bench_cpu_us( callable $fn, ?callable $reset = null ): float {
	$means = array();
	for ( $b = 0; $b < 15; $b++ ) {
		$sum = 0;
		for ( $i = 0; $i < 100; $i++ ) {
			if ( $reset ) {
				$reset();
			}
			$t    = wpoa_bench_cpu();
			$fn();
			$sum += wpoa_bench_cpu() - $t;
		}
		$means[] = $sum / 100 / 1000;
	}
	sort( $means );
	return round( $means[7], 1 );
}

$auth  = \Wpoa\Plugin::component( \Wpoa\Bearer_Authenticator::class );
$fresh = static function () use ( $uid ) {
	clean_user_cache( $uid );
};
$opts  = array(
	'iss'      => \Wpoa\Urls::issuer(),
	'aud'      => \Wpoa\Urls::audience(),
	'typ'      => 'at+jwt',
	'leeway'   => \Wpoa\Keys::LEEWAY,
	'required' => array( 'exp', 'iat', 'sub', 'jti', 'client_id', 'grant_id' ),
);
$jwks   = \Wpoa\Keys::public_jwks();
$claims = \Wpoa\Crypto::jwt_decode( $token, $jwks, $opts );
$out    = array(
	'jwt_decode_cached'        => wpoa_bench_cpu_us( static function () use ( $token, $jwks, $opts ) {
		\Wpoa\Crypto::jwt_decode( $token, $jwks, $opts );
	} ),
	'options_issuer_audience_jwks' => wpoa_bench_cpu_us( static function () {
		\Wpoa\Urls::issuer();
		\Wpoa\Urls::audience();
		\Wpoa\Keys::public_jwks();
	} ),
	'is_rest_request'          => wpoa_bench_cpu_us( static function () {
		\Wpoa\Bearer_Authenticator::is_rest_request();
		\Wpoa\Plugin::is_oauth_endpoint_request();
	} ),
	'grant_state_sql'          => wpoa_bench_cpu_us( static function () use ( $claims ) {
		\Wpoa\Grant_Repository::bearer_state( (int) $claims['grant_id'], (string) $claims['jti'] );
	} ),
	'load_user_sql'            => wpoa_bench_cpu_us( static function () use ( $uid ) {
		get_userdata( $uid );
		get_user_meta( $uid, 'wpoa_tokens_valid_after', true );
	}, $fresh ),
	'bearer_verify_total'      => wpoa_bench_cpu_us( static function () use ( $auth, $token ) {
		$auth->verify( $token );
	}, $fresh ),
	'bearer_stage1_and_2'      => wpoa_bench_cpu_us( static function () use ( $auth ) {
		$auth->reset();
		$auth->determine_current_user( false );
		$auth->rest_authentication_errors( null );
	}, $fresh ),
);
$out['anonymous_stage1_and_2'] = wpoa_bench_cpu_us( static function () use ( $auth ) {
	$saved = $_SERVER['HTTP_AUTHORIZATION'];
	unset( $_SERVER['HTTP_AUTHORIZATION'] );
	$auth->reset();
	$auth->determine_current_user( false );
	$auth->rest_authentication_errors( null );
	$_SERVER['HTTP_AUTHORIZATION'] = $saved;
} );
if ( '' !== $app ) {
	// Core only checks Application Passwords on API requests; this CLI run stands for one.
	add_filter( 'application_password_is_api_request', '__return_true', 99 );
	if ( ! wp_authenticate_application_password( null, $login, $app ) instanceof WP_User ) {
		throw new RuntimeException( 'the Application Password was not accepted' );
	}
	$out['app_password_check'] = wpoa_bench_cpu_us( static function () use ( $login, $app ) {
		wp_authenticate_application_password( null, $login, $app );
	}, $fresh );
}
// Whole authentication + REST dispatch of GET /wp/v2/posts in this process, as in a request:
// determine_current_user, rest_authentication_errors, the route (with the Scope_Enforcer's
// capability filters for a bearer request), the response as data and JSON. Object cache
// flushed before each (outside the clock), modes interleaved, median CPU µs.
$scope_enforcer = class_exists( '\Wpoa\Scope_Enforcer' ) ? \Wpoa\Plugin::component( \Wpoa\Scope_Enforcer::class ) : null;
$dispatch       = static function ( string $mode ) use ( $auth, $scope_enforcer, $token, $login, $app ): float {
	wp_cache_flush();
	unset( $_SERVER['HTTP_AUTHORIZATION'], $_SERVER['PHP_AUTH_USER'], $_SERVER['PHP_AUTH_PW'] );
	if ( 'bearer' === $mode ) {
		$_SERVER['HTTP_AUTHORIZATION'] = 'Bearer ' . $token;
	} elseif ( 'app_password' === $mode ) {
		$_SERVER['PHP_AUTH_USER'] = $login;
		$_SERVER['PHP_AUTH_PW']   = $app;
	}
	$auth->reset();
	if ( $scope_enforcer && method_exists( $scope_enforcer, 'reset' ) ) {
		$scope_enforcer->reset();
	}
	wp_set_current_user( 0 );
	$t = wpoa_bench_cpu();
	if ( 'user_without_auth' === $mode ) {
		// The same filter chain as a request without credentials, then the same user set
		// directly: what being logged in costs, without any authentication.
		apply_filters( 'determine_current_user', false );
		$uid = (int) get_userdata( (int) get_user_by( 'login', $login )->ID )->ID;
		wp_set_current_user( $uid );
		$err = apply_filters( 'rest_authentication_errors', null );
	} else {
		$uid = apply_filters( 'determine_current_user', false );
		wp_set_current_user( (int) $uid );
		$err = apply_filters( 'rest_authentication_errors', null );
	}
	$res  = rest_do_request( new WP_REST_Request( 'GET', '/wp/v2/posts' ) );
	$json = wp_json_encode( rest_get_server()->response_to_data( $res, false ) );
	$dt   = wpoa_bench_cpu() - $t;
	$want = 'anonymous' === $mode ? 0 : (int) get_user_by( 'login', $login )->ID;
	if ( is_wp_error( $err ) || 200 !== $res->get_status() || (int) $uid !== $want || '' === $json ) {
		throw new RuntimeException( "dispatch $mode: user $uid, status " . $res->get_status() );
	}
	return $dt / 1000;
};
$modes = array( 'anonymous', 'user_without_auth', 'bearer' );
if ( '' !== $app ) {
	$modes[] = 'app_password';
}
$times = array_fill_keys( $modes, array() );
for ( $i = 0; $i < 65; $i++ ) {
	foreach ( $modes as $mode ) {
		$us = $dispatch( $mode );
		if ( $i >= 5 ) {
			$times[ $mode ][] = $us;
		}
	}
}
foreach ( $times as $mode => $list ) {
	sort( $list );
	$out[ 'dispatch_posts_' . $mode ] = round( $list[ intdiv( count( $list ), 2 ) ], 1 );
}
echo wp_json_encode( $out ), "\n";
