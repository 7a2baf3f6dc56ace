<?php
/**
 * Fixed-window counters of attempts (mostly failed ones), shared by every PHP node.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Counts failures under several keys at once (e.g. per IP and per user) in windows that start at
 * the first failure and last `$window` seconds, seen by every node. Used for the client-secret
 * lockout (Client_Authenticator), the device verification page's wrong user codes, failed
 * Application Password exchanges, and the device requests each client and IP may start.
 *
 * Where the counts live:
 * - without a persistent object cache: one transient `{count, start}` per key (a row of the
 *   options table) that expires with its window;
 * - with one (Redis, Memcached: shared by the nodes): two cache entries per key in the `wpoa`
 *   group, `fail:<key>` holding the window's start (added once, expiring with the window) and
 *   `fail:<key>:<start>` the count, raised with wp_cache_incr(). Concurrent failures on several
 *   nodes therefore never lose a count: a read-modify-write of a transient would.
 * A cache that is unavailable counts nothing (and so locks nothing) until it is back: the limits
 * slow guessing down, they are not what keeps a credential secret.
 */
final class Failure_Counter {

	/**
	 * Seconds until attempts are allowed again: the longest wait of any key whose count reached its
	 * limit within the current window, 0 when none did.
	 *
	 * @param array<string,string> $keys   Kind => key (a transient name: at most 172 bytes).
	 * @param array<string,int>    $max    Kind => failures allowed in a window.
	 * @param int                  $window Window length in seconds.
	 * @return int Seconds (≥ 1 when limited).
	 */
	public static function retry_after( array $keys, array $max, int $window ): int {
		$now   = time();
		$retry = 0;
		foreach ( $keys as $kind => $key ) {
			$c = self::read( $key );
			if ( null !== $c && $c['count'] >= (int) $max[ $kind ] && $c['start'] + $window > $now ) {
				$retry = max( $retry, $c['start'] + $window - $now, 1 );
			}
		}
		return $retry;
	}

	/**
	 * Counts one failure under every key, starting a new window where the last one has ended.
	 *
	 * @param array<string,string> $keys   Kind => key.
	 * @param int                  $window Window length in seconds.
	 */
	public static function record( array $keys, int $window ): void {
		self::count( $keys, array(), $window );
	}

	/**
	 * Counts one failure under every key and says whether it was one too many: the seconds to
	 * wait when, before this failure, a key had already reached its limit in the current window
	 * (so the limit-th failure itself still gets 0), else 0. With a persistent object cache the
	 * decision rests on the atomic count, so of many concurrent failures on any nodes exactly
	 * the first `$max` get 0.
	 *
	 * @param array<string,string> $keys   Kind => key.
	 * @param array<string,int>    $max    Kind => failures allowed in a window.
	 * @param int                  $window Window length in seconds.
	 * @return int Seconds (≥ 1 when this failure was over a limit), 0 otherwise.
	 */
	public static function record_and_check( array $keys, array $max, int $window ): int {
		if ( ! wp_using_ext_object_cache() ) {
			$retry = self::retry_after( $keys, $max, $window );
			self::record( $keys, $window );
			return $retry;
		}
		return self::count( $keys, $max, $window );
	}

	/**
	 * Raises every key's count by one.
	 *
	 * @param array<string,string> $keys   Kind => key.
	 * @param array<string,int>    $max    Kind => limit, for the answer (empty: answer 0).
	 * @param int                  $window Window length in seconds.
	 * @return int Seconds to wait when a count went past its limit, else 0.
	 */
	private static function count( array $keys, array $max, int $window ): int {
		$now    = time();
		$window = max( 1, $window );
		$retry  = 0;
		foreach ( $keys as $kind => $key ) {
			if ( ! wp_using_ext_object_cache() ) {
				$c = get_transient( $key );
				if ( ! is_array( $c ) || (int) $c['start'] + $window <= $now ) {
					$c = array(
						'count' => 0,
						'start' => $now,
					);
				}
				++$c['count'];
				set_transient( $key, $c, max( 1, (int) $c['start'] + $window - $now ) );
				continue;
			}
			// The window's start: added by the first failure, gone when the window ends.
			wp_cache_add( 'fail:' . $key, $now, Grant_Repository::CACHE_GROUP, $window );
			$start = (int) wp_cache_get( 'fail:' . $key, Grant_Repository::CACHE_GROUP, true );
			if ( $start <= 0 ) {
				continue; // The cache is not answering: nothing can be counted.
			}
			$ttl = max( 1, $start + $window - $now );
			wp_cache_add( 'fail:' . $key . ':' . $start, 0, Grant_Repository::CACHE_GROUP, $ttl );
			$n = wp_cache_incr( 'fail:' . $key . ':' . $start, 1, Grant_Repository::CACHE_GROUP );
			if ( isset( $max[ $kind ] ) && is_int( $n ) && $n > (int) $max[ $kind ] ) {
				$retry = max( $retry, $ttl );
			}
		}
		return $retry;
	}

	/**
	 * A key's current window.
	 *
	 * @param string $key Key.
	 * @return array{count:int, start:int}|null Null when no window is open.
	 */
	private static function read( string $key ): ?array {
		if ( ! wp_using_ext_object_cache() ) {
			$c = get_transient( $key );
			return is_array( $c ) ? array(
				'count' => (int) ( $c['count'] ?? 0 ),
				'start' => (int) ( $c['start'] ?? 0 ),
			) : null;
		}
		$start = (int) wp_cache_get( 'fail:' . $key, Grant_Repository::CACHE_GROUP );
		if ( $start <= 0 ) {
			return null;
		}
		return array(
			'count' => (int) wp_cache_get( 'fail:' . $key . ':' . $start, Grant_Repository::CACHE_GROUP ),
			'start' => $start,
		);
	}
}
