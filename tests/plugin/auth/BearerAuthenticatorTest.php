<?php
/**
 * Bearer authentication against the real WordPress, database and extension.
 *
 * Tokens are minted the way the token endpoint does (Client_Repository, Grant_Repository,
 * Token_Issuer); foreign and malformed ones are built by hand (alg none) or with a key that is
 * not the site's. Expected values are literals or come from WordPress itself (user ids).
 *
 * @covers \Wpoa\Bearer_Authenticator
 */
final class BearerAuthenticatorTest extends PHPUnit\Framework\TestCase
{
    /** @var array<string,mixed> */
    private $server;

    /** @var array<string,mixed> */
    private $get;

    /** @var string[] Reasons reported through wpoa_bearer_authentication_failed. */
    private $failures = [];

    /** @var callable */
    private $failureListener;

    protected function setUp(): void
    {
        $this->server = $_SERVER;
        $this->get = $_GET;
        $this->auth()->reset();
        $this->failures = [];
        $this->failureListener = function ($reason) {
            $this->failures[] = $reason;
        };
        add_action('wpoa_bearer_authentication_failed', $this->failureListener);
        wp_set_current_user(0);
    }

    /** Makes bearer checks read the grant row, as after an overflow of the recent-revocation list. */
    private function overflowRevocationList(): void
    {
        global $wpdb;
        $wpdb->query($wpdb->prepare("REPLACE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES ('wpoa_revocation_list', %s, 'yes')", 'wpoa1;o@' . (time() + 600)));
        wp_cache_delete('alloptions', 'options');
    }

    protected function tearDown(): void
    {
        global $wpdb;
        $wpdb->query("REPLACE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES ('wpoa_revocation_list', 'wpoa1', 'yes')");
        wp_cache_delete('alloptions', 'options');
        remove_action('wpoa_bearer_authentication_failed', $this->failureListener);
        $_SERVER = $this->server;
        $_GET = $this->get;
        $this->auth()->reset();
        wp_set_current_user(0);
    }

    private function auth(): \Wpoa\Bearer_Authenticator
    {
        $auth = \Wpoa\Plugin::component(\Wpoa\Bearer_Authenticator::class);
        $this->assertInstanceOf(\Wpoa\Bearer_Authenticator::class, $auth, 'Bearer_Authenticator is not registered');
        return $auth;
    }

    /**
     * A client, an active grant and an access token for a user, as the token endpoint makes them.
     *
     * @return array{token:string, jti:string, grant_id:int, client_id:string, user_id:int}
     */
    private function mint(string $role = 'author', string $scope = 'read write'): array
    {
        $user = wpoa_user($role);
        $clientId = 'test-' . wp_generate_password(12, false);
        $client = \Wpoa\Client_Repository::insert([
            'client_id' => $clientId,
            'token_endpoint_auth_method' => 'none',
            'redirect_uris' => ['https://client.example/cb'],
            'metadata' => ['client_name' => 'Bearer test'],
        ]);
        $this->assertNotNull($client);
        $grantId = \Wpoa\Grant_Repository::create($clientId, $user->ID, $scope, \Wpoa\Urls::audience(), time());
        $this->assertGreaterThan(0, $grantId);
        $access = \Wpoa\Token_Issuer::access_token($clientId, $user->ID, $scope, $grantId, \Wpoa\Urls::audience(), time());
        return $access + ['grant_id' => $grantId, 'client_id' => $clientId, 'user_id' => $user->ID];
    }

    /** Claims like Token_Issuer's, for hand-made tokens. */
    private function claims(array $m, array $override = []): array
    {
        $now = time();
        return array_merge([
            'iss' => \Wpoa\Urls::issuer(),
            'sub' => (string) $m['user_id'],
            'aud' => \Wpoa\Urls::audience(),
            'client_id' => $m['client_id'],
            'scope' => 'read write',
            'jti' => 'hand-' . wp_generate_password(16, false),
            'iat' => $now,
            'exp' => $now + 600,
            'auth_time' => $now,
            'grant_id' => (string) $m['grant_id'],
        ], $override);
    }

