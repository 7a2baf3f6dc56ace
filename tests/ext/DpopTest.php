<?php
namespace WpOAuth\Tests;

use WpOAuth\Exception;
use WpOAuth\TokenException;

/**
 * @covers ::wp_oauth_dpop_verify
 */
final class DpopTest extends TestCase
{
    private static function flipBit(string $proof, int $segment, int $byte): string
    {
        $parts = explode('.', $proof);
        $bytes = base64_decode(strtr($parts[$segment], '-_', '+/'));
        $bytes[$byte] = chr(ord($bytes[$byte]) ^ 1);
        $parts[$segment] = self::b64($bytes);
        return implode('.', $parts);
    }

    private function assertTokenCode(int $code, callable $fn): void
    {
        $this->assertThrowsCode(TokenException::class, $code, $fn);
    }

    public function testRfc9449ExampleProofs(): void
    {
        $v = self::fixture('rfc9449.json');
        foreach ($v['proofs'] as $p) {
            $expect = ['htm' => $p['htm'], 'htu' => $p['htu'], 'now' => $p['iat']];
            if (isset($p['with_access_token'])) {
                $expect['access_token'] = $v['access_token'];
            }
            $got = wp_oauth_dpop_verify($p['proof'], $expect + ['jkt' => $v['jkt']]);
            $this->assertSame($v['jkt'], $got['jkt'], $p['figure']);
            $this->assertSame($p['jti'], $got['jti']);
            $this->assertSame($p['iat'], $got['iat']);
            $this->assertSame('ES256', $got['alg']);
            $this->assertSame(isset($p['with_access_token']) ? $v['ath'] : null, $got['ath']);
            $this->assertSame(['crv' => 'P-256', 'kty' => 'EC', 'x' => $v['jwk']['x'], 'y' => $v['jwk']['y']], $got['jwk']);
            // One bit flipped in the signature, in the header, in the claims.
            $this->assertTokenCode(TokenException::INVALID_SIGNATURE, fn() => wp_oauth_dpop_verify(self::flipBit($p['proof'], 2, 7), $expect));
            foreach ([[0, 2], [0, 40], [1, 5]] as [$segment, $byte]) {
                try {
                    wp_oauth_dpop_verify(self::flipBit($p['proof'], $segment, $byte), $expect);
                    $this->fail("bit flip in segment $segment accepted");
                } catch (TokenException $e) {
                    $this->assertGreaterThan(100, $e->getCode());
                }
            }
            // The same proof a minute after the window, or against the system clock.
            $this->assertTokenCode(TokenException::DPOP_STALE_IAT, fn() => wp_oauth_dpop_verify($p['proof'], ['now' => $p['iat'] + 61] + $expect));
            unset($expect['now']);
            $this->assertTokenCode(TokenException::DPOP_STALE_IAT, fn() => wp_oauth_dpop_verify($p['proof'], $expect));
        }
        // The RFC's jkt and ath, recomputed by other functions of the extension.
        $this->assertSame($v['jkt'], wp_oauth_jwk_thumbprint(json_encode($v['jwk'])));
        $p = $v['proofs'][2];
        $expect = ['htm' => 'GET', 'htu' => $p['htu'], 'now' => $p['iat']];
        $this->assertTokenCode(TokenException::DPOP_ATH_MISMATCH, fn() => wp_oauth_dpop_verify($p['proof'], $expect + ['access_token' => $v['access_token'] . 'x']));
        $this->assertTokenCode(TokenException::DPOP_JKT_MISMATCH, fn() => wp_oauth_dpop_verify($p['proof'], $expect + ['jkt' => str_repeat('A', 43)]));
    }

    public function testIndependentlyMadeProofsGetTheRightAnswer(): void
    {
        $v = self::fixture('dpop_cases.json');
        $this->assertGreaterThan(60, count($v['cases']));
        foreach ($v['cases'] as $case) {
            $expect = array_replace($v['expect'], $case['expect']);
            if ($case['error'] === null) {
                $got = wp_oauth_dpop_verify($case['proof'], $expect);
                $r = $case['result'];
                $this->assertSame(['jkt', 'jti', 'iat', 'htm', 'htu', 'alg', 'nonce', 'ath', 'jwk', 'claims'], array_keys($got), $case['name']);
                foreach (['jkt', 'jti', 'iat', 'alg', 'ath', 'nonce'] as $k) {
                    $this->assertSame($r[$k], $got[$k], "{$case['name']}: $k");
                }
                $this->assertSame($r['jkt'], wp_oauth_jwk_thumbprint(json_encode($got['jwk'])));
                $this->assertSame($got['jti'], $got['claims']['jti']);
                continue;
            }
            $code = constant(TokenException::class . '::' . strtoupper($case['error']));
            try {
                wp_oauth_dpop_verify($case['proof'], $expect);
                $this->fail("{$case['name']}: accepted");
            } catch (TokenException $e) {
                $this->assertSame($code, $e->getCode(), "{$case['name']}: " . $e->getMessage());
                $this->assertStringNotContainsString($case['proof'], $e->getMessage());
            }
        }
    }

    public function testEveryDpopCodeIsExercised(): void
    {
        $v = self::fixture('dpop_cases.json');
        $seen = array_unique(array_filter(array_column($v['cases'], 'error')));
        foreach ((new \ReflectionClass(TokenException::class))->getConstants() as $name => $code) {
            if (str_starts_with($name, 'DPOP_')) {
                $this->assertGreaterThanOrEqual(117, $code);
                $this->assertContains(strtolower($name), $seen, $name);
            }
        }
    }

