<?php
/**
 * Which scope each REST route and method needs: the allowlist behind every bearer request
 * (RFC 6749 §3.3 scopes, RFC 6750 §3.1 `insufficient_scope`).
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * The route × method × scope table, and the decision for one request.
 *
 * Every REST route is named by its *shape*: the pattern it was registered with, each named
 * group `(?P<name>…)` written `{name}` (`/wp/v2/posts/(?P<id>[\d]+)` → `/wp/v2/posts/{id}`).
 * Each shape maps methods (GET, POST, PUT, PATCH, DELETE; HEAD counts as GET, OPTIONS is
 * always allowed because core answers it without running the route) to the least scope
 * that may call it:
 *
 * - `read`:  safe methods on routes that expose no secrets (every scope may call them);
 * - `write`: content — posts, pages, reusable blocks, media, comments, categories and tags,
 *            their revisions and autosaves (`write` and `full` tokens);
 * - `full`:  everything else the user can do: account security (the user's own email,
 *            password, roles; deleting users), site settings, users, plugins, themes and
 *            site design, OAuth grants and clients (`full` tokens only);
 * - `never`: creating a credential that would outlive the token (Application Passwords):
 *            refused to every bearer token unless the `wpoa_bearer_may_mint_credentials`
 *            filter allows it for a `full` token.
 *
 * A route that is not in the table is *unclassified*: its safe methods need `read`, every
 * other method needs `full`. Other plugins classify their routes with the
 * `wpoa_route_scopes` filter. The table is documented, row for row, in docs/scopes.md;
 * a test checks the two against each other and against every route registered.
 *
 * The table is an allowlist on top of the capability filter (Scope_Enforcer), not instead
 * of it: a route must pass both, and neither ever widens what the user's role allows.
 */
final class Route_Policy {

	/** Scope levels in increasing order of what they allow. */
	const LEVELS = array(
		'read'  => 1,
		'write' => 2,
		'full'  => 3,
		'never' => 4,
	);

	/** Methods the table names. HEAD is read as GET. */
	const METHODS = array( 'GET', 'POST', 'PUT', 'PATCH', 'DELETE' );

	/**
	 * The table after the `wpoa_route_scopes` filter, per request.
	 *
	 * @var array<string, array<string,string>>|null
	 */
	private static $table = null;

