<?php
// Cost of wp_oauth_dpop_verify per proof, by algorithm, on the independently made fixture
// proofs (tests/fixtures/dpop_cases.json), with wp_oauth_jwt_decode of an ES256 access
// token (both caches cleared: key set parsed and token verified) alongside for scale. Batches are interleaved; the figure is the
// median batch. Run: php -d extension=target/release/libwp_oauth.so benches/dpop-bench.php
if (!extension_loaded('wp_oauth')) {
    fwrite(STDERR, "load the extension: php -d extension=target/release/libwp_oauth.so benches/dpop-bench.php\n");
    exit(1);
}
$batches = (int) (getenv('BENCH_BATCHES') ?: 11);
$ops = (int) (getenv('BENCH_OPS') ?: 300);
$v = json_decode(file_get_contents(__DIR__ . '/../tests/fixtures/dpop_cases.json'), true);
$byName = array_column($v['cases'], null, 'name');
$work = [];
foreach (['ES256' => 'es256_valid', 'EdDSA' => 'eddsa_valid', 'PS256' => 'ps256_valid', 'RS256' => 'rs256_valid'] as $alg => $name) {
    $case = $byName[$name];
    $expect = array_replace($v['expect'], $case['expect']);
    $work["dpop_verify $alg"] = fn() => wp_oauth_dpop_verify($case['proof'], $expect);
}
$resource = $byName['resource_with_ath'];
$rexpect = array_replace($v['expect'], $resource['expect'], ['jkt' => $resource['result']['jkt']]);
$work['dpop_verify ES256 + ath + jkt'] = fn() => wp_oauth_dpop_verify($resource['proof'], $rexpect);
$key = wp_oauth_key_generate('ES256');
$jwks = wp_oauth_jwks([$key]);
$tokens = [];
for ($i = 0; $i < $ops; $i++) {
    $tokens[] = wp_oauth_jwt_encode(['iss' => 'https://example.org', 'exp' => time() + 3600, 'jti' => (string) $i], $key);
}
$work['jwt_decode ES256 (caches cleared)'] = function () use (&$tokens, $jwks) {
    static $i = 0;
    wp_oauth_cache_clear();
    wp_oauth_jwt_decode($tokens[$i++ % count($tokens)], $jwks);
};
$results = array_fill_keys(array_keys($work), []);
for ($b = 0; $b < $batches; $b++) {
    foreach ($work as $name => $fn) {
        $t0 = hrtime(true);
        for ($i = 0; $i < $ops; $i++) {
            $fn();
        }
        $results[$name][] = (hrtime(true) - $t0) / $ops / 1000;
    }
}
printf("wp_oauth %s, PHP %s; %d interleaved batches of %d ops; load average %.1f\n\n", wp_oauth_version(), PHP_VERSION, $batches, $ops, sys_getloadavg()[0]);
echo "| operation | µs/op (median batch) |\n|---|---:|\n";
foreach ($results as $name => $r) {
    sort($r);
    printf("| %s | %.1f |\n", $name, $r[intdiv(count($r), 2)]);
}
