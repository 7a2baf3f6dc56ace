<?php
/**
 * Validation of client metadata (RFC 7591 §2) for dynamic registration, RFC 7592
 * updates and the admin screen.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Turns untrusted client metadata into the normalized set we store, or throws the
 * RFC 7591 §3.2.2 error. One rule set for every way a client is made, so a
 * client registered by hand can never hold a redirect URI that registration refuses.
 *
 * Error codes (decision, see docs/clients.md): everything about `redirect_uris`
 * (missing, wrong type, too many, one bad URI) is `invalid_redirect_uri`; every
 * other problem is `invalid_client_metadata`. Both are HTTP 400 and nothing is stored.
 *
 * Redirect URI rules (OAuth 2.1 §2.3, RFC 8252 §7, §8.3, RFC 9700 §4.1):
 * - absolute, no fragment, no whitespace or control characters, at most 2000 bytes;
 * - `https://host/…` (no user-info);
 * - `http://` only to loopback: the IP literals `127.0.0.1` and `[::1]`, and `localhost`,
 *   which RFC 8252 §8.3 discourages but MCP clients register (the port may vary at
 *   authorization time, RFC 8252 §7.3);
 * - private-use schemes in reverse-domain form (`com.example.app:/cb`, the scheme
 *   must contain a dot);
 * - never `javascript:`, `data:`, `file:`, `vbscript:`, `about:`, `blob:`, `filesystem:`.
 *
 * `application_type` (OpenID Connect Dynamic Client Registration 1.0 §2, used by MCP clients):
 * `web` or `native`. When absent it is inferred: `native` when any redirect URI is loopback
 * or a private-use scheme, else `web`. A `web` client may register only https redirect URIs
 * (`invalid_redirect_uri` otherwise).
 *
 * Human-readable strings (`client_name`, `software_id`, `software_version`) must not contain
 * characters that hide or disguise text on the consent screen (INVISIBLE: controls, Unicode
 * bidi controls, zero-width and other format characters, non-space blanks): refused with
 * `invalid_client_metadata` (RFC 7591 §2 lets the server refuse any value).
 */
final class Client_Metadata {

	/** Token endpoint authentication methods we support (RFC 7591 §2). */
	const AUTH_METHODS = array( 'none', 'client_secret_basic', 'client_secret_post' );

	/** Grant types we support (RFC 7591 §2). */
	const GRANT_TYPES = array( 'authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange' ); // RFC 8693 §2.1: only on request.

	/** The device authorization grant type (RFC 8628 §3.4); registered on request only, never by default. */
	const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

	/** Response types we support (RFC 7591 §2). */
	const RESPONSE_TYPES = array( 'code' );

	/** Schemes never accepted as redirect URIs, whatever their form. */
	const FORBIDDEN_SCHEMES = array( 'javascript', 'data', 'file', 'vbscript', 'about', 'blob', 'filesystem', 'view-source', 'ws', 'wss', 'ftp' );

	/** Accepted `application_type` values (OpenID Connect Dynamic Client Registration 1.0 §2). */
	const APPLICATION_TYPES = array( 'web', 'native' );

	/**
	 * Characters that hide, reorder or disguise text when a name is shown: C0/C1 controls,
	 * format characters (bidi embeddings, overrides and isolates U+202A–U+202E, U+2066–U+2069,
	 * marks U+200E/U+200F/U+061C, zero-width U+200B–U+200D, U+2060, U+FEFF, tag characters),
	 * private-use and unassigned code points, line and paragraph separators, every space other
	 * than U+0020, combining grapheme joiner, variation selectors, and the blank-looking
	 * Hangul fillers and Braille blank. A PCRE class for the `u` modifier.
	 */
	const INVISIBLE = '/[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\x{00A0}\x{1680}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}\x{034F}\x{115F}\x{1160}\x{3164}\x{FFA0}\x{2800}\x{180B}-\x{180F}\x{FE00}-\x{FE0F}\x{E0100}-\x{E01EF}]/u';

