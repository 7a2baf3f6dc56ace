<?php
/**
 * RFC 7009 revocation endpoint through the real REST server and database.
 */

require_once dirname(__DIR__) . '/LifecycleFixtures.php';

use Wpoa\Crypto;
use Wpoa\Grant_Repository;
use Wpoa\Keys;
use Wpoa\Refresh_Token_Repository;
use Wpoa\Urls;

/**
 * @covers \Wpoa\Revocation_Controller
 */
final class RevocationTest extends PHPUnit\Framework\TestCase
{
    use LifecycleFixtures;

    protected function tearDown(): void
    {
        $_SERVER['HTTPS'] = 'on';
        remove_all_filters('wpoa_allow_insecure_http');
    }

    private function revoke(\Wpoa\Client $client, string $token, ?string $hint = null): WP_REST_Response
    {
        $form = ['client_id' => $client->client_id, 'token' => $token];
        if (null !== $hint) {
            $form['token_type_hint'] = $hint;
        }
        return self::post('revoke', $form);
    }

    private function assertRevocationOk(WP_REST_Response $res): void
    {
        $this->assertSame(200, $res->get_status(), wp_json_encode($res->get_data()));
        $this->assertSame('{}', wp_json_encode($res->get_data()));
        $this->assertSame('no-store', $res->get_headers()['Cache-Control']);
    }

    /** @return array<string, array{0:?string}> */
    public function hints(): array
    {
        return ['no hint' => [null], 'right hint' => ['refresh_token'], 'wrong hint' => ['access_token'], 'unknown hint' => ['id_token']];
    }

    /** @dataProvider hints */
    public function testRevokingARefreshTokenRevokesItsGrantWhateverTheHint(?string $hint): void
    {
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $refresh = self::makeRefreshToken($grant);
        $access = self::makeAccessToken($grant);

        $this->assertRevocationOk($this->revoke($client, $refresh, $hint));
        $row = Grant_Repository::find((int) $grant->id);
        $this->assertSame('revoked', $row->status);
        $this->assertSame('token_revoked', $row->revoked_reason);
        // The access token of the same grant stops too (RFC 7009 §2.1).
        $this->assertFalse(Grant_Repository::bearer_state((int) $grant->id, $access['jti'])['active']);
    }

    /** @dataProvider hints */
    public function testRevokingAnAccessTokenDenyListsItsJtiOnly(?string $hint): void
    {
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $refresh = self::makeRefreshToken($grant);
        $access = self::makeAccessToken($grant);
        $sibling = self::makeAccessToken($grant);

        $this->assertRevocationOk($this->revoke($client, $access['token'], $hint));
        $state = Grant_Repository::bearer_state((int) $grant->id, $access['jti']);
        $this->assertTrue($state['jti_revoked']);
        $this->assertTrue($state['active'], 'the grant itself stays');
        $this->assertFalse(Grant_Repository::bearer_state((int) $grant->id, $sibling['jti'])['jti_revoked']);
        $this->assertNull(Refresh_Token_Repository::find($refresh)->used_at);

        global $wpdb;
        $exp = $wpdb->get_var($wpdb->prepare('SELECT expires_at FROM ' . \Wpoa\Schema::tables()['revoked_tokens'] . ' WHERE jti = %s', $access['jti']));
        $this->assertSame($access['exp'], (int) $exp);
    }

    public function testRevokedAccessTokenFailsBearerAuthentication(): void
    {
        if (!class_exists(\Wpoa\Bearer_Authenticator::class)) {
            $this->markTestSkipped('Bearer_Authenticator not present');
        }
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $access = self::makeAccessToken($grant);
        $bearer = new \Wpoa\Bearer_Authenticator();
        $this->assertSame(wpoa_user('author')->ID, $bearer->verify($access['token'])['user_id']);
        $this->assertRevocationOk($this->revoke($client, $access['token']));
        $this->expectException(\Wpoa\OAuth_Error::class);
        $bearer->verify($access['token']);
    }

