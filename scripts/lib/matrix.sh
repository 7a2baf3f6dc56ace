# shellcheck shell=bash
# The test matrix: which WordPress, PHP and web server each cell runs, and the Debian roots that
# cells B and C run in. Source it after lib/common.sh; do not run it.
#
#   cell  Debian                      WordPress  PHP  web server
#   A     bookworm (this machine)     6.1        8.2  nginx + php-fpm
#   B     trixie (a root)             6.8        8.4  Apache + php-fpm (proxy_fcgi)
#   C     sid + experimental (root)   7.1        8.5  nginx + php-fpm
#   D     bookworm (this machine)     6.1        8.2  Apache + mod_php
#
# Each cell has its own run dir ($WPOA_RUN/cells/<cell>) and ports: cell A uses WPOA_PORT as
# always, cells B, C and D use WPOA_PORT+10, +20 and +30 (and the ports derived from those, see
# lib/common.sh), so two instances whose WPOA_PORT are 40 or more apart never share a port.
#
# Roots are built with mmdebstrap from the Debian mirror this machine already uses, and cached in
# $WPOA_MATRIX_CACHE (default /var/cache/wpoa-matrix) under a name that hashes the release and the
# package list: a change of either builds a new root. The host's rustup toolchain is used inside
# through bind mounts of $CARGO_HOME and $RUSTUP_HOME (/root/.cargo and /root/.rustup for root);
# every mount is made in a private mount namespace of the run (unshare), so none of them is ever
# visible from, or left behind on, the host.

MATRIX_CELLS=(A B C D)
MATRIX_CACHE=${WPOA_MATRIX_CACHE:-/var/cache/wpoa-matrix}
# Bump when the way a root is made changes (not only its package list).
MATRIX_ROOT_RECIPE=1

# What every root needs to build the extension, run the stack scripts and its services.
MATRIX_BASE_PACKAGES=(
  bash coreutils util-linux procps iproute2 mawk sed grep findutils tar gzip
  ca-certificates curl jq openssl
  gcc libc6-dev clang libclang-dev
  mariadb-server mariadb-client
  wordpress wordpress-theme-twentytwentyfive
)

# cell_field CELL FIELD: one property of a cell.
#   where   host | root        suite   Debian release of the root
#   php     PHP minor          web     nginx | apache-fpm | apache-modphp
#   wp      WordPress version it is expected to run (checked against the installed one)
#   offset  port offset from WPOA_PORT
cell_field() {
  local c=$1 f=$2
  case "$c:$f" in
    A:where|D:where) echo host ;;
    B:where|C:where) echo root ;;
    B:suite) echo trixie ;;
    C:suite) echo sid ;;
    A:php|D:php) echo 8.2 ;;
    B:php) echo 8.4 ;;
    C:php) echo 8.5 ;;
    A:web|C:web) echo nginx ;;
    B:web) echo apache-fpm ;;
    D:web) echo apache-modphp ;;
    A:wp|D:wp) echo 6.1 ;;
    B:wp) echo 6.8 ;;
    C:wp) echo 7.1 ;;
    A:offset) echo 0 ;;
    B:offset) echo 10 ;;
    C:offset) echo 20 ;;
    D:offset) echo 30 ;;
    *) return 1 ;;
  esac
}

# cell_label CELL: one line saying what the cell is.
cell_label() {
  local c=$1 web
  case $(cell_field "$c" web) in
    nginx) web="nginx + php-fpm" ;;
    apache-fpm) web="Apache + php-fpm" ;;
    apache-modphp) web="Apache + mod_php" ;;
  esac
  if [ "$(cell_field "$c" where)" = host ]; then
    echo "cell $c: WordPress $(cell_field "$c" wp), PHP $(cell_field "$c" php), $web (this machine)"
  else
    echo "cell $c: WordPress $(cell_field "$c" wp), PHP $(cell_field "$c" php), $web (Debian $(cell_field "$c" suite) root)"
  fi
}

# root_packages CELL: the packages of a cell's root, one per line.
root_packages() {
  local c=$1 php web pkgs=() p
  php=$(cell_field "$c" php); web=$(cell_field "$c" web)
  for p in cli dev fpm mysql curl gd mbstring xml intl zip; do pkgs+=("php$php-$p"); done
  # PHP 8.5 has OPcache built in; earlier minors ship it as a package.
  [ "$php" != 8.5 ] && pkgs+=("php$php-opcache")
  # PHP 8.5 comes from experimental (the only release that has it, so plain names pick it); apt
  # takes a dependency from there only when it is named too. No "/experimental" suffix: it would
  # also pull experimental's php-common, which declares it breaks php8.5-common.
  [ "$c" = C ] && pkgs+=(php8.5-common php8.5-readline)
  case $web in
    nginx) pkgs+=(nginx) ;;
    apache-*) pkgs+=(apache2) ;;
  esac
  printf '%s\n' "${MATRIX_BASE_PACKAGES[@]}" "${pkgs[@]}"
}

