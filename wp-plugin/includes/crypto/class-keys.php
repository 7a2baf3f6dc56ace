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
 * Rotation with pre-publication (RFC 7517 §5; RFC 8414 §2 `jwks_uri`; the JWKS is cached
 * for Discovery::jwks_max_age() seconds, RFC 9111 §5.2.2.1):
 * - a rotation adds the next key to the JWKS at once, with `activates_at` = now +
 *   prepublication() — one JWKS cache lifetime plus the clock leeway — so every copy of the
 *   key set that a client or resource server may still hold by then already contains it;
 * - the key that signs is chosen on read (current()): the newest key whose `activates_at`
 *   has passed and whose `retired_at` has not. No cron job is needed for the switch;
 * - the previous key's `retired_at` is the next key's `activates_at`; it stays in the JWKS
 *   until the last token it signed has expired (retired_at + access token lifetime +
 *   leeway), then rebuild_jwks() (hourly cleanup, every rotation) drops it;
 * - an emergency rotation (`$now = true`, for a key that may have leaked) signs with the new
 *   key at once, at the price that caches of the old key set reject new tokens until they
 *   refresh (at most jwks_max_age() seconds).
 *
 * Key record: {kid, alg, jwk (private JWK JSON), created_at, activates_at, retired_at}, Unix
 * seconds; `activates_at` absent (keys made before pre-publication) means `created_at`.
 */
final class Keys {

	/** Option with the private keys: list of {kid, alg, jwk, created_at, activates_at, retired_at}, newest first. */
	const OPTION_KEYS = 'wpoa_signing_keys';

	/** Option with the public JWKS JSON (next, current and still-valid retired keys). */
	const OPTION_JWKS = 'wpoa_public_jwks';

	/** Seconds of clock leeway accepted by verification (also the overlap margin). */
	const LEEWAY = 60;

	/**
	 * Generates and stores a key, signing at once, if there is none (nothing can have cached
	 * an empty key set's successor).
	 */
	public static function ensure_key(): void {
		if ( array() === self::stored() ) {
			self::rotate( 'ES256', true );
		}
	}

	/**
	 * The stored keys, newest first.
	 *
	 * @return array<int, array{kid:string, alg:string, jwk:string, created_at:int, activates_at?:int, retired_at:?int}>
	 */
	public static function stored(): array {
		$keys = get_option( self::OPTION_KEYS, array() );
		return is_array( $keys ) ? array_values( array_filter( $keys, 'is_array' ) ) : array();
	}

	/**
	 * How long a rotated-in key is published before it signs: the JWKS cache lifetime
	 * actually sent (Discovery::jwks_max_age()) plus the clock leeway.
	 *
	 * @return int Seconds.
	 */
	public static function prepublication(): int {
		return Discovery::jwks_max_age() + self::LEEWAY;
	}

	/**
	 * When a key starts signing.
	 *
	 * @param array $key A stored key record.
	 * @return int Unix seconds.
	 */
	public static function activates_at( array $key ): int {
		return isset( $key['activates_at'] ) ? (int) $key['activates_at'] : (int) ( $key['created_at'] ?? 0 );
	}

	/**
	 * A key's state at `$now`.
	 *
	 * @param array $key A stored key record.
	 * @param int   $now Unix seconds.
	 * @return string `next` (published, not signing yet), `current` (signs now; may have a
	 *                `retired_at` in the future when a next key is waiting) or `retired`.
	 */
	public static function state( array $key, int $now ): string {
		$retired = empty( $key['retired_at'] ) ? null : (int) $key['retired_at'];
		if ( null !== $retired && $retired <= $now ) {
			return 'retired';
		}
		return self::activates_at( $key ) > $now ? 'next' : 'current';
	}

	/**
	 * The key that signs now (private JWK JSON) and its metadata, decided on read from the
	 * stored activation and retirement times; a key is generated when none can sign.
	 *
	 * @return array{kid:string, alg:string, jwk:string, created_at:int, activates_at:int, retired_at:?int}
	 */
	public static function current(): array {
		$now = time();
		foreach ( self::stored() as $key ) {
			if ( 'current' === self::state( $key, $now ) ) {
				return $key;
			}
		}
		return self::rotate( 'ES256', true );
	}

	/**
	 * The public JWKS JSON used to verify our tokens (and served at `jwks_uri`). Read straight
	 * from the loaded autoloaded options (what get_option() returns when no filter is on the
	 * option: the value is a JSON string, stored unserialised), else through get_option().
	 *
	 * @return string `{"keys":[...]}`.
	 */
	public static function public_jwks(): string {
		global $wp_filter;
		if ( ! isset( $wp_filter[ 'pre_option_' . self::OPTION_JWKS ] ) && ! isset( $wp_filter['pre_option'] ) && ! isset( $wp_filter[ 'option_' . self::OPTION_JWKS ] ) ) {
			$all  = Urls::loaded_options();
			$jwks = $all[ self::OPTION_JWKS ] ?? null;
			if ( is_string( $jwks ) && '' !== $jwks && '{' === $jwks[0] ) {
				return $jwks;
			}
		}
		$jwks = get_option( self::OPTION_JWKS, '' );
		if ( ! is_string( $jwks ) || '' === $jwks ) {
			self::ensure_key();
			$jwks = self::rebuild_jwks();
		}
		return $jwks;
	}

