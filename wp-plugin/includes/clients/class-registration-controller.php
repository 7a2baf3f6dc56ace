<?php
/**
 * Dynamic client registration (RFC 7591) and client configuration (RFC 7592).
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * REST routes:
 * - `POST /wp-json/wp-oauth/v1/register` (RFC 7591 §3): JSON metadata in, `201` with the
 *   client information response (§3.2.1) out; the client secret and the registration
 *   access token appear in this response only.
 * - `GET|PUT|DELETE /wp-json/wp-oauth/v1/register/{client_id}` (RFC 7592 §2) with the
 *   registration access token as a bearer token. A missing or wrong token, an unknown
 *   client or a client made in wp-admin all get the same `401 invalid_token`.
 *
 * Policy (option `wpoa_registration_mode`, see mode()):
 * - `open` (default): anyone may register; an initial access token (RFC 7591 §3),
 *   when sent, must be valid. Public and confidential clients are both accepted
 *   (filter `wpoa_open_registration_allows_confidential`): a self-registered secret
 *   only proves that later requests come from whoever registered, which is still
 *   more than a public client proves, and nothing is granted without the user's consent.
 * - `token`: a valid initial access token is required.
 * - `off`: `403` for new registrations; existing clients can still read, update and
 *   delete their registration, and the metadata omits `registration_endpoint`.
 *
 * Errors are RFC 7591 §3.2.2 / RFC 6750 §3 JSON, never WordPress's format.
 */
final class Registration_Controller {

	/** Option: `open`, `token` or `off`. */
	const OPTION_MODE = 'wpoa_registration_mode';

	/** Option: {hash: PHC string, created_at: int} of the initial access token, or absent. */
	const OPTION_INITIAL_TOKEN = 'wpoa_initial_access_token';

	/** Registration modes. */
	const MODES = array( 'open', 'token', 'off' );

	/**
	 * Registers the routes. No `args`: validation happens inside so that errors keep the RFC format.
	 */
	public function register_routes(): void {
		// Errors of this controller's routes stay RFC 7591's, not WordPress's (see keep_json_errors_ours()).
		add_filter( 'rest_request_before_callbacks', array( $this, 'keep_json_errors_ours' ), 10, 3 );
		register_rest_route(
			Plugin::REST_NAMESPACE,
			'/register',
			array(
				'methods'             => 'POST',
				'callback'            => array( $this, 'create_item' ),
				'permission_callback' => array( $this, 'public_endpoint' ),
			)
		);
		register_rest_route(
			Plugin::REST_NAMESPACE,
			'/register/(?P<client_id>[^/]+)',
			array(
				array(
					'methods'             => 'GET',
					'callback'            => array( $this, 'get_item' ),
					'permission_callback' => array( $this, 'public_endpoint' ),
				),
				array(
					'methods'             => 'PUT',
					'callback'            => array( $this, 'update_item' ),
					'permission_callback' => array( $this, 'public_endpoint' ),
				),
				array(
					'methods'             => 'DELETE',
					'callback'            => array( $this, 'delete_item' ),
					'permission_callback' => array( $this, 'public_endpoint' ),
				),
			)
		);
	}

	/**
	 * Permission callback of every registration route: always true, because the
	 * caller is a client, not a WordPress user. Authorization happens inside the
	 * callbacks (initial access token, registration access token) so that failures
	 * are answered in RFC 6750 / RFC 7591 format instead of WordPress's `rest_forbidden`.
	 *
	 * @return true
	 */
	public function public_endpoint(): bool {
		return true;
	}

	/**
	 * WordPress rejects a malformed JSON body before the callback with its own
	 * `rest_invalid_json` error; for our routes the callback parses the raw body
	 * itself and answers `invalid_client_metadata` instead.
	 *
	 * @param mixed            $response Response so far (a WP_Error when core found a problem).
	 * @param array            $handler  Matched handler.
	 * @param \WP_REST_Request $request  Request.
	 * @return mixed
	 */
	public function keep_json_errors_ours( $response, $handler, $request ) {
		if ( is_wp_error( $response ) && 'rest_invalid_json' === $response->get_error_code()
			&& $request instanceof \WP_REST_Request && 0 === strpos( $request->get_route(), '/' . Plugin::REST_NAMESPACE . '/register' ) ) {
			return null;
		}
		return $response;
	}

