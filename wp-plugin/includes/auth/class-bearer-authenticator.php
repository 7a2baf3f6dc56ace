<?php
/**
 * Bearer token authentication for the REST API (RFC 6750, RFC 9068, RFC 9728 §5.1).
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Authenticates REST API requests that carry `Authorization: Bearer <JWT>`, in
 * core's two stages (as Application Passwords do):
 *
 * 1. `determine_current_user` (priority 30, after core's cookie checks at 10/20):
 *    read the credential, verify it once, remember the outcome on this object and
 *    return the token's user — or 0 when the token is not valid, so an invalid
 *    token never falls back to cookie authentication.
 * 2. `rest_authentication_errors` (priority 80, before core's Application Password
 *    check at 90 and cookie/nonce check at 100): report the failure as a WP_Error,
 *    or `true` on success so core's nonce check cannot turn the token's user into
 *    "not logged in" when a logged-in cookie is also present.
 *
 * The WP_Error is rewritten on `rest_post_dispatch` into RFC 6750 §3 form: body
 * `{"error":"invalid_token","error_description":"…"}` and `WWW-Authenticate: Bearer
 * realm="…", error="invalid_token", error_description="…", resource_metadata="…"`.
 * Choosing a WP_Error at stage 2 (rather than answering directly) lets core skip
 * the dispatch entirely, and rest_post_dispatch runs for every REST response, so
 * the rewrite needs no output buffering and no exit.
 *
 * Requests without a bearer credential are untouched. Only REST API requests are
 * considered, never the plugin's own OAuth endpoints (token, revoke, introspect
 * and register authenticate clients themselves).
 *
 * Outcomes (all documented in docs/bearer.md):
 * - valid token: the request runs as `sub`, narrowed by Scope_Enforcer; response
 *   gets `Cache-Control: private, no-store` and `Vary: Authorization`.
 * - invalid, expired, revoked, foreign, garbage, too long, several credentials,
 *   query-string token (unless the `wpoa_allow_query_access_token` filter allows
 *   it): 401 `invalid_token`.
 * - plain HTTP (Https_Policy): 400 `invalid_request` (RFC 6750 §3.1).
 */
final class Bearer_Authenticator {

	/** Longest token we try to decode (the extension's default max_length, in bytes). */
	const MAX_TOKEN_LENGTH = Token_Issuer::MAX_ACCESS_TOKEN_LENGTH;

	/** Priority on determine_current_user: after core's cookie (10) and logged-in cookie / Application Password (20) checks. */
	const USER_PRIORITY = 30;

	/** Priority on rest_authentication_errors: before core's Application Password (90) and cookie nonce (100) checks. */
	const ERRORS_PRIORITY = 80;

	/**
	 * Whether this request carried a bearer credential (valid or not) that we handled.
	 *
	 * @var bool
	 */
	private $attempted = false;

	/**
	 * Whether the credential has been read and verified for this request.
	 *
	 * @var bool
	 */
	private $resolved = false;

	/**
	 * The authenticated user id, 0 when none.
	 *
	 * @var int
	 */
	private $user_id = 0;

	/**
	 * Verified claims of the token, empty when none.
	 *
	 * @var array<string,mixed>
	 */
	private $claims = array();

	/**
	 * Why the credential was refused, or null.
	 *
	 * @var OAuth_Error|null
	 */
	private $error = null;

	/**
	 * The `Authorization` scheme the token came with: `bearer` or `dpop` (RFC 9449 §7.1).
	 *
	 * @var string
	 */
	private $scheme = 'bearer';

	/**
	 * The request's REST route while one authentication runs (resolve_if_applies()), read once.
	 *
	 * @var array{0: string|null}|null
	 */
	private $route = null;

	/**
	 * Forgets the outcome (the next determine_current_user reads the request again).
	 * For tests and long-running processes that handle several requests.
	 */
	public function reset(): void {
		$this->attempted = false;
		$this->resolved  = false;
		$this->user_id   = 0;
		$this->claims    = array();
		$this->error     = null;
		$this->scheme    = 'bearer';
		$this->route     = null;
	}

	/**
	 * Whether the current request carried a bearer credential (valid or not).
	 *
	 * @return bool
	 */
	public function attempted(): bool {
		return $this->attempted;
	}

	/**
	 * The user the current request is bearer-authenticated as, or 0.
	 *
	 * @return int
	 */
	public function user_id(): int {
		return $this->user_id;
	}

	/**
	 * The verified token's claims (iss, sub, aud, client_id, scope, jti, iat, exp, auth_time, grant_id), or empty.
	 *
	 * @return array<string,mixed>
	 */
	public function claims(): array {
		return $this->claims;
	}

	/**
	 * The verified token's scope (space-delimited), or null when the request is not bearer-authenticated.
	 *
	 * @return string|null
	 */
	public function scope(): ?string {
		return $this->user_id > 0 ? (string) ( $this->claims['scope'] ?? '' ) : null;
	}

	/**
	 * Why the credential was refused, or null.
	 *
	 * @return OAuth_Error|null
	 */
	public function error(): ?OAuth_Error {
		return $this->error;
	}

	/**
	 * Stage 1: the token's user, 0 for an invalid token, or the input untouched.
	 *
	 * @param int|false $user_id User found by earlier callbacks (e.g. a cookie).
	 * @return int|false
	 */
	public function determine_current_user( $user_id ) {
		if ( ! $this->resolved ) {
			$this->resolve_if_applies();
			if ( ! $this->resolved ) {
				return $user_id;
			}
		}
		if ( ! $this->attempted ) {
			return $user_id;
		}
		// A bearer credential was sent: its outcome wins over any cookie. Never fall back.
		return $this->user_id > 0 ? $this->user_id : 0;
	}

	/**
	 * Stage 2: reports the failure, or vouches for the token's user.
	 *
	 * @param \WP_Error|true|null $result Result of earlier callbacks.
	 * @return \WP_Error|true|null
	 */
	public function rest_authentication_errors( $result ) {
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		if ( ! $this->resolved ) {
			$this->resolve_if_applies();
		}
		if ( null !== $this->error ) {
			return $this->wp_error();
		}
		if ( $this->attempted && $this->user_id > 0 ) {
			// Core's rest_cookie_check_errors (100) would otherwise log the user out when a
			// valid cookie came along without a nonce: the token's user is authenticated.
			return true;
		}
		return $result;
	}

	/**
	 * Safety net: even if a later rest_authentication_errors callback replaced our
	 * error, a refused credential never reaches a route handler.
	 *
	 * @param mixed            $result  Short-circuit value.
	 * @param \WP_REST_Server  $server  Server.
	 * @param \WP_REST_Request $request Request.
	 * @return mixed
	 */
	public function rest_pre_dispatch( $result, $server, $request ) {
		if ( null !== $this->error && null === $result ) {
			return $this->wp_error();
		}
		return $result;
	}

	/**
	 * Rewrites our failure into RFC 6750 §3 form; marks bearer responses private
	 * (`Cache-Control: private, no-store`, `Vary: Authorization`); adds a bare
	 * `WWW-Authenticate: Bearer` challenge with `resource_metadata` (RFC 9728 §5.1)
	 * to anonymous 401 answers so clients can discover the authorization server.
	 *
	 * @param \WP_HTTP_Response $response Response.
	 * @param \WP_REST_Server   $server   Server.
	 * @param \WP_REST_Request  $request  Request.
	 * @return \WP_HTTP_Response
	 */
	public function rest_post_dispatch( $response, $server, $request ) {
		if ( ! $response instanceof \WP_HTTP_Response ) {
			return $response;
		}
		if ( null !== $this->error ) {
			$data = $response->get_data();
			$ours = $this->error instanceof Storage_Unavailable ? 'db_unavailable' : $this->error->error;
			if ( is_array( $data ) && isset( $data['code'] ) && $data['code'] === $ours ) {
				$response = $this->error instanceof Storage_Unavailable ? $this->error->rest_error() : $this->error->to_response();
			}
		}
		if ( $this->attempted ) {
			$response->header( 'Cache-Control', 'private, no-store' );
			$response->header( 'Pragma', 'no-cache' );
			$vary = (string) ( $response->get_headers()['Vary'] ?? '' );
			$response->header( 'Vary', '' === $vary ? 'Authorization' : $vary . ', Authorization' );
			return $response;
		}
		$headers = $response->get_headers();
		if ( 401 === $response->get_status() && ! isset( $headers['WWW-Authenticate'] ) && ! Plugin::is_oauth_endpoint_request() ) {
			/**
			 * Filters whether anonymous 401 REST answers carry a `WWW-Authenticate: Bearer`
			 * challenge with `resource_metadata` (RFC 9728 §5.1, RFC 6750 §3 without error code).
			 *
			 * @param bool $challenge Default true.
			 */
			if ( apply_filters( 'wpoa_challenge_anonymous', true ) ) {
				$response->header( 'WWW-Authenticate', self::challenge( array() ) );
			}
		}
		return $response;
	}

	/**
	 * Bearer-authenticated responses must not be stored by shared caches: core's
	 * no-cache headers (sent for logged-in users after the response headers) carry
	 * the same value, so they do not weaken it.
	 *
	 * @param array<string,string> $headers Header => value.
	 * @return array<string,string>
	 */
	public function nocache_headers( $headers ) {
		if ( $this->attempted && is_array( $headers ) ) {
			$headers['Cache-Control'] = 'private, no-store';
		}
		return $headers;
	}

	/**
	 * Whether this request may be bearer-authenticated: a REST API request, not
	 * one of our OAuth endpoints, and far enough into WordPress's boot to know
	 * the REST URL (the audience).
	 *
	 * @return bool
	 */
	public function applies(): bool {
		return $this->applies_to( Plugin::request_path() );
	}

	/**
	 * applies(), for the request's path (Plugin::request_path()) read by the caller.
	 *
	 * @param string $path The request's path.
	 * @return bool
	 */
	private function applies_to( string $path ): bool {
		if ( ! isset( $GLOBALS['wp_rewrite'] ) ) {
			return false;
		}
		if ( ! self::is_rest_request( $path ) ) {
			return false;
		}
		return ! Plugin::is_oauth_endpoint_route( $this->route( $path ) );
	}

	/**
	 * The request's REST route: as read once for the running authentication, else read now.
	 *
	 * @param string|null $path The request's path when the caller has it (Plugin::request_path()).
	 * @return string|null
	 */
	private function route( ?string $path = null ): ?string {
		return null !== $this->route ? $this->route[0] : Plugin::requested_rest_route( $path );
	}

	/**
	 * Resolves the credential when applies(): the site's URLs (Urls::pin()) and the request's
	 * REST route are read once for the whole authentication, which compares them several times.
	 */
	private function resolve_if_applies(): void {
		if ( ! isset( $GLOBALS['wp_rewrite'] ) ) {
			return;
		}
		Urls::pin();
		$path        = Plugin::request_path();
		$this->route = array( Plugin::requested_rest_route( $path ) );
		try {
			if ( $this->applies_to( $path ) ) {
				$this->resolve();
			}
		} finally {
			$this->route = null;
			Urls::unpin();
		}
	}

