<?php
/**
 * The recent-revocation list against the real WordPress, MariaDB and extension: bearer checks
 * without a query of their own, revocations seen by a "node" that shares nothing but the
 * database, the overflow fallback, concurrent writers in two processes, pruning.
 *
 * A second node is simulated the way it differs from this process: its object cache (without a
 * persistent one) starts empty, so it loads `alloptions` from MariaDB at boot. Queries are
 * counted with core's `query` filter after that boot load, as every request pays it anyway.
 *
 * @covers \Wpoa\Revocation_List
 */
final class RevocationListTest extends PHPUnit\Framework\TestCase
{
    /** @var array<string,mixed> */
    private $server;

    /** @var string[] SQL sent while counting. */
    private $queries = [];

    protected function setUp(): void
    {
        $this->server = $_SERVER;
        $this->setList('wpoa1');
        wp_set_current_user(0);
    }

    protected function tearDown(): void
    {
        $_SERVER = $this->server;
        \Wpoa\Plugin::component(\Wpoa\Bearer_Authenticator::class)->reset();
        $this->setList('wpoa1');
        wp_set_current_user(0);
    }

    /** Writes the option row as a fresh install would (autoloaded), bypassing the class. */
    private function setList(string $value): void
    {
        global $wpdb;
        $wpdb->query($wpdb->prepare("REPLACE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES ('wpoa_revocation_list', %s, 'yes')", $value));
        wp_cache_flush();
    }

    private function rawList(): ?string
    {
        global $wpdb;
        return $wpdb->get_var("SELECT option_value FROM {$wpdb->options} WHERE option_name = 'wpoa_revocation_list'");
    }

    /** @return array{token:string, jti:string, exp:int, grant_id:int, client_id:string, user_id:int} */
    private function mint(): array
    {
        $user = wpoa_user('author');
        $clientId = 'rl-' . wp_generate_password(12, false);
        $this->assertNotNull(\Wpoa\Client_Repository::insert([
            'client_id' => $clientId,
            'token_endpoint_auth_method' => 'none',
            'redirect_uris' => ['https://client.example/cb'],
            'metadata' => ['client_name' => 'Revocation list test'],
        ]));
        $grantId = \Wpoa\Grant_Repository::create($clientId, $user->ID, 'read', \Wpoa\Urls::audience(), time());
        $this->assertGreaterThan(0, $grantId);
        $access = \Wpoa\Token_Issuer::access_token($clientId, $user->ID, 'read', $grantId, \Wpoa\Urls::audience(), time());
        return $access + ['grant_id' => $grantId, 'client_id' => $clientId, 'user_id' => (int) $user->ID];
    }

    /**
     * One bearer request on a node that has just booted: empty object cache, alloptions and the
     * user loaded as any authenticated request loads them; then the bearer check, counted.
     *
     * @return array{0:int, 1:string[]} The user determine_current_user returned, and the SQL sent by the bearer check.
     */
    private function requestOnFreshNode(string $token, int $userId): array
    {
        wp_cache_flush();
        wp_load_alloptions();
        get_userdata($userId);
        get_user_meta($userId);
        unset($_SERVER['HTTP_AUTHORIZATION'], $_SERVER['REDIRECT_HTTP_AUTHORIZATION']);
        $_SERVER['REQUEST_URI'] = '/wp-json/wp/v2/users/me';
        $_SERVER['HTTPS'] = 'on';
        $_SERVER['HTTP_AUTHORIZATION'] = 'Bearer ' . $token;
        \Wpoa\Plugin::component(\Wpoa\Bearer_Authenticator::class)->reset();
        $this->queries = [];
        $count = function ($sql) {
            $this->queries[] = $sql;
            return $sql;
        };
        add_filter('query', $count);
        try {
            $user = (int) apply_filters('determine_current_user', false);
        } finally {
            remove_filter('query', $count);
        }
        return [$user, $this->queries];
    }

    public function testValidTokenNeedsNoQuery(): void
    {
        $m = $this->mint();
        [$user, $sql] = $this->requestOnFreshNode($m['token'], $m['user_id']);
        $this->assertSame($m['user_id'], $user);
        $this->assertSame([], $sql, 'no query on the bearer path');
    }

    public function testGrantRevokedOnOneNodeIsRefusedOnTheOthersNextRequestWithoutAQuery(): void
    {
        $m = $this->mint();
        [$user] = $this->requestOnFreshNode($m['token'], $m['user_id']);
        $this->assertSame($m['user_id'], $user, 'accepted before the revocation');

        $this->assertTrue(\Wpoa\Grant_Repository::revoke($m['grant_id'], 'user_revoked'));

        [$user, $sql] = $this->requestOnFreshNode($m['token'], $m['user_id']);
        $this->assertSame(0, $user, 'refused on the very next request');
        $this->assertSame([], $sql, 'refused from the autoloaded list, no query');
        $this->assertSame('invalid_token', \Wpoa\Plugin::component(\Wpoa\Bearer_Authenticator::class)->error()->error);
    }

