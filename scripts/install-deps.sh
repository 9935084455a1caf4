#!/usr/bin/env bash
# Installs what the test suite needs besides Go: Debian's chromium for the
# browser tests, and Debian's PostgreSQL with a running test cluster for
# the store tests (scripts/test-postgres.sh). Idempotent; run as root (CI
# and the dev machines are).
set -euo pipefail

bash "$(dirname "$0")/test-postgres.sh"

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)

if [ ${#need[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: need ${need[*]}; run as root: sudo $0" >&2
	exit 1
fi
echo "install-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
