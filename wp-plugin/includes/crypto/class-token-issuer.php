<?php
/**
 * Issues JWT access tokens (RFC 9068) and token responses (RFC 6749 §5.1).
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Mints access tokens through the crypto facade and builds the token response.
 */
final class Token_Issuer {

	/** Longest access token accepted for verification, in bytes (the extension refuses longer ones before decoding). */
	const MAX_ACCESS_TOKEN_LENGTH = 8192;

	/** Exception code of an `aud` that is not as asked: the extension's TokenException::INVALID_AUDIENCE. */
	const INVALID_AUDIENCE = 115;

	/**
	 * Access token lifetime in seconds (filter `wpoa_access_token_lifetime`, default 3600).
	 *
	 * @return int
	 */
	public static function access_token_lifetime(): int {
		return max( 60, min( DAY_IN_SECONDS, (int) apply_filters( 'wpoa_access_token_lifetime', HOUR_IN_SECONDS ) ) );
	}

	/**
	 * Signs an RFC 9068 access token: header `typ: at+jwt` and the current key's
	 * `alg`/`kid`; claims `iss`, `sub`, `aud`, `client_id`, `scope`, `jti`, `iat`,
	 * `exp`, `auth_time` and `grant_id` (private: the grant that bearer checks look up).
	 *
	 * When the token request carried a DPoP proof (Dpop::bound_jkt()), the token gets
	 * `cnf: {jkt}` (RFC 9449 §6.1).
	 *
	 * @param string $client_id Client.
	 * @param int    $user_id   User (becomes `sub`, as a string).
	 * @param string $scope     Scope.
	 * @param int    $grant_id  Grant.
	 * @param string $audience  `aud` (RFC 8707 resource).
	 * @param int    $auth_time When the user authenticated.
	 * @param int    $not_after The grant's absolute expiry (Unix seconds), 0 for none: the token
	 *                          never outlives its grant, so bearer checks that do not read the
	 *                          grant row (Revocation_List) need not look at it.
	 * @return array{token:string, jti:string, exp:int, expires_in:int, jkt:?string}
	 */
	public static function access_token( string $client_id, int $user_id, string $scope, int $grant_id, string $audience, int $auth_time, int $not_after = 0 ): array {
		$now    = time();
		$ttl    = self::access_token_lifetime();
		if ( $not_after > 0 ) {
			$ttl = max( 1, min( $ttl, $not_after - $now ) );
		}
		$jti    = Crypto::random_token( 16 );
		$claims = array(
			'iss'       => Urls::issuer(),
			'sub'       => (string) $user_id,
			'aud'       => $audience,
			'client_id' => $client_id,
			'scope'     => $scope,
			'jti'       => $jti,
			'iat'       => $now,
			'exp'       => $now + $ttl,
			'auth_time' => $auth_time,
			'grant_id'  => (string) $grant_id,
		);
		$jkt = Dpop::bound_jkt();
		if ( null !== $jkt ) {
			// RFC 9449 §6.1: the token is bound to the key of the token request's DPoP proof.
			$claims['cnf'] = array( 'jkt' => $jkt );
		}
		/**
		 * Filters the access token claims before signing. The registered claims above
		 * must stay; add private claims only.
		 *
		 * @param array $claims Claims.
		 */
		$claims = (array) apply_filters( 'wpoa_access_token_claims', $claims );
		$key    = Keys::current();
		$token  = Crypto::jwt_encode( $claims, $key['jwk'], array( 'typ' => 'at+jwt' ) );
		Grant_Repository::note_fresh_jti( $jti, $ttl );
		return array(
			'token'      => $token,
			'jti'        => $jti,
			'exp'        => $now + $ttl,
			'expires_in' => $ttl,
			'jkt'        => $jkt,
		);
	}

	/**
	 * Verifies one of this site's access tokens as every consumer must (bearer
	 * authentication, revocation, introspection): signature against the public JWKS
	 * (current and still-published retired keys), `iss`, `typ: at+jwt` (RFC 9068 §4),
	 * `exp`/`nbf` with `$leeway` seconds and the required claims in the extension; then the
	 * shape of the claims this issuer puts in every token (`sub` and `grant_id` positive
	 * integers as strings, `jti` of at most 64 bytes, `client_id`, integer `iat`, string
	 * `scope`) and `aud` (RFC 9068 §4, RFC 8707): equal to `$audience`, or with '' any of this
	 * site's resources (Resources::is_site_audience()). Does not look at the grant, the
	 * deny-list or the user: callers do what their RFC asks.
	 *
	 * @param string $token    Compact JWS as received (at most MAX_ACCESS_TOKEN_LENGTH bytes).
	 * @param int    $leeway   Clock leeway in seconds.
	 * @param string $audience The `aud` the token must carry (equal, or contained in its array);
	 *                         '' for any resource of this site.
	 * @return array<string,mixed> The claims.
	 * @throws \WpOAuth\Exception          From the extension when the token does not verify
	 *                                      (\WpOAuth\TokenException with its stable code).
	 * @throws \UnexpectedValueException    When it verifies but its claims are not ours in shape
	 *                                      (code 0), or `aud` is not as asked (code 115, the
	 *                                      extension's INVALID_AUDIENCE).
	 */
	public static function verify_access_token( string $token, int $leeway = Keys::LEEWAY, string $audience = '' ): array {
		$claims = self::verified_claims( $token, $leeway );
		$ok     = '' === $audience ? Resources::is_site_audience( $claims['aud'] ?? null ) : Resources::audience_is( $claims['aud'] ?? null, $audience );
		if ( ! $ok ) {
			throw new \UnexpectedValueException( 'invalid_audience', self::INVALID_AUDIENCE );
		}
		return $claims;
	}

