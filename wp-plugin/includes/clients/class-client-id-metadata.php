<?php
/**
 * OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): an https
 * URL as `client_id`, whose metadata this site fetches from that URL.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Resolves a Client ID Metadata Document ("CIMD") client: checks the URL, fetches the document
 * under strict limits, validates it, caches it, and keeps a row in the clients table so that
 * the token, revocation and admin code see an ordinary public client.
 *
 * The client identifier URL (draft, "Client Identifier URL"): `https`, a host, a path; no
 * fragment, no user information, no `.`/`..` segments (also percent-encoded), no whitespace,
 * control or non-ASCII characters, at most MAX_URL_LENGTH bytes. A query is allowed by the draft
 * (discouraged) and accepted.
 *
 * Fetching is hostile-input handling (draft, "Client Information Discovery" and the SSRF and
 * response-size security considerations):
 * - GET with `Accept: application/json`, no redirects followed (a 3xx is refused), only `200`;
 * - at most MAX_BYTES bytes (a longer body is refused, not truncated); TIMEOUT seconds in all;
 * - the host is resolved once here; every address must be public (not in an RFC 6890
 *   special-use range, see is_special_use()); the connection is pinned to the checked address
 *   (CURLOPT_RESOLVE), so a DNS answer that changes between check and connect (rebinding) is not
 *   followed. Without the cURL transport nothing is fetched. WordPress's own safe-URL check
 *   (`reject_unsafe_urls`, wp_http_validate_url()) runs too: it allows only ports 80, 443 and
 *   8080 and refuses IPv4 loopback and RFC 1918 addresses, but it resolves IPv4 only, does not
 *   know link-local (169.254/16, cloud metadata), CGNAT, benchmarking, multicast or reserved
 *   ranges nor any IPv6 range, and resolves the name again at connect time — hence our own check
 *   and the pin;
 * - a site-wide budget of fetches (FETCH_BUDGET per BUDGET_WINDOW seconds, filter
 *   `wpoa_cimd_fetch_budget`) bounds what unknown client URLs can make the site do.
 *
 * The document (draft, "Client ID Metadata Document"): a JSON object whose `client_id` equals
 * the URL exactly (string comparison); no `client_secret` or `client_secret_expires_at`;
 * `token_endpoint_auth_method` absent or `none` (shared-secret methods are refused: the client
 * is public, PKCE protects its codes); everything else through Client_Metadata::validate(), the
 * rules every client follows (redirect URIs, names without disguising characters, scope).
 * `redirect_uris` then match exactly, with the RFC 8252 loopback port rule (Client).
 *
 * Caching (draft, "Metadata Caching"): a valid document is kept in a transient keyed by a hash of
 * the URL, for its `Cache-Control` max-age clamped to [MIN_CACHE, MAX_CACHE] seconds (MIN_CACHE
 * for `no-store`/`no-cache`, DEFAULT_CACHE without a max-age). Errors and invalid documents are
 * never cached.
 *
 * Policy (option and filter `wpoa_cimd_mode`): `on` (default) accepts any public https URL,
 * `allowlist` only hosts in `wpoa_cimd_allowed_domains` (a domain allows its subdomains), `off`
 * none. Hosts in `wpoa_cimd_trusted_domains` get a "trusted" mark on the consent screen.
 *
 * Errors: OAuth_Error `invalid_client` (400) for every refusal — the authorization endpoint shows
 * it as an error page, never redirects — and `temporarily_unavailable` (503) when the budget is
 * spent. Nothing is stored for a refused client.
 */
final class Client_Id_Metadata {

	/** Largest document accepted, in bytes. */
	const MAX_BYTES = 5120;

	/** Whole-fetch timeout (connect included), in seconds. */
	const TIMEOUT = 5;

	/** Longest client identifier URL, in bytes (the client_id columns are varchar(191)). */
	const MAX_URL_LENGTH = 191;

	/** Shortest time a valid document is cached, in seconds. */
	const MIN_CACHE = 300;

	/** Longest time a valid document is cached, in seconds. */
	const MAX_CACHE = 86400;

	/** Cache time without a max-age, in seconds. */
	const DEFAULT_CACHE = 3600;

	/** Fetches allowed per window, site-wide (filter `wpoa_cimd_fetch_budget`). */
	const FETCH_BUDGET = 60;

	/** Budget window, in seconds. */
	const BUDGET_WINDOW = 300;

