<?php
require_once dirname(__DIR__) . '/BearerRequest.php';

/**
 * The route × method × scope allowlist, walked over every route registered on the REST server
 * at test time: WordPress core's, this plugin's and a fake third-party plugin's.
 *
 * EXPECTED below is this test's own statement of the policy, written by hand from
 * docs/scopes.md's prose (not generated from the code): a route shape the table does not list
 * follows the documented rule for unclassified routes (GET `read`, any other method `full`).
 *
 * @covers \Wpoa\Route_Policy
 * @covers \Wpoa\Scope_Enforcer
 */
final class RoutePolicyTest extends PHPUnit\Framework\TestCase
{
    use BearerRequest;

    /**
     * Least scope per route shape and method, as the documentation promises it.
     * "C" = content (GET read, every write `write`), "D" = design (GET read, writes `full`),
     * "F" = everything `full`, otherwise "METHOD:level" pairs.
     */
    private const EXPECTED = [
        '/' => 'GET:read',
        '/batch/v1' => 'POST:read',
        '/oembed/1.0' => 'GET:read',
        '/oembed/1.0/embed' => 'GET:read',
        '/oembed/1.0/proxy' => 'GET:write',
        '/wp/v2' => 'GET:read',
        '/wp/v2/posts' => 'C', '/wp/v2/posts/{id}' => 'C',
        '/wp/v2/posts/{parent}/revisions' => 'C', '/wp/v2/posts/{parent}/revisions/{id}' => 'C',
        '/wp/v2/posts/{id}/autosaves' => 'C', '/wp/v2/posts/{parent}/autosaves/{id}' => 'C',
        '/wp/v2/pages' => 'C', '/wp/v2/pages/{id}' => 'C',
        '/wp/v2/pages/{parent}/revisions' => 'C', '/wp/v2/pages/{parent}/revisions/{id}' => 'C',
        '/wp/v2/pages/{id}/autosaves' => 'C', '/wp/v2/pages/{parent}/autosaves/{id}' => 'C',
        '/wp/v2/blocks' => 'C', '/wp/v2/blocks/{id}' => 'C',
        '/wp/v2/blocks/{parent}/revisions' => 'C', '/wp/v2/blocks/{parent}/revisions/{id}' => 'C',
        '/wp/v2/blocks/{id}/autosaves' => 'C', '/wp/v2/blocks/{parent}/autosaves/{id}' => 'C',
        '/wp/v2/media' => 'C', '/wp/v2/media/{id}' => 'C',
        '/wp/v2/media/{id}/post-process' => 'POST:write', '/wp/v2/media/{id}/edit' => 'POST:write',
        '/wp/v2/comments' => 'C', '/wp/v2/comments/{id}' => 'C',
        '/wp/v2/categories' => 'C', '/wp/v2/categories/{id}' => 'C',
        '/wp/v2/tags' => 'C', '/wp/v2/tags/{id}' => 'C',
        '/wp/v2/types' => 'GET:read', '/wp/v2/types/{type}' => 'GET:read',
        '/wp/v2/statuses' => 'GET:read', '/wp/v2/statuses/{status}' => 'GET:read',
        '/wp/v2/taxonomies' => 'GET:read', '/wp/v2/taxonomies/{taxonomy}' => 'GET:read',
        '/wp/v2/search' => 'GET:read',
        '/wp/v2/block-renderer/{name}' => 'GET:read POST:read',
        '/wp/v2/block-types' => 'GET:read', '/wp/v2/block-types/{namespace}' => 'GET:read',
        '/wp/v2/block-types/{namespace}/{name}' => 'GET:read',
        '/wp/v2/block-patterns/patterns' => 'GET:read', '/wp/v2/block-patterns/categories' => 'GET:read',
        '/wp/v2/pattern-directory/patterns' => 'GET:read',
        '/wp-block-editor/v1/url-details' => 'GET:write',
        '/wp/v2/users' => 'GET:read POST:full',
        '/wp/v2/users/{id}' => 'GET:read POST:full PUT:full PATCH:full DELETE:full',
        '/wp/v2/users/me' => 'GET:read POST:full PUT:full PATCH:full DELETE:full',
        '/wp/v2/users/{user_id}/application-passwords' => 'GET:full POST:never DELETE:full',
        '/wp/v2/users/{user_id}/application-passwords/introspect' => 'GET:full',
        '/wp/v2/users/{user_id}/application-passwords/{uuid}' => 'F',
        '/wp/v2/settings' => 'F',
        '/wp/v2/plugins' => 'F', '/wp/v2/plugins/{plugin}' => 'F',
        '/wp/v2/block-directory/search' => 'F',
        '/wp-site-health/v1/tests/background-updates' => 'F', '/wp-site-health/v1/tests/loopback-requests' => 'F',
        '/wp-site-health/v1/tests/https-status' => 'F', '/wp-site-health/v1/tests/dotorg-communication' => 'F',
        '/wp-site-health/v1/tests/authorization-header' => 'F', '/wp-site-health/v1/tests/page-cache' => 'F',
        '/wp-site-health/v1/directory-sizes' => 'F',
        '/wp-block-editor/v1/export' => 'F', '/wp-block-editor/v1/navigation-fallback' => 'F',
        '/wp/v2/themes' => 'D', '/wp/v2/themes/{stylesheet}' => 'D',
        '/wp/v2/sidebars' => 'D', '/wp/v2/sidebars/{id}' => 'D',
        '/wp/v2/widget-types' => 'D', '/wp/v2/widget-types/{id}' => 'D',
        '/wp/v2/widget-types/{id}/encode' => 'POST:read', '/wp/v2/widget-types/{id}/render' => 'POST:read',
        '/wp/v2/widgets' => 'D', '/wp/v2/widgets/{id}' => 'D',
        '/wp/v2/menu-locations' => 'D', '/wp/v2/menu-locations/{location}' => 'D',
        '/wp/v2/menus' => 'D', '/wp/v2/menus/{id}' => 'D',
        '/wp/v2/menu-items' => 'D', '/wp/v2/menu-items/{id}' => 'D',
        '/wp/v2/menu-items/{id}/autosaves' => 'D', '/wp/v2/menu-items/{parent}/autosaves/{id}' => 'D',
        '/wp/v2/navigation' => 'D', '/wp/v2/navigation/{id}' => 'D',
        '/wp/v2/navigation/{parent}/revisions' => 'D', '/wp/v2/navigation/{parent}/revisions/{id}' => 'D',
        '/wp/v2/navigation/{id}/autosaves' => 'D', '/wp/v2/navigation/{parent}/autosaves/{id}' => 'D',
        '/wp/v2/templates' => 'D', '/wp/v2/templates/lookup' => 'D', '/wp/v2/templates/{id}' => 'D',
        '/wp/v2/templates/{parent}/revisions' => 'D', '/wp/v2/templates/{parent}/revisions/{id}' => 'D',
        '/wp/v2/templates/{id}/autosaves' => 'D', '/wp/v2/templates/{parent}/autosaves/{id}' => 'D',
        '/wp/v2/template-parts' => 'D', '/wp/v2/template-parts/lookup' => 'D', '/wp/v2/template-parts/{id}' => 'D',
        '/wp/v2/template-parts/{parent}/revisions' => 'D', '/wp/v2/template-parts/{parent}/revisions/{id}' => 'D',
        '/wp/v2/template-parts/{id}/autosaves' => 'D', '/wp/v2/template-parts/{parent}/autosaves/{id}' => 'D',
        '/wp/v2/global-styles/{id}' => 'D', '/wp/v2/global-styles/themes/{stylesheet}' => 'D',
        '/wp/v2/global-styles/themes/{stylesheet}/variations' => 'D',
        '/wp/v2/global-styles/{parent}/revisions' => 'D', '/wp/v2/global-styles/{parent}/revisions/{id}' => 'D',
        '/wp/v2/font-collections' => 'D', '/wp/v2/font-collections/{slug}' => 'D',
        '/wp/v2/font-families' => 'D', '/wp/v2/font-families/{id}' => 'D',
        '/wp/v2/font-families/{font_family_id}/font-faces' => 'D', '/wp/v2/font-families/{font_family_id}/font-faces/{id}' => 'D',
        '/wp-oauth/v1' => 'GET:read', '/wp-oauth/v1/metadata' => 'GET:read',
        '/wp-oauth/v1/resource-metadata' => 'GET:read', '/wp-oauth/v1/jwks' => 'GET:read',
        '/wp-oauth/v1/me/grants' => 'F', '/wp-oauth/v1/me/grants/{id}' => 'F',
        '/wp-oauth/v1/users/{user_id}/grants' => 'F', '/wp-oauth/v1/users/{user_id}/grants/{id}' => 'F',
        '/wp-oauth/v1/site-health/authorization-header' => 'F', '/wp-oauth/v1/site-health/well-known' => 'F',
        '/wp-oauth/v1/site-health/credentials' => 'F',
    ];

