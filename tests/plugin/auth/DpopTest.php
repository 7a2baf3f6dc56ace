<?php
/**
 * DPoP at the token endpoint (through the REST server) and at the resource server
 * (Dpop::check_resource_request with the request in $_SERVER), with proofs signed by OpenSSL.
 */

require_once dirname(__DIR__) . '/LifecycleFixtures.php';
require_once dirname(__DIR__) . '/DpopProofs.php';

use Wpoa\Crypto;
use Wpoa\Dpop;
use Wpoa\Dpop_Repository;
use Wpoa\Keys;
use Wpoa\OAuth_Error;
use Wpoa\Urls;

/**
 * @covers \Wpoa\Dpop
 */
final class DpopTest extends PHPUnit\Framework\TestCase
{
    use LifecycleFixtures;
    use DpopProofs;

    private array $server;

    protected function setUp(): void
    {
        $this->server = $_SERVER;
        Dpop::reset();
    }

    protected function tearDown(): void
    {
        $_SERVER = $this->server;
        Dpop::reset();
        remove_all_filters('wpoa_dpop_require_nonce');
    }

    private function refresh(\Wpoa\Client $client, string $token, ?string $proof): WP_REST_Response
    {
        return self::post('token', ['grant_type' => 'refresh_token', 'client_id' => $client->client_id, 'refresh_token' => $token], null === $proof ? [] : ['dpop' => $proof]);
    }

    private static function claims(string $token): array
    {
        return Crypto::jwt_decode($token, Keys::public_jwks(), ['iss' => Urls::issuer(), 'aud' => Urls::audience(), 'typ' => 'at+jwt']);
    }

    public function testTokenEndpointBindsTheAccessTokenToTheProofKey(): void
    {
        $k = self::ecKey();
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $res = $this->refresh($client, self::makeRefreshToken($grant), self::proof($k, ['htm' => 'POST', 'htu' => wpoa_site()['url'] . '/wp-json/wp-oauth/v1/token', 'nonce' => Dpop::current_nonce()]));
        $this->assertSame(200, $res->get_status(), wp_json_encode($res->get_data()));
        $this->assertSame('DPoP', $res->get_data()['token_type']);
        $this->assertSame(['jkt' => $k['jkt']], self::claims($res->get_data()['access_token'])['cnf']);
        $this->assertSame(Dpop::current_nonce(), $res->get_headers()['DPoP-Nonce']);
    }

    public function testWithoutAProofTheTokenStaysABearerToken(): void
    {
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $res = $this->refresh($client, self::makeRefreshToken($grant), null);
        $this->assertSame(200, $res->get_status());
        $this->assertSame('Bearer', $res->get_data()['token_type']);
        $this->assertArrayNotHasKey('cnf', self::claims($res->get_data()['access_token']));
        $this->assertArrayNotHasKey('DPoP-Nonce', $res->get_headers());
    }

    public function testTokenEndpointRefusalsAre400AndSpendNothing(): void
    {
        $k = self::ecKey();
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $token = self::makeRefreshToken($grant);
        $htu = wpoa_site()['url'] . '/wp-json/wp-oauth/v1/token';
        $nonce = Dpop::current_nonce();

        $noNonce = $this->refresh($client, $token, self::proof($k, ['htm' => 'POST', 'htu' => $htu]));
        $this->assertSame(400, $noNonce->get_status());
        $this->assertSame('use_dpop_nonce', $noNonce->get_data()['error']);
        $this->assertSame($nonce, $noNonce->get_headers()['DPoP-Nonce']);

        foreach ([
            'htm GET' => self::proof($k, ['htm' => 'GET', 'htu' => $htu, 'nonce' => $nonce]),
            'other endpoint' => self::proof($k, ['htm' => 'POST', 'htu' => wpoa_site()['url'] . '/wp-json/wp-oauth/v1/revoke', 'nonce' => $nonce]),
            'stale' => self::proof($k, ['htm' => 'POST', 'htu' => $htu, 'nonce' => $nonce, 'iat' => time() - 900]),
            'typ' => self::proof($k, ['htm' => 'POST', 'htu' => $htu, 'nonce' => $nonce], ['typ' => 'JWT']),
            'two proofs' => 'a.b.c, d.e.f',
            'garbage' => 'not a jwt',
        ] as $what => $proof) {
            $res = $this->refresh($client, $token, $proof);
            $this->assertSame(400, $res->get_status(), $what);
            $this->assertSame('invalid_dpop_proof', $res->get_data()['error'], $what);
        }
        // The refresh token is still unused.
        $this->assertSame(200, $this->refresh($client, $token, null)->get_status());
    }

