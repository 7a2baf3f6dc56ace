<?php
/**
 * DPoP (RFC 9449) for the token endpoint and the REST API: proofs, replay, nonces, binding.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Checks the `DPoP` proof of a request and answers in RFC 9449's terms. The cryptographic
 * checks (signature, `typ`, `alg`, `jwk`, `htm`, `htu`, `iat`, `nonce`, `ath`, `jkt`, the MCP
 * profile's `content_digest`) are the extension's (Crypto::dpop_verify); this class adds what
 * needs the request and shared state:
 *
 * - the proof header: exactly one `DPoP` header holding one JWT (RFC 9449 §4.3 steps 1–2);
 * - `htu`: the site's own configured origin (home URL: scheme, host, port) plus the path the
 *   request addressed, never the `Host` header (§4.3 step 9; query and fragment ignored);
 *   filter `wpoa_dpop_htu`;
 * - the `iat` window: 300 s either way by default (filter `wpoa_dpop_iat_window`), as the MCP
 *   DPoP profile asks (§4.3 step 11, §11.1);
 * - server nonces (§8, §9): required by default at the token endpoint and the REST API
 *   (filter `wpoa_dpop_require_nonce`), rotated every 300 s (filter `wpoa_dpop_nonce_lifetime`),
 *   the previous nonce accepted for one more period; see docs/decisions/;
 * - replay (§11.1): every accepted proof's `jti` is stored (Dpop_Repository::remember_proof) until
 *   its `iat` window has closed; a second use is refused on every node;
 * - errors (§5, §7.1, §9): `invalid_dpop_proof`, and `use_dpop_nonce` with a `DPoP-Nonce`
 *   header; 400 at the token endpoint, 401 with `WWW-Authenticate: DPoP algs="…"` at the API.
 *
 * At the token endpoint the key thumbprint of the request's proof is kept for this request
 * (bound_jkt()) so that Token_Issuer puts it into `cnf.jkt` and answers `token_type: DPoP`.
 */
final class Dpop {

	/** Every algorithm the extension verifies (RFC 9449 §5.1 `dpop_signing_alg_values_supported`). */
	const ALGS = array( 'ES256', 'EdDSA', 'PS256', 'RS256' );

	/** Where a proof is checked: the token endpoint. */
	const AT_TOKEN = 'token';

	/** Where a proof is checked: a REST API (resource) request. */
	const AT_RESOURCE = 'resource';

	/**
	 * The key thumbprint of this token request's verified proof, or null.
	 *
	 * @var string|null
	 */
	private static $bound_jkt = null;

	/**
	 * Accepted proof algorithms (filter `wpoa_dpop_signing_algs`, kept within ALGS).
	 *
	 * @return string[]
	 */
	public static function algs(): array {
		/**
		 * Filters the DPoP proof algorithms accepted and advertised (RFC 9449 §5.1). Values outside
		 * ES256, EdDSA, PS256 and RS256 are ignored; an empty result falls back to all four.
		 *
		 * @param string[] $algs Default ES256, EdDSA, PS256, RS256.
		 */
		$algs = array_values( array_intersect( self::ALGS, (array) apply_filters( 'wpoa_dpop_signing_algs', self::ALGS ) ) );
		return array() === $algs ? self::ALGS : $algs;
	}

	/**
	 * Whether proofs must carry a server nonce.
	 *
	 * @param string $where AT_TOKEN or AT_RESOURCE.
	 * @return bool
	 */
	public static function nonce_required( string $where ): bool {
		/**
		 * Filters whether DPoP proofs must carry a server-provided nonce (RFC 9449 §8, §9).
		 *
		 * @param bool   $required Default true.
		 * @param string $where    `token` (token endpoint) or `resource` (REST API).
		 */
		return (bool) apply_filters( 'wpoa_dpop_require_nonce', true, $where );
	}

