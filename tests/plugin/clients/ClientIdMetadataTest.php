<?php
/**
 * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): URL rules,
 * special-use addresses, document validation, caching, budget and policy, against the real
 * WordPress and database. The HTTP answer is stubbed on `pre_http_request` (the suite never goes
 * on the network); tests/e2e/cimd.test.mjs fetches over real HTTPS.
 *
 * @covers \Wpoa\Client_Id_Metadata
 */
final class ClientIdMetadataTest extends PHPUnit\Framework\TestCase
{
    /** A public address literal: resolving it needs no DNS, and the stub answers instead of it. */
    private const HOST = 'https://8.8.8.8';

    /** @var array<int, array{url:string, args:array}> */
    private $fetches = [];

    /** @var array|WP_Error|null What the stubbed server answers. */
    private $answer;

    /** @var callable */
    private $stub;

    protected function setUp(): void
    {
        $this->fetches = [];
        $this->stub = function ($pre, $args, $url) {
            $this->fetches[] = ['url' => $url, 'args' => $args];
            return $this->answer;
        };
        add_filter('pre_http_request', $this->stub, 5, 3);
        delete_transient('wpoa_cimd_budget');
        delete_option(\Wpoa\Client_Id_Metadata::MODE_OPTION);
        delete_option(\Wpoa\Client_Id_Metadata::ALLOWED_OPTION);
        delete_option(\Wpoa\Client_Id_Metadata::TRUSTED_OPTION);
    }

    protected function tearDown(): void
    {
        remove_filter('pre_http_request', $this->stub, 5);
        remove_all_filters('wpoa_cimd_allow_loopback');
        remove_all_filters('wpoa_cimd_fetch_budget');
        delete_transient('wpoa_cimd_budget');
        delete_option(\Wpoa\Client_Id_Metadata::MODE_OPTION);
        delete_option(\Wpoa\Client_Id_Metadata::ALLOWED_OPTION);
        delete_option(\Wpoa\Client_Id_Metadata::TRUSTED_OPTION);
        wp_set_current_user(0);
    }

    private static function url(string $path = ''): string
    {
        return self::HOST . '/cimd/' . ('' !== $path ? $path : strtolower(wp_generate_password(10, false))) . '.json';
    }

    /** A good document for $url, with changes (null removes a member). */
    private static function doc(string $url, array $change = []): array
    {
        return array_filter(array_merge([
            'client_id' => $url,
            'client_name' => 'Agent Example',
            'client_uri' => 'https://agent.example/',
            'redirect_uris' => ['http://localhost/callback', 'https://agent.example/cb'],
            'grant_types' => ['authorization_code', 'refresh_token'],
            'response_types' => ['code'],
            'token_endpoint_auth_method' => 'none',
        ], $change), static fn($v) => null !== $v);
    }

    private function serve($body, int $status = 200, array $headers = []): void
    {
        $this->answer = [
            'headers' => $headers, // lower-case names, as wp_remote_retrieve_header() reads them
            'body' => is_string($body) ? $body : (string) wp_json_encode($body),
            'response' => ['code' => $status, 'message' => 'stub'],
            'cookies' => [],
            'filename' => null,
        ];
    }

    private static function stored(string $url): bool
    {
        return null !== \Wpoa\Client_Repository::find($url);
    }

    private static function cached(string $url): bool
    {
        return false !== get_transient('wpoa_cimd_' . substr(hash('sha256', $url), 0, 40));
    }

    private function assertRefused(string $url, string $error = 'invalid_client', int $status = 400): \Wpoa\OAuth_Error
    {
        try {
            \Wpoa\Client_Id_Metadata::resolve($url);
        } catch (\Wpoa\OAuth_Error $e) {
            $this->assertSame($error, $e->error, $e->getMessage());
            $this->assertSame($status, $e->status);
            $this->assertFalse(self::stored($url), 'nothing stored');
            $this->assertFalse(self::cached($url), 'errors are never cached');
            return $e;
        }
        $this->fail("expected $error for $url");
    }

