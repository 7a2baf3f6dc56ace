<?php
/**
 * HTTPS policy for every OAuth endpoint and for bearer authentication.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * OAuth 2.1 §1.5 / RFC 6749 §3.1, §3.2 and RFC 6750 §5.3 require TLS for every
 * request that carries codes, tokens or credentials. Plain HTTP is refused unless
 * the environment type is `local` (as core does for Application Passwords) or the
 * `wpoa_allow_insecure_http` filter allows it. `X-Forwarded-Proto: https` counts
 * only when the direct peer (REMOTE_ADDR) is a trusted proxy configured by the
 * site owner (option `wpoa_trusted_proxies` or filter `wpoa_trusted_proxies`).
 */
final class Https_Policy {

	/**
	 * Whether the current request arrived over HTTPS (directly or via a trusted proxy).
	 *
	 * @return bool
	 */
	public static function is_secure(): bool {
		if ( is_ssl() ) {
			return true;
		}
		$proto = isset( $_SERVER['HTTP_X_FORWARDED_PROTO'] ) ? strtolower( trim( (string) wp_unslash( $_SERVER['HTTP_X_FORWARDED_PROTO'] ) ) ) : '';
		if ( '' === $proto ) {
			return false;
		}
		// Only the first hop's value counts: "https, http" means the client spoke https to the first proxy.
		$first = trim( (string) strtok( $proto, ',' ) );
		return 'https' === $first && self::peer_is_trusted_proxy();
	}

	/**
	 * Whether REMOTE_ADDR is one of the configured trusted proxies (exact IPs).
	 *
	 * @return bool
	 */
	public static function peer_is_trusted_proxy(): bool {
		$peer = isset( $_SERVER['REMOTE_ADDR'] ) ? (string) wp_unslash( $_SERVER['REMOTE_ADDR'] ) : '';
		if ( '' === $peer || false === filter_var( $peer, FILTER_VALIDATE_IP ) ) {
			return false;
		}
		/**
		 * Filters the IP addresses of reverse proxies whose X-Forwarded-Proto is believed.
		 *
		 * @param string[] $proxies IPs from the `wpoa_trusted_proxies` option. Default empty.
		 */
		$proxies = (array) apply_filters( 'wpoa_trusted_proxies', (array) get_option( 'wpoa_trusted_proxies', array() ) );
		foreach ( $proxies as $proxy ) {
			$proxy = (string) $proxy;
			if ( '' !== $proxy && inet_pton( $proxy ) !== false && inet_pton( $proxy ) === inet_pton( $peer ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Whether the current request may use OAuth: HTTPS, or an allowed exception.
	 *
	 * @return bool
	 */
	public static function allows_request(): bool {
		if ( self::is_secure() ) {
			return true;
		}
		$allowed = 'local' === wp_get_environment_type();
		/**
		 * Filters whether OAuth endpoints and bearer authentication work over plain HTTP.
		 * Only for development behind a trusted network; tokens travel in clear text.
		 *
		 * @param bool $allowed True for the `local` environment type, else false.
		 */
		return (bool) apply_filters( 'wpoa_allow_insecure_http', $allowed );
	}

	/**
	 * The error for a refused plain-HTTP request (RFC 6749 §5.2 `invalid_request`, 400).
	 *
	 * @return OAuth_Error
	 */
	public static function error(): OAuth_Error {
		return new OAuth_Error(
			'invalid_request',
			__( 'HTTPS is required: OAuth requests over plain HTTP are refused. Use the https:// address of this site.', 'wp-oauth' ),
			400
		);
	}

	/**
	 * Throws the HTTPS error when the request is not allowed.
	 *
	 * @throws OAuth_Error When the request is plain HTTP and no exception applies.
	 */
	public static function require_https(): void {
		if ( ! self::allows_request() ) {
			throw self::error();
		}
	}
}
