<?php
/**
 * The Users → OAuth Clients screen: actions, capability and nonce checks, rendering.
 *
 * @covers \Wpoa\Admin_Clients
 */
final class AdminClientsTest extends PHPUnit\Framework\TestCase
{
    /** @var callable */
    private $dieHandler;

    protected function setUp(): void
    {
        global $wpdb;
        $wpdb->query('DELETE FROM ' . \Wpoa\Schema::tables()['clients']);
        delete_option(\Wpoa\Registration_Controller::OPTION_MODE);
        delete_option(\Wpoa\Registration_Controller::OPTION_INITIAL_TOKEN);
        delete_option('wpoa_abandoned_client_ttl');
        wp_set_current_user(wpoa_user('admin')->ID);
        add_filter('wp_redirect', '__return_false');
        $this->dieHandler = static fn () => static function ($message, $title = '', $args = []) {
            throw new RuntimeException('wp_die: ' . (is_string($message) ? $message : 'error'), (int) ($args['response'] ?? 500));
        };
        add_filter('wp_die_handler', $this->dieHandler);
    }

    protected function tearDown(): void
    {
        remove_filter('wp_redirect', '__return_false');
        remove_filter('wp_die_handler', $this->dieHandler);
        wp_set_current_user(0);
        $_POST = [];
        $_REQUEST = [];
        $_GET = [];
        $_SERVER['REQUEST_METHOD'] = 'GET';
        delete_option(\Wpoa\Registration_Controller::OPTION_MODE);
        delete_option(\Wpoa\Registration_Controller::OPTION_INITIAL_TOKEN);
        delete_option('wpoa_abandoned_client_ttl');
    }

    private static function render(\Wpoa\Admin_Clients $page, array $get = []): string
    {
        $_GET = $get;
        ob_start();
        $page->render();
        return (string) ob_get_clean();
    }

    public function testAddsAPublicClient(): void
    {
        $page = new \Wpoa\Admin_Clients();
        $this->assertNull($page->dispatch('add', '', ['client_name' => 'Desktop <b>Editor</b>', 'redirect_uris' => "http://127.0.0.1/cb\r\n\r\ncom.example.editor:/cb", 'token_endpoint_auth_method' => 'none', 'scope' => ['read', 'write']]));
        $this->assertNull($page->error());
        $once = $page->once();
        $this->assertSame('', $once['value'], 'no secret for a public client');
        $client = \Wpoa\Client_Repository::find($once['client_id']);
        $this->assertSame('Desktop Editor', $client->name(), 'tags stripped');
        $this->assertSame(['http://127.0.0.1/cb', 'com.example.editor:/cb'], $client->redirect_uris);
        $this->assertSame('read write', $client->scope());
        $this->assertSame(wpoa_user('admin')->ID, $client->registered_by);
        $this->assertNull($client->registration_token_hash, 'admin-made clients are not managed over RFC 7592');
    }

    public function testConfidentialSecretIsShownOnceAndStoredHashed(): void
    {
        global $wpdb;
        $page = new \Wpoa\Admin_Clients();
        $page->dispatch('add', '', ['client_name' => 'Web App', 'redirect_uris' => 'https://web.example.com/cb', 'token_endpoint_auth_method' => 'client_secret_basic']);
        $once = $page->once();
        $this->assertMatchesRegularExpression('/^[A-Za-z0-9_-]{43}$/', $once['value']);
        $row = $wpdb->get_row($wpdb->prepare('SELECT * FROM ' . \Wpoa\Schema::tables()['clients'] . ' WHERE client_id = %s', $once['client_id']));
        $this->assertStringNotContainsString($once['value'], json_encode($row));
        $this->assertTrue(\Wpoa\Crypto::secret_verify($once['value'], $row->client_secret_hash));

        $html = self::render($page);
        $this->assertStringContainsString('value="' . $once['value'] . '"', $html);
        $this->assertStringContainsString('id="wpoa-copy"', $html);
        $this->assertStringContainsString($once['client_id'], $html);

        $later = self::render(new \Wpoa\Admin_Clients());
        $this->assertStringContainsString('Web App', $later);
        $this->assertStringNotContainsString($once['value'], $later, 'never shown again');
        $edit = self::render(new \Wpoa\Admin_Clients(), ['view' => 'edit', 'client_id' => $once['client_id']]);
        $this->assertStringNotContainsString($once['value'], $edit);
        $this->assertStringContainsString('Regenerate secret', $edit);
    }

