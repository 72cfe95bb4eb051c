// One refresh of tuf-js (npm tuf-js, pinned in package.json) against a TUF repository, then one
// target: the same contract as tuf_client.py.
//
//   node tuf_client.mjs STATE_DIR TRUSTED_ROOT METADATA_BASE_URL TARGET_BASE_URL TARGET_PATH
//
// Prints one JSON object on stdout: {"ok": true, "timestamp_version", "snapshot_version",
// "custom", "length", "sha256"}, or {"ok": false, "error": <error class>, "message"}.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

// tuf-js is a CommonJS package installed in the workspace's node_modules.
const require = createRequire(join(process.cwd(), "package.json"));
const { Updater } = require("tuf-js");

const [state, trustedRoot, metadataBaseUrl, targetBaseUrl, targetPath] = process.argv.slice(2);
const metadataDir = join(state, "metadata");
const targetDir = join(state, "targets");
mkdirSync(metadataDir, { recursive: true });
mkdirSync(targetDir, { recursive: true });
if (!existsSync(join(metadataDir, "root.json"))) {
  copyFileSync(trustedRoot, join(metadataDir, "root.json"));
}

const version = (role) =>
  JSON.parse(readFileSync(join(metadataDir, `${role}.json`), "utf8")).signed.version;

try {
  // No retries: a refused answer should fail this run, not be fetched again.
  const updater = new Updater({
    metadataDir,
    metadataBaseUrl,
    targetDir,
    targetBaseUrl,
    config: { fetchRetry: 0 },
  });
  await updater.refresh();
  const info = await updater.getTargetInfo(targetPath);
  if (!info) throw new Error(`no target ${targetPath}`);
  const path = join(targetDir, "download");
  rmSync(path, { force: true });
  await updater.downloadTarget(info, path);
  const data = readFileSync(path);
  console.log(
    JSON.stringify({
      ok: true,
      timestamp_version: version("timestamp"),
      snapshot_version: version("snapshot"),
      custom: info.custom,
      length: data.length,
      sha256: createHash("sha256").update(data).digest("hex"),
    }),
  );
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: e.constructor.name, message: String(e.message) }));
}
