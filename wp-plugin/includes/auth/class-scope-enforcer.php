<?php
/**
 * Narrows a bearer-authenticated user's capabilities to the token's scope (RFC 6749 §3.3, RFC 6750 §3.1).
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Two allowlists, both enforced on every bearer-authenticated REST request:
 *
 * 1. The route table (Route_Policy): on `rest_request_before_callbacks` — after core matched
 *    the route, before its permission callback and its callback run, for every request
 *    dispatched (batch and embedded sub-requests included) — a token whose scope does not
 *    reach the level the route and method need gets 403 `insufficient_scope` and the route
 *    never runs. This closes what capabilities cannot: WordPress maps some meta capabilities
 *    to no primitive capability at all when users act on themselves (`edit_user`,
 *    `create_app_password`, …), and some routes check nothing but that someone is logged in.
 *
 * 2. The capabilities: a token's effective capabilities are the user's capabilities
 *    intersected with those its scope allows (Scopes::capabilities(); null = all of the
 *    user's). Enforced through WordPress's capability checks, so code that checks
 *    capabilities outside a route respects it too:
 * - `user_has_cap` (last priority): when the request is bearer-authenticated and
 *   the user being checked is the token's user, every required primitive capability
 *   the scope does not allow is set to false.
 * - `map_meta_cap` (last priority), for multisite super admins only: core grants
 *   them everything before `user_has_cap` runs, unless the mapped caps contain
 *   `do_not_allow`, which is what we return for a capability outside the scope.
 *
 * Capabilities the user actually had but the scope removed are remembered for the
 * request; when the request then ends in 403 (or 401), `rest_post_dispatch` adds
 * `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"` naming the
 * smallest scope that would have allowed them (RFC 6750 §3.1) and answers 403.
 * The body stays core's (`rest_cannot_create`, …) so WordPress clients keep working.
 */
final class Scope_Enforcer {

	/**
	 * Source of the bearer outcome; Plugin's registered instance when null.
	 *
	 * @var Bearer_Authenticator|null
	 */
	private $authenticator;

	/**
	 * Primitive capabilities removed by the scope during this request (cap => true).
	 *
	 * @var array<string,bool>
	 */
	private $denied = array();

	/**
	 * The refusal of the route table in this request: the scope needed (`read`, `write`,
	 * `full`, or `` when no scope may), or null when the table allowed every route.
	 *
	 * @var string|null
	 */
	private $route_refusal = null;

	/**
	 * Why the route table refused, for the challenge's `error_description`.
	 *
	 * @var string
	 */
	private $route_message = '';

	/**
	 * Allowed capabilities per scope string (cap => true), or null for all.
	 *
	 * @var array<string, array<string,bool>|null>
	 */
	private $allowed_cache = array();

	/**
	 * @param Bearer_Authenticator|null $authenticator The authenticator to read; default the plugin's.
	 */
	public function __construct( ?Bearer_Authenticator $authenticator = null ) {
		$this->authenticator = $authenticator;
	}

	/**
	 * Whether the hooks are in place.
	 *
	 * @var bool
	 */
	private $registered = false;

	/**
	 * Hooks the route check, the capability filters and the challenge; called by
	 * Bearer_Authenticator once a token authenticated the request (idempotent).
	 */
	public function register(): void {
		if ( $this->registered ) {
			return;
		}
		$this->registered = true;
		add_filter( 'rest_request_before_callbacks', array( $this, 'enforce_route' ), PHP_INT_MAX, 3 );
		add_filter( 'user_has_cap', array( $this, 'filter_user_has_cap' ), PHP_INT_MAX, 4 );
		add_filter( 'map_meta_cap', array( $this, 'filter_map_meta_cap' ), PHP_INT_MAX, 4 );
		add_filter( 'rest_post_dispatch', array( $this, 'rest_post_dispatch' ), 20, 3 );
	}

	/**
	 * Capabilities removed by the scope so far in this request.
	 *
	 * @return string[]
	 */
	public function denied(): array {
		return array_keys( $this->denied );
	}

