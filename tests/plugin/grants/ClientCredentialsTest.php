<?php
/**
 * grant_type=client_credentials (RFC 6749 §4.4) for service accounts, through the real REST
 * server, database and extension; and the Users → OAuth Service Accounts screen's binding.
 *
 * @covers \Wpoa\Grant_Client_Credentials
 * @covers \Wpoa\Service_Account_Repository
 * @covers \Wpoa\Admin_Service_Accounts
 */
final class ClientCredentialsTest extends PHPUnit\Framework\TestCase
{
    /** @var array<string,string> */
    private static $secrets = [];

    private static function client(int $registeredBy = 1, string $method = 'client_secret_basic', array $meta = []): \Wpoa\Client
    {
        $id = 'cc-' . strtolower(wp_generate_password(12, false));
        $secret = 'none' === $method ? null : wp_generate_password(32, false);
        $client = \Wpoa\Client_Repository::insert([
            'client_id' => $id,
            'client_secret_hash' => $secret ? \Wpoa\Crypto::secret_hash($secret) : null,
            'token_endpoint_auth_method' => $method,
            'redirect_uris' => ['https://svc.example/cb'],
            'metadata' => array_merge(['client_name' => 'Release bot', 'grant_types' => ['authorization_code']], $meta),
            'registered_by' => $registeredBy,
        ]);
        if ($secret) {
            self::$secrets[$id] = $secret;
        }
        return $client;
    }

    private static function serviceUser(string $role = 'author'): int
    {
        $login = 'svc' . strtolower(wp_generate_password(10, false));
        return (int) wp_insert_user(['user_login' => $login, 'user_pass' => wp_generate_password(20), 'user_email' => $login . '@example.com', 'role' => $role]);
    }

    private static function bind(\Wpoa\Client $client, int $userId, array $scope): string
    {
        return (new \Wpoa\Admin_Service_Accounts())->dispatch(['wpoa_action' => 'bind', 'client_id' => $client->client_id, 'user_id' => (string) $userId, 'scope' => $scope], (int) wpoa_user('admin')->ID);
    }

    private static function token(\Wpoa\Client $client, array $form = [], bool $basic = true): WP_REST_Response
    {
        $request = new WP_REST_Request('POST', '/wp-oauth/v1/token');
        $request->set_header('content-type', 'application/x-www-form-urlencoded');
        $form = array_merge(['grant_type' => 'client_credentials'], $form);
        if ($basic && isset(self::$secrets[$client->client_id])) {
            $request->set_header('authorization', 'Basic ' . base64_encode(rawurlencode($client->client_id) . ':' . rawurlencode(self::$secrets[$client->client_id])));
        } else {
            $form['client_id'] = $client->client_id;
        }
        $request->set_body(http_build_query($form, '', '&', PHP_QUERY_RFC3986));
        return rest_get_server()->dispatch($request);
    }

    private function assertError(WP_REST_Response $res, string $error, int $status = 400): void
    {
        $this->assertSame($status, $res->get_status(), wp_json_encode($res->get_data()));
        $this->assertSame($error, $res->get_data()['error'] ?? null, wp_json_encode($res->get_data()));
    }

