<?php
/**
 * Mints single-use credentials for the token endpoint benchmark, run inside the site by
 * scripts/wp-eval.php (see bench.py). Env:
 *   WPOA_BENCH_MINT   "code" (authorization codes, PKCE S256 with one known verifier) or
 *                     "refresh" (refresh tokens of one fresh grant)
 *   WPOA_BENCH_COUNT  how many
 *   WPOA_BENCH_FILE   output: one urlencoded token-request body per line
 *   WPOA_BENCH_CLIENT client_id (public client from setup.php); WPOA_BENCH_REDIRECT its redirect URI
 * Uses the plugin's repositories, one transaction for all inserts (minting is not measured).
 */

$kind      = (string) getenv( 'WPOA_BENCH_MINT' );
$count     = max( 1, (int) getenv( 'WPOA_BENCH_COUNT' ) );
$file      = (string) getenv( 'WPOA_BENCH_FILE' );
$client_id = (string) getenv( 'WPOA_BENCH_CLIENT' );
$redirect  = (string) getenv( 'WPOA_BENCH_REDIRECT' );
$user      = get_user_by( 'login', 'admin' );
$audience  = \Wpoa\Urls::audience();
$scope     = 'read';
$now       = time();
$lines     = array();
global $wpdb;

// RFC 7636 Appendix B: the verifier and its S256 challenge (a literal, not computed by the code under test).
$verifier  = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
$challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

$wpdb->query( 'START TRANSACTION' );
if ( 'code' === $kind ) {
	for ( $i = 0; $i < $count; $i++ ) {
		$code = \Wpoa\Code_Repository::create(
			array(
				'client_id'      => $client_id,
				'user_id'        => (int) $user->ID,
				'redirect_uri'   => $redirect,
				'code_challenge' => $challenge,
				'scope'          => $scope,
				'audience'       => $audience,
				'auth_time'      => $now,
			)
		);
		if ( null === $code ) {
			throw new RuntimeException( 'code insert failed' );
		}
		$lines[] = http_build_query(
			array(
				'grant_type'    => 'authorization_code',
				'code'          => $code,
				'redirect_uri'  => $redirect,
				'client_id'     => $client_id,
				'code_verifier' => $verifier,
			),
			'',
			'&',
			PHP_QUERY_RFC3986
		);
	}
} elseif ( 'refresh' === $kind ) {
	$grant_id = \Wpoa\Grant_Repository::create( $client_id, (int) $user->ID, $scope, $audience, $now );
	$grant    = \Wpoa\Grant_Repository::find( $grant_id );
	for ( $i = 0; $i < $count; $i++ ) {
		$token = \Wpoa\Refresh_Token_Repository::create( $grant_id, $client_id, $scope, (int) $grant->expires_at );
		if ( null === $token ) {
			throw new RuntimeException( 'refresh token insert failed' );
		}
		$lines[] = http_build_query(
			array(
				'grant_type'    => 'refresh_token',
				'refresh_token' => $token,
				'client_id'     => $client_id,
			),
			'',
			'&',
			PHP_QUERY_RFC3986
		);
	}
} else {
	throw new InvalidArgumentException( 'WPOA_BENCH_MINT must be code or refresh' );
}
$wpdb->query( 'COMMIT' );
file_put_contents( $file, implode( "\n", $lines ) . "\n" );
echo wp_json_encode( array( 'kind' => $kind, 'count' => count( $lines ) ) ), "\n";
