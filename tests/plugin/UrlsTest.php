<?php
/**
 * Urls memoises issuer() and audience() within a request and keeps them across requests under
 * a fingerprint of their inputs, without ever serving a stale value when an input changes.
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

    /** @var array<string,mixed> State restored after each test. */
    private array $saved = [];

    protected function setUp(): void
    {
        global $wp_rewrite;
        $this->saved = [
            'home' => get_option('home'),
            'permalink' => (string) get_option('permalink_structure'),
            'https' => $_SERVER['HTTPS'] ?? null,
            'blog_id' => $GLOBALS['blog_id'] ?? 1,
        ];
        delete_option(\Wpoa\Urls::CACHE_OPTION);
        \Wpoa\Urls::forget();
    }

    protected function tearDown(): void
    {
        global $wp_rewrite;
        update_option('home', $this->saved['home']);
        if ((string) $wp_rewrite->permalink_structure !== $this->saved['permalink']) {
            $wp_rewrite->set_permalink_structure($this->saved['permalink']);
        }
        if (null === $this->saved['https']) {
            unset($_SERVER['HTTPS']);
        } else {
            $_SERVER['HTTPS'] = $this->saved['https'];
        }
        $GLOBALS['blog_id'] = $this->saved['blog_id'];
        delete_option(\Wpoa\Urls::CACHE_OPTION);
        \Wpoa\Urls::forget();
    }

    /** @return array<string,mixed> The cache option as stored. */
    private static function cache(): array
    {
        $raw = get_option(\Wpoa\Urls::CACHE_OPTION, '');
        return is_string($raw) ? \Wpoa\Urls::decode_cache($raw) : [];
    }

    /** Replaces the entry of the current inputs by values that are wrong for every input. */
    private static function poison(): string
    {
        $fingerprint = \Wpoa\Urls::fingerprint();
        self::assertIsString($fingerprint, 'core alone shapes the URLs here: the inputs are described');
        $cache = self::cache();
        $cache[$fingerprint] = ['issuer' => 'https://stale.example', 'audience' => 'https://stale.example/wp-json/', 'home_path' => '/stale/'];
        update_option(\Wpoa\Urls::CACHE_OPTION, \Wpoa\Urls::encode_cache($cache), true);
        \Wpoa\Urls::forget();
        return $fingerprint;
    }

    /** What core computes right now, without any cache. */
    private function assertFresh(string $message): void
    {
        \Wpoa\Urls::forget();
        $this->assertSame(untrailingslashit(home_url()), \Wpoa\Urls::issuer(), $message);
        $this->assertSame(rest_url(), \Wpoa\Urls::audience(), $message);
        $this->assertSame(trailingslashit((string) wp_parse_url(home_url('/'), PHP_URL_PATH)), \Wpoa\Urls::home_path(), $message);
        $this->assertNotSame('https://stale.example', \Wpoa\Urls::issuer(), $message);
    }

    public function testEntryIsWrittenOnceAndServesLaterRequests(): void
    {
        $site = rtrim(wpoa_site()['url'], '/');
        $this->assertSame($site, \Wpoa\Urls::issuer());
        $fingerprint = \Wpoa\Urls::fingerprint();
        $this->assertSame(
            [$fingerprint => ['issuer' => $site, 'audience' => $site . '/wp-json/', 'home_path' => '/']],
            self::cache(),
            'the first request stores what it computed, autoloaded'
        );
        $this->assertArrayHasKey(\Wpoa\Urls::CACHE_OPTION, wp_load_alloptions());

        // A later request takes the stored entry as it is (here a planted one, to see that it does).
        self::poison();
        $this->assertSame('https://stale.example', \Wpoa\Urls::issuer());
        $this->assertSame('https://stale.example/wp-json/', \Wpoa\Urls::audience());
    }

    /** @return iterable<string, array{callable, callable}> input => [change it, undo it] */
    public static function inputs(): iterable
    {
        $filter = static fn (string $hook, callable $cb) => [static fn () => add_filter($hook, $cb, 10, 3), static fn () => remove_filter($hook, $cb, 10)];
        yield 'home option' => [static fn () => update_option('home', 'https://moved.example/blog'), static fn () => null];
        yield 'WP_HOME through option_home' => $filter('option_home', static fn () => 'https://constant.example');
        yield 'plain permalinks' => [static fn () => $GLOBALS['wp_rewrite']->set_permalink_structure(''), static fn () => null];
        yield 'index.php permalinks' => [static fn () => $GLOBALS['wp_rewrite']->set_permalink_structure('/index.php/%postname%/'), static fn () => null];
        yield 'REST prefix filter' => $filter('rest_url_prefix', static fn () => 'api');
        yield 'home_url filter' => $filter('home_url', static fn ($url) => str_replace('localhost', 'example.test', $url));
        yield 'generic pre_option filter' => $filter('pre_option', static fn ($pre, $option) => 'home' === $option ? 'https://pre.example' : $pre);
        yield 'not HTTPS' => [static function () {
            $_SERVER['HTTPS'] = 'off';
        }, static fn () => null];
        yield 'another blog' => [static function () {
            $GLOBALS['blog_id'] = 2;
        }, static fn () => null];
    }

    /**
     * @dataProvider inputs
     */
    public function testEveryInputChangeBypassesTheEntryOfTheOldInputs(callable $change, callable $undo): void
    {
        // The site over plain http (the scheme then depends on is_ssl()), behind HTTPS.
        update_option('home', str_replace('https://', 'http://', (string) $this->saved['home']));
        $_SERVER['HTTPS'] = 'on';
        $before = self::poison();
        $this->assertSame('https://stale.example', \Wpoa\Urls::issuer(), 'the planted entry is in use before the change');

        $change();
        try {
            \Wpoa\Urls::forget();
            $this->assertNotSame($before, \Wpoa\Urls::fingerprint());
            $this->assertFresh('after the change, the values are computed for the new inputs');
        } finally {
            $undo();
        }
    }

    public function testChangingAnInputWithinARequestIsSeenAtOnce(): void
    {
        $site = rtrim(wpoa_site()['url'], '/');
        $this->assertSame($site . '/wp-json/', \Wpoa\Urls::audience());
        $GLOBALS['wp_rewrite']->set_permalink_structure('');
        $this->assertSame($site . '/index.php?rest_route=/', \Wpoa\Urls::audience(), 'no forget() needed');
        update_option('home', 'https://moved.example');
        $this->assertSame(untrailingslashit(home_url()), \Wpoa\Urls::issuer());
    }

    public function testFilteredUrlsAreNeverStored(): void
    {
        $cb = static fn ($url) => $url . 'x/';
        add_filter('rest_url', $cb);
        try {
            $this->assertNull(\Wpoa\Urls::fingerprint());
            $this->assertStringEndsWith('/wp-json/x/', \Wpoa\Urls::audience());
        } finally {
            remove_filter('rest_url', $cb);
        }
        $this->assertSame([], self::cache(), 'nothing written for inputs the fingerprint cannot describe');
    }

    public function testUnreadableOrForeignEntriesAreIgnored(): void
    {
        $fingerprint = \Wpoa\Urls::fingerprint();
        $stale = ['issuer' => 'https://x.example', 'audience' => 'https://x.example/wp-json/', 'home_path' => '/x/'];
        $damaged = [
            'not the format' => 'not a cache',
            'the older JSON form' => wp_json_encode([$fingerprint => $stale], JSON_UNESCAPED_SLASHES),
            'no header' => $fingerprint . "\x1f" . implode("\x1f", $stale) . "\n",
            'a field missing' => \Wpoa\Urls::CACHE_HEADER . $fingerprint . "\x1fhttps://x.example\x1f/x/\n",
            'a field too many' => \Wpoa\Urls::CACHE_HEADER . $fingerprint . "\x1f" . implode("\x1f", $stale) . "\x1fmore\n",
            'the line cut off' => \Wpoa\Urls::CACHE_HEADER . $fingerprint . "\x1f" . implode("\x1f", $stale),
            'another fingerprint that ends like it' => \Wpoa\Urls::CACHE_HEADER . 'x' . $fingerprint . "\x1f" . implode("\x1f", $stale) . "\n",
        ];
        foreach ($damaged as $what => $raw) {
            update_option(\Wpoa\Urls::CACHE_OPTION, $raw, true);
            \Wpoa\Urls::forget();
            $this->assertFresh('a damaged cache is recomputed: ' . $what);
        }
    }

    public function testValuesThatCannotBeWrittenInTheFormatAreNotKept(): void
    {
        $entry = ['issuer' => 'https://a.example', 'audience' => 'https://a.example/wp-json/', 'home_path' => '/'];
        $this->assertSame(['fp' => $entry], \Wpoa\Urls::decode_cache((string) \Wpoa\Urls::encode_cache(['fp' => $entry])));
        $this->assertNull(\Wpoa\Urls::encode_cache(["f\np" => $entry]));
        $this->assertNull(\Wpoa\Urls::encode_cache(['fp' => ['issuer' => "https://a.example\x1f"] + $entry]));
    }

    public function testOneAuthenticationReadsTheAutoloadedOptionsAsTheyWereWhenItBegan(): void
    {
        \Wpoa\Urls::pin();
        try {
            $before = \Wpoa\Urls::loaded_options();
            update_option('wpoa_test_loaded_options', 'changed', true);
            $this->assertArrayNotHasKey('wpoa_test_loaded_options', \Wpoa\Urls::loaded_options(), 'held while pinned');
            $this->assertSame($before, \Wpoa\Urls::loaded_options());
        } finally {
            \Wpoa\Urls::unpin();
        }
        $this->assertSame('changed', \Wpoa\Urls::loaded_options()['wpoa_test_loaded_options'] ?? null, 'read afresh after unpin()');
        delete_option('wpoa_test_loaded_options');
    }

    public function testTheCacheStaysSmall(): void
    {
        for ($i = 0; $i < \Wpoa\Urls::CACHE_MAX + 3; $i++) {
            update_option('home', 'https://site' . $i . '.example');
            \Wpoa\Urls::forget();
            \Wpoa\Urls::issuer();
        }
        $cache = self::cache();
        $this->assertCount(\Wpoa\Urls::CACHE_MAX, $cache);
        $this->assertStringContainsString('|https://site' . (\Wpoa\Urls::CACHE_MAX + 2) . '.example|', (string) array_key_last($cache), 'the newest stays');
        $this->assertStringNotContainsString('|https://site0.example|', implode("\n", array_keys($cache)), 'the oldest go');
    }

    public function testPinHoldsTheValuesForOneAuthenticationOnly(): void
    {
        $site = rtrim(wpoa_site()['url'], '/');
        \Wpoa\Urls::pin();
        try {
            \Wpoa\Urls::pin();
            $GLOBALS['wp_rewrite']->set_permalink_structure('');
            \Wpoa\Urls::unpin();
            $this->assertSame($site . '/wp-json/', \Wpoa\Urls::audience(), 'held until the outermost unpin()');
        } finally {
            \Wpoa\Urls::unpin();
        }
        $this->assertSame($site . '/index.php?rest_route=/', \Wpoa\Urls::audience(), 'then the inputs count again');
        \Wpoa\Urls::unpin();
        $this->assertSame($site . '/index.php?rest_route=/', \Wpoa\Urls::audience(), 'an extra unpin() changes nothing');
    }
}
