<?php
// Misuses every wp_oauth function in many ways in one process. Expected: each call
// returns or throws WpOAuth\Exception/TypeError/ValueError; the process reaches the end.
$calls = 0;
$exceptions = 0;
$unexpected = 0;
$try = function (callable $fn) use (&$calls, &$exceptions, &$unexpected) {
    $calls++;
    try {
        $fn();
    } catch (\WpOAuth\Exception | \TypeError | \ArgumentCountError $e) {
        $exceptions++;
    } catch (\Throwable $e) {
        $unexpected++;
        echo 'UNEXPECTED ', get_class($e), ': ', $e->getMessage(), "\n";
    }
};
$junk = ['', "\0", "\xff\xfe", str_repeat('A', 100000), '.', '..', '...', 'a.b.c', '{}', '[]', 'null', '{"kty":"EC"}',
    '{"kty":"oct","k":""}', '{"kty":"RSA","n":"AQAB","e":"AQAB","alg":"RS256"}', '{"keys":{}}', '{"keys":[1]}',
    str_repeat('[', 100000), '{"kty":"OKP","crv":"Ed25519","x":"AA","alg":"EdDSA"}', "-----BEGIN PRIVATE KEY-----\n\n-----END PRIVATE KEY-----",
    '$pbkdf2-sha256$i=1$$', '$wpo-hmac-sha256$v=1$$', '$pbkdf2-sha256$i=2000001$c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA'];
$values = array_merge($junk, [null, 0, -1, PHP_INT_MAX, PHP_INT_MIN, 1.5, NAN, INF, true, [], [[]], ['a' => NAN], new stdClass(), STDIN]);
$funcs = ['wp_oauth_version', 'wp_oauth_random_token', 'wp_oauth_token_hash', 'wp_oauth_pkce_challenge', 'wp_oauth_pkce_verify',
    'wp_oauth_secret_hash', 'wp_oauth_secret_verify', 'wp_oauth_secret_needs_rehash', 'wp_oauth_key_generate', 'wp_oauth_key_import',
    'wp_oauth_key_public', 'wp_oauth_jwk_thumbprint', 'wp_oauth_jwks', 'wp_oauth_jwt_encode', 'wp_oauth_jwt_decode',
    'wp_oauth_cache_stats', 'wp_oauth_cache_clear', 'wp_oauth_dpop_verify'];
foreach ($funcs as $f) {
    $n = (new ReflectionFunction($f))->getNumberOfParameters();
    foreach ($values as $v) {
        if ($f === 'wp_oauth_secret_hash' && is_string($v) && strlen($v) < 32) {
            continue; // PBKDF2 at 600k iterations: valid but slow, not misuse.
        }
        $args = array_fill(0, max($n, 1), $v);
        $try(fn() => $f(...array_slice($args, 0, $n)));
        if ($n >= 2) {
            $try(fn() => $f('x', $v, ...array_slice($args, 2, $n - 2)));
        }
    }
    $try(fn() => $f(...array_fill(0, $n + 2, 'x')));
}
$jwk = wp_oauth_key_generate();
$deep = [];
for ($i = 0; $i < 10000; $i++) {
    $deep = [$deep];
}
$rec = [1];
$rec[] = &$rec;
foreach ([$deep, $rec, ['x' => $deep], [1 => 1], ['a' => ['b' => new ArrayObject()]]] as $claims) {
    $try(fn() => wp_oauth_jwt_encode($claims, $jwk));
    $try(fn() => wp_oauth_jwt_encode(['exp' => 1], $jwk, $claims));
    $try(fn() => wp_oauth_jwt_decode('a.b.c', $jwk, $claims));
    $try(fn() => wp_oauth_jwks($claims));
}
// DPoP: garbage proofs against sane expectations, and garbage expectations.
$rfc = json_decode(file_get_contents(__DIR__ . '/../fixtures/rfc9449.json'), true);
$proof = $rfc['proofs'][2]['proof'];
$sane = ['htm' => 'GET', 'htu' => 'https://resource.example.org/protectedresource', 'now' => 1562262618];
foreach (array_merge($junk, [$proof . '.', '.' . $proof, str_replace('.', '..', $proof), strrev($proof), $proof . str_repeat('A', 70000)]) as $p) {
    $try(fn() => wp_oauth_dpop_verify($p, $sane));
    $try(fn() => wp_oauth_dpop_verify($p, ['max_length' => 65536] + $sane));
}
foreach (['htm', 'htu', 'now', 'iat_past', 'iat_future', 'access_token', 'nonce', 'jkt', 'algs', 'max_length', 'body', 0, '', "\xff"] as $name) {
    foreach (array_merge($values, [$deep, $rec, [$deep], array_fill(0, 100000, 'n'), ['a' => 1], [1 => 'x'], [NAN], [STDIN], [new stdClass()]]) as $v) {
        $try(fn() => wp_oauth_dpop_verify($proof, [$name => $v] + $sane));
    }
}
$try(fn() => wp_oauth_dpop_verify($proof, $deep));
$try(fn() => wp_oauth_dpop_verify($proof, $rec));
$try(fn() => wp_oauth_dpop_verify($proof, array_fill(0, 100000, 'x')));
if (wp_oauth_dpop_verify($proof, $sane + ['access_token' => $rfc['access_token']])['jkt'] !== $rfc['jkt']) {
    $unexpected++;
}
// Many keys, huge inputs.
$try(fn() => wp_oauth_jwt_decode('a.b.c', json_encode(['keys' => array_fill(0, 1000, json_decode($jwk))])));
$try(fn() => wp_oauth_jwt_decode(str_repeat('a', 2000000), $jwk, ['max_length' => 1048576]));
// The process still works normally afterwards.
$t = wp_oauth_jwt_encode(['exp' => time() + 60], $jwk);
if (wp_oauth_jwt_decode($t, $jwk)['exp'] < time()) {
    $unexpected++;
}
echo "SURVIVED $calls calls, $exceptions exceptions, $unexpected unexpected\n";
exit(0);
