<?php
/**
 * The part every consent screen shares (the code flow's and the device verification page's):
 * the list of scopes asked for, the Approve / Deny form and who is logged in, with "Not you?".
 * Rendered by templates/consent.php and templates/device-consent.php.
 *
 * Variables: $view = {scope: string (space-separated, RFC 6749 §3.3), action: string (the form's
 * URL), fields: array<string,string> (hidden fields, the nonce among them), user: WP_User,
 * logout: string (log-out URL that comes back to this request)}. Everything is escaped here, late.
 *
 * @package Wpoa
 */

defined( 'ABSPATH' ) || exit;

use Wpoa\Authorize_Endpoint;
use Wpoa\Scopes;

$wpoa_scopes = Scopes::all();
/** @var WP_User $wpoa_user */
$wpoa_user = $view['user'];
?>
	<p><?php esc_html_e( 'It will be able to:', 'wp-oauth' ); ?></p>
	<ul class="wpoa-scopes">
		<?php foreach ( Scopes::parse( (string) $view['scope'] ) as $wpoa_token ) : ?>
			<?php if ( isset( $wpoa_scopes[ $wpoa_token ] ) ) : ?>
				<li data-scope="<?php echo esc_attr( $wpoa_token ); ?>">
					<strong><?php echo esc_html( $wpoa_scopes[ $wpoa_token ]['label'] ); ?></strong>
					<?php echo esc_html( $wpoa_scopes[ $wpoa_token ]['description'] ); ?>
				</li>
			<?php endif; ?>
		<?php endforeach; ?>
	</ul>

	<form method="post" action="<?php echo esc_url( $view['action'] ); ?>" id="wpoa-consent-form">
		<?php foreach ( $view['fields'] as $wpoa_name => $wpoa_value ) : ?>
			<input type="hidden" name="<?php echo esc_attr( $wpoa_name ); ?>" value="<?php echo esc_attr( $wpoa_value ); ?>" />
		<?php endforeach; ?>
		<div class="wpoa-actions">
			<button type="submit" name="<?php echo esc_attr( Authorize_Endpoint::DECISION_FIELD ); ?>" value="deny" class="button button-large" id="wpoa-deny"><?php esc_html_e( 'Deny', 'wp-oauth' ); ?></button>
			<button type="submit" name="<?php echo esc_attr( Authorize_Endpoint::DECISION_FIELD ); ?>" value="approve" class="button button-primary button-large" id="wpoa-approve"><?php esc_html_e( 'Approve', 'wp-oauth' ); ?></button>
		</div>
	</form>

	<p class="wpoa-user" id="wpoa-user">
		<?php
		printf(
			/* translators: 1: user's display name, 2: user's login name. */
			esc_html__( 'You are logged in as %1$s (%2$s).', 'wp-oauth' ),
			'<strong>' . esc_html( $wpoa_user->display_name ) . '</strong>',
			esc_html( $wpoa_user->user_login )
		);
		?>
		<a href="<?php echo esc_url( $view['logout'] ); ?>" id="wpoa-not-you"><?php esc_html_e( 'Not you? Log out and use another account', 'wp-oauth' ); ?></a>
	</p>