    /** Signed with the site's current key, as at+jwt. */
    private function sign(array $claims, array $header = ['typ' => 'at+jwt']): string
    {
        return \Wpoa\Crypto::jwt_encode($claims, \Wpoa\Keys::current()['jwk'], $header);
    }

    private static function b64url(string $bytes): string
    {
        return rtrim(strtr(base64_encode($bytes), '+/', '-_'), '=');
    }

    /** A REST request context carrying the given Authorization header (or none). */
    private function restRequest(?string $authorization, string $uri = '/wp-json/wp/v2/users/me'): void
    {
        unset($_SERVER['HTTP_AUTHORIZATION'], $_SERVER['REDIRECT_HTTP_AUTHORIZATION'], $_GET['access_token'], $_GET['rest_route']);
        $_SERVER['REQUEST_URI'] = $uri;
        $_SERVER['HTTPS'] = 'on';
        if (null !== $authorization) {
            $_SERVER['HTTP_AUTHORIZATION'] = wp_slash($authorization);
        }
        $this->auth()->reset();
    }

    /** Runs the determine_current_user stage as core does. */
    private function currentUser($input = false)
    {
        return apply_filters('determine_current_user', $input);
    }

    public function testValidTokenAuthenticatesItsUser(): void
    {
        $m = $this->mint('author');
        $this->restRequest('Bearer ' . $m['token']);
        $this->assertSame($m['user_id'], $this->currentUser());
        $this->assertTrue($this->auth()->attempted());
        $this->assertSame($m['user_id'], $this->auth()->user_id());
        $this->assertSame('read write', $this->auth()->scope());
        $this->assertSame($m['jti'], $this->auth()->claims()['jti']);
        $this->assertNull($this->auth()->error());
        $this->assertTrue(apply_filters('rest_authentication_errors', null));
        $this->assertSame([], $this->failures);
    }

    /** @return array<string, array{0:string}> */
    public function headerSpellings(): array
    {
        return [
            'canonical' => ['Bearer %s'],
            'lower-case scheme' => ['bearer %s'],
            'upper-case scheme' => ['BEARER %s'],
            'surrounding white space' => ["  Bearer \t %s  "],
        ];
    }

    /** @dataProvider headerSpellings */
    public function testSchemeIsCaseInsensitiveAndWhitespaceTolerated(string $format): void
    {
        $m = $this->mint();
        $this->restRequest(sprintf($format, $m['token']));
        $this->assertSame($m['user_id'], $this->currentUser());
    }

    public function testRedirectHeaderFallback(): void
    {
        $m = $this->mint();
        $this->restRequest(null);
        $_SERVER['REDIRECT_HTTP_AUTHORIZATION'] = 'Bearer ' . $m['token'];
        $this->assertSame($m['user_id'], $this->currentUser());
    }

    public function testRestRouteQueryCountsAsRestRequest(): void
    {
        $m = $this->mint();
        $this->restRequest('Bearer ' . $m['token'], '/?rest_route=/wp/v2/users/me');
        $_GET['rest_route'] = '/wp/v2/users/me';
        $this->assertSame($m['user_id'], $this->currentUser());
    }

    public function testNoCredentialLeavesOtherAuthenticationAlone(): void
    {
        $this->restRequest(null);
        // Called directly: core's own cookie callback (priority 10) would replace a fake input id.
        $this->assertSame(7, $this->auth()->determine_current_user(7), 'a cookie user stays');
        $this->assertFalse($this->currentUser(false));
        $this->assertFalse($this->auth()->attempted());
        $this->assertNull($this->auth()->rest_authentication_errors(null));
    }

