# Sourced by the scripts that start a shop of their own (bench.sh,
# chaos-matrix.sh); not run by itself.

# await_shop PID LOG: wait until the `bazaar up` of PID, writing to LOG,
# announces the storefront (at most 5 minutes: the first start builds
# every binary). On its exit or the time-out, print LOG and fail.
await_shop() {
  local pid=$1 log=$2
  for _ in $(seq 1 600); do
    grep -q '^storefront: ' "$log" && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log"; return 1; }
    sleep 0.5
  done
  echo "bazaar up did not announce the storefront within 5 minutes:" >&2
  cat "$log"; return 1
}