	/** Longest accepted URI, in bytes. */
	const MAX_URI_LENGTH = 2000;

	/** Longest accepted short string (name, software_id, software_version), in characters. */
	const MAX_STRING_LENGTH = 255;

	/** Most contacts accepted. */
	const MAX_CONTACTS = 10;

	/**
	 * Most redirect URIs per client (filter `wpoa_max_redirect_uris`, default 10).
	 *
	 * @return int
	 */
	public static function max_redirect_uris(): int {
		/**
		 * Filters how many redirect URIs one client may register.
		 *
		 * @param int $max Default 10.
		 */
		return max( 1, (int) apply_filters( 'wpoa_max_redirect_uris', 10 ) );
	}

	/**
	 * Validates and normalizes client metadata.
	 *
	 * Unknown members are ignored (RFC 7591 §2); a member whose value is JSON `null`
	 * counts as absent. Defaults: `grant_types` ["authorization_code","refresh_token"],
	 * `response_types` ["code"], `token_endpoint_auth_method` `client_secret_basic`
	 * (RFC 7591 §2's default).
	 *
	 * @param mixed $input Decoded JSON (must be an object, i.e. an associative array).
	 * @return array{redirect_uris:string[], token_endpoint_auth_method:string, grant_types:string[], response_types:string[], client_name?:string, client_uri?:string, logo_uri?:string, scope?:string, contacts?:string[], software_id?:string, software_version?:string, dpop_bound_access_tokens?:true}
	 *               The metadata to store and return, in a stable member order.
	 * @throws OAuth_Error `invalid_redirect_uri` or `invalid_client_metadata` (400).
	 */
	public static function validate( $input ): array {
		if ( ! is_array( $input ) || ( array() !== $input && array_is_list( $input ) ) ) {
			throw self::error( __( 'The client metadata must be a JSON object.', 'wp-oauth' ) );
		}
		$in  = array_filter( $input, static fn( $v ) => null !== $v );
		$out = array();

		// grant_types and response_types (RFC 7591 §2.1).
		// The device authorization grant (RFC 8628 §3.4) may be registered with or without the code flow.
		$grant_types = self::enum_list( $in, 'grant_types', array_merge( self::GRANT_TYPES, array( self::DEVICE_CODE_GRANT ) ), array( 'authorization_code', 'refresh_token' ) );
		$code_flow   = in_array( 'authorization_code', $grant_types, true );
		if ( ! $code_flow && ! in_array( self::DEVICE_CODE_GRANT, $grant_types, true ) ) {
			throw self::error( __( 'grant_types must include "authorization_code" or "urn:ietf:params:oauth:grant-type:device_code": they are the only ways this server issues tokens to a registered client.', 'wp-oauth' ) );
		}
		$response_types = self::enum_list( $in, 'response_types', self::RESPONSE_TYPES, $code_flow ? self::RESPONSE_TYPES : array() );
		if ( $code_flow && ! in_array( 'code', $response_types, true ) ) {
			throw self::error( __( 'grant_types "authorization_code" requires response_types "code" (RFC 7591 §2.1).', 'wp-oauth' ) );
		}
		if ( ! $code_flow && array() !== $response_types ) {
			throw self::error( __( 'response_types "code" requires grant_types "authorization_code" (RFC 7591 §2.1).', 'wp-oauth' ) );
		}

		// redirect_uris: required for the code flow; a device-only client has none to send users back to.
		if ( $code_flow && ! array_key_exists( 'redirect_uris', $in ) ) {
			throw self::redirect_error( __( 'redirect_uris is required for the authorization code flow.', 'wp-oauth' ) );
		}
		$no_uris              = ! $code_flow && ( ! array_key_exists( 'redirect_uris', $in ) || array() === $in['redirect_uris'] );
		$out['redirect_uris'] = $no_uris ? array() : self::redirect_uris( $in['redirect_uris'] );

		// token_endpoint_auth_method.
		$method = $in['token_endpoint_auth_method'] ?? 'client_secret_basic';
		if ( ! is_string( $method ) || ! in_array( $method, self::AUTH_METHODS, true ) ) {
			throw self::error(
				sprintf(
					/* translators: %s: comma-separated list of supported methods. */
					__( 'token_endpoint_auth_method must be one of: %s.', 'wp-oauth' ),
					implode( ', ', self::AUTH_METHODS )
				)
			);
		}
		$out['token_endpoint_auth_method'] = $method;
		$out['grant_types']                = $grant_types;
		$out['response_types']             = $response_types;
		$out['application_type']           = self::application_type( $in, $out['redirect_uris'] );

		// Human-readable strings.
		foreach ( array( 'client_name', 'software_id', 'software_version' ) as $key ) {
			if ( array_key_exists( $key, $in ) ) {
				$value = self::short_string( $in[ $key ], $key );
				if ( '' !== $value ) {
					$out[ $key ] = $value;
				}
			}
		}

		// Web pages about the client: https only (they are shown as links on the consent screen).
		foreach ( array( 'client_uri', 'logo_uri' ) as $key ) {
			if ( array_key_exists( $key, $in ) ) {
				$out[ $key ] = self::https_url( $in[ $key ], $key );
			}
		}

		if ( array_key_exists( 'scope', $in ) ) {
			$scope = self::scope( $in['scope'] );
			if ( '' !== $scope ) {
				$out['scope'] = $scope;
			}
		}

		if ( array_key_exists( 'contacts', $in ) ) {
			$out['contacts'] = self::contacts( $in['contacts'] );
		}

		// RFC 9449 §5.2: the client always uses DPoP; token requests without a proof are refused.
		if ( array_key_exists( 'dpop_bound_access_tokens', $in ) ) {
			if ( ! is_bool( $in['dpop_bound_access_tokens'] ) ) {
				throw self::error( __( 'dpop_bound_access_tokens must be true or false (RFC 9449 §5.2).', 'wp-oauth' ) );
			}
			if ( $in['dpop_bound_access_tokens'] ) {
				$out['dpop_bound_access_tokens'] = true;
			}
		}

		/**
		 * Filters validated client metadata before it is stored. Throw an OAuth_Error
		 * to refuse a registration for a site-specific reason.
		 *
		 * @param array $out   Normalized metadata.
		 * @param array $input The decoded request (untrusted).
		 */
		return (array) apply_filters( 'wpoa_client_metadata', $out, $input );
	}

