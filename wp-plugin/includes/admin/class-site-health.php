<?php
/**
 * Site Health (Tools → Site Health): the checks that explain what stops OAuth on this host.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Adds WP OAuth's tests to core's Site Health through the `site_status_tests` filter: direct
 * tests (run while the screen is built, from what PHP knows) and asynchronous tests whose REST
 * routes (`/wp-oauth/v1/site-health/…`) the screen calls, as core does for its own loopback and
 * Authorization header tests. Loaded only when core asks for the tests (the Site Health screen,
 * its weekly cron check) or one of those routes is called.
 *
 * Each check is split into gathering facts (the `test_*` and `rest_*` methods) and judging
 * them (the static `*_result()` methods, which take plain arrays and return core's result shape:
 * `label`, `status` `good`|`recommended`|`critical`, `badge`, `description`, `actions`, `test`).
 *
 * Without a usable extension only the extension check is added: the others test a plugin
 * that is not running ([decisions/site-health-checks.md]).
 */
final class Site_Health {

	/** REST route prefix of the asynchronous tests, below the plugin's namespace. */
	const ROUTE = '/site-health';

	/**
	 * The Authorization header the Site Health screen sends to the header test: a scheme no
	 * authentication handler knows (neither Basic nor Bearer), so nothing acts on it.
	 */
	const PROBE = 'WpoaProbe site-health';

	/** Token sent by the bearer loopback probe: not a JWT, so WP OAuth refuses it. */
	const PROBE_TOKEN = 'wpoa-site-health-probe';

	/**
	 * Basic credentials sent by the loopback probe to the token endpoint (RFC 7617 user-pass):
	 * an empty client id, which WP OAuth refuses before looking anything up, so the probe never
	 * counts as a failed client authentication nor fires `wpoa_client_auth_failed`.
	 */
	const PROBE_BASIC = ':site-health-probe';

	/**
	 * Core's own callbacks on the authentication filters: not "another plugin".
	 *
	 * @var string[]
	 */
	const CORE_AUTH_CALLBACKS = array(
		'wp_validate_auth_cookie',
		'wp_validate_logged_in_cookie',
		'wp_validate_application_password',
		'rest_cookie_check_errors',
		'rest_application_password_check_errors',
	);

	/**
	 * `site_status_tests`: adds the checks to core's lists.
	 *
	 * @param array $tests Core's `direct` and `async` tests.
	 * @return array
	 */
	public function tests( $tests ) {
		$tests                                 = is_array( $tests ) ? $tests : array();
		$tests['direct']['wp_oauth_extension'] = array(
			'label' => __( 'WP OAuth PHP extension', 'wp-oauth' ),
			'test'  => array( $this, 'test_extension' ),
		);
		if ( null !== Plugin::extension_problem_code() ) {
			return $tests;
		}
		$tests['direct']['wp_oauth_extension_version']   = array(
			'label' => __( 'WP OAuth extension version', 'wp-oauth' ),
			'test'  => array( $this, 'test_extension_version' ),
		);
		$tests['direct']['wp_oauth_https']               = array(
			'label' => __( 'WP OAuth HTTPS detection', 'wp-oauth' ),
			'test'  => array( $this, 'test_https' ),
		);
		$tests['direct']['wp_oauth_other_authentication'] = array(
			'label' => __( 'Other authentication plugins', 'wp-oauth' ),
			'test'  => array( $this, 'test_other_authentication' ),
		);
		$tests['direct']['wp_oauth_object_cache']        = array(
			'label' => __( 'WP OAuth and the object cache', 'wp-oauth' ),
			'test'  => array( $this, 'test_object_cache' ),
		);
		$tests['async']['wp_oauth_authorization_header'] = array(
			'label'     => __( 'Authorization header for WP OAuth', 'wp-oauth' ),
			'test'      => Urls::rest( self::ROUTE . '/authorization-header' ),
			'has_rest'  => true,
			'headers'   => array( 'Authorization' => self::PROBE ),
			'skip_cron' => true,
		);
		$tests['async']['wp_oauth_well_known']           = array(
			'label'             => __( 'OAuth discovery documents', 'wp-oauth' ),
			'test'              => Urls::rest( self::ROUTE . '/well-known' ),
			'has_rest'          => true,
			'async_direct_test' => array( $this, 'test_well_known' ),
		);
		$tests['async']['wp_oauth_credentials']          = array(
			'label'             => __( 'Bearer and Basic credentials reach WP OAuth', 'wp-oauth' ),
			'test'              => Urls::rest( self::ROUTE . '/credentials' ),
			'has_rest'          => true,
			'async_direct_test' => array( $this, 'test_credentials' ),
		);
		return $tests;
	}

	/**
	 * `debug_information`: a "WP OAuth" section on Site Health's Info tab (and in its "Copy site
	 * info to clipboard" text), with what a support request needs about the extension.
	 *
	 * @param array $info Core's sections.
	 * @return array
	 */
	public function debug_information( $info ) {
		$info       = is_array( $info ) ? $info : array();
		$configured = array();
		foreach ( Extension_Artifact::configured() as $line ) {
			$built        = Extension_Artifact::built_for( $line['path'] );
			$configured[] = $line['ini'] . ': ' . $line['path'] . ( null !== $built ? ' (API ' . $built['api'] . ( $built['zts'] ? ', TS' : ', NTS' ) . ')' : '' );
		}
		$unavailable = Extension_Artifact::unavailable_reason();
		$fields      = array(
			'extension' => array(
				'label' => __( 'wp_oauth extension', 'wp-oauth' ),
				'value' => function_exists( 'wp_oauth_version' ) ? (string) wp_oauth_version() : __( 'not loaded', 'wp-oauth' ),
				'debug' => function_exists( 'wp_oauth_version' ) ? (string) wp_oauth_version() : 'not loaded',
			),
			'released'  => array(
				'label' => __( 'Extension released with this plugin', 'wp-oauth' ),
				'value' => WPOA_EXTENSION_VERSION . ' (' . sprintf( /* translators: %s: version. */ __( 'works from %s', 'wp-oauth' ), WPOA_MIN_EXTENSION_VERSION ) . ')',
			),
			'php'       => array(
				'label' => __( 'PHP it must be built for', 'wp-oauth' ),
				'value' => 'PHP ' . Extension_Artifact::php_minor() . ', API ' . Extension_Artifact::php_api() . ', ' . ( PHP_ZTS ? 'TS' : 'NTS' ) . ', ' . php_uname( 'm' ),
			),
			'artifact'  => array(
				'label' => __( 'Release artifact for this PHP', 'wp-oauth' ),
				'value' => Extension_Artifact::name() . ( null !== $unavailable ? ' (' . __( 'not published: build from source', 'wp-oauth' ) . ')' : '' ),
			),
			'ini'       => array(
				'label' => __( 'php.ini lines naming the extension', 'wp-oauth' ),
				'value' => array() !== $configured ? implode( '; ', $configured ) : __( 'none', 'wp-oauth' ),
			),
			'proxies'   => array(
				'label' => __( 'Trusted proxies', 'wp-oauth' ),
				'value' => implode( ', ', array_map( 'strval', (array) apply_filters( 'wpoa_trusted_proxies', (array) get_option( 'wpoa_trusted_proxies', array() ) ) ) ),
			),
		);
		if ( null === Plugin::extension_problem_code() ) {
			$fields['issuer'] = array(
				'label' => __( 'Issuer', 'wp-oauth' ),
				'value' => Urls::issuer(),
			);
		}
		$info['wp-oauth'] = array(
			'label'  => __( 'WP OAuth', 'wp-oauth' ),
			'fields' => $fields,
		);
		return $info;
	}

