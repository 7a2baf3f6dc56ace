<?php
/**
 * The hourly cleanup job: what it deletes, what it keeps, and its batch bound.
 */

require_once dirname(__DIR__) . '/LifecycleFixtures.php';

use Wpoa\Cleanup;
use Wpoa\Grant_Repository;
use Wpoa\Refresh_Token_Repository;
use Wpoa\Schema;

/**
 * @covers \Wpoa\Cleanup
 */
final class CleanupTest extends PHPUnit\Framework\TestCase
{
    use LifecycleFixtures;

    protected function tearDown(): void
    {
        remove_all_filters('wpoa_cleanup_batch_size');
        remove_all_filters('wpoa_cleanup_max_batches');
        remove_all_filters('wpoa_cleanup_time_budget');
    }

    private static function rows(string $table, string $where, ...$args): int
    {
        global $wpdb;
        $t = Schema::tables()[$table];
        return (int) $wpdb->get_var($args ? $wpdb->prepare("SELECT COUNT(*) FROM {$t} WHERE {$where}", ...$args) : "SELECT COUNT(*) FROM {$t} WHERE {$where}");
    }

    private static function rtId(string $token): int
    {
        return (int) Refresh_Token_Repository::find($token)->id;
    }

    public function testScheduledHourlyOnActivationAndInTheAdmin(): void
    {
        wp_clear_scheduled_hook('wpoa_cleanup');
        $this->assertFalse(wp_next_scheduled('wpoa_cleanup'));
        $rows = array_map(static fn ($h) => [$h[0], $h[1], $h[2]], \Wpoa\Plugin::HOOKS);
        // Not on `init`: a front-end request does no plugin work at all.
        $this->assertNotContains(['init', Cleanup::class, 'schedule'], $rows);
        $this->assertContains(['admin_init', Cleanup::class, 'schedule'], $rows);
        $this->assertContains(['wpoa_activated', Cleanup::class, 'schedule'], $rows);
        $this->assertContains(['wpoa_cleanup', Cleanup::class, 'run'], $rows);
        Cleanup::schedule();
        $next = wp_next_scheduled('wpoa_cleanup');
        $this->assertIsInt($next);
        $this->assertSame('hourly', wp_get_schedule('wpoa_cleanup'));
        Cleanup::schedule();
        $this->assertSame($next, wp_next_scheduled('wpoa_cleanup'), 'not scheduled twice');
        $this->assertNotFalse(has_action('wpoa_cleanup'));
    }

    public function testDeletesWhatHasEndedAndKeepsWhatMayStillMatter(): void
    {
        $now = time();
        $client = self::makeClient();
        $user = wpoa_user('author')->ID;

        // Refresh tokens.
        $live = self::makeGrant($client, $user);
        $fresh = self::makeRefreshToken($live);
        $usedRecent = self::makeRefreshToken($live);                       // used, still within its lifetime: kept for reuse detection
        self::setRow('refresh_tokens', self::rtId($usedRecent), ['used_at' => $now - 100]);
        $expiredLongAgo = self::makeRefreshToken($live);
        self::setRow('refresh_tokens', self::rtId($expiredLongAgo), ['expires_at' => $now - 2 * DAY_IN_SECONDS, 'used_at' => $now - 40 * DAY_IN_SECONDS]);
        $expiredJustNow = self::makeRefreshToken($live);                   // within the one-day margin: kept
        self::setRow('refresh_tokens', self::rtId($expiredJustNow), ['expires_at' => $now - 60]);

        // Deny-list rows.
        Grant_Repository::revoke_jti('cleanup-old-' . $now, (int) $live->id, $now - 3600);
        Grant_Repository::revoke_jti('cleanup-live-' . $now, (int) $live->id, $now + 3600);

        // Grants: revoked long ago (with a token), revoked recently, expired long ago, active.
        $oldRevoked = self::makeGrant($client, $user);
        $oldRevokedToken = self::makeRefreshToken($oldRevoked);
        Grant_Repository::revoke((int) $oldRevoked->id, 'user_revoked');
        self::setRow('grants', (int) $oldRevoked->id, ['revoked_at' => $now - 31 * DAY_IN_SECONDS]);
        $recentRevoked = self::makeGrant($client, $user);
        Grant_Repository::revoke((int) $recentRevoked->id, 'user_revoked');
        $oldExpired = self::makeGrant($client, $user);
        self::setRow('grants', (int) $oldExpired->id, ['expires_at' => $now - 31 * DAY_IN_SECONDS]);

        $counts = Cleanup::run();

        $this->assertNotNull(Refresh_Token_Repository::find($fresh));
        $this->assertNotNull(Refresh_Token_Repository::find($usedRecent));
        $this->assertNotNull(Refresh_Token_Repository::find($expiredJustNow));
        $this->assertNull(Refresh_Token_Repository::find($expiredLongAgo));
        $this->assertNull(Refresh_Token_Repository::find($oldRevokedToken));

        $this->assertSame(0, self::rows('revoked_tokens', 'jti = %s', 'cleanup-old-' . $now));
        $this->assertSame(1, self::rows('revoked_tokens', 'jti = %s', 'cleanup-live-' . $now));

        $this->assertNull(Grant_Repository::find((int) $oldRevoked->id));
        $this->assertNull(Grant_Repository::find((int) $oldExpired->id));
        $this->assertNotNull(Grant_Repository::find((int) $recentRevoked->id));
        $this->assertTrue(Grant_Repository::is_active(Grant_Repository::find((int) $live->id)));

        $this->assertGreaterThanOrEqual(1, $counts['refresh_tokens']);
        $this->assertGreaterThanOrEqual(1, $counts['revoked_jtis']);
        $this->assertGreaterThanOrEqual(2, $counts['grants']);
        $this->assertSame(0, self::rows('refresh_tokens', 'expires_at < %d', $now - DAY_IN_SECONDS));
    }

