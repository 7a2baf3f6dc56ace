<?php
/**
 * Users → OAuth Service Accounts: bind confidential clients to the user they act as.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * The screen where an administrator lets a confidential client they created use the client
 * credentials grant (RFC 6749 §4.4): they choose the WordPress user it acts as (the service
 * account) and a maximum scope. Saving creates the grant that represents that user's consent
 * (Service_Account_Repository::bind()); removing the binding revokes it. Needs the capability of
 * the OAuth Clients screen (filter `wpoa_manage_clients_capability`); every form has a nonce.
 */
final class Admin_Service_Accounts {

	/** Page slug. */
	const SLUG = 'wpoa-service-accounts';

	/**
	 * The outcome of the last action in this request (for tests and the notice).
	 *
	 * @var string|null
	 */
	private $notice = null;

	/**
	 * Adds the page under Users (admin_menu).
	 */
	public function add_page(): void {
		$hook = add_users_page(
			__( 'OAuth Service Accounts', 'wp-oauth' ),
			__( 'OAuth Service Accounts', 'wp-oauth' ),
			Admin_Clients::capability(),
			self::SLUG,
			array( $this, 'render' )
		);
		if ( $hook ) {
			add_action( 'load-' . $hook, array( $this, 'handle_post' ) );
		}
	}

