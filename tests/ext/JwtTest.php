<?php
namespace WpOAuth\Tests;

use WpOAuth\Exception;
use WpOAuth\TokenException;

/**
 * @covers ::wp_oauth_jwt_encode
 * @covers ::wp_oauth_jwt_decode
 * @covers ::wp_oauth_cache_stats
 * @covers ::wp_oauth_cache_clear
 */
final class JwtTest extends TestCase
{
    private const NOW = 1700000000;

    private static function opts(array $o = []): array
    {
        return $o + ['now' => self::NOW];
    }

    private function decodeHs(string $token, array $o = []): array
    {
        return wp_oauth_jwt_decode($token, self::hsJwk(), self::opts($o));
    }

    private function assertTokenCode(int $code, callable $fn): void
    {
        $this->assertThrowsCode(TokenException::class, $code, $fn);
    }

    public function testRfc7515AppendixA1AndA3(): void
    {
        foreach (['rfc7515_a1.json', 'rfc7515_a3.json'] as $f) {
            $v = self::fixture($f);
            $claims = wp_oauth_jwt_decode($v['token'], json_encode($v['jwk']), ['now' => $v['now']]);
            $this->assertSame($v['claims'], $claims);
            // One bit flipped in the signature.
            [$h, $p, $s] = explode('.', $v['token']);
            $sig = base64_decode(strtr($s, '-_', '+/'));
            $sig[3] = chr(ord($sig[3]) ^ 1);
            $bad = "$h.$p." . self::b64($sig);
            $this->assertTokenCode(TokenException::INVALID_SIGNATURE, fn() => wp_oauth_jwt_decode($bad, json_encode($v['jwk']), ['now' => $v['now']]));
            // Outside the validity window.
            $this->assertTokenCode(TokenException::EXPIRED, fn() => wp_oauth_jwt_decode($v['token'], json_encode($v['jwk'])));
        }
    }

    public function testRoundTripsAllAlgorithms(): void
    {
        $rsaPem = file_get_contents(self::fixturePath('rsa2048.pem'));
        $keys = [
            'ES256' => wp_oauth_key_generate('ES256'),
            'EdDSA' => wp_oauth_key_generate('EdDSA'),
            'RS256' => wp_oauth_key_import($rsaPem, 'RS256'),
            'PS256' => wp_oauth_key_import($rsaPem, 'PS256'),
            'HS256' => self::hsJwk(),
        ];
        $claims = [
            'iss' => 'https://example.org', 'sub' => '42', 'aud' => 'https://example.org/wp-json',
            'client_id' => 'c1', 'scope' => 'read write', 'jti' => wp_oauth_random_token(16),
            'iat' => time(), 'exp' => time() + 3600, 'auth_time' => time() - 10,
            'list' => [1, 2.5, true, null, 'é'], 'map' => ['a' => ['b' => 'c']], 'empty' => [],
        ];
        foreach ($keys as $alg => $jwk) {
            $token = wp_oauth_jwt_encode($claims, $jwk, ['typ' => 'at+jwt']);
            [$h] = explode('.', $token);
            $header = json_decode(base64_decode(strtr($h, '-_', '+/')), true);
            $this->assertSame($alg, $header['alg']);
            $this->assertSame('at+jwt', $header['typ']);
            $this->assertSame(json_decode($jwk, true)['kid'], $header['kid']);
            $verifyKeys = $alg === 'HS256' ? $jwk : wp_oauth_jwks([$jwk]);
            $got = wp_oauth_jwt_decode($token, $verifyKeys, ['typ' => 'at+jwt', 'iss' => 'https://example.org', 'aud' => 'https://example.org/wp-json']);
            $this->assertSame($claims, $got, $alg);
            $this->assertSame(array_keys($claims), array_keys($got), 'claim order kept');
        }
        // Verified by a second implementation: openssl for RS256, hash_hmac for HS256.
        $token = wp_oauth_jwt_encode(['exp' => 2000000000], $keys['RS256']);
        [$h, $p, $s] = explode('.', $token);
        $this->assertSame(1, openssl_verify("$h.$p", base64_decode(strtr($s, '-_', '+/')), openssl_pkey_get_public(file_get_contents(self::fixturePath('rsa2048.pub.pem'))), OPENSSL_ALGO_SHA256));
        $token = wp_oauth_jwt_encode(['exp' => 2000000000], self::hsJwk());
        [$h, $p, $s] = explode('.', $token);
        $this->assertSame(self::b64(hash_hmac('sha256', "$h.$p", self::HS_SECRET, true)), $s);
    }

