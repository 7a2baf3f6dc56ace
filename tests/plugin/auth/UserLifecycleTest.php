<?php
/**
 * Automatic revocation on password change/reset, user deletion and removal from a site.
 */

require_once dirname(__DIR__) . '/LifecycleFixtures.php';

use Wpoa\Grant_Repository;

/**
 * @covers \Wpoa\User_Lifecycle
 */
final class UserLifecycleTest extends PHPUnit\Framework\TestCase
{
    use LifecycleFixtures;

    public function testPasswordChangeRevokesAndSetsTheCutOff(): void
    {
        $userId = self::makeUser();
        $a = self::makeGrant(self::makeClient(), $userId);
        $b = self::makeGrant(self::makeClient(), $userId);
        $other = self::makeGrant(self::makeClient(), wpoa_user('author')->ID);
        $before = time();

        $result = wp_update_user(['ID' => $userId, 'user_pass' => 'a-new-password-' . wp_generate_password(10, false)]);
        $this->assertSame($userId, $result);

        $this->assertRevokedForPasswordChange([$a, $b], $other, $userId, $before);
    }

    public function testProfileUpdateWithoutPasswordChangeRevokesNothing(): void
    {
        $userId = self::makeUser();
        $g = self::makeGrant(self::makeClient(), $userId);
        wp_update_user(['ID' => $userId, 'display_name' => 'Renamed', 'user_email' => "renamed$userId@example.com"]);
        $this->assertSame('active', Grant_Repository::find((int) $g->id)->status);
        $this->assertSame('', get_user_meta($userId, 'wpoa_tokens_valid_after', true));
    }

    public function testLostPasswordResetRevokes(): void
    {
        $userId = self::makeUser();
        $g = self::makeGrant(self::makeClient(), $userId);
        reset_password(get_userdata($userId), 'reset-' . wp_generate_password(16, false));
        $this->assertSame('password_changed', Grant_Repository::find((int) $g->id)->revoked_reason);
        $this->assertNotSame('', get_user_meta($userId, 'wpoa_tokens_valid_after', true));
    }

    /**
     * WordPress 6.7+ (and 6.8, 7.x) fires `wp_set_password` from wp_set_password() with three
     * arguments, after the new hash is stored: ($password, $user_id, $old_user_data). The local
     * WordPress 6.1 does not fire it, so the test fires it exactly as core does.
     */
    /** The user's grants are revoked as `password_changed`, another user's is not, and the cut-off is now. */
    private function assertRevokedForPasswordChange(array $grants, object $other, int $userId, int $before): void
    {
        foreach ($grants as $g) {
            $row = Grant_Repository::find((int) $g->id);
            $this->assertSame('revoked', $row->status);
            $this->assertSame('password_changed', $row->revoked_reason);
        }
        $this->assertSame('active', Grant_Repository::find((int) $other->id)->status);
        $cut = (int) get_user_meta($userId, 'wpoa_tokens_valid_after', true);
        $this->assertGreaterThanOrEqual($before, $cut);
        $this->assertLessThanOrEqual(time(), $cut);
    }

    private static function setPasswordAsNewerCoreDoes(int $userId, string $password, bool $withOldData = true): void
    {
        $old = get_userdata($userId); // core reads it before writing the new hash
        wp_set_password($password, $userId);
        if ($withOldData) {
            do_action('wp_set_password', $password, $userId, $old);
        } else {
            do_action('wp_set_password', $password, $userId); // WordPress 6.2 to 6.6
        }
    }

    /** @return array<int,array> wpoa_user_tokens_revoked calls made by $run */
    private static function revocationsDuring(callable $run): array
    {
        $seen = [];
        $spy = static function (...$a) use (&$seen) { $seen[] = $a; };
        add_action('wpoa_user_tokens_revoked', $spy, 10, 3);
        try {
            $run();
        } finally {
            remove_action('wpoa_user_tokens_revoked', $spy, 10);
        }
        return $seen;
    }

    public function testSetPasswordActionRevokesAsCoreFiresItWithThreeArguments(): void
    {
        $userId = self::makeUser();
        $a = self::makeGrant(self::makeClient(), $userId);
        $b = self::makeGrant(self::makeClient(), $userId);
        $other = self::makeGrant(self::makeClient(), wpoa_user('author')->ID);
        $before = time();

        $seen = self::revocationsDuring(fn () => self::setPasswordAsNewerCoreDoes($userId, 'set-directly-' . wp_generate_password(12, false)));

        $this->assertSame([[$userId, 'password_changed', 2]], $seen);
        $this->assertRevokedForPasswordChange([$a, $b], $other, $userId, $before);
    }

    public function testSetPasswordActionWithTwoArgumentsRevokes(): void
    {
        $userId = self::makeUser();
        $g = self::makeGrant(self::makeClient(), $userId);
        $seen = self::revocationsDuring(fn () => self::setPasswordAsNewerCoreDoes($userId, 'two-args-' . wp_generate_password(12, false), false));
        $this->assertSame([[$userId, 'password_changed', 1]], $seen);
        $this->assertSame('password_changed', Grant_Repository::find((int) $g->id)->revoked_reason);
        $this->assertNotSame('', get_user_meta($userId, 'wpoa_tokens_valid_after', true));
    }

