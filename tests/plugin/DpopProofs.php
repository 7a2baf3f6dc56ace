<?php
/**
 * DPoP proofs signed by OpenSSL (not by the extension under test): ES256 key pairs, their
 * RFC 7638 thumbprints computed from the literal member order of RFC 7638 §3.2, and proofs
 * with any claim or header member overridden.
 */
trait DpopProofs
{
    /** @return array{key: OpenSSLAsymmetricKey, jwk: array<string,string>, jkt: string} */
    protected static function ecKey(): array
    {
        $key = openssl_pkey_new(['private_key_type' => OPENSSL_KEYTYPE_EC, 'curve_name' => 'prime256v1']);
        $d = openssl_pkey_get_details($key)['ec'];
        $b64 = static fn(string $bin): string => rtrim(strtr(base64_encode(str_pad($bin, 32, "\0", STR_PAD_LEFT)), '+/', '-_'), '=');
        $jwk = ['kty' => 'EC', 'crv' => 'P-256', 'x' => $b64($d['x']), 'y' => $b64($d['y'])];
        // RFC 7638 §3.2: required members in lexicographic order, no white space.
        $canonical = '{"crv":"P-256","kty":"EC","x":"' . $jwk['x'] . '","y":"' . $jwk['y'] . '"}';
        $jkt = rtrim(strtr(base64_encode(hash('sha256', $canonical, true)), '+/', '-_'), '=');
        return ['key' => $key, 'jwk' => $jwk, 'jkt' => $jkt];
    }

    /** An ES256 DPoP proof (RFC 9449 §4.2) signed with OpenSSL; null values remove a claim. */
    protected static function proof(array $k, array $claims, array $header = []): string
    {
        $b64 = static fn(string $s): string => rtrim(strtr(base64_encode($s), '+/', '-_'), '=');
        $claims = array_filter(array_merge(['jti' => bin2hex(random_bytes(12)), 'iat' => time()], $claims), static fn($v) => null !== $v);
        $input = $b64(json_encode(array_merge(['typ' => 'dpop+jwt', 'alg' => 'ES256', 'jwk' => $k['jwk']], $header), JSON_UNESCAPED_SLASHES))
            . '.' . $b64(json_encode($claims, JSON_UNESCAPED_SLASHES));
        openssl_sign($input, $der, $k['key'], OPENSSL_ALGO_SHA256);
        return $input . '.' . $b64(self::derToRaw($der));
    }

    /** ECDSA DER (SEQUENCE of two INTEGERs) to the JWS form r || s, 32 bytes each (RFC 7518 §3.4). */
    private static function derToRaw(string $der): string
    {
        $pos = 2;
        $out = '';
        for ($i = 0; $i < 2; $i++) {
            $len = ord($der[$pos + 1]);
            $int = substr($der, $pos + 2, $len);
            $out .= str_pad(ltrim($int, "\0"), 32, "\0", STR_PAD_LEFT);
            $pos += 2 + $len;
        }
        return $out;
    }

    /** base64url(SHA-256(token)), the `ath` of RFC 9449 §4.2. */
    protected static function ath(string $token): string
    {
        return rtrim(strtr(base64_encode(hash('sha256', $token, true)), '+/', '-_'), '=');
    }
}
