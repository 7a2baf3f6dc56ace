<?php
/**
 * Every URL the plugin publishes: issuer, audience, endpoints.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * One place for the identifiers clients compare byte for byte.
 */
final class Urls {

	/**
	 * Filters whose callbacks shape issuer() and audience(): a callback on any of them (other than
	 * core's own, STABLE_CALLBACKS) may compute the URLs from something the fingerprint does not
	 * see, so the values are then computed in every request (memoised within it only).
	 */
	const INPUT_HOOKS = array( 'wpoa_issuer', 'wpoa_audience', 'home_url', 'rest_url', 'rest_url_prefix', 'set_url_scheme', 'pre_option', 'option_home', 'pre_option_home', 'default_option_home', 'option_permalink_structure', 'pre_option_permalink_structure', 'default_option_permalink_structure' );

	/**
	 * Core's callbacks on INPUT_HOOKS whose output the fingerprint covers: `_config_wp_home`
	 * returns the WP_HOME constant (part of the fingerprint) or the value unchanged.
	 */
	const STABLE_CALLBACKS = array( 'option_home' => '_config_wp_home' );

	/**
	 * Autoloaded option: fingerprint => {issuer, audience, home_path}, across requests
	 * (docs/decisions/url-cache.md), as text read without decoding it all: CACHE_HEADER, then
	 * one line per entry, `fingerprint US issuer US audience US home_path LF` (US: 0x1F).
	 */
	const CACHE_OPTION = 'wpoa_url_cache';

	/** First line of CACHE_OPTION; a value without it is not read (and is replaced on the next write). */
	const CACHE_HEADER = "wpoa-urls/1\n";

	/** Most fingerprints kept in CACHE_OPTION (the oldest goes first). */
	const CACHE_MAX = 6;

	/**
	 * Values computed in this request: context key => [name => value].
	 *
	 * @var array<string, array<string, string>>
	 */
	private static $memo = array();

	/**
	 * Values held fixed by pin(), or null.
	 *
	 * @var array<string, string>|null
	 */
	private static $pinned = null;

	/**
	 * The autoloaded options as the outermost pin() read them, or null.
	 *
	 * @var array<string, mixed>|null
	 */
	private static $pinned_options = null;

	/**
	 * How many pin() calls are open.
	 *
	 * @var int
	 */
	private static $pins = 0;

	/**
	 * Whether this request already wrote CACHE_OPTION (at most one write per request).
	 *
	 * @var bool
	 */
	private static $wrote = false;

	/**
	 * A cheap, stable description of everything issuer(), audience() and home_path() derive from,
	 * or null when it cannot be trusted across requests: the site (blog id; never while
	 * switch_to_blog() is in effect), HTTPS or not, wp-admin with FORCE_SSL_ADMIN (get_rest_url()
	 * forces https there), the raw `home` and `permalink_structure` values of the loaded
	 * autoloaded options (after the `alloptions` filter, as get_option() reads them), the WP_HOME
	 * constant, the rewrite object's permalink structure and index file, the WordPress and plugin
	 * versions; null when any filter in INPUT_HOOKS has a callback beyond STABLE_CALLBACKS, when
	 * WordPress is installing, or when `home` is not among the autoloaded options.
	 *
	 * @return string|null
	 */
	public static function fingerprint(): ?string {
		$all = null;
		return self::fingerprint_from( $all );
	}

