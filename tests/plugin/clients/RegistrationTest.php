<?php
/**
 * Dynamic client registration (RFC 7591) and management (RFC 7592) through the real
 * REST server, against the real database.
 *
 * @covers \Wpoa\Registration_Controller
 * @covers \Wpoa\Client_Repository
 */
final class RegistrationTest extends PHPUnit\Framework\TestCase
{
    private const NATIVE = [
        'client_name' => 'Test Native App',
        'redirect_uris' => ['com.example.app:/oauth2redirect', 'http://127.0.0.1/cb'],
        'token_endpoint_auth_method' => 'none',
        'grant_types' => ['authorization_code', 'refresh_token'],
        'response_types' => ['code'],
        'scope' => 'read write',
        'software_id' => 'test-native',
        'software_version' => '1.0',
    ];

    protected function setUp(): void
    {
        global $wpdb;
        $wpdb->query('DELETE FROM ' . \Wpoa\Schema::tables()['clients']);
        delete_option(\Wpoa\Registration_Controller::OPTION_MODE);
        delete_option(\Wpoa\Registration_Controller::OPTION_INITIAL_TOKEN);
        $_SERVER['HTTPS'] = 'on';
    }

    protected function tearDown(): void
    {
        delete_option(\Wpoa\Registration_Controller::OPTION_MODE);
        delete_option(\Wpoa\Registration_Controller::OPTION_INITIAL_TOKEN);
        $_SERVER['HTTPS'] = 'on';
    }

    private static function request(string $method, string $route, ?string $body = null, array $headers = []): WP_REST_Response
    {
        $request = new WP_REST_Request($method, '/wp-oauth/v1' . $route);
        foreach (array_merge(['content-type' => 'application/json'], $headers) as $name => $value) {
            $request->set_header($name, $value);
        }
        if (null !== $body) {
            $request->set_body($body);
        }
        $response = rest_get_server()->dispatch($request);
        return rest_ensure_response($response);
    }

    private static function register(array $metadata, array $headers = []): WP_REST_Response
    {
        return self::request('POST', '/register', json_encode($metadata), $headers);
    }

    private static function clientCount(): int
    {
        global $wpdb;
        return (int) $wpdb->get_var('SELECT COUNT(*) FROM ' . \Wpoa\Schema::tables()['clients']);
    }

    public function testRegistersAPublicNativeClient(): void
    {
        global $wpdb;
        $response = self::register(self::NATIVE);
        $this->assertSame(201, $response->get_status());
        $this->assertSame('no-store', $response->get_headers()['Cache-Control']);
        $body = $response->get_data();
        $this->assertMatchesRegularExpression('/^[A-Za-z0-9_-]{22}$/', $body['client_id']);
        $this->assertEqualsWithDelta(time(), $body['client_id_issued_at'], 5);
        $this->assertArrayNotHasKey('client_secret', $body, 'public clients get no secret');
        $this->assertArrayNotHasKey('client_secret_expires_at', $body);
        $this->assertMatchesRegularExpression('/^[A-Za-z0-9_-]{43}$/', $body['registration_access_token']);
        $this->assertSame(rest_url('wp-oauth/v1/register/' . $body['client_id']), $body['registration_client_uri']);
        $this->assertSame(self::NATIVE['redirect_uris'], $body['redirect_uris']);
        $this->assertSame('none', $body['token_endpoint_auth_method']);
        $this->assertSame('read write', $body['scope']);
        $this->assertSame('Test Native App', $body['client_name']);

        $row = $wpdb->get_row($wpdb->prepare('SELECT * FROM ' . \Wpoa\Schema::tables()['clients'] . ' WHERE client_id = %s', $body['client_id']));
        $this->assertNotNull($row);
        $this->assertNull($row->client_secret_hash);
        $this->assertSame('0', $row->registered_by);
        $this->assertNull($row->first_authorized_at);
        $this->assertStringNotContainsString($body['registration_access_token'], json_encode($row), 'only a hash is stored');
        $this->assertStringStartsWith('$', $row->registration_token_hash, 'PHC string');
        $this->assertTrue(\Wpoa\Crypto::secret_verify($body['registration_access_token'], $row->registration_token_hash));
    }

