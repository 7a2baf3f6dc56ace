<?php
/**
 * The authorization endpoint (`{home}/oauth/authorize`) and its consent screen on
 * wp-login.php?action=oauth_authorize.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Authorization endpoint (RFC 6749 §3.1, §4.1.1; RFC 7636; RFC 8707; RFC 9207) as a
 * first-party WordPress screen on wp-login.php, like core's authorize-application.php.
 *
 * wp-login.php loads WordPress, sends no-cache headers and runs `login_init`, then fires
 * `login_form_oauth_authorize`, where serve() answers and exits.
 *
 * Validation order (RFC 6749 §4.1.2.1). Errors that make the client or its redirect URI
 * untrustworthy are shown as an error page (HTTP 400), never redirected:
 * 1. plain HTTP (Https_Policy) — error page;
 * 2. `client_id` or `redirect_uri` missing where required, given twice, unknown client (an https
 *    `client_id` is a Client ID Metadata Document URL: Client_Id_Metadata::resolve(), its
 *    refusals are shown here, 400, or 503 when the fetch budget is spent), or a
 *    redirect URI that is not registered (exact match; RFC 8252 §7.3 loopback port exception
 *    only). `redirect_uri` may be omitted only when the client registered exactly one.
 * Every later error redirects to the redirect URI with `error`, `error_description`, `state`
 * (when sent) and `iss` (RFC 9207):
 * 3. any other parameter given twice (except `resource`, RFC 8707 §2) → `invalid_request`;
 * 4. `response_type` missing → `invalid_request`; not `code` → `unsupported_response_type`;
 *    the client's registered response_types / grant_types lack it → `unauthorized_client`;
 * 5. PKCE: `code_challenge_method` missing or not `S256` (`plain` is refused), `code_challenge`
 *    missing or not 43 base64url characters → `invalid_request`;
 * 6. unknown scopes, or scopes beyond the client's registered `scope` → `invalid_scope`
 *    (no scope = `read`, or the client's registered scope when that excludes `read`);
 * 7. `resource` not this site's API (Urls::audience(), also accepted without the trailing
 *    slash, or the site URL with or without it) nor a URL below the REST root (Resources),
 *    or several values naming different resources → `invalid_target`;
 * 8. `prompt` values other than none, login, consent, select_account, or `none` combined
 *    with another value → `invalid_request`.
 * Then: not logged in → WordPress's login, back here afterwards (`prompt=none`:
 * `login_required`); `prompt=login` → re-authentication; a user who is not a member of
 * this site, or whom the `wpoa_user_can_authorize` filter refuses → `access_denied`;
 * consent given before for the same or a wider scope (Grant_Repository::has_consent) and no
 * `prompt=consent` → a code at once; `prompt=none` without that consent → `consent_required`;
 * otherwise the consent screen.
 *
 * The consent form carries the validated request in hidden fields; its nonce action includes
 * a SHA-256 of those values, so a parameter swapped between showing and approving fails the
 * nonce (and the request is validated again). Approve → `code` + `state` + `iss`; Deny →
 * `access_denied`. Every page is sent with `X-Frame-Options: DENY`,
 * `Content-Security-Policy: frame-ancestors 'none'` and `Cache-Control: no-store`.
 */
final class Authorize_Endpoint {

	/** Name of the nonce field of the consent form. */
	const NONCE_FIELD = '_wpoa_nonce';

	/** Name of the decision button (`approve` or `deny`). */
	const DECISION_FIELD = 'wpoa_decision';

