<?php
/**
 * The authorization endpoint's decisions (RFC 6749 §4.1.1/§4.1.2.1, RFC 7636, RFC 8707, RFC 9207)
 * and the consent screen's HTML, against the real WordPress, database and extension.
 *
 * decide_get()/decide_post() return what serve() sends inside wp-login.php; the e2e test drives
 * the same screen in Chromium.
 *
 * @covers \Wpoa\Authorize_Endpoint
 */
final class AuthorizeEndpointTest extends PHPUnit\Framework\TestCase
{
    /** RFC 7636 Appendix B challenge. */
    private const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    private const APP = 'com.example.app:/oauth/cb';
    private const WEB = 'https://client.example/cb';
    private const LOOP = 'http://127.0.0.1:4711/callback';

    /** @var array */
    private $server;

    /** @var array<string, array> */
    private $actions = [];

    /** @var array<string, callable> */
    private $listeners = [];

    /** @var \Wpoa\Authorize_Endpoint */
    private $endpoint;

    protected function setUp(): void
    {
        $this->server = $_SERVER;
        $this->endpoint = new \Wpoa\Authorize_Endpoint();
        $this->actions = [];
        foreach (['wpoa_authorization_approved', 'wpoa_authorization_denied'] as $hook) {
            $this->listeners[$hook] = function (...$args) use ($hook) {
                $this->actions[$hook][] = $args;
            };
            add_action($hook, $this->listeners[$hook], 10, 4);
        }
        wp_set_current_user(wpoa_user('author')->ID);
    }

    protected function tearDown(): void
    {
        foreach ($this->listeners as $hook => $fn) {
            remove_action($hook, $fn, 10);
        }
        remove_all_filters('wpoa_user_can_authorize');
        $_SERVER = $this->server;
        wp_set_current_user(0);
    }

    private static function client(array $meta = [], array $uris = [self::APP, self::WEB, self::LOOP], int $registeredBy = 0): \Wpoa\Client
    {
        return \Wpoa\Client_Repository::insert([
            'client_id' => 'az-' . strtolower(wp_generate_password(12, false)),
            'token_endpoint_auth_method' => 'none',
            'redirect_uris' => $uris,
            'registered_by' => $registeredBy,
            'metadata' => array_merge(['client_name' => 'Authorize test', 'grant_types' => ['authorization_code', 'refresh_token'], 'response_types' => ['code']], $meta),
        ]);
    }

    /** A valid request for $client, with changes (null removes a parameter). */
    private static function params(\Wpoa\Client $client, array $change = []): array
    {
        $p = array_merge([
            'response_type' => 'code',
            'client_id' => $client->client_id,
            'redirect_uri' => self::APP,
            'scope' => 'read write',
            'state' => 'st-' . wp_generate_password(8, false),
            'code_challenge' => self::CHALLENGE,
            'code_challenge_method' => 'S256',
        ], $change);
        return array_filter($p, static fn($v) => null !== $v);
    }

    private static function query(array $params): string
    {
        return 'action=oauth_authorize&' . http_build_query($params, '', '&', PHP_QUERY_RFC3986);
    }

    private function get(array $params, ?int $user = null): array
    {
        return $this->endpoint->decide_get(self::query($params), $user ?? wpoa_user('author')->ID);
    }

    /** The redirect's query parameters, after checking it goes to $uri. */
    private function redirected(array $result, string $uri = self::APP): array
    {
        $this->assertSame('redirect', $result['kind'], wp_json_encode($result['message'] ?? $result));
        $this->assertStringStartsWith($uri . '?', $result['location']);
        parse_str(substr($result['location'], strlen($uri) + 1), $q);
        return $q;
    }

    private static function codesOf(\Wpoa\Client $client): int
    {
        global $wpdb;
        $t = \Wpoa\Schema::tables()['codes'];
        return (int) $wpdb->get_var($wpdb->prepare("SELECT COUNT(*) FROM {$t} WHERE client_id = %s", $client->client_id));
    }

    // ---- Errors shown as a page, never redirected -------------------------------------------