    public function testRevokedJtiIsRefusedAndTheGrantsOtherTokensStillWork(): void
    {
        $m = $this->mint();
        $other = \Wpoa\Token_Issuer::access_token($m['client_id'], $m['user_id'], 'read', $m['grant_id'], \Wpoa\Urls::audience(), time());
        \Wpoa\Grant_Repository::revoke_jti($m['jti'], $m['grant_id'], $m['exp']);

        [$user, $sql] = $this->requestOnFreshNode($m['token'], $m['user_id']);
        $this->assertSame(0, $user);
        $this->assertSame([], $sql);
        [$user, $sql] = $this->requestOnFreshNode($other['token'], $m['user_id']);
        $this->assertSame($m['user_id'], $user);
        $this->assertSame([], $sql);
    }

    public function testPasswordChangeIsSeenWithoutAGrantQuery(): void
    {
        $m = $this->mint();
        // The cut-off lives in user meta, which the user load brings along; one second later than iat.
        update_user_meta($m['user_id'], 'wpoa_tokens_valid_after', time() + 1);
        try {
            [$user, $sql] = $this->requestOnFreshNode($m['token'], $m['user_id']);
            $this->assertSame(0, $user);
            $this->assertSame([], $sql);
        } finally {
            delete_user_meta($m['user_id'], 'wpoa_tokens_valid_after');
        }
    }

    public function testOverflowFallsBackToTheQueryUntilTheWindowPasses(): void
    {
        $revoked = $this->mint();
        $valid = $this->mint();
        \Wpoa\Grant_Repository::revoke($revoked['grant_id'], 'user_revoked');
        // 8192 bytes hold about 200 jti entries of 22 bytes plus expiry: 300 overflow it.
        for ($i = 0; $i < 300; $i++) {
            \Wpoa\Grant_Repository::revoke_jti(sprintf('overflow-%04d-%s', $i, wp_generate_password(8, false)), $valid['grant_id'], time() + 600);
        }
        $list = (string) $this->rawList();
        $this->assertLessThanOrEqual(8192, strlen($list));
        $this->assertMatchesRegularExpression('/^wpoa1;o@(\d+);/', $list, 'the list was replaced by an overflow marker');
        preg_match('/^wpoa1;o@(\d+)/', $list, $m);
        $this->assertGreaterThanOrEqual(time() + 3600, (int) $m[1], 'the marker lasts one access-token lifetime');
        $this->assertStringNotContainsString(';g' . $revoked['grant_id'] . '@', $list, 'the revoked grant fell out of the list');

        [$user, $sql] = $this->requestOnFreshNode($revoked['token'], $revoked['user_id']);
        $this->assertSame(0, $user, 'still refused: the database says so');
        $this->assertCount(1, $sql);
        $this->assertStringContainsString('oauth_grants', $sql[0]);

        [$user, $sql] = $this->requestOnFreshNode($valid['token'], $valid['user_id']);
        $this->assertSame($valid['user_id'], $user);
        $this->assertCount(1, preg_grep('/^\s*SELECT/i', $sql), 'one read while overflowed (plus the last-use write)');

        // After the window the marker no longer counts: no query again.
        $this->setList('wpoa1;o@' . (time() - 1));
        [$user, $sql] = $this->requestOnFreshNode($valid['token'], $valid['user_id']);
        $this->assertSame($valid['user_id'], $user);
        $this->assertSame([], $sql);
    }

    public function testMissingListIsCreatedOverflowedAndReadersAskTheDatabase(): void
    {
        global $wpdb;
        $m = $this->mint();
        // A site upgraded from a version without the list: a revocation it never saw.
        $wpdb->query($wpdb->prepare("UPDATE {$wpdb->prefix}oauth_grants SET status = 'revoked' WHERE id = %d", $m['grant_id']));
        $wpdb->query("DELETE FROM {$wpdb->options} WHERE option_name = 'wpoa_revocation_list'");
        wp_cache_flush();

        [$user] = $this->requestOnFreshNode($m['token'], $m['user_id']);
        $this->assertSame(0, $user);
        $this->assertMatchesRegularExpression('/^wpoa1;o@\d+$/', (string) $this->rawList());
        $this->assertSame('yes', $wpdb->get_var("SELECT autoload FROM {$wpdb->options} WHERE option_name = 'wpoa_revocation_list'"));
        [$user, $sql] = $this->requestOnFreshNode($m['token'], $m['user_id']);
        $this->assertSame(0, $user);
        $this->assertCount(1, $sql, 'overflowed: the grant row is read');
    }

