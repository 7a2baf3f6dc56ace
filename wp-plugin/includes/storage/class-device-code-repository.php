<?php
/**
 * Storage of device authorization requests (RFC 8628): device codes and user codes, hashed.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * One row per device authorization request (RFC 8628 §3.1–3.2), in the `oauth_device_codes`
 * table. Neither code is stored in plaintext:
 * - the device code is a 256-bit random string; its SHA-256 (base64url, 43 chars) is stored;
 * - the user code (8 characters of USER_CODE_ALPHABET, ≈34.6 bits, RFC 8628 §6.1) is short
 *   enough to be guessed offline from a plain hash, so an HMAC-SHA-256 keyed with the site's
 *   `auth` salt of its normalised form (upper case, no dash or space) is stored instead.
 *
 * Life of a row (`status`):
 * - `pending`: waiting for the user on the verification page;
 * - `approved` / `denied`: decided by a user (decide(), one conditional UPDATE: a user code
 *   is used for one decision only, by one user);
 * - `redeemed`: the device code was exchanged for tokens (`grant_id` set);
 * - `spent`: the client was told `access_denied`.
 * Every transition is a conditional UPDATE on the previous status, so of concurrent requests on
 * any PHP node exactly one wins. The last poll time (milliseconds) and the current polling
 * interval (seconds) live in the row too, for `slow_down` (RFC 8628 §3.5) shared by every node.
 */
final class Device_Code_Repository {

	/** User-code characters: consonants without look-alikes (no vowels, no 0/O, 1/I/L, 2/Z…; RFC 8628 §6.1). */
	const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

	/** Characters per user code: 20^8 ≈ 2^34.6 (RFC 8628 §6.1 asks for enough entropy against brute force). */
	const USER_CODE_LENGTH = 8;

	/** Default lifetime of a device code, in seconds (RFC 8628 §3.2 `expires_in`). */
	const LIFETIME = 600;

	/** Default minimum polling interval, in seconds (RFC 8628 §3.2 `interval`, default 5). */
	const INTERVAL = 5;

	/**
	 * Lifetime of new device codes: filter `wpoa_device_code_lifetime`, clamped to 60..1800 seconds.
	 *
	 * @return int Seconds.
	 */
	public static function lifetime(): int {
		/**
		 * Filters the lifetime of device codes and user codes, in seconds (60..1800).
		 *
		 * @param int $seconds Default 600.
		 */
		return max( 60, min( 1800, (int) apply_filters( 'wpoa_device_code_lifetime', self::LIFETIME ) ) );
	}

	/**
	 * Polling interval of new device codes: filter `wpoa_device_poll_interval`, clamped to 1..60 seconds.
	 *
	 * @return int Seconds.
	 */
	public static function interval(): int {
		/**
		 * Filters the minimum polling interval given to device clients, in seconds (1..60).
		 *
		 * @param int $seconds Default 5 (RFC 8628 §3.2).
		 */
		return max( 1, min( 60, (int) apply_filters( 'wpoa_device_poll_interval', self::INTERVAL ) ) );
	}

	/**
	 * A new random user code, uniformly drawn from USER_CODE_ALPHABET (no modulo bias).
	 *
	 * @return string 8 characters, without the dash.
	 */
	public static function generate_user_code(): string {
		$alphabet = self::USER_CODE_ALPHABET;
		$n        = strlen( $alphabet );
		$code     = '';
		for ( $i = 0; $i < self::USER_CODE_LENGTH; $i++ ) {
			$code .= $alphabet[ random_int( 0, $n - 1 ) ];
		}
		return $code;
	}

	/**
	 * A user code as typed, normalised (RFC 8628 §6.1: case- and punctuation-insensitive):
	 * upper case, dashes and white space removed.
	 *
	 * @param string $typed What the user typed (any bytes).
	 * @return string|null The 8 characters, or null when they are not a well-formed user code.
	 */
	public static function normalize_user_code( string $typed ): ?string {
		if ( strlen( $typed ) > 64 ) {
			return null;
		}
		$code = strtoupper( (string) preg_replace( '/[\s\-]+/', '', $typed ) );
		if ( self::USER_CODE_LENGTH !== strlen( $code ) || strspn( $code, self::USER_CODE_ALPHABET ) !== self::USER_CODE_LENGTH ) {
			return null;
		}
		return $code;
	}

