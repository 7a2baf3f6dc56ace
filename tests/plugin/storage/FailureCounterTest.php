<?php
/**
 * Failure_Counter in both of its homes: transients (no persistent object cache) and atomic
 * counts in the object cache (wp_using_ext_object_cache(true) over WordPress's in-memory cache;
 * tests/e2e/redis/ runs the same calls concurrently on two nodes against a real Redis).
 */

/**
 * @covers \Wpoa\Failure_Counter
 */
final class FailureCounterTest extends PHPUnit\Framework\TestCase
{
    /** @var bool|null */
    private $wasPersistent;

    protected function setUp(): void
    {
        $this->wasPersistent = wp_using_ext_object_cache();
    }

    protected function tearDown(): void
    {
        wp_using_ext_object_cache((bool) $this->wasPersistent);
    }

    public function homes(): array
    {
        return ['transients' => [false], 'object cache' => [true]];
    }

    /** @dataProvider homes */
    public function testTheLimitThFailureIsStillAllowedAndTheNextIsNot(bool $persistent): void
    {
        wp_using_ext_object_cache($persistent);
        $keys = ['ip' => 'wpoa_fctest_ip_' . wp_generate_password(8, false), 'user' => 'wpoa_fctest_u_' . wp_generate_password(8, false)];
        $max = ['ip' => 3, 'user' => 5];
        $answers = [];
        for ($i = 0; $i < 4; $i++) {
            $answers[] = \Wpoa\Failure_Counter::record_and_check($keys, $max, 600);
        }
        $this->assertSame([0, 0, 0], array_slice($answers, 0, 3), 'three failures allowed');
        $this->assertGreaterThan(590, $answers[3], 'the fourth is over the per-ip limit, for the rest of the window');
        $this->assertLessThanOrEqual(600, $answers[3]);
        $retry = \Wpoa\Failure_Counter::retry_after($keys, $max, 600);
        $this->assertGreaterThan(590, $retry);

        // Another ip, same user: only the user count (4 of 5) applies.
        $other = ['ip' => 'wpoa_fctest_ip_' . wp_generate_password(8, false), 'user' => $keys['user']];
        $this->assertSame(0, \Wpoa\Failure_Counter::retry_after($other, $max, 600));
        $this->assertSame(0, \Wpoa\Failure_Counter::record_and_check($other, $max, 600), 'the 5th for the user');
        $this->assertGreaterThan(0, \Wpoa\Failure_Counter::record_and_check($other, $max, 600), 'the 6th for the user');
    }

    /** @dataProvider homes */
    public function testRecordAndRetryAfterAgree(bool $persistent): void
    {
        wp_using_ext_object_cache($persistent);
        $keys = ['k' => 'wpoa_fctest_r_' . wp_generate_password(8, false)];
        \Wpoa\Failure_Counter::record($keys, 60);
        $this->assertSame(0, \Wpoa\Failure_Counter::retry_after($keys, ['k' => 2], 60));
        \Wpoa\Failure_Counter::record($keys, 60);
        $this->assertGreaterThan(0, \Wpoa\Failure_Counter::retry_after($keys, ['k' => 2], 60));
        $this->assertSame(0, \Wpoa\Failure_Counter::retry_after($keys, ['k' => 3], 60));
    }

    public function testInTheObjectCacheTheCountIsAnAtomicIncrementNotATransient(): void
    {
        global $wpdb;
        wp_using_ext_object_cache(true);
        $key = 'wpoa_fctest_a_' . wp_generate_password(8, false);
        $before = $wpdb->num_queries;
        \Wpoa\Failure_Counter::record(['k' => $key], 60);
        $this->assertSame(0, $wpdb->num_queries - $before, 'no SQL');
        $start = wp_cache_get('fail:' . $key, 'wpoa');
        $this->assertIsInt($start);
        $this->assertSame(1, wp_cache_get('fail:' . $key . ':' . $start, 'wpoa'));
        $this->assertFalse(get_transient($key));
    }
}