	/**
	 * `rest_api_init`: the routes of the asynchronous tests. Only users who may see Site Health
	 * (capability `view_site_health_checks`) may call them.
	 */
	public function register_routes(): void {
		$may = static fn() => current_user_can( 'view_site_health_checks' );
		register_rest_route(
			Plugin::REST_NAMESPACE,
			self::ROUTE . '/authorization-header',
			array(
				'methods'             => 'GET',
				'callback'            => array( $this, 'rest_authorization_header' ),
				'permission_callback' => $may,
			)
		);
		register_rest_route(
			Plugin::REST_NAMESPACE,
			self::ROUTE . '/well-known',
			array(
				'methods'             => 'GET',
				'callback'            => array( $this, 'test_well_known' ),
				'permission_callback' => $may,
			)
		);
		register_rest_route(
			Plugin::REST_NAMESPACE,
			self::ROUTE . '/credentials',
			array(
				'methods'             => 'GET',
				'callback'            => array( $this, 'test_credentials' ),
				'permission_callback' => $may,
			)
		);
	}

	// ---- result shape -------------------------------------------------------------------------

	/**
	 * One result in core's shape.
	 *
	 * @param string $test        Test identifier.
	 * @param string $status      `good`, `recommended` or `critical`.
	 * @param string $label       Headline (plain text).
	 * @param string $description HTML paragraphs (already escaped).
	 * @param string $actions     HTML (already escaped); the host guide link is appended.
	 * @param string $badge       `Security` or `Performance`.
	 * @return array{label:string,status:string,badge:array,description:string,actions:string,test:string}
	 */
	private static function result( string $test, string $status, string $label, string $description, string $actions = '', string $badge = 'security' ): array {
		$actions .= sprintf(
			'<p><a href="%1$s" target="_blank" rel="noopener">%2$s</a></p>',
			esc_url( Extension_Artifact::HOST_GUIDE_URL ),
			esc_html__( 'WP OAuth host guide', 'wp-oauth' )
		);
		return array(
			'label'       => $label,
			'status'      => $status,
			'badge'       => array(
				'label' => 'performance' === $badge ? __( 'Performance', 'wp-oauth' ) : __( 'Security', 'wp-oauth' ),
				'color' => 'critical' === $status ? 'red' : ( 'recommended' === $status ? 'orange' : 'blue' ),
			),
			'description' => $description,
			'actions'     => $actions,
			'test'        => $test,
		);
	}

	/**
	 * A paragraph of escaped text.
	 *
	 * @param string $text Plain text.
	 * @return string
	 */
	private static function p( string $text ): string {
		return '<p>' . esc_html( $text ) . '</p>';
	}

	/**
	 * A paragraph of code.
	 *
	 * @param string $code Plain text.
	 * @return string
	 */
	private static function code( string $code ): string {
		return '<p><code>' . esc_html( $code ) . '</code></p>';
	}

	// ---- the extension -------------------------------------------------------------------------

	/**
	 * Direct test: the extension is loaded in this PHP.
	 *
	 * @return array Core's result shape.
	 */
	public function test_extension(): array {
		$configured = Extension_Artifact::configured();
		foreach ( $configured as $i => $line ) {
			$configured[ $i ]['built_for'] = Extension_Artifact::built_for( $line['path'] );
		}
		return self::extension_result(
			Plugin::extension_problem_code(),
			array(
				'minor'         => Extension_Artifact::php_minor(),
				'api'           => Extension_Artifact::php_api(),
				'zts'           => (bool) PHP_ZTS,
				'artifact'      => Extension_Artifact::name(),
				'available'     => null === Extension_Artifact::unavailable_reason(),
				'arch'          => php_uname( 'm' ),
				'extension_dir' => (string) PHP_EXTENSION_DIR,
				'version'       => function_exists( 'wp_oauth_version' ) ? (string) wp_oauth_version() : '',
				'configured'    => $configured,
			)
		);
	}

