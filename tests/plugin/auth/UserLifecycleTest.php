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

        foreach ([$a, $b] as $g) {
            $row = Grant_Repository::find((int) $g->id);
            $this->assertSame('revoked', $row->status);
            $this->assertSame('password_changed', $row->revoked_reason);
        }
        $this->assertSame('active', Grant_Repository::find((int) $other->id)->status);
        $cut = (int) get_user_meta($userId, 'wpoa_tokens_valid_after', true);
        $this->assertGreaterThanOrEqual($before, $cut);
        $this->assertLessThanOrEqual(time(), $cut);
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
