<?php
/**
 * grant_type=urn:ietf:params:oauth:grant-type:token-exchange with an Application Password made by
 * core, through the real token endpoint and database.
 */

require_once dirname(__DIR__) . '/LifecycleFixtures.php';

use Wpoa\Client_Repository;
use Wpoa\Crypto;
use Wpoa\Grant_Repository;
use Wpoa\Keys;
use Wpoa\Urls;

/**
 * @covers \Wpoa\Grant_Token_Exchange
 */
final class TokenExchangeTest extends PHPUnit\Framework\TestCase
{
    use LifecycleFixtures;

    private const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
    private const TYPE = 'urn:wp-oauth:params:oauth:token-type:application-password';

    protected function setUp(): void
    {
        global $wpdb;
        $wpdb->query("DELETE FROM {$wpdb->options} WHERE option_name LIKE '\\_transient%wpoa\\_xchgfail%'");
        wp_cache_flush();
    }

    private static function exchangeClient(): \Wpoa\Client
    {
        $id = 'xc-' . strtolower(wp_generate_password(12, false));
        return Client_Repository::insert([
            'client_id' => $id,
            'token_endpoint_auth_method' => 'none',
            'redirect_uris' => ['https://app.example/cb'],
            'metadata' => ['client_name' => 'Exchange App', 'grant_types' => ['authorization_code', 'refresh_token', self::GRANT], 'token_endpoint_auth_method' => 'none'],
            'registered_by' => 0,
        ]);
    }

    /** @return array{0:string,1:string} password, uuid */
    private static function appPassword(int $userId, string $name): array
    {
        $made = WP_Application_Passwords::create_new_application_password($userId, ['name' => $name]);
        return [$made[0], $made[1]['uuid']];
    }

    private function exchange(\Wpoa\Client $client, array $form): WP_REST_Response
    {
        return self::post('token', array_merge(['grant_type' => self::GRANT, 'client_id' => $client->client_id, 'subject_token_type' => self::TYPE], $form));
    }

    public function testExchangeIssuesAGrantRecordedWithItsOrigin(): void
    {
        $user = wpoa_user('author');
        $client = self::exchangeClient();
        [$password, $uuid] = self::appPassword($user->ID, 'Phone');
        $events = [];
        add_action('wpoa_application_password_exchanged', function (...$args) use (&$events) { $events[] = $args; }, 10, 4);

        $res = $this->exchange($client, ['subject_token' => $user->user_login . ':' . $password, 'scope' => 'full']);
        remove_all_actions('wpoa_application_password_exchanged');
        $this->assertSame(200, $res->get_status(), wp_json_encode($res->get_data()));
        $body = $res->get_data();
        $this->assertSame('urn:ietf:params:oauth:token-type:access_token', $body['issued_token_type']);
        $this->assertSame('Bearer', $body['token_type']);
        $this->assertSame('full', $body['scope']);
        $claims = Crypto::jwt_decode($body['access_token'], Keys::public_jwks(), ['iss' => Urls::issuer(), 'aud' => Urls::audience(), 'typ' => 'at+jwt']);
        $this->assertSame((string) $user->ID, $claims['sub']);
        $grant = Grant_Repository::find((int) $claims['grant_id']);
        $this->assertSame(['type' => 'application_password', 'uuid' => $uuid, 'name' => 'Phone'], json_decode($grant->origin, true));
        $this->assertSame(['type' => 'application_password', 'uuid' => $uuid, 'name' => 'Phone'], \Wpoa\Grants_Controller::prepare_item($grant)['origin']);
        $this->assertSame([[(int) $user->ID, $client->client_id, (int) $grant->id, $uuid]], $events);
        // The password is kept.
        $this->assertNotNull(WP_Application_Passwords::get_user_application_password($user->ID, $uuid));
    }

    public function testRefusalsStoreNothing(): void
    {
        global $wpdb;
        $user = wpoa_user('author');
        $client = self::exchangeClient();
        [$password] = self::appPassword($user->ID, 'Tablet');
        $count = static fn() => (int) $wpdb->get_var($wpdb->prepare("SELECT COUNT(*) FROM {$wpdb->prefix}oauth_grants WHERE client_id = %s", $client->client_id));
        $cases = [
            'wrong password' => [['subject_token' => $user->user_login . ':' . str_repeat('x', 24)], 'invalid_grant'],
            'unknown user' => [['subject_token' => 'no-such-user:' . $password], 'invalid_grant'],
            'no separator' => [['subject_token' => $password], 'invalid_request'],
            'other type' => [['subject_token' => $user->user_login . ':' . $password, 'subject_token_type' => 'urn:ietf:params:oauth:token-type:jwt'], 'invalid_request'],
            'actor' => [['subject_token' => $user->user_login . ':' . $password, 'actor_token' => 'x'], 'invalid_request'],
            'unknown scope' => [['subject_token' => $user->user_login . ':' . $password, 'scope' => 'admin'], 'invalid_scope'],
        ];
        foreach ($cases as $what => [$form, $error]) {
            $res = $this->exchange($client, $form);
            $this->assertSame(400, $res->get_status(), $what);
            $this->assertSame($error, $res->get_data()['error'], $what);
        }
        add_filter('wp_is_application_passwords_available_for_user', '__return_false');
        $off = $this->exchange($client, ['subject_token' => $user->user_login . ':' . $password]);
        remove_filter('wp_is_application_passwords_available_for_user', '__return_false');
        $this->assertSame('invalid_grant', $off->get_data()['error'], 'disabled for the user');
        $this->assertSame(0, $count());
    }

    public function testAClientMustRegisterTheGrantType(): void
    {
        $user = wpoa_user('author');
        [$password] = self::appPassword($user->ID, 'Laptop');
        $res = $this->exchange(self::makeClient(), ['subject_token' => $user->user_login . ':' . $password]);
        $this->assertSame(400, $res->get_status());
        $this->assertSame('unauthorized_client', $res->get_data()['error']);
    }
}