	/**
	 * The nonce rotation period in seconds (filter `wpoa_dpop_nonce_lifetime`, 30..3600, default 300).
	 *
	 * @return int
	 */
	public static function nonce_lifetime(): int {
		/**
		 * Filters how often the DPoP server nonce rotates, in seconds. The previous nonce is accepted
		 * for one more period.
		 *
		 * @param int $seconds Default 300.
		 */
		return max( 30, min( HOUR_IN_SECONDS, (int) apply_filters( 'wpoa_dpop_nonce_lifetime', 300 ) ) );
	}

	/**
	 * The accepted proof age window.
	 *
	 * @return array{0:int,1:int} Seconds into the past and into the future that `iat` may lie (0..3600 each).
	 */
	public static function iat_window(): array {
		/**
		 * Filters how far a DPoP proof's `iat` may lie from the server clock, in seconds
		 * (RFC 9449 §4.3 step 11, §11.1). Replayed proofs are refused within this window.
		 *
		 * @param int[] $window [past, future]; default [300, 300] (the MCP DPoP profile's ±5 minutes).
		 */
		$window = (array) apply_filters( 'wpoa_dpop_iat_window', array( 300, 300 ) );
		$past   = max( 0, min( HOUR_IN_SECONDS, (int) ( $window[0] ?? 300 ) ) );
		$future = max( 0, min( HOUR_IN_SECONDS, (int) ( $window[1] ?? 300 ) ) );
		return array( $past, $future );
	}

	/**
	 * The nonce a client should put in its next proof (for the `DPoP-Nonce` header, RFC 9449 §8.1).
	 *
	 * @return string
	 * @throws Storage_Unavailable When the database did not answer.
	 */
	public static function current_nonce(): string {
		return Dpop_Repository::nonces( self::nonce_lifetime(), time() )[0];
	}

	/**
	 * The request's `DPoP` header, or null when there is none.
	 *
	 * @param string|null $value The header as read by the caller (a WP_REST_Request), or null to read $_SERVER.
	 * @param string      $where AT_TOKEN or AT_RESOURCE (the form of the error).
	 * @return string|null
	 * @throws OAuth_Error `invalid_dpop_proof` when it is empty or holds more than one proof (RFC 9449 §4.3 steps 1–2).
	 */
	public static function proof_header( ?string $value, string $where ): ?string {
		if ( null === $value ) {
			if ( ! isset( $_SERVER['HTTP_DPOP'] ) || ! is_string( $_SERVER['HTTP_DPOP'] ) ) {
				return null;
			}
			$value = (string) wp_unslash( $_SERVER['HTTP_DPOP'] ); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- a JWT, checked by the extension.
		}
		$value = trim( $value, " \t" );
		// A JWT holds no comma or white space: either means several headers joined into one.
		if ( '' === $value || 1 === preg_match( '/[\s,]/', $value ) ) {
			self::refused( 'multiple', $where );
			throw self::error( 'invalid_dpop_proof', __( 'The request must carry exactly one DPoP proof.', 'wp-oauth' ), $where );
		}
		return $value;
	}

	/**
	 * The `htu` a proof for the current REST request must carry: the scheme, host and port of the
	 * site's configured home URL and the path the request addressed (RFC 9449 §4.3 step 9).
	 *
	 * @return string Absolute URL without query.
	 */
	public static function request_htu(): string {
		$home   = wp_parse_url( home_url( '/' ) );
		$origin = ( $home['scheme'] ?? 'https' ) . '://' . ( $home['host'] ?? '' ) . ( isset( $home['port'] ) ? ':' . $home['port'] : '' );
		$uri    = isset( $_SERVER['REQUEST_URI'] ) ? (string) wp_unslash( $_SERVER['REQUEST_URI'] ) : '/'; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- only the path is used, normalized by the extension.
		$path   = (string) strtok( $uri, '?#' );
		$path   = '' === $path || '/' !== $path[0] ? '/' . $path : $path;
		/**
		 * Filters the URL a DPoP proof's `htu` is compared with (query and fragment are ignored).
		 * Sites whose proxy rewrites paths set the public URL here. Never derive it from the Host
		 * header alone.
		 *
		 * @param string $htu Default: the home URL's origin plus the requested path.
		 */
		return (string) apply_filters( 'wpoa_dpop_htu', $origin . $path );
	}

