#!/usr/bin/env bash
# Renders the sequence diagrams of docs/flows/*.mmd to docs/flows/*.svg with Mermaid's own CLI
# (@mermaid-js/mermaid-cli, pinned in docs/tools/package-lock.json) driving Debian's Chromium,
# and copies each .mmd into the matching ```mermaid block of docs/flows.md (and each example of
# docs/examples/ into its block of docs/client-guide.md), so the Markdown, the sources and the
# pictures never disagree.
#   bash scripts/docs.sh           render what changed (a .svg not made from its current .mmd), sync the Markdown
#   bash scripts/docs.sh --all     render every diagram
#   bash scripts/docs.sh --check   exit 1 if the Markdown or any .svg is out of date (renders nothing; no npm)
# Installs its tool idempotently: `npm ci` in docs/tools when node_modules is missing or stale;
# never downloads a browser (PUPPETEER_SKIP_DOWNLOAD=1, docs/tools/puppeteer.json -> /usr/bin/chromium).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=$REPO/docs/tools
FLOWS=$REPO/docs/flows
MD=$REPO/docs/flows.md
mode=${1:-changed}

# --- keep the Markdown's code blocks equal to their source files ---------------------------------
# A block is introduced by a line <!-- diagram: PATH --> or <!-- include: PATH --> (PATH relative to
# docs/) and is the next ``` fence; its body is replaced by the file's content.
SYNCED=("$REPO/docs/flows.md" "$REPO/docs/client-guide.md")
sync_md() { # in-file out-file
  awk -v dir="$REPO/docs" '
    /^<!-- (diagram|include): [A-Za-z0-9_.\/-]+ -->$/ {
      src = $0; sub(/^<!-- (diagram|include): /, "", src); sub(/ -->$/, "", src); want = dir "/" src; print; next
    }
    want != "" && /^```/ {
      print
      while ((getline line < want) > 0) print line
      close(want)
      skipping = 1; want = ""; next
    }
    skipping && /^```$/ { skipping = 0; print; next }
    skipping { next }
    { print }
  ' "$1" > "$2"
}

if [ "$mode" = --check ]; then
  bad=0
  for md in "${SYNCED[@]}"; do
    [ -f "$md" ] || continue
    tmp=$(mktemp); sync_md "$md" "$tmp"
    cmp -s "$tmp" "$md" || { echo "[docs] ${md#"$REPO"/} is out of sync with the files it includes (run: bash scripts/docs.sh)"; bad=1; }
    rm -f "$tmp"
  done
  for mmd in "$FLOWS"/*.mmd; do
    svg=${mmd%.mmd}.svg
    grep -qF "<!-- diagram: flows/$(basename "$mmd") -->" "$MD" || { echo "[docs] $(basename "$mmd") is not shown in docs/flows.md"; bad=1; }
    [ -f "$svg" ] || { echo "[docs] missing ${svg#"$REPO"/} (run: bash scripts/docs.sh)"; bad=1; continue; }
    src_sum=$(sha256sum "$mmd" | cut -d' ' -f1)
    grep -q "wpoa-source-sha256:$src_sum" "$svg" || { echo "[docs] ${svg#"$REPO"/} was not rendered from the current ${mmd#"$REPO"/} (run: bash scripts/docs.sh)"; bad=1; }
  done
  (( bad == 0 )) && echo "[docs] diagrams, docs/flows.md and docs/client-guide.md are up to date"
  exit $bad
fi

# --- the tool ----------------------------------------------------------------------------------
command -v node >/dev/null || { echo "[docs] node not found (make deps)" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "[docs] /usr/bin/chromium not found (apt-get install chromium)" >&2; exit 1; }
stamp=$TOOLS/node_modules/.wpoa-lock.sha256
want=$(sha256sum "$TOOLS/package-lock.json" | cut -d' ' -f1)
if [ ! -x "$TOOLS/node_modules/.bin/mmdc" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[docs] installing @mermaid-js/mermaid-cli in docs/tools (npm ci)"
  (cd "$TOOLS" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error --engine-strict=false)
  echo "$want" > "$stamp"
fi

# --- render ------------------------------------------------------------------------------------
n=0
for mmd in "$FLOWS"/*.mmd; do
  svg=${mmd%.mmd}.svg
  src_sum=$(sha256sum "$mmd" | cut -d' ' -f1)
  if [ "$mode" != --all ] && [ -f "$svg" ] && grep -q "wpoa-source-sha256:$src_sum" "$svg"; then
    continue
  fi
  echo "[docs] rendering ${mmd#"$REPO"/} -> ${svg#"$REPO"/}"
  PUPPETEER_SKIP_DOWNLOAD=1 "$TOOLS/node_modules/.bin/mmdc" --quiet -p "$TOOLS/puppeteer.json" \
    -c "$TOOLS/mermaid.json" -b white -i "$mmd" -o "$svg.tmp.svg"
  # Record which source made the picture (checked by --check), as an XML comment after the root.
  { head -c 0 /dev/null; sed "0,/>/s//><!-- wpoa-source-sha256:$src_sum -->/" "$svg.tmp.svg"; } > "$svg"
  rm -f "$svg.tmp.svg"
  n=$((n + 1))
done
for md in "${SYNCED[@]}"; do
  [ -f "$md" ] || continue
  tmp=$(mktemp); sync_md "$md" "$tmp"
  if ! cmp -s "$tmp" "$md"; then cp "$tmp" "$md"; echo "[docs] updated ${md#"$REPO"/} from the files it includes"; fi
  rm -f "$tmp"
done
echo "[docs] $n diagram(s) rendered; docs/flows/*.svg up to date"