	/**
	 * Current registration mode (option `wpoa_registration_mode`, filter `wpoa_registration_mode`).
	 *
	 * @return string `open`, `token` or `off`.
	 */
	public static function mode(): string {
		$mode = (string) get_option( self::OPTION_MODE, 'open' );
		/**
		 * Filters the dynamic registration policy.
		 *
		 * @param string $mode `open` (default), `token` (initial access token required) or `off`.
		 */
		$mode = (string) apply_filters( 'wpoa_registration_mode', $mode );
		return in_array( $mode, self::MODES, true ) ? $mode : 'open';
	}

	/**
	 * Sets the registration mode.
	 *
	 * @param string $mode `open`, `token` or `off`.
	 * @return bool False for an unknown mode.
	 */
	public static function set_mode( string $mode ): bool {
		if ( ! in_array( $mode, self::MODES, true ) ) {
			return false;
		}
		$old = (string) get_option( self::OPTION_MODE, 'open' );
		update_option( self::OPTION_MODE, $mode, true );
		if ( $old !== $mode ) {
			/**
			 * Fires when the dynamic registration policy changes.
			 *
			 * @param string $mode New mode (`open`, `token`, `off`).
			 * @param string $old  Previous mode.
			 */
			do_action( 'wpoa_registration_mode_changed', $mode, $old );
		}
		return true;
	}

	/**
	 * Makes a new initial access token (RFC 7591 §3), replacing any previous one.
	 * Only its PHC hash is stored.
	 *
	 * @return string The plaintext token: show it once, never store or log it.
	 */
	public static function generate_initial_access_token(): string {
		$token = Crypto::random_token( 32 );
		update_option(
			self::OPTION_INITIAL_TOKEN,
			array(
				'hash'       => Crypto::secret_hash( $token ),
				'created_at' => time(),
			),
			false
		);
		/**
		 * Fires when a new initial access token replaces the previous one.
		 *
		 * @param int $user_id The user who generated it (0 from code).
		 */
		do_action( 'wpoa_initial_access_token_generated', get_current_user_id() );
		return $token;
	}

	/**
	 * Deletes the initial access token.
	 */
	public static function revoke_initial_access_token(): void {
		if ( delete_option( self::OPTION_INITIAL_TOKEN ) ) {
			/**
			 * Fires when the initial access token is deleted.
			 *
			 * @param int $user_id The user who deleted it.
			 */
			do_action( 'wpoa_initial_access_token_revoked', get_current_user_id() );
		}
	}

	/**
	 * When the current initial access token was made.
	 *
	 * @return int|null Unix seconds, or null when there is none.
	 */
	public static function initial_access_token_created_at(): ?int {
		$stored = get_option( self::OPTION_INITIAL_TOKEN );
		return is_array( $stored ) && ! empty( $stored['hash'] ) ? (int) ( $stored['created_at'] ?? 0 ) : null;
	}

	/**
	 * Whether a presented initial access token is the current one.
	 *
	 * @param string $token Presented token.
	 * @return bool
	 */
	public static function verify_initial_access_token( string $token ): bool {
		$stored = get_option( self::OPTION_INITIAL_TOKEN );
		if ( '' === $token || strlen( $token ) > 512 || ! is_array( $stored ) || empty( $stored['hash'] ) ) {
			return false;
		}
		return Crypto::secret_verify( $token, (string) $stored['hash'] );
	}

	/**
	 * Largest accepted request body in bytes (filter `wpoa_registration_max_body_bytes`, default 16 KiB).
	 *
	 * @return int
	 */
	public static function max_body_bytes(): int {
		/**
		 * Filters the largest registration request body, in bytes.
		 *
		 * @param int $bytes Default 16384.
		 */
		return max( 1024, (int) apply_filters( 'wpoa_registration_max_body_bytes', 16384 ) );
	}

