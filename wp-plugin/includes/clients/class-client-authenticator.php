<?php
/**
 * Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3).
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Authenticates the client of a form-encoded OAuth request.
 *
 * Usage in an endpoint (after Https_Policy::require_https()):
 *
 *     $params = Client_Authenticator::form_params( $request ); // strings only; duplicates refused
 *     $client = Client_Authenticator::authenticate( $request, $params );
 *
 * Both throw OAuth_Error; answer with `$e->to_response()`.
 *
 * Methods (RFC 7591 §2 `token_endpoint_auth_method`; a client must use the one it registered):
 * - `none`: public client, identified by `client_id` in the body only (RFC 6749 §2.3, PKCE does the rest).
 * - `client_secret_basic`: `Authorization: Basic base64(urlencode(client_id) ":" urlencode(secret))`
 *   (RFC 6749 §2.3.1: both parts are form-urlencoded before base64, so they are decoded here),
 *   read where bearer authentication reads it (Authorization_Header::for_request(): also where
 *   a web server hid it from WordPress's REST request, e.g. Apache + mod_php without a rewrite rule).
 * - `client_secret_post`: `client_id` and `client_secret` in the form body.
 *
 * Errors:
 * - credentials both in the header and in the body (or two different client_ids) → 400 `invalid_request`
 *   (RFC 6749 §2.3: "MUST NOT use more than one authentication method in each request");
 * - no client identification, or a malformed Basic header → 401 `invalid_client` with a
 *   description of what is missing (it says nothing about any client);
 * - an unknown client, a wrong method, a wrong, missing or expired secret → 401 `invalid_client`
 *   with `WWW-Authenticate: Basic` and one description for all of them, "Client authentication
 *   failed." (RFC 6749 §5.2): the answer is the same byte for byte whether the client_id exists
 *   or not, so client ids cannot be enumerated. Site owners see the reason in the action
 *   `wpoa_client_auth_failed` (`unknown_client`, `wrong_method`, `invalid_secret`, `expired_secret`);
 * - a wrong secret while its client is locked (below) → 429 `invalid_client` with `Retry-After`.
 *
 * Failed secrets (brute-force protection, filter `wpoa_client_auth_limits`; the reasoning is in
 * docs/decisions/client-secret-lockout.md): every request that presents a secret and fails is
 * counted twice, per presented client_id (30 in a 15-minute window by default) and per client_id
 * and address (10), whether that client exists or not. Once either count reaches its limit, a
 * wrong secret for that client is answered 429 Too Many Requests with
 * `Retry-After: <seconds until that window ends>` instead of 401. The RIGHT secret is never
 * refused: it is verified exactly as when nothing is locked (one constant-time verification per
 * request, against a throw-away hash when there is no stored one to check), so an attacker
 * behind a shared proxy or NAT cannot lock out anybody's correct credentials, and the lock
 * answers "wrong" no sooner than verification does. Failures from one address do not affect
 * other clients behind it. Counters are Failure_Counter's (transients, or atomic counts in a
 * persistent object cache: shared by every PHP node); a success does not reset them. Public
 * clients (no secret) are not counted. The address is REMOTE_ADDR (the direct peer).
 */
final class Client_Authenticator {

	/** Transient key prefix of the per-client failure counters (md5 of the presented client_id). */
	const PREFIX_CLIENT = 'wpoa_authfail_cl_';

	/** Transient key prefix of the per client-and-address failure counters. */
	const PREFIX_CLIENT_IP = 'wpoa_authfail_cp_';

	/**
	 * The limits of failed secrets.
	 *
	 * @return array{per_client_ip:int, per_client:int, window:int} Failures per client_id and
	 *         address, failures per client_id, and the window in seconds; each at least 1 (window 60).
	 */
	public static function limits(): array {
		/**
		 * Filters the failed client-secret limits. `per_ip`, the name of the per-address limit
		 * before it became per client and address, is still read when `per_client_ip` is absent.
		 *
		 * @param array $limits {per_client_ip: 10, per_client: 30, window: 900 (seconds)}.
		 */
		$l = (array) apply_filters(
			'wpoa_client_auth_limits',
			array(
				'per_client_ip' => 10,
				'per_client'    => 30,
				'window'        => 15 * MINUTE_IN_SECONDS,
			)
		);
		return array(
			'per_client_ip' => max( 1, (int) ( $l['per_client_ip'] ?? $l['per_ip'] ?? 10 ) ),
			'per_client'    => max( 1, (int) ( $l['per_client'] ?? 30 ) ),
			'window'        => max( 60, (int) ( $l['window'] ?? 900 ) ),
		);
	}