    /** @return array<string, array{0: callable}> builds the raw query string */
    public function errorPageRequests(): array
    {
        return [
            'no client_id' => [fn($c) => self::query(self::params($c, ['client_id' => null]))],
            'empty client_id' => [fn($c) => self::query(self::params($c, ['client_id' => '']))],
            'unknown client_id' => [fn($c) => self::query(self::params($c, ['client_id' => 'no-such-client']))],
            'client_id in another case' => [fn($c) => self::query(self::params($c, ['client_id' => strtoupper($c->client_id)]))],
            'duplicate client_id' => [fn($c) => self::query(self::params($c)) . '&client_id=' . rawurlencode($c->client_id)],
            'foreign redirect_uri' => [fn($c) => self::query(self::params($c, ['redirect_uri' => 'https://attacker.example/cb']))],
            'redirect_uri with a trailing slash' => [fn($c) => self::query(self::params($c, ['redirect_uri' => self::WEB . '/']))],
            'redirect_uri with an extra query' => [fn($c) => self::query(self::params($c, ['redirect_uri' => self::WEB . '?x=1']))],
            'redirect_uri http instead of https' => [fn($c) => self::query(self::params($c, ['redirect_uri' => 'http://client.example/cb']))],
            'redirect_uri other path on loopback' => [fn($c) => self::query(self::params($c, ['redirect_uri' => 'http://127.0.0.1:4711/other']))],
            'redirect_uri localhost instead of the loopback IP' => [fn($c) => self::query(self::params($c, ['redirect_uri' => 'http://localhost:4711/callback']))],
            'redirect_uri in another case' => [fn($c) => self::query(self::params($c, ['redirect_uri' => strtoupper(self::APP)]))],
            'redirect_uri missing, several registered' => [fn($c) => self::query(self::params($c, ['redirect_uri' => null]))],
            'duplicate redirect_uri' => [fn($c) => self::query(self::params($c)) . '&redirect_uri=' . rawurlencode(self::WEB)],
            'empty redirect_uri' => [fn($c) => self::query(self::params($c, ['redirect_uri' => '']))],
        ];
    }

    /** @dataProvider errorPageRequests */
    public function testUntrustworthyClientOrRedirectUriIsAnErrorPage(callable $query): void
    {
        $client = self::client();
        $result = $this->endpoint->decide_get($query($client), wpoa_user('author')->ID);
        $this->assertSame('error', $result['kind']);
        $this->assertSame(400, $result['status']);
        $this->assertArrayNotHasKey('location', $result);
        $this->assertSame(0, self::codesOf($client));
    }

    public function testPlainHttpIsAnErrorPage(): void
    {
        unset($_SERVER['HTTPS']);
        $_SERVER['SERVER_PORT'] = '80';
        $result = $this->get(self::params(self::client()));
        $this->assertSame('error', $result['kind']);
        $this->assertSame(400, $result['status']);
        $this->assertStringContainsString('HTTPS', $result['message']);
    }

    public function testErrorPageEscapesAndNeverLinksBack(): void
    {
        $html = $this->render('authorize-error', ['kind' => 'error', 'status' => 400, 'message' => 'Bad <script>alert(1)</script> "x"']);
        $this->assertStringNotContainsString('<script>alert(1)', $html);
        $this->assertStringContainsString('Bad &lt;script&gt;alert(1)&lt;/script&gt;', $html);
        $this->assertStringContainsString('id="wpoa-error"', $html);
    }

    // ---- Errors redirected with error, error_description, state, iss ------------------------

