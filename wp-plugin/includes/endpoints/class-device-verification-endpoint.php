<?php
/**
 * The device verification page: wp-login.php?action=oauth_device (RFC 8628 §3.3).
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Where a person completes a device authorization (RFC 8628 §3.3): a first-party screen on
 * wp-login.php like the consent screen, so login plugins, login-URL plugins and page-cache
 * exclusion apply to it as to core's login. wp-login.php fires `login_form_oauth_device`, where
 * serve() answers and exits.
 *
 * Steps:
 * 1. not logged in → WordPress's login, back here afterwards (with the `user_code` kept);
 * 2. GET → a form to type the user code. `verification_uri_complete` (`?user_code=…`, RFC 8628
 *    §3.3.1) only fills the field in: nothing is ever approved by a GET;
 * 3. POST `wpoa_step=lookup` (nonce) → the typed code is normalised (case, dashes and spaces
 *    ignored) and looked up among pending, unexpired requests. Failures are counted per IP and
 *    per user (transients shared by every node; a success does not reset them, RFC 8628 §5.1);
 *    past the limit (default 10 per IP and 5 per user in 15 minutes, filter
 *    `wpoa_device_user_code_limits`) every lookup answers 429 without looking. Found → the
 *    consent screen: the client, the scopes, Approve and Deny;
 * 4. POST `wpoa_step=decide` (nonce bound to the user code, so only someone who looked it up can
 *    decide) → approve or deny, once (Device_Code_Repository::decide); the device learns the
 *    outcome on its next poll. Actions `wpoa_device_approved` / `wpoa_device_denied`.
 * A user whom the `wpoa_user_can_authorize` filter refuses, or who is not a member of the site,
 * cannot approve. Every page is sent with `X-Frame-Options: DENY`,
 * `Content-Security-Policy: frame-ancestors 'none'` and `Cache-Control: no-store`.
 */
final class Device_Verification_Endpoint {

	/** Name of the user-code field (and of the `verification_uri_complete` parameter). */
	const CODE_FIELD = 'user_code';

	/** Name of the step field: `lookup` or `decide`. */
	const STEP_FIELD = 'wpoa_step';

	/** Transient key prefixes of the failure counters. */
	const PREFIX_IP   = 'wpoa_devfail_ip_';
	const PREFIX_USER = 'wpoa_devfail_u_';

	/**
	 * The brute-force limits of user-code entry.
	 *
	 * @return array{per_ip:int, per_user:int, window:int} Failed lookups allowed, and the window in seconds.
	 */
	public static function limits(): array {
		/**
		 * Filters how many wrong user codes may be typed on the device verification page.
		 *
		 * @param array $limits {per_ip: 10, per_user: 5, window: 900 (seconds)}.
		 */
		$l = (array) apply_filters(
			'wpoa_device_user_code_limits',
			array(
				'per_ip'   => 10,
				'per_user' => 5,
				'window'   => 15 * MINUTE_IN_SECONDS,
			)
		);
		return array(
			'per_ip'   => max( 1, (int) ( $l['per_ip'] ?? 10 ) ),
			'per_user' => max( 1, (int) ( $l['per_user'] ?? 5 ) ),
			'window'   => max( 60, (int) ( $l['window'] ?? 900 ) ),
		);
	}

	/**
	 * Answers the request and exits (runs inside wp-login.php).
	 */
	public function serve(): void {
		self::send_security_headers();
		$method = isset( $_SERVER['REQUEST_METHOD'] ) ? strtoupper( (string) $_SERVER['REQUEST_METHOD'] ) : 'GET'; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- compared only.
		if ( 'POST' === $method ) {
			// phpcs:ignore WordPress.Security.NonceVerification.Missing -- decide_post() verifies the nonce.
			$result = $this->decide_post( wp_unslash( $_POST ), get_current_user_id(), Client_Authenticator::client_ip() );
		} else {
			// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- only fills a form field in.
			$typed  = isset( $_GET[ self::CODE_FIELD ] ) && is_string( $_GET[ self::CODE_FIELD ] ) ? (string) wp_unslash( $_GET[ self::CODE_FIELD ] ) : '';
			$result = $this->decide_get( $typed, get_current_user_id() );
		}
		$this->emit( $result );
		exit;
	}

