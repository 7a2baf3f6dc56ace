<?php
/**
 * Error page of the authorization endpoint, for errors that must not redirect
 * (unknown client, unregistered redirect URI, plain HTTP, expired form; RFC 6749 §4.1.2.1).
 *
 * Variables: $view = {status: int, message: string (translated, plain text)}.
 *
 * @package Wpoa
 */

defined( 'ABSPATH' ) || exit;

use Wpoa\Authorize_Endpoint;

Authorize_Endpoint::page_header( __( 'Authorization error', 'wp-oauth' ) );
?>
<div class="wpoa-card wpoa-error" id="wpoa-error" role="alert">
	<h2><?php esc_html_e( 'This authorization request cannot be completed', 'wp-oauth' ); ?></h2>
	<p id="wpoa-error-message"><?php echo esc_html( $view['message'] ); ?></p>
	<p class="wpoa-meta"><?php esc_html_e( 'You were not sent back to the application, because this site cannot be sure where the request came from. You can close this page.', 'wp-oauth' ); ?></p>
</div>
<?php
Authorize_Endpoint::page_footer();
