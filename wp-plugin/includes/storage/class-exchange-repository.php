<?php
/**
 * Where a grant came from, for grants made by token exchange.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Column `origin` of `oauth_grants`: null for a grant the user approved on the consent screen,
 * or a JSON object for one made otherwise, e.g. by exchanging an Application Password
 * (`{"type":"application_password","uuid":"…","name":"…"}`, Grant_Token_Exchange).
 */
final class Exchange_Repository {

	/**
	 * Records a grant's origin.
	 *
	 * @param int                  $grant_id Grant.
	 * @param array<string,string> $origin   `type` plus details (at most 255 bytes as JSON; a longer name is cut).
	 * @return bool False when the update failed.
	 */
	public static function set_origin( int $grant_id, array $origin ): bool {
		global $wpdb;
		if ( isset( $origin['name'] ) ) {
			$origin['name'] = mb_substr( (string) $origin['name'], 0, 120 );
		}
		$json = (string) wp_json_encode( $origin );
		return false !== $wpdb->update( Schema::tables()['grants'], array( 'origin' => $json ), array( 'id' => $grant_id ), array( '%s' ), array( '%d' ) );
	}

	/**
	 * A grant row's origin.
	 *
	 * @param object $grant Grant row.
	 * @return array<string,string>|null Null for a grant approved on the consent screen.
	 */
	public static function origin( object $grant ): ?array {
		$data = isset( $grant->origin ) && is_string( $grant->origin ) ? json_decode( $grant->origin, true ) : null;
		return is_array( $data ) && isset( $data['type'] ) ? array_map( 'strval', $data ) : null;
	}
}
