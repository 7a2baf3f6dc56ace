<?php
/**
 * Signing-key rotation: the next key is published a JWKS cache lifetime before it signs; the old
 * key keeps verifying its tokens until they expire.
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
        unset($_POST['_wpnonce'], $_REQUEST['_wpnonce'], $_POST['action'], $_REQUEST['action'], $_POST['wpoa-emergency']);
        remove_all_filters('wpoa_jwks_max_age');
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

    /** The JWKS document as served at jwks_uri, and the max-age its Cache-Control actually says. */
    private static function servedJwks(): array
    {
        $res = rest_ensure_response(rest_get_server()->dispatch(new WP_REST_Request('GET', '/wp-oauth/v1/jwks')));
        if (!preg_match('/(?:^|,)\s*max-age=(\d+)\s*(?:,|$)/', (string) ($res->get_headers()['Cache-Control'] ?? ''), $m)) {
            throw new RuntimeException('no max-age on the JWKS: ' . wp_json_encode($res->get_headers()));
        }
        return ['kids' => array_column($res->get_data()['keys'], 'kid'), 'max_age' => (int) $m[1]];
    }

    /**
     * Test set-up only: moves every stored key timestamp $seconds into the past, which is what
     * the passing of $seconds looks like to the code that compares them with time().
     */
    private static function letTimePass(int $seconds): void
    {
        $keys = Keys::stored();
        foreach ($keys as &$k) {
            foreach (['created_at', 'activates_at', 'retired_at'] as $field) {
                if (!empty($k[$field])) {
                    $k[$field] = (int) $k[$field] - $seconds;
                }
            }
        }
        unset($k);
        update_option(Keys::OPTION_KEYS, $keys, false);
    }

    /** Makes the key that signs now the only one with nothing pending, so each test starts alike. */
    private static function settle(): void
    {
        Key_Rotation::rotate('ES256', true);
    }

    public function testRotationPublishesTheNextKeyBeforeItSigns(): void
    {
        self::settle();
        $grant = self::makeGrant(self::makeClient(), wpoa_user('author')->ID);
        $oldKid = self::kid(self::makeAccessToken($grant)['token']);
        $maxAge = self::servedJwks()['max_age'];
        $this->assertSame(300, $maxAge, 'the JWKS is served with Cache-Control: public, max-age=300');

        $before = time();
        $new = wpoa_rotate_signing_key();
        $this->assertSame(['kid', 'alg', 'created_at', 'activates_at'], array_keys($new));
        $this->assertSame('ES256', $new['alg']);
        $this->assertNotSame($oldKid, $new['kid']);
        // Pre-published for at least one JWKS cache lifetime (plus the clock leeway), no more.
        $this->assertGreaterThanOrEqual($before + $maxAge, $new['activates_at']);
        $this->assertLessThanOrEqual(time() + $maxAge + Keys::LEEWAY, $new['activates_at']);

        // Published at once, next to the key that still signs.
        $served = self::servedJwks()['kids'];
        $this->assertContains($new['kid'], $served);
        $this->assertContains($oldKid, $served);

        // Tokens are still signed with the old key.
        $this->assertSame($oldKid, self::kid(self::makeAccessToken($grant)['token']));
        $this->assertSame($oldKid, Keys::current()['kid']);

        // One second before activation: still the old key.
        self::letTimePass($new['activates_at'] - time() - 1);
        $this->assertSame($oldKid, self::kid(self::makeAccessToken($grant)['token']));
    }

    public function testAfterActivationNewTokensUseTheNewKidAndTheOldKeyStaysUntilItsTokensExpire(): void
    {
        self::settle();
        $grant = self::makeGrant(self::makeClient(), wpoa_user('author')->ID);
        $new = wpoa_rotate_signing_key();
        $oldKid = Keys::current()['kid'];
        $last = self::makeAccessToken($grant)['token']; // the old key's last token, made just before activation
        $this->assertSame($oldKid, self::kid($last));

        self::letTimePass($new['activates_at'] - time());
        $after = self::makeAccessToken($grant)['token'];
        $this->assertSame($new['kid'], self::kid($after), 'from the activation time on, the new key signs');
        $this->assertSame($new['kid'], Keys::current()['kid']);
        $this->assertNotNull(Revocation_Controller::verify_access_token($last));
        $this->assertNotNull(Revocation_Controller::verify_access_token($after));

        // The old key stays published until its last possible token has expired:
        // activation (its retirement) + access-token lifetime + leeway.
        $lifetime = \Wpoa\Token_Issuer::access_token_lifetime();
        $this->assertSame(3600, $lifetime);
        self::letTimePass($lifetime + Keys::LEEWAY - 5);
        Cleanup::run();
        $this->assertContains($oldKid, self::servedJwks()['kids']);
        self::letTimePass(10);
        $counts = Cleanup::run();
        $served = self::servedJwks()['kids'];
        $this->assertNotContains($oldKid, $served);
        $this->assertContains($new['kid'], $served);
        $this->assertSame(count($served), $counts['keys_published']);
        $this->assertNotContains($oldKid, array_column(Keys::stored(), 'kid'), 'its private key is deleted too');
        $this->assertNotNull(Revocation_Controller::verify_access_token($after));
    }

    public function testPrePublicationFollowsTheMaxAgeSent(): void
    {
        self::settle();
        add_filter('wpoa_jwks_max_age', static fn () => 900);
        try {
            $this->assertSame(900, self::servedJwks()['max_age']);
            $before = time();
            $new = wpoa_rotate_signing_key();
            $this->assertGreaterThanOrEqual($before + 900, $new['activates_at']);
        } finally {
            remove_all_filters('wpoa_jwks_max_age');
        }
    }

    public function testEmergencyRotationSignsWithTheNewKeyNow(): void
    {
        self::settle();
        $grant = self::makeGrant(self::makeClient(), wpoa_user('author')->ID);
        $before = self::makeAccessToken($grant)['token'];
        $oldKid = self::kid($before);

        $new = wpoa_rotate_signing_key('ES256', true);
        $this->assertSame($new['created_at'], $new['activates_at']);
        $this->assertSame($new['kid'], self::kid(self::makeAccessToken($grant)['token']));
        // The old key still verifies what it signed until those tokens expire.
        $this->assertContains($oldKid, self::servedJwks()['kids']);
        $this->assertNotNull(Revocation_Controller::verify_access_token($before));
    }

    /** A stored key record by kid. */
    private static function record(string $kid): array
    {
        foreach (Keys::stored() as $k) {
            if ($k['kid'] === $kid) {
                return $k;
            }
        }
        throw new RuntimeException("no stored key $kid");
    }

    public function testRotatingWhileAKeyIsPending(): void
    {
        self::settle();
        $signer = Keys::current()['kid'];
        $first = wpoa_rotate_signing_key();
        self::letTimePass(100);
        $second = wpoa_rotate_signing_key();
        $this->assertSame($signer, Keys::current()['kid']);
        $firstAt = (int) self::record($first['kid'])['activates_at'];
        $this->assertGreaterThan($firstAt, $second['activates_at']);
        $this->assertSame($second['activates_at'], (int) self::record($first['kid'])['retired_at']);
        // Each key signs from its own activation until the next one's.
        self::letTimePass($firstAt - time());
        $this->assertSame($first['kid'], Keys::current()['kid']);
        self::letTimePass((int) self::record($second['kid'])['activates_at'] - time());
        $this->assertSame($second['kid'], Keys::current()['kid']);

        // An emergency rotation while a key is pending: that key never signed anything and
        // leaves the key set at once; the one that signed stays until its tokens expire.
        $pending = wpoa_rotate_signing_key();
        $signer = Keys::current()['kid'];
        $now = wpoa_rotate_signing_key('ES256', true);
        $this->assertSame($now['kid'], Keys::current()['kid']);
        $served = self::servedJwks()['kids'];
        $this->assertNotContains($pending['kid'], $served);
        $this->assertNotContains($pending['kid'], array_column(Keys::stored(), 'kid'));
        $this->assertContains($signer, $served);
        $this->assertContains($now['kid'], $served);
    }

    public function testPublicFactsOnlyAndEdDsa(): void
    {
        $new = Key_Rotation::rotate('EdDSA', true);
        $this->assertSame('EdDSA', $new['alg']);
        $this->assertSame($new['kid'], Keys::current()['kid']);
        $jwks = json_decode(Keys::public_jwks(), true)['keys'];
        foreach ($jwks as $jwk) {
            $this->assertArrayNotHasKey('d', $jwk, 'no private member is published');
        }
        $grant = self::makeGrant(self::makeClient(), wpoa_user('author')->ID);
        $this->assertNotNull(Revocation_Controller::verify_access_token(self::makeAccessToken($grant)['token']));
        Key_Rotation::rotate('ES256', true); // back to ES256 for the other tests
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

        // An administrator with the nonce: a new key is published (not yet signing), then
        // redirected back to the screen.
        $_POST['_wpnonce'] = $_REQUEST['_wpnonce'] = wp_create_nonce(Key_Rotation::ACTION);
        try {
            $screen->handle_rotate();
            $this->fail('no redirect');
        } catch (RuntimeException $e) {
            $this->assertStringContainsString('tools.php?page=wpoa-signing-keys&wpoa_rotated=1', $e->getMessage());
        }
        $this->assertSame($kid, Keys::current()['kid']);
        $next = Keys::stored()[0];
        $this->assertNotSame($kid, $next['kid']);
        $this->assertGreaterThan(time(), $next['activates_at']);

        // The emergency button: the new key signs at once.
        $_POST['wpoa-emergency'] = '1';
        try {
            $screen->handle_rotate();
            $this->fail('no redirect');
        } catch (RuntimeException $e) {
            $this->assertStringContainsString('tools.php?page=wpoa-signing-keys&wpoa_rotated=now', $e->getMessage());
        } finally {
            unset($_POST['wpoa-emergency']);
        }
        $this->assertSame(Keys::stored()[0]['kid'], Keys::current()['kid']);
        $this->assertNotSame($next['kid'], Keys::current()['kid']);
    }

    public function testScreenListsKeysForAdministrators(): void
    {
        self::settle();
        $signer = Keys::current()['kid'];
        $next = wpoa_rotate_signing_key();
        wp_set_current_user(wpoa_user('admin')->ID);
        ob_start();
        (new Key_Rotation())->render_page();
        $html = (string) ob_get_clean();
        $this->assertStringContainsString(esc_html($signer), $html);
        $this->assertStringContainsString(esc_html($next['kid']), $html);
        $this->assertStringContainsString('Next: published, signs new tokens from', $html);
        $this->assertStringContainsString('Current: signs new tokens until', $html);
        $this->assertStringContainsString('name="action" value="wpoa_rotate_key"', $html);
        $this->assertStringContainsString('name="_wpnonce"', $html);
        // The emergency rotation is offered, with what it costs.
        $this->assertStringContainsString('name="wpoa-emergency"', $html);
        $this->assertStringContainsString('reject tokens signed with the new key', $html);
    }
}