    public function testAnotherClientsTokensAreAnswered200AndNothingIsRevoked(): void
    {
        $owner = self::makeClient();
        $other = self::makeClient();
        $grant = self::makeGrant($owner, wpoa_user('author')->ID);
        $refresh = self::makeRefreshToken($grant);
        $access = self::makeAccessToken($grant);

        $this->assertRevocationOk($this->revoke($other, $refresh));
        $this->assertRevocationOk($this->revoke($other, $access['token'], 'access_token'));
        $state = Grant_Repository::bearer_state((int) $grant->id, $access['jti']);
        $this->assertTrue($state['active']);
        $this->assertFalse($state['jti_revoked']);
    }

    /** @return array<string, array{0:string}> */
    public function unknownTokens(): array
    {
        $h = rtrim(strtr(base64_encode('{"alg":"ES256","typ":"at+jwt"}'), '+/', '-_'), '=');
        return [
            'random' => ['not-a-token'],
            'jwt-shaped garbage' => ["$h.e30.AAAA"],
            'three dots' => ['a.b.c.d'],
            'huge' => [str_repeat('x', 20000)],
            'nul bytes' => ["\x00\x00"],
        ];
    }

    /** @dataProvider unknownTokens */
    public function testUnknownOrMalformedTokensAre200(string $token): void
    {
        $this->assertRevocationOk($this->revoke(self::makeClient(), $token));
    }

    public function testExpiredAndAlreadyRevokedTokensAre200(): void
    {
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $refresh = self::makeRefreshToken($grant);
        $this->assertRevocationOk($this->revoke($client, $refresh));
        $this->assertRevocationOk($this->revoke($client, $refresh));

        $now = time();
        $expired = Crypto::jwt_encode(
            ['iss' => Urls::issuer(), 'sub' => '2', 'aud' => Urls::audience(), 'client_id' => $client->client_id, 'scope' => 'read', 'jti' => 'expired-' . wp_generate_password(8, false), 'iat' => $now - 7200, 'exp' => $now - 3600, 'grant_id' => (string) $grant->id],
            Keys::current()['jwk'],
            ['typ' => 'at+jwt']
        );
        $this->assertRevocationOk($this->revoke($client, $expired));
    }

    public function testTokenSignedByAnotherKeyIsNotRevoked(): void
    {
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $now = time();
        $jti = 'forged-' . wp_generate_password(8, false);
        $forged = Crypto::jwt_encode(
            ['iss' => Urls::issuer(), 'sub' => '2', 'aud' => Urls::audience(), 'client_id' => $client->client_id, 'jti' => $jti, 'iat' => $now, 'exp' => $now + 600, 'grant_id' => (string) $grant->id],
            Crypto::key_generate('ES256'),
            ['typ' => 'at+jwt']
        );
        $this->assertRevocationOk($this->revoke($client, $forged));
        $this->assertFalse(Grant_Repository::bearer_state((int) $grant->id, $jti)['jti_revoked']);
    }

    public function testConfidentialClientAuthenticatesAsAtTheTokenEndpoint(): void
    {
        $client = self::makeClient('client_secret_basic');
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $refresh = self::makeRefreshToken($grant);

        // No credentials, only client_id: a confidential client must authenticate.
        $res = self::post('revoke', ['client_id' => $client->client_id, 'token' => $refresh]);
        $this->assertSame(401, $res->get_status());
        $this->assertSame('invalid_client', $res->get_data()['error']);
        $this->assertStringStartsWith('Basic', $res->get_headers()['WWW-Authenticate']);
        $this->assertTrue(Grant_Repository::is_active(Grant_Repository::find((int) $grant->id)));

        $this->assertRevocationOk(self::post('revoke', ['token' => $refresh], self::basic($client)));
        $this->assertSame('revoked', Grant_Repository::find((int) $grant->id)->status);
    }

    /** @return array<string, array{0:array, 1:int, 2:string}> */
    public function badRequests(): array
    {
        return [
            'no client' => [['token' => 'x'], 401, 'invalid_client'],
            'unknown client' => [['client_id' => 'nope', 'token' => 'x'], 401, 'invalid_client'],
            'no token' => [['client_id' => '@client'], 400, 'invalid_request'],
            'empty token' => [['client_id' => '@client', 'token' => ''], 400, 'invalid_request'],
        ];
    }