	/**
	 * Validates one redirect URI (rules in the class comment).
	 *
	 * @param mixed $uri Candidate.
	 * @return string|null The translated reason it is refused, or null when it is acceptable.
	 */
	public static function redirect_uri_problem( $uri ): ?string {
		if ( ! is_string( $uri ) || '' === $uri ) {
			return __( 'Each redirect URI must be a non-empty string.', 'wp-oauth' );
		}
		if ( strlen( $uri ) > self::MAX_URI_LENGTH ) {
			return __( 'A redirect URI is too long.', 'wp-oauth' );
		}
		if ( preg_match( '/[^\x21-\x7e]/', $uri ) ) {
			return __( 'A redirect URI must not contain spaces, control or non-ASCII characters (percent-encode them).', 'wp-oauth' );
		}
		if ( false !== strpos( $uri, '#' ) ) {
			return __( 'A redirect URI must not contain a fragment (#).', 'wp-oauth' );
		}
		if ( ! preg_match( '/^([A-Za-z][A-Za-z0-9+.\-]*):(.*)$/s', $uri, $m ) ) {
			return __( 'A redirect URI must be absolute (start with a scheme such as https:).', 'wp-oauth' );
		}
		$scheme = strtolower( $m[1] );
		$rest   = $m[2];
		if ( in_array( $scheme, self::FORBIDDEN_SCHEMES, true ) ) {
			return sprintf(
				/* translators: %s: URI scheme, e.g. javascript. */
				__( 'Redirect URIs with the "%s:" scheme are not allowed.', 'wp-oauth' ),
				$scheme
			);
		}
		if ( 'https' === $scheme || 'http' === $scheme ) {
			if ( 0 !== strpos( $rest, '//' ) ) {
				return __( 'An http(s) redirect URI must have a host (https://host/path).', 'wp-oauth' );
			}
			$parts = wp_parse_url( $uri );
			if ( ! is_array( $parts ) || empty( $parts['host'] ) ) {
				return __( 'An http(s) redirect URI must have a host (https://host/path).', 'wp-oauth' );
			}
			if ( isset( $parts['user'] ) || isset( $parts['pass'] ) || preg_match( '#^//[^/?]*@#', $rest ) ) {
				return __( 'A redirect URI must not contain user information (user@host).', 'wp-oauth' );
			}
			if ( 'http' === $scheme ) {
				$host = strtolower( $parts['host'] );
				if ( '127.0.0.1' !== $host && '[::1]' !== $host && 'localhost' !== $host ) {
					return __( 'Plain http redirect URIs are allowed only to loopback (127.0.0.1, [::1] or localhost); use https.', 'wp-oauth' );
				}
			}
			return null;
		}
		// Private-use URI scheme (RFC 8252 §7.1): reverse domain name form.
		if ( false === strpos( $scheme, '.' ) ) {
			return sprintf(
				/* translators: %s: URI scheme. */
				__( 'The custom scheme "%s:" is not in reverse domain name form (e.g. com.example.app:/callback, RFC 8252 §7.1).', 'wp-oauth' ),
				$scheme
			);
		}
		if ( '' === $rest ) {
			return __( 'A redirect URI needs a path after the scheme (e.g. com.example.app:/callback).', 'wp-oauth' );
		}
		return null;
	}

