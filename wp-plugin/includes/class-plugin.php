<?php
/**
 * Bootstrap: checks the extension and wires every hook to the component that handles it,
 * loading a component only when its hook fires.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * The plugin's entry point. The hook table (HOOKS) names the class and method behind each hook;
 * the class is autoloaded and instantiated (once per request) the first time one of its hooks
 * fires and its guard lets it through.
 *
 * When. A web request registers only the rows that can concern it, decided from the raw request
 * before any hook fires (column `when`):
 * - `always`:    every request (what ends tokens when a user changes);
 * - `request`:   when the row's guard already passes at boot (a bearer credential, a
 *                `/.well-known/` path, the authorization endpoint's path, Basic credentials);
 * - `login`:     wp-login.php with `action` = the hook's suffix (`login_form_<action>`); core
 *                checks `has_filter()` for it before `login_init`, so it cannot wait for that;
 * - `admin`:     `is_admin()` (wp-admin, admin-ajax.php, admin-post.php);
 * - `manage`:    wp-admin, WP-Cron, and the REST routes that activate plugins or run Site Health
 *                checks (plugin activation, Site Health);
 * - `multisite`: every request of a multisite network (a site may be created or deleted);
 * - `rest`:      once the REST server starts (`rest_api_init`, priority 0); rows guarded by
 *                `routes` only when the request needs this plugin's routes;
 * - `cron`:      WP-Cron runs (`DOING_CRON`);
 * - `component`: when the row's class is instantiated (follow-up hooks of a running component);
 * - `activation`: when this plugin is installed on a site, before `wpoa_activated` fires.
 * A front-end page view registers the `always` rows and no more (benchmarks.md measures it).
 * Code outside an HTTP request (WP-CLI, tests) registers every row at boot, each behind its guard;
 * the constant WPOA_LAZY_HOOKS (true/false) overrides that choice.
 *
 * Guards (cheap checks, no class loaded), evaluated when the hook fires for rows registered at
 * boot in the CLI, and at registration otherwise. A row of this class's own static methods
 * without a guard is registered as that method itself; so are the two `bearer` rows, whose
 * methods check the guard themselves (they run on every bearer-authenticated REST request, where
 * the `run_<i>` / `guarded_<i>` indirection is a measurable part of the authentication's cost).
 * - `bearer`:     the request carries an `Authorization` header naming Bearer or DPoP, or `access_token`;
 * - `basic`:      the request carries HTTP Basic credentials (`PHP_AUTH_USER`, which core fills
 *                 from the `Authorization` header before plugins load);
 * - `loaded`:     the component already runs in this request;
 * - `well_known`: the path contains `/.well-known/`;
 * - `authorize_path`: the path ends with `/oauth/authorize` (the published authorization endpoint);
 * - `cors`:       the request carries an `Origin` header: browsers send one with every cross-origin
 *                 request (Fetch standard, CORS protocol), and only they read the CORS headers;
 * - `routes`:     the REST request addresses this plugin's namespace or the REST index (or the
 *                 code runs outside an HTTP request, where every route is registered);
 * - `site_health`: as `routes`, narrowed to the Site Health checks' routes (`/site-health/…`).
 */
final class Plugin {

	/** REST namespace of every OAuth endpoint. */
	const REST_NAMESPACE = 'wp-oauth/v1';

	/** Text domain of every string. */
	const TEXT_DOMAIN = 'wp-oauth';

	/**
	 * Version of the table definitions (Schema); bump it when they change. 5: grants indexed by
	 * `expires_at` and `revoked_at`, so the hourly cleanup finds ended grants without a scan.
	 */
	const SCHEMA_VERSION = 5;

	/** Option holding the installed schema version. */
	const SCHEMA_OPTION = 'wpoa_db_version';

	/**
	 * Routes that accept only POST: token (RFC 6749 §3.2), revocation (RFC 7009 §2.1),
	 * introspection (RFC 7662 §2.1). They are registered for every method so that a wrong
	 * one gets an OAuth answer (OAuth_Error::method_not_allowed()) instead of core's 404.
	 *
	 * @var string[]
	 */
	const POST_ONLY_ROUTES = array( '/token', '/revoke', '/introspect' );

