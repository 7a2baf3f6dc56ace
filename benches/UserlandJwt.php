<?php
/**
 * A userland JWT implementation in the usual style of PHP JWT libraries (firebase/php-jwt):
 * base64url and JSON in PHP, signatures through ext-openssl, ext-sodium and hash_hmac,
 * keys passed as parsed key objects (OpenSSLAsymmetricKey, sodium key strings). Used only
 * as the baseline of benches/jwt-bench.php.
 */
final class UserlandJwt
{
    public static int $leeway = 60;

    public static function encode(array $payload, $key, string $alg, ?string $kid = null, array $head = []): string
    {
        $header = ['typ' => 'JWT', 'alg' => $alg] + $head;
        if ($kid !== null) {
            $header['kid'] = $kid;
        }
        $segments = [
            self::urlsafeB64Encode(json_encode($header, JSON_UNESCAPED_SLASHES)),
            self::urlsafeB64Encode(json_encode($payload, JSON_UNESCAPED_SLASHES)),
        ];
        $input = implode('.', $segments);
        $segments[] = self::urlsafeB64Encode(self::sign($input, $key, $alg));
        return implode('.', $segments);
    }

    /**
     * @param array<string, array{0: mixed, 1: string}> $keys kid => [parsed key, alg]
     */
    public static function decode(string $jwt, array $keys): array
    {
        $tks = explode('.', $jwt);
        if (count($tks) !== 3) {
            throw new UnexpectedValueException('Wrong number of segments');
        }
        [$headb64, $bodyb64, $cryptob64] = $tks;
        $header = json_decode(self::urlsafeB64Decode($headb64), true, 512, JSON_BIGINT_AS_STRING);
        $payload = json_decode(self::urlsafeB64Decode($bodyb64), true, 512, JSON_BIGINT_AS_STRING);
        if (!is_array($header) || !is_array($payload)) {
            throw new UnexpectedValueException('Invalid encoding');
        }
        $sig = self::urlsafeB64Decode($cryptob64);
        if (empty($header['alg'])) {
            throw new UnexpectedValueException('Empty algorithm');
        }
        $kid = $header['kid'] ?? null;
        if ($kid === null && count($keys) === 1) {
            $kid = array_key_first($keys);
        }
        if (!isset($keys[$kid])) {
            throw new UnexpectedValueException('"kid" invalid');
        }
        [$key, $alg] = $keys[$kid];
        if ($header['alg'] !== $alg) {
            throw new UnexpectedValueException('Incorrect key for this algorithm');
        }
        if (!self::verify("$headb64.$bodyb64", $sig, $key, $alg)) {
            throw new UnexpectedValueException('Signature verification failed');
        }
        $now = time();
        if (isset($payload['nbf']) && floor($payload['nbf']) > $now + self::$leeway) {
            throw new UnexpectedValueException('Cannot handle token prior to nbf');
        }
        if (isset($payload['iat']) && floor($payload['iat']) > $now + self::$leeway) {
            throw new UnexpectedValueException('Cannot handle token prior to iat');
        }
        if (isset($payload['exp']) && $now - self::$leeway >= $payload['exp']) {
            throw new UnexpectedValueException('Expired token');
        }
        return $payload;
    }

    private static function sign(string $msg, $key, string $alg): string
    {
        switch ($alg) {
            case 'HS256':
                return hash_hmac('sha256', $msg, $key, true);
            case 'RS256':
                openssl_sign($msg, $signature, $key, OPENSSL_ALGO_SHA256) or throw new DomainException('OpenSSL unable to sign');
                return $signature;
            case 'ES256':
                openssl_sign($msg, $signature, $key, OPENSSL_ALGO_SHA256) or throw new DomainException('OpenSSL unable to sign');
                return self::signatureFromDER($signature, 256);
            case 'EdDSA':
                return sodium_crypto_sign_detached($msg, $key);
        }
        throw new DomainException('Algorithm not supported');
    }

    private static function verify(string $msg, string $signature, $key, string $alg): bool
    {
        switch ($alg) {
            case 'HS256':
                return hash_equals(hash_hmac('sha256', $msg, $key, true), $signature);
            case 'RS256':
                return openssl_verify($msg, $signature, $key, OPENSSL_ALGO_SHA256) === 1;
            case 'ES256':
                return openssl_verify($msg, self::signatureToDER($signature), $key, OPENSSL_ALGO_SHA256) === 1;
            case 'EdDSA':
                return strlen($signature) === SODIUM_CRYPTO_SIGN_BYTES && sodium_crypto_sign_verify_detached($signature, $msg, $key);
        }
        throw new DomainException('Algorithm not supported');
    }

    public static function urlsafeB64Decode(string $input): string
    {
        $remainder = strlen($input) % 4;
        if ($remainder) {
            $input .= str_repeat('=', 4 - $remainder);
        }
        return base64_decode(strtr($input, '-_', '+/'));
    }

    public static function urlsafeB64Encode(string $input): string
    {
        return str_replace('=', '', strtr(base64_encode($input), '+/', '-_'));
    }

    private static function signatureToDER(string $sig): string
    {
        $length = max(1, (int) (strlen($sig) / 2));
        [$r, $s] = str_split($sig, $length);
        $r = ltrim($r, "\x00");
        $s = ltrim($s, "\x00");
        if (ord($r[0]) > 0x7f) {
            $r = "\x00" . $r;
        }
        if (ord($s[0]) > 0x7f) {
            $s = "\x00" . $s;
        }
        return self::encodeDER(0x10, self::encodeDER(0x02, $r) . self::encodeDER(0x02, $s));
    }

    private static function encodeDER(int $type, string $value): string
    {
        $tag_header = $type === 0x10 ? 0x20 : 0;
        return chr($tag_header | $type) . chr(strlen($value)) . $value;
    }

    private static function signatureFromDER(string $der, int $keySize): string
    {
        [$offset, $_] = self::readDER($der);
        [$offset, $r] = self::readDER($der, $offset);
        [$offset, $s] = self::readDER($der, $offset);
        $r = ltrim($r, "\x00");
        $s = ltrim($s, "\x00");
        $r = str_pad($r, $keySize / 8, "\x00", STR_PAD_LEFT);
        $s = str_pad($s, $keySize / 8, "\x00", STR_PAD_LEFT);
        return $r . $s;
    }

    private static function readDER(string $der, int $offset = 0): array
    {
        $pos = $offset;
        $size = strlen($der);
        $constructed = (ord($der[$pos]) >> 5) & 0x01;
        $type = ord($der[$pos++]) & 0x1f;
        $len = ord($der[$pos++]);
        if ($len & 0x80) {
            $n = $len & 0x1f;
            $len = 0;
            while ($n-- && $pos < $size) {
                $len = ($len << 8) | ord($der[$pos++]);
            }
        }
        if ($type === 0x03) {
            $pos++;
            $data = substr($der, $pos, $len - 1);
            $pos += $len - 1;
        } elseif (!$constructed) {
            $data = substr($der, $pos, $len);
            $pos += $len;
        } else {
            $data = null;
        }
        return [$pos, $data];
    }
}
