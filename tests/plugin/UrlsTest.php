<?php
/**
 * Urls memoises issuer() and audience() within a request without ever serving a stale value
 * when the filters that shape them change.
 *
 * @covers \Wpoa\Urls
 */
final class UrlsTest extends PHPUnit\Framework\TestCase
{
    public function testMemoisedValuesFollowTheirFilters(): void
    {
        $site = rtrim(wpoa_site()['url'], '/');
        $this->assertSame($site, \Wpoa\Urls::issuer());
        $this->assertSame($site . '/wp-json/', \Wpoa\Urls::audience());

        $issuer = static fn () => 'https://issuer.example';
        add_filter('wpoa_issuer', $issuer);
        $this->assertSame('https://issuer.example', \Wpoa\Urls::issuer(), 'a new filter is seen at once');
        remove_filter('wpoa_issuer', $issuer);
        $this->assertSame($site, \Wpoa\Urls::issuer());

        $rest = static fn () => 'https://api.example/wp-json/';
        add_filter('rest_url', $rest);
        $this->assertSame('https://api.example/wp-json/', \Wpoa\Urls::audience());
        remove_filter('rest_url', $rest);
        $this->assertSame($site . '/wp-json/', \Wpoa\Urls::audience());
    }

    public function testRepeatedCallsReuseTheValue(): void
    {
        \Wpoa\Urls::forget();
        $calls = 0;
        $count = static function ($url) use (&$calls) {
            ++$calls;
            return $url;
        };
        add_filter('rest_url', $count);
        try {
            \Wpoa\Urls::audience();
            \Wpoa\Urls::audience();
            \Wpoa\Urls::audience();
        } finally {
            remove_filter('rest_url', $count);
        }
        $this->assertSame(1, $calls, 'rest_url() ran once for three calls');
    }
}
