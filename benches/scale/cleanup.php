<?php
/**
 * One hourly cleanup run (Cleanup::run(), as wp-cron runs it), timed, run inside the site by
 * scripts/wp-eval.php (benches/scale/measure.py). Prints one JSON line: wall ms, rows deleted per
 * kind, and the plugin's statements with their time (SAVEQUERIES).
 */
define( 'SAVEQUERIES', true );
global $wpdb;
$wpdb->queries = array();
$t0     = microtime( true );
$counts = \Wpoa\Cleanup::run();
$ms     = 1000 * ( microtime( true ) - $t0 );
$statements = array();
$oauth_ms   = 0.0;
foreach ( (array) $wpdb->queries as $q ) {
	if ( false !== strpos( (string) $q[0], 'oauth_' ) ) {
		$statements[] = array( (string) $q[0], round( 1000 * (float) $q[1], 3 ) );
		$oauth_ms    += 1000 * (float) $q[1];
	}
}
echo wp_json_encode( array( 'ms' => $ms, 'oauth_ms' => $oauth_ms, 'counts' => $counts, 'statements' => $statements ), JSON_UNESCAPED_SLASHES ), "\n";
