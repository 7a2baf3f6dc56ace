<?php
/**
 * Fixtures shared by the token-lifecycle tests (RefreshTokenTest, RevocationTest, IntrospectionTest,
 * GrantsControllerTest, UserLifecycleTest, KeyRotationTest, CleanupTest, RefreshTokenRepositoryTest):
 * real rows in the real test database, made through the plugin's repositories.
 */

use Wpoa\Client;
use Wpoa\Client_Repository;
use Wpoa\Crypto;
use Wpoa\Grant_Repository;
use Wpoa\Refresh_Token_Repository;
use Wpoa\Token_Issuer;
use Wpoa\Urls;

trait LifecycleFixtures
{
    /** @var array<string,string> client_id => plaintext secret of confidential clients made here */
    protected static $secrets = [];

    /**
     * A client: 'none' (public), 'client_secret_basic' or 'client_secret_post'.
     * $registeredBy > 0 makes it an admin-created client.
     */
    protected static function makeClient(string $method = 'none', int $registeredBy = 0, string $name = 'Lifecycle Test App'): Client
    {
        $clientId = 'lc-' . strtolower(wp_generate_password(12, false));
        $fields = [
            'client_id' => $clientId,
            'token_endpoint_auth_method' => $method,
            'redirect_uris' => ['https://app.example/cb'],
            'metadata' => [
                'client_name' => $name,
                'grant_types' => ['authorization_code', 'refresh_token'],
                'token_endpoint_auth_method' => $method,
            ],
            'registered_by' => $registeredBy,
        ];
        if ('none' !== $method) {
            $secret = Crypto::random_token(32);
            $fields['client_secret_hash'] = Crypto::secret_hash($secret);
            self::$secrets[$clientId] = $secret;
        }
        $client = Client_Repository::insert($fields);
        if (null === $client) {
            throw new RuntimeException('client insert failed');
        }
        return $client;
    }

    /** An active grant; returns its row. */
    protected static function makeGrant(Client $client, int $userId, string $scope = 'read write'): object
    {
        $id = Grant_Repository::create($client->client_id, $userId, $scope, Urls::audience(), time());
        if ($id <= 0) {
            throw new RuntimeException('grant insert failed');
        }
        return Grant_Repository::find($id);
    }

    /** A fresh refresh token (plaintext) for a grant. */
    protected static function makeRefreshToken(object $grant, ?string $scope = null): string
    {
        $token = Refresh_Token_Repository::create((int) $grant->id, (string) $grant->client_id, $scope ?? (string) $grant->scope, (int) $grant->expires_at);
        if (null === $token) {
            throw new RuntimeException('refresh token insert failed');
        }
        return $token;
    }

    /** A signed access token for a grant: {token, jti, exp, expires_in}. */
    protected static function makeAccessToken(object $grant, ?string $scope = null): array
    {
        return Token_Issuer::access_token((string) $grant->client_id, (int) $grant->user_id, $scope ?? (string) $grant->scope, (int) $grant->id, Urls::audience(), time());
    }

    /** A form POST to one of our REST routes, dispatched through the real REST server. */
    protected static function post(string $route, array $form, array $headers = []): WP_REST_Response
    {
        $request = new WP_REST_Request('POST', '/wp-oauth/v1/' . ltrim($route, '/'));
        $request->set_header('content-type', 'application/x-www-form-urlencoded');
        foreach ($headers as $name => $value) {
            $request->set_header($name, $value);
        }
        $request->set_body(http_build_query($form, '', '&', PHP_QUERY_RFC3986));
        return rest_get_server()->dispatch($request);
    }

    /** Basic credentials of a confidential client made by makeClient() (RFC 6749 §2.3.1). */
    protected static function basic(Client $client): array
    {
        $secret = self::$secrets[$client->client_id];
        return ['authorization' => 'Basic ' . base64_encode(rawurlencode($client->client_id) . ':' . rawurlencode($secret))];
    }

    /** A throw-away user. */
    protected static function makeUser(string $role = 'author'): int
    {
        $login = 'lc' . strtolower(wp_generate_password(10, false));
        $id = wp_insert_user(['user_login' => $login, 'user_pass' => wp_generate_password(20), 'user_email' => $login . '@example.com', 'role' => $role]);
        if (is_wp_error($id)) {
            throw new RuntimeException($id->get_error_message());
        }
        return (int) $id;
    }

    /** Sets columns of a row directly (test set-up only: e.g. to age a row). */
    protected static function setRow(string $table, int $id, array $columns): void
    {
        global $wpdb;
        $wpdb->update(\Wpoa\Schema::tables()[$table], $columns, ['id' => $id]);
    }
}