	/**
	 * The built-in table: route shape => method => least scope.
	 *
	 * @return array<string, array<string,string>>
	 */
	public static function builtin(): array {
		$read    = array( 'GET' => 'read' );
		$content = array(
			'GET'    => 'read',
			'POST'   => 'write',
			'PUT'    => 'write',
			'PATCH'  => 'write',
			'DELETE' => 'write',
		);
		$design  = array(
			'GET'    => 'read',
			'POST'   => 'full',
			'PUT'    => 'full',
			'PATCH'  => 'full',
			'DELETE' => 'full',
		);
		$full    = array(
			'GET'    => 'full',
			'POST'   => 'full',
			'PUT'    => 'full',
			'PATCH'  => 'full',
			'DELETE' => 'full',
		);

		$table = array(
			'/'                                                  => $read,
			'/batch/v1'                                          => array( 'POST' => 'read' ),
			'/oembed/1.0'                                        => $read,
			'/oembed/1.0/embed'                                  => $read,
			'/oembed/1.0/proxy'                                  => array( 'GET' => 'write' ),
			'/wp/v2'                                             => $read,
			'/wp/v2/search'                                      => $read,
			'/wp/v2/types'                                       => $read,
			'/wp/v2/types/{type}'                                => $read,
			'/wp/v2/statuses'                                    => $read,
			'/wp/v2/statuses/{status}'                           => $read,
			'/wp/v2/taxonomies'                                  => $read,
			'/wp/v2/taxonomies/{taxonomy}'                       => $read,
			'/wp/v2/block-types'                                 => $read,
			'/wp/v2/block-types/{namespace}'                     => $read,
			'/wp/v2/block-types/{namespace}/{name}'              => $read,
			'/wp/v2/block-renderer/{name}'                       => array(
				'GET'  => 'read',
				'POST' => 'read',
			),
			'/wp/v2/block-patterns/patterns'                     => $read,
			'/wp/v2/block-patterns/categories'                   => $read,
			'/wp/v2/pattern-directory/patterns'                  => $read,
			'/wp/v2/comments'                                    => $content,
			'/wp/v2/comments/{id}'                               => $content,
			'/wp/v2/categories'                                  => $content,
			'/wp/v2/categories/{id}'                             => $content,
			'/wp/v2/tags'                                        => $content,
			'/wp/v2/tags/{id}'                                   => $content,
			'/wp/v2/media/{id}/post-process'                     => array( 'POST' => 'write' ),
			'/wp/v2/media/{id}/edit'                             => array( 'POST' => 'write' ),
			'/wp-block-editor/v1/url-details'                    => array( 'GET' => 'write' ),
			// Users: reading who is who is `read`; changing anyone, the token's user included
			// (email, password, roles, login) or deleting them is account security.
			'/wp/v2/users'                                       => array(
				'GET'  => 'read',
				'POST' => 'full',
			),
			'/wp/v2/users/{id}'                                  => array_merge( $full, array( 'GET' => 'read' ) ),
			'/wp/v2/users/me'                                    => array_merge( $full, array( 'GET' => 'read' ) ),
			// Application Passwords: a credential that outlives the token is never minted by
			// one; listing, renaming and deleting them is account security.
			'/wp/v2/users/{user_id}/application-passwords'       => array(
				'GET'    => 'full',
				'POST'   => 'never',
				'DELETE' => 'full',
			),
			'/wp/v2/users/{user_id}/application-passwords/introspect' => array( 'GET' => 'full' ),
			'/wp/v2/users/{user_id}/application-passwords/{uuid}' => $full,
			'/wp/v2/settings'                                    => $full,
			'/wp/v2/plugins'                                     => $full,
			'/wp/v2/plugins/{plugin}'                            => $full,
			'/wp/v2/block-directory/search'                      => $full,
			'/wp-site-health/v1/tests/background-updates'        => $full,
			'/wp-site-health/v1/tests/loopback-requests'         => $full,
			'/wp-site-health/v1/tests/https-status'              => $full,
			'/wp-site-health/v1/tests/dotorg-communication'      => $full,
			'/wp-site-health/v1/tests/authorization-header'      => $full,
			'/wp-site-health/v1/tests/page-cache'                => $full,
			'/wp-site-health/v1/directory-sizes'                 => $full,
			'/wp-block-editor/v1/export'                         => $full,
			// Creates a navigation menu when the site has none: a write behind a GET.
			'/wp-block-editor/v1/navigation-fallback'            => $full,
			// Themes and site design: readable by every scope, changed with `full` only.
			'/wp/v2/themes'                                      => $design,
			'/wp/v2/themes/{stylesheet}'                         => $design,
			'/wp/v2/sidebars'                                    => $design,
			'/wp/v2/sidebars/{id}'                               => $design,
			'/wp/v2/widget-types'                                => $design,
			'/wp/v2/widget-types/{id}'                           => $design,
			'/wp/v2/widget-types/{id}/encode'                    => array( 'POST' => 'read' ),
			'/wp/v2/widget-types/{id}/render'                    => array( 'POST' => 'read' ),
			'/wp/v2/widgets'                                     => $design,
			'/wp/v2/widgets/{id}'                                => $design,
			'/wp/v2/menu-locations'                              => $design,
			'/wp/v2/menu-locations/{location}'                   => $design,
			'/wp/v2/menus'                                       => $design,
			'/wp/v2/menus/{id}'                                  => $design,
			'/wp/v2/menu-items'                                  => $design,
			'/wp/v2/menu-items/{id}'                             => $design,
			'/wp/v2/menu-items/{id}/autosaves'                   => $design,
			'/wp/v2/menu-items/{parent}/autosaves/{id}'          => $design,
			'/wp/v2/navigation'                                  => $design,
			'/wp/v2/navigation/{id}'                             => $design,
			'/wp/v2/navigation/{parent}/revisions'               => $design,
			'/wp/v2/navigation/{parent}/revisions/{id}'          => $design,
			'/wp/v2/navigation/{id}/autosaves'                   => $design,
			'/wp/v2/navigation/{parent}/autosaves/{id}'          => $design,
			'/wp/v2/templates'                                   => $design,
			'/wp/v2/templates/lookup'                            => $design,
			'/wp/v2/templates/{id}'                              => $design,
			'/wp/v2/templates/{parent}/revisions'                => $design,
			'/wp/v2/templates/{parent}/revisions/{id}'           => $design,
			'/wp/v2/templates/{id}/autosaves'                    => $design,
			'/wp/v2/templates/{parent}/autosaves/{id}'           => $design,
			'/wp/v2/template-parts'                              => $design,
			'/wp/v2/template-parts/lookup'                       => $design,
			'/wp/v2/template-parts/{id}'                         => $design,
			'/wp/v2/template-parts/{parent}/revisions'           => $design,
			'/wp/v2/template-parts/{parent}/revisions/{id}'      => $design,
			'/wp/v2/template-parts/{id}/autosaves'               => $design,
			'/wp/v2/template-parts/{parent}/autosaves/{id}'      => $design,
			'/wp/v2/global-styles/{id}'                          => $design,
			'/wp/v2/global-styles/themes/{stylesheet}'           => $design,
			'/wp/v2/global-styles/themes/{stylesheet}/variations' => $design,
			'/wp/v2/global-styles/{parent}/revisions'            => $design,
			'/wp/v2/global-styles/{parent}/revisions/{id}'       => $design,
			'/wp/v2/font-collections'                            => $design,
			'/wp/v2/font-collections/{slug}'                     => $design,
			'/wp/v2/font-families'                               => $design,
			'/wp/v2/font-families/{id}'                          => $design,
			'/wp/v2/font-families/{font_family_id}/font-faces'   => $design,
			'/wp/v2/font-families/{font_family_id}/font-faces/{id}' => $design,
			// This plugin: a person's authorized applications. A token revokes itself through
			// RFC 7009 (/wp-oauth/v1/revoke, not bearer-authenticated); managing the others is
			// account security.
			'/wp-oauth/v1'                                       => $read,
			'/wp-oauth/v1/metadata'                              => $read,
			'/wp-oauth/v1/resource-metadata'                     => $read,
			'/wp-oauth/v1/jwks'                                  => $read,
			'/wp-oauth/v1/me/grants'                             => $full,
			'/wp-oauth/v1/me/grants/{id}'                        => $full,
			'/wp-oauth/v1/users/{user_id}/grants'                => $full,
			'/wp-oauth/v1/users/{user_id}/grants/{id}'           => $full,
			// This plugin's Site Health checks: site administration, like core's Site Health routes.
			'/wp-oauth/v1/site-health/authorization-header'      => $full,
			'/wp-oauth/v1/site-health/well-known'                => $full,
			'/wp-oauth/v1/site-health/credentials'               => $full,
		);

		// Content: posts, pages and reusable blocks with their revisions and autosaves; media.
		$table['/wp/v2/media']      = $content;
		$table['/wp/v2/media/{id}'] = $content;
		foreach ( array( 'posts', 'pages', 'blocks' ) as $base ) {
			$table[ "/wp/v2/$base" ]                         = $content;
			$table[ "/wp/v2/$base/{id}" ]                    = $content;
			$table[ "/wp/v2/$base/{parent}/revisions" ]      = $content;
			$table[ "/wp/v2/$base/{parent}/revisions/{id}" ] = $content;
			$table[ "/wp/v2/$base/{id}/autosaves" ]          = $content;
			$table[ "/wp/v2/$base/{parent}/autosaves/{id}" ] = $content;
		}
		return $table;
	}

