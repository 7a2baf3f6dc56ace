<?php
/**
 * Storage of clients: the only code that touches the clients table.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * CRUD for the clients table. All SQL is prepared.
 */
final class Client_Repository {

	/**
	 * Finds a client by `client_id`.
	 *
	 * @param string $client_id Client identifier (any bytes: it comes from the request).
	 * @return Client|null
	 */
	public static function find( string $client_id ): ?Client {
		global $wpdb;
		if ( '' === $client_id || strlen( $client_id ) > 191 ) {
			return null;
		}
		$t   = Schema::tables()['clients'];
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$t} WHERE client_id = %s", $client_id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		Storage_Unavailable::check();
		// MySQL's default collation is case-insensitive: insist on the exact bytes.
		if ( ! $row || ! hash_equals( (string) $row->client_id, $client_id ) ) {
			return null;
		}
		return Client::from_row( $row );
	}

	/**
	 * Inserts a client.
	 *
	 * @param array $fields Column => value: client_id, client_secret_hash, registration_token_hash,
	 *                      token_endpoint_auth_method, redirect_uris (string[]), metadata (array),
	 *                      registered_by, secret_expires_at.
	 * @return Client|null The stored client, or null when the insert failed.
	 */
	public static function insert( array $fields ): ?Client {
		global $wpdb;
		$now  = time();
		$meta = (array) ( $fields['metadata'] ?? array() );
		$row  = array(
			'client_id'                  => (string) $fields['client_id'],
			'client_secret_hash'         => $fields['client_secret_hash'] ?? null,
			'registration_token_hash'    => $fields['registration_token_hash'] ?? null,
			'client_name'                => mb_substr( (string) ( $meta['client_name'] ?? '' ), 0, 255 ),
			'token_endpoint_auth_method' => (string) ( $fields['token_endpoint_auth_method'] ?? 'none' ),
			'redirect_uris'              => (string) wp_json_encode( array_values( (array) ( $fields['redirect_uris'] ?? array() ) ) ),
			'metadata'                   => (string) wp_json_encode( (object) $meta ),
			'registered_by'              => (int) ( $fields['registered_by'] ?? 0 ),
			'created_at'                 => $now,
			'updated_at'                 => $now,
			'secret_expires_at'          => (int) ( $fields['secret_expires_at'] ?? 0 ),
		);
		if ( false === $wpdb->insert( Schema::tables()['clients'], $row ) ) {
			return null;
		}
		return self::find( $row['client_id'] );
	}

	/**
	 * Updates columns of a client.
	 *
	 * @param string $client_id The client.
	 * @param array  $fields    Same keys as insert() (only those given change).
	 * @return bool True when the row exists and the update ran.
	 */
	public static function update( string $client_id, array $fields ): bool {
		global $wpdb;
		$row = array( 'updated_at' => time() );
		foreach ( array( 'client_secret_hash', 'registration_token_hash', 'token_endpoint_auth_method', 'secret_expires_at', 'registered_by' ) as $col ) {
			if ( array_key_exists( $col, $fields ) ) {
				$row[ $col ] = $fields[ $col ];
			}
		}
		if ( array_key_exists( 'redirect_uris', $fields ) ) {
			$row['redirect_uris'] = (string) wp_json_encode( array_values( (array) $fields['redirect_uris'] ) );
		}
		if ( array_key_exists( 'metadata', $fields ) ) {
			$meta                = (array) $fields['metadata'];
			$row['metadata']     = (string) wp_json_encode( (object) $meta );
			$row['client_name']  = mb_substr( (string) ( $meta['client_name'] ?? '' ), 0, 255 );
		}
		return false !== $wpdb->update( Schema::tables()['clients'], $row, array( 'client_id' => $client_id ) );
	}

	/**
	 * Deletes a client row (callers revoke its grants first, see Grant_Repository::revoke_for_client()).
	 *
	 * @param string $client_id The client.
	 * @return bool True when a row was deleted.
	 */
	public static function delete( string $client_id ): bool {
		global $wpdb;
		return (bool) $wpdb->delete( Schema::tables()['clients'], array( 'client_id' => $client_id ) );
	}

	/**
	 * Lists clients, newest first.
	 *
	 * @param int $limit  Max rows (1..500).
	 * @param int $offset Offset.
	 * @return Client[]
	 */
	public static function list( int $limit = 100, int $offset = 0 ): array {
		global $wpdb;
		$t    = Schema::tables()['clients'];
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$t} ORDER BY id DESC LIMIT %d OFFSET %d", max( 1, min( 500, $limit ) ), max( 0, $offset ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		return array_map( array( Client::class, 'from_row' ), (array) $rows );
	}

	/**
	 * Records that a token was issued to the client (last used; first authorization).
	 *
	 * @param string $client_id The client.
	 */
	public static function mark_used( string $client_id ): void {
		global $wpdb;
		$t   = Schema::tables()['clients'];
		$now = time();
		$wpdb->query( $wpdb->prepare( "UPDATE {$t} SET last_used_at = %d, first_authorized_at = COALESCE(first_authorized_at, %d) WHERE client_id = %s", $now, $now, $client_id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Number of clients.
	 *
	 * @return int
	 */
	public static function count(): int {
		global $wpdb;
		$t = Schema::tables()['clients'];
		return (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$t}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- no input.
	}

	/**
	 * Number of clients, or null when the query failed (the count is unknown, not zero).
	 *
	 * @return int|null
	 */
	public static function count_or_null(): ?int {
		global $wpdb;
		$t = Schema::tables()['clients'];
		$n = $wpdb->get_var( "SELECT COUNT(*) FROM {$t}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- no input.
		return null === $n || '' !== $wpdb->last_error ? null : (int) $n;
	}

	/**
	 * Dynamically registered clients (registered_by = 0) that no user has ever
	 * authorized and that are older than $older_than seconds, oldest first.
	 * Clients added by an administrator are never listed here.
	 *
	 * @param int $older_than Minimum age in seconds (e.g. the `wpoa_abandoned_client_ttl` option); 0 = any age.
	 * @param int $limit      Max rows (1..1000).
	 * @return Client[]
	 */
	public static function list_never_authorized( int $older_than, int $limit = 100 ): array {
		global $wpdb;
		$t    = Schema::tables()['clients'];
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$t} WHERE first_authorized_at IS NULL AND registered_by = 0 AND created_at <= %d ORDER BY created_at ASC, id ASC LIMIT %d", time() - max( 0, $older_than ), max( 1, min( 1000, $limit ) ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		return array_map( array( Client::class, 'from_row' ), (array) $rows );
	}

	/**
	 * Deletes abandoned registrations: dynamically registered clients never
	 * authorized by any user and older than $older_than seconds (see
	 * list_never_authorized()). Fires `wpoa_client_deleted` for each, with reason `abandoned`.
	 * Called by the cleanup cron in bounded batches.
	 *
	 * @param int $older_than Minimum age in seconds (option `wpoa_abandoned_client_ttl`, see abandoned_client_ttl()).
	 * @param int $limit      Most clients deleted by this call (1..1000).
	 * @return int Number of clients deleted.
	 */
	public static function delete_never_authorized( int $older_than, int $limit ): int {
		global $wpdb;
		$t       = Schema::tables()['clients'];
		$deleted = 0;
		foreach ( self::list_never_authorized( $older_than, $limit ) as $client ) {
			// Re-check in the DELETE itself: an approval may have happened since the SELECT.
			$n = $wpdb->query( $wpdb->prepare( "DELETE FROM {$t} WHERE id = %d AND first_authorized_at IS NULL", $client->id ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			if ( $n ) {
				++$deleted;
				/**
				 * Fires after a client was deleted (its grants, if any, were revoked first).
				 *
				 * @param string $client_id The deleted client.
				 * @param string $reason    `abandoned` (cleanup), `admin` (wp-admin) or `self` (RFC 7592 DELETE).
				 */
				do_action( 'wpoa_client_deleted', $client->client_id, 'abandoned' );
			}
		}
		return $deleted;
	}

	/**
	 * Age in seconds after which a never-authorized dynamic registration is
	 * abandoned (option `wpoa_abandoned_client_ttl`, default 7 days; 0 turns cleanup off).
	 *
	 * @return int Seconds; 0 = never clean up.
	 */
	public static function abandoned_client_ttl(): int {
		$ttl = (int) get_option( 'wpoa_abandoned_client_ttl', 7 * DAY_IN_SECONDS );
		/**
		 * Filters the age (seconds) after which never-authorized dynamic registrations are deleted.
		 *
		 * @param int $ttl Seconds from the `wpoa_abandoned_client_ttl` option; 0 = keep forever.
		 */
		return max( 0, (int) apply_filters( 'wpoa_abandoned_client_ttl', $ttl ) );
	}

	/**
	 * How many distinct users hold an active grant for each client.
	 *
	 * @param string[] $client_ids Clients.
	 * @return array<string,int> client_id => number of users (0 when none).
	 */
	public static function authorized_user_counts( array $client_ids ): array {
		global $wpdb;
		$counts = array_fill_keys( array_map( 'strval', $client_ids ), 0 );
		if ( array() === $counts ) {
			return $counts;
		}
		$g            = Schema::tables()['grants'];
		$placeholders = implode( ',', array_fill( 0, count( $counts ), '%s' ) );
		$args         = array_merge( array_keys( $counts ), array( time() ) );
		$rows         = $wpdb->get_results( $wpdb->prepare( "SELECT client_id, COUNT(DISTINCT user_id) AS n FROM {$g} WHERE client_id IN ({$placeholders}) AND status = 'active' AND expires_at > %d GROUP BY client_id", $args ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQLPlaceholders.UnfinishedPrepare
		foreach ( (array) $rows as $row ) {
			if ( isset( $counts[ (string) $row->client_id ] ) ) {
				$counts[ (string) $row->client_id ] = (int) $row->n;
			}
		}
		return $counts;
	}
}