	/**
	 * What to answer to a GET.
	 *
	 * @param string $typed   The `user_code` query parameter, or ''.
	 * @param int    $user_id Logged-in user or 0.
	 * @return array Result: {kind: 'login', location} | {kind: 'form', status, user_code, error}
	 *               | {kind: 'error', status, message}.
	 */
	public function decide_get( string $typed, int $user_id ): array {
		if ( ! Https_Policy::allows_request() ) {
			return self::message( 'error', Https_Policy::error()->getMessage(), 400 );
		}
		$code  = Device_Code_Repository::normalize_user_code( $typed );
		$shown = null !== $code ? Device_Code_Repository::format_user_code( $code ) : '';
		if ( $user_id <= 0 ) {
			$back = '' !== $shown ? add_query_arg( self::CODE_FIELD, rawurlencode( $shown ), Urls::device_verification_uri() ) : Urls::device_verification_uri();
			return array(
				'kind'     => 'login',
				'location' => wp_login_url( $back ),
			);
		}
		return self::form( $shown, '', 200 );
	}

	/**
	 * What to answer to a form submission.
	 *
	 * @param array  $post    wp_unslash'ed $_POST.
	 * @param int    $user_id Logged-in user or 0.
	 * @param string $ip      The peer's IP ('' when unknown).
	 * @return array Result: as decide_get(), or {kind: 'consent', status, row, client, user, user_code, nonce}
	 *               | {kind: 'done', status, message}.
	 */
	public function decide_post( array $post, int $user_id, string $ip ): array {
		if ( ! Https_Policy::allows_request() ) {
			return self::message( 'error', Https_Policy::error()->getMessage(), 400 );
		}
		if ( $user_id <= 0 ) {
			return array(
				'kind'     => 'login',
				'location' => wp_login_url( Urls::device_verification_uri() ),
			);
		}
		$field = static function ( string $name ) use ( $post ): string {
			return isset( $post[ $name ] ) && is_string( $post[ $name ] ) ? $post[ $name ] : '';
		};
		$typed = $field( self::CODE_FIELD );
		$nonce = $field( Authorize_Endpoint::NONCE_FIELD );
		try {
			if ( 'decide' === $field( self::STEP_FIELD ) ) {
				return $this->decide_form( $typed, $nonce, $field( Authorize_Endpoint::DECISION_FIELD ), $user_id );
			}
			return $this->lookup( $typed, $nonce, $user_id, $ip );
		} catch ( Storage_Unavailable $e ) {
			return self::message( 'error', $e->getMessage(), 503 );
		}
	}

	/**
	 * Step 3: looks the typed code up, within the brute-force limits.
	 *
	 * @param string $typed   What the user typed.
	 * @param string $nonce   The form's nonce.
	 * @param int    $user_id Logged-in user.
	 * @param string $ip      Peer IP.
	 * @return array Result.
	 * @throws Storage_Unavailable When the database did not answer.
	 */
	private function lookup( string $typed, string $nonce, int $user_id, string $ip ): array {
		if ( '' === $nonce || ! wp_verify_nonce( $nonce, 'wpoa_device_lookup' ) ) {
			return self::form( '', __( 'This form has expired. Type the code again.', 'wp-oauth' ), 403 );
		}
		$retry = self::retry_after( $user_id, $ip );
		if ( $retry > 0 ) {
			/**
			 * Fires when a user-code lookup is refused because of too many wrong codes.
			 *
			 * @param int    $user_id User.
			 * @param string $ip      Peer IP (REMOTE_ADDR).
			 */
			do_action( 'wpoa_device_user_code_locked', $user_id, $ip );
			return self::form( '', __( 'Too many wrong codes. Wait a few minutes, then try again.', 'wp-oauth' ), 429 );
		}
		$code = Device_Code_Repository::normalize_user_code( $typed );
		$row  = null !== $code ? Device_Code_Repository::find_pending_by_user_code( $code ) : null;
		if ( null === $row ) {
			self::record_failure( $user_id, $ip );
			return self::form( '', __( 'That code is not valid, or it has expired. Check the code shown on your device.', 'wp-oauth' ), 400 );
		}
		$client = self::client_for( $row, $user_id );
		if ( is_array( $client ) ) {
			return $client;
		}
		return array(
			'kind'      => 'consent',
			'status'    => 200,
			'row'       => $row,
			'client'    => $client,
			'user'      => get_userdata( $user_id ),
			'user_code' => Device_Code_Repository::format_user_code( $code ),
			'nonce'     => wp_create_nonce( self::decide_action( $code ) ),
		);
	}

