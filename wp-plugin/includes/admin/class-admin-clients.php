<?php
/**
 * The "OAuth Clients" admin screen (Users → OAuth Clients): clients and registration settings.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Lists clients, adds one by hand (secret shown once), edits, regenerates the
 * secret, deletes (revoking its grants), and holds the registration settings:
 * mode (open / initial access token / off), the initial access token (shown
 * once, stored hashed) and the age after which abandoned registrations are deleted.
 *
 * Every change is a POST to the page itself, checked with a capability
 * (`manage_options`, filter `wpoa_manage_clients_capability`) and a nonce per
 * action (and per client). Results that carry a secret are rendered in the
 * response to that POST and never stored or put in a URL; other results
 * redirect back with a notice (POST/redirect/GET).
 */
final class Admin_Clients {

	/** Page slug under users.php. */
	const SLUG = 'wpoa-clients';

	/** Actions accepted from the page. */
	const ACTIONS = array( 'add', 'update', 'regenerate_secret', 'delete', 'save_settings', 'save_cimd', 'generate_iat', 'revoke_iat' );

	/**
	 * A plaintext secret to show once in this response: {label, value, client_id?}.
	 *
	 * @var array<string,string>|null
	 */
	private $once;

	/**
	 * Validation error to show above a re-rendered form.
	 *
	 * @var string|null
	 */
	private $error;

	/**
	 * Submitted form values to re-render after an error.
	 *
	 * @var array<string,mixed>
	 */
	private $form = array();

	/**
	 * Capability needed for the screen and every action on it.
	 *
	 * @return string
	 */
	public static function capability(): string {
		/**
		 * Filters the capability that manages OAuth clients and registration settings.
		 *
		 * @param string $capability Default `manage_options`.
		 */
		return (string) apply_filters( 'wpoa_manage_clients_capability', 'manage_options' );
	}

	/**
	 * URL of the screen.
	 *
	 * @param array<string,string> $args Query arguments.
	 * @return string
	 */
	public static function url( array $args = array() ): string {
		return add_query_arg( array_merge( array( 'page' => self::SLUG ), $args ), admin_url( 'users.php' ) );
	}

	/**
	 * Adds Users → OAuth Clients and hooks the POST handler to its load action.
	 */
	public function add_page(): void {
		$hook = add_users_page(
			__( 'OAuth Clients', 'wp-oauth' ),
			__( 'OAuth Clients', 'wp-oauth' ),
			self::capability(),
			self::SLUG,
			array( $this, 'render' )
		);
		if ( $hook ) {
			add_action( 'load-' . $hook, array( $this, 'handle_post' ) );
		}
	}

