<?php
/**
 * Stack benchmark set-up, run inside the site by scripts/wp-eval.php (see bench.py): for each
 * user in WPOA_BENCH_USERS (logins, comma-separated; default "admin,subscriber") an Application
 * Password (older bench ones are deleted first: core checks every application password of a
 * user in turn, so leftovers would slow the Application Password scenarios down) and, when the
 * plugin's classes are there, an active grant of a public bench client and an RFC 9068 access
 * token for the same user (scope from WPOA_BENCH_SCOPE, default "read").
 * Prints one JSON object on stdout. Never prints anything else (bench.py parses it).
 */

$wpoa_bench_logins = array_filter( array_map( 'trim', explode( ',', getenv( 'WPOA_BENCH_USERS' ) ?: 'admin,subscriber' ) ) );
$wpoa_bench_out    = array(
	'users'           => array(),
	'client_id'       => null,
	'redirect_uri'    => 'https://localhost/wpoa-bench/callback',
	'extension'       => function_exists( 'wp_oauth_version' ) ? wp_oauth_version() : null,
	'plugin_problem'  => class_exists( '\Wpoa\Plugin' ) ? \Wpoa\Plugin::extension_problem() : 'plugin not loaded',
	'has_code_repo'   => class_exists( '\Wpoa\Code_Repository' ),
	'has_token_route' => false,
	'has_bearer_auth' => class_exists( '\Wpoa\Bearer_Authenticator' ),
	'autoload_jwks'   => null,
);
$wpoa_bench_plugin = null === $wpoa_bench_out['plugin_problem'] && class_exists( '\Wpoa\Token_Issuer' );
if ( $wpoa_bench_plugin ) {
	$client_id = 'wpoa-bench-client';
	$client    = \Wpoa\Client_Repository::find( $client_id );
	if ( ! $client ) {
		$client = \Wpoa\Client_Repository::insert(
			array(
				'client_id'                  => $client_id,
				'token_endpoint_auth_method' => 'none',
				'redirect_uris'              => array( $wpoa_bench_out['redirect_uri'] ),
				'metadata'                   => array(
					'client_name'    => 'WP OAuth benchmark',
					'grant_types'    => array( 'authorization_code', 'refresh_token' ),
					'response_types' => array( 'code' ),
					'scope'          => 'read write full',
				),
			)
		);
	}
	if ( ! $client ) {
		throw new RuntimeException( 'could not create the bench client' );
	}
	$wpoa_bench_out['client_id'] = $client_id;
	$routes                      = rest_get_server()->get_routes();
	$wpoa_bench_out['has_token_route'] = isset( $routes[ '/' . \Wpoa\Plugin::REST_NAMESPACE . '/token' ] );
}

foreach ( $wpoa_bench_logins as $login ) {
	$user = get_user_by( 'login', $login );
	if ( ! $user ) {
		throw new RuntimeException( "no user $login" );
	}
	foreach ( WP_Application_Passwords::get_user_application_passwords( $user->ID ) as $item ) {
		if ( 'wpoa-bench' === $item['name'] ) {
			WP_Application_Passwords::delete_application_password( $user->ID, $item['uuid'] );
		}
	}
	$created = WP_Application_Passwords::create_new_application_password( $user->ID, array( 'name' => 'wpoa-bench' ) );
	if ( is_wp_error( $created ) ) {
		throw new RuntimeException( 'application password: ' . $created->get_error_message() );
	}
	$entry = array(
		'id'                => (int) $user->ID,
		'app_password'      => $created[0],
		'app_passwords'     => count( WP_Application_Passwords::get_user_application_passwords( $user->ID ) ),
		'bearer'            => null,
	);
	if ( $wpoa_bench_plugin ) {
		$scope    = getenv( 'WPOA_BENCH_SCOPE' ) ?: 'read';
		$audience = \Wpoa\Urls::audience();
		$now      = time();
		$grant_id = \Wpoa\Grant_Repository::create( $wpoa_bench_out['client_id'], (int) $user->ID, $scope, $audience, $now );
		if ( $grant_id <= 0 ) {
			throw new RuntimeException( 'could not create the bench grant' );
		}
		$access              = \Wpoa\Token_Issuer::access_token( $wpoa_bench_out['client_id'], (int) $user->ID, $scope, $grant_id, $audience, $now );
		$entry['bearer']     = $access['token'];
		$entry['bearer_exp'] = $access['exp'];
		$entry['grant_id']   = $grant_id;
		$entry['scope']      = $scope;
	}
	$wpoa_bench_out['users'][ $login ] = $entry;
}
if ( $wpoa_bench_plugin ) {
	// After minting (the first token creates the signing key and the public JWKS option).
	global $wpdb;
	$wpoa_bench_out['autoload_jwks'] = $wpdb->get_var( $wpdb->prepare( "SELECT autoload FROM {$wpdb->options} WHERE option_name = %s", \Wpoa\Keys::OPTION_JWKS ) );
}
echo wp_json_encode( $wpoa_bench_out ), "\n";