    public function testAPublicClientsBoundGrantNeedsTheSameKeyToRefresh(): void
    {
        $k = self::ecKey();
        $client = self::makeClient();
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $this->assertTrue(Dpop_Repository::bind_grant((int) $grant->id, $k['jkt']));
        $token = self::makeRefreshToken($grant);
        $htu = wpoa_site()['url'] . '/wp-json/wp-oauth/v1/token';

        $this->assertSame('invalid_dpop_proof', $this->refresh($client, $token, null)->get_data()['error']);
        $other = self::ecKey();
        $this->assertSame('invalid_dpop_proof', $this->refresh($client, $token, self::proof($other, ['htm' => 'POST', 'htu' => $htu, 'nonce' => Dpop::current_nonce()]))->get_data()['error']);
        $ok = $this->refresh($client, $token, self::proof($k, ['htm' => 'POST', 'htu' => $htu, 'nonce' => Dpop::current_nonce()]));
        $this->assertSame(200, $ok->get_status(), wp_json_encode($ok->get_data()));
        $this->assertSame($k['jkt'], self::claims($ok->get_data()['access_token'])['cnf']['jkt']);
    }

    public function testAClientThatRegisteredDpopBoundAccessTokensMustSendAProof(): void
    {
        $id = 'dp-' . strtolower(wp_generate_password(12, false));
        $meta = \Wpoa\Client_Metadata::validate(['redirect_uris' => ['https://app.example/cb'], 'token_endpoint_auth_method' => 'none', 'dpop_bound_access_tokens' => true]);
        $this->assertTrue($meta['dpop_bound_access_tokens']);
        $client = \Wpoa\Client_Repository::insert(['client_id' => $id, 'token_endpoint_auth_method' => 'none', 'redirect_uris' => $meta['redirect_uris'], 'metadata' => $meta, 'registered_by' => 0]);
        $grant = self::makeGrant($client, wpoa_user('author')->ID);
        $token = self::makeRefreshToken($grant);

        $res = $this->refresh($client, $token, null);
        $this->assertSame(400, $res->get_status());
        $this->assertSame('invalid_dpop_proof', $res->get_data()['error']);
        $k = self::ecKey();
        $ok = $this->refresh($client, $token, self::proof($k, ['htm' => 'POST', 'htu' => wpoa_site()['url'] . '/wp-json/wp-oauth/v1/token', 'nonce' => Dpop::current_nonce()]));
        $this->assertSame(200, $ok->get_status(), 'the refusal did not spend the refresh token');
        $this->assertSame('DPoP', $ok->get_data()['token_type']);

        $this->assertArrayNotHasKey('dpop_bound_access_tokens', \Wpoa\Client_Metadata::validate(['redirect_uris' => ['https://app.example/cb'], 'dpop_bound_access_tokens' => false]));
        try {
            \Wpoa\Client_Metadata::validate(['redirect_uris' => ['https://app.example/cb'], 'dpop_bound_access_tokens' => 'yes']);
            $this->fail('a string is not a boolean');
        } catch (OAuth_Error $e) {
            $this->assertSame('invalid_client_metadata', $e->error);
        }
    }

    /** Puts a REST request into $_SERVER as the web server would. */
    private function request(string $method, string $uri, ?string $proof): void
    {
        $_SERVER['REQUEST_METHOD'] = $method;
        $_SERVER['REQUEST_URI'] = $uri;
        unset($_SERVER['HTTP_DPOP']);
        if (null !== $proof) {
            $_SERVER['HTTP_DPOP'] = $proof;
        }
    }

    private function refusal(callable $call): OAuth_Error
    {
        try {
            $call();
        } catch (OAuth_Error $e) {
            return $e;
        }
        $this->fail('no error');
    }

