<?php
/**
 * Service-account bindings of confidential clients (client_credentials, RFC 6749 §4.4).
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Which WordPress user an administrator-created confidential client acts as when it uses the
 * client credentials grant, and with what maximum scope (docs/decisions/client-credentials-service-accounts.md).
 *
 * A binding is one entry of the option OPTION (not autoloaded; shared by every node through the
 * database): `client_id => {user_id, scope, grant_id, bound_by, bound_at}`. The administrator's
 * binding is the service user's consent, and it is stored as an ordinary grant (user, client,
 * scope) created by bind(): it shows in that user's authorized applications, every access token
 * carries its id, and revoking it (by the user, an administrator, or an automatic rule such as a
 * password change) stops the integration until an administrator binds the client again.
 */
final class Service_Account_Repository {

	/** Option holding every binding. */
	const OPTION = 'wpoa_service_accounts';

	/**
	 * Every binding.
	 *
	 * @return array<string, array{user_id:int, scope:string, grant_id:int, bound_by:int, bound_at:int}>
	 */
	public static function all(): array {
		$all = get_option( self::OPTION, array() );
		return is_array( $all ) ? $all : array();
	}

	/**
	 * The binding of a client.
	 *
	 * @param string $client_id Client.
	 * @return array{user_id:int, scope:string, grant_id:int, bound_by:int, bound_at:int}|null
	 */
	public static function find( string $client_id ): ?array {
		$all = self::all();
		return isset( $all[ $client_id ] ) && is_array( $all[ $client_id ] ) ? $all[ $client_id ] : null;
	}

	/**
	 * Binds a confidential, administrator-created client to a user and a maximum scope, replacing
	 * any previous binding (whose grant is revoked, reason `service_account_rebound`).
	 *
	 * @param Client $client   The client (confidential, registered_by > 0).
	 * @param int    $user_id  The service account.
	 * @param string $scope    Maximum scope (canonical string, non-empty).
	 * @param int    $bound_by The administrator.
	 * @return int The new grant id, or 0 when the grant could not be stored.
	 */
	public static function bind( Client $client, int $user_id, string $scope, int $bound_by ): int {
		$previous = self::find( $client->client_id );
		$grant_id = Grant_Repository::create( $client->client_id, $user_id, $scope, Urls::audience(), time() );
		if ( $grant_id <= 0 ) {
			return 0;
		}
		if ( null !== $previous ) {
			Grant_Repository::revoke( (int) $previous['grant_id'], 'service_account_rebound' );
		}
		$all                       = self::all();
		$all[ $client->client_id ] = array(
			'user_id'  => $user_id,
			'scope'    => $scope,
			'grant_id' => $grant_id,
			'bound_by' => $bound_by,
			'bound_at' => time(),
		);
		update_option( self::OPTION, $all, false );
		/**
		 * Fires when an administrator binds a confidential client to a service-account user.
		 *
		 * @param string $client_id Client.
		 * @param int    $user_id   The user it acts as.
		 * @param string $scope     Maximum scope.
		 * @param int    $grant_id  The grant that represents the binding.
		 * @param int    $bound_by  The administrator.
		 */
		do_action( 'wpoa_service_account_bound', $client->client_id, $user_id, $scope, $grant_id, $bound_by );
		return $grant_id;
	}

	/**
	 * Removes a client's binding and revokes its grant (reason `service_account_unbound`).
	 *
	 * @param string $client_id Client.
	 * @param int    $by        The administrator (0 for the system).
	 * @return bool False when the client had no binding.
	 */
	public static function unbind( string $client_id, int $by ): bool {
		$binding = self::find( $client_id );
		if ( null === $binding ) {
			return false;
		}
		$all = self::all();
		unset( $all[ $client_id ] );
		update_option( self::OPTION, $all, false );
		Grant_Repository::revoke( (int) $binding['grant_id'], 'service_account_unbound' );
		/**
		 * Fires when an administrator removes a client's service-account binding.
		 *
		 * @param string $client_id Client.
		 * @param int    $user_id   The user it acted as.
		 * @param int    $by        The administrator.
		 */
		do_action( 'wpoa_service_account_unbound', $client_id, (int) $binding['user_id'], $by );
		return true;
	}
}
