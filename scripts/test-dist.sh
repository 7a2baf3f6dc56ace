#!/usr/bin/env bash
# Checks the release artifacts: makes them (scripts/dist.sh; its builds are those of the test
# matrix, so after the cells nothing compiles again) unless WPOA_DIST_SKIP_BUILD=1, then for each
# dist/wp-oauth-ext-*.tar.gz:
#   - its checksums match (SHA256SUMS inside, dist/SHA256SUMS outside);
#   - its .so loads in the PHP of its own minor (`php -d extension=… --ri wp_oauth`: this machine's
#     PHP 8.2, the trixie root's 8.4, the sid root's 8.5) and that PHP's API is the one in the name;
#   - it does NOT load in another minor's PHP (so the load check above can tell a wrong build);
# and for the plugin zip: one folder wp-oauth/ with the plugin header, nothing outside it.
# Prints "# pass N" / "# fail N" for make test's summary.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$REPO/scripts/lib/matrix.sh"
cd "$REPO"

if [ "${WPOA_DIST_SKIP_BUILD:-0}" != 1 ]; then
  bash scripts/dist.sh || { echo "# pass 0"; echo "# fail 1"; die "make dist failed"; }
fi

pass=0 fail=0
ok()     { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }
check()  { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else not_ok "$what"; fi; }

# php_for MINOR: sets cmd (the command that runs that PHP: this machine's, or a matrix root's) and
# where (the directory that this PHP sees as /, "" on this machine).
php_for() {
  local minor=$1 c
  for c in "${MATRIX_CELLS[@]}"; do
    [ "$(cell_field "$c" php)" = "$minor" ] || continue
    if [ "$(cell_field "$c" where)" = host ]; then where=""; cmd="php$minor"; return 0; fi
    where=$(root_dir "$c")
    [ -f "$where/.complete" ] || return 1
    cmd="chroot $where php$minor"; return 0
  done
  return 1
}

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd dist && sha256sum --quiet -c SHA256SUMS) && ok "dist/SHA256SUMS matches every artifact" || not_ok "dist/SHA256SUMS matches every artifact"

shopt -s nullglob
tarballs=(dist/wp-oauth-ext-*.tar.gz)
(( ${#tarballs[@]} == 3 )) && ok "three extension tarballs (PHP 8.2, 8.4, 8.5)" || not_ok "three extension tarballs (found ${#tarballs[@]})"
minors=()
for t in "${tarballs[@]}"; do
  name=$(basename "$t" .tar.gz)
  [[ $name =~ ^wp-oauth-ext-[0-9.]+-php([0-9]+\.[0-9]+)-([0-9]{8})$ ]] || { not_ok "$name: name is wp-oauth-ext-<version>-php<minor>-<api>"; continue; }
  minor=${BASH_REMATCH[1]} api=${BASH_REMATCH[2]}
  minors+=("$minor")
  tar -C "$tmp" -xzf "$t" || { not_ok "$name: unpacks"; continue; }
  d=$tmp/$name
  check "$name: SHA256SUMS inside" bash -c "cd '$d' && sha256sum --quiet -c SHA256SUMS"
  check "$name: php.ini snippet names /usr/lib/php/$api/libwp_oauth.so" grep -qx "extension=/usr/lib/php/$api/libwp_oauth.so" "$d/wp-oauth.ini"
  grep -q "API $api" "$d/PHP_API" && ok "$name: PHP_API says $api" || not_ok "$name: PHP_API says $api"
  if ! php_for "$minor"; then not_ok "$name: no PHP $minor here to load it in (its matrix root is missing)"; continue; fi
  # The .so where that PHP can read it (inside the root for 8.4 and 8.5).
  mkdir -p "$where/tmp/wpoa-dist-check"
  cp "$d/libwp_oauth.so" "$where/tmp/wpoa-dist-check/php$minor.so"
  so=/tmp/wpoa-dist-check/php$minor.so
  real_api=$($cmd -i 2>/dev/null | sed -nE 's/^PHP Extension => ([0-9]+)$/\1/p')
  [ "$real_api" = "$api" ] && ok "$name: PHP $minor's API is $api" || not_ok "$name: PHP $minor's API is $real_api, the name says $api"
  out=$($cmd -n -d "extension=$so" --ri wp_oauth 2>&1)
  if [ $? = 0 ] && grep -q '^wp_oauth$' <<<"$out" && ! grep -qi 'warning' <<<"$out"; then
    ok "$name: loads in PHP $minor (php -d extension=… --ri wp_oauth)"
  else
    not_ok "$name: loads in PHP $minor"; echo "$out" | head -5 | sed 's/^/#   /'
  fi
done
# The other way round: a .so in a PHP of another minor must be refused.
for m in "${minors[@]}"; do
  for other in "${minors[@]}"; do
    [ "$m" != "$other" ] || continue
    php_for "$other" || continue
    cp "$tmp"/wp-oauth-ext-*-php"$m"-*/libwp_oauth.so "$where/tmp/wpoa-dist-check/other.so"
    if $cmd -n -d "extension=/tmp/wpoa-dist-check/other.so" --ri wp_oauth >/dev/null 2>&1; then
      not_ok "the PHP $m build is refused by PHP $other"
    else
      ok "the PHP $m build is refused by PHP $other"
    fi
    break
  done
done
for c in "${MATRIX_CELLS[@]}"; do
  [ "$(cell_field "$c" where)" = root ] && rm -rf "$(root_dir "$c")/tmp/wpoa-dist-check"
done
rm -rf /tmp/wpoa-dist-check

zips=(dist/wp-oauth-plugin-*.zip)
if (( ${#zips[@]} == 1 )); then
  z=${zips[0]}
  ok "one plugin zip: $(basename "$z")"
  python3 - "$z" <<'PY' && ok "the zip holds wp-oauth/ only, with wp-oauth.php's plugin header" || not_ok "the zip holds wp-oauth/ only, with wp-oauth.php's plugin header"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
assert names and all(n.startswith("wp-oauth/") and ".." not in n for n in names), names[:5]
head = z.read("wp-oauth/wp-oauth.php").decode()
assert "Plugin Name:" in head and "Version:" in head
PY
else
  not_ok "one plugin zip (found ${#zips[@]})"
fi

echo "# pass $pass"
echo "# fail $fail"
(( fail == 0 ))
