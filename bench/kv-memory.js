// An in-memory KV namespace for the plain workerd config of bench/edge-throughput.sh.
//
// workerd's `kvNamespace` binding turns `env.KV.get/put/delete` into HTTP requests to the
// service it names: `GET /<key>?urlencoded=true` (200 with the value, or 404), `PUT /<key>`
// with the value as body and `expiration_ttl` / `expiration` in the query, `DELETE /<key>`
// (the protocol Miniflare's KV simulator answers). This service keeps the values in a Map for
// the life of the process: the cheapest local stand-in for KV, so that what the benchmark
// measures is the worker's own work plus one subrequest per KV operation. Listing is not
// implemented (the edge worker never lists).
//
// SEED (optional JSON binding): `[{key, value}]`, the `wrangler kv bulk put` file, loaded on
// the first request.

const store = new Map(); // key → { value: ArrayBuffer | string, expires: ms or undefined }
let seeded = false;

export default {
  async fetch(req, env) {
    if (!seeded) {
      for (const { key, value } of env.SEED ?? []) store.set(key, { value });
      seeded = true;
    }
    const url = new URL(req.url);
    let key = url.pathname.slice(1);
    if (url.searchParams.get("urlencoded") === "true") key = decodeURIComponent(key);
    if (key === "") return new Response("listing is not implemented", { status: 501 });
    switch (req.method) {
      case "GET": {
        const e = store.get(key);
        if (!e || (e.expires !== undefined && e.expires <= Date.now())) {
          return new Response("Not Found", { status: 404 });
        }
        return new Response(e.value);
      }
      case "PUT": {
        const ttl = url.searchParams.get("expiration_ttl");
        const at = url.searchParams.get("expiration");
        const expires = ttl ? Date.now() + Number(ttl) * 1000 : at ? Number(at) * 1000 : undefined;
        store.set(key, { value: await req.arrayBuffer(), expires });
        return new Response(null);
      }
      case "DELETE":
        store.delete(key);
        return new Response(null);
      default:
        return new Response("Method Not Allowed", { status: 405 });
    }
  },
};