	/**
	 * Forgets the denied capabilities (tests, long-running processes).
	 */
	public function reset(): void {
		$this->denied        = array();
		$this->allowed_cache = array();
		$this->route_refusal = null;
		$this->route_message = '';
	}

	/**
	 * Refuses a bearer request whose scope does not reach what the matched route and method
	 * need (Route_Policy), before the route's permission callback and callback run.
	 *
	 * @param mixed            $response Result so far (null, or a WP_Error from parameter checks).
	 * @param array            $handler  The handler core matched.
	 * @param \WP_REST_Request $request  The request.
	 * @return mixed The input, or a 403 `insufficient_scope` WP_Error.
	 */
	public function enforce_route( $response, $handler, $request ) {
		$auth = $this->authenticator();
		if ( null === $auth || $auth->user_id() <= 0 || ! $request instanceof \WP_REST_Request || ! is_array( $handler ) ) {
			return $response;
		}
		$pattern = Route_Policy::matched_pattern( rest_get_server(), $request, $handler );
		$shape   = Route_Policy::shape( null !== $pattern ? $pattern : (string) $request->get_route() );
		$method  = $request->get_method();
		$scope   = (string) $auth->scope();
		if ( Route_Policy::allows( $shape, $method, $scope, $auth->user_id() ) ) {
			return $response;
		}
		$required            = Route_Policy::required( $shape, $method );
		$this->route_refusal = 'never' === $required ? '' : $required;
		if ( 'never' === $required ) {
			$message = __( 'An access token cannot create credentials that would outlive it, such as Application Passwords. Create one from your profile screen in WordPress instead.', 'wp-oauth' );
		} else {
			$message = sprintf(
				/* translators: %s: the scope the request needs, e.g. "write". */
				__( 'The access token does not allow this request (scope needed: %s).', 'wp-oauth' ),
				$required
			);
		}
		/**
		 * Fires when a bearer request is refused by the route table.
		 *
		 * @param int    $user_id  The token's user.
		 * @param string $shape    The route shape (Route_Policy::shape()).
		 * @param string $method   The HTTP method.
		 * @param string $required The level the route needs: `read`, `write`, `full` or `never`.
		 */
		do_action( 'wpoa_route_refused', $auth->user_id(), $shape, $method, $required );
		$data = array( 'status' => 403 );
		if ( 'never' !== $required ) {
			$data['scope'] = $required;
		}
		$this->route_message = $message;
		return new \WP_Error( 'insufficient_scope', $message, $data );
	}

	/**
	 * Removes the capabilities the token's scope does not allow.
	 *
	 * @param array<string,bool> $allcaps The user's primitive capabilities (cap => granted).
	 * @param string[]           $caps    Primitive capabilities required by this check.
	 * @param array              $args    [ requested cap, user id, object id… ].
	 * @param \WP_User           $user    The user being checked.
	 * @return array<string,bool>
	 */
	public function filter_user_has_cap( $allcaps, $caps, $args, $user ) {
		$allowed = $this->allowed_for( $user instanceof \WP_User ? (int) $user->ID : 0 );
		if ( false === $allowed || null === $allowed || ! is_array( $allcaps ) ) {
			return $allcaps;
		}
		foreach ( (array) $caps as $cap ) {
			$cap = (string) $cap;
			if ( 'exist' === $cap || isset( $allowed[ $cap ] ) ) {
				continue;
			}
			if ( ! empty( $allcaps[ $cap ] ) ) {
				$this->denied[ $cap ] = true;
			}
			$allcaps[ $cap ] = false;
		}
		return $allcaps;
	}

	/**
	 * For multisite super admins (whom core allows everything before `user_has_cap`),
	 * maps a capability outside the scope to `do_not_allow`.
	 *
	 * @param string[] $caps    Primitive capabilities the meta capability maps to.
	 * @param string   $cap     The capability checked.
	 * @param int      $user_id The user.
	 * @param array    $args    Extra arguments.
	 * @return string[]
	 */
	public function filter_map_meta_cap( $caps, $cap, $user_id, $args ) {
		if ( ! is_multisite() || ! is_array( $caps ) ) {
			return $caps;
		}
		$allowed = $this->allowed_for( (int) $user_id );
		if ( false === $allowed || null === $allowed || ! is_super_admin( (int) $user_id ) ) {
			return $caps;
		}
		foreach ( $caps as $primitive ) {
			$primitive = (string) $primitive;
			if ( 'exist' !== $primitive && ! isset( $allowed[ $primitive ] ) ) {
				$this->denied[ $primitive ] = true;
				return array( 'do_not_allow' );
			}
		}
		return $caps;
	}

