<?php
// Prints the wp_oauth API as JSON: from the loaded extension ("ext") or from
// php-stubs/wp-oauth.php loaded as plain PHP without the extension ("stub").
// Used by StubsTest to fail when the stubs and the extension disagree.
$mode = $argv[1] ?? 'ext';
if ($mode === 'stub') {
    if (extension_loaded('wp_oauth')) {
        fwrite(STDERR, "run the stub dump without the extension\n");
        exit(2);
    }
    require __DIR__ . '/../../php-stubs/wp-oauth.php';
    $functions = array_values(array_filter(get_defined_functions()['user'], fn($f) => str_starts_with($f, 'wp_oauth_')));
    $classes = ['WpOAuth\\Exception', 'WpOAuth\\TokenException'];
} else {
    $ext = new ReflectionExtension('wp_oauth');
    $functions = array_keys($ext->getFunctions());
    $classes = $ext->getClassNames();
}
$out = ['functions' => [], 'classes' => []];
sort($functions);
foreach ($functions as $name) {
    $f = new ReflectionFunction($name);
    $params = [];
    foreach ($f->getParameters() as $p) {
        $params[] = [
            'name' => $p->getName(),
            'type' => (string) $p->getType(),
            'optional' => $p->isOptional(),
            'default' => $p->isDefaultValueAvailable() ? var_export($p->getDefaultValue(), true) : null,
        ];
    }
    $out['functions'][strtolower($name)] = ['params' => $params, 'return' => (string) $f->getReturnType()];
}
sort($classes);
foreach ($classes as $name) {
    $c = new ReflectionClass($name);
    $consts = $c->getConstants();
    ksort($consts);
    $out['classes'][strtolower($name)] = [
        'name' => $c->getName(),
        'parent' => $c->getParentClass() ? $c->getParentClass()->getName() : null,
        'constants' => $consts,
    ];
}
echo json_encode($out, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";