	/** Option: `on`, `allowlist` or `off`. */
	const MODE_OPTION = 'wpoa_cimd_mode';

	/** Option: domains allowed in `allowlist` mode (string[]). */
	const ALLOWED_OPTION = 'wpoa_cimd_allowed_domains';

	/** Option: domains marked as trusted on the consent screen (string[]). */
	const TRUSTED_OPTION = 'wpoa_cimd_trusted_domains';

	/** A domain in the allowed/trusted lists: DNS labels, at least two. */
	const DOMAIN_PATTERN = '/^[a-z0-9-]+(\.[a-z0-9-]+)+$/';

	/** Accepted modes. */
	const MODES = array( 'on', 'allowlist', 'off' );

	/**
	 * Whether a `client_id` names a metadata document (it is an https URL).
	 *
	 * @param string $client_id As received.
	 * @return bool
	 */
	public static function is_url( string $client_id ): bool {
		return 0 === strncasecmp( $client_id, 'https://', 8 );
	}

	/**
	 * The site's policy.
	 *
	 * @return string `on`, `allowlist` or `off`.
	 */
	public static function mode(): string {
		/**
		 * Filters whether Client ID Metadata Document clients are accepted: `on` (any public
		 * https URL), `allowlist` (hosts in `wpoa_cimd_allowed_domains`) or `off`.
		 *
		 * @param string $mode The option `wpoa_cimd_mode`, default `on`.
		 */
		$mode = (string) apply_filters( 'wpoa_cimd_mode', (string) get_option( self::MODE_OPTION, 'on' ) );
		return in_array( $mode, self::MODES, true ) ? $mode : 'on';
	}

	/**
	 * Sets the policy; fires `wpoa_cimd_mode_changed`.
	 *
	 * @param string $mode `on`, `allowlist` or `off`.
	 * @return bool False for an unknown mode.
	 */
	public static function set_mode( string $mode ): bool {
		if ( ! in_array( $mode, self::MODES, true ) ) {
			return false;
		}
		$old = (string) get_option( self::MODE_OPTION, 'on' );
		update_option( self::MODE_OPTION, $mode, false );
		if ( $old !== $mode ) {
			/**
			 * Fires when the Client ID Metadata Document policy changes.
			 *
			 * @param string $mode New mode.
			 * @param string $old  Previous mode.
			 */
			do_action( 'wpoa_cimd_mode_changed', $mode, $old );
		}
		return true;
	}

	/**
	 * A domain list option, normalised (lower case, no dots at the ends, no empties).
	 *
	 * @param string $option ALLOWED_OPTION or TRUSTED_OPTION (also the filter name).
	 * @return string[]
	 */
	public static function domains( string $option ): array {
		/**
		 * Filters `wpoa_cimd_allowed_domains` (hosts accepted in allowlist mode) or
		 * `wpoa_cimd_trusted_domains` (hosts marked as trusted on the consent screen). A domain
		 * also covers its subdomains.
		 *
		 * @param string[] $domains The option's value.
		 */
		$list = (array) apply_filters( $option, (array) get_option( $option, array() ) );
		$out  = array();
		foreach ( $list as $domain ) {
			$domain = strtolower( trim( (string) $domain, " \t\n\r\0\x0B." ) );
			if ( '' !== $domain && preg_match( self::DOMAIN_PATTERN, $domain ) ) {
				$out[] = $domain;
			}
		}
		return array_values( array_unique( $out ) );
	}

	/**
	 * Saves a domain list (one host per line or comma-separated); fires `wpoa_cimd_domains_changed`.
	 *
	 * @param string $option  ALLOWED_OPTION or TRUSTED_OPTION.
	 * @param string $domains Raw text.
	 */
	public static function set_domains( string $option, string $domains ): void {
		$list = array_values( array_unique( array_filter( array_map( static fn( $d ) => strtolower( trim( $d, " \t\n\r\0\x0B." ) ), preg_split( '/[\s,]+/', $domains ) ), static fn( $d ) => '' !== $d && preg_match( self::DOMAIN_PATTERN, $d ) ) ) );
		update_option( $option, $list, false );
		/**
		 * Fires when the allowed or trusted metadata-document domains change.
		 *
		 * @param string   $option `wpoa_cimd_allowed_domains` or `wpoa_cimd_trusted_domains`.
		 * @param string[] $list   The new list.
		 */
		do_action( 'wpoa_cimd_domains_changed', $option, $list );
	}

