<?php
/**
 * What the multisite code does on a single site (the network itself is proven end to end by
 * tests/e2e/multisite/, on a real sub-directory network): every check passes through, a deleted
 * site's tables are added to core's list exactly once, and activation and deactivation manage
 * this site's cleanup event.
 *
 * @covers \Wpoa\Network
 * @covers \Wpoa\Plugin::activate
 * @covers \Wpoa\Plugin::deactivate
 */
final class NetworkTest extends PHPUnit\Framework\TestCase
{
    public function testASingleSiteLetsEveryUserAndRequestThrough(): void
    {
        $this->assertFalse(is_multisite());
        $this->assertTrue(\Wpoa\Network::user_belongs(1));
        $this->assertTrue(\Wpoa\Network::user_belongs(987654), 'existence is the caller\'s check');
        $this->assertTrue(\Wpoa\Network::site_is_open());
        $this->assertFalse(\Wpoa\Network::network_active());
    }

    public function testDroppedTablesNameEachOauthTableOnce(): void
    {
        global $wpdb;
        $core = [$wpdb->prefix . 'posts', $wpdb->prefix . 'options'];
        $tables = \Wpoa\Network::drop_tables($core, 7);
        $this->assertSame($core, array_slice($tables, 0, 2), 'core\'s tables stay first, unchanged');
        $ours = array_slice($tables, 2);
        $this->assertSame([
            'wp_oauth_clients', 'wp_oauth_codes', 'wp_oauth_grants', 'wp_oauth_refresh_tokens',
            'wp_oauth_revoked_tokens', 'wp_oauth_device_codes', 'wp_oauth_dpop_proofs',
        ], $ours);
        $this->assertSame($tables, \Wpoa\Network::drop_tables($tables, 7), 'a second filter run adds nothing');
    }

    public function testActivationSchedulesAndDeactivationUnschedulesTheCleanup(): void
    {
        wp_clear_scheduled_hook('wpoa_cleanup');
        \Wpoa\Plugin::activate(false);
        $this->assertIsInt(wp_next_scheduled('wpoa_cleanup'));
        $this->assertSame(\Wpoa\Plugin::SCHEMA_VERSION, (int) get_option(\Wpoa\Plugin::SCHEMA_OPTION));
        \Wpoa\Plugin::deactivate(false);
        $this->assertFalse(wp_next_scheduled('wpoa_cleanup'));
        // On a single site the network flag changes nothing.
        \Wpoa\Plugin::activate(true);
        $this->assertIsInt(wp_next_scheduled('wpoa_cleanup'));
        \Wpoa\Plugin::deactivate(true);
        $this->assertFalse(wp_next_scheduled('wpoa_cleanup'));
        \Wpoa\Cleanup::schedule();
    }
}