	/**
	 * Step 4: records the decision.
	 *
	 * @param string $typed    The user code (hidden field).
	 * @param string $nonce    The form's nonce (bound to the code).
	 * @param string $decision `approve` or `deny`.
	 * @param int    $user_id  Logged-in user.
	 * @return array Result.
	 * @throws Storage_Unavailable When the database did not answer.
	 */
	private function decide_form( string $typed, string $nonce, string $decision, int $user_id ): array {
		$code = Device_Code_Repository::normalize_user_code( $typed );
		if ( null === $code || '' === $nonce || ! wp_verify_nonce( $nonce, self::decide_action( $code ) ) ) {
			return self::message( 'error', __( 'This approval form has expired or was changed. Type the code again.', 'wp-oauth' ), 403 );
		}
		if ( 'approve' !== $decision && 'deny' !== $decision ) {
			return self::message( 'error', __( 'Choose Approve or Deny.', 'wp-oauth' ), 400 );
		}
		$row = Device_Code_Repository::find_pending_by_user_code( $code );
		if ( null === $row ) {
			return self::message( 'error', __( 'This code has already been used or has expired. Start again on your device.', 'wp-oauth' ), 400 );
		}
		$client = self::client_for( $row, $user_id );
		if ( is_array( $client ) ) {
			return $client;
		}
		$status = 'approve' === $decision ? 'approved' : 'denied';
		if ( ! Device_Code_Repository::decide( (int) $row->id, $status, $user_id, self::auth_time() ) ) {
			return self::message( 'error', __( 'This code has already been used or has expired. Start again on your device.', 'wp-oauth' ), 400 );
		}
		if ( 'approved' === $status ) {
			/**
			 * Fires when a user approves a device authorization on the verification page.
			 *
			 * @param string $client_id Client.
			 * @param int    $user_id   User.
			 * @param string $scope     Approved scope.
			 */
			do_action( 'wpoa_device_approved', $client->client_id, $user_id, (string) $row->scope );
			return self::message( 'done', __( 'Done. Go back to your device: it is now connected.', 'wp-oauth' ), 200 );
		}
		/**
		 * Fires when a user denies a device authorization on the verification page.
		 *
		 * @param string $client_id Client.
		 * @param int    $user_id   User.
		 * @param string $scope     Requested scope.
		 */
		do_action( 'wpoa_device_denied', $client->client_id, $user_id, (string) $row->scope );
		return self::message( 'done', __( 'Access denied. The device will not be connected.', 'wp-oauth' ), 200 );
	}

	/**
	 * The client of a pending device request, when this user may decide on it; otherwise the error
	 * result that says why not (the client is gone, the user is not a member of this site, or
	 * `wpoa_user_can_authorize` refuses).
	 *
	 * @param object $row     Pending device code row.
	 * @param int    $user_id User.
	 * @return Client|array Client, or an error result.
	 */
	private static function client_for( object $row, int $user_id ): Client|array {
		$client = Client_Repository::find( (string) $row->client_id );
		if ( null === $client ) {
			return self::message( 'error', __( 'The application that asked for this code is no longer registered.', 'wp-oauth' ), 400 );
		}
		$scope = (string) $row->scope;
		$user  = get_userdata( $user_id );
		if ( ! $user || ( is_multisite() && ! Network::user_belongs( (int) $user_id ) ) ) {
			return self::message( 'error', __( 'You are not a member of this site.', 'wp-oauth' ), 403 );
		}
		/** This filter is documented in includes/endpoints/class-authorize-endpoint.php */
		if ( ! apply_filters( 'wpoa_user_can_authorize', true, $user, $client, $scope ) ) {
			return self::message( 'error', __( 'You may not authorize applications on this site.', 'wp-oauth' ), 403 );
		}
		return $client;
	}

	/**
	 * The nonce action of the decision form: bound to the user code (its keyed hash).
	 *
	 * @param string $code Normalised user code.
	 * @return string
	 */
	private static function decide_action( string $code ): string {
		return 'wpoa_device_decide|' . Device_Code_Repository::user_code_hash( $code );
	}

