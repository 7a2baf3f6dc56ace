<?php
/**
 * Bootstrap: checks the extension, loads the components and wires their hooks.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * The plugin's entry point. Holds no request state of its own: each component
 * is an object that registers its hooks in `register()`.
 */
final class Plugin {

	/** REST namespace of every OAuth endpoint. */
	const REST_NAMESPACE = 'wp-oauth/v1';

	/** Text domain of every string. */
	const TEXT_DOMAIN = 'wp-oauth';

	/**
	 * Routes that accept only POST: token (RFC 6749 §3.2), revocation (RFC 7009 §2.1),
	 * introspection (RFC 7662 §2.1). They are registered for every method so that a wrong
	 * one gets an OAuth answer (OAuth_Error::method_not_allowed()) instead of core's 404.
	 *
	 * @var string[]
	 */
	const POST_ONLY_ROUTES = array( '/token', '/revoke', '/introspect' );

	/**
	 * Component files, loaded in order. Each engineer adding a component adds
	 * one line here and one in components().
	 *
	 * @var string[]
	 */
	const FILES = array(
		'class-oauth-error.php',
		'class-crypto.php',
		'class-schema.php',
		'class-urls.php',
		'class-https-policy.php',
		'class-scopes.php',
		'class-keys.php',
		'class-client.php',
		'class-client-repository.php',
		'class-grant-repository.php',
		'class-refresh-token-repository.php',
		'class-token-issuer.php',
		'class-grant-handler.php',
		// Components (one per concern).
		'class-discovery.php',
		'class-client-metadata.php',
		'class-registration-controller.php',
		'class-admin-clients.php',
		'class-code-repository.php',
		'class-client-authenticator.php',
		'class-authorize-endpoint.php',
		'class-token-controller.php',
		'class-grant-authorization-code.php',
		'class-bearer-authenticator.php',
		'class-scope-enforcer.php',
		'class-grant-refresh-token.php',
		'class-revocation-controller.php',
		'class-introspection-controller.php',
		'class-grants-controller.php',
		'class-profile-grants.php',
		'class-user-lifecycle.php',
		'class-key-rotation.php',
		'class-cleanup.php',
	);

	/**
	 * Component classes whose `register()` is called on boot, when they exist.
	 *
	 * @var string[]
	 */
	const COMPONENTS = array(
		Schema::class,
		Discovery::class,
		Registration_Controller::class,
		Admin_Clients::class,
		Authorize_Endpoint::class,
		Token_Controller::class,
		Bearer_Authenticator::class,
		Scope_Enforcer::class,
		Revocation_Controller::class,
		Introspection_Controller::class,
		Grants_Controller::class,
		Profile_Grants::class,
		User_Lifecycle::class,
		Key_Rotation::class,
		Cleanup::class,
	);

	/**
	 * Registered component instances, by class name.
	 *
	 * @var array<string, object>
	 */
	private static $components = array();

	/**
	 * Loads the plugin when the extension is present and compatible; otherwise
	 * shows an admin notice and registers nothing else.
	 */
	public static function boot(): void {
		$problem = self::extension_problem();
		if ( null !== $problem ) {
			add_action( 'admin_notices', static function () use ( $problem ) {
				self::render_extension_notice( $problem );
			} );
			add_action( 'network_admin_notices', static function () use ( $problem ) {
				self::render_extension_notice( $problem );
			} );
			return;
		}
		self::load_files();
		foreach ( self::COMPONENTS as $class ) {
			if ( class_exists( $class ) ) {
				$component = new $class();
				self::$components[ $class ] = $component;
				$component->register();
			}
		}
		// Client credentials at our endpoints are not WordPress users: core must
		// not try them as Application Passwords (it would answer 401 first).
		add_filter( 'application_password_is_api_request', array( self::class, 'filter_application_password_request' ) );
		// After core's rest_send_allow_header() (priority 10).
		add_filter( 'rest_post_dispatch', array( self::class, 'filter_allow_header' ), 20, 3 );
	}

	/**
	 * Returns a registered component instance.
	 *
	 * @param string $class Fully qualified class name.
	 * @return object|null The instance, or null when not registered.
	 */
	public static function component( string $class ) {
		return self::$components[ $class ] ?? null;
	}

	/**
	 * Why the extension cannot be used, or null when it can.
	 *
	 * @return string|null A translated, human-readable reason.
	 */
	public static function extension_problem(): ?string {
		if ( ! function_exists( 'wp_oauth_version' ) ) {
			return __( 'The wp_oauth PHP extension is not loaded.', 'wp-oauth' );
		}
		$version = (string) wp_oauth_version();
		if ( version_compare( $version, WPOA_MIN_EXTENSION_VERSION, '<' ) ) {
			return sprintf(
				/* translators: 1: installed extension version, 2: required version. */
				__( 'The wp_oauth PHP extension is version %1$s, but this plugin needs %2$s or newer.', 'wp-oauth' ),
				$version,
				WPOA_MIN_EXTENSION_VERSION
			);
		}
		return null;
	}

