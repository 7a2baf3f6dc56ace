<?php
/**
 * Discovery documents (RFC 8414, RFC 9728), the JWKS and the REST index entry.
 *
 * @covers \Wpoa\Discovery
 */
final class DiscoveryTest extends PHPUnit\Framework\TestCase
{
    protected function setUp(): void
    {
        $_SERVER['HTTPS'] = 'on';
        delete_option(\Wpoa\Registration_Controller::OPTION_MODE);
    }

    protected function tearDown(): void
    {
        $_SERVER['HTTPS'] = 'on';
        delete_option(\Wpoa\Registration_Controller::OPTION_MODE);
    }

    private static function get(string $route): WP_REST_Response
    {
        return rest_ensure_response(rest_get_server()->dispatch(new WP_REST_Request('GET', $route)));
    }

    public function testAuthorizationServerMetadataListsWhatIsImplemented(): void
    {
        $site = wpoa_site()['url'];
        $meta = \Wpoa\Discovery::authorization_server_metadata();
        // Literals, not values rebuilt from Urls: the issuer is the site URL exactly.
        $this->assertSame($site, $meta['issuer']);
        $this->assertSame("$site/oauth/authorize", $meta['authorization_endpoint']);
        $this->assertSame("$site/wp-json/wp-oauth/v1/token", $meta['token_endpoint']);
        $this->assertSame("$site/wp-json/wp-oauth/v1/register", $meta['registration_endpoint']);
        $this->assertSame("$site/wp-json/wp-oauth/v1/jwks", $meta['jwks_uri']);
        $this->assertSame(['code'], $meta['response_types_supported']);
        $this->assertSame(['query'], $meta['response_modes_supported']);
        $this->assertSame(['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', 'client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'], $meta['grant_types_supported']);
        $this->assertSame("$site/wp-json/wp-oauth/v1/device_authorization", $meta['device_authorization_endpoint']);
        $this->assertSame(['ES256', 'EdDSA', 'PS256', 'RS256'], $meta['dpop_signing_alg_values_supported']);
        $this->assertSame(['S256'], $meta['code_challenge_methods_supported']);
        $this->assertSame(['none', 'client_secret_basic', 'client_secret_post'], $meta['token_endpoint_auth_methods_supported']);
        $this->assertSame(['read', 'write', 'full'], $meta['scopes_supported']);
        $this->assertTrue($meta['authorization_response_iss_parameter_supported']);
        foreach (['revocation' => 'revoke', 'introspection' => 'introspect'] as $name => $route) {
            $class = '\\Wpoa\\' . ucfirst($name) . '_Controller';
            if (class_exists($class)) {
                $this->assertSame("$site/wp-json/wp-oauth/v1/$route", $meta["{$name}_endpoint"]);
                $this->assertNotEmpty($meta["{$name}_endpoint_auth_methods_supported"]);
            } else {
                $this->assertArrayNotHasKey("{$name}_endpoint", $meta);
            }
        }
        // Nothing that is not implemented.
        foreach (['userinfo_endpoint', 'end_session_endpoint', 'pushed_authorization_request_endpoint',
            'id_token_signing_alg_values_supported', 'request_parameter_supported'] as $absent) {
            $this->assertArrayNotHasKey($absent, $meta);
        }
        $this->assertNotContains('implicit', $meta['grant_types_supported']);
        $this->assertNotContains('plain', $meta['code_challenge_methods_supported']);
    }

    public function testIssuerIsTheIssOfOurTokens(): void
    {
        $token = \Wpoa\Token_Issuer::access_token('client-x', 1, 'read', 1, \Wpoa\Urls::audience(), time());
        $claims = \Wpoa\Crypto::jwt_decode($token['token'], \Wpoa\Keys::public_jwks(), ['typ' => 'at+jwt']);
        $this->assertSame(\Wpoa\Discovery::authorization_server_metadata()['issuer'], $claims['iss']);
        $this->assertSame(\Wpoa\Discovery::protected_resource_metadata()['resource'], $claims['aud']);
    }