    public function testRegistersAConfidentialClientWithASecretShownOnce(): void
    {
        global $wpdb;
        $actions = [];
        $spy = static function (...$args) use (&$actions) { $actions[] = $args; };
        add_action('wpoa_client_registered', $spy, 10, 3);
        $response = self::register(['redirect_uris' => ['https://web.example.com/cb'], 'client_name' => 'Web']);
        remove_action('wpoa_client_registered', $spy, 10);
        $this->assertSame(201, $response->get_status());
        $body = $response->get_data();
        $this->assertSame('client_secret_basic', $body['token_endpoint_auth_method'], 'RFC 7591 default');
        $this->assertMatchesRegularExpression('/^[A-Za-z0-9_-]{43}$/', $body['client_secret']);
        $this->assertSame(0, $body['client_secret_expires_at']);
        $row = $wpdb->get_row($wpdb->prepare('SELECT * FROM ' . \Wpoa\Schema::tables()['clients'] . ' WHERE client_id = %s', $body['client_id']));
        $this->assertStringNotContainsString($body['client_secret'], json_encode($row));
        $this->assertTrue(\Wpoa\Crypto::secret_verify($body['client_secret'], $row->client_secret_hash));
        $this->assertFalse(\Wpoa\Crypto::secret_verify($body['registration_access_token'], $row->client_secret_hash));
        $this->assertCount(1, $actions);
        $this->assertSame([$body['client_id'], 'dynamic'], [$actions[0][0], $actions[0][2]]);
        $this->assertArrayNotHasKey('client_secret', $actions[0][1], 'no secret in the action');

        // Read (RFC 7592 §2.1) never shows the secret again.
        $read = self::request('GET', '/register/' . $body['client_id'], null, ['authorization' => 'Bearer ' . $body['registration_access_token']]);
        $this->assertSame(200, $read->get_status());
        $this->assertArrayNotHasKey('client_secret', $read->get_data());
        $this->assertSame(0, $read->get_data()['client_secret_expires_at']);
    }

    /** Bad requests: the right error and nothing stored. */
    public function badRequests(): array
    {
        $ok = self::NATIVE;
        return [
            'malformed JSON' => ['{"redirect_uris": [', 'invalid_client_metadata'],
            'empty body' => ['', 'invalid_client_metadata'],
            'JSON array' => ['[]', 'invalid_client_metadata'],
            'JSON string' => ['"x"', 'invalid_client_metadata'],
            'missing redirect_uris' => [json_encode(array_diff_key($ok, ['redirect_uris' => 1])), 'invalid_redirect_uri'],
            'redirect_uris as string' => [json_encode(['redirect_uris' => 'https://a.example/cb'] + $ok), 'invalid_redirect_uri'],
            'javascript: URI' => [json_encode(['redirect_uris' => ['javascript:alert(1)']] + $ok), 'invalid_redirect_uri'],
            'data: URI' => [json_encode(['redirect_uris' => ['data:text/html,x']] + $ok), 'invalid_redirect_uri'],
            'fragment' => [json_encode(['redirect_uris' => ['https://a.example/cb#x']] + $ok), 'invalid_redirect_uri'],
            'plain http' => [json_encode(['redirect_uris' => ['http://a.example/cb']] + $ok), 'invalid_redirect_uri'],
            'relative' => [json_encode(['redirect_uris' => ['/cb']] + $ok), 'invalid_redirect_uri'],
            'contradicting types' => [json_encode(['grant_types' => ['refresh_token'], 'response_types' => ['code']] + $ok), 'invalid_client_metadata'],
            'implicit' => [json_encode(['response_types' => ['token']] + $ok), 'invalid_client_metadata'],
            'unsupported auth method' => [json_encode(['token_endpoint_auth_method' => 'private_key_jwt'] + $ok), 'invalid_client_metadata'],
            'oversize body' => [json_encode(['client_name' => 'x', 'padding' => str_repeat('a', 20000)] + $ok), 'invalid_client_metadata'],
            'deep nesting' => [str_repeat('[', 100) . str_repeat(']', 100), 'invalid_client_metadata'],
            'redirect_uris as object with list-like keys' => ['{"redirect_uris":{"0":"https://a.example/cb"},"token_endpoint_auth_method":"none"}', 'invalid_redirect_uri'],
            'redirect_uris as empty object' => ['{"redirect_uris":{},"token_endpoint_auth_method":"none"}', 'invalid_redirect_uri'],
            'grant_types as object' => ['{"redirect_uris":["https://a.example/cb"],"grant_types":{"0":"authorization_code"}}', 'invalid_client_metadata'],
            'empty object' => ['{}', 'invalid_redirect_uri'],
            'absurd number of URIs' => [json_encode(['redirect_uris' => array_map(static fn ($i) => "https://a.example/$i", range(1, 200))] + $ok), 'invalid_redirect_uri'],
        ];
    }

