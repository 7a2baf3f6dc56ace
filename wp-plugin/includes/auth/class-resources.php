<?php
/**
 * The protected resources of this site: its REST API and every URL below it.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Which RFC 8707 `resource` values this authorization server grants, what `aud` a token for
 * each carries, where each one's RFC 9728 metadata lives, and which audience a bearer request
 * may present.
 *
 * Resources (RFC 8707 §2, RFC 9728 §1.2):
 * - the REST API root, Urls::audience() (`https://example.com/wp-json/`), also written without
 *   its trailing slash, and the site URL (Urls::issuer(), with or without a trailing slash):
 *   all of these are the whole API, and the token's `aud` is Urls::audience();
 * - any absolute URL below the REST root, e.g. an MCP server inside WordPress such as
 *   `https://example.com/wp-json/mcp/mcp-adapter-default-server`: the token's `aud` is that
 *   URL exactly, and such a token is accepted only on requests to that URL or below it.
 *   Refused (`invalid_target`): a fragment or a query (RFC 8707 §2), user information, dot
 *   segments (`.`/`..`, also percent-encoded), empty segments, whitespace, control or
 *   non-ASCII characters, more than MAX_LENGTH bytes. Resources below the REST root exist only
 *   when the REST root has no query (pretty permalinks), as `?rest_route=` URLs have no paths.
 */
final class Resources {

	/** Longest resource kept as an audience, in bytes (the `audience` columns are varchar(255)). */
	const MAX_LENGTH = 255;

	/** Path of the protected-resource metadata well-known URI (RFC 9728 §3). */
	const WELL_KNOWN = '/.well-known/oauth-protected-resource';

	/**
	 * The audience a `resource` value is granted as.
	 *
	 * @param string $value A `resource` parameter as received (RFC 8707 §2).
	 * @return string|null Urls::audience() for the API as a whole, the value itself for a URL
	 *                     below the REST root, null when it is not a resource of this site.
	 */
	public static function audience_for( string $value ): ?string {
		$audience = Urls::audience();
		$issuer   = Urls::issuer();
		if ( in_array( $value, array( $audience, untrailingslashit( $audience ), $issuer, trailingslashit( $issuer ) ), true ) ) {
			return $audience;
		}
		return self::is_below_rest_root( $value ) ? $value : null;
	}

	/**
	 * Whether a URL is a resource strictly below the REST root (rules in the class comment).
	 *
	 * @param string $value Candidate URL.
	 * @return bool
	 */
	public static function is_below_rest_root( string $value ): bool {
		$root = Urls::audience();
		if ( false !== strpos( $root, '?' ) || strlen( $value ) > self::MAX_LENGTH ) {
			return false;
		}
		$prefix = trailingslashit( $root );
		if ( 0 !== strpos( $value, $prefix ) || strlen( $value ) === strlen( $prefix ) ) {
			return false;
		}
		$rest = substr( $value, strlen( $prefix ) );
		if ( preg_match( '/[^\x21-\x7e]|[?#\\\\]/', $rest ) ) {
			return false;
		}
		foreach ( explode( '/', rtrim( $rest, '/' ) ) as $segment ) {
			$decoded = strtolower( $segment );
			if ( '' === $segment || '.' === $decoded || '..' === $decoded || preg_match( '/^(\.|%2e){1,2}$/i', $segment ) ) {
				return false;
			}
		}
		return true;
	}

	/**
	 * The resource a path-inserted protected-resource metadata URL describes (RFC 9728 §3.1):
	 * `/.well-known/oauth-protected-resource{path}[?{query}]` describes `{origin}{path}[?{query}]`,
	 * which must be one of this site's resources exactly as written (§3.3: the document's
	 * `resource` is identical to the URL the client derived the well-known URL from). A query
	 * appears with plain permalinks, where the REST API is `{home}/index.php?rest_route=/`. The bare
	 * well-known URL describes the origin, which is a resource of this site only when the site
	 * lives at the domain root.
	 *
	 * @param string $path  Request path (decoded, no query).
	 * @param string $query The request's query string as received (without `?`), '' for none.
	 * @return string|null The resource URL, or null when the path is none of ours.
	 */
	public static function for_metadata_path( string $path, string $query = '' ): ?string {
		if ( 0 !== strpos( $path, self::WELL_KNOWN ) ) {
			return null;
		}
		$inserted = substr( $path, strlen( self::WELL_KNOWN ) );
		if ( '' !== $inserted && '/' !== $inserted[0] ) {
			return null;
		}
		$origin = self::origin();
		if ( '' !== $query ) {
			$resource = $origin . ( '' === $inserted ? '/' : $inserted ) . '?' . $query;
			return null !== self::audience_for( $resource ) ? $resource : null;
		}
		if ( '' === $inserted || '/' === $inserted ) {
			return untrailingslashit( Urls::issuer() ) === $origin ? $origin : null;
		}
		$resource = $origin . $inserted;
		return null !== self::audience_for( $resource ) ? $resource : null;
	}

