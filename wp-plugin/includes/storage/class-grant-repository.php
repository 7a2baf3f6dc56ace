<?php
/**
 * Storage of grants (one per approved authorization) and revoked access-token ids.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * A grant is what a user approved for a client: it holds the scope, the
 * audience and the status. Every access token names its grant (`grant_id`
 * claim) and every refresh token belongs to one; revoking the grant stops all
 * of them at once (RFC 9700 §4.14.2, RFC 7009 §2.1).
 *
 * Bearer checks: with a persistent object cache the grant state and the jti
 * deny-list are read from the cache (no SQL); without one, the recent-revocation
 * list (Revocation_List, an autoloaded option every revocation writes to) answers,
 * and bearer_state() — a single primary-key query — only runs when the list cannot
 * tell (missing, overflowed).
 *
 * The cache only ever holds copies: every revocation is written to its table first. Readers
 * fill the cache with wp_cache_add() (only where nothing is cached), revocations overwrite
 * the entry with the revoked state (wp_cache_set()), so a reader that read the row just before
 * a revocation can never put its stale "active" copy over the revocation's. A lost cache
 * (restart, eviction, outage) only means the next check reads the database again.
 */
final class Grant_Repository {

	/** Object cache group. */
	const CACHE_GROUP = 'wpoa';

	/** Default seconds a grant state or jti entry stays in the object cache (filter `wpoa_grant_cache_ttl`). */
	const CACHE_TTL = HOUR_IN_SECONDS;

	/**
	 * Seconds a grant state or jti entry stays in the persistent object cache.
	 *
	 * @return int Seconds, 60 … 1 day (default CACHE_TTL).
	 */
	public static function cache_ttl(): int {
		/**
		 * Filters how long a grant's state and a token's jti entry stay in the persistent object
		 * cache. Revocations overwrite the entry, so this does not delay them; it bounds how long a
		 * cache that missed a revocation's write (an outage it came back from with its old
		 * entries, without being flushed) can serve the old state, at the price of one grant query
		 * per grant and lifetime.
		 *
		 * @param int $seconds Default 3600.
		 */
		return max( MINUTE_IN_SECONDS, min( DAY_IN_SECONDS, (int) apply_filters( 'wpoa_grant_cache_ttl', self::CACHE_TTL ) ) );
	}

	/**
	 * Creates an active grant.
	 *
	 * @param string $client_id Client.
	 * @param int    $user_id   User who approved.
	 * @param string $scope     Granted scope (canonical string).
	 * @param string $audience  Resource the tokens are for (RFC 8707).
	 * @param int    $auth_time When the user authenticated (Unix seconds).
	 * @return int The grant id, or 0 when the insert failed.
	 */
	public static function create( string $client_id, int $user_id, string $scope, string $audience, int $auth_time ): int {
		global $wpdb;
		$now = time();
		/**
		 * Filters the absolute lifetime of a grant (and so of its refresh-token chain), in seconds.
		 *
		 * @param int $seconds Default 365 days.
		 */
		$lifetime = (int) apply_filters( 'wpoa_grant_lifetime', 365 * DAY_IN_SECONDS );
		$ok       = $wpdb->insert(
			Schema::tables()['grants'],
			array(
				'client_id'  => $client_id,
				'user_id'    => $user_id,
				'scope'      => $scope,
				'audience'   => $audience,
				'status'     => 'active',
				'auth_time'  => $auth_time,
				'created_at' => $now,
				'updated_at' => $now,
				'expires_at' => $now + max( 60, $lifetime ),
			)
		);
		if ( false === $ok ) {
			return 0;
		}
		$grant_id = (int) $wpdb->insert_id;
		Revocation_List::note_grant( $grant_id );
		return $grant_id;
	}