    public function testABoundClientGetsATokenForItsServiceUserWithoutRefreshToken(): void
    {
        $client = self::client();
        $user = self::serviceUser();
        $this->assertSame('bound', self::bind($client, $user, ['read', 'write']));
        $res = self::token($client, ['scope' => 'read']);
        $this->assertSame(200, $res->get_status(), wp_json_encode($res->get_data()));
        $body = $res->get_data();
        $this->assertSame(['access_token', 'token_type', 'expires_in', 'scope'], array_keys($body), 'no refresh token (RFC 6749 §4.4.3)');
        $this->assertSame('read', $body['scope']);
        $claims = \Wpoa\Crypto::jwt_decode($body['access_token'], \Wpoa\Keys::public_jwks(), ['iss' => \Wpoa\Urls::issuer(), 'aud' => \Wpoa\Urls::audience(), 'typ' => 'at+jwt']);
        $this->assertSame((string) $user, $claims['sub']);
        $this->assertSame($client->client_id, $claims['client_id']);
        // No scope: the bound maximum.
        $this->assertSame('read write', self::token($client)->get_data()['scope']);
        // The binding is a grant of that user, listed among their authorized applications.
        $grants = \Wpoa\Grant_Repository::active_for_user($user, $client->client_id);
        $this->assertCount(1, $grants);
        $this->assertSame('read write', $grants[0]->scope);
        $this->assertSame((int) $grants[0]->id, (int) $claims['grant_id']);
        // A client registered for client_secret_post authenticates that way.
        $postClient = self::client(1, 'client_secret_post');
        self::bind($postClient, $user, ['read']);
        $post = self::token($postClient, ['client_secret' => self::$secrets[$postClient->client_id]], false);
        $this->assertSame(200, $post->get_status(), wp_json_encode($post->get_data()));
    }

    public function testRefusals(): void
    {
        $user = self::serviceUser();
        $client = self::client();
        // Not bound yet: the grant type is not the client's.
        $this->assertError(self::token($client), 'unauthorized_client');
        $this->assertSame('bound', self::bind($client, $user, ['read']));
        $this->assertError(self::token($client, ['scope' => 'write']), 'invalid_scope');
        $this->assertError(self::token($client, ['scope' => 'read admin']), 'invalid_scope');
        // A wrong secret.
        $request = new WP_REST_Request('POST', '/wp-oauth/v1/token');
        $request->set_header('content-type', 'application/x-www-form-urlencoded');
        $request->set_header('authorization', 'Basic ' . base64_encode($client->client_id . ':wrong'));
        $request->set_body('grant_type=client_credentials');
        $this->assertError(rest_get_server()->dispatch($request), 'invalid_client', 401);

        // Public clients and self-registered confidential clients can never be bound.
        $public = self::client(1, 'none');
        $this->assertSame('not_allowed', self::bind($public, $user, ['read']));
        $this->assertError(self::token($public), 'unauthorized_client');
        $registered = self::client(0);
        $this->assertSame('not_allowed', self::bind($registered, $user, ['read']));
        $this->assertError(self::token($registered), 'unauthorized_client');
        // A scope beyond the client's registered ceiling, or none, cannot be bound.
        $narrow = self::client(1, 'client_secret_basic', ['scope' => 'read']);
        $this->assertSame('no_scope', self::bind($narrow, $user, ['full']));
        $this->assertSame('no_scope', self::bind($narrow, $user, []));
        $this->assertSame('no_user', self::bind($narrow, 0, ['read']));
    }

    public function testRevokingTheGrantStopsTheIntegrationUntilRebound(): void
    {
        $user = self::serviceUser();
        $client = self::client();
        self::bind($client, $user, ['read']);
        $grant = \Wpoa\Service_Account_Repository::find($client->client_id)['grant_id'];
        // The service user revokes it on their profile (same repository call).
        \Wpoa\Grant_Repository::revoke((int) $grant, 'user_revoked');
        $this->assertError(self::token($client), 'invalid_grant');
        // The administrator binds again: a new grant, tokens again.
        self::bind($client, $user, ['read']);
        $this->assertSame(200, self::token($client)->get_status());
        // Unbinding revokes the grant and removes the grant type.
        $this->assertSame('unbound', (new \Wpoa\Admin_Service_Accounts())->dispatch(['wpoa_action' => 'unbind', 'client_id' => $client->client_id], 1));
        $this->assertError(self::token($client), 'unauthorized_client');
        $this->assertSame([], \Wpoa\Grant_Repository::active_for_user($user, $client->client_id));
        // A deleted service user ends it too.
        $gone = self::serviceUser();
        self::bind($client, $gone, ['read']);
        require_once ABSPATH . 'wp-admin/includes/user.php';
        wp_delete_user($gone);
        $this->assertError(self::token($client), 'invalid_grant');
    }
}