    private const RANK = ['read' => 1, 'write' => 2, 'full' => 3, 'never' => 4];

    /** @var array<string,mixed> */
    private static $server;

    public static function setUpBeforeClass(): void
    {
        self::$server = $_SERVER;
        // A third-party plugin that knows nothing of OAuth: a read route, a write route, and
        // a route it classifies itself as `write` through the documented filter.
        add_action('rest_api_init', [self::class, 'registerFakePlugin']);
        add_filter('wpoa_route_scopes', [self::class, 'classifyFakePlugin']);
        \Wpoa\Route_Policy::reset();
        $GLOBALS['wp_rest_server'] = null;
        rest_get_server();
    }

    public static function tearDownAfterClass(): void
    {
        remove_action('rest_api_init', [self::class, 'registerFakePlugin']);
        remove_filter('wpoa_route_scopes', [self::class, 'classifyFakePlugin']);
        \Wpoa\Route_Policy::reset();
        $GLOBALS['wp_rest_server'] = null;
        $_SERVER = self::$server;
        wp_set_current_user(0);
    }

    public static function registerFakePlugin(): void
    {
        $yes = static fn () => new WP_REST_Response(['ran' => true]);
        register_rest_route('fake-shop/v1', '/things', [
            ['methods' => 'GET', 'callback' => $yes, 'permission_callback' => 'is_user_logged_in'],
            ['methods' => 'POST', 'callback' => $yes, 'permission_callback' => 'is_user_logged_in'],
        ]);
        register_rest_route('fake-shop/v1', '/things/(?P<id>[\d]+)', [
            ['methods' => 'GET, PUT, DELETE', 'callback' => $yes, 'permission_callback' => 'is_user_logged_in'],
        ]);
    }

