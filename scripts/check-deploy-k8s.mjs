// Validates every document of the given Kubernetes YAML files against the Kubernetes OpenAPI
// schemas shipped in the npm package kubernetes-models (no API server needed). Used by
// scripts/check-deploy.sh, which installs the packages into MODULES_DIR.
//   node scripts/check-deploy-k8s.mjs MODULES_DIR FILE.yaml...
// Exit 0 when every document validates, 1 otherwise (each problem printed with file and kind).
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [modulesDir, ...files] = process.argv.slice(2);
const load = (path) => import(pathToFileURL(join(modulesDir, path)).href);
const yaml = await load("js-yaml/dist/js-yaml.mjs");

let failures = 0;
let documents = 0;
for (const file of files) {
  for (const doc of yaml.loadAll(readFileSync(file, "utf8"))) {
    if (doc == null) continue;
    documents++;
    const where = `${file}: ${doc.kind ?? "?"} ${doc.metadata?.name ?? "?"}`;
    // "apps/v1" → kubernetes-models/apps/v1/StatefulSet.js; the core group "v1" → kubernetes-models/v1/.
    const model = join("kubernetes-models", String(doc.apiVersion), `${doc.kind}.js`);
    if (!doc.apiVersion || !doc.kind || !existsSync(join(modulesDir, model))) {
      console.log(`FAIL ${where}: unknown apiVersion/kind ${doc.apiVersion}/${doc.kind}`);
      failures++;
      continue;
    }
    const Kind = (await load(model))[doc.kind];
    try {
      new Kind(doc).validate();
      console.log(`ok   ${where} (${doc.apiVersion})`);
    } catch (e) {
      console.log(`FAIL ${where}: ${e.message}`);
      failures++;
    }
  }
}
console.log(`${documents} documents, ${failures} invalid`);
process.exit(failures === 0 && documents > 0 ? 0 : 1);
