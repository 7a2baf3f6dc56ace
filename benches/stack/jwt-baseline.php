<?php
/**
 * The benchmark's stateless JWT baseline: bearer authentication the way the popular WordPress JWT
 * plugins do it (an HS256 token signed with a site secret, payload `{iss, iat, nbf, exp,
 * data: {user: {id}}}`, checked on `determine_current_user` for REST requests: signature, time
 * claims, `iss` equal to the site URL, user id present). It never looks at revocation, a password
 * change or whether the user still exists beyond what wp_set_current_user() loads. Not a plugin of
 * this product: loaded only by benches/stack/auth-compare.php. The JWT code is the userland one of
 * benches/UserlandJwt.php (the firebase/php-jwt style those plugins bundle).
 */

require_once dirname( __DIR__ ) . '/UserlandJwt.php';

/**
 * Stateless HS256 bearer authentication (no revocation).
 */
final class Wpoa_Bench_Jwt_Baseline {

	/**
	 * Shared secret (bytes), as the plugins' JWT_AUTH_SECRET_KEY constant.
	 *
	 * @var string
	 */
	private $secret;

	/**
	 * Why the last token was refused, or null.
	 *
	 * @var string|null
	 */
	public $error = null;

	/**
	 * @param string $secret Shared secret.
	 */
	public function __construct( string $secret ) {
		$this->secret = $secret;
	}

	/** Hooks in as those plugins do. */
	public function register(): void {
		add_filter( 'determine_current_user', array( $this, 'determine_current_user' ), 10 );
		add_filter( 'rest_authentication_errors', array( $this, 'rest_authentication_errors' ) );
	}

	/** Unhooks. */
	public function unregister(): void {
		remove_filter( 'determine_current_user', array( $this, 'determine_current_user' ), 10 );
		remove_filter( 'rest_authentication_errors', array( $this, 'rest_authentication_errors' ) );
	}

	/**
	 * A token for a user, valid for a week (the plugins' default).
	 *
	 * @param int $user_id User.
	 * @return string
	 */
	public function issue( int $user_id ): string {
		$now = time();
		return UserlandJwt::encode(
			array(
				'iss'  => get_bloginfo( 'url' ),
				'iat'  => $now,
				'nbf'  => $now,
				'exp'  => $now + WEEK_IN_SECONDS,
				'data' => array( 'user' => array( 'id' => $user_id ) ),
			),
			$this->secret,
			'HS256'
		);
	}

	/**
	 * @param int|false $user_id Earlier result.
	 * @return int|false
	 */
	public function determine_current_user( $user_id ) {
		$this->error = null;
		$uri         = isset( $_SERVER['REQUEST_URI'] ) ? (string) $_SERVER['REQUEST_URI'] : '';
		if ( false === strpos( $uri, rest_get_url_prefix() ) ) {
			return $user_id;
		}
		$header = isset( $_SERVER['HTTP_AUTHORIZATION'] ) ? (string) $_SERVER['HTTP_AUTHORIZATION'] : '';
		if ( 0 !== stripos( $header, 'Bearer ' ) ) {
			return $user_id;
		}
		try {
			$token = UserlandJwt::decode( substr( $header, 7 ), array( 'k' => array( $this->secret, 'HS256' ) ) );
		} catch ( \Throwable $e ) {
			$this->error = 'jwt_auth_invalid_token';
			return $user_id;
		}
		if ( ( $token['iss'] ?? '' ) !== get_bloginfo( 'url' ) ) {
			$this->error = 'jwt_auth_bad_iss';
			return $user_id;
		}
		if ( empty( $token['data']['user']['id'] ) ) {
			$this->error = 'jwt_auth_bad_request';
			return $user_id;
		}
		return (int) $token['data']['user']['id'];
	}

	/**
	 * @param \WP_Error|true|null $result Earlier result.
	 * @return \WP_Error|true|null
	 */
	public function rest_authentication_errors( $result ) {
		if ( null !== $this->error ) {
			return new \WP_Error( $this->error, 'Invalid token', array( 'status' => 403 ) );
		}
		return $result;
	}
}