	/**
	 * Prints the "install the extension" notice for administrators.
	 *
	 * @param string $problem What is wrong.
	 */
	private static function render_extension_notice( string $problem ): void {
		if ( ! current_user_can( 'activate_plugins' ) ) {
			return;
		}
		$ini = function_exists( 'php_ini_loaded_file' ) ? (string) php_ini_loaded_file() : '';
		printf(
			'<div class="notice notice-error"><p><strong>%1$s</strong> %2$s</p><p>%3$s</p><p><code>extension=/path/to/libwp_oauth.so</code></p><p>%4$s</p></div>',
			esc_html__( 'WP OAuth is inactive.', 'wp-oauth' ),
			esc_html( $problem ),
			esc_html(
				sprintf(
					/* translators: 1: PHP version, 2: php.ini path. */
					__( 'Build or download libwp_oauth.so for PHP %1$s, add this line to the php.ini of both PHP-FPM and the CLI (loaded file: %2$s), then restart PHP-FPM:', 'wp-oauth' ),
					PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION,
					'' !== $ini ? $ini : __( 'none', 'wp-oauth' )
				)
			),
			esc_html__( 'Check it with: php --ri wp_oauth. OAuth endpoints stay off until then; the rest of the site works as before.', 'wp-oauth' )
		);
	}

	/**
	 * Requires every component file that exists.
	 */
	private static function load_files(): void {
		foreach ( self::FILES as $file ) {
			$path = WPOA_DIR . '/includes/' . $file;
			if ( is_readable( $path ) ) {
				require_once $path;
			}
		}
	}

	/**
	 * Activation: creates or upgrades the tables and makes sure a signing key exists.
	 * Without the extension only the tables are created; the key follows on first use.
	 */
	public static function activate(): void {
		self::load_files_for_activation();
		Schema::install();
		if ( null === self::extension_problem() ) {
			Keys::ensure_key();
		}
		do_action( 'wpoa_activated' );
	}

	/**
	 * Deactivation keeps every table and option (uninstall.php removes them).
	 */
	public static function deactivate(): void {
		wp_clear_scheduled_hook( 'wpoa_cleanup' );
	}

	/**
	 * Loads the files activation needs even when boot() stopped early.
	 */
	private static function load_files_for_activation(): void {
		require_once WPOA_DIR . '/includes/class-schema.php';
		if ( null === self::extension_problem() ) {
			self::load_files();
		}
	}

	/**
	 * Whether this request targets one of the plugin's OAuth endpoints
	 * (token, revocation, introspection, registration) under the REST namespace.
	 *
	 * Works before the REST server is loaded, from REQUEST_URI or `rest_route`.
	 *
	 * @return bool
	 */
	public static function is_oauth_endpoint_request(): bool {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- routing only.
		$route = isset( $_GET['rest_route'] ) && is_string( $_GET['rest_route'] ) ? (string) wp_unslash( $_GET['rest_route'] ) : '';
		if ( '' === $route ) {
			$uri    = isset( $_SERVER['REQUEST_URI'] ) ? (string) wp_unslash( $_SERVER['REQUEST_URI'] ) : '';
			$path   = (string) wp_parse_url( $uri, PHP_URL_PATH );
			$prefix = (string) wp_parse_url( rest_url(), PHP_URL_PATH );
			if ( '' === $prefix || 0 !== strpos( $path, $prefix ) ) {
				return false;
			}
			$route = '/' . ltrim( substr( $path, strlen( $prefix ) ), '/' );
		}
		$route = '/' . ltrim( $route, '/' );
		$ours  = '/' . self::REST_NAMESPACE . '/';
		if ( 0 !== strpos( $route, $ours ) ) {
			return false;
		}
		$endpoint = strtok( substr( $route, strlen( $ours ) ), '/' );
		return in_array( $endpoint, array( 'token', 'revoke', 'introspect', 'register' ), true );
	}

	/**
	 * `rest_post_dispatch`: every answer of a POST-only route (POST_ONLY_ROUTES) says
	 * `Allow: POST`. Core's rest_send_allow_header() lists every method a route is registered
	 * for, which for these routes would name methods that only ever get a 405
	 * (RFC 9110 §10.2.1: `Allow` lists the methods the resource supports).
	 *
	 * @param mixed            $response The response (a WP_HTTP_Response for REST routes).
	 * @param \WP_REST_Server  $server   Server.
	 * @param \WP_REST_Request $request  Request.
	 * @return mixed The same response.
	 */
	public static function filter_allow_header( $response, $server = null, $request = null ) {
		if ( ! $response instanceof \WP_REST_Response ) {
			return $response;
		}
		$route  = (string) $response->get_matched_route();
		$prefix = '/' . self::REST_NAMESPACE;
		if ( 0 === strpos( $route, $prefix ) && in_array( substr( $route, strlen( $prefix ) ), self::POST_ONLY_ROUTES, true ) ) {
			$response->header( 'Allow', 'POST' );
		}
		return $response;
	}

	/**
	 * Keeps core's Application Password check away from client credentials.
	 *
	 * @param bool $is_api_request Whether core considers this an API request.
	 * @return bool
	 */
	public static function filter_application_password_request( $is_api_request ) {
		return self::is_oauth_endpoint_request() ? false : $is_api_request;
	}
}
