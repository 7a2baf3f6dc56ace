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
    return pair($batches, $ops, $setup, $op, $setup, $op)[0];
}

/**
 * Medians [a, b, median of per-batch ratios a/b] of two workloads, interleaved batch by
 * batch so that background load hits both alike.
 */
function pair(int $batches, int $ops, callable $setupA, callable $opA, callable $setupB, callable $opB): array
{
    $a = $b = $r = [];
    for ($n = 0; $n < $batches; $n++) {
        $run = function (callable $setup, callable $op) use ($n, $ops) {
            $state = $setup($n);
            $t = hrtime(true);
            for ($i = 0; $i < $ops; $i++) {
                $op($state, $i);
            }
            return (hrtime(true) - $t) / 1000 / $ops;
        };
        $x = $run($setupA, $opA);
        $y = $run($setupB, $opB);
        $a[] = $x;
        $b[] = $y;
        $r[] = $x / $y;
    }
    $med = function (array $v) {
        sort($v);
        return $v[intdiv(count($v), 2)];
    };
    return [$med($a), $med($b), $med($r)];
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
    $rows[] = array_merge([$alg, 'encode'], pair(
        $BATCHES, $ops,
        fn($b) => null, fn($s, $i) => UserlandJwt::encode(claims($i), $k['sign'], $alg, $k['kid'], $hdr),
        fn($b) => null, fn($s, $i) => wp_oauth_jwt_encode(claims($i), $k['jwk'], $hdr),
    ));

    $userTokens = fn($b) => array_map(fn($i) => UserlandJwt::encode(claims($b * 100000 + $i), $k['sign'], $alg, $k['kid'], $hdr), range(0, $OPS - 1));
    $extTokens = function ($b) use ($k, $hdr, $OPS, $verifyKeys) {
        wp_oauth_cache_clear();
        $t = array_map(fn($i) => wp_oauth_jwt_encode(claims($b * 100000 + $i), $k['jwk'], $hdr), range(0, $OPS - 1));
        wp_oauth_jwt_decode(wp_oauth_jwt_encode(claims(-1), $k['jwk'], $hdr), $verifyKeys); // warm the key-set cache
        return $t;
    };
    $rows[] = array_merge([$alg, 'decode'], pair(
        $BATCHES, $OPS,
        $userTokens, fn($t, $i) => UserlandJwt::decode($t[$i], $userKeys),
        $extTokens, fn($t, $i) => wp_oauth_jwt_decode($t[$i], $verifyKeys),
    ));
    $token = wp_oauth_jwt_encode(claims(7), $k['jwk'], $hdr);
    $utoken = UserlandJwt::encode(claims(7), $k['sign'], $alg, $k['kid'], $hdr);
    wp_oauth_jwt_decode($token, $verifyKeys);
    $rows[] = array_merge([$alg, 'decode, same token again'], pair(
        $BATCHES, $OPS,
        fn($b) => null, fn($s, $i) => UserlandJwt::decode($utoken, $userKeys),
        fn($b) => null, fn($s, $i) => wp_oauth_jwt_decode($token, $verifyKeys),
    ));
}

// Repeat verification (cache hit) vs first verification, ES256.
$k = $algs['ES256'];
$jwks = wp_oauth_jwks([$k['jwk']]);
[$first, $repeat, $ratio] = pair($BATCHES, $OPS, function ($b) use ($k, $OPS, $jwks) {
    wp_oauth_cache_clear();
    $t = array_map(fn($i) => wp_oauth_jwt_encode(claims($b * 100000 + $i), $k['jwk']), range(0, $OPS - 1));
    wp_oauth_jwt_decode(wp_oauth_jwt_encode(claims(-1), $k['jwk']), $jwks);
    return $t;
}, fn($t, $i) => wp_oauth_jwt_decode($t[$i], $jwks), function ($b) use ($k, $jwks) {
    $token = wp_oauth_jwt_encode(claims(1), $k['jwk']);
    wp_oauth_jwt_decode($token, $jwks);
    return $token;
}, fn($t, $i) => wp_oauth_jwt_decode($t, $jwks));

$load = sys_getloadavg();
printf("wp_oauth %s (%s), PHP %s, %s; %d interleaved batches of %d ops; load average %.1f on %d CPUs\n\n",
    wp_oauth_version(), 'ring', PHP_VERSION, OPENSSL_VERSION_TEXT, $BATCHES, $OPS, $load[0], (int) shell_exec('nproc'));
echo "| alg | op | userland µs/op | wp_oauth µs/op | speed-up (median of batch ratios) |\n|---|---|---:|---:|---:|\n";
foreach ($rows as [$alg, $op, $u, $e, $ratio]) {
    printf("| %s | %s | %.1f | %.1f | %.1f× |\n", $alg, $op, $u, $e, $ratio);
}
printf("\n| ES256 wp_oauth_jwt_decode | µs/op |\n|---|---:|\n| first verification (cache miss) | %.1f |\n| repeat verification (cache hit) | %.2f |\n| ratio (median of batch ratios) | %.0f× |\n", $first, $repeat, $ratio);
