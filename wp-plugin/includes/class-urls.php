<?php
/**
 * Every URL the plugin publishes: issuer, audience, endpoints.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * One place for the identifiers clients compare byte for byte.
 */
final class Urls {

	/**
	 * Filters whose callbacks shape issuer() and audience(): a change to any of them (a callback
	 * added or removed) makes the memoised values stale.
	 */
	const INPUT_HOOKS = array( 'wpoa_issuer', 'wpoa_audience', 'home_url', 'rest_url', 'rest_url_prefix', 'set_url_scheme', 'option_home', 'pre_option_home', 'option_permalink_structure', 'pre_option_permalink_structure' );

	/**
	 * Values computed in this request: context key => [name => value].
	 *
	 * @var array<string, array<string, string>>
	 */
	private static $memo = array();

	/**
	 * A value computed once per request and context (site, HTTPS or not, the callbacks on the
	 * filters that shape it): issuer() and audience() are compared byte for byte on every bearer
	 * request and at several endpoints, and core computes them from options and filters each time.
	 *
	 * @param string   $name    `issuer` or `audience`.
	 * @param callable $compute Returns the value.
	 * @return string
	 */
	private static function memo( string $name, callable $compute ): string {
		global $wp_filter, $wp_rewrite;
		$key = get_current_blog_id() . ( is_ssl() ? 's' : '' ) . '|' . ( isset( $wp_rewrite ) ? (string) $wp_rewrite->permalink_structure : '' );
		foreach ( self::INPUT_HOOKS as $hook ) {
			if ( isset( $wp_filter[ $hook ] ) ) {
				$key .= '|' . $hook . ':' . spl_object_id( $wp_filter[ $hook ] ) . ':' . count( $wp_filter[ $hook ]->callbacks, COUNT_RECURSIVE );
			}
		}
		if ( ! isset( self::$memo[ $key ][ $name ] ) ) {
			if ( count( self::$memo ) > 8 ) {
				self::$memo = array();
			}
			self::$memo[ $key ][ $name ] = $compute();
		}
		return self::$memo[ $key ][ $name ];
	}

	/**
	 * Forgets the memoised values (after the site's URL options changed within a request, and in tests).
	 */
	public static function forget(): void {
		self::$memo = array();
	}

	/**
	 * The issuer identifier (RFC 8414 §2): the site's home URL without a trailing
	 * slash. It is the `iss` of every token and the `iss` authorization response
	 * parameter (RFC 9207), exactly.
	 *
	 * @return string
	 */
	public static function issuer(): string {
		return self::memo( 'issuer', static fn() => (string) apply_filters( 'wpoa_issuer', untrailingslashit( home_url() ) ) );
	}

	/**
	 * The resource (RFC 8707, RFC 9728 §2) our tokens are for: this site's REST API
	 * root, e.g. `https://example.com/wp-json/`. It is the `aud` of every access token.
	 *
	 * @return string
	 */
	public static function audience(): string {
		return self::memo( 'audience', static fn() => (string) apply_filters( 'wpoa_audience', rest_url() ) );
	}

	/**
	 * The `realm` used in `WWW-Authenticate` challenges (RFC 6750 §3).
	 *
	 * @return string
	 */
	public static function realm(): string {
		return str_replace( array( '"', '\\' ), '', (string) wp_parse_url( home_url(), PHP_URL_HOST ) );
	}

	/**
	 * A REST route of the plugin as an absolute URL.
	 *
	 * @param string $route Route below the namespace, e.g. `token`.
	 * @return string
	 */
	public static function rest( string $route ): string {
		return rest_url( Plugin::REST_NAMESPACE . '/' . ltrim( $route, '/' ) );
	}

	/** Path of the authorization endpoint below the site's home URL. */
	const AUTHORIZE_PATH = 'oauth/authorize';

	/**
	 * Authorization endpoint (RFC 6749 §3.1) as published: `{home}/oauth/authorize`, with no
	 * query component, so that clients which build `endpoint + "?" + params` work (RFC 6749
	 * §3.1 allows a query in the endpoint, many clients do not). It answers by redirecting,
	 * with the request's query unchanged, to the consent screen on the login page
	 * (login_screen_authorization_url()), so login, two-factor, page-cache exclusion and
	 * login-URL plugins all apply as to core's login.
	 *
	 * @return string
	 */
	public static function authorization_endpoint(): string {
		return home_url( '/' . self::AUTHORIZE_PATH );
	}

	/**
	 * Where the consent screen lives: `wp-login.php?action=oauth_authorize` (through
	 * `site_url( …, 'login' )`, which login-URL plugins rewrite). Still accepted as an
	 * authorization endpoint by clients that were configured with it.
	 *
	 * @return string
	 */
	public static function login_screen_authorization_url(): string {
		return site_url( 'wp-login.php?action=oauth_authorize', 'login' );
	}

	/** @return string Device authorization endpoint (RFC 8628 §3.1). */
	public static function device_authorization_endpoint(): string {
		return self::rest( 'device_authorization' );
	}

	/**
	 * Verification URI of the device authorization grant (RFC 8628 §3.2): the page on
	 * wp-login.php where a person types the user code, like the consent screen.
	 *
	 * @return string
	 */
	public static function device_verification_uri(): string {
		return site_url( 'wp-login.php?action=oauth_device', 'login' );
	}

	/** @return string Token endpoint (RFC 6749 §3.2). */
	public static function token_endpoint(): string {
		return self::rest( 'token' );
	}

	/** @return string Registration endpoint (RFC 7591 §3). */
	public static function registration_endpoint(): string {
		return self::rest( 'register' );
	}

	/**
	 * Client configuration endpoint (RFC 7592 §2).
	 *
	 * @param string $client_id The client.
	 * @return string
	 */
	public static function registration_client_uri( string $client_id ): string {
		return self::rest( 'register/' . rawurlencode( $client_id ) );
	}

	/** @return string Revocation endpoint (RFC 7009 §2). */
	public static function revocation_endpoint(): string {
		return self::rest( 'revoke' );
	}

	/** @return string Introspection endpoint (RFC 7662 §2). */
	public static function introspection_endpoint(): string {
		return self::rest( 'introspect' );
	}

	/** @return string JWK Set document (RFC 7517 §5). */
	public static function jwks_uri(): string {
		return self::rest( 'jwks' );
	}

	/**
	 * Well-known URL with the issuer's path inserted after the well-known segment
	 * (RFC 8414 §3.1, RFC 9728 §3.1): `https://h/.well-known/<name>/blog`.
	 *
	 * @param string $name `oauth-authorization-server` or `oauth-protected-resource`.
	 * @param string $base The identifier (issuer or resource) to derive it from.
	 * @return string
	 */
	public static function well_known( string $name, string $base ): string {
		$parts = wp_parse_url( $base );
		$port  = isset( $parts['port'] ) ? ':' . $parts['port'] : '';
		$path  = isset( $parts['path'] ) ? rtrim( $parts['path'], '/' ) : '';
		return $parts['scheme'] . '://' . $parts['host'] . $port . '/.well-known/' . $name . $path;
	}

	/** @return string RFC 8414 metadata URL for this issuer. */
	public static function authorization_server_metadata(): string {
		return self::well_known( 'oauth-authorization-server', self::issuer() );
	}

	/**
	 * RFC 9728 metadata URL for the REST API resource: the well-known path inserted before the
	 * resource's path, trailing slash kept (§3.1), so that the document's `resource` is exactly
	 * Urls::audience() (§3.3).
	 *
	 * @return string
	 */
	public static function protected_resource_metadata(): string {
		return Resources::metadata_url( self::audience() );
	}
}
