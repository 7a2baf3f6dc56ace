<?php
/**
 * The DPoP replay store and nonce rotation on the real database.
 */

use Wpoa\Dpop_Repository;
use Wpoa\Schema;

/**
 * @covers \Wpoa\Dpop_Repository
 */
final class DpopRepositoryTest extends PHPUnit\Framework\TestCase
{
    public function testAProofIsAcceptedOncePerKey(): void
    {
        $jti = 'jti-' . wp_generate_password(12, false);
        $this->assertTrue(Dpop_Repository::remember_proof('key-a', $jti, time() + 300));
        $this->assertFalse(Dpop_Repository::remember_proof('key-a', $jti, time() + 300), 'replay');
        $this->assertTrue(Dpop_Repository::remember_proof('key-b', $jti, time() + 300), 'another key may use the same jti');
        global $wpdb;
        $t = Schema::tables()['dpop_proofs'];
        // Only hashes are stored, never the jti or the key.
        $this->assertSame('0', (string) $wpdb->get_var($wpdb->prepare("SELECT COUNT(*) FROM {$t} WHERE proof_hash LIKE %s", '%' . $wpdb->esc_like($jti) . '%')));
    }

    public function testExpiredEntriesAreDeleted(): void
    {
        global $wpdb;
        $t = Schema::tables()['dpop_proofs'];
        $jti = 'old-' . wp_generate_password(12, false);
        Dpop_Repository::remember_proof('key', $jti, 1000);
        Dpop_Repository::remember_proof('key', $jti . '-live', time() + 300);
        $this->assertGreaterThanOrEqual(1, Dpop_Repository::delete_expired_proofs(time(), 10000));
        $this->assertSame('0', (string) $wpdb->get_var($wpdb->prepare("SELECT COUNT(*) FROM {$t} WHERE expires_at < %d", time())));
        $this->assertFalse(Dpop_Repository::remember_proof('key', $jti . '-live', time() + 300), 'a live entry stays');
    }

    public function testNoncesRotateAndKeepThePreviousForOnePeriod(): void
    {
        delete_option(Dpop_Repository::NONCE_OPTION);
        $t0 = time();
        $first = Dpop_Repository::nonces(300, $t0);
        $this->assertCount(1, $first);
        $this->assertMatchesRegularExpression('/^[A-Za-z0-9_-]{43}$/', $first[0]);
        $this->assertSame($first, Dpop_Repository::nonces(300, $t0 + 299), 'stable within the period');

        $rotated = 0;
        add_action('wpoa_dpop_nonce_rotated', function () use (&$rotated) { $rotated++; });
        $second = Dpop_Repository::nonces(300, $t0 + 300);
        $this->assertCount(2, $second);
        $this->assertNotSame($first[0], $second[0]);
        $this->assertSame($first[0], $second[1], 'the previous nonce is still accepted');
        $this->assertSame(1, $rotated);

        $third = Dpop_Repository::nonces(300, $t0 + 300 + 700);
        $this->assertCount(1, $third, 'after two periods the old nonce is gone');
        $this->assertNotContains($second[0], $third);
        remove_all_actions('wpoa_dpop_nonce_rotated');
        delete_option(Dpop_Repository::NONCE_OPTION);
    }
}
