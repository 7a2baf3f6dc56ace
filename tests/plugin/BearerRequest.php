<?php
/**
 * A REST request authenticated by a real access token of a real grant, as bearer authentication
 * sees it: shared by the scope tests.
 */
trait BearerRequest
{
    private function auth(): \Wpoa\Bearer_Authenticator
    {
        $auth = \Wpoa\Plugin::component(\Wpoa\Bearer_Authenticator::class);
        $this->assertInstanceOf(\Wpoa\Bearer_Authenticator::class, $auth);
        return $auth;
    }

    private function enforcer(): \Wpoa\Scope_Enforcer
    {
        $enforcer = \Wpoa\Plugin::component(\Wpoa\Scope_Enforcer::class);
        $this->assertInstanceOf(\Wpoa\Scope_Enforcer::class, $enforcer);
        return $enforcer;
    }

    /** Authenticates this REST request as $role with a token of $scope; returns the user id. */
    private function actAs(string $role, string $scope): int
    {
        $user = wpoa_user($role);
        $clientId = 'bearer-' . wp_generate_password(12, false);
        \Wpoa\Client_Repository::insert(['client_id' => $clientId, 'redirect_uris' => ['https://c.example/cb'], 'metadata' => []]);
        $grant = \Wpoa\Grant_Repository::create($clientId, $user->ID, $scope, \Wpoa\Urls::audience(), time());
        $access = \Wpoa\Token_Issuer::access_token($clientId, $user->ID, $scope, $grant, \Wpoa\Urls::audience(), time());
        $_SERVER['REQUEST_URI'] = '/wp-json/wp/v2/posts';
        $_SERVER['HTTP_AUTHORIZATION'] = 'Bearer ' . $access['token'];
        $this->auth()->reset();
        $this->enforcer()->reset();
        $id = apply_filters('determine_current_user', false);
        $this->assertSame($user->ID, $id, 'token did not authenticate');
        wp_set_current_user($id);
        return $id;
    }

    /** Dispatches like the REST server, with the response filters a real request gets. */
    private function dispatch(string $method, string $route, array $body = []): WP_REST_Response
    {
        $request = new WP_REST_Request($method, $route);
        foreach ($body as $k => $v) {
            $request->set_param($k, $v);
        }
        $response = rest_do_request($request);
        return apply_filters('rest_post_dispatch', $response, rest_get_server(), $request);
    }
}
