<?php
/**
 * Automatic revocation when a user's password changes, or the user is deleted or removed.
 *
 * @package Wpoa
 */

namespace Wpoa;

defined( 'ABSPATH' ) || exit;

/**
 * Revokes a user's grants on this site (every access and refresh token with them;
 * on a password change, on every site of a network the user is a member of) when:
 * - the password changes through wp_update_user() (profile screen, REST users
 *   endpoint, admin edit): `profile_update`, comparing the stored hash before/after;
 * - the password is reset through the "lost password" flow: `after_password_reset`;
 * - the password is set by any wp_set_password() call on WordPress 6.2+: `wp_set_password`
 *   (core, plugins, the lost-password flow, and on 6.8+ the rehash at login, which stores
 *   the same password again and is therefore not a change);
 * - the user is deleted: `delete_user` (single site) — on multisite network deletion
 *   core calls remove_user_from_blog() for every site first, which is caught below;
 * - the user is removed from a site on multisite: `remove_user_from_blog` (that site only).
 *
 * On password change or reset it also sets the user meta `wpoa_tokens_valid_after`
 * (Unix seconds; user meta is network-wide on multisite), which bearer
 * authentication, refresh and introspection compare with the token's issue time.
 *
 * One password change is handled once per request even when several of these hooks
 * report it (on 6.2+ reset_password() fires `wp_set_password` and then `after_password_reset`).
 *
 * Not covered: a bare wp_set_password() call on WordPress 6.1 (it fires no action) — call
 * `\Wpoa\User_Lifecycle::revoke_user( $user_id, 'password_changed', true )` after it, or
 * fire `do_action( 'wp_set_password', $password, $user_id, $old_user_data )` as newer core does.
 */
final class User_Lifecycle {

	/** User meta: tokens issued before this Unix time are refused. */
	const META_VALID_AFTER = 'wpoa_tokens_valid_after';

	/**
	 * Password changes already handled in this request: user id => the stored password hash
	 * after the change. A second hook reporting the same hash is the same change.
	 *
	 * @var array<int,string>
	 */
	private $handled = array();

	/**
	 * `profile_update`: revokes when the stored password hash changed.
	 *
	 * @param int           $user_id       User.
	 * @param \WP_User|null $old_user_data The user before the update.
	 */
	public function on_profile_update( $user_id, $old_user_data = null ): void {
		$user = get_userdata( (int) $user_id );
		if ( ! $user || ! $old_user_data instanceof \WP_User ) {
			return;
		}
		if ( ! hash_equals( (string) $old_user_data->user_pass, (string) $user->user_pass ) ) {
			$this->password_changed( (int) $user_id );
		}
	}

	/**
	 * `after_password_reset`: the lost-password flow set a new password.
	 *
	 * @param \WP_User $user The user.
	 */
	public function on_password_reset( $user ): void {
		if ( $user instanceof \WP_User ) {
			$this->password_changed( (int) $user->ID );
		}
	}

	/**
	 * `wp_set_password` (WordPress 6.2+): wp_set_password() stored a new hash. Core fires it
	 * after the write with ($password, $user_id) on 6.2 to 6.6 and ($password, $user_id,
	 * $old_user_data) since 6.7.
	 *
	 * When the user's previous hash is known and the password just set matches it, the
	 * password did not change: since WordPress 6.8, wp_authenticate_username_password() and
	 * wp_authenticate_email_password() (wp-includes/user.php) call
	 * `wp_set_password( $password, $user->ID )` with the password just typed whenever
	 * wp_password_needs_rehash() (wp-includes/pluggable.php) says the stored hash is outdated
	 * (phpass `$P$` to bcrypt `$wp$2y$`, or a new bcrypt cost). That is a login, which must not
	 * sign out the user's apps; a different password is a change and revokes. wp_set_password()
	 * reads `$old_user_data` before it writes (pluggable.php, 6.7+), so its hash is the previous
	 * one. Without the previous hash (6.2 to 6.6) every call counts as a change.
	 *
	 * @param string             $password      The plaintext password just set (only compared, never kept).
	 * @param int                $user_id       User.
	 * @param \WP_User|false|null $old_user_data The user before the write (6.7+), or null.
	 */
	public function on_set_password( $password, $user_id, $old_user_data = null ): void {
		$user_id = (int) $user_id;
		if ( $user_id <= 0 ) {
			return;
		}
		if ( $old_user_data instanceof \WP_User && is_string( $password ) && '' !== (string) $old_user_data->user_pass
			// No user id: core's MD5 upgrade inside wp_check_password() (before 6.8) must not call wp_set_password() again.
			&& wp_check_password( $password, (string) $old_user_data->user_pass ) ) {
			return;
		}
		$this->password_changed( $user_id );
	}

