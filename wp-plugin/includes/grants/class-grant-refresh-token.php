<?php
/**
 * The refresh token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2).
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * `grant_type=refresh_token` at the token endpoint.
 *
 * Every use rotates: the presented token is marked used by one conditional
 * UPDATE (Refresh_Token_Repository::rotate()) and a successor is issued with the
 * same scope (RFC 6749 §6: the new refresh token's scope is identical). A `scope`
 * parameter may only narrow the new access token's scope (`invalid_scope` otherwise).
 *
 * Reuse: presenting a token that is already used revokes the whole grant, so every
 * access and refresh token descended from that authorization stops working
 * (RFC 9700 §4.14.2), and fires `wpoa_refresh_token_reused`. There is no grace
 * window, and the loser of a concurrent refresh counts as a reuse too: the server
 * cannot tell a racing legitimate client from a racing attacker, and only hashes are
 * stored so a lost response cannot be replayed idempotently. See docs/lifecycle.md.
 *
 * Every failure answers `invalid_grant` (400) without saying which check failed.
 */
final class Grant_Refresh_Token implements Grant_Handler {

	/**
	 * @return string `refresh_token`.
	 */
	public function grant_type(): string {
		return 'refresh_token';
	}

	/**
	 * Handles a refresh request (RFC 6749 §6).
	 *
	 * @param array<string,mixed> $params Form parameters: `refresh_token` (required), `scope` (optional).
	 * @param Client              $client The authenticated client.
	 * @return array<string,mixed> RFC 6749 §5.1 body: access_token, token_type, expires_in, refresh_token, scope.
	 * @throws OAuth_Error `invalid_request` (missing/malformed parameter), `invalid_grant` (unknown, expired,
	 *                     used, other client's, revoked grant, user gone or password changed),
	 *                     `invalid_scope` (wider or unknown scope), `server_error` (database failure, 500).
	 */
	public function handle( array $params, Client $client ): array {
		$token = $params['refresh_token'] ?? null;
		if ( ! is_string( $token ) || '' === $token ) {
			throw new OAuth_Error( 'invalid_request', __( 'The refresh_token parameter is required.', 'wp-oauth' ) );
		}
		$requested = $params['scope'] ?? null;
		if ( null !== $requested && ! is_string( $requested ) ) {
			throw new OAuth_Error( 'invalid_request', __( 'The scope parameter must be a single string.', 'wp-oauth' ) );
		}

		$row = Refresh_Token_Repository::find( $token );
		if ( null === $row ) {
			throw self::invalid_grant();
		}
		// Bound to its client (RFC 6749 §6): another client's token is simply not valid here.
		if ( ! hash_equals( (string) $row->client_id, $client->client_id ) ) {
			throw self::invalid_grant();
		}
		if ( null !== $row->used_at ) {
			$this->reused( $row, $client, 'replay' );
		}

		$grant = Grant_Repository::find( (int) $row->grant_id );
		if ( ! Grant_Repository::is_active( $grant ) || (int) $row->expires_at <= time() ) {
			throw self::invalid_grant();
		}
		$reason = self::user_problem( $grant );
		if ( null !== $reason ) {
			Grant_Repository::revoke( (int) $grant->id, $reason );
			throw self::invalid_grant();
		}

		$scope = self::narrowed_scope( $requested, (string) $row->scope );
		Dpop::check_grant_binding( $grant );

		$new = Refresh_Token_Repository::rotate( $row, (string) $row->scope, (int) $grant->expires_at );
		if ( null === $new ) {
			$again = Refresh_Token_Repository::find( $token );
			if ( null !== $again && null !== $again->used_at ) {
				// Lost a race against a concurrent use of the same token.
				$this->reused( $again, $client, 'concurrent' );
			}
			throw new OAuth_Error( 'server_error', __( 'The refresh token could not be stored. Try again.', 'wp-oauth' ), 500 );
		}

		$audience = '' !== (string) $grant->audience ? (string) $grant->audience : Urls::audience();
		$access   = Token_Issuer::access_token( $client->client_id, (int) $grant->user_id, $scope, (int) $grant->id, $audience, (int) $grant->auth_time, (int) $grant->expires_at );
		Client_Repository::mark_used( $client->client_id );
		// Bearer requests mostly do not read the grant row (see Revocation_List): use is recorded here.
		$ip = isset( $_SERVER['REMOTE_ADDR'] ) ? (string) wp_unslash( $_SERVER['REMOTE_ADDR'] ) : '';
		Grant_Repository::touch( (int) $grant->id, false !== filter_var( $ip, FILTER_VALIDATE_IP ) ? $ip : '', null !== $grant->last_used_at ? (int) $grant->last_used_at : 0 );

		/**
		 * Fires after a refresh token was rotated and a new token pair issued.
		 *
		 * @param int    $grant_id  Grant.
		 * @param string $client_id Client.
		 * @param int    $user_id   User.
		 * @param string $scope     Scope of the new access token.
		 */
		do_action( 'wpoa_refresh_token_rotated', (int) $grant->id, $client->client_id, (int) $grant->user_id, $scope );

		return Token_Issuer::response( $access, $new, $scope );
	}