    public function testBasicCredentialIsNotOurs(): void
    {
        $this->restRequest('Basic ' . base64_encode('admin:xxxx xxxx xxxx'));
        $this->assertSame(3, $this->auth()->determine_current_user(3));
        $this->assertFalse($this->auth()->attempted());
    }

    public function testNonRestRequestsAreUntouched(): void
    {
        $m = $this->mint();
        foreach (['/', '/wp-admin/', '/wp-login.php', '/?p=1', '/wp-jsonx/wp/v2/users/me'] as $uri) {
            $this->restRequest('Bearer ' . $m['token'], $uri);
            $this->assertSame(5, $this->auth()->determine_current_user(5), $uri);
            $this->assertFalse($this->auth()->attempted(), $uri);
        }
    }

    public function testOwnOAuthEndpointsAreUntouched(): void
    {
        foreach (['token', 'revoke', 'introspect', 'register', 'register/abc'] as $route) {
            $this->restRequest('Bearer garbage', '/wp-json/wp-oauth/v1/' . $route);
            $this->assertFalse($this->currentUser(false), $route);
            $this->assertFalse($this->auth()->attempted(), $route);
        }
    }

    public function testValidTokenWinsOverACookieUser(): void
    {
        $m = $this->mint('author');
        $admin = wpoa_user('admin')->ID;
        $this->restRequest('Bearer ' . $m['token']);
        $this->assertSame($m['user_id'], $this->currentUser($admin));
        // Core's cookie nonce check (priority 100) must not run after us: we answered true.
        $this->assertTrue(apply_filters('rest_authentication_errors', null));
    }

    public function testInvalidTokenNeverFallsBackToTheCookie(): void
    {
        $admin = wpoa_user('admin')->ID;
        $this->restRequest('Bearer not-a-token');
        $this->assertSame(0, $this->currentUser($admin));
        $error = apply_filters('rest_authentication_errors', null);
        $this->assertInstanceOf(WP_Error::class, $error);
        $this->assertSame('invalid_token', $error->get_error_code());
        $this->assertSame(['status' => 401], $error->get_error_data());
    }

    public function testEarlierErrorIsKept(): void
    {
        $this->restRequest('Bearer not-a-token');
        $earlier = new WP_Error('other', 'x', ['status' => 403]);
        $this->assertSame($earlier, $this->auth()->rest_authentication_errors($earlier));
    }

