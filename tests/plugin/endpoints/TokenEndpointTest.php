<?php
/**
 * POST /wp-json/wp-oauth/v1/token with grant_type=authorization_code, through the real REST
 * server, database and extension. PKCE values are the RFC 7636 Appendix B vector.
 *
 * @covers \Wpoa\Token_Controller
 * @covers \Wpoa\Grant_Authorization_Code
 */
final class TokenEndpointTest extends PHPUnit\Framework\TestCase
{
    /** RFC 7636 Appendix B. */
    private const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    private const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    private const REDIRECT = 'com.example.app:/oauth/cb';

    /** @var array<string,string> */
    private static $secrets = [];

    /** @var array */
    private $server;

    /** @var array<string, array> Actions fired, by name. */
    private $actions = [];

    /** @var array<string, callable> */
    private $listeners = [];

    protected function setUp(): void
    {
        $this->server = $_SERVER;
        $this->actions = [];
        foreach (['wpoa_token_issued', 'wpoa_code_replayed', 'wpoa_grant_revoked'] as $hook) {
            $this->listeners[$hook] = function (...$args) use ($hook) {
                $this->actions[$hook][] = $args;
            };
            add_action($hook, $this->listeners[$hook], 10, 6);
        }
    }

    protected function tearDown(): void
    {
        foreach ($this->listeners as $hook => $fn) {
            remove_action($hook, $fn, 10);
        }
        $_SERVER = $this->server;
    }

    private static function client(array $meta = [], string $method = 'none', array $uris = [self::REDIRECT]): \Wpoa\Client
    {
        $id = 'te-' . strtolower(wp_generate_password(12, false));
        $secret = 'none' === $method ? null : wp_generate_password(32, false);
        $client = \Wpoa\Client_Repository::insert([
            'client_id' => $id,
            'client_secret_hash' => $secret ? \Wpoa\Crypto::secret_hash($secret) : null,
            'token_endpoint_auth_method' => $method,
            'redirect_uris' => $uris,
            'metadata' => array_merge(['client_name' => 'Token test', 'grant_types' => ['authorization_code', 'refresh_token']], $meta),
        ]);
        if ($secret) {
            self::$secrets[$id] = $secret;
        }
        return $client;
    }

    /** A code as the authorization endpoint issues it. */
    private static function code(\Wpoa\Client $client, array $override = []): string
    {
        return \Wpoa\Code_Repository::create(array_merge([
            'client_id' => $client->client_id,
            'user_id' => wpoa_user('author')->ID,
            'redirect_uri' => self::REDIRECT,
            'code_challenge' => self::CHALLENGE,
            'scope' => 'read write',
            'audience' => \Wpoa\Urls::audience(),
            'auth_time' => 1700000123,
        ], $override));
    }

    private static function form(\Wpoa\Client $client, string $code, array $override = []): array
    {
        return array_merge([
            'grant_type' => 'authorization_code',
            'client_id' => $client->client_id,
            'code' => $code,
            'redirect_uri' => self::REDIRECT,
            'code_verifier' => self::VERIFIER,
        ], $override);
    }

    private static function dispatch(string $method, ?string $body, array $headers = ['content-type' => 'application/x-www-form-urlencoded']): WP_REST_Response
    {
        $request = new WP_REST_Request($method, '/wp-oauth/v1/token');
        foreach ($headers as $k => $v) {
            $request->set_header($k, $v);
        }
        if (null !== $body) {
            $request->set_body($body);
        }
        return rest_get_server()->dispatch($request);
    }

    private static function post(array $form, array $headers = []): WP_REST_Response
    {
        return self::dispatch('POST', http_build_query(array_filter($form, static fn($v) => null !== $v), '', '&', PHP_QUERY_RFC3986), array_merge(['content-type' => 'application/x-www-form-urlencoded'], $headers));
    }

    private function assertError(WP_REST_Response $res, string $error, int $status = 400): void
    {
        $this->assertSame($status, $res->get_status(), wp_json_encode($res->get_data()));
        $this->assertSame($error, $res->get_data()['error'] ?? null, wp_json_encode($res->get_data()));
        $this->assertIsString($res->get_data()['error_description']);
        $this->assertSame(['error', 'error_description'], array_keys($res->get_data()));
        $this->assertSame('no-store', $res->get_headers()['Cache-Control']);
    }

