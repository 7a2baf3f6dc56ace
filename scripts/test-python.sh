#!/usr/bin/env bash
# Python-side tests against the running stack: Authlib as an independent OAuth client
# (tests/python/test_authlib_client.py, the browser step through tests/e2e/consent-cli.mjs) and
# PyJWT verifying our access tokens through the JWKS (tests/python/test_pyjwt.py).
# Creates/uses <repo>/.venv (scripts/python-venv.sh, pins in tests/python/requirements.txt).
# Prints "# pass N" / "# fail N" for make test's summary. Extra args: unittest test names.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
bash "$REPO/scripts/python-venv.sh" || die "python venv could not be created"
bash "$REPO/scripts/up.sh" || die "the stack did not start"
[ -d "$REPO/tests/e2e/node_modules" ] || (cd "$REPO/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
export REQUESTS_CA_BUNDLE=$CA_CERT NODE_EXTRA_CA_CERTS=$CA_CERT WPOA_RUN=$RUN
cd "$REPO/tests/python"
out=$(mktemp)
args=("$@"); (( ${#args[@]} )) || args=(discover -v -p 'test_*.py')
"$REPO/.venv/bin/python" -m unittest "${args[@]}" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
read -r ran bad skipped < <(awk '
  /^Ran [0-9]+ tests? in / { ran = $2 }
  /^(FAILED|OK) \(/ { s = $0; while (match(s, /(failures|errors|skipped)=[0-9]+/)) {
      kv = substr(s, RSTART, RLENGTH); split(kv, a, "="); if (a[1] == "skipped") sk = a[2]; else bad += a[2]
      s = substr(s, RSTART + RLENGTH) } }
  END { printf "%d %d %d\n", ran, bad, sk }' "$out")
(( rc != 0 && bad == 0 )) && bad=1
echo "# pass $(( ran - bad - skipped < 0 ? 0 : ran - bad - skipped ))"
echo "# fail $bad"
rm -f "$out"
exit "$rc"
