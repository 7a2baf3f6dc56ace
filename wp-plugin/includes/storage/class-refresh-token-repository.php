<?php
/**
 * Storage of refresh tokens (hashed) with atomic rotation.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Refresh tokens are opaque 256-bit random strings; only their SHA-256
 * (base64url) is stored. Rotation (RFC 9700 §4.14.2, OAuth 2.1 §4.3.1) marks the
 * presented token used with a conditional UPDATE inside a transaction, so of any
 * number of concurrent uses across PHP nodes exactly one wins.
 */
final class Refresh_Token_Repository {

	/**
	 * Sliding lifetime of one refresh token, in seconds (filter `wpoa_refresh_token_lifetime`, default 30 days).
	 *
	 * @return int
	 */
	public static function lifetime(): int {
		return max( 60, (int) apply_filters( 'wpoa_refresh_token_lifetime', 30 * DAY_IN_SECONDS ) );
	}

	/**
	 * Creates a refresh token for a grant.
	 *
	 * @param int    $grant_id      Grant.
	 * @param string $client_id     Client it is bound to.
	 * @param string $scope         Scope it carries (may be narrower than the grant's).
	 * @param int    $grant_expires The grant's absolute expiry: the token never outlives it.
	 * @return string|null The plaintext token (returned to the client once), or null on a database error.
	 */
	public static function create( int $grant_id, string $client_id, string $scope, int $grant_expires ): ?string {
		global $wpdb;
		$token = Crypto::random_token( 32 );
		$now   = time();
		$ok    = $wpdb->insert(
			Schema::tables()['refresh_tokens'],
			array(
				'token_hash' => Crypto::token_hash( $token ),
				'grant_id'   => $grant_id,
				'client_id'  => $client_id,
				'scope'      => $scope,
				'created_at' => $now,
				'expires_at' => min( $grant_expires, $now + self::lifetime() ),
			)
		);
		return false === $ok ? null : $token;
	}

	/**
	 * Finds a refresh token row by the presented token.
	 *
	 * @param string $token Presented token (any bytes).
	 * @return object|null Row with id, grant_id, client_id, scope, created_at, expires_at, used_at.
	 * @throws Storage_Unavailable When the database did not answer.
	 */
	public static function find( string $token ): ?object {
		global $wpdb;
		if ( '' === $token || strlen( $token ) > 512 ) {
			return null;
		}
		$t   = Schema::tables()['refresh_tokens'];
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$t} WHERE token_hash = %s", Crypto::token_hash( $token ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		Storage_Unavailable::check();
		return $row ? $row : null;
	}

	/**
	 * Atomically marks `$old` used and issues its successor, in one transaction.
	 *
	 * @param object $old           Row from find().
	 * @param string $scope         Scope of the new token (the same or narrower).
	 * @param int    $grant_expires The grant's absolute expiry.
	 * @return string|null The new plaintext token, or null when `$old` was already used
	 *                     (a concurrent or replayed use).
	 * @throws Storage_Unavailable When the database did not answer (rolled back, nothing changed).
	 */
	public static function rotate( object $old, string $scope, int $grant_expires ): ?string {
		global $wpdb;
		$t = Schema::tables()['refresh_tokens'];
		$wpdb->query( 'START TRANSACTION' );
		$won = $wpdb->query( $wpdb->prepare( "UPDATE {$t} SET used_at = %d WHERE id = %d AND used_at IS NULL", time(), (int) $old->id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( false === $won ) {
			$wpdb->query( 'ROLLBACK' );
			throw new Storage_Unavailable();
		}
		if ( 1 !== $won ) {
			$wpdb->query( 'ROLLBACK' );
			return null;
		}
		$new = self::create( (int) $old->grant_id, (string) $old->client_id, $scope, $grant_expires );
		if ( null === $new ) {
			$wpdb->query( 'ROLLBACK' );
			throw new Storage_Unavailable();
		}
		if ( false === $wpdb->query( 'COMMIT' ) ) {
			throw new Storage_Unavailable();
		}
		return $new;
	}

	/**
	 * Deletes refresh tokens (used or not) that expired before `$before`, oldest first.
	 * A token is kept until then even once used, so that its replay is still
	 * recognised as reuse (RFC 9700 §4.14.2) for as long as it would have been valid.
	 *
	 * @param int $before Unix seconds.
	 * @param int $limit  Most rows deleted by this call (1..10000).
	 * @return int Rows deleted.
	 */
	public static function delete_expired( int $before, int $limit ): int {
		global $wpdb;
		$t = Schema::tables()['refresh_tokens'];
		return (int) $wpdb->query( $wpdb->prepare( "DELETE FROM {$t} WHERE expires_at < %d ORDER BY expires_at ASC LIMIT %d", $before, max( 1, min( 10000, $limit ) ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Deletes every refresh token of the given grants (used when the grants themselves are deleted).
	 *
	 * @param int[] $grant_ids Grant ids.
	 * @return int Rows deleted.
	 */
	public static function delete_for_grants( array $grant_ids ): int {
		global $wpdb;
		$ids = array_values( array_filter( array_map( 'intval', $grant_ids ), static fn( $id ) => $id > 0 ) );
		if ( array() === $ids ) {
			return 0;
		}
		$t            = Schema::tables()['refresh_tokens'];
		$placeholders = implode( ',', array_fill( 0, count( $ids ), '%d' ) );
		return (int) $wpdb->query( $wpdb->prepare( "DELETE FROM {$t} WHERE grant_id IN ({$placeholders})", $ids ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQLPlaceholders.UnfinishedPrepare
	}
}