	/**
	 * The validated, de-duplicated `redirect_uris` list.
	 *
	 * @param mixed $value Candidate.
	 * @return string[]
	 * @throws OAuth_Error `invalid_redirect_uri`.
	 */
	private static function redirect_uris( $value ): array {
		if ( ! is_array( $value ) || ! array_is_list( $value ) ) {
			throw self::redirect_error( __( 'redirect_uris must be a JSON array of strings.', 'wp-oauth' ) );
		}
		if ( array() === $value ) {
			throw self::redirect_error( __( 'redirect_uris must contain at least one URI.', 'wp-oauth' ) );
		}
		if ( count( $value ) > self::max_redirect_uris() ) {
			throw self::redirect_error(
				sprintf(
					/* translators: %d: maximum number of redirect URIs. */
					__( 'Too many redirect URIs: at most %d are allowed.', 'wp-oauth' ),
					self::max_redirect_uris()
				)
			);
		}
		$uris = array();
		foreach ( $value as $uri ) {
			$problem = self::redirect_uri_problem( $uri );
			if ( null !== $problem ) {
				throw self::redirect_error( $problem );
			}
			$uris[] = $uri;
		}
		return array_values( array_unique( $uris ) );
	}

	/**
	 * A list of values from an allowed set (`grant_types`, `response_types`).
	 *
	 * @param array    $in       Input.
	 * @param string   $key      Member name.
	 * @param string[] $allowed  Allowed values.
	 * @param string[] $default  Value when absent.
	 * @return string[]
	 * @throws OAuth_Error `invalid_client_metadata`.
	 */
	private static function enum_list( array $in, string $key, array $allowed, array $default ): array {
		if ( ! array_key_exists( $key, $in ) ) {
			return $default;
		}
		$value = $in[ $key ];
		if ( ! is_array( $value ) || ! array_is_list( $value ) || array() === $value ) {
			/* translators: %s: metadata member name. */
			throw self::error( sprintf( __( '%s must be a non-empty JSON array of strings.', 'wp-oauth' ), $key ) );
		}
		foreach ( $value as $item ) {
			if ( ! is_string( $item ) || ! in_array( $item, $allowed, true ) ) {
				throw self::error(
					sprintf(
						/* translators: 1: metadata member name, 2: comma-separated supported values. */
						__( '%1$s may contain only: %2$s.', 'wp-oauth' ),
						$key,
						implode( ', ', $allowed )
					)
				);
			}
		}
		return array_values( array_intersect( $allowed, $value ) );
	}

