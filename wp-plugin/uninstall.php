<?php
/**
 * Uninstall: drops the plugin's tables, options and user meta.
 *
 * @package Wpoa
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

require_once __DIR__ . '/includes/class-autoloader.php';
\Wpoa\Autoloader::register();
$wpoa_uninstall_site = static function () {
	\Wpoa\Schema::uninstall();
	wp_clear_scheduled_hook( 'wpoa_cleanup' );
};
if ( is_multisite() ) {
	// Every site of the network has its own tables, options and cleanup event.
	\Wpoa\Network::each_site( $wpoa_uninstall_site );
} else {
	$wpoa_uninstall_site();
}
