<?php
/**
 * grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.5).
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Exchanges an authorization code for an access token (and a refresh token when
 * the client registered the `refresh_token` grant type).
 *
 * Checks, in order; every failure answers 400 `invalid_grant` (RFC 6749 §5.2) and burns
 * the code, so a code that failed once cannot be tried again:
 * - `code` missing → `invalid_request` (nothing to burn);
 * - the code is unknown → `invalid_grant`;
 * - the code was already redeemed → `invalid_grant`, and the grant it produced is revoked
 *   (reason `code_replay`, RFC 6749 §4.1.2) with every access and refresh token it issued;
 *   action `wpoa_code_replayed`;
 * - it expired (60 s), was issued to another client, `redirect_uri` differs, `code_verifier`
 *   is missing, malformed (RFC 7636 §4.1) or does not match the S256 challenge, the code was
 *   bound to a DPoP key (`dpop_jkt`, RFC 9449 §10) and the request's proof is missing or made
 *   with another key, or the user no longer exists (or left this site) → `invalid_grant`.
 *
 * `redirect_uri` (RFC 6749 §4.1.3): when present it must equal the code's exactly. It may be
 * omitted only when the client has exactly one registered redirect URI and the code was sent
 * there — exactly the case in which the authorization request may omit it.
 *
 * Redemption is atomic (Code_Repository::consume): two concurrent exchanges of one code
 * cannot both win, and a replay that races the winner still revokes its grant.
 */
final class Grant_Authorization_Code implements Grant_Handler {

	/**
	 * @return string `authorization_code`.
	 */
	public function grant_type(): string {
		return 'authorization_code';
	}