    /**
     * Every bad token: 401 invalid_token, the reason reported, nobody authenticated.
     *
     * @return array<string, array{0:callable, 1:string}>
     */
    public function badTokens(): array
    {
        return [
            'garbage' => [fn() => 'garbage', 'malformed'],
            'truncated' => [fn(array $m) => substr($m['token'], 0, -10), null],
            'signature bit flipped' => [function (array $m) {
                $parts = explode('.', $m['token']);
                $sig = base64_decode(strtr($parts[2], '-_', '+/'));
                $sig[5] = chr(ord($sig[5]) ^ 1);
                $parts[2] = self::b64url($sig);
                return implode('.', $parts);
            }, 'invalid_signature'],
            'expired' => [fn(array $m) => $this->sign($this->claims($m, ['iat' => time() - 7200, 'exp' => time() - 3600])), 'expired'],
            'other audience' => [fn(array $m) => $this->sign($this->claims($m, ['aud' => 'https://other.example/wp-json/'])), 'invalid_audience'],
            'other issuer' => [fn(array $m) => $this->sign($this->claims($m, ['iss' => 'https://other.example'])), 'invalid_issuer'],
            'not at+jwt' => [fn(array $m) => $this->sign($this->claims($m), ['typ' => 'JWT']), 'invalid_type'],
            'no grant_id' => [function (array $m) {
                $c = $this->claims($m);
                unset($c['grant_id']);
                return $this->sign($c);
            }, 'missing_claim'],
            'foreign key, same kid-less header' => [function (array $m) {
                $jwk = \Wpoa\Crypto::key_generate('ES256');
                return \Wpoa\Crypto::jwt_encode($this->claims($m), $jwk, ['typ' => 'at+jwt']);
            }, 'unknown_kid'],
            'alg none' => [function (array $m) {
                $kid = \Wpoa\Keys::current()['kid'];
                return self::b64url(json_encode(['alg' => 'none', 'typ' => 'at+jwt', 'kid' => $kid])) . '.'
                    . self::b64url(json_encode($this->claims($m))) . '.';
            }, null],
            'revoked grant' => [function (array $m) {
                \Wpoa\Grant_Repository::revoke($m['grant_id'], 'user_revoked');
                return $m['token'];
            }, 'revoked'],
            'revoked jti' => [function (array $m) {
                \Wpoa\Grant_Repository::revoke_jti($m['jti'], $m['grant_id'], time() + 3600);
                return $m['token'];
            }, 'revoked'],
            // Claims that disagree with their grant can only be signed with the site's own key; the
            // grant row is compared with them whenever it is read (here: the recent-revocation list
            // has overflowed). When the list can tell, the signed claims are trusted, see
            // docs/decisions/revocation-without-a-query.md.
            'grant of another user' => [function (array $m) {
                $other = $this->mint('subscriber');
                $this->overflowRevocationList();
                return $this->sign($this->claims($m, ['grant_id' => (string) $other['grant_id']]));
            }, 'grant_mismatch'],
            'grant of another client' => [function (array $m) {
                $this->overflowRevocationList();
                return $this->sign($this->claims($m, ['client_id' => 'someone-else']));
            }, 'grant_mismatch'],
            'unknown grant' => [fn(array $m) => $this->sign($this->claims($m, ['grant_id' => '999999999'])), 'revoked'],
            'sub not a user id' => [fn(array $m) => $this->sign($this->claims($m, ['sub' => 'admin'])), 'invalid_claims'],
            'issued before password change' => [function (array $m) {
                update_user_meta($m['user_id'], 'wpoa_tokens_valid_after', time() + 5);
                return $m['token'];
            }, 'password_changed'],
            'too long' => [fn() => str_repeat('a', 20000), 'too_long'],
            'two tokens joined' => [fn(array $m) => $m['token'] . ', Bearer ' . $m['token'], 'multiple'],
            'empty' => [fn() => '', 'empty'],
        ];
    }

    /** @dataProvider badTokens */
    public function testBadTokensAreRefused(callable $make, ?string $reason): void
    {
        $m = $this->mint('author');
        try {
            $token = $make($m);
            $this->restRequest('Bearer ' . $token);
            $admin = wpoa_user('admin')->ID;
            $this->assertSame(0, $this->currentUser($admin), 'nobody, not even the cookie user');
            $error = $this->auth()->error();
            $this->assertNotNull($error);
            $this->assertSame('invalid_token', $error->error);
            $this->assertSame(401, $error->status);
            $this->assertStringStartsWith('Bearer realm="localhost", error="invalid_token", error_description="', $error->headers['WWW-Authenticate']);
            $this->assertStringEndsWith(', resource_metadata="' . \Wpoa\Urls::protected_resource_metadata() . '"', $error->headers['WWW-Authenticate']);
            $this->assertCount(1, $this->failures);
            if (null !== $reason) {
                $this->assertSame($reason, $this->failures[0]);
            }
            $this->assertStringNotContainsString(substr($m['token'], 20, 30), $error->getMessage(), 'no token contents in the description');
        } finally {
            delete_user_meta($m['user_id'], 'wpoa_tokens_valid_after');
        }
    }