	/**
	 * Hook table: [hook, class, method, priority, accepted args, guard|null, when, static?].
	 * Literals only: a class constant here would load its class on every request.
	 *
	 * @var array<int, array{0:string,1:string,2:string,3:int,4:int,5:?string,6:string,7?:bool}>
	 */
	const HOOKS = array(
		// Resource server: bearer authentication (the scope checks are hooked once it succeeds).
		array( 'determine_current_user', self::class, 'bearer_determine_current_user', 30, 1, 'bearer', 'request', true ),
		array( 'rest_authentication_errors', self::class, 'bearer_rest_authentication_errors', 80, 1, 'bearer', 'request', true ),
		array( 'rest_pre_dispatch', Bearer_Authenticator::class, 'rest_pre_dispatch', 0, 3, 'loaded', 'component' ),
		array( 'rest_post_dispatch', self::class, 'rest_post_dispatch', 10, 3, null, 'rest', true ),
		array( 'nocache_headers', Bearer_Authenticator::class, 'nocache_headers', 10, 1, 'loaded', 'component' ),
		array( 'rest_exposed_cors_headers', self::class, 'exposed_cors_headers', 10, 1, 'cors', 'rest', true ),
		array( 'rest_allowed_cors_headers', self::class, 'allowed_cors_headers', 10, 1, 'cors', 'rest', true ),
		// After core's rest_send_allow_header() (priority 10); only this plugin's routes need it.
		array( 'rest_post_dispatch', self::class, 'filter_allow_header', 20, 3, 'routes', 'rest', true ),
		// Client credentials at our endpoints are not WordPress users: core must not try them as
		// Application Passwords (it would answer 401 first).
		array( 'application_password_is_api_request', self::class, 'filter_application_password_request', 10, 1, 'basic', 'request', true ),
		// Discovery and the OAuth endpoints.
		array( 'parse_request', Discovery::class, 'serve_well_known', 0, 1, 'well_known', 'request' ),
		array( 'rest_index', Discovery::class, 'add_to_rest_index', 10, 1, 'routes', 'rest' ),
		array( 'rest_api_init', Discovery::class, 'register_routes', 10, 1, 'routes', 'rest' ),
		array( 'rest_api_init', Registration_Controller::class, 'register_routes', 10, 1, 'routes', 'rest' ),
		array( 'rest_api_init', Token_Controller::class, 'register_routes', 10, 1, 'routes', 'rest' ),
		array( 'rest_api_init', Revocation_Controller::class, 'register_routes', 10, 1, 'routes', 'rest' ),
		array( 'rest_api_init', Introspection_Controller::class, 'register_routes', 10, 1, 'routes', 'rest' ),
		array( 'rest_api_init', Grants_Controller::class, 'register_routes', 10, 1, 'routes', 'rest' ),
		array( 'rest_api_init', Site_Health::class, 'register_routes', 10, 1, 'site_health', 'rest' ),
		array( 'login_form_oauth_authorize', Authorize_Endpoint::class, 'serve', 10, 1, null, 'login' ),
		// Device authorization grant (RFC 8628): the client's endpoint and the person's page.
		array( 'rest_api_init', Device_Authorization_Controller::class, 'register_routes', 10, 1, 'routes', 'rest' ),
		array( 'login_form_oauth_device', Device_Verification_Endpoint::class, 'serve', 10, 1, null, 'login' ),
		array( 'parse_request', Authorize_Endpoint::class, 'redirect_to_login_screen', 0, 1, 'authorize_path', 'request' ),
		// Screens.
		array( 'admin_menu', Admin_Clients::class, 'add_page', 10, 1, null, 'admin' ),
		array( 'admin_menu', Key_Rotation::class, 'add_page', 10, 1, null, 'admin' ),
		array( 'admin_menu', Admin_Service_Accounts::class, 'add_page', 10, 1, null, 'admin' ),
		array( 'admin_post_wpoa_rotate_key', Key_Rotation::class, 'handle_rotate', 10, 1, null, 'admin' ),
		array( 'show_user_profile', Profile_Grants::class, 'render', 20, 1, null, 'admin' ),
		array( 'edit_user_profile', Profile_Grants::class, 'render', 20, 1, null, 'admin' ),
		array( 'admin_enqueue_scripts', Profile_Grants::class, 'enqueue', 10, 1, null, 'admin' ),
		// Lifecycle: what ends tokens without the client asking. Any request may change a user.
		array( 'profile_update', User_Lifecycle::class, 'on_profile_update', 10, 2, null, 'always' ),
		array( 'after_password_reset', User_Lifecycle::class, 'on_password_reset', 10, 1, null, 'always' ),
		array( 'wp_set_password', User_Lifecycle::class, 'on_set_password', 10, 3, null, 'always' ),
		array( 'delete_user', User_Lifecycle::class, 'on_delete_user', 10, 1, null, 'always' ),
		array( 'remove_user_from_blog', User_Lifecycle::class, 'on_remove_user_from_blog', 10, 2, null, 'always' ),
		// This plugin's own activation and deactivation: core fires `activate_plugin` /
		// `deactivate_plugin` right before `activate_<plugin>` / `deactivate_<plugin>` (what
		// register_activation_hook() would use, at the price of a plugin_basename() per request).
		array( 'activate_plugin', self::class, 'on_activate_plugin', 10, 2, null, 'manage', true ),
		array( 'deactivate_plugin', self::class, 'on_deactivate_plugin', 10, 2, null, 'manage', true ),
		// Storage upkeep.
		array( 'wpoa_cleanup', Cleanup::class, 'run', 10, 0, null, 'cron', true ),
		array( 'wpoa_activated', Cleanup::class, 'schedule', 10, 0, null, 'activation', true ),
		array( 'admin_init', Cleanup::class, 'schedule', 10, 0, null, 'admin', true ),
		// Multisite: a new site is installed, a deleted site's tables go with it (Network).
		array( 'wp_initialize_site', Network::class, 'on_initialize_site', 200, 1, null, 'multisite', true ),
		array( 'wpmu_drop_tables', Network::class, 'drop_tables', 10, 2, null, 'multisite', true ),
		array( 'network_admin_menu', Admin_Network::class, 'add_page', 10, 1, null, 'admin' ),
		// Site Health (Tools → Site Health, its scheduled check, its REST tests). Also hooked
		// without the extension (boot()), so that Site Health explains what is missing.
		array( 'site_status_tests', self::class, 'site_status_tests', 10, 1, null, 'manage', true ),
		array( 'debug_information', self::class, 'debug_information', 10, 1, null, 'manage', true ),
	);

