<?php
/**
 * Discovery: RFC 8414 authorization server metadata, RFC 9728 protected resource
 * metadata, the JWKS document and the REST index `authentication` entry.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Clients know only a site address; everything else is discovered here.
 *
 * Well-known URLs are answered from WordPress itself (the web server sends unknown
 * paths to index.php): on `parse_request`, before any query runs, a request whose
 * path is one of ours gets the JSON document and the request ends.
 *
 * - `/.well-known/oauth-authorization-server{issuer path}` (RFC 8414 §3.1, path inserted
 *   for a site in a sub-directory); the appended form `{issuer path}/.well-known/oauth-authorization-server`
 *   is served too, for clients that build it that way.
 * - `/.well-known/oauth-protected-resource{resource path}[?{resource query}]` (RFC 9728 §3.1; the
 *   query appears with plain permalinks, `…/index.php?rest_route=/`) for every resource of
 *   this site (Resources): the REST API root with and without its trailing slash, the site URL,
 *   and any URL below the REST root (an MCP server inside WordPress). Each document's `resource`
 *   is exactly the URL the well-known URL was derived from (§3.3). The bare
 *   `/.well-known/oauth-protected-resource` describes the origin, served when the site lives
 *   at the domain root (its `resource` is then the site URL).
 * - Any other path below one of those two names, and `/.well-known/openid-configuration`
 *   (this is not an OpenID Provider), get a JSON `404`. Other well-known names are
 *   left to WordPress and other plugins.
 *
 * The same documents are mirrored under the REST namespace: `GET /wp-oauth/v1/metadata`,
 * `GET /wp-oauth/v1/resource-metadata`, and `GET /wp-oauth/v1/jwks` is the `jwks_uri`.
 * Plain HTTP gets the HTTPS policy's `400 invalid_request` everywhere.
 */
final class Discovery {

	/** Cache lifetime of the metadata documents, in seconds. */
	const METADATA_MAX_AGE = 3600;

	/** Default cache lifetime of the JWKS, in seconds: short, because keys rotate. */
	const JWKS_MAX_AGE = 300;