	/**
	 * verify_access_token() for a REST request: `aud` must be the REST API root, or a resource
	 * below it (RFC 8707) that contains the request's route (Resources::audience_allows_route()).
	 * The audience is compared with the verified claim, so the token is decoded once.
	 *
	 * @param string      $token  Compact JWS as received.
	 * @param int         $leeway Clock leeway in seconds.
	 * @param string|null $route  The request's REST route (Plugin::requested_rest_route()), or null.
	 * @return array<string,mixed> The claims.
	 * @throws \WpOAuth\Exception          As verify_access_token().
	 * @throws \UnexpectedValueException    As verify_access_token().
	 */
	public static function verify_access_token_for_route( string $token, int $leeway, ?string $route ): array {
		$claims = self::verified_claims( $token, $leeway );
		if ( ! Resources::audience_allows_route( $claims['aud'] ?? null, $route ) ) {
			throw new \UnexpectedValueException( 'invalid_audience', self::INVALID_AUDIENCE );
		}
		return $claims;
	}

	/**
	 * The extension's verification of everything but `aud`, and the claims' shape.
	 *
	 * @param string $token  Compact JWS as received.
	 * @param int    $leeway Clock leeway in seconds.
	 * @return array<string,mixed> The claims (`aud` not yet checked).
	 * @throws \WpOAuth\Exception          From the extension.
	 * @throws \UnexpectedValueException    Claims not of this issuer's shape (code 0).
	 */
	private static function verified_claims( string $token, int $leeway ): array {
		$claims = Crypto::jwt_decode(
			$token,
			Keys::public_jwks(),
			array(
				'iss'        => Urls::issuer(),
				'typ'        => 'at+jwt',
				'leeway'     => $leeway,
				'required'   => array( 'exp', 'iat', 'sub', 'jti', 'client_id', 'grant_id', 'aud' ),
				'max_length' => self::MAX_ACCESS_TOKEN_LENGTH,
			)
		);
		$sub      = $claims['sub'] ?? null;
		$grant_id = $claims['grant_id'] ?? null;
		$jti      = $claims['jti'] ?? null;
		$client   = $claims['client_id'] ?? null;
		if ( ! is_string( $sub ) || ! self::is_id( $sub )
			|| ! ( is_string( $grant_id ) || is_int( $grant_id ) ) || ! self::is_id( (string) $grant_id )
			|| ! is_string( $jti ) || '' === $jti || strlen( $jti ) > 64
			|| ! is_string( $client ) || '' === $client
			|| ! is_int( $claims['iat'] ?? null )
			|| ( isset( $claims['scope'] ) && ! is_string( $claims['scope'] ) ) ) {
			throw new \UnexpectedValueException( 'invalid_claims' );
		}
		return $claims;
	}

	/**
	 * Whether a claim is a database id as this issuer writes it: a positive integer in decimal,
	 * no sign, no leading zero, at most 20 digits (`/^[1-9][0-9]{0,19}$/`).
	 *
	 * @param string $value The claim.
	 * @return bool
	 */
	private static function is_id( string $value ): bool {
		return '' !== $value && strlen( $value ) <= 20 && '0' !== $value[0] && ctype_digit( $value );
	}

	/**
	 * A successful token response body (RFC 6749 §5.1).
	 *
	 * @param array       $access        From access_token().
	 * @param string|null $refresh_token Plaintext refresh token, or null for none.
	 * @param string      $scope         Granted scope.
	 * @return array<string,mixed>
	 */
	public static function response( array $access, ?string $refresh_token, string $scope ): array {
		$body = array(
			'access_token' => $access['token'],
			'token_type'   => empty( $access['jkt'] ) ? 'Bearer' : 'DPoP', // RFC 9449 §5.
			'expires_in'   => $access['expires_in'],
		);
		if ( null !== $refresh_token ) {
			$body['refresh_token'] = $refresh_token;
		}
		$body['scope'] = $scope;
		return $body;
	}
}
