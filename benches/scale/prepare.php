<?php
/**
 * Credentials for one phase of the scale benchmark, run inside the site by scripts/wp-eval.php
 * (benches/scale/measure.py). Minting is not measured. Env:
 *   WPOA_SCALE_COUNT  requests per operation (each code, refresh token and revoked token is used once)
 * Prints one JSON line: client (confidential, client_secret_basic), bearer and introspection
 * access tokens, codes, refresh tokens, refresh tokens to revoke (one grant each).
 */

$count    = max( 1, (int) getenv( 'WPOA_SCALE_COUNT' ) );
$user     = get_user_by( 'login', 'admin' );
$audience = \Wpoa\Urls::audience();
$scope    = 'read';
$now      = time();
$redirect = 'https://localhost/wpoa-scale/callback';
// RFC 7636 Appendix B: a verifier and its S256 challenge (literals, not computed by the code under test).
$verifier  = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
$challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

$client_id = 'wpoa-scale-' . strtolower( wp_generate_password( 8, false ) );
$secret    = \Wpoa\Crypto::random_token( 32 );
$client    = \Wpoa\Client_Repository::insert(
	array(
		'client_id'                  => $client_id,
		'client_secret_hash'         => \Wpoa\Crypto::secret_hash( $secret ),
		'token_endpoint_auth_method' => 'client_secret_basic',
		'redirect_uris'              => array( $redirect ),
		'metadata'                   => array(
			'client_name'    => 'WP OAuth scale benchmark',
			'grant_types'    => array( 'authorization_code', 'refresh_token' ),
			'response_types' => array( 'code' ),
			'scope'          => 'read write',
		),
	)
);
if ( ! $client ) {
	throw new RuntimeException( 'could not create the benchmark client' );
}

$access = static function () use ( $client_id, $user, $scope, $audience, $now ) {
	$grant_id = \Wpoa\Grant_Repository::create( $client_id, (int) $user->ID, $scope, $audience, $now );
	return \Wpoa\Token_Issuer::access_token( $client_id, (int) $user->ID, $scope, $grant_id, $audience, $now )['token'];
};
$refresh = static function () use ( $client_id, $user, $scope, $audience, $now ) {
	$grant_id = \Wpoa\Grant_Repository::create( $client_id, (int) $user->ID, $scope, $audience, $now );
	$grant    = \Wpoa\Grant_Repository::find( $grant_id );
	$token    = \Wpoa\Refresh_Token_Repository::create( $grant_id, $client_id, $scope, (int) $grant->expires_at );
	if ( null === $token ) {
		throw new RuntimeException( 'refresh token insert failed' );
	}
	return $token;
};

$out = array(
	'client_id'     => $client_id,
	'client_secret' => $secret,
	'redirect_uri'  => $redirect,
	'verifier'      => $verifier,
	'user_id'       => (int) $user->ID,
	'bearer'        => $access(),
	'introspect'    => $access(),
	'codes'         => array(),
	'refresh'       => array(),
	'revoke'        => array(),
);
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
	$out['codes'][]   = $code;
	$out['refresh'][] = $refresh();
	$out['revoke'][]  = $refresh();
}
echo wp_json_encode( $out ), "\n";