	/**
	 * Judges the extension's presence.
	 *
	 * @param string|null $problem Plugin::extension_problem_code(): null, `missing` or `too_old`.
	 * @param array       $php     minor, api, zts, artifact (file name), available (bool),
	 *                             arch, extension_dir, version (loaded extension's), configured (list of
	 *                             {ini, path, built_for: {api, zts}|null}).
	 * @return array Core's result shape.
	 */
	public static function extension_result( ?string $problem, array $php ): array {
		$test = 'wp_oauth_extension';
		if ( 'missing' !== $problem ) {
			return self::result(
				$test,
				'good',
				__( 'The wp_oauth PHP extension is loaded', 'wp-oauth' ),
				self::p(
					sprintf(
						/* translators: 1: extension version, 2: PHP version, 3: PHP API number. */
						__( 'WP OAuth uses the wp_oauth extension (version %1$s) for its cryptography. It is loaded in PHP %2$s (module API %3$s).', 'wp-oauth' ),
						$php['version'],
						$php['minor'],
						$php['api']
					)
				)
			);
		}
		$description = self::p( __( 'WP OAuth does all its cryptography in the wp_oauth PHP extension. It is not loaded in the PHP that serves this site, so the plugin is inactive: no OAuth endpoint answers and no bearer token is accepted. The rest of the site works as before.', 'wp-oauth' ) );
		foreach ( (array) $php['configured'] as $line ) {
			$built = $line['built_for'] ?? null;
			if ( is_array( $built ) && ( $built['api'] !== $php['api'] || (bool) $built['zts'] !== (bool) $php['zts'] ) ) {
				$other        = Extension_Artifact::minor_for_api( $built['api'] );
				$description .= self::p(
					sprintf(
						/* translators: 1: ini file, 2: path of the .so, 3: PHP API it was built for, 4: PHP version it belongs to, 5: this PHP's version, 6: this PHP's API number. */
						__( '%1$s loads %2$s, but that file was built for PHP module API %3$s (%4$s); this PHP is %5$s (API %6$s), so PHP refused to load it. An extension only loads into the PHP version it was built for.', 'wp-oauth' ),
						$line['ini'],
						$line['path'],
						$built['api'] . ( $built['zts'] ? ', thread-safe' : '' ),
						null !== $other ? 'PHP ' . $other : __( 'another PHP', 'wp-oauth' ),
						$php['minor'] . ( $php['zts'] ? ' thread-safe' : '' ),
						$php['api']
					)
				);
			} elseif ( null === $built ) {
				$description .= self::p(
					sprintf(
						/* translators: 1: ini file, 2: path of the .so. */
						__( '%1$s names %2$s, but PHP did not load it: the file is missing, unreadable or not a PHP extension. PHP\'s start-up log says why.', 'wp-oauth' ),
						$line['ini'],
						$line['path']
					)
				);
			}
		}
		if ( $php['available'] ) {
			$actions = self::p(
				sprintf(
					/* translators: 1: artifact file name, 2: PHP version, 3: architecture. */
					__( 'Install %1$s, the build for PHP %2$s on %3$s: copy its libwp_oauth.so into PHP\'s extension directory, add its wp-oauth.ini line to the php.ini of PHP-FPM (or Apache with mod_php) and of the CLI, then restart PHP-FPM or Apache.', 'wp-oauth' ),
					$php['artifact'],
					$php['minor'],
					$php['arch']
				)
			);
		} else {
			$actions = self::p(
				sprintf(
					/* translators: 1: PHP version, 2: architecture, 3: artifact file name that a build would have. */
					__( 'There is no prebuilt extension for PHP %1$s on %2$s (builds exist for PHP 8.2, 8.4 and 8.5, NTS, x86_64 Linux). Build it from source for this PHP (cargo build --release with this PHP\'s php-config), as the host guide shows; the release name for this PHP would be %3$s.', 'wp-oauth' ),
					$php['minor'] . ( $php['zts'] ? ' (thread-safe)' : '' ),
					$php['arch'],
					$php['artifact']
				)
			);
		}
		$actions .= self::code( Extension_Artifact::ini_line( $php['extension_dir'] ) );
		return self::result( $test, 'critical', __( 'The wp_oauth PHP extension is not loaded', 'wp-oauth' ), $description, $actions );
	}

	/**
	 * Direct test: the loaded extension is the one released with this plugin.
	 *
	 * @return array Core's result shape.
	 */
	public function test_extension_version(): array {
		return self::version_result(
			function_exists( 'wp_oauth_version' ) ? (string) wp_oauth_version() : '',
			WPOA_EXTENSION_VERSION,
			WPOA_MIN_EXTENSION_VERSION,
			Extension_Artifact::name()
		);
	}

	/**
	 * Judges the extension's version.
	 *
	 * @param string $loaded   Version of the loaded extension.
	 * @param string $expected The version released with this plugin (WPOA_EXTENSION_VERSION).
	 * @param string $minimum  The oldest version the plugin works with (WPOA_MIN_EXTENSION_VERSION).
	 * @param string $artifact The artifact of the expected version for this PHP.
	 * @return array Core's result shape: `critical` below the minimum (the plugin is off),
	 *               `recommended` when it differs from the expected one, else `good`.
	 */
	public static function version_result( string $loaded, string $expected, string $minimum, string $artifact ): array {
		$test    = 'wp_oauth_extension_version';
		$install = self::p(
			sprintf(
				/* translators: %s: artifact file name. */
				__( 'Install %s (the extension released with this version of the plugin), then restart PHP-FPM or Apache.', 'wp-oauth' ),
				$artifact
			)
		);
		if ( version_compare( $loaded, $minimum, '<' ) ) {
			return self::result(
				$test,
				'critical',
				__( 'The wp_oauth extension is too old for this plugin', 'wp-oauth' ),
				self::p(
					sprintf(
						/* translators: 1: loaded version, 2: oldest version the plugin works with. */
						__( 'The loaded wp_oauth extension is version %1$s; this plugin needs %2$s or newer and stays inactive until then.', 'wp-oauth' ),
						$loaded,
						$minimum
					)
				),
				$install
			);
		}
		if ( $loaded !== $expected ) {
			return self::result(
				$test,
				'recommended',
				__( 'The wp_oauth extension is not the version released with this plugin', 'wp-oauth' ),
				self::p(
					sprintf(
						/* translators: 1: loaded version, 2: version released with the plugin, 3: oldest version that works. */
						__( 'The loaded wp_oauth extension is version %1$s; this plugin was released with %2$s. It works with any version from %3$s, but only the pair released together has been tested together.', 'wp-oauth' ),
						$loaded,
						$expected,
						$minimum
					)
				),
				$install
			);
		}
		return self::result(
			$test,
			'good',
			__( 'The wp_oauth extension matches the plugin', 'wp-oauth' ),
			self::p(
				sprintf(
					/* translators: %s: version. */
					__( 'The loaded wp_oauth extension is version %s, the one released with this plugin.', 'wp-oauth' ),
					$loaded
				)
			)
		);
	}

	// ---- HTTPS ---------------------------------------------------------------------------------