	/**
	 * fingerprint(), handing back the autoloaded options it read (null when it did not get there).
	 *
	 * @param array<string, mixed>|null $all Set to wp_load_alloptions().
	 * @return string|null
	 */
	private static function fingerprint_from( ?array &$all ): ?string {
		global $wp_filter, $wp_rewrite, $wp_version;
		if ( ! isset( $wp_rewrite ) || ( is_multisite() && ms_is_switched() ) || wp_installing() ) {
			return null;
		}
		foreach ( self::INPUT_HOOKS as $hook ) {
			if ( isset( $wp_filter[ $hook ] ) && $wp_filter[ $hook ]->callbacks ) {
				$callbacks = $wp_filter[ $hook ]->callbacks;
				$stable    = self::STABLE_CALLBACKS[ $hook ] ?? null;
				if ( null === $stable || 1 !== count( $callbacks ) || 1 !== count( (array) reset( $callbacks ) ) || ! isset( reset( $callbacks )[ $stable ] ) ) {
					return null;
				}
			}
		}
		$all = wp_load_alloptions();
		if ( ! isset( $all['home'] ) || ! is_string( $all['home'] ) ) {
			return null;
		}
		return get_current_blog_id()
			. ( is_ssl() ? '|s' : '|' )
			. ( is_admin() && force_ssl_admin() ? 'a|' : '|' )
			. $all['home'] . '|'
			. ( defined( 'WP_HOME' ) ? (string) WP_HOME : '' ) . '|'
			. ( isset( $all['permalink_structure'] ) ? (string) $all['permalink_structure'] : '' ) . '|'
			. $wp_rewrite->permalink_structure . '|' . $wp_rewrite->index . '|'
			. $wp_version . '|' . ( defined( 'WPOA_VERSION' ) ? WPOA_VERSION : '' );
	}

	/**
	 * The per-request memo key when fingerprint() is null: the site, HTTPS or not, the rewrite
	 * structure and the callbacks on INPUT_HOOKS (a callback added or removed changes it).
	 *
	 * @return string
	 */
	private static function volatile_key(): string {
		global $wp_filter, $wp_rewrite;
		$key = '~' . get_current_blog_id() . ( is_ssl() ? 's' : '' ) . '|' . ( isset( $wp_rewrite ) ? (string) $wp_rewrite->permalink_structure : '' );
		foreach ( self::INPUT_HOOKS as $hook ) {
			if ( isset( $wp_filter[ $hook ] ) ) {
				$key .= '|' . $hook . ':' . spl_object_id( $wp_filter[ $hook ] ) . ':' . count( $wp_filter[ $hook ]->callbacks, COUNT_RECURSIVE );
			}
		}
		return $key;
	}

	/**
	 * The values computed from scratch (core's URL functions and this plugin's filters).
	 *
	 * @param string $name `issuer`, `audience` or `home_path`.
	 * @return string
	 */
	private static function compute( string $name ): string {
		switch ( $name ) {
			case 'issuer':
				return (string) apply_filters( 'wpoa_issuer', untrailingslashit( home_url() ) );
			case 'audience':
				return (string) apply_filters( 'wpoa_audience', rest_url() );
			default:
				return trailingslashit( (string) wp_parse_url( home_url( '/' ), PHP_URL_PATH ) );
		}
	}

	/**
	 * A value computed once per request and context, and kept across requests in CACHE_OPTION
	 * under its fingerprint() when there is one: issuer() and audience() are compared byte for
	 * byte on every bearer request, and core computes them from options and filters each time.
	 * An entry is only ever used for exactly the inputs it was computed from; when the inputs
	 * cannot be described (fingerprint() is null) nothing is read or written across requests.
	 *
	 * @param string $name `issuer`, `audience` or `home_path`.
	 * @return string
	 */
	private static function memo( string $name ): string {
		if ( null !== self::$pinned ) {
			return self::$pinned[ $name ];
		}
		return self::entry( $name )[ $name ];
	}