    public function testStoringTheSamePasswordAgainRevokesNothing(): void
    {
        // WordPress 6.8+ rehashes a password at login by calling wp_set_password() with the
        // password just typed: the hash changes, the password does not.
        $userId = self::makeUser();
        $password = 'same-password-' . wp_generate_password(12, false);
        // A real change (on 6.2+ core fires `wp_set_password` for it, which sets the cut-off).
        wp_set_password($password, $userId);
        $g = self::makeGrant(self::makeClient(), $userId);
        $hashBefore = get_userdata($userId)->user_pass;
        $cutBefore = get_user_meta($userId, 'wpoa_tokens_valid_after', true);

        $seen = self::revocationsDuring(fn () => self::setPasswordAsNewerCoreDoes($userId, $password));

        $this->assertNotSame($hashBefore, get_userdata($userId)->user_pass, 'a new hash was stored');
        $this->assertSame([], $seen);
        $this->assertSame('active', Grant_Repository::find((int) $g->id)->status);
        $this->assertSame($cutBefore, get_user_meta($userId, 'wpoa_tokens_valid_after', true), 'the cut-off did not move');
    }

    public function testLoggingInWithAnOldPhpassHashRevokesNothing(): void
    {
        // A site upgraded from WordPress < 6.8 keeps phpass hashes; since 6.8 core's
        // wp_authenticate_username_password() (user.php) calls wp_set_password() with the password
        // just typed when wp_password_needs_rehash() says so, storing a bcrypt `$wp$2y$` hash. That
        // is a login, not a password change. On 6.1 the hash stays phpass and nothing is fired.
        require_once ABSPATH . WPINC . '/class-phpass.php';
        global $wpdb;
        $userId = self::makeUser();
        $password = 'login-rehash-' . wp_generate_password(12, false);
        $phpass = (new PasswordHash(8, true))->HashPassword($password);
        $this->assertStringStartsWith('$P$', $phpass);
        $wpdb->update($wpdb->users, ['user_pass' => $phpass], ['ID' => $userId]);
        clean_user_cache($userId);
        delete_user_meta($userId, 'wpoa_tokens_valid_after');
        $g = self::makeGrant(self::makeClient(), $userId);

        $seen = self::revocationsDuring(function () use ($userId, $password, &$user) {
            $user = wp_authenticate(get_userdata($userId)->user_login, $password);
        });

        $this->assertInstanceOf(WP_User::class, $user);
        $this->assertSame($userId, $user->ID);
        $stored = get_userdata($userId)->user_pass;
        if (function_exists('wp_password_needs_rehash')) {
            $this->assertStringStartsWith('$wp$2y$', $stored, 'WordPress 6.8+ rehashed the password at login');
        } else {
            $this->assertSame($phpass, $stored);
        }
        $this->assertSame([], $seen);
        $this->assertSame('active', Grant_Repository::find((int) $g->id)->status);
        $this->assertSame('', get_user_meta($userId, 'wpoa_tokens_valid_after', true));

        // The same user then changing the password with wp_set_password() is a change.
        $seen = self::revocationsDuring(fn () => wp_set_password('changed-' . wp_generate_password(12, false), $userId));
        if (function_exists('wp_password_needs_rehash')) { // 6.8+: core fires `wp_set_password`
            $this->assertSame([[$userId, 'password_changed', 1]], $seen);
            $this->assertSame('revoked', Grant_Repository::find((int) $g->id)->status);
        }
    }

    public function testPasswordResetRevokesOnceWhenBothHooksFire(): void
    {
        // reset_password() on WordPress 6.2+: wp_set_password() fires `wp_set_password`, then
        // reset_password() fires `after_password_reset` for the same change.
        $userId = self::makeUser();
        $g = self::makeGrant(self::makeClient(), $userId);
        $user = get_userdata($userId);
        $password = 'reset-both-' . wp_generate_password(12, false);
        $seen = self::revocationsDuring(function () use ($userId, $user, $password) {
            self::setPasswordAsNewerCoreDoes($userId, $password);
            do_action('after_password_reset', $user, $password);
        });
        $this->assertSame([[$userId, 'password_changed', 1]], $seen);
        $this->assertSame('password_changed', Grant_Repository::find((int) $g->id)->revoked_reason);

        // A later, different password in the same request is a new change and revokes again.
        $h = self::makeGrant(self::makeClient(), $userId);
        $seen = self::revocationsDuring(fn () => self::setPasswordAsNewerCoreDoes($userId, 'another-' . wp_generate_password(12, false)));
        $this->assertSame([[$userId, 'password_changed', 1]], $seen);
        $this->assertSame('revoked', Grant_Repository::find((int) $h->id)->status);
    }

    public function testDeletingTheUserRevokes(): void
    {
        require_once ABSPATH . 'wp-admin/includes/user.php';
        $userId = self::makeUser();
        $g = self::makeGrant(self::makeClient(), $userId);
        $seen = [];
        $spy = static function (...$a) use (&$seen) { $seen[] = $a; };
        add_action('wpoa_user_tokens_revoked', $spy, 10, 3);
        $this->assertTrue(wp_delete_user($userId));
        remove_action('wpoa_user_tokens_revoked', $spy, 10);
        $this->assertSame('user_deleted', Grant_Repository::find((int) $g->id)->revoked_reason);
        $this->assertSame([[$userId, 'user_deleted', 1]], $seen);
    }

    public function testRemovalFromASiteRevokesThatSitesGrants(): void
    {
        // Single-site test install: the hook is what core fires from remove_user_from_blog().
        $userId = self::makeUser();
        $g = self::makeGrant(self::makeClient(), $userId);
        do_action('remove_user_from_blog', $userId, get_current_blog_id(), 0);
        $this->assertSame('user_removed', Grant_Repository::find((int) $g->id)->revoked_reason);
        $this->assertSame('', get_user_meta($userId, 'wpoa_tokens_valid_after', true), 'removal from one site must not cut tokens on others');
    }
}
