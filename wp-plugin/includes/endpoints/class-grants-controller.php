<?php
/**
 * REST: a person's authorized applications (their grants), to list and revoke.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Routes (WordPress REST format, not OAuth's: these are ordinary API resources):
 *
 * - `GET    /wp-oauth/v1/me/grants`          the current user's active grants;
 * - `DELETE /wp-oauth/v1/me/grants/{id}`     revokes one of them (404 if not theirs);
 * - `DELETE /wp-oauth/v1/me/grants`          revokes all of them;
 * - the same under `/wp-oauth/v1/users/{user_id}/grants` for people who may edit
 *   that user (`edit_user`), which the profile screen uses for administrators.
 *
 * Authentication is whatever WordPress accepts for the REST API: the login cookie
 * with the REST nonce (`X-WP-Nonce`), an Application Password, or a bearer token.
 * These routes are account security: a bearer token needs the `full` scope for any of
 * them (Route_Policy), because a narrower token that could list or revoke the user's
 * other applications would reach past what it was granted. A token signs itself out
 * through RFC 7009 revocation instead. Managing another user's grants also needs
 * `edit_user` on them.
 *
 * Item shape: {id:int, client_id:string, client_name:string, scope:string,
 * scopes:[{scope,label,description}], approved_at:int, last_used_at:int|null,
 * last_used_ip:string|null, expires_at:int, current:bool} (times in Unix seconds;
 * `current` is true for the grant of the bearer token making the request).
 */
final class Grants_Controller {

	/**
	 * A route callback that answers `503 db_unavailable` (WordPress's REST error format, as the
	 * `db-error.php` drop-in) when the database did not answer, instead of a fatal error.
	 *
	 * @param string $method One of this class's route methods.
	 * @return callable
	 */
	private function guarded( string $method ): callable {
		return function ( \WP_REST_Request $request ) use ( $method ) {
			try {
				return $this->$method( $request );
			} catch ( Storage_Unavailable $e ) {
				return $e->rest_error();
			}
		};
	}

	/**
	 * Registers the routes.
	 */
	public function register_routes(): void {
		foreach ( array( '/me/grants', '/users/(?P<user_id>[\d]+)/grants' ) as $base ) {
			register_rest_route(
				Plugin::REST_NAMESPACE,
				$base,
				array(
					array(
						'methods'             => \WP_REST_Server::READABLE,
						'callback'            => $this->guarded( 'list_grants' ),
						'permission_callback' => array( $this, 'can_manage' ),
					),
					array(
						'methods'             => \WP_REST_Server::DELETABLE,
						'callback'            => $this->guarded( 'revoke_all' ),
						'permission_callback' => array( $this, 'can_manage' ),
					),
				)
			);
			register_rest_route(
				Plugin::REST_NAMESPACE,
				$base . '/(?P<id>[\d]+)',
				array(
					array(
						'methods'             => \WP_REST_Server::DELETABLE,
						'callback'            => $this->guarded( 'revoke_one' ),
						'permission_callback' => array( $this, 'can_manage' ),
					),
				)
			);
		}
	}

	/**
	 * The user whose grants a request addresses: the current user for `/me`, else `user_id`.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return int User id (0 when not logged in).
	 */
	private static function target_user( \WP_REST_Request $request ): int {
		$id = $request->get_param( 'user_id' );
		return null === $id ? get_current_user_id() : (int) $id;
	}

	/**
	 * Permission: logged in, and either the user themself or able to `edit_user` them.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return true|\WP_Error 401 when not logged in, 404 for an unknown user, 403 otherwise.
	 */
	public function can_manage( \WP_REST_Request $request ) {
		if ( ! is_user_logged_in() ) {
			return new \WP_Error( 'rest_not_logged_in', __( 'You are not currently logged in.', 'wp-oauth' ), array( 'status' => 401 ) );
		}
		$user_id = self::target_user( $request );
		if ( null === $request->get_param( 'user_id' ) ) {
			return true;
		}
		if ( $user_id <= 0 || ! get_userdata( $user_id ) ) {
			return new \WP_Error( 'rest_user_invalid_id', __( 'Invalid user ID.', 'wp-oauth' ), array( 'status' => 404 ) );
		}
		if ( get_current_user_id() === $user_id || current_user_can( 'edit_user', $user_id ) ) {
			return true;
		}
		return new \WP_Error( 'rest_forbidden', __( 'Sorry, you are not allowed to manage the applications of this user.', 'wp-oauth' ), array( 'status' => rest_authorization_required_code() ) );
	}

