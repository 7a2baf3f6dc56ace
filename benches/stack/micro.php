<?php
/**
 * Micro-benchmark of the extension calls on the bearer and client-authentication paths, run in
 * the PHP CLI with the extension (bench.py: php -n -d extension=.../libwp_oauth.so micro.php).
 * Prints one JSON object. Each figure is the median over batches of the mean time per call,
 * in microseconds (hrtime). A CLI process stands in for one php-fpm worker: the extension's
 * caches are per process.
 *
 *  - jwt_decode_first_us: verification of tokens this process has not seen (each token once;
 *    the JWKS string is the same every time, so only the token is new);
 *  - jwt_decode_repeat_us: verification of a token this process verified before;
 *  - secret_verify_us: a generated client secret (32 random bytes, base64url) against its
 *    stored PHC hash; secret_verify_wrong_us: a wrong secret of the same length.
 */

if ( ! function_exists( 'wp_oauth_jwt_decode' ) ) {
	fwrite( STDERR, "the wp_oauth extension is not loaded\n" );
	exit( 1 );
}

/**
 * Median over batches of the mean µs per call of $fn($i).
 *
 * @param callable $fn      Called with a running index.
 * @param int      $batches Number of batches.
 * @param int      $per     Calls per batch.
 * @return float
 */
function wpoa_bench_time( callable $fn, int $batches, int $per ): float {
	$means = array();
	$i     = 0;
	for ( $b = 0; $b < $batches; $b++ ) {
		$t = hrtime( true );
		for ( $k = 0; $k < $per; $k++ ) {
			$fn( $i++ );
		}
		$means[] = ( hrtime( true ) - $t ) / 1000 / $per;
	}
	sort( $means );
	return round( $means[ intdiv( count( $means ), 2 ) ], 3 );
}

$out = array(
	'extension' => wp_oauth_version(),
	'php'       => PHP_VERSION,
);

$stats0 = function_exists( 'wp_oauth_cache_stats' ) ? wp_oauth_cache_stats() : null;
foreach ( array( 'ES256', 'EdDSA' ) as $alg ) {
	$jwk  = wp_oauth_key_generate( $alg );
	$jwks = wp_oauth_jwks( array( $jwk ) );
	$iss  = 'https://localhost:8943';
	$aud  = 'https://localhost:8943/wp-json/';
	$now  = time();
	$n    = 2000;
	$toks = array();
	$t0   = hrtime( true );
	for ( $i = 0; $i < $n; $i++ ) {
		$toks[] = wp_oauth_jwt_encode(
			array(
				'iss'       => $iss,
				'sub'       => '1',
				'aud'       => $aud,
				'client_id' => 'wpoa-bench-client',
				'scope'     => 'read',
				'jti'       => wp_oauth_random_token( 16 ),
				'iat'       => $now,
				'exp'       => $now + 3600,
				'auth_time' => $now,
				'grant_id'  => '1',
			),
			$jwk,
			array( 'typ' => 'at+jwt' )
		);
	}
	$encode = ( hrtime( true ) - $t0 ) / 1000 / $n;
	$opts   = array( 'iss' => $iss, 'aud' => $aud, 'typ' => 'at+jwt' );
	// Prime the key-set cache with a token that is not used below.
	$extra = wp_oauth_jwt_encode( array( 'iss' => $iss, 'aud' => $aud, 'sub' => '1', 'exp' => $now + 3600 ), $jwk, array( 'typ' => 'at+jwt' ) );
	wp_oauth_jwt_decode( $extra, $jwks, $opts );
	$first  = wpoa_bench_time( static function ( $i ) use ( $toks, $jwks, $opts ) {
		wp_oauth_jwt_decode( $toks[ $i ], $jwks, $opts );
	}, 20, intdiv( $n, 20 ) );
	$same   = $toks[0];
	$repeat = wpoa_bench_time( static function ( $i ) use ( $same, $jwks, $opts ) {
		wp_oauth_jwt_decode( $same, $jwks, $opts );
	}, 50, 400 );
	$claims = wp_oauth_jwt_decode( $same, $jwks, $opts );
	// A tampered copy of a cached token must still be refused (the cache must not hide it).
	$parts     = explode( '.', $same );
	$parts[1]  = rtrim( strtr( base64_encode( str_replace( '"sub":"1"', '"sub":"2"', json_encode( $claims ) ) ), '+/', '-_' ), '=' );
	$tampered  = implode( '.', $parts );
	$refused   = false;
	try {
		wp_oauth_jwt_decode( $tampered, $jwks, $opts );
	} catch ( \Throwable $e ) {
		$refused = get_class( $e );
	}
	$out['jwt'][ $alg ] = array(
		'encode_us'            => round( $encode, 3 ),
		'decode_first_us'      => $first,
		'decode_repeat_us'     => $repeat,
		'first_over_repeat'    => $repeat > 0 ? round( $first / $repeat, 1 ) : null,
		'tampered_refused_by'  => $refused,
		'claims_sub'           => $claims['sub'] ?? null,
	);
}
$out['cache_stats_before'] = $stats0;
$out['cache_stats_after']  = function_exists( 'wp_oauth_cache_stats' ) ? wp_oauth_cache_stats() : null;

$secret = wp_oauth_random_token( 32 );
$hash   = wp_oauth_secret_hash( $secret );
$wrong  = wp_oauth_random_token( 32 );
if ( ! wp_oauth_secret_verify( $secret, $hash ) || wp_oauth_secret_verify( $wrong, $hash ) ) {
	fwrite( STDERR, "secret_verify gives wrong answers\n" );
	exit( 1 );
}
$out['secret'] = array(
	'hash_format'      => explode( '$', $hash )[1] ?? '',
	'verify_us'        => wpoa_bench_time( static function () use ( $secret, $hash ) {
		wp_oauth_secret_verify( $secret, $hash );
	}, 30, 200 ),
	'verify_wrong_us'  => wpoa_bench_time( static function () use ( $wrong, $hash ) {
		wp_oauth_secret_verify( $wrong, $hash );
	}, 30, 200 ),
	'hash_us'          => wpoa_bench_time( static function () use ( $secret ) {
		wp_oauth_secret_hash( $secret );
	}, 10, 20 ),
);
$verifier    = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'; // RFC 7636 Appendix B.
$challenge   = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
$out['misc'] = array(
	'pkce_verify_us'  => wpoa_bench_time( static function () use ( $verifier, $challenge ) {
		wp_oauth_pkce_verify( $verifier, $challenge, 'S256' );
	}, 30, 500 ),
	'token_hash_us'   => wpoa_bench_time( static function () use ( $secret ) {
		wp_oauth_token_hash( $secret );
	}, 30, 500 ),
	'random_token_us' => wpoa_bench_time( static function () {
		wp_oauth_random_token( 32 );
	}, 30, 500 ),
);
echo json_encode( $out ), "\n";