	/**
	 * A grant row.
	 *
	 * @param int $grant_id Grant id.
	 * @return object|null Row with id, client_id, user_id, scope, audience, status, auth_time, created_at, expires_at, revoked_at, last_used_at, last_used_ip.
	 * @throws Storage_Unavailable When the database did not answer.
	 */
	public static function find( int $grant_id ): ?object {
		global $wpdb;
		$t   = Schema::tables()['grants'];
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$t} WHERE id = %d", $grant_id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		Storage_Unavailable::check();
		return $row ? $row : null;
	}

	/**
	 * Whether a grant is usable now: active and within its absolute lifetime.
	 *
	 * @param object|null $grant Row from find().
	 * @return bool
	 */
	public static function is_active( ?object $grant ): bool {
		return null !== $grant && 'active' === $grant->status && (int) $grant->expires_at > time();
	}

	/**
	 * What bearer authentication needs to know about a token's grant and jti.
	 *
	 * @param int    $grant_id The token's `grant_id` claim.
	 * @param string $jti      The token's `jti` claim.
	 * @return array{active:bool, user_id:int, client_id:string, last_used_at:int, expires_at:int, jti_revoked:bool}
	 * @throws Storage_Unavailable When the database did not answer (never read as "revoked").
	 */
	public static function bearer_state( int $grant_id, string $jti ): array {
		global $wpdb;
		$persistent = wp_using_ext_object_cache();
		if ( $persistent ) {
			$grant = wp_cache_get( 'grant:' . $grant_id, self::CACHE_GROUP );
			$jtirv = wp_cache_get( 'jti:' . $jti, self::CACHE_GROUP );
			if ( is_array( $grant ) && false !== $jtirv ) {
				// The cached state is a snapshot: the absolute lifetime is re-checked on every read.
				$grant['active'] = ! empty( $grant['active'] ) && (int) ( $grant['expires_at'] ?? 0 ) > time();
				return array_merge( $grant, array( 'jti_revoked' => (bool) $jtirv ) );
			}
		}
		$g   = Schema::tables()['grants'];
		$r   = Schema::tables()['revoked_tokens'];
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT g.user_id, g.client_id, g.status, g.expires_at, g.last_used_at, EXISTS(SELECT 1 FROM {$r} WHERE jti = %s) AS jti_revoked FROM {$g} g WHERE g.id = %d", $jti, $grant_id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		Storage_Unavailable::check();
		$state = array(
			'active'    => $row && 'active' === $row->status && (int) $row->expires_at > time(),
			'user_id'   => $row ? (int) $row->user_id : 0,
			'client_id' => $row ? (string) $row->client_id : '',
			'last_used_at' => $row && null !== $row->last_used_at ? (int) $row->last_used_at : 0,
			'expires_at'   => $row ? (int) $row->expires_at : 0,
		);
		$revoked = $row ? (bool) $row->jti_revoked : false;
		if ( $persistent ) {
			// add, not set: a revocation that landed since the query above has already written
			// its state, and it must win over this read.
			wp_cache_add( 'grant:' . $grant_id, $state, self::CACHE_GROUP, self::cache_ttl() );
			wp_cache_add( 'jti:' . $jti, $revoked ? 1 : 0, self::CACHE_GROUP, self::cache_ttl() );
		}
		return array_merge( $state, array( 'jti_revoked' => $revoked ) );
	}

	/**
	 * Revokes a grant (and with it every access and refresh token it issued).
	 *
	 * @param int    $grant_id Grant id.
	 * @param string $reason   Machine-readable reason, e.g. `user_revoked`, `refresh_reuse`, `code_replay`.
	 * @return bool True when an active grant was revoked by this call.
	 */
	public static function revoke( int $grant_id, string $reason ): bool {
		global $wpdb;
		$t       = Schema::tables()['grants'];
		$now     = time();
		$changed = $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET status = 'revoked', revoked_reason = %s, revoked_at = %d, updated_at = %d WHERE id = %d AND status = 'active'", $reason, $now, $now, $grant_id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( false === $changed ) {
			// Not revoked in the database: the cache must not claim it was.
			wp_cache_delete( 'grant:' . $grant_id, self::CACHE_GROUP );
		} else {
			// The row says revoked (now or before): so does every node's next check, without a
			// query, and no reader's older copy can replace it (bearer_state() only adds).
			wp_cache_set( 'grant:' . $grant_id, self::revoked_state(), self::CACHE_GROUP, self::cache_ttl() );
		}
		if ( $changed ) {
			// Seen by every node's next bearer check without a query of its own.
			Revocation_List::add_grant( $grant_id );
			/**
			 * Fires when a grant is revoked: every token it issued stops working.
			 *
			 * @param int    $grant_id Grant id.
			 * @param string $reason   Why (`user_revoked`, `refresh_reuse`, `code_replay`, `client_deleted`, `user_deleted`, `password_changed`, `token_revoked`, …).
			 */
			do_action( 'wpoa_grant_revoked', $grant_id, $reason );
		}
		return (bool) $changed;
	}

	/**
	 * The cached state of a revoked (or missing) grant, as bearer_state() returns it.
	 *
	 * @return array{active:bool, user_id:int, client_id:string, last_used_at:int, expires_at:int}
	 */
	private static function revoked_state(): array {
		return array(
			'active'       => false,
			'user_id'      => 0,
			'client_id'    => '',
			'last_used_at' => 0,
			'expires_at'   => 0,
		);
	}

	/**
	 * Notes in the persistent object cache that a just-minted access token id is not
	 * deny-listed (it is new: nothing can have revoked it), so the token's first bearer check
	 * needs no query either. Without a persistent object cache it does nothing.
	 *
	 * @param string $jti Token id, fresh from Token_Issuer::access_token().
	 * @param int    $ttl Seconds until the token expires.
	 */
	public static function note_fresh_jti( string $jti, int $ttl ): void {
		if ( wp_using_ext_object_cache() ) {
			wp_cache_add( 'jti:' . $jti, 0, self::CACHE_GROUP, max( 1, min( self::cache_ttl(), $ttl + 2 * Keys::LEEWAY ) ) );
		}
	}

	/**
	 * Revokes every active grant matching a column.
	 *
	 * @param string $column `user_id` or `client_id`.
	 * @param mixed  $value  Value.
	 * @param string $reason Reason, as in revoke().
	 * @return int Number of grants revoked.
	 */
	private static function revoke_where( string $column, $value, string $reason ): int {
		global $wpdb;
		$t   = Schema::tables()['grants'];
		$ids = 'user_id' === $column
			? $wpdb->get_col( $wpdb->prepare( "SELECT id FROM {$t} WHERE user_id = %d AND status = 'active'", (int) $value ) ) // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			: $wpdb->get_col( $wpdb->prepare( "SELECT id FROM {$t} WHERE client_id = %s AND status = 'active'", (string) $value ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$n = 0;
		foreach ( $ids as $id ) {
			$n += self::revoke( (int) $id, $reason ) ? 1 : 0;
		}
		return $n;
	}

	/**
	 * Number of grants that are active and not past their absolute expiry (index status_expires).
	 *
	 * @param int $now Unix seconds.
	 * @return int|null Null when the query failed (the count is unknown, not zero).
	 */
	public static function count_active( int $now ): ?int {
		global $wpdb;
		$t = Schema::tables()['grants'];
		$n = $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$t} WHERE status = 'active' AND expires_at > %d", $now ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		return null === $n || '' !== $wpdb->last_error ? null : (int) $n;
	}

	/**
	 * Revokes every active grant of a user.
	 *
	 * @param int    $user_id User.
	 * @param string $reason  Reason.
	 * @return int Number revoked.
	 */
	public static function revoke_for_user( int $user_id, string $reason ): int {
		return self::revoke_where( 'user_id', $user_id, $reason );
	}

	/**
	 * Revokes every active grant of a client.
	 *
	 * @param string $client_id Client.
	 * @param string $reason    Reason.
	 * @return int Number revoked.
	 */
	public static function revoke_for_client( string $client_id, string $reason ): int {
		return self::revoke_where( 'client_id', $client_id, $reason );
	}

	/**
	 * Adds an access token's `jti` to the deny-list until its `exp` (RFC 7009 §2).
	 *
	 * @param string $jti      Token id.
	 * @param int    $grant_id Its grant.
	 * @param int    $exp      Its expiry (Unix seconds); the row can go after that.
	 */
	public static function revoke_jti( string $jti, int $grant_id, int $exp ): void {
		global $wpdb;
		$t = Schema::tables()['revoked_tokens'];
		$stored = $wpdb->query( $wpdb->prepare( "INSERT IGNORE INTO {$t} (jti, grant_id, expires_at) VALUES (%s, %d, %d)", $jti, $grant_id, $exp ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( false === $stored ) {
			wp_cache_delete( 'jti:' . $jti, self::CACHE_GROUP );
		} else {
			wp_cache_set( 'jti:' . $jti, 1, self::CACHE_GROUP, self::cache_ttl() );
		}
		Revocation_List::add_jti( $jti, $exp );
		do_action( 'wpoa_access_token_revoked', $jti, $grant_id );
	}

	/**
	 * Whether the user already approved this client for at least this scope
	 * (an active grant whose scope contains every requested token).
	 *
	 * @param int    $user_id   User.
	 * @param string $client_id Client.
	 * @param string $scope     Requested scope.
	 * @return bool
	 */
	public static function has_consent( int $user_id, string $client_id, string $scope ): bool {
		foreach ( self::active_for_user( $user_id, $client_id ) as $grant ) {
			if ( Scopes::is_subset( $scope, (string) $grant->scope ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Whether the user ever approved this client (any grant, active or not).
	 *
	 * @param int    $user_id   User.
	 * @param string $client_id Client.
	 * @return bool
	 */
	public static function approved_before( int $user_id, string $client_id ): bool {
		global $wpdb;
		$t = Schema::tables()['grants'];
		return (bool) $wpdb->get_var( $wpdb->prepare( "SELECT 1 FROM {$t} WHERE user_id = %d AND client_id = %s LIMIT 1", $user_id, $client_id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Active grants of a user, newest first, optionally for one client.
	 *
	 * @param int         $user_id   User.
	 * @param string|null $client_id Client filter.
	 * @return object[]
	 */
	public static function active_for_user( int $user_id, ?string $client_id = null ): array {
		global $wpdb;
		$t   = Schema::tables()['grants'];
		$now = time();
		if ( null === $client_id ) {
			return (array) $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$t} WHERE user_id = %d AND status = 'active' AND expires_at > %d ORDER BY id DESC", $user_id, $now ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		}
		return (array) $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$t} WHERE user_id = %d AND client_id = %s AND status = 'active' AND expires_at > %d ORDER BY id DESC", $user_id, $client_id, $now ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Records use of a grant (last used time and IP), at most once a minute.
	 *
	 * @param int    $grant_id     Grant id.
	 * @param string $ip           Client IP.
	 * @param int    $last_used_at Last recorded use when known (from bearer_state()), to skip the write.
	 */
	public static function touch( int $grant_id, string $ip, int $last_used_at = 0 ): void {
		global $wpdb;
		if ( $last_used_at > time() - MINUTE_IN_SECONDS ) {
			return;
		}
		$key = 'touched:' . $grant_id;
		if ( wp_cache_get( $key, self::CACHE_GROUP ) ) {
			return;
		}
		wp_cache_set( $key, 1, self::CACHE_GROUP, MINUTE_IN_SECONDS );
		$t   = Schema::tables()['grants'];
		$now = time();
		$wpdb->query( $wpdb->prepare( "UPDATE {$t} SET last_used_at = %d, last_used_ip = %s WHERE id = %d AND (last_used_at IS NULL OR last_used_at < %d)", $now, substr( $ip, 0, 45 ), $grant_id, $now - MINUTE_IN_SECONDS ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Deletes deny-listed access-token ids whose token expired before `$before`.
	 *
	 * @param int $before Unix seconds (callers pass now minus the verification leeway).
	 * @param int $limit  Most rows deleted by this call (1..10000).
	 * @return int Rows deleted.
	 */
	public static function delete_expired_jtis( int $before, int $limit ): int {
		global $wpdb;
		$t = Schema::tables()['revoked_tokens'];
		return (int) $wpdb->query( $wpdb->prepare( "DELETE FROM {$t} WHERE expires_at < %d ORDER BY expires_at ASC LIMIT %d", $before, max( 1, min( 10000, $limit ) ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Deletes grants that ended before `$before` — revoked then, or past their absolute
	 * expiry then — together with their refresh tokens. Active, unexpired grants are never touched.
	 * Each kind is found by a range scan of its own index (`expires_at`, `revoked_at`), so the
	 * cost follows the rows deleted, not the size of the table (a site with 10^6 grants and
	 * nothing to delete reads no rows).
	 *
	 * @param int $before Unix seconds.
	 * @param int $limit  Most grants deleted by this call (1..1000).
	 * @return int Grants deleted.
	 */
	public static function delete_ended( int $before, int $limit ): int {
		global $wpdb;
		$t       = Schema::tables()['grants'];
		$limit   = max( 1, min( 1000, $limit ) );
		$expired = (array) $wpdb->get_col( $wpdb->prepare( "SELECT id FROM {$t} WHERE expires_at < %d ORDER BY expires_at ASC LIMIT %d", $before, $limit ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$revoked = count( $expired ) < $limit
			? (array) $wpdb->get_col( $wpdb->prepare( "SELECT id FROM {$t} WHERE revoked_at < %d AND status <> 'active' ORDER BY revoked_at ASC LIMIT %d", $before, $limit - count( $expired ) ) ) // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			: array();
		$ids     = array_values( array_unique( array_map( 'intval', array_merge( $expired, $revoked ) ) ) );
		if ( array() === $ids ) {
			return 0;
		}
		Refresh_Token_Repository::delete_for_grants( $ids );
		$placeholders = implode( ',', array_fill( 0, count( $ids ), '%d' ) );
		$deleted      = (int) $wpdb->query( $wpdb->prepare( "DELETE FROM {$t} WHERE id IN ({$placeholders})", $ids ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQLPlaceholders.UnfinishedPrepare
		foreach ( $ids as $id ) {
			wp_cache_delete( 'grant:' . $id, self::CACHE_GROUP );
		}
		return $deleted;
	}

	/**
	 * Runs $fn inside one database transaction: COMMIT when it returns, ROLLBACK when it throws.
	 * A PHP worker that dies in between leaves nothing behind, because MariaDB/MySQL roll back
	 * the open transaction when the connection drops (InnoDB tables). Used where one request
	 * writes several rows that only make sense together (a grant and its first refresh token).
	 * Do not nest: START TRANSACTION commits a transaction that is already open.
	 *
	 * @param callable $fn Work; its return value is returned.
	 * @return mixed What $fn returned.
	 * @throws \Throwable Whatever $fn threw, after the rollback.
	 */
	public static function atomically( callable $fn ) {
		global $wpdb;
		$wpdb->query( 'START TRANSACTION' );
		try {
			$result = $fn();
		} catch ( \Throwable $e ) {
			$wpdb->query( 'ROLLBACK' );
			throw $e;
		}
		$wpdb->query( 'COMMIT' );
		return $result;
	}
}