	/**
	 * Seconds until user-code lookups are allowed again for this user or IP (0 = allowed).
	 *
	 * @param int    $user_id User.
	 * @param string $ip      Peer IP or ''.
	 * @return int
	 */
	public static function retry_after( int $user_id, string $ip ): int {
		$limits = self::limits();
		return Failure_Counter::retry_after(
			self::counter_keys( $user_id, $ip ),
			array(
				'ip'   => $limits['per_ip'],
				'user' => $limits['per_user'],
			),
			$limits['window']
		);
	}

	/**
	 * Counts one wrong user code for the user and the IP.
	 *
	 * @param int    $user_id User.
	 * @param string $ip      Peer IP or ''.
	 */
	public static function record_failure( int $user_id, string $ip ): void {
		Failure_Counter::record( self::counter_keys( $user_id, $ip ), self::limits()['window'] );
		/**
		 * Fires when a wrong or expired user code is typed on the device verification page.
		 * The typed code is not passed.
		 *
		 * @param int    $user_id User.
		 * @param string $ip      Peer IP (REMOTE_ADDR).
		 */
		do_action( 'wpoa_device_user_code_failed', $user_id, $ip );
	}

	/**
	 * Transient keys of the counters that apply.
	 *
	 * @param int    $user_id User.
	 * @param string $ip      IP or ''.
	 * @return array<string,string> `ip` and/or `user` => key.
	 */
	private static function counter_keys( int $user_id, string $ip ): array {
		$keys = array( 'user' => self::PREFIX_USER . $user_id );
		if ( '' !== $ip ) {
			$keys['ip'] = self::PREFIX_IP . md5( $ip );
		}
		return $keys;
	}

	/**
	 * The code-entry form result.
	 *
	 * @param string $shown  Code to fill in ('' for none).
	 * @param string $error  Translated error, or ''.
	 * @param int    $status HTTP status.
	 * @return array
	 */
	private static function form( string $shown, string $error, int $status ): array {
		return array(
			'kind'      => 'form',
			'status'    => $status,
			'user_code' => $shown,
			'error'     => $error,
			'nonce'     => wp_create_nonce( 'wpoa_device_lookup' ),
		);
	}

	/**
	 * A message page result.
	 *
	 * @param string $kind    `error` or `done`.
	 * @param string $message Translated message.
	 * @param int    $status  HTTP status.
	 * @return array
	 */
	private static function message( string $kind, string $message, int $status ): array {
		return array(
			'kind'    => $kind,
			'status'  => $status,
			'message' => $message,
		);
	}

	/**
	 * When the current user logged in (their session's login time).
	 *
	 * @return int Unix seconds; now when unknown.
	 */
	private static function auth_time(): int {
		$token = function_exists( 'wp_get_session_token' ) ? wp_get_session_token() : '';
		if ( '' !== $token ) {
			$session = \WP_Session_Tokens::get_instance( get_current_user_id() )->get( $token );
			if ( is_array( $session ) && isset( $session['login'] ) ) {
				return (int) $session['login'];
			}
		}
		return time();
	}

	/**
	 * Anti-framing and no-store headers for every answer of this page.
	 */
	private static function send_security_headers(): void {
		if ( headers_sent() ) {
			return;
		}
		header( 'X-Frame-Options: DENY', true );
		header( "Content-Security-Policy: frame-ancestors 'none'", true );
		header( 'Cache-Control: no-store, no-cache, must-revalidate, max-age=0', true );
		header( 'Referrer-Policy: no-referrer', true );
	}

	/**
	 * Sends a result (serve() exits afterwards).
	 *
	 * @param array $result From decide_get() / decide_post().
	 */
	public function emit( array $result ): void {
		if ( 'login' === $result['kind'] ) {
			wp_safe_redirect( $result['location'] );
			return;
		}
		status_header( (int) $result['status'] );
		switch ( $result['kind'] ) {
			case 'form':
				Authorize_Endpoint::render( 'device-code', $result );
				return;
			case 'consent':
				Authorize_Endpoint::render( 'device-consent', $result );
				return;
			default:
				Authorize_Endpoint::render( 'device-done', $result );
		}
	}
}