    /** @return array<string, array{0:string}> */
    public function badUrls(): array
    {
        return [
            'http' => ['http://8.8.8.8/cimd/a.json'],
            'no path' => ['https://8.8.8.8'],
            'fragment' => ['https://8.8.8.8/a.json#x'],
            'empty fragment' => ['https://8.8.8.8/a.json#'],
            'user info' => ['https://user@8.8.8.8/a.json'],
            'user and password' => ['https://u:p@8.8.8.8/a.json'],
            'dot segment' => ['https://8.8.8.8/a/../b.json'],
            'single dot segment' => ['https://8.8.8.8/./b.json'],
            'encoded dot segment' => ['https://8.8.8.8/a/%2E%2e/b.json'],
            'space' => ['https://8.8.8.8/a b.json'],
            'non-ASCII' => ['https://8.8.8.8/ä.json'],
            'backslash' => ['https://8.8.8.8\\@evil.example/a.json'],
            'too long' => ['https://8.8.8.8/' . str_repeat('a', 200)],
        ];
    }

    /** @dataProvider badUrls */
    public function testBadClientIdUrlsAreRefusedWithoutFetching(string $url): void
    {
        $this->assertRefused($url);
        $this->assertSame([], $this->fetches);
    }

    /** @return array<string, array{0:string, 1:bool}> */
    public function addresses(): array
    {
        return [
            'IPv4 loopback' => ['127.0.0.1', true],
            'IPv4 loopback, other' => ['127.5.6.7', true],
            'this network' => ['0.0.0.0', true],
            'RFC 1918 10/8' => ['10.1.2.3', true],
            'RFC 1918 172.16/12' => ['172.31.255.254', true],
            'RFC 1918 192.168/16' => ['192.168.1.1', true],
            'link-local, cloud metadata' => ['169.254.169.254', true],
            'CGNAT' => ['100.64.0.1', true],
            'IETF protocol assignments' => ['192.0.0.8', true],
            'documentation' => ['203.0.113.5', true],
            'benchmarking' => ['198.18.0.1', true],
            'multicast' => ['224.0.0.1', true],
            'broadcast' => ['255.255.255.255', true],
            'IPv6 loopback' => ['::1', true],
            'IPv6 unspecified' => ['::', true],
            'IPv6 link-local' => ['fe80::1', true],
            'IPv6 unique local' => ['fd12:3456::1', true],
            'IPv4-mapped loopback' => ['::ffff:127.0.0.1', true],
            'IPv4-mapped private' => ['::ffff:10.0.0.1', true],
            'NAT64' => ['64:ff9b::a00:1', true],
            '6to4' => ['2002:a00:1::1', true],
            'IPv6 documentation' => ['2001:db8::1', true],
            'IPv6 multicast' => ['ff02::1', true],
            'not an address' => ['example.com', true],
            'public IPv4' => ['8.8.8.8', false],
            'public IPv4, 172.32' => ['172.32.0.1', false],
            'public IPv6' => ['2606:4700:4700::1111', false],
            'IPv4-mapped public' => ['::ffff:8.8.8.8', false],
        ];
    }

    /** @dataProvider addresses */
    public function testSpecialUseAddresses(string $ip, bool $special): void
    {
        $this->assertSame($special, \Wpoa\Client_Id_Metadata::is_special_use($ip));
    }

    public function testLoopbackOnlyWithTheTestSwitch(): void
    {
        add_filter('wpoa_cimd_allow_loopback', '__return_true');
        $this->assertFalse(\Wpoa\Client_Id_Metadata::is_special_use('127.0.0.1'));
        $this->assertFalse(\Wpoa\Client_Id_Metadata::is_special_use('::1'));
        $this->assertTrue(\Wpoa\Client_Id_Metadata::is_special_use('10.0.0.1'), 'private stays refused');
        $this->assertTrue(\Wpoa\Client_Id_Metadata::is_special_use('169.254.169.254'));
    }

