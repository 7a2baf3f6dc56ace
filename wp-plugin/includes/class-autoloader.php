<?php
/**
 * Loads the plugin's classes on first use.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Maps a class of the `Wpoa\` namespace to its file: `Wpoa\Grant_Repository` is
 * `class-grant-repository.php` (WordPress's file naming) in one of the layer folders of
 * `includes/`. A request loads only the classes it runs.
 */
final class Autoloader {

	/**
	 * The layer folders under `includes/`, most used first ('' is `includes/` itself).
	 *
	 * @var string[]
	 */
	const FOLDERS = array( 'auth/', 'crypto/', 'storage/', '', 'endpoints/', 'grants/', 'clients/', 'admin/' );

	/**
	 * Adds the loader to PHP's autoload stack.
	 */
	public static function register(): void {
		spl_autoload_register( array( self::class, 'load' ) );
	}

	/**
	 * Requires the file of a `Wpoa\` class; ignores every other class.
	 *
	 * @param string $class Fully qualified class name.
	 */
	public static function load( string $class ): void {
		if ( 0 !== strncmp( $class, __NAMESPACE__ . '\\', 5 ) ) {
			return;
		}
		$file = 'class-' . strtolower( str_replace( '_', '-', substr( $class, 5 ) ) ) . '.php';
		foreach ( self::FOLDERS as $folder ) {
			$path = __DIR__ . '/' . $folder . $file;
			if ( is_file( $path ) ) {
				require $path;
				// The first component of a request of the active plugin (not uninstall.php, which
				// does not load Plugin): the tables must match this code.
				if ( class_exists( Plugin::class, false ) ) {
					Plugin::maybe_upgrade_schema();
				}
				return;
			}
		}
	}
}