    /** @dataProvider badRequests */
    public function testBadRequestsStoreNothing(string $body, string $error): void
    {
        $before = self::clientCount();
        $response = self::request('POST', '/register', $body);
        $this->assertSame(400, $response->get_status(), json_encode($response->get_data()));
        $this->assertSame($error, $response->get_data()['error']);
        $this->assertIsString($response->get_data()['error_description']);
        $this->assertSame('no-store', $response->get_headers()['Cache-Control']);
        $this->assertSame($before, self::clientCount());
    }

    public function testWrongContentTypeIsRefused(): void
    {
        $response = self::request('POST', '/register', json_encode(self::NATIVE), ['content-type' => 'application/x-www-form-urlencoded']);
        $this->assertSame(400, $response->get_status());
        $this->assertSame('invalid_client_metadata', $response->get_data()['error']);
        $this->assertSame(0, self::clientCount());
    }

    public function testPlainHttpIsRefused(): void
    {
        unset($_SERVER['HTTPS']);
        $response = self::register(self::NATIVE);
        $this->assertSame(400, $response->get_status());
        $this->assertSame('invalid_request', $response->get_data()['error']);
        $this->assertSame(0, self::clientCount());
    }

    public function testRegistrationOffAnswers403AndHidesTheEndpoint(): void
    {
        \Wpoa\Registration_Controller::set_mode('off');
        $response = self::register(self::NATIVE);
        $this->assertSame(403, $response->get_status());
        $this->assertSame('access_denied', $response->get_data()['error']);
        $this->assertSame(0, self::clientCount());
        $this->assertArrayNotHasKey('registration_endpoint', \Wpoa\Discovery::authorization_server_metadata());
    }

    public function testInitialAccessTokenMode(): void
    {
        \Wpoa\Registration_Controller::set_mode('token');
        $missing = self::register(self::NATIVE);
        $this->assertSame(401, $missing->get_status());
        $this->assertSame('invalid_token', $missing->get_data()['error']);
        $this->assertSame('Bearer realm="localhost"', $missing->get_headers()['WWW-Authenticate']);

        $token = \Wpoa\Registration_Controller::generate_initial_access_token();
        $stored = get_option(\Wpoa\Registration_Controller::OPTION_INITIAL_TOKEN);
        $this->assertStringNotContainsString($token, serialize($stored), 'stored hashed');

        $wrong = self::register(self::NATIVE, ['authorization' => 'Bearer ' . $token . 'x']);
        $this->assertSame(401, $wrong->get_status());
        $this->assertStringContainsString('error="invalid_token"', $wrong->get_headers()['WWW-Authenticate']);
        $this->assertSame(0, self::clientCount());

        $ok = self::register(['redirect_uris' => ['https://web.example.com/cb']], ['authorization' => 'Bearer ' . $token]);
        $this->assertSame(201, $ok->get_status());
        $this->assertArrayHasKey('client_secret', $ok->get_data());

        // A regenerated token replaces the old one.
        $new = \Wpoa\Registration_Controller::generate_initial_access_token();
        $this->assertSame(401, self::register(self::NATIVE, ['authorization' => 'Bearer ' . $token])->get_status());
        $this->assertSame(201, self::register(self::NATIVE, ['authorization' => 'Bearer ' . $new])->get_status());
        \Wpoa\Registration_Controller::revoke_initial_access_token();
        $this->assertSame(401, self::register(self::NATIVE, ['authorization' => 'Bearer ' . $new])->get_status());
    }

    public function testOpenModeRejectsAWrongInitialAccessToken(): void
    {
        $response = self::register(self::NATIVE, ['authorization' => 'Bearer not-the-token']);
        $this->assertSame(401, $response->get_status());
        $this->assertSame(0, self::clientCount());
    }

