<?php
namespace WpOAuth\Tests;

use WpOAuth\Exception;

/**
 * @covers ::wp_oauth_key_generate
 * @covers ::wp_oauth_key_import
 * @covers ::wp_oauth_key_public
 * @covers ::wp_oauth_jwk_thumbprint
 * @covers ::wp_oauth_jwks
 */
final class KeysTest extends TestCase
{
    public function testGenerate(): void
    {
        foreach (['ES256' => ['EC', 'P-256'], 'EdDSA' => ['OKP', 'Ed25519']] as $alg => [$kty, $crv]) {
            $jwk = json_decode(wp_oauth_key_generate($alg), true);
            $this->assertSame($kty, $jwk['kty']);
            $this->assertSame($crv, $jwk['crv']);
            $this->assertSame($alg, $jwk['alg']);
            $this->assertSame('sig', $jwk['use']);
            $this->assertArrayHasKey('d', $jwk);
            $this->assertSame(wp_oauth_jwk_thumbprint(json_encode($jwk)), $jwk['kid']);
        }
        $this->assertSame('ES256', json_decode(wp_oauth_key_generate(), true)['alg']);
        foreach (['RS256', 'PS256', 'HS256', 'none', ''] as $bad) {
            $this->assertThrowsCode(Exception::class, Exception::UNSUPPORTED_ALGORITHM, fn() => wp_oauth_key_generate($bad));
        }
    }

    public function testThumbprintRfc7638AndRfc8037(): void
    {
        $v = self::fixture('rfc7638_3_1.json');
        $this->assertSame($v['thumbprint'], wp_oauth_jwk_thumbprint(json_encode($v['jwk'])));
        $v['jwk']['e'] = 'AQAA';
        $this->assertNotSame('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs', wp_oauth_jwk_thumbprint(json_encode($v['jwk'])));
        $ed = self::fixture('rfc8037_a.json');
        $this->assertSame($ed['thumbprint'], wp_oauth_jwk_thumbprint(json_encode($ed['jwk'])));
    }

    public function testImportPem(): void
    {
        $cases = [
            ['rsa2048.pem', 'RS256', 'RSA', true],
            ['rsa2048.pem', 'PS256', 'RSA', true],
            ['rsa2048.pub.pem', 'RS256', 'RSA', false],
            ['p256.pem', 'ES256', 'EC', true],
            ['ed25519.pem', 'EdDSA', 'OKP', true],
        ];
        foreach ($cases as [$file, $alg, $kty, $private]) {
            $jwk = json_decode(wp_oauth_key_import(file_get_contents(self::fixturePath($file)), $alg), true);
            $this->assertSame($kty, $jwk['kty'], $file);
            $this->assertSame($alg, $jwk['alg']);
            $this->assertSame($private, isset($jwk['d']));
            $this->assertSame(wp_oauth_jwk_thumbprint(json_encode($jwk)), $jwk['kid']);
        }
        // Private and public PEM of one RSA key give the same kid.
        $a = json_decode(wp_oauth_key_import(file_get_contents(self::fixturePath('rsa2048.pem')), 'RS256'), true);
        $b = json_decode(wp_oauth_key_import(file_get_contents(self::fixturePath('rsa2048.pub.pem')), 'RS256'), true);
        $this->assertSame($a['kid'], $b['kid']);
        // The same key through openssl's own export.
        $details = openssl_pkey_get_details(openssl_pkey_get_private(file_get_contents(self::fixturePath('rsa2048.pem'))));
        $this->assertSame(self::b64($details['rsa']['n']), $a['n']);
    }

    public function testImportRefusals(): void
    {
        $rsa = file_get_contents(self::fixturePath('rsa2048.pem'));
        $this->assertThrowsCode(Exception::class, Exception::UNSUPPORTED_ALGORITHM, fn() => wp_oauth_key_import($rsa, 'ES256'));
        $this->assertThrowsCode(Exception::class, Exception::UNSUPPORTED_ALGORITHM, fn() => wp_oauth_key_import($rsa, 'HS256'));
        $this->assertThrowsCode(Exception::class, Exception::UNSUPPORTED_ALGORITHM, fn() => wp_oauth_key_import($rsa, 'RS512'));
        foreach (['', 'garbage', "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", substr($rsa, 0, 200), "\xff\xfe"] as $bad) {
            $e = $this->assertThrowsCode(Exception::class, Exception::INVALID_KEY, fn() => wp_oauth_key_import($bad, 'RS256'));
        }
        // Messages never carry key material.
        $broken = str_replace('A', 'B', $rsa);
        try {
            wp_oauth_key_import($broken, 'RS256');
        } catch (Exception $e) {
            $this->assertStringNotContainsString('MII', $e->getMessage());
        }
    }

    public function testPublic(): void
    {
        $priv = wp_oauth_key_generate('ES256');
        $pub = json_decode(wp_oauth_key_public($priv), true);
        $this->assertArrayNotHasKey('d', $pub);
        $this->assertSame(json_decode($priv, true)['kid'], $pub['kid']);
        $rsa = wp_oauth_key_import(file_get_contents(self::fixturePath('rsa2048.pem')), 'RS256');
        $pub = json_decode(wp_oauth_key_public($rsa), true);
        foreach (['d', 'p', 'q', 'dp', 'dq', 'qi'] as $m) {
            $this->assertArrayNotHasKey($m, $pub);
        }
        $this->assertThrowsCode(Exception::class, Exception::INVALID_KEY, fn() => wp_oauth_key_public(self::hsJwk()));
        $this->assertThrowsCode(Exception::class, Exception::INVALID_JSON, fn() => wp_oauth_key_public('{'));
        $this->assertThrowsCode(Exception::class, Exception::INVALID_KEY, fn() => wp_oauth_key_public('{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}'));
        $this->assertThrowsCode(Exception::class, Exception::INVALID_KEY, fn() => wp_oauth_key_public('[]'));
    }

    public function testJwks(): void
    {
        $es = wp_oauth_key_generate('ES256');
        $ed = json_decode(wp_oauth_key_generate('EdDSA'), true);
        $rsa = wp_oauth_key_import(file_get_contents(self::fixturePath('rsa2048.pem')), 'RS256');
        $doc = json_decode(wp_oauth_jwks([$es, $ed, $rsa, self::hsJwk()]), true);
        $this->assertCount(3, $doc['keys'], 'oct left out');
        foreach ($doc['keys'] as $k) {
            foreach (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as $m) {
                $this->assertArrayNotHasKey($m, $k);
            }
        }
        // A JWKS given as an array or string is flattened.
        $again = json_decode(wp_oauth_jwks(['keys' => [$ed]]), true);
        $this->assertCount(1, $again['keys']);
        $this->assertSame(json_decode(wp_oauth_jwks([wp_oauth_jwks([$es])]), true), json_decode(wp_oauth_jwks([$es]), true));
        $this->assertSame('{"keys":[]}', wp_oauth_jwks([]));
        $this->assertThrowsCode(Exception::class, Exception::INVALID_JSON, fn() => wp_oauth_jwks(['{']));
        $this->assertThrowsCode(Exception::class, Exception::INVALID_KEY, fn() => wp_oauth_jwks([42]));
        $this->assertThrowsCode(Exception::class, Exception::INVALID_ARGUMENT, fn() => wp_oauth_jwks([new \stdClass()]));
    }
}
