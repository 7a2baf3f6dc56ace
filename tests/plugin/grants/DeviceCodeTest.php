<?php
/**
 * The device authorization grant (RFC 8628) through the real REST server, database and
 * extension: the device authorization endpoint, the verification page's decisions and its
 * brute-force limits, and every polling answer of the token endpoint.
 *
 * @covers \Wpoa\Device_Authorization_Controller
 * @covers \Wpoa\Device_Verification_Endpoint
 * @covers \Wpoa\Grant_Device_Code
 * @covers \Wpoa\Device_Code_Repository
 */
final class DeviceCodeTest extends PHPUnit\Framework\TestCase
{
    private const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
    private const ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

    /** @var array */
    private $server;

    protected function setUp(): void
    {
        $this->server = $_SERVER;
        wp_set_current_user(0);
    }

    protected function tearDown(): void
    {
        $_SERVER = $this->server;
        wp_set_current_user(0);
    }

    private static function client(array $grantTypes = ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], array $meta = []): \Wpoa\Client
    {
        return \Wpoa\Client_Repository::insert([
            'client_id' => 'dv-' . strtolower(wp_generate_password(12, false)),
            'client_secret_hash' => null,
            'token_endpoint_auth_method' => 'none',
            'redirect_uris' => [],
            'metadata' => array_merge(['client_name' => 'Device test CLI', 'grant_types' => $grantTypes], $meta),
        ]);
    }

    private static function post(string $route, array $form): WP_REST_Response
    {
        $request = new WP_REST_Request('POST', '/wp-oauth/v1/' . $route);
        $request->set_header('content-type', 'application/x-www-form-urlencoded');
        $request->set_body(http_build_query($form, '', '&', PHP_QUERY_RFC3986));
        return rest_get_server()->dispatch($request);
    }

    private static function start(\Wpoa\Client $client, array $extra = []): array
    {
        $res = self::post('device_authorization', array_merge(['client_id' => $client->client_id, 'scope' => 'read write'], $extra));
        self::assertSame(200, $res->get_status(), wp_json_encode($res->get_data()));
        return $res->get_data();
    }

    private static function poll(\Wpoa\Client $client, string $deviceCode): WP_REST_Response
    {
        return self::post('token', ['grant_type' => self::GRANT, 'client_id' => $client->client_id, 'device_code' => $deviceCode]);
    }

    private function assertError(WP_REST_Response $res, string $error, int $status = 400): void
    {
        $this->assertSame($status, $res->get_status(), wp_json_encode($res->get_data()));
        $this->assertSame($error, $res->get_data()['error'] ?? null, wp_json_encode($res->get_data()));
        $this->assertSame('no-store', $res->get_headers()['Cache-Control']);
    }

    private static function row(string $deviceCode): object
    {
        global $wpdb;
        $t = \Wpoa\Schema::tables()['device_codes'];
        return $wpdb->get_row($wpdb->prepare("SELECT * FROM {$t} WHERE device_code_hash = %s", rtrim(strtr(base64_encode(hash('sha256', $deviceCode, true)), '+/', '-_'), '=')));
    }

    private static function setRow(int $id, array $columns): void
    {
        global $wpdb;
        $wpdb->update(\Wpoa\Schema::tables()['device_codes'], $columns, ['id' => $id]);
    }

    /** Plays the verification page: lookup, then approve or deny, as the given user from the given IP. */
    private static function verify(string $userCode, int $userId, string $decision, string $ip = '192.0.2.10'): array
    {
        wp_set_current_user($userId);
        $page = new \Wpoa\Device_Verification_Endpoint();
        $form = $page->decide_get('', $userId);
        $found = $page->decide_post(['wpoa_step' => 'lookup', 'user_code' => $userCode, '_wpoa_nonce' => $form['nonce']], $userId, $ip);
        if ('consent' !== $found['kind']) {
            return $found;
        }
        return $page->decide_post(['wpoa_step' => 'decide', 'user_code' => $found['user_code'], '_wpoa_nonce' => $found['nonce'], 'wpoa_decision' => $decision], $userId, $ip);
    }

    public function testUserCodesUseTheAlphabetAndHaveAtLeast34BitsOfEntropy(): void
    {
        // 20 letters, 8 of them: log2(20^8) = 34.58 bits (RFC 8628 §6.1 example: 34.5).
        $this->assertSame(self::ALPHABET, \Wpoa\Device_Code_Repository::USER_CODE_ALPHABET);
        $this->assertGreaterThanOrEqual(34.0, 8 * log(20, 2));
        $seen = [];
        $codes = [];
        for ($i = 0; $i < 2000; $i++) {
            $code = \Wpoa\Device_Code_Repository::generate_user_code();
            $this->assertMatchesRegularExpression('/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/D', $code);
            foreach (str_split($code) as $c) {
                $seen[$c] = ($seen[$c] ?? 0) + 1;
            }
            $codes[$code] = true;
        }
        $this->assertCount(20, $seen, 'every letter of the alphabet is drawn');
        // 16000 letters, 800 expected per letter: a biased draw would stray far more than this.
        foreach ($seen as $letter => $n) {
            $this->assertGreaterThan(650, $n, "letter $letter");
            $this->assertLessThan(950, $n, "letter $letter");
        }
        $this->assertCount(2000, $codes, 'no repeats in 2000 draws');
        // No digits, no vowels (no words), no I/O that read as 1/0.
        foreach (['0', '1', '2', '5', '8', 'A', 'E', 'I', 'O', 'U', 'Y'] as $lookalike) {
            $this->assertStringNotContainsString($lookalike, self::ALPHABET);
        }
    }

    public function testTypedCodesAreCaseDashAndSpaceInsensitive(): void
    {
        $n = static fn(string $s) => \Wpoa\Device_Code_Repository::normalize_user_code($s);
        $this->assertSame('BCDFGHJK', $n('BCDF-GHJK'));
        $this->assertSame('BCDFGHJK', $n('bcdf-ghjk'));
        $this->assertSame('BCDFGHJK', $n(' bcdfghjk '));
        $this->assertSame('BCDFGHJK', $n('BcDf GhJk'));
        $this->assertNull($n('BCDF-GHJ'));
        $this->assertNull($n('BCDF-GHJKL'));
        $this->assertNull($n('BCDF-GHJA'), 'A is not in the alphabet');
        $this->assertNull($n('BCDF_GHJK'));
        $this->assertNull($n(''));
        $this->assertNull($n(str_repeat('B', 100)));
    }

    public function testTheEndpointAnswersRfc8628CodesAndStoresOnlyHashes(): void
    {
        $client = self::client();
        $body = self::start($client);
        $this->assertSame(['device_code', 'user_code', 'verification_uri', 'verification_uri_complete', 'expires_in', 'interval'], array_keys($body));
        $this->assertMatchesRegularExpression('/^[A-Za-z0-9_-]{43}$/D', $body['device_code']);
        $this->assertMatchesRegularExpression('/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/D', $body['user_code']);
        $site = wpoa_site()['url'];
        $this->assertSame("$site/wp-login.php?action=oauth_device", $body['verification_uri']);
        $this->assertSame("$site/wp-login.php?action=oauth_device&user_code=" . $body['user_code'], $body['verification_uri_complete']);
        $this->assertSame(600, $body['expires_in']);
        $this->assertSame(5, $body['interval']);

        $row = self::row($body['device_code']);
        $this->assertNotNull($row);
        $this->assertSame('pending', $row->status);
        $this->assertSame('read write', $row->scope);
        $dump = wp_json_encode($row);
        $this->assertStringNotContainsString($body['device_code'], $dump);
        $this->assertStringNotContainsString(str_replace('-', '', $body['user_code']), $dump);
        $this->assertStringNotContainsString($body['user_code'], $dump);
    }

    public function testRefusals(): void
    {
        $codeOnly = \Wpoa\Client_Repository::insert([
            'client_id' => 'dv-' . strtolower(wp_generate_password(12, false)),
            'token_endpoint_auth_method' => 'none',
            'redirect_uris' => ['com.example.app:/cb'],
            'metadata' => ['client_name' => 'Code only', 'grant_types' => ['authorization_code']],
        ]);
        $this->assertError(self::post('device_authorization', ['client_id' => $codeOnly->client_id]), 'unauthorized_client');
        $this->assertError(self::post('device_authorization', ['client_id' => 'nobody-' . wp_generate_password(8, false)]), 'invalid_client', 401);
        $client = self::client();
        $this->assertError(self::post('device_authorization', ['client_id' => $client->client_id, 'scope' => 'read admin']), 'invalid_scope');
        $this->assertError(self::post('device_authorization', ['client_id' => $client->client_id, 'resource' => 'https://elsewhere.example/']), 'invalid_target');
        $narrow = self::client(['urn:ietf:params:oauth:grant-type:device_code'], ['scope' => 'read']);
        $this->assertError(self::post('device_authorization', ['client_id' => $narrow->client_id, 'scope' => 'write']), 'invalid_scope');
        $get = rest_get_server()->dispatch(new WP_REST_Request('GET', '/wp-oauth/v1/device_authorization'));
        $this->assertError($get, 'invalid_request');
        // The token endpoint refuses the grant to a client that did not register it.
        $this->assertError(self::post('token', ['grant_type' => self::GRANT, 'client_id' => $codeOnly->client_id, 'device_code' => 'x']), 'unauthorized_client');
        $this->assertError(self::post('token', ['grant_type' => self::GRANT, 'client_id' => $client->client_id]), 'invalid_request');
        $this->assertError(self::post('token', ['grant_type' => self::GRANT, 'client_id' => $client->client_id, 'device_code' => 'not-a-code']), 'invalid_grant');
    }

    public function testPollingAnswersPendingThenSlowDownAndToleratesJitter(): void
    {
        $client = self::client();
        $body = self::start($client);
        $this->assertError(self::poll($client, $body['device_code']), 'authorization_pending');
        // At once again: too fast. The interval grows by 5 seconds (RFC 8628 §3.5).
        $this->assertError(self::poll($client, $body['device_code']), 'slow_down');
        $row = self::row($body['device_code']);
        $this->assertSame('10', (string) $row->poll_interval);
        // 9.6 s after the last poll (400 ms of jitter short of 10 s): tolerated.
        self::setRow((int) $row->id, ['last_poll_ms' => (int) floor(microtime(true) * 1000) - 9600]);
        $this->assertError(self::poll($client, $body['device_code']), 'authorization_pending');
        $this->assertSame('10', (string) self::row($body['device_code'])->poll_interval);
        // 6 s after: too soon for 10 s, slow down again (15 s).
        self::setRow((int) $row->id, ['last_poll_ms' => (int) floor(microtime(true) * 1000) - 6000]);
        $this->assertError(self::poll($client, $body['device_code']), 'slow_down');
        $this->assertSame('15', (string) self::row($body['device_code'])->poll_interval);
        // Another client cannot poll this code.
        $other = self::client();
        $this->assertError(self::poll($other, $body['device_code']), 'invalid_grant');
    }

    public function testApprovedCodeIsRedeemedOnceIntoAGrantWithRefreshToken(): void
    {
        $client = self::client();
        $body = self::start($client);
        $author = wpoa_user('author');
        $result = self::verify(strtolower($body['user_code']), $author->ID, 'approve');
        $this->assertSame('done', $result['kind'], wp_json_encode($result));
        $this->assertSame('approved', self::row($body['device_code'])->status);

        $res = self::poll($client, $body['device_code']);
        $this->assertSame(200, $res->get_status(), wp_json_encode($res->get_data()));
        $tokens = $res->get_data();
        $this->assertSame(['access_token', 'token_type', 'expires_in', 'refresh_token', 'scope'], array_keys($tokens));
        $this->assertSame('read write', $tokens['scope']);
        $claims = \Wpoa\Crypto::jwt_decode($tokens['access_token'], \Wpoa\Keys::public_jwks(), ['iss' => \Wpoa\Urls::issuer(), 'aud' => \Wpoa\Urls::audience(), 'typ' => 'at+jwt']);
        $this->assertSame((string) $author->ID, $claims['sub']);
        $this->assertSame($client->client_id, $claims['client_id']);

        $row = self::row($body['device_code']);
        $this->assertSame('redeemed', $row->status);
        $grant = \Wpoa\Grant_Repository::find((int) $row->grant_id);
        $this->assertSame('active', $grant->status);
        $this->assertSame((int) $author->ID, (int) $grant->user_id);
        $listed = array_map(static fn($g) => (int) $g->id, \Wpoa\Grant_Repository::active_for_user((int) $author->ID, $client->client_id));
        $this->assertContains((int) $row->grant_id, $listed, 'the grant is among the user\'s authorized applications');

        // Spent: a second redemption and a second decision both fail.
        $this->assertError(self::poll($client, $body['device_code']), 'invalid_grant');
        $again = self::verify($body['user_code'], $author->ID, 'approve', '192.0.2.11');
        $this->assertSame('form', $again['kind']);
        $this->assertSame(400, $again['status']);
    }

    public function testDeniedCodeAnswersAccessDeniedOnceThenIsSpent(): void
    {
        $client = self::client();
        $body = self::start($client);
        $result = self::verify($body['user_code'], wpoa_user('author')->ID, 'deny', '192.0.2.12');
        $this->assertSame('done', $result['kind']);
        $this->assertError(self::poll($client, $body['device_code']), 'access_denied');
        $this->assertError(self::poll($client, $body['device_code']), 'invalid_grant');
        $this->assertSame('spent', self::row($body['device_code'])->status);
    }

    public function testExpiredCodeAnswersExpiredTokenAndCannotBeApproved(): void
    {
        $client = self::client();
        $body = self::start($client);
        $row = self::row($body['device_code']);
        self::setRow((int) $row->id, ['expires_at' => time() - 1]);
        $this->assertError(self::poll($client, $body['device_code']), 'expired_token');
        $result = self::verify($body['user_code'], wpoa_user('author')->ID, 'approve', '192.0.2.13');
        $this->assertSame('form', $result['kind']);
        $this->assertSame('pending', self::row($body['device_code'])->status);
    }

    public function testTheCompleteUriNeverApprovesByItself(): void
    {
        $client = self::client();
        $body = self::start($client);
        $author = wpoa_user('author');
        wp_set_current_user($author->ID);
        $result = (new \Wpoa\Device_Verification_Endpoint())->decide_get(strtolower($body['user_code']), $author->ID);
        $this->assertSame('form', $result['kind']);
        $this->assertSame($body['user_code'], $result['user_code'], 'the field is filled in, formatted');
        $this->assertSame('pending', self::row($body['device_code'])->status);
        // Logged out: to the login page, coming back with the code.
        $login = (new \Wpoa\Device_Verification_Endpoint())->decide_get($body['user_code'], 0);
        $this->assertSame('login', $login['kind']);
        $this->assertStringContainsString(rawurlencode('action=oauth_device'), $login['location']);
    }

    public function testADecisionNeedsTheNonceOfALookup(): void
    {
        $client = self::client();
        $body = self::start($client);
        $author = wpoa_user('author');
        wp_set_current_user($author->ID);
        $page = new \Wpoa\Device_Verification_Endpoint();
        $forged = $page->decide_post(['wpoa_step' => 'decide', 'user_code' => $body['user_code'], '_wpoa_nonce' => wp_create_nonce('wpoa_device_lookup'), 'wpoa_decision' => 'approve'], $author->ID, '192.0.2.14');
        $this->assertSame('error', $forged['kind']);
        $this->assertSame(403, $forged['status']);
        $this->assertSame('pending', self::row($body['device_code'])->status);
    }

    public function testWrongCodesLockTheUserAndTheIpAndASuccessDoesNotReset(): void
    {
        $user = self::makeUser();
        $ip = '198.51.100.' . random_int(1, 250);
        $client = self::client();
        $good = self::start($client);
        // Four wrong codes, then the right one: it works (under the per-user limit of 5)…
        for ($i = 0; $i < 4; $i++) {
            $r = self::verify('BBBB-BBBB', $user, 'approve', $ip);
            $this->assertSame(400, $r['status']);
        }
        $this->assertSame('done', self::verify($good['user_code'], $user, 'approve', $ip)['kind']);
        // …but did not reset the count: one more wrong code reaches the limit.
        $this->assertSame(400, self::verify('BBBB-BBBB', $user, 'approve', $ip)['status']);
        $next = self::start($client);
        $locked = self::verify($next['user_code'], $user, 'approve', $ip);
        $this->assertSame('form', $locked['kind']);
        $this->assertSame(429, $locked['status'], 'even the right code is refused while locked');
        $this->assertSame('pending', self::row($next['device_code'])->status);
        // The same user from another IP is still locked (per user)…
        $this->assertSame(429, self::verify($next['user_code'], $user, 'approve', '203.0.113.9')['status']);
        // …and another user from that first IP is not (5 < 10 per IP)…
        $other = self::makeUser();
        $this->assertSame('done', self::verify($next['user_code'], $other, 'approve', $ip)['kind']);
        // …until the IP reaches its own limit of 10 (5 wrong codes so far, 5 more now).
        $third = self::makeUser();
        for ($i = 0; $i < 5; $i++) {
            self::verify('CCCC-CCCC', $third, 'approve', $ip);
        }
        $last = self::start($client);
        $this->assertSame(429, self::verify($last['user_code'], self::makeUser(), 'approve', $ip)['status']);
    }

    public function testDeviceRequestsAreLimitedPerClientAndIpPerIpAndPerClient(): void
    {
        $limits = static fn() => ['client_ip' => 2, 'ip' => 3, 'client' => 4, 'window' => 600];
        add_filter('wpoa_device_request_limits', $limits);
        try {
            // Fresh addresses each run: counters live for the window in the test database.
            $ip = static fn() => '2001:db8::' . bin2hex(random_bytes(2)) . ':' . bin2hex(random_bytes(2));
            $_SERVER['REMOTE_ADDR'] = $ip();
            $a = self::client();
            $b = self::client();
            // A refused request starts nothing and counts nothing.
            $this->assertError(self::post('device_authorization', ['client_id' => $a->client_id, 'scope' => 'read admin']), 'invalid_scope');
            self::start($a);
            self::start($a);
            $limited = self::post('device_authorization', ['client_id' => $a->client_id]);
            $this->assertError($limited, 'temporarily_unavailable', 429);
            $retry = (int) $limited->get_headers()['Retry-After'];
            $this->assertGreaterThan(0, $retry);
            $this->assertLessThanOrEqual(600, $retry);
            // Another client from the same IP: one more, then the IP's own limit of 3.
            self::start($b);
            $this->assertError(self::post('device_authorization', ['client_id' => $b->client_id]), 'temporarily_unavailable', 429);
            // The first client from other IPs: up to its own limit of 4 in all.
            $_SERVER['REMOTE_ADDR'] = $ip();
            self::start($a);
            $_SERVER['REMOTE_ADDR'] = $ip();
            self::start($a);
            $this->assertError(self::post('device_authorization', ['client_id' => $a->client_id]), 'temporarily_unavailable', 429);
        } finally {
            remove_filter('wpoa_device_request_limits', $limits);
        }
    }

    public function testDeviceOnlyClientsMayRegisterWithoutRedirectUris(): void
    {
        $meta = \Wpoa\Client_Metadata::validate(['grant_types' => [self::GRANT, 'refresh_token'], 'token_endpoint_auth_method' => 'none', 'client_name' => 'CLI']);
        $this->assertSame([], $meta['redirect_uris']);
        $this->assertSame(['refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'], $meta['grant_types']);
        $this->assertSame([], $meta['response_types']);
        try {
            \Wpoa\Client_Metadata::validate(['grant_types' => [self::GRANT], 'response_types' => ['code']]);
            $this->fail('response_types code without the code flow');
        } catch (\Wpoa\OAuth_Error $e) {
            $this->assertSame('invalid_client_metadata', $e->error);
        }
        try {
            \Wpoa\Client_Metadata::validate(['grant_types' => [self::GRANT, 'client_credentials']]);
            $this->fail('client_credentials is never registered');
        } catch (\Wpoa\OAuth_Error $e) {
            $this->assertSame('invalid_client_metadata', $e->error);
        }
    }

    private static function makeUser(): int
    {
        $login = 'dv' . strtolower(wp_generate_password(10, false));
        return (int) wp_insert_user(['user_login' => $login, 'user_pass' => wp_generate_password(20), 'user_email' => $login . '@example.com', 'role' => 'author']);
    }
}