    public function testRefusesWhatRegistrationRefusesAndStoresNothing(): void
    {
        foreach (['javascript:alert(1)', 'http://example.com/cb', 'https://a.example/cb#x', 'not a uri', ''] as $uri) {
            $page = new \Wpoa\Admin_Clients();
            $page->dispatch('add', '', ['client_name' => 'X', 'redirect_uris' => $uri, 'token_endpoint_auth_method' => 'none']);
            $this->assertNotNull($page->error(), $uri);
            $this->assertNull($page->once());
            $this->assertSame(0, \Wpoa\Client_Repository::count(), $uri);
        }
        $html = self::render($page, ['view' => 'add']);
        $this->assertStringContainsString('notice-error', $html);
    }

    public function testEditRegenerateAndDelete(): void
    {
        $page = new \Wpoa\Admin_Clients();
        $page->dispatch('add', '', ['client_name' => 'Web', 'redirect_uris' => 'https://web.example.com/cb', 'token_endpoint_auth_method' => 'client_secret_post']);
        ['client_id' => $id, 'value' => $secret] = $page->once();

        $this->assertSame('updated', (new \Wpoa\Admin_Clients())->dispatch('update', $id, ['client_name' => 'Web 2', 'redirect_uris' => "https://web.example.com/cb\nhttps://web.example.com/cb2", 'token_endpoint_auth_method' => 'none']));
        $client = \Wpoa\Client_Repository::find($id);
        $this->assertSame('Web 2', $client->name());
        $this->assertCount(2, $client->redirect_uris);
        $this->assertSame('client_secret_post', $client->token_endpoint_auth_method, 'type does not change on edit');

        $regen = new \Wpoa\Admin_Clients();
        $regen->dispatch('regenerate_secret', $id, []);
        $new = $regen->once()['value'];
        $hash = \Wpoa\Client_Repository::find($id)->client_secret_hash;
        $this->assertFalse(\Wpoa\Crypto::secret_verify($secret, $hash), 'old secret stops working');
        $this->assertTrue(\Wpoa\Crypto::secret_verify($new, $hash));

        $user = wpoa_user('author')->ID;
        $grant = \Wpoa\Grant_Repository::create($id, $user, 'read', \Wpoa\Urls::audience(), time());
        $this->assertSame(1, \Wpoa\Client_Repository::authorized_user_counts([$id])[$id]);
        $this->assertStringContainsString('<td class="wpoa-users">1</td>', self::render(new \Wpoa\Admin_Clients()));

        $this->assertSame('deleted', (new \Wpoa\Admin_Clients())->dispatch('delete', $id, []));
        $this->assertNull(\Wpoa\Client_Repository::find($id));
        $this->assertSame('revoked', \Wpoa\Grant_Repository::find($grant)->status);
        $this->assertSame('not_found', (new \Wpoa\Admin_Clients())->dispatch('delete', $id, []));
    }

