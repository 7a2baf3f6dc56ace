<?php
/**
 * RFC 6749 §2.3 client authentication and its failed-secret rate limit.
 *
 * @covers \Wpoa\Client_Authenticator
 */
final class ClientAuthenticatorTest extends PHPUnit\Framework\TestCase
{
    /** @var array<string,string> client_id => secret */
    private static $secrets = [];

    /** @var array */
    private $server;

    /** @var array<int,array> wpoa_client_auth_failed calls */
    private $failures = [];

    /** @var callable */
    private $listener;

    /** Forgets every failure counter (they are transients). */
    private static function resetCounters(): void
    {
        global $wpdb;
        $wpdb->query("DELETE FROM {$wpdb->options} WHERE option_name LIKE '\\_transient\\_%wpoa\\_authfail\\_%'");
        wp_cache_flush();
    }

    protected function setUp(): void
    {
        self::resetCounters();
        $this->server = $_SERVER;
        $_SERVER['REMOTE_ADDR'] = '192.0.2.' . random_int(1, 250);
        $this->failures = [];
        $this->listener = function (...$args) {
            $this->failures[] = $args;
        };
        add_action('wpoa_client_auth_failed', $this->listener, 10, 3);
    }

    protected function tearDown(): void
    {
        remove_action('wpoa_client_auth_failed', $this->listener, 10);
        remove_all_filters('wpoa_client_auth_limits');
        $_SERVER = $this->server;
        self::resetCounters();
    }

    private static function client(string $method, ?string $id = null, array $extra = []): \Wpoa\Client
    {
        $id = $id ?? 'ca-' . strtolower(wp_generate_password(10, false));
        $secret = 'none' === $method ? null : 'S3cr:et+/ %' . wp_generate_password(24, false);
        $client = \Wpoa\Client_Repository::insert(array_merge([
            'client_id' => $id,
            'client_secret_hash' => null === $secret ? null : \Wpoa\Crypto::secret_hash($secret),
            'token_endpoint_auth_method' => $method,
            'redirect_uris' => ['https://client.example/cb'],
            'metadata' => ['client_name' => 'Auth test'],
        ], $extra));
        if (null !== $secret) {
            self::$secrets[$id] = $secret;
        }
        return $client;
    }

    private static function request(array $form, array $headers = []): WP_REST_Request
    {
        $r = new WP_REST_Request('POST', '/wp-oauth/v1/token');
        $r->set_header('content-type', 'application/x-www-form-urlencoded');
        foreach ($headers as $k => $v) {
            $r->set_header($k, $v);
        }
        $r->set_body(http_build_query($form, '', '&', PHP_QUERY_RFC3986));
        return $r;
    }

    /** RFC 6749 §2.3.1: form-urlencode id and secret, then base64 "id:secret". */
    private static function basic(string $id, string $secret): array
    {
        return ['authorization' => 'Basic ' . base64_encode(urlencode($id) . ':' . urlencode($secret))];
    }

    private function fails(WP_REST_Request $r, string $error, int $status): \Wpoa\OAuth_Error
    {
        try {
            \Wpoa\Client_Authenticator::authenticate($r);
        } catch (\Wpoa\OAuth_Error $e) {
            $this->assertSame($error, $e->error, $e->getMessage());
            $this->assertSame($status, $e->status);
            if (401 === $status) {
                $this->assertMatchesRegularExpression('/^Basic realm="[^"]+", charset="UTF-8"$/', $e->headers['WWW-Authenticate'] ?? '');
            }
            return $e;
        }
        $this->fail("expected $error");
    }

    public function testPublicClientByClientId(): void
    {
        $c = self::client('none');
        $this->assertSame($c->client_id, \Wpoa\Client_Authenticator::authenticate(self::request(['client_id' => $c->client_id]))->client_id);
    }

    public function testClientSecretBasicDecodesFormEncodedIdAndSecret(): void
    {
        // An id with characters that form-encoding changes (':' '+' ' ').
        $c = self::client('client_secret_basic', 'id:with+odd chars-' . wp_generate_password(6, false));
        $secret = self::$secrets[$c->client_id];
        $this->assertSame($c->client_id, \Wpoa\Client_Authenticator::authenticate(self::request([], self::basic($c->client_id, $secret)))->client_id);
        // rawurlencode (%20 for space) decodes the same way.
        $raw = ['authorization' => 'Basic ' . base64_encode(rawurlencode($c->client_id) . ':' . rawurlencode($secret))];
        $this->assertSame($c->client_id, \Wpoa\Client_Authenticator::authenticate(self::request([], $raw))->client_id);
        // The same client_id repeated in the body is allowed.
        $this->assertSame($c->client_id, \Wpoa\Client_Authenticator::authenticate(self::request(['client_id' => $c->client_id], self::basic($c->client_id, $secret)))->client_id);
        $this->assertSame([], $this->failures);
    }