	/**
	 * `POST /register` (RFC 7591 §3.1).
	 *
	 * @param \WP_REST_Request $request Request with a JSON object body.
	 * @return \WP_REST_Response `201` client information response (RFC 7591 §3.2.1), or an error:
	 *                           `400 invalid_redirect_uri|invalid_client_metadata`, `400 invalid_request` (plain HTTP),
	 *                           `401 invalid_token` (initial access token missing or wrong), `403 access_denied` (registration off).
	 */
	public function create_item( \WP_REST_Request $request ): \WP_REST_Response {
		try {
			Https_Policy::require_https();
			$mode   = self::mode();
			$bearer = self::bearer_token( $request );
			if ( 'off' === $mode ) {
				throw new OAuth_Error( 'access_denied', __( 'Dynamic client registration is turned off on this site. Ask the site owner to register your application.', 'wp-oauth' ), 403 );
			}
			$has_iat = false;
			if ( null !== $bearer ) {
				if ( ! self::verify_initial_access_token( $bearer ) ) {
					throw self::token_error( __( 'The initial access token is not valid.', 'wp-oauth' ), true );
				}
				$has_iat = true;
			} elseif ( 'token' === $mode ) {
				throw self::token_error( __( 'This site requires an initial access token for client registration (RFC 7591 §3).', 'wp-oauth' ), false );
			}

			$metadata = Client_Metadata::validate( self::json_body( $request ) );
			$public   = 'none' === $metadata['token_endpoint_auth_method'];
			/**
			 * Filters whether open registration (no initial access token) accepts confidential clients.
			 *
			 * @param bool $allowed Default true.
			 */
			if ( ! $public && ! $has_iat && ! apply_filters( 'wpoa_open_registration_allows_confidential', true ) ) {
				throw Client_Metadata::error( __( 'Open registration accepts public clients only: send "token_endpoint_auth_method": "none", or register with an initial access token.', 'wp-oauth' ) );
			}

			$client_id    = Crypto::random_token( 16 );
			$secret       = $public ? null : Crypto::random_token( 32 );
			$access_token = Crypto::random_token( 32 );
			$client       = Client_Repository::insert(
				array(
					'client_id'                  => $client_id,
					'client_secret_hash'         => null === $secret ? null : Crypto::secret_hash( $secret ),
					'registration_token_hash'    => Crypto::secret_hash( $access_token ),
					'token_endpoint_auth_method' => $metadata['token_endpoint_auth_method'],
					'redirect_uris'              => $metadata['redirect_uris'],
					'metadata'                   => $metadata,
					'registered_by'              => 0,
					'secret_expires_at'          => 0,
				)
			);
			if ( null === $client ) {
				throw new OAuth_Error( 'server_error', __( 'The client could not be stored. Try again later.', 'wp-oauth' ), 500 );
			}
			/**
			 * Fires after a client was registered.
			 *
			 * @param string $client_id The new client.
			 * @param array  $metadata  Its validated metadata (no secrets).
			 * @param string $how       `dynamic` (RFC 7591, open), `initial_token` (RFC 7591 with an initial access token) or `admin`.
			 */
			do_action( 'wpoa_client_registered', $client_id, $metadata, $has_iat ? 'initial_token' : 'dynamic' );
			return OAuth_Error::json( self::information_response( $client, $access_token, $secret ), 201 );
		} catch ( OAuth_Error $e ) {
			return $e->to_response();
		}
	}

	/**
	 * `GET /register/{client_id}` (RFC 7592 §2.1).
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response `200` client information response without `client_secret`
	 *                           (only its hash is stored), or `401 invalid_token`.
	 */
	public function get_item( \WP_REST_Request $request ): \WP_REST_Response {
		try {
			Https_Policy::require_https();
			list( $client, $token ) = $this->authenticate( $request );
			return OAuth_Error::json( self::information_response( $client, $token, null ) );
		} catch ( OAuth_Error $e ) {
			return $e->to_response();
		}
	}