    public function testEncodeRefusals(): void
    {
        $jwk = wp_oauth_key_generate();
        $this->assertThrowsCode(Exception::class, Exception::INVALID_ARGUMENT, fn() => wp_oauth_jwt_encode([], $jwk, ['alg' => 'none']));
        $this->assertThrowsCode(Exception::class, Exception::INVALID_ARGUMENT, fn() => wp_oauth_jwt_encode([], $jwk, ['kid' => 'x']));
        $this->assertThrowsCode(Exception::class, Exception::INVALID_ARGUMENT, fn() => wp_oauth_jwt_encode([], $jwk, ['crit' => ['x']]));
        $this->assertThrowsCode(Exception::class, Exception::INVALID_ARGUMENT, fn() => wp_oauth_jwt_encode(['a', 'b'], $jwk));
        $this->assertThrowsCode(Exception::class, Exception::INVALID_ARGUMENT, fn() => wp_oauth_jwt_encode(['x' => NAN], $jwk));
        $this->assertThrowsCode(Exception::class, Exception::INVALID_ARGUMENT, fn() => wp_oauth_jwt_encode(['x' => INF], $jwk));
        $this->assertThrowsCode(Exception::class, Exception::INVALID_ARGUMENT, fn() => wp_oauth_jwt_encode(['x' => new \stdClass()], $jwk));
        $this->assertThrowsCode(Exception::class, Exception::INVALID_ARGUMENT, fn() => wp_oauth_jwt_encode(['x' => STDIN], $jwk));
        $this->assertThrowsCode(Exception::class, Exception::INVALID_ARGUMENT, fn() => wp_oauth_jwt_encode(['x' => "\xff"], $jwk));
        $deep = [];
        for ($i = 0; $i < 100; $i++) {
            $deep = [$deep];
        }
        $this->assertThrowsCode(Exception::class, Exception::INVALID_ARGUMENT, fn() => wp_oauth_jwt_encode(['x' => $deep], $jwk));
        $rec = ['a' => 1];
        $rec['self'] = &$rec;
        $this->assertThrowsCode(Exception::class, Exception::INVALID_ARGUMENT, fn() => wp_oauth_jwt_encode($rec, $jwk));
        $this->assertThrowsCode(Exception::class, Exception::INVALID_KEY, fn() => wp_oauth_jwt_encode([], wp_oauth_key_public($jwk)));
        $noAlg = json_decode($jwk, true);
        unset($noAlg['alg']);
        $this->assertThrowsCode(Exception::class, Exception::INVALID_KEY, fn() => wp_oauth_jwt_encode([], json_encode($noAlg)));
        $this->assertThrowsCode(Exception::class, Exception::INVALID_JSON, fn() => wp_oauth_jwt_encode([], 'nope'));
        $mixed = json_decode($jwk, true);
        $mixed['d'] = json_decode(wp_oauth_key_generate(), true)['d'];
        $this->assertThrowsCode(Exception::class, Exception::INVALID_KEY, fn() => wp_oauth_jwt_encode([], json_encode($mixed)));
        $wrongAlg = json_decode($jwk, true);
        $wrongAlg['alg'] = 'RS256';
        $this->assertThrowsCode(Exception::class, Exception::UNSUPPORTED_ALGORITHM, fn() => wp_oauth_jwt_encode([], json_encode($wrongAlg)));
        // Integer keys become strings in a JSON object.
        $t = wp_oauth_jwt_encode([5 => 'a', 'exp' => 2000000000], $jwk);
        $this->assertSame(['5' => 'a', 'exp' => 2000000000], wp_oauth_jwt_decode($t, $jwk));
    }

