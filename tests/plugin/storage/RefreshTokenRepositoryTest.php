<?php
/**
 * The storage layer's atomic operations: refresh-token rotation under real concurrency
 * (separate PHP processes, separate database connections), creation bounds, deletes.
 */

require_once dirname(__DIR__) . '/LifecycleFixtures.php';

use Wpoa\Crypto;
use Wpoa\Grant_Repository;
use Wpoa\Refresh_Token_Repository;
use Wpoa\Schema;

/**
 * @covers \Wpoa\Refresh_Token_Repository
 * @covers \Wpoa\Grant_Repository
 */
final class RefreshTokenRepositoryTest extends PHPUnit\Framework\TestCase
{
    use LifecycleFixtures;

    public function testStoresOnlyTheHashAndFindsByToken(): void
    {
        global $wpdb;
        $grant = self::makeGrant(self::makeClient(), wpoa_user('author')->ID, 'read');
        $token = self::makeRefreshToken($grant);
        $this->assertMatchesRegularExpression('/^[A-Za-z0-9_-]{43}$/', $token);
        $row = Refresh_Token_Repository::find($token);
        $this->assertSame(Crypto::token_hash($token), $row->token_hash);
        $t = Schema::tables()['refresh_tokens'];
        $this->assertSame('0', $wpdb->get_var($wpdb->prepare("SELECT COUNT(*) FROM {$t} WHERE token_hash = %s", $token)), 'plaintext is never stored');
        $this->assertNull(Refresh_Token_Repository::find(''));
        $this->assertNull(Refresh_Token_Repository::find(str_repeat('a', 513)));
        $this->assertNull(Refresh_Token_Repository::find($token . 'x'));
    }

    public function testNeverOutlivesTheGrant(): void
    {
        $grant = self::makeGrant(self::makeClient(), wpoa_user('author')->ID);
        $soon = time() + 600;
        $token = Refresh_Token_Repository::create((int) $grant->id, (string) $grant->client_id, 'read', $soon);
        $this->assertSame($soon, (int) Refresh_Token_Repository::find($token)->expires_at);
        $later = Refresh_Token_Repository::create((int) $grant->id, (string) $grant->client_id, 'read', time() + 400 * DAY_IN_SECONDS);
        $this->assertEqualsWithDelta(time() + 30 * DAY_IN_SECONDS, (int) Refresh_Token_Repository::find($later)->expires_at, 5);
    }

    public function testRotateWithAStaleRowLosesToAnotherConnection(): void
    {
        $grant = self::makeGrant(self::makeClient(), wpoa_user('author')->ID);
        $token = self::makeRefreshToken($grant);
        $stale = Refresh_Token_Repository::find($token); // read before the other connection's commit

        // Another connection (another PHP node) uses the token and commits.
        $db = wpoa_site()['db'];
        $other = new mysqli('localhost', $db['user'], $db['password'], $db['test_name'], 0, $db['socket']);
        $t = Schema::tables()['refresh_tokens'];
        $other->query("UPDATE {$t} SET used_at = " . time() . ' WHERE id = ' . (int) $stale->id . ' AND used_at IS NULL');
        $this->assertSame(1, $other->affected_rows);
        $other->close();

        $this->assertNull($stale->used_at);
        $before = $this->tokensOf((int) $grant->id);
        $this->assertNull(Refresh_Token_Repository::rotate($stale, 'read write', (int) $grant->expires_at));
        $this->assertSame($before, $this->tokensOf((int) $grant->id), 'a lost rotation issues nothing');
    }

    public function testRotateIsSingleUseInProcess(): void
    {
        $grant = self::makeGrant(self::makeClient(), wpoa_user('author')->ID);
        $row = Refresh_Token_Repository::find(self::makeRefreshToken($grant));
        $new = Refresh_Token_Repository::rotate($row, 'read', (int) $grant->expires_at);
        $this->assertIsString($new);
        $this->assertNull(Refresh_Token_Repository::rotate($row, 'read', (int) $grant->expires_at));
        $this->assertSame('read', Refresh_Token_Repository::find($new)->scope);
        $this->assertSame((int) $grant->id, (int) Refresh_Token_Repository::find($new)->grant_id);
    }

