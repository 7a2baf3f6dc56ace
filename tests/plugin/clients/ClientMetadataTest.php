<?php
/**
 * RFC 7591 §2 client metadata validation: every accept and refuse rule, table-driven.
 *
 * @covers \Wpoa\Client_Metadata
 */
final class ClientMetadataTest extends PHPUnit\Framework\TestCase
{
    private static function valid(array $override = []): array
    {
        return array_merge(['redirect_uris' => ['https://app.example.com/cb'], 'token_endpoint_auth_method' => 'none'], $override);
    }

    /** Redirect URIs that must be accepted (OAuth 2.1 §2.3, RFC 8252 §7.1, §7.3). */
    public function acceptedRedirectUris(): array
    {
        return [
            'https' => ['https://app.example.com/callback'],
            'https with port and query' => ['https://app.example.com:8443/cb?x=1'],
            'private-use scheme, single slash (RFC 8252 §7.1)' => ['com.example.app:/oauth2redirect'],
            'private-use scheme, double slash' => ['com.example.app://oauth2redirect'],
            'loopback IPv4' => ['http://127.0.0.1/cb'],
            'loopback IPv4 with port' => ['http://127.0.0.1:49152/cb'],
            'loopback IPv6' => ['http://[::1]/cb'],
            'loopback IPv6 with port' => ['http://[::1]:8080/'],
            'localhost (MCP clients register it; RFC 8252 §8.3 only discourages it)' => ['http://localhost/callback'],
            'localhost with port' => ['http://localhost:33418/callback'],
        ];
    }

    /** @dataProvider acceptedRedirectUris */
    public function testAcceptsRedirectUri(string $uri): void
    {
        $meta = \Wpoa\Client_Metadata::validate(self::valid(['redirect_uris' => [$uri]]));
        $this->assertSame([$uri], $meta['redirect_uris']);
    }

    /** Redirect URIs that must be refused with invalid_redirect_uri (RFC 7591 §3.2.2). */
    public function refusedRedirectUris(): array
    {
        return [
            'javascript:' => ['javascript:alert(1)'],
            'JavaScript: mixed case' => ['JavaScript://app.example.com/%0aalert(1)'],
            'data:' => ['data:text/html,<script>alert(1)</script>'],
            'file:' => ['file:///etc/passwd'],
            'vbscript:' => ['vbscript:msgbox(1)'],
            'fragment' => ['https://app.example.com/cb#frag'],
            'empty fragment' => ['https://app.example.com/cb#'],
            'plain http to a public host' => ['http://app.example.com/cb'],
            'http to a name under localhost' => ['http://localhost.example.com/cb'],
            'http to localhost with user info' => ['http://user@localhost/cb'],
            'http to another loopback-looking name' => ['http://127.0.0.1.example.com/cb'],
            'relative path' => ['/callback'],
            'relative no slash' => ['callback'],
            'scheme-relative' => ['//app.example.com/cb'],
            'https without host' => ['https:/cb'],
            'https empty authority' => ['https:///cb'],
            'user info' => ['https://user:pass@app.example.com/cb'],
            'whitespace' => ['https://app.example.com/c b'],
            'newline' => ["https://app.example.com/cb\n"],
            'null byte' => ["https://app.example.com/cb\0"],
            'non-ASCII' => ['https://app.example.com/café'],
            'custom scheme without a dot' => ['myapp:/callback'],
            'custom scheme, nothing after colon' => ['com.example.app:'],
            'empty string' => [''],
            'too long' => ['https://app.example.com/' . str_repeat('a', 2100)],
        ];
    }

    /** @dataProvider refusedRedirectUris */
    public function testRefusesRedirectUri(string $uri): void
    {
        $this->assertError('invalid_redirect_uri', self::valid(['redirect_uris' => [$uri]]));
        $this->assertNotNull(\Wpoa\Client_Metadata::redirect_uri_problem($uri));
    }

    /** Malformed redirect_uris members: all invalid_redirect_uri (documented decision). */
    public function badRedirectUriLists(): array
    {
        return [
            'missing' => [null],
            'string instead of array' => ['https://app.example.com/cb'],
            'empty array' => [[]],
            'object instead of array' => [['a' => 'https://app.example.com/cb']],
            'number in array' => [[42]],
            'nested array' => [[['https://app.example.com/cb']]],
            'absurd count' => [array_map(static fn ($i) => "https://app.example.com/cb$i", range(1, 500))],
        ];
    }

    /** @dataProvider badRedirectUriLists */
    public function testRefusesBadRedirectUriLists($value): void
    {
        $input = self::valid();
        if (null === $value) {
            unset($input['redirect_uris']);
        } else {
            $input['redirect_uris'] = $value;
        }
        $this->assertError('invalid_redirect_uri', $input);
    }

