<?php
/**
 * Token revocation endpoint (RFC 7009).
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * POST /wp-json/wp-oauth/v1/revoke (RFC 7009 §2).
 *
 * - The client authenticates as at the token endpoint (RFC 6749 §2.3, Client_Authenticator).
 * - `token` is required; `token_type_hint` (`access_token` | `refresh_token`) only
 *   decides which kind is tried first (RFC 7009 §2.1); an unknown hint is ignored.
 * - A refresh token revokes its whole grant (RFC 7009 §2.1 "SHOULD also invalidate
 *   all access tokens based on the same authorization grant").
 * - An access token (JWT, verified like the bearer check: signature against
 *   Keys::public_jwks(), `iss`, `aud`, `typ: at+jwt`) has its `jti` deny-listed until
 *   its `exp`; it fails on the next bearer request on this site. Its grant stays.
 * - Unknown, expired, malformed, already revoked tokens and tokens of another
 *   client: 200 and nothing revoked (RFC 7009 §2.2), so the answer is no oracle.
 */
final class Revocation_Controller {

	/**
	 * Registers /revoke (POST; other methods get `405 invalid_request`, `Allow: POST`). No REST `args`:
	 * parameters are validated in the callback so errors keep the RFC 6749 §5.2 format.
	 */
	public function register_routes(): void {
		register_rest_route(
			Plugin::REST_NAMESPACE,
			'/revoke',
			array(
				// Every method, so that a wrong one is answered in RFC 6749 §5.2 format, not core's 404.
				'methods'             => \WP_REST_Server::ALLMETHODS,
				'callback'            => array( $this, 'revoke' ),
				'permission_callback' => array( $this, 'public_endpoint' ),
			)
		);
	}

	/**
	 * Permission callback: the endpoint is public at the WordPress level because the
	 * caller is a client, not a user; the client authenticates inside the callback so
	 * failures answer `invalid_client` in RFC 6749 §5.2 format.
	 *
	 * @return bool Always true.
	 */
	public function public_endpoint(): bool {
		return true;
	}

	/**
	 * Handles a revocation request.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response 200 `{}` on success (RFC 7009 §2.2); RFC 6749 §5.2 error otherwise
	 *                           (400 invalid_request, 405 invalid_request for a method other than
	 *                           POST (RFC 9110 §15.5.6), 401/429 invalid_client).
	 */
	public function revoke( \WP_REST_Request $request ): \WP_REST_Response {
		try {
			Https_Policy::require_https();
			if ( 'POST' !== strtoupper( (string) $request->get_method() ) ) {
				throw OAuth_Error::method_not_allowed( __( 'The revocation endpoint accepts only POST requests (RFC 7009 §2.1).', 'wp-oauth' ) );
			}
			$params = Client_Authenticator::form_body_params( $request, __( 'The request body must be application/x-www-form-urlencoded.', 'wp-oauth' ) );
			$client = Client_Authenticator::authenticate( $request, $params );
			$token  = $params['token'] ?? null;
			if ( ! is_string( $token ) || '' === $token ) {
				throw new OAuth_Error( 'invalid_request', __( 'The token parameter is required.', 'wp-oauth' ) );
			}
			$hint = isset( $params['token_type_hint'] ) && is_string( $params['token_type_hint'] ) ? $params['token_type_hint'] : '';
			$this->revoke_token( $token, $hint, $client );
		} catch ( OAuth_Error $e ) {
			return $e->to_response();
		} catch ( \WpOAuth\Exception $e ) {
			do_action( 'wpoa_crypto_error', 'revocation_endpoint', $e->getCode(), $e->getMessage() );
			return ( new OAuth_Error( 'server_error', __( 'The token could not be revoked.', 'wp-oauth' ), 500 ) )->to_response();
		}
		$response = OAuth_Error::json( array() );
		$response->set_data( new \stdClass() );
		return $response;
	}

	/**
	 * Revokes a token of `$client` if it is one; does nothing otherwise.
	 *
	 * @param string $token  Presented token.
	 * @param string $hint   `access_token`, `refresh_token` or anything else (ignored).
	 * @param Client $client Authenticated client.
	 * @return string|null What was revoked: `refresh_token`, `access_token`, or null.
	 */
	public function revoke_token( string $token, string $hint, Client $client ): ?string {
		$order = 'access_token' === $hint ? array( 'access_token', 'refresh_token' ) : array( 'refresh_token', 'access_token' );
		foreach ( $order as $type ) {
			if ( 'refresh_token' === $type ) {
				$row = Refresh_Token_Repository::find( $token );
				if ( null === $row ) {
					continue;
				}
				if ( hash_equals( (string) $row->client_id, $client->client_id ) ) {
					Grant_Repository::revoke( (int) $row->grant_id, 'token_revoked' );
					/**
					 * Fires when a client revokes one of its tokens (RFC 7009).
					 *
					 * @param string $type      `refresh_token` (the grant was revoked) or `access_token` (its jti was deny-listed).
					 * @param int    $grant_id  The token's grant.
					 * @param string $client_id The client.
					 */
					do_action( 'wpoa_token_revoked', 'refresh_token', (int) $row->grant_id, $client->client_id );
					return 'refresh_token';
				}
				return null;
			}
			$claims = self::verify_access_token( $token );
			if ( null === $claims ) {
				continue;
			}
			if ( isset( $claims['client_id'], $claims['jti'] ) && is_string( $claims['client_id'] ) && hash_equals( $claims['client_id'], $client->client_id ) ) {
				Grant_Repository::revoke_jti( (string) $claims['jti'], (int) ( $claims['grant_id'] ?? 0 ), (int) ( $claims['exp'] ?? 0 ) );
				/** This action is documented above. */
				do_action( 'wpoa_token_revoked', 'access_token', (int) ( $claims['grant_id'] ?? 0 ), $client->client_id );
				return 'access_token';
			}
			return null;
		}
		return null;
	}

	/**
	 * Verifies one of this site's access tokens as the bearer check does: signature
	 * against the public JWKS (current and still-published retired keys), `iss`,
	 * `aud`, `typ: at+jwt`, `exp` (with `$leeway` seconds), and the shape of its claims
	 * (Token_Issuer::verify_access_token()). Does not look at the grant or deny-list.
	 *
	 * @param string $token  Presented string (anything).
	 * @param int    $leeway Clock leeway in seconds for `exp`/`nbf`.
	 * @return array<string,mixed>|null The claims, or null when it is not a valid access token of this site.
	 */
	public static function verify_access_token( string $token, int $leeway = Keys::LEEWAY ): ?array {
		try {
			return Token_Issuer::verify_access_token( $token, $leeway );
		} catch ( \Throwable $e ) {
			// \WpOAuth\TokenException (invalid, expired, wrong issuer…), \WpOAuth\Exception
			// (malformed) or claims not of our shape: not one of our valid access tokens,
			// which is not an error here.
			return null;
		}
	}
}
