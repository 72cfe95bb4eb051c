// Serves one worker under workerd through Miniflare (programmatic, no wrangler proxy) for
// bench/edge-throughput.sh. workerd listens on the port itself: Node only configures it, fills
// KV, forwards workerd's log lines and then sits idle until SIGTERM/SIGINT.
//
//   node bench/serve.mjs --script DIR/build/index.js --port N --site WORKER_TREE \
//        [--kv-bulk kv-bulk.json] [--secret-bulk secrets-bulk.json]
//
// Bindings and asset routing mirror wrangler.toml: ASSETS on the worker tree (`--site`: the
// build's site-edge/, the public files plus `_edge/`; docs/site-layout.md) with
// run_worker_first = ["/_edge/*", "/_edge", "/api/*", "/v1/*"] and not_found_handling "none",
// the KV namespace KEYS (filled from the bulk file, as `wrangler kv bulk put` does), the Durable
// Object namespace NONCE_SHARDS of the worker's SQLite-backed class NonceShard (wrangler.toml's
// new_sqlite_classes; Miniflare stores it on disk under its temporary directory), and
// EDGE_SECRETS from the secret bulk file. The trivial worker gets the same bindings and routing
// (it has its own small NonceShard) so that the only difference between the two is the
// worker's code.
// Prints "ready <url>" on stdout once requests can be sent.

import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createRequire } from "node:module";
import { edgeOptions } from "./bindings.mjs";

const require = createRequire(import.meta.url);
const root = new URL("..", import.meta.url).pathname;
const { Miniflare, Log, LogLevel } = require(`${root}node_modules/miniflare`);

const { values: a } = parseArgs({
  options: {
    script: { type: "string" },
    port: { type: "string" },
    site: { type: "string" },
    "kv-bulk": { type: "string" },
    "secret-bulk": { type: "string" },
  },
});
if (!a.script || !a.port || !a.site) {
  console.error("usage: serve.mjs --script index.js --port N --site DIR [--kv-bulk F] [--secret-bulk F]");
  process.exit(2);
}

// Read from wrangler.toml so the benchmark follows the deployed configuration.
const toml = readFileSync(`${root}wrangler.toml`, "utf8");
const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)[1];
const runWorkerFirst = JSON.parse(/^run_worker_first\s*=\s*(\[[^\]]*\])/m.exec(toml)[1]);

const secrets = a["secret-bulk"] ? JSON.parse(readFileSync(a["secret-bulk"], "utf8")) : {};

const mf = new Miniflare({
  host: "127.0.0.1",
  port: Number(a.port),
  modules: true,
  scriptPath: a.script,
  // Module names are paths relative to this; the default (the working directory) cannot name
  // a script outside it, such as the benchmark's builds in its temporary directory.
  modulesRoot: dirname(resolve(a.script)),
  // worker-build emits an ES module (index.js) importing index_bg.wasm.
  modulesRules: [
    { type: "ESModule", include: ["**/*.js"] },
    { type: "CompiledWasm", include: ["**/*.wasm"] },
  ],
  compatibilityDate,
  kvNamespaces: ["KEYS"],
  // The Durable Objects, rate limiters and queues of wrangler.toml (bench/bindings.mjs).
  ...edgeOptions(toml),
  bindings: secrets,
  assets: {
    directory: a.site,
    binding: "ASSETS",
    routerConfig: { has_user_worker: true, static_routing: { user_worker: runWorkerFirst } },
    assetConfig: { not_found_handling: "none", compatibility_date: compatibilityDate },
  },
  // The placeholder `Request.cf`: fetching the real one needs the internet.
  cf: false,
  log: new Log(LogLevel.WARN),
});

const url = await mf.ready;
if (a["kv-bulk"]) {
  const kv = await mf.getKVNamespace("KEYS");
  const entries = JSON.parse(readFileSync(a["kv-bulk"], "utf8"));
  for (const { key, value } of entries) await kv.put(key, value);
  console.error(`loaded ${entries.length} KEYS records`);
}
console.log(`ready ${url.origin}`);

const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