	/**
	 * The rows of HOOKS by `when` (indices into HOOKS, in table order), so that a request walks only
	 * the groups that can concern it: walking the whole table on every request was most of what the
	 * plugin costs a request it has nothing to do with. PluginTest checks that it matches HOOKS.
	 *
	 * @var array<string, int[]>
	 */
	const ROWS_BY_WHEN = array(
		'request'    => array( 0, 1, 8, 9, 21 ),
		'component'  => array( 2, 4 ),
		'rest'       => array( 3, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 19 ),
		'login'      => array( 18, 20 ),
		'admin'      => array( 22, 23, 24, 25, 26, 27, 28, 38, 41 ),
		'always'     => array( 29, 30, 31, 32, 33 ),
		'manage'     => array( 34, 35, 42, 43 ),
		'cron'       => array( 36 ),
		'activation' => array( 37 ),
		'multisite'  => array( 39, 40 ),
	);

	/**
	 * Component instances of this request, by class name.
	 *
	 * @var array<string, object>
	 */
	private static $components = array();

	/**
	 * Whether this process registers only the rows a request needs (see the class comment).
	 *
	 * @var bool
	 */
	private static $lazy = false;

	/**
	 * Whether the schema version was checked in this request.
	 *
	 * @var bool
	 */
	private static $schema_checked = false;

	/**
	 * Wires the hooks when the extension is present and compatible; otherwise shows an admin
	 * notice and registers nothing else. Activation and deactivation are hooked either way
	 * (through core's `activate_plugin` / `deactivate_plugin` actions, which fire right before
	 * `activate_<plugin>` / `deactivate_<plugin>` and need no plugin_basename() on every request).
	 */
	public static function boot(): void {
		require_once __DIR__ . '/class-autoloader.php';
		Autoloader::register();
		if ( null !== self::extension_problem_code() ) {
			add_action( 'activate_plugin', array( self::class, 'on_activate_plugin' ), 10, 2 );
			add_action( 'deactivate_plugin', array( self::class, 'on_deactivate_plugin' ), 10, 2 );
			add_filter( 'site_status_tests', array( self::class, 'site_status_tests' ) );
			add_filter( 'debug_information', array( self::class, 'debug_information' ) );
			add_action( 'admin_notices', array( self::class, 'render_extension_notice' ) );
			add_action( 'network_admin_notices', array( self::class, 'render_extension_notice' ) );
			return;
		}
		require_once __DIR__ . '/functions.php';
		self::$lazy = defined( 'WPOA_LAZY_HOOKS' ) ? (bool) constant( 'WPOA_LAZY_HOOKS' ) : 'cli' !== PHP_SAPI;
		if ( ! self::$lazy ) {
			foreach ( self::HOOKS as $i => $hook ) {
				self::add_row( $i, $hook, true );
			}
			return;
		}
		$admin = is_admin();
		$cron  = defined( 'DOING_CRON' ) && DOING_CRON;
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- routing only, as wp-login.php reads it.
		$login = isset( $_REQUEST['action'] ) && is_string( $_REQUEST['action'] ) ? 'login_form_' . $_REQUEST['action'] : '';
		$rows  = self::ROWS_BY_WHEN['always'];
		$pass  = array();
		foreach ( self::ROWS_BY_WHEN['request'] as $i ) {
			$guard          = (string) self::HOOKS[ $i ][5];
			$pass[ $guard ] = $pass[ $guard ] ?? self::guard_allows( $guard, self::HOOKS[ $i ][1], array() );
			if ( $pass[ $guard ] ) {
				$rows[] = $i;
			}
		}
		if ( '' !== $login ) {
			foreach ( self::ROWS_BY_WHEN['login'] as $i ) {
				if ( self::HOOKS[ $i ][0] === $login ) {
					$rows[] = $i;
				}
			}
		}
		if ( $admin ) {
			$rows = array_merge( $rows, self::ROWS_BY_WHEN['admin'] );
		}
		if ( $admin || $cron ) {
			$rows = array_merge( $rows, self::ROWS_BY_WHEN['manage'] );
		}
		if ( $cron ) {
			$rows = array_merge( $rows, self::ROWS_BY_WHEN['cron'] );
		}
		if ( is_multisite() ) {
			$rows = array_merge( $rows, self::ROWS_BY_WHEN['multisite'] );
		}
		// In table order, as the hooks of one priority run in the order they were added.
		sort( $rows );
		foreach ( $rows as $i ) {
			self::add_row( $i, self::HOOKS[ $i ], false );
		}
		add_action( 'rest_api_init', array( self::class, 'register_rest_hooks' ), 0 );
	}

