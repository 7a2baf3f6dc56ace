<?php
/**
 * Plugin Name:       WP OAuth
 * Plugin URI:        https://github.com/wp-oauth/wp-oauth
 * Description:       First-party OAuth 2.1 authorization server for the REST API: authorization code + PKCE, Dynamic Client Registration and JWT access tokens, backed by the wp_oauth PHP extension.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.2
 * Author:            WP OAuth contributors
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       wp-oauth
 * Domain Path:       /languages
 *
 * @package Wpoa
 */

defined( 'ABSPATH' ) || exit;

define( 'WPOA_VERSION', '0.1.0' );
define( 'WPOA_FILE', __FILE__ );
define( 'WPOA_DIR', __DIR__ );
/** Oldest wp_oauth extension version this plugin works with (semver, compared with version_compare). */
define( 'WPOA_MIN_EXTENSION_VERSION', '0.1.0' );
/** The extension release built with this plugin release (Cargo.toml's version): the artifact that the notice and Site Health name. */
define( 'WPOA_EXTENSION_VERSION', '0.1.0' );

require_once WPOA_DIR . '/includes/class-plugin.php';

\Wpoa\Plugin::boot();