	/**
	 * A short human-readable string.
	 *
	 * @param mixed  $value Candidate.
	 * @param string $key   Member name (for the message).
	 * @return string Trimmed.
	 * @throws OAuth_Error `invalid_client_metadata`.
	 */
	private static function short_string( $value, string $key ): string {
		if ( ! is_string( $value ) || ! mb_check_encoding( $value, 'UTF-8' ) ) {
			/* translators: %s: metadata member name. */
			throw self::error( sprintf( __( '%s must be a string.', 'wp-oauth' ), $key ) );
		}
		$value = trim( $value );
		if ( mb_strlen( $value ) > self::MAX_STRING_LENGTH || preg_match( '/[\x00-\x1f\x7f]/', $value ) ) {
			/* translators: 1: metadata member name, 2: maximum length. */
			throw self::error( sprintf( __( '%1$s must be at most %2$d characters, without control characters.', 'wp-oauth' ), $key, self::MAX_STRING_LENGTH ) );
		}
		if ( self::has_invisible( $value ) ) {
			throw self::error(
				sprintf(
					/* translators: %s: metadata member name. */
					__( '%s must not contain invisible, bidirectional-control or other formatting characters.', 'wp-oauth' ),
					$key
				)
			);
		}
		return $value;
	}

	/**
	 * Whether a string holds characters that hide or disguise text (INVISIBLE).
	 *
	 * @param string $value UTF-8 string (invalid UTF-8 counts as disguised).
	 * @return bool
	 */
	public static function has_invisible( string $value ): bool {
		return 1 === preg_match( self::INVISIBLE, $value ) || ! mb_check_encoding( $value, 'UTF-8' );
	}

	/**
	 * A name made safe to show: every INVISIBLE character removed, runs of spaces collapsed.
	 *
	 * @param string $value Any string.
	 * @return string
	 */
	public static function neutralize( string $value ): string {
		if ( ! mb_check_encoding( $value, 'UTF-8' ) ) {
			$value = mb_convert_encoding( $value, 'UTF-8', 'UTF-8' );
		}
		return trim( (string) preg_replace( '/ {2,}/', ' ', (string) preg_replace( self::INVISIBLE, '', $value ) ) );
	}

	/**
	 * `application_type` (rules in the class comment).
	 *
	 * @param array    $in   Input.
	 * @param string[] $uris Validated redirect URIs.
	 * @return string `web` or `native`.
	 * @throws OAuth_Error `invalid_client_metadata` for an unknown value, `invalid_redirect_uri`
	 *                     for a `web` client with a non-https redirect URI.
	 */
	private static function application_type( array $in, array $uris ): string {
		$https = array_filter( $uris, static fn( $u ) => 0 === stripos( $u, 'https://' ) );
		if ( ! array_key_exists( 'application_type', $in ) ) {
			return count( $https ) === count( $uris ) ? 'web' : 'native';
		}
		$type = $in['application_type'];
		if ( ! is_string( $type ) || ! in_array( $type, self::APPLICATION_TYPES, true ) ) {
			throw self::error( __( 'application_type must be "web" or "native".', 'wp-oauth' ) );
		}
		if ( 'web' === $type && count( $https ) !== count( $uris ) ) {
			throw self::redirect_error( __( 'A web application may register only https redirect URIs; loopback and custom-scheme redirect URIs need application_type "native".', 'wp-oauth' ) );
		}
		return $type;
	}