    public function testClientSecretPost(): void
    {
        $c = self::client('client_secret_post');
        $r = self::request(['client_id' => $c->client_id, 'client_secret' => self::$secrets[$c->client_id]]);
        $this->assertSame($c->client_id, \Wpoa\Client_Authenticator::authenticate($r)->client_id);
    }

    /** @return array<string, array{0:callable, 1:string, 2:int}> */
    public function badCredentials(): array
    {
        return [
            'nothing at all' => [fn() => self::request([]), 'invalid_client', 401],
            'empty client_id' => [fn() => self::request(['client_id' => '']), 'invalid_client', 401],
            'unknown public client' => [fn() => self::request(['client_id' => 'no-such-client']), 'invalid_client', 401],
            'client_id in another case' => [fn() => self::request(['client_id' => strtoupper(self::client('none')->client_id)]), 'invalid_client', 401],
            'client_id longer than 64' => [fn() => self::request(['client_id' => str_repeat('a', 65)]), 'invalid_client', 401],
            'wrong basic secret' => [function () {
                $c = self::client('client_secret_basic');
                return self::request([], self::basic($c->client_id, 'wrong'));
            }, 'invalid_client', 401],
            'wrong post secret' => [function () {
                $c = self::client('client_secret_post');
                return self::request(['client_id' => $c->client_id, 'client_secret' => 'wrong']);
            }, 'invalid_client', 401],
            'empty post secret' => [function () {
                $c = self::client('client_secret_post');
                return self::request(['client_id' => $c->client_id, 'client_secret' => '']);
            }, 'invalid_client', 401],
            'basic client uses post' => [function () {
                $c = self::client('client_secret_basic');
                return self::request(['client_id' => $c->client_id, 'client_secret' => self::$secrets[$c->client_id]]);
            }, 'invalid_client', 401],
            'post client uses basic' => [function () {
                $c = self::client('client_secret_post');
                return self::request([], self::basic($c->client_id, self::$secrets[$c->client_id]));
            }, 'invalid_client', 401],
            'confidential client sends no secret' => [fn() => self::request(['client_id' => self::client('client_secret_basic')->client_id]), 'invalid_client', 401],
            'public client sends a secret' => [fn() => self::request(['client_id' => self::client('none')->client_id, 'client_secret' => 'x']), 'invalid_client', 401],
            'basic header not base64' => [fn() => self::request([], ['authorization' => 'Basic %%%not-base64']), 'invalid_client', 401],
            'basic header without colon' => [fn() => self::request([], ['authorization' => 'Basic ' . base64_encode('justanid')]), 'invalid_client', 401],
            'expired secret' => [function () {
                $c = self::client('client_secret_basic', null, ['secret_expires_at' => time() - 10]);
                return self::request([], self::basic($c->client_id, self::$secrets[$c->client_id]));
            }, 'invalid_client', 401],
            'header and body secret' => [function () {
                $c = self::client('client_secret_basic');
                return self::request(['client_secret' => self::$secrets[$c->client_id]], self::basic($c->client_id, self::$secrets[$c->client_id]));
            }, 'invalid_request', 400],
            'header and a different body client_id' => [function () {
                $c = self::client('client_secret_basic');
                return self::request(['client_id' => 'someone-else'], self::basic($c->client_id, self::$secrets[$c->client_id]));
            }, 'invalid_request', 400],
            'duplicate client_id' => [function () {
                $c = self::client('none');
                $r = self::request([]);
                $r->set_body('client_id=' . $c->client_id . '&client_id=' . $c->client_id);
                return $r;
            }, 'invalid_request', 400],
        ];
    }

    /** @dataProvider badCredentials */
    public function testBadCredentials(callable $make, string $error, int $status): void
    {
        $this->fails($make(), $error, $status);
    }

    public function testFailuresAreReportedWithoutTheSecret(): void
    {
        $c = self::client('client_secret_post');
        $this->fails(self::request(['client_id' => $c->client_id, 'client_secret' => 'guess-123']), 'invalid_client', 401);
        $this->assertSame([[$c->client_id, $_SERVER['REMOTE_ADDR'], 'invalid_secret']], $this->failures);
        $this->assertStringNotContainsString('guess-123', serialize($this->failures));
    }

