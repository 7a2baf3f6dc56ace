<?php
/**
 * grant_type=urn:ietf:params:oauth:grant-type:device_code (RFC 8628 §3.4–3.5).
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Redeems a device code (RFC 8628 §3.4) once a person approved its user code on the
 * verification page; until then answers the polling errors of RFC 8628 §3.5.
 *
 * Checks, in order (every error is HTTP 400 in RFC 6749 §5.2 format):
 * - `device_code` missing → `invalid_request`;
 * - unknown, or issued to another client → `invalid_grant`;
 * - already redeemed, or the client was already told `access_denied` → `invalid_grant`
 *   (a device code is spent once approved and redeemed, or denied);
 * - expired (`expires_in`, default 600 s) → `expired_token`;
 * - denied by the user → `access_denied`, once; the code is spent;
 * - still pending:
 *   - polled sooner than the current interval after the previous poll (less JITTER_MS of
 *     tolerance) → `slow_down`, and the interval grows by 5 seconds for this and every later
 *     request (RFC 8628 §3.5); the description names the new interval;
 *   - otherwise → `authorization_pending`;
 * - approved: the code is spent (one conditional UPDATE inside the issuing transaction: of
 *   concurrent polls on any node one wins, the others get `invalid_grant`); the user must still exist and belong to the site
 *   (else `invalid_grant`); then a grant, an access token and (when the client registered the
 *   `refresh_token` grant type) a refresh token are issued in one transaction, exactly as for
 *   the authorization code flow, so the grant shows in the user's authorized applications.
 */
final class Grant_Device_Code implements Grant_Handler {

	/** Polls this much sooner than the interval are tolerated (network and timer jitter), in milliseconds. */
	const JITTER_MS = 800;

	/** Seconds added to the interval by each `slow_down` (RFC 8628 §3.5). */
	const SLOW_DOWN_STEP = 5;

	/** Largest interval `slow_down` grows to, in seconds. */
	const MAX_INTERVAL = 120;

	/**
	 * @return string `urn:ietf:params:oauth:grant-type:device_code`.
	 */
	public function grant_type(): string {
		return Client_Metadata::DEVICE_CODE_GRANT;
	}

	/**
	 * Handles a poll.
	 *
	 * @param array<string,string> $params Form parameters.
	 * @param Client               $client Authenticated client.
	 * @return array<string,mixed> RFC 6749 §5.1 body: access_token, token_type, expires_in, refresh_token?, scope.
	 * @throws OAuth_Error As listed on the class; `temporarily_unavailable` (503) when the database is away.
	 */
	public function handle( array $params, Client $client ): array {
		$device_code = isset( $params['device_code'] ) ? (string) $params['device_code'] : '';
		if ( '' === $device_code ) {
			throw new OAuth_Error( 'invalid_request', __( 'The device_code parameter is missing.', 'wp-oauth' ) );
		}
		$row = Device_Code_Repository::find_by_device_code( $device_code );
		if ( null === $row || ! hash_equals( (string) $row->client_id, $client->client_id ) ) {
			throw new OAuth_Error( 'invalid_grant', __( 'The device code is invalid.', 'wp-oauth' ) );
		}
		$status = (string) $row->status;
		if ( 'redeemed' === $status || 'spent' === $status ) {
			throw new OAuth_Error( 'invalid_grant', __( 'The device code has already been used.', 'wp-oauth' ) );
		}
		if ( (int) $row->expires_at <= time() ) {
			throw new OAuth_Error( 'expired_token', __( 'The device code has expired. Start again.', 'wp-oauth' ) );
		}
		if ( 'denied' === $status ) {
			if ( ! Device_Code_Repository::transition( (int) $row->id, 'denied', 'spent' ) ) {
				throw new OAuth_Error( 'invalid_grant', __( 'The device code has already been used.', 'wp-oauth' ) );
			}
			throw new OAuth_Error( 'access_denied', __( 'The user denied the request.', 'wp-oauth' ) );
		}
		if ( 'pending' === $status ) {
			$this->pending( $row );
		}
		if ( 'approved' !== $status ) {
			throw new OAuth_Error( 'invalid_grant', __( 'The device code is invalid.', 'wp-oauth' ) );
		}
		return $this->issue( $row, $client );
	}

