#!/usr/bin/env bash
# Installs the headless browser the cluster-page browser test drives: Debian's `chromium` (and
# `chromium-driver`, for anyone who prefers WebDriver). Idempotent: does nothing when `chromium`
# is already on PATH. Installs with apt-get when run as root; otherwise prints what to install
# and exits 1, so a caller (the browser test) can skip with a clear message.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  echo "chromium present: $(command -v chromium)"
  exit 0
fi

PACKAGES=(chromium chromium-driver fonts-dejavu-core)

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium is missing; install it as root with: apt-get install -y ${PACKAGES[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# The package lists may be absent on a fresh machine; refresh them once, then install.
if ! apt-get install -y --no-install-recommends "${PACKAGES[@]}"; then
  apt-get update
  apt-get install -y --no-install-recommends "${PACKAGES[@]}"
fi
command -v chromium >/dev/null 2>&1 || { echo "chromium still not on PATH after install" >&2; exit 1; }
echo "chromium installed: $(command -v chromium)"