    public function testSettingsAndInitialAccessToken(): void
    {
        $page = new \Wpoa\Admin_Clients();
        $this->assertSame('settings_saved', $page->dispatch('save_settings', '', ['registration_mode' => 'token', 'abandoned_days' => '3']));
        $this->assertSame('token', \Wpoa\Registration_Controller::mode());
        $this->assertSame(3 * DAY_IN_SECONDS, \Wpoa\Client_Repository::abandoned_client_ttl());

        foreach ([['registration_mode' => 'everyone', 'abandoned_days' => '3'], ['registration_mode' => 'off', 'abandoned_days' => '-1'], ['registration_mode' => 'off', 'abandoned_days' => 'x']] as $bad) {
            $p = new \Wpoa\Admin_Clients();
            $this->assertNull($p->dispatch('save_settings', '', $bad));
            $this->assertNotNull($p->error());
        }
        $this->assertSame('token', \Wpoa\Registration_Controller::mode(), 'unchanged');

        $iat = new \Wpoa\Admin_Clients();
        $iat->dispatch('generate_iat', '', []);
        $token = $iat->once()['value'];
        $this->assertTrue(\Wpoa\Registration_Controller::verify_initial_access_token($token));
        $this->assertStringNotContainsString($token, serialize(get_option(\Wpoa\Registration_Controller::OPTION_INITIAL_TOKEN)));
        $this->assertStringContainsString($token, self::render($iat));
        $this->assertStringNotContainsString($token, self::render(new \Wpoa\Admin_Clients()));
        $this->assertSame('iat_revoked', (new \Wpoa\Admin_Clients())->dispatch('revoke_iat', '', []));
        $this->assertFalse(\Wpoa\Registration_Controller::verify_initial_access_token($token));
    }

    /** Every POST needs the capability and the action's own nonce. */
    public function testPostsNeedCapabilityAndNonce(): void
    {
        $page = new \Wpoa\Admin_Clients();
        $_SERVER['REQUEST_METHOD'] = 'POST';
        $post = ['wpoa_action' => 'add', 'client_name' => 'Sneaky', 'redirect_uris' => 'https://evil.example/cb', 'token_endpoint_auth_method' => 'none'];

        // A subscriber with a valid nonce: 403.
        wp_set_current_user(wpoa_user('subscriber')->ID);
        $_POST = $_REQUEST = $post + ['_wpnonce' => wp_create_nonce(\Wpoa\Admin_Clients::nonce_action('add'))];
        $this->assertDies(403, static fn () => $page->handle_post());

        // An admin without a nonce, with another action's nonce, with another client's nonce: refused.
        wp_set_current_user(wpoa_user('admin')->ID);
        $_POST = $_REQUEST = $post;
        $this->assertDies(403, static fn () => $page->handle_post());
        $_POST = $_REQUEST = $post + ['_wpnonce' => wp_create_nonce(\Wpoa\Admin_Clients::nonce_action('save_settings'))];
        $this->assertDies(403, static fn () => $page->handle_post());
        $this->assertSame(0, \Wpoa\Client_Repository::count());

        (new \Wpoa\Admin_Clients())->dispatch('add', '', ['client_name' => 'Victim', 'redirect_uris' => 'https://v.example/cb', 'token_endpoint_auth_method' => 'none']);
        $victim = \Wpoa\Client_Repository::list()[0]->client_id;
        $_POST = $_REQUEST = ['wpoa_action' => 'delete', 'client_id' => $victim, '_wpnonce' => wp_create_nonce(\Wpoa\Admin_Clients::nonce_action('delete', 'other-client'))];
        $this->assertDies(403, static fn () => $page->handle_post());
        $this->assertNotNull(\Wpoa\Client_Repository::find($victim));

        // Unknown action: 400.
        $_POST = $_REQUEST = ['wpoa_action' => 'drop_tables'];
        $this->assertDies(400, static fn () => $page->handle_post());

        // The right nonce works.
        $_POST = $_REQUEST = ['wpoa_action' => 'delete', 'client_id' => $victim, '_wpnonce' => wp_create_nonce(\Wpoa\Admin_Clients::nonce_action('delete', $victim))];
        $page->handle_post();
        $this->assertNull(\Wpoa\Client_Repository::find($victim));
    }

    public function testCapabilityIsFilterableAndTheScreenChecksIt(): void
    {
        wp_set_current_user(wpoa_user('author')->ID);
        $this->assertDies(403, static fn () => self::render(new \Wpoa\Admin_Clients()));
        $cap = static fn () => 'edit_posts';
        add_filter('wpoa_manage_clients_capability', $cap);
        try {
            $this->assertStringContainsString('OAuth Clients', self::render(new \Wpoa\Admin_Clients()));
        } finally {
            remove_filter('wpoa_manage_clients_capability', $cap);
        }
    }