    private static function grantsOf(\Wpoa\Client $client): int
    {
        global $wpdb;
        $t = \Wpoa\Schema::tables()['grants'];
        return (int) $wpdb->get_var($wpdb->prepare("SELECT COUNT(*) FROM {$t} WHERE client_id = %s", $client->client_id));
    }

    public function testExchangeIssuesAnRfc9068TokenARefreshTokenAndAGrant(): void
    {
        $client = self::client();
        $code = self::code($client);
        $res = self::post(self::form($client, $code));
        $body = $res->get_data();
        $this->assertSame(200, $res->get_status(), wp_json_encode($body));
        $this->assertSame('no-store', $res->get_headers()['Cache-Control']);
        $this->assertSame(['access_token', 'token_type', 'expires_in', 'refresh_token', 'scope'], array_keys($body));
        $this->assertSame('Bearer', $body['token_type']);
        $this->assertSame(3600, $body['expires_in']);
        $this->assertSame('read write', $body['scope']);
        $this->assertMatchesRegularExpression('/^[A-Za-z0-9_-]{43}$/', $body['refresh_token']);

        $claims = \Wpoa\Crypto::jwt_decode($body['access_token'], \Wpoa\Keys::public_jwks(), ['iss' => \Wpoa\Urls::issuer(), 'aud' => \Wpoa\Urls::audience(), 'typ' => 'at+jwt']);
        $this->assertSame((string) wpoa_user('author')->ID, $claims['sub']);
        $this->assertSame($client->client_id, $claims['client_id']);
        $this->assertSame('read write', $claims['scope']);
        $this->assertSame(1700000123, $claims['auth_time']);
        $this->assertSame(wpoa_site()['url'] . '/wp-json/', $claims['aud']);

        $grant = \Wpoa\Grant_Repository::find((int) $claims['grant_id']);
        $this->assertSame('active', $grant->status);
        $this->assertSame($client->client_id, $grant->client_id);
        $this->assertSame('read write', $grant->scope);
        $this->assertSame('1700000123', $grant->auth_time);
        $row = \Wpoa\Code_Repository::find($code);
        $this->assertNotNull($row->used_at);
        $this->assertSame($claims['grant_id'], $row->grant_id);
        $refresh = \Wpoa\Refresh_Token_Repository::find($body['refresh_token']);
        $this->assertSame($claims['grant_id'], $refresh->grant_id);
        $this->assertNotNull(\Wpoa\Client_Repository::find($client->client_id)->first_authorized_at);
        $this->assertSame([[$client->client_id, wpoa_user('author')->ID, (int) $claims['grant_id'], $claims['jti'], 'authorization_code', true]], $this->actions['wpoa_token_issued']);
    }

    public function testNoRefreshTokenWithoutTheRefreshTokenGrantType(): void
    {
        $client = self::client(['grant_types' => ['authorization_code']]);
        $res = self::post(self::form($client, self::code($client, ['scope' => 'read'])));
        $this->assertSame(200, $res->get_status());
        $this->assertSame(['access_token', 'token_type', 'expires_in', 'scope'], array_keys($res->get_data()));
        $this->assertSame('read', $res->get_data()['scope']);
    }

    public function testRedirectUriMayBeOmittedOnlyWithASingleRegisteredOne(): void
    {
        $client = self::client();
        $this->assertSame(200, self::post(self::form($client, self::code($client), ['redirect_uri' => null]))->get_status());
        $two = self::client([], 'none', [self::REDIRECT, 'https://client.example/cb']);
        $this->assertError(self::post(self::form($two, self::code($two), ['redirect_uri' => null])), 'invalid_grant');
    }

