<?php
/**
 * "Authorized applications" on the user profile screen.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Shows, on Profile and Edit User (`show_user_profile`, `edit_user_profile`), the
 * applications the user approved — like core's Application Passwords list: name,
 * scopes in plain words, when approved, last used time and IP — with a Revoke
 * button per application and "Revoke all".
 *
 * Visible to the user themself and to people who may `edit_user` them. The buttons
 * call the REST routes of Grants_Controller through `wp.apiFetch`, which sends the
 * REST nonce (`X-WP-Nonce`); the profile screen is one big form, so nested forms
 * are not an option (core's Application Passwords UI works the same way).
 */
final class Profile_Grants {

	/**
	 * Loads wp-api-fetch and the small inline script on the profile screens.
	 *
	 * @param string $hook_suffix Admin page.
	 */
	public function enqueue( $hook_suffix ): void {
		if ( ! in_array( $hook_suffix, array( 'profile.php', 'user-edit.php' ), true ) ) {
			return;
		}
		wp_enqueue_script( 'wp-api-fetch' );
		$strings = array(
			'confirmOne'  => __( 'Revoke this application’s access? It will have to ask for permission again.', 'wp-oauth' ),
			'confirmAll'  => __( 'Revoke the access of every application listed here?', 'wp-oauth' ),
			'revokedOne'  => __( 'Access revoked.', 'wp-oauth' ),
			'revokedAll'  => __( 'All applications’ access revoked.', 'wp-oauth' ),
			'failed'      => __( 'The access could not be revoked. Reload the page and try again.', 'wp-oauth' ),
			'none'        => __( 'No applications are authorized.', 'wp-oauth' ),
		);
		$script = 'window.wpoaProfileGrants=' . wp_json_encode( $strings ) . ';' . <<<'JS'
document.addEventListener('click', function (e) {
	var btn = e.target.closest('[data-wpoa-revoke]');
	if (!btn) { return; }
	e.preventDefault();
	var box = btn.closest('#wpoa-authorized-apps');
	var s = window.wpoaProfileGrants;
	var all = btn.getAttribute('data-wpoa-revoke') === 'all';
	if (!window.confirm(all ? s.confirmAll : s.confirmOne)) { return; }
	var path = '/wp-oauth/v1/users/' + box.getAttribute('data-user') + '/grants' + (all ? '' : '/' + btn.getAttribute('data-wpoa-revoke'));
	var notice = box.querySelector('.wpoa-notice');
	btn.disabled = true;
	wp.apiFetch({ path: path, method: 'DELETE' }).then(function () {
		var rows = all ? box.querySelectorAll('tr[data-grant]') : [btn.closest('tr')];
		Array.prototype.forEach.call(rows, function (r) { r.parentNode.removeChild(r); });
		if (!box.querySelector('tr[data-grant]')) {
			box.querySelector('.wpoa-apps-table').hidden = true;
			box.querySelector('.wpoa-revoke-all').hidden = true;
			box.querySelector('.wpoa-empty').hidden = false;
		}
		notice.className = 'wpoa-notice notice notice-success inline';
		notice.textContent = all ? s.revokedAll : s.revokedOne;
		notice.hidden = false;
	}).catch(function () {
		btn.disabled = false;
		notice.className = 'wpoa-notice notice notice-error inline';
		notice.textContent = s.failed;
		notice.hidden = false;
	});
});
JS;
		wp_add_inline_script( 'wp-api-fetch', $script );
	}