	/**
	 * The form parameters of a client's POST to the token, revocation or introspection
	 * endpoint: the body must be `application/x-www-form-urlencoded` (RFC 6749 §4.1.3,
	 * RFC 7009 §2.1, RFC 7662 §2.1), then as form_params().
	 *
	 * @param \WP_REST_Request $request Request.
	 * @param string           $refusal Translated `error_description` for another content type.
	 * @return array<string,string> Body parameters.
	 * @throws OAuth_Error 400 `invalid_request` for another content type or a bad parameter.
	 */
	public static function form_body_params( \WP_REST_Request $request, string $refusal ): array {
		$type = $request->get_content_type();
		if ( ! is_array( $type ) || 'application/x-www-form-urlencoded' !== strtolower( (string) ( $type['value'] ?? '' ) ) ) {
			throw new OAuth_Error( 'invalid_request', $refusal );
		}
		return self::form_params( $request );
	}

	/**
	 * The parameters of a form-encoded body (`application/x-www-form-urlencoded`), as strings.
	 *
	 * Parses the raw body itself (PHP's parser keeps the last of duplicate names and turns
	 * `a[]=` into arrays): a parameter given twice is refused (RFC 6749 §3.2: "MUST NOT be
	 * included more than once"). Falls back to the request's body params when there is no raw body.
	 *
	 * @param \WP_REST_Request $request The request.
	 * @return array<string,string> Name => value (wp_unslash'ed when taken from body params).
	 * @throws OAuth_Error 400 `invalid_request` on a duplicate or non-string parameter.
	 */
	public static function form_params( \WP_REST_Request $request ): array {
		$raw = (string) $request->get_body();
		if ( '' === $raw ) {
			$params = array();
			foreach ( (array) $request->get_body_params() as $name => $value ) {
				if ( ! is_string( $value ) ) {
					throw new OAuth_Error(
						'invalid_request',
						/* translators: %s: parameter name. */
						sprintf( __( 'The parameter %s must be a single string.', 'wp-oauth' ), sanitize_key( (string) $name ) )
					);
				}
				$params[ (string) $name ] = wp_unslash( $value );
			}
			return $params;
		}
		$params = array();
		foreach ( self::parse_pairs( $raw ) as $pair ) {
			list( $name, $value ) = $pair;
			if ( array_key_exists( $name, $params ) ) {
				throw new OAuth_Error(
					'invalid_request',
					/* translators: %s: parameter name. */
					sprintf( __( 'The parameter %s is included more than once.', 'wp-oauth' ), self::printable( $name ) )
				);
			}
			$params[ $name ] = $value;
		}
		return $params;
	}

	/**
	 * Splits an `application/x-www-form-urlencoded` string into decoded name/value pairs, in order.
	 * Duplicates are kept (callers decide); names are not interpreted (`a[]` stays `a[]`).
	 *
	 * @param string $raw Query string or form body, without a leading `?`.
	 * @return array<int, array{0:string, 1:string}>
	 */
	public static function parse_pairs( string $raw ): array {
		$pairs = array();
		foreach ( explode( '&', $raw ) as $part ) {
			if ( '' === $part ) {
				continue;
			}
			$eq      = strpos( $part, '=' );
			$name    = urldecode( false === $eq ? $part : substr( $part, 0, $eq ) );
			$value   = false === $eq ? '' : urldecode( substr( $part, $eq + 1 ) );
			$pairs[] = array( $name, $value );
		}
		return $pairs;
	}