	/**
	 * `rest_api_init` (priority 0, lazy registration only): registers the `rest` rows, those
	 * guarded by `routes` / `site_health` only when this request needs those routes (decided once,
	 * from the route WordPress is about to dispatch), and the `manage` rows for the REST routes
	 * that activate plugins (`/wp/v2/plugins`) or run Site Health checks (`/wp-site-health/`).
	 * The `rest_api_init` rows among them run later in this same action (priority 10).
	 */
	public static function register_rest_hooks(): void {
		$route  = self::dispatched_rest_route();
		$manage = null !== $route && ( 0 === strpos( $route . '/', '/wp/v2/plugins/' ) || 0 === strpos( $route, '/wp-site-health/' ) )
			&& ! is_admin() && ! ( defined( 'DOING_CRON' ) && DOING_CRON );
		$rows = $manage ? array_merge( self::ROWS_BY_WHEN['rest'], self::ROWS_BY_WHEN['manage'] ) : self::ROWS_BY_WHEN['rest'];
		if ( $manage ) {
			sort( $rows );
		}
		$wants = array();
		foreach ( $rows as $i ) {
			$hook = self::HOOKS[ $i ];
			if ( 'rest' === $hook[6] ) {
				if ( 'routes' === $hook[5] || 'site_health' === $hook[5] ) {
					$wants[ $hook[5] ] = $wants[ $hook[5] ] ?? self::wants_routes( $route, 'site_health' === $hook[5] ? '/site-health/' : '' );
					if ( ! $wants[ $hook[5] ] ) {
						continue;
					}
				} elseif ( null !== $hook[5] && ! self::guard_allows( $hook[5], $hook[1], array() ) ) {
					continue;
				}
			}
			self::add_row( $i, $hook, false );
		}
	}

	/**
	 * Registers the rows of one `when` group that lazy registration left for later (see the class
	 * comment); in the CLI every row is registered at boot already.
	 *
	 * @param string      $when  `component` or `activation`.
	 * @param string|null $class For `component`: the class just instantiated.
	 */
	private static function register_deferred( string $when, ?string $class = null ): void {
		if ( ! self::$lazy ) {
			return;
		}
		foreach ( self::ROWS_BY_WHEN[ $when ] ?? array() as $i ) {
			if ( null === $class || $class === self::HOOKS[ $i ][1] ) {
				self::add_row( $i, self::HOOKS[ $i ], false );
			}
		}
	}

	/**
	 * Adds row `$i` of the hook table to its hook.
	 *
	 * @param int   $i       Index of the row in HOOKS.
	 * @param array $hook    The row.
	 * @param bool  $guarded Whether its guard (if any) is checked when the hook fires.
	 */
	private static function add_row( int $i, array $hook, bool $guarded ): void {
		if ( $guarded && null !== $hook[5] && 'bearer' !== $hook[5] ) {
			$callback = array( self::class, 'guarded_' . $i );
		} elseif ( ! empty( $hook[7] ) && self::class === $hook[1] ) {
			$callback = array( self::class, $hook[2] );
		} else {
			$callback = array( self::class, 'run_' . $i );
		}
		add_filter( $hook[0], $callback, $hook[3], $hook[4] );
	}

	/**
	 * The callable behind row `<i>` of the hook table: `array( Plugin::class, 'run_<i>' )`, or
	 * `'guarded_<i>'` to check the row's guard when the hook fires. A static name rather than a
	 * closure: it costs WordPress no object to hash when the hook is added, and nothing (not even
	 * PHP's callable check of `array( Class, 'method' )`) loads the row's class before it fires.
	 *
	 * @param string $name `run_<i>` or `guarded_<i>`.
	 * @param array  $args The hook's arguments.
	 * @return mixed What the row's method returns; with a closed guard, the first argument.
	 * @throws \BadMethodCallException For any other name.
	 */
	public static function __callStatic( $name, $args ) {
		$at   = strpos( $name, '_' );
		$kind = false === $at ? '' : substr( $name, 0, $at );
		$hook = false === $at ? null : ( self::HOOKS[ (int) substr( $name, $at + 1 ) ] ?? null );
		if ( null === $hook || ( 'run' !== $kind && 'guarded' !== $kind ) ) {
			throw new \BadMethodCallException( esc_html( 'Wpoa\\Plugin::' . $name . '() does not exist.' ) );
		}
		if ( 'guarded' === $kind && null !== $hook[5] && ! self::guard_allows( $hook[5], $hook[1], $args ) ) {
			return $args[0] ?? null;
		}
		if ( ! empty( $hook[7] ) ) {
			return $hook[1]::{$hook[2]}( ...$args );
		}
		return self::component( $hook[1] )->{$hook[2]}( ...$args );
	}

