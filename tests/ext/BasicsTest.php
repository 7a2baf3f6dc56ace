<?php
namespace WpOAuth\Tests;

use WpOAuth\Exception;

/**
 * @covers ::wp_oauth_version
 * @covers ::wp_oauth_random_token
 * @covers ::wp_oauth_token_hash
 * @covers ::wp_oauth_pkce_challenge
 * @covers ::wp_oauth_pkce_verify
 * @covers ::wp_oauth_secret_hash
 * @covers ::wp_oauth_secret_verify
 * @covers ::wp_oauth_secret_needs_rehash
 */
final class BasicsTest extends TestCase
{
    public function testVersion(): void
    {
        $this->assertMatchesRegularExpression('/^\d+\.\d+\.\d+/', wp_oauth_version());
    }

    public function testRandomToken(): void
    {
        $t = wp_oauth_random_token();
        $this->assertMatchesRegularExpression('/^[A-Za-z0-9_-]{43}$/', $t);
        $this->assertNotSame($t, wp_oauth_random_token());
        $this->assertSame(22, strlen(wp_oauth_random_token(16)));
        $this->assertSame(342, strlen(wp_oauth_random_token(256)));
        foreach ([15, 257, 0, -1, PHP_INT_MAX] as $bad) {
            $this->assertThrowsCode(Exception::class, Exception::INVALID_ARGUMENT, fn() => wp_oauth_random_token($bad));
        }
    }

    public function testTokenHash(): void
    {
        // SHA-256("abc"), FIPS 180-2 B.1.
        $this->assertSame('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0', wp_oauth_token_hash('abc'));
        $this->assertSame(self::b64(hash('sha256', "\xff\x00", true)), wp_oauth_token_hash("\xff\x00"));
    }

    public function testPkceRfc7636AppendixB(): void
    {
        $v = self::fixture('rfc7636_b.json');
        $this->assertSame($v['code_challenge'], wp_oauth_pkce_challenge($v['code_verifier']));
        $this->assertTrue(wp_oauth_pkce_verify($v['code_verifier'], $v['code_challenge']));
        $this->assertTrue(wp_oauth_pkce_verify($v['code_verifier'], $v['code_challenge'], 'S256'));
        $flipped = $v['code_verifier'];
        $flipped[0] = chr(ord($flipped[0]) ^ 1);
        $this->assertFalse(wp_oauth_pkce_verify($flipped, $v['code_challenge']));
        $this->assertFalse(wp_oauth_pkce_verify($v['code_verifier'], 'garbage'));
        $this->assertFalse(wp_oauth_pkce_verify($v['code_verifier'], ''));
    }

    public function testPkceRefusals(): void
    {
        $v = self::fixture('rfc7636_b.json');
        foreach (['plain', 's256', ''] as $m) {
            $this->assertThrowsCode(Exception::class, Exception::UNSUPPORTED_CHALLENGE_METHOD, fn() => wp_oauth_pkce_verify($v['code_verifier'], $v['code_challenge'], $m));
        }
        foreach ([str_repeat('a', 42), str_repeat('a', 129), str_repeat('a', 42) . '+', str_repeat("\xff", 50), ''] as $bad) {
            $this->assertThrowsCode(Exception::class, Exception::INVALID_CODE_VERIFIER, fn() => wp_oauth_pkce_challenge($bad));
            $this->assertThrowsCode(Exception::class, Exception::INVALID_CODE_VERIFIER, fn() => wp_oauth_pkce_verify($bad, $v['code_challenge']));
        }
        $this->assertSame(43, strlen(wp_oauth_pkce_challenge(str_repeat('~', 128))));
    }

    public function testGeneratedSecretsUseTheFastScheme(): void
    {
        $secret = wp_oauth_random_token(32);
        $hash = wp_oauth_secret_hash($secret);
        $this->assertMatchesRegularExpression('/^\$wpo-hmac-sha256\$v=1\$[A-Za-z0-9+\/]{22}\$[A-Za-z0-9+\/]{43}$/', $hash);
        $this->assertTrue(wp_oauth_secret_verify($secret, $hash));
        $this->assertFalse(wp_oauth_secret_verify($secret . 'x', $hash));
        $this->assertFalse(wp_oauth_secret_verify('', $hash));
        $this->assertFalse(wp_oauth_secret_needs_rehash($hash));
        $this->assertNotSame($hash, wp_oauth_secret_hash($secret), 'salted');
        // Cheap to verify (the target is ≤ 10 µs; allow slack for a loaded CI machine).
        $t = hrtime(true);
        for ($i = 0; $i < 1000; $i++) {
            wp_oauth_secret_verify($secret, $hash);
        }
        $this->assertLessThan(200_000, (hrtime(true) - $t) / 1000, 'µs per 1000 verifications: ≤ 200 µs each even on a loaded machine (PBKDF2 would take ~0.3 s each)');
    }

    public function testLowEntropySecretsUsePbkdf2(): void
    {
        $hash = wp_oauth_secret_hash('correct horse');
        $this->assertStringStartsWith('$pbkdf2-sha256$i=600000$', $hash);
        $this->assertTrue(wp_oauth_secret_verify('correct horse', $hash));
        $this->assertFalse(wp_oauth_secret_verify('correct horsf', $hash));
        $this->assertFalse(wp_oauth_secret_needs_rehash($hash));
        // Binary input is fine (strings are bytes).
        $bin = wp_oauth_secret_hash("\x00\xff");
        $this->assertTrue(wp_oauth_secret_verify("\x00\xff", $bin));
    }

    public function testPbkdf2KnownAnswerAndRehash(): void
    {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256("passwd", "salt", c=1, dkLen=64).
        $rfc = '$pbkdf2-sha256$i=1$c2FsdA$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLxJypzM8Xm2RZkWZLOdd+8xfHG4RbHjC9UJESBB06GXgw';
        $this->assertTrue(wp_oauth_secret_verify('passwd', $rfc));
        $this->assertFalse(wp_oauth_secret_verify('passwe', $rfc));
        $this->assertTrue(wp_oauth_secret_needs_rehash($rfc));
    }

    public function testMalformedHashes(): void
    {
        foreach (['', '$', 'plain', '$2y$10$abcdefghijklmnopqrstuu', '$pbkdf2-sha256$i=1000$c2FsdHNhbHQ', '$pbkdf2-sha256$i=1000$c2FsdHNhbHQ=$c2FsdHNhbHRzYWx0c2FsdA', "\xff"] as $bad) {
            $this->assertThrowsCode(Exception::class, Exception::MALFORMED_HASH, fn() => wp_oauth_secret_verify('x', $bad));
            $this->assertThrowsCode(Exception::class, Exception::MALFORMED_HASH, fn() => wp_oauth_secret_needs_rehash($bad));
        }
        foreach (['$pbkdf2-sha256$i=4000000000$c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA', '$pbkdf2-sha256$i=99999999999999$c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA', '$wpo-hmac-sha256$v=1$c2FsdHNhbHQ$c2FsdA'] as $bad) {
            $t = microtime(true);
            $this->assertThrowsCode(Exception::class, Exception::HASH_PARAMETERS_OUT_OF_BOUNDS, fn() => wp_oauth_secret_verify('x', $bad));
            $this->assertLessThan(0.5, microtime(true) - $t, 'refused without running the iterations');
        }
    }
}
