<?php
/**
 * WP OAuth: database-error drop-in. Copy this file to wp-content/db-error.php.
 *
 * WordPress loads wp-content/db-error.php from dead_db() when it cannot reach the database —
 * at start-up, or when a query loses the connection and five reconnection attempts fail — and
 * stops right after it. Without this file core answers "Error establishing a database connection"
 * as an HTML page with status 500, which OAuth clients read as a server fault (and some as a
 * reason to drop their refresh token). With it:
 *
 * - the OAuth endpoints (token, revoke, introspect, register) answer 503 with
 *   `{"error":"temporarily_unavailable","error_description":"…"}` (RFC 6749 §5.2 format;
 *   the code is the one RFC 6749 §4.1.2.1 defines for a temporarily overloaded server);
 * - other REST API routes answer 503 in WordPress's REST error format (`code`, `message`, `data.status`);
 * - pages (including the authorization endpoint on wp-login.php) answer a short 503 HTML page.
 *
 * Every answer carries `Retry-After: 10` and `Cache-Control: no-store`. Nothing is written
 * anywhere, so no token can be issued while the database is away. The file needs nothing from
 * the plugin (which is not loaded at this point) and is safe to use on any WordPress site.
 *
 * @package Wpoa
 */

// phpcs:disable WordPress.Security.EscapeOutput.OutputNotEscaped -- only literals and htmlspecialchars() output.
// phpcs:disable WordPress.Security.ValidatedSanitizedInput -- REQUEST_URI is only matched against fixed patterns.

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

$wpoa_uri   = isset( $_SERVER['REQUEST_URI'] ) ? (string) $_SERVER['REQUEST_URI'] : '';
$wpoa_path  = (string) parse_url( $wpoa_uri, PHP_URL_PATH ); // phpcs:ignore WordPress.WP.AlternativeFunctions.parse_url_parse_url -- wp_parse_url may not be loaded yet.
$wpoa_query = (string) parse_url( $wpoa_uri, PHP_URL_QUERY ); // phpcs:ignore WordPress.WP.AlternativeFunctions.parse_url_parse_url
parse_str( $wpoa_query, $wpoa_args );
$wpoa_route = false !== strpos( $wpoa_path, '/wp-json/' )
	? substr( $wpoa_path, strpos( $wpoa_path, '/wp-json/' ) + 8 )
	: ( isset( $wpoa_args['rest_route'] ) && is_string( $wpoa_args['rest_route'] ) ? $wpoa_args['rest_route'] : null );
// Not translated: the site's locale is stored in the database, and wpdb loads this file from
// db_connect() before WordPress can translate anything (calling __() here is a fatal error).
$wpoa_msg = 'The site cannot reach its database right now. Try again in a few seconds.';

if ( ! headers_sent() ) {
	http_response_code( 503 );
	header( 'Retry-After: 10' );
	header( 'Cache-Control: no-store' );
}
if ( null !== $wpoa_route && preg_match( '#^/wp-oauth/v1/(token|revoke|introspect|register)(/|$)#', $wpoa_route ) ) {
	if ( ! headers_sent() ) {
		header( 'Content-Type: application/json; charset=UTF-8' );
	}
	echo json_encode( // phpcs:ignore WordPress.WP.AlternativeFunctions.json_encode_json_encode -- wp_json_encode may not be loaded yet.
		array(
			'error'             => 'temporarily_unavailable',
			'error_description' => $wpoa_msg,
		)
	);
} elseif ( null !== $wpoa_route ) {
	if ( ! headers_sent() ) {
		header( 'Content-Type: application/json; charset=UTF-8' );
	}
	echo json_encode( // phpcs:ignore WordPress.WP.AlternativeFunctions.json_encode_json_encode
		array(
			'code'    => 'db_unavailable',
			'message' => $wpoa_msg,
			'data'    => array( 'status' => 503 ),
		)
	);
} else {
	if ( ! headers_sent() ) {
		header( 'Content-Type: text/html; charset=UTF-8' );
	}
	$wpoa_esc = htmlspecialchars( $wpoa_msg, ENT_QUOTES, 'UTF-8' );
	echo '<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
		. '<title>503</title></head><body><h1 id="wpoa-db-error">' . $wpoa_esc . '</h1></body></html>';
}