    public static function classifyFakePlugin(array $table): array
    {
        $table['/fake-shop/v1/things/{id}'] = ['GET' => 'read', 'PUT' => 'write'];
        return $table;
    }

    protected function tearDown(): void
    {
        $this->auth()->reset();
        $this->enforcer()->reset();
        wp_set_current_user(0);
    }



    /** The expected least scope for a shape and method, from EXPECTED or the unclassified rule. */
    private static function expected(string $shape, string $method): string
    {
        $method = 'HEAD' === $method ? 'GET' : $method;
        $fake = ['/fake-shop/v1/things/{id}' => 'GET:read PUT:write'];
        $row = self::EXPECTED[$shape] ?? $fake[$shape] ?? null;
        $levels = [];
        if ('C' === $row) {
            $levels = ['GET' => 'read', 'POST' => 'write', 'PUT' => 'write', 'PATCH' => 'write', 'DELETE' => 'write'];
        } elseif ('D' === $row) {
            $levels = ['GET' => 'read', 'POST' => 'full', 'PUT' => 'full', 'PATCH' => 'full', 'DELETE' => 'full'];
        } elseif ('F' === $row) {
            $levels = ['GET' => 'full', 'POST' => 'full', 'PUT' => 'full', 'PATCH' => 'full', 'DELETE' => 'full'];
        } elseif (null !== $row) {
            foreach (explode(' ', $row) as $pair) {
                [$m, $l] = explode(':', $pair);
                $levels[$m] = $l;
            }
        }
        return $levels[$method] ?? ('GET' === $method ? 'read' : 'full');
    }

    /**
     * A concrete path for a route pattern: each named group gets the first sample value it
     * matches, and the whole path must be matched to this very pattern by the REST server.
     */
    private static function samplePath(string $pattern, array $routes): ?string
    {
        $samples = ['1', 'me', 'core', 'paragraph', 'twentytwentythree', 'twentytwentythree//home', 'primary',
            'hello-dolly', 'akismet/akismet', '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0', 'widget_1', 'block-1', 'x'];
        $path = preg_replace_callback('/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/', static fn ($m) => "\0" . $m[1] . "\0", $pattern);
        $shape = \Wpoa\Route_Policy::shape($pattern);
        $names = [];
        preg_match_all('/\{([A-Za-z_][A-Za-z0-9_]*)\}/', $shape, $names);
        $candidates = [$shape];
        foreach ($names[1] as $name) {
            $next = [];
            foreach ($candidates as $c) {
                foreach ($samples as $v) {
                    $next[] = preg_replace('/\{' . $name . '\}/', $v, $c, 1);
                }
            }
            $candidates = array_slice($next, 0, 400);
        }
        foreach ($candidates as $candidate) {
            if (1 !== preg_match('@^' . $pattern . '$@i', $candidate)) {
                continue;
            }
            foreach ($routes as $other => $unused) {
                if (1 === preg_match('@^' . $other . '$@i', $candidate)) {
                    if ($other === $pattern) {
                        return $candidate;
                    }
                    break;
                }
            }
        }
        return null;
    }

