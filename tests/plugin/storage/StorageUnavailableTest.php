<?php
/**
 * A query that fails is never read as "not found": the token endpoint answers 503
 * temporarily_unavailable, the REST API 503 db_unavailable, and nothing stored changes.
 *
 * The failure is real: the `query` filter turns one statement of the plugin into SQL that the
 * database refuses (an unknown table), so $wpdb reports the error exactly as it does when the
 * server goes away between two statements.
 */

require_once dirname(__DIR__) . '/LifecycleFixtures.php';

use Wpoa\Grant_Repository;
use Wpoa\Refresh_Token_Repository;

/**
 * @covers \Wpoa\Storage_Unavailable
 * @covers \Wpoa\Refresh_Token_Repository
 * @covers \Wpoa\Grant_Repository
 */
final class StorageUnavailableTest extends PHPUnit\Framework\TestCase
{
    use LifecycleFixtures;

    /** @var callable|null */
    private $breaker;

    protected function tearDown(): void
    {
        $this->heal();
        $_SERVER['HTTP_AUTHORIZATION'] = '';
        unset($_SERVER['HTTP_AUTHORIZATION']);
        wp_set_current_user(0);
    }

    /** Makes the next statements whose SQL matches $pattern fail, $times times. */
    private function breakQueries(string $pattern, int $times = 1): void
    {
        global $wpdb;
        $wpdb->suppress_errors(true);
        $this->breaker = static function ($sql) use ($pattern, &$times) {
            if ($times > 0 && 1 === preg_match($pattern, $sql)) {
                $times--;
                return 'SELECT * FROM wpoa_no_such_table_for_this_test';
            }
            return $sql;
        };
        add_filter('query', $this->breaker);
    }

    private function heal(): void
    {
        global $wpdb;
        if (null !== $this->breaker) {
            remove_filter('query', $this->breaker);
            $this->breaker = null;
        }
        $wpdb->suppress_errors(false);
    }

    private function assertTemporarilyUnavailable(WP_REST_Response $res): void
    {
        $this->assertSame(503, $res->get_status(), wp_json_encode($res->get_data()));
        $this->assertSame('temporarily_unavailable', $res->get_data()['error']);
        $this->assertSame('10', $res->get_headers()['Retry-After']);
        $this->assertSame('no-store', $res->get_headers()['Cache-Control']);
    }

    /** @return array<string, array{0:string}> */
    public function refreshStatements(): array
    {
        return [
            'looking up the refresh token' => ['/^SELECT \* FROM \S*oauth_refresh_tokens WHERE token_hash/'],
            'looking up the grant' => ['/^SELECT \* FROM \S*oauth_grants WHERE id/'],
            'marking the old token used' => ['/^UPDATE \S*oauth_refresh_tokens SET used_at/'],
            'storing the new token' => ['/^INSERT INTO `?\S*oauth_refresh_tokens/'],
        ];
    }

    /** @dataProvider refreshStatements */
    public function testARefreshThatCannotReachTheDatabaseIs503AndKeepsTheChain(string $statement): void
    {
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $token = self::makeRefreshToken($grant);

        $this->breakQueries($statement);
        $res = self::post('token', ['grant_type' => 'refresh_token', 'client_id' => $client->client_id, 'refresh_token' => $token]);
        $this->heal();

        $this->assertTemporarilyUnavailable($res);
        $this->assertSame('active', Grant_Repository::find((int) $grant->id)->status, 'a failed query is not reuse');
        $this->assertNull(Refresh_Token_Repository::find($token)->used_at, 'the old token is still unused');
        // The client retries and the chain goes on.
        $again = self::post('token', ['grant_type' => 'refresh_token', 'client_id' => $client->client_id, 'refresh_token' => $token]);
        $this->assertSame(200, $again->get_status(), wp_json_encode($again->get_data()));
    }

    public function testARefreshThatCannotLoadTheUserIs503AndRevokesNothing(): void
    {
        $client = self::makeClient();
        $user = wpoa_user('author');
        $grant = self::makeGrant($client, $user->ID);
        $token = self::makeRefreshToken($grant);
        clean_user_cache($user->ID);

        $this->breakQueries('/^SELECT \* FROM \S*users WHERE ID = /');
        $res = self::post('token', ['grant_type' => 'refresh_token', 'client_id' => $client->client_id, 'refresh_token' => $token]);
        $this->heal();

        $this->assertTemporarilyUnavailable($res);
        $this->assertSame('active', Grant_Repository::find((int) $grant->id)->status, 'a failed user lookup is not a deleted user');
        $again = self::post('token', ['grant_type' => 'refresh_token', 'client_id' => $client->client_id, 'refresh_token' => $token]);
        $this->assertSame(200, $again->get_status(), wp_json_encode($again->get_data()));
    }

    public function testAnUnknownClientLookupThatFailsIs503NotInvalidClient(): void
    {
        $client = self::makeClient('client_secret_basic');
        $this->breakQueries('/^SELECT \* FROM \S*oauth_clients WHERE client_id/');
        $res = self::post('token', ['grant_type' => 'refresh_token', 'refresh_token' => 'x'], self::basic($client));
        $this->heal();
        $this->assertTemporarilyUnavailable($res);
    }

    public function testABearerRequestThatCannotCheckTheGrantIs503NotRevoked(): void
    {
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $access = self::makeAccessToken($grant);
        $auth = \Wpoa\Plugin::component(\Wpoa\Bearer_Authenticator::class);
        $auth->reset();
        $_SERVER['REQUEST_URI'] = '/wp-json/wp/v2/users/me';
        $_SERVER['HTTP_AUTHORIZATION'] = 'Bearer ' . $access['token'];

        // The grant row is read when the recent-revocation list cannot tell (here: overflowed).
        global $wpdb;
        $wpdb->query($wpdb->prepare("REPLACE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES ('wpoa_revocation_list', %s, 'yes')", 'wpoa1;o@' . (time() + 600)));
        wp_cache_delete('alloptions', 'options');
        $this->breakQueries('/FROM \S*oauth_grants g WHERE g\.id/');
        $user = apply_filters('determine_current_user', false);
        $this->heal();
        $wpdb->query("REPLACE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES ('wpoa_revocation_list', 'wpoa1', 'yes')");
        wp_cache_delete('alloptions', 'options');
        $this->assertSame(0, $user);
        $request = new WP_REST_Request('GET', '/wp/v2/users/me');
        $error = apply_filters('rest_authentication_errors', null);
        $this->assertInstanceOf(WP_Error::class, $error);
        $response = apply_filters('rest_post_dispatch', rest_convert_error_to_response($error), rest_get_server(), $request);
        $this->assertSame(503, $response->get_status());
        $this->assertSame('db_unavailable', $response->get_data()['code']);
        $this->assertSame('10', $response->get_headers()['Retry-After']);
        $this->assertSame('active', Grant_Repository::find((int) $grant->id)->status);
        $auth->reset();
    }
}