    public function testConcurrentRotationsInSeparateProcessesHaveExactlyOneWinner(): void
    {
        $grant = self::makeGrant(self::makeClient(), wpoa_user('author')->ID);
        $token = self::makeRefreshToken($grant);
        $before = $this->tokensOf((int) $grant->id);

        $code = 'if (!is_file(getenv("WPOA_GO"))) { usleep(2000); } while (!is_file(getenv("WPOA_GO"))) { usleep(2000); }'
            . '$row = \Wpoa\Refresh_Token_Repository::find(getenv("WPOA_RT"));'
            . '$new = $row ? \Wpoa\Refresh_Token_Repository::rotate($row, "read write", ' . (int) $grant->expires_at . ') : null;'
            . 'echo null === $new ? "lost" : "won";';
        $go = tempnam(sys_get_temp_dir(), 'wpoa-go-');
        unlink($go);
        $env = array_merge(getenv(), ['WPOA_RT' => $token, 'WPOA_GO' => $go, 'WPOA_DB_NAME' => wpoa_site()['db']['test_name']]);
        $procs = [];
        for ($i = 0; $i < 8; $i++) {
            $p = proc_open([PHP_BINARY, dirname(__DIR__, 3) . '/scripts/wp-eval.php', $code], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
            $procs[] = [$p, $pipes];
        }
        usleep(800000); // let them all load WordPress, then start them together
        touch($go);
        $results = [];
        foreach ($procs as [$p, $pipes]) {
            $results[] = trim((string) stream_get_contents($pipes[1])) . trim((string) stream_get_contents($pipes[2]));
            proc_close($p);
        }
        unlink($go);
        sort($results);
        $this->assertSame(['lost', 'lost', 'lost', 'lost', 'lost', 'lost', 'lost', 'won'], $results);
        $this->assertSame($before + 1, $this->tokensOf((int) $grant->id), 'exactly one successor');
    }

    public function testDeleteExpiredHonoursTheLimit(): void
    {
        $grant = self::makeGrant(self::makeClient(), wpoa_user('author')->ID);
        $rows = [];
        for ($i = 0; $i < 3; $i++) {
            $rows[] = (int) Refresh_Token_Repository::find(self::makeRefreshToken($grant))->id;
        }
        foreach ($rows as $id) {
            self::setRow('refresh_tokens', $id, ['expires_at' => 1000]);
        }
        $this->assertSame(2, Refresh_Token_Repository::delete_expired(1001, 2));
        $this->assertSame(1, Refresh_Token_Repository::delete_expired(1001, 2));
        $this->assertSame(0, Refresh_Token_Repository::delete_expired(1001, 2));
        $this->assertSame(0, $this->tokensOf((int) $grant->id));
        $this->assertSame(0, Refresh_Token_Repository::delete_for_grants([]));
    }

    public function testDeleteEndedNeverTouchesActiveGrants(): void
    {
        $client = self::makeClient();
        $active = self::makeGrant($client, wpoa_user('author')->ID);
        $ended = self::makeGrant($client, wpoa_user('author')->ID);
        Grant_Repository::revoke((int) $ended->id, 'user_revoked');
        self::setRow('grants', (int) $ended->id, ['revoked_at' => 5]);
        self::makeRefreshToken($ended);
        $this->assertGreaterThanOrEqual(1, Grant_Repository::delete_ended(10, 1000));
        $this->assertNull(Grant_Repository::find((int) $ended->id));
        $this->assertSame(0, $this->tokensOf((int) $ended->id));
        $this->assertNotNull(Grant_Repository::find((int) $active->id));
    }

    private function tokensOf(int $grantId): int
    {
        global $wpdb;
        $t = Schema::tables()['refresh_tokens'];
        return (int) $wpdb->get_var($wpdb->prepare("SELECT COUNT(*) FROM {$t} WHERE grant_id = %d", $grantId));
    }
}