    /** @return array<string, array{0:string,1:string}> */
    public function tokens(): array
    {
        return [
            'administrator, read' => ['admin', 'read'],
            'administrator, write' => ['admin', 'write'],
            'administrator, full' => ['admin', 'full'],
            'author, read' => ['author', 'read'],
            'author, write' => ['author', 'write'],
            'author, full' => ['author', 'full'],
        ];
    }

    /**
     * Every route and method on the server, through the real hook with a real token: the
     * decision equals EXPECTED, and an unclassified write is refused to read and write tokens.
     *
     * @dataProvider tokens
     */
    public function testEveryRegisteredRouteAndMethodFollowsTheTable(string $role, string $scope): void
    {
        $this->actAs($role, $scope);
        $server = rest_get_server();
        $routes = $server->get_routes();
        $this->assertArrayHasKey('/fake-shop/v1/things', $routes, 'the fake plugin is registered');
        $checked = 0;
        $unsampled = [];
        $mismatches = [];
        foreach ($routes as $pattern => $handlers) {
            $shape = \Wpoa\Route_Policy::shape($pattern);
            $path = self::samplePath($pattern, $routes);
            if (null === $path) {
                $unsampled[] = $shape;
            }
            foreach ($handlers as $handler) {
                foreach (array_keys(array_filter($handler['methods'])) as $method) {
                    $want = self::RANK[$scope] >= self::RANK[self::expected($shape, $method)];
                    if (null !== $path) {
                        $request = new WP_REST_Request($method, $path);
                        $this->enforcer()->reset();
                        $result = $this->enforcer()->enforce_route(null, $handler, $request);
                        $got = !($result instanceof WP_Error);
                        if (!$got) {
                            $this->assertSame('insufficient_scope', $result->get_error_code());
                            $this->assertSame(403, $result->get_error_data()['status']);
                        }
                    } else {
                        $got = \Wpoa\Route_Policy::allows($shape, $method, $scope);
                    }
                    if ($got !== $want) {
                        $mismatches[] = sprintf('%s %s (%s): got %s, want %s', $method, $shape, $path ?? 'no sample path', $got ? 'allowed' : 'refused', $want ? 'allowed' : 'refused');
                    }
                    $checked++;
                }
            }
        }
        $this->assertSame([], $mismatches);
        $this->assertGreaterThan(150, $checked, 'the whole server was walked');
        // Patterns no concrete path reaches before an earlier route does (core's own order:
        // `/templates/{id}` swallows `/templates/x/revisions`) are decided on their shape.
        $this->assertLessThan(10, count($unsampled), 'nearly every route went through the real hook: ' . implode(', ', $unsampled));
    }

    /** Every shape the code classifies is stated here too, so no row escapes this test. */
    public function testTheCodeClassifiesNothingThisTestDoesNotState(): void
    {
        $extra = array_diff(array_keys(\Wpoa\Route_Policy::builtin()), array_keys(self::EXPECTED));
        $this->assertSame([], array_values($extra));
        foreach (\Wpoa\Route_Policy::builtin() as $shape => $methods) {
            foreach ($methods as $method => $level) {
                $this->assertSame(self::expected($shape, $method), $level, "$method $shape");
            }
        }
    }

    public function testUnclassifiedWritesNeedFullAndReadsAreOpen(): void
    {
        $this->assertFalse(\Wpoa\Route_Policy::allows('/fake-shop/v1/things', 'POST', 'read'));
        $this->assertFalse(\Wpoa\Route_Policy::allows('/fake-shop/v1/things', 'POST', 'read write'));
        $this->assertTrue(\Wpoa\Route_Policy::allows('/fake-shop/v1/things', 'POST', 'full'));
        $this->assertTrue(\Wpoa\Route_Policy::allows('/fake-shop/v1/things', 'GET', 'read'));
        $this->assertTrue(\Wpoa\Route_Policy::allows('/fake-shop/v1/things', 'HEAD', 'read'));
        // A method the classified row does not name falls back to the unclassified rule.
        $this->assertTrue(\Wpoa\Route_Policy::allows('/fake-shop/v1/things/{id}', 'PUT', 'write'));
        $this->assertFalse(\Wpoa\Route_Policy::allows('/fake-shop/v1/things/{id}', 'DELETE', 'write'));
        // OPTIONS is answered by core without running the route.
        $this->assertTrue(\Wpoa\Route_Policy::allows('/wp/v2/settings', 'OPTIONS', 'read'));
        // A scope that names no route level opens nothing; an unknown level means never.
        $this->assertFalse(\Wpoa\Route_Policy::allows('/wp/v2/posts', 'GET', ''));
        $this->assertFalse(\Wpoa\Route_Policy::allows('/wp/v2/posts', 'GET', 'bogus'));
    }

