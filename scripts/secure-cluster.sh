#!/usr/bin/env bash
# A local 3-node RaftLock cluster with TLS on every port: a fresh CA, one certificate per member
# (naming its node id, localhost and 127.0.0.1), mutual TLS between members, TLS with required
# client certificates on the client ports 8001-8003 (peers on 7001-7003, as in conf/), and API-key
# auth enabled (docs/security.md).
#   scripts/secure-cluster.sh start   make the CA and certificates if missing, start, wait for a leader,
#                                     enable auth once (the first admin key goes to run/secure/admin.key)
#   scripts/secure-cluster.sh stop    SIGTERM every node (graceful)
#   scripts/secure-cluster.sh wipe    stop and delete run/secure/ (certificates, data, logs)
# For tools: run/secure/ca.pem, run/secure/client.pem, run/secure/client-key.pem and run/secure/admin.key, e.g.
#   java -jar target/raftlock.jar auth status --ca run/secure/ca.pem --cert run/secure/client.pem \
#     --key run/secure/client-key.pem --api-key "$(cat run/secure/admin.key)"
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
DIR=run/secure
NODES=(node-1 node-2 node-3)

need_openssl() {
  command -v openssl >/dev/null && return
  echo "installing openssl"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
}

# issue NAME SUBJECT_ALT_NAMES EXTENDED_KEY_USAGE: an EC P-256 key (PKCS#8) and a certificate signed by the CA.
issue() {
  local name=$1 san=$2 eku=$3
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DIR/$name-key.pem" 2>/dev/null
  openssl req -new -key "$DIR/$name-key.pem" -subj "/CN=$name" -out "$DIR/$name.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n' "$san" "$eku" >"$DIR/$name.ext"
  openssl x509 -req -in "$DIR/$name.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca-key.pem" -CAcreateserial \
    -days 365 -sha256 -extfile "$DIR/$name.ext" -out "$DIR/$name.pem" 2>/dev/null
  rm -f "$DIR/$name.csr" "$DIR/$name.ext"
}

make_certificates() {
  [ -f "$DIR/ca.pem" ] && return
  need_openssl
  mkdir -p "$DIR"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DIR/ca-key.pem" 2>/dev/null
  openssl req -x509 -new -key "$DIR/ca-key.pem" -subj "/CN=raftlock-local-ca" -days 3650 -sha256 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out "$DIR/ca.pem" 2>/dev/null
  for n in "${NODES[@]}"; do
    issue "$n" "DNS:$n,DNS:localhost,IP:127.0.0.1" "serverAuth,clientAuth"
  done
  issue client "DNS:raftlock-client" "clientAuth"
  chmod 600 "$DIR"/*-key.pem
  echo "certificates in $DIR/ (CA: $DIR/ca.pem)"
}

# run/secure/node-N.json: conf/node-N.json with its own data directory and a tls section.
write_config() {
  local n=$1
  sed -e "s|\"dataDir\": \"[^\"]*\"|\"dataDir\": \"$DIR/data/$n\"|" \
      -e "s|^}$|  ,\"tls\": {\n    \"client\": { \"certFile\": \"$DIR/$n.pem\", \"keyFile\": \"$DIR/$n-key.pem\", \"caFile\": \"$DIR/ca.pem\" },\n    \"peer\": { \"certFile\": \"$DIR/$n.pem\", \"keyFile\": \"$DIR/$n-key.pem\", \"caFile\": \"$DIR/ca.pem\" }\n  }\n}|" \
      "conf/$n.json" >"$DIR/$n.json"
}

pid_of() { cat "$DIR/pids/$1.pid" 2>/dev/null || true; }
alive() { local p; p=$(pid_of "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

TLS_ARGS=(--endpoints 127.0.0.1:8001,127.0.0.1:8002,127.0.0.1:8003 --ca "$DIR/ca.pem" --cert "$DIR/client.pem"
  --key "$DIR/client-key.pem")

# Turns auth on over TLS, once: the first admin key is printed once and kept in admin.key (mode 600).
enable_auth() {
  [ -f "$DIR/admin.key" ] && return
  local out key
  out=$(java -jar target/raftlock.jar auth enable "${TLS_ARGS[@]}")
  key=$(printf '%s\n' "$out" | grep -o 'rlk_[A-Za-z0-9_-]*' | tail -n 1)
  if [ -z "$key" ]; then echo "auth enable gave no key: $out" >&2; return 1; fi
  (umask 077; printf '%s\n' "$key" >"$DIR/admin.key")
  echo "auth enabled; admin key in $DIR/admin.key"
}

# GET /ready over TLS with the client certificate.
ready() {
  local port=$((8000 + ${1#node-}))
  printf 'GET /ready HTTP/1.0\r\nHost: localhost\r\n\r\n' | timeout 3 openssl s_client -quiet -connect "127.0.0.1:$port" \
    -CAfile "$DIR/ca.pem" -cert "$DIR/client.pem" -key "$DIR/client-key.pem" 2>/dev/null | grep -q '^ready'
}

case "${1:-}" in
  start)
    build_jar_if_stale
    make_certificates
    mkdir -p "$DIR/logs" "$DIR/pids"
    for n in "${NODES[@]}"; do
      if alive "$n"; then echo "$n already running"; continue; fi
      write_config "$n"
      nohup java -Xmx256m -jar target/raftlock.jar --config "$DIR/$n.json" >>"$DIR/logs/$n.log" 2>&1 &
      echo $! >"$DIR/pids/$n.pid"
      echo "started $n (pid $!, log $DIR/logs/$n.log)"
    done
    printf 'waiting until every node is ready'
    for _ in $(seq 1 60); do
      all=1
      for n in "${NODES[@]}"; do ready "$n" || all=0; done
      if [ $all = 1 ]; then
        printf '\nready: client API over TLS on 127.0.0.1:8001-8003\n'
        enable_auth
        exit 0
      fi
      printf '.'; sleep 0.5
    done
    printf '\nnot ready after 30 s; see %s/logs\n' "$DIR"; exit 1 ;;
  stop)
    for n in "${NODES[@]}"; do alive "$n" && kill -TERM "$(pid_of "$n")" && echo "stopping $n"; done
    for n in "${NODES[@]}"; do while alive "$n"; do sleep 0.2; done; done ;;
  wipe)
    "$0" stop || true; rm -rf "$DIR"; echo "removed $DIR/" ;;
  *)
    sed -n '2,12p' "$0"; exit 2 ;;
esac
