#!/usr/bin/env bash
# Renders the sequence diagrams of docs/flows/*.mmd to docs/flows/*.svg with Mermaid's own CLI
# (@mermaid-js/mermaid-cli, pinned in docs/tools/package-lock.json) driving Debian's Chromium,
# and copies each .mmd into the matching ```mermaid block of docs/flows.md, so the Markdown,
# the source and the picture never disagree.
#   bash scripts/docs.sh           render what changed (a .svg older than its .mmd) and sync flows.md
#   bash scripts/docs.sh --all     render every diagram
#   bash scripts/docs.sh --check   exit 1 if flows.md or any .svg is out of date (renders nothing)
# Installs its tool idempotently: `npm ci` in docs/tools when node_modules is missing or stale;
# never downloads a browser (PUPPETEER_SKIP_DOWNLOAD=1, docs/tools/puppeteer.json -> /usr/bin/chromium).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=$REPO/docs/tools
FLOWS=$REPO/docs/flows
MD=$REPO/docs/flows.md
mode=${1:-changed}

# --- keep docs/flows.md's ```mermaid blocks equal to the .mmd files --------------------------------
# A block is introduced by the line <!-- diagram: flows/NAME.mmd --> and is the next ```mermaid fence.
sync_md() { # out-file
  awk -v dir="$REPO/docs" '
    /^<!-- diagram: flows\/[A-Za-z0-9_-]+\.mmd -->$/ {
      src = $0; sub(/^<!-- diagram: /, "", src); sub(/ -->$/, "", src); want = dir "/" src; print; next
    }
    want != "" && /^```mermaid$/ {
      print
      while ((getline line < want) > 0) print line
      close(want)
      skipping = 1; want = ""; next
    }
    skipping && /^```$/ { skipping = 0; print; next }
    skipping { next }
    { print }
  ' "$MD" > "$1"
}

if [ "$mode" = --check ]; then
  bad=0
  tmp=$(mktemp); sync_md "$tmp"
  cmp -s "$tmp" "$MD" || { echo "[docs] docs/flows.md is out of sync with docs/flows/*.mmd (run: bash scripts/docs.sh)"; bad=1; }
  rm -f "$tmp"
  for mmd in "$FLOWS"/*.mmd; do
    svg=${mmd%.mmd}.svg
    grep -qF "<!-- diagram: flows/$(basename "$mmd") -->" "$MD" || { echo "[docs] $(basename "$mmd") is not shown in docs/flows.md"; bad=1; }
    [ -f "$svg" ] || { echo "[docs] missing ${svg#"$REPO"/} (run: bash scripts/docs.sh)"; bad=1; continue; }
    src_sum=$(sha256sum "$mmd" | cut -d' ' -f1)
    grep -q "wpoa-source-sha256:$src_sum" "$svg" || { echo "[docs] ${svg#"$REPO"/} was not rendered from the current ${mmd#"$REPO"/} (run: bash scripts/docs.sh)"; bad=1; }
  done
  (( bad == 0 )) && echo "[docs] diagrams and docs/flows.md are up to date"
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
tmp=$(mktemp); sync_md "$tmp"
if ! cmp -s "$tmp" "$MD"; then cp "$tmp" "$MD"; echo "[docs] updated docs/flows.md from the .mmd files"; fi
rm -f "$tmp"
echo "[docs] $n diagram(s) rendered; docs/flows/*.svg up to date"
