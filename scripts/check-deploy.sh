#!/usr/bin/env bash
# Static checks of the deployment files (deploy/Dockerfile, deploy/k8s/*.yaml). No image registry
# or Kubernetes API server is needed, so nothing is built or applied; this is not part of the test
# suite. Checks:
#   1. yamllint (Debian package) on deploy/k8s/*.yaml;
#   2. the Kubernetes schemas: every document validated by the npm package kubernetes-models
#      (scripts/check-deploy-k8s.mjs). Types, required fields and enums are checked; misspelled
#      field names are NOT (those schemas allow unknown properties);
#   3. every node config in the ConfigMaps loaded by the jar's own ConfigLoader (the check a node
#      makes at start: unknown fields, addresses, nodeId among the members);
#   4. deploy/Dockerfile with the npm linters dockerfile-utils and dockerfilelint.
# Installs yamllint with apt-get when run as root (else says what to install) and the npm packages
# into target/deploy-check. Builds the jar if it is missing. Exit 0 only when every check passes.
set -euo pipefail
cd "$(dirname "$0")/.."

MODULES=target/deploy-check/node_modules
NPM_PACKAGES=(dockerfile-utils@0.16.3 dockerfilelint@1.8.0 kubernetes-models@5.1.0 js-yaml@5.5.0)

install_tools() {
  if ! command -v yamllint >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "yamllint is missing; as root run: apt-get install -y yamllint" >&2
      exit 1
    fi
    # A fresh machine may have no package lists yet: update once if the first try fails.
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y yamllint >/dev/null; then
      apt-get update >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y yamllint >/dev/null
    fi
  fi
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "node and npm are needed (Debian: apt-get install -y nodejs npm)" >&2
    exit 1
  fi
  if [ ! -d "$MODULES/kubernetes-models" ] || [ ! -x "$MODULES/.bin/dockerfilelint" ] \
      || [ ! -x "$MODULES/.bin/dockerfile-utils" ] || [ ! -d "$MODULES/js-yaml" ]; then
    mkdir -p target/deploy-check
    (cd target/deploy-check && npm install --no-audit --no-fund --loglevel=error "${NPM_PACKAGES[@]}")
  fi
  if [ ! -f target/raftlock.jar ]; then
    mvn -B -q package -DskipTests
  fi
}

# Writes each "*.json" entry of the ConfigMaps in $1 to the directory $2 (js-yaml, not sed).
extract_configs() {
  node --input-type=module -e '
    import { readFileSync, writeFileSync } from "node:fs";
    import { join } from "node:path";
    import { pathToFileURL } from "node:url";
    const [modules, file, out] = process.argv.slice(1);
    const yaml = await import(pathToFileURL(join(modules, "js-yaml/dist/js-yaml.mjs")).href);
    for (const doc of yaml.loadAll(readFileSync(file, "utf8"))) {
      if (doc?.kind !== "ConfigMap") continue;
      for (const [name, text] of Object.entries(doc.data ?? {})) {
        if (name.endsWith(".json")) writeFileSync(join(out, name), text);
      }
    }' "$MODULES" "$1" "$2"
}

# Loads each config with io.raftlock.config.ConfigLoader (a Java single-file program on the jar).
load_configs() {
  local dir=$1 program=$1/LoadConfigs.java
  cat >"$program" <<'JAVA'
import io.raftlock.config.ConfigException;
import io.raftlock.config.ConfigLoader;
import io.raftlock.config.NodeConfig;
import java.nio.file.Path;

public class LoadConfigs {
  public static void main(String[] files) {
    int failures = 0;
    for (String file : files) {
      try {
        NodeConfig c = ConfigLoader.load(Path.of(file));
        System.out.println("ok   " + Path.of(file).getFileName() + ": node " + c.nodeId() + ", "
            + c.members().size() + " members, dataDir " + c.dataDir());
      } catch (ConfigException e) {
        System.out.println("FAIL " + Path.of(file).getFileName() + ": " + e.getMessage());
        failures++;
      }
    }
    System.exit(failures == 0 && files.length > 0 ? 0 : 1);
  }
}
JAVA
  java -cp target/raftlock.jar "$program" "$dir"/*.json
}

install_tools
status=0
step() { echo "== $*"; }

step "yamllint deploy/k8s"
yamllint -d '{extends: default, rules: {line-length: {max: 120}}}' deploy/k8s/*.yaml && echo "ok" || status=1

step "Kubernetes schemas (kubernetes-models)"
node scripts/check-deploy-k8s.mjs "$MODULES" deploy/k8s/*.yaml || status=1

step "node configs in the ConfigMaps (ConfigLoader)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for f in deploy/k8s/*.yaml; do extract_configs "$f" "$work"; done
if compgen -G "$work/*.json" >/dev/null; then load_configs "$work" || status=1; else echo "FAIL no configs found"; status=1; fi

step "dockerfile-utils lint deploy/Dockerfile"
"$MODULES/.bin/dockerfile-utils" lint deploy/Dockerfile && echo "ok" || status=1

step "dockerfilelint deploy/Dockerfile"
"$MODULES/.bin/dockerfilelint" deploy/Dockerfile || status=1

echo "== $([ "$status" -eq 0 ] && echo "all deployment checks passed" || echo "some deployment checks FAILED")"
exit "$status"
