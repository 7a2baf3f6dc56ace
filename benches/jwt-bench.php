<?php
/**
 * wp_oauth_jwt_encode / wp_oauth_jwt_decode against a userland PHP JWT implementation
 * (UserlandJwt.php), side by side in one run, for HS256, ES256, EdDSA and RS256, with a
 * ~10-claim RFC 9068 access-token payload. Prints a Markdown table of µs/op medians.
 *
 * Decode rows use a distinct token per operation (different jti), so the extension's
 * verified-token cache misses, as for a first verification; its parsed-key cache is warm,
 * as in a worker. The last rows show a repeat verification (cache hit) against the first.
 *
 * Run: scripts/bench-ext.sh   (php -d extension=target/release/libwp_oauth.so benches/jwt-bench.php)
 */
require __DIR__ . '/UserlandJwt.php';

if (!extension_loaded('wp_oauth')) {
    fwrite(STDERR, "load the extension: php -d extension=target/release/libwp_oauth.so\n");
    exit(1);
}
$BATCHES = (int) (getenv('BENCH_BATCHES') ?: 11);
$OPS = (int) (getenv('BENCH_OPS') ?: 100);

function claims(int $i): array
{
    $now = time();
    return [
        'iss' => 'https://example.org', 'sub' => '42', 'aud' => 'https://example.org/wp-json',
        'client_id' => 'Yx4cEkI2yQeBfK8s', 'scope' => 'read write', 'jti' => sprintf('jti-%08d-%s', $i, 'Zk3'),
        'iat' => $now, 'nbf' => $now, 'exp' => $now + 3600, 'auth_time' => $now - 30, 'grant_id' => 1234,
    ];
}

/** Median µs/op of $batches runs of $fn($batchIndex) doing $ops operations. */
function measure(int $batches, int $ops, callable $setup, callable $op): float
{
    $per = [];
    for ($b = 0; $b < $batches; $b++) {
        $state = $setup($b);
        $t = hrtime(true);
        for ($i = 0; $i < $ops; $i++) {
            $op($state, $i);
        }
        $per[] = (hrtime(true) - $t) / 1000 / $ops;
    }
    sort($per);
    return $per[intdiv(count($per), 2)];
}

$rsaPem = file_get_contents(__DIR__ . '/../tests/fixtures/rsa2048.pem');
$secret = random_bytes(32);
$ecKey = openssl_pkey_new(['private_key_type' => OPENSSL_KEYTYPE_EC, 'curve_name' => 'prime256v1']);
openssl_pkey_export($ecKey, $ecPem);
$sodium = sodium_crypto_sign_keypair();

$algs = [
    'HS256' => [
        'jwk' => json_encode(['kty' => 'oct', 'alg' => 'HS256', 'kid' => 'hs', 'k' => UserlandJwt::urlsafeB64Encode($secret)]),
        'sign' => $secret, 'verify' => $secret, 'kid' => 'hs',
    ],
    'ES256' => [
        'jwk' => wp_oauth_key_import($ecPem, 'ES256'),
        'sign' => openssl_pkey_get_private($ecPem), 'verify' => openssl_pkey_get_public(openssl_pkey_get_details($ecKey)['key']), 'kid' => 'es',
    ],
    'EdDSA' => [
        'jwk' => wp_oauth_key_generate('EdDSA'),
        'sign' => sodium_crypto_sign_secretkey($sodium), 'verify' => sodium_crypto_sign_publickey($sodium), 'kid' => 'ed',
    ],
    'RS256' => [
        'jwk' => wp_oauth_key_import($rsaPem, 'RS256'),
        'sign' => openssl_pkey_get_private($rsaPem), 'verify' => openssl_pkey_get_public(openssl_pkey_get_details(openssl_pkey_get_private($rsaPem))['key']), 'kid' => 'rs',
    ],
];