    public function testDeletedUsersTokenIsRefused(): void
    {
        require_once ABSPATH . 'wp-admin/includes/user.php';
        $uid = wp_insert_user(['user_login' => 'gone' . wp_rand(), 'user_pass' => wp_generate_password(), 'role' => 'author']);
        $this->assertIsInt($uid);
        $clientId = 'test-' . wp_generate_password(12, false);
        \Wpoa\Client_Repository::insert(['client_id' => $clientId, 'redirect_uris' => ['https://c.example/cb'], 'metadata' => []]);
        $grant = \Wpoa\Grant_Repository::create($clientId, $uid, 'read', \Wpoa\Urls::audience(), time());
        $access = \Wpoa\Token_Issuer::access_token($clientId, $uid, 'read', $grant, \Wpoa\Urls::audience(), time());
        $this->restRequest('Bearer ' . $access['token']);
        $this->assertSame($uid, $this->currentUser());

        wp_delete_user($uid);
        $this->restRequest('Bearer ' . $access['token']);
        $this->assertSame(0, $this->currentUser());
        $this->assertSame('invalid_token', $this->auth()->error()->error);
    }

    public function testUserDeletedWithoutOurHookIsStillRefused(): void
    {
        global $wpdb;
        $uid = wp_insert_user(['user_login' => 'raw' . wp_rand(), 'user_pass' => wp_generate_password(), 'role' => 'author']);
        $m = ['user_id' => $uid, 'client_id' => 'test-' . wp_generate_password(12, false)];
        \Wpoa\Client_Repository::insert(['client_id' => $m['client_id'], 'redirect_uris' => ['https://c.example/cb'], 'metadata' => []]);
        $m['grant_id'] = \Wpoa\Grant_Repository::create($m['client_id'], $uid, 'read', \Wpoa\Urls::audience(), time());
        $token = $this->sign($this->claims($m));
        // Gone behind WordPress's back (e.g. a direct SQL clean-up): the grant is still active.
        $wpdb->delete($wpdb->users, ['ID' => $uid]);
        wp_cache_delete($uid, 'users');
        wp_cache_delete($uid, 'user_meta');
        $this->restRequest('Bearer ' . $token);
        $this->assertSame(0, $this->currentUser());
        $this->assertSame(['user_missing'], $this->failures);
    }

    public function testQueryStringTokenIsRefusedUnlessEnabled(): void
    {
        $m = $this->mint();
        $this->restRequest(null);
        $_GET['access_token'] = $m['token'];
        $this->assertSame(0, $this->currentUser(4));
        $this->assertSame('invalid_token', $this->auth()->error()->error);
        $this->assertSame(['query_token'], $this->failures);

        add_filter('wpoa_allow_query_access_token', '__return_true');
        try {
            $this->restRequest(null);
            $_GET['access_token'] = wp_slash($m['token']);
            $this->assertSame($m['user_id'], $this->currentUser());

            // Both methods at once: RFC 6750 §2 invalid_request.
            $this->restRequest('Bearer ' . $m['token']);
            $_GET['access_token'] = $m['token'];
            $this->assertSame(0, $this->currentUser());
            $this->assertSame('invalid_request', $this->auth()->error()->error);
            $this->assertSame(400, $this->auth()->error()->status);
        } finally {
            remove_filter('wpoa_allow_query_access_token', '__return_true');
        }
    }

    public function testPlainHttpIsRefusedWithInvalidRequest(): void
    {
        $m = $this->mint();
        $this->restRequest('Bearer ' . $m['token']);
        unset($_SERVER['HTTPS']);
        $_SERVER['SERVER_PORT'] = '80';
        add_filter('wpoa_allow_insecure_http', '__return_false');
        try {
            $this->assertSame(0, $this->currentUser(2));
            $error = $this->auth()->error();
            $this->assertSame('invalid_request', $error->error);
            $this->assertSame(400, $error->status);
            $this->assertMatchesRegularExpression('/HTTPS/', $error->getMessage());
            $this->assertStringContainsString('error="invalid_request"', $error->headers['WWW-Authenticate']);
        } finally {
            remove_filter('wpoa_allow_insecure_http', '__return_false');
        }
    }

