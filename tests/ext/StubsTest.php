<?php
namespace WpOAuth\Tests;

/**
 * @coversNothing
 */
final class StubsTest extends TestCase
{
    public function testStubsMatchTheLoadedExtension(): void
    {
        $dump = __DIR__ . '/dump-api.php';
        $stub = shell_exec(escapeshellarg(PHP_BINARY) . ' -n ' . escapeshellarg($dump) . ' stub');
        $this->assertIsString($stub);
        $stubApi = json_decode($stub, true, 512, JSON_THROW_ON_ERROR);
        ob_start();
        $argvBackup = $GLOBALS['argv'] ?? null;
        $argv = ['dump-api.php', 'ext'];
        include $dump;
        $ext = ob_get_clean();
        $extApi = json_decode($ext, true, 512, JSON_THROW_ON_ERROR);
        $this->assertNotEmpty($extApi['functions']);
        $this->assertSame(array_keys($extApi['functions']), array_keys($stubApi['functions']), 'function names');
        foreach ($extApi['functions'] as $name => $sig) {
            $this->assertSame($sig, $stubApi['functions'][$name], "signature of $name");
        }
        $this->assertSame($extApi['classes'], $stubApi['classes'], 'classes and constants');
    }

    public function testEveryDeclaredCodeIsDistinct(): void
    {
        $all = (new \ReflectionClass(\WpOAuth\TokenException::class))->getConstants();
        $this->assertCount(40, $all);
        $this->assertSame(count($all), count(array_unique($all)));
    }

    public function testInfoShowsVersionAlgorithmsBackendAndCache(): void
    {
        ob_start();
        (new \ReflectionExtension('wp_oauth'))->info();
        $info = ob_get_clean();
        $this->assertStringContainsString('version => ' . wp_oauth_version(), $info);
        $this->assertStringContainsString('HS256, ES256, EdDSA, RS256, PS256', $info);
        $this->assertStringContainsString('DPoP proof algorithms => ES256, EdDSA, PS256, RS256', $info);
        $this->assertMatchesRegularExpression('/crypto backend => ring \d+\.\d+/', $info);
        $this->assertStringContainsString('token cache hits', $info);
        $this->assertStringContainsString('token cache misses', $info);
        $this->assertSame(wp_oauth_version(), phpversion('wp_oauth'));
    }
}