	/**
	 * Whether a host is one of the domains or below one.
	 *
	 * @param string   $host    Host (any case).
	 * @param string[] $domains From domains().
	 * @return bool
	 */
	public static function host_in( string $host, array $domains ): bool {
		$host = strtolower( $host );
		foreach ( $domains as $domain ) {
			if ( $host === $domain || str_ends_with( $host, '.' . $domain ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Whether the administrator marked this client's host as trusted.
	 *
	 * @param string $client_id A metadata-document client_id.
	 * @return bool
	 */
	public static function is_trusted( string $client_id ): bool {
		return self::is_url( $client_id ) && self::host_in( (string) wp_parse_url( $client_id, PHP_URL_HOST ), self::domains( self::TRUSTED_OPTION ) );
	}

	/**
	 * Why a client identifier URL is refused (rules in the class comment), or null.
	 *
	 * @param string $url Candidate.
	 * @return string|null Translated reason.
	 */
	public static function url_problem( string $url ): ?string {
		if ( strlen( $url ) > self::MAX_URL_LENGTH ) {
			return __( 'The client_id URL is too long.', 'wp-oauth' );
		}
		if ( preg_match( '/[^\x21-\x7e]|#|\\\\/', $url ) ) {
			return __( 'The client_id URL must not contain a fragment, spaces, control or non-ASCII characters.', 'wp-oauth' );
		}
		if ( ! preg_match( '#^https://([^/?@]+)(/[^?]*)(\?.*)?$#D', $url, $m ) ) {
			return __( 'The client_id URL must be an https URL with a path and without user information.', 'wp-oauth' );
		}
		$parts = wp_parse_url( $url );
		if ( ! is_array( $parts ) || empty( $parts['host'] ) || isset( $parts['user'] ) || isset( $parts['pass'] ) ) {
			return __( 'The client_id URL must be an https URL with a path and without user information.', 'wp-oauth' );
		}
		foreach ( explode( '/', substr( $m[2], 1 ) ) as $segment ) {
			if ( preg_match( '/^(\.|%2e){1,2}$/i', $segment ) ) {
				return __( 'The client_id URL must not contain dot segments.', 'wp-oauth' );
			}
		}
		return null;
	}

	/**
	 * The client behind a metadata-document `client_id`: fetched (or from the cache), validated,
	 * stored or updated in the clients table (fires `wpoa_client_registered` the first time and
	 * `wpoa_client_updated` when the document changed).
	 *
	 * @param string $url The `client_id` as received.
	 * @return Client
	 * @throws OAuth_Error `invalid_client` (400) or `temporarily_unavailable` (503).
	 * @throws Storage_Unavailable When the database does not answer.
	 */
	public static function resolve( string $url ): Client {
		$mode = self::mode();
		if ( 'off' === $mode ) {
			throw self::refused( __( 'This site does not accept applications identified by a URL (Client ID Metadata Documents are turned off).', 'wp-oauth' ) );
		}
		$problem = self::url_problem( $url );
		if ( null !== $problem ) {
			throw self::refused( $problem );
		}
		$host = strtolower( (string) wp_parse_url( $url, PHP_URL_HOST ) );
		if ( 'allowlist' === $mode && ! self::host_in( $host, self::domains( self::ALLOWED_OPTION ) ) ) {
			throw self::refused( __( 'This site accepts applications identified by a URL only from domains its administrator allowed.', 'wp-oauth' ) );
		}
		$key    = 'wpoa_cimd_' . substr( hash( 'sha256', $url ), 0, 40 );
		$cached = get_transient( $key );
		if ( is_array( $cached ) && isset( $cached['url'], $cached['metadata'] ) && $cached['url'] === $url ) {
			$metadata = (array) $cached['metadata'];
		} else {
			list( $body, $ttl ) = self::fetch( $url );
			$metadata           = self::validate_document( $body, $url );
			set_transient(
				$key,
				array(
					'url'      => $url,
					'metadata' => $metadata,
				),
				$ttl
			);
		}
		return self::store( $url, $metadata );
	}

	/**
	 * Validates a fetched document (rules in the class comment).
	 *
	 * @param string $body The response body.
	 * @param string $url  The URL it came from.
	 * @return array Normalized metadata (Client_Metadata::validate()).
	 * @throws OAuth_Error `invalid_client`.
	 */
	public static function validate_document( string $body, string $url ): array {
		$doc = json_decode( $body, true );
		if ( ! is_array( $doc ) || ( array() !== $doc && array_is_list( $doc ) ) ) {
			throw self::refused( __( 'The client metadata document is not a JSON object.', 'wp-oauth' ) );
		}
		if ( ! isset( $doc['client_id'] ) || ! is_string( $doc['client_id'] ) || $doc['client_id'] !== $url ) {
			throw self::refused( __( 'The client metadata document\'s client_id is not exactly the URL it was fetched from.', 'wp-oauth' ) );
		}
		if ( array_key_exists( 'client_secret', $doc ) || array_key_exists( 'client_secret_expires_at', $doc ) ) {
			throw self::refused( __( 'A client metadata document must not contain a client secret.', 'wp-oauth' ) );
		}
		$method = $doc['token_endpoint_auth_method'] ?? 'none';
		if ( 'none' !== $method ) {
			throw self::refused( __( 'A client identified by a metadata document is a public client here: token_endpoint_auth_method must be "none" (shared secrets are not possible).', 'wp-oauth' ) );
		}
		try {
			$metadata = Client_Metadata::validate( array_merge( $doc, array( 'token_endpoint_auth_method' => 'none' ) ) );
		} catch ( OAuth_Error $e ) {
			throw self::refused(
				sprintf(
					/* translators: %s: why the metadata was refused. */
					__( 'The client metadata document is not acceptable: %s', 'wp-oauth' ),
					$e->getMessage()
				)
			);
		}
		return $metadata;
	}

	/**
	 * Fetches a document under the limits of the class comment.
	 *
	 * @param string $url Checked client identifier URL.
	 * @return array{0:string, 1:int} The body and how long to cache it (seconds).
	 * @throws OAuth_Error `invalid_client` or `temporarily_unavailable`.
	 */
	public static function fetch( string $url ): array {
		if ( ! function_exists( 'curl_init' ) || ! defined( 'CURLOPT_RESOLVE' ) ) {
			throw self::refused( __( 'This server cannot fetch client metadata documents safely (the PHP cURL extension is missing).', 'wp-oauth' ) );
		}
		self::spend_budget();
		$parts   = wp_parse_url( $url );
		$host    = strtolower( trim( (string) $parts['host'], '[]' ) );
		$port    = isset( $parts['port'] ) ? (int) $parts['port'] : 443;
		$address = self::public_address( $host );

		$pin = static function ( $handle, $args, $request_url ) use ( $url, $parts, $port, $address ) {
			if ( $request_url === $url ) {
				$ip = false !== strpos( $address, ':' ) ? '[' . $address . ']' : $address;
				curl_setopt( $handle, CURLOPT_RESOLVE, array( $parts['host'] . ':' . $port . ':' . $ip ) ); // phpcs:ignore WordPress.WP.AlternativeFunctions.curl_curl_setopt -- pinning needs the handle.
				curl_setopt( $handle, CURLOPT_PROTOCOLS, CURLPROTO_HTTPS ); // phpcs:ignore WordPress.WP.AlternativeFunctions.curl_curl_setopt
			}
		};
		add_action( 'http_api_curl', $pin, 10, 3 );
		try {
			$response = wp_safe_remote_get(
				$url,
				array(
					'timeout'             => self::TIMEOUT,
					'redirection'         => 0,
					'limit_response_size' => self::MAX_BYTES + 1,
					'reject_unsafe_urls'  => true,
					'user-agent'          => 'WP-OAuth/' . ( defined( 'WPOA_VERSION' ) ? WPOA_VERSION : '1' ) . ' (client metadata fetcher; ' . home_url() . ')',
					'headers'             => array( 'Accept' => 'application/json' ),
					'cookies'             => array(),
					'decompress'          => true,
				)
			);
		} finally {
			remove_action( 'http_api_curl', $pin, 10 );
		}
		if ( is_wp_error( $response ) ) {
			throw self::refused( __( 'The client metadata document could not be fetched.', 'wp-oauth' ) );
		}
		$status = (int) wp_remote_retrieve_response_code( $response );
		if ( 200 !== $status ) {
			throw self::refused(
				sprintf(
					/* translators: %d: HTTP status code. */
					__( 'The client metadata document answered HTTP %d; only 200 is accepted (redirects are not followed).', 'wp-oauth' ),
					$status
				)
			);
		}
		$body = (string) wp_remote_retrieve_body( $response );
		if ( strlen( $body ) > self::MAX_BYTES ) {
			throw self::refused(
				sprintf(
					/* translators: %d: size limit in bytes. */
					__( 'The client metadata document is larger than %d bytes.', 'wp-oauth' ),
					self::MAX_BYTES
				)
			);
		}
		return array( $body, self::cache_seconds( (string) wp_remote_retrieve_header( $response, 'cache-control' ) ) );
	}

	/**
	 * How long to keep a document, from its `Cache-Control` (RFC 9111 §5.2.2), clamped.
	 *
	 * @param string $cache_control Header value ('' when absent).
	 * @return int Seconds in [MIN_CACHE, MAX_CACHE].
	 */
	public static function cache_seconds( string $cache_control ): int {
		$cc = strtolower( $cache_control );
		if ( preg_match( '/(^|[\s,])(no-store|no-cache)([\s,=]|$)/', $cc ) ) {
			return self::MIN_CACHE;
		}
		if ( preg_match( '/(^|[\s,])max-age\s*=\s*"?(\d{1,10})/', $cc, $m ) ) {
			return max( self::MIN_CACHE, min( self::MAX_CACHE, (int) $m[2] ) );
		}
		return self::DEFAULT_CACHE;
	}

	/**
	 * The address to connect to: the host's addresses, every one public (or the host itself
	 * when it is an IP literal).
	 *
	 * @param string $host Lower-case host, without IPv6 brackets.
	 * @return string An IP address.
	 * @throws OAuth_Error `invalid_client`.
	 */
	public static function public_address( string $host ): string {
		if ( false !== filter_var( $host, FILTER_VALIDATE_IP ) ) {
			$addresses = array( $host );
		} else {
			$addresses = array();
			$records   = function_exists( 'dns_get_record' ) ? @dns_get_record( $host, DNS_A | DNS_AAAA ) : false; // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged -- a failed lookup is an answer.
			foreach ( is_array( $records ) ? $records : array() as $record ) {
				if ( isset( $record['ip'] ) ) {
					$addresses[] = (string) $record['ip'];
				} elseif ( isset( $record['ipv6'] ) ) {
					$addresses[] = (string) $record['ipv6'];
				}
			}
			if ( array() === $addresses ) {
				$v4        = gethostbynamel( $host );
				$addresses = is_array( $v4 ) ? $v4 : array();
			}
		}
		if ( array() === $addresses ) {
			throw self::refused( __( 'The client_id URL\'s host does not resolve.', 'wp-oauth' ) );
		}
		foreach ( $addresses as $ip ) {
			if ( self::is_special_use( $ip ) ) {
				throw self::refused( __( 'The client_id URL\'s host resolves to a private or special-use address.', 'wp-oauth' ) );
			}
		}
		return $addresses[0];
	}

	/**
	 * Whether an address is in a special-use range (RFC 6890 and its updates: RFC 8190 and the
	 * IANA special-purpose registries) — loopback, private, link-local, CGNAT, documentation,
	 * benchmarking, multicast, reserved, and IPv6 mappings of IPv4 (judged by the embedded
	 * address) and translation prefixes. Loopback passes only with the test-only filter
	 * `wpoa_cimd_allow_loopback` (default false).
	 *
	 * @param string $ip IPv4 or IPv6 address.
	 * @return bool True for anything that is not a public unicast address (or not an address).
	 */
	public static function is_special_use( string $ip ): bool {
		$bin = @inet_pton( $ip ); // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged -- false is the answer for garbage.
		if ( false === $bin ) {
			return true;
		}
		if ( 16 === strlen( $bin ) && 0 === strncmp( $bin, str_repeat( "\0", 10 ) . "\xff\xff", 12 ) ) {
			$bin = substr( $bin, 12 ); // IPv4-mapped (::ffff:0:0/96): judge the IPv4 address.
		}
		/**
		 * Filters whether metadata documents may be fetched from loopback addresses. For test
		 * stacks only: never turn it on for a site on a network.
		 *
		 * @param bool $allow Default false.
		 */
		$loopback_ok = (bool) apply_filters( 'wpoa_cimd_allow_loopback', false );
		$ranges      = 4 === strlen( $bin )
			? array( '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.0.2.0/24', '192.31.196.0/24', '192.52.193.0/24', '192.88.99.0/24', '192.168.0.0/16', '192.175.48.0/24', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4' )
			: array( '::/128', '::1/128', '::/96', '64:ff9b::/96', '64:ff9b:1::/48', '100::/64', '2001::/23', '2001:db8::/32', '2002::/16', '3fff::/20', '5f00::/16', 'fc00::/7', 'fe80::/10', 'fec0::/10', 'ff00::/8' );
		foreach ( $ranges as $range ) {
			list( $net, $bits ) = explode( '/', $range );
			if ( self::in_prefix( $bin, (string) inet_pton( $net ), (int) $bits ) ) {
				$is_loopback = '127.0.0.0' === $net || '::1' === $net;
				return ! ( $loopback_ok && $is_loopback );
			}
		}
		return false;
	}

	/**
	 * Whether a packed address starts with a prefix.
	 *
	 * @param string $bin  Packed address.
	 * @param string $net  Packed network address of the same family.
	 * @param int    $bits Prefix length.
	 * @return bool
	 */
	private static function in_prefix( string $bin, string $net, int $bits ): bool {
		if ( strlen( $bin ) !== strlen( $net ) ) {
			return false;
		}
		$bytes = intdiv( $bits, 8 );
		if ( 0 !== strncmp( $bin, $net, $bytes ) ) {
			return false;
		}
		$rest = $bits % 8;
		if ( 0 === $rest ) {
			return true;
		}
		$mask = ( 0xff << ( 8 - $rest ) ) & 0xff;
		return ( ord( $bin[ $bytes ] ) & $mask ) === ( ord( $net[ $bytes ] ) & $mask );
	}

	/**
	 * Counts one fetch against the site-wide budget.
	 *
	 * @throws OAuth_Error `temporarily_unavailable` (503) when it is spent.
	 */
	private static function spend_budget(): void {
		/**
		 * Filters how many metadata documents the site fetches per window (BUDGET_WINDOW seconds).
		 *
		 * @param int $budget Default 60.
		 */
		$budget = max( 1, (int) apply_filters( 'wpoa_cimd_fetch_budget', self::FETCH_BUDGET ) );
		$now    = time();
		$state  = get_transient( 'wpoa_cimd_budget' );
		if ( ! is_array( $state ) || ! isset( $state['start'], $state['count'] ) || $now - (int) $state['start'] >= self::BUDGET_WINDOW ) {
			$state = array(
				'start' => $now,
				'count' => 0,
			);
		}
		if ( (int) $state['count'] >= $budget ) {
			throw new OAuth_Error( 'temporarily_unavailable', __( 'Too many client metadata documents were fetched recently. Try again in a few minutes.', 'wp-oauth' ), 503 );
		}
		++$state['count'];
		set_transient( 'wpoa_cimd_budget', $state, self::BUDGET_WINDOW );
	}

	/**
	 * Stores the client (insert, or update when the document changed).
	 *
	 * @param string $url      Client identifier URL.
	 * @param array  $metadata Validated metadata.
	 * @return Client
	 * @throws OAuth_Error `invalid_client` when it cannot be stored.
	 */
	private static function store( string $url, array $metadata ): Client {
		$client = Client_Repository::find( $url );
		if ( null === $client ) {
			$client = Client_Repository::insert(
				array(
					'client_id'                  => $url,
					'token_endpoint_auth_method' => 'none',
					'redirect_uris'              => $metadata['redirect_uris'],
					'metadata'                   => $metadata,
					'registered_by'              => 0,
				)
			);
			if ( null === $client ) {
				Storage_Unavailable::check();
				throw self::refused( __( 'The application could not be recorded. Try again.', 'wp-oauth' ) );
			}
			/** This action is documented in includes/clients/class-registration-controller.php */
			do_action( 'wpoa_client_registered', $url, $metadata, 'metadata_document' );
			return $client;
		}
		if ( $client->metadata !== $metadata || $client->redirect_uris !== $metadata['redirect_uris'] ) {
			Client_Repository::update(
				$url,
				array(
					'redirect_uris' => $metadata['redirect_uris'],
					'metadata'      => $metadata,
				)
			);
			/** This action is documented in includes/clients/class-registration-controller.php */
			do_action( 'wpoa_client_updated', $url, $metadata, 'metadata_document' );
			$client = Client_Repository::find( $url ) ?? $client;
		}
		return $client;
	}

	/**
	 * An `invalid_client` refusal.
	 *
	 * @param string $description Why.
	 * @return OAuth_Error
	 */
	private static function refused( string $description ): OAuth_Error {
		return new OAuth_Error( 'invalid_client', $description, 400 );
	}
}