	/**
	 * Direct test: PHP sees HTTPS for this request and the site's address is https.
	 *
	 * @return array Core's result shape.
	 */
	public function test_https(): array {
		$server = $_SERVER; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- only compared.
		return self::https_result(
			array(
				'home'             => home_url( '/' ),
				'in_request'       => isset( $server['REQUEST_METHOD'] ) && ! wp_doing_cron(),
				'is_ssl'           => is_ssl(),
				'forwarded_proto'  => isset( $server['HTTP_X_FORWARDED_PROTO'] ) ? strtolower( trim( (string) strtok( (string) $server['HTTP_X_FORWARDED_PROTO'], ',' ) ) ) : '',
				'remote_addr'      => isset( $server['REMOTE_ADDR'] ) ? (string) $server['REMOTE_ADDR'] : '',
				'trusted'          => Https_Policy::peer_is_trusted_proxy(),
				'insecure_allowed' => (bool) apply_filters( 'wpoa_allow_insecure_http', 'local' === wp_get_environment_type() ),
				'environment'      => wp_get_environment_type(),
			)
		);
	}

	/**
	 * Judges HTTPS detection (decisions/https-policy.md: X-Forwarded-Proto counts only from a
	 * trusted proxy).
	 *
	 * @param array $f home (URL), in_request (bool: facts of a real HTTP request), is_ssl,
	 *                 forwarded_proto (first X-Forwarded-Proto value, lower case), remote_addr,
	 *                 trusted (REMOTE_ADDR is a trusted proxy), insecure_allowed, environment.
	 * @return array Core's result shape.
	 */
	public static function https_result( array $f ): array {
		$test = 'wp_oauth_https';
		if ( 'https' !== wp_parse_url( (string) $f['home'], PHP_URL_SCHEME ) && ! $f['insecure_allowed'] ) {
			return self::result(
				$test,
				'critical',
				__( 'The site address is not https, so OAuth refuses every request', 'wp-oauth' ),
				self::p(
					sprintf(
						/* translators: %s: home URL. */
						__( 'The site address is %s. OAuth needs HTTPS: WP OAuth publishes the site address as its issuer and answers "HTTPS is required" to every request over plain HTTP.', 'wp-oauth' ),
						$f['home']
					)
				),
				self::p( __( 'Serve the site over HTTPS and change the WordPress Address and Site Address (Settings → General) to https://.', 'wp-oauth' ) )
			);
		}
		if ( $f['in_request'] && ! $f['is_ssl'] && 'https' === $f['forwarded_proto'] && ! $f['trusted'] ) {
			return self::result(
				$test,
				'critical',
				__( 'WP OAuth does not see HTTPS behind your proxy', 'wp-oauth' ),
				self::p(
					sprintf(
						/* translators: %s: IP address of the proxy. */
						__( 'This page came through a proxy or load balancer at %s that says "X-Forwarded-Proto: https", but PHP itself sees plain HTTP and that address is not a trusted proxy. WP OAuth believes the header only from trusted proxies (anyone can send it), so it answers "HTTPS is required" to every OAuth request that takes this path.', 'wp-oauth' ),
						$f['remote_addr']
					)
				),
				self::p( __( 'If that address is your own proxy, trust it (in a plugin or the theme\'s functions.php, or once with WP-CLI):', 'wp-oauth' ) )
					. self::code( "update_option( 'wpoa_trusted_proxies', array( '" . $f['remote_addr'] . "' ) );" )
					. self::p( __( 'Or make the proxy or web server tell PHP directly (nginx: fastcgi_param HTTPS on; in the TLS server block), or set $_SERVER[\'HTTPS\'] = \'on\' in wp-config.php for requests from it.', 'wp-oauth' ) )
			);
		}
		if ( $f['in_request'] && ! $f['is_ssl'] && ! $f['insecure_allowed'] && ! ( 'https' === $f['forwarded_proto'] && $f['trusted'] ) ) {
			return self::result(
				$test,
				'recommended',
				__( 'PHP did not see HTTPS for this page', 'wp-oauth' ),
				self::p( __( 'This page reached PHP as plain HTTP although the site address is https. OAuth requests that arrive like this are refused with "HTTPS is required". Either you opened the dashboard over http://, or TLS ends in front of PHP without telling it.', 'wp-oauth' ) ),
				self::p( __( 'Open the dashboard over https:// and run the checks again. If TLS ends at a proxy or load balancer, list its address in wpoa_trusted_proxies (it must send X-Forwarded-Proto), or make the web server set HTTPS for PHP (nginx: fastcgi_param HTTPS on).', 'wp-oauth' ) )
			);
		}
		if ( $f['insecure_allowed'] && 'local' !== $f['environment'] ) {
			return self::result(
				$test,
				'recommended',
				__( 'OAuth is allowed over plain HTTP', 'wp-oauth' ),
				self::p( __( 'The wpoa_allow_insecure_http filter lets OAuth work over plain HTTP on a site that is not a local development site: codes, tokens and client secrets can then travel unencrypted.', 'wp-oauth' ) ),
				self::p( __( 'Remove the filter (it is meant for development only).', 'wp-oauth' ) )
			);
		}
		return self::result(
			$test,
			'good',
			__( 'WP OAuth sees HTTPS', 'wp-oauth' ),
			self::p( __( 'The site address is https and PHP knows when a request came over TLS, so OAuth requests are accepted.', 'wp-oauth' ) )
		);
	}

	// ---- the Authorization header -----------------------------------------------------------------

	/**
	 * Async test (REST): which of PHP's sources carry the probe header the Site Health screen
	 * sent with this request (core's JavaScript sends the test's `headers`, as for core's own
	 * Authorization header test).
	 *
	 * @param \WP_REST_Request $request The request.
	 * @return array Core's result shape.
	 */
	public function rest_authorization_header( $request ): array {
		$is_probe = static fn( $v ) => is_string( $v ) && hash_equals( self::PROBE, trim( $v ) );
		$from_all = false;
		if ( function_exists( 'getallheaders' ) ) {
			$headers = getallheaders();
			foreach ( is_array( $headers ) ? $headers : array() as $name => $value ) {
				if ( is_string( $name ) && 0 === strcasecmp( $name, 'Authorization' ) ) {
					$from_all = $is_probe( $value );
				}
			}
		}
		return self::authorization_header_result(
			array(
				// phpcs:disable WordPress.Security.ValidatedSanitizedInput -- only compared.
				'HTTP_AUTHORIZATION'          => $is_probe( $_SERVER['HTTP_AUTHORIZATION'] ?? null ),
				'REDIRECT_HTTP_AUTHORIZATION' => $is_probe( $_SERVER['REDIRECT_HTTP_AUTHORIZATION'] ?? null ),
				// phpcs:enable
				'getallheaders'               => $from_all,
			)
		);
	}

