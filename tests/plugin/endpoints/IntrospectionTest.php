<?php
/**
 * RFC 7662 introspection endpoint through the real REST server and database.
 */

require_once dirname(__DIR__) . '/LifecycleFixtures.php';

use Wpoa\Crypto;
use Wpoa\Grant_Repository;
use Wpoa\Keys;
use Wpoa\Urls;

/**
 * @covers \Wpoa\Introspection_Controller
 */
final class IntrospectionTest extends PHPUnit\Framework\TestCase
{
    use LifecycleFixtures;

    /** @var \Wpoa\Client Admin-created confidential client: the resource-server credential. */
    private static $rs;

    public static function setUpBeforeClass(): void
    {
        self::$rs = self::makeClient('client_secret_basic', wpoa_user('admin')->ID, 'Resource server');
    }

    private function introspect(string $token, ?\Wpoa\Client $caller = null, array $extra = []): WP_REST_Response
    {
        $caller = $caller ?? self::$rs;
        return self::post('introspect', array_merge(['token' => $token], $extra), self::basic($caller));
    }

    private function assertInactive(WP_REST_Response $res): void
    {
        $this->assertSame(200, $res->get_status(), wp_json_encode($res->get_data()));
        $this->assertSame('{"active":false}', wp_json_encode($res->get_data()));
    }

    public function testActiveAccessTokenHasTheRfc7662Members(): void
    {
        $client = self::makeClient();
        $user = wpoa_user('author');
        $grant = self::makeGrant($client, $user->ID, 'read write');
        $access = self::makeAccessToken($grant, 'read');

        $res = $this->introspect($access['token']);
        $this->assertSame(200, $res->get_status());
        $body = $res->get_data();
        $this->assertSame(['active', 'scope', 'client_id', 'username', 'token_type', 'exp', 'iat', 'sub', 'aud', 'iss', 'jti'], array_keys($body));
        $this->assertTrue($body['active']);
        $this->assertSame('read', $body['scope']);
        $this->assertSame($client->client_id, $body['client_id']);
        $this->assertSame('author', $body['username']);
        $this->assertSame('Bearer', $body['token_type']);
        $this->assertSame($access['exp'], $body['exp']);
        $this->assertSame((string) $user->ID, $body['sub']);
        $this->assertSame(wpoa_site()['url'] . '/wp-json/', $body['aud']);
        $this->assertSame(wpoa_site()['url'], $body['iss']);
        $this->assertSame($access['jti'], $body['jti']);
        $this->assertEqualsWithDelta(time(), $body['iat'], 5);
        $this->assertSame('no-store', $res->get_headers()['Cache-Control']);
    }

    public function testActiveRefreshTokenIsIntrospectedToo(): void
    {
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID, 'read');
        $refresh = self::makeRefreshToken($grant);