	/**
	 * The protected-resource metadata URL of a resource (RFC 9728 §3.1): the well-known path
	 * inserted between the host and the resource's path and query, a trailing slash kept, e.g.
	 * `https://h/.well-known/oauth-protected-resource/blog/wp-json/`, or for plain permalinks
	 * `https://h/.well-known/oauth-protected-resource/index.php?rest_route=/`.
	 *
	 * @param string $resource One of this site's resources.
	 * @return string
	 */
	public static function metadata_url( string $resource ): string {
		$path  = (string) wp_parse_url( $resource, PHP_URL_PATH );
		$query = (string) wp_parse_url( $resource, PHP_URL_QUERY );
		return self::origin() . self::WELL_KNOWN . ( '/' === $path ? '' : $path ) . ( '' === $query ? '' : '?' . $query );
	}

	/**
	 * The resource a REST request belongs to, for the `resource_metadata` of its challenge
	 * (RFC 9728 §5.1): the REST API root, unless the `wpoa_resource_for_route` filter names a
	 * resource below it that contains the route (an MCP server, say).
	 *
	 * @param string|null $route The REST route (e.g. `/mcp/mcp-adapter-default-server`), or null.
	 * @return string
	 */
	public static function for_route( ?string $route ): string {
		$root = Urls::audience();
		/**
		 * Filters which protected resource a REST route belongs to, so that its 401 challenge
		 * points at that resource's metadata. Return a URL at or above the route's own URL and
		 * below the REST root (e.g. an MCP server's URL); anything else is ignored.
		 *
		 * @param string      $resource Default: the REST API root (Urls::audience()).
		 * @param string|null $route    The REST route, e.g. `/mcp/mcp-adapter-default-server`.
		 */
		$resource = (string) apply_filters( 'wpoa_resource_for_route', $root, $route );
		if ( $resource === $root || null === $route || ! self::is_below_rest_root( $resource ) || ! self::url_within( self::route_url( $route ), $resource ) ) {
			return $root;
		}
		return $resource;
	}

	/**
	 * Whether a verified token's `aud` lets it be used on a REST request (RFC 9068 §4, RFC 8707):
	 * it is Urls::audience() (the REST API root, valid on every route), or a resource below the
	 * REST root that the request addresses or is below, by whole path segments. An array `aud`
	 * (RFC 7519 §4.1.3) passes when it is a list of strings and one of its members does; any
	 * other shape (a JSON object, a nested array, a number) names no audience.
	 *
	 * @param mixed       $aud   The token's `aud` claim, as verified.
	 * @param string|null $route The REST route of the request (Plugin::requested_rest_route()), or null.
	 * @return bool
	 */
	public static function audience_allows_route( $aud, ?string $route ): bool {
		foreach ( self::audiences( $aud ) as $one ) {
			if ( $one === Urls::audience() || ( null !== $route && self::is_below_rest_root( $one ) && self::url_within( self::route_url( $route ), $one ) ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Whether a verified token's `aud` is one of this site's resources (the REST API root or a
	 * resource below it): what revocation (RFC 7009) and introspection (RFC 7662) accept, since
	 * they serve tokens for any of the site's resources. Arrays as audience_allows_route().
	 *
	 * @param mixed $aud The token's `aud` claim, as verified.
	 * @return bool
	 */
	public static function is_site_audience( $aud ): bool {
		foreach ( self::audiences( $aud ) as $one ) {
			if ( $one === Urls::audience() || self::is_below_rest_root( $one ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Whether a verified token's `aud` is `$audience`, or an array holding it (RFC 7519 §4.1.3).
	 *
	 * @param mixed  $aud      The token's `aud` claim, as verified.
	 * @param string $audience The audience asked for.
	 * @return bool
	 */
	public static function audience_is( $aud, string $audience ): bool {
		return in_array( $audience, self::audiences( $aud ), true );
	}

	/**
	 * The audiences an `aud` claim names, in the shapes RFC 7519 §4.1.3 gives it: a string, or a
	 * JSON array of strings (a list in PHP). Anything else names none: the extension hands JSON
	 * objects over as associative arrays, which are not audiences whatever their values.
	 *
	 * @param mixed $aud The token's `aud` claim, as verified.
	 * @return string[]
	 */
	private static function audiences( $aud ): array {
		if ( is_string( $aud ) ) {
			return array( $aud );
		}
		if ( ! is_array( $aud ) || ! array_is_list( $aud ) ) {
			return array();
		}
		foreach ( $aud as $one ) {
			if ( ! is_string( $one ) ) {
				return array();
			}
		}
		return $aud;
	}

	/**
	 * Whether `$url` is `$resource` or below it, by whole path segments.
	 *
	 * @param string $url      Request URL (no query).
	 * @param string $resource Resource URL.
	 * @return bool
	 */
	public static function url_within( string $url, string $resource ): bool {
		$base = untrailingslashit( $resource );
		return untrailingslashit( $url ) === $base || 0 === strpos( $url, $base . '/' );
	}

	/**
	 * The absolute URL of a REST route (no query).
	 *
	 * @param string $route REST route.
	 * @return string
	 */
	private static function route_url( string $route ): string {
		return trailingslashit( Urls::audience() ) . ltrim( $route, '/' );
	}

	/**
	 * `scheme://host[:port]` of the REST API.
	 *
	 * @return string
	 */
	private static function origin(): string {
		$parts = wp_parse_url( Urls::audience() );
		$port  = isset( $parts['port'] ) ? ':' . $parts['port'] : '';
		return $parts['scheme'] . '://' . $parts['host'] . $port;
	}
}
