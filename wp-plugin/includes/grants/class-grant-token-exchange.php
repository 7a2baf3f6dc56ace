<?php
/**
 * grant_type=urn:ietf:params:oauth:grant-type:token-exchange (RFC 8693) for Application Passwords.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Trades one of this site's Application Passwords for an OAuth grant (access and refresh token),
 * so that a client that already holds one (the WordPress mobile apps, desktop editors) moves to
 * OAuth without sending the user through login and consent again.
 *
 * Request (RFC 8693 §2.1), after the token controller authenticated the client and checked that
 * it registered this grant type:
 * - `subject_token` (required): `<user login or email>:<application password>`, the same pair the
 *   client sends in HTTP Basic authentication (spaces in the password, as core shows it, are ignored);
 * - `subject_token_type` (required): exactly SUBJECT_TOKEN_TYPE;
 * - `scope` (optional): `read`, `write` and/or `full`, within the client's registered scope;
 *   default `read` (as at the authorization endpoint). `full` is the ceiling: an Application
 *   Password itself reaches everything the user can do;
 * - `requested_token_type` (optional): only `urn:ietf:params:oauth:token-type:access_token`;
 * - `resource` (checked by the controller) or `audience` (RFC 8693 §2.1): this site's API only;
 * - no `actor_token`: delegation is not offered.
 *
 * The Application Password is checked by core (wp_authenticate_application_password()), so its
 * hooks apply: `wp_is_application_passwords_available_for_user`, `wp_authenticate_application_password_errors`
 * (e.g. IP restrictions), `application_password_failed_authentication` (login-limiting plugins)
 * and `application_password_did_authenticate` (last used time and IP). It stays valid after the
 * exchange (see docs/decisions/application-password-exchange.md).
 *
 * Errors (RFC 8693 §2.2.2, RFC 6749 §5.2), nothing stored on any of them:
 * - missing or unknown `subject_token_type`, malformed `subject_token`, `actor_token`, another
 *   `requested_token_type` → 400 `invalid_request`;
 * - wrong, revoked or unknown Application Password, unknown user, Application Passwords disabled
 *   for the site or the user, a user who is not a member of this site → 400 `invalid_grant`
 *   (one description for every reason: no account oracle);
 * - too many failed passwords from one IP or for one login (the limits of failed client secrets,
 *   `wpoa_client_auth_limits`) → 429 `invalid_grant` with `Retry-After`, even for a right password;
 * - a scope wider than the client's registration or unknown → 400 `invalid_scope`;
 * - `audience` not this site's API → 400 `invalid_target`.
 * Plain HTTP was already refused by the controller (400 `invalid_request`), as core refuses
 * Application Passwords without HTTPS.
 *
 * Success: a new grant (origin recorded: `application_password` with the password's name and
 * uuid, shown in the user's authorized applications), RFC 8693 §2.2.1 body with
 * `issued_token_type: urn:ietf:params:oauth:token-type:access_token`, a refresh token when the
 * client registered `refresh_token`, DPoP binding when the request carried a proof. Fires
 * `wpoa_application_password_exchanged` and `wpoa_token_issued`.
 */
final class Grant_Token_Exchange implements Grant_Handler {

	/** The grant type (RFC 8693 §2.1). */
	const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';

	/** The subject token type of an Application Password (RFC 8693 §3: a URI under our control). */
	const SUBJECT_TOKEN_TYPE = 'urn:wp-oauth:params:oauth:token-type:application-password';

	/** The only token type issued (RFC 8693 §3). */
	const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

	/** Transient key prefixes of the failure counters. */
	const PREFIX_IP   = 'wpoa_xchgfail_ip_';
	const PREFIX_USER = 'wpoa_xchgfail_u_';

	/**
	 * @return string The token exchange URN.
	 */
	public function grant_type(): string {
		return self::GRANT_TYPE;
	}