	/**
	 * Verifies a proof, checks its nonce and records its `jti` so it cannot be used again.
	 *
	 * @param string      $proof        The `DPoP` header value.
	 * @param string      $where        AT_TOKEN or AT_RESOURCE.
	 * @param string      $htm          The HTTP method the client sent.
	 * @param string      $htu          The URL (see request_htu(), Urls::token_endpoint()).
	 * @param string|null $access_token At a resource: the access token (the proof needs its `ath`).
	 * @param string|null $jkt          At a resource: the token's `cnf.jkt`.
	 * @param string|null $body         At a resource: the raw request body (for the MCP profile's `content_digest`).
	 * @return array{jkt:string, jti:string, iat:int} What the extension returned (see Crypto::dpop_verify()).
	 * @throws OAuth_Error `invalid_dpop_proof`, `use_dpop_nonce`, at a resource `invalid_token` for a key
	 *                     that is not the token's; Storage_Unavailable (503).
	 */
	public static function verify( string $proof, string $where, string $htm, string $htu, ?string $access_token = null, ?string $jkt = null, ?string $body = null ): array {
		list( $past, $future ) = self::iat_window();
		$now                   = time();
		$expect                = array(
			'htm'        => $htm,
			'htu'        => $htu,
			'now'        => $now,
			'iat_past'   => $past,
			'iat_future' => $future,
			'algs'       => self::algs(),
		);
		if ( self::nonce_required( $where ) ) {
			$expect['nonce'] = Dpop_Repository::nonces( self::nonce_lifetime(), $now );
		}
		if ( null !== $access_token ) {
			$expect['access_token'] = $access_token;
		}
		if ( null !== $jkt ) {
			$expect['jkt'] = $jkt;
		}
		if ( null !== $body ) {
			$expect['body'] = $body;
		}
		try {
			$result = Crypto::dpop_verify( $proof, $expect );
		} catch ( \WpOAuth\TokenException $e ) {
			throw self::refusal( (int) $e->getCode(), $where );
		} catch ( \WpOAuth\Exception $e ) {
			// A bad expectation (e.g. a malformed htu from a filter) is the site's problem, not the client's.
			do_action( 'wpoa_crypto_error', 'dpop_verify', $e->getCode(), $e->getMessage() );
			throw new OAuth_Error( 'server_error', __( 'The DPoP proof could not be checked.', 'wp-oauth' ), 500 );
		}
		// RFC 9449 §11.1: a proof is accepted once. Keep it until its iat window has closed.
		$expires = max( (int) $result['iat'], $now ) + $past + 1;
		if ( ! Dpop_Repository::remember_proof( (string) $result['jkt'], (string) $result['jti'], $expires ) ) {
			self::refused( 'replay', $where );
			throw self::error( 'invalid_dpop_proof', __( 'This DPoP proof has already been used.', 'wp-oauth' ), $where );
		}
		/**
		 * Fires when a DPoP proof was accepted and its `jti` stored against replay.
		 *
		 * @param string $jkt   The proof key's RFC 7638 thumbprint.
		 * @param string $where `token` or `resource`.
		 */
		do_action( 'wpoa_dpop_proof_accepted', (string) $result['jkt'], $where );
		return $result;
	}