    public function testBadInputGetsTheRightCode(): void
    {
        $h = '{"alg":"HS256","kid":"k1"}';
        $ok = self::hsToken($h, '{"exp":1700000100}');
        $this->assertSame(['exp' => 1700000100], $this->decodeHs($ok));
        [$hh, $pp, $ss] = explode('.', $ok);

        $cases = [
            'alg none' => [TokenException::ALGORITHM_MISMATCH, self::b64('{"alg":"none","kid":"k1"}') . ".$pp."],
            'unknown kid' => [TokenException::UNKNOWN_KID, self::hsToken('{"alg":"HS256","kid":"zz"}', '{"exp":1700000100}')],
            'crit' => [TokenException::UNSUPPORTED_CRIT, self::hsToken('{"alg":"HS256","kid":"k1","crit":["x"],"x":1}', '{"exp":1700000100}')],
            'padding' => [TokenException::INVALID_BASE64, "$hh.$pp.$ss="],
            'padding in header' => [TokenException::INVALID_BASE64, self::b64($h) . "=.$pp.$ss"],
            'std alphabet' => [TokenException::INVALID_BASE64, "$hh.$pp." . strtr($ss, '-_', '+/') . '+'],
            'two segments' => [TokenException::MALFORMED, "$hh.$pp"],
            'four segments' => [TokenException::MALFORMED, "$ok.x"],
            'non-utf8' => [TokenException::INVALID_TOKEN_JSON, self::hsToken($h, "{\"a\":\"\xff\"}")],
            'not an object' => [TokenException::INVALID_TOKEN_JSON, self::hsToken($h, '[1]')],
            'deep' => [TokenException::INVALID_TOKEN_JSON, self::hsToken($h, '{"a":' . str_repeat('[', 200) . str_repeat(']', 200) . '}')],
            'exp string' => [TokenException::INVALID_CLAIM, self::hsToken($h, '{"exp":"1700000100"}')],
            'exp null' => [TokenException::INVALID_CLAIM, self::hsToken($h, '{"exp":null}')],
            'exp negative' => [TokenException::INVALID_CLAIM, self::hsToken($h, '{"exp":-5}')],
            'exp huge' => [TokenException::INVALID_CLAIM, self::hsToken($h, '{"exp":18446744073709551616}')],
            'nbf string' => [TokenException::INVALID_CLAIM, self::hsToken($h, '{"exp":1700000100,"nbf":"x"}')],
            'iat null' => [TokenException::INVALID_CLAIM, self::hsToken($h, '{"exp":1700000100,"iat":null}')],
            'expired' => [TokenException::EXPIRED, self::hsToken($h, '{"exp":1699990000}')],
            'nbf future' => [TokenException::NOT_YET_VALID, self::hsToken($h, '{"exp":1700009999,"nbf":1700000999}')],
            'missing exp' => [TokenException::MISSING_CLAIM, self::hsToken($h, '{"sub":"1"}')],
            'bad signature' => [TokenException::INVALID_SIGNATURE, "$hh.$pp." . self::b64(str_repeat("\0", 32))],
            'empty signature' => [TokenException::INVALID_SIGNATURE, "$hh.$pp."],
        ];
        foreach ($cases as $name => [$code, $token]) {
            try {
                $this->decodeHs($token);
                $this->fail("$name: accepted");
            } catch (TokenException $e) {
                $this->assertSame($code, $e->getCode(), "$name: " . $e->getMessage());
            }
        }
        $this->assertTokenCode(TokenException::TOO_LONG, fn() => $this->decodeHs(str_repeat('a', 8193)));
        $this->assertTokenCode(TokenException::TOO_LONG, fn() => $this->decodeHs($ok, ['max_length' => 20]));
        // NumericDate may be a non-integer number.
        $this->assertSame(['exp' => 1700000000.5], $this->decodeHs(self::hsToken($h, '{"exp":1700000000.5}')));
        $this->assertSame(['exp' => 1699999941], $this->decodeHs(self::hsToken($h, '{"exp":1699999941}')), 'within leeway');
        $this->assertTokenCode(TokenException::EXPIRED, fn() => $this->decodeHs(self::hsToken($h, '{"exp":1699999941}'), ['leeway' => 0]));
    }

    public function testAlgorithmConfusionAndKidRules(): void
    {
        $es = wp_oauth_key_generate('ES256');
        $pub = wp_oauth_key_public($es);
        $kid = json_decode($es, true)['kid'];
        $input = self::b64(json_encode(['alg' => 'HS256', 'kid' => $kid])) . '.' . self::b64('{"exp":2000000000}');
        foreach ([$pub, wp_oauth_jwks([$es])] as $secret) {
            $forged = $input . '.' . self::b64(hash_hmac('sha256', $input, $secret, true));
            $this->assertTokenCode(TokenException::ALGORITHM_MISMATCH, fn() => wp_oauth_jwt_decode($forged, $pub));
        }
        $ed = wp_oauth_key_generate('EdDSA');
        $set = wp_oauth_jwks([$es, $ed]);
        $noKid = self::b64('{"alg":"ES256"}') . '.' . self::b64('{"exp":2000000000}') . '.' . self::b64(str_repeat("\1", 64));
        $this->assertTokenCode(TokenException::MISSING_KID, fn() => wp_oauth_jwt_decode($noKid, $set));
        // Key sets: a key without alg is refused.
        $noAlg = json_decode($pub, true);
        unset($noAlg['alg']);
        $this->assertThrowsCode(Exception::class, Exception::INVALID_KEY, fn() => wp_oauth_jwt_decode($noKid, json_encode($noAlg)));
        $this->assertThrowsCode(Exception::class, Exception::INVALID_JSON, fn() => wp_oauth_jwt_decode($noKid, 'not json'));
        $this->assertThrowsCode(Exception::class, Exception::INVALID_KEY, fn() => wp_oauth_jwt_decode($noKid, '{"keys":[]}'));
    }