	/**
	 * Reuse of a rotated refresh token: revokes the grant and refuses (RFC 9700 §4.14.2).
	 *
	 * @param object $row    The used token's row.
	 * @param Client $client The presenting client.
	 * @param string $how    `replay` (already used when read) or `concurrent` (lost the rotation race).
	 * @throws OAuth_Error Always `invalid_grant`.
	 */
	private function reused( object $row, Client $client, string $how ): void {
		$grant   = Grant_Repository::find( (int) $row->grant_id );
		$revoked = Grant_Repository::revoke( (int) $row->grant_id, 'refresh_reuse' );
		/**
		 * Fires when a refresh token that was already rotated is presented again. The
		 * grant is revoked: every access and refresh token of that authorization stops
		 * working. Security plugins can log or alert on it.
		 *
		 * @param int    $grant_id The grant (now revoked).
		 * @param string $client_id The client that presented the token.
		 * @param int    $user_id  The user of the grant (0 if the grant is gone).
		 * @param array  $context  {how: 'replay'|'concurrent', used_at: int (Unix seconds),
		 *                         ip: string, grant_was_active: bool}.
		 */
		do_action(
			'wpoa_refresh_token_reused',
			(int) $row->grant_id,
			$client->client_id,
			$grant ? (int) $grant->user_id : 0,
			array(
				'how'              => $how,
				'used_at'          => (int) $row->used_at,
				'ip'               => self::client_ip(),
				'grant_was_active' => $revoked,
			)
		);
		throw self::invalid_grant();
	}

	/**
	 * Why the grant's user may no longer refresh, or null when they may.
	 *
	 * @param object $grant Grant row.
	 * @return string|null Revocation reason: `user_deleted`, `user_removed` (multisite) or `password_changed`.
	 */
	private static function user_problem( object $grant ): ?string {
		$user_id = (int) $grant->user_id;
		$user    = get_userdata( $user_id );
		if ( ! $user ) {
			// A failed lookup is not a deleted user (nothing is revoked on a database error).
			Storage_Unavailable::check();
			return 'user_deleted';
		}
		if ( is_multisite() && ! Network::user_belongs( (int) $user_id ) ) {
			return 'user_removed';
		}
		$valid_after = (int) get_user_meta( $user_id, 'wpoa_tokens_valid_after', true );
		if ( $valid_after > (int) $grant->created_at ) {
			return 'password_changed';
		}
		return null;
	}

	/**
	 * The scope of the new access token: the token's own scope, or a narrower requested one.
	 *
	 * @param string|null $requested `scope` parameter (null or '' = not given).
	 * @param string      $granted   The refresh token's scope.
	 * @return string Canonical scope string.
	 * @throws OAuth_Error `invalid_scope` when a requested token is unknown or not granted (RFC 6749 §6).
	 */
	private static function narrowed_scope( ?string $requested, string $granted ): string {
		if ( null === $requested || '' === $requested ) {
			return $granted;
		}
		$tokens = Scopes::parse( $requested );
		if ( array() === $tokens || array() !== Scopes::unknown( $tokens ) || ! Scopes::is_subset( $requested, $granted ) ) {
			throw new OAuth_Error( 'invalid_scope', __( 'The requested scope must be a subset of the scope originally granted.', 'wp-oauth' ) );
		}
		return Scopes::to_string( $tokens );
	}

	/**
	 * @return OAuth_Error `invalid_grant` with one description for every reason (no oracle).
	 */
	private static function invalid_grant(): OAuth_Error {
		return new OAuth_Error( 'invalid_grant', __( 'The refresh token is invalid, expired, revoked or was issued to another client.', 'wp-oauth' ) );
	}

	/**
	 * @return string The direct peer's IP, for the reuse action.
	 */
	private static function client_ip(): string {
		$ip = isset( $_SERVER['REMOTE_ADDR'] ) ? (string) wp_unslash( $_SERVER['REMOTE_ADDR'] ) : '';
		return false !== filter_var( $ip, FILTER_VALIDATE_IP ) ? $ip : '';
	}
}