	/**
	 * The table in force: the built-in one after the `wpoa_route_scopes` filter. Computed once
	 * per request.
	 *
	 * @return array<string, array<string,string>> Route shape => method => `read`|`write`|`full`|`never`.
	 */
	public static function table(): array {
		if ( null === self::$table ) {
			/**
			 * Filters the route × method × scope table. Plugins classify their own REST routes
			 * here; an unclassified route allows safe methods to every scope and every other
			 * method to `full` only.
			 *
			 * Keys are route shapes: the registered pattern with each named group written as
			 * `{name}` (e.g. `/my-plugin/v1/items/{id}`). Values map GET, POST, PUT, PATCH and
			 * DELETE to `read`, `write`, `full` or `never`. A value outside these is read as
			 * `never`.
			 *
			 * @param array<string, array<string,string>> $table The table.
			 */
			$table       = apply_filters( 'wpoa_route_scopes', self::builtin() );
			self::$table = is_array( $table ) ? $table : self::builtin();
		}
		return self::$table;
	}

	/**
	 * Forgets the filtered table (tests; a filter added late).
	 */
	public static function reset(): void {
		self::$table = null;
	}

	/**
	 * The shape of a registered route pattern: each named group `(?P<name>…)` becomes
	 * `{name}`; escapes and character classes inside the group are skipped correctly.
	 *
	 * @param string $pattern A route as registered (a regular expression without delimiters).
	 * @return string
	 */
	public static function shape( string $pattern ): string {
		$out = '';
		$len = strlen( $pattern );
		$i   = 0;
		while ( $i < $len ) {
			if ( 1 === preg_match( '/\G\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/', $pattern, $m, 0, $i ) ) {
				$end = self::group_end( $pattern, $i );
				if ( null === $end ) {
					return $pattern;
				}
				$out .= '{' . $m[1] . '}';
				$i    = $end + 1;
				continue;
			}
			$out .= $pattern[ $i ];
			++$i;
		}
		return $out;
	}