	/**
	 * A user's password changed: revokes their grants on this site and refuses older tokens
	 * everywhere, once per change (the stored hash identifies it).
	 *
	 * @param int $user_id User.
	 */
	private function password_changed( int $user_id ): void {
		$user = get_userdata( $user_id );
		$hash = $user ? (string) $user->user_pass : '';
		if ( '' !== $hash && isset( $this->handled[ $user_id ] ) && hash_equals( $this->handled[ $user_id ], $hash ) ) {
			return;
		}
		$this->handled[ $user_id ] = $hash;
		self::revoke_user( $user_id, 'password_changed', true );
		if ( is_multisite() ) {
			// The password is the network's: end the user's grants on every other site they are a
			// member of too, where the plugin is installed (older tokens are refused everywhere by
			// `wpoa_tokens_valid_after` already; this also ends the grants their profiles list).
			$here = get_current_blog_id();
			foreach ( array_keys( get_blogs_of_user( $user_id ) ) as $blog_id ) {
				if ( (int) $blog_id === $here ) {
					continue;
				}
				switch_to_blog( (int) $blog_id );
				try {
					if ( (int) get_option( Plugin::SCHEMA_OPTION, 0 ) > 0 ) {
						self::revoke_user( $user_id, 'password_changed', false );
					}
				} finally {
					restore_current_blog();
				}
			}
		}
	}

	/**
	 * `delete_user`: the user is about to be deleted from this (single) site.
	 *
	 * @param int $user_id User.
	 */
	public function on_delete_user( $user_id ): void {
		self::revoke_user( (int) $user_id, 'user_deleted', false );
	}

	/**
	 * `remove_user_from_blog`: the user leaves one site of a network (core has already
	 * switched to that site, so the site's own tables are used).
	 *
	 * @param int $user_id User.
	 * @param int $blog_id Site.
	 */
	public function on_remove_user_from_blog( $user_id, $blog_id = 0 ): void {
		$switch = is_multisite() && (int) $blog_id > 0 && get_current_blog_id() !== (int) $blog_id;
		if ( $switch ) {
			switch_to_blog( (int) $blog_id );
		}
		self::revoke_user( (int) $user_id, 'user_removed', false );
		if ( $switch ) {
			restore_current_blog();
		}
	}

	/**
	 * Revokes every active grant of a user on the current site.
	 *
	 * @param int    $user_id          User.
	 * @param string $reason           `password_changed`, `user_deleted`, `user_removed`, or a caller's own reason.
	 * @param bool   $invalidate_older Also set `wpoa_tokens_valid_after` = now (refuses every older token, on every site).
	 * @return int Number of grants revoked.
	 */
	public static function revoke_user( int $user_id, string $reason, bool $invalidate_older ): int {
		if ( $user_id <= 0 ) {
			return 0;
		}
		if ( $invalidate_older ) {
			update_user_meta( $user_id, self::META_VALID_AFTER, time() );
		}
		$count = Grant_Repository::revoke_for_user( $user_id, $reason );
		/**
		 * Fires after a user's grants were revoked automatically.
		 *
		 * @param int    $user_id User.
		 * @param string $reason  `password_changed`, `user_deleted`, `user_removed`, ….
		 * @param int    $count   Grants revoked.
		 */
		do_action( 'wpoa_user_tokens_revoked', $user_id, $reason, $count );
		return $count;
	}
}