    public function testListEscapesClientSuppliedNames(): void
    {
        \Wpoa\Client_Repository::insert(['client_id' => 'xss-client', 'redirect_uris' => ['https://a.example/cb'], 'metadata' => ['client_name' => '<script>alert(1)</script>']]);
        $html = self::render(new \Wpoa\Admin_Clients());
        $this->assertStringNotContainsString('<script>alert(1)</script>', $html);
        $this->assertStringContainsString('&lt;script&gt;alert(1)&lt;/script&gt;', $html);
    }

    public function testListNamesNeverAuthorizedRegistrations(): void
    {
        \Wpoa\Client_Repository::insert(['client_id' => 'nameless-dyn', 'redirect_uris' => ['https://a.example/cb'], 'metadata' => []]);
        \Wpoa\Client_Repository::insert(['client_id' => 'used-dyn', 'redirect_uris' => ['https://a.example/cb'], 'metadata' => ['client_name' => 'Used']]);
        \Wpoa\Client_Repository::mark_used('used-dyn');
        $html = self::render(new \Wpoa\Admin_Clients());
        $this->assertStringContainsString('(no name)', $html);
        $this->assertStringContainsString('1 self-registered client has never been authorized by anyone; such clients are deleted 1 week after registering.', $html);
        update_option('wpoa_abandoned_client_ttl', 0);
        $this->assertStringContainsString('Automatic cleanup is off.', self::render(new \Wpoa\Admin_Clients()));
    }

    public function testMetadataDocumentPolicyAndUsedClientsAreShown(): void
    {
        try {
            $page = new \Wpoa\Admin_Clients();
            $this->assertSame('settings_saved', $page->dispatch('save_cimd', '', ['cimd_mode' => 'allowlist', 'cimd_allowed' => "Claude.ai\n vscode.dev, bad domain!", 'cimd_trusted' => 'claude.ai']));
            $this->assertSame('allowlist', \Wpoa\Client_Id_Metadata::mode());
            $this->assertSame(['claude.ai', 'vscode.dev'], \Wpoa\Client_Id_Metadata::domains(\Wpoa\Client_Id_Metadata::ALLOWED_OPTION));
            $this->assertSame(['claude.ai'], \Wpoa\Client_Id_Metadata::domains(\Wpoa\Client_Id_Metadata::TRUSTED_OPTION));
            $bad = new \Wpoa\Admin_Clients();
            $this->assertNull($bad->dispatch('save_cimd', '', ['cimd_mode' => 'sometimes']));
            $this->assertNotNull($bad->error());
            $this->assertSame('allowlist', \Wpoa\Client_Id_Metadata::mode(), 'unchanged');

            // A metadata-document client that was used is listed with the host it comes from.
            \Wpoa\Client_Repository::insert(['client_id' => 'https://claude.ai/oauth/mcp-oauth-client-metadata', 'redirect_uris' => ['https://claude.ai/api/mcp/auth_callback'], 'metadata' => ['client_name' => 'Claude']]);
            $html = self::render(new \Wpoa\Admin_Clients());
            $this->assertStringContainsString('metadata document at claude.ai', $html);
            $this->assertStringContainsString('id="wpoa-cimd-form"', $html);
            $this->assertMatchesRegularExpression('/name="cimd_mode" value="allowlist" checked/', $html);
        } finally {
            delete_option(\Wpoa\Client_Id_Metadata::MODE_OPTION);
            delete_option(\Wpoa\Client_Id_Metadata::ALLOWED_OPTION);
            delete_option(\Wpoa\Client_Id_Metadata::TRUSTED_OPTION);
        }
    }

    private function assertDies(int $status, callable $fn): void
    {
        $level = ob_get_level();
        try {
            $fn();
        } catch (RuntimeException $e) {
            while (ob_get_level() > $level) {
                ob_end_clean();
            }
            $this->assertSame($status, $e->getCode(), $e->getMessage());
            return;
        }
        $this->fail("expected wp_die($status)");
    }
}