    public function testConfidentialOpenRegistrationCanBeRestricted(): void
    {
        add_filter('wpoa_open_registration_allows_confidential', '__return_false');
        try {
            $response = self::register(['redirect_uris' => ['https://web.example.com/cb']]);
            $this->assertSame(400, $response->get_status());
            $this->assertSame('invalid_client_metadata', $response->get_data()['error']);
            $this->assertSame(201, self::register(self::NATIVE)->get_status(), 'public clients still register');
        } finally {
            remove_filter('wpoa_open_registration_allows_confidential', '__return_false');
        }
    }

    public function testManagementReadUpdateDelete(): void
    {
        $reg = self::register(self::NATIVE)->get_data();
        $auth = ['authorization' => 'Bearer ' . $reg['registration_access_token']];
        $path = '/register/' . $reg['client_id'];

        $read = self::request('GET', $path, null, $auth);
        $this->assertSame(200, $read->get_status());
        $this->assertSame($reg['client_id'], $read->get_data()['client_id']);
        $this->assertSame($reg['registration_access_token'], $read->get_data()['registration_access_token']);
        $this->assertSame(self::NATIVE['redirect_uris'], $read->get_data()['redirect_uris']);

        // Full replacement: omitted members go back to defaults.
        $update = ['client_id' => $reg['client_id'], 'redirect_uris' => ['com.example.app:/v2'], 'token_endpoint_auth_method' => 'none', 'client_name' => 'Renamed'];
        $updated = self::request('PUT', $path, json_encode($update), $auth);
        $this->assertSame(200, $updated->get_status(), json_encode($updated->get_data()));
        $this->assertSame(['com.example.app:/v2'], $updated->get_data()['redirect_uris']);
        $this->assertSame('Renamed', $updated->get_data()['client_name']);
        $this->assertArrayNotHasKey('scope', $updated->get_data());
        $this->assertArrayNotHasKey('software_id', $updated->get_data());
        $client = \Wpoa\Client_Repository::find($reg['client_id']);
        $this->assertSame(['com.example.app:/v2'], $client->redirect_uris);
        $this->assertSame('Renamed', $client->name());

        // Bad updates change nothing.
        foreach ([
            'no client_id' => [array_diff_key($update, ['client_id' => 1]), 'invalid_client_metadata'],
            'other client_id' => [['client_id' => 'someone-else'] + $update, 'invalid_client_metadata'],
            'bad URI' => [['redirect_uris' => ['javascript:x']] + $update, 'invalid_redirect_uri'],
            'to confidential' => [['token_endpoint_auth_method' => 'client_secret_basic'] + $update, 'invalid_client_metadata'],
            'chosen secret' => [['client_secret' => 'my-own-secret'] + $update, 'invalid_client_metadata'],
        ] as $case => [$body, $error]) {
            $r = self::request('PUT', $path, json_encode($body), $auth);
            $this->assertSame(400, $r->get_status(), $case);
            $this->assertSame($error, $r->get_data()['error'], $case);
        }
        $this->assertSame(['com.example.app:/v2'], \Wpoa\Client_Repository::find($reg['client_id'])->redirect_uris);

        // Delete revokes grants and removes the row.
        $grant = \Wpoa\Grant_Repository::create($reg['client_id'], wpoa_user('subscriber')->ID, 'read', \Wpoa\Urls::audience(), time());
        $deleted = self::request('DELETE', $path, null, $auth);
        $this->assertSame(204, $deleted->get_status());
        $this->assertNull(\Wpoa\Client_Repository::find($reg['client_id']));
        $this->assertSame('revoked', \Wpoa\Grant_Repository::find($grant)->status);
        $this->assertSame(401, self::request('GET', $path, null, $auth)->get_status(), 'gone: same 401 as a wrong token');
    }

