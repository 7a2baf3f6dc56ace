<?php
/**
 * The grant state in a persistent object cache is only ever a copy of the database, and a
 * revocation always wins over a copy read before it: the interleaving "a bearer check reads the
 * row, a revocation lands, the check stores what it read" must leave the revocation in the cache.
 *
 * The persistent cache is WordPress's own in-memory cache with wp_using_ext_object_cache(true)
 * (the calls are the same; tests/e2e/redis/ runs them against a real shared Redis). The
 * interleaving is real too: the `query` filter performs the revocation right before the bearer
 * check's read and hands that read the row as it was just before (status 'active').
 */

require_once dirname(__DIR__) . '/LifecycleFixtures.php';

use Wpoa\Grant_Repository;

/**
 * @covers \Wpoa\Grant_Repository
 * @covers \Wpoa\Token_Issuer
 */
final class GrantCacheTest extends PHPUnit\Framework\TestCase
{
    use LifecycleFixtures;

    /** @var bool|null */
    private $wasPersistent;

    /** @var callable|null The `query` filter of the running test. */
    private $filter;

    protected function setUp(): void
    {
        $this->wasPersistent = wp_using_ext_object_cache(true);
    }

    protected function tearDown(): void
    {
        $this->unfilter();
        wp_using_ext_object_cache((bool) $this->wasPersistent);
    }

    private function grant(): object
    {
        return self::makeGrant(self::makeClient(), self::makeUser(), 'read');
    }

    private function filter(callable $fn): void
    {
        $this->filter = $fn;
        add_filter('query', $fn);
    }

    private function unfilter(): void
    {
        if (null !== $this->filter) {
            remove_filter('query', $this->filter);
            $this->filter = null;
        }
    }

    public function testARevocationBetweenAReadAndItsCacheWriteStaysInTheCache(): void
    {
        global $wpdb;
        $grant = $this->grant();
        $jti = 'race-' . wp_generate_password(12, false);
        wp_cache_delete('grant:' . $grant->id, Grant_Repository::CACHE_GROUP);
        wp_cache_delete('jti:' . $jti, Grant_Repository::CACHE_GROUP);

        $done = false;
        $this->filter(static function ($sql) use ($grant, &$done) {
            if ($done || false === strpos($sql, 'EXISTS(SELECT 1 FROM')) {
                return $sql;
            }
            $done = true;
            // Another node revokes now, after this check's read "happened"...
            Grant_Repository::revoke((int) $grant->id, 'user_revoked');
            // ...which therefore still sees the row as it was: active.
            return str_replace('g.status', "'active' AS status", $sql);
        });
        $inFlight = Grant_Repository::bearer_state((int) $grant->id, $jti);
        $this->assertTrue($inFlight['active'], 'the check in flight read the row before the revocation');
        $this->assertSame('revoked', Grant_Repository::find((int) $grant->id)->status);

        $before = $wpdb->num_queries;
        $next = Grant_Repository::bearer_state((int) $grant->id, $jti);
        $this->assertFalse($next['active'], 'the next check sees the revocation, not the stale copy');
        $this->assertSame(0, $wpdb->num_queries - $before, 'from the cache');
    }

    public function testARevokedJtiIsCachedAsRevoked(): void
    {
        global $wpdb;
        $grant = $this->grant();
        $jti = 'jti-' . wp_generate_password(12, false);
        $this->assertFalse(Grant_Repository::bearer_state((int) $grant->id, $jti)['jti_revoked']);
        Grant_Repository::revoke_jti($jti, (int) $grant->id, time() + 600);
        $before = $wpdb->num_queries;
        $this->assertTrue(Grant_Repository::bearer_state((int) $grant->id, $jti)['jti_revoked']);
        $this->assertSame(0, $wpdb->num_queries - $before);
    }

    public function testAFreshTokenNeedsNoQueryOnItsFirstCheckOnceItsGrantIsCached(): void
    {
        global $wpdb;
        $grant = $this->grant();
        Grant_Repository::bearer_state((int) $grant->id, 'warm-' . wp_generate_password(8, false));
        $access = self::makeAccessToken($grant);
        $jti = (string) $access['jti'];
        $before = $wpdb->num_queries;
        $state = Grant_Repository::bearer_state((int) $grant->id, $jti);
        $this->assertSame(0, $wpdb->num_queries - $before, 'jti noted at issuance, grant cached');
        $this->assertTrue($state['active']);
        $this->assertFalse($state['jti_revoked']);
    }

    public function testAFailedRevocationLeavesNoRevokedStateInTheCache(): void
    {
        global $wpdb;
        $grant = $this->grant();
        Grant_Repository::bearer_state((int) $grant->id, 'x');
        $wpdb->suppress_errors(true);
        $this->filter(static function ($sql) {
            return 0 === strpos($sql, 'UPDATE') ? 'UPDATE wpoa_no_such_table_for_this_test SET a = 1' : $sql;
        });
        $this->assertFalse(Grant_Repository::revoke((int) $grant->id, 'user_revoked'));
        $this->unfilter();
        $wpdb->suppress_errors(false);
        $this->assertFalse(wp_cache_get('grant:' . $grant->id, Grant_Repository::CACHE_GROUP), 'no copy either way: the next check reads the row');
        $this->assertTrue(Grant_Repository::bearer_state((int) $grant->id, 'x')['active']);
    }

    public function testTheCacheLifetimeIsAnHourByDefaultAndAFilterBoundsIt(): void
    {
        $this->assertSame(3600, Grant_Repository::cache_ttl());
        foreach ([300 => 300, 10 => 60, 10 ** 9 => 86400] as $asked => $got) {
            $f = static function () use ($asked) {
                return $asked;
            };
            add_filter('wpoa_grant_cache_ttl', $f);
            try {
                $this->assertSame($got, Grant_Repository::cache_ttl(), "asked {$asked}");
            } finally {
                remove_filter('wpoa_grant_cache_ttl', $f);
            }
        }
    }
}
