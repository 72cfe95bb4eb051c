// The requests of bench/edge-throughput.sh, written as raw HTTP/1.1 requests separated by NUL
// bytes for bench/wrk-requests.lua, or printed for curl.
//
//   node bench/requests.mjs raw   ROUTE HOST:PORT COUNT OUT   # COUNT requests into OUT
//   node bench/requests.mjs curl  ROUTE                       # one request as curl arguments
//
// ROUTE is A, C, D, T (GET /metadata/timestamp.json) or trivial (A's request: same path,
// headers and body). A and C are the
// same request every time; every D request is signed anew with its own nonce (random per run
// plus a counter), so each one is a first use, as a real client's would be.

import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";

const ACCESS_KEY = "AKdemo0toolsetlink";
const SECRET_KEY = "demo-toolsetlink-secret-key";

const ROUTES = {
  A: {
    path: "/api/v1/check",
    headers: { "X-API-Key": "demo-project-api-key-android" },
    body: '{"currentVersion":"1.0.0","architecture":"arm64-v8a"}',
  },
  C: {
    path: "/api/v1/apps/app_desktop_pro/update/check",
    headers: {},
    body: '{"currentVersion":"1.0.0","licenseKey":"LIC-DEMO0ACTIVE000000000000000000001"}',
  },
  D: {
    path: "/v1/configuration/upgrade",
    headers: {},
    body: '{"configurationKey":"q1hfB1VUQaK9VksTZGPU1Q","versionCode":1}',
    signed: true,
  },
};

// T: the edge-signed TUF timestamp, a GET without a body.
ROUTES.T = { method: "GET", path: "/metadata/timestamp.json", headers: {}, body: "" };

// The trivial worker gets A's request.
ROUTES.trivial = ROUTES.A;

// RFC 3339 in UTC without fractional seconds, upper-case T and Z (what the upstream Go
// clients send).
const timestamp = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
const runId = randomBytes(6).toString("hex");

/** The headers of request number `i` of `route`. */
function headers(route, i) {
  const r = ROUTES[route];
  const h = r.method === "GET" ? { ...r.headers } : { "Content-Type": "application/json", ...r.headers };
  if (r.signed) {
    const ts = timestamp();
    const nonce = `bench-${runId}-${String(i).padStart(8, "0")}`; // >= 16 characters
    const signed = `body=${r.body}&nonce=${nonce}&secretKey=${SECRET_KEY}&timestamp=${ts}&url=${r.path}`;
    Object.assign(h, {
      "X-Timestamp": ts,
      "X-Nonce": nonce,
      "X-AccessKey": ACCESS_KEY,
      "X-Signature": createHash("md5").update(signed).digest("hex"),
    });
  }
  return h;
}

const [mode, route, ...rest] = process.argv.slice(2);
if (!ROUTES[route]) {
  console.error(`unknown route ${route}`);
  process.exit(2);
}
const r = ROUTES[route];
if (mode === "raw") {
  const [host, count, out] = rest;
  const parts = [];
  for (let i = 0; i < Number(count); i++) {
    const length = r.method === "GET" ? {} : { "Content-Length": Buffer.byteLength(r.body) };
    const h = { Host: host, ...headers(route, i), ...length };
    const lines = Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    parts.push(`${r.method ?? "POST"} ${r.path} HTTP/1.1\r\n${lines}\r\n${r.body}`);
  }
  writeFileSync(out, parts.join("\0"));
} else if (mode === "curl") {
  // One argument per line: -X POST, the path, then -H and -d pairs.
  const args = ["-X", r.method ?? "POST", r.path];
  for (const [k, v] of Object.entries(headers(route, 0))) args.push("-H", `${k}: ${v}`);
  if (r.method !== "GET") args.push("--data-raw", r.body);
  console.log(args.join("\n"));
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