	/**
	 * A user code as shown to people: `XXXX-XXXX`.
	 *
	 * @param string $code Normalised user code.
	 * @return string
	 */
	public static function format_user_code( string $code ): string {
		return substr( $code, 0, 4 ) . '-' . substr( $code, 4 );
	}

	/**
	 * The stored form of a normalised user code: HMAC-SHA-256 keyed with the `auth` salt, base64url.
	 *
	 * @param string $code Normalised user code.
	 * @return string 43 characters.
	 */
	public static function user_code_hash( string $code ): string {
		return rtrim( strtr( base64_encode( hash_hmac( 'sha256', $code, wp_salt( 'auth' ), true ) ), '+/', '-_' ), '=' ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- base64url of a hash.
	}

	/**
	 * Stores a new device authorization request.
	 *
	 * @param string $client_id Client.
	 * @param string $scope     Requested scope (canonical string).
	 * @param string $audience  Resource the tokens will be for (RFC 8707).
	 * @return array{device_code:string, user_code:string, expires_in:int, interval:int}|null
	 *         The plaintext codes (user code without dash), or null when the database refused the row.
	 * @throws Storage_Unavailable When the database did not answer.
	 */
	public static function create( string $client_id, string $scope, string $audience ): ?array {
		global $wpdb;
		$now      = time();
		$lifetime = self::lifetime();
		$interval = self::interval();
		// A user code may collide with a live one (1 in 2^34.6 per row): draw again.
		for ( $attempt = 0; $attempt < 3; $attempt++ ) {
			$device_code = Crypto::random_token( 32 );
			$user_code   = self::generate_user_code();
			$suppress    = $wpdb->suppress_errors( true );
			$ok          = $wpdb->insert(
				Schema::tables()['device_codes'],
				array(
					'device_code_hash' => Crypto::token_hash( $device_code ),
					'user_code_hash'   => self::user_code_hash( $user_code ),
					'client_id'        => $client_id,
					'scope'            => $scope,
					'audience'         => $audience,
					'status'           => 'pending',
					'poll_interval'    => $interval,
					'created_at'       => $now,
					'expires_at'       => $now + $lifetime,
				),
				array( '%s', '%s', '%s', '%s', '%s', '%s', '%d', '%d', '%d' )
			);
			$wpdb->suppress_errors( $suppress );
			if ( false !== $ok ) {
				return array(
					'device_code' => $device_code,
					'user_code'   => $user_code,
					'expires_in'  => $lifetime,
					'interval'    => $interval,
				);
			}
			// A duplicate user code is worth another draw; any other failure is not.
			if ( false === stripos( (string) $wpdb->last_error, 'duplicate' ) ) {
				Storage_Unavailable::check();
			}
		}
		return null;
	}

	/**
	 * Finds a row by the device code a client presents.
	 *
	 * @param string $device_code Presented device code (any bytes).
	 * @return object|null Row: id, client_id, scope, audience, status, user_id, auth_time,
	 *                     poll_interval (s), last_poll_ms, created_at, expires_at, decided_at, grant_id.
	 * @throws Storage_Unavailable When the database did not answer.
	 */
	public static function find_by_device_code( string $device_code ): ?object {
		global $wpdb;
		if ( '' === $device_code || strlen( $device_code ) > 512 ) {
			return null;
		}
		$t   = Schema::tables()['device_codes'];
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$t} WHERE device_code_hash = %s", Crypto::token_hash( $device_code ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		Storage_Unavailable::check();
		return $row ? $row : null;
	}

