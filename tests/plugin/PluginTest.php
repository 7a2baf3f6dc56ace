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
        $site = wpoa_site();
        $cmd = [PHP_BINARY, '-d', 'extension=' . $site['ext_so'], __DIR__ . '/fixtures/request-classes.php', $site['run_dir'], (string) $site['port'], $uri, $authorization];
        $proc = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        proc_close($proc);
        if (1 !== preg_match('/^WPOA-CLASSES (.*)$/m', $err, $m)) {
            self::fail("no class report for $uri: $err");
        }
        return json_decode($m[1], true);
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

    public function testTheHookTableUsesTheAuthenticatorsPriorities(): void
    {
        $rows = [];
        foreach (\Wpoa\Plugin::HOOKS as $h) {
            $rows[$h[0] . ' ' . $h[2]] = $h[3];
        }
        $this->assertSame(\Wpoa\Bearer_Authenticator::USER_PRIORITY, $rows['determine_current_user determine_current_user']);
        $this->assertSame(\Wpoa\Bearer_Authenticator::ERRORS_PRIORITY, $rows['rest_authentication_errors rest_authentication_errors']);
        foreach (\Wpoa\Plugin::HOOKS as $h) {
            $this->assertTrue(method_exists($h[1], $h[2]), "$h[1]::$h[2]");
        }
    }
}