    public function testWrongOrMissingRegistrationTokenGetsTheSame401(): void
    {
        $a = self::register(self::NATIVE)->get_data();
        $b = self::register(self::NATIVE)->get_data();
        $admin = \Wpoa\Client_Repository::insert(['client_id' => 'admin-made-client', 'redirect_uris' => ['https://a.example/cb'], 'metadata' => ['redirect_uris' => ['https://a.example/cb']], 'registered_by' => 1]);
        $this->assertNotNull($admin);
        $cases = [
            'no token' => ['/register/' . $a['client_id'], []],
            'wrong token' => ['/register/' . $a['client_id'], ['authorization' => 'Bearer ' . str_repeat('A', 43)]],
            'token of another client' => ['/register/' . $a['client_id'], ['authorization' => 'Bearer ' . $b['registration_access_token']]],
            'basic instead of bearer' => ['/register/' . $a['client_id'], ['authorization' => 'Basic ' . base64_encode('x:y')]],
            'unknown client' => ['/register/no-such-client', ['authorization' => 'Bearer ' . $a['registration_access_token']]],
            'admin-made client' => ['/register/admin-made-client', ['authorization' => 'Bearer ' . $a['registration_access_token']]],
            'case-changed client_id' => ['/register/' . strtoupper($a['client_id']), ['authorization' => 'Bearer ' . $a['registration_access_token']]],
        ];
        $bodies = [];
        foreach ($cases as $case => [$path, $headers]) {
            foreach (['GET', 'PUT', 'DELETE'] as $method) {
                $r = self::request($method, $path, 'PUT' === $method ? json_encode(['client_id' => $a['client_id']] + self::NATIVE) : null, $headers);
                $this->assertSame(401, $r->get_status(), "$case $method");
                $this->assertSame('invalid_token', $r->get_data()['error'], "$case $method");
                $this->assertStringStartsWith('Bearer realm=', $r->get_headers()['WWW-Authenticate']);
                $bodies[$case] = $r->get_data()['error'];
            }
        }
        $this->assertNotNull(\Wpoa\Client_Repository::find($a['client_id']), 'nothing deleted');
        $this->assertNotNull(\Wpoa\Client_Repository::find('admin-made-client'));
    }

    public function testAbandonedRegistrationsAreCleanedUp(): void
    {
        global $wpdb;
        $t = \Wpoa\Schema::tables()['clients'];
        $old = self::register(self::NATIVE)->get_data()['client_id'];
        $used = self::register(self::NATIVE)->get_data()['client_id'];
        $fresh = self::register(self::NATIVE)->get_data()['client_id'];
        $byAdmin = \Wpoa\Client_Repository::insert(['client_id' => 'admin-old', 'redirect_uris' => ['https://a.example/cb'], 'metadata' => [], 'registered_by' => 1]);
        $wpdb->query($wpdb->prepare("UPDATE $t SET created_at = %d WHERE client_id IN (%s, %s, %s)", time() - 10 * DAY_IN_SECONDS, $old, $used, 'admin-old'));
        \Wpoa\Client_Repository::mark_used($used);

        $listed = array_map(static fn ($c) => $c->client_id, \Wpoa\Client_Repository::list_never_authorized(7 * DAY_IN_SECONDS));
        $this->assertSame([$old], $listed);

        $deleted = [];
        $spy = static function ($id, $reason) use (&$deleted) { $deleted[] = [$id, $reason]; };
        add_action('wpoa_client_deleted', $spy, 10, 2);
        $this->assertSame(1, \Wpoa\Client_Repository::delete_never_authorized(7 * DAY_IN_SECONDS, 100));
        remove_action('wpoa_client_deleted', $spy, 10);
        $this->assertSame([[$old, 'abandoned']], $deleted);
        $this->assertNull(\Wpoa\Client_Repository::find($old));
        $this->assertNotNull(\Wpoa\Client_Repository::find($used));
        $this->assertNotNull(\Wpoa\Client_Repository::find($fresh));
        $this->assertNotNull(\Wpoa\Client_Repository::find('admin-old'));
        $this->assertSame(0, \Wpoa\Client_Repository::delete_never_authorized(7 * DAY_IN_SECONDS, 100));

        // Bounded batches.
        $ids = [self::register(self::NATIVE)->get_data()['client_id'], self::register(self::NATIVE)->get_data()['client_id']];
        $this->assertSame(1, \Wpoa\Client_Repository::delete_never_authorized(0, 1));
        $this->assertSame(1, \Wpoa\Client_Repository::delete_never_authorized(0, 1));
        $this->assertSame(7 * DAY_IN_SECONDS, \Wpoa\Client_Repository::abandoned_client_ttl());
    }
}