	/** Private-key members that must never leave the server (RFC 7518 §6). */
	const PRIVATE_MEMBERS = array( 'd', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k' );

	/**
	 * RFC 8414 §2 authorization server metadata. Lists only what is implemented:
	 * the revocation and introspection endpoints appear when their components are
	 * loaded, the registration endpoint unless registration is turned off.
	 *
	 * @return array<string,mixed>
	 */
	public static function authorization_server_metadata(): array {
		$auth_methods = Client_Metadata::AUTH_METHODS;
		$meta         = array(
			'issuer'                                => Urls::issuer(),
			'authorization_endpoint'                => Urls::authorization_endpoint(),
			'token_endpoint'                        => Urls::token_endpoint(),
			'device_authorization_endpoint'         => Urls::device_authorization_endpoint(),
			'jwks_uri'                              => Urls::jwks_uri(),
			'registration_endpoint'                 => Urls::registration_endpoint(),
			'scopes_supported'                      => Scopes::supported(),
			'response_types_supported'              => array( 'code' ),
			'response_modes_supported'              => array( 'query' ),
			'grant_types_supported'                 => array( 'authorization_code', 'refresh_token', Client_Metadata::DEVICE_CODE_GRANT, 'client_credentials', Grant_Token_Exchange::GRANT_TYPE ),
			'token_endpoint_auth_methods_supported' => $auth_methods,
			'revocation_endpoint'                   => Urls::revocation_endpoint(),
			'revocation_endpoint_auth_methods_supported' => $auth_methods,
			'introspection_endpoint'                => Urls::introspection_endpoint(),
			'introspection_endpoint_auth_methods_supported' => array( 'client_secret_basic', 'client_secret_post' ),
			'code_challenge_methods_supported'      => array( 'S256' ),
			'dpop_signing_alg_values_supported'     => Dpop::algs(), // RFC 9449 §5.1.
			'authorization_response_iss_parameter_supported' => true,
			'protected_resources'                   => array( Urls::audience() ),
		);
		if ( 'off' === Registration_Controller::mode() ) {
			unset( $meta['registration_endpoint'] );
		}
		// draft-ietf-oauth-client-id-metadata-document, "Authorization Server Metadata".
		if ( 'off' !== Client_Id_Metadata::mode() ) {
			$meta['client_id_metadata_document_supported'] = true;
		}
		/**
		 * Filters the RFC 8414 authorization server metadata. Components that
		 * implement a capability may add it here; never list what is not implemented.
		 *
		 * @param array $meta Metadata members.
		 */
		return (array) apply_filters( 'wpoa_authorization_server_metadata', $meta );
	}

	/**
	 * RFC 9728 §2 protected resource metadata for one of this site's resources.
	 *
	 * @param string|null $resource The resource exactly as the client wrote it (RFC 9728 §3.3);
	 *                              null for the REST API root, Urls::audience().
	 * @return array<string,mixed>
	 */
	public static function protected_resource_metadata( ?string $resource = null ): array {
		$resource = $resource ?? Urls::audience();
		$meta     = array(
			'resource'                 => $resource,
			'authorization_servers'    => array( Urls::issuer() ),
			'bearer_methods_supported' => array( 'header' ),
			'dpop_signing_alg_values_supported' => Dpop::algs(), // RFC 9728 §2, RFC 9449 §5.1.
			'scopes_supported'         => Scopes::supported(),
			'resource_name'            => wp_specialchars_decode( (string) get_bloginfo( 'name' ), ENT_QUOTES ),
			'resource_documentation'   => 'https://developer.wordpress.org/rest-api/',
		);
		if ( '' === $meta['resource_name'] ) {
			unset( $meta['resource_name'] );
		}
		/**
		 * Filters the RFC 9728 protected resource metadata of the REST API or of a resource
		 * below it. Keep `resource` as it is (RFC 9728 §3.3).
		 *
		 * @param array  $meta     Metadata members.
		 * @param string $resource The resource the document describes.
		 */
		return (array) apply_filters( 'wpoa_protected_resource_metadata', $meta, $resource );
	}

	/**
	 * Which document a request path asks for.
	 *
	 * @param string $path  URL path (no query), e.g. `/.well-known/oauth-authorization-server/blog`.
	 * @param string $query The query string as received (without `?`): part of a protected
	 *                      resource's identifier with plain permalinks (Resources::for_metadata_path()).
	 * @return string|null `as` (authorization server), `resource`, `not_found` (one of our names
	 *                     with a wrong suffix, or openid-configuration), or null (not ours).
	 */
	public static function route_for_path( string $path, string $query = '' ): ?string {
		$path = '/' . ltrim( $path, '/' );
		if ( false === strpos( $path, '/.well-known/' ) ) {
			return null;
		}
		$as_url     = (string) wp_parse_url( Urls::authorization_server_metadata(), PHP_URL_PATH );
		$issuer_dir = rtrim( (string) wp_parse_url( Urls::issuer(), PHP_URL_PATH ), '/' );
		$as_paths   = array( $as_url, $issuer_dir . '/.well-known/oauth-authorization-server' );
		if ( in_array( $path, $as_paths, true ) ) {
			return 'as';
		}
		if ( null !== Resources::for_metadata_path( $path, $query ) ) {
			return 'resource';
		}
		foreach ( array( 'oauth-authorization-server', 'oauth-protected-resource', 'openid-configuration' ) as $name ) {
			if ( preg_match( '#/\.well-known/' . preg_quote( $name, '#' ) . '(/|$)#', $path ) ) {
				return 'not_found';
			}
		}
		return null;
	}

	/**
	 * On a sub-directory network, the path-inserted well-known URL of a site's issuer or resource
	 * (RFC 8414 §3.1, RFC 9728 §3.1: `https://host/.well-known/oauth-authorization-server/site2`)
	 * reaches the site at the root of the host, which answers it for the site that the inserted
	 * path names, when the plugin runs there and the site is open.
	 *
	 * @param string $path Decoded request path.
	 * @return int|null The other site's ID, or null when the path names none.
	 */
	public static function network_site_for_path( string $path ): ?int {
		if ( ! preg_match( '#^/\.well-known/(?:oauth-authorization-server|oauth-protected-resource)(/.+)$#', $path, $m ) ) {
			return null;
		}
		$here = get_site();
		$site = $here instanceof \WP_Site ? get_site_by_path( $here->domain, trailingslashit( $m[1] ) ) : false;
		if ( ! $site instanceof \WP_Site || (int) $site->blog_id === get_current_blog_id() ) {
			return null;
		}
		if ( '1' === (string) $site->archived || '1' === (string) $site->spam || '0' !== (string) $site->deleted ) {
			return null;
		}
		$active = Network::network_active()
			|| in_array( plugin_basename( WPOA_FILE ), (array) get_blog_option( (int) $site->blog_id, 'active_plugins', array() ), true );
		return $active ? (int) $site->blog_id : null;
	}

	/**
	 * `parse_request` handler: answers our well-known URLs and ends the request.
	 */
	public function serve_well_known(): void {
		$uri   = isset( $_SERVER['REQUEST_URI'] ) ? (string) wp_unslash( $_SERVER['REQUEST_URI'] ) : '';
		$path  = (string) wp_parse_url( $uri, PHP_URL_PATH );
		$query = (string) wp_parse_url( $uri, PHP_URL_QUERY );
		$route = self::route_for_path( rawurldecode( $path ), $query );
		if ( ( null === $route || 'not_found' === $route ) && is_multisite() ) {
			$site_id = self::network_site_for_path( '/' . ltrim( rawurldecode( $path ), '/' ) );
			if ( null !== $site_id ) {
				// The request ends below; the switch is not undone.
				switch_to_blog( $site_id );
				$route = self::route_for_path( rawurldecode( $path ), $query );
			}
		}
		if ( null === $route ) {
			return;
		}
		$method = isset( $_SERVER['REQUEST_METHOD'] ) ? strtoupper( (string) wp_unslash( $_SERVER['REQUEST_METHOD'] ) ) : 'GET';
		list( $status, $headers, $body ) = self::well_known_response( $route, $method, '/' . ltrim( rawurldecode( $path ), '/' ), $query );
		status_header( $status );
		foreach ( $headers as $name => $value ) {
			header( $name . ': ' . $value );
		}
		if ( 'HEAD' !== $method && null !== $body ) {
			echo wp_json_encode( $body, JSON_UNESCAPED_SLASHES ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- JSON document.
		}
		exit;
	}

	/**
	 * The response to a well-known request, without sending it (testable).
	 *
	 * @param string $route  From route_for_path().
	 * @param string $method HTTP method.
	 * @param string $path   The decoded request path (names the resource of a `resource` route).
	 * @param string $query  The query string as received (part of the resource with plain permalinks).
	 * @return array{0:int, 1:array<string,string>, 2:array|null} Status, headers, JSON body.
	 */
	public static function well_known_response( string $route, string $method, string $path = '', string $query = '' ): array {
		$cors = array(
			'Access-Control-Allow-Origin'  => '*',
			'Access-Control-Allow-Methods' => 'GET, HEAD, OPTIONS',
		);
		$json = array( 'Content-Type' => 'application/json; charset=utf-8', 'X-Content-Type-Options' => 'nosniff' );
		if ( ! Https_Policy::allows_request() ) {
			$e = Https_Policy::error();
			return array( $e->status, array_merge( $json, $cors, array( 'Cache-Control' => 'no-store' ) ), $e->body() );
		}
		if ( 'OPTIONS' === $method ) {
			return array( 204, array_merge( $cors, array( 'Access-Control-Max-Age' => '86400', 'Allow' => 'GET, HEAD, OPTIONS' ) ), null );
		}
		if ( 'GET' !== $method && 'HEAD' !== $method ) {
			return array(
				405,
				array_merge( $json, $cors, array( 'Allow' => 'GET, HEAD, OPTIONS', 'Cache-Control' => 'no-store' ) ),
				array(
					'error'             => 'invalid_request',
					'error_description' => __( 'Metadata documents are read with GET.', 'wp-oauth' ),
				),
			);
		}
		if ( 'not_found' === $route ) {
			return array(
				404,
				array_merge( $json, $cors, array( 'Cache-Control' => 'no-store' ) ),
				array(
					'error'             => 'not_found',
					'error_description' => sprintf(
						/* translators: %s: URL of the authorization server metadata. */
						__( 'No such metadata document here. This site\'s OAuth metadata is at %s.', 'wp-oauth' ),
						Urls::authorization_server_metadata()
					),
				),
			);
		}
		$body = 'as' === $route ? self::authorization_server_metadata() : self::protected_resource_metadata( Resources::for_metadata_path( $path, $query ) );
		return array( 200, array_merge( $json, $cors, array( 'Cache-Control' => 'public, max-age=' . self::METADATA_MAX_AGE ) ), $body );
	}

	/**
	 * REST mirrors of the documents and the JWKS. No `args` (nothing to validate).
	 */
	public function register_routes(): void {
		foreach ( array(
			'/metadata'          => 'rest_authorization_server_metadata',
			'/resource-metadata' => 'rest_protected_resource_metadata',
			'/jwks'              => 'rest_jwks',
		) as $route => $callback ) {
			register_rest_route(
				Plugin::REST_NAMESPACE,
				$route,
				array(
					'methods'             => 'GET',
					'callback'            => array( $this, $callback ),
					'permission_callback' => array( $this, 'public_document' ),
				)
			);
		}
	}

	/**
	 * Permission callback of the discovery routes: always true, because metadata
	 * and public keys are public by definition (RFC 8414 §3, RFC 9728 §3, RFC 7517 §5).
	 *
	 * @return true
	 */
	public function public_document(): bool {
		return true;
	}

	/**
	 * `GET /wp-oauth/v1/metadata`: the RFC 8414 document.
	 *
	 * @return \WP_REST_Response
	 */
	public function rest_authorization_server_metadata(): \WP_REST_Response {
		return self::rest_document( static fn() => self::authorization_server_metadata(), self::METADATA_MAX_AGE );
	}

	/**
	 * `GET /wp-oauth/v1/resource-metadata`: the RFC 9728 document.
	 *
	 * @return \WP_REST_Response
	 */
	public function rest_protected_resource_metadata(): \WP_REST_Response {
		return self::rest_document( static fn() => self::protected_resource_metadata(), self::METADATA_MAX_AGE );
	}

	/**
	 * `GET /wp-oauth/v1/jwks` (`jwks_uri`): the public keys that verify our tokens.
	 *
	 * @return \WP_REST_Response `Content-Type: application/jwk-set+json`.
	 */
	public function rest_jwks(): \WP_REST_Response {
		$response = self::rest_document( static fn() => self::public_jwks(), self::jwks_max_age() );
		if ( 200 === $response->get_status() ) {
			$response->header( 'Content-Type', 'application/jwk-set+json; charset=utf-8' );
		}
		return $response;
	}

	/**
	 * How long the JWKS may be cached: the `max-age` of its `Cache-Control` (RFC 9111 §5.2.2.1).
	 * Key rotation pre-publishes the next key for this long (Keys::prepublication()), so a client
	 * or resource server holding a cached copy already has the key when it starts signing.
	 *
	 * @return int Seconds, 0 … 86400 (filter `wpoa_jwks_max_age`, default 300).
	 */
	public static function jwks_max_age(): int {
		/**
		 * Filters the JWKS cache lifetime in seconds. Raising it delays key rotations by as much.
		 *
		 * @param int $seconds Default 300.
		 */
		return max( 0, min( DAY_IN_SECONDS, (int) apply_filters( 'wpoa_jwks_max_age', self::JWKS_MAX_AGE ) ) );
	}

	/**
	 * The JWKS as an array, with every private member removed (defence in depth:
	 * Keys::public_jwks() already holds public keys only).
	 *
	 * @return array{keys: array<int, array<string,mixed>>}
	 */
	public static function public_jwks(): array {
		$decoded = json_decode( Keys::public_jwks(), true );
		$keys    = array();
		foreach ( (array) ( $decoded['keys'] ?? array() ) as $key ) {
			if ( is_array( $key ) ) {
				$keys[] = array_diff_key( $key, array_flip( self::PRIVATE_MEMBERS ) );
			}
		}
		return array( 'keys' => $keys );
	}

	/**
	 * A public JSON document over REST, with the HTTPS policy applied.
	 *
	 * @param callable $make    Builds the body.
	 * @param int      $max_age Cache lifetime in seconds.
	 * @return \WP_REST_Response
	 */
	private static function rest_document( callable $make, int $max_age ): \WP_REST_Response {
		if ( ! Https_Policy::allows_request() ) {
			return Https_Policy::error()->to_response();
		}
		$response = new \WP_REST_Response( $make(), 200 );
		$response->set_headers(
			array(
				'Cache-Control'               => 'public, max-age=' . $max_age,
				'Access-Control-Allow-Origin' => '*',
			)
		);
		return $response;
	}

	/**
	 * `rest_index` filter: adds `authentication.oauth2` next to core's
	 * `application-passwords`, so a client that knows only the site finds everything.
	 *
	 * @param \WP_REST_Response $response The index response.
	 * @return \WP_REST_Response
	 */
	public function add_to_rest_index( $response ) {
		if ( ! $response instanceof \WP_REST_Response ) {
			return $response;
		}
		$data = $response->get_data();
		if ( ! is_array( $data ) ) {
			return $response;
		}
		$auth      = isset( $data['authentication'] ) && is_array( $data['authentication'] ) ? $data['authentication'] : array();
		$endpoints = array(
			'authorization' => Urls::authorization_endpoint(),
			'token'         => Urls::token_endpoint(),
		);
		if ( 'off' !== Registration_Controller::mode() ) {
			$endpoints['registration'] = Urls::registration_endpoint();
		}
		$auth['oauth2']         = array(
			'issuer'                      => Urls::issuer(),
			'metadata'                    => Urls::authorization_server_metadata(),
			'protected_resource_metadata' => Urls::protected_resource_metadata(),
			'scopes'                      => Scopes::supported(),
			'endpoints'                   => $endpoints,
			// Flat keys as WordPress.com publishes them and the WordPress apps' library reads them.
			'authorize'                   => Urls::authorization_endpoint(),
			'token'                       => Urls::token_endpoint(),
		);
		$data['authentication'] = $auth;
		$response->set_data( $data );
		return $response;
	}
}
