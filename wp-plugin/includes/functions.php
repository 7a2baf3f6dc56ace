<?php
/**
 * The plugin's public functions, loaded on every request (functions cannot be autoloaded).
 *
 * @package Wpoa
 */

defined( 'ABSPATH' ) || exit;

/**
 * Rotates the OAuth signing key: a new key signs every token from now on; the
 * previous public key stays in the JWKS until the last token it signed has expired
 * (then the hourly `wpoa_cleanup` removes it). Fires `wpoa_key_retired` and
 * `wpoa_key_rotated`.
 *
 * @param string $alg `ES256` (default) or `EdDSA`.
 * @return array{kid:string, alg:string, created_at:int} The new key's public facts.
 * @throws \InvalidArgumentException For another algorithm.
 * @throws \WpOAuth\Exception When the extension cannot generate the key.
 */
function wpoa_rotate_signing_key( string $alg = 'ES256' ): array {
	return \Wpoa\Key_Rotation::rotate( $alg );
}