    public function testResourceRequestChecks(): void
    {
        $k = self::ecKey();
        $token = 'header.payload.signature';
        $claims = ['cnf' => ['jkt' => $k['jkt']]];
        $site = wpoa_site()['url'];
        $nonce = Dpop::current_nonce();

        $good = self::proof($k, ['htm' => 'GET', 'htu' => "$site/wp-json/wp/v2/posts", 'nonce' => $nonce, 'ath' => self::ath($token)]);
        // The query is not part of htu (RFC 9449 §4.3); the Host header plays no part.
        $_SERVER['HTTP_HOST'] = 'evil.example';
        $this->request('GET', '/wp-json/wp/v2/posts?per_page=1', $good);
        Dpop::check_resource_request('dpop', $token, $claims);

        $replay = $this->refusal(fn() => Dpop::check_resource_request('dpop', $token, $claims));
        $this->assertSame(['invalid_dpop_proof', 401], [$replay->error, $replay->status]);
        $this->assertStringStartsWith('DPoP realm=', $replay->headers['WWW-Authenticate']);
        $this->assertStringContainsString('error="invalid_dpop_proof"', $replay->headers['WWW-Authenticate']);
        $this->assertStringContainsString('algs="ES256 EdDSA PS256 RS256"', $replay->headers['WWW-Authenticate']);

        $cases = [
            'POST' => ['POST', '/wp-json/wp/v2/posts', 'invalid_dpop_proof'],
            'path' => ['GET', '/wp-json/wp/v2/pages', 'invalid_dpop_proof'],
        ];
        foreach ($cases as $what => [$method, $uri, $error]) {
            $this->request($method, $uri, self::proof($k, ['htm' => 'GET', 'htu' => "$site/wp-json/wp/v2/posts", 'nonce' => $nonce, 'ath' => self::ath($token)]));
            $this->assertSame($error, $this->refusal(fn() => Dpop::check_resource_request('dpop', $token, $claims))->error, $what);
        }
        $this->request('GET', '/wp-json/wp/v2/posts', self::proof($k, ['htm' => 'GET', 'htu' => "$site/wp-json/wp/v2/posts", 'nonce' => $nonce, 'ath' => self::ath('another token')]));
        $this->assertSame('invalid_dpop_proof', $this->refusal(fn() => Dpop::check_resource_request('dpop', $token, $claims))->error, 'ath');

        $this->request('GET', '/wp-json/wp/v2/posts', self::proof($k, ['htm' => 'GET', 'htu' => "$site/wp-json/wp/v2/posts", 'ath' => self::ath($token)]));
        $e = $this->refusal(fn() => Dpop::check_resource_request('dpop', $token, $claims));
        $this->assertSame(['use_dpop_nonce', 401, $nonce], [$e->error, $e->status, $e->headers['DPoP-Nonce']]);

        $thief = self::ecKey();
        $this->request('GET', '/wp-json/wp/v2/posts', self::proof($thief, ['htm' => 'GET', 'htu' => "$site/wp-json/wp/v2/posts", 'nonce' => $nonce, 'ath' => self::ath($token)]));
        $e = $this->refusal(fn() => Dpop::check_resource_request('dpop', $token, $claims));
        $this->assertSame(['invalid_token', 'Invalid DPoP key binding.'], [$e->error, $e->getMessage()]);

        $this->request('GET', '/wp-json/wp/v2/posts', null);
        $this->assertSame('invalid_dpop_proof', $this->refusal(fn() => Dpop::check_resource_request('dpop', $token, $claims))->error, 'no proof');
        $this->assertSame('invalid_token', $this->refusal(fn() => Dpop::check_resource_request('bearer', $token, $claims))->error, 'bound token as Bearer');
        $this->assertSame('invalid_token', $this->refusal(fn() => Dpop::check_resource_request('dpop', $token, []))->error, 'unbound token as DPoP');
        Dpop::check_resource_request('bearer', $token, []); // a plain bearer token: nothing to check
        $this->assertTrue(true);
    }

    public function testNoncesCanBeTurnedOff(): void
    {
        add_filter('wpoa_dpop_require_nonce', '__return_false');
        $k = self::ecKey();
        $token = 't.o.k';
        $this->request('GET', '/wp-json/', self::proof($k, ['htm' => 'GET', 'htu' => wpoa_site()['url'] . '/wp-json/', 'ath' => self::ath($token)]));
        Dpop::check_resource_request('dpop', $token, ['cnf' => ['jkt' => $k['jkt']]]);
        $this->assertTrue(true);
    }

    public function testMetadataAndHeaders(): void
    {
        $this->assertSame(['ES256', 'EdDSA', 'PS256', 'RS256'], Dpop::algs());
        add_filter('wpoa_dpop_signing_algs', fn() => ['ES256', 'HS256']);
        $this->assertSame(['ES256'], Dpop::algs(), 'nothing outside what the extension verifies');
        remove_all_filters('wpoa_dpop_signing_algs');
        $this->assertContains('DPoP-Nonce', \Wpoa\Plugin::exposed_cors_headers([]));
        $this->assertContains('DPoP', \Wpoa\Plugin::allowed_cors_headers([]));
    }
}