	/**
	 * `PUT /register/{client_id}` (RFC 7592 §2.2): full replacement of the metadata.
	 * The body must carry the same `client_id`; a `client_secret`, if sent, must be the
	 * current one; a client cannot switch between public and confidential (register anew).
	 * Omitted members return to their defaults.
	 *
	 * @param \WP_REST_Request $request Request with a JSON object body.
	 * @return \WP_REST_Response `200` client information response, `400` on bad metadata
	 *                           (nothing changed), or `401 invalid_token`.
	 */
	public function update_item( \WP_REST_Request $request ): \WP_REST_Response {
		try {
			Https_Policy::require_https();
			list( $client, $token ) = $this->authenticate( $request );
			$body                   = self::json_body( $request );
			if ( ! is_array( $body ) || ! isset( $body['client_id'] ) || ! is_string( $body['client_id'] ) || ! hash_equals( $client->client_id, $body['client_id'] ) ) {
				throw Client_Metadata::error( __( 'The request must contain this client\'s client_id (RFC 7592 §2.2).', 'wp-oauth' ) );
			}
			if ( array_key_exists( 'client_secret', $body ) && null !== $body['client_secret'] ) {
				if ( ! is_string( $body['client_secret'] ) || null === $client->client_secret_hash || ! Crypto::secret_verify( $body['client_secret'], $client->client_secret_hash ) ) {
					throw Client_Metadata::error( __( 'client_secret does not match the issued secret; a client cannot choose its own secret (RFC 7592 §2.2).', 'wp-oauth' ) );
				}
			}
			$metadata = Client_Metadata::validate( $body );
			if ( ( 'none' === $metadata['token_endpoint_auth_method'] ) !== ! $client->is_confidential() ) {
				throw Client_Metadata::error( __( 'A client cannot switch between public (token_endpoint_auth_method "none") and confidential; register a new client instead.', 'wp-oauth' ) );
			}
			Client_Repository::update(
				$client->client_id,
				array(
					'token_endpoint_auth_method' => $metadata['token_endpoint_auth_method'],
					'redirect_uris'              => $metadata['redirect_uris'],
					'metadata'                   => $metadata,
				)
			);
			/**
			 * Fires after a client's metadata was replaced.
			 *
			 * @param string $client_id The client.
			 * @param array  $metadata  New validated metadata.
			 * @param string $by        `self` (RFC 7592) or `admin`.
			 */
			do_action( 'wpoa_client_updated', $client->client_id, $metadata, 'self' );
			$updated = Client_Repository::find( $client->client_id );
			return OAuth_Error::json( self::information_response( $updated ?? $client, $token, null ) );
		} catch ( OAuth_Error $e ) {
			return $e->to_response();
		}
	}

	/**
	 * `DELETE /register/{client_id}` (RFC 7592 §2.3): revokes every grant of the
	 * client, then deletes it.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response `204` with no body, or `401 invalid_token`.
	 */
	public function delete_item( \WP_REST_Request $request ): \WP_REST_Response {
		try {
			Https_Policy::require_https();
			list( $client ) = $this->authenticate( $request );
			self::delete_client( $client->client_id, 'self' );
			$response = new \WP_REST_Response( null, 204 );
			$response->set_headers( array( 'Cache-Control' => 'no-store' ) );
			return $response;
		} catch ( OAuth_Error $e ) {
			return $e->to_response();
		}
	}

	/**
	 * Revokes a client's grants and deletes it; fires `wpoa_client_deleted`.
	 *
	 * @param string $client_id The client.
	 * @param string $reason    `self` (RFC 7592) or `admin`.
	 * @return bool True when the client existed and was deleted.
	 */
	public static function delete_client( string $client_id, string $reason ): bool {
		Grant_Repository::revoke_for_client( $client_id, 'client_deleted' );
		if ( ! Client_Repository::delete( $client_id ) ) {
			return false;
		}
		/** This action is documented in Client_Repository::delete_never_authorized(). */
		do_action( 'wpoa_client_deleted', $client_id, $reason );
		return true;
	}

	/**
	 * The client information response (RFC 7591 §3.2.1, RFC 7592 §3).
	 *
	 * @param Client      $client       The client.
	 * @param string      $access_token The registration access token (fresh, or the one presented).
	 * @param string|null $secret       The plaintext secret right after registration, else null.
	 * @return array<string,mixed>
	 */
	public static function information_response( Client $client, string $access_token, ?string $secret ): array {
		$body = array(
			'client_id'           => $client->client_id,
			'client_id_issued_at' => $client->created_at,
		);
		if ( null !== $secret ) {
			$body['client_secret'] = $secret;
		}
		if ( $client->is_confidential() ) {
			$body['client_secret_expires_at'] = $client->secret_expires_at;
		}
		$body['registration_access_token'] = $access_token;
		$body['registration_client_uri']   = Urls::registration_client_uri( $client->client_id );
		$meta                              = $client->metadata;
		unset( $meta['client_id'], $meta['client_secret'], $meta['registration_access_token'], $meta['registration_client_uri'], $meta['client_id_issued_at'], $meta['client_secret_expires_at'] );
		$meta['redirect_uris']              = $client->redirect_uris;
		$meta['token_endpoint_auth_method'] = $client->token_endpoint_auth_method;
		return array_merge( $body, $meta );
	}