	/**
	 * Handles the exchange.
	 *
	 * @param array<string,string> $params Form parameters.
	 * @param Client               $client Authenticated client.
	 * @return array<string,mixed> RFC 6749 §5.1 body: access_token, token_type, expires_in, refresh_token?, scope.
	 * @throws OAuth_Error `invalid_request`, `invalid_grant` (400) or `server_error` (500, database failure).
	 */
	public function handle( array $params, Client $client ): array {
		$code = isset( $params['code'] ) ? (string) $params['code'] : '';
		if ( '' === $code ) {
			throw new OAuth_Error( 'invalid_request', __( 'The code parameter is missing.', 'wp-oauth' ) );
		}
		$row = Code_Repository::find( $code );
		if ( null === $row ) {
			throw self::invalid_grant( __( 'The authorization code is invalid.', 'wp-oauth' ) );
		}
		if ( null !== $row->used_at || ! Code_Repository::consume( (int) $row->id ) ) {
			$this->replayed( $row );
		}

		// From here on the code is burnt, whatever happens.
		if ( (int) $row->expires_at <= time() ) {
			throw self::invalid_grant( __( 'The authorization code has expired.', 'wp-oauth' ) );
		}
		if ( ! hash_equals( (string) $row->client_id, $client->client_id ) ) {
			throw self::invalid_grant( __( 'The authorization code was issued to another client.', 'wp-oauth' ) );
		}
		$redirect_uri = $params['redirect_uri'] ?? null;
		if ( null === $redirect_uri ) {
			if ( 1 !== count( $client->redirect_uris ) || ! hash_equals( (string) $client->redirect_uris[0], (string) $row->redirect_uri ) ) {
				throw self::invalid_grant( __( 'The redirect_uri parameter is required for this code.', 'wp-oauth' ) );
			}
		} elseif ( ! hash_equals( (string) $row->redirect_uri, (string) $redirect_uri ) ) {
			throw self::invalid_grant( __( 'The redirect_uri does not match the one of the authorization request.', 'wp-oauth' ) );
		}
		$verifier = isset( $params['code_verifier'] ) ? (string) $params['code_verifier'] : '';
		if ( '' === $verifier ) {
			throw self::invalid_grant( __( 'The code_verifier parameter is missing (PKCE is required).', 'wp-oauth' ) );
		}
		try {
			$ok = Crypto::pkce_verify( $verifier, (string) $row->code_challenge );
		} catch ( \WpOAuth\Exception $e ) {
			$ok = false;
		}
		if ( ! $ok ) {
			throw self::invalid_grant( __( 'The code_verifier does not match the code_challenge.', 'wp-oauth' ) );
		}
		Dpop::check_code_binding( $row );
		$user_id = (int) $row->user_id;
		$user    = get_userdata( $user_id );
		if ( ! $user ) {
			// A failed lookup is not a deleted user (nothing is revoked on a database error).
			Storage_Unavailable::check();
		}
		if ( ! $user || ( is_multisite() && ! Network::user_belongs( (int) $user_id ) ) ) {
			throw self::invalid_grant( __( 'The user who approved this code no longer has an account here.', 'wp-oauth' ) );
		}

		$scope    = (string) $row->scope;
		$audience = '' !== (string) $row->audience ? (string) $row->audience : Urls::audience();
		// The grant, the code's link to it and the first refresh token are written in one
		// transaction: a worker killed half-way (or a failed insert) leaves no active grant
		// without its refresh token behind (the code stays burnt). A replay seen meanwhile is
		// committed as a revoked grant (not rolled back), so the record of it stays.
		list( $grant_id, $access, $refresh ) = Grant_Repository::atomically(
			function () use ( $client, $row, $user_id, $scope, $audience ) {
				$grant_id = Grant_Repository::create( $client->client_id, $user_id, $scope, $audience, (int) $row->auth_time );
				if ( $grant_id <= 0 ) {
					throw new OAuth_Error( 'server_error', __( 'The grant could not be stored.', 'wp-oauth' ), 500 );
				}
				if ( ! Code_Repository::attach_grant( (int) $row->id, $grant_id ) ) {
					// A replay of this code was seen while we were issuing: revoke what we made.
					Grant_Repository::revoke( $grant_id, 'code_replay' );
					return array( $grant_id, null, null );
				}
				Dpop::bind_grant( $grant_id, $client );
				$grant   = Grant_Repository::find( $grant_id );
				$access  = Token_Issuer::access_token( $client->client_id, $user_id, $scope, $grant_id, $audience, (int) $row->auth_time, $grant ? (int) $grant->expires_at : 0 );
				// Bearer requests mostly do not read the grant row (see Revocation_List): first use is recorded here.
				$ip = isset( $_SERVER['REMOTE_ADDR'] ) ? (string) wp_unslash( $_SERVER['REMOTE_ADDR'] ) : '';
				Grant_Repository::touch( $grant_id, false !== filter_var( $ip, FILTER_VALIDATE_IP ) ? $ip : '' );
				$refresh = null;
				if ( in_array( 'refresh_token', $client->grant_types(), true ) ) {
					$refresh = Refresh_Token_Repository::create( $grant_id, $client->client_id, $scope, $grant ? (int) $grant->expires_at : time() + Refresh_Token_Repository::lifetime() );
					if ( null === $refresh ) {
						throw new OAuth_Error( 'server_error', __( 'The refresh token could not be stored.', 'wp-oauth' ), 500 );
					}
				}
				return array( $grant_id, $access, $refresh );
			}
		);
		if ( null === $access ) {
			throw self::invalid_grant( __( 'The authorization code has already been used.', 'wp-oauth' ) );
		}
		Client_Repository::mark_used( $client->client_id );

		/**
		 * Fires when the token endpoint issues tokens.
		 *
		 * @param string $client_id  Client.
		 * @param int    $user_id    User.
		 * @param int    $grant_id   Grant (new for authorization_code).
		 * @param string $jti        Access token id.
		 * @param string $grant_type `authorization_code`.
		 * @param bool   $refresh    Whether a refresh token was issued.
		 */
		do_action( 'wpoa_token_issued', $client->client_id, $user_id, $grant_id, $access['jti'], 'authorization_code', null !== $refresh );

		return Token_Issuer::response( $access, $refresh, $scope );
	}

	/**
	 * A second use of a code: revoke what it issued, then refuse.
	 *
	 * @param object $row Code row.
	 * @throws OAuth_Error Always `invalid_grant`.
	 */
	private function replayed( object $row ): void {
		$grant_id = Code_Repository::mark_replayed( (int) $row->id );
		if ( $grant_id > 0 ) {
			Grant_Repository::revoke( $grant_id, 'code_replay' );
		}
		/**
		 * Fires when a redeemed authorization code is presented again (a sign of a stolen code).
		 * The grant it produced (if any yet) has been revoked.
		 *
		 * @param string $client_id Client the code was issued to.
		 * @param int    $user_id   User who approved it.
		 * @param int    $grant_id  Revoked grant, or 0 when the first exchange had not finished
		 *                          (it then revokes its own grant).
		 */
		do_action( 'wpoa_code_replayed', (string) $row->client_id, (int) $row->user_id, $grant_id );
		throw self::invalid_grant( __( 'The authorization code has already been used.', 'wp-oauth' ) );
	}

	/**
	 * @param string $description Why.
	 * @return OAuth_Error 400 `invalid_grant`.
	 */
	private static function invalid_grant( string $description ): OAuth_Error {
		return new OAuth_Error( 'invalid_grant', $description );
	}
}