	/**
	 * Finds a pending, unexpired row by a normalised user code.
	 *
	 * @param string $code Normalised user code (normalize_user_code()).
	 * @return object|null Row as find_by_device_code(), or null when no pending request has it.
	 * @throws Storage_Unavailable When the database did not answer.
	 */
	public static function find_pending_by_user_code( string $code ): ?object {
		global $wpdb;
		$t   = Schema::tables()['device_codes'];
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$t} WHERE user_code_hash = %s AND status = 'pending' AND expires_at > %d", self::user_code_hash( $code ), time() ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		Storage_Unavailable::check();
		return $row ? $row : null;
	}

	/**
	 * Records a user's decision on a pending request (once: a second decision fails).
	 *
	 * @param int    $id        Row id.
	 * @param string $decision  `approved` or `denied`.
	 * @param int    $user_id   The deciding user.
	 * @param int    $auth_time When that user authenticated (Unix seconds).
	 * @return bool True when this call decided; false when the request was no longer pending or expired.
	 * @throws Storage_Unavailable When the database did not answer.
	 */
	public static function decide( int $id, string $decision, int $user_id, int $auth_time ): bool {
		global $wpdb;
		if ( ! in_array( $decision, array( 'approved', 'denied' ), true ) ) {
			return false;
		}
		$t       = Schema::tables()['device_codes'];
		$now     = time();
		$changed = $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET status = %s, user_id = %d, auth_time = %d, decided_at = %d WHERE id = %d AND status = 'pending' AND expires_at > %d", $decision, $user_id, $auth_time, $now, $id, $now ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		Storage_Unavailable::check();
		return 1 === $changed;
	}

	/**
	 * Moves a row from one status to another, atomically.
	 *
	 * @param int    $id   Row id.
	 * @param string $from Expected status.
	 * @param string $to   New status.
	 * @return bool True when this call made the change.
	 * @throws Storage_Unavailable When the database did not answer.
	 */
	public static function transition( int $id, string $from, string $to ): bool {
		global $wpdb;
		$t       = Schema::tables()['device_codes'];
		$changed = $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET status = %s WHERE id = %d AND status = %s", $to, $id, $from ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		Storage_Unavailable::check();
		return 1 === $changed;
	}

	/**
	 * Records a poll, atomically against the poll it follows (compare-and-set on last_poll_ms).
	 *
	 * @param int $id           Row id.
	 * @param int $previous_ms  The last_poll_ms read with the row.
	 * @param int $now_ms       This poll's time, Unix milliseconds.
	 * @param int $interval     The polling interval from now on, in seconds.
	 * @return bool False when another poll of the same device code was recorded in between.
	 * @throws Storage_Unavailable When the database did not answer.
	 */
	public static function record_poll( int $id, int $previous_ms, int $now_ms, int $interval ): bool {
		global $wpdb;
		$t       = Schema::tables()['device_codes'];
		$changed = $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET last_poll_ms = %d, poll_interval = %d WHERE id = %d AND last_poll_ms = %d", $now_ms, $interval, $id, $previous_ms ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		Storage_Unavailable::check();
		return 1 === $changed;
	}

	/**
	 * Records the grant a redeemed device code produced.
	 *
	 * @param int $id       Row id.
	 * @param int $grant_id The grant.
	 * @return bool
	 */
	public static function attach_grant( int $id, int $grant_id ): bool {
		global $wpdb;
		$t = Schema::tables()['device_codes'];
		return 1 === $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET grant_id = %d WHERE id = %d AND grant_id IS NULL", $grant_id, $id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Deletes rows that expired before a time, whatever their status. For the cleanup job.
	 *
	 * @param int $before Unix seconds; default now minus one hour.
	 * @param int $limit  Most rows deleted by this call (1..10000).
	 * @return int Rows deleted.
	 */
	public static function delete_expired( int $before = 0, int $limit = 1000 ): int {
		global $wpdb;
		$t      = Schema::tables()['device_codes'];
		$before = $before > 0 ? $before : time() - HOUR_IN_SECONDS;
		return (int) $wpdb->query( $wpdb->prepare( "DELETE FROM {$t} WHERE expires_at < %d ORDER BY expires_at LIMIT %d", $before, max( 1, min( 10000, $limit ) ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}
}