	/**
	 * Judges where the Authorization header arrived.
	 *
	 * @param array<string,bool> $sources HTTP_AUTHORIZATION, REDIRECT_HTTP_AUTHORIZATION,
	 *                                    getallheaders: whether each carried the probe.
	 * @return array Core's result shape: `good` when WordPress's REST request sees the header
	 *               (every credential works), `recommended` when only getallheaders() does (WP
	 *               OAuth reads it there, so its tokens and client credentials work, but core's
	 *               Application Passwords and other code reading `$_SERVER` do not see it),
	 *               `critical` when PHP got none.
	 */
	public static function authorization_header_result( array $sources ): array {
		$test = 'wp_oauth_authorization_header';
		$fix  = self::p( __( 'Apache with PHP-FPM or FastCGI: add "CGIPassAuth On" to the site\'s <Directory> or .htaccess, or keep WordPress\'s .htaccess rule (saving Settings → Permalinks writes it):', 'wp-oauth' ) )
			. self::code( 'RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]' )
			. self::p( __( 'nginx: make sure the PHP location passes request headers (no "fastcgi_pass_request_headers off"), or add:', 'wp-oauth' ) )
			. self::code( 'fastcgi_param HTTP_AUTHORIZATION $http_authorization;' )
			. self::p( __( 'A proxy, CDN or firewall in front of the site must forward the Authorization header. If you cannot change the server, ask your host.', 'wp-oauth' ) );
		if ( ! empty( $sources['HTTP_AUTHORIZATION'] ) || ! empty( $sources['REDIRECT_HTTP_AUTHORIZATION'] ) ) {
			return self::result(
				$test,
				'good',
				__( 'The Authorization header reaches WP OAuth', 'wp-oauth' ),
				self::p( __( 'A request from this screen with a test Authorization header arrived with the header intact, so apps can send access tokens and client credentials.', 'wp-oauth' ) )
			);
		}
		if ( ! empty( $sources['getallheaders'] ) ) {
			return self::result(
				$test,
				'recommended',
				__( 'The Authorization header reaches PHP only in part', 'wp-oauth' ),
				self::p( __( 'A request from this screen with a test Authorization header arrived, but only in PHP\'s own list of request headers, not where WordPress\'s REST API reads it. WP OAuth reads it there, so access tokens and client_secret_basic work; WordPress\'s Application Passwords and other plugins that read the header where WordPress does get nothing.', 'wp-oauth' ) ),
				$fix
			);
		}
		return self::result(
			$test,
			'critical',
			__( 'The Authorization header does not reach PHP', 'wp-oauth' ),
			self::p( __( 'A request from this screen with a test Authorization header arrived without it: the web server or something in front of it removes the header before PHP. Apps then cannot use their access tokens (WordPress treats them as anonymous) and confidential clients cannot sign in at the token endpoint.', 'wp-oauth' ) ),
			$fix
		);
	}

	// ---- /.well-known/ -----------------------------------------------------------------------------

	/**
	 * Async test (REST route, and directly from cron): loopback GETs of the published discovery
	 * documents (RFC 8414 §3, RFC 9728 §3).
	 *
	 * @return array Core's result shape.
	 */
	public function test_well_known(): array {
		$documents = array(
			array(
				'url'    => Urls::authorization_server_metadata(),
				'member' => 'issuer',
				'expect' => Urls::issuer(),
			),
			array(
				'url'    => Urls::protected_resource_metadata(),
				'member' => 'resource',
				'expect' => Urls::audience(),
			),
		);
		foreach ( $documents as $i => $doc ) {
			$documents[ $i ]['response'] = self::loopback( 'GET', $doc['url'], array( 'Accept' => 'application/json' ) );
		}
		return self::well_known_result( $documents );
	}

	/**
	 * A loopback request to this site, as core's loopback test makes them (TLS verification per
	 * core's `https_local_ssl_verify` filter, no redirects followed), reduced to what the checks
	 * judge.
	 *
	 * @param string $method  GET or POST.
	 * @param string $url     Absolute URL on this site.
	 * @param array  $headers Request headers.
	 * @param string $body    Request body (POST).
	 * @return array{error:string, status:int, content_type:string, www_authenticate:string, location:string, body:string}
	 */
	private static function loopback( string $method, string $url, array $headers, string $body = '' ): array {
		$args = array(
			'method'      => $method,
			'headers'     => $headers,
			'timeout'     => 10,
			'redirection' => 0,
			/** This filter is documented in wp-includes/class-wp-http-streams.php */
			'sslverify'   => apply_filters( 'https_local_ssl_verify', false ),
		);
		if ( 'POST' === $method ) {
			$args['body'] = $body;
		}
		$response = wp_remote_request( $url, $args );
		if ( is_wp_error( $response ) ) {
			return array(
				'error'            => $response->get_error_message(),
				'status'           => 0,
				'content_type'     => '',
				'www_authenticate' => '',
				'location'         => '',
				'body'             => '',
			);
		}
		return array(
			'error'            => '',
			'status'           => (int) wp_remote_retrieve_response_code( $response ),
			'content_type'     => strtolower( (string) wp_remote_retrieve_header( $response, 'content-type' ) ),
			'www_authenticate' => (string) wp_remote_retrieve_header( $response, 'www-authenticate' ),
			'location'         => (string) wp_remote_retrieve_header( $response, 'location' ),
			'body'             => substr( (string) wp_remote_retrieve_body( $response ), 0, 65536 ),
		);
	}

