<?php
/**
 * The device authorization endpoint: POST /wp-json/wp-oauth/v1/device_authorization (RFC 8628 §3.1).
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Starts the device authorization grant (RFC 8628) for clients on devices without a
 * convenient browser (CLIs, TVs): answers a device code for the client to poll the token
 * endpoint with, and a short user code for a person to type on the site's verification page
 * (Device_Verification_Endpoint).
 *
 * Order of checks and their errors (RFC 8628 §3.1: the client authenticates as at the token
 * endpoint; §3.2 / RFC 6749 §5.2 error format):
 * 1. plain HTTP → 400 `invalid_request` (Https_Policy);
 * 2. any method but POST, or a body that is not `application/x-www-form-urlencoded`, or a
 *    parameter given twice → 400 `invalid_request`;
 * 3. client authentication → 401 `invalid_client` / 429 (Client_Authenticator), as at /token;
 * 4. the client did not register `urn:ietf:params:oauth:grant-type:device_code` → 400 `unauthorized_client`;
 * 5. unknown scopes or scopes beyond the client's registered `scope` → 400 `invalid_scope`;
 * 6. a `resource` (RFC 8707) that is not this site's API → 400 `invalid_target`;
 * 7. too many device requests started by this client or from this IP within the window (filter
 *    `wpoa_device_request_limits`, default 60 per client and IP, 300 per IP, 1,000 per client
 *    in 600 s) → 429 `temporarily_unavailable` with `Retry-After` (seconds). RFC 8628 §5.2 leaves
 *    the protection of the endpoint to the server: every request stores a row and a user code,
 *    and a flood would both fill the table and raise the odds of a guessed user code.
 * 8. the database refused the row → 503 `temporarily_unavailable` / 500 `server_error`.
 *
 * Success (RFC 8628 §3.2), 200 with `Cache-Control: no-store`:
 * `{device_code, user_code ("XXXX-XXXX"), verification_uri, verification_uri_complete,
 * expires_in (seconds), interval (seconds)}`; action `wpoa_device_authorization_started`.
 */
final class Device_Authorization_Controller {

	/** The `grant_type` of the token request that redeems a device code (RFC 8628 §3.4). */
	const GRANT_TYPE = Client_Metadata::DEVICE_CODE_GRANT;

	/** Transient key prefixes of the request counters (Failure_Counter). */
	const PREFIX_CLIENT_IP = 'wpoa_devreq_cip_';
	const PREFIX_IP        = 'wpoa_devreq_ip_';
	const PREFIX_CLIENT    = 'wpoa_devreq_c_';

	/**
	 * Registers /device_authorization for every method, so that a wrong method is answered in RFC format.
	 */
	public function register_routes(): void {
		register_rest_route(
			Plugin::REST_NAMESPACE,
			'/device_authorization',
			array(
				'methods'             => \WP_REST_Server::ALLMETHODS,
				'callback'            => array( $this, 'handle' ),
				'permission_callback' => '__return_true', // Clients are authenticated in handle() (RFC 6749 §2.3).
			)
		);
	}

	/**
	 * Answers a device authorization request.
	 *
	 * @param \WP_REST_Request $request The request.
	 * @return \WP_REST_Response RFC 8628 §3.2 success or RFC 6749 §5.2 error.
	 */
	public function handle( \WP_REST_Request $request ): \WP_REST_Response {
		try {
			return OAuth_Error::json( self::process( $request ) );
		} catch ( OAuth_Error $e ) {
			return $e->to_response();
		}
	}