    /** @return array<string, array{0: array|callable, 1: string}> */
    public function redirectedErrors(): array
    {
        return [
            'missing response_type' => [['response_type' => null], 'invalid_request'],
            'response_type token' => [['response_type' => 'token'], 'unsupported_response_type'],
            'response_type code id_token' => [['response_type' => 'code id_token'], 'unsupported_response_type'],
            'missing code_challenge' => [['code_challenge' => null], 'invalid_request'],
            'missing code_challenge_method' => [['code_challenge_method' => null], 'invalid_request'],
            'plain method' => [['code_challenge_method' => 'plain'], 'invalid_request'],
            'lower-case s256' => [['code_challenge_method' => 's256'], 'invalid_request'],
            'challenge of 42 chars' => [['code_challenge' => substr(self::CHALLENGE, 0, 42)], 'invalid_request'],
            'challenge of 44 chars' => [['code_challenge' => self::CHALLENGE . 'A'], 'invalid_request'],
            'challenge with padding' => [['code_challenge' => substr(self::CHALLENGE, 0, 42) . '='], 'invalid_request'],
            'challenge in base64 (+/)' => [['code_challenge' => '+' . substr(self::CHALLENGE, 1, 41) . '/'], 'invalid_request'],
            'unknown scope' => [['scope' => 'read admin'], 'invalid_scope'],
            'scope with odd characters' => [['scope' => 'read "write"'], 'invalid_scope'],
            'foreign resource' => [['resource' => 'https://other.example/wp-json/'], 'invalid_target'],
            'relative resource' => [['resource' => '/wp-json/'], 'invalid_target'],
            'resource with a fragment' => [['resource' => wpoa_site()['url'] . '/wp-json/#x'], 'invalid_target'],
            'unknown prompt' => [['prompt' => 'bogus'], 'invalid_request'],
            'prompt none with consent' => [['prompt' => 'none consent'], 'invalid_request'],
        ];
    }

    /** @dataProvider redirectedErrors */
    public function testOtherErrorsRedirectWithStateAndIss(array $change, string $error): void
    {
        $client = self::client();
        $params = self::params($client, $change);
        $q = $this->redirected($this->get($params));
        $this->assertSame($error, $q['error']);
        $this->assertSame($params['state'], $q['state']);
        $this->assertSame(\Wpoa\Urls::issuer(), $q['iss']);
        $this->assertMatchesRegularExpression('/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/', $q['error_description'], 'RFC 6749 §4.1.2.1 character set');
        $this->assertArrayNotHasKey('code', $q);
        $this->assertSame(0, self::codesOf($client));
    }

    /** @return array<string, array{0: string}> */
    public function duplicatedParameters(): array
    {
        return [['response_type'], ['scope'], ['state'], ['code_challenge'], ['code_challenge_method'], ['prompt']];
    }

    /** @dataProvider duplicatedParameters */
    public function testDuplicateParametersAreInvalidRequest(string $name): void
    {
        $client = self::client();
        $params = self::params($client, ['prompt' => 'consent']);
        $q = $this->endpoint->decide_get(self::query($params) . '&' . $name . '=' . rawurlencode($params[$name]), wpoa_user('author')->ID);
        $this->assertSame('redirect', $q['kind']);
        $this->assertSame('invalid_request', $q['error']);
        $this->assertSame(0, self::codesOf($client));
    }

    public function testScopeBeyondTheRegisteredScopeIsInvalidScope(): void
    {
        $client = self::client(['scope' => 'read']);
        $this->assertSame('invalid_scope', $this->redirected($this->get(self::params($client, ['scope' => 'read write'])))['error']);
        $this->assertSame('consent', $this->get(self::params($client, ['scope' => 'read']))['kind']);
    }

    public function testClientWithoutTheCodeFlowIsUnauthorizedClient(): void
    {
        $client = self::client(['grant_types' => ['client_credentials'], 'response_types' => []]);
        $this->assertSame('unauthorized_client', $this->redirected($this->get(self::params($client)))['error']);
    }

    public function testTranslatedDescriptionsStayInTheAllowedCharacterSet(): void
    {
        $f = static fn($t, $text, $domain) => 'wp-oauth' === $domain ? 'Ünglültig: "' . $text . '" \\ ✓' : $t;
        add_filter('gettext', $f, 10, 3);
        try {
            $q = $this->redirected($this->get(self::params(self::client(), ['response_type' => 'token'])));
        } finally {
            remove_filter('gettext', $f, 10);
        }
        $this->assertSame('unsupported_response_type', $q['error']);
        $this->assertMatchesRegularExpression('/^Unglultig: Only response_type=code is supported\.\s*$/', $q['error_description']);
    }

    // ---- Accepted requests ------------------------------------------------------------------