	/**
	 * Whether a guarded hook should reach its component in this request.
	 *
	 * @param string $guard A guard name (see the class comment).
	 * @param string $class The component's class.
	 * @param array  $args  The hook's arguments.
	 * @return bool
	 */
	private static function guard_allows( string $guard, string $class, array $args ): bool {
		switch ( $guard ) {
			case 'bearer':
				return isset( self::$components[ $class ] ) || self::request_has_bearer_credential();
			case 'basic':
				return isset( $_SERVER['PHP_AUTH_USER'] );
			case 'cors':
				return isset( $_SERVER['HTTP_ORIGIN'] );
			case 'loaded':
				return isset( self::$components[ $class ] );
			case 'well_known':
				$uri = isset( $_SERVER['REQUEST_URI'] ) && is_string( $_SERVER['REQUEST_URI'] ) ? $_SERVER['REQUEST_URI'] : '';
				return false !== stripos( rawurldecode( $uri ), '/.well-known/' );
			case 'authorize_path':
				$uri = isset( $_SERVER['REQUEST_URI'] ) && is_string( $_SERVER['REQUEST_URI'] ) ? $_SERVER['REQUEST_URI'] : '';
				return (bool) preg_match( '#/oauth/authorize/?$#', rawurldecode( (string) strtok( $uri, '?' ) ) );
			case 'routes':
				return self::request_wants_routes();
			case 'site_health':
				return self::request_wants_routes( '/site-health/' );
		}
		return true;
	}

	/**
	 * `determine_current_user` (priority 30): Bearer_Authenticator::determine_current_user() when
	 * the request carries a bearer credential (the `bearer` guard), else the input untouched.
	 *
	 * @param int|false $user_id User found by earlier callbacks.
	 * @return int|false
	 */
	public static function bearer_determine_current_user( $user_id ) {
		if ( ! self::guard_allows( 'bearer', Bearer_Authenticator::class, array() ) ) {
			return $user_id;
		}
		return self::component( Bearer_Authenticator::class )->determine_current_user( $user_id );
	}

	/**
	 * `rest_authentication_errors` (priority 80): Bearer_Authenticator::rest_authentication_errors()
	 * when the request carries a bearer credential (the `bearer` guard), else the input untouched.
	 *
	 * @param \WP_Error|true|null $result Result of earlier callbacks.
	 * @return \WP_Error|true|null
	 */
	public static function bearer_rest_authentication_errors( $result ) {
		if ( ! self::guard_allows( 'bearer', Bearer_Authenticator::class, array() ) ) {
			return $result;
		}
		return self::component( Bearer_Authenticator::class )->rest_authentication_errors( $result );
	}

	/**
	 * Whether the request carries what bearer authentication reads: an `Authorization` header
	 * that names the Bearer or DPoP (RFC 9449 §7.1) scheme (alone or in a list), or an
	 * `access_token` query parameter.
	 *
	 * @return bool
	 */
	public static function request_has_bearer_credential(): bool {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a credential, not a form.
		if ( isset( $_GET['access_token'] ) ) {
			return true;
		}
		$header = self::authorization_header();
		return null !== $header && ( false !== stripos( $header, 'bearer' ) || false !== stripos( $header, 'dpop' ) );
	}

	/**
	 * The `Authorization` header of the HTTP request PHP is serving, wherever the web server left
	 * it, or null. Every credential in the header is read through this (Authorization_Header
	 * explains the sources and their web servers); it lives here because every request asks it
	 * before any component is loaded.
	 *
	 * Sources, in order: `$_SERVER['HTTP_AUTHORIZATION']`, `$_SERVER['REDIRECT_HTTP_AUTHORIZATION']`
	 * (both unslashed: wp_magic_quotes() slashes `$_SERVER`), then the raw request headers from
	 * `getallheaders()` or `apache_request_headers()`, matched case-insensitively, where they can
	 * hold more than `$_SERVER` (Apache's mod_php; not php-fpm or php-cgi). An empty value counts
	 * as absent.
	 *
	 * @return string|null The raw header value (unparsed; it may hold several credentials).
	 */
	public static function authorization_header(): ?string {
		foreach ( array( 'HTTP_AUTHORIZATION', 'REDIRECT_HTTP_AUTHORIZATION' ) as $key ) {
			if ( isset( $_SERVER[ $key ] ) && is_string( $_SERVER[ $key ] ) && '' !== $_SERVER[ $key ] ) {
				return stripslashes( $_SERVER[ $key ] ); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput -- wp_unslash() of a string; a credential, parsed by its reader.
			}
		}
		// php-fpm and php-cgi build the raw headers from the same FastCGI parameters as `$_SERVER`
		// (the `HTTP_*` ones): they hold no Authorization header that `$_SERVER` lacks.
		if ( 'fpm-fcgi' === PHP_SAPI || 'cgi-fcgi' === PHP_SAPI ) {
			return null;
		}
		$headers = null;
		if ( function_exists( 'getallheaders' ) ) {
			$headers = getallheaders();
		} elseif ( function_exists( 'apache_request_headers' ) ) {
			$headers = apache_request_headers();
		}
		if ( is_array( $headers ) ) {
			foreach ( $headers as $name => $value ) {
				if ( is_string( $name ) && 0 === strcasecmp( $name, 'Authorization' ) && is_string( $value ) && '' !== $value ) {
					return $value;
				}
			}
		}
		return null;
	}

	/**
	 * Whether this request needs the plugin's REST routes: an HTTP request to the REST index or to
	 * a route of this plugin's namespace, or any code outside an HTTP request (CLI, cron, tests).
	 *
	 * @param string $below Only routes below this path of the namespace count (e.g. `/site-health/`);
	 *                      '' for every route of the namespace.
	 * @return bool
	 */
	public static function request_wants_routes( string $below = '' ): bool {
		return self::wants_routes( self::dispatched_rest_route(), $below );
	}