    public function testErrorResponseIsRewrittenToRfc6750(): void
    {
        $this->restRequest('Bearer garbage');
        $this->currentUser();
        $server = rest_get_server();
        $error = apply_filters('rest_authentication_errors', null);
        $response = rest_convert_error_to_response($error);
        $request = new WP_REST_Request('GET', '/wp/v2/users/me');
        $out = apply_filters('rest_post_dispatch', rest_ensure_response($response), $server, $request);
        $this->assertSame(401, $out->get_status());
        $this->assertSame(['error' => 'invalid_token', 'error_description' => 'The access token is malformed or not valid.'], $out->get_data());
        $headers = $out->get_headers();
        $this->assertSame(
            'Bearer realm="localhost", error="invalid_token", error_description="The access token is malformed or not valid.", scope="read write", resource_metadata="'
            . wpoa_site()['url'] . '/.well-known/oauth-protected-resource/wp-json/' . '"',
            $headers['WWW-Authenticate']
        );
        $this->assertSame('private, no-store', $headers['Cache-Control']);
        $this->assertSame('Authorization', $headers['Vary']);
    }

    public function testPreDispatchSafetyNet(): void
    {
        $this->restRequest('Bearer garbage');
        $this->currentUser();
        $result = apply_filters('rest_pre_dispatch', null, rest_get_server(), new WP_REST_Request('GET', '/wp/v2/posts'));
        $this->assertInstanceOf(WP_Error::class, $result);
        $this->assertSame('invalid_token', $result->get_error_code());
    }

    public function testSuccessfulResponseIsPrivate(): void
    {
        $m = $this->mint();
        $this->restRequest('Bearer ' . $m['token']);
        wp_set_current_user($this->currentUser());
        $request = new WP_REST_Request('GET', '/wp/v2/users/me');
        $response = rest_do_request($request);
        $out = apply_filters('rest_post_dispatch', $response, rest_get_server(), $request);
        $this->assertSame(200, $out->get_status());
        $this->assertSame($m['user_id'], $out->get_data()['id']);
        $this->assertSame('private, no-store', $out->get_headers()['Cache-Control']);
        $this->assertSame('Authorization', $out->get_headers()['Vary']);
        $this->assertSame('private, no-store', wp_get_nocache_headers()['Cache-Control']);
    }

    public function testAnonymous401CarriesTheDiscoveryChallenge(): void
    {
        $this->restRequest(null);
        $request = new WP_REST_Request('GET', '/wp/v2/users/me');
        $response = rest_do_request($request);
        $out = apply_filters('rest_post_dispatch', $response, rest_get_server(), $request);
        $this->assertSame(401, $out->get_status());
        $this->assertSame('rest_not_logged_in', $out->get_data()['code'], 'core body untouched');
        $this->assertSame(
            'Bearer realm="localhost", scope="read write", resource_metadata="' . wpoa_site()['url'] . '/.well-known/oauth-protected-resource/wp-json/' . '"',
            $out->get_headers()['WWW-Authenticate']
        );
        // Core's default for an anonymous request: WordPress 6.8 added no-store and private
        // for every visitor (6.3 had added them for logged-in users only).
        $core_default = version_compare(get_bloginfo('version'), '6.8', '>=')
            ? 'no-cache, must-revalidate, max-age=0, no-store, private'
            : 'no-cache, must-revalidate, max-age=0';
        $this->assertSame($core_default, wp_get_nocache_headers()['Cache-Control'], 'no bearer: core default');
    }