    public function testShapesOfCorePatterns(): void
    {
        $this->assertSame('/wp/v2/posts/{id}', \Wpoa\Route_Policy::shape('/wp/v2/posts/(?P<id>[\d]+)'));
        $this->assertSame('/wp/v2/templates/{id}', \Wpoa\Route_Policy::shape('/wp/v2/templates/(?P<id>([^\/:<>\*\?"\|]+(?:\/[^\/:<>\*\?"\|]+)?)[\/\w%-]+)'));
        $this->assertSame('/wp/v2/global-styles/themes/{stylesheet}', \Wpoa\Route_Policy::shape('/wp/v2/global-styles/themes/(?P<stylesheet>[\/\s%\w\.\(\)\[\]\@_\-]+)'));
        $this->assertSame('/wp/v2/plugins/{plugin}', \Wpoa\Route_Policy::shape('/wp/v2/plugins/(?P<plugin>[^.\/]+(?:\/[^.\/]+)?)'));
        $this->assertSame('/x/(?P<broken', \Wpoa\Route_Policy::shape('/x/(?P<broken'));
    }

    /** @return array<string, array{0:string,1:string}> */
    public function everyScope(): array
    {
        return $this->tokens();
    }

    /**
     * No bearer token mints an Application Password, whatever its scope; nothing is stored.
     *
     * @dataProvider everyScope
     */
    public function testNoTokenCreatesAnApplicationPassword(string $role, string $scope): void
    {
        $uid = $this->actAs($role, $scope);
        $before = count(WP_Application_Passwords::get_user_application_passwords($uid));
        foreach (['/wp/v2/users/me/application-passwords', "/wp/v2/users/$uid/application-passwords"] as $route) {
            $response = $this->dispatch('POST', $route, ['name' => 'minted by a token']);
            $this->assertSame(403, $response->get_status(), $route);
            $this->assertSame('insufficient_scope', $response->get_data()['code']);
            $this->assertStringContainsString('cannot create credentials that would outlive it', $response->get_data()['message']);
            $challenge = $response->get_headers()['WWW-Authenticate'];
            $this->assertStringContainsString('error="insufficient_scope"', $challenge);
            $this->assertStringNotContainsString(' scope="', $challenge, 'no scope would do');
        }
        $this->assertCount($before, WP_Application_Passwords::get_user_application_passwords($uid));
    }

    public function testASiteMayAllowMintingToFullTokensOnly(): void
    {
        $allow = static fn () => true;
        add_filter('wpoa_bearer_may_mint_credentials', $allow);
        try {
            $this->assertTrue(\Wpoa\Route_Policy::allows('/wp/v2/users/{user_id}/application-passwords', 'POST', 'full'));
            $this->assertFalse(\Wpoa\Route_Policy::allows('/wp/v2/users/{user_id}/application-passwords', 'POST', 'read write'));
        } finally {
            remove_filter('wpoa_bearer_may_mint_credentials', $allow);
        }
        $this->assertFalse(\Wpoa\Route_Policy::allows('/wp/v2/users/{user_id}/application-passwords', 'POST', 'full'));
    }

    /** @return array<string, array{0:string}> */
    public function narrowScopes(): array
    {
        return ['read' => ['read'], 'write' => ['write'], 'read write' => ['read write']];
    }

