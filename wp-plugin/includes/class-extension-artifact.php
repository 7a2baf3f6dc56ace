<?php
/**
 * Which build of the wp_oauth extension this PHP needs, and what is configured instead.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * The release artifact of the extension for the running PHP, named exactly as `make dist`
 * (scripts/dist.sh) names it: `wp-oauth-ext-<version>-php<minor>-<api>.tar.gz`, where `<api>` is
 * the PHP module API number (`PHP Extension` in `php -i`, the last part of
 * `php-config --extension-dir`). The missing-extension notice and Site Health both name the
 * artifact through name(); nothing else builds the name.
 *
 * Loaded only when something is wrong with the extension (the notice) or on the Site Health
 * screen: no request that works loads it.
 */
final class Extension_Artifact {

	/**
	 * PHP minor versions with a prebuilt artifact (scripts/dist.sh builds one per PHP minor that
	 * Debian packages). All are NTS builds for x86_64 Linux.
	 *
	 * @var string[]
	 */
	const PUBLISHED_MINORS = array( '8.2', '8.4', '8.5' );

	/** Machine architecture of every prebuilt artifact (`uname -m`). */
	const ARCH = 'x86_64';

	/**
	 * PHP module API number (ZEND_MODULE_API_NO) of each PHP minor this plugin supports: an
	 * extension loads only into the PHP whose number it was built with.
	 *
	 * @var array<string,string>
	 */
	const API_NUMBERS = array(
		'8.2' => '20220829',
		'8.3' => '20230831',
		'8.4' => '20240924',
		'8.5' => '20250925',
	);

	/** Where the host guide explains installing an artifact. */
	const HOST_GUIDE_URL = 'https://github.com/wp-oauth/wp-oauth/blob/main/docs/host-guide.md#prebuilt-artifacts-one-per-php-minor';

	/**
	 * The running PHP's minor version, e.g. `8.2`.
	 *
	 * @return string
	 */
	public static function php_minor(): string {
		return PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION;
	}

	/**
	 * The running PHP's module API number: the 8-digit number in PHP_EXTENSION_DIR (Debian
	 * `/usr/lib/php/20220829`, upstream `…/no-debug-non-zts-20220829`), else the known number of
	 * its minor, else an empty string.
	 *
	 * @return string 8 digits, or '' when unknown.
	 */
	public static function php_api(): string {
		if ( preg_match_all( '/(?<!\d)(20\d{6})(?!\d)/', (string) PHP_EXTENSION_DIR, $m ) ) {
			return (string) end( $m[1] );
		}
		return self::API_NUMBERS[ self::php_minor() ] ?? '';
	}

	/**
	 * The artifact's file name for a PHP minor and API number (default: the running PHP).
	 *
	 * @param string      $version Extension version; default WPOA_EXTENSION_VERSION, the build
	 *                             released with this plugin.
	 * @param string|null $minor   PHP minor, e.g. `8.4`.
	 * @param string|null $api     PHP module API number, e.g. `20240924`.
	 * @return string e.g. `wp-oauth-ext-0.1.0-php8.2-20220829.tar.gz`.
	 */
	public static function name( string $version = '', ?string $minor = null, ?string $api = null ): string {
		$version = '' !== $version ? $version : WPOA_EXTENSION_VERSION;
		$minor   = $minor ?? self::php_minor();
		$api     = $api ?? self::php_api();
		return 'wp-oauth-ext-' . $version . '-php' . $minor . '-' . $api . '.tar.gz';
	}

	/**
	 * The php.ini line that loads the extension from a PHP's extension directory.
	 *
	 * @param string|null $extension_dir Default: the running PHP's (PHP_EXTENSION_DIR).
	 * @return string e.g. `extension=/usr/lib/php/20220829/libwp_oauth.so`.
	 */
	public static function ini_line( ?string $extension_dir = null ): string {
		return 'extension=' . rtrim( $extension_dir ?? (string) PHP_EXTENSION_DIR, '/' ) . '/libwp_oauth.so';
	}

