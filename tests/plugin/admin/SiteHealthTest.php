<?php
/**
 * Site Health checks: what each one concludes from the facts it is given, and the facts it
 * gathers from the real WordPress (hooks, options, the request, REST routes).
 *
 * @covers \Wpoa\Site_Health
 * @covers \Wpoa\Plugin::site_status_tests
 * @covers \Wpoa\Plugin::debug_information
 */

/** A stand-in for a JWT authentication plugin: hooked on determine_current_user. */
function wpoa_test_jwt_plugin_determine_user($user_id)
{
    return $user_id;
}

final class SiteHealthTest extends PHPUnit\Framework\TestCase
{
    /** @var array<string,mixed> */
    private static $server;

    private const PHP82 = [
        'minor' => '8.2', 'api' => '20220829', 'zts' => false,
        'artifact' => 'wp-oauth-ext-0.1.0-php8.2-20220829.tar.gz', 'available' => true,
        'arch' => 'x86_64', 'extension_dir' => '/usr/lib/php/20220829', 'version' => '', 'configured' => [],
    ];

    protected function setUp(): void
    {
        self::$server = $_SERVER;
        delete_option('wpoa_trusted_proxies');
    }

    protected function tearDown(): void
    {
        $_SERVER = self::$server;
        delete_option('wpoa_trusted_proxies');
        wp_set_current_user(0);
    }

    private static function health(): \Wpoa\Site_Health
    {
        return \Wpoa\Plugin::component(\Wpoa\Site_Health::class);
    }

    /** The result's text without markup, for assertions on what the owner reads. */
    private static function text(array $r): string
    {
        return html_entity_decode(wp_strip_all_tags($r['label'] . ' ' . $r['description'] . ' ' . $r['actions']), ENT_QUOTES);
    }

    private static function assertShape(array $r, string $test, string $status): void
    {
        self::assertSame(['label', 'status', 'badge', 'description', 'actions', 'test'], array_keys($r));
        self::assertSame($test, $r['test']);
        self::assertSame($status, $r['status'], self::text($r));
        self::assertStringContainsString('docs/host-guide.md', $r['actions'], 'every result links the host guide');
    }

    public function testAddsItsTestsToCoresListsThroughTheFilter(): void
    {
        require_once ABSPATH . 'wp-admin/includes/class-wp-site-health.php';
        $tests = WP_Site_Health::get_tests();
        foreach (['wp_oauth_extension', 'wp_oauth_extension_version', 'wp_oauth_https', 'wp_oauth_other_authentication', 'wp_oauth_object_cache'] as $id) {
            $this->assertArrayHasKey($id, $tests['direct']);
            $this->assertIsCallable($tests['direct'][$id]['test']);
        }
        $header = $tests['async']['wp_oauth_authorization_header'];
        $this->assertSame(['Authorization' => 'WpoaProbe site-health'], $header['headers'], 'the screen sends the probe');
        $this->assertTrue($header['skip_cron'], 'cron cannot send it from a browser');
        $this->assertSame(rest_url('wp-oauth/v1/site-health/authorization-header'), $header['test']);
        foreach (['wp_oauth_well_known' => 'well-known', 'wp_oauth_credentials' => 'credentials'] as $id => $route) {
            $this->assertSame(rest_url("wp-oauth/v1/site-health/$route"), $tests['async'][$id]['test']);
            $this->assertTrue($tests['async'][$id]['has_rest']);
            $this->assertIsCallable($tests['async'][$id]['async_direct_test'], 'the weekly cron check runs it directly');
        }
        // Core's own tests are still there.
        $this->assertArrayHasKey('authorization_header', $tests['async']);
    }

    public function testTheInfoTabHasAWpOauthSection(): void
    {
        update_option('wpoa_trusted_proxies', ['10.0.0.5']);
        $info = apply_filters('debug_information', []);
        $this->assertSame('WP OAuth', $info['wp-oauth']['label']);
        $f = array_map(static fn ($field) => $field['value'], $info['wp-oauth']['fields']);
        $this->assertSame(wp_oauth_version(), $f['extension']);
        $this->assertSame(\Wpoa\Extension_Artifact::name(), $f['artifact']);
        $this->assertStringStartsWith('PHP ' . PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION . ', API ', $f['php']);
        $this->assertSame('10.0.0.5', $f['proxies']);
        $this->assertSame(untrailingslashit(home_url()), $f['issuer']);
    }

    public function testTheRoutesAnswerOnlyThoseWhoMaySeeSiteHealth(): void
    {
        $_SERVER['HTTP_AUTHORIZATION'] = 'WpoaProbe site-health';
        foreach (['subscriber' => 403, 'author' => 403] as $role => $status) {
            wp_set_current_user(wpoa_user($role)->ID);
            $res = rest_do_request(new WP_REST_Request('GET', '/wp-oauth/v1/site-health/authorization-header'));
            $this->assertSame($status, $res->get_status(), $role);
        }
        wp_set_current_user(0);
        $this->assertSame(401, rest_do_request(new WP_REST_Request('GET', '/wp-oauth/v1/site-health/well-known'))->get_status());
        wp_set_current_user(wpoa_user('admin')->ID);
        $res = rest_do_request(new WP_REST_Request('GET', '/wp-oauth/v1/site-health/authorization-header'));
        $this->assertSame(200, $res->get_status());
        self::assertShape($res->get_data(), 'wp_oauth_authorization_header', 'good');
        $this->assertSame(404, rest_do_request(new WP_REST_Request('POST', '/wp-oauth/v1/site-health/authorization-header'))->get_status(), 'GET only');
    }

    public function testTheHeaderRouteReadsEachSourceOfTheHeader(): void
    {
        wp_set_current_user(wpoa_user('admin')->ID);
        $run = static fn () => self::health()->rest_authorization_header(new WP_REST_Request('GET', '/'));
        unset($_SERVER['HTTP_AUTHORIZATION'], $_SERVER['REDIRECT_HTTP_AUTHORIZATION']);
        self::assertShape($run(), 'wp_oauth_authorization_header', 'critical');
        $_SERVER['REDIRECT_HTTP_AUTHORIZATION'] = 'WpoaProbe site-health';
        self::assertShape($run(), 'wp_oauth_authorization_header', 'good');
        $_SERVER['REDIRECT_HTTP_AUTHORIZATION'] = 'Basic dXNlcjpwd2Q=';
        self::assertShape($run(), 'wp_oauth_authorization_header', 'critical', 'another value is not the probe');
    }

    public function testJudgesWhereTheHeaderArrived(): void
    {
        $none = ['HTTP_AUTHORIZATION' => false, 'REDIRECT_HTTP_AUTHORIZATION' => false, 'getallheaders' => false];
        $r = \Wpoa\Site_Health::authorization_header_result($none);
        self::assertShape($r, 'wp_oauth_authorization_header', 'critical');
        $this->assertStringContainsString('CGIPassAuth On', self::text($r));
        $this->assertStringContainsString('fastcgi_param HTTP_AUTHORIZATION $http_authorization;', self::text($r));
        self::assertShape(\Wpoa\Site_Health::authorization_header_result(['HTTP_AUTHORIZATION' => true] + $none), 'wp_oauth_authorization_header', 'good');
        self::assertShape(\Wpoa\Site_Health::authorization_header_result(['REDIRECT_HTTP_AUTHORIZATION' => true] + $none), 'wp_oauth_authorization_header', 'good');
        $partial = \Wpoa\Site_Health::authorization_header_result(['getallheaders' => true] + $none);
        self::assertShape($partial, 'wp_oauth_authorization_header', 'recommended');
        $this->assertStringContainsString('client_secret_basic', self::text($partial));
        $this->assertStringContainsString('Application Passwords', self::text($partial), 'what still misses the header');
    }

    public function testTheExtensionCheckNamesTheArtifactForThisPhp(): void
    {
        $good = self::health()->test_extension();
        self::assertShape($good, 'wp_oauth_extension', 'good');
        $this->assertStringContainsString(wp_oauth_version(), self::text($good));

        $missing = \Wpoa\Site_Health::extension_result('missing', self::PHP82);
        self::assertShape($missing, 'wp_oauth_extension', 'critical');
        $this->assertStringContainsString('Install wp-oauth-ext-0.1.0-php8.2-20220829.tar.gz, the build for PHP 8.2 on x86_64', self::text($missing));
        $this->assertStringContainsString('extension=/usr/lib/php/20220829/libwp_oauth.so', self::text($missing));

        $other = \Wpoa\Site_Health::extension_result('missing', ['configured' => [
            ['ini' => '/etc/php/8.2/fpm/conf.d/20-wp-oauth.ini', 'path' => '/usr/lib/php/20240924/libwp_oauth.so', 'built_for' => ['api' => '20240924', 'zts' => false]],
        ]] + self::PHP82);
        self::assertShape($other, 'wp_oauth_extension', 'critical');
        $this->assertStringContainsString('/etc/php/8.2/fpm/conf.d/20-wp-oauth.ini loads /usr/lib/php/20240924/libwp_oauth.so, but that file was built for PHP module API 20240924 (PHP 8.4); this PHP is 8.2 (API 20220829)', self::text($other));

        $gone = \Wpoa\Site_Health::extension_result('missing', ['configured' => [
            ['ini' => '/etc/php/8.2/fpm/php.ini', 'path' => '/nowhere/libwp_oauth.so', 'built_for' => null],
        ]] + self::PHP82);
        $this->assertStringContainsString('names /nowhere/libwp_oauth.so, but PHP did not load it', self::text($gone));

        $php83 = \Wpoa\Site_Health::extension_result('missing', ['minor' => '8.3', 'api' => '20230831', 'available' => false, 'artifact' => 'wp-oauth-ext-0.1.0-php8.3-20230831.tar.gz'] + self::PHP82);
        $this->assertStringContainsString('There is no prebuilt extension for PHP 8.3 on x86_64', self::text($php83));
        $this->assertStringNotContainsString('Install wp-oauth-ext', self::text($php83));
    }

    public function testJudgesTheExtensionsVersion(): void
    {
        self::assertShape(self::health()->test_extension_version(), 'wp_oauth_extension_version', 'good');
        $art = 'wp-oauth-ext-0.2.0-php8.2-20220829.tar.gz';
        $old = \Wpoa\Site_Health::version_result('0.0.9', '0.2.0', '0.1.0', $art);
        self::assertShape($old, 'wp_oauth_extension_version', 'critical');
        $this->assertStringContainsString('version 0.0.9; this plugin needs 0.1.0 or newer', self::text($old));
        $this->assertStringContainsString("Install $art", self::text($old));
        foreach (['0.1.0', '0.3.0'] as $other) {
            $r = \Wpoa\Site_Health::version_result($other, '0.2.0', '0.1.0', $art);
            self::assertShape($r, 'wp_oauth_extension_version', 'recommended');
            $this->assertStringContainsString("version $other; this plugin was released with 0.2.0", self::text($r));
        }
        self::assertShape(\Wpoa\Site_Health::version_result('0.2.0', '0.2.0', '0.1.0', $art), 'wp_oauth_extension_version', 'good');
    }

    public function testHttpsBehindAProxyThatIsNotTrusted(): void
    {
        unset($_SERVER['HTTPS']);
        $_SERVER['HTTP_X_FORWARDED_PROTO'] = 'https';
        $_SERVER['REMOTE_ADDR'] = '10.0.0.5';
        $_SERVER['REQUEST_METHOD'] = 'GET';
        $r = self::health()->test_https();
        self::assertShape($r, 'wp_oauth_https', 'critical');
        $this->assertStringContainsString("update_option( 'wpoa_trusted_proxies', array( '10.0.0.5' ) );", self::text($r));

        update_option('wpoa_trusted_proxies', ['10.0.0.5']);
        self::assertShape(self::health()->test_https(), 'wp_oauth_https', 'good');
        // The check agrees with the policy that refuses or accepts OAuth requests.
        $this->assertTrue(\Wpoa\Https_Policy::allows_request());

        $_SERVER['REMOTE_ADDR'] = '10.0.0.6';
        $this->assertFalse(\Wpoa\Https_Policy::allows_request());
        self::assertShape(self::health()->test_https(), 'wp_oauth_https', 'critical');

        unset($_SERVER['HTTP_X_FORWARDED_PROTO']);
        self::assertShape(self::health()->test_https(), 'wp_oauth_https', 'recommended');

        $_SERVER['HTTPS'] = 'on';
        self::assertShape(self::health()->test_https(), 'wp_oauth_https', 'good');
    }

    public function testJudgesHttpsFacts(): void
    {
        $f = ['home' => 'https://example.com/', 'in_request' => true, 'is_ssl' => true, 'forwarded_proto' => '', 'remote_addr' => '127.0.0.1', 'trusted' => false, 'insecure_allowed' => false, 'environment' => 'production'];
        self::assertShape(\Wpoa\Site_Health::https_result($f), 'wp_oauth_https', 'good');
        self::assertShape(\Wpoa\Site_Health::https_result(['home' => 'http://example.com/'] + $f), 'wp_oauth_https', 'critical');
        self::assertShape(\Wpoa\Site_Health::https_result(['insecure_allowed' => true] + $f), 'wp_oauth_https', 'recommended');
        self::assertShape(\Wpoa\Site_Health::https_result(['insecure_allowed' => true, 'environment' => 'local', 'home' => 'http://localhost/'] + $f), 'wp_oauth_https', 'good');
        // From cron there is no request to judge: only the address counts.
        self::assertShape(\Wpoa\Site_Health::https_result(['in_request' => false, 'is_ssl' => false] + $f), 'wp_oauth_https', 'good');
    }

    public function testJudgesTheDiscoveryDocuments(): void
    {
        $ok = ['error' => '', 'status' => 200, 'content_type' => 'application/json; charset=utf-8', 'www_authenticate' => '', 'location' => '', 'body' => '{"issuer":"https://example.com"}'];
        $doc = ['url' => 'https://example.com/.well-known/oauth-authorization-server', 'member' => 'issuer', 'expect' => 'https://example.com', 'response' => $ok];
        self::assertShape(\Wpoa\Site_Health::well_known_result([$doc]), 'wp_oauth_well_known', 'good');

        $html = \Wpoa\Site_Health::well_known_result([['response' => ['status' => 404, 'content_type' => 'text/html', 'body' => '<html><body>404 Not Found</body></html>'] + $ok] + $doc]);
        self::assertShape($html, 'wp_oauth_well_known', 'critical');
        $this->assertStringContainsString('https://example.com/.well-known/oauth-authorization-server answers 404 with an HTML page', self::text($html));
        $this->assertStringContainsString('location ^~ /.well-known/ { try_files $uri $uri/ /index.php?$args; }', self::text($html));

        $page = \Wpoa\Site_Health::well_known_result([['response' => ['content_type' => 'text/html; charset=UTF-8', 'body' => '<!doctype html><title>Home</title>'] + $ok] + $doc]);
        $this->assertStringContainsString('answers 200 with an HTML page', self::text($page));

        $wrong = \Wpoa\Site_Health::well_known_result([['response' => ['body' => '{"issuer":"https://other.example"}'] + $ok] + $doc]);
        self::assertShape($wrong, 'wp_oauth_well_known', 'critical');
        $this->assertStringContainsString('its "issuer" should be https://example.com', self::text($wrong));

        $moved = \Wpoa\Site_Health::well_known_result([['response' => ['status' => 301, 'location' => 'https://example.com/x', 'body' => ''] + $ok] + $doc]);
        $this->assertStringContainsString('answers 301, a redirect to https://example.com/x', self::text($moved));

        $offline = \Wpoa\Site_Health::well_known_result([['response' => ['error' => 'cURL error 7', 'status' => 0, 'body' => ''] + $ok] + $doc]);
        self::assertShape($offline, 'wp_oauth_well_known', 'recommended');
        $this->assertStringContainsString('cURL error 7', self::text($offline));
    }

    public function testALoopbackThatCannotLeaveIsInconclusiveNotBroken(): void
    {
        // The test bootstrap blocks every HTTP request, as a host without loopback would.
        self::assertShape(self::health()->test_well_known(), 'wp_oauth_well_known', 'recommended');
        self::assertShape(self::health()->test_credentials(), 'wp_oauth_credentials', 'recommended');
    }

    public function testJudgesTheAnswersToCredentialProbes(): void
    {
        $r = ['error' => '', 'status' => 401, 'content_type' => 'application/json', 'www_authenticate' => 'Bearer realm="x", error="invalid_token", error_description="…"', 'location' => '', 'body' => '{"error":"invalid_token"}'];
        $b = ['www_authenticate' => 'Basic realm="x"', 'body' => '{"error":"invalid_client"}'] + $r;
        self::assertShape(\Wpoa\Site_Health::credentials_result($r, $b), 'wp_oauth_credentials', 'good');
        self::assertShape(\Wpoa\Site_Health::credentials_result($r, ['status' => 429] + $b), 'wp_oauth_credentials', 'good');

        $jwt = \Wpoa\Site_Health::credentials_result(['status' => 403, 'www_authenticate' => '', 'body' => '{"code":"jwt_auth_invalid_token","message":"Wrong number of segments"}'] + $r, $b);
        self::assertShape($jwt, 'wp_oauth_credentials', 'critical');
        $this->assertStringContainsString('HTTP 403, code "jwt_auth_invalid_token"', self::text($jwt));

        $let_in = \Wpoa\Site_Health::credentials_result(['status' => 200, 'body' => '{"id":1}'] + $r, $b);
        self::assertShape($let_in, 'wp_oauth_credentials', 'critical');

        $basic = \Wpoa\Site_Health::credentials_result($r, ['status' => 401, 'body' => '{"code":"incorrect_password","message":"…"}'] + $b);
        self::assertShape($basic, 'wp_oauth_credentials', 'critical');
        $this->assertStringContainsString('code "incorrect_password"', self::text($basic));

        $stripped = \Wpoa\Site_Health::credentials_result(['www_authenticate' => 'Bearer realm="x", resource_metadata="…"', 'body' => '{"code":"rest_not_logged_in"}'] + $r, $b);
        self::assertShape($stripped, 'wp_oauth_credentials', 'recommended');
    }

    public function testNamesOtherCodeOnTheAuthenticationFilters(): void
    {
        self::assertShape(self::health()->test_other_authentication(), 'wp_oauth_other_authentication', 'good');
        add_filter('determine_current_user', 'wpoa_test_jwt_plugin_determine_user', 15);
        $closure = static fn ($result) => $result;
        add_filter('rest_authentication_errors', $closure, 99);
        try {
            $r = self::health()->test_other_authentication();
        } finally {
            remove_filter('determine_current_user', 'wpoa_test_jwt_plugin_determine_user', 15);
            remove_filter('rest_authentication_errors', $closure, 99);
        }
        self::assertShape($r, 'wp_oauth_other_authentication', 'recommended');
        $text = self::text($r);
        $this->assertMatchesRegularExpression('#wpoa_test_jwt_plugin_determine_user\(\) \(\S*SiteHealthTest\.php:\d+\) on determine_current_user, priority 15: before WP OAuth#', $text);
        $this->assertMatchesRegularExpression('#an anonymous function \(\S*SiteHealthTest\.php:\d+\) on rest_authentication_errors, priority 99: after WP OAuth#', $text);
        self::assertShape(self::health()->test_other_authentication(), 'wp_oauth_other_authentication', 'good');
    }

    public function testJudgesTheObjectCache(): void
    {
        $this->assertFalse((bool) wp_using_ext_object_cache(), 'the test site has no persistent cache');
        $none = self::health()->test_object_cache();
        self::assertShape($none, 'wp_oauth_object_cache', 'good');
        $this->assertStringContainsString('There is no persistent object cache', self::text($none));
        self::assertShape(\Wpoa\Site_Health::object_cache_result(''), 'wp_oauth_object_cache', 'good');
        $apcu = \Wpoa\Site_Health::object_cache_result('apcu');
        self::assertShape($apcu, 'wp_oauth_object_cache', 'recommended');
        $this->assertStringContainsString('APCu', self::text($apcu));
        foreach (['redis' => 'Redis', 'memcached' => 'Memcached'] as $kind => $name) {
            $r = \Wpoa\Site_Health::object_cache_result($kind);
            self::assertShape($r, 'wp_oauth_object_cache', 'good');
            $this->assertStringContainsString("($name)", self::text($r));
            $this->assertStringContainsString('cannot see how many PHP servers', self::text($r));
        }
    }
}
