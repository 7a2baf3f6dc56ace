# shellcheck shell=bash
# parse_counts LOG -> "passed failed" from whichever runner summaries the log contains (cargo test,
# PHPUnit, node --test, phpt). Shared by scripts/test-all.sh and scripts/test-cell.sh.
parse_counts() {
  awk '
    # cargo test
    /^test result: (ok|FAILED)\. [0-9]+ passed; [0-9]+ failed/ {
      for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) }
    }
    # PHPUnit
    /^OK \([0-9]+ tests?, / { s = $0; sub(/^OK \(/, "", s); p += s + 0 }
    /^Tests: [0-9]+, Assertions: / {
      n = 0; fe = 0; sk = 0; s = $0; gsub(/[.,]/, "", s); k = split(s, a, " ")
      for (i = 1; i < k; i++) {
        if (a[i] == "Tests:") n = a[i+1]
        if (a[i] == "Failures:" || a[i] == "Errors:") fe += a[i+1]
        if (a[i] == "Skipped:" || a[i] == "Incomplete:") sk += a[i+1]
      }
      p += n - fe - sk; f += fe
    }
    # node --test (TAP or spec reporter)
    /^(# |ℹ )pass [0-9]+$/ { p += $NF }
    /^(# |ℹ )fail [0-9]+$/ { f += $NF }
    # PHP run-tests.php (phpt)
    /^Tests passed *: *[0-9]+/ { s = $0; sub(/^Tests passed *: */, "", s); p += s + 0 }
    /^Tests failed *: *[0-9]+/ { s = $0; sub(/^Tests failed *: */, "", s); f += s + 0 }
    END { printf "%d %d\n", p, f }
  ' "$1"
}