	/**
	 * Handles a POST (before any output): capability, nonce, then bind or unbind.
	 */
	public function handle_post(): void {
		if ( ! isset( $_SERVER['REQUEST_METHOD'] ) || 'POST' !== $_SERVER['REQUEST_METHOD'] ) {
			return;
		}
		if ( ! current_user_can( Admin_Clients::capability() ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to manage OAuth clients.', 'wp-oauth' ), 403 );
		}
		check_admin_referer( 'wpoa_service_accounts' );
		$this->notice = $this->dispatch( wp_unslash( $_POST ), get_current_user_id() );
	}

	/**
	 * Runs a bind or unbind whose capability and nonce were checked. Public for tests.
	 *
	 * @param array $post     Unslashed POST data: wpoa_action (`bind`|`unbind`), client_id, user_id, scope[].
	 * @param int   $admin_id The administrator.
	 * @return string Notice key: `bound`, `unbound`, `not_allowed` (not a confidential
	 *                administrator-made client), `no_user`, `no_scope`, `failed`.
	 */
	public function dispatch( array $post, int $admin_id ): string {
		$action    = isset( $post['wpoa_action'] ) ? sanitize_key( (string) $post['wpoa_action'] ) : '';
		$client_id = isset( $post['client_id'] ) ? sanitize_text_field( (string) $post['client_id'] ) : '';
		if ( 'unbind' === $action ) {
			return Service_Account_Repository::unbind( $client_id, $admin_id ) ? 'unbound' : 'failed';
		}
		$client = '' !== $client_id ? Client_Repository::find( $client_id ) : null;
		if ( 'bind' !== $action || null === $client || ! $client->may_use_client_credentials() ) {
			return 'not_allowed';
		}
		$user_id = isset( $post['user_id'] ) ? (int) $post['user_id'] : 0;
		$user    = $user_id > 0 ? get_userdata( $user_id ) : false;
		if ( ! $user || ( is_multisite() && ! Network::user_belongs( (int) $user_id ) ) ) {
			return 'no_user';
		}
		$tokens = array_map( 'sanitize_key', (array) ( $post['scope'] ?? array() ) );
		$scope  = Scopes::to_string( $tokens );
		if ( '' === $scope || array() !== Scopes::unknown( $tokens ) || ( '' !== $client->scope() && ! Scopes::is_subset( $scope, $client->scope() ) ) ) {
			return 'no_scope';
		}
		return Service_Account_Repository::bind( $client, $user_id, $scope, $admin_id ) > 0 ? 'bound' : 'failed';
	}

	/**
	 * Renders the screen: the bindings, then the form to add one.
	 */
	public function render(): void {
		$messages = array(
			'bound'       => __( 'The client now acts as this user with client_credentials.', 'wp-oauth' ),
			'unbound'     => __( 'The binding was removed and its tokens stopped working.', 'wp-oauth' ),
			'not_allowed' => __( 'Only confidential clients created by an administrator can act as a service account.', 'wp-oauth' ),
			'no_user'     => __( 'Choose a user of this site.', 'wp-oauth' ),
			'no_scope'    => __( 'Choose a scope within the client\'s registered scope.', 'wp-oauth' ),
			'failed'      => __( 'The binding could not be saved.', 'wp-oauth' ),
		);
		$clients  = array_filter( Client_Repository::list( 500 ), static fn( Client $c ) => $c->may_use_client_credentials() );
		echo '<div class="wrap"><h1>' . esc_html__( 'OAuth Service Accounts', 'wp-oauth' ) . '</h1>';
		if ( null !== $this->notice && isset( $messages[ $this->notice ] ) ) {
			$ok = in_array( $this->notice, array( 'bound', 'unbound' ), true );
			printf( '<div class="notice notice-%1$s" id="wpoa-sa-notice"><p>%2$s</p></div>', $ok ? 'success' : 'error', esc_html( $messages[ $this->notice ] ) );
		}
		echo '<p>' . esc_html__( 'A service integration (a confidential client you created on OAuth Clients) can get tokens without a person present (client_credentials). It acts as the user you choose here, limited to the scope you allow. The user sees it among their authorized applications and can revoke it.', 'wp-oauth' ) . '</p>';

		echo '<table class="widefat striped" id="wpoa-sa-list"><thead><tr><th>' . esc_html__( 'Client', 'wp-oauth' ) . '</th><th>' . esc_html__( 'Acts as', 'wp-oauth' ) . '</th><th>' . esc_html__( 'Maximum scope', 'wp-oauth' ) . '</th><th>' . esc_html__( 'Status', 'wp-oauth' ) . '</th><th></th></tr></thead><tbody>';
		foreach ( Service_Account_Repository::all() as $client_id => $binding ) {
			$client = Client_Repository::find( (string) $client_id );
			$user   = get_userdata( (int) $binding['user_id'] );
			$active = Grant_Repository::is_active( Grant_Repository::find( (int) $binding['grant_id'] ) );
			echo '<tr><td>' . esc_html( $client ? $client->name() : '' ) . ' <code>' . esc_html( (string) $client_id ) . '</code></td><td>' . esc_html( $user ? $user->user_login : '—' ) . '</td><td><code>' . esc_html( (string) $binding['scope'] ) . '</code></td><td>' . ( $active ? esc_html__( 'active', 'wp-oauth' ) : esc_html__( 'revoked: bind again to restore', 'wp-oauth' ) ) . '</td><td>';
			echo '<form method="post">';
			wp_nonce_field( 'wpoa_service_accounts' );
			echo '<input type="hidden" name="wpoa_action" value="unbind" /><input type="hidden" name="client_id" value="' . esc_attr( (string) $client_id ) . '" />';
			submit_button( __( 'Remove', 'wp-oauth' ), 'delete small', 'submit', false );
			echo '</form></td></tr>';
		}
		echo '</tbody></table>';

		echo '<h2>' . esc_html__( 'Bind a client to a user', 'wp-oauth' ) . '</h2>';
		if ( array() === $clients ) {
			echo '<p>' . esc_html__( 'Create a confidential client on OAuth Clients first.', 'wp-oauth' ) . '</p></div>';
			return;
		}
		echo '<form method="post" id="wpoa-sa-form">';
		wp_nonce_field( 'wpoa_service_accounts' );
		echo '<input type="hidden" name="wpoa_action" value="bind" /><table class="form-table">';
		echo '<tr><th scope="row"><label for="wpoa-sa-client">' . esc_html__( 'Client', 'wp-oauth' ) . '</label></th><td><select name="client_id" id="wpoa-sa-client">';
		foreach ( $clients as $client ) {
			echo '<option value="' . esc_attr( $client->client_id ) . '">' . esc_html( $client->name() . ' (' . $client->client_id . ')' ) . '</option>';
		}
		echo '</select></td></tr>';
		echo '<tr><th scope="row"><label for="wpoa-sa-user">' . esc_html__( 'Acts as user', 'wp-oauth' ) . '</label></th><td>';
		wp_dropdown_users(
			array(
				'name' => 'user_id',
				'id'   => 'wpoa-sa-user',
			)
		);
		echo '<p class="description">' . esc_html__( 'Best a dedicated user with the narrowest role the integration needs.', 'wp-oauth' ) . '</p></td></tr>';
		echo '<tr><th scope="row">' . esc_html__( 'Maximum scope', 'wp-oauth' ) . '</th><td>';
		foreach ( Scopes::all() as $token => $info ) {
			printf( '<label><input type="checkbox" name="scope[]" value="%1$s" %3$s /> %2$s</label><br />', esc_attr( $token ), esc_html( $info['label'] ), checked( Scopes::DEFAULT_SCOPE === $token, true, false ) );
		}
		echo '</td></tr></table>';
		submit_button( __( 'Bind', 'wp-oauth' ), 'primary', 'submit', true, array( 'id' => 'wpoa-sa-bind' ) );
		echo '</form></div>';
	}
}
