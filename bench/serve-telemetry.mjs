// Serves the edge worker under workerd through Miniflare with a local D1 for
// bench/telemetry-throughput.sh: bench/serve.mjs's bindings (assets with wrangler.toml's
// run_worker_first, KV KEYS filled from the bulk file, the SQLite-backed Durable Object
// namespace NONCE_SHARDS, EDGE_SECRETS) plus
// d1Databases ["TELEMETRY"], with migrations/*.sql applied before "ready" is printed.
//
//   node bench/serve-telemetry.mjs --script edge-worker/build/index.js --port N --site SITE \
//        --control-port M [--kv-bulk kv-bulk.json] [--secret-bulk secrets-bulk.json] \
//        [--d1-persist DIR]
//
// Miniflare's D1 is a Durable Object (its D1DatabaseObject) whose SQLite storage workerd keeps
// in a file: under Miniflare's temporary directory by default, under DIR with --d1-persist.
// workerd listens on --port itself; Node only configures it, then answers on 127.0.0.1:M (a
// small control server for the benchmark, never in the measured path):
//   GET  /count  {"rows":…, "machines":…, "versions":[…]} of machine_days
//   POST /sql    {"sql": …, "params": […]}: runs one statement, answers D1's meta (changes,
//                rows_read, rows_written, …)
//   POST /reset  deletes every machine_days row (before each measurement)
// Prints "ready <url>" on stdout once requests can be sent.

import { readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:http";
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
    "control-port": { type: "string" },
    site: { type: "string" },
    "kv-bulk": { type: "string" },
    "secret-bulk": { type: "string" },
    "d1-persist": { type: "string" },
  },
});
if (!a.script || !a.port || !a.site || !a["control-port"]) {
  console.error(
    "usage: serve-telemetry.mjs --script index.js --port N --site DIR --control-port M " +
      "[--kv-bulk F] [--secret-bulk F] [--d1-persist DIR]",
  );
  process.exit(2);
}

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
  // a script outside it.
  modulesRoot: dirname(resolve(a.script)),
  modulesRules: [
    { type: "ESModule", include: ["**/*.js"] },
    { type: "CompiledWasm", include: ["**/*.wasm"] },
  ],
  compatibilityDate,
  kvNamespaces: ["KEYS"],
  // The Durable Objects, rate limiters and queues of wrangler.toml (bench/bindings.mjs).
  ...edgeOptions(toml),
  d1Databases: ["TELEMETRY"],
  ...(a["d1-persist"] ? { d1Persist: a["d1-persist"] } : {}),
  bindings: secrets,
  assets: {
    directory: a.site,
    binding: "ASSETS",
    routerConfig: { has_user_worker: true, static_routing: { user_worker: runWorkerFirst } },
    assetConfig: { not_found_handling: "none", compatibility_date: compatibilityDate },
  },
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

// The migrations, in order, one statement at a time (what `wrangler d1 migrations apply`
// does, without its d1_migrations bookkeeping table).
const db = await mf.getD1Database("TELEMETRY");
const migrations = `${root}migrations/`;
for (const file of readdirSync(migrations).filter((f) => f.endsWith(".sql")).sort()) {
  const sql = readFileSync(migrations + file, "utf8").replace(/--[^\n]*/g, "");
  const statements = sql.split(";").map((s) => s.trim()).filter(Boolean);
  await db.batch(statements.map((s) => db.prepare(s)));
  console.error(`applied ${file}: ${statements.length} statements`);
}

const control = createServer(async (req, res) => {
  try {
    let body;
    if (req.method === "GET" && req.url === "/count") {
      const n = await db
        .prepare("SELECT COUNT(*) AS rows, COUNT(DISTINCT machine) AS machines FROM machine_days")
        .first();
      const v = await db
        .prepare(
          "SELECT app, day, version, platform, COUNT(*) AS rows FROM machine_days " +
            "GROUP BY app, day, version, platform",
        )
        .all();
      body = { ...n, groups: v.results };
    } else if (req.method === "POST" && req.url === "/sql") {
      // {"sql": …, "params": […]} → D1's meta of that one statement (changes, rows_written…)
      let text = "";
      for await (const chunk of req) text += chunk;
      const { sql, params = [] } = JSON.parse(text);
      body = (await db.prepare(sql).bind(...params).run()).meta;
    } else if (req.method === "POST" && req.url === "/reset") {
      const r = await db.prepare("DELETE FROM machine_days").run();
      body = { deleted: r.meta.changes };
    } else {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  } catch (e) {
    res.writeHead(500).end(String(e));
  }
});
await new Promise((ok) => control.listen(Number(a["control-port"]), "127.0.0.1", ok));

console.log(`ready ${url.origin}`);

const stop = async () => {
  control.close();
  await mf.dispose();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