    public function testPrivateAddressHostIsRefusedWithoutFetching(): void
    {
        foreach (['https://10.0.0.1/a.json', 'https://169.254.169.254/latest/meta-data.json', 'https://[::1]/a.json', 'https://127.0.0.1:8443/a.json', 'https://[fd00::1]/a.json'] as $url) {
            $e = $this->assertRefused($url);
            $this->assertStringContainsString('private or special-use', $e->getMessage());
        }
        $this->assertSame([], $this->fetches);
    }

    /** @return array<string, array{0: callable}> builds [body, status, headers] for a URL */
    public function hostileAnswers(): array
    {
        return [
            'redirect' => [fn($u) => ['', 302, ['location' => 'https://8.8.4.4/other.json']]],
            'not found' => [fn($u) => [self::doc($u), 404]],
            'server error' => [fn($u) => [self::doc($u), 500]],
            'no content' => [fn($u) => ['', 204]],
            'oversize' => [fn($u) => [self::doc($u, ['client_name' => 'x', 'contacts' => null, 'software_id' => str_repeat('a', 200), 'padding' => str_repeat('p', 6000)]), 200]],
            'not JSON' => [fn($u) => ['<html>hello</html>', 200]],
            'JSON list' => [fn($u) => [[self::doc($u)], 200]],
            'wrong client_id' => [fn($u) => [self::doc($u, ['client_id' => 'https://8.8.8.8/cimd/other.json']), 200]],
            'client_id with a trailing slash' => [fn($u) => [self::doc($u, ['client_id' => $u . '/']), 200]],
            'client_id in another case' => [fn($u) => [self::doc($u, ['client_id' => strtoupper($u)]), 200]],
            'no client_id' => [fn($u) => [self::doc($u, ['client_id' => null]), 200]],
            'client_secret_basic' => [fn($u) => [self::doc($u, ['token_endpoint_auth_method' => 'client_secret_basic']), 200]],
            'client_secret_post' => [fn($u) => [self::doc($u, ['token_endpoint_auth_method' => 'client_secret_post']), 200]],
            'client_secret_jwt' => [fn($u) => [self::doc($u, ['token_endpoint_auth_method' => 'client_secret_jwt']), 200]],
            'a client_secret' => [fn($u) => [self::doc($u, ['client_secret' => 'shh']), 200]],
            'client_secret_expires_at' => [fn($u) => [self::doc($u, ['client_secret_expires_at' => 0]), 200]],
            'name with bidi controls' => [fn($u) => [self::doc($u, ['client_name' => "Word\u{202E}sserP"]), 200]],
            'name with a zero-width space' => [fn($u) => [self::doc($u, ['client_name' => "Cla\u{200B}ude"]), 200]],
            'no redirect_uris' => [fn($u) => [self::doc($u, ['redirect_uris' => null]), 200]],
            'plain http redirect URI' => [fn($u) => [self::doc($u, ['redirect_uris' => ['http://agent.example/cb']]), 200]],
            'javascript redirect URI' => [fn($u) => [self::doc($u, ['redirect_uris' => ['javascript:alert(1)']]), 200]],
        ];
    }

    /** @dataProvider hostileAnswers */
    public function testHostileDocumentsAreRefusedAndNothingIsStored(callable $make): void
    {
        $url = self::url();
        [$body, $status, $headers] = array_pad($make($url), 3, []);
        $this->serve($body, $status, $headers);
        $this->assertRefused($url);
        $this->assertCount(1, $this->fetches, 'fetched once');
        $args = $this->fetches[0]['args'];
        $this->assertSame(0, $args['redirection'], 'redirects are never followed');
        $this->assertTrue($args['reject_unsafe_urls']);
        $this->assertSame(5121, $args['limit_response_size']);
        $this->assertLessThanOrEqual(5, $args['timeout']);
        // The refusal is not remembered: the next attempt fetches again.
        $this->assertRefused($url);
        $this->assertCount(2, $this->fetches);
    }

    public function testTransportErrorIsRefused(): void
    {
        $url = self::url();
        $this->answer = new WP_Error('http_request_failed', 'Operation timed out after 5001 milliseconds');
        $this->assertRefused($url);
    }