	/**
	 * Generates a new key: published now, signing after prepublication() seconds — or at once
	 * with `$now` (emergency: the current key may have leaked).
	 *
	 * @param string $alg `ES256` (default) or `EdDSA`; imported RS256/PS256 keys go through import().
	 * @param bool   $now Sign with it at once instead of after the pre-publication.
	 * @return array The new key record.
	 * @throws \WpOAuth\Exception When the extension cannot generate the key.
	 */
	public static function rotate( string $alg = 'ES256', bool $now = false ): array {
		$jwk = Crypto::key_generate( $alg );
		return self::add( $jwk, $alg, $now );
	}

	/**
	 * Imports a PEM private key (PKCS#8) as the next signing key, like rotate().
	 *
	 * @param string $pem PEM text.
	 * @param string $alg `RS256`, `PS256`, `ES256` or `EdDSA`.
	 * @param bool   $now Sign with it at once instead of after the pre-publication.
	 * @return array The new key record.
	 * @throws \WpOAuth\Exception When the PEM is not a key of that algorithm.
	 */
	public static function import( string $pem, string $alg, bool $now = false ): array {
		return self::add( Crypto::key_import( $pem, $alg ), $alg, $now );
	}

	/**
	 * Stores a private JWK as the next key and schedules the retirement of every key that
	 * would otherwise still sign after it starts.
	 *
	 * @param string $jwk       Private JWK JSON with `kid`.
	 * @param string $alg       Its algorithm.
	 * @param bool   $immediate Sign with it at once.
	 * @return array The new key record.
	 */
	private static function add( string $jwk, string $alg, bool $immediate ): array {
		$decoded   = json_decode( $jwk, true );
		$now       = time();
		$activates = $immediate ? $now : $now + self::prepublication();
		$keys      = array();
		foreach ( self::stored() as $key ) {
			if ( empty( $key['retired_at'] ) || (int) $key['retired_at'] > $activates ) {
				$key['retired_at'] = $activates;
				/**
				 * Fires when a key's retirement is set: it stops signing at `$retired_at` and stays
				 * published until its last token has expired.
				 *
				 * @param string $kid        The key's `kid`.
				 * @param int    $retired_at When it stops signing (Unix seconds; now for an emergency rotation).
				 */
				do_action( 'wpoa_key_retired', $key['kid'], $activates );
			}
			$keys[] = $key;
		}
		$record = array(
			'kid'          => (string) ( $decoded['kid'] ?? '' ),
			'alg'          => $alg,
			'jwk'          => $jwk,
			'created_at'   => $now,
			'activates_at' => $activates,
			'retired_at'   => null,
		);
		array_unshift( $keys, $record );
		update_option( self::OPTION_KEYS, $keys, false );
		self::rebuild_jwks();
		/**
		 * Fires when a new signing key is published.
		 *
		 * @param string $kid          The new key's `kid` (RFC 7638 thumbprint).
		 * @param string $alg          Its algorithm.
		 * @param int    $activates_at When it starts signing (Unix seconds; now for an emergency rotation).
		 */
		do_action( 'wpoa_key_rotated', $record['kid'], $alg, $activates );
		return $record;
	}

	/**
	 * Drops the keys that can no longer have a valid token — retired ones whose last token has
	 * expired, and ones retired before they ever signed — and rewrites the public JWKS.
	 *
	 * @return string The new public JWKS JSON.
	 */
	public static function rebuild_jwks(): string {
		$now    = time();
		$max    = Token_Issuer::access_token_lifetime() + self::LEEWAY;
		$stored = self::stored();
		$keep   = array();
		$public = array();
		foreach ( $stored as $key ) {
			$retired = empty( $key['retired_at'] ) ? null : (int) $key['retired_at'];
			$expired = null !== $retired && $retired + $max < $now;
			// Retired before the second it would have started signing in: it signed nothing.
			$unused = null !== $retired && $retired <= $now && self::activates_at( $key ) > $retired;
			if ( $expired || $unused ) {
				/**
				 * Fires when a key leaves the JWKS (and its private key is deleted).
				 *
				 * @param string $kid The key's `kid`.
				 */
				do_action( 'wpoa_key_removed', $key['kid'] );
				continue;
			}
			$keep[]   = $key;
			$public[] = $key['jwk'];
		}
		if ( count( $keep ) !== count( $stored ) ) {
			update_option( self::OPTION_KEYS, $keep, false );
		}
		$jwks = Crypto::jwks( $public );
		update_option( self::OPTION_JWKS, $jwks, true );
		return $jwks;
	}
}