	/**
	 * Index of the parenthesis that closes the group opened at $start, or null.
	 *
	 * @param string $pattern Regular expression.
	 * @param int    $start   Index of an opening parenthesis.
	 * @return int|null
	 */
	private static function group_end( string $pattern, int $start ): ?int {
		$depth    = 0;
		$in_class = false;
		$len      = strlen( $pattern );
		for ( $i = $start; $i < $len; $i++ ) {
			$c = $pattern[ $i ];
			if ( '\\' === $c ) {
				++$i;
				continue;
			}
			if ( $in_class ) {
				$in_class = ']' !== $c;
				continue;
			}
			if ( '[' === $c ) {
				$in_class = true;
				// A ']' right after '[' or '[^' is a literal member of the class.
				if ( isset( $pattern[ $i + 1 ] ) && '^' === $pattern[ $i + 1 ] ) {
					++$i;
				}
				if ( isset( $pattern[ $i + 1 ] ) && ']' === $pattern[ $i + 1 ] ) {
					++$i;
				}
			} elseif ( '(' === $c ) {
				++$depth;
			} elseif ( ')' === $c ) {
				--$depth;
				if ( 0 === $depth ) {
					return $i;
				}
			}
		}
		return null;
	}

	/**
	 * The least scope a route shape and method need.
	 *
	 * @param string $shape  Route shape (see shape()).
	 * @param string $method HTTP method; HEAD is read as GET.
	 * @return string `read`, `write`, `full` or `never`; `read` for OPTIONS.
	 */
	public static function required( string $shape, string $method ): string {
		$method = strtoupper( $method );
		if ( 'OPTIONS' === $method ) {
			return 'read';
		}
		if ( 'HEAD' === $method ) {
			$method = 'GET';
		}
		$table = self::table();
		if ( isset( $table[ $shape ] ) && is_array( $table[ $shape ] ) ) {
			if ( ! isset( $table[ $shape ][ $method ] ) ) {
				return self::unclassified( $method );
			}
			$level = (string) $table[ $shape ][ $method ];
			return isset( self::LEVELS[ $level ] ) ? $level : 'never';
		}
		return self::unclassified( $method );
	}

