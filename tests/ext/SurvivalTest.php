<?php
namespace WpOAuth\Tests;

/**
 * Runs misuse.php in a separate PHP process with the extension loaded: the worker must
 * survive every misuse (exit 0, all lines reached), and no error may be a Rust panic.
 *
 * @coversNothing
 */
final class SurvivalTest extends TestCase
{
    public function testWorkerSurvivesMisuse(): void
    {
        $ext = getenv('WP_OAUTH_SO') ?: realpath(__DIR__ . '/../../target/release/libwp_oauth.so');
        $cmd = escapeshellarg(PHP_BINARY) . ' -n -d ' . escapeshellarg('extension=' . $ext) . ' ' . escapeshellarg(__DIR__ . '/misuse.php') . ' 2>&1';
        exec($cmd, $lines, $rc);
        $out = implode("\n", $lines);
        $this->assertSame(0, $rc, $out);
        $this->assertStringContainsString('SURVIVED', $out);
        $this->assertStringNotContainsString('panic', strtolower($out));
        $this->assertStringNotContainsString('Fatal', $out);
        $this->assertMatchesRegularExpression('/SURVIVED (\d+) calls, (\d+) exceptions, 0 unexpected/', $out);
    }
}
