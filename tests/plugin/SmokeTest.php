<?php
/**
 * The test harness itself: WordPress is loaded from the stack, on the test database, with the
 * extension and the plugin.
 */
final class SmokeTest extends PHPUnit\Framework\TestCase
{
    public function testWordPressIsLoaded(): void
    {
        $this->assertTrue(function_exists('get_option'));
        $this->assertTrue(is_blog_installed());
        $this->assertSame(wpoa_site()['url'], home_url());
    }

    public function testUsesTheTestDatabase(): void
    {
        global $wpdb;
        $this->assertSame('wordpress_test', DB_NAME);
        $this->assertSame('wordpress_test', $wpdb->get_var('SELECT DATABASE()'));
        $this->assertSame('administrator', wpoa_user('admin')->roles[0]);
        $this->assertSame('author', wpoa_user('author')->roles[0]);
        $this->assertSame('subscriber', wpoa_user('subscriber')->roles[0]);
    }

    public function testRequestContextIsHttps(): void
    {
        $this->assertTrue(is_ssl());
    }

    public function testExtensionIsLoaded(): void
    {
        $this->assertTrue(extension_loaded('wp_oauth'), 'wp_oauth extension not loaded (make ext)');
        $this->assertTrue(function_exists('wp_oauth_version'));
        $this->assertIsString(wp_oauth_version());
    }

    public function testPluginIsActive(): void
    {
        if (!is_file(dirname(__DIR__, 2) . '/wp-plugin/wp-oauth.php')) {
            $this->markTestSkipped('wp-plugin/wp-oauth.php does not exist yet');
        }
        $this->assertTrue(is_plugin_active('wp-oauth/wp-oauth.php'));
    }
}