	/**
	 * The memoised values of the current inputs: all three when they have a fingerprint (or
	 * `$name` is null), else at least `$name`.
	 *
	 * @param string|null               $name `issuer`, `audience`, `home_path`, or null for all three.
	 * @param array<string, mixed>|null $all  Set to the autoloaded options fingerprint() read (null when it did not).
	 * @return array<string, string>
	 */
	private static function entry( ?string $name, ?array &$all = null ): array {
		$all         = null;
		$fingerprint = self::fingerprint_from( $all );
		$key         = $fingerprint ?? self::volatile_key();
		if ( isset( self::$memo[ $key ] ) && ( null === $name ? 3 === count( self::$memo[ $key ] ) : isset( self::$memo[ $key ][ $name ] ) ) ) {
			return self::$memo[ $key ];
		}
		if ( count( self::$memo ) > 8 ) {
			self::$memo = array();
		}
		if ( null === $fingerprint ) {
			foreach ( null === $name ? array( 'issuer', 'audience', 'home_path' ) : array( $name ) as $one ) {
				if ( ! isset( self::$memo[ $key ][ $one ] ) ) {
					self::$memo[ $key ][ $one ] = self::compute( $one );
				}
			}
			return self::$memo[ $key ];
		}
		$raw   = $all[ self::CACHE_OPTION ] ?? '';
		$entry = is_string( $raw ) ? self::cache_lookup( $raw, $fingerprint ) : null;
		if ( null === $entry ) {
			$entry = array(
				'issuer'    => self::compute( 'issuer' ),
				'audience'  => self::compute( 'audience' ),
				'home_path' => self::compute( 'home_path' ),
			);
			// Computing may have run filters that changed an input: keep the entry only when not.
			if ( self::fingerprint() === $fingerprint ) {
				self::write_cache( is_string( $raw ) ? $raw : '', $fingerprint, $entry );
			}
		}
		self::$memo[ $key ] = $entry;
		return $entry;
	}

	/**
	 * The entry of one fingerprint in CACHE_OPTION's text, or null when it has none (or the
	 * text is not in CACHE_OPTION's format). Only that line is read.
	 *
	 * @param string $raw         CACHE_OPTION as loaded.
	 * @param string $fingerprint fingerprint().
	 * @return array{issuer: string, audience: string, home_path: string}|null
	 */
	private static function cache_lookup( string $raw, string $fingerprint ): ?array {
		$needle = "\n" . $fingerprint . "\x1f";
		$at     = strpos( $raw, $needle );
		if ( false === $at || 0 !== strncmp( $raw, self::CACHE_HEADER, strlen( self::CACHE_HEADER ) ) ) {
			return null;
		}
		$start = $at + strlen( $needle );
		$end   = strpos( $raw, "\n", $start );
		if ( false === $end ) {
			return null;
		}
		$fields = explode( "\x1f", substr( $raw, $start, $end - $start ) );
		if ( 3 !== count( $fields ) ) {
			return null;
		}
		return array(
			'issuer'    => $fields[0],
			'audience'  => $fields[1],
			'home_path' => $fields[2],
		);
	}

	/**
	 * Every entry of CACHE_OPTION's text, oldest first; empty when it is not in the format.
	 * Lines that do not have four fields are left out.
	 *
	 * @param string $raw CACHE_OPTION as stored.
	 * @return array<string, array{issuer: string, audience: string, home_path: string}> fingerprint => entry.
	 */
	public static function decode_cache( string $raw ): array {
		if ( 0 !== strncmp( $raw, self::CACHE_HEADER, strlen( self::CACHE_HEADER ) ) ) {
			return array();
		}
		$entries = array();
		foreach ( explode( "\n", substr( $raw, strlen( self::CACHE_HEADER ) ) ) as $line ) {
			$fields = explode( "\x1f", $line );
			if ( 4 === count( $fields ) ) {
				$entries[ $fields[0] ] = array(
					'issuer'    => $fields[1],
					'audience'  => $fields[2],
					'home_path' => $fields[3],
				);
			}
		}
		return $entries;
	}

	/**
	 * CACHE_OPTION's text for some entries, or null when a value cannot be written in the
	 * format (it holds a line feed or a unit separator: such an entry is simply not kept).
	 *
	 * @param array<string, array{issuer: string, audience: string, home_path: string}> $entries fingerprint => entry, oldest first.
	 * @return string|null
	 */
	public static function encode_cache( array $entries ): ?string {
		$text = self::CACHE_HEADER;
		foreach ( $entries as $fingerprint => $entry ) {
			$fields = array( (string) $fingerprint, (string) $entry['issuer'], (string) $entry['audience'], (string) $entry['home_path'] );
			foreach ( $fields as $field ) {
				if ( false !== strpbrk( $field, "\n\x1f" ) ) {
					return null;
				}
			}
			$text .= implode( "\x1f", $fields ) . "\n";
		}
		return $text;
	}

