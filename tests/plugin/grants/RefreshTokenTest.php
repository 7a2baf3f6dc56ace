<?php
/**
 * grant_type=refresh_token: rotation, narrowing, reuse revocation, binding and refusals,
 * through the real token endpoint (REST server dispatch) on the real database.
 */

require_once dirname(__DIR__) . '/LifecycleFixtures.php';

use Wpoa\Crypto;
use Wpoa\Grant_Repository;
use Wpoa\Grant_Refresh_Token;
use Wpoa\Keys;
use Wpoa\OAuth_Error;
use Wpoa\Refresh_Token_Repository;
use Wpoa\Urls;

/**
 * @covers \Wpoa\Grant_Refresh_Token
 */
final class RefreshTokenTest extends PHPUnit\Framework\TestCase
{
    use LifecycleFixtures;

    private function refresh(\Wpoa\Client $client, string $token, array $extra = []): WP_REST_Response
    {
        return self::post('token', array_merge(['grant_type' => 'refresh_token', 'client_id' => $client->client_id, 'refresh_token' => $token], $extra));
    }

    public function testRefreshRotatesAndIssuesAVerifiableAccessToken(): void
    {
        $client = self::makeClient();
        $user = wpoa_user('author');
        $grant = self::makeGrant($client, $user->ID, 'read write');
        $old = self::makeRefreshToken($grant);

        $res = $this->refresh($client, $old);
        $this->assertSame(200, $res->get_status(), wp_json_encode($res->get_data()));
        $body = $res->get_data();
        $this->assertSame('Bearer', $body['token_type']);
        $this->assertSame('read write', $body['scope']);
        $this->assertSame(3600, $body['expires_in']);
        $this->assertMatchesRegularExpression('/^[A-Za-z0-9_-]{43}$/', $body['refresh_token']);
        $this->assertNotSame($old, $body['refresh_token']);
        $this->assertSame('no-store', $res->get_headers()['Cache-Control']);

        // The access token verifies independently against the published JWKS.
        $claims = Crypto::jwt_decode($body['access_token'], Keys::public_jwks(), ['iss' => Urls::issuer(), 'aud' => Urls::audience(), 'typ' => 'at+jwt']);
        $this->assertSame((string) $user->ID, $claims['sub']);
        $this->assertSame($client->client_id, $claims['client_id']);
        $this->assertSame('read write', $claims['scope']);
        $this->assertSame((string) $grant->id, (string) $claims['grant_id']);

        // Old one used, new one stored unused with the same scope, sliding expiry within the grant's.
        $this->assertNotNull(Refresh_Token_Repository::find($old)->used_at);
        $new = Refresh_Token_Repository::find($body['refresh_token']);
        $this->assertNull($new->used_at);
        $this->assertSame('read write', $new->scope);
        $this->assertSame((int) $grant->id, (int) $new->grant_id);
        $this->assertLessThanOrEqual((int) $grant->expires_at, (int) $new->expires_at);
        $this->assertGreaterThanOrEqual(time() + 30 * DAY_IN_SECONDS - 5, (int) $new->expires_at);

        // The successor works in turn.
        $this->assertSame(200, $this->refresh($client, $body['refresh_token'])->get_status());
    }

    public function testScopeMayOnlyNarrow(): void
    {
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID, 'read write');
        $token = self::makeRefreshToken($grant);

