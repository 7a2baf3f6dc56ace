<?php
/**
 * Storage of authorization codes (hashed, single-use, short-lived).
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Authorization codes (RFC 6749 §4.1.2, §10.5): 256-bit random strings from the
 * extension; only their SHA-256 (base64url, 43 chars) is stored. A code is bound
 * to its client, the exact redirect URI, the PKCE challenge (RFC 7636), the user,
 * the scope and the audience (RFC 8707), lives LIFETIME seconds and can be
 * redeemed once: consume() marks it used with a conditional UPDATE, so of any
 * number of concurrent exchanges (on any PHP node) exactly one wins.
 *
 * `grant_id` links a redeemed code to the grant it produced, so that a replay can
 * revoke what the code issued (RFC 6749 §4.1.2). A replay seen before the winner
 * attached its grant leaves the marker grant_id = 0; attach_grant() then fails and
 * the winner revokes its own grant (see Grant_Authorization_Code).
 */
final class Code_Repository {

	/** Default lifetime of a code, in seconds (RFC 6749 §4.1.2 recommends at most 10 minutes). */
	const LIFETIME = 60;

	/**
	 * Lifetime of new codes in seconds: filter `wpoa_code_lifetime`, clamped to 10..600.
	 *
	 * @return int
	 */
	public static function lifetime(): int {
		/**
		 * Filters the lifetime of authorization codes, in seconds (10..600).
		 *
		 * @param int $seconds Default 60.
		 */
		return max( 10, min( 600, (int) apply_filters( 'wpoa_code_lifetime', self::LIFETIME ) ) );
	}

	/**
	 * Stores a new code and returns its plaintext (given to the client once, in the redirect).
	 *
	 * @param array $fields {
	 *     @type string $client_id      Client the code is issued to.
	 *     @type int    $user_id        User who approved.
	 *     @type string $redirect_uri   The exact redirect URI the code is sent to.
	 *     @type string $code_challenge PKCE S256 challenge (43 chars base64url).
	 *     @type string $scope          Approved scope (canonical string).
	 *     @type string $audience       Resource the tokens are for (RFC 8707).
	 *     @type int    $auth_time      When the user authenticated (Unix seconds).
	 * }
	 * @return string|null The code, or null when the database refused the row.
	 */
	public static function create( array $fields ): ?string {
		global $wpdb;
		$code = Crypto::random_token( 32 );
		$now  = time();
		$ok   = $wpdb->insert(
			Schema::tables()['codes'],
			array(
				'code_hash'      => Crypto::token_hash( $code ),
				'client_id'      => (string) $fields['client_id'],
				'user_id'        => (int) $fields['user_id'],
				'redirect_uri'   => (string) $fields['redirect_uri'],
				'code_challenge' => (string) $fields['code_challenge'],
				'scope'          => (string) $fields['scope'],
				'audience'       => (string) $fields['audience'],
				'auth_time'      => (int) $fields['auth_time'],
				'created_at'     => $now,
				'expires_at'     => $now + self::lifetime(),
			),
			array( '%s', '%s', '%d', '%s', '%s', '%s', '%s', '%d', '%d', '%d' )
		);
		return false === $ok ? null : $code;
	}

	/**
	 * Finds a code row by the presented code.
	 *
	 * @param string $code Presented code (any bytes: it comes from the request).
	 * @return object|null Row: id, code_hash, client_id, user_id, redirect_uri, code_challenge,
	 *                     scope, audience, auth_time, created_at, expires_at, used_at (null = unused),
	 *                     grant_id (null = none yet, 0 = replay seen before a grant was attached).
	 */
	public static function find( string $code ): ?object {
		global $wpdb;
		if ( '' === $code || strlen( $code ) > 512 ) {
			return null;
		}
		$t   = Schema::tables()['codes'];
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$t} WHERE code_hash = %s", Crypto::token_hash( $code ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		Storage_Unavailable::check();
		return $row ? $row : null;
	}

	/**
	 * Marks a code used, atomically: only the first caller gets true.
	 *
	 * @param int $id Row id.
	 * @return bool True when this call redeemed the code; false when it was already used.
	 */
	public static function consume( int $id ): bool {
		global $wpdb;
		$t = Schema::tables()['codes'];
		$changed = $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET used_at = %d WHERE id = %d AND used_at IS NULL", time(), $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		Storage_Unavailable::check();
		return 1 === $changed;
	}

	/**
	 * Records the grant a redeemed code produced.
	 *
	 * @param int $id       Row id.
	 * @param int $grant_id The grant.
	 * @return bool False when a replay was recorded first (grant_id = 0): the caller must revoke the grant.
	 */
	public static function attach_grant( int $id, int $grant_id ): bool {
		global $wpdb;
		$t = Schema::tables()['codes'];
		return 1 === $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET grant_id = %d WHERE id = %d AND grant_id IS NULL", $grant_id, $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Records a replay of a redeemed code and returns the grant to revoke.
	 *
	 * @param int $id Row id.
	 * @return int The grant the code produced (revoke it), or 0 when none was attached yet
	 *             (the marker left here makes the winner revoke its grant itself).
	 */
	public static function mark_replayed( int $id ): int {
		global $wpdb;
		$t = Schema::tables()['codes'];
		$wpdb->query( $wpdb->prepare( "UPDATE {$t} SET grant_id = 0 WHERE id = %d AND grant_id IS NULL", $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		return (int) $wpdb->get_var( $wpdb->prepare( "SELECT grant_id FROM {$t} WHERE id = %d", $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Deletes codes that expired before a time (used or not). For the cleanup job.
	 *
	 * @param int $before Unix seconds; default now minus one hour (replays within the hour still revoke).
	 * @param int $limit  Most rows deleted by this call (a bounded batch; 1..10000).
	 * @return int Rows deleted.
	 */
	public static function delete_expired( int $before = 0, int $limit = 1000 ): int {
		global $wpdb;
		$t      = Schema::tables()['codes'];
		$before = $before > 0 ? $before : time() - HOUR_IN_SECONDS;
		return (int) $wpdb->query( $wpdb->prepare( "DELETE FROM {$t} WHERE expires_at < %d ORDER BY expires_at LIMIT %d", $before, max( 1, min( 10000, $limit ) ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}
}
