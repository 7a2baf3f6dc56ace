<?php
/**
 * Signing-key rotation with overlap: old tokens keep verifying until the old key leaves the JWKS.
 */

require_once dirname(__DIR__) . '/LifecycleFixtures.php';

use Wpoa\Cleanup;
use Wpoa\Key_Rotation;
use Wpoa\Keys;
use Wpoa\Revocation_Controller;

/**
 * @covers \Wpoa\Key_Rotation
 */
final class KeyRotationTest extends PHPUnit\Framework\TestCase
{
    use LifecycleFixtures;

    protected function tearDown(): void
    {
        remove_all_filters('wp_die_handler');
        remove_all_filters('wp_redirect');
        wp_set_current_user(0);
        unset($_POST['_wpnonce'], $_REQUEST['_wpnonce'], $_POST['action'], $_REQUEST['action']);
    }

    private static function kid(string $jwt): string
    {
        $header = json_decode((string) base64_decode(strtr(explode('.', $jwt)[0], '-_', '+/')), true);
        return (string) $header['kid'];
    }

    /** @return string[] */
    private static function publishedKids(): array
    {
        return array_column(json_decode(Keys::public_jwks(), true)['keys'], 'kid');
    }

    public function testRotationKeepsOldTokensValidUntilTheOldKeyExpires(): void
    {
        $grant = self::makeGrant(self::makeClient(), wpoa_user('author')->ID);
        $before = self::makeAccessToken($grant)['token'];
        $oldKid = self::kid($before);

        $new = wpoa_rotate_signing_key();
        $this->assertSame(['kid', 'alg', 'created_at'], array_keys($new));
        $this->assertSame('ES256', $new['alg']);
        $this->assertNotSame($oldKid, $new['kid']);

        $after = self::makeAccessToken($grant)['token'];
        $this->assertSame($new['kid'], self::kid($after), 'new tokens are signed with the new key');
        $this->assertContains($oldKid, self::publishedKids());
        $this->assertContains($new['kid'], self::publishedKids());
        // Both verify during the overlap, through the same path the endpoints use.
        $this->assertNotNull(Revocation_Controller::verify_access_token($before));
        $this->assertNotNull(Revocation_Controller::verify_access_token($after));

        // A cleanup during the overlap keeps the old key.
        Cleanup::run();
        $this->assertContains($oldKid, self::publishedKids());

        // Once the retired key's last token has expired, the cleanup removes it.
        $keys = Keys::stored();
        foreach ($keys as &$k) {
            if ($k['kid'] === $oldKid) {
                $k['retired_at'] = time() - \Wpoa\Token_Issuer::access_token_lifetime() - Keys::LEEWAY - 5;
            }
        }
        unset($k);
        update_option(Keys::OPTION_KEYS, $keys, false);
        $counts = Cleanup::run();
        $this->assertNotContains($oldKid, self::publishedKids());
        $this->assertContains($new['kid'], self::publishedKids());
        $this->assertSame(count(self::publishedKids()), $counts['keys_published']);
        $this->assertNull(Revocation_Controller::verify_access_token($before));
        $this->assertNotNull(Revocation_Controller::verify_access_token($after));
    }

    public function testPublicFactsOnlyAndEdDsa(): void
    {
        $new = Key_Rotation::rotate('EdDSA');
        $this->assertSame('EdDSA', $new['alg']);
        $this->assertSame($new['kid'], Keys::current()['kid']);
        $jwks = json_decode(Keys::public_jwks(), true)['keys'];
        foreach ($jwks as $jwk) {
            $this->assertArrayNotHasKey('d', $jwk, 'no private member is published');
        }
        $grant = self::makeGrant(self::makeClient(), wpoa_user('author')->ID);
        $this->assertNotNull(Revocation_Controller::verify_access_token(self::makeAccessToken($grant)['token']));
        Key_Rotation::rotate(); // back to ES256 for the other tests
    }

    public function testUnsupportedAlgorithmIsRefused(): void
    {
        $kid = Keys::current()['kid'];
        $this->expectException(InvalidArgumentException::class);
        try {
            Key_Rotation::rotate('HS256');
        } finally {
            $this->assertSame($kid, Keys::current()['kid']);
        }
    }

    public function testAdminActionNeedsTheCapabilityAndTheNonce(): void
    {
        add_filter('wp_die_handler', static fn () => static function ($message) {
            throw new RuntimeException('wp_die: ' . (is_string($message) ? $message : 'die'));
        });
        add_filter('wp_redirect', static function ($location) {
            throw new RuntimeException('redirect: ' . $location);
        });
        $screen = new Key_Rotation();
        $kid = Keys::current()['kid'];

        // A subscriber, even with a valid nonce of their own.
        wp_set_current_user(wpoa_user('subscriber')->ID);
        $_POST['_wpnonce'] = $_REQUEST['_wpnonce'] = wp_create_nonce(Key_Rotation::ACTION);
        try {
            $screen->handle_rotate();
            $this->fail('no die');
        } catch (RuntimeException $e) {
            $this->assertStringStartsWith('wp_die', $e->getMessage());
        }
        $this->assertSame($kid, Keys::current()['kid']);

        // An administrator without a nonce.
        wp_set_current_user(wpoa_user('admin')->ID);
        $_POST['_wpnonce'] = $_REQUEST['_wpnonce'] = 'bad';
        try {
            $screen->handle_rotate();
            $this->fail('no die');
        } catch (RuntimeException $e) {
            $this->assertStringStartsWith('wp_die', $e->getMessage());
        }
        $this->assertSame($kid, Keys::current()['kid']);

        // An administrator with the nonce: rotated, then redirected back to the screen.
        $_POST['_wpnonce'] = $_REQUEST['_wpnonce'] = wp_create_nonce(Key_Rotation::ACTION);
        try {
            $screen->handle_rotate();
            $this->fail('no redirect');
        } catch (RuntimeException $e) {
            $this->assertStringContainsString('tools.php?page=wpoa-signing-keys&wpoa_rotated=1', $e->getMessage());
        }
        $this->assertNotSame($kid, Keys::current()['kid']);
    }

    public function testScreenListsKeysForAdministrators(): void
    {
        wp_set_current_user(wpoa_user('admin')->ID);
        ob_start();
        (new Key_Rotation())->render_page();
        $html = (string) ob_get_clean();
        $this->assertStringContainsString(esc_html(Keys::current()['kid']), $html);
        $this->assertStringContainsString('name="action" value="wpoa_rotate_key"', $html);
        $this->assertStringContainsString('name="_wpnonce"', $html);
    }
}