	/**
	 * Judges the discovery documents.
	 *
	 * @param array $documents Each: url, member (the member that names the identifier), expect
	 *                         (its value), response (see loopback()).
	 * @return array Core's result shape: `critical` when a document is missing, HTML or wrong,
	 *               `recommended` when the site could not reach itself (inconclusive), else `good`.
	 */
	public static function well_known_result( array $documents ): array {
		$test     = 'wp_oauth_well_known';
		$problems = '';
		$offline  = '';
		foreach ( $documents as $doc ) {
			$r   = $doc['response'];
			$url = (string) $doc['url'];
			if ( '' !== $r['error'] ) {
				/* translators: 1: URL, 2: error message. */
				$offline .= self::p( sprintf( __( '%1$s: the site could not reach itself (%2$s).', 'wp-oauth' ), $url, $r['error'] ) );
				continue;
			}
			$json = json_decode( $r['body'], true );
			if ( $r['status'] >= 300 && $r['status'] < 400 ) {
				/* translators: 1: URL, 2: HTTP status, 3: redirect target. */
				$problems .= self::p( sprintf( __( '%1$s answers %2$d, a redirect to %3$s. Apps read this document at exactly this URL; many do not follow redirects.', 'wp-oauth' ), $url, $r['status'], $r['location'] ) );
			} elseif ( false !== strpos( $r['content_type'], 'html' ) || ( ! is_array( $json ) && preg_match( '/^\s*</', $r['body'] ) ) ) {
				/* translators: 1: URL, 2: HTTP status. */
				$problems .= self::p( sprintf( __( '%1$s answers %2$d with an HTML page instead of the JSON document: the request does not reach WP OAuth. Typically the web server serves /.well-known/ itself (a folder for certificate checks), or a cache, security plugin or theme answers first.', 'wp-oauth' ), $url, $r['status'] ) );
			} elseif ( 200 !== $r['status'] ) {
				/* translators: 1: URL, 2: HTTP status. */
				$problems .= self::p( sprintf( __( '%1$s answers %2$d instead of the document.', 'wp-oauth' ), $url, $r['status'] ) );
			} elseif ( ! is_array( $json ) || ! isset( $json[ $doc['member'] ] ) || $json[ $doc['member'] ] !== $doc['expect'] ) {
				/* translators: 1: URL, 2: member name, 3: expected value. */
				$problems .= self::p( sprintf( __( '%1$s answers, but not with this site\'s document (its "%2$s" should be %3$s): something else answers this URL.', 'wp-oauth' ), $url, $doc['member'], $doc['expect'] ) );
			}
		}
		$fix = self::p( __( 'Let WordPress answer /.well-known/oauth-authorization-server and /.well-known/oauth-protected-resource…: a folder or alias for /.well-known/ (often added for Let\'s Encrypt) should only cover /.well-known/acme-challenge/. nginx:', 'wp-oauth' ) )
			. self::code( 'location ^~ /.well-known/ { try_files $uri $uri/ /index.php?$args; }' )
			. self::p( __( 'Exclude these URLs from page caches and firewall rules. The same documents are also served at /wp-json/wp-oauth/v1/metadata and /wp-json/wp-oauth/v1/resource-metadata.', 'wp-oauth' ) );
		if ( '' !== $problems ) {
			return self::result( $test, 'critical', __( 'OAuth discovery documents do not reach WP OAuth', 'wp-oauth' ), self::p( __( 'Apps and AI agents find this site\'s OAuth endpoints by reading two JSON documents below /.well-known/. A request to them from the site itself found:', 'wp-oauth' ) ) . $problems . $offline, $fix );
		}
		if ( '' !== $offline ) {
			return self::result( $test, 'recommended', __( 'OAuth discovery documents could not be checked', 'wp-oauth' ), $offline . self::p( __( 'The site cannot make requests to itself (see WordPress\'s "Loopback request" check), so this check could not run. Open the URLs in a browser: each must show a JSON document.', 'wp-oauth' ) ), $fix );
		}
		return self::result( $test, 'good', __( 'OAuth discovery documents are served', 'wp-oauth' ), self::p( __( 'Apps and AI agents find this site\'s OAuth endpoints from its /.well-known/ documents, and both answer with this site\'s JSON.', 'wp-oauth' ) ) );
	}

	// ---- other authentication ---------------------------------------------------------------------

	/**
	 * Direct test: callbacks of other plugins on the two authentication filters.
	 *
	 * @return array Core's result shape.
	 */
	public function test_other_authentication(): array {
		global $wp_filter;
		$found = array();
		foreach ( array( 'determine_current_user', 'rest_authentication_errors' ) as $hook ) {
			if ( ! isset( $wp_filter[ $hook ] ) || ! $wp_filter[ $hook ] instanceof \WP_Hook ) {
				continue;
			}
			foreach ( $wp_filter[ $hook ]->callbacks as $priority => $callbacks ) {
				foreach ( $callbacks as $entry ) {
					$described = self::describe_callback( $entry['function'] );
					if ( null !== $described ) {
						$found[] = array(
							'hook'     => $hook,
							'priority' => (int) $priority,
						) + $described;
					}
				}
			}
		}
		return self::other_authentication_result( $found, Bearer_Authenticator::USER_PRIORITY, Bearer_Authenticator::ERRORS_PRIORITY );
	}