    public function testTokenIssuedForALongerLifetimeIsCheckedInTheDatabase(): void
    {
        $m = $this->mint();
        $short = static fn () => 600;
        add_filter('wpoa_access_token_lifetime', $short);
        try {
            [$user, $sql] = $this->requestOnFreshNode($m['token'], $m['user_id']);
            $this->assertSame($m['user_id'], $user);
            $this->assertCount(1, preg_grep('/^\s*SELECT/i', $sql), 'a 3600 s token outlives 600 s entries: the grant row is read');
        } finally {
            remove_filter('wpoa_access_token_lifetime', $short);
        }
    }

    public function testAccessTokenNeverOutlivesItsGrant(): void
    {
        $m = $this->mint();
        $access = \Wpoa\Token_Issuer::access_token($m['client_id'], $m['user_id'], 'read', $m['grant_id'], \Wpoa\Urls::audience(), time(), time() + 90);
        $this->assertSame(time() + 90, $access['exp']);
        $this->assertSame(90, $access['expires_in']);
        $claims = \Wpoa\Token_Issuer::verify_access_token($access['token']);
        $this->assertSame(time() + 90, $claims['exp']);
    }

    public function testExpiredEntriesArePruned(): void
    {
        $now = time();
        $this->setList('wpoa1;g11@' . ($now - 5) . ';jabc@' . ($now + 100) . ';o@' . ($now - 1) . ';g12@' . ($now + 200));
        $this->assertSame(2, \Wpoa\Revocation_List::prune($now));
        $this->assertSame('wpoa1;jabc@' . ($now + 100) . ';g12@' . ($now + 200), $this->rawList());
        $this->assertSame(0, \Wpoa\Revocation_List::prune($now), 'nothing left to drop');
        $this->assertSame(2, \Wpoa\Revocation_List::prune($now + 300));
        $this->assertSame('wpoa1', $this->rawList());
    }

    public function testCleanupPrunesTheList(): void
    {
        $now = time();
        $this->setList('wpoa1;g21@' . ($now - 5) . ';g22@' . ($now + 200));
        \Wpoa\Cleanup::run($now);
        $this->assertSame('wpoa1;g22@' . ($now + 200), $this->rawList());
    }

    /**
     * Two processes revoke at the same time, each with its own database connection: every
     * revocation lands in the list (no read-modify-write in PHP loses one).
     *
     * @requires extension pcntl
     */
    public function testConcurrentRevocationsFromTwoProcessesAllLand(): void
    {
        global $wpdb;
        $grants = [];
        for ($i = 0; $i < 40; $i++) {
            $grants[] = \Wpoa\Grant_Repository::create('rl-concurrent', (int) wpoa_user('author')->ID, 'read', \Wpoa\Urls::audience(), time());
        }
        [$mine, $theirs] = array_chunk($grants, 20);
        $start = microtime(true) + 0.5;
        $pid = pcntl_fork();
        $this->assertNotSame(-1, $pid);
        if (0 === $pid) {
            // Child: a second node with its own connection. The parent's stays referenced (and
            // unused) so that no destructor closes the socket both processes inherited.
            $inherited = $wpdb->dbh;
            $wpdb->db_connect(false);
            while (microtime(true) < $start) {
                usleep(1000);
            }
            $ok = true;
            foreach ($theirs as $id) {
                $ok = \Wpoa\Grant_Repository::revoke($id, 'user_revoked') && $ok;
            }
            // Leave without PHPUnit's shutdown (it belongs to the parent).
            posix_kill(posix_getpid(), $ok ? SIGKILL : SIGTERM);
        }
        while (microtime(true) < $start) {
            usleep(1000);
        }
        foreach ($mine as $id) {
            $this->assertTrue(\Wpoa\Grant_Repository::revoke($id, 'user_revoked'));
        }
        pcntl_waitpid($pid, $status);
        $this->assertTrue(pcntl_wifsignaled($status) && SIGKILL === pcntl_wtermsig($status), 'the child revoked all of its grants');

        $list = (string) $this->rawList();
        foreach ($grants as $id) {
            $this->assertStringContainsString(';g' . $id . '@', $list, "grant $id is in the list");
        }
        $this->assertSame(40, (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->prefix}oauth_grants WHERE client_id = 'rl-concurrent' AND status = 'revoked'"));
    }
}
