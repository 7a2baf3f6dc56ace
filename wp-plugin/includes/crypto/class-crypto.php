<?php
/**
 * The crypto facade: the only plugin code that calls the wp_oauth_* extension functions.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Thin, typed wrappers around the wp_oauth extension. Everything else in the
 * plugin goes through here, so the extension's contract is visible in one file.
 * Every method may throw `\WpOAuth\Exception` (see php-stubs/wp-oauth.php).
 */
final class Crypto {

	/**
	 * A random opaque token: base64url, no padding, from the OS CSPRNG.
	 *
	 * @param int $bytes Entropy in bytes (16..256); 32 bytes give a 43-character token.
	 * @return string
	 */
	public static function random_token( int $bytes = 32 ): string {
		return wp_oauth_random_token( $bytes );
	}

	/**
	 * Deterministic lookup hash of an opaque high-entropy token (base64url SHA-256, 43 chars).
	 * Used for codes and refresh tokens, which are looked up by this index.
	 *
	 * @param string $token The token as received.
	 * @return string
	 */
	public static function token_hash( string $token ): string {
		return wp_oauth_token_hash( $token );
	}

	/**
	 * PKCE S256 check (RFC 7636 §4.6), constant time.
	 *
	 * @param string $verifier  The `code_verifier` from the token request.
	 * @param string $challenge The stored `code_challenge`.
	 * @return bool False on mismatch.
	 * @throws \WpOAuth\Exception On a malformed verifier (RFC 7636 §4.1).
	 */
	public static function pkce_verify( string $verifier, string $challenge ): bool {
		return wp_oauth_pkce_verify( $verifier, $challenge, 'S256' );
	}

	/**
	 * PHC-format hash of a secret (client secret, registration access token).
	 *
	 * @param string $secret The plaintext, shown to its owner once and never stored.
	 * @return string
	 */
	public static function secret_hash( string $secret ): string {
		return wp_oauth_secret_hash( $secret );
	}

	/**
	 * Constant-time check of a secret against its stored PHC hash.
	 * A malformed stored hash counts as a mismatch (and is reported through `wpoa_crypto_error`).
	 *
	 * @param string $secret Presented secret.
	 * @param string $hash   Stored PHC string.
	 * @return bool
	 */
	public static function secret_verify( string $secret, string $hash ): bool {
		try {
			return wp_oauth_secret_verify( $secret, $hash );
		} catch ( \WpOAuth\Exception $e ) {
			do_action( 'wpoa_crypto_error', 'secret_verify', $e->getCode(), $e->getMessage() );
			return false;
		}
	}

	/**
	 * A new private signing JWK (JSON) with `kid` = RFC 7638 thumbprint.
	 *
	 * @param string $alg `ES256` (default) or `EdDSA`.
	 * @return string
	 */
	public static function key_generate( string $alg = 'ES256' ): string {
		return wp_oauth_key_generate( $alg );
	}

	/**
	 * Imports a PKCS#8 private or SPKI public PEM key as a JWK (JSON).
	 *
	 * @param string $pem PEM text.
	 * @param string $alg `RS256`, `PS256`, `ES256` or `EdDSA`.
	 * @return string
	 */
	public static function key_import( string $pem, string $alg ): string {
		return wp_oauth_key_import( $pem, $alg );
	}

	/**
	 * The public half of a JWK (JSON).
	 *
	 * @param string $jwk Private or public JWK JSON.
	 * @return string
	 */
	public static function key_public( string $jwk ): string {
		return wp_oauth_key_public( $jwk );
	}

	/**
	 * A JWKS document (RFC 7517 §5) with public members only.
	 *
	 * @param string[] $jwks JWK JSON strings.
	 * @return string JSON `{"keys":[...]}`.
	 */
	public static function jwks( array $jwks ): string {
		return wp_oauth_jwks( $jwks );
	}

	/**
	 * Signs claims as a JWS compact JWT with the key's `alg` and `kid`.
	 *
	 * @param array<string,mixed> $claims Claims.
	 * @param string              $jwk    Private JWK JSON.
	 * @param array<string,mixed> $header Extra header members (`typ`).
	 * @return string
	 */
	public static function jwt_encode( array $claims, string $jwk, array $header = array() ): string {
		return wp_oauth_jwt_encode( $claims, $jwk, $header );
	}

	/**
	 * Verifies and decodes a JWT (signature, `iss`, `aud`, `typ`, `exp`, `nbf`).
	 *
	 * @param string              $token   Compact JWS.
	 * @param string              $keys    JWK or JWKS JSON (pass the same string every time: the extension caches it parsed).
	 * @param array<string,mixed> $options See wp_oauth_jwt_decode() in php-stubs/wp-oauth.php.
	 * @return array<string,mixed> Claims.
	 * @throws \WpOAuth\TokenException When the token is not valid.
	 */
	public static function jwt_decode( string $token, string $keys, array $options = array() ): array {
		return wp_oauth_jwt_decode( $token, $keys, $options );
	}

	/**
	 * Verifies a DPoP proof (RFC 9449 §4.3) against the request it came with: size, strict
	 * base64url, `typ: dpop+jwt`, `alg` from the allow-list, a public `jwk`, the signature,
	 * `htm`, `htu`, the `iat` window and, when given, `nonce`, `ath`, `jkt` and the MCP
	 * profile's `content_digest`. Replay (`jti`) and nonce issuance are the caller's (Dpop).
	 *
	 * @param string              $proof  The `DPoP` header value.
	 * @param array<string,mixed> $expect See wp_oauth_dpop_verify() in php-stubs/wp-oauth.php.
	 * @return array{jkt:string, jti:string, iat:int, htm:string, htu:string, alg:string, nonce:?string, ath:?string, jwk:array<string,string>, claims:array<string,mixed>}
	 * @throws \WpOAuth\TokenException When the proof is not valid (codes 101–130).
	 * @throws \WpOAuth\Exception      INVALID_ARGUMENT for a bad `$expect` (a plugin bug).
	 */
	public static function dpop_verify( string $proof, array $expect ): array {
		return wp_oauth_dpop_verify( $proof, $expect );
	}
}