    public function testValidRequestShowsConsentForTheExactRequest(): void
    {
        $client = self::client();
        $params = self::params($client, ['scope' => 'write read']);
        $r = $this->get($params);
        $this->assertSame('consent', $r['kind']);
        $this->assertSame(200, $r['status']);
        $this->assertSame('read write', $r['request']['scope'], 'canonical order');
        $this->assertSame(self::APP, $r['request']['redirect_uri']);
        $this->assertSame($params['state'], $r['request']['state']);
        $this->assertSame(\Wpoa\Urls::audience(), $r['request']['audience']);
        $this->assertFalse($r['approved_before']);
        $this->assertSame(1, wp_verify_nonce($r['nonce'], \Wpoa\Authorize_Endpoint::nonce_action($r['request'])));
        $this->assertSame(0, self::codesOf($client), 'nothing stored before approval');
    }

    public function testDefaultsAndOptionalParameters(): void
    {
        $single = self::client([], [self::WEB]);
        $r = $this->get(self::params($single, ['redirect_uri' => null, 'scope' => null, 'state' => null]));
        $this->assertSame('consent', $r['kind']);
        $this->assertSame(self::WEB, $r['request']['redirect_uri'], 'the only registered URI');
        $this->assertSame('read', $r['request']['scope'], 'default scope');
        $this->assertNull($r['request']['state']);
        $ceiling = self::client(['scope' => 'write']);
        $this->assertSame('write', $this->get(self::params($ceiling, ['scope' => null]))['request']['scope'], 'default within the registered scope');
        // Unknown parameters are ignored (RFC 6749 §3.1).
        $this->assertSame('consent', $this->get(self::params($single, ['redirect_uri' => self::WEB, 'foo' => 'bar', 'nonce' => 'n']))['kind']);
    }

    /** @return array<string, array{0: string}> */
    public function ourResources(): array
    {
        $url = wpoa_site()['url'];
        return ['audience' => [$url . '/wp-json/'], 'audience without slash' => [$url . '/wp-json'], 'site' => [$url], 'site with slash' => [$url . '/']];
    }

    /** @dataProvider ourResources */
    public function testResourceNamingThisSiteIsAccepted(string $resource): void
    {
        $r = $this->get(self::params(self::client(), ['resource' => $resource]));
        $this->assertSame('consent', $r['kind']);
        $this->assertSame(wpoa_site()['url'] . '/wp-json/', $r['request']['audience']);
    }

    public function testLoopbackPortMayDiffer(): void
    {
        $client = self::client();
        $r = $this->get(self::params($client, ['redirect_uri' => 'http://127.0.0.1:50123/callback']));
        $this->assertSame('consent', $r['kind']);
        $this->assertSame('http://127.0.0.1:50123/callback', $r['request']['redirect_uri'], 'the code goes to the port the client asked for');
    }