	/**
	 * The error for a proof the extension refused (mapping of RFC 9449 §5, §7.1, §9).
	 *
	 * @param int    $code  \WpOAuth\TokenException code.
	 * @param string $where AT_TOKEN or AT_RESOURCE.
	 * @return OAuth_Error
	 */
	private static function refusal( int $code, string $where ): OAuth_Error {
		$reasons = array(
			101 => 'malformed',
			102 => 'too_long',
			103 => 'invalid_base64',
			104 => 'invalid_json',
			108 => 'unsupported_crit',
			109 => 'invalid_signature',
			110 => 'invalid_claim',
			111 => 'missing_claim',
			117 => 'invalid_typ',
			118 => 'invalid_alg',
			119 => 'invalid_jwk',
			120 => 'private_key',
			121 => 'htm_mismatch',
			122 => 'htu_mismatch',
			123 => 'stale_iat',
			124 => 'future_iat',
			125 => 'ath_missing',
			126 => 'ath_mismatch',
			127 => 'nonce_missing',
			128 => 'nonce_mismatch',
			129 => 'jkt_mismatch',
			130 => 'content_digest_mismatch',
		);
		$reason = $reasons[ $code ] ?? 'invalid';
		self::refused( $reason, $where );
		switch ( $reason ) {
			case 'nonce_missing':
			case 'nonce_mismatch':
				return self::error( 'use_dpop_nonce', __( 'The DPoP proof must carry the nonce of the DPoP-Nonce header.', 'wp-oauth' ), $where );
			case 'jkt_mismatch':
				if ( self::AT_RESOURCE === $where ) {
					// RFC 9449 §7.1: the token is not bound to this key.
					return self::error( 'invalid_token', __( 'Invalid DPoP key binding.', 'wp-oauth' ), $where );
				}
				return self::error( 'invalid_dpop_proof', __( 'The DPoP proof was signed with another key than the one this grant is bound to.', 'wp-oauth' ), $where );
			case 'htm_mismatch':
			case 'htu_mismatch':
				return self::error( 'invalid_dpop_proof', __( 'The DPoP proof was made for another request (htm or htu).', 'wp-oauth' ), $where );
			case 'stale_iat':
			case 'future_iat':
				return self::error( 'invalid_dpop_proof', __( 'The DPoP proof is too old or dated in the future (iat).', 'wp-oauth' ), $where );
			case 'ath_missing':
			case 'ath_mismatch':
				return self::error( 'invalid_dpop_proof', __( 'The DPoP proof does not carry the hash of this access token (ath).', 'wp-oauth' ), $where );
		}
		return self::error( 'invalid_dpop_proof', __( 'The DPoP proof is not valid.', 'wp-oauth' ), $where );
	}

	/**
	 * Fires `wpoa_dpop_proof_refused`.
	 *
	 * @param string $reason Machine-readable reason.
	 * @param string $where  AT_TOKEN or AT_RESOURCE.
	 */
	private static function refused( string $reason, string $where ): void {
		/**
		 * Fires when a DPoP proof is refused (for security logging).
		 *
		 * @param string $reason `replay`, `missing`, `malformed`, `invalid_signature`, `invalid_typ`,
		 *                       `invalid_alg`, `invalid_jwk`, `private_key`, `htm_mismatch`,
		 *                       `htu_mismatch`, `stale_iat`, `future_iat`, `ath_missing`,
		 *                       `ath_mismatch`, `nonce_missing`, `nonce_mismatch`, `jkt_mismatch`,
		 *                       `content_digest_mismatch`, `bearer_scheme`, `not_bound`, …
		 * @param string $where  `token` or `resource`.
		 */
		do_action( 'wpoa_dpop_proof_refused', $reason, $where );
	}

	/**
	 * A DPoP error in the form of its place: 400 at the token endpoint (RFC 9449 §5), 401 with a
	 * `WWW-Authenticate: DPoP` challenge at a resource (§7.1); `use_dpop_nonce` carries a fresh
	 * `DPoP-Nonce` header (§8, §9).
	 *
	 * @param string $error       `invalid_dpop_proof`, `use_dpop_nonce` or `invalid_token`.
	 * @param string $description Translated, human-readable.
	 * @param string $where       AT_TOKEN or AT_RESOURCE.
	 * @return OAuth_Error
	 */
	public static function error( string $error, string $description, string $where ): OAuth_Error {
		$headers = array();
		if ( 'use_dpop_nonce' === $error ) {
			$headers['DPoP-Nonce'] = self::current_nonce();
		}
		if ( self::AT_TOKEN === $where ) {
			return new OAuth_Error( $error, $description, 400, $headers );
		}
		$headers['WWW-Authenticate'] = self::challenge(
			array(
				'error'             => $error,
				'error_description' => $description,
			)
		);
		return new OAuth_Error( $error, $description, 401, $headers );
	}

