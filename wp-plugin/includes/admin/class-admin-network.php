<?php
/**
 * Network Admin → Settings → OAuth: every site of the network with its clients and grants.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * A read-only overview for network administrators. Each site is its own authorization server
 * (Network), so clients, grants and keys are managed on each site's own screens; this page says
 * where the plugin is installed, each site's issuer, how many clients and active grants it has,
 * and links to the site's screen. It lists sites a page at a time (PER_PAGE, by site ID).
 */
final class Admin_Network {

	/** Page slug under the network's Settings menu. */
	const SLUG = 'wpoa-network';

	/** Sites per page. */
	const PER_PAGE = 50;

	/**
	 * `network_admin_menu`: adds the page for users who can manage the network's options.
	 */
	public function add_page(): void {
		add_submenu_page(
			'settings.php',
			__( 'OAuth on this network', 'wp-oauth' ),
			__( 'OAuth', 'wp-oauth' ),
			'manage_network_options',
			self::SLUG,
			array( $this, 'render' )
		);
	}

	/**
	 * One row per site: `site_id`, `name`, `issuer`, `state` (`installed`, `not_installed`,
	 * `suspended`), `clients` and `grants` (null when unknown), `admin_url`.
	 *
	 * @param int $page 1-based page.
	 * @return array<int, array<string, mixed>>
	 */
	public static function rows( int $page = 1 ): array {
		$rows = array();
		$ids  = get_sites(
			array(
				'fields'     => 'ids',
				'network_id' => get_current_network_id(),
				'number'     => self::PER_PAGE,
				'offset'     => ( max( 1, $page ) - 1 ) * self::PER_PAGE,
				'orderby'    => 'id',
			)
		);
		foreach ( $ids as $id ) {
			switch_to_blog( (int) $id );
			try {
				$installed = (int) get_option( Plugin::SCHEMA_OPTION, 0 ) > 0;
				$row       = array(
					'site_id'   => (int) $id,
					'name'      => (string) get_option( 'blogname' ),
					'issuer'    => Urls::issuer(),
					'state'     => ! $installed ? 'not_installed' : ( Network::site_is_open() ? 'installed' : 'suspended' ),
					'clients'   => null,
					'grants'    => null,
					'admin_url' => admin_url( 'users.php?page=' . Admin_Clients::SLUG ),
				);
				if ( $installed ) {
					$row['clients'] = Client_Repository::count_or_null();
					$row['grants']  = Grant_Repository::count_active( time() );
				}
				$rows[] = $row;
			} finally {
				restore_current_blog();
			}
		}
		return $rows;
	}

	/**
	 * Renders the page.
	 */
	public function render(): void {
		if ( ! current_user_can( 'manage_network_options' ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to manage this network.', 'wp-oauth' ), '', array( 'response' => 403 ) );
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- read-only paging.
		$page   = isset( $_GET['paged'] ) ? max( 1, absint( wp_unslash( $_GET['paged'] ) ) ) : 1;
		$rows   = self::rows( $page );
		$states = array(
			'installed'     => __( 'Installed', 'wp-oauth' ),
			'not_installed' => __( 'Not installed (activate the plugin on this site or for the network)', 'wp-oauth' ),
			'suspended'     => __( 'Archived, spam or deactivated: no tokens accepted', 'wp-oauth' ),
		);
		$count  = static fn( $n ) => null === $n ? '—' : number_format_i18n( (int) $n );
		echo '<div class="wrap" id="wpoa-network">';
		echo '<h1>' . esc_html__( 'OAuth on this network', 'wp-oauth' ) . '</h1>';
		echo '<p>' . esc_html__( 'Each site is its own OAuth authorization server: its own issuer, signing keys, clients and grants. A token issued by one site is refused by every other. Manage clients on each site.', 'wp-oauth' ) . '</p>';
		echo '<table class="widefat striped"><thead><tr>';
		foreach ( array( __( 'Site', 'wp-oauth' ), __( 'Issuer', 'wp-oauth' ), __( 'State', 'wp-oauth' ), __( 'Clients', 'wp-oauth' ), __( 'Active grants', 'wp-oauth' ) ) as $h ) {
			echo '<th scope="col">' . esc_html( $h ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		foreach ( $rows as $r ) {
			printf(
				'<tr data-site-id="%1$d"><td><a href="%2$s">%3$s</a></td><td><code>%4$s</code></td><td>%5$s</td><td class="wpoa-clients">%6$s</td><td class="wpoa-grants">%7$s</td></tr>',
				(int) $r['site_id'],
				esc_url( $r['admin_url'] ),
				esc_html( '' !== $r['name'] ? $r['name'] : '#' . $r['site_id'] ),
				esc_html( $r['issuer'] ),
				esc_html( $states[ $r['state'] ] ),
				esc_html( $count( $r['clients'] ) ),
				esc_html( $count( $r['grants'] ) )
			);
		}
		echo '</tbody></table>';
		$base = network_admin_url( 'settings.php?page=' . self::SLUG );
		echo '<p>';
		if ( $page > 1 ) {
			echo '<a class="button" href="' . esc_url( add_query_arg( 'paged', $page - 1, $base ) ) . '">' . esc_html__( 'Previous sites', 'wp-oauth' ) . '</a> ';
		}
		if ( count( $rows ) === self::PER_PAGE ) {
			echo '<a class="button" href="' . esc_url( add_query_arg( 'paged', $page + 1, $base ) ) . '">' . esc_html__( 'More sites', 'wp-oauth' ) . '</a>';
		}
		echo '</p></div>';
	}
}
