<?php
/**
 * Scheduled housekeeping: expired codes, tokens, deny-list rows, ended grants, abandoned clients.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * WP-Cron event `wpoa_cleanup`, hourly, scheduled on activation and on `admin_init`
 * when missing (unscheduled on deactivation by Plugin::deactivate()). Each run
 * deletes, in bounded batches (`LIMIT`, filter `wpoa_cleanup_batch_size`, default
 * 500 rows, at most `wpoa_cleanup_max_batches` = 20 batches per kind and run, and no new
 * batch once the run has taken `wpoa_cleanup_time_budget` seconds, default 10, though every
 * kind gets its first batch; what is left waits for the next run):
 *
 * - authorization codes expired more than an hour ago (Code_Repository::delete_expired());
 * - device authorization requests expired more than an hour ago (Device_Code_Repository::delete_expired());
 * - refresh tokens, used or not, whose own expiry passed more than a day ago: a used
 *   token is kept as long as it would have been valid, so a replay is still detected
 *   as reuse and revokes its grant (RFC 9700 §4.14.2);
 * - deny-listed access-token ids whose token expired (plus the verification leeway);
 * - DPoP proof `jti`s whose `iat` window has closed (RFC 9449 §11.1; Dpop_Repository);
 * - grants revoked, or past their absolute expiry, more than
 *   `wpoa_cleanup_grant_retention` seconds ago (default 30 days: the profile and
 *   security logs can still name them meanwhile), with their refresh tokens;
 * - dynamically registered clients never authorized by anyone
 *   (Client_Repository::delete_never_authorized(), age from abandoned_client_ttl());
 * - retired signing keys whose last token has expired (Keys::rebuild_jwks()).
 *
 * Fires `wpoa_cleanup_done` with the counts.
 */
final class Cleanup {

	/** The cron hook. */
	const HOOK = 'wpoa_cleanup';

	/**
	 * Schedules the hourly event when it is not scheduled yet.
	 */
	public static function schedule(): void {
		if ( false === wp_next_scheduled( self::HOOK ) ) {
			wp_schedule_event( time() + MINUTE_IN_SECONDS, 'hourly', self::HOOK );
		}
	}

	/**
	 * Runs one cleanup pass.
	 *
	 * @param int|null $now Unix seconds to treat as "now" (tests); null for time().
	 * @return array{codes:int, refresh_tokens:int, revoked_jtis:int, dpop_proofs:int, grants:int, clients:int, keys_published:int, device_codes:int}
	 *         Rows deleted per kind, and the number of keys left in the public JWKS.
	 */
	public static function run( $now = null ): array {
		$now   = is_int( $now ) ? $now : time();
		$limit = max( 1, min( 10000, (int) apply_filters( 'wpoa_cleanup_batch_size', 500 ) ) );
		/**
		 * Filters the most batches per kind in one run (bounds the run time; the next run continues).
		 *
		 * @param int $batches Default 20.
		 */
		$batches = max( 1, (int) apply_filters( 'wpoa_cleanup_max_batches', 20 ) );
		/**
		 * Filters how long revoked or expired grants are kept before deletion, in seconds.
		 *
		 * @param int $seconds Default 30 days.
		 */
		$retention = max( 0, (int) apply_filters( 'wpoa_cleanup_grant_retention', 30 * DAY_IN_SECONDS ) );
		/**
		 * Filters the time after which a run starts no new batch, in seconds (1 … 300). A run
		 * takes about this long plus one batch per remaining kind: it stays well inside a cron
		 * request's execution time even when a large backlog (10^4 ended grants carry ~10^5
		 * refresh-token rows) meets a buffer pool smaller than the tables.
		 *
		 * @param int $seconds Default 10.
		 */
		$budget   = max( 1, min( 300, (int) apply_filters( 'wpoa_cleanup_time_budget', 10 ) ) );
		$deadline = microtime( true ) + $budget;

		$counts = array(
			'codes'          => 0,
			'refresh_tokens' => 0,
			'revoked_jtis'   => 0,
			'dpop_proofs'    => 0,
			'grants'         => 0,
			'clients'        => 0,
			'keys_published' => 0,
			'device_codes'   => 0,
		);

		$counts['codes']          = self::batched( $deadline, $batches, $limit, static fn( $n ) => Code_Repository::delete_expired( $now - HOUR_IN_SECONDS, $n ) );
		$counts['device_codes']   = self::batched( $deadline, $batches, $limit, static fn( $n ) => Device_Code_Repository::delete_expired( $now - HOUR_IN_SECONDS, $n ) );
		$counts['refresh_tokens'] = self::batched( $deadline, $batches, $limit, static fn( $n ) => Refresh_Token_Repository::delete_expired( $now - DAY_IN_SECONDS, $n ) );
		$counts['revoked_jtis']   = self::batched( $deadline, $batches, $limit, static fn( $n ) => Grant_Repository::delete_expired_jtis( $now - Keys::LEEWAY, $n ) );
		$counts['dpop_proofs']    = self::batched( $deadline, $batches, $limit, static fn( $n ) => Dpop_Repository::delete_expired_proofs( $now, $n ) );
		$counts['grants']         = self::batched( $deadline, $batches, min( 1000, $limit ), static fn( $n ) => Grant_Repository::delete_ended( $now - $retention, $n ) );
		// Entries of the recent-revocation list whose window passed (not counted: an option, not rows).
		Revocation_List::prune( $now );

		if ( method_exists( Client_Repository::class, 'delete_never_authorized' ) ) {
			$ttl = method_exists( Client_Repository::class, 'abandoned_client_ttl' ) ? (int) Client_Repository::abandoned_client_ttl() : 7 * DAY_IN_SECONDS;
			if ( $ttl > 0 ) {
				$counts['clients'] = self::batched( $deadline, $batches, min( 1000, $limit ), static fn( $n ) => Client_Repository::delete_never_authorized( $ttl, $n ) );
			}
		}

		// Never publish an empty key set (a site activated before the extension was loaded has no key yet).
		Keys::ensure_key();
		$jwks                     = json_decode( Keys::rebuild_jwks(), true );
		$counts['keys_published'] = is_array( $jwks ) && isset( $jwks['keys'] ) && is_array( $jwks['keys'] ) ? count( $jwks['keys'] ) : 0;

		/**
		 * Fires after a cleanup run.
		 *
		 * @param array $counts Rows deleted per kind: codes, refresh_tokens, revoked_jtis, dpop_proofs, grants, clients;
		 *                      keys_published (keys left in the JWKS); device_codes.
		 */
		do_action( 'wpoa_cleanup_done', $counts );
		return $counts;
	}

	/**
	 * Calls `$delete( $limit )` until it deletes fewer than `$limit` rows, `$batches` calls were
	 * made, or the run's deadline passed (the first call is always made, so no kind starves).
	 *
	 * @param float    $deadline microtime(true) after which no new call starts.
	 * @param int      $batches  Most calls.
	 * @param int      $limit    Rows per call.
	 * @param callable $delete   fn( int $limit ): int rows deleted.
	 * @return int Total rows deleted.
	 */
	private static function batched( float $deadline, int $batches, int $limit, callable $delete ): int {
		$total = 0;
		for ( $i = 0; $i < $batches; $i++ ) {
			if ( $i > 0 && microtime( true ) >= $deadline ) {
				break;
			}
			$n      = (int) $delete( $limit );
			$total += $n;
			if ( $n < $limit ) {
				break;
			}
		}
		return $total;
	}
}