    public function testProtectedResourceMetadata(): void
    {
        $site = wpoa_site()['url'];
        $meta = \Wpoa\Discovery::protected_resource_metadata();
        $this->assertSame("$site/wp-json/", $meta['resource']);
        $this->assertSame([$site], $meta['authorization_servers']);
        $this->assertSame(['header'], $meta['bearer_methods_supported']);
        $this->assertSame(['read', 'write', 'full'], $meta['scopes_supported']);
    }

    /** Which document each path gets (RFC 8414 §3.1, RFC 9728 §3.1). */
    public function paths(): array
    {
        return [
            'AS metadata, root site' => ['/.well-known/oauth-authorization-server', 'as'],
            'PRM path-inserted with slash' => ['/.well-known/oauth-protected-resource/wp-json/', 'resource'],
            'PRM path-inserted without slash' => ['/.well-known/oauth-protected-resource/wp-json', 'resource'],
            'PRM bare' => ['/.well-known/oauth-protected-resource', 'resource'],
            'AS wrong suffix' => ['/.well-known/oauth-authorization-server/other', 'not_found'],
            'PRM other resource' => ['/.well-known/oauth-protected-resource/wp-admin/', 'not_found'],
            'OpenID configuration' => ['/.well-known/openid-configuration', 'not_found'],
            'other well-known name' => ['/.well-known/security.txt', null],
            'not well-known' => ['/wp-json/', null],
            'similar prefix' => ['/.well-known/oauth-authorization-serverX', null],
        ];
    }

    /** @dataProvider paths */
    public function testRouteForPath(string $path, ?string $expected): void
    {
        $this->assertSame($expected, \Wpoa\Discovery::route_for_path($path));
    }

    public function testSubDirectorySiteUsesPathInsertedUrls(): void
    {
        $home = static fn ($url, $path = '') => 'https://example.com/blog' . ('' !== $path ? '/' . ltrim($path, '/') : '');
        $rest = static fn () => 'https://example.com/blog/wp-json/';
        add_filter('home_url', $home, 99, 2);
        add_filter('rest_url', $rest, 99);
        try {
            $this->assertSame('https://example.com/blog', \Wpoa\Urls::issuer());
            $this->assertSame('as', \Wpoa\Discovery::route_for_path('/.well-known/oauth-authorization-server/blog'));
            $this->assertSame('as', \Wpoa\Discovery::route_for_path('/blog/.well-known/oauth-authorization-server'));
            $this->assertSame('not_found', \Wpoa\Discovery::route_for_path('/.well-known/oauth-authorization-server'));
            $this->assertSame('resource', \Wpoa\Discovery::route_for_path('/.well-known/oauth-protected-resource/blog/wp-json/'));
            $this->assertSame('https://example.com/blog', \Wpoa\Discovery::authorization_server_metadata()['issuer']);
        } finally {
            remove_filter('home_url', $home, 99);
            remove_filter('rest_url', $rest, 99);
        }
    }

    public function testWellKnownResponses(): void
    {
        [$status, $headers, $body] = \Wpoa\Discovery::well_known_response('as', 'GET');
        $this->assertSame(200, $status);
        $this->assertSame('*', $headers['Access-Control-Allow-Origin']);
        $this->assertStringStartsWith('application/json', $headers['Content-Type']);
        $this->assertSame('public, max-age=3600', $headers['Cache-Control']);
        $this->assertSame(wpoa_site()['url'], $body['issuer']);

        [$status, , $body] = \Wpoa\Discovery::well_known_response('not_found', 'GET');
        $this->assertSame(404, $status);
        $this->assertSame('not_found', $body['error']);

        [$status, $headers] = \Wpoa\Discovery::well_known_response('as', 'POST');
        $this->assertSame(405, $status);
        $this->assertSame('GET, HEAD, OPTIONS', $headers['Allow']);

        [$status, , $body] = \Wpoa\Discovery::well_known_response('as', 'OPTIONS');
        $this->assertSame(204, $status);
        $this->assertNull($body);

        unset($_SERVER['HTTPS']);
        [$status, $headers, $body] = \Wpoa\Discovery::well_known_response('as', 'GET');
        $this->assertSame(400, $status);
        $this->assertSame('invalid_request', $body['error']);
        $this->assertSame('no-store', $headers['Cache-Control']);
    }