    public function testGoodDocumentMakesAPublicClientAndIsCached(): void
    {
        $url = self::url();
        $this->serve(self::doc($url), 200, ['cache-control' => 'public, max-age=600']);
        $registered = [];
        $listen = static function (...$a) use (&$registered) { $registered[] = $a; };
        add_action('wpoa_client_registered', $listen, 10, 3);
        try {
            $client = \Wpoa\Client_Id_Metadata::resolve($url);
        } finally {
            remove_action('wpoa_client_registered', $listen, 10);
        }
        $this->assertSame($url, $client->client_id);
        $this->assertSame('none', $client->token_endpoint_auth_method);
        $this->assertFalse($client->is_confidential());
        $this->assertNull($client->client_secret_hash);
        $this->assertSame('Agent Example', $client->name());
        $this->assertSame(['http://localhost/callback', 'https://agent.example/cb'], $client->redirect_uris);
        $this->assertTrue($client->matches_redirect_uri('http://localhost:51234/callback'), 'RFC 8252 loopback port rule');
        $this->assertFalse($client->matches_redirect_uri('https://agent.example/cb/'));
        $this->assertSame('native', $client->metadata['application_type']);
        $this->assertSame([[$url, $client->metadata, 'metadata_document']], $registered);

        // Cached: the changed document is not fetched until the cache expires.
        $this->serve(self::doc($url, ['redirect_uris' => ['https://agent.example/new']]), 200);
        $again = \Wpoa\Client_Id_Metadata::resolve($url);
        $this->assertCount(1, $this->fetches);
        $this->assertSame(['http://localhost/callback', 'https://agent.example/cb'], $again->redirect_uris);

        // Expired: the new document replaces the stored metadata.
        delete_transient('wpoa_cimd_' . substr(hash('sha256', $url), 0, 40));
        $changed = \Wpoa\Client_Id_Metadata::resolve($url);
        $this->assertCount(2, $this->fetches);
        $this->assertSame(['https://agent.example/new'], $changed->redirect_uris);
        $this->assertSame(['https://agent.example/new'], \Wpoa\Client_Repository::find($url)->redirect_uris);

        // Expired and now invalid: refused, the stored row is not changed by it.
        delete_transient('wpoa_cimd_' . substr(hash('sha256', $url), 0, 40));
        $this->serve(self::doc($url, ['client_id' => $url . '?evil']), 200);
        try {
            \Wpoa\Client_Id_Metadata::resolve($url);
            $this->fail('an invalid new document must be refused');
        } catch (\Wpoa\OAuth_Error $e) {
            $this->assertSame('invalid_client', $e->error);
        }
        $this->assertFalse(self::cached($url));
        $this->assertSame(['https://agent.example/new'], \Wpoa\Client_Repository::find($url)->redirect_uris);
    }

    /** @return array<string, array{0:string, 1:int}> Cache-Control => seconds kept */
    public function cacheControls(): array
    {
        return [
            'absent' => ['', 3600],
            'max-age within bounds' => ['public, max-age=7200', 7200],
            'max-age below the minimum' => ['max-age=10', 300],
            'max-age above the maximum' => ['max-age=31536000', 86400],
            'no-store' => ['no-store', 300],
            'no-cache' => ['no-cache, max-age=9000', 300],
            'quoted' => ['max-age="1200"', 1200],
            'garbage' => ['max-age=abc', 3600],
        ];
    }

    /** @dataProvider cacheControls */
    public function testCacheLifetimeHonoursCacheControlWithinBounds(string $header, int $seconds): void
    {
        $this->assertSame($seconds, \Wpoa\Client_Id_Metadata::cache_seconds($header));
    }

    public function testFetchBudgetIsSiteWide(): void
    {
        add_filter('wpoa_cimd_fetch_budget', static fn() => 2);
        foreach ([self::url(), self::url()] as $url) {
            $this->serve('nope', 404);
            $this->assertRefused($url);
        }
        $third = self::url();
        $this->serve(self::doc($third), 200);
        $this->assertRefused($third, 'temporarily_unavailable', 503);
        $this->assertCount(2, $this->fetches, 'the third was not fetched');
    }