    public function testConfidentialClientWithBasic(): void
    {
        $client = self::client([], 'client_secret_basic');
        $code = self::code($client);
        $basic = ['authorization' => 'Basic ' . base64_encode(urlencode($client->client_id) . ':' . urlencode(self::$secrets[$client->client_id]))];
        $bad = ['authorization' => 'Basic ' . base64_encode(urlencode($client->client_id) . ':wrong')];
        $res = self::post(self::form($client, $code, ['client_id' => null]), $bad);
        $this->assertError($res, 'invalid_client', 401);
        $this->assertStringStartsWith('Basic realm=', $res->get_headers()['WWW-Authenticate']);
        $this->assertNull(\Wpoa\Code_Repository::find($code)->used_at, 'a failed client authentication does not touch the code');
        $this->assertSame(200, self::post(self::form($client, $code, ['client_id' => null]), $basic)->get_status());
    }

    /** @return array<string, array{0: array, 1: string}> form changes => error (the code is valid and unused before) */
    public function badGrants(): array
    {
        return [
            'missing code' => [['code' => null], 'invalid_request'],
            'empty code' => [['code' => ''], 'invalid_request'],
            'unknown code' => [['code' => 'not-a-code'], 'invalid_grant'],
            'huge code' => [['code' => str_repeat('x', 10000)], 'invalid_grant'],
            'wrong verifier' => [['code_verifier' => 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'], 'invalid_grant'],
            'verifier too short (RFC 7636 §4.1)' => [['code_verifier' => 'abc'], 'invalid_grant'],
            'verifier with bad characters' => [['code_verifier' => str_repeat('!', 50)], 'invalid_grant'],
            'verifier too long' => [['code_verifier' => str_repeat('a', 129)], 'invalid_grant'],
            'missing verifier' => [['code_verifier' => null], 'invalid_grant'],
            'challenge sent as verifier' => [['code_verifier' => self::CHALLENGE], 'invalid_grant'],
            'other redirect_uri' => [['redirect_uri' => 'com.example.app:/oauth/cb2'], 'invalid_grant'],
            'redirect_uri with trailing slash' => [['redirect_uri' => self::REDIRECT . '/'], 'invalid_grant'],
            'missing grant_type' => [['grant_type' => null], 'invalid_request'],
            'unsupported grant_type' => [['grant_type' => 'password'], 'unsupported_grant_type'],
            'implicit grant_type' => [['grant_type' => 'implicit'], 'unsupported_grant_type'],
            'no client_id' => [['client_id' => null], 'invalid_client'],
            'unknown client_id' => [['client_id' => 'nobody'], 'invalid_client'],
        ];
    }

    /** @dataProvider badGrants */
    public function testBadGrantIsTheExactErrorAndStoresNothing(array $change, string $error): void
    {
        $client = self::client();
        $code = self::code($client);
        $res = self::post(self::form($client, $code, $change));
        $this->assertError($res, $error, 'invalid_client' === $error ? 401 : 400);
        $this->assertSame(0, self::grantsOf($client), 'no grant was stored');
        $this->assertArrayNotHasKey('wpoa_token_issued', $this->actions);
        if ('invalid_grant' === $error && !isset($change['code'])) {
            // The code is burnt: the correct request fails now too.
            $this->assertError(self::post(self::form($client, $code)), 'invalid_grant');
            $this->assertSame(0, self::grantsOf($client));
        }
    }

    public function testExpiredCodeIsInvalidGrant(): void
    {
        global $wpdb;
        $client = self::client();
        $code = self::code($client);
        $t = \Wpoa\Schema::tables()['codes'];
        $wpdb->query($wpdb->prepare("UPDATE {$t} SET expires_at = %d WHERE code_hash = %s", time() - 1, \Wpoa\Crypto::token_hash($code)));
        $this->assertError(self::post(self::form($client, $code)), 'invalid_grant');
        $this->assertSame(0, self::grantsOf($client));
    }

    public function testCodeOfAnotherClientIsInvalidGrantAndBurnt(): void
    {
        $owner = self::client();
        $thief = self::client();
        $code = self::code($owner);
        $this->assertError(self::post(self::form($thief, $code)), 'invalid_grant');
        $this->assertError(self::post(self::form($owner, $code)), 'invalid_grant');
        $this->assertSame(0, self::grantsOf($owner) + self::grantsOf($thief));
    }

    public function testCodeOfADeletedUserIsInvalidGrant(): void
    {
        require_once ABSPATH . 'wp-admin/includes/user.php';
        $login = 'gone' . strtolower(wp_generate_password(8, false));
        $uid = wp_insert_user(['user_login' => $login, 'user_pass' => wp_generate_password(), 'user_email' => $login . '@example.com', 'role' => 'author']);
        $client = self::client();
        $code = self::code($client, ['user_id' => $uid]);
        wp_delete_user($uid);
        $this->assertError(self::post(self::form($client, $code)), 'invalid_grant');
        $this->assertSame(0, self::grantsOf($client));
    }

    public function testReplayRevokesTheGrantAndItsTokens(): void
    {
        $client = self::client();
        $code = self::code($client);
        $first = self::post(self::form($client, $code));
        $this->assertSame(200, $first->get_status());
        $claims = \Wpoa\Crypto::jwt_decode($first->get_data()['access_token'], \Wpoa\Keys::public_jwks(), ['typ' => 'at+jwt']);
        $grantId = (int) $claims['grant_id'];

        $this->assertError(self::post(self::form($client, $code)), 'invalid_grant');
        $grant = \Wpoa\Grant_Repository::find($grantId);
        $this->assertSame('revoked', $grant->status);
        $this->assertSame('code_replay', $grant->revoked_reason);
        $this->assertFalse(\Wpoa\Grant_Repository::bearer_state($grantId, $claims['jti'])['active'], 'the access token stops working');
        $this->assertSame([[$client->client_id, wpoa_user('author')->ID, $grantId]], $this->actions['wpoa_code_replayed']);
        $this->assertSame([[$grantId, 'code_replay']], $this->actions['wpoa_grant_revoked']);
        $this->assertSame(1, self::grantsOf($client));
        // A third use does not fire the revocation again (the grant is already revoked) but still fails.
        $this->assertError(self::post(self::form($client, $code)), 'invalid_grant');
        $this->assertCount(1, $this->actions['wpoa_grant_revoked']);
    }

    public function testReplayWhileTheFirstExchangeIsRunningMakesItRevokeItsOwnGrant(): void
    {
        // The winner has marked the code used but not yet attached its grant when a replay
        // arrives on another PHP node (another database connection) and leaves its marker
        // (what Code_Repository::mark_replayed() does); the winner must then give up.
        $client = self::client();
        $code = self::code($client);
        $id = (int) \Wpoa\Code_Repository::find($code)->id;
        $db = wpoa_site()['db'];
        $t = \Wpoa\Schema::tables()['codes'];
        $marked = 0;
        // Grant_Repository::create() runs between consume() and attach_grant(): replay there.
        $replay = static function ($lifetime) use (&$marked, $db, $t, $id) {
            $other = new mysqli(null, $db['user'], $db['password'], DB_NAME, 0, $db['socket']);
            $other->query("UPDATE {$t} SET grant_id = 0 WHERE id = {$id} AND grant_id IS NULL");
            $marked = $other->affected_rows;
            $other->close();
            return $lifetime;
        };
        add_filter('wpoa_grant_lifetime', $replay);
        try {
            $winner = self::post(self::form($client, $code));
        } finally {
            remove_filter('wpoa_grant_lifetime', $replay);
        }
        $this->assertSame(1, $marked, 'the replay marker was written while the winner was running');
        $this->assertError($winner, 'invalid_grant');
        $this->assertSame('0', \Wpoa\Code_Repository::find($code)->grant_id);
        global $wpdb;
        $g = \Wpoa\Schema::tables()['grants'];
        $this->assertSame('0', $wpdb->get_var($wpdb->prepare("SELECT COUNT(*) FROM {$g} WHERE client_id = %s AND status = 'active'", $client->client_id)), 'no usable grant is left');
        $r = \Wpoa\Schema::tables()['refresh_tokens'];
        $this->assertSame('0', $wpdb->get_var($wpdb->prepare("SELECT COUNT(*) FROM {$r} rt JOIN {$g} gr ON gr.id = rt.grant_id WHERE rt.client_id = %s AND gr.status = 'active'", $client->client_id)));
        $this->assertArrayNotHasKey('wpoa_token_issued', $this->actions);
    }

    /** @return array<string, array{0:string, 1:?string, 2:array}> */
    public function badRequests(): array
    {
        $form = 'application/x-www-form-urlencoded';
        return [
            'JSON body' => ['POST', '{"grant_type":"authorization_code"}', ['content-type' => 'application/json']],
            'no content type' => ['POST', 'grant_type=authorization_code', []],
            'multipart' => ['POST', 'grant_type=authorization_code', ['content-type' => 'multipart/form-data; boundary=x']],
            'duplicate code' => ['POST', 'grant_type=authorization_code&code=a&code=b&client_id=x', ['content-type' => $form]],
            'duplicate grant_type' => ['POST', 'grant_type=authorization_code&grant_type=refresh_token', ['content-type' => $form]],
            'empty body' => ['POST', '', ['content-type' => $form]],
        ];
    }

    /** @dataProvider badRequests */
    public function testBadRequestsAreInvalidRequest(string $method, ?string $body, array $headers): void
    {
        $this->assertError(self::dispatch($method, $body, $headers), 'invalid_request');
    }

    public function testOtherMethodsAre405WithAllowPost(): void
    {
        $client = self::client();
        $code = self::code($client);
        $body = http_build_query(self::form($client, $code), '', '&', PHP_QUERY_RFC3986);
        foreach (['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH'] as $method) {
            $request = new WP_REST_Request($method, '/wp-oauth/v1/token');
            $request->set_header('content-type', 'application/x-www-form-urlencoded');
            $request->set_body($body);
            $server = rest_get_server();
            // As WP_REST_Server::serve_request() sends it: core sets `Allow` on `rest_post_dispatch`.
            $res = apply_filters('rest_post_dispatch', rest_ensure_response($server->dispatch($request)), $server, $request);
            $this->assertSame(405, $res->get_status(), $method);
            $this->assertSame(['error' => 'invalid_request', 'error_description' => 'The token endpoint accepts only POST requests (RFC 6749 §3.2).'], $res->get_data(), $method);
            $this->assertSame('POST', $res->get_headers()['Allow'], $method);
            $this->assertSame('no-store', $res->get_headers()['Cache-Control'], $method);
        }
        // The code was not touched by the wrong methods: it still works once.
        $this->assertSame(200, self::post(self::form($client, $code))->get_status());
    }

    public function testCharsetInTheContentTypeIsAccepted(): void
    {
        $client = self::client();
        $res = self::post(self::form($client, self::code($client)), ['content-type' => 'application/x-www-form-urlencoded; charset=UTF-8']);
        $this->assertSame(200, $res->get_status());
    }

    public function testClientNotRegisteredForTheGrantTypeIsUnauthorizedClient(): void
    {
        $client = self::client(['grant_types' => ['refresh_token']]);
        $this->assertError(self::post(self::form($client, self::code($client))), 'unauthorized_client');
    }

    public function testPlainHttpIsRefused(): void
    {
        $client = self::client();
        $code = self::code($client);
        unset($_SERVER['HTTPS']);
        $_SERVER['SERVER_PORT'] = '80';
        $this->assertFalse(is_ssl());
        $res = self::post(self::form($client, $code));
        $this->assertError($res, 'invalid_request');
        $this->assertStringContainsString('HTTPS', $res->get_data()['error_description']);
        $this->assertNull(\Wpoa\Code_Repository::find($code)->used_at);
    }

    public function testHandlersFilterAddsAndSkipsNulls(): void
    {
        $custom = new class implements \Wpoa\Grant_Handler {
            public function grant_type(): string
            {
                return 'urn:example:test';
            }

            public function handle(array $params, \Wpoa\Client $client): array
            {
                return ['access_token' => 'x', 'token_type' => 'Bearer', 'seen' => $params['grant_type']];
            }
        };
        $f = static fn($handlers) => array_merge($handlers, [null, 'not a handler', $custom]);
        add_filter('wpoa_grant_handlers', $f);
        try {
            $this->assertArrayHasKey('authorization_code', \Wpoa\Token_Controller::handlers());
            $client = self::client(['grant_types' => ['urn:example:test']]);
            $res = self::post(['grant_type' => 'urn:example:test', 'client_id' => $client->client_id]);
            $this->assertSame(200, $res->get_status());
            $this->assertSame('urn:example:test', $res->get_data()['seen']);
        } finally {
            remove_filter('wpoa_grant_handlers', $f);
        }
    }
}