    public function testIssAudTyp(): void
    {
        $t = self::hsToken('{"alg":"HS256","kid":"k1","typ":"application/at+jwt"}', '{"exp":1700000100,"iss":"https://a","aud":["x","https://a/wp-json"]}');
        $o = ['iss' => 'https://a', 'aud' => 'https://a/wp-json', 'typ' => 'at+jwt'];
        $this->assertSame('https://a', $this->decodeHs($t, $o)['iss']);
        $this->assertTokenCode(TokenException::INVALID_ISSUER, fn() => $this->decodeHs($t, ['iss' => 'https://b'] + $o));
        $this->assertTokenCode(TokenException::INVALID_AUDIENCE, fn() => $this->decodeHs($t, ['aud' => 'https://b'] + $o));
        $this->assertTokenCode(TokenException::INVALID_TYPE, fn() => $this->decodeHs($t, ['typ' => 'JWT'] + $o));
        $this->assertSame([], array_diff_key($this->decodeHs(self::hsToken('{"alg":"HS256"}', '{"sub":"x"}'), ['required' => []]), ['sub' => 1]));
        $this->assertTokenCode(TokenException::MISSING_CLAIM, fn() => $this->decodeHs($t, ['required' => ['exp', 'jti']]));
    }

    public function testBadOptions(): void
    {
        $t = self::hsToken('{"alg":"HS256"}', '{"exp":1700000100}');
        foreach ([['leeway' => -1], ['leeway' => 'x'], ['iss' => 5], ['typo' => 1], ['required' => 'exp'], ['max_length' => 0], ['now' => 'x'], ['now' => NAN]] as $bad) {
            $this->assertThrowsCode(Exception::class, Exception::INVALID_ARGUMENT, fn() => $this->decodeHs($t, $bad));
        }
    }

    public function testWrongArgumentTypesGivePhpTypeError(): void
    {
        foreach ([
            fn() => wp_oauth_jwt_decode([], '{}'),
            fn() => wp_oauth_jwt_decode('a', '{}', 'x'),
            fn() => wp_oauth_jwt_encode('x', '{}'),
            fn() => wp_oauth_random_token('many'),
            fn() => wp_oauth_jwks('x'),
            fn() => wp_oauth_pkce_verify(null, 'x'),
        ] as $fn) {
            try {
                $fn();
                $this->fail('accepted');
            } catch (\TypeError $e) {
                $this->assertStringNotContainsString('panic', strtolower($e->getMessage()));
            }
        }
    }

    public function testCache(): void
    {
        wp_oauth_cache_clear();
        $this->assertSame(['hits' => 0, 'misses' => 0, 'entries' => 0, 'keysets' => 0], wp_oauth_cache_stats());
        $jwk = wp_oauth_key_generate();
        $jwks = wp_oauth_jwks([$jwk]);
        $exp = time() + 100;
        $t = wp_oauth_jwt_encode(['exp' => $exp], $jwk);
        $first = wp_oauth_jwt_decode($t, $jwks);
        $this->assertSame($first, wp_oauth_jwt_decode($t, $jwks));
        $s = wp_oauth_cache_stats();
        $this->assertSame(1, $s['hits']);
        $this->assertSame(1, $s['misses']);
        $this->assertSame(1, $s['entries']);
        // A hit never outlives exp.
        $this->assertTokenCode(TokenException::EXPIRED, fn() => wp_oauth_jwt_decode($t, $jwks, ['now' => $exp + 61]));
        // Options that change validity are part of the key.
        $this->assertTokenCode(TokenException::INVALID_ISSUER, fn() => wp_oauth_jwt_decode($t, $jwks, ['iss' => 'x']));
        // A different key set (rotation without this key) does not hit.
        $other = wp_oauth_jwks([wp_oauth_key_generate()]);
        $this->assertTokenCode(TokenException::UNKNOWN_KID, fn() => wp_oauth_jwt_decode($t, $other));
        // Repeat verification is much faster than the first (goal ≥ 50×; asserted loosely).
        wp_oauth_cache_clear();
        $tokens = [];
        for ($i = 0; $i < 200; $i++) {
            $tokens[] = wp_oauth_jwt_encode(['exp' => $exp, 'jti' => (string) $i], $jwk);
        }
        wp_oauth_jwt_decode($tokens[0], $jwks);
        $t0 = hrtime(true);
        foreach ($tokens as $tok) {
            wp_oauth_jwt_decode($tok, $jwks);
        }
        $cold = hrtime(true) - $t0;
        $t0 = hrtime(true);
        foreach ($tokens as $tok) {
            wp_oauth_jwt_decode($tok, $jwks);
        }
        $warm = hrtime(true) - $t0;
        $this->assertGreaterThan(4, $cold / max($warm, 1), "cold/warm ratio (the benchmark measures the real figure)");
        wp_oauth_cache_clear();
        $this->assertSame(0, wp_oauth_cache_stats()['entries']);
    }
}