        $res = $this->refresh($client, $token, ['scope' => 'read']);
        $this->assertSame(200, $res->get_status());
        $this->assertSame('read', $res->get_data()['scope']);
        $claims = Crypto::jwt_decode($res->get_data()['access_token'], Keys::public_jwks(), ['iss' => Urls::issuer(), 'aud' => Urls::audience(), 'typ' => 'at+jwt']);
        $this->assertSame('read', $claims['scope']);
        // RFC 6749 §6: the new refresh token keeps the original scope.
        $this->assertSame('read write', Refresh_Token_Repository::find($res->get_data()['refresh_token'])->scope);
    }

    /** @return array<string, array{0:string}> */
    public function wideningScopes(): array
    {
        return [
            'wider' => ['read write full'],
            'only wider' => ['full'],
            'unknown' => ['read admin'],
            'tab separated' => ["read\twrite"],
            'spaces only' => ['   '],
        ];
    }

    /** @dataProvider wideningScopes */
    public function testWiderOrUnknownScopeIsInvalidScopeAndConsumesNothing(string $scope): void
    {
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID, 'read write');
        $token = self::makeRefreshToken($grant);

        $res = $this->refresh($client, $token, ['scope' => $scope]);
        $this->assertSame(400, $res->get_status());
        $this->assertSame('invalid_scope', $res->get_data()['error']);
        $this->assertNull(Refresh_Token_Repository::find($token)->used_at, 'a refused request must not rotate');
        $this->assertTrue(Grant_Repository::is_active(Grant_Repository::find((int) $grant->id)));
    }

    public function testReuseRevokesTheWholeGrantAndFiresTheAction(): void
    {
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $first = self::makeRefreshToken($grant);

        $r1 = $this->refresh($client, $first);
        $this->assertSame(200, $r1->get_status());
        $second = $r1->get_data()['refresh_token'];
        $access = $r1->get_data()['access_token'];
        $claims = Crypto::jwt_decode($access, Keys::public_jwks(), ['iss' => Urls::issuer(), 'aud' => Urls::audience(), 'typ' => 'at+jwt']);

        $seen = [];
        $spy = static function (...$args) use (&$seen) { $seen[] = $args; };
        add_action('wpoa_refresh_token_reused', $spy, 10, 4);
        try {
            $replay = $this->refresh($client, $first);
        } finally {
            remove_action('wpoa_refresh_token_reused', $spy, 10);
        }
        $this->assertSame(400, $replay->get_status());
        $this->assertSame('invalid_grant', $replay->get_data()['error']);

        $this->assertCount(1, $seen);
        [$grantId, $clientId, $userId, $context] = $seen[0];
        $this->assertSame((int) $grant->id, $grantId);
        $this->assertSame($client->client_id, $clientId);
        $this->assertSame(wpoa_user('author')->ID, $userId);
        $this->assertSame('replay', $context['how']);
        $this->assertTrue($context['grant_was_active']);

        $row = Grant_Repository::find((int) $grant->id);
        $this->assertSame('revoked', $row->status);
        $this->assertSame('refresh_reuse', $row->revoked_reason);
        // Descendants die: the successor refresh token and the access token of the chain.
        $this->assertSame('invalid_grant', $this->refresh($client, $second)->get_data()['error']);
        $this->assertFalse(Grant_Repository::bearer_state((int) $claims['grant_id'], $claims['jti'])['active']);
    }

    public function testTokenOfAnotherClientIsInvalidGrantAndRevokesNothing(): void
    {
        $owner = self::makeClient();
        $other = self::makeClient();
        $grant = self::makeGrant($owner, wpoa_user('author')->ID);
        $token = self::makeRefreshToken($grant);

        $res = $this->refresh($other, $token);
        $this->assertSame(400, $res->get_status());
        $this->assertSame('invalid_grant', $res->get_data()['error']);
        $this->assertNull(Refresh_Token_Repository::find($token)->used_at);
        $this->assertTrue(Grant_Repository::is_active(Grant_Repository::find((int) $grant->id)));
        $this->assertSame(200, $this->refresh($owner, $token)->get_status());
    }

    public function testExpiredRefreshTokenIsRefused(): void
    {
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $token = self::makeRefreshToken($grant);
        self::setRow('refresh_tokens', (int) Refresh_Token_Repository::find($token)->id, ['expires_at' => time() - 1]);
        $this->assertSame('invalid_grant', $this->refresh($client, $token)->get_data()['error']);
    }

    public function testExpiredGrantIsRefused(): void
    {
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $token = self::makeRefreshToken($grant);
        self::setRow('grants', (int) $grant->id, ['expires_at' => time() - 1]);
        $this->assertSame('invalid_grant', $this->refresh($client, $token)->get_data()['error']);
    }

    public function testRevokedGrantIsRefused(): void
    {
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $token = self::makeRefreshToken($grant);
        Grant_Repository::revoke((int) $grant->id, 'user_revoked');
        $this->assertSame('invalid_grant', $this->refresh($client, $token)->get_data()['error']);
    }

    public function testDeletedUserIsRefused(): void
    {
        $client = self::makeClient();
        $userId = self::makeUser();
        $grant = self::makeGrant($client, $userId);
        $token = self::makeRefreshToken($grant);
        require_once ABSPATH . 'wp-admin/includes/user.php';
        wp_delete_user($userId);
        $this->assertSame('invalid_grant', $this->refresh($client, $token)->get_data()['error']);
    }

    public function testUserGoneWithoutTheHookIsRefusedAndTheGrantRevoked(): void
    {
        global $wpdb;
        $client = self::makeClient();
        $userId = self::makeUser();
        $grant = self::makeGrant($client, $userId);
        $token = self::makeRefreshToken($grant);
        // Deleted behind WordPress's back (no delete_user action): the handler checks itself.
        $wpdb->delete($wpdb->users, ['ID' => $userId]);
        clean_user_cache($userId);
        wp_cache_delete($userId, 'users');
        $this->assertSame('invalid_grant', $this->refresh($client, $token)->get_data()['error']);
        $this->assertSame('user_deleted', Grant_Repository::find((int) $grant->id)->revoked_reason);
    }

    public function testPasswordChangeRefusesRefresh(): void
    {
        $client = self::makeClient();
        $userId = self::makeUser();
        $grant = self::makeGrant($client, $userId);
        $token = self::makeRefreshToken($grant);
        sleep(1); // the cut-off compares whole seconds with the grant's creation
        wp_update_user(['ID' => $userId, 'user_pass' => wp_generate_password(24)]);
        $this->assertSame('invalid_grant', $this->refresh($client, $token)->get_data()['error']);
    }

    public function testDeletedClientCannotRefresh(): void
    {
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $token = self::makeRefreshToken($grant);
        \Wpoa\Client_Repository::delete($client->client_id);
        $res = $this->refresh($client, $token);
        $this->assertSame(401, $res->get_status());
        $this->assertSame('invalid_client', $res->get_data()['error']);
    }

    /** @return array<string, array{0:array<string,mixed>, 1:string}> */
    public function badParams(): array
    {
        return [
            'missing refresh_token' => [[], 'invalid_request'],
            'empty refresh_token' => [['refresh_token' => ''], 'invalid_request'],
            'array refresh_token' => [['refresh_token' => ['a', 'b']], 'invalid_request'],
            'unknown token' => [['refresh_token' => 'nope'], 'invalid_grant'],
            'very long token' => [['refresh_token' => str_repeat('A', 5000)], 'invalid_grant'],
            'binary token' => [['refresh_token' => "\x00\xff\xfe"], 'invalid_grant'],
            'array scope' => [['refresh_token' => 'x', 'scope' => ['read']], 'invalid_request'],
        ];
    }

    /** @dataProvider badParams */
    public function testBadInputGetsAnRfcError(array $params, string $error): void
    {
        $client = self::makeClient();
        $this->expectException(OAuth_Error::class);
        try {
            (new Grant_Refresh_Token())->handle($params, $client);
        } catch (OAuth_Error $e) {
            $this->assertSame($error, $e->error);
            $this->assertSame(400, $e->status);
            throw $e;
        }
    }

    public function testBadInputThroughTheEndpointIsAnRfcErrorNot500(): void
    {
        $client = self::makeClient();
        foreach (['refresh_token[]=a', 'refresh_token=a&refresh_token=b', 'refresh_token=%00'] as $body) {
            $request = new WP_REST_Request('POST', '/wp-oauth/v1/token');
            $request->set_header('content-type', 'application/x-www-form-urlencoded');
            $request->set_body('grant_type=refresh_token&client_id=' . rawurlencode($client->client_id) . '&' . $body);
            $res = rest_get_server()->dispatch($request);
            $this->assertSame(400, $res->get_status(), $body);
            $this->assertContains($res->get_data()['error'], ['invalid_request', 'invalid_grant'], $body);
        }
    }
}