	/**
	 * Authenticates the client of the request (RFC 6749 §2.3).
	 *
	 * A request that presents a secret costs one secret verification whatever the outcome
	 * (against the client's stored hash when it has one, else against a throw-away hash), so
	 * neither an unknown client_id nor a lock answers sooner than a wrong secret does.
	 *
	 * @param \WP_REST_Request          $request The request (for the Authorization header).
	 * @param array<string,string>|null $params  Form parameters from form_params(); read from the request when null.
	 * @return Client The authenticated client.
	 * @throws OAuth_Error `invalid_request` (400), `invalid_client` (401, or 429 with `Retry-After`
	 *                     for a wrong secret while its client is locked).
	 */
	public static function authenticate( \WP_REST_Request $request, ?array $params = null ): Client {
		$params = null === $params ? self::form_params( $request ) : $params;
		$creds  = self::credentials( $request, $params );
		$ip     = self::client_ip();

		if ( '' === $creds['client_id'] ) {
			throw OAuth_Error::invalid_client( __( 'Client authentication is missing: send client_id (public clients) or the client credentials.', 'wp-oauth' ) );
		}

		$client = Client_Repository::find( $creds['client_id'] );
		$method = null === $client ? '' : $client->token_endpoint_auth_method;

		if ( 'none' === $creds['method'] ) {
			if ( null !== $client && 'none' === $method ) {
				return $client;
			}
			if ( null !== $client ) {
				/** This action is documented in record_failure(). */
				do_action( 'wpoa_client_auth_failed', $client->client_id, $ip, 'wrong_method' );
			}
			throw self::failed();
		}

		$stored = null === $client ? '' : (string) $client->client_secret_hash;
		$match  = Crypto::secret_verify( $creds['client_secret'], '' !== $stored ? $stored : self::throwaway_hash() );
		$match  = $match && '' !== $stored && '' !== $creds['client_secret'];
		$usable = null !== $client && $creds['method'] === $method;
		$live   = null !== $client && ! ( $client->secret_expires_at > 0 && $client->secret_expires_at <= time() );
		if ( $match && $usable && $live ) {
			return $client;
		}

		if ( null === $client ) {
			$reason = 'unknown_client';
		} elseif ( ! $usable ) {
			$reason = 'wrong_method';
		} elseif ( $match ) {
			$reason = 'expired_secret';
		} else {
			$reason = 'invalid_secret';
		}
		// The lock as it was before this attempt: the limit-th failure is still a 401.
		$retry = self::record_failure( $creds['client_id'], $ip, $reason );
		if ( $retry > 0 ) {
			throw new OAuth_Error(
				'invalid_client',
				__( 'Too many failed client authentication attempts. Try again later.', 'wp-oauth' ),
				429,
				array( 'Retry-After' => (string) $retry )
			);
		}
		throw self::failed();
	}

	/**
	 * The one answer for every failed authentication of a named client (RFC 6749 §5.2):
	 * 401 `invalid_client`, `WWW-Authenticate: Basic`, "Client authentication failed.".
	 *
	 * @return OAuth_Error
	 */
	private static function failed(): OAuth_Error {
		return OAuth_Error::invalid_client( __( 'Client authentication failed.', 'wp-oauth' ) );
	}

	/**
	 * A hash of a fresh random secret that nobody knows, in the scheme of the secrets this
	 * plugin issues: verifying against it costs what verifying a real client's secret costs.
	 *
	 * @return string PHC string.
	 */
	private static function throwaway_hash(): string {
		return Crypto::secret_hash( Crypto::random_token( 32 ) );
	}

	/**
	 * Which credentials the request carries.
	 *
	 * @param \WP_REST_Request     $request The request.
	 * @param array<string,string> $params  Form parameters.
	 * @return array{method:string, client_id:string, client_secret:string}
	 *         method: `client_secret_basic`, `client_secret_post` or `none`.
	 * @throws OAuth_Error `invalid_request` for two methods at once, `invalid_client` for a malformed Basic header.
	 */
	public static function credentials( \WP_REST_Request $request, array $params ): array {
		$body_id     = isset( $params['client_id'] ) ? (string) $params['client_id'] : '';
		$body_secret = isset( $params['client_secret'] ) ? (string) $params['client_secret'] : null;
		$header      = trim( (string) Authorization_Header::for_request( $request ) );

		if ( '' !== $header && 0 === stripos( $header, 'basic ' ) ) {
			$decoded = base64_decode( trim( substr( $header, 6 ) ), true );
			if ( false === $decoded || false === strpos( $decoded, ':' ) ) {
				throw OAuth_Error::invalid_client( __( 'The Authorization header is not valid Basic credentials.', 'wp-oauth' ) );
			}
			list( $id, $secret ) = explode( ':', $decoded, 2 );
			$id                  = urldecode( $id );
			$secret              = urldecode( $secret );
			if ( null !== $body_secret ) {
				throw new OAuth_Error( 'invalid_request', __( 'Client credentials were sent both in the Authorization header and in the body: use one authentication method.', 'wp-oauth' ) );
			}
			if ( '' !== $body_id && ! hash_equals( $id, $body_id ) ) {
				throw new OAuth_Error( 'invalid_request', __( 'The client_id in the body differs from the one in the Authorization header.', 'wp-oauth' ) );
			}
			return array(
				'method'        => 'client_secret_basic',
				'client_id'     => $id,
				'client_secret' => $secret,
			);
		}
		if ( null !== $body_secret ) {
			return array(
				'method'        => 'client_secret_post',
				'client_id'     => $body_id,
				'client_secret' => $body_secret,
			);
		}
		return array(
			'method'        => 'none',
			'client_id'     => $body_id,
			'client_secret' => '',
		);
	}

