<?php
/**
 * Signing keys: generation, storage, the public JWKS and rotation with overlap.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Keys live in the options table. The private keys (option `wpoa_signing_keys`,
 * not autoloaded) are read only when a token is signed; bearer verification reads
 * the autoloaded public JWKS string (option `wpoa_public_jwks`), which is the same
 * bytes on every request so the extension keeps it parsed per worker.
 *
 * Rotation (RFC 7517 §5, RFC 8414 §2 `jwks_uri`): a new key becomes current; the
 * previous one is retired and stays in the JWKS until the last token it signed has
 * expired (retired_at + access token lifetime + leeway), then leaves.
 */
final class Keys {

	/** Option with the private keys: list of {kid, alg, jwk, created_at, retired_at}. */
	const OPTION_KEYS = 'wpoa_signing_keys';

	/** Option with the public JWKS JSON (current + still-valid retired keys). */
	const OPTION_JWKS = 'wpoa_public_jwks';

	/** Seconds of clock leeway accepted by verification (also the overlap margin). */
	const LEEWAY = 60;

	/**
	 * Generates and stores a key if there is none.
	 */
	public static function ensure_key(): void {
		if ( array() === self::stored() ) {
			self::rotate();
		}
	}

	/**
	 * The stored keys, newest first.
	 *
	 * @return array<int, array{kid:string, alg:string, jwk:string, created_at:int, retired_at:?int}>
	 */
	public static function stored(): array {
		$keys = get_option( self::OPTION_KEYS, array() );
		return is_array( $keys ) ? array_values( $keys ) : array();
	}

	/**
	 * The current signing key (private JWK JSON) and its metadata; generated if missing.
	 *
	 * @return array{kid:string, alg:string, jwk:string, created_at:int, retired_at:?int}
	 */
	public static function current(): array {
		foreach ( self::stored() as $key ) {
			if ( empty( $key['retired_at'] ) ) {
				return $key;
			}
		}
		return self::rotate();
	}

	/**
	 * The public JWKS JSON used to verify our tokens (and served at `jwks_uri`).
	 *
	 * @return string `{"keys":[...]}`.
	 */
	public static function public_jwks(): string {
		$jwks = get_option( self::OPTION_JWKS, '' );
		if ( ! is_string( $jwks ) || '' === $jwks ) {
			self::ensure_key();
			$jwks = self::rebuild_jwks();
		}
		return $jwks;
	}

	/**
	 * Generates a new current key and retires the previous one.
	 *
	 * @param string $alg `ES256` (default) or `EdDSA`; imported RS256/PS256 keys go through import().
	 * @return array The new key record.
	 */
	public static function rotate( string $alg = 'ES256' ): array {
		$jwk = Crypto::key_generate( $alg );
		return self::add( $jwk, $alg );
	}

	/**
	 * Imports a PEM private key (PKCS#8) as the new current signing key.
	 *
	 * @param string $pem PEM text.
	 * @param string $alg `RS256`, `PS256`, `ES256` or `EdDSA`.
	 * @return array The new key record.
	 */
	public static function import( string $pem, string $alg ): array {
		return self::add( Crypto::key_import( $pem, $alg ), $alg );
	}

	/**
	 * Stores a private JWK as current, retiring the previous current key.
	 *
	 * @param string $jwk Private JWK JSON with `kid`.
	 * @param string $alg Its algorithm.
	 * @return array The new key record.
	 */
	private static function add( string $jwk, string $alg ): array {
		$decoded = json_decode( $jwk, true );
		$now     = time();
		$keys    = array();
		foreach ( self::stored() as $key ) {
			if ( empty( $key['retired_at'] ) ) {
				$key['retired_at'] = $now;
				do_action( 'wpoa_key_retired', $key['kid'] );
			}
			$keys[] = $key;
		}
		$record = array(
			'kid'        => (string) ( $decoded['kid'] ?? '' ),
			'alg'        => $alg,
			'jwk'        => $jwk,
			'created_at' => $now,
			'retired_at' => null,
		);
		array_unshift( $keys, $record );
		update_option( self::OPTION_KEYS, $keys, false );
		self::rebuild_jwks();
		/**
		 * Fires when a new signing key becomes current.
		 *
		 * @param string $kid The new key's `kid` (RFC 7638 thumbprint).
		 * @param string $alg Its algorithm.
		 */
		do_action( 'wpoa_key_rotated', $record['kid'], $alg );
		return $record;
	}

	/**
	 * Drops retired keys whose last token has expired and rewrites the public JWKS.
	 *
	 * @return string The new public JWKS JSON.
	 */
	public static function rebuild_jwks(): string {
		$now    = time();
		$max    = Token_Issuer::access_token_lifetime() + self::LEEWAY;
		$keep   = array();
		$public = array();
		foreach ( self::stored() as $key ) {
			if ( ! empty( $key['retired_at'] ) && (int) $key['retired_at'] + $max < $now ) {
				do_action( 'wpoa_key_removed', $key['kid'] );
				continue;
			}
			$keep[]   = $key;
			$public[] = $key['jwk'];
		}
		if ( count( $keep ) !== count( self::stored() ) ) {
			update_option( self::OPTION_KEYS, $keep, false );
		}
		$jwks = Crypto::jwks( $public );
		update_option( self::OPTION_JWKS, $jwks, true );
		return $jwks;
	}
}