	/** The request parameters this endpoint reads (others are ignored, RFC 6749 §3.1). */
	const PARAMS = array( 'response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'resource', 'prompt', 'dpop_jkt' );

	/** Accepted `prompt` values (OpenID Connect Core §3.1.2.1; select_account is a no-op here). */
	const PROMPTS = array( 'none', 'login', 'consent', 'select_account' );

	/**
	 * Answers the request and exits (runs inside wp-login.php).
	 */
	public function serve(): void {
		self::send_security_headers();
		$method = isset( $_SERVER['REQUEST_METHOD'] ) ? strtoupper( (string) $_SERVER['REQUEST_METHOD'] ) : 'GET'; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- compared only.
		if ( 'POST' === $method ) {
			// phpcs:ignore WordPress.Security.NonceVerification.Missing -- decide_post() verifies the nonce.
			$result = $this->decide_post( wp_unslash( $_POST ), get_current_user_id() );
		} else {
			$query  = isset( $_SERVER['QUERY_STRING'] ) ? (string) wp_unslash( $_SERVER['QUERY_STRING'] ) : ''; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- parsed and validated below.
			$result = $this->decide_get( $query, get_current_user_id() );
		}
		$this->emit( $result );
		exit;
	}

	/**
	 * The published authorization endpoint, `{home}/oauth/authorize` (Urls::authorization_endpoint(),
	 * no query component so that clients may append `?` + parameters, RFC 6749 §3.1). Runs on
	 * `parse_request`: sends the browser on to the consent screen on the login page with the
	 * query unchanged — 302 for GET/HEAD, 307 for POST (method and body kept) — with
	 * `Cache-Control: no-store`, and exits. Validation, login and consent happen there, so every
	 * login, two-factor and login-URL plugin applies as before. Other paths return untouched.
	 *
	 * @param \WP|null $wp The request being parsed (unused).
	 */
	public function redirect_to_login_screen( $wp = null ): void {
		$target = self::login_screen_target(
			isset( $_SERVER['REQUEST_URI'] ) ? (string) wp_unslash( $_SERVER['REQUEST_URI'] ) : '', // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- compared, then percent-encoded.
			isset( $_SERVER['REQUEST_METHOD'] ) ? strtoupper( (string) wp_unslash( $_SERVER['REQUEST_METHOD'] ) ) : 'GET' // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- compared only.
		);
		if ( null === $target ) {
			return;
		}
		nocache_headers();
		self::send_security_headers();
		header( 'Location: ' . $target['location'], true, $target['status'] );
		exit;
	}

	/**
	 * Where a request to the published authorization endpoint goes (testable part of
	 * redirect_to_login_screen()).
	 *
	 * @param string $request_uri The raw request URI (path and query).
	 * @param string $method      HTTP method, upper case.
	 * @return array{status:int, location:string}|null Null when the path is not the endpoint's.
	 */
	public static function login_screen_target( string $request_uri, string $method ): ?array {
		$path     = (string) wp_parse_url( $request_uri, PHP_URL_PATH );
		$endpoint = (string) wp_parse_url( Urls::authorization_endpoint(), PHP_URL_PATH );
		if ( '' === $path || untrailingslashit( rawurldecode( $path ) ) !== untrailingslashit( $endpoint ) ) {
			return null;
		}
		$at    = strpos( $request_uri, '?' );
		$query = false === $at ? '' : (string) substr( $request_uri, $at + 1 );
		// Anything a header must not carry is percent-encoded; the query is passed on, never interpreted here.
		$query = (string) preg_replace_callback( '/[^\x21-\x7e]/', static fn( $m ) => rawurlencode( $m[0] ), $query );
		return array(
			'status'   => 'POST' === $method ? 307 : 302,
			'location' => Urls::login_screen_authorization_url() . ( '' !== $query ? '&' . $query : '' ),
		);
	}

	/**
	 * Decides what to answer to an authorization request (GET).
	 *
	 * @param string $query   The raw query string (duplicates are detected on it).
	 * @param int    $user_id The logged-in user, 0 for none.
	 * @return array Result: {kind: 'error', status, message} | {kind: 'redirect', location, status}
	 *               | {kind: 'login', location} | {kind: 'consent', request, client, user, approved_before, nonce}.
	 */
	public function decide_get( string $query, int $user_id ): array {
		$multi = array();
		foreach ( Client_Authenticator::parse_pairs( $query ) as $pair ) {
			if ( in_array( $pair[0], self::PARAMS, true ) ) {
				$multi[ $pair[0] ][] = $pair[1];
			}
		}
		return $this->decide( $multi, $user_id, null );
	}

	/**
	 * Decides what to answer to a consent form submission (POST).
	 *
	 * @param array $post    wp_unslash'ed $_POST.
	 * @param int   $user_id The logged-in user, 0 for none.
	 * @return array Result, as decide_get().
	 */
	public function decide_post( array $post, int $user_id ): array {
		$multi = array();
		foreach ( self::PARAMS as $name ) {
			if ( isset( $post[ $name ] ) && is_string( $post[ $name ] ) ) {
				$multi[ $name ] = array( $post[ $name ] );
			}
		}
		$decision = array(
			'decision' => isset( $post[ self::DECISION_FIELD ] ) && is_string( $post[ self::DECISION_FIELD ] ) ? $post[ self::DECISION_FIELD ] : '',
			'nonce'    => isset( $post[ self::NONCE_FIELD ] ) && is_string( $post[ self::NONCE_FIELD ] ) ? $post[ self::NONCE_FIELD ] : '',
		);
		return $this->decide( $multi, $user_id, $decision );
	}

	/**
	 * The common decision.
	 *
	 * @param array<string,string[]> $multi    Parameter => values.
	 * @param int                    $user_id  Logged-in user or 0.
	 * @param array|null             $decision For a form submission: {decision, nonce}.
	 * @return array Result.
	 */
	private function decide( array $multi, int $user_id, ?array $decision ): array {
		if ( ! Https_Policy::allows_request() ) {
			return self::error_page( Https_Policy::error()->getMessage(), 400 );
		}
		$target = $this->validate_client( $multi );
		if ( isset( $target['kind'] ) ) {
			return $target;
		}
		/** @var Client $client */
		$client       = $target['client'];
		$redirect_uri = $target['redirect_uri'];
		$state        = isset( $multi['state'] ) && 1 === count( $multi['state'] ) ? $multi['state'][0] : null;

		try {
			$req = $this->validate_request( $multi, $client );
		} catch ( OAuth_Error $e ) {
			return self::error_redirect( $redirect_uri, $e, $state, null !== $decision );
		}
		$req['client_id']    = $client->client_id;
		$req['redirect_uri'] = $redirect_uri;
		$req['state']        = $state;

		if ( $user_id <= 0 ) {
			if ( in_array( 'none', $req['prompt'], true ) ) {
				return self::error_redirect( $redirect_uri, new OAuth_Error( 'login_required', __( 'The user is not logged in.', 'wp-oauth' ) ), $state, false );
			}
			return array(
				'kind'     => 'login',
				'location' => wp_login_url( self::authorize_url( $req, false ) ),
			);
		}
		if ( null === $decision && in_array( 'login', $req['prompt'], true ) ) {
			// Re-authenticate, then come back without prompt=login (else it would loop).
			return array(
				'kind'     => 'login',
				'location' => wp_login_url( self::authorize_url( $req, false ), true ),
			);
		}

		$user = get_userdata( $user_id );
		if ( ! $user || ( is_multisite() && ! Network::user_belongs( (int) $user_id ) ) ) {
			return self::error_redirect( $redirect_uri, new OAuth_Error( 'access_denied', __( 'The user is not a member of this site.', 'wp-oauth' ) ), $state, null !== $decision );
		}
		/**
		 * Filters whether a user may authorize a client at all (e.g. only some roles).
		 *
		 * @param bool     $allowed Default true.
		 * @param \WP_User $user    The user.
		 * @param Client   $client  The client.
		 * @param string   $scope   The requested scope.
		 */
		if ( ! apply_filters( 'wpoa_user_can_authorize', true, $user, $client, $req['scope'] ) ) {
			return self::error_redirect( $redirect_uri, new OAuth_Error( 'access_denied', __( 'This user may not authorize applications on this site.', 'wp-oauth' ) ), $state, null !== $decision );
		}

		if ( null !== $decision ) {
			return $this->decide_form( $req, $client, $user, $decision );
		}

		$consented = Grant_Repository::has_consent( $user_id, $client->client_id, $req['scope'] );
		if ( $consented && ! in_array( 'consent', $req['prompt'], true ) ) {
			return $this->approve( $req, $client, $user, true );
		}
		if ( in_array( 'none', $req['prompt'], true ) ) {
			return self::error_redirect( $redirect_uri, new OAuth_Error( 'consent_required', __( 'The user has not approved this application for this scope.', 'wp-oauth' ) ), $state, false );
		}
		return array(
			'kind'            => 'consent',
			'status'          => 200,
			'request'         => $req,
			'client'          => $client,
			'user'            => $user,
			'approved_before' => Grant_Repository::approved_before( $user_id, $client->client_id ),
			'nonce'           => wp_create_nonce( self::nonce_action( $req ) ),
		);
	}

	/**
	 * The consent form's answer: nonce (bound to the exact request), then approve or deny.
	 *
	 * @param array    $req      Validated request.
	 * @param Client   $client   Client.
	 * @param \WP_User $user     User.
	 * @param array    $decision {decision, nonce}.
	 * @return array Result.
	 */
	private function decide_form( array $req, Client $client, \WP_User $user, array $decision ): array {
		if ( '' === $decision['nonce'] || ! wp_verify_nonce( $decision['nonce'], self::nonce_action( $req ) ) ) {
			return self::error_page( __( 'This approval form has expired or its request was changed. Go back to the application and start again.', 'wp-oauth' ), 403 );
		}
		if ( 'approve' === $decision['decision'] ) {
			return $this->approve( $req, $client, $user, false );
		}
		if ( 'deny' === $decision['decision'] ) {
			/**
			 * Fires when a user denies an authorization request on the consent screen.
			 *
			 * @param string $client_id Client.
			 * @param int    $user_id   User.
			 * @param string $scope     Requested scope.
			 */
			do_action( 'wpoa_authorization_denied', $client->client_id, (int) $user->ID, $req['scope'] );
			return self::error_redirect( $req['redirect_uri'], new OAuth_Error( 'access_denied', __( 'The user denied the request.', 'wp-oauth' ) ), $req['state'], true );
		}
		return self::error_page( __( 'Choose Approve or Deny.', 'wp-oauth' ), 400 );
	}

	/**
	 * Issues a code and redirects to the client with `code`, `state` and `iss`.
	 *
	 * @param array    $req    Validated request.
	 * @param Client   $client Client.
	 * @param \WP_User $user   User.
	 * @param bool     $auto   True when consent was remembered (no screen shown).
	 * @return array Result.
	 */
	private function approve( array $req, Client $client, \WP_User $user, bool $auto ): array {
		$code = Code_Repository::create(
			array(
				'client_id'      => $client->client_id,
				'user_id'        => (int) $user->ID,
				'redirect_uri'   => $req['redirect_uri'],
				'code_challenge' => $req['code_challenge'],
				'scope'          => $req['scope'],
				'audience'       => $req['audience'],
				'auth_time'      => self::auth_time(),
			)
		);
		if ( null !== $code && null !== ( $req['dpop_jkt'] ?? null ) && ! Dpop_Repository::bind_code( $code, $req['dpop_jkt'] ) ) {
			$code = null;
		}
		if ( null === $code ) {
			return self::error_redirect( $req['redirect_uri'], new OAuth_Error( 'server_error', __( 'The authorization could not be stored. Try again.', 'wp-oauth' ) ), $req['state'], ! $auto );
		}
		/**
		 * Fires when a user approves an authorization request (or it is approved from a
		 * remembered consent) and a code is issued.
		 *
		 * @param string $client_id Client.
		 * @param int    $user_id   User.
		 * @param string $scope     Approved scope.
		 * @param bool   $automatic True when no consent screen was shown (consent remembered).
		 */
		do_action( 'wpoa_authorization_approved', $client->client_id, (int) $user->ID, $req['scope'], $auto );
		return array(
			'kind'     => 'redirect',
			'status'   => $auto ? 302 : 303,
			'location' => self::redirect_url(
				$req['redirect_uri'],
				array(
					'code'  => $code,
					'state' => $req['state'],
					'iss'   => Urls::issuer(),
				)
			),
		);
	}

	/**
	 * Step 2 of the validation: the client and its redirect URI.
	 *
	 * @param array<string,string[]> $multi Parameters.
	 * @return array {client, redirect_uri} or an error-page result.
	 */
	private function validate_client( array $multi ): array {
		$ids = $multi['client_id'] ?? array();
		if ( 1 !== count( $ids ) || '' === $ids[0] ) {
			return self::error_page( count( $ids ) > 1 ? __( 'The client_id parameter is included more than once.', 'wp-oauth' ) : __( 'The client_id parameter is missing.', 'wp-oauth' ), 400 );
		}
		try {
			// An https URL is a Client ID Metadata Document client: fetched, checked, cached.
			$client = Client_Id_Metadata::is_url( $ids[0] ) ? Client_Id_Metadata::resolve( $ids[0] ) : Client_Repository::find( $ids[0] );
		} catch ( Storage_Unavailable $e ) {
			return self::error_page( $e->getMessage(), 503 );
		} catch ( OAuth_Error $e ) {
			return self::error_page( $e->getMessage(), $e->status );
		}
		if ( null === $client ) {
			return self::error_page( __( 'This application is not registered on this site (unknown client_id).', 'wp-oauth' ), 400 );
		}
		$uris = $multi['redirect_uri'] ?? array();
		if ( count( $uris ) > 1 ) {
			return self::error_page( __( 'The redirect_uri parameter is included more than once.', 'wp-oauth' ), 400 );
		}
		if ( 0 === count( $uris ) ) {
			if ( 1 !== count( $client->redirect_uris ) ) {
				return self::error_page( __( 'The redirect_uri parameter is missing, and this application registered more than one.', 'wp-oauth' ), 400 );
			}
			$uri = $client->redirect_uris[0];
		} else {
			$uri = $uris[0];
			if ( '' === $uri || ! $client->matches_redirect_uri( $uri ) ) {
				return self::error_page( __( 'The redirect_uri does not match any redirect URI registered by this application.', 'wp-oauth' ), 400 );
			}
		}
		if ( preg_match( '/[\x00-\x20\x7f#]/', $uri ) ) {
			return self::error_page( __( 'The registered redirect_uri is not usable.', 'wp-oauth' ), 400 );
		}
		return array(
			'client'       => $client,
			'redirect_uri' => $uri,
		);
	}

	/**
	 * Steps 3–8 of the validation.
	 *
	 * @param array<string,string[]> $multi  Parameters.
	 * @param Client                 $client The client.
	 * @return array{scope:string, code_challenge:string, audience:string, resource:?string, prompt:string[]}
	 * @throws OAuth_Error The error to redirect with.
	 */
	private function validate_request( array $multi, Client $client ): array {
		foreach ( $multi as $name => $values ) {
			if ( 'resource' !== $name && count( $values ) > 1 ) {
				throw new OAuth_Error(
					'invalid_request',
					/* translators: %s: parameter name. */
					sprintf( __( 'The %s parameter is included more than once.', 'wp-oauth' ), $name )
				);
			}
		}
		$one = static function ( string $name ) use ( $multi ): string {
			return isset( $multi[ $name ] ) ? (string) $multi[ $name ][0] : '';
		};

		$response_type = $one( 'response_type' );
		if ( '' === $response_type ) {
			throw new OAuth_Error( 'invalid_request', __( 'The response_type parameter is missing.', 'wp-oauth' ) );
		}
		if ( 'code' !== $response_type ) {
			throw new OAuth_Error( 'unsupported_response_type', __( 'Only response_type=code is supported.', 'wp-oauth' ) );
		}
		$response_types = $client->metadata['response_types'] ?? array( 'code' );
		if ( ! is_array( $response_types ) || ! in_array( 'code', $response_types, true ) || ! in_array( 'authorization_code', $client->grant_types(), true ) ) {
			throw new OAuth_Error( 'unauthorized_client', __( 'This application is not registered for the authorization code flow.', 'wp-oauth' ) );
		}

		$method = $one( 'code_challenge_method' );
		if ( 'S256' !== $method ) {
			throw new OAuth_Error(
				'invalid_request',
				'' === $method
					? __( 'PKCE is required: send code_challenge_method=S256 with a code_challenge.', 'wp-oauth' )
					: __( 'Only the S256 code_challenge_method is supported (plain is refused).', 'wp-oauth' )
			);
		}
		$challenge = $one( 'code_challenge' );
		if ( '' === $challenge ) {
			throw new OAuth_Error( 'invalid_request', __( 'PKCE is required: the code_challenge parameter is missing.', 'wp-oauth' ) );
		}
		if ( ! preg_match( '/^[A-Za-z0-9_-]{43}$/D', $challenge ) ) {
			throw new OAuth_Error( 'invalid_request', __( 'The code_challenge must be the 43-character base64url SHA-256 of the code_verifier (RFC 7636 §4.2).', 'wp-oauth' ) );
		}

		$scope = self::resolve_scope( $one( 'scope' ), $client );

		// RFC 8707 §2: one audience per grant; several values must name the same resource.
		$resource = null;
		$audience = null;
		foreach ( $multi['resource'] ?? array() as $value ) {
			$granted = Resources::audience_for( $value );
			if ( null === $granted || ( null !== $audience && $granted !== $audience ) ) {
				throw new OAuth_Error( 'invalid_target', __( 'The resource parameter must be this site\'s REST API address or a URL below it, one resource per request.', 'wp-oauth' ) );
			}
			$resource = $value;
			$audience = $granted;
		}

		$prompt = Scopes::parse( $one( 'prompt' ) );
		foreach ( $prompt as $value ) {
			if ( ! in_array( $value, self::PROMPTS, true ) ) {
				throw new OAuth_Error( 'invalid_request', __( 'Unsupported prompt value.', 'wp-oauth' ) );
			}
		}
		if ( in_array( 'none', $prompt, true ) && count( $prompt ) > 1 ) {
			throw new OAuth_Error( 'invalid_request', __( 'prompt=none cannot be combined with other prompt values.', 'wp-oauth' ) );
		}

		// RFC 9449 §10: the code will only be redeemed with a DPoP proof made by this key.
		$dpop_jkt = $one( 'dpop_jkt' );
		if ( '' !== $dpop_jkt && ! preg_match( '/^[A-Za-z0-9_-]{43}$/D', $dpop_jkt ) ) {
			throw new OAuth_Error( 'invalid_request', __( 'The dpop_jkt parameter must be the 43-character base64url SHA-256 JWK thumbprint of the DPoP key (RFC 9449 §10).', 'wp-oauth' ) );
		}

		return array(
			'scope'          => $scope,
			'code_challenge' => $challenge,
			'audience'       => $audience ?? Urls::audience(),
			'resource'       => $resource,
			'prompt'         => $prompt,
			'dpop_jkt'       => '' === $dpop_jkt ? null : $dpop_jkt,
		);
	}

	/**
	 * The scope to ask for: the requested tokens, or the default; checked against the
	 * supported set and the client's registered ceiling.
	 *
	 * @param string $requested Raw `scope`.
	 * @param Client $client    Client.
	 * @return string Canonical scope string.
	 * @throws OAuth_Error `invalid_scope`.
	 */
	public static function resolve_scope( string $requested, Client $client ): string {
		$ceiling = $client->scope();
		$tokens  = Scopes::parse( $requested );
		if ( array() === $tokens ) {
			$tokens = ( '' === $ceiling || Scopes::is_subset( Scopes::DEFAULT_SCOPE, $ceiling ) ) ? array( Scopes::DEFAULT_SCOPE ) : Scopes::parse( $ceiling );
		}
		if ( array() !== Scopes::unknown( $tokens ) ) {
			throw new OAuth_Error( 'invalid_scope', __( 'The requested scope contains unknown values.', 'wp-oauth' ) );
		}
		if ( '' !== $ceiling && ! Scopes::is_subset( implode( ' ', $tokens ), $ceiling ) ) {
			throw new OAuth_Error( 'invalid_scope', __( 'The requested scope exceeds the scope this application registered.', 'wp-oauth' ) );
		}
		$scope = Scopes::to_string( $tokens );
		if ( '' === $scope ) {
			throw new OAuth_Error( 'invalid_scope', __( 'The requested scope is empty.', 'wp-oauth' ) );
		}
		return $scope;
	}

	/**
	 * Whether a `resource` value (RFC 8707 §2) names this site's API or a URL below it
	 * (Resources::audience_for()).
	 *
	 * @param string $value The parameter.
	 * @return bool
	 */
	public static function is_our_resource( string $value ): bool {
		return null !== Resources::audience_for( $value );
	}

	/**
	 * The nonce action of the consent form: binds the nonce to the exact validated request.
	 *
	 * @param array $req Validated request.
	 * @return string
	 */
	public static function nonce_action( array $req ): string {
		$bound = array( $req['client_id'], $req['redirect_uri'], $req['scope'], $req['state'], $req['code_challenge'], $req['audience'], $req['resource'] );
		if ( null !== ( $req['dpop_jkt'] ?? null ) ) {
			$bound[] = $req['dpop_jkt'];
		}
		return 'wpoa_authorize|' . hash( 'sha256', (string) wp_json_encode( $bound ) );
	}

	/**
	 * The hidden fields of the consent form (the request as validated).
	 *
	 * @param array $req Validated request.
	 * @return array<string,string>
	 */
	public static function form_fields( array $req ): array {
		$fields = array(
			'response_type'         => 'code',
			'client_id'             => $req['client_id'],
			'redirect_uri'          => $req['redirect_uri'],
			'scope'                 => $req['scope'],
			'code_challenge'        => $req['code_challenge'],
			'code_challenge_method' => 'S256',
		);
		if ( null !== $req['state'] ) {
			$fields['state'] = $req['state'];
		}
		if ( null !== $req['resource'] ) {
			$fields['resource'] = $req['resource'];
		}
		if ( null !== ( $req['dpop_jkt'] ?? null ) ) {
			$fields['dpop_jkt'] = $req['dpop_jkt'];
		}
		return $fields;
	}

	/**
	 * The authorization URL of a validated request (for login round trips).
	 *
	 * @param array $req         Validated request.
	 * @param bool  $with_login  Keep `login` in prompt.
	 * @return string
	 */
	public static function authorize_url( array $req, bool $with_login ): string {
		$fields = self::form_fields( $req );
		$prompt = array_values( array_filter( $req['prompt'], static fn( $p ) => $with_login || 'login' !== $p ) );
		if ( array() !== $prompt ) {
			$fields['prompt'] = implode( ' ', $prompt );
		}
		return Urls::login_screen_authorization_url() . '&' . http_build_query( $fields, '', '&', PHP_QUERY_RFC3986 );
	}

	/**
	 * A redirect URI with response parameters appended to its query (RFC 6749 §4.1.2).
	 *
	 * @param string                    $redirect_uri Validated redirect URI.
	 * @param array<string,string|null> $params       Parameters (nulls are left out).
	 * @return string
	 */
	public static function redirect_url( string $redirect_uri, array $params ): string {
		$query = http_build_query( array_filter( $params, static fn( $v ) => null !== $v ), '', '&', PHP_QUERY_RFC3986 );
		$last  = substr( $redirect_uri, -1 );
		if ( false === strpos( $redirect_uri, '?' ) ) {
			$sep = '?';
		} else {
			$sep = ( '?' === $last || '&' === $last ) ? '' : '&';
		}
		return $redirect_uri . $sep . $query;
	}

	/**
	 * An error redirect (RFC 6749 §4.1.2.1) with `iss` (RFC 9207).
	 *
	 * @param string      $redirect_uri Validated redirect URI.
	 * @param OAuth_Error $error        The error.
	 * @param string|null $state        The request's state.
	 * @param bool        $after_post   Answering a form POST (303) or a GET (302).
	 * @return array Result.
	 */
	private static function error_redirect( string $redirect_uri, OAuth_Error $error, ?string $state, bool $after_post ): array {
		// RFC 6749 §4.1.2.1: error_description is limited to printable ASCII without " and \.
		$description = (string) preg_replace( '/[^\x20\x21\x23-\x5b\x5d-\x7e]/', '', remove_accents( $error->getMessage() ) );
		return array(
			'kind'     => 'redirect',
			'status'   => $after_post ? 303 : 302,
			'error'    => $error->error,
			'location' => self::redirect_url(
				$redirect_uri,
				array(
					'error'             => $error->error,
					'error_description' => $description,
					'state'             => $state,
					'iss'               => Urls::issuer(),
				)
			),
		);
	}

	/**
	 * An error page result (no redirect).
	 *
	 * @param string $message Translated message.
	 * @param int    $status  HTTP status.
	 * @return array Result.
	 */
	private static function error_page( string $message, int $status ): array {
		return array(
			'kind'    => 'error',
			'status'  => $status,
			'message' => $message,
		);
	}

	/**
	 * When the current user logged in (their session's login time), for `auth_time`.
	 *
	 * @return int Unix seconds; now when unknown.
	 */
	private static function auth_time(): int {
		$token = function_exists( 'wp_get_session_token' ) ? wp_get_session_token() : '';
		if ( '' !== $token ) {
			$session = \WP_Session_Tokens::get_instance( get_current_user_id() )->get( $token );
			if ( is_array( $session ) && isset( $session['login'] ) ) {
				return (int) $session['login'];
			}
		}
		return time();
	}

	/**
	 * Anti-framing and no-store headers for every answer of this endpoint.
	 */
	private static function send_security_headers(): void {
		if ( headers_sent() ) {
			return;
		}
		header( 'X-Frame-Options: DENY', true );
		header( "Content-Security-Policy: frame-ancestors 'none'", true );
		header( 'Cache-Control: no-store, no-cache, must-revalidate, max-age=0', true );
		header( 'Referrer-Policy: no-referrer', true );
	}

	/**
	 * Sends a result and returns (serve() exits).
	 *
	 * @param array $result From decide_get() / decide_post().
	 */
	public function emit( array $result ): void {
		switch ( $result['kind'] ) {
			case 'redirect':
				// Not wp_redirect(): it would strip private-use schemes (com.example.app:/cb).
				// The URI was matched against the client's registration, and has no control characters.
				status_header( (int) $result['status'] );
				header( 'Location: ' . $result['location'], true, (int) $result['status'] );
				return;
			case 'login':
				wp_safe_redirect( $result['location'] );
				return;
			case 'consent':
				status_header( 200 );
				self::render( 'consent', $result );
				return;
			default:
				status_header( (int) $result['status'] );
				self::render( 'authorize-error', $result );
		}
	}

	/**
	 * Renders a template of wp-plugin/templates with `$view` in scope.
	 *
	 * @param string $template Template name without `.php`.
	 * @param array  $view     Variables.
	 */
	public static function render( string $template, array $view ): void {
		$file = WPOA_DIR . '/templates/' . $template . '.php';
		( static function () use ( $file, $view ) {
			include $file;
		} )();
	}

	/**
	 * Page header: wp-login.php's login_header() when available (always, in production).
	 *
	 * @param string $title Translated title.
	 */
	public static function page_header( string $title ): void {
		add_action( 'login_head', array( self::class, 'print_styles' ) );
		if ( function_exists( 'login_header' ) ) {
			login_header( $title );
			return;
		}
		echo '<!DOCTYPE html><html><head><meta charset="utf-8"><title>' . esc_html( $title ) . '</title></head><body><div id="login">';
	}

	/**
	 * Page footer: wp-login.php's login_footer() when available.
	 */
	public static function page_footer(): void {
		if ( function_exists( 'login_footer' ) ) {
			login_footer();
			return;
		}
		echo '</div></body></html>';
	}

	/**
	 * A few styles on top of wp-login.php's for the consent screen.
	 */
	public static function print_styles(): void {
		?>
		<style>
			.login-action-oauth_authorize #login, .login-action-oauth_device #login { width: 380px; }
			.wpoa-card { background: #fff; border: 1px solid #c3c4c7; box-shadow: 0 1px 3px rgba(0,0,0,.04); padding: 24px; margin-top: 20px; }
			.wpoa-card h2 { font-size: 18px; line-height: 1.4; margin: 0 0 12px; }
			.wpoa-card p { margin: 0 0 12px; }
			.wpoa-meta { color: #50575e; font-size: 13px; }
			.wpoa-scopes { margin: 0 0 16px; padding: 0; list-style: none; }
			.wpoa-scopes li { border-left: 4px solid #2271b1; padding: 6px 10px; margin-bottom: 8px; background: #f6f7f7; }
			.wpoa-scopes strong { display: block; }
			.wpoa-notice { border-left: 4px solid #dba617; background: #fcf9e8; padding: 8px 10px; margin-bottom: 12px; }
			.wpoa-known { border-left-color: #00a32a; background: #edfaef; }
			.wpoa-identity { font-size: 15px; }
			.wpoa-host { font-size: 17px; }
			.wpoa-trusted { display: block; color: #00a32a; font-size: 13px; margin-top: 4px; }
			.wpoa-actions { display: flex; gap: 8px; justify-content: flex-end; margin-top: 16px; }
			.wpoa-user { border-top: 1px solid #dcdcde; padding-top: 12px; margin-top: 16px; font-size: 13px; }
			.wpoa-error { border-left: 4px solid #d63638; }
			.login form#wpoa-consent-form { margin: 0 0 8px; padding: 0; border: 0; box-shadow: none; background: none; overflow: visible; }
		</style>
		<?php
	}

	/**
	 * How to name where the user will be sent back: a host, or an app's scheme.
	 *
	 * @param string $redirect_uri The redirect URI.
	 * @return array{kind:string, label:string} kind: `web`, `loopback` or `app`.
	 */
	public static function describe_redirect( string $redirect_uri ): array {
		$parts  = wp_parse_url( $redirect_uri );
		$scheme = is_array( $parts ) && isset( $parts['scheme'] ) ? strtolower( $parts['scheme'] ) : '';
		$host   = is_array( $parts ) && isset( $parts['host'] ) ? $parts['host'] : '';
		if ( 'http' === $scheme && in_array( strtolower( $host ), array( '127.0.0.1', '[::1]', '::1', 'localhost' ), true ) ) {
			return array(
				'kind'  => 'loopback',
				'label' => $host,
			);
		}
		if ( 'https' === $scheme || 'http' === $scheme ) {
			return array(
				'kind'  => 'web',
				'label' => $host,
			);
		}
		return array(
			'kind'  => 'app',
			'label' => '' !== $scheme ? $scheme . ':' : $redirect_uri,
		);
	}
}
