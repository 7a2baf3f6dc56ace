<?php
/**
 * Uninstall leaves nothing behind, in the database or in the object cache: a later activation
 * must find no schema version (or it would make no tables) and no signing key (or the old key
 * would sign again). With a persistent object cache (Redis) that cache outlives the request; here
 * the request's own cache shows the same mistake.
 *
 * @covers \Wpoa\Schema::uninstall
 */
final class SchemaTest extends PHPUnit\Framework\TestCase
{
    public function testUninstallForgetsOptionsAndUserMetaInTheCacheToo(): void
    {
        global $wpdb;
        \Wpoa\Plugin::activate();
        update_user_meta(1, 'wpoa_tokens_valid_after', 12345);
        // Read them once, as any request would: now they are cached.
        $this->assertSame(\Wpoa\Plugin::SCHEMA_VERSION, (int) get_option(\Wpoa\Plugin::SCHEMA_OPTION));
        $this->assertNotEmpty(get_option(\Wpoa\Keys::OPTION_KEYS));
        $this->assertSame('12345', get_user_meta(1, 'wpoa_tokens_valid_after', true));
        $old_keys = get_option(\Wpoa\Keys::OPTION_KEYS);
        try {
            \Wpoa\Schema::uninstall();
            $this->assertFalse(get_option(\Wpoa\Plugin::SCHEMA_OPTION), 'schema version forgotten');
            $this->assertFalse(get_option(\Wpoa\Keys::OPTION_KEYS), 'signing keys forgotten');
            $this->assertSame('', get_user_meta(1, 'wpoa_tokens_valid_after', true), 'user meta forgotten');
            $this->assertSame('0', (string) $wpdb->get_var($wpdb->prepare("SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE %s", 'wpoa\\_%')));
            foreach (\Wpoa\Schema::tables() as $table) {
                $this->assertNull($wpdb->get_var($wpdb->prepare('SHOW TABLES LIKE %s', $table)), "$table dropped");
            }
        } finally {
            \Wpoa\Plugin::activate();
        }
        $this->assertNotEquals($old_keys, get_option(\Wpoa\Keys::OPTION_KEYS), 'a new key after reactivation');
        foreach (\Wpoa\Schema::tables() as $table) {
            $this->assertSame($table, $wpdb->get_var($wpdb->prepare('SHOW TABLES LIKE %s', $table)), "$table made again");
        }
    }
}