	/**
	 * Handles an exchange.
	 *
	 * @param array<string,string> $params Form parameters.
	 * @param Client               $client The authenticated client.
	 * @return array<string,mixed> RFC 8693 §2.2.1 body: access_token, issued_token_type, token_type,
	 *                             expires_in, refresh_token?, scope.
	 * @throws OAuth_Error As described on the class.
	 */
	public function handle( array $params, Client $client ): array {
		$type = (string) ( $params['subject_token_type'] ?? '' );
		if ( '' === $type || ! isset( $params['subject_token'] ) || '' === (string) $params['subject_token'] ) {
			throw new OAuth_Error( 'invalid_request', __( 'The subject_token and subject_token_type parameters are required.', 'wp-oauth' ) );
		}
		if ( self::SUBJECT_TOKEN_TYPE !== $type ) {
			throw new OAuth_Error( 'invalid_request', __( 'This subject_token_type is not supported. Use urn:wp-oauth:params:oauth:token-type:application-password.', 'wp-oauth' ) );
		}
		if ( isset( $params['actor_token'] ) || isset( $params['actor_token_type'] ) ) {
			throw new OAuth_Error( 'invalid_request', __( 'Delegation (actor_token) is not supported.', 'wp-oauth' ) );
		}
		if ( isset( $params['requested_token_type'] ) && self::ACCESS_TOKEN_TYPE !== $params['requested_token_type'] ) {
			throw new OAuth_Error( 'invalid_request', __( 'Only an access token (urn:ietf:params:oauth:token-type:access_token) can be requested.', 'wp-oauth' ) );
		}
		if ( isset( $params['audience'] ) && ! Authorize_Endpoint::is_our_resource( (string) $params['audience'] ) ) {
			throw new OAuth_Error( 'invalid_target', __( 'The audience parameter must be this site\'s REST API address.', 'wp-oauth' ) );
		}
		$pair = (string) $params['subject_token'];
		$at   = strpos( $pair, ':' );
		if ( false === $at || 0 === $at || strlen( $pair ) > 1024 ) {
			throw new OAuth_Error( 'invalid_request', __( 'The subject_token must be "<user login>:<application password>".', 'wp-oauth' ) );
		}
		$login    = substr( $pair, 0, $at );
		$password = preg_replace( '/[^a-z\d]/i', '', substr( $pair, $at + 1 ) );
		$scope    = Authorize_Endpoint::resolve_scope( (string) ( $params['scope'] ?? '' ), $client );

		$ip    = Client_Authenticator::client_ip();
		$retry = self::retry_after( $login, $ip );
		if ( $retry > 0 ) {
			throw new OAuth_Error( 'invalid_grant', __( 'Too many failed attempts. Try again later.', 'wp-oauth' ), 429, array( 'Retry-After' => (string) $retry ) );
		}

		$found = self::authenticate( $login, (string) $password );
		if ( ! $found['user'] instanceof \WP_User ) {
			self::record_failure( $login, $ip );
			/**
			 * Fires when an Application Password could not be exchanged.
			 *
			 * @param string $client_id The client.
			 * @param string $reason    Core's error code (`incorrect_password`, `invalid_username`,
			 *                          `application_passwords_disabled`, …) or `not_member`.
			 * @param string $ip        The direct peer's IP.
			 */
			do_action( 'wpoa_application_password_exchange_failed', $client->client_id, $found['reason'], $ip );
			throw new OAuth_Error( 'invalid_grant', __( 'The Application Password is not valid for this site.', 'wp-oauth' ) );
		}
		$user = $found['user'];
		$item = $found['item'];

		$audience = Urls::audience();
		$now      = time();
		$origin   = array(
			'type' => 'application_password',
			'uuid' => (string) ( $item['uuid'] ?? '' ),
			'name' => (string) ( $item['name'] ?? '' ),
		);
		list( $grant_id, $access, $refresh ) = Grant_Repository::atomically(
			function () use ( $client, $user, $scope, $audience, $now, $origin ) {
				$grant_id = Grant_Repository::create( $client->client_id, (int) $user->ID, $scope, $audience, $now );
				if ( $grant_id <= 0 || ! Exchange_Repository::set_origin( $grant_id, $origin ) ) {
					throw new OAuth_Error( 'server_error', __( 'The grant could not be stored.', 'wp-oauth' ), 500 );
				}
				Dpop::bind_grant( $grant_id, $client );
				$access  = Token_Issuer::access_token( $client->client_id, (int) $user->ID, $scope, $grant_id, $audience, $now );
				$refresh = null;
				if ( in_array( 'refresh_token', $client->grant_types(), true ) ) {
					$grant   = Grant_Repository::find( $grant_id );
					$refresh = Refresh_Token_Repository::create( $grant_id, $client->client_id, $scope, $grant ? (int) $grant->expires_at : $now + Refresh_Token_Repository::lifetime() );
					if ( null === $refresh ) {
						throw new OAuth_Error( 'server_error', __( 'The refresh token could not be stored.', 'wp-oauth' ), 500 );
					}
				}
				return array( $grant_id, $access, $refresh );
			}
		);
		Client_Repository::mark_used( $client->client_id );

		/**
		 * Fires when an Application Password was exchanged for an OAuth grant.
		 *
		 * @param int    $user_id   The user.
		 * @param string $client_id The client.
		 * @param int    $grant_id  The new grant.
		 * @param string $uuid      The Application Password's uuid (it stays valid).
		 */
		do_action( 'wpoa_application_password_exchanged', (int) $user->ID, $client->client_id, $grant_id, $origin['uuid'] );
		/** This action is documented in includes/grants/class-grant-authorization-code.php */
		do_action( 'wpoa_token_issued', $client->client_id, (int) $user->ID, $grant_id, $access['jti'], self::GRANT_TYPE, null !== $refresh );

		$body = Token_Issuer::response( $access, $refresh, $scope );
		return array_merge( array( 'access_token' => $body['access_token'], 'issued_token_type' => self::ACCESS_TOKEN_TYPE ), $body );
	}