	/**
	 * Prints the section.
	 *
	 * @param \WP_User $user The profile's user.
	 */
	public function render( $user ): void {
		if ( ! $user instanceof \WP_User || ! current_user_can( 'edit_user', $user->ID ) ) {
			return;
		}
		if ( is_network_admin() ) {
			// The network's user screen belongs to no site: each site lists its own grants.
			printf(
				'<div id="wpoa-authorized-apps" class="wpoa-authorized-apps"><h2>%1$s</h2><p class="description">%2$s</p></div>',
				esc_html__( 'Authorized applications', 'wp-oauth' ),
				esc_html__( 'Each site of the network has its own authorized applications: they are listed, and can be revoked, on this user\'s profile on each site.', 'wp-oauth' )
			);
			return;
		}
		$grants = Grant_Repository::active_for_user( (int) $user->ID );
		$format = get_option( 'date_format' ) . ' ' . get_option( 'time_format' );
		?>
		<div id="wpoa-authorized-apps" class="wpoa-authorized-apps" data-user="<?php echo esc_attr( (string) $user->ID ); ?>">
			<h2><?php esc_html_e( 'Authorized applications', 'wp-oauth' ); ?></h2>
			<p class="description"><?php esc_html_e( 'Apps you allowed to use your account through OAuth. Revoking signs the app out on this site at once; it has to ask for permission again.', 'wp-oauth' ); ?></p>
			<div class="wpoa-notice" role="status" aria-live="polite" hidden></div>
			<p class="wpoa-empty" <?php echo array() === $grants ? '' : 'hidden'; ?>><?php esc_html_e( 'No applications are authorized.', 'wp-oauth' ); ?></p>
			<table class="wp-list-table widefat striped wpoa-apps-table" <?php echo array() === $grants ? 'hidden' : ''; ?>>
				<thead>
					<tr>
						<th scope="col"><?php esc_html_e( 'Application', 'wp-oauth' ); ?></th>
						<th scope="col"><?php esc_html_e( 'Access', 'wp-oauth' ); ?></th>
						<th scope="col"><?php esc_html_e( 'Approved', 'wp-oauth' ); ?></th>
						<th scope="col"><?php esc_html_e( 'Last used', 'wp-oauth' ); ?></th>
						<th scope="col"><?php esc_html_e( 'Last IP', 'wp-oauth' ); ?></th>
						<th scope="col"><?php esc_html_e( 'Revoke', 'wp-oauth' ); ?></th>
					</tr>
				</thead>
				<tbody>
				<?php foreach ( $grants as $grant ) : ?>
					<?php $item = Grants_Controller::prepare_item( $grant ); ?>
					<tr data-grant="<?php echo esc_attr( (string) $item['id'] ); ?>">
						<td>
							<strong><?php echo esc_html( $item['client_name'] ); ?></strong><?php Profile_Grants::render_service_account_note( $grant ); ?>
							<?php if ( isset( $item['origin']['type'] ) && 'application_password' === $item['origin']['type'] ) : ?>
								<br><span class="description wpoa-origin">
								<?php
								/* translators: %s: the Application Password's name. */
								echo esc_html( sprintf( __( 'Connected with the Application Password “%s”', 'wp-oauth' ), $item['origin']['name'] ?? '' ) );
								?>
								</span>
							<?php endif; ?>
						</td>
						<td>
							<?php foreach ( $item['scopes'] as $scope ) : ?>
								<p><strong><?php echo esc_html( $scope['label'] ); ?></strong><?php echo '' !== $scope['description'] ? ': ' . esc_html( $scope['description'] ) : ''; ?></p>
							<?php endforeach; ?>
						</td>
						<td><?php echo esc_html( wp_date( $format, $item['approved_at'] ) ); ?></td>
						<td><?php echo null === $item['last_used_at'] ? esc_html__( 'Never', 'wp-oauth' ) : esc_html( wp_date( $format, $item['last_used_at'] ) ); ?></td>
						<td><?php echo null === $item['last_used_ip'] ? '&#8212;' : esc_html( $item['last_used_ip'] ); ?></td>
						<td>
							<button type="button" class="button delete" data-wpoa-revoke="<?php echo esc_attr( (string) $item['id'] ); ?>" aria-label="<?php echo esc_attr( sprintf( /* translators: %s: application name. */ __( 'Revoke “%s”', 'wp-oauth' ), $item['client_name'] ) ); ?>"><?php esc_html_e( 'Revoke', 'wp-oauth' ); ?></button>
						</td>
					</tr>
				<?php endforeach; ?>
				</tbody>
			</table>
			<p class="wpoa-revoke-all" <?php echo array() === $grants ? 'hidden' : ''; ?>>
				<button type="button" class="button delete" data-wpoa-revoke="all"><?php esc_html_e( 'Revoke all', 'wp-oauth' ); ?></button>
			</p>
		</div>
		<?php
	}

	/**
	 * Under an application's name: "Service account, set up by …" when the grant is an
	 * administrator's client_credentials binding (Service_Account_Repository), so the user knows
	 * who connected it; revoking it stops that integration until it is bound again.
	 *
	 * @param object $grant Grant row.
	 */
	public static function render_service_account_note( object $grant ): void {
		$binding = Service_Account_Repository::find( (string) $grant->client_id );
		if ( null === $binding || (int) $binding['grant_id'] !== (int) $grant->id ) {
			return;
		}
		$admin = get_userdata( (int) $binding['bound_by'] );
		printf(
			'<br /><span class="description wpoa-service-account">%s</span>',
			esc_html(
				sprintf(
					/* translators: %s: display name of the administrator. */
					__( 'Service account, set up by %s', 'wp-oauth' ),
					$admin ? $admin->display_name : __( 'an administrator', 'wp-oauth' )
				)
			)
		);
	}
}
