<?php
/**
 * The device verification page's code form (rendered by Device_Verification_Endpoint::emit()
 * inside wp-login.php, RFC 8628 §3.3).
 *
 * Variables: $view = {status: int, user_code: string (pre-filled, may be ''), error: string
 * (translated, may be ''), nonce: string}. Everything is escaped here, late.
 *
 * @package Wpoa
 */

defined( 'ABSPATH' ) || exit;

use Wpoa\Authorize_Endpoint;
use Wpoa\Device_Verification_Endpoint;
use Wpoa\Urls;

Authorize_Endpoint::page_header( __( 'Connect a device', 'wp-oauth' ) );
?>
<div class="wpoa-card" id="wpoa-device">
	<h2><?php esc_html_e( 'Connect a device', 'wp-oauth' ); ?></h2>
	<?php if ( '' !== $view['error'] ) : ?>
		<p class="wpoa-notice wpoa-error" id="wpoa-device-error" role="alert"><?php echo esc_html( $view['error'] ); ?></p>
	<?php endif; ?>
	<p><?php esc_html_e( 'Type the code shown on your device or in your terminal. You will see which application asks for access before anything is approved.', 'wp-oauth' ); ?></p>
	<form method="post" action="<?php echo esc_url( Urls::device_verification_uri() ); ?>" id="wpoa-device-form">
		<input type="hidden" name="<?php echo esc_attr( Device_Verification_Endpoint::STEP_FIELD ); ?>" value="lookup" />
		<input type="hidden" name="<?php echo esc_attr( Authorize_Endpoint::NONCE_FIELD ); ?>" value="<?php echo esc_attr( $view['nonce'] ); ?>" />
		<p>
			<label for="wpoa-user-code"><?php esc_html_e( 'Code', 'wp-oauth' ); ?></label>
			<input type="text" name="<?php echo esc_attr( Device_Verification_Endpoint::CODE_FIELD ); ?>" id="wpoa-user-code" class="input" value="<?php echo esc_attr( $view['user_code'] ); ?>" placeholder="XXXX-XXXX" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="20" required style="font-family: monospace; font-size: 24px; letter-spacing: 2px; text-transform: uppercase;" />
		</p>
		<div class="wpoa-actions">
			<button type="submit" class="button button-primary button-large" id="wpoa-device-continue"><?php esc_html_e( 'Continue', 'wp-oauth' ); ?></button>
		</div>
	</form>
</div>
<?php
Authorize_Endpoint::page_footer();