    public function testAbandonedRegistrationsAndExpiredCodesAreDeleted(): void
    {
        global $wpdb;
        $now = time();
        $abandoned = self::makeClient();
        $wpdb->update(Schema::tables()['clients'], ['created_at' => $now - 30 * DAY_IN_SECONDS], ['client_id' => $abandoned->client_id]);
        $young = self::makeClient();
        $used = self::makeClient();
        $wpdb->update(Schema::tables()['clients'], ['created_at' => $now - 30 * DAY_IN_SECONDS], ['client_id' => $used->client_id]);
        \Wpoa\Client_Repository::mark_used($used->client_id);

        $wpdb->insert(Schema::tables()['codes'], ['code_hash' => substr(str_repeat(md5((string) $now), 2), 0, 43), 'client_id' => $young->client_id, 'user_id' => 1, 'redirect_uri' => 'https://app.example/cb', 'code_challenge' => 'x', 'auth_time' => $now, 'created_at' => $now - 7200, 'expires_at' => $now - 7140]);
        $codeId = (int) $wpdb->insert_id;
        $this->assertGreaterThan(0, $codeId);

        $counts = Cleanup::run();
        $this->assertNull(\Wpoa\Client_Repository::find($abandoned->client_id));
        $this->assertNotNull(\Wpoa\Client_Repository::find($young->client_id));
        $this->assertNotNull(\Wpoa\Client_Repository::find($used->client_id));
        $this->assertGreaterThanOrEqual(1, $counts['clients']);
        $this->assertSame(0, self::rows('codes', 'id = %d', $codeId));
    }

    public function testEndedGrantsAreFoundThroughTheirOwnIndexes(): void
    {
        // Schema 5: without these the search for ended grants read every grant on every run.
        global $wpdb;
        $t = Schema::tables()['grants'];
        $indexes = [];
        foreach ((array) $wpdb->get_results("SHOW INDEX FROM {$t}") as $row) {
            $indexes[$row->Key_name][(int) $row->Seq_in_index] = $row->Column_name;
        }
        $this->assertSame([1 => 'expires_at'], $indexes['expires_at'] ?? null);
        $this->assertSame([1 => 'revoked_at'], $indexes['revoked_at'] ?? null);

        // One of each kind, one per call: both are found, the active grant is kept.
        $now = time();
        $client = self::makeClient();
        $user = wpoa_user('author')->ID;
        $expired = self::makeGrant($client, $user);
        self::setRow('grants', (int) $expired->id, ['expires_at' => $now - 40 * DAY_IN_SECONDS]);
        $revoked = self::makeGrant($client, $user);
        Grant_Repository::revoke((int) $revoked->id, 'user_revoked');
        self::setRow('grants', (int) $revoked->id, ['revoked_at' => $now - 40 * DAY_IN_SECONDS]);
        $active = self::makeGrant($client, $user);
        $before = $now - 30 * DAY_IN_SECONDS;
        $deleted = 0;
        for ($i = 0; $i < 10 && (null !== Grant_Repository::find((int) $expired->id) || null !== Grant_Repository::find((int) $revoked->id)); $i++) {
            $deleted += Grant_Repository::delete_ended($before, 1);
        }
        $this->assertNull(Grant_Repository::find((int) $expired->id));
        $this->assertNull(Grant_Repository::find((int) $revoked->id));
        $this->assertNotNull(Grant_Repository::find((int) $active->id));
        $this->assertGreaterThanOrEqual(2, $deleted);
    }

