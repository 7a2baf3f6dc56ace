#!/usr/bin/env bash
# Start the local stack: MariaDB, php-fpm (node1+node2 with the extension, noext without),
# nginx with TLS, and a WordPress installed once per run dir. Idempotent: if everything is
# already running it does nothing. See scripts/lib/common.sh for WPOA_RUN / WPOA_PORT, and for
# WPOA_WEB / WPOA_PHP, which put Apache (lib/apache.sh) in nginx's place or pick another PHP.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# WPOA_OBJECT_CACHE=redis: a shared Redis object cache (redis-server + object-cache.php drop-in).
source "$REPO/scripts/lib/redis.sh"
# WPOA_URL_SHAPE: where WordPress lives on the origin (sub-directory, own directory, plain
# permalinks, REST prefix); sets SITE_URL, DOC_ROOT and the url_shape_* steps below.
source "$REPO/scripts/lib/url-shapes.sh"
source "$REPO/scripts/lib/multisite.sh"   # WPOA_MULTISITE: a network instead of a single site

t0=$(now_ms)
stack_lock

# ---- already running? ---------------------------------------------------------------------
# What the stack is started as: a running stack started otherwise is restarted, never reused.
stack_mode="url_shape=$URL_SHAPE multisite=${MULTISITE:-no} object_cache=${OBJECT_CACHE:-none}"
running=0
for s in "${SERVICES[@]}"; do alive "$s" && running=$((running + 1)); done
if (( running == ${#SERVICES[@]} )); then
  if [ "$(cat "$RUN/port" 2>/dev/null)" != "$PORT" ]; then
    die "a stack is already running from $RUN on port $(cat "$RUN/port" 2>/dev/null); stop it (make down) or pick another WPOA_RUN"
  fi
  if [ "$(cat "$RUN/stack-mode" 2>/dev/null)" != "$stack_mode" ]; then
    log "the stack runs as '$(cat "$RUN/stack-mode" 2>/dev/null)', wanted '$stack_mode': restarting"
    bash "$REPO/scripts/down.sh"
    running=0
  elif [ -f "$EXT_SRC" ] && ! cmp -s "$EXT_SRC" "$EXT_SO"; then
    log "the extension was rebuilt since the stack started: restarting to load it"
    bash "$REPO/scripts/down.sh"
    running=0
  else
    log "already running: $SITE_URL (run dir $RUN)"
    exit 0
  fi
fi
if (( running > 0 )); then
  warn "stack is partly running; restarting it"
  bash "$REPO/scripts/down.sh"
fi

# ---- preconditions --------------------------------------------------------------------------
ports=("$PORT" "$NODE2_PORT" "$NOEXT_PORT" "$HTTP_PORT" "$REDIRECT_PORT" "$DB_PORT")
if [ "$WEB" = nginx ]; then ports+=("$STRIPPED_PORT"); else ports+=("$FALLBACK_PORT"); fi
for p in "${ports[@]}"; do
  port_busy "$p" && die "port $p is already in use; set WPOA_PORT to another base port (now $PORT)"
done
bad=$(fetch_safe_ports "$PORT" "$NODE2_PORT" "$NOEXT_PORT" "$FALLBACK_PORT" "$STRIPPED_PORT" "$HTTP_PORT" "$REDIRECT_PORT") \
  || die "WPOA_PORT=$PORT gives port $bad, which browsers and Node's fetch() refuse to connect to; pick another WPOA_PORT"
web_bin=nginx; [ "$WEB" = nginx ] || web_bin=apache2
for bin in mariadbd mariadb-install-db mariadb "$PHP_FPM" "$web_bin" openssl php jq; do
  command -v "$bin" >/dev/null || die "$bin not found; run: make deps"
done
[ -f /usr/share/wordpress/wp-load.php ] || die "WordPress (Debian package 'wordpress') missing; run: make deps"

mkdir -p "$RUN"/{logs,pids,tls,tmp,php,php-noext,nginx/tmp,nginx/static/.well-known} "$SOCK_DIR"
rm -f "$SOCK_DIR"/*.sock "$RUN"/pids/*.pid
echo "$PORT" > "$RUN/port"
echo "$stack_mode" > "$RUN/stack-mode"

# The extension: copy it so a rebuild of target/ never disturbs running workers.
if [ -f "$EXT_SRC" ]; then
  cp -f "$EXT_SRC" "$EXT_SO.tmp" && mv -f "$EXT_SO.tmp" "$EXT_SO"
elif [ "${WPOA_NO_EXT:-0}" = 1 ]; then
  warn "WPOA_NO_EXT=1: starting without $EXT_SRC (the plugin will show its 'extension missing' notice)"
  rm -f "$EXT_SO"
else
  die "$EXT_SRC not built; run: make ext  (or WPOA_NO_EXT=1 to start without it)"
fi

# ---- TLS: a local CA and a localhost certificate it signs -------------------------------------
if ! openssl x509 -checkend 86400 -noout -in "$RUN/tls/server.pem" >/dev/null 2>&1; then
  (
    cd "$RUN/tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
      -keyout ca.key -out ca.pem -subj "/CN=WP OAuth local test CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
      -out server.csr -subj "/CN=localhost" 2>/dev/null
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1$(ms_cert_names)" > server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 397 \
      -extfile server.ext -out server.pem 2>/dev/null
    rm -f server.csr
    chmod 600 ca.key server.key
  ) || die "could not make the TLS certificate"
fi

fail() { # service log
  tail_log "$2"
  bash "$REPO/scripts/down.sh" >/dev/null 2>&1 || true
  die "$1 did not start (log: $2)"
}

# ---- Redis, in WPOA_OBJECT_CACHE=redis mode (lib/redis.sh): first, so a failure leaves nothing behind
redis_start || fail redis-server "$RUN/logs/redis.log"

# ---- MariaDB --------------------------------------------------------------------------------
db_fresh=0
if [ ! -d "$RUN/mysql/mysql" ]; then
  db_fresh=1
  rm -rf "$RUN/mysql"
  mariadb-install-db --no-defaults --user=root --datadir="$RUN/mysql" --skip-test-db \
    --auth-root-authentication-method=socket > "$RUN/logs/mariadb-install.log" 2>&1 \
    || { tail_log "$RUN/logs/mariadb-install.log"; die "mariadb-install-db failed"; }
fi
launch_mariadbd
db_launcher=$!

# ---- PHP ------------------------------------------------------------------------------------
common_ini() {
  cat <<INI
; generated by scripts/up.sh
opcache.enable=1
opcache.enable_cli=0
opcache.validate_timestamps=1
; the plugin is a symlink to the working tree: see edits at once
opcache.revalidate_freq=0
opcache.memory_consumption=128
log_errors=On
display_errors=Off
error_log=$RUN/logs/php-error.log
memory_limit=256M
upload_max_filesize=16M
post_max_size=16M
max_execution_time=120
INI
}
{ common_ini; [ -f "$EXT_SO" ] && echo "extension=$EXT_SO"; } > "$RUN/php/zz-wp-oauth.ini"
common_ini > "$RUN/php-noext/zz-wp-oauth-noext.ini"

fpm_pool() { # name
  cat <<POOL
[$1]
user = root
group = root
listen = $SOCK_DIR/$1.sock
listen.mode = 0660
$([ "$WEB" = nginx ] || echo "listen.owner = www-data")
pm = static
pm.max_children = 4
pm.max_requests = 0
request_terminate_timeout = 120
catch_workers_output = yes
decorate_workers_output = no
env[WPOA_NODE] = $1
env[WPOA_RUN] = $RUN
env[TMPDIR] = $RUN/tmp
POOL
}
{ printf '[global]\npid = %s\nerror_log = %s\ndaemonize = yes\n\n' "$RUN/pids/php-fpm.pid" "$RUN/logs/php-fpm.log"
  fpm_pool node1; echo; fpm_pool node2; } > "$RUN/php/php-fpm.conf"
{ printf '[global]\npid = %s\nerror_log = %s\ndaemonize = yes\n\n' "$RUN/pids/php-fpm-noext.pid" "$RUN/logs/php-fpm-noext.log"
  fpm_pool noext; } > "$RUN/php-noext/php-fpm.conf"

# php-fpm with daemonize=yes returns once the master is ready. Under mod_php, Apache runs the
# PHP of node1 and node2 itself.
fpm_a=
if [ "$WEB" != apache-modphp ]; then
  PHP_INI_SCAN_DIR="$PHP_CONF_D:$RUN/php" "$PHP_FPM" -R -y "$RUN/php/php-fpm.conf" \
    </dev/null >>"$RUN/logs/php-fpm.log" 2>&1 9>&- &
  fpm_a=$!
fi
PHP_INI_SCAN_DIR="$PHP_CONF_D:$RUN/php-noext" "$PHP_FPM" -R -y "$RUN/php-noext/php-fpm.conf" \
  </dev/null >>"$RUN/logs/php-fpm-noext.log" 2>&1 9>&- &
fpm_b=$!

# ---- web server: nginx, or Apache (lib/apache.sh) ----------------------------------------------
nginx_server() { # listen-port tls(0/1) pool [stripped]
  # "stripped": what a misconfigured host does (Site Health must say so): the Authorization header
  # never reaches PHP, and /.well-known/ is a static folder (as often set up for ACME certificates).
  local tls="" stripped=${4:-}
  [ "$2" = 1 ] && tls=" ssl http2"
  cat <<NGX
  server {
    listen 127.0.0.1:$1$tls;
    server_name localhost 127.0.0.1;
    root $DOC_ROOT;
    index index.php index.html;
$(ms_nginx_rules)
NGX
  [ "$2" = 1 ] && cat <<NGX
    ssl_certificate     $RUN/tls/server.pem;
    ssl_certificate_key $RUN/tls/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
NGX
  cat <<NGX
$(url_shape_nginx_locations)
NGX
  [ -n "$stripped" ] && cat <<NGX
    location ^~ /.well-known/ { root $RUN/nginx/static; }
NGX
  cat <<NGX
    location ~ \.php\$ {
      try_files \$uri =404;
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
NGX
  if [ -n "$stripped" ]; then
    echo '      fastcgi_param HTTP_AUTHORIZATION "" if_not_empty;   # hides the request header from PHP'
  else
    echo '      fastcgi_param HTTP_AUTHORIZATION $http_authorization;'
  fi
  cat <<NGX
      # Debian's fastcgi_params sends HTTP_HOST as \$host, which drops the port: WordPress
      # would then canonical-redirect every front-end page to itself (home has the port).
      fastcgi_param HTTP_HOST \$host:\$server_port;
NGX
  [ "$2" = 1 ] && echo "      fastcgi_param HTTPS on;"
  cat <<NGX
      fastcgi_pass unix:$SOCK_DIR/$3.sock;
      fastcgi_read_timeout 120s;
      fastcgi_buffer_size 32k;
      fastcgi_buffers 16 16k;
    }
  }
NGX
}
[ "$WEB" = nginx ] && cat > "$RUN/nginx/nginx.conf" <<NGX
# generated by scripts/up.sh
user root;
worker_processes 2;
pid $RUN/pids/nginx.pid;
error_log $RUN/logs/nginx-error.log warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log $RUN/logs/nginx-access.log;
  client_body_temp_path $RUN/nginx/tmp/body;
  proxy_temp_path $RUN/nginx/tmp/proxy;
  fastcgi_temp_path $RUN/nginx/tmp/fastcgi;
  uwsgi_temp_path $RUN/nginx/tmp/uwsgi;
  scgi_temp_path $RUN/nginx/tmp/scgi;
  client_max_body_size 16m;
  sendfile on;
  keepalive_timeout 65;
  server_tokens off;
$(nginx_server "$PORT" 1 node1)
$(nginx_server "$NODE2_PORT" 1 node2)
$(nginx_server "$NOEXT_PORT" 1 noext)
$(nginx_server "$STRIPPED_PORT" 1 node2 stripped)
$(nginx_server "$HTTP_PORT" 0 node1)
  # What a real site does on port 80: every request to the same path over HTTPS.
  server {
    listen 127.0.0.1:$REDIRECT_PORT;
    server_name localhost 127.0.0.1;
    return 301 https://localhost:$PORT\$request_uri;
  }
}
NGX
if [ "$WEB" = nginx ]; then
  nginx -e "$RUN/logs/nginx-error.log" -c "$RUN/nginx/nginx.conf" </dev/null >>"$RUN/logs/nginx-error.log" 2>&1 9>&- &
  web_launcher=$! web_log=$RUN/logs/nginx-error.log
else
  rm -f "$RUN/nginx/nginx.conf"
  source "$REPO/scripts/lib/apache.sh"
  mkdir -p "$WP_DIR"
  apache_start || fail apache2 "$RUN/logs/apache-configtest.log"
  web_launcher=$! web_log=$RUN/logs/apache-error.log
fi

# ---- WordPress files (once) and config (every start: the port may change) ---------------------
if [ ! -f "$WP_DIR/wp-load.php" ]; then
  rm -rf "$WP_DIR" && mkdir -p "$WP_DIR"
  # Copy, following Debian's symlinks; its wp-config.php reads /etc/wordpress, so write our own.
  tar -C /usr/share/wordpress -chf - --exclude=./wp-config.php --exclude=./.htaccess . \
    | tar -C "$WP_DIR" -xf -
  mkdir -p "$WP_DIR/wp-content/uploads"
fi
# Apache's workers are www-data: hand them what mod_php writes (lib/apache.sh), now that it exists.
[ "$WEB" = nginx ] || apache_prepare
ln -sfn "$REPO/wp-plugin" "$WP_DIR/wp-content/plugins/wp-oauth"
url_shape_files
if [ ! -s "$RUN/wp-salts.php" ]; then
  { echo "<?php"
    for k in AUTH_KEY SECURE_AUTH_KEY LOGGED_IN_KEY NONCE_KEY AUTH_SALT SECURE_AUTH_SALT LOGGED_IN_SALT NONCE_SALT; do
      echo "define('$k', '$(openssl rand -hex 32)');"
    done; } > "$RUN/wp-salts.php"
fi
cat > "$WP_DIR/wp-config.php" <<PHP
<?php
// Generated by scripts/up.sh for the local stack only. Do not edit: regenerated on every start.
define('DB_NAME', getenv('WPOA_DB_NAME') ?: '$DB_NAME');
define('DB_USER', '$DB_USER');
define('DB_PASSWORD', '$DB_PASSWORD');
define('DB_HOST', 'localhost:$DB_SOCK');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
require __DIR__ . '/../wp-salts.php';
// 'global' keeps this right when WordPress is loaded from inside a function (PHPUnit bootstrap).
global \$table_prefix;
\$table_prefix = 'wp_';
$(ms_wp_config)
// A network's sites have their own addresses (their home and siteurl options).
defined('MULTISITE') || define('WP_HOME', '$SITE_URL');
defined('MULTISITE') || define('WP_SITEURL', '$WP_SITEURL_VALUE');
define('WP_ENVIRONMENT_TYPE', 'production');
define('DISABLE_WP_CRON', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('FS_METHOD', 'direct');
define('WP_DEBUG', true);
define('WP_DEBUG_LOG', '$RUN/logs/wp-debug.log');
define('WP_DEBUG_DISPLAY', false);
define('WPOA_RUN', '$RUN');

if (!defined('ABSPATH')) {
    define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
PHP
cat > "$WP_DIR/wpoa-health.php" <<'PHP'
<?php
// Local stack health probe (not part of the plugin): proves which PHP serves the request and
// whether the wp_oauth extension is loaded in it.
header('Content-Type: application/json');
header('Cache-Control: no-store');
$version = null;
try {
    if (function_exists('wp_oauth_version')) {
        $version = wp_oauth_version();
    } elseif (extension_loaded('wp_oauth')) {
        $version = phpversion('wp_oauth');
    }
} catch (\Throwable $e) {
    $version = 'error: ' . $e->getMessage();
}
$opcache = function_exists('opcache_get_status') ? @opcache_get_status(false) : false;
echo json_encode([
    'sapi' => php_sapi_name(),
    'node' => getenv('WPOA_NODE') ?: null,
    'php_version' => PHP_VERSION,
    'wp_oauth_loaded' => extension_loaded('wp_oauth'),
    'wp_oauth_version' => $version,
    'opcache' => is_array($opcache) && !empty($opcache['opcache_enabled']),
    'https' => !empty($_SERVER['HTTPS']) && $_SERVER['HTTPS'] !== 'off',
    'pid' => getmypid(),
], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";
PHP

# A must-use plugin for the local stack only: no update checks against the outside world (they
# cannot succeed here and only fill the logs with warnings).
mkdir -p "$WP_DIR/wp-content/mu-plugins"
cat > "$WP_DIR/wp-content/mu-plugins/wpoa-local-stack.php" <<'PHP'
<?php
/* Plugin Name: WP OAuth local stack (generated by scripts/up.sh, not part of the project's plugin) */
foreach (['_maybe_update_core', '_maybe_update_plugins', '_maybe_update_themes'] as $f) {
    remove_action('admin_init', $f);
}
foreach (['load-plugins.php', 'load-update.php', 'load-update-core.php'] as $h) {
    remove_action($h, 'wp_update_plugins');
}
foreach (['load-themes.php', 'load-update.php', 'load-update-core.php'] as $h) {
    remove_action($h, 'wp_update_themes');
}
remove_action('wp_version_check', 'wp_version_check');
remove_action('init', 'wp_schedule_update_checks');
add_filter('pre_wp_mail', '__return_false');

// Which of PHP's sources of the Authorization header carry it on this web server, through the same
// rewriting as every REST request: tests/e2e/web-server.test.mjs compares nginx and Apache set-ups.
// Says only whether each source has a value that starts with the probe scheme, never the value.
add_action('rest_api_init', static function () {
    register_rest_route('wpoa-stack/v1', '/authorization-sources', [
        'methods' => 'GET',
        'permission_callback' => '__return_true',
        'callback' => static function () {
            $probe = static fn($v) => is_string($v) && 0 === strncasecmp($v, 'WpoaProbe ', 10);
            $headers = function_exists('getallheaders') ? (getallheaders() ?: []) : [];
            $from_headers = false;
            foreach ($headers as $name => $value) {
                if (0 === strcasecmp((string) $name, 'Authorization')) {
                    $from_headers = $probe($value);
                }
            }
            return [
                'HTTP_AUTHORIZATION' => $probe($_SERVER['HTTP_AUTHORIZATION'] ?? null),
                'REDIRECT_HTTP_AUTHORIZATION' => $probe($_SERVER['REDIRECT_HTTP_AUTHORIZATION'] ?? null),
                'getallheaders' => $from_headers,
                'sapi' => PHP_SAPI,
            ];
        },
    ]);
});
PHP
# Test fixtures (an MCP server inside WordPress, the test-only CIMD loopback switch): their own file.
cp "$REPO/tests/e2e/fixtures/wpoa-e2e-mu-plugin.php" "$WP_DIR/wp-content/mu-plugins/wpoa-e2e-mu-plugin.php"
redis_install_dropin

# ---- wait for the services ------------------------------------------------------------------
db_ready() { kill -0 "$db_launcher" 2>/dev/null && [ -S "$DB_SOCK" ] && mariadb-admin --no-defaults -uroot --socket="$DB_SOCK" ping; }
[ -z "$fpm_a" ] || wait "$fpm_a" || fail php-fpm "$RUN/logs/php-fpm.log"
wait "$fpm_b" || fail php-fpm-noext "$RUN/logs/php-fpm-noext.log"
wait "$web_launcher" || fail "$WEB_SERVICE" "$web_log"
wait_until 30 mariadb db_ready || fail mariadb "$RUN/logs/mariadb.log"
pools=(node1 node2 noext); [ "$WEB" = apache-modphp ] && pools=(noext)
for s in "${pools[@]}"; do
  wait_until 10 "php-fpm pool $s" test -S "$SOCK_DIR/$s.sock" || fail "php-fpm pool $s" "$RUN/logs/php-fpm.log"
done

# ---- database and WordPress install (once per run dir) ----------------------------------------
if (( db_fresh )) || [ ! -f "$RUN/db-ready" ]; then
  db_root <<SQL || fail mariadb "$RUN/logs/mariadb.log"
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS \`$DB_TEST_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'localhost', '$DB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`$DB_TEST_NAME\`.* TO '$DB_USER'@'localhost', '$DB_USER'@'127.0.0.1';
SQL
  touch "$RUN/db-ready"
fi
# Installs once (marker file); activates the plugin on every start, so a plugin that appeared
# since the last start gets activated too.
[ -f "$RUN/wp-installed" ] && export WPOA_SKIP_INSTALL=1
bash "$REPO/scripts/wp-setup.sh" "$DB_NAME" > "$RUN/users.json" 2> >(tee -a "$RUN/logs/wp-install.log" >&2) \
  || { tail_log "$RUN/logs/wp-install.log"; tail_log "$RUN/logs/php-error.log"; fail "WordPress install" "$RUN/logs/wp-debug.log"; }
touch "$RUN/wp-installed"
url_shape_options || fail "the URL shape's permalink setting" "$RUN/logs/wp-debug.log"

# ---- site.json for tests and the demo -----------------------------------------------------------
# php_cli: how the tests run PHP inside this stack's WordPress (a cell in a Debian root sets
# WPOA_PHP_CLI to a command that enters the root); php/wordpress/web: what serves the site.
wp_version=$(sed -n "s/^\$wp_version = '\([^']*\)';.*/\1/p" "$WP_DIR/wp-includes/version.php")
php_version=$(php -r 'echo PHP_VERSION;')
fallback_url=null; [ "$WEB" = nginx ] || fallback_url="\"https://localhost:$FALLBACK_PORT\""
stripped_url=null; [ "$WEB" = nginx ] && stripped_url="\"https://localhost:$STRIPPED_PORT\""
jq -n --arg php_cli "${WPOA_PHP_CLI:-php}" --arg web "$WEB" --arg wpv "$wp_version" --arg phpv "$php_version" \
  --argjson fallback_url "$fallback_url" --argjson stripped_url "$stripped_url" \
  --arg shape "$URL_SHAPE" --arg wp_site_url "$WP_SITEURL_VALUE" --arg origin "$ORIGIN_URL" \
  --arg url "$SITE_URL" --arg http_url "$HTTP_URL" --arg redirect_url "$REDIRECT_URL" --arg node2_url "$NODE2_URL" \
  --arg noext_url "$NOEXT_URL" --arg ca "$CA_CERT" --arg run "$RUN" --arg repo "$REPO" \
  --arg sock "$DB_SOCK" --argjson dbport "$DB_PORT" --arg dbuser "$DB_USER" --arg dbpass "$DB_PASSWORD" \
  --arg dbname "$DB_NAME" --arg dbtest "$DB_TEST_NAME" --arg wp "$WP_DIR" --arg ext "$EXT_SO" \
  --argjson port "$PORT" --slurpfile users "$RUN/users.json" '{
    url: $url, url_shape: $shape, wp_site_url: $wp_site_url, origin: $origin, http_url: $http_url, https_redirect_url: $redirect_url, node2_url: $node2_url, noext_url: $noext_url,
    port: $port, ca_cert: $ca, run_dir: $run, repo: $repo, wp_path: $wp, ext_so: $ext,
    logs: ($run + "/logs"), php_cli: $php_cli, web: $web, wordpress_version: $wpv, php_version: $phpv,
    fallback_url: $fallback_url, stripped_url: $stripped_url,
    db: {socket: $sock, host: "127.0.0.1", port: $dbport, user: $dbuser, password: $dbpass,
         name: $dbname, test_name: $dbtest},
    users: $users[0].users
  }' > "$RUN/site.json.tmp" && mv "$RUN/site.json.tmp" "$RUN/site.json"
redis_site_json
ms_setup || fail "the multisite network" "$RUN/logs/wp-install.log"

# WordPress's own .htaccess for Apache (lib/apache.sh), written once per run dir.
if [ "$WEB" != nginx ] && [ ! -s "$WP_DIR/.htaccess" ]; then
  apache_htaccess || { rm -f "$WP_DIR/.htaccess"; fail "WordPress's .htaccess" "$RUN/logs/wp-debug.log"; }
fi

# ---- end-to-end readiness: web server -> PHP (with the extension) -> WordPress ---------------
health() { curl -sS --fail --max-time 5 --cacert "$CA_CERT" "$SITE_URL/wpoa-health.php"; }
wait_until 15 "https health check" health || { tail_log "$web_log"; tail_log "$RUN/logs/php-fpm.log"; die "health check failed: $SITE_URL/wpoa-health.php"; }
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 --cacert "$CA_CERT" "$REST_ROOT_URL") || true
[ "$code" = 200 ] || { tail_log "$RUN/logs/php-error.log"; tail_log "$RUN/logs/wp-debug.log"; die "GET $REST_ROOT_URL answered $code"; }

log "up in $(( $(now_ms) - t0 )) ms ($WEB, PHP $php_version, WordPress $wp_version, $stack_mode): $SITE_URL  (node2 $NODE2_URL, no-extension $NOEXT_URL, plain HTTP $HTTP_URL, HTTP→HTTPS $REDIRECT_URL, MariaDB 127.0.0.1:$DB_PORT)"
log "run dir $RUN, logs in $RUN/logs"