	/**
	 * A `WWW-Authenticate: DPoP` challenge (RFC 9449 §7.1): realm, the given parameters, `algs`.
	 *
	 * @param array<string,string> $params error, error_description.
	 * @return string
	 */
	public static function challenge( array $params ): string {
		$params = array_merge( array( 'realm' => Urls::realm() ), $params, array( 'algs' => implode( ' ', self::algs() ) ) );
		$parts  = array();
		foreach ( $params as $name => $value ) {
			$value   = (string) preg_replace( '/[^\x20\x21\x23-\x5B\x5D-\x7E]/', '', (string) $value );
			$parts[] = $name . '="' . $value . '"';
		}
		return 'DPoP ' . implode( ', ', $parts );
	}

	/**
	 * Token endpoint (RFC 9449 §5): verifies the request's proof, if any, and remembers its key
	 * for the tokens this request issues. Call once per token request, after client authentication.
	 *
	 * @param \WP_REST_Request $request The token request.
	 * @param Client|null      $client  The authenticated client (its `dpop_bound_access_tokens`, RFC 9449 §5.2).
	 * @return string|null The proof key's thumbprint, or null when the request carries no proof.
	 * @throws OAuth_Error `invalid_dpop_proof` (also for a missing proof when the client registered
	 *                     `dpop_bound_access_tokens`) or `use_dpop_nonce` (400); Storage_Unavailable.
	 */
	public static function token_request( \WP_REST_Request $request, ?Client $client = null ): ?string {
		self::$bound_jkt = null;
		$headers         = $request->get_header_as_array( 'dpop' );
		if ( null === $headers || array() === $headers ) {
			if ( null !== $client && true === ( $client->metadata['dpop_bound_access_tokens'] ?? false ) ) {
				// RFC 9449 §5.2: this client registered that it always uses DPoP.
				self::refused( 'missing', self::AT_TOKEN );
				throw new OAuth_Error( 'invalid_dpop_proof', __( 'This client registered dpop_bound_access_tokens: its token requests must carry a DPoP proof.', 'wp-oauth' ) );
			}
			return null;
		}
		$proof           = self::proof_header( implode( ',', array_map( 'strval', $headers ) ), self::AT_TOKEN );
		$result          = self::verify( (string) $proof, self::AT_TOKEN, 'POST', Urls::token_endpoint() );
		self::$bound_jkt = (string) $result['jkt'];
		return self::$bound_jkt;
	}

	/**
	 * The key thumbprint the tokens of this token request are bound to, or null.
	 *
	 * @return string|null
	 */
	public static function bound_jkt(): ?string {
		return self::$bound_jkt;
	}

	/**
	 * Forgets this request's binding (tests, long-running processes).
	 */
	public static function reset(): void {
		self::$bound_jkt = null;
	}

	/**
	 * Binds a new grant's refresh tokens to this request's key when the client is public (RFC 9449
	 * §5: a confidential client's refresh tokens are bound to its authentication instead).
	 *
	 * @param int    $grant_id The new grant.
	 * @param Client $client   The client.
	 * @throws OAuth_Error 500 `server_error` when the binding cannot be stored (call inside the grant's transaction).
	 */
	public static function bind_grant( int $grant_id, Client $client ): void {
		if ( null === self::$bound_jkt || $client->is_confidential() ) {
			return;
		}
		if ( ! Dpop_Repository::bind_grant( $grant_id, self::$bound_jkt ) ) {
			throw new OAuth_Error( 'server_error', __( 'The grant could not be stored.', 'wp-oauth' ), 500 );
		}
	}

	/**
	 * A code requested with `dpop_jkt` is redeemed only with a proof made by that key (RFC 9449 §10).
	 *
	 * @param object $code Code row (with `dpop_jkt`).
	 * @throws OAuth_Error 400 `invalid_grant` when the proof is missing or made with another key
	 *                     (the code is spent, as for every failed redemption).
	 */
	public static function check_code_binding( object $code ): void {
		$bound = isset( $code->dpop_jkt ) ? (string) $code->dpop_jkt : '';
		if ( '' === $bound ) {
			return;
		}
		if ( null === self::$bound_jkt || ! hash_equals( $bound, self::$bound_jkt ) ) {
			self::refused( null === self::$bound_jkt ? 'missing' : 'jkt_mismatch', self::AT_TOKEN );
			throw new OAuth_Error( 'invalid_grant', __( 'This authorization code is bound to a DPoP key (dpop_jkt): redeem it with a DPoP proof made by that key.', 'wp-oauth' ) );
		}
	}

