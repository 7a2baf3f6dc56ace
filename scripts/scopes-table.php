<?php
/**
 * Prints the route × method × scope table of Route_Policy as Markdown, for docs/scopes.md.
 *
 *   php scripts/scopes-table.php            print the table
 *   php scripts/scopes-table.php --write    replace the table between the markers in docs/scopes.md
 *
 * The PHPUnit suite (RoutePolicyTest) fails when docs/scopes.md differs from this output.
 */

defined( 'ABSPATH' ) || define( 'ABSPATH', __DIR__ . '/' );
if ( ! function_exists( 'apply_filters' ) ) {
	/** Route_Policy::builtin() runs without WordPress; the filter is not applied here. */
	function apply_filters( $hook, $value ) {
		return $value;
	}
}
require_once dirname( __DIR__ ) . '/wp-plugin/includes/auth/class-route-policy.php';

/**
 * The Markdown table of the built-in policy.
 *
 * @return string
 */
function wpoa_scopes_markdown(): string {
	$table = \Wpoa\Route_Policy::builtin();
	ksort( $table, SORT_STRING );
	$out = "| route | GET | POST | PUT | PATCH | DELETE |\n|---|---|---|---|---|---|\n";
	foreach ( $table as $shape => $methods ) {
		$cells = array();
		foreach ( \Wpoa\Route_Policy::METHODS as $method ) {
			$cells[] = isset( $methods[ $method ] ) ? '`' . $methods[ $method ] . '`' : '·';
		}
		$out .= '| `' . $shape . '` | ' . implode( ' | ', $cells ) . " |\n";
	}
	return $out;
}

const WPOA_SCOPES_BEGIN = "<!-- route-table:begin (php scripts/scopes-table.php --write) -->\n";
const WPOA_SCOPES_END   = "<!-- route-table:end -->\n";

if ( PHP_SAPI === 'cli' && isset( $argv ) && realpath( $argv[0] ) === __FILE__ ) {
	$markdown = wpoa_scopes_markdown();
	if ( in_array( '--write', $argv, true ) ) {
		$doc  = dirname( __DIR__ ) . '/docs/scopes.md';
		$text = (string) file_get_contents( $doc );
		$a    = strpos( $text, WPOA_SCOPES_BEGIN );
		$b    = strpos( $text, WPOA_SCOPES_END );
		if ( false === $a || false === $b || $b < $a ) {
			fwrite( STDERR, "docs/scopes.md has no route-table markers\n" );
			exit( 1 );
		}
		$text = substr( $text, 0, $a + strlen( WPOA_SCOPES_BEGIN ) ) . $markdown . substr( $text, $b );
		file_put_contents( $doc, $text );
		exit( 0 );
	}
	echo $markdown;
}
