<?php
require_once dirname(__DIR__) . '/BearerRequest.php';

/**
 * Scope narrowing through WordPress's own capability checks, on real users and real REST routes.
 *
 * Expected outcomes are literals from the role definitions of WordPress (an author may
 * publish their own posts, a subscriber may not edit others' posts, an administrator may
 * manage options) and the scope table in class-scopes.php.
 *
 * @covers \Wpoa\Scope_Enforcer
 * @covers \Wpoa\Route_Policy
 */
final class ScopeEnforcerTest extends PHPUnit\Framework\TestCase
{
    use BearerRequest;

    /** @var array<string,mixed> */
    private $server;

    protected function setUp(): void
    {
        $this->server = $_SERVER;
        $this->auth()->reset();
        $this->enforcer()->reset();
        wp_set_current_user(0);
    }

    protected function tearDown(): void
    {
        $_SERVER = $this->server;
        $this->auth()->reset();
        $this->enforcer()->reset();
        wp_set_current_user(0);
    }



    /**
     * role, scope, capability, expected.
     *
     * @return array<string, array{0:string,1:string,2:string,3:bool}>
     */
    public function matrix(): array
    {
        return [
            'author read: read' => ['author', 'read', 'read', true],
            'author read: edit_posts' => ['author', 'read', 'edit_posts', false],
            'author read: upload_files' => ['author', 'read', 'upload_files', false],
            'author write: edit_posts' => ['author', 'write', 'edit_posts', true],
            'author write: publish_posts' => ['author', 'write', 'publish_posts', true],
            'author write: upload_files' => ['author', 'write', 'upload_files', true],
            'author full: edit_others_posts (never more than the user)' => ['author', 'full', 'edit_others_posts', false],
            'author write: manage_options' => ['author', 'write', 'manage_options', false],
            'subscriber full: edit_posts' => ['subscriber', 'full', 'edit_posts', false],
            'subscriber full: read' => ['subscriber', 'full', 'read', true],
            'admin read: manage_options' => ['admin', 'read', 'manage_options', false],
            'admin read: edit_others_posts' => ['admin', 'read', 'edit_others_posts', false],
            'admin write: edit_others_posts' => ['admin', 'write', 'edit_others_posts', true],
            'admin write: manage_options' => ['admin', 'write', 'manage_options', false],
            'admin write: list_users' => ['admin', 'write', 'list_users', false],
            'admin full: manage_options' => ['admin', 'full', 'manage_options', true],
            'admin full: list_users' => ['admin', 'full', 'list_users', true],
            'admin read write: publish_pages' => ['admin', 'read write', 'publish_pages', true],
            'admin empty scope: read' => ['admin', '', 'read', false],
        ];
    }

    /** @dataProvider matrix */
    public function testCapabilityMatrix(string $role, string $scope, string $cap, bool $expected): void
    {
        $this->actAs($role, $scope);
        $this->assertSame($expected, current_user_can($cap));
    }

    public function testTheSetWithoutItsTextsAllowsWhatTheFullSetAllows(): void
    {
        // What bearer requests read (no translations) against what the consent screen shows.
        $strip = static fn(array $defs) => array_map(static fn(array $d) => [$d['capabilities'], $d['routes'] ?? null], $defs);
        $this->assertSame($strip(\Wpoa\Scopes::all()), $strip(\Wpoa\Scopes::allowances()));
        $this->assertSame(['read', 'write', 'full'], \Wpoa\Scopes::supported());
    }

    public function testAScopeAddedByAPluginNarrowsAsItsDefinitionSays(): void
    {
        $add = static function (array $scopes): array {
            $scopes['media'] = ['label' => 'Media', 'description' => 'Upload files.', 'capabilities' => ['read', 'upload_files'], 'routes' => 'write'];
            return $scopes;
        };
        add_filter('wpoa_scopes', $add);
        try {
            $this->assertSame(['read', 'upload_files'], \Wpoa\Scopes::capabilities('media'));
            $this->assertSame(\Wpoa\Scopes::all(), \Wpoa\Scopes::allowances(), 'a filtered set is read whole');
            $this->actAs('author', 'media');
            $this->assertTrue(current_user_can('upload_files'));
            $this->assertFalse(current_user_can('edit_posts'), 'what the added scope does not list stays refused');
            $this->assertSame(\Wpoa\Route_Policy::LEVELS['write'], \Wpoa\Route_Policy::token_level('media'));
        } finally {
            remove_filter('wpoa_scopes', $add);
        }
        $this->assertSame([], \Wpoa\Scopes::capabilities('media'), 'gone with its filter');
    }

