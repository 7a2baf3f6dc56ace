<?php
/**
 * The request's `Authorization` header, wherever the web server left it for PHP.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Finds the `Authorization` header (RFC 9110 §11.6.2) of the HTTP request PHP is serving.
 *
 * Web servers do not all hand it to PHP the same way:
 * - nginx + php-fpm, Apache with `CGIPassAuth On`, and a rewrite rule that sets the variable
 *   (WordPress's own `.htaccess`): `$_SERVER['HTTP_AUTHORIZATION']`;
 * - Apache after an internal rewrite whose rule set the variable only before it:
 *   `$_SERVER['REDIRECT_HTTP_AUTHORIZATION']`;
 * - Apache + mod_php without such a rule: neither, but the request's own headers through
 *   `getallheaders()` (`apache_request_headers()` on the `apache2handler` SAPI).
 *
 * Bearer and DPoP authentication (RFC 6750 §2.1, RFC 9449 §7.1), client authentication
 * (`client_secret_basic`, RFC 6749 §2.3.1) and the registration access token (RFC 7592 §3)
 * all read it here, so that a credential either reaches every one of them or none.
 * WordPress's REST request knows only the first two sources (WP_REST_Server::get_headers()).
 */
final class Authorization_Header {

	/**
	 * The header of the HTTP request PHP is serving, from the first source that has it, or
	 * null: `HTTP_AUTHORIZATION`, `REDIRECT_HTTP_AUTHORIZATION`, then `getallheaders()` /
	 * `apache_request_headers()` (Plugin::authorization_header(), which reads them before any
	 * component is loaded).
	 *
	 * @return string|null The raw header value (unparsed, may hold several credentials).
	 */
	public static function from_server(): ?string {
		return Plugin::authorization_header();
	}

	/**
	 * The header of a REST request: its own, or, when it has none and it is the HTTP request
	 * PHP is serving (its headers are those WordPress read from `$_SERVER`), what
	 * from_server() finds where WordPress did not look.
	 *
	 * A request made in code (rest_do_request(), tests) never takes the header of the HTTP
	 * request around it.
	 *
	 * @param \WP_REST_Request $request The request.
	 * @return string|null The raw header value, or null.
	 */
	public static function for_request( \WP_REST_Request $request ): ?string {
		$own = $request->get_header( 'authorization' );
		if ( is_string( $own ) && '' !== $own ) {
			return $own;
		}
		if ( ! self::is_served_request( $request ) ) {
			return null;
		}
		return self::from_server();
	}

	/**
	 * Whether a REST request is the HTTP request being served: WordPress built its headers
	 * from `$_SERVER` (WP_REST_Server::serve_request()), so they are exactly those.
	 *
	 * @param \WP_REST_Request $request The request.
	 * @return bool
	 */
	private static function is_served_request( \WP_REST_Request $request ): bool {
		if ( ! isset( $_SERVER['REQUEST_METHOD'] ) || ! function_exists( 'rest_get_server' ) ) {
			return false;
		}
		$mirror = new \WP_REST_Request();
		$mirror->set_headers( rest_get_server()->get_headers( wp_unslash( $_SERVER ) ) );
		return $mirror->get_headers() === $request->get_headers();
	}
}