	/**
	 * An absolute https URL (client_uri, logo_uri).
	 *
	 * @param mixed  $value Candidate.
	 * @param string $key   Member name.
	 * @return string
	 * @throws OAuth_Error `invalid_client_metadata`.
	 */
	private static function https_url( $value, string $key ): string {
		$parts = is_string( $value ) ? wp_parse_url( $value ) : false;
		if ( ! is_string( $value ) || strlen( $value ) > self::MAX_URI_LENGTH || preg_match( '/[^\x21-\x7e]/', $value )
			|| ! is_array( $parts ) || 'https' !== strtolower( $parts['scheme'] ?? '' ) || empty( $parts['host'] )
			|| isset( $parts['user'] ) || isset( $parts['pass'] ) ) {
			/* translators: %s: metadata member name. */
			throw self::error( sprintf( __( '%s must be an absolute https URL.', 'wp-oauth' ), $key ) );
		}
		return $value;
	}

	/**
	 * The `scope` ceiling: known scope tokens only, canonical order.
	 *
	 * @param mixed $value Candidate.
	 * @return string
	 * @throws OAuth_Error `invalid_client_metadata`.
	 */
	private static function scope( $value ): string {
		if ( ! is_string( $value ) || strlen( $value ) > 1000 ) {
			throw self::error( __( 'scope must be a string of space-separated scope values.', 'wp-oauth' ) );
		}
		$tokens  = Scopes::parse( $value );
		$unknown = Scopes::unknown( $tokens );
		if ( array() !== $unknown ) {
			throw self::error(
				sprintf(
					/* translators: 1: unknown scope values, 2: supported scope values. */
					__( 'Unknown scope value(s): %1$s. Supported: %2$s.', 'wp-oauth' ),
					implode( ' ', array_map( static fn( $t ) => substr( preg_replace( '/[^\x21-\x7e]/', '?', $t ), 0, 40 ), $unknown ) ),
					implode( ' ', Scopes::supported() )
				)
			);
		}
		return Scopes::to_string( $tokens );
	}

	/**
	 * `contacts`: e-mail addresses (RFC 7591 §2).
	 *
	 * @param mixed $value Candidate.
	 * @return string[]
	 * @throws OAuth_Error `invalid_client_metadata`.
	 */
	private static function contacts( $value ): array {
		if ( ! is_array( $value ) || ! array_is_list( $value ) || count( $value ) > self::MAX_CONTACTS ) {
			/* translators: %d: maximum number of contacts. */
			throw self::error( sprintf( __( 'contacts must be a JSON array of at most %d e-mail addresses.', 'wp-oauth' ), self::MAX_CONTACTS ) );
		}
		$out = array();
		foreach ( $value as $contact ) {
			if ( ! is_string( $contact ) || strlen( $contact ) > 254 || ! is_email( $contact ) ) {
				throw self::error( __( 'Each contact must be an e-mail address.', 'wp-oauth' ) );
			}
			$out[] = $contact;
		}
		return array_values( array_unique( $out ) );
	}

	/**
	 * An `invalid_client_metadata` error (RFC 7591 §3.2.2).
	 *
	 * @param string $description Why.
	 * @return OAuth_Error
	 */
	public static function error( string $description ): OAuth_Error {
		return new OAuth_Error( 'invalid_client_metadata', $description, 400 );
	}

	/**
	 * An `invalid_redirect_uri` error (RFC 7591 §3.2.2).
	 *
	 * @param string $description Why.
	 * @return OAuth_Error
	 */
	public static function redirect_error( string $description ): OAuth_Error {
		return new OAuth_Error( 'invalid_redirect_uri', $description, 400 );
	}
}
