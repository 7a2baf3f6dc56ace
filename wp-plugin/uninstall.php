<?php
/**
 * Uninstall: drops the plugin's tables, options and user meta.
 *
 * @package Wpoa
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

require_once __DIR__ . '/includes/class-autoloader.php';
\Wpoa\Autoloader::register();
\Wpoa\Schema::uninstall();
wp_clear_scheduled_hook( 'wpoa_cleanup' );