	/**
	 * Names a callback and the file it comes from, or null for WordPress's and WP OAuth's own
	 * (by name, or by the file they are defined in).
	 *
	 * @param mixed $callback A hooked callable.
	 * @return array{name:string, file:string}|null
	 */
	private static function describe_callback( $callback ): ?array {
		try {
			if ( is_string( $callback ) && false === strpos( $callback, '::' ) ) {
				if ( in_array( $callback, self::CORE_AUTH_CALLBACKS, true ) ) {
					return null;
				}
				$ref  = new \ReflectionFunction( $callback );
				$name = $callback . '()';
			} elseif ( $callback instanceof \Closure ) {
				$ref  = new \ReflectionFunction( $callback );
				$name = __( 'an anonymous function', 'wp-oauth' );
			} elseif ( is_array( $callback ) && 2 === count( $callback ) ) {
				$class = is_object( $callback[0] ) ? get_class( $callback[0] ) : (string) $callback[0];
				if ( Plugin::class === ltrim( $class, '\\' ) ) {
					return null; // WP OAuth's hook table (Plugin::run_<i>, through __callStatic()).
				}
				$ref  = new \ReflectionMethod( $class, (string) $callback[1] );
				$name = $class . '::' . $callback[1] . '()';
			} elseif ( is_string( $callback ) ) {
				list( $class, $method ) = explode( '::', $callback, 2 );
				$ref                    = new \ReflectionMethod( $class, $method );
				$name                   = $callback . '()';
			} else {
				$ref  = new \ReflectionMethod( $callback, '__invoke' );
				$name = get_class( $callback ) . '::__invoke()';
			}
		} catch ( \ReflectionException $e ) {
			return array(
				'name' => is_string( $callback ) ? $callback : __( 'an unknown callback', 'wp-oauth' ),
				'file' => '',
			);
		}
		$file = wp_normalize_path( (string) $ref->getFileName() );
		foreach ( array( WPOA_DIR, ABSPATH . WPINC, ABSPATH . 'wp-admin' ) as $own ) {
			if ( '' !== $file && 0 === strpos( $file, rtrim( wp_normalize_path( $own ), '/' ) . '/' ) ) {
				return null; // WP OAuth's own hooks, or WordPress's.
			}
		}
		return array(
			'name' => $name,
			'file' => '' !== $file ? str_replace( wp_normalize_path( ABSPATH ), '', wp_normalize_path( $file ) ) . ':' . $ref->getStartLine() : '',
		);
	}

	/**
	 * Judges the other authentication callbacks.
	 *
	 * @param array $found           Each: hook, priority, name, file.
	 * @param int   $user_priority   WP OAuth's priority on determine_current_user.
	 * @param int   $errors_priority WP OAuth's priority on rest_authentication_errors.
	 * @return array Core's result shape: `recommended` when another plugin authenticates requests
	 *               (its code may answer Bearer or Basic credentials first), else `good`.
	 */
	public static function other_authentication_result( array $found, int $user_priority, int $errors_priority ): array {
		$test = 'wp_oauth_other_authentication';
		if ( array() === $found ) {
			return self::result(
				$test,
				'good',
				__( 'No other plugin authenticates REST requests', 'wp-oauth' ),
				self::p( __( 'Only WordPress itself and WP OAuth decide who a request comes from, so access tokens are checked by WP OAuth alone.', 'wp-oauth' ) )
			);
		}
		$items = '';
		foreach ( $found as $f ) {
			$ours  = 'determine_current_user' === $f['hook'] ? $user_priority : $errors_priority;
			$when  = $f['priority'] < $ours ? __( 'before WP OAuth', 'wp-oauth' ) : ( $f['priority'] > $ours ? __( 'after WP OAuth', 'wp-oauth' ) : __( 'at the same priority as WP OAuth', 'wp-oauth' ) );
			$items .= '<li>' . esc_html(
				sprintf(
					/* translators: 1: function name, 2: file, 3: hook name, 4: priority, 5: before/after WP OAuth. */
					__( '%1$s (%2$s) on %3$s, priority %4$d: %5$s', 'wp-oauth' ),
					$f['name'],
					'' !== $f['file'] ? $f['file'] : '?',
					$f['hook'],
					$f['priority'],
					$when
				)
			) . '</li>';
		}
		return self::result(
			$test,
			'recommended',
			__( 'Another plugin also authenticates REST requests', 'wp-oauth' ),
			self::p( __( 'Code outside WordPress and WP OAuth hooks the filters that decide who a request comes from. If it also reads "Authorization: Bearer" (JWT plugins) or "Authorization: Basic" (Basic authentication plugins), it may answer apps\' access tokens or client credentials before WP OAuth, or replace its answer afterwards. WP OAuth cannot tell from here what that code does:', 'wp-oauth' ) )
				. '<ul>' . $items . '</ul>'
				. self::p( __( 'The check "Bearer and Basic credentials reach WP OAuth" sends such credentials and shows what really answers them.', 'wp-oauth' ) ),
			self::p( __( 'Deactivate other token or Basic authentication plugins you do not need, or make sure they leave requests they do not recognise untouched.', 'wp-oauth' ) )
		);
	}

	/**
	 * Async test (REST route, and directly from cron): loopback requests with a made-up bearer
	 * token and made-up Basic client credentials, which WP OAuth must refuse in its own words
	 * (RFC 6750 §3.1 `invalid_token`, RFC 6749 §5.2 `invalid_client`).
	 *
	 * @return array Core's result shape.
	 */
	public function test_credentials(): array {
		$bearer = self::loopback( 'GET', rest_url( 'wp/v2/users/me' ), array( 'Authorization' => 'Bearer ' . self::PROBE_TOKEN ) );
		$basic  = self::loopback(
			'POST',
			Urls::token_endpoint(),
			array(
				// phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- RFC 7617 Basic credentials.
				'Authorization' => 'Basic ' . base64_encode( self::PROBE_BASIC ),
				'Content-Type'  => 'application/x-www-form-urlencoded',
			),
			'grant_type=client_credentials'
		);
		return self::credentials_result( $bearer, $basic );
	}