	/**
	 * Adds an entry to CACHE_OPTION (autoloaded), dropping the oldest beyond CACHE_MAX. At most
	 * once per request; a failed write changes nothing (the value is computed again next time).
	 *
	 * @param string                $raw         CACHE_OPTION as loaded.
	 * @param string                $fingerprint The entry's fingerprint.
	 * @param array<string, string> $entry       issuer, audience, home_path.
	 */
	private static function write_cache( string $raw, string $fingerprint, array $entry ): void {
		global $wpdb;
		if ( self::$wrote ) {
			return;
		}
		self::$wrote = true;
		$cache       = self::decode_cache( $raw );
		unset( $cache[ $fingerprint ] );
		$cache[ $fingerprint ] = $entry;
		while ( count( $cache ) > self::CACHE_MAX ) {
			array_shift( $cache );
		}
		$text = self::encode_cache( $cache );
		if ( null === $text ) {
			return;
		}
		$suppressed = $wpdb->suppress_errors();
		update_option( self::CACHE_OPTION, $text, true );
		$wpdb->suppress_errors( $suppressed );
	}

	/**
	 * Holds issuer(), audience() and home_path() fixed until the matching unpin(): one
	 * authentication reads them several times (the request's path, the token's `iss` and `aud`),
	 * and they are then taken from the inputs as they were when it began, checked once.
	 * Calls nest; every pin() needs its unpin() (in a `finally`).
	 */
	public static function pin(): void {
		if ( 0 === self::$pins++ ) {
			$all                  = null;
			self::$pinned         = null;
			self::$pinned_options = null;
			self::$pinned         = self::entry( null, $all );
			self::$pinned_options = $all;
		}
	}

	/**
	 * The autoloaded options (wp_load_alloptions()); while pinned, as pin() read them, so that
	 * one authentication reads them once (the signing keys, the recent-revocation list).
	 *
	 * @return array<string, mixed>
	 */
	public static function loaded_options(): array {
		return self::$pinned_options ?? wp_load_alloptions();
	}

	/**
	 * Ends the pin() it matches; the values follow their inputs again after the outermost.
	 */
	public static function unpin(): void {
		if ( self::$pins > 0 && 0 === --self::$pins ) {
			self::$pinned         = null;
			self::$pinned_options = null;
		}
	}

	/**
	 * Forgets the values memoised in this request (CACHE_OPTION stays: its entries are keyed by
	 * their inputs). For tests and processes that serve several requests.
	 */
	public static function forget(): void {
		self::$memo           = array();
		self::$wrote          = false;
		self::$pinned         = null;
		self::$pinned_options = null;
		self::$pins           = 0;
	}

	/**
	 * The issuer identifier (RFC 8414 §2): the site's home URL without a trailing
	 * slash. It is the `iss` of every token and the `iss` authorization response
	 * parameter (RFC 9207), exactly.
	 *
	 * @return string
	 */
	public static function issuer(): string {
		return self::memo( 'issuer' );
	}

	/**
	 * The resource (RFC 8707, RFC 9728 §2) our tokens are for: this site's REST API
	 * root, e.g. `https://example.com/wp-json/`. It is the `aud` of every access token.
	 *
	 * @return string
	 */
	public static function audience(): string {
		return self::memo( 'audience' );
	}

	/**
	 * The path of the site's home URL with a trailing slash, e.g. `/` or `/blog/`.
	 *
	 * @return string
	 */
	public static function home_path(): string {
		return self::memo( 'home_path' );
	}

	/**
	 * The `realm` used in `WWW-Authenticate` challenges (RFC 6750 §3).
	 *
	 * @return string
	 */
	public static function realm(): string {
		return str_replace( array( '"', '\\' ), '', (string) wp_parse_url( home_url(), PHP_URL_HOST ) );
	}

	/**
	 * A REST route of the plugin as an absolute URL.
	 *
	 * @param string $route Route below the namespace, e.g. `token`.
	 * @return string
	 */
	public static function rest( string $route ): string {
		return rest_url( Plugin::REST_NAMESPACE . '/' . ltrim( $route, '/' ) );
	}