    /**
     * Without a persistent object cache the revocation check needs no query when the autoloaded
     * recent-revocation list can tell, and one indexed query when it has overflowed (the user and
     * its meta are loaded for any authenticated request, cookie or token: primed here); with a
     * persistent object cache, none. The last-use write happens at most once a minute.
     */
    public function testQueryBudget(): void
    {
        global $wpdb;
        $m = $this->mint();
        $setList = static function (string $value): void {
            global $wpdb;
            $wpdb->query($wpdb->prepare("REPLACE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES ('wpoa_revocation_list', %s, 'yes')", $value));
            wp_cache_delete('alloptions', 'options');
            wp_load_alloptions();
        };
        $setList('wpoa1;o@' . (time() + 600));
        $this->restRequest('Bearer ' . $m['token']);
        $this->assertSame($m['user_id'], $this->currentUser(), 'first use, list overflowed (records last use)');
        $this->assertNotNull(\Wpoa\Grant_Repository::find($m['grant_id'])->last_used_at);

        get_userdata($m['user_id']);
        get_user_meta($m['user_id']);
        $this->restRequest('Bearer ' . $m['token']);
        $before = $wpdb->num_queries;
        $this->assertSame($m['user_id'], $this->currentUser());
        $this->assertSame(1, $wpdb->num_queries - $before, 'one query while the list has overflowed');

        $setList('wpoa1');
        get_userdata($m['user_id']);
        get_user_meta($m['user_id']);
        $this->restRequest('Bearer ' . $m['token']);
        $before = $wpdb->num_queries;
        $this->assertSame($m['user_id'], $this->currentUser());
        $this->assertSame(0, $wpdb->num_queries - $before, 'no query when the list can tell');

        $was = wp_using_ext_object_cache(true);
        try {
            $this->restRequest('Bearer ' . $m['token']);
            $this->assertSame($m['user_id'], $this->currentUser(), 'fills the cache');
            $this->restRequest('Bearer ' . $m['token']);
            $before = $wpdb->num_queries;
            $this->assertSame($m['user_id'], $this->currentUser());
            $this->assertSame(0, $wpdb->num_queries - $before, 'no SQL with a persistent object cache');

            // Revocation reaches the cache at once.
            \Wpoa\Grant_Repository::revoke($m['grant_id'], 'user_revoked');
            $this->restRequest('Bearer ' . $m['token']);
            $this->assertSame(0, $this->currentUser());
        } finally {
            wp_using_ext_object_cache((bool) $was); // $was may be null (never set): null would not restore
        }
    }

    public function testTokensOfARetiredKeyStayValidUntilTheyExpire(): void
    {
        $old = $this->mint();
        $oldKid = \Wpoa\Keys::current()['kid'];
        \Wpoa\Keys::rotate('ES256', true); // signs at once, as an emergency rotation does
        $this->assertNotSame($oldKid, \Wpoa\Keys::current()['kid']);
        $new = $this->mint();
        foreach ([$old, $new] as $m) {
            $this->restRequest('Bearer ' . $m['token']);
            $this->assertSame($m['user_id'], $this->currentUser());
        }
        // Once the retired key has left the JWKS, its tokens stop working.
        $keys = \Wpoa\Keys::stored();
        foreach ($keys as &$key) {
            if ($key['kid'] === $oldKid) {
                $key['retired_at'] = time() - DAY_IN_SECONDS;
            }
        }
        unset($key);
        update_option(\Wpoa\Keys::OPTION_KEYS, $keys, false);
        \Wpoa\Keys::rebuild_jwks();
        $this->restRequest('Bearer ' . $old['token']);
        $this->assertSame(0, $this->currentUser());
        $this->assertSame(['unknown_kid'], $this->failures);
        $this->restRequest('Bearer ' . $new['token']);
        $this->assertSame($new['user_id'], $this->currentUser());
    }

    public function testChallengeKeepsOnlyQuotedStringCharacters(): void
    {
        $c = \Wpoa\Bearer_Authenticator::challenge(['error' => 'invalid_token', 'error_description' => "Ce jeton \"expiré\"\\\n"]);
        $this->assertSame(
            'Bearer realm="localhost", error="invalid_token", error_description="Ce jeton expir", scope="read write", resource_metadata="' . wpoa_site()['url'] . '/.well-known/oauth-protected-resource/wp-json/' . '"',
            $c
        );
    }
}
