<?php
/**
 * The scope set (RFC 6749 §3.3) and what each scope allows.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Scopes narrow what the user can do; they never widen it. Two allowlists apply to every
 * bearer request, and a request must pass both:
 *
 * - the routes (Route_Policy): each REST route and method needs a scope level, given by a
 *   definition's `routes` key (`read`, `write` or `full`);
 * - the capabilities (Scope_Enforcer): the token's effective capabilities are the user's
 *   intersected with the union of the primitive capabilities its scopes allow (`null`
 *   allows all of the user's).
 *
 * - `read`:  safe methods on routes that expose no secrets: content and profile the user
 *            can see, including private and draft items.
 * - `write`: `read` plus posts, pages, reusable blocks, media, comments, categories and
 *            tags with their revisions and autosaves — within the user's own capabilities.
 * - `full`:  everything the user's account can do (account security, users, settings,
 *            plugins, themes, OAuth grants), except creating credentials that outlive the
 *            token (Application Passwords), which no bearer token does by default.
 */
final class Scopes {

	/** Scope used when a client asks for none (RFC 6749 §3.3 allows a documented default). */
	const DEFAULT_SCOPE = 'read';

	/**
	 * Every scope with its plain-words description and allowed primitive capabilities.
	 * `null` capabilities means "all of the user's".
	 *
	 * @return array<string, array{label:string, description:string, capabilities:?string[], routes?:string}>
	 */
	public static function all(): array {
		/**
		 * Filters the scope set. Add scopes with a label, a plain-words description,
		 * the primitive capabilities they allow (null = all of the user's) and the
		 * route level they open (`routes`: `read`, `write` or `full`; none when absent).
		 *
		 * @param array $scopes Scope definitions keyed by scope token.
		 */
		return (array) apply_filters( 'wpoa_scopes', self::built_in( true ) );
	}

	/**
	 * The scope set as far as what each scope allows goes (`capabilities`, `routes`): all(), or
	 * when no `wpoa_scopes` callback shapes the set, the built-in definitions without their
	 * translated texts (every bearer request reads this; translating the labels is not free).
	 *
	 * @return array<string, array{label:string, description:string, capabilities:?string[], routes?:string}>
	 */
	public static function allowances(): array {
		return has_filter( 'wpoa_scopes' ) ? self::all() : self::BUILT_IN;
	}

	/** Primitive capabilities of the built-in `read` scope. */
	const READ_CAPABILITIES = array( 'read', 'read_private_posts', 'read_private_pages', 'level_0' );

	/** Primitive capabilities of the built-in `write` scope (READ_CAPABILITIES and these). */
	const WRITE_CAPABILITIES = array(
		'read', 'read_private_posts', 'read_private_pages', 'level_0',
		'edit_posts', 'edit_others_posts', 'edit_published_posts', 'edit_private_posts',
		'publish_posts', 'delete_posts', 'delete_others_posts', 'delete_published_posts', 'delete_private_posts',
		'edit_pages', 'edit_others_pages', 'edit_published_pages', 'edit_private_pages',
		'publish_pages', 'delete_pages', 'delete_others_pages', 'delete_published_pages', 'delete_private_pages',
		'upload_files', 'manage_categories', 'moderate_comments', 'unfiltered_html',
		'level_1', 'level_2', 'level_3', 'level_4', 'level_5', 'level_6', 'level_7',
	);

	/** The built-in scopes without their texts: what allowances() returns when no filter shapes the set. */
	const BUILT_IN = array(
		'read'  => array(
			'label'        => '',
			'description'  => '',
			'capabilities' => self::READ_CAPABILITIES,
			'routes'       => 'read',
		),
		'write' => array(
			'label'        => '',
			'description'  => '',
			'capabilities' => self::WRITE_CAPABILITIES,
			'routes'       => 'write',
		),
		'full'  => array(
			'label'        => '',
			'description'  => '',
			'capabilities' => null,
			'routes'       => 'full',
		),
	);

