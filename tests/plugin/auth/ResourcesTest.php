<?php
/**
 * Resources below the REST root (RFC 8707, RFC 9728 §3.3): which `resource` values are granted,
 * which metadata document each path gets, and that a token for an MCP server inside WordPress
 * works on that server only. Against the real WordPress, database and extension; expected
 * values are literals built from the site's URL (site.json), never from Urls.
 *
 * @covers \Wpoa\Resources
 * @covers \Wpoa\Discovery
 * @covers \Wpoa\Bearer_Authenticator
 */
final class ResourcesTest extends PHPUnit\Framework\TestCase
{
    private const MCP = '/wp-json/mcp/mcp-adapter-default-server';

    /** @var array<string,mixed> */
    private $server;

    protected function setUp(): void
    {
        $this->server = $_SERVER;
    }

    protected function tearDown(): void
    {
        $_SERVER = $this->server;
        \Wpoa\Plugin::component(\Wpoa\Bearer_Authenticator::class)->reset();
        remove_all_filters('wpoa_resource_for_route');
        remove_all_filters('wpoa_challenge_scope');
        wp_set_current_user(0);
    }

    private static function site(): string
    {
        return wpoa_site()['url'];
    }

    /** @return array<string, array{0:string, 1:?string}> resource suffix => granted audience suffix (null = invalid_target) */
    public function resources(): array
    {
        return [
            'REST root' => ['/wp-json/', '/wp-json/'],
            'REST root without slash' => ['/wp-json', '/wp-json/'],
            'site URL' => ['', '/wp-json/'],
            'site URL with slash' => ['/', '/wp-json/'],
            'MCP server' => [self::MCP, self::MCP],
            'MCP server with slash' => [self::MCP . '/', self::MCP . '/'],
            'any route below the root' => ['/wp-json/wp/v2/posts', '/wp-json/wp/v2/posts'],
            'query' => [self::MCP . '?x=1', null],
            'fragment' => [self::MCP . '#x', null],
            'dot segment' => ['/wp-json/mcp/../wp/v2/users', null],
            'encoded dot segment' => ['/wp-json/mcp/%2e%2e/wp/v2/users', null],
            'single dot' => ['/wp-json/./mcp', null],
            'empty segment' => ['/wp-json//mcp', null],
            'space' => ['/wp-json/mcp server', null],
            'non-ASCII' => ['/wp-json/mcp/sérver', null],
            'backslash' => ['/wp-json/mcp\\x', null],
            'outside the REST root' => ['/wp-admin/', null],
            'prefix that is not a segment' => ['/wp-jsonx/mcp', null],
            'too long' => ['/wp-json/' . str_repeat('a', 260), null],
        ];
    }

    /** @dataProvider resources */
    public function testWhichResourcesAreGranted(string $suffix, ?string $granted): void
    {
        $site = self::site();
        $this->assertSame(null === $granted ? null : $site . $granted, \Wpoa\Resources::audience_for($site . $suffix));
    }

    public function testOtherHostsAndSchemesAreNotResources(): void
    {
        $host = wp_parse_url(self::site(), PHP_URL_HOST);
        $this->assertNull(\Wpoa\Resources::audience_for('https://attacker.example' . self::MCP));
        $this->assertNull(\Wpoa\Resources::audience_for('http://' . $host . self::MCP));
        $this->assertNull(\Wpoa\Resources::audience_for('https://user@' . substr(self::site(), 8) . self::MCP));
    }

    /** @return array<string, array{0:string, 1:?string}> well-known path => `resource` suffix (null = 404) */
    public function metadataPaths(): array
    {
        return [
            'REST root with slash' => ['/.well-known/oauth-protected-resource/wp-json/', '/wp-json/'],
            'REST root without slash' => ['/.well-known/oauth-protected-resource/wp-json', '/wp-json'],
            'MCP server' => ['/.well-known/oauth-protected-resource' . self::MCP, self::MCP],
            'bare: the origin, the site being at the root' => ['/.well-known/oauth-protected-resource', ''],
            'outside the REST root' => ['/.well-known/oauth-protected-resource/wp-admin/', null],
            'dot segments' => ['/.well-known/oauth-protected-resource/wp-json/../wp-admin', null],
            'not a separate name' => ['/.well-known/oauth-protected-resourcex/wp-json/', null],
        ];
    }