    public function testNotLoggedInGoesToWordPressLoginAndBack(): void
    {
        $params = self::params(self::client());
        $r = $this->get($params, 0);
        $this->assertSame('login', $r['kind']);
        $this->assertStringStartsWith(wpoa_site()['url'] . '/wp-login.php?redirect_to=', $r['location']);
        parse_str((string) parse_url($r['location'], PHP_URL_QUERY), $q);
        $back = $q['redirect_to'];
        $this->assertStringStartsWith(wpoa_site()['url'] . '/wp-login.php?action=oauth_authorize&', $back);
        parse_str((string) parse_url($back, PHP_URL_QUERY), $b);
        foreach (['client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'response_type'] as $k) {
            $this->assertSame($params[$k], $b[$k], $k);
        }
        $this->assertArrayNotHasKey('reauth', $q);
    }

    public function testPromptLoginForcesReauthenticationOnce(): void
    {
        $r = $this->get(self::params(self::client(), ['prompt' => 'login consent']));
        $this->assertSame('login', $r['kind']);
        parse_str((string) parse_url($r['location'], PHP_URL_QUERY), $q);
        $this->assertSame('1', $q['reauth']);
        parse_str((string) parse_url($q['redirect_to'], PHP_URL_QUERY), $b);
        $this->assertSame('consent', $b['prompt'], 'login is dropped so that the way back does not loop');
    }

    public function testPromptNoneWithoutSessionIsLoginRequired(): void
    {
        $q = $this->redirected($this->get(self::params(self::client(), ['prompt' => 'none']), 0));
        $this->assertSame('login_required', $q['error']);
    }

    public function testPromptNoneWithoutConsentIsConsentRequired(): void
    {
        $client = self::client();
        $this->assertSame('consent_required', $this->redirected($this->get(self::params($client, ['prompt' => 'none'])))['error']);
        $this->assertSame(0, self::codesOf($client));
    }

    public function testFilterCanRefuseAUser(): void
    {
        add_filter('wpoa_user_can_authorize', static fn($ok, $user) => !in_array('author', $user->roles, true), 10, 2);
        $this->assertSame('access_denied', $this->redirected($this->get(self::params(self::client())))['error']);
    }

    // ---- Remembered consent -----------------------------------------------------------------

    public function testRememberedConsentIssuesACodeWithoutAScreen(): void
    {
        $client = self::client();
        \Wpoa\Grant_Repository::create($client->client_id, wpoa_user('author')->ID, 'read write', \Wpoa\Urls::audience(), time());
        $params = self::params($client, ['scope' => 'read']);
        $r = $this->get($params);
        $this->assertSame(302, $r['status']);
        $q = $this->redirected($r);
        $this->assertMatchesRegularExpression('/^[A-Za-z0-9_-]{43}$/', $q['code']);
        $this->assertSame($params['state'], $q['state']);
        $this->assertSame([[$client->client_id, wpoa_user('author')->ID, 'read', true]], $this->actions['wpoa_authorization_approved']);
        // prompt=none works too; a wider scope or prompt=consent shows the screen.
        $this->assertArrayHasKey('code', $this->redirected($this->get(self::params($client, ['scope' => 'read write', 'prompt' => 'none']))));
        $this->assertSame('consent_required', $this->redirected($this->get(self::params($client, ['scope' => 'read write full', 'prompt' => 'none'])))['error']);
        $again = $this->get(self::params($client, ['prompt' => 'consent']));
        $this->assertSame('consent', $again['kind']);
        $this->assertTrue($again['approved_before']);
        // Another user is asked.
        wp_set_current_user(wpoa_user('admin')->ID);
        $this->assertSame('consent', $this->get(self::params($client), wpoa_user('admin')->ID)['kind']);
    }

    public function testRevokedConsentIsAskedAgain(): void
    {
        $client = self::client();
        $grant = \Wpoa\Grant_Repository::create($client->client_id, wpoa_user('author')->ID, 'read write', \Wpoa\Urls::audience(), time());
        \Wpoa\Grant_Repository::revoke($grant, 'user_revoked');
        $r = $this->get(self::params($client));
        $this->assertSame('consent', $r['kind']);
        $this->assertTrue($r['approved_before'], 'but the screen says it was approved before');
    }

    // ---- The consent form ---------------------------------------------------------------------

    /** The POST the consent screen sends. */
    private function form(array $consent, string $decision, array $change = []): array
    {
        $post = \Wpoa\Authorize_Endpoint::form_fields($consent['request']);
        $post[\Wpoa\Authorize_Endpoint::NONCE_FIELD] = $consent['nonce'];
        $post[\Wpoa\Authorize_Endpoint::DECISION_FIELD] = $decision;
        return array_filter(array_merge($post, $change), static fn($v) => null !== $v);
    }

    public function testApproveIssuesACodeBoundToEverything(): void
    {
        $client = self::client();
        $params = self::params($client, ['redirect_uri' => 'http://127.0.0.1:50999/callback', 'resource' => wpoa_site()['url'] . '/wp-json']);
        $consent = $this->get($params);
        $r = $this->endpoint->decide_post($this->form($consent, 'approve'), wpoa_user('author')->ID);
        $this->assertSame(303, $r['status'], 'See Other after a POST (RFC 9700 §4.12)');
        $q = $this->redirected($r, 'http://127.0.0.1:50999/callback');
        $this->assertSame(['code', 'state', 'iss'], array_keys($q));
        $this->assertSame($params['state'], $q['state']);
        $this->assertSame(wpoa_site()['url'], $q['iss']);
        $row = \Wpoa\Code_Repository::find($q['code']);
        $this->assertSame($client->client_id, $row->client_id);
        $this->assertSame((string) wpoa_user('author')->ID, $row->user_id);
        $this->assertSame('http://127.0.0.1:50999/callback', $row->redirect_uri);
        $this->assertSame(self::CHALLENGE, $row->code_challenge);
        $this->assertSame('read write', $row->scope);
        $this->assertSame(wpoa_site()['url'] . '/wp-json/', $row->audience);
        $this->assertSame(60, (int) $row->expires_at - (int) $row->created_at);
        $this->assertSame([[$client->client_id, wpoa_user('author')->ID, 'read write', false]], $this->actions['wpoa_authorization_approved']);
    }

    public function testDenyRedirectsWithAccessDenied(): void
    {
        $client = self::client();
        $params = self::params($client);
        $r = $this->endpoint->decide_post($this->form($this->get($params), 'deny'), wpoa_user('author')->ID);
        $this->assertSame(303, $r['status']);
        $q = $this->redirected($r);
        $this->assertSame('access_denied', $q['error']);
        $this->assertSame($params['state'], $q['state']);
        $this->assertSame(wpoa_site()['url'], $q['iss']);
        $this->assertSame(0, self::codesOf($client));
        $this->assertSame([[$client->client_id, wpoa_user('author')->ID, 'read write']], $this->actions['wpoa_authorization_denied']);
    }

    /** @return array<string, array{0: callable}> changes to the posted form */
    public function tamperedForms(): array
    {
        return [
            'scope widened' => [fn() => ['scope' => 'read write full']],
            'scope narrowed' => [fn() => ['scope' => 'read']],
            'other registered redirect_uri' => [fn() => ['redirect_uri' => self::WEB]],
            'state swapped' => [fn() => ['state' => 'attacker-state']],
            'state removed' => [fn() => ['state' => null]],
            'challenge swapped' => [fn() => ['code_challenge' => str_repeat('A', 43)]],
            'resource added' => [fn() => ['resource' => wpoa_site()['url']]],
            'nonce missing' => [fn() => [\Wpoa\Authorize_Endpoint::NONCE_FIELD => null]],
            'nonce wrong' => [fn() => [\Wpoa\Authorize_Endpoint::NONCE_FIELD => 'abcdef1234']],
            'nonce as array' => [fn() => [\Wpoa\Authorize_Endpoint::NONCE_FIELD => ['x']]],
        ];
    }

    /** @dataProvider tamperedForms */
    public function testTamperedFormIsRefusedWithoutACode(callable $change): void
    {
        $client = self::client();
        $consent = $this->get(self::params($client));
        $r = $this->endpoint->decide_post($this->form($consent, 'approve', $change()), wpoa_user('author')->ID);
        $this->assertSame('error', $r['kind'], wp_json_encode($r));
        $this->assertSame(403, $r['status']);
        $this->assertSame(0, self::codesOf($client));
        $this->assertArrayNotHasKey('wpoa_authorization_approved', $this->actions);
    }

    public function testFormOfAnotherUserIsRefused(): void
    {
        $client = self::client();
        $consent = $this->get(self::params($client));
        wp_set_current_user(wpoa_user('admin')->ID);
        $r = $this->endpoint->decide_post($this->form($consent, 'approve'), wpoa_user('admin')->ID);
        $this->assertSame(403, $r['status']);
        $this->assertSame(0, self::codesOf($client));
    }

    public function testFormWithoutADecisionIsAnErrorPage(): void
    {
        $client = self::client();
        $consent = $this->get(self::params($client));
        foreach (['', 'maybe'] as $decision) {
            $r = $this->endpoint->decide_post($this->form($consent, $decision), wpoa_user('author')->ID);
            $this->assertSame(['error', 400], [$r['kind'], $r['status']]);
        }
        $this->assertSame(0, self::codesOf($client));
    }

    public function testFormAfterLogoutGoesToLogin(): void
    {
        $client = self::client();
        $consent = $this->get(self::params($client));
        wp_set_current_user(0);
        $this->assertSame('login', $this->endpoint->decide_post($this->form($consent, 'approve'), 0)['kind']);
        $this->assertSame(0, self::codesOf($client));
    }

    public function testFormForADeletedClientIsAnErrorPage(): void
    {
        $client = self::client();
        $consent = $this->get(self::params($client));
        \Wpoa\Client_Repository::delete($client->client_id);
        $r = $this->endpoint->decide_post($this->form($consent, 'approve'), wpoa_user('author')->ID);
        $this->assertSame(['error', 400], [$r['kind'], $r['status']]);
    }

    // ---- HTML -----------------------------------------------------------------------------------

    private function render(string $template, array $view): string
    {
        ob_start();
        try {
            \Wpoa\Authorize_Endpoint::render($template, $view);
        } finally {
            $html = (string) ob_get_clean();
        }
        return $html;
    }

    public function testConsentScreenShowsWhatTheIssueAsksAndEscapesIt(): void
    {
        $client = self::client(['client_name' => '<img src=x onerror=alert(1)> Evil "App"', 'client_uri' => 'https://www.example.org/about']);
        $consent = $this->get(self::params($client, ['state' => '"><script>alert(2)</script>']));
        $html = $this->render('consent', $consent);
        $this->assertStringNotContainsString('<img src=x', $html);
        $this->assertStringNotContainsString('<script>alert(2)', $html);
        $this->assertStringContainsString('&lt;img src=x onerror=alert(1)&gt; Evil &quot;App&quot;', $html);
        $this->assertStringContainsString('www.example.org', $html, 'client_uri host');
        $this->assertStringContainsString('com.example.app:', $html, 'the app scheme it goes back to');
        $this->assertStringContainsString('id="wpoa-first-time"', $html);
        $this->assertStringContainsString('registered itself', $html);
        $author = wpoa_user('author');
        $this->assertStringContainsString(esc_html($author->display_name), $html);
        $this->assertStringContainsString('action=logout', $html, '"Not you?" link');
        foreach (\Wpoa\Scopes::all() as $token => $def) {
            $shown = in_array($token, ['read', 'write'], true);
            $this->assertSame($shown, false !== strpos($html, esc_html($def['description'])), $token);
        }
        // The form posts the validated request and the nonce.
        $this->assertStringContainsString('name="' . \Wpoa\Authorize_Endpoint::NONCE_FIELD . '" value="' . $consent['nonce'] . '"', $html);
        $this->assertStringContainsString('name="state" value="&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"', $html);
        $this->assertStringContainsString('value="approve"', $html);
        $this->assertStringContainsString('value="deny"', $html);
    }

    public function testConsentScreenSaysWhenApprovedBeforeAndNamesWebAndLoopbackTargets(): void
    {
        $client = self::client([], [self::APP, self::WEB, self::LOOP], 1);
        \Wpoa\Grant_Repository::create($client->client_id, wpoa_user('author')->ID, 'read', \Wpoa\Urls::audience(), time());
        $html = $this->render('consent', $this->get(self::params($client, ['redirect_uri' => self::WEB, 'scope' => 'read write'])));
        $this->assertStringContainsString('id="wpoa-approved-before"', $html);
        $this->assertStringNotContainsString('registered itself', $html, 'made by an administrator');
        $this->assertStringContainsString('<strong>client.example</strong>', $html);
        $html = $this->render('consent', $this->get(self::params($client, ['redirect_uri' => self::LOOP])));
        $this->assertStringContainsString('running on this device', $html);
    }

    public function testRedirectUrlKeepsTheRegisteredQuery(): void
    {
        $this->assertSame('https://c.example/cb?x=1&code=a&iss=https%3A%2F%2Fs', \Wpoa\Authorize_Endpoint::redirect_url('https://c.example/cb?x=1', ['code' => 'a', 'state' => null, 'iss' => 'https://s']));
        $this->assertSame('com.example.app:/cb?state=a%20b%26c', \Wpoa\Authorize_Endpoint::redirect_url('com.example.app:/cb', ['state' => 'a b&c']));
    }

    // ---- The published endpoint has no query; the screen stays on the login page ----------

    public function testPublishedEndpointSendsTheRequestOnToTheLoginScreenUnchanged(): void
    {
        $site = wpoa_site()['url'];
        $get = \Wpoa\Authorize_Endpoint::login_screen_target('/oauth/authorize?response_type=code&client_id=abc&state=a%20b', 'GET');
        $this->assertSame(['status' => 302, 'location' => "$site/wp-login.php?action=oauth_authorize&response_type=code&client_id=abc&state=a%20b"], $get);
        $post = \Wpoa\Authorize_Endpoint::login_screen_target('/oauth/authorize', 'POST');
        $this->assertSame(['status' => 307, 'location' => "$site/wp-login.php?action=oauth_authorize"], $post, 'method and body kept');
        $raw = \Wpoa\Authorize_Endpoint::login_screen_target("/oauth/authorize/?state=\r\nSet-Cookie:x", 'GET');
        $this->assertSame("$site/wp-login.php?action=oauth_authorize&state=%0D%0ASet-Cookie:x", $raw['location'], 'no header injection');
        $this->assertNull(\Wpoa\Authorize_Endpoint::login_screen_target('/oauth/authorizex', 'GET'));
        $this->assertNull(\Wpoa\Authorize_Endpoint::login_screen_target('/blog/oauth/authorize', 'GET'));
        $this->assertNull(\Wpoa\Authorize_Endpoint::login_screen_target('/wp-login.php', 'GET'));
    }

    // ---- Resources below the REST root (an MCP server inside WordPress) --------------------

    public function testResourceBelowTheRestRootIsGrantedAsItsOwnAudience(): void
    {
        $mcp = wpoa_site()['url'] . '/wp-json/mcp/mcp-adapter-default-server';
        $client = self::client();
        $r = $this->get(self::params($client, ['resource' => $mcp]));
        $this->assertSame('consent', $r['kind']);
        $this->assertSame($mcp, $r['request']['audience']);
        $html = $this->render('consent', $r);
        $this->assertStringContainsString('Access is limited to <code>' . esc_html($mcp) . '</code>', $html);

        $approved = $this->endpoint->decide_post(\Wpoa\Authorize_Endpoint::form_fields($r['request']) + [
            \Wpoa\Authorize_Endpoint::DECISION_FIELD => 'approve',
            \Wpoa\Authorize_Endpoint::NONCE_FIELD => $r['nonce'],
        ], wpoa_user('author')->ID);
        $q = $this->redirected($approved);
        global $wpdb;
        $t = \Wpoa\Schema::tables()['codes'];
        $this->assertSame($mcp, $wpdb->get_var($wpdb->prepare("SELECT audience FROM {$t} WHERE client_id = %s", $client->client_id)));
        $this->assertSame(wpoa_site()['url'], $q['iss']);
    }

    public function testTwoDifferentResourcesAreRefused(): void
    {
        $site = wpoa_site()['url'];
        $client = self::client();
        $query = self::query(self::params($client, ['resource' => "$site/wp-json/mcp/a"])) . '&resource=' . rawurlencode("$site/wp-json/mcp/b");
        $q = $this->redirected($this->endpoint->decide_get($query, wpoa_user('author')->ID));
        $this->assertSame('invalid_target', $q['error']);
        $this->assertSame($site, $q['iss']);
        $this->assertSame(0, self::codesOf($client));
    }

    public function testLocalhostRedirectUriWithAnyPortIsALoopbackRedirect(): void
    {
        $client = self::client([], ['http://localhost/callback']);
        $r = $this->get(self::params($client, ['redirect_uri' => 'http://localhost:33418/callback']));
        $this->assertSame('consent', $r['kind']);
        $this->assertSame('http://localhost:33418/callback', $r['request']['redirect_uri']);
        $this->assertSame(['kind' => 'loopback', 'label' => 'localhost'], \Wpoa\Authorize_Endpoint::describe_redirect('http://localhost:33418/callback'));
        $this->assertStringContainsString('an application running on this device', $this->render('consent', $r));
        $other = $this->get(self::params($client, ['redirect_uri' => 'http://127.0.0.1:33418/callback']));
        $this->assertSame('error', $other['kind'], 'the host must match; only the port may vary');
    }

    public function testDisguisedStoredNameIsNeutralizedOnTheConsentScreen(): void
    {
        $client = self::client(['client_name' => "Word\u{202E}sserP\u{202C} \u{200B}Official"]);
        $html = $this->render('consent', $this->get(self::params($client)));
        $this->assertStringContainsString('<span class="wpoa-client-name">WordsserP Official</span>', $html);
        $this->assertDoesNotMatchRegularExpression('/[\x{202A}-\x{202E}\x{200B}]/u', $html);
    }
}
