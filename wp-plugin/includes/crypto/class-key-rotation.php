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
	 * A rotation publishes the next key in the JWKS at once and signs with it only after
	 * Keys::prepublication() seconds (the JWKS cache lifetime plus leeway), so resource servers
	 * holding a cached key set never see a token whose key they lack. The previous key stops
	 * signing then and stays published until the last token it signed has expired —
	 * retirement + access-token lifetime + leeway — after which the hourly cleanup
	 * (Keys::rebuild_jwks()) removes it. The emergency rotation (a key that may have leaked)
	 * signs with the new key at once; see docs/decisions/key-pre-publication.md.
	 */
	final class Key_Rotation {

		/** admin-post.php action. */
		const ACTION = 'wpoa_rotate_key';

		/** Tools page slug. */
		const PAGE = 'wpoa-signing-keys';

		/** Name of the emergency rotation's submit button. */
		const EMERGENCY = 'wpoa-emergency';

		/**
		 * Rotates the signing key.
		 *
		 * @param string $alg       `ES256` (default) or `EdDSA`.
		 * @param bool   $emergency Sign with the new key at once (the current key may have
		 *                          leaked); otherwise it signs after Keys::prepublication() seconds.
		 * @return array{kid:string, alg:string, created_at:int, activates_at:int} The new key's
		 *         public facts (Unix seconds).
		 * @throws \InvalidArgumentException For another algorithm.
		 * @throws \WpOAuth\Exception When the extension cannot generate the key.
		 */
		public static function rotate( string $alg = 'ES256', bool $emergency = false ): array {
			if ( ! in_array( $alg, array( 'ES256', 'EdDSA' ), true ) ) {
				throw new \InvalidArgumentException( 'alg must be ES256 or EdDSA' );
			}
			$record = Keys::rotate( $alg, $emergency );
			return array(
				'kid'          => (string) $record['kid'],
				'alg'          => (string) $record['alg'],
				'created_at'   => (int) $record['created_at'],
				'activates_at' => (int) $record['activates_at'],
			);
		}

		/**
		 * The stored keys without private material, newest first, with their state and times.
		 *
		 * @return array<int, array{kid:string, alg:string, state:string, created_at:int, activates_at:int, retired_at:?int, removed_after:?int}>
		 *         `state`: `next`, `current` or `retired` (Keys::state()); times in Unix seconds.
		 */
		public static function key_list(): array {
			$max  = Token_Issuer::access_token_lifetime() + Keys::LEEWAY;
			$now  = time();
			$list = array();
			foreach ( Keys::stored() as $key ) {
				$retired = empty( $key['retired_at'] ) ? null : (int) $key['retired_at'];
				$list[]  = array(
					'kid'           => (string) $key['kid'],
					'alg'           => (string) $key['alg'],
					'state'         => Keys::state( $key, $now ),
					'created_at'    => (int) $key['created_at'],
					'activates_at'  => Keys::activates_at( $key ),
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
			$done    = isset( $_GET['wpoa_rotated'] ) ? sanitize_key( wp_unslash( $_GET['wpoa_rotated'] ) ) : '';
			$format  = get_option( 'date_format' ) . ' ' . get_option( 'time_format' );
			$wait    = self::duration( Keys::prepublication() );
			$cached  = self::duration( Discovery::jwks_max_age() );
			$pending = null;
			foreach ( self::key_list() as $key ) {
				if ( 'next' === $key['state'] ) {
					$pending = $key;
				}
			}
			echo '<div class="wrap"><h1>' . esc_html__( 'OAuth Signing Keys', 'wp-oauth' ) . '</h1>';
			if ( '1' === $done && null !== $pending ) {
				echo '<div class="notice notice-success"><p>' . esc_html(
					sprintf(
						/* translators: %s: date and time. */
						__( 'A new signing key is published. It signs new tokens from %s; until then the current key does.', 'wp-oauth' ),
						wp_date( $format, $pending['activates_at'] )
					)
				) . '</p></div>';
			} elseif ( 'now' === $done ) {
				echo '<div class="notice notice-warning"><p>' . esc_html(
					sprintf(
						/* translators: %s: a duration, e.g. "5 mins". */
						__( 'A new signing key signs new tokens from now on. Apps and resource servers that cached the key set may reject them for up to %s.', 'wp-oauth' ),
						$cached
					)
				) . '</p></div>';
			} elseif ( 'error' === $done ) {
				echo '<div class="notice notice-error"><p>' . esc_html__( 'The signing key could not be rotated.', 'wp-oauth' ) . '</p></div>';
			}
			echo '<p>' . esc_html(
				sprintf(
					/* translators: %s: a duration, e.g. "6 mins". */
					__( 'Access tokens are signed with the current key. Rotating publishes a new key in the key set at once and signs new tokens with it %s later, once every cached copy of the key set contains it. The previous key stays published until every token it signed has expired, so apps are not signed out.', 'wp-oauth' ),
					$wait
				)
			) . '</p>';
			echo '<p>' . sprintf(
				/* translators: %s: URL of the JWKS document. */
				esc_html__( 'Published key set: %s', 'wp-oauth' ),
				'<a href="' . esc_url( Urls::jwks_uri() ) . '"><code>' . esc_html( Urls::jwks_uri() ) . '</code></a>'
			) . '</p>';
			echo '<table class="widefat striped"><thead><tr><th>' . esc_html__( 'Key ID', 'wp-oauth' ) . '</th><th>' . esc_html__( 'Algorithm', 'wp-oauth' ) . '</th><th>' . esc_html__( 'Created', 'wp-oauth' ) . '</th><th>' . esc_html__( 'Status', 'wp-oauth' ) . '</th></tr></thead><tbody>';
			foreach ( self::key_list() as $key ) {
				if ( 'next' === $key['state'] ) {
					$status = sprintf(
						/* translators: %s: date and time. */
						__( 'Next: published, signs new tokens from %s', 'wp-oauth' ),
						wp_date( $format, $key['activates_at'] )
					);
				} elseif ( 'current' === $key['state'] && null !== $key['retired_at'] ) {
					$status = sprintf(
						/* translators: %s: date and time. */
						__( 'Current: signs new tokens until %s', 'wp-oauth' ),
						wp_date( $format, $key['retired_at'] )
					);
				} elseif ( 'current' === $key['state'] ) {
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
			echo '<h2>' . esc_html__( 'Emergency rotation', 'wp-oauth' ) . '</h2>';
			echo '<p>' . esc_html(
				sprintf(
					/* translators: %s: a duration, e.g. "5 mins". */
					__( 'Only if the current private key may have leaked: sign new tokens with a new key right now. The cost: apps and resource servers that cached the key set reject tokens signed with the new key until they fetch it again, for up to %s. Tokens already issued keep working until they expire, because the old key stays published until then.', 'wp-oauth' ),
					$cached
				)
			) . '</p>';
			submit_button( __( 'Rotate now (emergency)', 'wp-oauth' ), 'delete', self::EMERGENCY );
			echo '</form></div>';
		}

		/**
		 * A duration for people, e.g. "6 mins" (core's human_time_diff()).
		 *
		 * @param int $seconds Seconds.
		 * @return string
		 */
		private static function duration( int $seconds ): string {
			return human_time_diff( 0, max( 1, $seconds ) );
		}

		/**
		 * admin-post.php handler: checks capability and nonce, rotates (an emergency rotation
		 * when the emergency button was used), redirects back with `wpoa_rotated` = `1`, `now`
		 * or `error`.
		 */
		public function handle_rotate(): void {
			if ( ! current_user_can( 'manage_options' ) ) {
				wp_die( esc_html__( 'Sorry, you are not allowed to manage signing keys.', 'wp-oauth' ), 403 );
			}
			check_admin_referer( self::ACTION );
			$emergency = isset( $_POST[ self::EMERGENCY ] );
			$result    = $emergency ? 'now' : '1';
			try {
				self::rotate( 'ES256', $emergency );
			} catch ( \Exception $e ) {
				do_action( 'wpoa_crypto_error', 'key_rotation', $e->getCode(), $e->getMessage() );
				$result = 'error';
			}
			wp_safe_redirect( add_query_arg( array( 'page' => self::PAGE, 'wpoa_rotated' => $result ), admin_url( 'tools.php' ) ) );
			exit;
		}
	}
}