	/**
	 * The checks and the new request, as described on the class.
	 *
	 * @param \WP_REST_Request $request The request.
	 * @return array<string,mixed> RFC 8628 §3.2 body.
	 * @throws OAuth_Error On any error.
	 */
	public static function process( \WP_REST_Request $request ): array {
		Https_Policy::require_https();
		if ( 'POST' !== strtoupper( (string) $request->get_method() ) ) {
			throw new OAuth_Error( 'invalid_request', __( 'The device authorization endpoint accepts only POST requests (RFC 8628 §3.1).', 'wp-oauth' ) );
		}
		$params = Client_Authenticator::form_body_params( $request, __( 'The device authorization request must be sent as application/x-www-form-urlencoded (RFC 8628 §3.1).', 'wp-oauth' ) );
		$client = Client_Authenticator::authenticate( $request, $params );
		if ( ! in_array( self::GRANT_TYPE, $client->grant_types(), true ) ) {
			throw new OAuth_Error( 'unauthorized_client', __( 'This client is not registered for the device authorization grant.', 'wp-oauth' ) );
		}
		$scope = Authorize_Endpoint::resolve_scope( isset( $params['scope'] ) ? (string) $params['scope'] : '', $client );
		if ( isset( $params['resource'] ) && ! Authorize_Endpoint::is_our_resource( (string) $params['resource'] ) ) {
			throw new OAuth_Error( 'invalid_target', __( 'The resource parameter must be this site\'s REST API address.', 'wp-oauth' ) );
		}
		$ip     = isset( $_SERVER['REMOTE_ADDR'] ) ? (string) wp_unslash( $_SERVER['REMOTE_ADDR'] ) : ''; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- Hashed into a key, never printed.
		$limits = self::limits();
		$keys   = self::counter_keys( $client->client_id, $ip );
		$retry  = Failure_Counter::retry_after( $keys, $limits, $limits['window'] );
		if ( $retry > 0 ) {
			throw new OAuth_Error( 'temporarily_unavailable', __( 'Too many device authorization requests. Try again later.', 'wp-oauth' ), 429, array( 'Retry-After' => (string) $retry ) );
		}
		$codes = Device_Code_Repository::create( $client->client_id, $scope, Urls::audience() );
		if ( null === $codes ) {
			throw new OAuth_Error( 'server_error', __( 'The device authorization could not be stored. Try again.', 'wp-oauth' ), 500 );
		}
		Failure_Counter::record( $keys, $limits['window'] );
		$shown = Device_Code_Repository::format_user_code( $codes['user_code'] );
		/**
		 * Fires when a client starts a device authorization (RFC 8628 §3.1). No code is passed.
		 *
		 * @param string $client_id Client.
		 * @param string $scope     Requested scope.
		 */
		do_action( 'wpoa_device_authorization_started', $client->client_id, $scope );
		return array(
			'device_code'               => $codes['device_code'],
			'user_code'                 => $shown,
			'verification_uri'          => Urls::device_verification_uri(),
			'verification_uri_complete' => add_query_arg( 'user_code', rawurlencode( $shown ), Urls::device_verification_uri() ),
			'expires_in'                => $codes['expires_in'],
			'interval'                  => $codes['interval'],
		);
	}

	/**
	 * How many device requests may be started in a window.
	 *
	 * @return array{client_ip:int, ip:int, client:int, window:int} Counts, and the window in seconds.
	 */
	public static function limits(): array {
		/**
		 * Filters how many device authorization requests may be started (RFC 8628 §5.2).
		 *
		 * @param array $limits {client_ip: 60, ip: 300, client: 1000, window: 600 (seconds)}.
		 */
		$l = (array) apply_filters(
			'wpoa_device_request_limits',
			array(
				'client_ip' => 60,
				'ip'        => 300,
				'client'    => 1000,
				'window'    => 10 * MINUTE_IN_SECONDS,
			)
		);
		return array(
			'client_ip' => max( 1, (int) ( $l['client_ip'] ?? 60 ) ),
			'ip'        => max( 1, (int) ( $l['ip'] ?? 300 ) ),
			'client'    => max( 1, (int) ( $l['client'] ?? 1000 ) ),
			'window'    => max( 60, (int) ( $l['window'] ?? 600 ) ),
		);
	}

	/**
	 * The counters a device request is counted under.
	 *
	 * @param string $client_id Client.
	 * @param string $ip        Peer IP or ''.
	 * @return array<string,string> Kind => transient key.
	 */
	private static function counter_keys( string $client_id, string $ip ): array {
		$keys = array( 'client' => self::PREFIX_CLIENT . md5( $client_id ) );
		if ( '' !== $ip ) {
			$keys['ip']        = self::PREFIX_IP . md5( $ip );
			$keys['client_ip'] = self::PREFIX_CLIENT_IP . md5( $client_id . '|' . $ip );
		}
		return $keys;
	}
}
