#!/usr/bin/env bash
# Debian packages the tests need, installed only when missing (run as root, or with sudo):
# a PostgreSQL server for the multi-worker tests (they start their own, as user postgres),
# and Chromium for the browser tests (driven by Playwright with this system browser).
set -euo pipefail
need=""
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$need postgresql"
[ -x /usr/bin/chromium ] || need="$need chromium"
if [ -n "$need" ]; then
  echo "installing:$need"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi
