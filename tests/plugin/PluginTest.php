<?php
/**
 * The bootstrap: hooks are wired without loading components, and a request loads only the
 * classes it runs. Each case is a separate PHP process that boots WordPress for one request.
 *
 * @covers \Wpoa\Plugin
 * @covers \Wpoa\Autoloader
 * @covers \Wpoa\Extension_Artifact
 */
final class PluginTest extends PHPUnit\Framework\TestCase
{
    /** @return string[] The Wpoa classes one request loaded. */
    private static function classesLoadedBy(string $uri, string $authorization = ''): array
    {
        return self::request($uri, $authorization)['classes'];
    }

    /** @return string[] The hooks the bootstrap registered during one request. */
    private static function hooksRegisteredBy(string $uri, string $authorization = ''): array
    {
        return self::request($uri, $authorization)['hooks'];
    }

    /** @return array{classes: string[], hooks: string[]} */
    private static function request(string $uri, string $authorization = ''): array
    {
        $site = wpoa_site();
        $cmd = [PHP_BINARY, '-d', 'extension=' . $site['ext_so'], __DIR__ . '/fixtures/request-classes.php', $site['run_dir'], (string) $site['port'], $uri, $authorization];
        $proc = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        proc_close($proc);
        if (1 !== preg_match('/^WPOA-CLASSES (.*)$/m', $err, $m) || 1 !== preg_match('/^WPOA-HOOKS (.*)$/m', $err, $h)) {
            self::fail("no class report for $uri: $err");
        }
        return ['classes' => json_decode($m[1], true), 'hooks' => json_decode($h[1], true)];
    }

    private const LIFECYCLE = ['after_password_reset', 'delete_user', 'profile_update', 'remove_user_from_blog', 'wp_set_password'];

    public function testAFrontEndPageRegistersOnlyWhatAnyRequestMayNeed(): void
    {
        // What ends tokens when a user changes (any request may change one), and the REST start.
        $expected = array_merge(self::LIFECYCLE, ['rest_api_init']);
        sort($expected);
        $this->assertSame($expected, self::hooksRegisteredBy('/'));
    }

    public function testEachKindOfRequestRegistersItsHooks(): void
    {
        $rest = self::hooksRegisteredBy('/wp-json/wp/v2/posts');
        $this->assertContains('rest_post_dispatch', $rest, 'the 401 challenge on every REST answer');
        $this->assertNotContains('rest_exposed_cors_headers', $rest, 'no Origin, no CORS');
        $this->assertNotContains('determine_current_user', $rest);

        $bearer = self::hooksRegisteredBy('/wp-json/wp/v2/posts', 'Bearer not-a-token');
        foreach (['determine_current_user', 'rest_authentication_errors', 'rest_pre_dispatch', 'nocache_headers'] as $hook) {
            $this->assertContains($hook, $bearer, $hook);
        }
        $this->assertContains('application_password_is_api_request', self::hooksRegisteredBy('/wp-json/wp-oauth/v1/token', 'Basic ' . base64_encode('client:secret')));

        $ours = self::hooksRegisteredBy('/wp-json/wp-oauth/v1/token');
        $this->assertContains('rest_index', self::hooksRegisteredBy('/wp-json/'));
        $this->assertContains('rest_post_dispatch', $ours);

        // Core checks has_filter( 'login_form_<action>' ) before login_init: registered at boot.
        $this->assertContains('login_form_oauth_authorize', self::hooksRegisteredBy('/wp-login.php?action=oauth_authorize'));
        $this->assertNotContains('login_form_oauth_authorize', self::hooksRegisteredBy('/wp-login.php'));
        $this->assertContains('parse_request', self::hooksRegisteredBy('/.well-known/oauth-authorization-server'));
        $this->assertContains('parse_request', self::hooksRegisteredBy('/oauth/authorize'));
    }

    public function testTheCliRegistersEveryRowOfTheTable(): void
    {
        foreach (\Wpoa\Plugin::HOOKS as $i => $h) {
            $this->assertNotFalse(has_filter($h[0]), "row $i: $h[0]");
        }
        $this->assertNotFalse(has_action('activate_plugin', [\Wpoa\Plugin::class, 'on_activate_plugin']));
    }

    public function testAFrontEndPageLoadsNoComponent(): void
    {
        $this->assertSame(['Wpoa\Autoloader', 'Wpoa\Plugin'], self::classesLoadedBy('/'));
        $this->assertSame(['Wpoa\Autoloader', 'Wpoa\Plugin'], self::classesLoadedBy('/?p=1'));
    }

    public function testAnAnonymousRestCallToAnotherNamespaceLoadsNoComponent(): void
    {
        $this->assertSame(['Wpoa\Autoloader', 'Wpoa\Plugin'], self::classesLoadedBy('/wp-json/wp/v2/posts'));
        $this->assertSame(['Wpoa\Autoloader', 'Wpoa\Plugin'], self::classesLoadedBy('/?rest_route=/wp/v2/types'));
    }

    public function testABasicCredentialDoesNotLoadBearerAuthentication(): void
    {
        $loaded = self::classesLoadedBy('/wp-json/wp/v2/posts', 'Basic ' . base64_encode('nobody:wrong'));
        $this->assertNotContains('Wpoa\Bearer_Authenticator', $loaded);
    }

    public function testWhatARequestNeedsIsLoadedWhenItNeedsIt(): void
    {
        $bearer = self::classesLoadedBy('/wp-json/wp/v2/posts', 'Bearer not-a-token');
        $this->assertContains('Wpoa\Bearer_Authenticator', $bearer);
        $this->assertNotContains('Wpoa\Token_Controller', $bearer, 'routes of another namespace only');
        $this->assertNotContains('Wpoa\Scope_Enforcer', $bearer, 'a refused token narrows nothing');

        $token = self::classesLoadedBy('/wp-json/wp-oauth/v1/token');
        $this->assertContains('Wpoa\Token_Controller', $token);
        $this->assertNotContains('Wpoa\Bearer_Authenticator', $token);

        $this->assertContains('Wpoa\Discovery', self::classesLoadedBy('/.well-known/oauth-authorization-server'));
    }

    public function testSiteHealthLoadsOnlyForItsOwnRoutes(): void
    {
        $this->assertContains('Wpoa\Site_Health', self::classesLoadedBy('/wp-json/wp-oauth/v1/site-health/well-known'));
        $this->assertNotContains('Wpoa\Site_Health', self::classesLoadedBy('/wp-json/wp-oauth/v1/token'));
        $this->assertNotContains('Wpoa\Site_Health', self::classesLoadedBy('/wp-json/wp-oauth/v1/jwks'));
        $this->assertNotContains('Wpoa\Extension_Artifact', self::classesLoadedBy('/wp-json/wp-oauth/v1/token'));
    }

    public function testWithoutTheExtensionTheNoticeNamesTheArtifactAndNothingIsTranslatedBeforeInit(): void
    {
        $site = wpoa_site();
        // The CLI's own ini files without this run's `-d extension=…`: PHP as on the no-extension node.
        $cmd = [PHP_BINARY, __DIR__ . '/fixtures/request-noext-notice.php', $site['run_dir'], (string) $site['port']];
        $proc = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        proc_close($proc);
        $this->assertSame(1, preg_match('/^WPOA-NOTICE (.*)$/m', $out, $m), "no report: $out $err");
        $report = json_decode($m[1], true);
        $this->assertFalse($report['extension_loaded'], 'the CLI must not load the extension from its own php.ini for this test');
        $this->assertSame([], $report['early'], 'the plugin translates nothing before init (WordPress 6.7+ logs it)');

        $phpinfo = (string) shell_exec(escapeshellarg(PHP_BINARY) . ' -n -i');
        $this->assertSame(1, preg_match('/^PHP Extension => (\d{8})$/m', $phpinfo, $api));
        $this->assertSame(1, preg_match('/^version = "([^"]+)"$/m', (string) file_get_contents($site['repo'] . '/Cargo.toml'), $version));
        $minor = PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION;
        $text = html_entity_decode(wp_strip_all_tags($report['html']), ENT_QUOTES);
        $this->assertStringContainsString('WP OAuth is inactive. The wp_oauth PHP extension is not loaded.', $text);
        $this->assertStringContainsString("Install wp-oauth-ext-{$version[1]}-php$minor-{$api[1]}.tar.gz (the build for PHP $minor on " . php_uname('m') . ')', $text);
        $this->assertStringContainsString('extension=' . PHP_EXTENSION_DIR . '/libwp_oauth.so', $text);
        $this->assertStringContainsString('href="https://github.com/wp-oauth/wp-oauth/blob/main/docs/host-guide.md#prebuilt-artifacts-one-per-php-minor"', $report['html']);
    }

    public function testTheRowsByWhenListEveryRowOfTheHookTableOnceInTableOrder(): void
    {
        $expected = [];
        foreach (\Wpoa\Plugin::HOOKS as $i => $h) {
            $expected[$h[6]][] = $i;
        }
        $actual = \Wpoa\Plugin::ROWS_BY_WHEN;
        ksort($expected);
        ksort($actual);
        $this->assertSame($expected, $actual, 'Plugin::ROWS_BY_WHEN must be: ' . var_export($expected, true));
    }

    public function testTheHookTableUsesTheAuthenticatorsPriorities(): void
    {
        $rows = [];
        foreach (\Wpoa\Plugin::HOOKS as $h) {
            $rows[$h[0] . ' ' . $h[2]] = $h[3];
        }
        $this->assertSame(\Wpoa\Bearer_Authenticator::USER_PRIORITY, $rows['determine_current_user bearer_determine_current_user']);
        $this->assertSame(\Wpoa\Bearer_Authenticator::ERRORS_PRIORITY, $rows['rest_authentication_errors bearer_rest_authentication_errors']);
        foreach (\Wpoa\Plugin::HOOKS as $h) {
            $this->assertTrue(method_exists($h[1], $h[2]), "$h[1]::$h[2]");
        }
    }
}