    /** Other bad metadata: invalid_client_metadata. */
    public function badMetadata(): array
    {
        return [
            'top level is a list' => [[['redirect_uris' => ['https://a.example/cb']]], true],
            'top level is a string' => ['{"redirect_uris":[]}', true],
            'grant_types as string' => [['grant_types' => 'authorization_code']],
            'grant_types empty' => [['grant_types' => []]],
            'grant_types implicit' => [['grant_types' => ['authorization_code', 'implicit']]],
            'grant_types password' => [['grant_types' => ['password']]],
            'grant_types client_credentials' => [['grant_types' => ['client_credentials']]],
            'refresh_token without authorization_code' => [['grant_types' => ['refresh_token']]],
            'response_types token' => [['response_types' => ['token']]],
            'response_types as string' => [['response_types' => 'code']],
            'response_types empty' => [['response_types' => []]],
            'token_endpoint_auth_method private_key_jwt' => [['token_endpoint_auth_method' => 'private_key_jwt']],
            'token_endpoint_auth_method client_secret_jwt' => [['token_endpoint_auth_method' => 'client_secret_jwt']],
            'token_endpoint_auth_method as array' => [['token_endpoint_auth_method' => ['none']]],
            'client_name as array' => [['client_name' => ['x']]],
            'client_name as number' => [['client_name' => 12]],
            'client_name too long' => [['client_name' => str_repeat('n', 256)]],
            'client_name with control char' => [['client_name' => "evil\x07app"]],
            'client_uri http' => [['client_uri' => 'http://app.example.com/']],
            'client_uri javascript' => [['client_uri' => 'javascript:alert(1)']],
            'logo_uri relative' => [['logo_uri' => '/logo.png']],
            'scope unknown' => [['scope' => 'read admin']],
            'scope as array' => [['scope' => ['read']]],
            'contacts as string' => [['contacts' => 'dev@example.com']],
            'contacts not an e-mail' => [['contacts' => ['not-an-email']]],
            'contacts too many' => [['contacts' => array_map(static fn ($i) => "d$i@example.com", range(1, 11))]],
            'software_id as number' => [['software_id' => 5]],
            'software_version as bool' => [['software_version' => true]],
            'application_type unknown' => [['application_type' => 'browser']],
            'application_type as array' => [['application_type' => ['native']]],
            // Names that disguise themselves on a consent screen (RFC 7591 §2 lets us refuse).
            'client_name with a right-to-left override' => [['client_name' => "Good\u{202E}ppA liveE"]],
            'client_name with a bidi isolate' => [['client_name' => "Word\u{2067}Press\u{2069}"]],
            'client_name with a right-to-left mark' => [['client_name' => "Claude\u{200F}"]],
            'client_name with a zero-width space' => [['client_name' => "Word\u{200B}Press"]],
            'client_name with a zero-width joiner' => [['client_name' => "Word\u{200D}Press"]],
            'client_name with a byte order mark' => [['client_name' => "\u{FEFF}WordPress"]],
            'client_name with a soft hyphen' => [['client_name' => "Word\u{00AD}Press"]],
            'client_name with a tag character' => [['client_name' => "App\u{E0041}"]],
            'client_name with a no-break space' => [['client_name' => "Word\u{00A0}Press"]],
            'client_name with a Hangul filler' => [['client_name' => "\u{3164}"]],
            'client_name with a C1 control' => [['client_name' => "App\u{0085}"]],
            'client_name with a line separator' => [['client_name' => "App\u{2028}Official"]],
            'client_name invalid UTF-8' => [['client_name' => "App\xC3\x28"]],
            'software_id with a zero-width space' => [['software_id' => "id\u{200B}"]],
        ];
    }

    /** @dataProvider badMetadata */
    public function testRefusesBadMetadata($override, bool $whole = false): void
    {
        $this->assertError('invalid_client_metadata', $whole ? $override : self::valid($override));
    }

    public function testDefaultsFollowRfc7591(): void
    {
        $meta = \Wpoa\Client_Metadata::validate(['redirect_uris' => ['https://app.example.com/cb']]);
        $this->assertSame('client_secret_basic', $meta['token_endpoint_auth_method'], 'RFC 7591 §2 default');
        $this->assertSame(['authorization_code', 'refresh_token'], $meta['grant_types']);
        $this->assertSame(['code'], $meta['response_types']);
        $this->assertArrayNotHasKey('scope', $meta);
    }

