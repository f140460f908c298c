#!/usr/bin/env bash
# Installs the tools the nemesis run uses when they are missing, from the Debian packages:
# nft (nftables: partitions, packet loss), libfaketime (clock faults), mkfs.ext4 (e2fsprogs) and
# mount/fallocate (mount, util-linux: loop-mounted data dirs for power loss and disk full), setpriv
# (util-linux: each client JVM gets its own group id, which client partitions match on).
# Idempotent; needs root to install. A fault whose tool is still missing is skipped by the run,
# which says so. Used by scripts/nemesis.sh.
set -euo pipefail
LIBFAKETIME=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
missing=()
command -v nft >/dev/null 2>&1 || missing+=(nftables)
[ -f "$LIBFAKETIME" ] || missing+=(libfaketime)
command -v mkfs.ext4 >/dev/null 2>&1 || missing+=(e2fsprogs)
command -v mount >/dev/null 2>&1 || missing+=(mount)
if ! command -v fallocate >/dev/null 2>&1 || ! command -v setpriv >/dev/null 2>&1; then
  missing+=(util-linux)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing ${missing[*]}; as root run: apt-get install -y ${missing[*]}" >&2
    echo "(the run goes on and skips the faults that need them)" >&2
    exit 0
  fi
  echo "installing ${missing[*]}"
  # A fresh machine may have no package lists yet: update once if the first try fails.
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null; then
    apt-get update >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null \
      || echo "could not install ${missing[*]}; the run skips the faults that need them" >&2
  fi
fi
echo "nft: $(nft --version 2>/dev/null || echo missing)"
echo "libfaketime: $([ -f "$LIBFAKETIME" ] && echo "$LIBFAKETIME" || echo missing)"
echo "mkfs.ext4: $(command -v mkfs.ext4 || echo missing)"
echo "setpriv: $(command -v setpriv || echo missing)"
