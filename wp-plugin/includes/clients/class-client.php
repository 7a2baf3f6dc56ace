<?php
/**
 * A registered OAuth client.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * A client row with its RFC 7591 §2 metadata decoded. Secrets are present only
 * as PHC hashes.
 */
final class Client {

	/** @var int Row id. */
	public $id = 0;
	/** @var string `client_id` (RFC 6749 §2.2). */
	public $client_id = '';
	/** @var string|null PHC hash of the client secret; null for public clients. */
	public $client_secret_hash;
	/** @var string|null PHC hash of the registration access token (RFC 7592); null for admin-made clients. */
	public $registration_token_hash;
	/** @var string `none`, `client_secret_basic` or `client_secret_post` (RFC 7591 §2). */
	public $token_endpoint_auth_method = 'none';
	/** @var string[] Registered `redirect_uris`. */
	public $redirect_uris = array();
	/** @var array<string,mixed> All registered metadata (RFC 7591 §2), as returned to the client. */
	public $metadata = array();
	/** @var int User who created it in wp-admin; 0 for dynamic registration. */
	public $registered_by = 0;
	/** @var int Unix seconds. */
	public $created_at = 0;
	/** @var int Unix seconds. */
	public $updated_at = 0;
	/** @var int|null Unix seconds of the last token issued. */
	public $last_used_at;
	/** @var int|null Unix seconds of the first approval; null = never authorized. */
	public $first_authorized_at;
	/** @var int 0 = the secret never expires (RFC 7591 §3.2.1). */
	public $secret_expires_at = 0;

	/**
	 * Builds a client from a database row.
	 *
	 * @param object $row Row of the clients table.
	 * @return self
	 */
	public static function from_row( $row ): self {
		$c                             = new self();
		$c->id                         = (int) $row->id;
		$c->client_id                  = (string) $row->client_id;
		$c->client_secret_hash         = null !== $row->client_secret_hash ? (string) $row->client_secret_hash : null;
		$c->registration_token_hash    = null !== $row->registration_token_hash ? (string) $row->registration_token_hash : null;
		$c->token_endpoint_auth_method = (string) $row->token_endpoint_auth_method;
		$uris                          = json_decode( (string) $row->redirect_uris, true );
		$c->redirect_uris              = is_array( $uris ) ? array_values( array_map( 'strval', $uris ) ) : array();
		$meta                          = json_decode( (string) $row->metadata, true );
		$c->metadata                   = is_array( $meta ) ? $meta : array();
		$c->registered_by              = (int) $row->registered_by;
		$c->created_at                 = (int) $row->created_at;
		$c->updated_at                 = (int) $row->updated_at;
		$c->last_used_at               = null !== $row->last_used_at ? (int) $row->last_used_at : null;
		$c->first_authorized_at        = null !== $row->first_authorized_at ? (int) $row->first_authorized_at : null;
		$c->secret_expires_at          = (int) $row->secret_expires_at;
		return $c;
	}

	/** @return bool Whether the client authenticates with a secret (RFC 6749 §2.1 confidential). */
	public function is_confidential(): bool {
		return 'none' !== $this->token_endpoint_auth_method;
	}

	/**
	 * Display name, with every character that could hide or disguise text removed
	 * (Client_Metadata::neutralize(), for names stored before they were refused), falling back
	 * to the client_id.
	 *
	 * @return string
	 */
	public function name(): string {
		$name = isset( $this->metadata['client_name'] ) ? Client_Metadata::neutralize( (string) $this->metadata['client_name'] ) : '';
		return '' !== $name ? $name : $this->client_id;
	}

	/**
	 * Registered `grant_types` (default `authorization_code`, RFC 7591 §2), plus
	 * `client_credentials` when an administrator bound this confidential, administrator-created
	 * client to a service account (Service_Account_Repository; never through registration).
	 *
	 * @return string[]
	 */
	public function grant_types(): array {
		$types = $this->metadata['grant_types'] ?? array( 'authorization_code' );
		$types = is_array( $types ) ? array_values( array_map( 'strval', $types ) ) : array( 'authorization_code' );
		if ( $this->may_use_client_credentials() && null !== Service_Account_Repository::find( $this->client_id ) ) {
			$types[] = 'client_credentials';
		}
		return $types;
	}

	/** @return bool Whether this client may ever be bound to a service account: confidential and made by an administrator. */
	public function may_use_client_credentials(): bool {
		return $this->is_confidential() && $this->registered_by > 0;
	}

	/** @return string The registered `scope` ceiling, or '' for "any supported scope". */
	public function scope(): string {
		return isset( $this->metadata['scope'] ) ? (string) $this->metadata['scope'] : '';
	}

	/**
	 * Whether `$uri` matches a registered redirect URI: exact string comparison,
	 * except that for loopback redirect URIs over http (`127.0.0.1`, `[::1]`, `localhost`) the
	 * port may differ (RFC 8252 §7.3, OAuth 2.1 §2.3.1); the host itself must match.
	 *
	 * @param string $uri Redirect URI from the request.
	 * @return bool
	 */
	public function matches_redirect_uri( string $uri ): bool {
		foreach ( $this->redirect_uris as $registered ) {
			if ( hash_equals( $registered, $uri ) ) {
				return true;
			}
			if ( self::loopback_without_port( $registered ) === self::loopback_without_port( $uri ) && null !== self::loopback_without_port( $uri ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * For `http://127.0.0.1[:port]/…`, `http://[::1][:port]/…` or `http://localhost[:port]/…`,
	 * the URI with the port removed; else null.
	 *
	 * @param string $uri URI.
	 * @return string|null
	 */
	private static function loopback_without_port( string $uri ): ?string {
		if ( ! preg_match( '#^http://(127\.0\.0\.1|\[::1\]|localhost)(?::(\d{1,5}))?(/[^\#]*)?$#D', $uri, $m ) ) {
			return null;
		}
		return 'http://' . $m[1] . ( $m[3] ?? '' );
	}
}