    /** Asserts that the client authenticates with its right secret from the current REMOTE_ADDR. */
    private function passes(\Wpoa\Client $c, string $how = 'basic'): void
    {
        $secret = self::$secrets[$c->client_id];
        $r = 'basic' === $how ? self::request([], self::basic($c->client_id, $secret)) : self::request(['client_id' => $c->client_id, 'client_secret' => $secret]);
        $this->assertSame($c->client_id, \Wpoa\Client_Authenticator::authenticate($r)->client_id, "right secret of {$c->client_id} from {$_SERVER['REMOTE_ADDR']}");
    }

    /** Asserts the locked answer: 429, the literal RFC 6749 §5.2 body, Retry-After within the window. */
    private function locked(WP_REST_Request $r, int $window): void
    {
        $e = $this->fails($r, 'invalid_client', 429);
        $this->assertSame(['error' => 'invalid_client', 'error_description' => 'Too many failed client authentication attempts. Try again later.'], $e->body());
        $this->assertSame(['Retry-After'], array_keys($e->headers));
        $retry = (int) $e->headers['Retry-After'];
        $this->assertGreaterThan(0, $retry);
        $this->assertLessThanOrEqual($window, $retry);
    }

    public function testAnAttackersFailuresDoNotLockOtherClientsBehindTheSameAddress(): void
    {
        add_filter('wpoa_client_auth_limits', static fn() => ['per_client_ip' => 3, 'per_client' => 100, 'window' => 600]);
        $target = self::client('client_secret_basic');
        $bystander = self::client('client_secret_post');
        $_SERVER['REMOTE_ADDR'] = '192.0.2.77'; // a shared proxy or NAT
        for ($i = 0; $i < 3; $i++) {
            $this->fails(self::request([], self::basic($target->client_id, 'wrong' . $i)), 'invalid_client', 401);
        }
        $this->locked(self::request([], self::basic($target->client_id, 'wrong-again')), 600);
        // Guessing at unknown client ids from the same address does not lock anyone either.
        for ($i = 0; $i < 5; $i++) {
            try {
                \Wpoa\Client_Authenticator::authenticate(self::request(['client_id' => 'ghost-' . $i, 'client_secret' => 'x']));
            } catch (\Wpoa\OAuth_Error $e) {
            }
        }
        $this->passes($bystander, 'post');
    }

    public function testTheAttackedClientsRightSecretStillPassesWhileLocked(): void
    {
        add_filter('wpoa_client_auth_limits', static fn() => ['per_client_ip' => 3, 'per_client' => 5, 'window' => 600]);
        $target = self::client('client_secret_basic');
        $_SERVER['REMOTE_ADDR'] = '192.0.2.78';
        for ($i = 0; $i < 4; $i++) {
            try {
                \Wpoa\Client_Authenticator::authenticate(self::request([], self::basic($target->client_id, 'wrong' . $i)));
            } catch (\Wpoa\OAuth_Error $e) {
            }
        }
        // The pair (client, address) is past its limit: the right secret from that address passes.
        $this->passes($target);
        // Spend the per-client budget from other addresses too: wrong secrets are 429 everywhere,
        // the right one still passes everywhere.
        foreach (['203.0.113.1', '203.0.113.2'] as $ip) {
            $_SERVER['REMOTE_ADDR'] = $ip;
            try {
                \Wpoa\Client_Authenticator::authenticate(self::request([], self::basic($target->client_id, 'nope')));
            } catch (\Wpoa\OAuth_Error $e) {
            }
        }
        $_SERVER['REMOTE_ADDR'] = '198.51.100.9';
        $this->locked(self::request([], self::basic($target->client_id, 'first-try-from-here')), 600);
        $this->passes($target);
        $_SERVER['REMOTE_ADDR'] = '192.0.2.78';
        $this->passes($target);
    }

