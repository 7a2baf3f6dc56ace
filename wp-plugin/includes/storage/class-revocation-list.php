<?php
/**
 * The recent-revocation list: what was revoked within one access-token lifetime,
 * carried by WordPress's autoloaded options so bearer checks need no query.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * A small, bounded list of the grants and access-token ids (`jti`) revoked recently
 * enough that a token they cover may still be unexpired. It lives in one autoloaded
 * option (OPTION), so the `alloptions` load that every WordPress request already
 * makes brings it along: a bearer request that finds neither its grant nor its jti
 * in the list needs no query of its own (see docs/decisions/revocation-without-a-query.md).
 *
 * Value: a plain string (never PHP-serialized, so SQL can append to it atomically):
 *   `wpoa1` then entries `;g<grant id>@<until>`, `;j<jti>@<until>` and overflow markers
 *   `;o@<until>`, <until> in Unix seconds. An entry may be dropped once <until> passed.
 *
 * Writers (Grant_Repository::revoke(), ::revoke_jti()) append with one `UPDATE … CONCAT()`
 * statement on the option row after writing their own row, so concurrent revocations on
 * several nodes never lose one another. When an append would pass MAX_BYTES, the same
 * statement replaces the whole list with an overflow marker valid for one window: until
 * then every bearer check falls back to the database query (Grant_Repository::bearer_state()).
 * Dropping the entries is safe because each of them ends before the marker does.
 *
 * Readers treat a missing or foreign value as "unknown" (query), so a site upgraded from a
 * version without the list, or a list that could not be written, fails closed.
 */
final class Revocation_List {

	/** Option name (autoloaded). */
	const OPTION = 'wpoa_revocation_list';

	/**
	 * Option (autoloaded) holding the highest grant id ever created: a token naming a higher one
	 * (a grant that never existed here, e.g. after a database backup was restored) is checked in
	 * the database.
	 */
	const HIGH_WATER = 'wpoa_grant_id_max';

	/** Value prefix: the format version. */
	const HEADER = 'wpoa1';

	/** Largest value in bytes before the list overflows (about 250 grant or 200 jti entries). */
	const MAX_BYTES = 8192;

	/**
	 * Seconds an entry stays, on top of the access-token lifetime: clock leeway of the
	 * verifiers plus the same again for a token minted while its grant was being revoked.
	 *
	 * @return int Seconds.
	 */
	public static function window(): int {
		return Token_Issuer::access_token_lifetime() + 2 * Keys::LEEWAY;
	}

	/**
	 * What the list says about a verified access token, without any query when the
	 * options are loaded.
	 *
	 * @param int    $grant_id The token's `grant_id` claim.
	 * @param string $jti      The token's `jti` claim.
	 * @param int    $iat      Its `iat` (Unix seconds).
	 * @param int    $exp      Its `exp` (Unix seconds).
	 * @return bool|null True: revoked. False: not revoked (nothing revoked it within the
	 *                   window). Null: the list cannot tell (missing, overflowed, a grant id
	 *                   above the high-water mark, or a token that outlives the window): ask
	 *                   the database.
	 */
	public static function lookup( int $grant_id, string $jti, int $iat, int $exp ): ?bool {
		// Straight from the autoloaded options (what get_option() would return for them, without
		// its per-call filters); get_option() only when the list is not among them.
		$all  = Urls::loaded_options();
		$list = isset( $all[ self::OPTION ] ) ? $all[ self::OPTION ] : get_option( self::OPTION, false );
		if ( false === $list ) {
			// Missing (a site that ran an older version, or a failed write deleted it): create
			// it as overflowed, since revocations made without it are not in it.
			self::mark_overflow();
			return null;
		}
		if ( ! is_string( $list ) || 0 !== strncmp( $list, self::HEADER, 5 ) ) {
			return null;
		}
		if ( false !== strpos( $list, ';g' . $grant_id . '@' ) || false !== strpos( $list, ';j' . $jti . '@' ) ) {
			return true;
		}
		// A grant this database never created (restored backup, forged with the site's key).
		if ( $grant_id > (int) ( isset( $all[ self::HIGH_WATER ] ) ? $all[ self::HIGH_WATER ] : get_option( self::HIGH_WATER, 0 ) ) ) {
			return null;
		}
		// A token issued under a longer lifetime than today's could outlive the entries.
		if ( $exp - $iat > Token_Issuer::access_token_lifetime() ) {
			return null;
		}
		if ( false !== strpos( $list, ';o@' ) && self::overflow_until( $list ) >= time() ) {
			return null;
		}
		return false;
	}

