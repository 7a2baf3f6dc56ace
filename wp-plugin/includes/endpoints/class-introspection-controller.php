<?php
/**
 * Token introspection endpoint (RFC 7662).
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * POST /wp-json/wp-oauth/v1/introspect (RFC 7662 §2).
 *
 * Who may call it (RFC 7662 §2.1 requires some authorization): a **confidential
 * client** authenticating as at the token endpoint (Client_Authenticator). Public
 * clients get 401 `invalid_client`.
 * - A client created by an administrator in wp-admin (`registered_by` > 0) is a
 *   resource-server credential: it may introspect any token of this site.
 * - A dynamically registered client (anyone can register one, RFC 7591) may
 *   introspect only tokens issued to itself; for any other token it gets
 *   `{"active": false}` (RFC 7662 §4 allows limiting what a caller can see).
 * The filter `wpoa_introspection_allowed` can change that decision.
 *
 * Answers: `{"active": false}` and nothing else for any token that is expired,
 * revoked (grant or jti), malformed, unknown, whose user is gone or changed their
 * password, or that the caller may not see. For active tokens the RFC 7662 §2.2
 * members `active`, `scope`, `client_id`, `username`, `token_type`, `exp`, `iat`,
 * `sub`, `aud`, `iss`, `jti` (access tokens; refresh tokens have no `jti` and answer
 * `token_type: "refresh_token"`).
 */
final class Introspection_Controller {

	/**
	 * Registers /introspect (POST; other methods get `405 invalid_request`, `Allow: POST`; no REST `args`:
	 * errors stay in RFC 6749 §5.2 format).
	 */
	public function register_routes(): void {
		register_rest_route(
			Plugin::REST_NAMESPACE,
			'/introspect',
			array(
				// Every method, so that a wrong one is answered in RFC 6749 §5.2 format, not core's 404.
				'methods'             => \WP_REST_Server::ALLMETHODS,
				'callback'            => array( $this, 'introspect' ),
				'permission_callback' => array( $this, 'public_endpoint' ),
			)
		);
	}

	/**
	 * Permission callback: open at the WordPress level because the caller is a
	 * client, authenticated inside the callback so errors use RFC 6749 §5.2.
	 *
	 * @return bool Always true.
	 */
	public function public_endpoint(): bool {
		return true;
	}

	/**
	 * Handles an introspection request.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response 200 with the RFC 7662 §2.2 body; 400 invalid_request; 405 invalid_request
	 *                           for a method other than POST (RFC 9110 §15.5.6); 401/429 invalid_client.
	 */
	public function introspect( \WP_REST_Request $request ): \WP_REST_Response {
		try {
			Https_Policy::require_https();
			if ( 'POST' !== strtoupper( (string) $request->get_method() ) ) {
				throw OAuth_Error::method_not_allowed( __( 'The introspection endpoint accepts only POST requests (RFC 7662 §2.1).', 'wp-oauth' ) );
			}
			$params = Client_Authenticator::form_body_params( $request, __( 'The request body must be application/x-www-form-urlencoded.', 'wp-oauth' ) );
			$client = Client_Authenticator::authenticate( $request, $params );
			if ( ! $client->is_confidential() ) {
				throw OAuth_Error::invalid_client( __( 'Only confidential clients may introspect tokens.', 'wp-oauth' ) );
			}
			$token = $params['token'] ?? null;
			if ( ! is_string( $token ) || '' === $token ) {
				throw new OAuth_Error( 'invalid_request', __( 'The token parameter is required.', 'wp-oauth' ) );
			}
			$hint = isset( $params['token_type_hint'] ) && is_string( $params['token_type_hint'] ) ? $params['token_type_hint'] : '';
			$body = self::describe( $token, $hint, $client );
		} catch ( OAuth_Error $e ) {
			return $e->to_response();
		} catch ( \WpOAuth\Exception $e ) {
			do_action( 'wpoa_crypto_error', 'introspection_endpoint', $e->getCode(), $e->getMessage() );
			return ( new OAuth_Error( 'server_error', __( 'The token could not be introspected.', 'wp-oauth' ), 500 ) )->to_response();
		}
		return OAuth_Error::json( $body );
	}