	/**
	 * Checks the registration access token of `/register/{client_id}`.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return array{0:Client,1:string} The client and the presented token.
	 * @throws OAuth_Error `401 invalid_token`, identical whether the client exists or not.
	 */
	private function authenticate( \WP_REST_Request $request ): array {
		$token = self::bearer_token( $request );
		if ( null === $token ) {
			throw self::token_error( __( 'A registration access token is required (Authorization: Bearer).', 'wp-oauth' ), false );
		}
		// The URL parameter, never get_param(): a JSON body's `client_id` takes precedence there.
		$url_params = $request->get_url_params();
		$client     = Client_Repository::find( (string) ( $url_params['client_id'] ?? '' ) );
		if ( null === $client || null === $client->registration_token_hash || strlen( $token ) > 512 ) {
			// Spend about the time a verification takes, so timing does not tell whether the client exists.
			Crypto::secret_hash( substr( $token, 0, 512 ) );
			throw self::token_error( __( 'The registration access token is not valid for this URL.', 'wp-oauth' ), true );
		}
		if ( ! Crypto::secret_verify( $token, $client->registration_token_hash ) ) {
			throw self::token_error( __( 'The registration access token is not valid for this URL.', 'wp-oauth' ), true );
		}
		return array( $client, $token );
	}

	/**
	 * The bearer token of the Authorization header (RFC 6750 §2.1).
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return string|null Null when there is no Bearer credential.
	 */
	private static function bearer_token( \WP_REST_Request $request ): ?string {
		$header = (string) Authorization_Header::for_request( $request );
		if ( ! preg_match( '/^Bearer[ ]+([A-Za-z0-9\-._~+\/]+=*)[ ]*$/i', $header, $m ) ) {
			return '' === trim( $header ) ? null : '';
		}
		return $m[1];
	}

	/**
	 * `401 invalid_token` with an RFC 6750 §3 challenge.
	 *
	 * @param string $description Why.
	 * @param bool   $with_error  Whether a token was presented (then the challenge names the error, §3.1).
	 * @return OAuth_Error
	 */
	private static function token_error( string $description, bool $with_error ): OAuth_Error {
		$challenge = 'Bearer realm="' . Urls::realm() . '"' . ( $with_error ? ', error="invalid_token"' : '' );
		return new OAuth_Error( 'invalid_token', $description, 401, array( 'WWW-Authenticate' => $challenge ) );
	}

	/**
	 * Decodes the JSON object body.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return mixed The decoded JSON.
	 * @throws OAuth_Error `invalid_client_metadata` for a wrong content type, an oversize or malformed body.
	 */
	private static function json_body( \WP_REST_Request $request ) {
		$type = $request->get_content_type();
		if ( ! is_array( $type ) || 'application/json' !== strtolower( (string) ( $type['value'] ?? '' ) ) ) {
			throw Client_Metadata::error( __( 'Send the client metadata as a JSON object with Content-Type: application/json.', 'wp-oauth' ) );
		}
		$body = (string) $request->get_body();
		if ( strlen( $body ) > self::max_body_bytes() ) {
			/* translators: %d: maximum size in bytes. */
			throw Client_Metadata::error( sprintf( __( 'The request body is too large (at most %d bytes).', 'wp-oauth' ), self::max_body_bytes() ) );
		}
		$object = json_decode( $body, false, 16 );
		if ( JSON_ERROR_NONE !== json_last_error() ) {
			throw Client_Metadata::error( __( 'The request body is not valid JSON.', 'wp-oauth' ) );
		}
		if ( ! $object instanceof \stdClass ) {
			throw Client_Metadata::error( __( 'The client metadata must be a JSON object.', 'wp-oauth' ) );
		}
		return self::to_array( $object );
	}

	/**
	 * Converts decoded JSON to arrays while keeping objects and arrays apart: a JSON
	 * object always becomes an array that is not a list (`{}` and `{"0":"x"}` get a
	 * marker key), so Client_Metadata refuses an object where an array belongs.
	 *
	 * @param mixed $value Value from json_decode( …, false ).
	 * @return mixed
	 */
	private static function to_array( $value ) {
		if ( $value instanceof \stdClass ) {
			$out = array();
			foreach ( get_object_vars( $value ) as $key => $item ) {
				$out[ $key ] = self::to_array( $item );
			}
			if ( array() === $out || array_is_list( $out ) ) {
				$out["\0json_object"] = true;
			}
			return $out;
		}
		if ( is_array( $value ) ) {
			return array_map( array( self::class, 'to_array' ), $value );
		}
		return $value;
	}
}
