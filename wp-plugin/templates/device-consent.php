<?php
/**
 * The device verification page's consent screen (rendered by Device_Verification_Endpoint::emit()
 * inside wp-login.php, RFC 8628 §3.3): which application, which scopes, Approve or Deny.
 *
 * Variables: $view = {row: device code row, client: Wpoa\Client, user: WP_User,
 * user_code: string (XXXX-XXXX), nonce: string}. Everything is escaped here, late.
 *
 * @package Wpoa
 */

defined( 'ABSPATH' ) || exit;

use Wpoa\Authorize_Endpoint;
use Wpoa\Device_Verification_Endpoint;
use Wpoa\Urls;

/** @var Wpoa\Client $wpoa_client */
$wpoa_client   = $view['client'];
/** @var WP_User $wpoa_user */
$wpoa_user     = $view['user'];
$wpoa_uri      = isset( $wpoa_client->metadata['client_uri'] ) ? (string) $wpoa_client->metadata['client_uri'] : '';
$wpoa_uri_host = '' !== $wpoa_uri ? (string) wp_parse_url( $wpoa_uri, PHP_URL_HOST ) : '';
$wpoa_logout   = wp_logout_url( Urls::device_verification_uri() );

Authorize_Endpoint::page_header( __( 'Connect a device', 'wp-oauth' ) );
?>
<div class="wpoa-card" id="wpoa-consent">
	<h2>
		<?php
		printf(
			/* translators: 1: application name, 2: site name. */
			esc_html__( '%1$s wants to access your account on %2$s', 'wp-oauth' ),
			'<span class="wpoa-client-name">' . esc_html( $wpoa_client->name() ) . '</span>',
			esc_html( get_bloginfo( 'name' ) )
		);
		?>
	</h2>
	<p class="wpoa-meta" id="wpoa-device-code-shown">
		<?php
		/* translators: %s: the user code, e.g. BCDF-GHJK. */
		printf( esc_html__( 'Code: %s. Make sure it is the code your device shows right now.', 'wp-oauth' ), '<strong style="font-family: monospace;">' . esc_html( $view['user_code'] ) . '</strong>' );
		?>
	</p>
	<?php if ( '' !== $wpoa_uri_host ) : ?>
		<p class="wpoa-meta wpoa-client-uri">
			<?php
			/* translators: %s: host name of the application's web site. */
			printf( esc_html__( 'Application web site: %s', 'wp-oauth' ), '<strong>' . esc_html( $wpoa_uri_host ) . '</strong>' );
			?>
		</p>
	<?php endif; ?>
	<p class="wpoa-notice" id="wpoa-device-warning"><?php esc_html_e( 'Only continue if you started this yourself on a device you control. Never approve a code someone else sent you.', 'wp-oauth' ); ?></p>
	<?php if ( 0 === (int) $wpoa_client->registered_by ) : ?>
		<p class="wpoa-meta"><?php esc_html_e( 'This application registered itself: this site cannot confirm who made it.', 'wp-oauth' ); ?></p>
	<?php endif; ?>

	<?php
	Authorize_Endpoint::render(
		'consent-decision',
		array(
			'scope'  => (string) $view['row']->scope,
			'action' => Urls::device_verification_uri(),
			'fields' => array(
				Device_Verification_Endpoint::STEP_FIELD => 'decide',
				Device_Verification_Endpoint::CODE_FIELD => $view['user_code'],
				Authorize_Endpoint::NONCE_FIELD          => $view['nonce'],
			),
			'user'   => $wpoa_user,
			'logout' => $wpoa_logout,
		)
	);
	?>
</div>
<?php
Authorize_Endpoint::page_footer();
