<?php
/**
 * The device verification page's last word: done, or an error (rendered by
 * Device_Verification_Endpoint::emit() inside wp-login.php).
 *
 * Variables: $view = {kind: 'done'|'error', status: int, message: string (translated, plain text)}.
 *
 * @package Wpoa
 */

defined( 'ABSPATH' ) || exit;

use Wpoa\Authorize_Endpoint;
use Wpoa\Urls;

$wpoa_is_error = 'done' !== $view['kind'];
Authorize_Endpoint::page_header( __( 'Connect a device', 'wp-oauth' ) );
?>
<div class="wpoa-card<?php echo $wpoa_is_error ? ' wpoa-error' : ''; ?>" id="<?php echo $wpoa_is_error ? 'wpoa-error' : 'wpoa-device-done'; ?>" <?php echo $wpoa_is_error ? 'role="alert"' : ''; ?>>
	<h2><?php echo $wpoa_is_error ? esc_html__( 'This device cannot be connected', 'wp-oauth' ) : esc_html__( 'Connect a device', 'wp-oauth' ); ?></h2>
	<p id="<?php echo $wpoa_is_error ? 'wpoa-error-message' : 'wpoa-device-message'; ?>"><?php echo esc_html( $view['message'] ); ?></p>
	<?php if ( $wpoa_is_error ) : ?>
		<p class="wpoa-meta"><a href="<?php echo esc_url( Urls::device_verification_uri() ); ?>"><?php esc_html_e( 'Type a code again', 'wp-oauth' ); ?></a></p>
	<?php else : ?>
		<p class="wpoa-meta"><?php esc_html_e( 'You can close this page.', 'wp-oauth' ); ?></p>
	<?php endif; ?>
</div>
<?php
Authorize_Endpoint::page_footer();
