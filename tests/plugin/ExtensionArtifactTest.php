<?php
/**
 * The release artifact the notice and Site Health name, against the names `make dist` gives
 * (scripts/dist.sh), PHP's own report of its module API, and the extension's build id.
 *
 * @covers \Wpoa\Extension_Artifact
 */
final class ExtensionArtifactTest extends PHPUnit\Framework\TestCase
{
    /** @var string[] */
    private array $tmp = [];

    protected function tearDown(): void
    {
        foreach ($this->tmp as $f) {
            @unlink($f);
        }
    }

    private function tempFile(string $content): string
    {
        $f = tempnam(sys_get_temp_dir(), 'wpoa-art');
        file_put_contents($f, $content);
        return $this->tmp[] = $f;
    }

    /** PHP's own "PHP Extension => N" line of phpinfo(), from a child process without ini files. */
    private static function phpinfoApi(): string
    {
        $out = (string) shell_exec(escapeshellarg(PHP_BINARY) . ' -n -i');
        self::assertSame(1, preg_match('/^PHP Extension => (\d{8})$/m', $out, $m), 'phpinfo names the module API');
        return $m[1];
    }

    public function testTheNameIsTheOneMakeDistGivesForThisPhp(): void
    {
        $minor = PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION;
        $this->assertSame('wp-oauth-ext-' . WPOA_EXTENSION_VERSION . "-php$minor-" . self::phpinfoApi() . '.tar.gz', \Wpoa\Extension_Artifact::name());
        $this->assertSame('wp-oauth-ext-0.1.0-php8.4-20240924.tar.gz', \Wpoa\Extension_Artifact::name('0.1.0', '8.4', '20240924'));
        $this->assertSame('wp-oauth-ext-0.1.0-php8.2-20220829.tar.gz', \Wpoa\Extension_Artifact::name('0.1.0', '8.2', '20220829'));
        // scripts/dist.sh builds the same name from the same three parts.
        $dist = (string) file_get_contents(wpoa_site()['repo'] . '/scripts/dist.sh');
        $this->assertStringContainsString('name=wp-oauth-ext-$ext_version-php$minor-$api', $dist);
        $this->assertStringContainsString('"$DIST/$name.tar.gz"', $dist);
    }

    public function testTheReleasedExtensionVersionIsTheCratesVersion(): void
    {
        $cargo = (string) file_get_contents(wpoa_site()['repo'] . '/Cargo.toml');
        $this->assertSame(1, preg_match('/^version = "([^"]+)"$/m', $cargo, $m));
        $this->assertSame($m[1], WPOA_EXTENSION_VERSION);
        $this->assertTrue(version_compare(WPOA_EXTENSION_VERSION, WPOA_MIN_EXTENSION_VERSION, '>='));
    }

    public function testThePublishedBuildsAreTheMatrixCellsPhpVersions(): void
    {
        $matrix = (string) file_get_contents(wpoa_site()['repo'] . '/scripts/lib/matrix.sh');
        foreach (['8.2', '8.4', '8.5'] as $minor) {
            $this->assertStringContainsString($minor, $matrix);
        }
        $this->assertSame(['8.2', '8.4', '8.5'], \Wpoa\Extension_Artifact::PUBLISHED_MINORS);
        $this->assertNull(\Wpoa\Extension_Artifact::unavailable_reason('8.5', 'x86_64', false));
        $this->assertSame('php_minor', \Wpoa\Extension_Artifact::unavailable_reason('8.3', 'x86_64', false));
        $this->assertSame('arch', \Wpoa\Extension_Artifact::unavailable_reason('8.4', 'aarch64', false));
        $this->assertSame('zts', \Wpoa\Extension_Artifact::unavailable_reason('8.4', 'x86_64', true));
    }

    public function testTheRunningPhpsApiIsTheOnePhpReports(): void
    {
        $this->assertSame(self::phpinfoApi(), \Wpoa\Extension_Artifact::php_api());
        $this->assertSame('8.4', \Wpoa\Extension_Artifact::minor_for_api('20240924'));
        $this->assertNull(\Wpoa\Extension_Artifact::minor_for_api('20990101'));
    }

    public function testReadsWhatABuildWasMadeFor(): void
    {
        $built = \Wpoa\Extension_Artifact::built_for(wpoa_site()['ext_so']);
        $this->assertSame(['api' => self::phpinfoApi(), 'zts' => false], $built, 'the stack\'s own build');
        $this->assertSame(['api' => '20240924', 'zts' => false], \Wpoa\Extension_Artifact::built_for($this->tempFile("\x7fELF..API20240924,NTS\0..")));
        $this->assertSame(['api' => '20250925', 'zts' => true], \Wpoa\Extension_Artifact::built_for($this->tempFile("..API20250925,TS\0")));
        $this->assertNull(\Wpoa\Extension_Artifact::built_for($this->tempFile("..APX20240924,NTS\0")), 'no build id');
        $this->assertNull(\Wpoa\Extension_Artifact::built_for('/nonexistent/libwp_oauth.so'));
        $this->assertNull(\Wpoa\Extension_Artifact::built_for(''));
    }

    public function testFindsTheExtensionLinesOfIniFiles(): void
    {
        $a = $this->tempFile("; extension=/commented/libwp_oauth.so\nextension=/usr/lib/php/20240924/libwp_oauth.so\nextension=mysqli\n");
        $b = $this->tempFile("extension = \"/opt/wp-oauth/libwp_oauth.so\" ; quoted\nzend_extension=opcache\n");
        $this->assertSame(
            [
                ['ini' => $a, 'path' => '/usr/lib/php/20240924/libwp_oauth.so'],
                ['ini' => $b, 'path' => '/opt/wp-oauth/libwp_oauth.so'],
            ],
            \Wpoa\Extension_Artifact::configured([$a, $b, '/nonexistent.ini'])
        );
        $this->assertSame([], \Wpoa\Extension_Artifact::configured([$this->tempFile("extension=redis\n")]));
    }
}