    /** @dataProvider metadataPaths */
    public function testEveryResourceHasItsOwnMetadataDocument(string $path, ?string $resource): void
    {
        if (null === $resource) {
            $this->assertNotSame('resource', \Wpoa\Discovery::route_for_path($path));
            return;
        }
        $this->assertSame('resource', \Wpoa\Discovery::route_for_path($path));
        [$status, , $body] = \Wpoa\Discovery::well_known_response('resource', 'GET', $path);
        $this->assertSame(200, $status);
        // RFC 9728 §3.3: `resource` is exactly the URL the well-known URL was derived from.
        $this->assertSame(self::site() . $resource, $body['resource']);
        $this->assertSame([self::site()], $body['authorization_servers']);
    }

    public function testRestRootMetadataUrlAndResourceAgree(): void
    {
        $this->assertSame(self::site() . '/.well-known/oauth-protected-resource/wp-json/', \Wpoa\Urls::protected_resource_metadata());
        $this->assertSame(self::site() . '/.well-known/oauth-protected-resource' . self::MCP, \Wpoa\Resources::metadata_url(self::site() . self::MCP));
    }

    public function testPlainPermalinksKeepTheQueryInTheMetadataUrl(): void
    {
        $plain = static fn () => '';
        add_filter('pre_option_permalink_structure', $plain, 99);
        try {
            // Core's REST root without pretty permalinks; RFC 9728 §3.1 keeps its query.
            $rest = self::site() . '/index.php?rest_route=/';
            $this->assertSame($rest, \Wpoa\Urls::audience());
            $this->assertSame(self::site() . '/.well-known/oauth-protected-resource/index.php?rest_route=/', \Wpoa\Urls::protected_resource_metadata());
            $path = '/.well-known/oauth-protected-resource/index.php';
            $this->assertSame('resource', \Wpoa\Discovery::route_for_path($path, 'rest_route=/'));
            [$status, , $body] = \Wpoa\Discovery::well_known_response('resource', 'GET', $path, 'rest_route=/');
            $this->assertSame(200, $status);
            $this->assertSame($rest, $body['resource']);
            // Without the query, or with another one, the path names none of the site's resources.
            $this->assertNotSame('resource', \Wpoa\Discovery::route_for_path($path));
            $this->assertNotSame('resource', \Wpoa\Discovery::route_for_path($path, 'rest_route=/wp/v2/posts'));
            $this->assertNotSame('resource', \Wpoa\Discovery::route_for_path('/.well-known/oauth-protected-resource', 'rest_route=/'));
        } finally {
            remove_filter('pre_option_permalink_structure', $plain, 99);
            \Wpoa\Urls::forget();
        }
    }

    /** A token as the token endpoint makes it for a grant of $audience. */
    private function mint(string $audience): string
    {
        $user = wpoa_user('author');
        $clientId = 'res-' . strtolower(wp_generate_password(12, false));
        $this->assertNotNull(\Wpoa\Client_Repository::insert([
            'client_id' => $clientId,
            'token_endpoint_auth_method' => 'none',
            'redirect_uris' => ['http://localhost/cb'],
            'metadata' => ['client_name' => 'Resource test'],
        ]));
        $grant = \Wpoa\Grant_Repository::create($clientId, $user->ID, 'read write', $audience, time());
        return \Wpoa\Token_Issuer::access_token($clientId, $user->ID, 'read write', $grant, $audience, time())['token'];
    }

    private function userFor(string $token, string $uri): int
    {
        $_SERVER['REQUEST_URI'] = $uri;
        $_SERVER['HTTPS'] = 'on';
        $_SERVER['HTTP_AUTHORIZATION'] = 'Bearer ' . $token;
        unset($_GET['rest_route']);
        $auth = \Wpoa\Plugin::component(\Wpoa\Bearer_Authenticator::class);
        $auth->reset();
        return (int) apply_filters('determine_current_user', false);
    }

