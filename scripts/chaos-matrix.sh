#!/usr/bin/env bash
# The fault matrix against one `bazaar up`, as docs/resilience.md reports
# it: every row of `bazaar chaos list` in turn, under the standard
# workload, with `bazaar verify` after each. Writes each row's outcome
# (text, JSON, SVG) to OUT and prints one markdown table row per
# experiment. Run it on a quiet machine: the shop, the load and the
# faults share the cores.
#   RATE   arrival rate (default 50)
#   OUT    where the outcomes go (default: a new temporary directory)
#   ROWS   which experiments (default: all of `bazaar chaos list`)
# As root, orders' data sits on a 64 MB tmpfs so that disk-full:orders
# can fill it; otherwise that row is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/shop.sh
. scripts/shop.sh
GO=${GO:-go}
RATE=${RATE:-50}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
DATA=$(mktemp -d)
BIN=$OUT/bazaar
SHOP_PID=
MOUNTED=
cleanup() {
  [ -n "$SHOP_PID" ] && kill -INT "$SHOP_PID" 2>/dev/null && wait "$SHOP_PID" || true
  [ -n "$MOUNTED" ] && umount -l "$DATA/orders" 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT
$GO build -o "$BIN" ./cmd/bazaar

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$DATA/orders" && mount -t tmpfs -o size=64m tmpfs "$DATA/orders" && MOUNTED=1
fi
PORT=$(( 18700 + RANDOM % 500 ))
"$BIN" up -data "$DATA" -port "$PORT" -console-port 0 >"$OUT/up.log" 2>&1 &
SHOP_PID=$!
await_shop "$SHOP_PID" "$OUT/up.log"

ROWS=${ROWS:-$("$BIN" chaos list)}
echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo '-dirty'), rate $RATE, $(nproc) cores, outcomes in $OUT"
echo
echo "| experiment | load avg | independent: success, p99 (baseline) | degraded: success, p99 | dependent: failed/all, p99 | verdict |"
echo "|---|---|---|---|---|---|"
for row in $ROWS; do
  case "$row" in
    disk-full:*) [ -n "$MOUNTED" ] || { echo "| \`$row\` | | | | | not run (needs root for the tmpfs) |"; continue; } ;;
  esac
  phases=(-baseline 3s -fault 5s -recover 10s)
  case "$row" in
    pause:*) phases=(-baseline 3s -fault 10s -recover 10s) ;;
    kill:*) phases=(-baseline 3s -fault 5s -recover 15s) ;;
  esac
  name=${row//[:>]/_}
  load=$(cut -d' ' -f1 /proc/loadavg)
  "$BIN" chaos -data "$DATA" -rate "$RATE" -workers 32 "${phases[@]}" \
    -json "$OUT/$name.json" -svg "$OUT/$name.svg" "$row" >"$OUT/$name.txt" 2>&1 || true
  # One table row from the text outcome: the fault phase per group, the
  # baseline p99 of the independent journeys, and the failed checks.
  awk -v row="$row" -v load="$load" '
    $1 == "baseline" && $2 == "independent" { base = $7 }
    $1 == "fault" && $2 == "independent" { ind = $5 ", " $7 " ms" }
    $1 == "fault" && $2 == "degraded" { deg = $5 ", " $7 " ms" }
    $1 == "fault" && $2 == "dependent" { dep = $4 "/" $3 ", " $7 " ms" }
    /^experiment / { verdict = $NF }
    /^FAIL / { sub(/^FAIL /, ""); sub(/ \(want.*/, ""); fails = fails (fails ? "; " : "") $0 }
    END {
      if (ind != "") ind = ind " (" base ")"
      if (verdict == "") verdict = "did not run (see the outcome file)"
      else if (fails != "") verdict = verdict ": " fails
      printf "| `%s` | %s | %s | %s | %s | %s |\n", row, load, (ind ? ind : "-"), (deg ? deg : "-"), (dep ? dep : "-"), verdict
    }' "$OUT/$name.txt"
done
