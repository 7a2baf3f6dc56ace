<?php
/**
 * grant_type=client_credentials (RFC 6749 §4.4) for service accounts.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Issues an access token to a confidential, administrator-created client bound to a
 * service-account user (Service_Account_Repository), with no person present.
 *
 * The token controller has already authenticated the client (`client_secret_basic` or
 * `client_secret_post`, RFC 6749 §4.4.2) and checked that its grant types include
 * `client_credentials` — true only for a bound confidential client, so public clients and
 * registered ones are answered `unauthorized_client` there.
 *
 * Checks, in order (RFC 6749 §5.2 errors, HTTP 400):
 * - the binding or the client's type changed meanwhile → `unauthorized_client`;
 * - `scope` (RFC 6749 §3.3) with unknown values or beyond the bound maximum → `invalid_scope`;
 *   none = the bound maximum;
 * - the grant that represents the binding was revoked or expired (by the service user, an
 *   administrator, a password change…) → `invalid_grant`;
 * - the service user no longer exists or left the site → `invalid_grant`.
 *
 * Success (RFC 6749 §4.4.3): `{access_token, token_type, expires_in, scope}` and no refresh
 * token. The token's `sub` is the service user, so it can do what that user can do, narrowed by
 * the scope; `client_id` names the integration.
 */
final class Grant_Client_Credentials implements Grant_Handler {

	/**
	 * @return string `client_credentials`.
	 */
	public function grant_type(): string {
		return 'client_credentials';
	}

	/**
	 * Handles the request.
	 *
	 * @param array<string,string> $params Form parameters.
	 * @param Client               $client Authenticated client.
	 * @return array<string,mixed> RFC 6749 §5.1 body: access_token, token_type, expires_in, scope.
	 * @throws OAuth_Error As listed on the class; `server_error` (500) when signing fails.
	 */
	public function handle( array $params, Client $client ): array {
		$binding = Service_Account_Repository::find( $client->client_id );
		if ( null === $binding || ! $client->may_use_client_credentials() ) {
			throw new OAuth_Error( 'unauthorized_client', __( 'Only a confidential client that an administrator bound to a service account may use client_credentials.', 'wp-oauth' ) );
		}
		$ceiling   = (string) $binding['scope'];
		$requested = Scopes::parse( isset( $params['scope'] ) ? (string) $params['scope'] : '' );
		if ( array() === $requested ) {
			$requested = Scopes::parse( $ceiling );
		}
		if ( array() !== Scopes::unknown( $requested ) ) {
			throw new OAuth_Error( 'invalid_scope', __( 'The requested scope contains unknown values.', 'wp-oauth' ) );
		}
		$scope = Scopes::to_string( $requested );
		if ( '' === $scope || ! Scopes::is_subset( $scope, $ceiling ) ) {
			throw new OAuth_Error( 'invalid_scope', __( 'The requested scope exceeds the scope an administrator allowed this service account.', 'wp-oauth' ) );
		}
		$grant = Grant_Repository::find( (int) $binding['grant_id'] );
		if ( ! Grant_Repository::is_active( $grant ) ) {
			throw new OAuth_Error( 'invalid_grant', __( 'The service account authorization was revoked or has expired; an administrator must bind this client again.', 'wp-oauth' ) );
		}
		$user_id = (int) $grant->user_id;
		$user    = get_userdata( $user_id );
		if ( ! $user ) {
			// A failed lookup is not a deleted user (nothing is revoked on a database error).
			Storage_Unavailable::check();
		}
		if ( ! $user || ( is_multisite() && ! Network::user_belongs( (int) $user_id ) ) ) {
			throw new OAuth_Error( 'invalid_grant', __( 'The service account no longer has an account here.', 'wp-oauth' ) );
		}
		$access = Token_Issuer::access_token( $client->client_id, $user_id, $scope, (int) $grant->id, (string) $grant->audience, (int) $grant->auth_time, (int) $grant->expires_at );
		Client_Repository::mark_used( $client->client_id );
		// Bearer requests mostly do not read the grant row (see Revocation_List): last use is recorded here.
		$ip = isset( $_SERVER['REMOTE_ADDR'] ) ? (string) wp_unslash( $_SERVER['REMOTE_ADDR'] ) : '';
		Grant_Repository::touch( (int) $grant->id, false !== filter_var( $ip, FILTER_VALIDATE_IP ) ? $ip : '' );

		/** This action is documented in includes/grants/class-grant-authorization-code.php */
		do_action( 'wpoa_token_issued', $client->client_id, $user_id, (int) $grant->id, $access['jti'], 'client_credentials', false );

		return Token_Issuer::response( $access, null, $scope );
	}
}