	/**
	 * Seconds until a wrong secret for this client, from this address, is answered 401 again
	 * rather than 429; 0 = not locked. The right secret is never refused (see the class).
	 *
	 * @param string $client_id Client id as presented (known or not).
	 * @param string $ip        Client address ('' when unknown).
	 * @return int Seconds, 0 when neither count has reached its limit.
	 */
	public static function retry_after( string $client_id, string $ip ): int {
		$limits = self::limits();
		return Failure_Counter::retry_after( self::counter_keys( $client_id, $ip ), self::maxima( $limits ), $limits['window'] );
	}

	/**
	 * The limit of each counter of counter_keys().
	 *
	 * @param array{per_client_ip:int, per_client:int, window:int} $limits From limits().
	 * @return array<string,int>
	 */
	private static function maxima( array $limits ): array {
		return array(
			'client'    => $limits['per_client'],
			'client_ip' => $limits['per_client_ip'],
		);
	}

	/**
	 * Counts one failed secret for the presented client_id and for it with this address, and
	 * says whether it was one too many (Failure_Counter::record_and_check(): with a shared
	 * object cache, of concurrent failures on any nodes exactly the allowed number get 401).
	 *
	 * @param string $client_id Client id as presented: unknown ids are counted like known ones,
	 *                          so a lock does not tell which ids exist.
	 * @param string $ip        Client address.
	 * @param string $reason    `invalid_secret`, `unknown_client`, `wrong_method` or `expired_secret`.
	 * @return int Seconds to wait (the answer is 429) when a count had already reached its limit
	 *             before this failure, 0 (the answer is 401) otherwise.
	 */
	public static function record_failure( string $client_id, string $ip, string $reason ): int {
		$limits = self::limits();
		$retry  = Failure_Counter::record_and_check( self::counter_keys( $client_id, $ip ), self::maxima( $limits ), $limits['window'] );
		/**
		 * Fires when a client fails to authenticate: a wrong, missing or expired secret, a secret
		 * for an unknown client, or a known client using another method than it registered. The
		 * secret itself is never passed.
		 *
		 * @param string $client_id Client id ('' when unknown: the presented id is attacker input).
		 * @param string $ip        Client address (REMOTE_ADDR).
		 * @param string $reason    `invalid_secret`, `unknown_client`, `wrong_method` or `expired_secret`.
		 */
		do_action( 'wpoa_client_auth_failed', 'unknown_client' === $reason ? '' : $client_id, $ip, $reason );
		return $retry;
	}

	/**
	 * Transient keys of the counters of a presented client_id.
	 *
	 * @param string $client_id Client id as presented.
	 * @param string $ip        Address or ''.
	 * @return array<string,string> `client` and `client_ip` => transient key.
	 */
	private static function counter_keys( string $client_id, string $ip ): array {
		return array(
			'client'    => self::PREFIX_CLIENT . md5( $client_id ),
			'client_ip' => self::PREFIX_CLIENT_IP . md5( $client_id . "\n" . $ip ),
		);
	}

	/**
	 * The direct peer's IP (REMOTE_ADDR), or '' when absent or malformed.
	 *
	 * @return string
	 */
	public static function client_ip(): string {
		$ip = isset( $_SERVER['REMOTE_ADDR'] ) ? (string) wp_unslash( $_SERVER['REMOTE_ADDR'] ) : '';
		return false !== filter_var( $ip, FILTER_VALIDATE_IP ) ? $ip : '';
	}

	/**
	 * A parameter name safe to echo in an error description (printable ASCII, at most 40 chars).
	 *
	 * @param string $name Raw name.
	 * @return string
	 */
	private static function printable( string $name ): string {
		return substr( (string) preg_replace( '/[^\x21-\x7e]/', '?', $name ), 0, 40 );
	}
}