	/**
	 * A poll before the user decided: `slow_down` when too soon, else `authorization_pending`.
	 *
	 * @param object $row Device code row.
	 * @throws OAuth_Error Always.
	 */
	private function pending( object $row ): void {
		$now_ms   = (int) floor( microtime( true ) * 1000 );
		$last_ms  = (int) $row->last_poll_ms;
		$interval = (int) $row->poll_interval;
		$too_soon = $last_ms > 0 && ( $now_ms - $last_ms ) < ( $interval * 1000 - self::JITTER_MS );
		if ( $too_soon ) {
			$interval = min( self::MAX_INTERVAL, $interval + self::SLOW_DOWN_STEP );
		}
		// A concurrent poll of the same code recorded first: this one is too soon by definition.
		if ( ! Device_Code_Repository::record_poll( (int) $row->id, $last_ms, $now_ms, $interval ) && ! $too_soon ) {
			$too_soon = true;
		}
		if ( $too_soon ) {
			/**
			 * Fires when a device client polls faster than its interval and is told to slow down.
			 *
			 * @param string $client_id Client.
			 * @param int    $interval  The new interval, in seconds.
			 */
			do_action( 'wpoa_device_slow_down', (string) $row->client_id, $interval );
			throw new OAuth_Error(
				'slow_down',
				sprintf(
					/* translators: %d: seconds. */
					__( 'Polling too fast: wait at least %d seconds between requests.', 'wp-oauth' ),
					$interval
				)
			);
		}
		throw new OAuth_Error( 'authorization_pending', __( 'The user has not yet approved the request.', 'wp-oauth' ) );
	}

	/**
	 * Issues the tokens of an approved, now spent, device code.
	 *
	 * @param object $row    Device code row (status was `approved`).
	 * @param Client $client Client.
	 * @return array<string,mixed> RFC 6749 §5.1 body.
	 * @throws OAuth_Error `invalid_grant` (the user is gone) or `server_error` (500).
	 */
	private function issue( object $row, Client $client ): array {
		$user_id = (int) $row->user_id;
		$user    = get_userdata( $user_id );
		if ( ! $user ) {
			// A failed lookup is not a deleted user (nothing is revoked on a database error).
			Storage_Unavailable::check();
		}
		if ( ! $user || ( is_multisite() && ! Network::user_belongs( (int) $user_id ) ) ) {
			throw new OAuth_Error( 'invalid_grant', __( 'The user who approved this device no longer has an account here.', 'wp-oauth' ) );
		}
		$scope     = (string) $row->scope;
		$audience  = '' !== (string) $row->audience ? (string) $row->audience : Urls::audience();
		$auth_time = (int) $row->auth_time;
		list( $grant_id, $access, $refresh ) = Grant_Repository::atomically(
			function () use ( $client, $row, $user_id, $scope, $audience, $auth_time ) {
				// Spending the code is part of the transaction: a failure below leaves it approved.
				if ( ! Device_Code_Repository::transition( (int) $row->id, 'approved', 'redeemed' ) ) {
					return array( 0, null, null );
				}
				$grant_id = Grant_Repository::create( $client->client_id, $user_id, $scope, $audience, $auth_time );
				if ( $grant_id <= 0 ) {
					throw new OAuth_Error( 'server_error', __( 'The grant could not be stored.', 'wp-oauth' ), 500 );
				}
				Device_Code_Repository::attach_grant( (int) $row->id, $grant_id );
				$access  = Token_Issuer::access_token( $client->client_id, $user_id, $scope, $grant_id, $audience, $auth_time );
				$refresh = null;
				if ( in_array( 'refresh_token', $client->grant_types(), true ) ) {
					$grant   = Grant_Repository::find( $grant_id );
					$refresh = Refresh_Token_Repository::create( $grant_id, $client->client_id, $scope, $grant ? (int) $grant->expires_at : time() + Refresh_Token_Repository::lifetime() );
					if ( null === $refresh ) {
						throw new OAuth_Error( 'server_error', __( 'The refresh token could not be stored.', 'wp-oauth' ), 500 );
					}
				}
				return array( $grant_id, $access, $refresh );
			}
		);
		if ( null === $access ) {
			throw new OAuth_Error( 'invalid_grant', __( 'The device code has already been used.', 'wp-oauth' ) );
		}
		Client_Repository::mark_used( $client->client_id );

		/** This action is documented in includes/grants/class-grant-authorization-code.php */
		do_action( 'wpoa_token_issued', $client->client_id, $user_id, $grant_id, $access['jti'], $this->grant_type(), null !== $refresh );

		return Token_Issuer::response( $access, $refresh, $scope );
	}
}