	/**
	 * Judges the answers to the credential probes.
	 *
	 * @param array $bearer The answer to the bearer probe (see loopback()).
	 * @param array $basic  The answer to the Basic probe at the token endpoint.
	 * @return array Core's result shape: `critical` when a made-up token was accepted or someone
	 *               else answered, `recommended` when inconclusive, else `good`.
	 */
	public static function credentials_result( array $bearer, array $basic ): array {
		$test     = 'wp_oauth_credentials';
		$problems = '';
		$unsure   = '';
		$refused  = array();
		$code     = static function ( array $r ): string {
			$json = json_decode( $r['body'], true );
			if ( is_array( $json ) ) {
				return (string) ( $json['error'] ?? $json['code'] ?? '' );
			}
			return '';
		};
		if ( '' !== $bearer['error'] || '' !== $basic['error'] ) {
			$unsure .= self::p( sprintf( /* translators: %s: error message. */ __( 'The site could not reach itself (%s).', 'wp-oauth' ), '' !== $bearer['error'] ? $bearer['error'] : $basic['error'] ) );
		}
		if ( '' === $bearer['error'] ) {
			if ( $bearer['status'] >= 200 && $bearer['status'] < 300 ) {
				$problems .= self::p( __( 'A request with a made-up bearer token was let in as a user: something other than WP OAuth accepted it.', 'wp-oauth' ) );
			} elseif ( 401 === $bearer['status'] && 'invalid_token' === $code( $bearer ) && false !== stripos( $bearer['www_authenticate'], 'error="invalid_token"' ) ) {
				$refused[] = 'bearer';
			} elseif ( 401 === $bearer['status'] && false === stripos( $bearer['www_authenticate'], 'error=' ) ) {
				$unsure .= self::p( __( 'A request with a made-up bearer token was treated as anonymous: the Authorization header did not reach PHP on the way from the site to itself (see "Authorization header for WP OAuth").', 'wp-oauth' ) );
			} else {
				/* translators: 1: HTTP status, 2: error code. */
				$problems .= self::p( sprintf( __( 'A request with a made-up bearer token was answered by something else than WP OAuth: HTTP %1$d, code "%2$s". Another plugin reads bearer tokens before WP OAuth.', 'wp-oauth' ), $bearer['status'], $code( $bearer ) ) );
			}
		}
		if ( '' === $basic['error'] ) {
			if ( in_array( $basic['status'], array( 401, 429 ), true ) && 'invalid_client' === $code( $basic ) ) {
				$refused[] = 'basic';
			} elseif ( $basic['status'] >= 200 && $basic['status'] < 300 ) {
				$problems .= self::p( __( 'The token endpoint issued something for made-up client credentials.', 'wp-oauth' ) );
			} else {
				/* translators: 1: HTTP status, 2: error code. */
				$problems .= self::p( sprintf( __( 'Made-up Basic client credentials at the token endpoint were answered by something else than WP OAuth: HTTP %1$d, code "%2$s". Another plugin reads Basic credentials before WP OAuth; confidential apps cannot sign in.', 'wp-oauth' ), $basic['status'], $code( $basic ) ) );
			}
		}
		$fix = self::p( __( 'See "Other authentication plugins" for the code that hooks authentication. Deactivate plugins that answer bearer tokens or Basic credentials they did not issue, or configure them to leave such requests alone.', 'wp-oauth' ) );
		if ( '' !== $problems ) {
			return self::result( $test, 'critical', __( 'Another plugin answers credentials meant for WP OAuth', 'wp-oauth' ), $problems . $unsure, $fix );
		}
		if ( '' !== $unsure || 2 !== count( $refused ) ) {
			return self::result( $test, 'recommended', __( 'Credentials could not be checked end to end', 'wp-oauth' ), $unsure, $fix );
		}
		return self::result(
			$test,
			'good',
			__( 'Bearer and Basic credentials reach WP OAuth', 'wp-oauth' ),
			self::p( __( 'The site sent itself a made-up access token and made-up client credentials; WP OAuth refused both itself ("invalid_token", "invalid_client"), so no other code answers them first.', 'wp-oauth' ) )
		);
	}

	// ---- object cache ------------------------------------------------------------------------------

	/**
	 * Direct test: what kind of persistent object cache the site uses.
	 *
	 * @return array Core's result shape.
	 */
	public function test_object_cache(): array {
		$dropin = WP_CONTENT_DIR . '/object-cache.php';
		$head   = is_readable( $dropin ) ? (string) file_get_contents( $dropin, false, null, 0, 262144 ) : ''; // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents -- a local drop-in.
		$kind   = '';
		if ( wp_using_ext_object_cache() ) {
			if ( preg_match( '/\bapcu_(?:fetch|store|add)\b/i', $head ) ) {
				$kind = 'apcu';
			} elseif ( preg_match( '/\b(?:Redis|Predis|Relay)\b/', $head ) ) {
				$kind = 'redis';
			} elseif ( preg_match( '/\bMemcached?\b/', $head ) ) {
				$kind = 'memcached';
			} else {
				$kind = 'unknown';
			}
		}
		return self::object_cache_result( $kind );
	}

	/**
	 * Judges the object cache.
	 *
	 * @param string $kind '' (no persistent cache), `apcu`, `redis`, `memcached` or `unknown`.
	 * @return array Core's result shape: `recommended` for a cache that lives inside one server
	 *               (APCu), `good` otherwise, with what could not be seen.
	 */
	public static function object_cache_result( string $kind ): array {
		$test = 'wp_oauth_object_cache';
		if ( '' === $kind ) {
			return self::result(
				$test,
				'good',
				__( 'WP OAuth keeps its state in the database', 'wp-oauth' ),
				self::p( __( 'There is no persistent object cache, so grants and revocations are read from the database, which every PHP server of the site shares. A revoked token stops working on every server at once.', 'wp-oauth' ) ),
				'',
				'performance'
			);
		}
		$multi = self::p( __( 'With a persistent object cache, WP OAuth caches grant states for up to an hour and relies on the cache to spread revocations. All PHP servers of the site must therefore use one shared cache. Site Health cannot see how many PHP servers you run, nor whether they all reach the same cache server.', 'wp-oauth' ) );
		if ( 'apcu' === $kind ) {
			return self::result(
				$test,
				'recommended',
				__( 'The object cache is private to each PHP server', 'wp-oauth' ),
				self::p( __( 'The object cache drop-in (wp-content/object-cache.php) stores in APCu, which lives inside one server\'s PHP. With a single PHP server that is fine. With several behind a load balancer, a token revoked on one server keeps working on the others for up to an hour.', 'wp-oauth' ) ) . $multi,
				self::p( __( 'If more than one PHP server serves this site, use a shared cache (Redis or Memcached) for all of them, or none.', 'wp-oauth' ) ),
				'performance'
			);
		}
		return self::result(
			$test,
			'good',
			__( 'The object cache can be shared between PHP servers', 'wp-oauth' ),
			self::p(
				'unknown' === $kind
					? __( 'A persistent object cache is in use; WP OAuth cannot tell which kind.', 'wp-oauth' )
					: sprintf(
						/* translators: %s: Redis or Memcached. */
						__( 'A persistent object cache (%s) is in use: a server that several PHP servers can share.', 'wp-oauth' ),
						'redis' === $kind ? 'Redis' : 'Memcached'
					)
			) . $multi,
			self::p( __( 'If several PHP servers serve this site, make sure they all use the same cache server (not one each).', 'wp-oauth' ) ),
			'performance'
		);
	}
}