	/**
	 * Creates the list on a fresh install, empty: no token exists yet, so nothing can be
	 * missing from it. Sites that ran an older version get it (overflowed) on the first
	 * bearer check instead, see lookup().
	 *
	 * @param bool $fresh Whether the plugin's tables were just created for the first time.
	 */
	public static function install( bool $fresh ): void {
		if ( $fresh && false === get_option( self::OPTION, false ) ) {
			self::create( self::HEADER );
			self::forget_cached();
		}
	}

	/**
	 * Raises the grant-id high-water mark (Grant_Repository::create() calls it right after the
	 * insert, before any token of the grant exists). Atomic (`GREATEST()` in SQL); when it fails
	 * the grant's tokens are simply checked in the database.
	 *
	 * @param int $grant_id The new grant's id.
	 */
	public static function note_grant( int $grant_id ): void {
		global $wpdb;
		$sql     = "UPDATE {$wpdb->options} SET option_value = GREATEST(CAST(option_value AS UNSIGNED), %d) WHERE option_name = %s"; // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$changed = $wpdb->query( $wpdb->prepare( $sql, $grant_id, self::HIGH_WATER ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		if ( 0 === $changed && null === $wpdb->get_var( $wpdb->prepare( "SELECT 1 FROM {$wpdb->options} WHERE option_name = %s", self::HIGH_WATER ) ) ) { // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$wpdb->query( $wpdb->prepare( "INSERT IGNORE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES (%s, %s, 'yes')", self::HIGH_WATER, (string) $grant_id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$wpdb->query( $wpdb->prepare( $sql, $grant_id, self::HIGH_WATER ) ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
		}
		wp_cache_delete( self::HIGH_WATER, 'options' );
		self::forget_cached();
	}

	/**
	 * Records a revoked grant: every access token naming it is refused.
	 *
	 * @param int $grant_id Grant id.
	 * @return bool Whether the entry (or an overflow marker) was written.
	 */
	public static function add_grant( int $grant_id ): bool {
		return self::append( ';g' . $grant_id . '@' . ( time() + self::window() ) );
	}

	/**
	 * Records a revoked access token (RFC 7009 §2.2) until it would have expired.
	 *
	 * @param string $jti Token id (`jti`), at most 64 bytes.
	 * @param int    $exp Its `exp` (Unix seconds).
	 * @return bool Whether the entry (or an overflow marker) was written.
	 */
	public static function add_jti( string $jti, int $exp ): bool {
		if ( '' === $jti || 1 === preg_match( '/[;@]/', $jti ) ) {
			// Not expressible in the list: make every check ask the database for a window.
			return self::mark_overflow();
		}
		return self::append( ';j' . $jti . '@' . ( max( $exp, time() ) + 2 * Keys::LEEWAY ) );
	}

	/**
	 * Makes every bearer check ask the database until one window from now (used on
	 * creation, when an entry cannot be written, and when the list is full).
	 *
	 * @return bool Whether the marker was written.
	 */
	public static function mark_overflow(): bool {
		global $wpdb;
		$value = self::HEADER . ';o@' . ( time() + self::window() );
		$ok    = $wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->options} SET option_value = %s WHERE option_name = %s", $value, self::OPTION ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( false !== $ok && 0 === (int) $ok ) {
			$ok = self::create( $value );
		}
		self::forget_cached();
		return false !== $ok;
	}

	/**
	 * Appends an entry in one statement; replaces the list with an overflow marker when it
	 * would grow past MAX_BYTES; creates the list (as overflowed, since revocations made
	 * before it existed are not in it) when it is missing. A failed write is followed by
	 * mark_overflow(), then by deleting the option (readers then ask the database).
	 *
	 * @param string $entry `;g…@…` or `;j…@…`.
	 * @return bool Whether the list now covers the revocation.
	 */
	private static function append( string $entry ): bool {
		global $wpdb;
		$overflow = self::HEADER . ';o@' . ( time() + self::window() ) . $entry;
		$changed  = $wpdb->query(
			$wpdb->prepare(
				"UPDATE {$wpdb->options} SET option_value = IF(LEFT(option_value, 5) = %s AND CHAR_LENGTH(option_value) + %d <= %d, CONCAT(option_value, %s), %s) WHERE option_name = %s", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				self::HEADER,
				strlen( $entry ),
				self::MAX_BYTES,
				$entry,
				$overflow,
				self::OPTION
			)
		);
		if ( false !== $changed && 0 === (int) $changed ) {
			// No row: the list does not exist yet (or the entry was already there).
			$changed = self::create( $overflow );
		}
		$ok = false !== $changed;
		if ( ! $ok ) {
			$ok = self::mark_overflow();
		}
		if ( ! $ok ) {
			// Last resort: without the option every reader asks the database.
			$ok = false !== $wpdb->delete( $wpdb->options, array( 'option_name' => self::OPTION ) );
		}
		self::forget_cached();
		if ( ! $ok ) {
			/**
			 * Fires when a revocation landed in its table but not in the recent-revocation list
			 * (the database refused every write to the option row). Until the list is written
			 * again, nodes without a persistent object cache may accept tokens of that grant.
			 *
			 * @param string $entry The entry that could not be written (`;g<grant id>@<until>` or `;j<jti>@<until>`).
			 */
			do_action( 'wpoa_revocation_list_write_failed', $entry );
			return false;
		}
		self::maybe_prune();
		return true;
	}

	/**
	 * Inserts the option row unless a concurrent writer created it first; then appends
	 * nothing more (the caller's entry is part of `$value`).
	 *
	 * @param string $value Initial value.
	 * @return int|false Rows written (0 when it exists already), false on a database error.
	 */
	private static function create( string $value ) {
		global $wpdb;
		$autoload = 'yes'; // Autoloaded on every WordPress version ('on' only from 6.6).
		$exists   = $wpdb->get_var( $wpdb->prepare( "SELECT 1 FROM {$wpdb->options} WHERE option_name = %s", self::OPTION ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( $exists ) {
			// It exists: the append matched no row only because nothing changed (same entry twice).
			return 1;
		}
		$inserted = $wpdb->query( $wpdb->prepare( "INSERT IGNORE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES (%s, %s, %s)", self::OPTION, $value, $autoload ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( 0 === $inserted ) {
			// A concurrent writer created it between our statements: add ours to theirs.
			return $wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->options} SET option_value = CONCAT(option_value, %s) WHERE option_name = %s", substr( $value, 5 ), self::OPTION ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		}
		return $inserted;
	}

	/**
	 * Drops expired entries and markers when the list is over half full (rare: only after a
	 * revocation). A compare-and-swap on the whole value: a concurrent append makes it a no-op.
	 */
	private static function maybe_prune(): void {
		global $wpdb;
		$len = (int) $wpdb->get_var( $wpdb->prepare( "SELECT CHAR_LENGTH(option_value) FROM {$wpdb->options} WHERE option_name = %s", self::OPTION ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( $len > self::MAX_BYTES / 2 ) {
			self::prune();
		}
	}

	/**
	 * Drops the entries and overflow markers whose time passed (Cleanup runs it hourly).
	 * Compare-and-swap: the new value is written only if the row still holds what was read,
	 * so an entry appended meanwhile is never lost; after three lost races it gives up
	 * (the next run continues).
	 *
	 * @param int|null $now Unix seconds to treat as "now" (tests); null for time().
	 * @return int Entries dropped.
	 */
	public static function prune( $now = null ): int {
		global $wpdb;
		$now = is_int( $now ) ? $now : time();
		for ( $try = 0; $try < 3; $try++ ) {
			$old = $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", self::OPTION ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			if ( ! is_string( $old ) || 0 !== strncmp( $old, self::HEADER, 5 ) ) {
				return 0;
			}
			$kept    = array();
			$dropped = 0;
			foreach ( explode( ';', substr( $old, 6 ) ) as $entry ) {
				$at = strrpos( $entry, '@' );
				if ( '' === $entry || false === $at ) {
					continue;
				}
				if ( (int) substr( $entry, $at + 1 ) < $now ) {
					++$dropped;
					continue;
				}
				$kept[] = $entry;
			}
			if ( 0 === $dropped ) {
				return 0;
			}
			$new     = self::HEADER . ( $kept ? ';' . implode( ';', $kept ) : '' );
			$swapped = $wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->options} SET option_value = %s WHERE option_name = %s AND option_value = %s", $new, self::OPTION, $old ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			if ( $swapped ) {
				self::forget_cached();
				return $dropped;
			}
		}
		return 0;
	}

	/**
	 * The latest overflow marker's time in a list value.
	 *
	 * @param string $list The option value.
	 * @return int Unix seconds, 0 when none.
	 */
	private static function overflow_until( string $list ): int {
		$until = 0;
		if ( preg_match_all( '/;o@(\d+)/', $list, $m ) ) {
			$until = max( array_map( 'intval', $m[1] ) );
		}
		return $until;
	}

	/**
	 * Forgets this process's (or the persistent cache's) copy of the autoloaded options,
	 * which the SQL writes above bypass.
	 */
	private static function forget_cached(): void {
		wp_cache_delete( 'alloptions', 'options' );
		wp_cache_delete( self::OPTION, 'options' );
		$notoptions = wp_cache_get( 'notoptions', 'options' );
		if ( is_array( $notoptions ) && isset( $notoptions[ self::OPTION ] ) ) {
			unset( $notoptions[ self::OPTION ] );
			wp_cache_set( 'notoptions', $notoptions, 'options' );
		}
	}
}