    /** A proof signed by wp_oauth_jwt_encode with a generated key, verified on the system clock. */
    public function testProofsMadeWithTheExtensionsOwnKeys(): void
    {
        foreach (['ES256', 'EdDSA'] as $alg) {
            $key = wp_oauth_key_generate($alg);
            $public = json_decode(wp_oauth_key_public($key), true);
            $claims = ['jti' => wp_oauth_random_token(16), 'htm' => 'PUT', 'htu' => 'https://example.org/wp-json/wp/v2/posts/7', 'iat' => time(), 'ath' => wp_oauth_token_hash('the-access-token')];
            $proof = wp_oauth_jwt_encode($claims, $key, ['typ' => 'dpop+jwt', 'jwk' => $public]);
            $got = wp_oauth_dpop_verify($proof, ['htm' => 'PUT', 'htu' => 'https://EXAMPLE.org:443/wp-json/wp/v2/posts/7?context=edit', 'access_token' => 'the-access-token', 'jkt' => $public['kid']]);
            $this->assertSame($public['kid'], $got['jkt']);
            $this->assertSame($claims, $got['claims']);
            // The private JWK in the header is refused.
            $leaky = wp_oauth_jwt_encode($claims, $key, ['typ' => 'dpop+jwt', 'jwk' => json_decode($key, true)]);
            $this->assertTokenCode(TokenException::DPOP_PRIVATE_KEY, fn() => wp_oauth_dpop_verify($leaky, ['htm' => 'PUT', 'htu' => $claims['htu']]));
        }
    }

    public function testBadExpectations(): void
    {
        $proof = self::fixture('rfc9449.json')['proofs'][0]['proof'];
        $ok = ['htm' => 'POST', 'htu' => 'https://server.example.com/token', 'now' => 1562262616];
        $this->assertSame('-BwC3ESc6acc2lTc', wp_oauth_dpop_verify($proof, $ok)['jti']);
        $bad = [
            [], ['htm' => 'POST'], ['htu' => $ok['htu']], ['typo' => 1] + $ok, [0 => 'POST'] + $ok,
            ['htm' => 'PO ST'] + $ok, ['htm' => ''] + $ok, ['htm' => ['POST']] + $ok,
            ['htu' => '/token'] + $ok, ['htu' => 'ftp://server.example.com/token'] + $ok, ['htu' => 'https://u@server.example.com/'] + $ok,
            ['now' => '1562262616'] + $ok, ['now' => 1562262616.0] + $ok, ['now' => -1] + $ok, ['now' => null] + $ok,
            ['iat_past' => -1] + $ok, ['iat_future' => 86401] + $ok, ['iat_past' => true] + $ok,
            ['access_token' => ''] + $ok, ['access_token' => null] + $ok, ['access_token' => 5] + $ok,
            ['nonce' => 'a b'] + $ok, ['nonce' => []] + $ok, ['nonce' => array_fill(0, 17, 'n')] + $ok, ['nonce' => ['a' => 'n']] + $ok, ['nonce' => [['n']]] + $ok,
            ['jkt' => 'short'] + $ok, ['jkt' => null] + $ok, ['jkt' => ['cnf' => 'x']] + $ok,
            ['algs' => 'ES256'] + $ok, ['algs' => []] + $ok,
            ['max_length' => 0] + $ok, ['max_length' => 65537] + $ok,
            ['body' => null] + $ok, ['body' => ['x']] + $ok, ['body' => new \stdClass()] + $ok,
        ];
        foreach ($bad as $i => $expect) {
            $this->assertThrowsCode(Exception::class, Exception::INVALID_ARGUMENT, fn() => wp_oauth_dpop_verify($proof, $expect));
        }
        foreach (['HS256', 'none', 'ES384', 'RS512', ''] as $alg) {
            $this->assertThrowsCode(Exception::class, Exception::UNSUPPORTED_ALGORITHM, fn() => wp_oauth_dpop_verify($proof, ['algs' => [$alg]] + $ok));
        }
        // References and list forms are read like plain values.
        $htm = 'POST';
        $byRef = ['htm' => &$htm] + $ok;
        $this->assertSame(1562262616, wp_oauth_dpop_verify($proof, $byRef)['iat']);
        $this->assertSame('ES256', wp_oauth_dpop_verify($proof, ['algs' => ['EdDSA', 'ES256'], 'max_length' => 8192] + $ok)['alg']);
        $this->assertTokenCode(TokenException::DPOP_NONCE_MISSING, fn() => wp_oauth_dpop_verify($proof, ['nonce' => ['n1', 'n2']] + $ok));
        $this->assertTokenCode(TokenException::TOO_LONG, fn() => wp_oauth_dpop_verify($proof, ['max_length' => 100] + $ok));
    }

    public function testWrongArgumentTypesGivePhpTypeError(): void
    {
        foreach ([
            fn() => wp_oauth_dpop_verify([], []),
            fn() => wp_oauth_dpop_verify('a.b.c', 'htm=POST'),
            fn() => wp_oauth_dpop_verify(null, []),
            fn() => wp_oauth_dpop_verify('a.b.c', null),
            fn() => wp_oauth_dpop_verify(5, ['htm' => 'GET']),
        ] as $fn) {
            try {
                $fn();
                $this->fail('accepted');
            } catch (\TypeError $e) {
                $this->assertStringNotContainsString('panic', strtolower($e->getMessage()));
            }
        }
        $this->expectException(\ArgumentCountError::class);
        wp_oauth_dpop_verify('a.b.c');
    }
}
