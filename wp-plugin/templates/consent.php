<?php
/**
 * The consent screen (rendered by Authorize_Endpoint::emit() inside wp-login.php).
 *
 * Variables: $view = {request: validated request, client: Wpoa\Client, user: WP_User,
 * approved_before: bool, nonce: string}. Everything is escaped here, late.
 *
 * @package Wpoa
 */

defined( 'ABSPATH' ) || exit;

use Wpoa\Authorize_Endpoint;
use Wpoa\Client_Id_Metadata;
use Wpoa\Urls;

/** @var Wpoa\Client $wpoa_client */
$wpoa_client   = $view['client'];
/** @var WP_User $wpoa_user */
$wpoa_user     = $view['user'];
$wpoa_request  = $view['request'];
$wpoa_back     = Authorize_Endpoint::describe_redirect( $wpoa_request['redirect_uri'] );
$wpoa_uri      = isset( $wpoa_client->metadata['client_uri'] ) ? (string) $wpoa_client->metadata['client_uri'] : '';
// A metadata-document client is identified by the host of its client_id URL: the one fact
// about it that someone had to control a web server to assert.
$wpoa_cimd_host = Client_Id_Metadata::is_url( $wpoa_client->client_id ) ? strtolower( (string) wp_parse_url( $wpoa_client->client_id, PHP_URL_HOST ) ) : '';
$wpoa_trusted   = '' !== $wpoa_cimd_host && Client_Id_Metadata::is_trusted( $wpoa_client->client_id );
$wpoa_all_local = array() !== $wpoa_client->redirect_uris && array() === array_filter( $wpoa_client->redirect_uris, static fn( $u ) => 'loopback' !== Authorize_Endpoint::describe_redirect( (string) $u )['kind'] );
$wpoa_uri_host = '' !== $wpoa_uri ? (string) wp_parse_url( $wpoa_uri, PHP_URL_HOST ) : '';
$wpoa_logout   = wp_logout_url( Authorize_Endpoint::authorize_url( $wpoa_request, false ) );

Authorize_Endpoint::page_header( __( 'Authorize application', 'wp-oauth' ) );
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
	<?php if ( '' !== $wpoa_cimd_host ) : ?>
		<p class="wpoa-identity" id="wpoa-client-host">
			<?php
			/* translators: %s: host name of the application's client_id URL, e.g. claude.ai. */
			printf( esc_html__( 'Identified by %s', 'wp-oauth' ), '<strong class="wpoa-host">' . esc_html( $wpoa_cimd_host ) . '</strong>' );
			?>
			<?php if ( $wpoa_trusted ) : ?>
				<span class="wpoa-trusted" id="wpoa-trusted-mark"><?php esc_html_e( '✓ Verified: a domain this site\'s administrator trusts', 'wp-oauth' ); ?></span>
			<?php endif; ?>
		</p>
	<?php endif; ?>
	<?php if ( $wpoa_all_local ) : ?>
		<p class="wpoa-notice" id="wpoa-local-only"><?php esc_html_e( 'This application can only send you back to a program on this device (localhost). Approve only if you started it yourself just now.', 'wp-oauth' ); ?></p>
	<?php endif; ?>
	<?php if ( '' !== $wpoa_uri_host ) : ?>
		<p class="wpoa-meta wpoa-client-uri">
			<?php
			/* translators: %s: host name of the application's web site. */
			printf( esc_html__( 'Application web site: %s', 'wp-oauth' ), '<strong>' . esc_html( $wpoa_uri_host ) . '</strong>' );
			?>
		</p>
	<?php endif; ?>
	<p class="wpoa-meta wpoa-redirect">
		<?php
		if ( 'app' === $wpoa_back['kind'] ) {
			/* translators: %s: URI scheme of an app installed on the device, e.g. com.example.app: */
			printf( esc_html__( 'After your decision you will be sent back to the app installed on your device that handles %s addresses.', 'wp-oauth' ), '<strong>' . esc_html( $wpoa_back['label'] ) . '</strong>' );
		} elseif ( 'loopback' === $wpoa_back['kind'] ) {
			/* translators: %s: loopback address (127.0.0.1, ::1 or localhost). */
			printf( esc_html__( 'After your decision you will be sent back to an application running on this device (%s).', 'wp-oauth' ), '<strong>' . esc_html( $wpoa_back['label'] ) . '</strong>' );
		} else {
			/* translators: %s: host name. */
			printf( esc_html__( 'After your decision you will be sent back to %s.', 'wp-oauth' ), '<strong>' . esc_html( $wpoa_back['label'] ) . '</strong>' );
		}
		?>
	</p>
	<?php if ( Urls::audience() !== $wpoa_request['audience'] ) : ?>
		<p class="wpoa-meta wpoa-resource">
			<?php
			/* translators: %s: URL of the part of the site's API (e.g. an MCP server) the access is limited to. */
			printf( esc_html__( 'Access is limited to %s.', 'wp-oauth' ), '<code>' . esc_html( $wpoa_request['audience'] ) . '</code>' );
			?>
		</p>
	<?php endif; ?>
	<?php if ( $view['approved_before'] ) : ?>
		<p class="wpoa-notice wpoa-known" id="wpoa-approved-before"><?php esc_html_e( 'You have approved this application before.', 'wp-oauth' ); ?></p>
	<?php else : ?>
		<p class="wpoa-notice" id="wpoa-first-time"><?php esc_html_e( 'You have not approved this application before. Only continue if you trust it.', 'wp-oauth' ); ?></p>
	<?php endif; ?>
	<?php if ( 0 === (int) $wpoa_client->registered_by && '' === $wpoa_cimd_host ) : ?>
		<p class="wpoa-meta"><?php esc_html_e( 'This application registered itself: this site cannot confirm who made it.', 'wp-oauth' ); ?></p>
	<?php endif; ?>

	<?php
	Authorize_Endpoint::render(
		'consent-decision',
		array(
			'scope'  => $wpoa_request['scope'],
			'action' => Urls::login_screen_authorization_url(),
			'fields' => Authorize_Endpoint::form_fields( $wpoa_request ) + array( Authorize_Endpoint::NONCE_FIELD => $view['nonce'] ),
			'user'   => $wpoa_user,
			'logout' => $wpoa_logout,
		)
	);
	?>
</div>
<?php
Authorize_Endpoint::page_footer();