	/**
	 * GET: the user's active grants, newest first.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response List of items (see the class).
	 */
	public function list_grants( \WP_REST_Request $request ): \WP_REST_Response {
		$items = array_map( array( self::class, 'prepare_item' ), Grant_Repository::active_for_user( self::target_user( $request ) ) );
		$response = rest_ensure_response( $items );
		$response->header( 'Cache-Control', 'no-store' );
		return $response;
	}

	/**
	 * DELETE one: revokes a grant of the user.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error `{revoked: true, grant: item}`; 404 when the grant is not the user's or not active.
	 */
	public function revoke_one( \WP_REST_Request $request ) {
		$user_id = self::target_user( $request );
		$grant   = Grant_Repository::find( (int) $request->get_param( 'id' ) );
		if ( null === $grant || (int) $grant->user_id !== $user_id || ! Grant_Repository::is_active( $grant ) ) {
			return new \WP_Error( 'wpoa_grant_not_found', __( 'No such authorized application.', 'wp-oauth' ), array( 'status' => 404 ) );
		}
		$item = self::prepare_item( $grant );
		Grant_Repository::revoke( (int) $grant->id, 'user_revoked' );
		/**
		 * Fires when a person (or an administrator for them) revokes an application's access.
		 *
		 * @param int    $grant_id   Grant.
		 * @param int    $user_id    The grant's user.
		 * @param int    $revoked_by The user who revoked it.
		 * @param string $client_id  The client.
		 */
		do_action( 'wpoa_user_revoked_grant', (int) $grant->id, $user_id, get_current_user_id(), (string) $grant->client_id );
		return rest_ensure_response(
			array(
				'revoked' => true,
				'grant'   => $item,
			)
		);
	}

	/**
	 * DELETE all: revokes every active grant of the user.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response `{revoked: int}` number of grants revoked.
	 */
	public function revoke_all( \WP_REST_Request $request ): \WP_REST_Response {
		$user_id = self::target_user( $request );
		$count   = 0;
		foreach ( Grant_Repository::active_for_user( $user_id ) as $grant ) {
			if ( Grant_Repository::revoke( (int) $grant->id, 'user_revoked' ) ) {
				++$count;
				/** This action is documented in revoke_one(). */
				do_action( 'wpoa_user_revoked_grant', (int) $grant->id, $user_id, get_current_user_id(), (string) $grant->client_id );
			}
		}
		return rest_ensure_response( array( 'revoked' => $count ) );
	}

	/**
	 * One grant as an API item.
	 *
	 * @param object $grant Grant row.
	 * @return array<string,mixed> See the class docblock.
	 */
	public static function prepare_item( object $grant ): array {
		$client = Client_Repository::find( (string) $grant->client_id );
		$all    = Scopes::all();
		$scopes = array();
		foreach ( Scopes::parse( (string) $grant->scope ) as $token ) {
			$scopes[] = array(
				'scope'       => $token,
				'label'       => isset( $all[ $token ] ) ? (string) $all[ $token ]['label'] : $token,
				'description' => isset( $all[ $token ] ) ? (string) $all[ $token ]['description'] : '',
			);
		}
		$current = false;
		$bearer  = Plugin::loaded( Bearer_Authenticator::class );
		if ( $bearer instanceof Bearer_Authenticator && $bearer->user_id() > 0 ) {
			$current = (string) ( $bearer->claims()['grant_id'] ?? '' ) === (string) $grant->id;
		}
		return array(
			'id'           => (int) $grant->id,
			'client_id'    => (string) $grant->client_id,
			'client_name'  => $client ? $client->name() : (string) $grant->client_id,
			'scope'        => (string) $grant->scope,
			'scopes'       => $scopes,
			'approved_at'  => (int) $grant->created_at,
			'last_used_at' => null !== $grant->last_used_at ? (int) $grant->last_used_at : null,
			'last_used_ip' => null !== $grant->last_used_ip ? (string) $grant->last_used_ip : null,
			'expires_at'   => (int) $grant->expires_at,
			'current'      => $current,
			'origin'       => Exchange_Repository::origin( $grant ),
		);
	}
}