	/**
	 * The RFC 7662 §2.2 answer for a token as seen by `$caller`.
	 *
	 * @param string $token  Presented token.
	 * @param string $hint   `access_token` | `refresh_token` | other (ignored).
	 * @param Client $caller The authenticated confidential client.
	 * @return array<string,mixed> `['active' => false]`, or the active token's members.
	 */
	public static function describe( string $token, string $hint, Client $caller ): array {
		$inactive = array( 'active' => false );
		$order    = 'refresh_token' === $hint ? array( 'refresh_token', 'access_token' ) : array( 'access_token', 'refresh_token' );
		foreach ( $order as $type ) {
			$info = 'access_token' === $type ? self::access_token_info( $token ) : self::refresh_token_info( $token );
			if ( null === $info ) {
				continue;
			}
			$may = 0 < $caller->registered_by || hash_equals( (string) $info['client_id'], $caller->client_id );
			/**
			 * Filters whether a caller may see an active token's details.
			 *
			 * @param bool   $may    Default: admin-created clients see every token, others their own.
			 * @param Client $caller The authenticated confidential client.
			 * @param array  $info   The RFC 7662 members that would be returned.
			 */
			if ( ! apply_filters( 'wpoa_introspection_allowed', $may, $caller, $info ) ) {
				return $inactive;
			}
			return $info;
		}
		return $inactive;
	}

	/**
	 * Members for an active access token, or null.
	 *
	 * @param string $token Presented string.
	 * @return array<string,mixed>|null
	 */
	private static function access_token_info( string $token ): ?array {
		$claims = Revocation_Controller::verify_access_token( $token, 0 );
		if ( null === $claims || (int) $claims['exp'] <= time() ) {
			return null;
		}
		$state = Grant_Repository::bearer_state( (int) $claims['grant_id'], (string) $claims['jti'] );
		if ( ! $state['active'] || $state['jti_revoked'] || (string) $state['user_id'] !== (string) $claims['sub'] || ! hash_equals( $state['client_id'], (string) $claims['client_id'] ) ) {
			return null;
		}
		$user = self::usable_user( (int) $claims['sub'], (int) ( $claims['iat'] ?? 0 ) );
		if ( null === $user ) {
			return null;
		}
		$members = array(
			'active'     => true,
			'scope'      => (string) ( $claims['scope'] ?? '' ),
			'client_id'  => (string) $claims['client_id'],
			'username'   => $user->user_login,
			'token_type' => isset( $claims['cnf'] ) ? 'DPoP' : 'Bearer',
			'exp'        => (int) $claims['exp'],
			'iat'        => (int) ( $claims['iat'] ?? 0 ),
			'sub'        => (string) $claims['sub'],
			'aud'        => $claims['aud'],
			'iss'        => (string) $claims['iss'],
			'jti'        => (string) $claims['jti'],
		);
		if ( isset( $claims['cnf']['jkt'] ) && is_string( $claims['cnf']['jkt'] ) ) {
			// RFC 9449 §6.2, RFC 7800 §3.1: the key the token is bound to.
			$members['cnf'] = array( 'jkt' => $claims['cnf']['jkt'] );
		}
		return $members;
	}

	/**
	 * Members for an active (unused, unexpired, active grant) refresh token, or null.
	 *
	 * @param string $token Presented string.
	 * @return array<string,mixed>|null
	 */
	private static function refresh_token_info( string $token ): ?array {
		$row = Refresh_Token_Repository::find( $token );
		if ( null === $row || null !== $row->used_at || (int) $row->expires_at <= time() ) {
			return null;
		}
		$grant = Grant_Repository::find( (int) $row->grant_id );
		if ( ! Grant_Repository::is_active( $grant ) ) {
			return null;
		}
		$user = self::usable_user( (int) $grant->user_id, (int) $grant->created_at );
		if ( null === $user ) {
			return null;
		}
		return array(
			'active'     => true,
			'scope'      => (string) $row->scope,
			'client_id'  => (string) $row->client_id,
			'username'   => $user->user_login,
			'token_type' => 'refresh_token',
			'exp'        => (int) $row->expires_at,
			'iat'        => (int) $row->created_at,
			'sub'        => (string) $grant->user_id,
			'aud'        => '' !== (string) $grant->audience ? (string) $grant->audience : Urls::audience(),
			'iss'        => Urls::issuer(),
		);
	}

	/**
	 * The token's user when tokens issued at `$issued_at` are still honoured for them.
	 *
	 * @param int $user_id   User.
	 * @param int $issued_at When the token (or its grant) was issued, Unix seconds.
	 * @return \WP_User|null Null when the user is gone, not a member (multisite), or
	 *                       invalidated their tokens later (`wpoa_tokens_valid_after`).
	 */
	private static function usable_user( int $user_id, int $issued_at ): ?\WP_User {
		$user = get_userdata( $user_id );
		if ( ! $user ) {
			// A failed lookup is not a deleted user (nothing is revoked on a database error).
			Storage_Unavailable::check();
		}
		if ( ! $user ) {
			return null;
		}
		if ( is_multisite() && ! Network::user_belongs( (int) $user_id ) ) {
			return null;
		}
		if ( (int) get_user_meta( $user_id, 'wpoa_tokens_valid_after', true ) > $issued_at ) {
			return null;
		}
		return $user;
	}
}
