<?php
/**
 * Narrows a bearer-authenticated user's capabilities to the token's scope (RFC 6749 §3.3, RFC 6750 §3.1).
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * A token's effective capabilities are the user's capabilities intersected with
 * those its scope allows (Scopes::capabilities(); null = all of the user's).
 *
 * Enforced through WordPress's capability checks, so every REST route — core's and
 * other plugins' — respects it without knowing about OAuth:
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
	 * Hooks the capability filters and the challenge.
	 */
	public function register(): void {
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
		if ( ! $response instanceof \WP_HTTP_Response || array() === $this->denied ) {
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
		$needed = $this->scope_for( $this->denied() );
		$params = array(
			'error'             => 'insufficient_scope',
			'error_description' => __( 'The access token does not allow this request.', 'wp-oauth' ),
		);
		if ( '' !== $needed ) {
			$params['scope'] = $needed;
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
	 * The first scope (in Scopes::all() order) that allows every given capability.
	 *
	 * @param string[] $caps Primitive capabilities.
	 * @return string Scope token, or '' when none does.
	 */
	public function scope_for( array $caps ): string {
		foreach ( Scopes::all() as $name => $def ) {
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