	/**
	 * Whether a request for `$route` needs the plugin's routes (see request_wants_routes()).
	 *
	 * @param string|null $route The route (dispatched_rest_route()).
	 * @param string      $below As for request_wants_routes().
	 * @return bool
	 */
	private static function wants_routes( ?string $route, string $below ): bool {
		if ( ! self::$lazy || ! isset( $_SERVER['REQUEST_URI'] ) || null === $route ) {
			return true;
		}
		$route = '/' . trim( $route, '/' );
		return '/' === $route || 0 === strpos( $route . '/', '/' . self::REST_NAMESPACE . ( '' !== $below ? '/' . trim( $below, '/' ) : '' ) . '/' );
	}

	/**
	 * The REST route of this request: the one WordPress parsed and is about to dispatch during a
	 * REST request, else requested_rest_route(); null when the request addresses none.
	 *
	 * @return string|null
	 */
	private static function dispatched_rest_route(): ?string {
		$wp = $GLOBALS['wp'] ?? null;
		if ( $wp instanceof \WP && isset( $wp->query_vars['rest_route'] ) && is_string( $wp->query_vars['rest_route'] ) && '' !== $wp->query_vars['rest_route'] ) {
			return '/' . ltrim( $wp->query_vars['rest_route'], '/' );
		}
		return self::requested_rest_route();
	}

	/**
	 * The path of the HTTP request's URI (`REQUEST_URI` unslashed, without query), or '' when
	 * there is none.
	 *
	 * @return string
	 */
	public static function request_path(): string {
		if ( ! isset( $_SERVER['REQUEST_URI'] ) || ! is_string( $_SERVER['REQUEST_URI'] ) ) {
			return '';
		}
		// stripslashes() is what wp_unslash() does to a string.
		return (string) wp_parse_url( stripslashes( $_SERVER['REQUEST_URI'] ), PHP_URL_PATH ); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput
	}

