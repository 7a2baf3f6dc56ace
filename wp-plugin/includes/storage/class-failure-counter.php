<?php
/**
 * Fixed-window counters of attempts, shared by every PHP node through transients.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Counts failures under several keys at once (e.g. per IP and per user) in windows that start at
 * the first failure and last `$window` seconds. Each counter is a transient `{count, start}` that
 * expires with its window, so it lives in the options table or the persistent object cache and is
 * seen by every node. Used for the device verification page's wrong user codes, for failed
 * Application Password exchanges, and for the device requests each client and IP may start.
 */
final class Failure_Counter {

	/**
	 * Seconds until attempts are allowed again: the longest wait of any key whose count reached its
	 * limit within the current window, 0 when none did.
	 *
	 * @param array<string,string> $keys   Kind => transient key.
	 * @param array<string,int>    $max    Kind => failures allowed in a window.
	 * @param int                  $window Window length in seconds.
	 * @return int Seconds (≥ 1 when limited).
	 */
	public static function retry_after( array $keys, array $max, int $window ): int {
		$now   = time();
		$retry = 0;
		foreach ( $keys as $kind => $key ) {
			$c = get_transient( $key );
			if ( is_array( $c ) && (int) $c['count'] >= (int) $max[ $kind ] && (int) $c['start'] + $window > $now ) {
				$retry = max( $retry, (int) $c['start'] + $window - $now, 1 );
			}
		}
		return $retry;
	}

	/**
	 * Counts one failure under every key, starting a new window where the last one has ended.
	 *
	 * @param array<string,string> $keys   Kind => transient key.
	 * @param int                  $window Window length in seconds.
	 */
	public static function record( array $keys, int $window ): void {
		$now = time();
		foreach ( $keys as $key ) {
			$c = get_transient( $key );
			if ( ! is_array( $c ) || (int) $c['start'] + $window <= $now ) {
				$c = array(
					'count' => 0,
					'start' => $now,
				);
			}
			++$c['count'];
			set_transient( $key, $c, max( 1, (int) $c['start'] + $window - $now ) );
		}
	}
}