    public function testBatchesAreBounded(): void
    {
        $grant = self::makeGrant(self::makeClient(), wpoa_user('author')->ID);
        $ids = [];
        for ($i = 0; $i < 7; $i++) {
            $ids[] = self::rtId(self::makeRefreshToken($grant));
        }
        global $wpdb;
        $t = Schema::tables()['refresh_tokens'];
        $wpdb->query("UPDATE {$t} SET expires_at = " . (time() - 3 * DAY_IN_SECONDS) . ' WHERE id IN (' . implode(',', $ids) . ')');
        $remaining = static fn () => self::rows('refresh_tokens', 'id IN (' . implode(',', $ids) . ')');

        add_filter('wpoa_cleanup_batch_size', static fn () => 2);
        add_filter('wpoa_cleanup_max_batches', static fn () => 2);
        $this->assertSame(4, Cleanup::run()['refresh_tokens']);
        $this->assertSame(3, $remaining());
        $this->assertSame(3, Cleanup::run()['refresh_tokens'], '2 + 1: stops at a short batch');
        $this->assertSame(0, $remaining());
    }

    public function testTimeBudgetStopsNewBatchesButEveryKindGetsItsFirst(): void
    {
        $now = time();
        $client = self::makeClient();
        $user = wpoa_user('author')->ID;
        $grant = self::makeGrant($client, $user);
        $ids = [];
        for ($i = 0; $i < 5; $i++) {
            $ids[] = self::rtId(self::makeRefreshToken($grant));
        }
        global $wpdb;
        $t = Schema::tables()['refresh_tokens'];
        $wpdb->query("UPDATE {$t} SET expires_at = " . ($now - 3 * DAY_IN_SECONDS) . ' WHERE id IN (' . implode(',', $ids) . ')');
        $ended = self::makeGrant($client, $user);
        self::setRow('grants', (int) $ended->id, ['expires_at' => $now - 40 * DAY_IN_SECONDS]);

        add_filter('wpoa_cleanup_batch_size', static fn () => 2);
        // A batch that takes longer than the whole budget: only the first batch of each kind runs.
        add_filter('wpoa_cleanup_time_budget', static fn () => 1);
        add_filter('query', $q = static function ($sql) {
            if (false !== strpos($sql, 'DELETE FROM') && false !== strpos($sql, 'oauth_refresh_tokens WHERE expires_at')) {
                usleep(1100000);
            }
            return $sql;
        });
        try {
            $counts = Cleanup::run($now);
        } finally {
            remove_filter('query', $q);
            remove_all_filters('wpoa_cleanup_time_budget');
        }
        $this->assertSame(2, $counts['refresh_tokens'], 'one batch of 2, then the budget was spent');
        $this->assertSame(3, self::rows('refresh_tokens', 'id IN (' . implode(',', $ids) . ')'));
        $this->assertNull(Grant_Repository::find((int) $ended->id), 'a later kind still gets its first batch');
    }

    public function testCronCallWithoutArgumentsUsesTheClock(): void
    {
        $counts = null;
        $spy = static function ($c) use (&$counts) { $counts = $c; };
        add_action('wpoa_cleanup_done', $spy);
        do_action('wpoa_cleanup');
        remove_action('wpoa_cleanup_done', $spy);
        $this->assertSame(['codes', 'refresh_tokens', 'revoked_jtis', 'dpop_proofs', 'grants', 'clients', 'keys_published', 'device_codes'], array_keys($counts));
        $this->assertGreaterThanOrEqual(1, $counts['keys_published'], wp_json_encode($counts) . \Wpoa\Keys::public_jwks());
    }
}
