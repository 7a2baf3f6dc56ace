<?php
/**
 * Custom tables, created and upgraded with dbDelta.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * The plugin's tables. All times are Unix seconds (UTC). Secrets and opaque
 * tokens are stored only as hashes: PHC strings for client secrets and
 * registration access tokens, base64url SHA-256 (43 chars) for codes and
 * refresh tokens, which must be found by an index.
 */
final class Schema {

	/** Bump Plugin::SCHEMA_VERSION when the table definitions change; install() runs dbDelta again. */
	const VERSION = Plugin::SCHEMA_VERSION;

	/** Option holding the installed schema version. */
	const OPTION = Plugin::SCHEMA_OPTION;

	/**
	 * Table names with the site's prefix.
	 *
	 * @return array{clients:string,codes:string,grants:string,refresh_tokens:string,revoked_tokens:string,device_codes:string,dpop_proofs:string}
	 */
	public static function tables(): array {
		global $wpdb;
		return array(
			'clients'        => $wpdb->prefix . 'oauth_clients',
			'codes'          => $wpdb->prefix . 'oauth_codes',
			'grants'         => $wpdb->prefix . 'oauth_grants',
			'refresh_tokens' => $wpdb->prefix . 'oauth_refresh_tokens',
			'revoked_tokens' => $wpdb->prefix . 'oauth_revoked_tokens',
			'device_codes'   => $wpdb->prefix . 'oauth_device_codes',
			'dpop_proofs'    => $wpdb->prefix . 'oauth_dpop_proofs',
		);
	}

