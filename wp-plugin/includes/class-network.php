<?php
/**
 * Multisite: what the plugin does per site of a network, and who belongs to a site.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * On a network every site is its own authorization server and resource server: its own issuer
 * and audience (its home and REST URLs), signing keys (options), clients, grants and tokens (its
 * own tables, `{$wpdb->prefix}oauth_*`), and its own hourly cleanup event (each site's WP-Cron).
 * Nothing of it is shared between sites; only users are (docs/decisions/multisite.md).
 *
 * - Network activation installs the existing sites (`switch_to_blog`; the first 100, the others
 *   on their first request), a site created later is installed on `wp_initialize_site` while the
 *   plugin is network-active, and a deleted site's tables are dropped with core's (`wpmu_drop_tables`).
 * - A user belongs to a site when they are a member of it or a super admin (the same rule as
 *   core's dashboard access, wp-admin/admin.php); only then do they get a code or a token, and
 *   their tokens work there only while that holds.
 * - An archived, spam or deactivated site accepts no token (core answers such a site's
 *   requests with 410, except for super admins).
 */
final class Network {

	/** Sites loaded per query when walking a network (bounds memory, not the walk). */
	const PAGE = 100;

	/**
	 * Whether a user may authorize clients on, and use tokens for, the current site.
	 * Always true on a single site (the caller checks that the user exists).
	 *
	 * @param int $user_id User.
	 * @return bool
	 */
	public static function user_belongs( int $user_id ): bool {
		if ( ! is_multisite() ) {
			return true;
		}
		return is_user_member_of_blog( $user_id, get_current_blog_id() ) || is_super_admin( $user_id );
	}

	/**
	 * Whether the current site is open: not archived, not marked as spam, not deactivated
	 * (`deleted` flag). Always true on a single site.
	 *
	 * @return bool
	 */
	public static function site_is_open(): bool {
		if ( ! is_multisite() ) {
			return true;
		}
		$site = get_site();
		if ( ! $site instanceof \WP_Site ) {
			return false;
		}
		return '1' !== (string) $site->archived && '1' !== (string) $site->spam && '0' === (string) $site->deleted;
	}

	/**
	 * Calls `$fn()` once for every site of the current network (or the first `$limit`, by site
	 * ID), switched to that site.
	 *
	 * @param callable $fn    fn( int $site_id ): void.
	 * @param int      $limit Most sites to visit; 0 for all.
	 * @return int Sites visited.
	 */
	public static function each_site( callable $fn, int $limit = 0 ): int {
		$visited = 0;
		for ( $offset = 0; ; $offset += self::PAGE ) {
			$ids = get_sites(
				array(
					'fields'     => 'ids',
					'network_id' => get_current_network_id(),
					'number'     => self::PAGE,
					'offset'     => $offset,
					'orderby'    => 'id',
				)
			);
			foreach ( $ids as $id ) {
				if ( $limit > 0 && $visited >= $limit ) {
					return $visited;
				}
				switch_to_blog( (int) $id );
				try {
					$fn( (int) $id );
				} finally {
					restore_current_blog();
				}
				++$visited;
			}
			if ( count( $ids ) < self::PAGE ) {
				return $visited;
			}
		}
	}

	/**
	 * Whether the plugin is network-active (loads wp-admin/includes/plugin.php when needed).
	 *
	 * @return bool
	 */
	public static function network_active(): bool {
		if ( ! is_multisite() ) {
			return false;
		}
		if ( ! function_exists( 'is_plugin_active_for_network' ) ) {
			require_once ABSPATH . 'wp-admin/includes/plugin.php';
		}
		return is_plugin_active_for_network( plugin_basename( WPOA_FILE ) );
	}

	/**
	 * `wp_initialize_site` (after core created the site's tables): a new site of a network where
	 * the plugin is network-active gets its tables, signing key and cleanup event at once.
	 *
	 * @param \WP_Site $site The new site.
	 */
	public static function on_initialize_site( $site ): void {
		if ( ! $site instanceof \WP_Site || ! self::network_active() ) {
			return;
		}
		switch_to_blog( (int) $site->blog_id );
		try {
			Plugin::install_site();
		} finally {
			restore_current_blog();
		}
	}

	/**
	 * `wpmu_drop_tables`: a deleted site's OAuth tables go with core's, so its clients, grants,
	 * codes and refresh tokens are gone; its access tokens already fail, their issuer no longer
	 * exists.
	 *
	 * @param string[] $tables  Tables core drops.
	 * @param int      $site_id The site being deleted.
	 * @return string[]
	 */
	public static function drop_tables( $tables, $site_id = 0 ): array {
		global $wpdb;
		$tables = (array) $tables;
		$prefix = $wpdb->get_blog_prefix( (int) $site_id );
		foreach ( Schema::tables() as $table ) {
			// Schema::tables() names the current site's tables: put the deleted site's prefix in front.
			$name = $prefix . substr( $table, strlen( $wpdb->prefix ) );
			if ( ! in_array( $name, $tables, true ) ) {
				$tables[] = $name;
			}
		}
		return $tables;
	}
}