    /**
     * The account stays the user's: email, password, profile, roles, Application Passwords and
     * other grants are out of reach of read and write tokens, also through /batch/v1.
     *
     * @dataProvider narrowScopes
     */
    public function testNarrowTokensCannotTouchTheAccount(string $scope): void
    {
        $admin = wpoa_user('admin');
        $appPassword = WP_Application_Passwords::create_new_application_password($admin->ID, ['name' => 'kept']);
        $this->assertIsArray($appPassword);
        $other = \Wpoa\Grant_Repository::create('route-other', $admin->ID, 'read', \Wpoa\Urls::audience(), time());
        $uid = $this->actAs('admin', $scope);
        $email = get_userdata($uid)->user_email;
        $hash = get_userdata($uid)->user_pass;
        $uuid = $appPassword[1]['uuid'];

        $attempts = [
            ['POST', '/wp/v2/users/me', ['email' => 'attacker@example.com']],
            ['POST', '/wp/v2/users/me', ['password' => 'attacker-chosen']],
            ['POST', '/wp/v2/users/me', ['description' => 'defaced']],
            ['POST', "/wp/v2/users/$uid", ['roles' => ['subscriber']]],
            ['POST', '/wp/v2/users', ['username' => 'evil', 'email' => 'evil@example.com', 'password' => 'x', 'roles' => ['administrator']]],
            ['DELETE', '/wp/v2/users/me', ['force' => true, 'reassign' => 1]],
            ['DELETE', "/wp/v2/users/$uid/application-passwords", []],
            ['DELETE', "/wp/v2/users/$uid/application-passwords/$uuid", []],
            ['GET', "/wp/v2/users/$uid/application-passwords", []],
            ['GET', '/wp-oauth/v1/me/grants', []],
            ['DELETE', '/wp-oauth/v1/me/grants', []],
            ['DELETE', "/wp-oauth/v1/me/grants/$other", []],
            ['POST', '/wp/v2/settings', ['title' => 'defaced']],
        ];
        foreach ($attempts as [$method, $route, $body]) {
            $this->enforcer()->reset();
            $response = $this->dispatch($method, $route, $body);
            $this->assertSame(403, $response->get_status(), "$method $route");
            $this->assertSame('insufficient_scope', $response->get_data()['code'], "$method $route");
        }
        $batch = $this->dispatch('POST', '/batch/v1', ['requests' => [
            ['method' => 'POST', 'path' => '/wp/v2/users/me', 'body' => ['email' => 'batch@example.com']],
        ]]);
        $this->assertSame('insufficient_scope', $batch->get_data()['responses'][0]['body']['code'] ?? null, 'each request of a batch is checked');

        clean_user_cache($uid);
        $this->assertSame($email, get_userdata($uid)->user_email);
        $this->assertSame($hash, get_userdata($uid)->user_pass);
        $this->assertSame('', get_user_meta($uid, 'description', true));
        $this->assertContains('administrator', get_userdata($uid)->roles);
        $this->assertFalse(get_user_by('login', 'evil'));
        $this->assertNotNull(WP_Application_Passwords::get_user_application_password($uid, $uuid));
        $this->assertSame('active', \Wpoa\Grant_Repository::find($other)->status);
        WP_Application_Passwords::delete_application_password($uid, $uuid);
    }

    public function testAFullTokenManagesTheAccountButNotCredentials(): void
    {
        $uid = $this->actAs('author', 'full');
        $response = $this->dispatch('POST', '/wp/v2/users/me', ['description' => 'changed with full']);
        $this->assertSame(200, $response->get_status());
        $this->assertSame('changed with full', get_user_meta($uid, 'description', true));
        update_user_meta($uid, 'description', '');
        $this->assertSame(200, $this->dispatch('GET', '/wp-oauth/v1/me/grants')->get_status());
    }

    public function testTheFakePluginsRoutesFollowTheirClassification(): void
    {
        $this->actAs('author', 'write');
        $this->assertSame(200, $this->dispatch('GET', '/fake-shop/v1/things')->get_status());
        $this->assertSame(403, $this->dispatch('POST', '/fake-shop/v1/things')->get_status(), 'unclassified write needs full');
        $this->assertSame(200, $this->dispatch('PUT', '/fake-shop/v1/things/7')->get_status(), 'classified write');
        $this->assertSame(403, $this->dispatch('DELETE', '/fake-shop/v1/things/7')->get_status());
        $this->actAs('author', 'full');
        $this->assertSame(200, $this->dispatch('POST', '/fake-shop/v1/things')->get_status());
    }

    public function testDocsListTheTableInForce(): void
    {
        require_once dirname(__DIR__, 3) . '/scripts/scopes-table.php';
        $doc = (string) file_get_contents(dirname(__DIR__, 3) . '/docs/scopes.md');
        $this->assertStringContainsString(WPOA_SCOPES_BEGIN . wpoa_scopes_markdown() . WPOA_SCOPES_END, $doc, 'run: php scripts/scopes-table.php --write');
    }
}