$rows = [];
foreach ($algs as $alg => $k) {
    $verifyKeys = $alg === 'HS256' ? $k['jwk'] : wp_oauth_jwks([$k['jwk']]);
    $userKeys = [$k['kid'] => [$k['verify'], $alg]];
    $hdr = ['typ' => 'at+jwt'];
    // Sanity: both sides verify their own tokens.
    wp_oauth_jwt_decode(wp_oauth_jwt_encode(claims(0), $k['jwk'], $hdr), $verifyKeys);
    UserlandJwt::decode(UserlandJwt::encode(claims(0), $k['sign'], $alg, $k['kid'], $hdr), $userKeys);

    $ops = $alg === 'RS256' ? max(10, intdiv($OPS, 4)) : $OPS;
    $u = measure($BATCHES, $ops, fn($b) => null, fn($s, $i) => UserlandJwt::encode(claims($i), $k['sign'], $alg, $k['kid'], $hdr));
    $e = measure($BATCHES, $ops, fn($b) => null, fn($s, $i) => wp_oauth_jwt_encode(claims($i), $k['jwk'], $hdr));
    $rows[] = [$alg, 'encode', $u, $e];

    $userTokens = fn($b) => array_map(fn($i) => UserlandJwt::encode(claims($b * 100000 + $i), $k['sign'], $alg, $k['kid'], $hdr), range(0, $OPS - 1));
    $extTokens = function ($b) use ($k, $hdr, $OPS, $verifyKeys) {
        wp_oauth_cache_clear();
        $t = array_map(fn($i) => wp_oauth_jwt_encode(claims($b * 100000 + $i), $k['jwk'], $hdr), range(0, $OPS - 1));
        wp_oauth_jwt_decode(wp_oauth_jwt_encode(claims(-1), $k['jwk'], $hdr), $verifyKeys); // warm the key-set cache
        return $t;
    };
    $u = measure($BATCHES, $OPS, $userTokens, fn($t, $i) => UserlandJwt::decode($t[$i], $userKeys));
    $e = measure($BATCHES, $OPS, $extTokens, fn($t, $i) => wp_oauth_jwt_decode($t[$i], $verifyKeys));
    $rows[] = [$alg, 'decode', $u, $e];
}

// Repeat verification (cache hit) vs first verification, ES256.
$k = $algs['ES256'];
$jwks = wp_oauth_jwks([$k['jwk']]);
$first = measure($BATCHES, $OPS, function ($b) use ($k, $OPS, $jwks) {
    wp_oauth_cache_clear();
    $t = array_map(fn($i) => wp_oauth_jwt_encode(claims($b * 100000 + $i), $k['jwk']), range(0, $OPS - 1));
    wp_oauth_jwt_decode(wp_oauth_jwt_encode(claims(-1), $k['jwk']), $jwks);
    return $t;
}, fn($t, $i) => wp_oauth_jwt_decode($t[$i], $jwks));
$token = wp_oauth_jwt_encode(claims(1), $k['jwk']);
wp_oauth_jwt_decode($token, $jwks);
$repeat = measure($BATCHES, $OPS * 10, fn($b) => null, fn($s, $i) => wp_oauth_jwt_decode($token, $jwks));

printf("wp_oauth %s, PHP %s, %s; medians of %d batches\n\n", wp_oauth_version(), PHP_VERSION, OPENSSL_VERSION_TEXT, $BATCHES);
echo "| alg | op | userland µs/op | wp_oauth µs/op | speed-up |\n|---|---|---:|---:|---:|\n";
foreach ($rows as [$alg, $op, $u, $e]) {
    printf("| %s | %s | %.1f | %.1f | %.1f× |\n", $alg, $op, $u, $e, $u / $e);
}
printf("\n| ES256 decode | µs/op |\n|---|---:|\n| first verification (cache miss) | %.1f |\n| repeat verification (cache hit) | %.2f |\n| ratio | %.0f× |\n", $first, $repeat, $first / $repeat);