	/**
	 * Handles a POST from the screen (before any output). Checks the capability
	 * and the action's nonce; dies with 403 when either is missing or wrong.
	 */
	public function handle_post(): void {
		if ( ! isset( $_SERVER['REQUEST_METHOD'] ) || 'POST' !== $_SERVER['REQUEST_METHOD'] ) {
			return;
		}
		if ( ! current_user_can( self::capability() ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to manage OAuth clients.', 'wp-oauth' ), 403 );
		}
		$action = isset( $_POST['wpoa_action'] ) ? sanitize_key( wp_unslash( $_POST['wpoa_action'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Missing -- verified below, per action.
		if ( ! in_array( $action, self::ACTIONS, true ) ) {
			wp_die( esc_html__( 'Unknown action.', 'wp-oauth' ), 400 );
		}
		$client_id = isset( $_POST['client_id'] ) ? sanitize_text_field( wp_unslash( $_POST['client_id'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Missing
		check_admin_referer( self::nonce_action( $action, $client_id ) );
		$this->dispatch( $action, $client_id, wp_unslash( $_POST ) );
	}

	/**
	 * The nonce action for a form.
	 *
	 * @param string $action    One of ACTIONS.
	 * @param string $client_id The client for per-client actions, else ''.
	 * @return string
	 */
	public static function nonce_action( string $action, string $client_id = '' ): string {
		return 'wpoa_clients_' . $action . ( '' !== $client_id ? '_' . $client_id : '' );
	}

	/**
	 * Runs an action whose capability and nonce were checked. Public for tests.
	 *
	 * @param string $action    One of ACTIONS.
	 * @param string $client_id Client for per-client actions.
	 * @param array  $post      Unslashed POST data.
	 * @return string|null The notice key it redirected with (returned only when a `wp_redirect` filter cancels the redirect), or null when the result is rendered in place.
	 */
	public function dispatch( string $action, string $client_id, array $post ): ?string {
		switch ( $action ) {
			case 'add':
				return $this->action_add( $post );
			case 'update':
				return $this->action_update( $client_id, $post );
			case 'regenerate_secret':
				return $this->action_regenerate( $client_id );
			case 'delete':
				$ok = Registration_Controller::delete_client( $client_id, 'admin' );
				return $this->done( $ok ? 'deleted' : 'not_found' );
			case 'save_settings':
				return $this->action_settings( $post );
			case 'save_cimd':
				return $this->action_cimd( $post );
			case 'generate_iat':
				$this->once = array(
					'label' => __( 'Initial access token', 'wp-oauth' ),
					'value' => Registration_Controller::generate_initial_access_token(),
				);
				return null;
			case 'revoke_iat':
				Registration_Controller::revoke_initial_access_token();
				return $this->done( 'iat_revoked' );
		}
		return null;
	}

	/**
	 * The secret shown once in this response, if any (for tests).
	 *
	 * @return array<string,string>|null
	 */
	public function once(): ?array {
		return $this->once;
	}

	/**
	 * The validation error of this response, if any (for tests).
	 *
	 * @return string|null
	 */
	public function error(): ?string {
		return $this->error;
	}

	/**
	 * Client metadata input from the add/edit form.
	 *
	 * @param array $post Unslashed POST data.
	 * @return array<string,mixed> Raw metadata for Client_Metadata::validate().
	 */
	private static function form_metadata( array $post ): array {
		$uris  = preg_split( '/\r\n|\r|\n/', (string) ( $post['redirect_uris'] ?? '' ) );
		$uris  = array_values( array_filter( array_map( 'trim', is_array( $uris ) ? $uris : array() ), 'strlen' ) );
		$scope = array_map( 'sanitize_key', (array) ( $post['scope'] ?? array() ) );
		$meta  = array(
			'client_name'                => sanitize_text_field( (string) ( $post['client_name'] ?? '' ) ),
			'redirect_uris'              => $uris,
			'token_endpoint_auth_method' => sanitize_key( (string) ( $post['token_endpoint_auth_method'] ?? 'none' ) ),
		);
		$uri = trim( (string) ( $post['client_uri'] ?? '' ) );
		if ( '' !== $uri ) {
			$meta['client_uri'] = esc_url_raw( $uri, array( 'https' ) );
		}
		if ( array() !== $scope ) {
			$meta['scope'] = implode( ' ', $scope );
		}
		return $meta;
	}

	/**
	 * Keeps the submitted form for redisplay and validates it as client metadata (add and edit).
	 *
	 * @param array $input Metadata from the form.
	 * @return array|null The validated metadata, or null with $this->error set.
	 */
	private function validate_form( array $input ): ?array {
		$this->form = $input;
		try {
			return Client_Metadata::validate( $input );
		} catch ( OAuth_Error $e ) {
			$this->error = $e->getMessage();
			return null;
		}
	}

	/**
	 * Adds a client by hand; a confidential client's secret is shown once.
	 *
	 * @param array $post Unslashed POST data.
	 * @return string|null
	 */
	private function action_add( array $post ): ?string {
		$metadata = $this->validate_form( self::form_metadata( $post ) );
		if ( null === $metadata ) {
			return null;
		}
		$client_id = Crypto::random_token( 16 );
		$secret    = 'none' === $metadata['token_endpoint_auth_method'] ? null : Crypto::random_token( 32 );
		$client    = Client_Repository::insert(
			array(
				'client_id'                  => $client_id,
				'client_secret_hash'         => null === $secret ? null : Crypto::secret_hash( $secret ),
				'token_endpoint_auth_method' => $metadata['token_endpoint_auth_method'],
				'redirect_uris'              => $metadata['redirect_uris'],
				'metadata'                   => $metadata,
				'registered_by'              => get_current_user_id(),
			)
		);
		if ( null === $client ) {
			$this->error = __( 'The client could not be saved.', 'wp-oauth' );
			return null;
		}
		/** This action is documented in Registration_Controller::create_item(). */
		do_action( 'wpoa_client_registered', $client_id, $metadata, 'admin' );
		$this->form = array();
		$this->once = array(
			'label'     => __( 'Client secret', 'wp-oauth' ),
			'value'     => (string) $secret,
			'client_id' => $client_id,
		);
		return null;
	}

	/**
	 * Saves the edit form (the client type does not change here).
	 *
	 * @param string $client_id Client.
	 * @param array  $post      Unslashed POST data.
	 * @return string|null
	 */
	private function action_update( string $client_id, array $post ): ?string {
		$client = Client_Repository::find( $client_id );
		if ( null === $client ) {
			return $this->done( 'not_found' );
		}
		$input = self::form_metadata( $post );
		if ( $client->is_confidential() !== ( 'none' !== $input['token_endpoint_auth_method'] ) ) {
			$input['token_endpoint_auth_method'] = $client->token_endpoint_auth_method;
		}
		// Keep what the form does not show (grant_types, contacts, software_*, logo_uri).
		$input    = array_merge( array_diff_key( $client->metadata, array_flip( array( 'client_name', 'client_uri', 'scope' ) ) ), $input );
		$metadata = $this->validate_form( $input );
		if ( null === $metadata ) {
			return null;
		}
		Client_Repository::update(
			$client_id,
			array(
				'token_endpoint_auth_method' => $metadata['token_endpoint_auth_method'],
				'redirect_uris'              => $metadata['redirect_uris'],
				'metadata'                   => $metadata,
			)
		);
		/** This action is documented in Registration_Controller::update_item(). */
		do_action( 'wpoa_client_updated', $client_id, $metadata, 'admin' );
		return $this->done( 'updated' );
	}

	/**
	 * Replaces a confidential client's secret; the new one is shown once.
	 *
	 * @param string $client_id Client.
	 * @return string|null
	 */
	private function action_regenerate( string $client_id ): ?string {
		$client = Client_Repository::find( $client_id );
		if ( null === $client || ! $client->is_confidential() ) {
			return $this->done( 'not_found' );
		}
		$secret = Crypto::random_token( 32 );
		Client_Repository::update( $client_id, array( 'client_secret_hash' => Crypto::secret_hash( $secret ) ) );
		/**
		 * Fires after a client's secret was replaced in wp-admin: the old secret stops working.
		 *
		 * @param string $client_id The client.
		 * @param int    $user_id   The administrator.
		 */
		do_action( 'wpoa_client_secret_regenerated', $client_id, get_current_user_id() );
		$this->once = array(
			'label'     => __( 'New client secret', 'wp-oauth' ),
			'value'     => $secret,
			'client_id' => $client_id,
		);
		return null;
	}

	/**
	 * Saves the registration settings.
	 *
	 * @param array $post Unslashed POST data.
	 * @return string|null
	 */
	private function action_settings( array $post ): ?string {
		$mode = sanitize_key( (string) ( $post['registration_mode'] ?? '' ) );
		$days = isset( $post['abandoned_days'] ) && is_numeric( $post['abandoned_days'] ) ? (float) $post['abandoned_days'] : -1;
		if ( ! in_array( $mode, Registration_Controller::MODES, true ) || $days < 0 || $days > 3650 ) {
			$this->error = __( 'Choose a registration mode and a cleanup age between 0 and 3650 days.', 'wp-oauth' );
			return null;
		}
		Registration_Controller::set_mode( $mode );
		$ttl = (int) round( $days * DAY_IN_SECONDS );
		if ( (int) get_option( 'wpoa_abandoned_client_ttl', 7 * DAY_IN_SECONDS ) !== $ttl ) {
			update_option( 'wpoa_abandoned_client_ttl', $ttl, false );
			/**
			 * Fires when the abandoned-registration cleanup age changes.
			 *
			 * @param int $ttl Seconds; 0 = never delete.
			 */
			do_action( 'wpoa_abandoned_client_ttl_changed', $ttl );
		}
		return $this->done( 'settings_saved' );
	}

	/**
	 * Saves the Client ID Metadata Document policy: mode, allowed and trusted domains.
	 *
	 * @param array $post Unslashed POST data: cimd_mode, cimd_allowed, cimd_trusted.
	 * @return string|null
	 */
	private function action_cimd( array $post ): ?string {
		$mode = sanitize_key( (string) ( $post['cimd_mode'] ?? '' ) );
		if ( ! Client_Id_Metadata::set_mode( $mode ) ) {
			$this->error = __( 'Choose whether applications identified by a URL are accepted.', 'wp-oauth' );
			return null;
		}
		Client_Id_Metadata::set_domains( Client_Id_Metadata::ALLOWED_OPTION, sanitize_textarea_field( (string) ( $post['cimd_allowed'] ?? '' ) ) );
		Client_Id_Metadata::set_domains( Client_Id_Metadata::TRUSTED_OPTION, sanitize_textarea_field( (string) ( $post['cimd_trusted'] ?? '' ) ) );
		return $this->done( 'settings_saved' );
	}

	/**
	 * Redirects back to the list with a notice and ends the request (unless a
	 * `wp_redirect` filter cancelled the redirect, as tests do).
	 *
	 * @param string $notice Notice key.
	 * @return string The notice key.
	 */
	private function done( string $notice ): string {
		if ( wp_safe_redirect( self::url( array( 'wpoa_notice' => $notice ) ) ) ) {
			exit;
		}
		return $notice;
	}

	/**
	 * Renders the screen.
	 */
	public function render(): void {
		if ( ! current_user_can( self::capability() ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to manage OAuth clients.', 'wp-oauth' ), 403 );
		}
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- read-only view switches.
		$view      = isset( $_GET['view'] ) ? sanitize_key( wp_unslash( $_GET['view'] ) ) : '';
		$client_id = isset( $_GET['client_id'] ) ? sanitize_text_field( wp_unslash( $_GET['client_id'] ) ) : '';
		$notice    = isset( $_GET['wpoa_notice'] ) ? sanitize_key( wp_unslash( $_GET['wpoa_notice'] ) ) : '';
		// phpcs:enable
		echo '<div class="wrap" id="wpoa-clients">';
		if ( null !== $this->once ) {
			$this->render_once();
		} elseif ( 'add' === $view || ( null !== $this->error && isset( $_POST['wpoa_action'] ) && 'add' === $_POST['wpoa_action'] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Missing -- re-render only.
			$this->render_form( null );
		} elseif ( 'edit' === $view && '' !== $client_id ) {
			$client = Client_Repository::find( $client_id );
			if ( null === $client ) {
				$this->render_notice( 'not_found' );
				$this->render_list();
			} else {
				$this->render_form( $client );
			}
		} else {
			$this->render_notice( $notice );
			$this->render_list();
		}
		echo '</div>';
	}

	/**
	 * A notice after a redirect.
	 *
	 * @param string $notice Notice key.
	 */
	private function render_notice( string $notice ): void {
		$messages = array(
			'deleted'        => __( 'Client deleted. Its grants were revoked.', 'wp-oauth' ),
			'updated'        => __( 'Client updated.', 'wp-oauth' ),
			'settings_saved' => __( 'Settings saved.', 'wp-oauth' ),
			'iat_revoked'    => __( 'Initial access token deleted.', 'wp-oauth' ),
			'not_found'      => __( 'No such client.', 'wp-oauth' ),
		);
		if ( isset( $messages[ $notice ] ) ) {
			$type = 'not_found' === $notice ? 'error' : 'success';
			printf( '<div class="notice notice-%1$s is-dismissible"><p>%2$s</p></div>', esc_attr( $type ), esc_html( $messages[ $notice ] ) );
		}
		if ( null !== $this->error ) {
			printf( '<div class="notice notice-error"><p>%s</p></div>', esc_html( $this->error ) );
		}
	}

	/**
	 * The "shown once" view for a client secret or an initial access token.
	 */
	private function render_once(): void {
		$once   = (array) $this->once;
		$client = isset( $once['client_id'] ) ? Client_Repository::find( $once['client_id'] ) : null;
		echo '<h1>' . esc_html__( 'OAuth Clients', 'wp-oauth' ) . '</h1>';
		if ( null !== $client ) {
			printf( '<div class="notice notice-success"><p>%s</p></div>', esc_html( sprintf( /* translators: %s: client name. */ __( 'Client "%s" saved.', 'wp-oauth' ), $client->name() ) ) );
			echo '<table class="form-table" role="presentation"><tbody>';
			printf( '<tr><th scope="row">%1$s</th><td><code id="wpoa-client-id">%2$s</code></td></tr>', esc_html__( 'Client ID', 'wp-oauth' ), esc_html( $client->client_id ) );
			echo '</tbody></table>';
		}
		if ( '' !== ( $once['value'] ?? '' ) ) {
			echo '<div class="notice notice-warning inline"><p><strong>' . esc_html__( 'Copy it now: it is shown only this once and cannot be retrieved later. Only a hash is stored.', 'wp-oauth' ) . '</strong></p></div>';
			echo '<table class="form-table" role="presentation"><tbody><tr>';
			printf( '<th scope="row"><label for="wpoa-secret">%s</label></th>', esc_html( $once['label'] ) );
			printf(
				'<td><input type="text" id="wpoa-secret" class="large-text code" readonly value="%1$s" /> <button type="button" class="button" id="wpoa-copy" data-target="wpoa-secret">%2$s</button> <span id="wpoa-copied" aria-live="polite"></span></td>',
				esc_attr( $once['value'] ),
				esc_html__( 'Copy', 'wp-oauth' )
			);
			echo '</tr></tbody></table>';
			$this->print_copy_script();
		} elseif ( null !== $client ) {
			echo '<p>' . esc_html__( 'This is a public client: it has no secret and proves itself with PKCE.', 'wp-oauth' ) . '</p>';
		}
		printf( '<p><a class="button button-primary" href="%1$s">%2$s</a></p>', esc_url( self::url() ), esc_html__( 'Back to clients', 'wp-oauth' ) );
	}

	/**
	 * The copy button's script (clipboard API, with a select() fallback).
	 */
	private function print_copy_script(): void {
		$copied = wp_json_encode( __( 'Copied.', 'wp-oauth' ) );
		wp_print_inline_script_tag(
			"document.getElementById('wpoa-copy').addEventListener('click',function(){var f=document.getElementById(this.dataset.target),s=document.getElementById('wpoa-copied');f.select();function ok(){s.textContent={$copied};}if(navigator.clipboard){navigator.clipboard.writeText(f.value).then(ok,function(){document.execCommand('copy');ok();});}else{document.execCommand('copy');ok();}});"
		);
	}

	/**
	 * The client list and the settings.
	 */
	private function render_list(): void {
		$clients = Client_Repository::list( 200 );
		$counts  = Client_Repository::authorized_user_counts( array_map( static fn( Client $c ) => $c->client_id, $clients ) );
		$format  = get_option( 'date_format' ) . ' ' . get_option( 'time_format' );
		printf(
			'<h1 class="wp-heading-inline">%1$s</h1> <a href="%2$s" class="page-title-action">%3$s</a><hr class="wp-header-end">',
			esc_html__( 'OAuth Clients', 'wp-oauth' ),
			esc_url( self::url( array( 'view' => 'add' ) ) ),
			esc_html__( 'Add client', 'wp-oauth' )
		);
		echo '<p>' . esc_html__( 'Applications that can ask your users for access to this site through OAuth. Deleting a client signs it out everywhere.', 'wp-oauth' ) . '</p>';
		echo '<table class="wp-list-table widefat fixed striped" id="wpoa-clients-table"><thead><tr>';
		foreach ( array(
			array( __( 'Name', 'wp-oauth' ), '22%' ),
			array( __( 'Type', 'wp-oauth' ), '16%' ),
			array( __( 'Redirect URIs', 'wp-oauth' ), '30%' ),
			array( __( 'Created', 'wp-oauth' ), '12%' ),
			array( __( 'Last used', 'wp-oauth' ), '12%' ),
			array( __( 'Users', 'wp-oauth' ), '8%' ),
		) as $heading ) {
			printf( '<th scope="col" style="width:%1$s">%2$s</th>', esc_attr( $heading[1] ), esc_html( $heading[0] ) );
		}
		echo '</tr></thead><tbody>';
		if ( array() === $clients ) {
			echo '<tr class="no-items"><td colspan="6">' . esc_html__( 'No clients yet.', 'wp-oauth' ) . '</td></tr>';
		}
		foreach ( $clients as $client ) {
			$origin = 0 === $client->registered_by ? __( 'registered itself', 'wp-oauth' ) : __( 'added by an administrator', 'wp-oauth' );
			if ( Client_Id_Metadata::is_url( $client->client_id ) ) {
				/* translators: %s: host name of the client's metadata document URL. */
				$origin = sprintf( __( 'metadata document at %s', 'wp-oauth' ), (string) wp_parse_url( $client->client_id, PHP_URL_HOST ) );
			}
			$never  = null === $client->first_authorized_at ? ' · ' . __( 'never authorized', 'wp-oauth' ) : '';
			echo '<tr data-client-id="' . esc_attr( $client->client_id ) . '">';
			printf(
				'<td><strong><a href="%1$s">%2$s</a></strong><br><code>%3$s</code><div class="row-actions"><span class="edit"><a href="%1$s">%4$s</a> | </span><span class="delete">%5$s</span></div></td>',
				esc_url( self::url( array( 'view' => 'edit', 'client_id' => $client->client_id ) ) ),
				esc_html( $client->name() !== $client->client_id ? $client->name() : __( '(no name)', 'wp-oauth' ) ),
				esc_html( $client->client_id ),
				esc_html__( 'Edit', 'wp-oauth' ),
				$this->delete_form( $client ) // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built from escaped parts.
			);
			printf(
				'<td>%1$s<br><span class="description">%2$s</span></td>',
				esc_html( $client->is_confidential() ? __( 'Confidential', 'wp-oauth' ) : __( 'Public', 'wp-oauth' ) ),
				esc_html( $origin . $never )
			);
			echo '<td>' . implode( '<br>', array_map( static fn( $u ) => '<code>' . esc_html( $u ) . '</code>', $client->redirect_uris ) ) . '</td>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped per item.
			echo '<td>' . esc_html( wp_date( $format, $client->created_at ) ) . '</td>';
			echo '<td>' . esc_html( null === $client->last_used_at ? __( 'Never', 'wp-oauth' ) : wp_date( $format, $client->last_used_at ) ) . '</td>';
			echo '<td class="wpoa-users">' . esc_html( number_format_i18n( $counts[ $client->client_id ] ?? 0 ) ) . '</td>';
			echo '</tr>';
		}
		echo '</tbody></table>';
		$abandoned = count( Client_Repository::list_never_authorized( 0, 1000 ) );
		if ( $abandoned > 0 ) {
			$ttl = Client_Repository::abandoned_client_ttl();
			if ( 0 === $ttl ) {
				/* translators: %d: number of clients. */
				$text = sprintf( _n( '%d self-registered client has never been authorized by anyone. Automatic cleanup is off.', '%d self-registered clients have never been authorized by anyone. Automatic cleanup is off.', $abandoned, 'wp-oauth' ), $abandoned );
			} else {
				/* translators: 1: number of clients, 2: human-readable age, e.g. "7 days". */
				$text = sprintf( _n( '%1$d self-registered client has never been authorized by anyone; such clients are deleted %2$s after registering.', '%1$d self-registered clients have never been authorized by anyone; such clients are deleted %2$s after registering.', $abandoned, 'wp-oauth' ), $abandoned, human_time_diff( 0, $ttl ) );
			}
			echo '<p class="description" id="wpoa-never-authorized">' . esc_html( $text ) . '</p>';
		}
		$this->render_settings();
	}

	/**
	 * The Client ID Metadata Document policy form.
	 */
	private function render_cimd_settings(): void {
		$mode = Client_Id_Metadata::mode();
		echo '<h2 id="wpoa-cimd-settings">' . esc_html__( 'Applications identified by a URL', 'wp-oauth' ) . '</h2>';
		echo '<p>' . esc_html__( 'AI agents such as Claude, ChatGPT and VS Code identify themselves with the address of a metadata document they publish (Client ID Metadata Documents) instead of registering. This site fetches that document under strict limits; users still approve every app, and the consent screen names the domain.', 'wp-oauth' ) . '</p>';
		printf( '<form method="post" action="%s" id="wpoa-cimd-form">', esc_url( self::url() ) );
		wp_nonce_field( self::nonce_action( 'save_cimd' ) );
		echo '<input type="hidden" name="wpoa_action" value="save_cimd"><table class="form-table" role="presentation"><tbody><tr><th scope="row">' . esc_html__( 'Accept', 'wp-oauth' ) . '</th><td><fieldset>';
		$modes = array(
			'on'        => __( 'Any application with a public https metadata document.', 'wp-oauth' ),
			'allowlist' => __( 'Only applications from the domains below.', 'wp-oauth' ),
			'off'       => __( 'None.', 'wp-oauth' ),
		);
		foreach ( $modes as $value => $label ) {
			printf( '<label><input type="radio" name="cimd_mode" value="%1$s"%2$s> %3$s</label><br>', esc_attr( $value ), checked( $mode, $value, false ), esc_html( $label ) );
		}
		echo '</fieldset></td></tr>';
		foreach ( array(
			array( 'cimd_allowed', Client_Id_Metadata::ALLOWED_OPTION, __( 'Allowed domains', 'wp-oauth' ), __( 'One domain per line (e.g. claude.ai); a domain also allows its subdomains. Used when only these domains are accepted.', 'wp-oauth' ) ),
			array( 'cimd_trusted', Client_Id_Metadata::TRUSTED_OPTION, __( 'Trusted domains', 'wp-oauth' ), __( 'Applications from these domains get a "verified" mark on the consent screen.', 'wp-oauth' ) ),
		) as $field ) {
			printf(
				'<tr><th scope="row"><label for="wpoa-%1$s">%2$s</label></th><td><textarea name="%1$s" id="wpoa-%1$s" rows="3" class="regular-text code">%3$s</textarea><p class="description">%4$s</p></td></tr>',
				esc_attr( $field[0] ),
				esc_html( $field[2] ),
				esc_textarea( implode( "\n", Client_Id_Metadata::domains( $field[1] ) ) ),
				esc_html( $field[3] )
			);
		}
		echo '</tbody></table>';
		submit_button( __( 'Save', 'wp-oauth' ), 'primary', 'submit', true, array( 'id' => 'wpoa-cimd-save' ) );
		echo '</form>';
	}

	/**
	 * A small POST form that deletes a client (with a confirmation).
	 *
	 * @param Client $client Client.
	 * @return string HTML.
	 */
	private function delete_form( Client $client ): string {
		$confirm = sprintf( /* translators: %s: client name. */ __( 'Delete "%s"? Every user who authorized it is signed out of it.', 'wp-oauth' ), $client->name() );
		return sprintf(
			'<form method="post" action="%1$s" style="display:inline" onsubmit="return window.confirm(%2$s);"><input type="hidden" name="wpoa_action" value="delete"><input type="hidden" name="client_id" value="%3$s">%4$s<button type="submit" class="button-link button-link-delete">%5$s</button></form>',
			esc_url( self::url() ),
			esc_attr( (string) wp_json_encode( $confirm ) ),
			esc_attr( $client->client_id ),
			wp_nonce_field( self::nonce_action( 'delete', $client->client_id ), '_wpnonce', true, false ),
			esc_html__( 'Delete', 'wp-oauth' )
		);
	}

	/**
	 * The add or edit form.
	 *
	 * @param Client|null $client Client to edit, or null to add.
	 */
	private function render_form( ?Client $client ): void {
		$values = array() !== $this->form ? $this->form : ( null !== $client ? array_merge( $client->metadata, array( 'redirect_uris' => $client->redirect_uris, 'token_endpoint_auth_method' => $client->token_endpoint_auth_method ) ) : array( 'token_endpoint_auth_method' => 'none' ) );
		$action = null === $client ? 'add' : 'update';
		$cid    = null === $client ? '' : $client->client_id;
		echo '<h1>' . esc_html( null === $client ? __( 'Add OAuth client', 'wp-oauth' ) : __( 'Edit OAuth client', 'wp-oauth' ) ) . '</h1>';
		if ( null !== $this->error ) {
			printf( '<div class="notice notice-error"><p>%s</p></div>', esc_html( $this->error ) );
		}
		printf( '<form method="post" action="%s" id="wpoa-client-form">', esc_url( self::url( null === $client ? array( 'view' => 'add' ) : array( 'view' => 'edit', 'client_id' => $cid ) ) ) );
		wp_nonce_field( self::nonce_action( $action, $cid ) );
		printf( '<input type="hidden" name="wpoa_action" value="%s">', esc_attr( $action ) );
		if ( null !== $client ) {
			printf( '<input type="hidden" name="client_id" value="%s">', esc_attr( $cid ) );
		}
		echo '<table class="form-table" role="presentation"><tbody>';
		if ( null !== $client ) {
			printf( '<tr><th scope="row">%1$s</th><td><code>%2$s</code></td></tr>', esc_html__( 'Client ID', 'wp-oauth' ), esc_html( $cid ) );
		}
		printf(
			'<tr><th scope="row"><label for="wpoa-client-name">%1$s</label></th><td><input name="client_name" id="wpoa-client-name" type="text" class="regular-text" required value="%2$s"><p class="description">%3$s</p></td></tr>',
			esc_html__( 'Name', 'wp-oauth' ),
			esc_attr( (string) ( $values['client_name'] ?? '' ) ),
			esc_html__( 'Shown to users on the consent screen.', 'wp-oauth' )
		);
		printf(
			'<tr><th scope="row"><label for="wpoa-redirect-uris">%1$s</label></th><td><textarea name="redirect_uris" id="wpoa-redirect-uris" rows="4" class="large-text code" required>%2$s</textarea><p class="description">%3$s</p></td></tr>',
			esc_html__( 'Redirect URIs', 'wp-oauth' ),
			esc_textarea( implode( "\n", array_map( 'strval', (array) ( $values['redirect_uris'] ?? array() ) ) ) ),
			esc_html__( 'One per line: https URLs, app schemes like com.example.app:/callback, or http://127.0.0.1/… for desktop apps.', 'wp-oauth' )
		);
		$current = (string) ( $values['token_endpoint_auth_method'] ?? 'none' );
		echo '<tr><th scope="row"><label for="wpoa-auth-method">' . esc_html__( 'Client type', 'wp-oauth' ) . '</label></th><td>';
		$labels = array(
			'none'                => __( 'Public: mobile, desktop or browser app (no secret, PKCE)', 'wp-oauth' ),
			'client_secret_basic' => __( 'Confidential: server-side app, secret in HTTP Basic authentication', 'wp-oauth' ),
			'client_secret_post'  => __( 'Confidential: server-side app, secret in the request body', 'wp-oauth' ),
		);
		echo '<select name="token_endpoint_auth_method" id="wpoa-auth-method">';
		foreach ( $labels as $method => $label ) {
			$disabled = null !== $client && ( 'none' === $method ) === $client->is_confidential();
			printf( '<option value="%1$s"%2$s%3$s>%4$s</option>', esc_attr( $method ), selected( $current, $method, false ), disabled( $disabled, true, false ), esc_html( $label ) );
		}
		echo '</select>';
		if ( null !== $client ) {
			echo '<p class="description">' . esc_html__( 'A client cannot change between public and confidential; add a new client instead.', 'wp-oauth' ) . '</p>';
		}
		echo '</td></tr>';
		$granted = Scopes::parse( (string) ( $values['scope'] ?? '' ) );
		echo '<tr><th scope="row">' . esc_html__( 'Allowed scopes', 'wp-oauth' ) . '</th><td><fieldset>';
		foreach ( Scopes::all() as $scope => $def ) {
			printf(
				'<label><input type="checkbox" name="scope[]" value="%1$s"%2$s> <strong>%3$s</strong> — %4$s</label><br>',
				esc_attr( $scope ),
				checked( in_array( $scope, $granted, true ), true, false ),
				esc_html( $def['label'] ),
				esc_html( $def['description'] )
			);
		}
		echo '<p class="description">' . esc_html__( 'None checked: the client may ask for any scope.', 'wp-oauth' ) . '</p></fieldset></td></tr>';
		printf(
			'<tr><th scope="row"><label for="wpoa-client-uri">%1$s</label></th><td><input name="client_uri" id="wpoa-client-uri" type="url" class="regular-text" value="%2$s"><p class="description">%3$s</p></td></tr>',
			esc_html__( 'Website', 'wp-oauth' ),
			esc_attr( (string) ( $values['client_uri'] ?? '' ) ),
			esc_html__( 'Optional, https.', 'wp-oauth' )
		);
		echo '</tbody></table>';
		submit_button( null === $client ? __( 'Add client', 'wp-oauth' ) : __( 'Save changes', 'wp-oauth' ) );
		echo '</form>';
		if ( null !== $client && $client->is_confidential() ) {
			echo '<h2>' . esc_html__( 'Client secret', 'wp-oauth' ) . '</h2><p>' . esc_html__( 'A new secret replaces the current one at once: the application must be updated with it.', 'wp-oauth' ) . '</p>';
			printf( '<form method="post" action="%s">', esc_url( self::url() ) );
			wp_nonce_field( self::nonce_action( 'regenerate_secret', $cid ) );
			printf( '<input type="hidden" name="wpoa_action" value="regenerate_secret"><input type="hidden" name="client_id" value="%s">', esc_attr( $cid ) );
			submit_button( __( 'Regenerate secret', 'wp-oauth' ), 'secondary', 'submit', false );
			echo '</form>';
		}
		if ( null !== $client ) {
			echo '<h2>' . esc_html__( 'Delete', 'wp-oauth' ) . '</h2><p>' . $this->delete_form( $client ) . '</p>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built from escaped parts.
		}
		printf( '<p><a href="%1$s">%2$s</a></p>', esc_url( self::url() ), esc_html__( '← All clients', 'wp-oauth' ) );
	}

	/**
	 * Registration settings: mode, initial access token, abandoned-registration cleanup.
	 */
	private function render_settings(): void {
		$mode = Registration_Controller::mode();
		$ttl  = Client_Repository::abandoned_client_ttl();
		echo '<h2 id="wpoa-settings">' . esc_html__( 'Dynamic registration', 'wp-oauth' ) . '</h2>';
		printf(
			'<p>%s</p>',
			esc_html(
				sprintf(
					/* translators: %s: registration endpoint URL. */
					__( 'Apps can register themselves at %s (RFC 7591), as the WordPress mobile apps and AI agents do.', 'wp-oauth' ),
					Urls::registration_endpoint()
				)
			)
		);
		printf( '<form method="post" action="%s" id="wpoa-settings-form">', esc_url( self::url() ) );
		wp_nonce_field( self::nonce_action( 'save_settings' ) );
		echo '<input type="hidden" name="wpoa_action" value="save_settings"><table class="form-table" role="presentation"><tbody><tr><th scope="row">' . esc_html__( 'Who may register', 'wp-oauth' ) . '</th><td><fieldset>';
		$modes = array(
			'open'  => __( 'Anyone (open registration). Users still approve every app on the consent screen.', 'wp-oauth' ),
			'token' => __( 'Only apps that present the initial access token below.', 'wp-oauth' ),
			'off'   => __( 'Nobody: only administrators add clients here.', 'wp-oauth' ),
		);
		foreach ( $modes as $value => $label ) {
			printf( '<label><input type="radio" name="registration_mode" value="%1$s"%2$s> %3$s</label><br>', esc_attr( $value ), checked( $mode, $value, false ), esc_html( $label ) );
		}
		echo '</fieldset></td></tr>';
		printf(
			'<tr><th scope="row"><label for="wpoa-abandoned-days">%1$s</label></th><td><input name="abandoned_days" id="wpoa-abandoned-days" type="number" min="0" max="3650" step="1" class="small-text" value="%2$s"> %3$s<p class="description">%4$s</p></td></tr>',
			esc_html__( 'Delete abandoned registrations after', 'wp-oauth' ),
			esc_attr( (string) round( $ttl / DAY_IN_SECONDS, 2 ) ),
			esc_html__( 'days', 'wp-oauth' ),
			esc_html__( 'Self-registered apps that no user has ever authorized are deleted after this many days. 0 keeps them.', 'wp-oauth' )
		);
		echo '</tbody></table>';
		submit_button( __( 'Save settings', 'wp-oauth' ) );
		echo '</form>';

		$this->render_cimd_settings();

		$created = Registration_Controller::initial_access_token_created_at();
		echo '<h3>' . esc_html__( 'Initial access token', 'wp-oauth' ) . '</h3><p>';
		if ( null === $created ) {
			echo esc_html__( 'None. Generate one to let chosen developers register apps when registration is restricted.', 'wp-oauth' );
		} else {
			echo esc_html( sprintf( /* translators: %s: date. */ __( 'A token made on %s is active. Only its hash is stored; generating a new one replaces it.', 'wp-oauth' ), wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $created ) ) );
		}
		echo '</p>';
		printf( '<form method="post" action="%s" style="display:inline-block;margin-right:8px">', esc_url( self::url() ) );
		wp_nonce_field( self::nonce_action( 'generate_iat' ) );
		echo '<input type="hidden" name="wpoa_action" value="generate_iat">';
		submit_button( __( 'Generate initial access token', 'wp-oauth' ), 'secondary', 'submit', false );
		echo '</form>';
		if ( null !== $created ) {
			printf( '<form method="post" action="%s" style="display:inline-block">', esc_url( self::url() ) );
			wp_nonce_field( self::nonce_action( 'revoke_iat' ) );
			echo '<input type="hidden" name="wpoa_action" value="revoke_iat">';
			submit_button( __( 'Delete token', 'wp-oauth' ), 'delete', 'submit', false );
			echo '</form>';
		}
	}
}