    public function testATokenForAnMcpServerWorksOnThatServerOnly(): void
    {
        $token = $this->mint(self::site() . self::MCP);
        $author = wpoa_user('author')->ID;
        $this->assertSame($author, $this->userFor($token, self::MCP));
        $this->assertSame($author, $this->userFor($token, self::MCP . '/sessions?x=1'));
        $this->assertSame(0, $this->userFor($token, '/wp-json/wp/v2/users/me'), 'not on the rest of the API');
        $this->assertSame(0, $this->userFor($token, self::MCP . '-other'), 'whole path segments only');
        $this->assertSame(0, $this->userFor($token, '/wp-json/mcp'), 'not above it');
    }

    public function testRevocationAndIntrospectionAcceptTokensForAnyResourceOfTheSite(): void
    {
        $mcp = self::site() . self::MCP;
        $token = $this->mint($mcp);
        // Default: any of this site's resources (what revocation and introspection use).
        $this->assertSame($mcp, \Wpoa\Token_Issuer::verify_access_token($token)['aud']);
        // Named audience: the REST root is not this token's.
        $this->expectException(\UnexpectedValueException::class);
        $this->expectExceptionCode(\WpOAuth\TokenException::INVALID_AUDIENCE);
        \Wpoa\Token_Issuer::verify_access_token($token, \Wpoa\Keys::LEEWAY, self::site() . '/wp-json/');
    }

    public function testTheAudienceClaimIsComparedExactlyAfterVerification(): void
    {
        $root = self::site() . '/wp-json/';
        $mcp = self::site() . self::MCP;
        $route = substr(self::MCP, strlen('/wp-json'));
        $this->assertTrue(\Wpoa\Resources::audience_allows_route($root, '/wp/v2/posts'));
        $this->assertTrue(\Wpoa\Resources::audience_allows_route($root, null));
        $this->assertTrue(\Wpoa\Resources::audience_allows_route($mcp, $route . '/sessions'));
        $this->assertFalse(\Wpoa\Resources::audience_allows_route($mcp, '/wp/v2/posts'));
        $this->assertFalse(\Wpoa\Resources::audience_allows_route($mcp, null), 'a resource token needs the route');
        $this->assertFalse(\Wpoa\Resources::audience_allows_route($root . 'x/../', '/x'), 'dot segments are not a resource');
        $this->assertFalse(\Wpoa\Resources::audience_allows_route(self::site(), '/wp/v2/posts'), 'the issuer is not the API');
        $this->assertFalse(\Wpoa\Resources::audience_allows_route(rtrim($root, '/'), '/wp/v2/posts'), 'exact, not up to a slash');
        $this->assertFalse(\Wpoa\Resources::audience_allows_route(null, '/wp/v2/posts'));
        $this->assertFalse(\Wpoa\Resources::audience_allows_route(1, '/wp/v2/posts'));
        // RFC 7519 §4.1.3: an array passes when one member does.
        $this->assertTrue(\Wpoa\Resources::audience_allows_route(['https://other.example/', $root], '/wp/v2/posts'));
        $this->assertFalse(\Wpoa\Resources::audience_allows_route(['https://other.example/'], '/wp/v2/posts'));
        $this->assertFalse(\Wpoa\Resources::audience_allows_route([], '/wp/v2/posts'));
        $this->assertTrue(\Wpoa\Resources::is_site_audience($mcp));
        $this->assertTrue(\Wpoa\Resources::is_site_audience([$root]));
        $this->assertFalse(\Wpoa\Resources::is_site_audience('https://other.example/wp-json/'));
        $this->assertTrue(\Wpoa\Resources::audience_is([$mcp, $root], $root));
        $this->assertFalse(\Wpoa\Resources::audience_is($mcp, $root));
    }