    /** @dataProvider badRequests */
    public function testBadRequestsGetRfcErrors(array $form, int $status, string $error): void
    {
        $client = self::makeClient();
        if (isset($form['client_id']) && '@client' === $form['client_id']) {
            $form['client_id'] = $client->client_id;
        }
        $res = self::post('revoke', $form);
        $this->assertSame($status, $res->get_status());
        $this->assertSame($error, $res->get_data()['error']);
        $this->assertSame('no-store', $res->get_headers()['Cache-Control']);
    }

    public function testJsonBodyAndDuplicateParametersAreInvalidRequest(): void
    {
        $client = self::makeClient();
        $request = new WP_REST_Request('POST', '/wp-oauth/v1/revoke');
        $request->set_header('content-type', 'application/json');
        $request->set_body(wp_json_encode(['client_id' => $client->client_id, 'token' => 'x']));
        $res = rest_get_server()->dispatch($request);
        $this->assertSame(400, $res->get_status());
        $this->assertSame('invalid_request', $res->get_data()['error']);

        $request = new WP_REST_Request('POST', '/wp-oauth/v1/revoke');
        $request->set_header('content-type', 'application/x-www-form-urlencoded');
        $request->set_body('client_id=' . rawurlencode($client->client_id) . '&token=a&token=b');
        $res = rest_get_server()->dispatch($request);
        $this->assertSame(400, $res->get_status());
        $this->assertSame('invalid_request', $res->get_data()['error']);
    }

    /** The response as WP_REST_Server::serve_request() sends it: dispatch, then `rest_post_dispatch` (core sets `Allow` there). */
    private static function served(WP_REST_Request $request): WP_REST_Response
    {
        $server = rest_get_server();
        return apply_filters('rest_post_dispatch', rest_ensure_response($server->dispatch($request)), $server, $request);
    }

    /** @return array<string, array{0:string, 1:string}> */
    public function postOnlyRoutes(): array
    {
        return [
            'revoke' => ['revoke', 'The revocation endpoint accepts only POST requests (RFC 7009 §2.1).'],
            'introspect' => ['introspect', 'The introspection endpoint accepts only POST requests (RFC 7662 §2.1).'],
        ];
    }

    /** @dataProvider postOnlyRoutes */
    public function testOtherMethodsAre405WithAllowPost(string $route, string $description): void
    {
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $refresh = self::makeRefreshToken($grant);
        foreach (['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH'] as $method) {
            $request = new WP_REST_Request($method, '/wp-oauth/v1/' . $route);
            $request->set_header('content-type', 'application/x-www-form-urlencoded');
            $request->set_body('client_id=' . rawurlencode($client->client_id) . '&token=' . rawurlencode($refresh));
            $res = self::served($request);
            $this->assertSame(405, $res->get_status(), "$method $route");
            $this->assertSame(['error' => 'invalid_request', 'error_description' => $description], $res->get_data(), "$method $route");
            $this->assertSame('POST', $res->get_headers()['Allow'], "$method $route");
            $this->assertSame('no-store', $res->get_headers()['Cache-Control']);
        }
        $this->assertTrue(Grant_Repository::is_active(Grant_Repository::find((int) $grant->id)), 'nothing was revoked');

        // Every answer of the route names only POST, including a POST and core's OPTIONS answer.
        $this->assertSame('POST', self::served(new WP_REST_Request('OPTIONS', '/wp-oauth/v1/' . $route))->get_headers()['Allow']);
        $post = new WP_REST_Request('POST', '/wp-oauth/v1/' . $route);
        $post->set_header('content-type', 'application/x-www-form-urlencoded');
        $post->set_body('client_id=' . rawurlencode($client->client_id) . '&token=unknown');
        $this->assertSame('POST', self::served($post)->get_headers()['Allow']);
    }

    public function testPlainHttpIsRefused(): void
    {
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $refresh = self::makeRefreshToken($grant);
        unset($_SERVER['HTTPS']);
        add_filter('wpoa_allow_insecure_http', '__return_false');
        $res = $this->revoke($client, $refresh);
        $this->assertSame(400, $res->get_status());
        $this->assertSame('invalid_request', $res->get_data()['error']);
        $this->assertStringContainsString('HTTPS', $res->get_data()['error_description']);
        $this->assertTrue(Grant_Repository::is_active(Grant_Repository::find((int) $grant->id)));
    }
}