        foreach ([null, 'refresh_token', 'access_token'] as $hint) {
            $res = $this->introspect($refresh, null, null === $hint ? [] : ['token_type_hint' => $hint]);
            $body = $res->get_data();
            $this->assertTrue($body['active']);
            $this->assertSame('refresh_token', $body['token_type']);
            $this->assertSame('read', $body['scope']);
            $this->assertSame($client->client_id, $body['client_id']);
            $this->assertSame('author', $body['username']);
            $this->assertSame((string) wpoa_user('author')->ID, $body['sub']);
            $this->assertArrayNotHasKey('jti', $body);
        }
    }

    public function testRevokedExpiredUsedAndDeniedTokensAreInactive(): void
    {
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $access = self::makeAccessToken($grant);
        $refresh = self::makeRefreshToken($grant);

        Grant_Repository::revoke_jti($access['jti'], (int) $grant->id, $access['exp']);
        $this->assertInactive($this->introspect($access['token']));

        Grant_Repository::revoke((int) $grant->id, 'user_revoked');
        $this->assertInactive($this->introspect($refresh));
        $this->assertInactive($this->introspect(self::makeAccessToken($grant)['token']));

        // Used (rotated) refresh token.
        $g2 = self::makeGrant($client, wpoa_user('author')->ID);
        $old = self::makeRefreshToken($g2);
        $this->assertNotNull(\Wpoa\Refresh_Token_Repository::rotate(\Wpoa\Refresh_Token_Repository::find($old), 'read write', (int) $g2->expires_at));
        $this->assertInactive($this->introspect($old));

        // Expired access token (just expired: no leeway at introspection).
        $now = time();
        $expired = Crypto::jwt_encode(
            ['iss' => Urls::issuer(), 'sub' => (string) wpoa_user('author')->ID, 'aud' => Urls::audience(), 'client_id' => $client->client_id, 'scope' => 'read', 'jti' => 'exp-' . wp_generate_password(8, false), 'iat' => $now - 3600, 'exp' => $now - 1, 'grant_id' => (string) $g2->id],
            Keys::current()['jwk'],
            ['typ' => 'at+jwt']
        );
        $this->assertInactive($this->introspect($expired));
    }

    /** @return array<string, array{0:string}> */
    public function garbage(): array
    {
        return ['random' => ['abc'], 'jwt-like' => ['a.b.c'], 'long' => [str_repeat('z', 10000)], 'binary' => ["\xff\xfe\x00"]];
    }

    /** @dataProvider garbage */
    public function testMalformedOrUnknownTokensAreInactive(string $token): void
    {
        $this->assertInactive($this->introspect($token));
    }

    public function testForgedTokenIsInactive(): void
    {
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $now = time();
        $forged = Crypto::jwt_encode(
            ['iss' => Urls::issuer(), 'sub' => (string) wpoa_user('author')->ID, 'aud' => Urls::audience(), 'client_id' => $client->client_id, 'jti' => 'f-' . wp_generate_password(8, false), 'iat' => $now, 'exp' => $now + 600, 'grant_id' => (string) $grant->id],
            Crypto::key_generate('ES256'),
            ['typ' => 'at+jwt']
        );
        $this->assertInactive($this->introspect($forged));
    }

    public function testDeletedUserAndPasswordChangeMakeTokensInactive(): void
    {
        $client = self::makeClient();
        $userId = self::makeUser();
        $grant = self::makeGrant($client, $userId);
        $access = self::makeAccessToken($grant);
        $this->assertTrue($this->introspect($access['token'])->get_data()['active']);
        // The cut-off alone (grant left active) is enough.
        update_user_meta($userId, 'wpoa_tokens_valid_after', time() + 1);
        $this->assertInactive($this->introspect($access['token']));
        delete_user_meta($userId, 'wpoa_tokens_valid_after');
        $this->assertTrue($this->introspect($access['token'])->get_data()['active']);

        require_once ABSPATH . 'wp-admin/includes/user.php';
        wp_delete_user($userId);
        $this->assertInactive($this->introspect($access['token']));
    }

    public function testDynamicConfidentialClientSeesOnlyItsOwnTokens(): void
    {
        $dynamic = self::makeClient('client_secret_post');
        $mine = self::makeAccessToken(self::makeGrant($dynamic, wpoa_user('author')->ID));
        $theirs = self::makeAccessToken(self::makeGrant(self::makeClient(), wpoa_user('author')->ID));

        $post = static fn (string $t) => self::post('introspect', ['client_id' => $dynamic->client_id, 'client_secret' => self::$secrets[$dynamic->client_id], 'token' => $t]);
        $this->assertTrue($post($mine['token'])->get_data()['active']);
        $this->assertInactive($post($theirs['token']));
        // The admin-made resource server sees both.
        $this->assertTrue($this->introspect($theirs['token'])->get_data()['active']);
    }

    public function testPublicClientsAndAnonymousCallersAreRefused(): void
    {
        $public = self::makeClient();
        $token = self::makeAccessToken(self::makeGrant($public, wpoa_user('author')->ID))['token'];

        $res = self::post('introspect', ['client_id' => $public->client_id, 'token' => $token]);
        $this->assertSame(401, $res->get_status());
        $this->assertSame('invalid_client', $res->get_data()['error']);
        $this->assertArrayHasKey('WWW-Authenticate', $res->get_headers());

        $res = self::post('introspect', ['token' => $token]);
        $this->assertSame(401, $res->get_status());
        $this->assertSame('invalid_client', $res->get_data()['error']);

        $bad = ['authorization' => 'Basic ' . base64_encode(self::$rs->client_id . ':wrong-secret')];
        $res = self::post('introspect', ['token' => $token], $bad);
        $this->assertSame(401, $res->get_status());
    }

    public function testMissingTokenIsInvalidRequest(): void
    {
        $res = self::post('introspect', [], self::basic(self::$rs));
        $this->assertSame(400, $res->get_status());
        $this->assertSame('invalid_request', $res->get_data()['error']);
    }
}
