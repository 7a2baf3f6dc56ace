<?php
/**
 * Shared DPoP state: the proof replay store, server nonces and a grant's key binding.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Everything DPoP (RFC 9449) needs that every PHP node must see alike, kept in the site's
 * database so that a site served by several nodes needs no shared object cache:
 *
 * - **Replay store** (RFC 9449 §11.1): table `oauth_dpop_proofs`, one row per accepted proof,
 *   keyed by base64url SHA-256 of `jkt` + `.` + `jti` (43 chars; two clients cannot block each
 *   other's `jti`). The insert is `INSERT IGNORE` on the primary key, so of two nodes that see
 *   the same proof at once exactly one inserts it. Rows expire when the proof's `iat` window
 *   closes; Cleanup deletes them.
 * - **Server nonces** (RFC 9449 §8, §9): option `wpoa_dpop_nonces` = {current, previous,
 *   rotated_at}; rotated with a conditional UPDATE so that two nodes rotating at once agree on
 *   one winner.
 * - **Grant binding** (RFC 9449 §5): column `dpop_jkt` of `oauth_grants`, the thumbprint a
 *   public client's refresh tokens are bound to; **code binding** (§10): column `dpop_jkt` of
 *   `oauth_codes`, from the authorization request's `dpop_jkt`.
 */
final class Dpop_Repository {

	/** Option holding the nonce state (not autoloaded: only DPoP requests read it). */
	const NONCE_OPTION = 'wpoa_dpop_nonces';

	/**
	 * Records a proof as used. Atomic across nodes.
	 *
	 * @param string $jkt        The proof key's RFC 7638 thumbprint.
	 * @param string $jti        The proof's `jti`.
	 * @param int    $expires_at Unix seconds after which the proof could no longer be accepted anyway.
	 * @return bool True when the proof was new, false when it was seen before (a replay).
	 * @throws Storage_Unavailable When the database did not answer.
	 */
	public static function remember_proof( string $jkt, string $jti, int $expires_at ): bool {
		global $wpdb;
		$t = Schema::tables()['dpop_proofs'];
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- our own table name.
		$rows = $wpdb->query( $wpdb->prepare( "INSERT IGNORE INTO {$t} (proof_hash, expires_at) VALUES (%s, %d)", Crypto::token_hash( $jkt . '.' . $jti ), $expires_at ) );
		if ( false === $rows ) {
			Storage_Unavailable::check();
			throw new Storage_Unavailable();
		}
		return 1 === (int) $rows;
	}

	/**
	 * Deletes replay entries that expired before `$before`.
	 *
	 * @param int $before Unix seconds.
	 * @param int $limit  Most rows deleted by this call (1..10000).
	 * @return int Rows deleted.
	 */
	public static function delete_expired_proofs( int $before, int $limit ): int {
		global $wpdb;
		$t = Schema::tables()['dpop_proofs'];
		return (int) $wpdb->query( $wpdb->prepare( "DELETE FROM {$t} WHERE expires_at < %d ORDER BY expires_at ASC LIMIT %d", $before, max( 1, min( 10000, $limit ) ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * The nonces a proof may carry now, newest first, rotating them when the current one is
	 * older than `$period` seconds. The previous nonce stays valid for one more period, so a
	 * rotation never fails a request that was already under way.
	 *
	 * @param int $period Rotation period in seconds.
	 * @param int $now    Unix seconds.
	 * @return string[] One or two nonces (base64url, 43 chars).
	 * @throws Storage_Unavailable When the database did not answer.
	 */
	public static function nonces( int $period, int $now ): array {
		global $wpdb;
		$state = self::read_nonces();
		if ( null !== $state && $now - $state['rotated_at'] < $period && $state['rotated_at'] <= $now + 60 ) {
			return array_values( array_filter( array( $state['current'], $state['previous'] ) ) );
		}
		$next = array(
			'current'    => Crypto::random_token( 32 ),
			'previous'   => null !== $state && $now - $state['rotated_at'] < 2 * $period ? $state['current'] : '',
			'rotated_at' => $now,
		);
		if ( null === $state ) {
			// First use (or an unreadable value): the last writer wins, and a client holding the
			// loser's nonce is simply asked again (use_dpop_nonce).
			if ( ! add_option( self::NONCE_OPTION, wp_json_encode( $next ), '', 'no' ) ) {
				update_option( self::NONCE_OPTION, wp_json_encode( $next ), false );
			}
		} else {
			// Only the node that still sees the old state rotates; the others read its result.
			$won = $wpdb->query(
				$wpdb->prepare(
					"UPDATE {$wpdb->options} SET option_value = %s WHERE option_name = %s AND option_value = %s",
					wp_json_encode( $next ),
					self::NONCE_OPTION,
					$state['raw']
				)
			);
			Storage_Unavailable::check();
			if ( 1 === (int) $won ) {
				/**
				 * Fires when this node rotated the DPoP server nonce (RFC 9449 §8). The nonce itself is
				 * not passed.
				 *
				 * @param int $rotated_at Unix seconds.
				 */
				do_action( 'wpoa_dpop_nonce_rotated', $now );
			}
		}
		wp_cache_delete( self::NONCE_OPTION, 'options' );
		$state = self::read_nonces();
		if ( null === $state ) {
			throw new Storage_Unavailable();
		}
		return array_values( array_filter( array( $state['current'], $state['previous'] ) ) );
	}

	/**
	 * The stored nonce state, or null when there is none (or it is unreadable).
	 *
	 * @return array{current:string, previous:string, rotated_at:int, raw:string}|null
	 * @throws Storage_Unavailable When the database did not answer.
	 */
	private static function read_nonces(): ?array {
		global $wpdb;
		$raw = $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", self::NONCE_OPTION ) );
		Storage_Unavailable::check();
		$data = is_string( $raw ) ? json_decode( $raw, true ) : null;
		if ( ! is_array( $data ) || ! is_string( $data['current'] ?? null ) || '' === $data['current'] || ! is_int( $data['rotated_at'] ?? null ) ) {
			return null;
		}
		return array(
			'current'    => $data['current'],
			'previous'   => is_string( $data['previous'] ?? null ) ? $data['previous'] : '',
			'rotated_at' => $data['rotated_at'],
			'raw'        => $raw,
		);
	}

	/**
	 * Binds an authorization code to a DPoP key (RFC 9449 §10, the `dpop_jkt` parameter).
	 *
	 * @param string $code The code as issued.
	 * @param string $jkt  RFC 7638 thumbprint (43 chars).
	 * @return bool False when the update failed.
	 */
	public static function bind_code( string $code, string $jkt ): bool {
		global $wpdb;
		return false !== $wpdb->update( Schema::tables()['codes'], array( 'dpop_jkt' => $jkt ), array( 'code_hash' => Crypto::token_hash( $code ) ), array( '%s' ), array( '%s' ) );
	}

	/**
	 * Binds a grant (and so every refresh token of it) to a DPoP key.
	 *
	 * @param int    $grant_id Grant.
	 * @param string $jkt      RFC 7638 thumbprint (43 chars).
	 * @return bool False when the update failed.
	 */
	public static function bind_grant( int $grant_id, string $jkt ): bool {
		global $wpdb;
		return false !== $wpdb->update( Schema::tables()['grants'], array( 'dpop_jkt' => $jkt ), array( 'id' => $grant_id ), array( '%s' ), array( '%d' ) );
	}
}