	/**
	 * The REST route the HTTP request addresses (`rest_route` parameter, or the path after the
	 * REST prefix), or null when it addresses none.
	 *
	 * @param string|null $path The request's path when the caller has it (request_path()).
	 * @return string|null
	 */
	public static function requested_rest_route( ?string $path = null ): ?string {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- routing only.
		if ( isset( $_GET['rest_route'] ) && is_string( $_GET['rest_route'] ) ) {
			return (string) wp_unslash( $_GET['rest_route'] ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		}
		$path   = $path ?? self::request_path();
		$prefix = '/' . trim( rest_get_url_prefix(), '/' ) . '/';
		$at     = strpos( $path . '/', $prefix );
		if ( false === $at ) {
			return null;
		}
		return '/' . ltrim( (string) substr( $path, $at + strlen( $prefix ) ), '/' );
	}

	/**
	 * The component instance of this request, created on first use.
	 *
	 * @param string $class Fully qualified class name of a component.
	 * @return object
	 */
	public static function component( string $class ) {
		if ( ! isset( self::$components[ $class ] ) ) {
			self::$components[ $class ] = new $class();
			self::register_deferred( 'component', $class );
		}
		return self::$components[ $class ];
	}

	/**
	 * The component instance when it already runs in this request, without creating it.
	 *
	 * @param string $class Fully qualified class name of a component.
	 * @return object|null
	 */
	public static function loaded( string $class ) {
		return self::$components[ $class ] ?? null;
	}

	/**
	 * Installs or upgrades the tables when the stored schema version is older. Runs once per
	 * request, when the first of the plugin's classes beyond the bootstrap loads (Autoloader):
	 * every component that reads or writes the tables loads a class first, and a request that
	 * loads none (a page view) has no reason to look at the schema. A site never installed (a
	 * network activated on more sites than activation installs at once, see activate()) gets
	 * everything activation gives: tables, key and cleanup event.
	 */
	public static function maybe_upgrade_schema(): void {
		if ( self::$schema_checked || ! function_exists( 'get_option' ) ) {
			return;
		}
		self::$schema_checked = true;
		$installed            = (int) get_option( self::SCHEMA_OPTION, 0 );
		if ( 0 === $installed ) {
			self::install_site();
		} elseif ( $installed < self::SCHEMA_VERSION ) {
			Schema::install();
		}
	}

	/**
	 * Why the extension cannot be used, as a stable code, or null when it can. Untranslated, so
	 * it is safe before `init` (WordPress 6.7+ warns about translations loaded earlier).
	 *
	 * @return string|null `missing` or `too_old`.
	 */
	public static function extension_problem_code(): ?string {
		if ( ! function_exists( 'wp_oauth_version' ) ) {
			return 'missing';
		}
		if ( version_compare( (string) wp_oauth_version(), WPOA_MIN_EXTENSION_VERSION, '<' ) ) {
			return 'too_old';
		}
		return null;
	}

	/**
	 * Why the extension cannot be used, or null when it can (translated: call it after `init`).
	 *
	 * @return string|null A translated, human-readable reason.
	 */
	public static function extension_problem(): ?string {
		switch ( self::extension_problem_code() ) {
			case 'missing':
				return __( 'The wp_oauth PHP extension is not loaded.', 'wp-oauth' );
			case 'too_old':
				return sprintf(
					/* translators: 1: installed extension version, 2: required version. */
					__( 'The wp_oauth PHP extension is version %1$s, but this plugin needs %2$s or newer.', 'wp-oauth' ),
					(string) wp_oauth_version(),
					WPOA_MIN_EXTENSION_VERSION
				);
		}
		return null;
	}

	/**
	 * Prints the "install the extension" notice for administrators (admin_notices): the exact
	 * release artifact for the running PHP (Extension_Artifact::name()), the php.ini line for
	 * this PHP's extension directory, and a link to the host guide. Runs after `init`, so its
	 * translations load in time.
	 */
	public static function render_extension_notice(): void {
		$problem = self::extension_problem();
		if ( null === $problem || ! current_user_can( 'activate_plugins' ) ) {
			return;
		}
		$ini  = function_exists( 'php_ini_loaded_file' ) ? (string) php_ini_loaded_file() : '';
		$ini  = '' !== $ini ? $ini : __( 'none', 'wp-oauth' );
		$arch = php_uname( 'm' );
		if ( null === Extension_Artifact::unavailable_reason() ) {
			$what = sprintf(
				/* translators: 1: artifact file name, 2: PHP version, 3: architecture, 4: php.ini path. */
				__( 'Install %1$s (the build for PHP %2$s on %3$s): copy its libwp_oauth.so into PHP\'s extension directory and add this line to the php.ini of PHP-FPM (or Apache with mod_php) and of the CLI (loaded file: %4$s), then restart PHP-FPM or Apache:', 'wp-oauth' ),
				Extension_Artifact::name(),
				Extension_Artifact::php_minor(),
				$arch,
				$ini
			);
		} else {
			$what = sprintf(
				/* translators: 1: PHP version, 2: architecture, 3: php.ini path. */
				__( 'There is no prebuilt build for PHP %1$s on %2$s: build libwp_oauth.so from source with this PHP\'s php-config, then add this line to the php.ini of PHP-FPM (or Apache with mod_php) and of the CLI (loaded file: %3$s) and restart PHP-FPM or Apache:', 'wp-oauth' ),
				Extension_Artifact::php_minor() . ( PHP_ZTS ? ' (thread-safe)' : '' ),
				$arch,
				$ini
			);
		}
		printf(
			'<div class="notice notice-error wpoa-extension-notice"><p><strong>%1$s</strong> %2$s</p><p>%3$s</p><p><code>%4$s</code></p><p>%5$s <a href="%6$s" target="_blank" rel="noopener">%7$s</a></p></div>',
			esc_html__( 'WP OAuth is inactive.', 'wp-oauth' ),
			esc_html( $problem ),
			esc_html( $what ),
			esc_html( Extension_Artifact::ini_line() ),
			esc_html__( 'Check it with: php --ri wp_oauth. OAuth endpoints stay off until then; the rest of the site works as before.', 'wp-oauth' ),
			esc_url( Extension_Artifact::HOST_GUIDE_URL ),
			esc_html__( 'Host guide: installing the extension', 'wp-oauth' )
		);
	}

	/**
	 * `site_status_tests`: WP OAuth's Site Health checks (admin/class-site-health.php), loaded
	 * only when core asks for its tests. Hooked even without the extension, so that Site Health
	 * explains what is missing.
	 *
	 * @param array $tests Core's `direct` and `async` tests.
	 * @return array
	 */
	public static function site_status_tests( $tests ) {
		return self::component( Site_Health::class )->tests( $tests );
	}

	/**
	 * `debug_information`: the "WP OAuth" section of Site Health's Info tab, loaded only there.
	 *
	 * @param array $info Core's sections.
	 * @return array
	 */
	public static function debug_information( $info ) {
		return self::component( Site_Health::class )->debug_information( $info );
	}

	/**
	 * Activation: creates or upgrades the tables and makes sure a signing key exists, on this
	 * site or, when activated for a whole network, on its sites (Network::each_site()): the
	 * first `wpoa_network_activation_sites` of them (default 100, by site ID) at once, so that
	 * activating a large network fits in one request; every other site installs itself on its
	 * first request (maybe_upgrade_schema()).
	 *
	 * @param bool $network_wide Whether WordPress activates the plugin for the network.
	 */
	public static function activate( $network_wide = false ): void {
		require_once __DIR__ . '/class-autoloader.php';
		Autoloader::register();
		if ( is_multisite() && $network_wide ) {
			/**
			 * Filters how many sites network activation installs in its own request.
			 *
			 * @param int $sites Default 100.
			 */
			$limit = max( 1, (int) apply_filters( 'wpoa_network_activation_sites', 100 ) );
			Network::each_site( array( self::class, 'install_site' ), $limit );
			return;
		}
		self::install_site();
	}

	/**
	 * Installs the current site: tables, a signing key (only with the extension; otherwise the key
	 * follows on first use) and the hourly cleanup (through `wpoa_activated`).
	 */
	public static function install_site(): void {
		Schema::install();
		if ( null === self::extension_problem_code() ) {
			Keys::ensure_key();
		}
		self::register_deferred( 'activation' );
		do_action( 'wpoa_activated' );
	}

	/**
	 * `activate_plugin` (core fires it right before `activate_<plugin>`, for every plugin):
	 * activates this plugin when it is the one.
	 *
	 * @param string $plugin       Path of the plugin's main file relative to the plugins folder.
	 * @param bool   $network_wide Whether WordPress activates it for the network.
	 */
	public static function on_activate_plugin( $plugin, $network_wide = false ): void {
		if ( plugin_basename( WPOA_FILE ) === $plugin ) {
			self::activate( (bool) $network_wide );
		}
	}

	/**
	 * `deactivate_plugin` (core fires it right before `deactivate_<plugin>`, for every plugin):
	 * deactivates this plugin when it is the one.
	 *
	 * @param string $plugin       Path of the plugin's main file relative to the plugins folder.
	 * @param bool   $network_wide Whether WordPress deactivates it for the network.
	 */
	public static function on_deactivate_plugin( $plugin, $network_wide = false ): void {
		if ( plugin_basename( WPOA_FILE ) === $plugin ) {
			self::deactivate( (bool) $network_wide );
		}
	}

	/**
	 * Deactivation keeps every table and option (uninstall.php removes them); it unschedules the
	 * cleanup of this site, or of every site when deactivated for the network.
	 *
	 * @param bool $network_wide Whether WordPress deactivates the plugin for the network.
	 */
	public static function deactivate( $network_wide = false ): void {
		if ( is_multisite() && $network_wide ) {
			require_once __DIR__ . '/class-autoloader.php';
			Autoloader::register();
			Network::each_site( static fn() => wp_clear_scheduled_hook( 'wpoa_cleanup' ) );
			return;
		}
		wp_clear_scheduled_hook( 'wpoa_cleanup' );
	}

	/**
	 * Whether this request targets one of the plugin's OAuth endpoints
	 * (token, revocation, introspection, registration, device authorization) under the REST namespace.
	 *
	 * Works before the REST server is loaded, from REQUEST_URI or `rest_route`.
	 *
	 * @return bool
	 */
	public static function is_oauth_endpoint_request(): bool {
		return self::is_oauth_endpoint_route( self::requested_rest_route() );
	}

	/**
	 * Whether a REST route (Plugin::requested_rest_route()) is one of the OAuth endpoints that
	 * authenticate clients themselves, as is_oauth_endpoint_request().
	 *
	 * @param string|null $route The route, or null for a request that names none.
	 * @return bool
	 */
	public static function is_oauth_endpoint_route( ?string $route ): bool {
		if ( null === $route ) {
			return false;
		}
		$route = '/' . ltrim( $route, '/' );
		$ours  = '/' . self::REST_NAMESPACE . '/';
		if ( 0 !== strpos( $route, $ours ) ) {
			return false;
		}
		$endpoint = strtok( substr( $route, strlen( $ours ) ), '/' );
		return in_array( $endpoint, array( 'token', 'revoke', 'introspect', 'register', 'device_authorization' ), true );
	}

	/**
	 * `rest_post_dispatch` of every REST request: hands the response to Bearer_Authenticator
	 * when it runs in this request (a bearer credential was tried) or when the response is a 401
	 * that may need a `WWW-Authenticate` challenge (RFC 6750 §3, RFC 9728 §5.1); any other
	 * response passes untouched, and nothing is loaded for it.
	 *
	 * @param mixed            $response The response (a WP_HTTP_Response for REST routes).
	 * @param \WP_REST_Server  $server   Server.
	 * @param \WP_REST_Request $request  Request.
	 * @return mixed
	 */
	public static function rest_post_dispatch( $response, $server = null, $request = null ) {
		if ( isset( self::$components[ Bearer_Authenticator::class ] )
			|| ( $response instanceof \WP_HTTP_Response && 401 === $response->get_status() ) ) {
			return self::component( Bearer_Authenticator::class )->rest_post_dispatch( $response, $server, $request );
		}
		return $response;
	}

	/**
	 * Lets browser clients read the `WWW-Authenticate` challenge of any REST answer (CORS). Runs
	 * on every REST request, so it lives here and loads nothing.
	 *
	 * @param string[] $headers Exposed header names.
	 * @return string[]
	 */
	public static function exposed_cors_headers( $headers ) {
		$headers = (array) $headers;
		// RFC 9449 §8.1: browser clients must read the nonce.
		foreach ( array( 'WWW-Authenticate', 'DPoP-Nonce' ) as $name ) {
			if ( ! in_array( $name, $headers, true ) ) {
				$headers[] = $name;
			}
		}
		return $headers;
	}

	/**
	 * Lets browser clients send the `DPoP` proof header (RFC 9449 §4.1) in CORS requests.
	 *
	 * @param string[] $headers Allowed request header names.
	 * @return string[]
	 */
	public static function allowed_cors_headers( $headers ) {
		$headers = (array) $headers;
		if ( ! in_array( 'DPoP', $headers, true ) ) {
			$headers[] = 'DPoP';
		}
		return $headers;
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