    /**
     * RFC 7519 §4.1.3: `aud` is a string or an array of strings. A JSON object (which the
     * extension hands over as an associative array) or an array nested in the array names no
     * audience, even when the site's REST root is among its values.
     */
    public function testAnAudienceThatIsNotAStringOrAListOfStringsIsRefused(): void
    {
        $root = self::site() . '/wp-json/';
        $mcp = self::site() . self::MCP;
        foreach (['an object' => ['resource' => $root], 'a nested array' => [[$root]], 'a list after a key' => [1 => $root]] as $what => $aud) {
            $this->assertFalse(\Wpoa\Resources::audience_allows_route($aud, '/wp/v2/posts'), $what);
            $this->assertFalse(\Wpoa\Resources::is_site_audience($aud), $what);
            $this->assertFalse(\Wpoa\Resources::audience_is($aud, $root), $what);
        }
        $this->assertFalse(\Wpoa\Resources::audience_allows_route(['resource' => $mcp], substr(self::MCP, strlen('/wp-json'))));
        $this->assertFalse(\Wpoa\Resources::audience_allows_route([1, $root], '/wp/v2/posts'), 'every member a string');

        // Through bearer authentication, revocation and introspection: a token signed with the
        // site's key whose aud is an object holding the REST root.
        $shape = static function (array $claims) use ($root): array {
            $claims['aud'] = ['resource' => $root]; // A JSON object once signed.
            return $claims;
        };
        add_filter('wpoa_access_token_claims', $shape);
        try {
            $token = $this->mint($root);
        } finally {
            remove_filter('wpoa_access_token_claims', $shape);
        }
        $this->assertSame(0, $this->userFor($token, '/wp-json/wp/v2/users/me'));
        $this->assertNull(\Wpoa\Revocation_Controller::verify_access_token($token));
    }

    public function testATokenForTheRestRootWorksOnTheMcpServerToo(): void
    {
        $token = $this->mint(self::site() . '/wp-json/');
        $this->assertSame(wpoa_user('author')->ID, $this->userFor($token, self::MCP));
        $this->assertSame(wpoa_user('author')->ID, $this->userFor($token, '/wp-json/wp/v2/users/me'));
    }

    public function testChallengeAsksForReadWriteAndPointsAtTheRequestsResource(): void
    {
        $site = self::site();
        $_SERVER['REQUEST_URI'] = '/wp-json/wp/v2/posts';
        unset($_GET['rest_route']);
        $this->assertSame(
            'Bearer realm="localhost", scope="read write", resource_metadata="' . $site . '/.well-known/oauth-protected-resource/wp-json/"',
            \Wpoa\Bearer_Authenticator::challenge([])
        );
        // An MCP server that declares itself a resource gets its own document.
        $_SERVER['REQUEST_URI'] = self::MCP;
        add_filter('wpoa_resource_for_route', static fn($r, $route) => 0 === strpos((string) $route, '/mcp/mcp-adapter-default-server') ? $site . self::MCP : $r, 10, 2);
        $this->assertSame(
            'Bearer realm="localhost", scope="read write", resource_metadata="' . $site . '/.well-known/oauth-protected-resource' . self::MCP . '"',
            \Wpoa\Bearer_Authenticator::challenge([])
        );
        // A filter naming a resource that does not contain the route is ignored.
        $_SERVER['REQUEST_URI'] = '/wp-json/wp/v2/posts';
        $this->assertStringEndsWith('resource_metadata="' . $site . '/.well-known/oauth-protected-resource/wp-json/"', \Wpoa\Bearer_Authenticator::challenge([]));
    }

    public function testChallengeScopeNeverOffersFullAccess(): void
    {
        add_filter('wpoa_challenge_scope', static fn() => 'read write full');
        $this->assertSame('read write', \Wpoa\Bearer_Authenticator::challenge_scope());
        add_filter('wpoa_challenge_scope', static fn() => 'full', 20);
        $this->assertSame('read', \Wpoa\Bearer_Authenticator::challenge_scope());
    }
}
