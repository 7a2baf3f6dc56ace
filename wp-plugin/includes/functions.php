<?php
/**
 * Rotates the OAuth signing key. The new key is published in the JWKS at once and signs
 * every token from `activates_at` on — one JWKS cache lifetime plus 60 s later (6 minutes
 * by default), so resource servers holding a cached key set already have it. The previous
 * key signs until then and stays published until the last token it signed has expired
 * (then the hourly `wpoa_cleanup` removes it). With `$emergency` the new key signs at
 * once, for a key that may have leaked: caches of the key set reject new tokens until
 * they refresh. Fires `wpoa_key_retired` and `wpoa_key_rotated`.
 *
 * @param string $alg       `ES256` (default) or `EdDSA`.
 * @param bool   $emergency Sign with the new key at once.
 * @return array{kid:string, alg:string, created_at:int, activates_at:int} The new key's public facts (Unix seconds).
 * @throws \InvalidArgumentException For another algorithm.
 * @throws \WpOAuth\Exception When the extension cannot generate the key.
 */
function wpoa_rotate_signing_key( string $alg = 'ES256', bool $emergency = false ): array {
	return \Wpoa\Key_Rotation::rotate( $alg, $emergency );
}