	/**
	 * Checks the login and Application Password through core, for this site.
	 *
	 * @param string $login    User login or email.
	 * @param string $password Application Password without spaces.
	 * @return array{user:?\WP_User, item:?array, reason:string}
	 */
	private static function authenticate( string $login, string $password ): array {
		$item    = null;
		$capture = static function ( $user, $entry ) use ( &$item ) {
			$item = $entry;
		};
		// Core checks Application Passwords only on API requests; this exchange is one. The plugin's
		// own filter keeps core away from client credentials at the token endpoint, so force it here.
		$force = '__return_true';
		add_filter( 'application_password_is_api_request', $force, PHP_INT_MAX );
		add_action( 'application_password_did_authenticate', $capture, 10, 2 );
		try {
			$result = wp_authenticate_application_password( null, $login, $password );
		} finally {
			remove_filter( 'application_password_is_api_request', $force, PHP_INT_MAX );
			remove_action( 'application_password_did_authenticate', $capture, 10 );
		}
		if ( ! $result instanceof \WP_User || null === $item ) {
			// Core reads the user and their passwords: a failed query is not a wrong password.
			Storage_Unavailable::check();
			return array(
				'user'   => null,
				'item'   => null,
				'reason' => is_wp_error( $result ) ? (string) $result->get_error_code() : 'not_checked',
			);
		}
		if ( is_multisite() && ! Network::user_belongs( (int) $result->ID ) ) {
			return array(
				'user'   => null,
				'item'   => null,
				'reason' => 'not_member',
			);
		}
		return array(
			'user'   => $result,
			'item'   => $item,
			'reason' => '',
		);
	}

	/**
	 * Seconds until failed exchanges from this IP or for this login may be tried again, 0 when not limited.
	 *
	 * @param string $login Login as sent.
	 * @param string $ip    Peer IP.
	 * @return int
	 */
	public static function retry_after( string $login, string $ip ): int {
		$limits = Client_Authenticator::limits();
		return Failure_Counter::retry_after(
			self::counter_keys( $login, $ip ),
			array(
				'ip'   => $limits['per_client_ip'],
				'user' => $limits['per_client'],
			),
			$limits['window']
		);
	}

	/**
	 * Counts one failed exchange against the IP and the login.
	 *
	 * @param string $login Login as sent.
	 * @param string $ip    Peer IP.
	 */
	private static function record_failure( string $login, string $ip ): void {
		Failure_Counter::record( self::counter_keys( $login, $ip ), Client_Authenticator::limits()['window'] );
	}

	/**
	 * @param string $login Login as sent.
	 * @param string $ip    Peer IP.
	 * @return array{ip?:string, user:string} Transient keys (hashed: no login or IP in option names).
	 */
	private static function counter_keys( string $login, string $ip ): array {
		$keys = array();
		if ( '' !== $ip ) {
			$keys['ip'] = self::PREFIX_IP . md5( $ip );
		}
		$keys['user'] = self::PREFIX_USER . md5( strtolower( $login ) );
		return $keys;
	}
}
