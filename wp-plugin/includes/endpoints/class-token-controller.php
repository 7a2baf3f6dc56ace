<?php
/**
 * The token endpoint: POST /wp-json/wp-oauth/v1/token (RFC 6749 §3.2).
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Checks what every grant type shares — HTTPS, method, content type, duplicate
 * parameters, client authentication (RFC 6749 §2.3), the grant type and whether the
 * client registered it — then dispatches to the Grant_Handler for `grant_type`.
 *
 * Handlers come from the filter `wpoa_grant_handlers` (default: authorization_code,
 * refresh_token, the device code of RFC 8628 §3.4, and client_credentials of RFC 6749 §4.4
 * for confidential clients an administrator bound to a service account). Every answer is RFC 6749
 * §5.1 / §5.2 JSON with `Cache-Control: no-store`, never WordPress's error format.
 *
 * Order of checks and their errors:
 * 1. plain HTTP → 400 `invalid_request` (Https_Policy);
 * 2. any method but POST (HEAD included) → 405 `invalid_request` with `Allow: POST` (RFC 9110 §15.5.6);
 * 3. a body that is not `application/x-www-form-urlencoded` → 400 `invalid_request`;
 * 4. a parameter given twice → 400 `invalid_request`;
 * 5. no `grant_type` → 400 `invalid_request`;
 * 6. client authentication → 401 `invalid_client` / 400 `invalid_request` / 429 (Client_Authenticator);
 * 7. unknown `grant_type` → 400 `unsupported_grant_type`;
 * 8. grant type not in the client's registered `grant_types` → 400 `unauthorized_client`;
 * 9. a `resource` (RFC 8707 §2.2, sent by e.g. MCP clients on every token request) that is not
 *    this site's API nor a URL below it (Authorize_Endpoint::is_our_resource) → 400
 *    `invalid_target`; a resource of this site is accepted and changes nothing (the token's
 *    `aud` is the grant's, never wider);
 * 10. a `DPoP` proof, when sent (RFC 9449 §5, Dpop::token_request) → 400 `invalid_dpop_proof`, or
 *    `use_dpop_nonce` with a `DPoP-Nonce` header; a valid one binds the tokens (`token_type: DPoP`);
 * 11. the handler's own checks (e.g. `invalid_grant`).
 */
final class Token_Controller {

	/**
	 * Registers /token for every method, so that a wrong method is answered in RFC format
	 * (405, OAuth_Error::method_not_allowed(); Plugin::filter_allow_header() keeps `Allow: POST`).
	 * No `args`: parameters are validated in handle() so that errors stay RFC 6749 §5.2.
	 */
	public function register_routes(): void {
		register_rest_route(
			Plugin::REST_NAMESPACE,
			'/token',
			array(
				'methods'             => \WP_REST_Server::ALLMETHODS,
				'callback'            => array( $this, 'handle' ),
				'permission_callback' => array( $this, 'public_endpoint' ),
			)
		);
	}

	/**
	 * The token endpoint is public at the WordPress level: callers are OAuth clients, not
	 * WordPress users, and are authenticated inside handle() (RFC 6749 §2.3) so that a
	 * failure is answered as `invalid_client` in RFC 6749 §5.2 format rather than as a
	 * WordPress `rest_forbidden` error.
	 *
	 * @return bool Always true.
	 */
	public function public_endpoint(): bool {
		return true;
	}

	/**
	 * The grant handlers, keyed by grant type.
	 *
	 * @return array<string, Grant_Handler>
	 */
	public static function handlers(): array {
		$defaults = array(
			new Grant_Authorization_Code(),
			new Grant_Refresh_Token(),
			new Grant_Device_Code(),
			new Grant_Client_Credentials(),
			new Grant_Token_Exchange(),
		);
		/**
		 * Filters the token endpoint's grant handlers (objects implementing Wpoa\Grant_Handler;
		 * nulls are skipped). Add one to support another grant type.
		 *
		 * @param array $handlers Default: authorization_code, refresh_token,
		 *                        urn:ietf:params:oauth:grant-type:device_code (RFC 8628),
		 *                        client_credentials (RFC 6749 §4.4) and token exchange of
		 *                        Application Passwords (RFC 8693).
		 */
		$list = (array) apply_filters( 'wpoa_grant_handlers', $defaults );
		$out  = array();
		foreach ( $list as $handler ) {
			if ( $handler instanceof Grant_Handler ) {
				$out[ $handler->grant_type() ] = $handler;
			}
		}
		return $out;
	}

	/**
	 * Answers a token request.
	 *
	 * @param \WP_REST_Request $request The request.
	 * @return \WP_REST_Response RFC 6749 §5.1 success or §5.2 error.
	 */
	public function handle( \WP_REST_Request $request ): \WP_REST_Response {
		try {
			$body    = self::process( $request );
			$headers = array();
			if ( null !== Dpop::bound_jkt() && Dpop::nonce_required( Dpop::AT_TOKEN ) ) {
				// RFC 9449 §8.2: the nonce for the client's next proof.
				$headers['DPoP-Nonce'] = Dpop::current_nonce();
			}
			return OAuth_Error::json( $body, 200, $headers );
		} catch ( OAuth_Error $e ) {
			return $e->to_response();
		} catch ( \WpOAuth\Exception $e ) {
			do_action( 'wpoa_crypto_error', 'token_endpoint', $e->getCode(), $e->getMessage() );
			return ( new OAuth_Error( 'server_error', __( 'The token could not be issued.', 'wp-oauth' ), 500 ) )->to_response();
		} finally {
			// The proof's key binds this request's tokens only.
			Dpop::reset();
		}
	}

	/**
	 * The checks and the dispatch, as described on the class.
	 *
	 * @param \WP_REST_Request $request The request.
	 * @return array<string,mixed> RFC 6749 §5.1 body.
	 * @throws OAuth_Error On any error.
	 */
	public static function process( \WP_REST_Request $request ): array {
		Https_Policy::require_https();
		if ( 'POST' !== strtoupper( (string) $request->get_method() ) ) {
			throw OAuth_Error::method_not_allowed( __( 'The token endpoint accepts only POST requests (RFC 6749 §3.2).', 'wp-oauth' ) );
		}
		$params = Client_Authenticator::form_body_params( $request, __( 'The token request must be sent as application/x-www-form-urlencoded (RFC 6749 §4.1.3).', 'wp-oauth' ) );
		$grant  = isset( $params['grant_type'] ) ? (string) $params['grant_type'] : '';
		if ( '' === $grant ) {
			throw new OAuth_Error( 'invalid_request', __( 'The grant_type parameter is missing.', 'wp-oauth' ) );
		}
		$client   = Client_Authenticator::authenticate( $request, $params );
		$handlers = self::handlers();
		if ( ! isset( $handlers[ $grant ] ) ) {
			throw new OAuth_Error( 'unsupported_grant_type', __( 'This grant type is not supported.', 'wp-oauth' ) );
		}
		if ( ! in_array( $grant, $client->grant_types(), true ) ) {
			throw new OAuth_Error( 'unauthorized_client', __( 'This client is not registered for this grant type.', 'wp-oauth' ) );
		}
		if ( isset( $params['resource'] ) && ! Authorize_Endpoint::is_our_resource( (string) $params['resource'] ) ) {
			throw new OAuth_Error( 'invalid_target', __( 'The resource parameter must be this site\'s REST API address or a URL below it.', 'wp-oauth' ) );
		}
		Dpop::token_request( $request, $client );
		return $handlers[ $grant ]->handle( $params, $client );
	}
}