    public function testRestMirrors(): void
    {
        $meta = self::get('/wp-oauth/v1/metadata');
        $this->assertSame(200, $meta->get_status());
        $this->assertSame(\Wpoa\Discovery::authorization_server_metadata(), $meta->get_data());
        $this->assertSame('*', $meta->get_headers()['Access-Control-Allow-Origin']);
        $pr = self::get('/wp-oauth/v1/resource-metadata');
        $this->assertSame(\Wpoa\Discovery::protected_resource_metadata(), $pr->get_data());

        unset($_SERVER['HTTPS']);
        $refused = self::get('/wp-oauth/v1/metadata');
        $this->assertSame(400, $refused->get_status());
        $this->assertSame('invalid_request', $refused->get_data()['error']);
    }

    public function testJwksHasPublicKeysOnly(): void
    {
        \Wpoa\Keys::ensure_key();
        $response = self::get('/wp-oauth/v1/jwks');
        $this->assertSame(200, $response->get_status());
        $this->assertSame('public, max-age=300', $response->get_headers()['Cache-Control']);
        $this->assertStringStartsWith('application/jwk-set+json', $response->get_headers()['Content-Type']);
        $keys = $response->get_data()['keys'];
        $this->assertNotEmpty($keys);
        $current = \Wpoa\Keys::current();
        $this->assertContains($current['kid'], array_column($keys, 'kid'));
        foreach ($keys as $key) {
            foreach (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as $private) {
                $this->assertArrayNotHasKey($private, $key);
            }
        }
        $this->assertStringNotContainsString(json_decode($current['jwk'], true)['d'], json_encode($response->get_data()));
    }

    public function testJwksStripsPrivateMembersEvenIfStoredByMistake(): void
    {
        $leaky = static fn () => '{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","d":"SECRET","kid":"k"}]}';
        add_filter('pre_option_' . \Wpoa\Keys::OPTION_JWKS, $leaky);
        try {
            $this->assertSame([['kty' => 'EC', 'crv' => 'P-256', 'x' => 'a', 'y' => 'b', 'kid' => 'k']], \Wpoa\Discovery::public_jwks()['keys']);
        } finally {
            remove_filter('pre_option_' . \Wpoa\Keys::OPTION_JWKS, $leaky);
        }
    }

    public function testRestIndexAdvertisesOauth2(): void
    {
        $index = self::get('/');
        $auth = $index->get_data()['authentication'];
        $this->assertArrayHasKey('application-passwords', $auth, 'core entry kept');
        $site = wpoa_site()['url'];
        $this->assertSame("$site/.well-known/oauth-authorization-server", $auth['oauth2']['metadata']);
        $this->assertSame("$site/oauth/authorize", $auth['oauth2']['endpoints']['authorization']);
        // Flat keys beside `endpoints`, the shape WordPress.com publishes.
        $this->assertSame("$site/oauth/authorize", $auth['oauth2']['authorize']);
        $this->assertSame("$site/wp-json/wp-oauth/v1/token", $auth['oauth2']['token']);
        $this->assertSame("$site/wp-json/wp-oauth/v1/token", $auth['oauth2']['endpoints']['token']);
        $this->assertSame("$site/wp-json/wp-oauth/v1/register", $auth['oauth2']['endpoints']['registration']);

        \Wpoa\Registration_Controller::set_mode('off');
        $this->assertArrayNotHasKey('registration', self::get('/')->get_data()['authentication']['oauth2']['endpoints']);
    }
}