	/**
	 * Creates or upgrades every table (idempotent) and records the version.
	 */
	public static function install(): void {
		global $wpdb;
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		$t       = self::tables();
		$collate = $wpdb->get_charset_collate();

		// One row per registered client (RFC 7591 §2 metadata in `metadata`).
		// first_authorized_at NULL = registered but never authorized (cleanup candidate).
		// client_id is varchar(191) everywhere (schema 2): a Client ID Metadata Document URL is a
		// client_id, and 191 utf8mb4 characters keep a unique index within 767 bytes.
		$sql = "CREATE TABLE {$t['clients']} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  client_id varchar(191) NOT NULL,
  client_secret_hash varchar(255) DEFAULT NULL,
  registration_token_hash varchar(255) DEFAULT NULL,
  client_name varchar(255) NOT NULL DEFAULT '',
  token_endpoint_auth_method varchar(32) NOT NULL DEFAULT 'none',
  redirect_uris longtext NOT NULL,
  metadata longtext NOT NULL,
  registered_by bigint(20) unsigned NOT NULL DEFAULT 0,
  created_at bigint(20) NOT NULL,
  updated_at bigint(20) NOT NULL,
  last_used_at bigint(20) DEFAULT NULL,
  first_authorized_at bigint(20) DEFAULT NULL,
  secret_expires_at bigint(20) NOT NULL DEFAULT 0,
  PRIMARY KEY  (id),
  UNIQUE KEY client_id (client_id),
  KEY never_authorized (first_authorized_at,created_at)
) $collate;
CREATE TABLE {$t['codes']} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  code_hash char(43) NOT NULL,
  client_id varchar(191) NOT NULL,
  user_id bigint(20) unsigned NOT NULL,
  redirect_uri text NOT NULL,
  code_challenge varchar(128) NOT NULL,
  scope varchar(255) NOT NULL DEFAULT '',
  audience varchar(255) NOT NULL DEFAULT '',
  auth_time bigint(20) NOT NULL,
  created_at bigint(20) NOT NULL,
  expires_at bigint(20) NOT NULL,
  used_at bigint(20) DEFAULT NULL,
  grant_id bigint(20) unsigned DEFAULT NULL,
  dpop_jkt char(43) DEFAULT NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY code_hash (code_hash),
  KEY expires_at (expires_at)
) $collate;
CREATE TABLE {$t['grants']} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  client_id varchar(191) NOT NULL,
  user_id bigint(20) unsigned NOT NULL,
  scope varchar(255) NOT NULL DEFAULT '',
  audience varchar(255) NOT NULL DEFAULT '',
  status varchar(20) NOT NULL DEFAULT 'active',
  revoked_reason varchar(64) DEFAULT NULL,
  auth_time bigint(20) NOT NULL,
  created_at bigint(20) NOT NULL,
  updated_at bigint(20) NOT NULL,
  expires_at bigint(20) NOT NULL,
  revoked_at bigint(20) DEFAULT NULL,
  last_used_at bigint(20) DEFAULT NULL,
  last_used_ip varchar(45) DEFAULT NULL,
  dpop_jkt char(43) DEFAULT NULL,
  origin varchar(255) DEFAULT NULL,
  PRIMARY KEY  (id),
  KEY user_client (user_id,client_id,status),
  KEY client_status (client_id,status),
  KEY status_expires (status,expires_at),
  KEY expires_at (expires_at),
  KEY revoked_at (revoked_at)
) $collate;
CREATE TABLE {$t['refresh_tokens']} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  token_hash char(43) NOT NULL,
  grant_id bigint(20) unsigned NOT NULL,
  client_id varchar(191) NOT NULL,
  scope varchar(255) NOT NULL DEFAULT '',
  created_at bigint(20) NOT NULL,
  expires_at bigint(20) NOT NULL,
  used_at bigint(20) DEFAULT NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY token_hash (token_hash),
  KEY grant_id (grant_id),
  KEY expires_at (expires_at)
) $collate;
CREATE TABLE {$t['revoked_tokens']} (
  jti varchar(64) NOT NULL,
  grant_id bigint(20) unsigned NOT NULL,
  expires_at bigint(20) NOT NULL,
  PRIMARY KEY  (jti),
  KEY expires_at (expires_at)
) $collate;
CREATE TABLE {$t['device_codes']} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  device_code_hash char(43) NOT NULL,
  user_code_hash char(43) NOT NULL,
  client_id varchar(191) NOT NULL,
  scope varchar(255) NOT NULL DEFAULT '',
  audience varchar(255) NOT NULL DEFAULT '',
  status varchar(20) NOT NULL DEFAULT 'pending',
  user_id bigint(20) unsigned NOT NULL DEFAULT 0,
  auth_time bigint(20) NOT NULL DEFAULT 0,
  poll_interval int(11) NOT NULL DEFAULT 5,
  last_poll_ms bigint(20) NOT NULL DEFAULT 0,
  created_at bigint(20) NOT NULL,
  expires_at bigint(20) NOT NULL,
  decided_at bigint(20) DEFAULT NULL,
  grant_id bigint(20) unsigned DEFAULT NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY device_code_hash (device_code_hash),
  UNIQUE KEY user_code_hash (user_code_hash),
  KEY expires_at (expires_at)
) $collate;
CREATE TABLE {$t['dpop_proofs']} (
  proof_hash char(43) NOT NULL,
  expires_at bigint(20) NOT NULL,
  PRIMARY KEY  (proof_hash),
  KEY expires_at (expires_at)
) $collate;";
		dbDelta( $sql );
		$fresh = false === get_option( self::OPTION, false );
		update_option( self::OPTION, self::VERSION, true );
		Revocation_List::install( $fresh );
		do_action( 'wpoa_schema_installed', self::VERSION );
	}

	/**
	 * Drops every table and option (uninstall.php only).
	 */
	public static function uninstall(): void {
		global $wpdb;
		foreach ( self::tables() as $table ) {
			$wpdb->query( "DROP TABLE IF EXISTS {$table}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- our own table names.
		}
		// Through core's functions, not a bare DELETE: a persistent object cache must forget them too,
		// or a later activation would find the old schema version (no tables made) and the old keys.
		$like = $wpdb->esc_like( 'wpoa_' ) . '%';
		foreach ( (array) $wpdb->get_col( $wpdb->prepare( "SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE %s", $like ) ) as $name ) {
			delete_option( $name );
		}
		foreach ( (array) $wpdb->get_col( $wpdb->prepare( "SELECT DISTINCT meta_key FROM {$wpdb->usermeta} WHERE meta_key LIKE %s", $like ) ) as $key ) {
			delete_metadata( 'user', 0, $key, '', true );
		}
	}
}
