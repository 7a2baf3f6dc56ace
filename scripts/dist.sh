#!/usr/bin/env bash
# make dist: the release artifacts in dist/ (git-ignored).
#   wp-oauth-ext-<version>-php<minor>-<api>.tar.gz   libwp_oauth.so for one PHP minor, its php.ini
#                                                    snippet, PHP_API and SHA256SUMS; one per PHP
#                                                    minor that Debian ships: 8.2 (bookworm, this
#                                                    machine), 8.4 (trixie root), 8.5 (experimental,
#                                                    in the sid root). Debian has no PHP 8.3.
#   wp-oauth-plugin-<version>.zip                    the plugin, as the folder wp-oauth/
#   SHA256SUMS                                       checksums of all of the above
# <version>: the crate's version (Cargo.toml) for the extension, the plugin header's for the plugin.
# <api>: the PHP API number the .so is built for (basename of `php-config --extension-dir`).
# The builds are those of the test matrix (scripts/lib/matrix.sh): the same roots, the same target
# directories, so after `make test` nothing is compiled again. scripts/test-dist.sh checks the result.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$REPO/scripts/lib/matrix.sh"
cd "$REPO"
DIST=$REPO/dist

# ---- inside a private mount namespace: build one PHP minor in its root ---------------------------
if [ "${1:-}" = --build-in-root ]; then
  cell=$2 root=$3
  trap 'unmount_below "$root" || warn "still mounted below $root"' EXIT
  mount_root "$root"
  prepare_root "$root" "$(cell_field "$cell" php)"
  mapfile -t envs < <(root_env "$(cell_field "$cell" php)")
  in_root "$root" "${envs[@]}" -- bash scripts/build-ext.sh
  exit 0
fi

ext_version=$(sed -nE 's/^version = "([^"]+)"$/\1/p' Cargo.toml | head -1)
plugin_version=$(sed -nE 's/^[ *]*Version:[[:space:]]*([^[:space:]]+).*$/\1/p' wp-plugin/wp-oauth.php | head -1)
[ -n "$ext_version" ] || die "no version in Cargo.toml"
[ -n "$plugin_version" ] || die "no 'Version:' in the header of wp-plugin/wp-oauth.php"
# Reproducible archives: file times from the last commit. Not exported: cargo rebuilds crates whose
# build scripts watch SOURCE_DATE_EPOCH, and the builds here should be the test matrix's own.
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

rm -rf "$DIST" && mkdir -p "$DIST"
stage=$(mktemp -d); trap 'rm -rf "$stage"' EXIT

# package PHP_MINOR SO API: one tarball.
package() {
  local minor=$1 so=$2 api=$3 name
  name=wp-oauth-ext-$ext_version-php$minor-$api
  mkdir -p "$stage/$name"
  cp "$so" "$stage/$name/libwp_oauth.so"
  cat > "$stage/$name/wp-oauth.ini" <<INI
; WP OAuth extension $ext_version for PHP $minor (PHP API $api, NTS, $(uname -m)).
; Copy libwp_oauth.so to /usr/lib/php/$api/ and this file to /etc/php/$minor/mods-available/wp-oauth.ini,
; then: phpenmod -v $minor wp-oauth  (Debian; elsewhere put the line below in php.ini of the CLI and of
; PHP-FPM or mod_php) and restart PHP-FPM or Apache. Check: php$minor --ri wp_oauth
extension=/usr/lib/php/$api/libwp_oauth.so
INI
  printf 'PHP %s, API %s, NTS, %s\n' "$minor" "$api" "$(uname -m)" > "$stage/$name/PHP_API"
  (cd "$stage/$name" && sha256sum libwp_oauth.so wp-oauth.ini PHP_API > SHA256SUMS)
  find "$stage/$name" -exec touch -h -d "@$epoch" {} +
  tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -cf - "$name" \
    | gzip -n -9 > "$DIST/$name.tar.gz"
  log "dist/$name.tar.gz"
}

# PHP 8.2: this machine.
bash scripts/build-ext.sh
package 8.2 "$EXT_SRC" "$(basename "$(php-config8.2 --extension-dir)")"

# PHP 8.4 and 8.5: the roots of cells B and C.
for cell in B C; do
  minor=$(cell_field "$cell" php)
  root=$(ensure_root "$cell") || die "no Debian root for PHP $minor: cannot build its artifact"
  unshare --mount --propagation private -- bash "${BASH_SOURCE[0]}" --build-in-root "$cell" "$root" \
    || die "building the extension for PHP $minor in $root failed"
  api=$(basename "$(chroot "$root" "php-config$minor" --extension-dir)")
  package "$minor" "$root$ROOT_TARGET/release/libwp_oauth.so" "$api"
done

# The plugin: the tracked files of wp-plugin/ as wp-oauth/.
mkdir -p "$stage/plugin/wp-oauth"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z wp-plugin | while IFS= read -r -d '' f; do
    mkdir -p "$stage/plugin/wp-oauth/$(dirname "${f#wp-plugin/}")"
    cp -p "$f" "$stage/plugin/wp-oauth/${f#wp-plugin/}"
  done
else
  cp -a wp-plugin/. "$stage/plugin/wp-oauth/"
fi
python3 - "$stage/plugin" "$DIST/wp-oauth-plugin-$plugin_version.zip" "$epoch" <<'PY'
import os, sys, time, zipfile
base, out, epoch = sys.argv[1], sys.argv[2], int(sys.argv[3])
stamp = time.gmtime(max(epoch, 315532800))[:6]  # zip cannot store times before 1980
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for d, dirs, files in os.walk(base):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(d, name)
            info = zipfile.ZipInfo(os.path.relpath(path, base), stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with open(path, "rb") as f:
                z.writestr(info, f.read())
PY
log "dist/wp-oauth-plugin-$plugin_version.zip"

(cd "$DIST" && sha256sum -- *.tar.gz *.zip > SHA256SUMS)
log "dist/SHA256SUMS"; ls -l "$DIST"