    public function testWrongSecretsPastTheLimitGet429WithRetryAfter(): void
    {
        add_filter('wpoa_client_auth_limits', static fn() => ['per_client_ip' => 3, 'per_client' => 4, 'window' => 600]);
        $c = self::client('client_secret_post');
        $_SERVER['REMOTE_ADDR'] = '192.0.2.79';
        for ($i = 0; $i < 3; $i++) {
            $this->fails(self::request(['client_id' => $c->client_id, 'client_secret' => 'wrong' . $i]), 'invalid_client', 401);
        }
        $this->locked(self::request(['client_id' => $c->client_id, 'client_secret' => 'wrong']), 600);
        $this->locked(self::request(['client_id' => $c->client_id, 'client_secret' => '']), 600);
        // From another address the pair is fresh, but the client's own budget (4) is spent.
        $_SERVER['REMOTE_ADDR'] = '192.0.2.80';
        $this->locked(self::request(['client_id' => $c->client_id, 'client_secret' => 'wrong']), 600);
        // Another client is not affected.
        $this->fails(self::request(['client_id' => self::client('client_secret_post')->client_id, 'client_secret' => 'wrong']), 'invalid_client', 401);
        $this->assertCount(7, $this->failures, 'every wrong secret is reported, locked or not');
    }

    public function testUnknownClientIdsAreCountedAndLockedLikeKnownOnes(): void
    {
        // Otherwise a lock would tell which client ids exist.
        add_filter('wpoa_client_auth_limits', static fn() => ['per_client_ip' => 2, 'per_client' => 100, 'window' => 600]);
        $known = self::client('client_secret_basic');
        $_SERVER['REMOTE_ADDR'] = '192.0.2.81';
        $answers = [];
        foreach ([$known->client_id, 'no-such-client-' . wp_generate_password(8, false)] as $id) {
            $seen = [];
            for ($i = 0; $i < 3; $i++) {
                try {
                    \Wpoa\Client_Authenticator::authenticate(self::request([], self::basic($id, 'guess' . $i)));
                    $this->fail('authenticated with a guess');
                } catch (\Wpoa\OAuth_Error $e) {
                    $seen[] = [$e->status, $e->body(), array_keys($e->headers)];
                }
            }
            $answers[] = $seen;
        }
        $this->assertSame([401, 401, 429], array_column($answers[0], 0));
        $this->assertSame($answers[0], $answers[1]);
        $this->assertSame([$known->client_id, '', ''], array_column(array_slice($this->failures, 2, 3), 0), 'an unknown id is reported as empty');
    }

    public function testVerificationRunsWhileLocked(): void
    {
        // A stored hash the extension refuses to parse is reported through wpoa_crypto_error by
        // the verification itself: seeing it proves the secret was checked, not short-circuited.
        add_filter('wpoa_client_auth_limits', static fn() => ['per_client_ip' => 1, 'per_client' => 100, 'window' => 600]);
        $c = self::client('client_secret_post', null, ['client_secret_hash' => '$pbkdf2-sha256$i=1000$not base64$x']);
        $errors = [];
        $spy = static function (...$a) use (&$errors) { $errors[] = $a[0]; };
        add_action('wpoa_crypto_error', $spy, 10, 3);
        try {
            $this->fails(self::request(['client_id' => $c->client_id, 'client_secret' => 'a']), 'invalid_client', 401);
            $this->fails(self::request(['client_id' => $c->client_id, 'client_secret' => 'b']), 'invalid_client', 429);
        } finally {
            remove_action('wpoa_crypto_error', $spy, 10);
        }
        $this->assertSame(['secret_verify', 'secret_verify'], $errors);
    }

    public function testPublicClientsAreNeverRateLimited(): void
    {
        add_filter('wpoa_client_auth_limits', static fn() => ['per_client_ip' => 1, 'per_client' => 1, 'window' => 600]);
        $c = self::client('none');
        for ($i = 0; $i < 5; $i++) {
            $this->fails(self::request(['client_id' => 'ghost-public-' . $i]), 'invalid_client', 401);
            $this->fails(self::request(['client_id' => $c->client_id . 'x']), 'invalid_client', 401);
        }
        $this->assertSame($c->client_id, \Wpoa\Client_Authenticator::authenticate(self::request(['client_id' => $c->client_id]))->client_id);
        $this->assertSame([], $this->failures);
    }

    public function testLimitsDefaultsAndClamping(): void
    {
        $this->assertSame(['per_client_ip' => 10, 'per_client' => 30, 'window' => 900], \Wpoa\Client_Authenticator::limits());
        add_filter('wpoa_client_auth_limits', static fn() => ['per_client_ip' => 0, 'per_client' => -5, 'window' => 1]);
        $this->assertSame(['per_client_ip' => 1, 'per_client' => 1, 'window' => 60], \Wpoa\Client_Authenticator::limits());
        remove_all_filters('wpoa_client_auth_limits');
        // The key of earlier versions still sets the per-address limit.
        add_filter('wpoa_client_auth_limits', static fn() => ['per_ip' => 4, 'per_client' => 30, 'window' => 900]);
        $this->assertSame(['per_client_ip' => 4, 'per_client' => 30, 'window' => 900], \Wpoa\Client_Authenticator::limits());
    }

    /** @return array<string, array{0:string, 1:array}> route => extra form parameters */
    public function endpoints(): array
    {
        return [
            'token' => ['token', ['grant_type' => 'authorization_code', 'code' => 'x', 'redirect_uri' => 'https://client.example/cb', 'code_verifier' => str_repeat('v', 43)]],
            'revoke' => ['revoke', ['token' => 'x']],
            'introspect' => ['introspect', ['token' => 'x']],
        ];
    }

    /**
     * RFC 6749 §5.2 `invalid_client`: an unknown client_id and a known one with the wrong secret,
     * the wrong method or an expired secret get byte-for-byte the same answer, so client ids
     * cannot be enumerated.
     *
     * @dataProvider endpoints
     */
    public function testUnknownClientAndWrongSecretGetTheSameAnswer(string $route, array $form): void
    {
        $basic = self::client('client_secret_basic');
        $post = self::client('client_secret_post');
        $expired = self::client('client_secret_basic', null, ['secret_expires_at' => time() - 10]);
        $ghost = 'no-such-client-' . wp_generate_password(8, false);
        $cases = [
            'unknown client, basic' => [$form, self::basic($ghost, 'some-secret')],
            'wrong secret, basic' => [$form, self::basic($basic->client_id, 'some-secret')],
            'unknown client, post' => [$form + ['client_id' => $ghost, 'client_secret' => 'some-secret'], []],
            'wrong secret, post' => [$form + ['client_id' => $post->client_id, 'client_secret' => 'some-secret'], []],
            'right secret, wrong method' => [$form + ['client_id' => $basic->client_id, 'client_secret' => self::$secrets[$basic->client_id]], []],
            'right secret, expired' => [$form, self::basic($expired->client_id, self::$secrets[$expired->client_id])],
            'unknown client, no secret' => [$form + ['client_id' => $ghost], []],
            'confidential client, no secret' => [$form + ['client_id' => $basic->client_id], []],
        ];
        foreach ($cases as $name => [$body, $headers]) {
            $request = new WP_REST_Request('POST', '/wp-oauth/v1/' . $route);
            $request->set_header('content-type', 'application/x-www-form-urlencoded');
            foreach ($headers as $k => $v) {
                $request->set_header($k, $v);
            }
            $request->set_body(http_build_query($body, '', '&', PHP_QUERY_RFC3986));
            $res = rest_get_server()->dispatch($request);
            $this->assertSame(401, $res->get_status(), "$route: $name");
            $this->assertSame('{"error":"invalid_client","error_description":"Client authentication failed."}', wp_json_encode($res->get_data()), "$route: $name");
            $this->assertSame([
                'Cache-Control' => 'no-store',
                'Pragma' => 'no-cache',
                'WWW-Authenticate' => 'Basic realm="localhost", charset="UTF-8"',
            ], $res->get_headers(), "$route: $name");
        }
    }

    public function testParsePairsDecodesFormEncoding(): void
    {
        $this->assertSame(
            [['a', 'x y'], ['b', 'x+y'], ['c', ''], ['d[]', '1'], ['', 'v'], ['e', 'a=b']],
            \Wpoa\Client_Authenticator::parse_pairs('a=x+y&b=x%2By&c&d%5B%5D=1&=v&&e=a=b')
        );
    }

    public function testFormParamsRefusesDuplicatesAndArrays(): void
    {
        $r = self::request([]);
        $r->set_body('grant_type=a&grant_type=b');
        try {
            \Wpoa\Client_Authenticator::form_params($r);
            $this->fail('duplicate accepted');
        } catch (\Wpoa\OAuth_Error $e) {
            $this->assertSame('invalid_request', $e->error);
        }
        $r = new WP_REST_Request('POST', '/wp-oauth/v1/token');
        $r->set_body_params(['code' => ['a', 'b']]);
        try {
            \Wpoa\Client_Authenticator::form_params($r);
            $this->fail('array accepted');
        } catch (\Wpoa\OAuth_Error $e) {
            $this->assertSame('invalid_request', $e->error);
        }
        $r = self::request([]);
        $r->set_body('code[]=a&code=b');
        $this->assertSame(['code[]' => 'a', 'code' => 'b'], \Wpoa\Client_Authenticator::form_params($r), 'brackets are not interpreted');
    }
}
