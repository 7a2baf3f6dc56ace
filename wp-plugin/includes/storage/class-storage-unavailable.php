<?php
/**
 * A query that failed says nothing about what is stored: "could not look" is not "not found".
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Thrown by the repositories when the database did not answer a query (lost connection, server
 * restarting, deadlock…). OAuth endpoints answer it as `503 temporarily_unavailable` with
 * `Retry-After` (RFC 6749 §4.1.2.1 names the error; RFC 9110 §15.6.4 the status), never as
 * `invalid_grant` or `invalid_client`: a client that hears those throws its session away. The REST
 * API answers `503 db_unavailable` in WordPress's error format, as the `db-error.php` drop-in does
 * when the database is away from the start. Nothing is half-written: every write that can fail
 * midway runs in a transaction that is rolled back.
 */
final class Storage_Unavailable extends OAuth_Error {

	/** Seconds a client should wait before trying again (`Retry-After`). */
	const RETRY_AFTER = 10;

	/**
	 * A 503 `temporarily_unavailable`.
	 */
	public function __construct() {
		parent::__construct(
			'temporarily_unavailable',
			__( 'The site could not reach its database. Try again in a few seconds.', 'wp-oauth' ),
			503,
			array( 'Retry-After' => (string) self::RETRY_AFTER )
		);
	}

	/**
	 * This error for a REST API route in WordPress's format: `503`, code `db_unavailable` (the
	 * code the `db-error.php` drop-in uses), `Retry-After` and `Cache-Control: no-store`.
	 *
	 * @return \WP_REST_Response
	 */
	public function rest_error(): \WP_REST_Response {
		$response = new \WP_REST_Response(
			array(
				'code'    => 'db_unavailable',
				'message' => $this->getMessage(),
				'data'    => array( 'status' => 503 ),
			),
			503
		);
		$response->set_headers( array_merge( array( 'Cache-Control' => 'no-store' ), $this->headers ) );
		return $response;
	}

	/**
	 * Throws when the query just run failed. Call it right after a query whose empty result would
	 * otherwise read as "not found" or "lost the race".
	 *
	 * @throws Storage_Unavailable When `$wpdb->last_error` is set (core clears it before every query).
	 */
	public static function check(): void {
		global $wpdb;
		if ( isset( $wpdb->last_error ) && '' !== (string) $wpdb->last_error ) {
			/**
			 * Fires when a query of the plugin failed and the request is answered 503.
			 *
			 * @param string $error The database's error message (no secrets: queries bind hashes only).
			 */
			do_action( 'wpoa_storage_unavailable', (string) $wpdb->last_error );
			throw new self();
		}
	}
}
