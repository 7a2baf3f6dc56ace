<?php
/**
 * Interface of a token endpoint grant type.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * One `grant_type` of the token endpoint (RFC 6749 §4, §6). The token controller
 * has already checked HTTPS, the method and content type, authenticated the
 * client (RFC 6749 §2.3) and checked that the client may use this grant type.
 */
interface Grant_Handler {

	/**
	 * The `grant_type` value handled, e.g. `authorization_code`.
	 *
	 * @return string
	 */
	public function grant_type(): string;

	/**
	 * Handles a token request.
	 *
	 * @param array<string,string> $params Form parameters of the request (wp_unslash'ed strings).
	 * @param Client               $client The authenticated client.
	 * @return array<string,mixed> The RFC 6749 §5.1 response body.
	 * @throws OAuth_Error With the RFC 6749 §5.2 error.
	 */
	public function handle( array $params, Client $client ): array;
}