	/**
	 * Why no prebuilt artifact fits this PHP, as a stable code, or null when one does.
	 *
	 * @param string|null $minor PHP minor (default: the running PHP's).
	 * @param string|null $arch  Machine architecture (default: `php_uname('m')`).
	 * @param bool|null   $zts   Thread-safe PHP (default: PHP_ZTS).
	 * @return string|null `php_minor` (no build for this PHP minor), `arch`, `zts`, `os`.
	 */
	public static function unavailable_reason( ?string $minor = null, ?string $arch = null, ?bool $zts = null ): ?string {
		$minor = $minor ?? self::php_minor();
		$arch  = $arch ?? php_uname( 'm' );
		$zts   = $zts ?? (bool) PHP_ZTS;
		if ( 'Linux' !== PHP_OS_FAMILY ) {
			return 'os';
		}
		if ( $zts ) {
			return 'zts';
		}
		if ( self::ARCH !== $arch ) {
			return 'arch';
		}
		return in_array( $minor, self::PUBLISHED_MINORS, true ) ? null : 'php_minor';
	}

	/**
	 * The `extension=` lines of the loaded php.ini files that name the wp_oauth extension.
	 *
	 * @param string[]|null $ini_files Files to read (default: php_ini_loaded_file() and
	 *                                 php_ini_scanned_files()).
	 * @return array<int, array{ini:string, path:string}> One entry per line: the ini file and the
	 *                                                    value of the line.
	 */
	public static function configured( ?array $ini_files = null ): array {
		if ( null === $ini_files ) {
			$ini_files = array();
			$loaded    = php_ini_loaded_file();
			if ( is_string( $loaded ) && '' !== $loaded ) {
				$ini_files[] = $loaded;
			}
			$scanned = php_ini_scanned_files();
			if ( is_string( $scanned ) && '' !== $scanned ) {
				$ini_files = array_merge( $ini_files, array_map( 'trim', explode( ',', $scanned ) ) );
			}
		}
		$found = array();
		foreach ( $ini_files as $ini ) {
			if ( ! is_string( $ini ) || '' === $ini || ! is_readable( $ini ) ) {
				continue;
			}
			$lines = file( $ini, FILE_IGNORE_NEW_LINES );
			foreach ( is_array( $lines ) ? $lines : array() as $line ) {
				if ( preg_match( '/^\s*(?:zend_)?extension\s*=\s*"?([^";\s]*(?:wp_oauth|wp-oauth)[^";\s]*)"?/i', $line, $m ) ) {
					$found[] = array(
						'ini'  => $ini,
						'path' => $m[1],
					);
				}
			}
		}
		return $found;
	}

	/**
	 * What the `.so` at a path was built for, read from the module's build id (`API20220829,NTS`,
	 * the string PHP compares before loading an extension).
	 *
	 * @param string $path Absolute path of a shared object.
	 * @return array{api:string, zts:bool}|null Null when the file is missing, unreadable or
	 *                                         carries no build id.
	 */
	public static function built_for( string $path ): ?array {
		if ( '' === $path || ! is_file( $path ) || ! is_readable( $path ) ) {
			return null;
		}
		$bytes = file_get_contents( $path, false, null, 0, 64 * 1024 * 1024 ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents -- a local binary.
		if ( ! is_string( $bytes ) || ! preg_match( '/API(20\d{6}),(NTS|TS)/', $bytes, $m ) ) {
			return null;
		}
		return array(
			'api' => $m[1],
			'zts' => 'TS' === $m[2],
		);
	}

	/**
	 * The PHP minor whose module API number is `$api`, or null when it is none this plugin knows.
	 *
	 * @param string $api 8 digits.
	 * @return string|null
	 */
	public static function minor_for_api( string $api ): ?string {
		$minor = array_search( $api, self::API_NUMBERS, true );
		return false === $minor ? null : (string) $minor;
	}
}
