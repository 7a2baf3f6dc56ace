<?php
namespace WpOAuth\Tests;

use WpOAuth\Exception;

abstract class TestCase extends \PHPUnit\Framework\TestCase
{
    protected static function fixture(string $name): array
    {
        return json_decode(file_get_contents(__DIR__ . '/../fixtures/' . $name), true, 512, JSON_THROW_ON_ERROR);
    }

    protected static function fixturePath(string $name): string
    {
        return __DIR__ . '/../fixtures/' . $name;
    }

    protected static function b64(string $bytes): string
    {
        return rtrim(strtr(base64_encode($bytes), '+/', '-_'), '=');
    }

    /** Asserts that $fn throws exactly $class with $code. */
    protected function assertThrowsCode(string $class, int $code, callable $fn): \Throwable
    {
        try {
            $fn();
        } catch (\Throwable $e) {
            $this->assertSame($class, get_class($e), 'class; message: ' . $e->getMessage());
            $this->assertSame($code, $e->getCode(), 'code; message: ' . $e->getMessage());
            $this->assertStringNotContainsString('panic', strtolower($e->getMessage()));
            return $e;
        }
        $this->fail("expected $class($code)");
    }

    protected const HS_SECRET = '0123456789abcdef0123456789abcdef';

    protected static function hsJwk(): string
    {
        return json_encode(['kty' => 'oct', 'alg' => 'HS256', 'kid' => 'k1', 'k' => self::b64(self::HS_SECRET)]);
    }

    /** An HS256 token over raw header/payload bytes, independent of the extension. */
    protected static function hsToken(string $header, string $payload): string
    {
        $input = self::b64($header) . '.' . self::b64($payload);
        return $input . '.' . self::b64(hash_hmac('sha256', $input, self::HS_SECRET, true));
    }
}