	/** Path of the authorization endpoint below the site's home URL. */
	const AUTHORIZE_PATH = 'oauth/authorize';

	/**
	 * Authorization endpoint (RFC 6749 §3.1) as published: `{home}/oauth/authorize`, with no
	 * query component, so that clients which build `endpoint + "?" + params` work (RFC 6749
	 * §3.1 allows a query in the endpoint, many clients do not). It answers by redirecting,
	 * with the request's query unchanged, to the consent screen on the login page
	 * (login_screen_authorization_url()), so login, two-factor, page-cache exclusion and
	 * login-URL plugins all apply as to core's login.
	 *
	 * @return string
	 */
	public static function authorization_endpoint(): string {
		return home_url( '/' . self::AUTHORIZE_PATH );
	}

	/**
	 * Where the consent screen lives: `wp-login.php?action=oauth_authorize` (through
	 * `site_url( …, 'login' )`, which login-URL plugins rewrite). Still accepted as an
	 * authorization endpoint by clients that were configured with it.
	 *
	 * @return string
	 */
	public static function login_screen_authorization_url(): string {
		return site_url( 'wp-login.php?action=oauth_authorize', 'login' );
	}

	/** @return string Device authorization endpoint (RFC 8628 §3.1). */
	public static function device_authorization_endpoint(): string {
		return self::rest( 'device_authorization' );
	}

	/**
	 * Verification URI of the device authorization grant (RFC 8628 §3.2): the page on
	 * wp-login.php where a person types the user code, like the consent screen.
	 *
	 * @return string
	 */
	public static function device_verification_uri(): string {
		return site_url( 'wp-login.php?action=oauth_device', 'login' );
	}

	/** @return string Token endpoint (RFC 6749 §3.2). */
	public static function token_endpoint(): string {
		return self::rest( 'token' );
	}

	/** @return string Registration endpoint (RFC 7591 §3). */
	public static function registration_endpoint(): string {
		return self::rest( 'register' );
	}

	/**
	 * Client configuration endpoint (RFC 7592 §2).
	 *
	 * @param string $client_id The client.
	 * @return string
	 */
	public static function registration_client_uri( string $client_id ): string {
		return self::rest( 'register/' . rawurlencode( $client_id ) );
	}

	/** @return string Revocation endpoint (RFC 7009 §2). */
	public static function revocation_endpoint(): string {
		return self::rest( 'revoke' );
	}

	/** @return string Introspection endpoint (RFC 7662 §2). */
	public static function introspection_endpoint(): string {
		return self::rest( 'introspect' );
	}

	/** @return string JWK Set document (RFC 7517 §5). */
	public static function jwks_uri(): string {
		return self::rest( 'jwks' );
	}

	/**
	 * Well-known URL with the issuer's path inserted after the well-known segment
	 * (RFC 8414 §3.1, RFC 9728 §3.1): `https://h/.well-known/<name>/blog`.
	 *
	 * @param string $name `oauth-authorization-server` or `oauth-protected-resource`.
	 * @param string $base The identifier (issuer or resource) to derive it from.
	 * @return string
	 */
	public static function well_known( string $name, string $base ): string {
		$parts = wp_parse_url( $base );
		$port  = isset( $parts['port'] ) ? ':' . $parts['port'] : '';
		$path  = isset( $parts['path'] ) ? rtrim( $parts['path'], '/' ) : '';
		return $parts['scheme'] . '://' . $parts['host'] . $port . '/.well-known/' . $name . $path;
	}

	/** @return string RFC 8414 metadata URL for this issuer. */
	public static function authorization_server_metadata(): string {
		return self::well_known( 'oauth-authorization-server', self::issuer() );
	}

	/**
	 * RFC 9728 metadata URL for the REST API resource: the well-known path inserted before the
	 * resource's path, trailing slash kept (§3.1), so that the document's `resource` is exactly
	 * Urls::audience() (§3.3).
	 *
	 * @return string
	 */
	public static function protected_resource_metadata(): string {
		return Resources::metadata_url( self::audience() );
	}
}
