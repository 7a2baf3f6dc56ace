<?php
/**
 * REST /wp-oauth/v1/me/grants and /users/{id}/grants, and the profile section that uses them.
 */

require_once dirname(__DIR__) . '/LifecycleFixtures.php';

use Wpoa\Grant_Repository;

/**
 * @covers \Wpoa\Grants_Controller
 * @covers \Wpoa\Profile_Grants
 */
final class GrantsControllerTest extends PHPUnit\Framework\TestCase
{
    use LifecycleFixtures;

    protected function tearDown(): void
    {
        wp_set_current_user(0);
    }

    private static function call(string $method, string $route): WP_REST_Response
    {
        return rest_get_server()->dispatch(new WP_REST_Request($method, '/wp-oauth/v1/' . $route));
    }

    public function testListShowsOnlyTheCurrentUsersActiveGrants(): void
    {
        $userId = self::makeUser();
        $client = self::makeClient('none', 0, 'Listed App');
        $active = self::makeGrant($client, $userId, 'read write');
        $revoked = self::makeGrant($client, $userId, 'read');
        Grant_Repository::revoke((int) $revoked->id, 'user_revoked');
        $othersGrant = self::makeGrant($client, wpoa_user('author')->ID);
        Grant_Repository::touch((int) $active->id, '203.0.113.9');

        wp_set_current_user($userId);
        $res = self::call('GET', 'me/grants');
        $this->assertSame(200, $res->get_status());
        $items = $res->get_data();
        $this->assertSame([(int) $active->id], array_column($items, 'id'));
        $item = $items[0];
        $this->assertSame($client->client_id, $item['client_id']);
        $this->assertSame('Listed App', $item['client_name']);
        $this->assertSame('read write', $item['scope']);
        $this->assertSame(['read', 'write'], array_column($item['scopes'], 'scope'));
        $this->assertSame('Read', $item['scopes'][0]['label']);
        $this->assertSame((int) $active->created_at, $item['approved_at']);
        $this->assertSame('203.0.113.9', $item['last_used_ip']);
        $this->assertIsInt($item['last_used_at']);
        $this->assertFalse($item['current']);
        $this->assertNotContains((int) $othersGrant->id, array_column($items, 'id'));
    }

    public function testAnonymousGets401(): void
    {
        wp_set_current_user(0);
        foreach ([['GET', 'me/grants'], ['DELETE', 'me/grants'], ['DELETE', 'me/grants/1']] as [$method, $route]) {
            $this->assertSame(401, self::call($method, $route)->get_status(), "$method $route");
        }
    }

    public function testRevokeOneOwnGrant(): void
    {
        $userId = self::makeUser();
        $grant = self::makeGrant(self::makeClient(), $userId);
        $keep = self::makeGrant(self::makeClient(), $userId);
        $seen = [];
        $spy = static function (...$a) use (&$seen) { $seen[] = $a; };
        add_action('wpoa_user_revoked_grant', $spy, 10, 4);

        wp_set_current_user($userId);
        $res = self::call('DELETE', 'me/grants/' . $grant->id);
        remove_action('wpoa_user_revoked_grant', $spy, 10);

        $this->assertSame(200, $res->get_status());
        $this->assertTrue($res->get_data()['revoked']);
        $this->assertSame('revoked', Grant_Repository::find((int) $grant->id)->status);
        $this->assertSame('user_revoked', Grant_Repository::find((int) $grant->id)->revoked_reason);
        $this->assertSame('active', Grant_Repository::find((int) $keep->id)->status);
        $this->assertSame([[(int) $grant->id, $userId, $userId, (string) $grant->client_id]], $seen);
        // Twice: it is gone.
        $this->assertSame(404, self::call('DELETE', 'me/grants/' . $grant->id)->get_status());
    }

    public function testCannotRevokeSomeoneElsesGrantThroughMe(): void
    {
        $victim = self::makeGrant(self::makeClient(), wpoa_user('author')->ID);
        wp_set_current_user(self::makeUser('subscriber'));
        $this->assertSame(404, self::call('DELETE', 'me/grants/' . $victim->id)->get_status());
        $this->assertSame(404, self::call('DELETE', 'me/grants/999999999')->get_status());
        $this->assertSame('active', Grant_Repository::find((int) $victim->id)->status);
    }

    public function testRevokeAll(): void
    {
        $userId = self::makeUser();
        $a = self::makeGrant(self::makeClient(), $userId);
        $b = self::makeGrant(self::makeClient(), $userId);
        $other = self::makeGrant(self::makeClient(), wpoa_user('author')->ID);
        wp_set_current_user($userId);
        $res = self::call('DELETE', 'me/grants');
        $this->assertSame(200, $res->get_status());
        $this->assertSame(['revoked' => 2], $res->get_data());
        $this->assertSame('revoked', Grant_Repository::find((int) $a->id)->status);
        $this->assertSame('revoked', Grant_Repository::find((int) $b->id)->status);
        $this->assertSame('active', Grant_Repository::find((int) $other->id)->status);
        $this->assertSame([], self::call('GET', 'me/grants')->get_data());
    }

    public function testAdministratorsManageUsersTheyCanEdit(): void
    {
        $userId = self::makeUser();
        $grant = self::makeGrant(self::makeClient(), $userId);

        wp_set_current_user(self::makeUser('subscriber'));
        $this->assertSame(403, self::call('GET', "users/$userId/grants")->get_status());
        $this->assertSame(403, self::call('DELETE', "users/$userId/grants/{$grant->id}")->get_status());
        $this->assertSame('active', Grant_Repository::find((int) $grant->id)->status);

        wp_set_current_user(wpoa_user('admin')->ID);
        $this->assertSame([(int) $grant->id], array_column(self::call('GET', "users/$userId/grants")->get_data(), 'id'));
        $this->assertSame(404, self::call('GET', 'users/999999999/grants')->get_status());
        $this->assertSame(200, self::call('DELETE', "users/$userId/grants/{$grant->id}")->get_status());
        $this->assertSame('revoked', Grant_Repository::find((int) $grant->id)->status);
    }

    public function testProfileSectionListsGrantsForPeopleWhoMayEditTheUser(): void
    {
        $userId = self::makeUser();
        $client = self::makeClient('none', 0, 'Profile <b>App</b>');
        $grant = self::makeGrant($client, $userId, 'read');
        $section = new \Wpoa\Profile_Grants();

        wp_set_current_user($userId);
        ob_start();
        $section->render(get_userdata($userId));
        $html = (string) ob_get_clean();
        $this->assertStringContainsString('Authorized applications', $html);
        $this->assertStringContainsString('Profile &lt;b&gt;App&lt;/b&gt;', $html, 'names are escaped');
        $this->assertStringNotContainsString('<b>App</b>', $html);
        $this->assertStringContainsString('data-wpoa-revoke="' . $grant->id . '"', $html);
        $this->assertStringContainsString('data-wpoa-revoke="all"', $html);
        $this->assertStringContainsString('Never', $html);

        wp_set_current_user(self::makeUser('subscriber'));
        ob_start();
        $section->render(get_userdata($userId));
        $this->assertSame('', (string) ob_get_clean());
    }
}
