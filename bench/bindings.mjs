// The bindings of wrangler.toml that Miniflare needs options for, besides KV, D1 and assets
// (which each bench script sets itself): the Durable Objects, the rate limiters and the
// telemetry queues with their consumers, read from wrangler.toml so the benchmarks follow the
// deployed configuration. The rate limits are raised out of reach (a benchmark sends far more
// than any client from one address): the binding is still called on every request, as
// deployed; only its refusals are kept out of the measurement.

const HIGH_LIMIT = 1_000_000_000;

/// Each `[[table]]` block of `toml` as {key: value} of its `key = "string" | number` lines.
function blocks(toml, table) {
  const out = [];
  for (const part of toml.split(/^\[\[/m).slice(1)) {
    const [header, ...lines] = part.split("\n");
    if (header.trim() !== `${table}]]`) continue;
    const o = {};
    for (const l of lines) {
      if (l.startsWith("[")) break;
      const m = /^(\w+)\s*=\s*(?:"([^"]*)"|(\d+))/.exec(l);
      if (m) o[m[1]] = m[2] ?? Number(m[3]);
    }
    out.push(o);
  }
  return out;
}

export function edgeOptions(toml) {
  const durableObjects = Object.fromEntries(
    blocks(toml, "durable_objects.bindings").map((b) => [b.name, { className: b.class_name, useSQLite: true }]),
  );
  const ratelimits = Object.fromEntries(
    blocks(toml, "ratelimits").map((b) => [b.name, { simple: { limit: HIGH_LIMIT, period: 60 } }]),
  );
  const queueProducers = Object.fromEntries(
    blocks(toml, "queues.producers").map((b) => [b.binding, { queueName: b.queue }]),
  );
  const queueConsumers = Object.fromEntries(
    blocks(toml, "queues.consumers").map((c) => [
      c.queue,
      {
        maxBatchSize: c.max_batch_size,
        maxBatchTimeout: c.max_batch_timeout,
        maxRetries: c.max_retries,
        ...(c.dead_letter_queue ? { deadLetterQueue: c.dead_letter_queue } : {}),
      },
    ]),
  );
  return { durableObjects, ratelimits, queueProducers, queueConsumers };
}
