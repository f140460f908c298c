#!/usr/bin/env bash
# Installs stress-ng (Debian package) when it is missing: scripts/stress-suite.sh runs it beside
# the test suite to starve the test JVMs of CPU. Idempotent; needs root to install.
set -euo pipefail
if ! command -v stress-ng >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "stress-ng is missing; as root run: apt-get install -y stress-ng" >&2
    exit 1
  fi
  echo "installing stress-ng"
  # A fresh machine may have no package lists yet: update once if the first try fails.
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y stress-ng >/dev/null; then
    apt-get update >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y stress-ng >/dev/null
  fi
fi
echo "stress-ng: $(stress-ng --version 2>/dev/null | head -1)"