	/**
	 * Whether the current request targets the REST API: REST_REQUEST, a `rest_route`
	 * query, or a path below the REST prefix (also with `index.php/` permalinks).
	 * Works before parse_request, when core has not yet defined REST_REQUEST.
	 *
	 * @param string|null $path The request's path when the caller has it (Plugin::request_path()).
	 * @return bool
	 */
	public static function is_rest_request( ?string $path = null ): bool {
		if ( defined( 'REST_REQUEST' ) && REST_REQUEST ) {
			return true;
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- routing only.
		if ( isset( $_GET['rest_route'] ) && is_string( $_GET['rest_route'] ) ) {
			return true;
		}
		$path = $path ?? Plugin::request_path();
		$home = Urls::home_path();
		$rest = rest_get_url_prefix() . '/';
		foreach ( array( $home . $rest, $home . 'index.php/' . $rest ) as $prefix ) {
			if ( 0 === strpos( $path . '/', $prefix ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Reads the credential and verifies it, once per request.
	 */
	private function resolve(): void {
		$this->resolved = true;
		try {
			$token = $this->read_credential();
			if ( null === $token ) {
				return;
			}
			$this->attempted = true;
			if ( ! Https_Policy::allows_request() ) {
				$error = Https_Policy::error();
				throw new OAuth_Error(
					'invalid_request',
					$error->getMessage(),
					400,
					array( 'WWW-Authenticate' => self::challenge( array( 'error' => 'invalid_request', 'error_description' => $error->getMessage() ) ) )
				);
			}
			$verified = $this->verify( $token );
			// RFC 9449 §7: a DPoP-bound token needs the DPoP scheme and a proof made with its key.
			Dpop::check_resource_request( $this->scheme, $token, $verified['claims'] );
			$this->user_id  = $verified['user_id'];
			$this->claims   = $verified['claims'];
			$ip             = isset( $_SERVER['REMOTE_ADDR'] ) ? (string) wp_unslash( $_SERVER['REMOTE_ADDR'] ) : '';
			if ( null !== $verified['last_used_at'] ) {
				// Known only when the grant row was read; otherwise use is recorded at token issuance.
				Grant_Repository::touch( (int) $this->claims['grant_id'], false !== filter_var( $ip, FILTER_VALIDATE_IP ) ? $ip : '', $verified['last_used_at'] );
			}
			/**
			 * Fires when a REST request is authenticated with a valid bearer access token.
			 *
			 * @param int   $user_id The token's user.
			 * @param array $claims  Verified claims (no token value).
			 */
			do_action( 'wpoa_bearer_authenticated', $this->user_id, $this->claims );
			// From here on the token's scope narrows what the request may do.
			Plugin::component( Scope_Enforcer::class )->register();
		} catch ( OAuth_Error $e ) {
			$this->attempted = true;
			$this->user_id   = 0;
			$this->claims    = array();
			$this->error     = $e;
			if ( 'dpop' === $this->scheme && 0 === strpos( (string) ( $e->headers['WWW-Authenticate'] ?? '' ), 'Bearer ' ) ) {
				// A request in the DPoP scheme is answered with a DPoP challenge (RFC 9449 §7.1).
				$e->headers['WWW-Authenticate'] = Dpop::challenge( array( 'error' => $e->error, 'error_description' => $e->getMessage() ) );
			}
		}
	}

	/**
	 * The bearer token of this request, or null when it carries none.
	 *
	 * Sources, in order: the `Authorization` header wherever the web server put it
	 * (Plugin::authorization_header(), as Authorization_Header::from_server(): `HTTP_AUTHORIZATION`,
	 * `REDIRECT_HTTP_AUTHORIZATION`, `getallheaders()`); then `access_token` in the query string (RFC 6750 §2.3), refused unless the
	 * `wpoa_allow_query_access_token` filter allows it. The `DPoP` scheme (RFC 9449 §7.1)
	 * is read like `Bearer` and remembered for Dpop::check_resource_request(); the
	 * scheme is case-insensitive, surrounding whitespace is ignored, the token itself is
	 * returned byte for byte. Other schemes (Basic for Application Passwords) are
	 * not ours: null.
	 *
	 * @return string|null
	 * @throws OAuth_Error 401 invalid_token for an empty, oversized or multiple
	 *                     credential or a refused query token; 400 invalid_request
	 *                     when a token is sent by more than one method (RFC 6750 §2).
	 */
	public function read_credential(): ?string {
		$header       = Plugin::authorization_header();
		$token        = null;
		$this->scheme = 'bearer';
		if ( null !== $header ) {
			$header = trim( $header, " \t" );
			// The scheme is the first word, compared case-insensitively (RFC 9110 §11.1).
			$name = strtolower( substr( $header, 0, strcspn( $header, " \t" ) ) );
			if ( 'bearer' !== $name && 'dpop' !== $name ) {
				// Another scheme (Basic for Application Passwords) is not ours, unless a
				// bearer or DPoP credential hides in a list ("Basic x, Bearer y").
				if ( 1 === preg_match( '/,[ \t]*(Bearer|DPoP)(?:[ \t]|$)/i', $header ) ) {
					throw self::invalid_token( 'multiple', __( 'The request carries more than one Authorization credential.', 'wp-oauth' ) );
				}
				return $this->query_token( null );
			}
			$this->scheme = $name;
			$token        = trim( substr( $header, strlen( $name ) ), " \t" );
			if ( '' === $token ) {
				throw self::invalid_token( 'empty', __( 'The Authorization header carries no access token.', 'wp-oauth' ) );
			}
			if ( strlen( $token ) > self::MAX_TOKEN_LENGTH ) {
				throw self::invalid_token( 'too_long', __( 'The access token is too long.', 'wp-oauth' ) );
			}
		}
		return $this->query_token( $token );
	}

	/**
	 * Applies the query-string rule (RFC 6750 §2.3) on top of the header token.
	 *
	 * @param string|null $header_token Token from the header, or null.
	 * @return string|null
	 * @throws OAuth_Error As read_credential().
	 */
	private function query_token( ?string $header_token ): ?string {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a credential, not a form.
		if ( ! isset( $_GET['access_token'] ) ) {
			return $header_token;
		}
		if ( null !== $header_token ) {
			throw new OAuth_Error(
				'invalid_request',
				__( 'Send the access token in the Authorization header only, not also in the query string.', 'wp-oauth' ),
				400,
				array( 'WWW-Authenticate' => self::challenge( array( 'error' => 'invalid_request', 'error_description' => 'Send the access token by one method only' ) ) )
			);
		}
		/**
		 * Filters whether REST requests may carry the access token in the `access_token`
		 * query parameter (RFC 6750 §2.3). Off by default: URLs end up in logs and
		 * browser history. When on, responses are still `Cache-Control: private, no-store`.
		 *
		 * @param bool $allowed Default false.
		 */
		if ( ! apply_filters( 'wpoa_allow_query_access_token', false ) ) {
			throw self::invalid_token( 'query_token', __( 'Access tokens in the query string are not accepted. Send them in the Authorization header: Authorization: Bearer <token>.', 'wp-oauth' ) );
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended
		$token = $_GET['access_token'];
		if ( ! is_string( $token ) || '' === $token || strlen( $token ) > self::MAX_TOKEN_LENGTH ) {
			throw self::invalid_token( 'malformed', __( 'The access token is malformed.', 'wp-oauth' ) );
		}
		return wp_unslash( $token );
	}

	/**
	 * Verifies an access token: signature against the current and retired keys,
	 * `iss`, `aud`, `typ: at+jwt`, `exp` (60 s leeway) and the required claims in
	 * the extension; then revocation: without a persistent object cache the
	 * recent-revocation list (Revocation_List, autoloaded: no query) says whether
	 * the grant or the jti was revoked within one token lifetime, and only when it
	 * cannot tell does the grant row get read (Grant_Repository::bearer_state, one
	 * primary-key query: active, same user and client, jti not revoked; with a
	 * persistent object cache that state comes from the cache). Then the user
	 * (exists, belongs to this site on multisite: Network::user_belongs(); the site is
	 * not archived, spam or deactivated: Network::site_is_open()) and the password-change cut-off
	 * (user meta `wpoa_tokens_valid_after`, Unix seconds), both from the user data
	 * any authenticated request loads.
	 *
	 * @param string $token The token as received.
	 * @return array{user_id:int, claims:array<string,mixed>, last_used_at:int|null} last_used_at is
	 *         null when the grant row was not read (the recent-revocation list answered).
	 * @throws OAuth_Error 401 invalid_token.
	 */
	public function verify( string $token ): array {
		if ( strlen( $token ) > self::MAX_TOKEN_LENGTH ) {
			throw self::invalid_token( 'too_long', __( 'The access token is too long.', 'wp-oauth' ) );
		}
		try {
			// A token for a resource below the REST root (RFC 8707) is valid on that resource only.
			$claims = Token_Issuer::verify_access_token_for_route( $token, Keys::LEEWAY, $this->route() );
		} catch ( \UnexpectedValueException $e ) {
			if ( Token_Issuer::INVALID_AUDIENCE === $e->getCode() ) {
				throw self::invalid_token( 'invalid_audience', self::decode_description( $e ) );
			}
			throw self::invalid_token( 'invalid_claims', __( 'The access token is not valid.', 'wp-oauth' ) );
		} catch ( \Throwable $e ) {
			// Two headers joined by a server ("Bearer a, Bearer b") or any other list: a token
			// (RFC 6750 §2.1 b64token, a compact JWS here) never contains white space or commas,
			// so the extension refused it as malformed; say what it was. Only a refused token is
			// scanned for them.
			if ( 1 === preg_match( '/[\s,]/', $token ) ) {
				throw self::invalid_token( 'multiple', __( 'The request carries more than one Authorization credential.', 'wp-oauth' ) );
			}
			// \WpOAuth\TokenException for a bad token; anything else (a key problem, a
			// panic turned \Error) must not become a 500 nor a success either.
			throw self::invalid_token( self::decode_reason( $e ), self::decode_description( $e ) );
		}
		$grant_id = (int) $claims['grant_id'];
		$jti      = (string) $claims['jti'];
		$client   = (string) $claims['client_id'];
		$user_id  = (int) $claims['sub'];

		$listed = wp_using_ext_object_cache() ? null : Revocation_List::lookup( $grant_id, $jti, (int) $claims['iat'], (int) $claims['exp'] );
		if ( true === $listed ) {
			throw self::invalid_token( 'revoked', __( 'The access token was revoked.', 'wp-oauth' ), $claims );
		}
		$last_used_at = null;
		if ( null === $listed ) {
			$state = Grant_Repository::bearer_state( $grant_id, $jti );
			if ( ! $state['active'] || $state['jti_revoked'] ) {
				throw self::invalid_token( 'revoked', __( 'The access token was revoked.', 'wp-oauth' ), $claims );
			}
			if ( $state['user_id'] !== $user_id || ! hash_equals( $state['client_id'], $client ) ) {
				throw self::invalid_token( 'grant_mismatch', __( 'The access token is not valid.', 'wp-oauth' ), $claims );
			}
			$last_used_at = (int) $state['last_used_at'];
		}

		$user = get_userdata( $user_id );
		if ( ! $user instanceof \WP_User ) {
			Storage_Unavailable::check();
		}
		if ( ! $user instanceof \WP_User || ! $user->exists() ) {
			throw self::invalid_token( 'user_missing', __( 'The access token is no longer valid.', 'wp-oauth' ), $claims );
		}
		if ( is_multisite() && ! Network::user_belongs( (int) $user_id ) ) {
			throw self::invalid_token( 'not_member', __( 'The access token is not valid for this site.', 'wp-oauth' ), $claims );
		}
		// Core lets super admins into an archived, spam or deactivated site; its tokens stay refused.
		if ( is_multisite() && ! Network::site_is_open() ) {
			throw self::invalid_token( 'site_suspended', __( 'This site is archived, suspended or deactivated.', 'wp-oauth' ), $claims );
		}
		$valid_after = (int) get_user_meta( $user_id, 'wpoa_tokens_valid_after', true );
		if ( $valid_after > 0 && (int) $claims['iat'] < $valid_after ) {
			throw self::invalid_token( 'password_changed', __( 'The access token is no longer valid: the password was changed after it was issued.', 'wp-oauth' ), $claims );
		}

		return array(
			'user_id'      => $user_id,
			'claims'       => $claims,
			'last_used_at' => $last_used_at,
		);
	}

	/**
	 * Machine-readable reason for a decode failure (the extension's stable names).
	 *
	 * @param \Throwable $e What the extension threw.
	 * @return string
	 */
	private static function decode_reason( \Throwable $e ): string {
		$names = array(
			101 => 'malformed',
			102 => 'too_long',
			103 => 'invalid_base64',
			104 => 'invalid_token_json',
			105 => 'algorithm_mismatch',
			106 => 'unknown_kid',
			107 => 'missing_kid',
			108 => 'unsupported_crit',
			109 => 'invalid_signature',
			110 => 'invalid_claim',
			111 => 'missing_claim',
			112 => 'expired',
			113 => 'not_yet_valid',
			114 => 'invalid_issuer',
			115 => 'invalid_audience',
			116 => 'invalid_type',
		);
		if ( $e instanceof \Exception && isset( $names[ (int) $e->getCode() ] ) ) {
			return $names[ (int) $e->getCode() ];
		}
		return 'verification_error';
	}

	/**
	 * Human-readable description for a decode failure (never the token itself).
	 *
	 * @param \Throwable $e What the extension threw.
	 * @return string
	 */
	private static function decode_description( \Throwable $e ): string {
		switch ( self::decode_reason( $e ) ) {
			case 'expired':
				return __( 'The access token expired.', 'wp-oauth' );
			case 'not_yet_valid':
				return __( 'The access token is not valid yet.', 'wp-oauth' );
			case 'invalid_issuer':
			case 'invalid_audience':
				return __( 'The access token was not issued for this site.', 'wp-oauth' );
			case 'invalid_signature':
			case 'unknown_kid':
			case 'missing_kid':
			case 'algorithm_mismatch':
				return __( 'The access token signature is not valid.', 'wp-oauth' );
			case 'too_long':
				return __( 'The access token is too long.', 'wp-oauth' );
			case 'invalid_type':
				return __( 'The token is not an access token.', 'wp-oauth' );
			default:
				return __( 'The access token is malformed or not valid.', 'wp-oauth' );
		}
	}

	/**
	 * A 401 invalid_token error with its challenge; fires `wpoa_bearer_authentication_failed`.
	 *
	 * @param string              $reason      Machine-readable reason (e.g. `expired`, `revoked`, `password_changed`).
	 * @param string              $description Translated, human-readable; no token contents.
	 * @param array<string,mixed> $claims      Verified claims when the signature was good, else empty.
	 * @return OAuth_Error
	 */
	private static function invalid_token( string $reason, string $description, array $claims = array() ): OAuth_Error {
		/**
		 * Fires when a bearer credential is refused (for security logging).
		 *
		 * @param string $reason Machine-readable reason: `malformed`, `too_long`, `expired`,
		 *                       `invalid_signature`, `invalid_audience`, `revoked`,
		 *                       `user_missing`, `password_changed`, `multiple`, `query_token`, …
		 * @param array  $claims The token's verified claims when its signature was good, else empty.
		 */
		do_action( 'wpoa_bearer_authentication_failed', $reason, $claims );
		return new OAuth_Error(
			'invalid_token',
			$description,
			401,
			array(
				'WWW-Authenticate' => self::challenge(
					array(
						'error'             => 'invalid_token',
						'error_description' => $description,
					)
				),
			)
		);
	}

	/**
	 * A `WWW-Authenticate: Bearer` challenge (RFC 6750 §3, RFC 9728 §5.1): realm first, then
	 * the given parameters, then `scope` (unless given: the scope that normal use of the
	 * resource needs, challenge_scope(), so that clients which follow the challenge — the MCP
	 * authorization specification tells them to — ask for that and not for everything), then
	 * `resource_metadata`: the metadata of the resource the request addresses (Resources::for_route()),
	 * whose `resource` is that resource exactly. Values are reduced to the characters RFC 6750
	 * §3 allows in quoted strings.
	 *
	 * @param array<string,string> $params error, error_description, scope.
	 * @return string
	 */
	public static function challenge( array $params ): string {
		// insufficient_scope without a scope means that no scope would do: suggest none.
		if ( ! isset( $params['scope'] ) && 'insufficient_scope' !== ( $params['error'] ?? '' ) ) {
			$params['scope'] = self::challenge_scope();
		}
		$params = array_merge(
			array( 'realm' => Urls::realm() ),
			$params,
			array( 'resource_metadata' => Resources::metadata_url( Resources::for_route( Plugin::requested_rest_route() ) ) )
		);
		$parts = array();
		foreach ( $params as $name => $value ) {
			$value   = (string) preg_replace( '/[^\x20\x21\x23-\x5B\x5D-\x7E]/', '', (string) $value );
			$parts[] = $name . '="' . $value . '"';
		}
		return 'Bearer ' . implode( ', ', $parts );
	}

	/**
	 * The `scope` of a challenge that names no scope of its own: the least privilege that normal
	 * use needs, `read write` by default (filter `wpoa_challenge_scope`). `full` is never
	 * offered here, whatever the filter returns: it is asked for deliberately, not by default.
	 *
	 * @return string Space-separated scope values, canonical order.
	 */
	public static function challenge_scope(): string {
		/**
		 * Filters the scope that 401 challenges without a scope of their own suggest
		 * (RFC 6750 §3 `scope`). Unknown values and `full` are dropped.
		 *
		 * @param string $scope Default `read write`.
		 */
		$tokens = Scopes::parse( (string) apply_filters( 'wpoa_challenge_scope', 'read write' ) );
		$tokens = array_diff( $tokens, Scopes::unknown( $tokens ), array( 'full' ) );
		$scope  = Scopes::to_string( array_values( $tokens ) );
		return '' !== $scope ? $scope : Scopes::DEFAULT_SCOPE;
	}

	/**
	 * Our error as a WP_Error for core's REST server (rewritten on rest_post_dispatch).
	 *
	 * @return \WP_Error
	 */
	private function wp_error(): \WP_Error {
		$code = $this->error instanceof Storage_Unavailable ? 'db_unavailable' : $this->error->error;
		return new \WP_Error( $code, $this->error->getMessage(), array( 'status' => $this->error->status ) );
	}
}
