<?php
/**
 * Where the Authorization header is read. The getallheaders() source is proven on real web
 * servers that hide the header from $_SERVER (tests/e2e/web-server.test.mjs, Apache cells).
 */

use Wpoa\Authorization_Header;

/**
 * @covers \Wpoa\Authorization_Header
 */
final class AuthorizationHeaderTest extends PHPUnit\Framework\TestCase
{
    private array $server;

    protected function setUp(): void
    {
        $this->server = $_SERVER;
        unset($_SERVER['HTTP_AUTHORIZATION'], $_SERVER['REDIRECT_HTTP_AUTHORIZATION']);
    }

    protected function tearDown(): void
    {
        $_SERVER = $this->server;
    }

    public function testNoHeaderAnywhereIsNull(): void
    {
        $this->assertNull(Authorization_Header::from_server());
    }

    public function testHttpAuthorizationIsReadUnslashed(): void
    {
        // wp_magic_quotes() slashes $_SERVER: a quote in a credential must come back as sent.
        $_SERVER['HTTP_AUTHORIZATION'] = addslashes('Basic it\'s"x');
        $this->assertSame('Basic it\'s"x', Authorization_Header::from_server());
    }

    public function testRedirectCopyIsReadWhenApacheLeftOnlyIt(): void
    {
        $_SERVER['REDIRECT_HTTP_AUTHORIZATION'] = 'Bearer abc.def.ghi';
        $this->assertSame('Bearer abc.def.ghi', Authorization_Header::from_server());
        $_SERVER['HTTP_AUTHORIZATION'] = '';
        $this->assertSame('Bearer abc.def.ghi', Authorization_Header::from_server(), 'an empty HTTP_AUTHORIZATION counts as absent');
        $_SERVER['HTTP_AUTHORIZATION'] = 'Bearer first';
        $this->assertSame('Bearer first', Authorization_Header::from_server());
    }

    public function testARequestsOwnHeaderWins(): void
    {
        $_SERVER['HTTP_AUTHORIZATION'] = 'Bearer from-the-server';
        $request = new WP_REST_Request('POST', '/wp-oauth/v1/token');
        $request->set_header('Authorization', 'Basic b3duOmhlYWRlcg==');
        $this->assertSame('Basic b3duOmhlYWRlcg==', Authorization_Header::for_request($request));
    }

    public function testARequestMadeInCodeNeverTakesTheServedRequestsHeader(): void
    {
        $_SERVER['REQUEST_METHOD'] = 'POST';
        $_SERVER['HTTP_HOST'] = 'example.org';
        $_SERVER['REDIRECT_HTTP_AUTHORIZATION'] = 'Basic c2VydmVkOnJlcXVlc3Q=';
        $inner = new WP_REST_Request('POST', '/wp-oauth/v1/token');
        $this->assertNull(Authorization_Header::for_request($inner));
    }

    public function testTheServedRequestWithoutTheHeaderFindsNothingElseInTheCli(): void
    {
        // The request WordPress built from $_SERVER: no Authorization there, and the CLI has no
        // getallheaders(), so there is nothing more to find.
        $_SERVER['REQUEST_METHOD'] = 'GET';
        $_SERVER['HTTP_HOST'] = 'example.org';
        $served = new WP_REST_Request('GET', '/wp-oauth/v1/register/x');
        $served->set_headers(rest_get_server()->get_headers(wp_unslash($_SERVER)));
        $this->assertFalse(function_exists('getallheaders'));
        $this->assertNull(Authorization_Header::for_request($served));
    }
}