	/**
	 * A refresh of a key-bound grant must come with a proof made with that key (RFC 9449 §5).
	 *
	 * @param object $grant Grant row (with `dpop_jkt`).
	 * @throws OAuth_Error 400 `invalid_dpop_proof` when the proof is missing or made with another key.
	 */
	public static function check_grant_binding( object $grant ): void {
		$bound = isset( $grant->dpop_jkt ) ? (string) $grant->dpop_jkt : '';
		if ( '' === $bound ) {
			return;
		}
		if ( null === self::$bound_jkt ) {
			self::refused( 'missing', self::AT_TOKEN );
			throw new OAuth_Error( 'invalid_dpop_proof', __( 'This refresh token is bound to a DPoP key: send a DPoP proof made with it.', 'wp-oauth' ) );
		}
		if ( ! hash_equals( $bound, self::$bound_jkt ) ) {
			self::refused( 'jkt_mismatch', self::AT_TOKEN );
			throw new OAuth_Error( 'invalid_dpop_proof', __( 'The DPoP proof was signed with another key than the one this grant is bound to.', 'wp-oauth' ) );
		}
	}

	/**
	 * Resource server (RFC 9449 §7): checks the proof of a REST request whose access token already
	 * verified. A DPoP-bound token (`cnf.jkt`) needs the `DPoP` scheme and a proof made with its key
	 * for this request (`htm`, `htu`, `ath`, nonce, fresh `jti`); a token without `cnf` is not
	 * accepted under the `DPoP` scheme.
	 *
	 * @param string              $scheme `bearer` or `dpop` (lower case).
	 * @param string              $token  The access token.
	 * @param array<string,mixed> $claims Its verified claims.
	 * @throws OAuth_Error 401 `invalid_token` (bound token sent as Bearer, unbound as DPoP, other key),
	 *                     `invalid_dpop_proof`, `use_dpop_nonce`; Storage_Unavailable.
	 */
	public static function check_resource_request( string $scheme, string $token, array $claims ): void {
		$jkt = isset( $claims['cnf'] ) && is_array( $claims['cnf'] ) && is_string( $claims['cnf']['jkt'] ?? null ) ? $claims['cnf']['jkt'] : null;
		if ( 'dpop' !== $scheme ) {
			if ( null !== $jkt ) {
				// RFC 9449 §7.2: a DPoP-bound token is not a bearer token.
				self::refused( 'bearer_scheme', self::AT_RESOURCE );
				throw self::error( 'invalid_token', __( 'This access token is bound to a DPoP key: send it with the DPoP scheme and a DPoP proof.', 'wp-oauth' ), self::AT_RESOURCE );
			}
			return;
		}
		if ( null === $jkt ) {
			self::refused( 'not_bound', self::AT_RESOURCE );
			throw self::error( 'invalid_token', __( 'This access token is not bound to a DPoP key: send it with the Bearer scheme.', 'wp-oauth' ), self::AT_RESOURCE );
		}
		$proof = self::proof_header( null, self::AT_RESOURCE );
		if ( null === $proof ) {
			self::refused( 'missing', self::AT_RESOURCE );
			throw self::error( 'invalid_dpop_proof', __( 'A DPoP proof (the DPoP header) is required with this access token.', 'wp-oauth' ), self::AT_RESOURCE );
		}
		$method = isset( $_SERVER['REQUEST_METHOD'] ) ? strtoupper( (string) wp_unslash( $_SERVER['REQUEST_METHOD'] ) ) : 'GET'; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- compared exactly.
		$body   = (string) file_get_contents( 'php://input' ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents -- the raw body, as core's WP_REST_Server::get_raw_data().
		self::verify( $proof, self::AT_RESOURCE, $method, self::request_htu(), $token, $jkt, $body );
	}
}