	/**
	 * On a bearer request refused for lack of scope: 403 with the insufficient_scope challenge.
	 *
	 * @param \WP_HTTP_Response $response Response.
	 * @param \WP_REST_Server   $server   Server.
	 * @param \WP_REST_Request  $request  Request.
	 * @return \WP_HTTP_Response
	 */
	public function rest_post_dispatch( $response, $server, $request ) {
		if ( ! $response instanceof \WP_HTTP_Response || ( array() === $this->denied && null === $this->route_refusal ) ) {
			return $response;
		}
		$status = $response->get_status();
		if ( 403 !== $status && 401 !== $status ) {
			return $response;
		}
		$auth = $this->authenticator();
		if ( null === $auth || $auth->user_id() <= 0 ) {
			return $response;
		}
		$needed = null !== $this->route_refusal ? $this->route_refusal : $this->scope_for( $this->denied() );
		$params = array(
			'error'             => 'insufficient_scope',
			'error_description' => null !== $this->route_refusal ? $this->route_message : __( 'The access token does not allow this request.', 'wp-oauth' ),
		);
		if ( '' !== $needed ) {
			// RFC 6750 §3 `scope`: every scope the operation needs, with the ones the token
			// already has, so that a client re-authorizing with it (MCP step-up) loses nothing.
			$held            = Scopes::parse( (string) ( $auth->claims()['scope'] ?? '' ) );
			$params['scope'] = Scopes::to_string( array_merge( $held, Scopes::parse( $needed ) ) );
		}
		$response->set_status( 403 );
		$response->header( 'WWW-Authenticate', Bearer_Authenticator::challenge( $params ) );
		/**
		 * Fires when a bearer request is refused because its scope is too narrow.
		 *
		 * @param int      $user_id The token's user.
		 * @param string[] $denied  Primitive capabilities the scope removed.
		 * @param string   $needed  Smallest scope that allows them ('' when none does).
		 */
		do_action( 'wpoa_insufficient_scope', $auth->user_id(), $this->denied(), $needed );
		return $response;
	}

	/**
	 * The first scope (in Scopes::allowances() order) that allows every given capability.
	 *
	 * @param string[] $caps Primitive capabilities.
	 * @return string Scope token, or '' when none does.
	 */
	public function scope_for( array $caps ): string {
		foreach ( Scopes::allowances() as $name => $def ) {
			if ( null === $def['capabilities'] || array() === array_diff( $caps, (array) $def['capabilities'] ) ) {
				return (string) $name;
			}
		}
		return '';
	}

	/**
	 * What the current bearer token allows for this user.
	 *
	 * @param int $user_id The user being checked.
	 * @return array<string,bool>|null|false Allowed caps (cap => true); null = all of the
	 *                                       user's; false = not a bearer request for this user.
	 */
	private function allowed_for( int $user_id ) {
		$auth = $this->authenticator();
		if ( null === $auth || $user_id <= 0 || $auth->user_id() !== $user_id ) {
			return false;
		}
		$scope = (string) $auth->scope();
		if ( ! array_key_exists( $scope, $this->allowed_cache ) ) {
			$caps                          = Scopes::capabilities( $scope );
			$this->allowed_cache[ $scope ] = null === $caps ? null : array_fill_keys( $caps, true );
		}
		return $this->allowed_cache[ $scope ];
	}

	/**
	 * The authenticator whose outcome applies.
	 *
	 * @return Bearer_Authenticator|null
	 */
	private function authenticator(): ?Bearer_Authenticator {
		if ( null !== $this->authenticator ) {
			return $this->authenticator;
		}
		$auth = Plugin::component( Bearer_Authenticator::class );
		return $auth instanceof Bearer_Authenticator ? $auth : null;
	}
}
