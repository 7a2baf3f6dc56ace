<?php
/**
 * Signing-key rotation: a Tools screen for administrators and a documented function.
 *
 * @package Wpoa
 */

namespace Wpoa {

	defined( 'ABSPATH' ) || exit;

	/**
	 * Tools → OAuth Signing Keys (`manage_options`): lists the keys in the JWKS and
	 * rotates on request (nonce-protected admin-post.php form). Code can call
	 * wpoa_rotate_signing_key() (functions.php) or Key_Rotation::rotate().
	 *
	 * After a rotation new tokens are signed with the new key; the previous public key
	 * stays in the JWKS (so tokens it signed keep verifying) until the last of them has
	 * expired — retired_at + access-token lifetime + leeway — and the hourly cleanup
	 * (Keys::rebuild_jwks()) then removes it.
	 */
	final class Key_Rotation {

		/** admin-post.php action. */
		const ACTION = 'wpoa_rotate_key';

		/** Tools page slug. */
		const PAGE = 'wpoa-signing-keys';

		/**
		 * Rotates the signing key.
		 *
		 * @param string $alg `ES256` (default) or `EdDSA`.
		 * @return array{kid:string, alg:string, created_at:int} The new current key (public facts only).
		 * @throws \InvalidArgumentException For another algorithm.
		 * @throws \WpOAuth\Exception When the extension cannot generate the key.
		 */
		public static function rotate( string $alg = 'ES256' ): array {
			if ( ! in_array( $alg, array( 'ES256', 'EdDSA' ), true ) ) {
				throw new \InvalidArgumentException( 'alg must be ES256 or EdDSA' );
			}
			$record = Keys::rotate( $alg );
			return array(
				'kid'        => (string) $record['kid'],
				'alg'        => (string) $record['alg'],
				'created_at' => (int) $record['created_at'],
			);
		}

		/**
		 * The stored keys without private material, newest first, with when each leaves the JWKS.
		 *
		 * @return array<int, array{kid:string, alg:string, created_at:int, retired_at:?int, removed_after:?int}>
		 */
		public static function key_list(): array {
			$max  = Token_Issuer::access_token_lifetime() + Keys::LEEWAY;
			$list = array();
			foreach ( Keys::stored() as $key ) {
				$retired = empty( $key['retired_at'] ) ? null : (int) $key['retired_at'];
				$list[]  = array(
					'kid'           => (string) $key['kid'],
					'alg'           => (string) $key['alg'],
					'created_at'    => (int) $key['created_at'],
					'retired_at'    => $retired,
					'removed_after' => null === $retired ? null : $retired + $max,
				);
			}
			return $list;
		}

		/**
		 * Adds Tools → OAuth Signing Keys.
		 */
		public function add_page(): void {
			add_management_page(
				__( 'OAuth Signing Keys', 'wp-oauth' ),
				__( 'OAuth Signing Keys', 'wp-oauth' ),
				'manage_options',
				self::PAGE,
				array( $this, 'render_page' )
			);
		}

		/**
		 * Prints the screen.
		 */
		public function render_page(): void {
			if ( ! current_user_can( 'manage_options' ) ) {
				wp_die( esc_html__( 'Sorry, you are not allowed to manage signing keys.', 'wp-oauth' ), 403 );
			}
			// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- display only, set by our own redirect.
			$done   = isset( $_GET['wpoa_rotated'] ) ? sanitize_key( wp_unslash( $_GET['wpoa_rotated'] ) ) : '';
			$format = get_option( 'date_format' ) . ' ' . get_option( 'time_format' );
			echo '<div class="wrap"><h1>' . esc_html__( 'OAuth Signing Keys', 'wp-oauth' ) . '</h1>';
			if ( '1' === $done ) {
				echo '<div class="notice notice-success"><p>' . esc_html__( 'A new signing key is now in use. The previous key stays published until the tokens it signed have expired.', 'wp-oauth' ) . '</p></div>';
			} elseif ( 'error' === $done ) {
				echo '<div class="notice notice-error"><p>' . esc_html__( 'The signing key could not be rotated.', 'wp-oauth' ) . '</p></div>';
			}
			echo '<p>' . esc_html__( 'Access tokens are signed with the current key. Rotating creates a new key for new tokens; the previous key stays in the published key set until every token it signed has expired, so apps are not signed out.', 'wp-oauth' ) . '</p>';
			echo '<p>' . sprintf(
				/* translators: %s: URL of the JWKS document. */
				esc_html__( 'Published key set: %s', 'wp-oauth' ),
				'<a href="' . esc_url( Urls::jwks_uri() ) . '"><code>' . esc_html( Urls::jwks_uri() ) . '</code></a>'
			) . '</p>';
			echo '<table class="widefat striped"><thead><tr><th>' . esc_html__( 'Key ID', 'wp-oauth' ) . '</th><th>' . esc_html__( 'Algorithm', 'wp-oauth' ) . '</th><th>' . esc_html__( 'Created', 'wp-oauth' ) . '</th><th>' . esc_html__( 'Status', 'wp-oauth' ) . '</th></tr></thead><tbody>';
			foreach ( self::key_list() as $key ) {
				if ( null === $key['retired_at'] ) {
					$status = __( 'Current: signs new tokens', 'wp-oauth' );
				} else {
					$status = sprintf(
						/* translators: %s: date and time. */
						__( 'Retired: verifies older tokens until %s', 'wp-oauth' ),
						wp_date( $format, (int) $key['removed_after'] )
					);
				}
				printf(
					'<tr><td><code>%1$s</code></td><td>%2$s</td><td>%3$s</td><td>%4$s</td></tr>',
					esc_html( $key['kid'] ),
					esc_html( $key['alg'] ),
					esc_html( wp_date( $format, $key['created_at'] ) ),
					esc_html( $status )
				);
			}
			echo '</tbody></table>';
			echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
			echo '<input type="hidden" name="action" value="' . esc_attr( self::ACTION ) . '" />';
			wp_nonce_field( self::ACTION );
			submit_button( __( 'Rotate signing key', 'wp-oauth' ), 'secondary', 'wpoa-rotate' );
			echo '</form></div>';
		}

		/**
		 * admin-post.php handler: checks capability and nonce, rotates, redirects back.
		 */
		public function handle_rotate(): void {
			if ( ! current_user_can( 'manage_options' ) ) {
				wp_die( esc_html__( 'Sorry, you are not allowed to manage signing keys.', 'wp-oauth' ), 403 );
			}
			check_admin_referer( self::ACTION );
			$result = '1';
			try {
				self::rotate();
			} catch ( \Exception $e ) {
				do_action( 'wpoa_crypto_error', 'key_rotation', $e->getCode(), $e->getMessage() );
				$result = 'error';
			}
			wp_safe_redirect( add_query_arg( array( 'page' => self::PAGE, 'wpoa_rotated' => $result ), admin_url( 'tools.php' ) ) );
			exit;
		}
	}
}