	/**
	 * The rule for a route or method the table does not name: safe methods (RFC 9110 §9.2.1)
	 * need `read`, every other method `full`.
	 *
	 * @param string $method Upper-case method, HEAD already read as GET.
	 * @return string
	 */
	public static function unclassified( string $method ): string {
		return 'GET' === $method ? 'read' : 'full';
	}

	/**
	 * The highest level a token's scope reaches (0 when none of its scopes grants routes).
	 *
	 * Each scope definition (Scopes::all()) may carry `routes` => `read`|`write`|`full`; the
	 * built-in scopes carry their own name. A scope without it opens no route.
	 *
	 * @param string $scope Space-delimited scope of the token (RFC 6749 §3.3).
	 * @return int A value of LEVELS, or 0.
	 */
	public static function token_level( string $scope ): int {
		$defs  = Scopes::allowances();
		$level = 0;
		foreach ( Scopes::parse( $scope ) as $token ) {
			$routes = isset( $defs[ $token ]['routes'] ) ? (string) $defs[ $token ]['routes'] : '';
			if ( isset( self::LEVELS[ $routes ] ) && 'never' !== $routes ) {
				$level = max( $level, self::LEVELS[ $routes ] );
			}
		}
		return $level;
	}

	/**
	 * Whether a token of $scope may call $method on the route $shape.
	 *
	 * @param string $shape   Route shape.
	 * @param string $method  HTTP method.
	 * @param string $scope   Space-delimited scope of the token.
	 * @param int    $user_id The token's user (for the credential-minting filter).
	 * @return bool
	 */
	public static function allows( string $shape, string $method, string $scope, int $user_id = 0 ): bool {
		$required = self::required( $shape, $method );
		$level    = self::token_level( $scope );
		if ( 'never' === $required ) {
			/**
			 * Filters whether a `full` token may call a route that mints a credential outliving
			 * the token (e.g. POST an Application Password). Off by default: such a credential is
			 * not revoked with the grant, does not expire and is not limited by any scope.
			 *
			 * @param bool   $allowed Default false.
			 * @param string $shape   Route shape.
			 * @param string $method  HTTP method.
			 * @param int    $user_id The token's user.
			 */
			return $level >= self::LEVELS['full']
				&& true === apply_filters( 'wpoa_bearer_may_mint_credentials', false, $shape, strtoupper( $method ), $user_id );
		}
		return $level >= self::LEVELS[ $required ];
	}

	/**
	 * The registered pattern a request was matched to, found as core matches it: the first
	 * route of the request's namespace whose pattern matches the path and whose handlers
	 * include $handler.
	 *
	 * @param \WP_REST_Server  $server  The REST server.
	 * @param \WP_REST_Request $request The request.
	 * @param array            $handler The handler core matched.
	 * @return string|null The pattern, or null when none matches.
	 */
	public static function matched_pattern( $server, $request, array $handler ): ?string {
		$path   = (string) $request->get_route();
		$routes = array();
		foreach ( $server->get_namespaces() as $namespace ) {
			if ( 0 === strpos( trailingslashit( ltrim( $path, '/' ) ), $namespace ) ) {
				$routes = array_merge( $routes, $server->get_routes( $namespace ) );
			}
		}
		if ( array() === $routes ) {
			$routes = $server->get_routes();
		}
		foreach ( $routes as $pattern => $handlers ) {
			if ( 1 !== preg_match( '@^' . $pattern . '$@i', $path ) ) {
				continue;
			}
			foreach ( (array) $handlers as $candidate ) {
				if ( $candidate === $handler ) {
					return (string) $pattern;
				}
			}
		}
		return null;
	}
}
