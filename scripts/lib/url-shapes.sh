# shellcheck shell=bash
# URL shapes of the local stack: where WordPress lives on the origin and how its URLs look.
# Source it after lib/common.sh; do not run it. scripts/up.sh calls the url_shape_* functions.
#
#   WPOA_URL_SHAPE  one shape, or several joined with "+" (e.g. "subdir+plain"):
#     root    (default) WordPress at https://host/, pretty permalinks, REST at /wp-json/
#     subdir  WordPress in a sub-directory: home and siteurl https://host/blog; the origin root
#             serves only what docs/host-guide.md says it must (the well-known documents)
#     split   siteurl != home: core in /wp (https://host/wp/wp-login.php), home at https://host/
#     plain   plain permalinks: REST at /index.php?rest_route=/ (core's rest_url()), no rewrite rules
#     prefix  a non-default REST prefix (/api/ instead of /wp-json/) through the
#             `rest_url_prefix` filter in a must-use plugin
#
# Layout on disk: the core stays in $WP_DIR ($RUN/wordpress, which scripts and PHPUnit load);
# nginx serves $DOC_ROOT. For the root and plain shapes DOC_ROOT is WP_DIR; otherwise it is
# $RUN/docroot, where a symlink places the core at /blog (subdir) or /wp (split), and for split an
# index.php at the root loads WordPress as in WordPress's "Giving WordPress its own directory".
# Only nginx serves the non-root shapes (the Apache cells run the root shape).

URL_SHAPE=${WPOA_URL_SHAPE:-root}
URL_SHAPE_SUBDIR=/blog     # home path of the subdir shape
URL_SHAPE_CORE=/wp         # siteurl path of the split shape
URL_SHAPE_PREFIX=api       # REST prefix of the prefix shape

# url_shape_has NAME: whether the stack's shape includes NAME.
url_shape_has() { [[ "+$URL_SHAPE+" == *"+$1+"* ]]; }

for _s in ${URL_SHAPE//+/ }; do
  case $_s in
    root|subdir|split|plain|prefix) ;;
    *) die "WPOA_URL_SHAPE: unknown shape '$_s' (root, subdir, split, plain, prefix, or several joined with +)" ;;
  esac
done
unset _s
if url_shape_has subdir && url_shape_has split; then
  die "WPOA_URL_SHAPE: subdir and split cannot be combined (both decide where the core lives)"
fi
if [ "$URL_SHAPE" != root ] && [ "$WEB" != nginx ]; then
  die "WPOA_URL_SHAPE=$URL_SHAPE runs with nginx only (WPOA_WEB=$WEB)"
fi

# Paths: HOME_PATH is home's path, CORE_PATH is siteurl's path ('' at the root).
HOME_PATH=''; CORE_PATH=''
if url_shape_has subdir; then HOME_PATH=$URL_SHAPE_SUBDIR; CORE_PATH=$URL_SHAPE_SUBDIR; fi
if url_shape_has split; then CORE_PATH=$URL_SHAPE_CORE; fi
DOC_ROOT=$WP_DIR
if [ -n "$CORE_PATH" ]; then DOC_ROOT=$RUN/docroot; fi

# What WordPress is told (WP_HOME, WP_SITEURL) and what tests use as the site address (home).
ORIGIN_URL=$SITE_URL
SITE_URL=$ORIGIN_URL$HOME_PATH
WP_SITEURL_VALUE=$ORIGIN_URL$CORE_PATH
NODE2_URL=$NODE2_URL$HOME_PATH
NOEXT_URL=$NOEXT_URL$HOME_PATH
HTTP_URL=$HTTP_URL$HOME_PATH
REDIRECT_URL=$REDIRECT_URL$HOME_PATH

# url_shape_nginx_locations: the `location /` blocks of a server (before its `\.php$` block). The
# front controller is the index.php that serves home. For a sub-directory site and for plain
# permalinks the server also carries the snippet of docs/host-guide.md ("Sub-directory and
# plain-permalink installs"): the well-known documents go to WordPress even when their path is not
# below the site (sub-directory) or ends in `.php` (the metadata URL of core's REST root with plain
# permalinks is /.well-known/oauth-protected-resource/index.php?rest_route=/, which the `\.php$`
# block would answer 404 without it). Regex locations match in order: this one comes first.
url_shape_nginx_locations() {
  if url_shape_has subdir || url_shape_has plain; then
    cat <<NGX
    # docs/host-guide.md: the origin must hand these to the site's index.php
    location ~ ^/\.well-known/oauth-(authorization-server|protected-resource)$HOME_PATH(/.*)?\$ {
      rewrite ^ $HOME_PATH/index.php last;
    }
NGX
  fi
  if url_shape_has subdir; then
    cat <<NGX
    location $HOME_PATH/ {
      try_files \$uri \$uri/ $HOME_PATH/index.php?\$args;
    }
    location / {
      try_files \$uri \$uri/ =404;
    }
NGX
  else
    cat <<NGX
    location / {
      try_files \$uri \$uri/ /index.php?\$args;
    }
NGX
  fi
}

# url_shape_files: the document root around the core, and the prefix shape's must-use plugin.
# Run after the core is in $WP_DIR.
url_shape_files() {
  if [ "$DOC_ROOT" != "$WP_DIR" ]; then
    rm -rf "$DOC_ROOT" && mkdir -p "$DOC_ROOT"
    ln -sfn "$WP_DIR" "$DOC_ROOT$CORE_PATH"
    if url_shape_has split; then
      cat > "$DOC_ROOT/index.php" <<PHP
<?php
// Home at the root, WordPress core in $CORE_PATH ("Giving WordPress its own directory").
define('WP_USE_THEMES', true);
require __DIR__ . '$CORE_PATH/wp-blog-header.php';
PHP
      # The stack's health probe answers at the site address, as on the other shapes.
      ln -sfn "$WP_DIR/wpoa-health.php" "$DOC_ROOT/wpoa-health.php"
    fi
  fi
  local mu=$WP_DIR/wp-content/mu-plugins/wpoa-url-shape.php
  if url_shape_has prefix; then
    mkdir -p "$(dirname "$mu")"
    cat > "$mu" <<PHP
<?php
/* Plugin Name: WP OAuth local stack URL shape (generated by scripts/lib/url-shapes.sh) */
add_filter('rest_url_prefix', static fn() => '$URL_SHAPE_PREFIX');
PHP
  else
    rm -f "$mu"
  fi
}

# url_shape_options: the permalink structure of the shape, set on every start (the database may
# come from an earlier start). Rewrite rules are deleted and rebuilt by the first web request.
url_shape_options() {
  local structure='/%postname%/'
  url_shape_has plain && structure=''
  WPOA_URL_SHAPE_PERMALINKS=$structure php "$REPO/scripts/wp-eval.php" '
    $want = (string) getenv("WPOA_URL_SHAPE_PERMALINKS");
    if (get_option("permalink_structure") !== $want) { update_option("permalink_structure", $want); }
    delete_option("rewrite_rules");
  '
}

# The REST index as this shape serves it (up.sh checks it answers 200).
REST_ROOT_URL=$SITE_URL/wp-json/
if url_shape_has prefix; then REST_ROOT_URL=$SITE_URL/$URL_SHAPE_PREFIX/; fi
if url_shape_has plain; then REST_ROOT_URL=$SITE_URL/index.php?rest_route=/; fi
