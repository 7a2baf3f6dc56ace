<?php
// The suite needs the extension loaded with -d extension=…/libwp_oauth.so
// (scripts/test-ext.sh does that).
if (!extension_loaded('wp_oauth')) {
    fwrite(STDERR, "wp_oauth is not loaded: run scripts/test-ext.sh\n");
    exit(1);
}
require_once __DIR__ . '/TestCase.php';
