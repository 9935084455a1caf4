#!/usr/bin/env bash
# make bench: measures Bazaar on this machine and appends the figures to
# docs/benchmarks.md (machine, commands, results). Run it on a quiet
# machine: the load generator shares the cores with the shop.
#   RATES   the sweep's rates (default 50,100,200,400)
#   BENCH_SECONDS each rate's duration (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/shop.sh
. scripts/shop.sh
GO=${GO:-go}
RATES=${RATES:-50,100,200,400}
SECONDS_PER_RATE=${BENCH_SECONDS:-10}
OUT=$(mktemp -d)
SHOP_PID=
trap '[ -n "$SHOP_PID" ] && kill -INT "$SHOP_PID" 2>/dev/null && wait "$SHOP_PID"; rm -rf "$OUT"' EXIT
BIN=$OUT/bazaar
$GO build -o "$BIN" ./cmd/bazaar

section() { printf '\n### %s\n\n' "$1" >>"$OUT/report.md"; }
block() { { echo '```'; cat "$1"; echo '```'; } >>"$OUT/report.md"; }

{
  echo
  echo "## make bench, $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD)$(git diff --quiet || echo '-dirty')"
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/{print $2}') GiB; $($GO version | cut -d' ' -f3)."
} >"$OUT/report.md"

# 1. The platform's overhead: one unary call through our stacks against
#    bare grpc-go, same process, same run.
section "Platform overhead (go test -run '^\$' -bench UnaryCall -count 6 ./platform/daemon)"
$GO test -run '^$' -bench UnaryCall -count 6 ./platform/daemon >"$OUT/overhead.txt"
$GO tool -modfile=tools/go.mod benchstat -col /stack "$OUT/overhead.txt" >"$OUT/overhead-stat.txt"
block "$OUT/overhead-stat.txt"

# 2. Per-service hot paths, compared with the previous `make bench`
#    (docs/bench/hotpaths.txt, rewritten each run).
HOT_PKGS="./services/catalog ./services/pricing ./services/cart ./services/orders ./services/inventory ./services/recommendations ./services/storefront"
section "Hot paths (go test -run '^\$' -bench . -count 6 $HOT_PKGS)"
# shellcheck disable=SC2086 # HOT_PKGS is a list of packages
$GO test -run '^$' -bench . -count 6 $HOT_PKGS >"$OUT/hot.txt"
mkdir -p docs/bench
if [ -s docs/bench/hotpaths.txt ]; then
  echo "Against the previous run (old: docs/bench/hotpaths.txt as it was):" >>"$OUT/report.md"
  $GO tool -modfile=tools/go.mod benchstat docs/bench/hotpaths.txt "$OUT/hot.txt" >"$OUT/hot-stat.txt"
else
  $GO tool -modfile=tools/go.mod benchstat "$OUT/hot.txt" >"$OUT/hot-stat.txt"
fi
block "$OUT/hot-stat.txt"
cp "$OUT/hot.txt" docs/bench/hotpaths.txt

# 3. The standard workload against the running shop, in both modes.
start_shop() { # mode data port
  local log=$OUT/up-$1.log
  if [ "$1" = single ]; then
    "$BIN" up -single -data "$2" -port "$3" -console-port 0 >"$log" 2>&1 &
  else
    "$BIN" up -data "$2" -port "$3" -console-port 0 >"$log" 2>&1 &
  fi
  SHOP_PID=$!
  await_shop "$SHOP_PID" "$log"
}
stop_shop() { kill -INT "$SHOP_PID"; wait "$SHOP_PID" || true; SHOP_PID=; }

for mode in distributed single; do
  data=$OUT/data-$mode
  port=$(( 18400 + RANDOM % 1000 ))
  start_shop "$mode" "$data" "$port"
  url=http://127.0.0.1:$port
  pids=()
  [ "$mode" = single ] && pids=(-pids "$SHOP_PID")
  section "bazaar up$([ "$mode" = single ] && echo ' -single'): $(grep -o 'ready in [0-9.]*s' "$OUT/up-$mode.log" || echo 'ready')"
  sleep 5 # idle
  "$BIN" load -url "$url" -data "$data" "${pids[@]}" -rate 1 -duration 2s -workers 4 >"$OUT/idle-$mode.txt" 2>/dev/null
  echo "Idle (a 2 s trickle at 1 op/s), memory per process:" >>"$OUT/report.md"
  block <(sed -n '/^ *process /,$p' "$OUT/idle-$mode.txt")
  echo "Sweep (\`bazaar load -sweep $RATES -duration ${SECONDS_PER_RATE}s\`):" >>"$OUT/report.md"
  "$BIN" load -url "$url" -data "$data" "${pids[@]}" -sweep "$RATES" -duration "${SECONDS_PER_RATE}s" -workers 128 >"$OUT/sweep-$mode.txt" 2>/dev/null
  block "$OUT/sweep-$mode.txt"
  # The per-process run: at the best rate of the whole mix, else the best
  # without sign-in, else the first rate.
  best=$(sed -n 's/^highest rate with p99 <= .*: \([0-9]*\)\/s$/\1/p' "$OUT/sweep-$mode.txt")
  best_except=$(sed -n 's/^highest rate with p99 except sign-in <= .*: \([0-9]*\)\/s$/\1/p' "$OUT/sweep-$mode.txt")
  rate=${best:-${best_except:-${RATES%%,*}}}
  echo "At ${rate} ops/s for ${SECONDS_PER_RATE}s, per process (\`bazaar load -rate $rate\`):" >>"$OUT/report.md"
  "$BIN" load -url "$url" -data "$data" "${pids[@]}" -rate "$rate" -duration "${SECONDS_PER_RATE}s" -workers 128 >"$OUT/run-$mode.txt" 2>/dev/null
  block "$OUT/run-$mode.txt"
  if [ "$mode" = distributed ]; then # verify reads the supervisor's registry
    if "$BIN" verify -data "$data" -wait 30s >"$OUT/verify.txt" 2>&1; then
      echo "bazaar verify afterwards: no violation." >>"$OUT/report.md"
    else
      echo "bazaar verify afterwards: FAILED:" >>"$OUT/report.md"; block "$OUT/verify.txt"
    fi
  fi
  stop_shop
done

cat "$OUT/report.md" >>docs/benchmarks.md
cat "$OUT/report.md"
echo
echo "appended to docs/benchmarks.md"