# root_dir CELL: the cached root of a cell (the directory may not exist yet).
root_dir() {
  local c=$1 key
  key=$( { echo "recipe $MATRIX_ROOT_RECIPE"; cell_field "$c" suite; root_packages "$c"; } | sha256sum | cut -c1-12)
  echo "$MATRIX_CACHE/$(cell_field "$c" suite)-php$(cell_field "$c" php)-$key"
}

# host_mirror: the Debian mirror URI that this machine's apt sources use for its own release.
host_mirror() {
  local uri
  uri=$(awk '/^URIs:/ {u = $2} /^Suites:/ && u != "" { for (i = 2; i <= NF; i++) if ($i !~ /-/) { print u; exit } }' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 !~ /-/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
        /etc/apt/sources.list 2>/dev/null | head -1)
  [ -n "$uri" ] || return 1
  echo "$uri"
}

# mounts_below DIR: mount points at or below DIR in this mount namespace, deepest first.
mounts_below() {
  local d=${1%/}
  awk -v d="$d" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# unmount_below DIR: lazily unmount everything at or below DIR; fails if anything is left.
unmount_below() {
  local m
  for m in $(mounts_below "$1"); do
    umount -l "$m" 2>/dev/null || umount -l "$m" || true
  done
  [ -z "$(mounts_below "$1")" ]
}

# remove_root DIR: delete a root, never through a live mount (a bind mount of /root/.cargo would
# take the host's toolchain with it: rm's --one-file-system does not see bind mounts of the same
# file system). Refuses when something is still mounted below DIR.
remove_root() {
  local d=$1
  [ -n "$d" ] && [ "$d" != / ] && [[ $d == "$MATRIX_CACHE"/* ]] || die "refusing to remove '$d' (not under $MATRIX_CACHE)"
  unmount_below "$d" || die "still mounted below $d, not removing it: $(mounts_below "$d" | tr '\n' ' ')"
  rm -rf --one-file-system "$d"
}

# ensure_root CELL: build the cell's root unless the cache has it complete. Prints its path.
# Holds an exclusive lock while building; older roots of the same cell that nobody uses are removed.
ensure_root() {
  local c=$1 dir suite mirror lock pkgs=() t0 old
  dir=$(root_dir "$c"); suite=$(cell_field "$c" suite)
  mkdir -p "$MATRIX_CACHE"
  lock=$dir.lock
  if [ -f "$dir/.complete" ]; then echo "$dir"; return 0; fi
  (
    exec 7>"$lock"
    flock -w 1800 7 || die "timed out waiting for another build of $dir"
    [ -f "$dir/.complete" ] && exit 0
    command -v mmdebstrap >/dev/null || {
      log "installing mmdebstrap" >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null; } \
        || die "mmdebstrap could not be installed (apt-get install mmdebstrap)"
    }
    mirror=$(host_mirror) || die "cannot tell the Debian mirror from /etc/apt/sources.list*: no root for cell $c"
    [ -e "$dir" ] && { warn "removing the incomplete root $dir"; remove_root "$dir"; }
    mapfile -t pkgs < <(root_packages "$c")
    local sources=("deb $mirror $suite main")
    local opts=(--variant=apt --aptopt='Acquire::Check-Valid-Until "false"' --aptopt='APT::Install-Recommends "false"')
    [ "$c" = C ] && sources+=("deb $mirror experimental main")
    log "building the Debian $suite root for cell $c in $dir (once; cached afterwards)" >&2
    t0=$(now_ms)
    mkdir -p "$dir.tmp-log"
    if ! mmdebstrap "${opts[@]}" --include="$(IFS=,; echo "${pkgs[*]}")" "$suite" "$dir" "${sources[@]}" \
        > "$dir.tmp-log/mmdebstrap.log" 2>&1; then
      tail -n 30 "$dir.tmp-log/mmdebstrap.log" >&2
      [ -e "$dir" ] && remove_root "$dir"
      die "the Debian $suite root for cell $c could not be built (log: $dir.tmp-log/mmdebstrap.log)"
    fi
    mv "$dir.tmp-log/mmdebstrap.log" "$dir/.mmdebstrap.log"; rmdir "$dir.tmp-log"
    # Debian's packages start nothing in here; the stack scripts start their own private services.
    printf '%s\n' "${pkgs[@]}" > "$dir/.packages"
    touch "$dir/.complete"
    log "root for cell $c ready in $(( ($(now_ms) - t0) / 1000 )) s ($(du -sh "$dir" | cut -f1))" >&2
  ) || return 1
  # Garbage: other roots of the same release and PHP that no run holds a lock on.
  for old in "$MATRIX_CACHE/$suite-php$(cell_field "$c" php)"-*; do
    [ -d "$old" ] && [ "$old" != "$dir" ] || continue
    (
      exec 7>"$old.lock"
      flock -n 7 || exit 0
      log "removing the unused older root $old" >&2
      remove_root "$old" && rm -f "$old.lock"
    ) || warn "could not remove $old"
  done
  echo "$dir"
}

# ---- using a root (in a private mount namespace: see test-cell.sh and dist.sh) ------------------

# ROOT_TARGET: CARGO_TARGET_DIR of the builds inside a root (each root keeps its own).
ROOT_TARGET=/var/cache/wpoa-target
# This machine's rustup toolchain, used inside the roots at the same paths.
TOOL_CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}
TOOL_RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}

# bind_same ROOT DIR: DIR of this machine at the same path inside ROOT.
bind_same() {
  mkdir -p "$1$2"
  mountpoint -q "$1$2" || mount --bind "$2" "$1$2" || die "cannot bind-mount $2 into $1"
}

# mount_root ROOT [DIR...]: proc, the rustup toolchain, the repository and the given directories
# (run dirs outside the repository), each at its own path inside ROOT. Call it only in a private
# mount namespace (unshare --mount): unmount_below ROOT undoes it.
mount_root() {
  local root=$1 d; shift
  mountpoint -q "$root/proc" || mount -t proc proc "$root/proc" || die "cannot mount proc in $root"
  [ -x "$TOOL_CARGO_HOME/bin/cargo" ] && [ -d "$TOOL_RUSTUP_HOME/toolchains" ] \
    || die "no rustup toolchain in $TOOL_CARGO_HOME and $TOOL_RUSTUP_HOME (see README.md: install rustup as root)"
  bind_same "$root" "$TOOL_CARGO_HOME"
  bind_same "$root" "$TOOL_RUSTUP_HOME"
  bind_same "$root" "$REPO"
  for d in "$@"; do
    case $d/ in "$REPO"/*) ;; *) mkdir -p "$d"; bind_same "$root" "$d" ;; esac
  done
}

# prepare_root ROOT PHP_MINOR: what a root needs on every use (cheap, idempotent): a hosts file,
# the cell's PHP as `php` and `php-config`, and this machine's PHPUnit 9.6 in /opt/wpoa-phpunit
# (the tests are written for 9.6; trixie ships 11.5 and sid 13.4, which no longer read the tests'
# @dataProvider and @covers annotations).
prepare_root() {
  local root=$1 php=$2 want d
  printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
  chroot "$root" update-alternatives --quiet --set php "/usr/bin/php$php" || die "no /usr/bin/php$php in $root"
  chroot "$root" update-alternatives --quiet --set php-config "/usr/bin/php-config$php" 2>/dev/null || true
  [ -f /usr/bin/phpunit ] && [ -d /usr/share/php/PHPUnit ] || die "PHPUnit 9.6 missing on this machine (make deps installs phpunit)"
  want="$(phpunit --version 2>/dev/null | head -1), with its schemas"
  if [ "$(cat "$root/opt/wpoa-phpunit/.version" 2>/dev/null)" != "$want" ]; then
    rm -rf "$root/opt/wpoa-phpunit" && mkdir -p "$root/opt/wpoa-phpunit"
    for d in PHPUnit SebastianBergmann DeepCopy Doctrine PharIo PhpParser TheSeer; do
      [ -d "/usr/share/php/$d" ] && cp -a "/usr/share/php/$d" "$root/opt/wpoa-phpunit/"
    done
    # The XML schemas, which PHPUnit looks for next to its classes.
    mkdir -p "$root/opt/wpoa-phpunit/data" && cp -a /usr/share/php/data/PHPUnit "$root/opt/wpoa-phpunit/data/"
    # Debian's phpunit script, finding its classes in /opt/wpoa-phpunit first.
    sed '0,/^<?php.*$/s//&\nset_include_path("\/opt\/wpoa-phpunit" . PATH_SEPARATOR . get_include_path());/' \
      /usr/bin/phpunit > "$root/opt/wpoa-phpunit/phpunit"
    echo "$want" > "$root/opt/wpoa-phpunit/.version"
  fi
}

# root_env PHP_MINOR: the environment of commands in a root (one VAR=value per line).
root_env() {
  printf '%s\n' HOME=/root "CARGO_HOME=$TOOL_CARGO_HOME" "RUSTUP_HOME=$TOOL_RUSTUP_HOME" \
    "PATH=$TOOL_CARGO_HOME/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" LANG=C.UTF-8 "CARGO_TARGET_DIR=$ROOT_TARGET" "PHP=/usr/bin/php$1" "PHP_CONFIG=/usr/bin/php-config$1" \
    WPOA_PHPUNIT=/opt/wpoa-phpunit/phpunit
}

# in_root ROOT [VAR=value...] -- CMD...: CMD inside ROOT with a clean environment, in the repository.
in_root() {
  local root=$1; shift
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  chroot "$root" /usr/bin/env -i "${envs[@]}" /bin/bash -c 'cd "$0" && exec "$@"' "$REPO" "$@"
}
