#!/usr/bin/env bash
# Installs etcd (server and etcdctl) from the Debian packages if either is missing, then prints
# the version. Idempotent; needs root to install. Used by scripts/bench.sh.
set -euo pipefail
if ! command -v etcd >/dev/null 2>&1 || ! command -v etcdctl >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "etcd is not installed; as root run: apt-get install -y etcd-server etcd-client" >&2
    exit 1
  fi
  echo "installing etcd-server and etcd-client"
  DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server etcd-client >/dev/null
fi
# The package enables a systemd unit; nothing here starts or relies on it.
etcd --version | sed -n 1p
etcdctl version | sed -n 1p
