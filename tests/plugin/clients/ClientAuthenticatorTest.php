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

    public function testTooManyFailuresFromOneIpLockEvenTheRightSecret(): void
    {
        add_filter('wpoa_client_auth_limits', static fn() => ['per_ip' => 3, 'per_client' => 100, 'window' => 600]);
        $c = self::client('client_secret_basic');
        for ($i = 0; $i < 3; $i++) {
            $this->fails(self::request([], self::basic($c->client_id, 'wrong' . $i)), 'invalid_client', 401);
        }
        $e = $this->fails(self::request([], self::basic($c->client_id, self::$secrets[$c->client_id])), 'invalid_client', 429);
        $retry = (int) $e->headers['Retry-After'];
        $this->assertGreaterThan(0, $retry);
        $this->assertLessThanOrEqual(600, $retry);
        // Another IP is not locked (the per-client limit is far away).
        $_SERVER['REMOTE_ADDR'] = '198.51.100.7';
        $this->assertSame($c->client_id, \Wpoa\Client_Authenticator::authenticate(self::request([], self::basic($c->client_id, self::$secrets[$c->client_id])))->client_id);
        delete_transient(\Wpoa\Client_Authenticator::PREFIX_IP . md5('198.51.100.7'));
    }

    public function testTooManyFailuresForOneClientLockItFromEveryIp(): void
    {
        add_filter('wpoa_client_auth_limits', static fn() => ['per_ip' => 100, 'per_client' => 2, 'window' => 600]);
        $c = self::client('client_secret_post');
        foreach (['203.0.113.1', '203.0.113.2'] as $ip) {
            $_SERVER['REMOTE_ADDR'] = $ip;
            $this->fails(self::request(['client_id' => $c->client_id, 'client_secret' => 'nope']), 'invalid_client', 401);
        }
        $_SERVER['REMOTE_ADDR'] = '203.0.113.3';
        $this->fails(self::request(['client_id' => $c->client_id, 'client_secret' => self::$secrets[$c->client_id]]), 'invalid_client', 429);
        // Another client is not affected.
        $d = self::client('client_secret_post');
        $this->assertSame($d->client_id, \Wpoa\Client_Authenticator::authenticate(self::request(['client_id' => $d->client_id, 'client_secret' => self::$secrets[$d->client_id]]))->client_id);
        foreach (['203.0.113.1', '203.0.113.2', '203.0.113.3'] as $ip) {
            delete_transient(\Wpoa\Client_Authenticator::PREFIX_IP . md5($ip));
        }
    }

    public function testUnknownClientsCountAgainstTheIp(): void
    {
        add_filter('wpoa_client_auth_limits', static fn() => ['per_ip' => 2, 'per_client' => 100, 'window' => 600]);
        for ($i = 0; $i < 2; $i++) {
            $this->fails(self::request(['client_id' => 'ghost-' . $i, 'client_secret' => 'x']), 'invalid_client', 401);
        }
        $c = self::client('client_secret_post');
        $this->fails(self::request(['client_id' => $c->client_id, 'client_secret' => self::$secrets[$c->client_id]]), 'invalid_client', 429);
    }

    public function testPublicClientsAreNeverRateLimited(): void
    {
        add_filter('wpoa_client_auth_limits', static fn() => ['per_ip' => 1, 'per_client' => 1, 'window' => 600]);
        $c = self::client('none');
        for ($i = 0; $i < 5; $i++) {
            $this->fails(self::request(['client_id' => 'ghost-public-' . $i]), 'invalid_client', 401);
        }
        $this->assertSame($c->client_id, \Wpoa\Client_Authenticator::authenticate(self::request(['client_id' => $c->client_id]))->client_id);
        $this->assertSame([], $this->failures);
    }

    public function testLimitsDefaultsAndClamping(): void
    {
        $this->assertSame(['per_ip' => 10, 'per_client' => 30, 'window' => 900], \Wpoa\Client_Authenticator::limits());
        add_filter('wpoa_client_auth_limits', static fn() => ['per_ip' => 0, 'per_client' => -5, 'window' => 1]);
        $this->assertSame(['per_ip' => 1, 'per_client' => 1, 'window' => 60], \Wpoa\Client_Authenticator::limits());
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