    public function testMetaCapabilitiesNarrowToo(): void
    {
        $author = wpoa_user('author');
        $post = wp_insert_post(['post_title' => 'Scope meta', 'post_status' => 'draft', 'post_author' => $author->ID]);
        $this->assertIsInt($post);
        $this->actAs('author', 'read');
        $this->assertTrue(current_user_can('read_post', $post), 'own draft readable');
        $this->assertFalse(current_user_can('edit_post', $post));
        $this->assertFalse(current_user_can('delete_post', $post));
        $this->actAs('author', 'write');
        $this->assertTrue(current_user_can('edit_post', $post));
        wp_delete_post($post, true);
    }

    public function testOtherUsersAreNotNarrowed(): void
    {
        $this->actAs('author', 'read');
        $admin = wpoa_user('admin');
        $this->assertTrue(user_can($admin, 'manage_options'), 'only the token user is narrowed');
        $this->assertFalse(current_user_can('edit_posts'));
    }

    public function testWithoutBearerNothingChanges(): void
    {
        $author = wpoa_user('author');
        wp_set_current_user($author->ID);
        $this->assertTrue(current_user_can('edit_posts'));
        $this->assertTrue(current_user_can('publish_posts'));
        $this->assertSame([], $this->enforcer()->denied());
    }

    public function testDeniedRemembersOnlyWhatTheUserHad(): void
    {
        $this->actAs('author', 'read');
        current_user_can('edit_posts');
        current_user_can('manage_options');
        $this->assertSame(['edit_posts'], $this->enforcer()->denied());
    }

    /** @return array<string, array{0:string[],1:string}> */
    public function neededScopes(): array
    {
        return [
            'read' => [['read'], 'read'],
            'write' => [['edit_posts', 'upload_files'], 'write'],
            'full' => [['manage_options'], 'full'],
        ];
    }

    /** @dataProvider neededScopes */
    public function testScopeFor(array $caps, string $scope): void
    {
        $this->assertSame($scope, $this->enforcer()->scope_for($caps));
    }

    public function testReadOnlyTokenCannotCreateAPostAndGetsInsufficientScope(): void
    {
        $this->actAs('admin', 'read');
        $response = $this->dispatch('POST', '/wp/v2/posts', ['title' => 'Should not exist', 'status' => 'draft']);
        $this->assertSame(403, $response->get_status());
        // The route table refuses before the route runs.
        $this->assertSame('insufficient_scope', $response->get_data()['code']);
        $this->assertSame(['status' => 403, 'scope' => 'write'], $response->get_data()['data']);
        $this->assertSame(
            'Bearer realm="localhost", error="insufficient_scope", error_description="The access token does not allow this request (scope needed: write).", scope="read write", resource_metadata="'
            . wpoa_site()['url'] . '/.well-known/oauth-protected-resource/wp-json/' . '"',
            $response->get_headers()['WWW-Authenticate']
        );
        global $wpdb;
        $this->assertSame('0', $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->posts} WHERE post_title = 'Should not exist'"));
    }

    public function testWriteTokenCreatesAPost(): void
    {
        $uid = $this->actAs('author', 'write');
        $response = $this->dispatch('POST', '/wp/v2/posts', ['title' => 'Scoped write', 'status' => 'draft']);
        $this->assertSame(201, $response->get_status());
        $this->assertArrayNotHasKey('WWW-Authenticate', $response->get_headers());
        $post = get_post($response->get_data()['id']);
        $this->assertSame('Scoped write', $post->post_title);
        $this->assertSame($uid, (int) $post->post_author);
        wp_delete_post($post->ID, true);
    }

    public function testSettingsNeedFull(): void
    {
        $this->actAs('admin', 'write');
        $response = $this->dispatch('GET', '/wp/v2/settings');
        $this->assertSame(403, $response->get_status());
        $this->assertStringContainsString('scope="write full"', $response->get_headers()['WWW-Authenticate']);

        $this->actAs('admin', 'full');
        $this->assertSame(200, $this->dispatch('GET', '/wp/v2/settings')->get_status());
    }

    public function testForbiddenBeyondTheUsersOwnRightsIsNotAScopeProblem(): void
    {
        // A subscriber with a full token: the 403 comes from the role, not the scope.
        $this->actAs('subscriber', 'full');
        $response = $this->dispatch('POST', '/wp/v2/posts', ['title' => 'Nope']);
        $this->assertSame(403, $response->get_status());
        $this->assertArrayNotHasKey('WWW-Authenticate', $response->get_headers());
    }
}