    public function testKeepsSupportedMembersAndIgnoresUnknownOnes(): void
    {
        $meta = \Wpoa\Client_Metadata::validate(self::valid([
            'client_name' => '  My App  ',
            'client_uri' => 'https://app.example.com/',
            'logo_uri' => 'https://app.example.com/logo.png',
            'scope' => 'write  read',
            'grant_types' => ['authorization_code'],
            'response_types' => ['code'],
            'contacts' => ['dev@example.com', 'dev@example.com'],
            'software_id' => '4NRB1-0XZABZI9E6-5SM3R',
            'software_version' => '2.1',
            'jwks_uri' => 'https://evil.example/jwks',
            'tos_uri' => 'https://app.example.com/tos',
            'client_name#ja-Jpan-JP' => 'アプリ',
            'redirect_uris' => ['https://app.example.com/cb', 'https://app.example.com/cb'],
            'software_statement' => 'eyJ...',
        ]));
        $this->assertSame('My App', $meta['client_name']);
        $this->assertSame('read write', $meta['scope'], 'canonical order');
        $this->assertSame(['authorization_code'], $meta['grant_types']);
        $this->assertSame(['dev@example.com'], $meta['contacts']);
        $this->assertSame(['https://app.example.com/cb'], $meta['redirect_uris'], 'duplicates removed');
        $this->assertSame('4NRB1-0XZABZI9E6-5SM3R', $meta['software_id']);
        foreach (['jwks_uri', 'tos_uri', 'client_name#ja-Jpan-JP', 'software_statement'] as $ignored) {
            $this->assertArrayNotHasKey($ignored, $meta);
        }
    }

    public function testApplicationTypeIsKeptOrInferred(): void
    {
        $web = \Wpoa\Client_Metadata::validate(self::valid());
        $this->assertSame('web', $web['application_type'], 'only https redirect URIs');
        foreach (['http://localhost:8080/cb', 'com.example.app:/cb', 'http://127.0.0.1/cb'] as $uri) {
            $this->assertSame('native', \Wpoa\Client_Metadata::validate(self::valid(['redirect_uris' => [$uri]]))['application_type'], $uri);
        }
        $this->assertSame('native', \Wpoa\Client_Metadata::validate(self::valid(['application_type' => 'native']))['application_type']);
        // A web application may not use loopback or custom-scheme redirect URIs (OpenID Connect DCR §2).
        $this->assertError('invalid_redirect_uri', self::valid(['application_type' => 'web', 'redirect_uris' => ['http://localhost/cb']]));
        $this->assertError('invalid_redirect_uri', self::valid(['application_type' => 'web', 'redirect_uris' => ['https://a.example/cb', 'com.example.app:/cb']]));
    }

    public function testOrdinaryNamesInAnyScriptAreKept(): void
    {
        foreach (['Claude', 'Visual Studio Code', 'アプリ', 'تطبيق ووردبريس', 'Ünïcödé – “quoted” 📝'] as $name) {
            $this->assertSame($name, \Wpoa\Client_Metadata::validate(self::valid(['client_name' => $name]))['client_name']);
        }
    }

    public function testStoredNamesAreNeutralizedWhereShown(): void
    {
        $client = new \Wpoa\Client();
        $client->client_id = 'c-1';
        $client->metadata = ['client_name' => "Good\u{202E}ppA liveE"];
        $this->assertSame('GoodppA liveE', $client->name());
        $client->metadata = ['client_name' => "\u{200B}\u{2066}"];
        $this->assertSame('c-1', $client->name(), 'nothing visible left: the client_id is shown');
        $this->assertSame('Word Press', \Wpoa\Client_Metadata::neutralize("Word\u{00A0}\u{200B} Press"));
    }

    public function testNullMembersCountAsAbsent(): void
    {
        $meta = \Wpoa\Client_Metadata::validate(self::valid(['client_name' => null, 'scope' => null, 'grant_types' => null]));
        $this->assertArrayNotHasKey('client_name', $meta);
        $this->assertSame(['authorization_code', 'refresh_token'], $meta['grant_types']);
    }

    public function testRedirectUriLimitIsFilterable(): void
    {
        $uris = ['https://a.example/1', 'https://a.example/2', 'https://a.example/3'];
        $this->assertCount(3, \Wpoa\Client_Metadata::validate(self::valid(['redirect_uris' => $uris]))['redirect_uris']);
        $cap = static fn () => 2;
        add_filter('wpoa_max_redirect_uris', $cap);
        try {
            $this->assertError('invalid_redirect_uri', self::valid(['redirect_uris' => $uris]));
        } finally {
            remove_filter('wpoa_max_redirect_uris', $cap);
        }
    }

    private function assertError(string $code, $input): void
    {
        try {
            \Wpoa\Client_Metadata::validate($input);
        } catch (\Wpoa\OAuth_Error $e) {
            $this->assertSame($code, $e->error, $e->getMessage());
            $this->assertSame(400, $e->status);
            $this->assertNotSame('', $e->getMessage());
            return;
        }
        $this->fail("expected $code for " . substr(var_export($input, true), 0, 200));
    }
}
