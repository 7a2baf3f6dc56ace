<?php
/**
 * Authorization code storage against the real database and extension.
 *
 * @covers \Wpoa\Code_Repository
 */
final class CodeRepositoryTest extends PHPUnit\Framework\TestCase
{
    /** RFC 7636 Appendix B: the challenge of dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk. */
    private const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

    private function fields(array $override = []): array
    {
        return array_merge([
            'client_id' => 'code-repo-' . wp_generate_password(8, false),
            'user_id' => wpoa_user('author')->ID,
            'redirect_uri' => 'com.example.app:/cb',
            'code_challenge' => self::CHALLENGE,
            'scope' => 'read write',
            'audience' => 'https://example.test/wp-json/',
            'auth_time' => 1700000000,
        ], $override);
    }

    private static function row(string $code): ?object
    {
        global $wpdb;
        $t = \Wpoa\Schema::tables()['codes'];
        return $wpdb->get_row($wpdb->prepare("SELECT * FROM {$t} WHERE code_hash = %s", \Wpoa\Crypto::token_hash($code))) ?: null;
    }

    public function testCreateStoresOnlyTheHashAndEveryBinding(): void
    {
        global $wpdb;
        $fields = $this->fields();
        $before = time();
        $code = \Wpoa\Code_Repository::create($fields);
        $this->assertIsString($code);
        $this->assertMatchesRegularExpression('/^[A-Za-z0-9_-]{43}$/', $code, '32 random bytes, base64url');

        $t = \Wpoa\Schema::tables()['codes'];
        $this->assertSame('0', $wpdb->get_var($wpdb->prepare("SELECT COUNT(*) FROM {$t} WHERE code_hash = %s", $code)), 'the plaintext is never stored');
        $row = self::row($code);
        $this->assertNotNull($row);
        // base64url SHA-256 computed independently of the extension.
        $this->assertSame(rtrim(strtr(base64_encode(hash('sha256', $code, true)), '+/', '-_'), '='), $row->code_hash);
        $this->assertSame($fields['client_id'], $row->client_id);
        $this->assertSame((string) $fields['user_id'], $row->user_id);
        $this->assertSame('com.example.app:/cb', $row->redirect_uri);
        $this->assertSame(self::CHALLENGE, $row->code_challenge);
        $this->assertSame('read write', $row->scope);
        $this->assertSame('https://example.test/wp-json/', $row->audience);
        $this->assertSame('1700000000', $row->auth_time);
        $this->assertNull($row->used_at);
        $this->assertNull($row->grant_id);
        $this->assertSame(60, (int) $row->expires_at - (int) $row->created_at);
        $this->assertGreaterThanOrEqual($before, (int) $row->created_at);
    }

    public function testTwoCodesDiffer(): void
    {
        $this->assertNotSame(\Wpoa\Code_Repository::create($this->fields()), \Wpoa\Code_Repository::create($this->fields()));
    }

    public function testFindReturnsTheRowOrNullForAnythingElse(): void
    {
        $code = \Wpoa\Code_Repository::create($this->fields(['scope' => 'read']));
        $this->assertSame('read', \Wpoa\Code_Repository::find($code)->scope);
        foreach (['', 'nope', strtoupper($code), $code . 'x', str_repeat('A', 600), "\x00\xff"] as $bad) {
            $this->assertNull(\Wpoa\Code_Repository::find($bad), bin2hex(substr($bad, 0, 8)));
        }
    }

    public function testConsumeWinsOnce(): void
    {
        $code = \Wpoa\Code_Repository::create($this->fields());
        $id = (int) \Wpoa\Code_Repository::find($code)->id;
        $this->assertTrue(\Wpoa\Code_Repository::consume($id));
        $this->assertFalse(\Wpoa\Code_Repository::consume($id));
        $this->assertNotNull(\Wpoa\Code_Repository::find($code)->used_at);
    }

    public function testConsumeLosesToAnotherConnection(): void
    {
        // A second database connection (another PHP node) redeems the code first.
        $code = \Wpoa\Code_Repository::create($this->fields());
        $id = (int) \Wpoa\Code_Repository::find($code)->id;
        $db = wpoa_site()['db'];
        $other = new mysqli(null, $db['user'], $db['password'], DB_NAME, 0, $db['socket']);
        $t = \Wpoa\Schema::tables()['codes'];
        $other->query("UPDATE {$t} SET used_at = " . time() . " WHERE id = {$id} AND used_at IS NULL");
        $this->assertSame(1, $other->affected_rows);
        $other->close();
        $this->assertFalse(\Wpoa\Code_Repository::consume($id));
    }

    public function testReplayAfterTheGrantWasAttachedReturnsTheGrant(): void
    {
        $code = \Wpoa\Code_Repository::create($this->fields());
        $id = (int) \Wpoa\Code_Repository::find($code)->id;
        $this->assertTrue(\Wpoa\Code_Repository::consume($id));
        $this->assertTrue(\Wpoa\Code_Repository::attach_grant($id, 4242));
        $this->assertSame(4242, \Wpoa\Code_Repository::mark_replayed($id));
        $this->assertSame('4242', \Wpoa\Code_Repository::find($code)->grant_id, 'the replay does not erase the link');
    }

    public function testReplayBeforeTheGrantWasAttachedMakesTheWinnerFail(): void
    {
        $code = \Wpoa\Code_Repository::create($this->fields());
        $id = (int) \Wpoa\Code_Repository::find($code)->id;
        $this->assertTrue(\Wpoa\Code_Repository::consume($id));
        $this->assertSame(0, \Wpoa\Code_Repository::mark_replayed($id));
        $this->assertFalse(\Wpoa\Code_Repository::attach_grant($id, 77), 'the winner learns of the replay and must revoke');
        $this->assertSame('0', \Wpoa\Code_Repository::find($code)->grant_id);
    }

    public function testDeleteExpiredKeepsLiveCodes(): void
    {
        global $wpdb;
        $old = \Wpoa\Code_Repository::create($this->fields());
        $live = \Wpoa\Code_Repository::create($this->fields());
        $t = \Wpoa\Schema::tables()['codes'];
        $wpdb->query($wpdb->prepare("UPDATE {$t} SET expires_at = %d WHERE code_hash = %s", time() - 2 * HOUR_IN_SECONDS, \Wpoa\Crypto::token_hash($old)));
        $this->assertGreaterThanOrEqual(1, \Wpoa\Code_Repository::delete_expired());
        $this->assertNull(\Wpoa\Code_Repository::find($old));
        $this->assertNotNull(\Wpoa\Code_Repository::find($live));
    }

    public function testLifetimeFilterIsClamped(): void
    {
        $this->assertSame(60, \Wpoa\Code_Repository::lifetime());
        foreach ([[5, 10], [120, 120], [100000, 600]] as [$in, $out]) {
            $f = static fn() => $in;
            add_filter('wpoa_code_lifetime', $f);
            $this->assertSame($out, \Wpoa\Code_Repository::lifetime());
            remove_filter('wpoa_code_lifetime', $f);
        }
    }
}