	/**
	 * The built-in scopes.
	 *
	 * @param bool $texts Whether to translate the labels and descriptions ('' when not).
	 * @return array<string, array{label:string, description:string, capabilities:?string[], routes:string}>
	 */
	private static function built_in( bool $texts ): array {
		$scopes = self::BUILT_IN;
		if ( $texts ) {
			$scopes['read']['label']        = __( 'Read', 'wp-oauth' );
			$scopes['read']['description']  = __( 'See your profile and the content you can see on this site, including drafts and private posts. It cannot change anything.', 'wp-oauth' );
			$scopes['write']['label']       = __( 'Write', 'wp-oauth' );
			$scopes['write']['description'] = __( 'Create, edit, publish and delete posts, pages, media, comments, categories and tags, as far as your account allows. It cannot change your account, password or email, your authorized applications, users, settings, plugins or themes.', 'wp-oauth' );
			$scopes['full']['label']        = __( 'Full access', 'wp-oauth' );
			$scopes['full']['description']  = __( 'Do everything your account can do on this site: change your profile, email and password, manage your authorized applications and, if you are an administrator, users, settings, plugins and themes. It never creates Application Passwords.', 'wp-oauth' );
		}
		return $scopes;
	}

	/**
	 * Scope tokens this server supports (for `scopes_supported`, RFC 8414 §2).
	 *
	 * @return string[]
	 */
	public static function supported(): array {
		return array_keys( self::allowances() );
	}

	/**
	 * Splits a `scope` parameter (space-delimited, RFC 6749 §3.3) into unique tokens.
	 *
	 * @param string $scope Raw parameter.
	 * @return string[] Tokens in first-seen order; empty for an empty string.
	 */
	public static function parse( string $scope ): array {
		// Only SP separates scope tokens (RFC 6749 §3.3). trim() without a list would also strip
		// NUL, tab, CR and LF, so "\0" or "read\n" would pass as the default scope or as "read";
		// kept in a token, they make it unknown (invalid_scope).
		$tokens = preg_split( '/ +/', trim( $scope, ' ' ), -1, PREG_SPLIT_NO_EMPTY );
		return array_values( array_unique( is_array( $tokens ) ? $tokens : array() ) );
	}

	/**
	 * Tokens that are not supported (RFC 6749 §3.3 scope-token syntax included).
	 *
	 * @param string[] $tokens Parsed tokens.
	 * @return string[] The unknown ones.
	 */
	public static function unknown( array $tokens ): array {
		$supported = self::supported();
		return array_values( array_filter( $tokens, static fn( $t ) => ! in_array( $t, $supported, true ) ) );
	}

	/**
	 * Canonical string of tokens, in the order of the scope set.
	 *
	 * @param string[] $tokens Tokens.
	 * @return string
	 */
	public static function to_string( array $tokens ): string {
		return implode( ' ', array_values( array_intersect( self::supported(), $tokens ) ) );
	}

	/**
	 * Whether every token of $requested is in $granted.
	 *
	 * @param string $requested Space-delimited.
	 * @param string $granted   Space-delimited.
	 * @return bool
	 */
	public static function is_subset( string $requested, string $granted ): bool {
		return array() === array_diff( self::parse( $requested ), self::parse( $granted ) );
	}

	/**
	 * The primitive capabilities a scope string allows, or null for "all of the user's".
	 *
	 * @param string $scope Space-delimited.
	 * @return string[]|null
	 */
	public static function capabilities( string $scope ): ?array {
		$all  = self::allowances();
		$caps = array();
		foreach ( self::parse( $scope ) as $token ) {
			if ( ! isset( $all[ $token ] ) ) {
				continue;
			}
			if ( null === $all[ $token ]['capabilities'] ) {
				return null;
			}
			$caps = array_merge( $caps, $all[ $token ]['capabilities'] );
		}
		return array_values( array_unique( $caps ) );
	}
}
