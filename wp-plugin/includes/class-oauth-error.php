<?php
/**
 * OAuth error responses (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3; RFC 7591 §3.2.2).
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * An OAuth protocol error, thrown inside endpoint code and turned into an
 * RFC-format response (never WordPress's `{code,message,data}`) at the edge.
 */
class OAuth_Error extends \Exception {

	/**
	 * The RFC error code, e.g. `invalid_grant` (RFC 6749 §5.2).
	 *
	 * @var string
	 */
	public $error;

	/**
	 * HTTP status of the response.
	 *
	 * @var int
	 */
	public $status;

	/**
	 * Extra response headers (e.g. `WWW-Authenticate`).
	 *
	 * @var array<string, string>
	 */
	public $headers;

	/**
	 * @param string               $error       RFC error code (ASCII, RFC 6749 §5.2 / RFC 7591 §3.2.2 / RFC 6750 §3.1).
	 * @param string               $description Human-readable, translated; never contains secrets or token values.
	 * @param int                  $status      HTTP status (400 unless the RFC says otherwise).
	 * @param array<string,string> $headers     Extra headers.
	 */
	public function __construct( string $error, string $description = '', int $status = 400, array $headers = array() ) {
		parent::__construct( '' !== $description ? $description : $error );
		$this->error   = $error;
		$this->status  = $status;
		$this->headers = $headers;
	}

	/**
	 * `invalid_client` with 401 and a `WWW-Authenticate` challenge (RFC 6749 §5.2).
	 *
	 * @param string $description Why.
	 * @return self
	 */
	public static function invalid_client( string $description ): self {
		return new self( 'invalid_client', $description, 401, array( 'WWW-Authenticate' => 'Basic realm="' . Urls::realm() . '", charset="UTF-8"' ) );
	}

	/**
	 * A request with a method other than POST at an endpoint that accepts only POST
	 * (token RFC 6749 §3.2, revocation RFC 7009 §2.1, introspection RFC 7662 §2.1):
	 * `405 Method Not Allowed` with `Allow: POST` (RFC 9110 §15.5.6, §10.2.1), in the
	 * RFC 6749 §5.2 form `{"error":"invalid_request",…}` so OAuth clients can read it.
	 *
	 * @param string $description Which endpoint and what it accepts.
	 * @return self
	 */
	public static function method_not_allowed( string $description ): self {
		return new self( 'invalid_request', $description, 405, array( 'Allow' => 'POST' ) );
	}

	/**
	 * The JSON body: `error`, `error_description` (RFC 6749 §5.2).
	 *
	 * @return array{error:string,error_description:string}
	 */
	public function body(): array {
		return array(
			'error'             => $this->error,
			'error_description' => $this->getMessage(),
		);
	}

	/**
	 * This error as a REST response with `Cache-Control: no-store` (RFC 6749 §5.1).
	 *
	 * @return \WP_REST_Response
	 */
	public function to_response(): \WP_REST_Response {
		return self::json( $this->body(), $this->status, $this->headers );
	}

	/**
	 * Any OAuth JSON answer, with the no-store headers RFC 6749 §5.1 requires.
	 *
	 * @param array<string,mixed>  $body    The JSON object.
	 * @param int                  $status  HTTP status.
	 * @param array<string,string> $headers Extra headers.
	 * @return \WP_REST_Response
	 */
	public static function json( array $body, int $status = 200, array $headers = array() ): \WP_REST_Response {
		$response = new \WP_REST_Response( $body, $status );
		$response->set_headers(
			array_merge(
				array(
					'Cache-Control' => 'no-store',
					'Pragma'        => 'no-cache',
				),
				$headers
			)
		);
		return $response;
	}
}