    public function testPolicyOffAndAllowlist(): void
    {
        $url = self::url();
        \Wpoa\Client_Id_Metadata::set_mode('off');
        $this->assertRefused($url);
        $this->assertArrayNotHasKey('client_id_metadata_document_supported', \Wpoa\Discovery::authorization_server_metadata());

        \Wpoa\Client_Id_Metadata::set_mode('allowlist');
        \Wpoa\Client_Id_Metadata::set_domains(\Wpoa\Client_Id_Metadata::ALLOWED_OPTION, "claude.ai\nvscode.dev");
        $this->assertRefused($url);
        $this->assertSame([], $this->fetches);
        \Wpoa\Client_Id_Metadata::set_domains(\Wpoa\Client_Id_Metadata::ALLOWED_OPTION, 'claude.ai, 8.8.8.8');
        $this->serve(self::doc($url), 200);
        $this->assertSame($url, \Wpoa\Client_Id_Metadata::resolve($url)->client_id);
        $this->assertTrue(\Wpoa\Discovery::authorization_server_metadata()['client_id_metadata_document_supported']);

        $this->assertTrue(\Wpoa\Client_Id_Metadata::host_in('mcp.claude.ai', ['claude.ai']));
        $this->assertFalse(\Wpoa\Client_Id_Metadata::host_in('evilclaude.ai', ['claude.ai']));
        $this->assertFalse(\Wpoa\Client_Id_Metadata::host_in('claude.ai.evil.example', ['claude.ai']));
        $this->assertFalse(\Wpoa\Client_Id_Metadata::set_mode('sometimes'));
    }

    public function testMetadataAdvertisesCimdAndPublicClients(): void
    {
        $meta = \Wpoa\Discovery::authorization_server_metadata();
        $this->assertTrue($meta['client_id_metadata_document_supported']);
        $this->assertContains('none', $meta['token_endpoint_auth_methods_supported']);
    }

    public function testConsentScreenNamesTheHostWarnsOnLocalhostAndMarksTrustedDomains(): void
    {
        $url = self::url();
        $this->serve(self::doc($url, ['redirect_uris' => ['http://localhost/callback']]), 200);
        $endpoint = new \Wpoa\Authorize_Endpoint();
        $query = 'action=oauth_authorize&' . http_build_query([
            'response_type' => 'code', 'client_id' => $url, 'redirect_uri' => 'http://localhost:40123/callback',
            'scope' => 'read', 'state' => 's', 'code_challenge' => 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', 'code_challenge_method' => 'S256',
        ], '', '&', PHP_QUERY_RFC3986);
        wp_set_current_user(wpoa_user('author')->ID);
        $consent = $endpoint->decide_get($query, wpoa_user('author')->ID);
        $this->assertSame('consent', $consent['kind'], wp_json_encode($consent['message'] ?? ''));
        $html = $this->render($consent);
        $this->assertStringContainsString('Identified by <strong class="wpoa-host">8.8.8.8</strong>', $html);
        $this->assertStringContainsString('id="wpoa-local-only"', $html);
        $this->assertStringNotContainsString('id="wpoa-trusted-mark"', $html);

        \Wpoa\Client_Id_Metadata::set_domains(\Wpoa\Client_Id_Metadata::TRUSTED_OPTION, '8.8.8.8');
        $this->assertStringContainsString('id="wpoa-trusted-mark"', $this->render($endpoint->decide_get($query, wpoa_user('author')->ID)));

        // A refused document is an error page, never a redirect.
        $bad = self::url();
        $this->serve(self::doc($bad, ['client_id' => 'https://8.8.8.8/x.json']), 200);
        $page = $endpoint->decide_get(str_replace(rawurlencode($url), rawurlencode($bad), $query), wpoa_user('author')->ID);
        $this->assertSame(['kind' => 'error', 'status' => 400], array_intersect_key($page, ['kind' => 1, 'status' => 1]));
    }

    private function render(array $view): string
    {
        ob_start();
        try {
            \Wpoa\Authorize_Endpoint::render('consent', $view);
        } finally {
            $html = (string) ob_get_clean();
        }
        return $html;
    }
}
