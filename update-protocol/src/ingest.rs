//! Telemetry ingest through Cloudflare Queues (`docs/telemetry.md`, `docs/scale.md`): the
//! request path turns each heartbeat, error report and update event into one [`Message`] and
//! sends it to one of [`QUEUES`] queues; the consumer gets batches of up to
//! [`MAX_BATCH`] messages and writes each batch to D1 as one transaction of a few
//! statements, each covering every message of its kind ([`Chunk`]: JSON arrays the SQL reads
//! with `json_each`), so D1 sees one statement per kind per batch, not one per request.
//!
//! A batch may be delivered again (a failed write is retried; Queues delivers at least once), so
//! every write is idempotent: heartbeats are upserts of one row per app, machine and day;
//! counted messages (error reports, update events) are counted only when their queue message id
//! enters the inbox for the first time, in the same transaction as the count.

use crate::serve::{ErrorRow, EventRow, MachineDay};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How many telemetry queues the worker sends to (bindings [`queue_binding`]`(0..QUEUES)`,
/// queues [`queue_name`]): at the published 5,000 messages/s per queue, four carry 14,000
/// heartbeats/s with room; add queues (here and in `wrangler.toml`) as the load grows
/// (`docs/scale.md`).
pub const QUEUES: usize = 4;

/// Most messages per consumer batch (`max_batch_size` in `wrangler.toml`; the platform's
/// maximum).
pub const MAX_BATCH: usize = 100;

/// The queue that receives the messages every retry failed (`dead_letter_queue`); its
/// consumer keeps them in D1's `dead_letters`.
pub const DEAD_LETTER_QUEUE: &str = "update-telemetry-dead";

/// How many days the inbox keeps a counted message's id: a redelivery later than that would
/// count again. Queues redelivers a batch within seconds to minutes of the failure (retries
/// with a short delay), far inside this.
pub const INBOX_DAYS: i64 = 2;

/// Most bytes of JSON one statement binds: D1 takes up to 2 MB per bound value; a batch of
/// large error reports is split into several chunks, all in the batch's one transaction.
pub const MAX_CHUNK_BYTES: usize = 1_000_000;

/// Largest message sent to a queue, in bytes of JSON. The platform takes up to 128 KB, but
/// the local runtime (`wrangler dev` 4.86, workerd) refuses a text message from about 64 KiB
/// ("Unknown Internal Error (15000)", measured: 63,000 bytes of stack pass, 64,000 fail). A
/// larger message (only an error report near its 64 KiB stack cap) is written to D1 at once
/// by the same statements the consumer runs, under a message id of its own.
pub const MAX_MESSAGE_BYTES: usize = 60_000;

/// The producer binding of queue `i`.
pub fn queue_binding(i: usize) -> String {
    format!("TELEMETRY_QUEUE_{i}")
}

/// The name of queue `i`.
pub fn queue_name(i: usize) -> String {
    format!("update-telemetry-{i}")
}

/// An error report as queued: the id its answer gave, and its rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The report's id (the one the client was answered).
    pub id: i64,
    /// Its rows.
    #[serde(flatten)]
    pub row: ErrorRow,
}

/// One queued telemetry write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    /// A heartbeat's machine-day.
    Heartbeat(MachineDay),
    /// An error report.
    ErrorReport(Report),
    /// A toolsetlink update event.
    Event(EventRow),
}

impl Message {
    /// The queue this message goes to: by app and machine for heartbeats and reports (one
    /// machine's messages stay in one queue), by app and event for events.
    pub fn queue(&self) -> usize {
        let key = match self {
            Message::Heartbeat(h) => format!("{}\n{}", h.app, h.machine),
            Message::ErrorReport(r) => format!("{}\n{}", r.row.app, r.row.machine),
            Message::Event(e) => format!("{}\n{}\n{}", e.app, e.event, e.version_code),
        };
        let h = Sha256::digest(key.as_bytes());
        usize::from(h[0]) % QUEUES
    }
}

/// One statement's worth of a batch: each kind's rows as a JSON array, for `json_each`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chunk {
    /// `[{app, day, machine, version, platform}, …]`; last write wins within the chunk.
    pub heartbeats: Vec<serde_json::Value>,
    /// `[{mid, id, app, fingerprint, …}, …]`: reports with their queue message ids.
    pub reports: Vec<serde_json::Value>,
    /// `[{mid, app, day, event, version_code, code}, …]`.
    pub events: Vec<serde_json::Value>,
    /// `[{mid, day}, …]`: every counted message (`reports` and `events`), for the inbox.
    pub counted: Vec<serde_json::Value>,
    bytes: usize,
}

/// A message that was delivered but cannot be read: kept as a dead letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// Its queue message id.
    pub mid: String,
    /// Its body as delivered.
    pub body: String,
    /// Why it cannot be read.
    pub why: String,
}

/// Reads a delivered batch (`(queue message id, body)` pairs) into chunks of at most
/// [`MAX_CHUNK_BYTES`] each, and the messages that cannot be read.
pub fn chunks(batch: &[(String, String)]) -> (Vec<Chunk>, Vec<Unreadable>) {
    let mut out: Vec<Chunk> = Vec::new();
    let mut bad = Vec::new();
    for (mid, body) in batch {
        let message: Message = match serde_json::from_str(body) {
            Ok(m) => m,
            Err(e) => {
                bad.push(Unreadable {
                    mid: mid.clone(),
                    body: body.clone(),
                    why: e.to_string(),
                });
                continue;
            }
        };
        if out
            .last()
            .is_none_or(|c| c.bytes + body.len() > MAX_CHUNK_BYTES)
        {
            out.push(Chunk::default());
        }
        let Some(chunk) = out.last_mut() else {
            continue;
        };
        chunk.bytes += body.len();
        // Serializing the wire types cannot fail (no maps with non-string keys).
        let with_mid = |v: serde_json::Value, day: i64| {
            let mut v = v;
            if let Some(o) = v.as_object_mut() {
                o.insert("mid".to_owned(), mid.clone().into());
                o.insert("day".to_owned(), day.into());
            }
            v
        };
        match message {
            Message::Heartbeat(h) => chunk
                .heartbeats
                .push(serde_json::to_value(h).unwrap_or_default()),
            Message::ErrorReport(r) => {
                let day = r.row.at.div_euclid(86_400_000);
                let v = serde_json::to_value(r).unwrap_or_default();
                chunk.reports.push(with_mid(v, day));
                chunk
                    .counted
                    .push(serde_json::json!({"mid": mid, "day": day}));
            }
            Message::Event(e) => {
                let day = e.day;
                let v = serde_json::to_value(e).unwrap_or_default();
                chunk.events.push(with_mid(v, day));
                chunk
                    .counted
                    .push(serde_json::json!({"mid": mid, "day": day}));
            }
        }
    }
    (out, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beat(machine: &str) -> Message {
        Message::Heartbeat(MachineDay {
            app: "a".into(),
            day: 20_000,
            machine: machine.into(),
            version: "1.0".into(),
            platform: "windows".into(),
        })
    }

    fn report(stack: &str) -> Message {
        Message::ErrorReport(Report {
            id: 7,
            row: ErrorRow {
                app: "a".into(),
                fingerprint: "f".into(),
                error_type: "E".into(),
                message: "m".into(),
                stack: stack.into(),
                stack_top: "s".into(),
                machine: "h".into(),
                version: "1.0".into(),
                os_info: "os".into(),
                at: 1,
            },
        })
    }

    #[test]
    fn messages_round_trip_with_their_kind() {
        let m = report("at x()");
        let json = serde_json::to_string(&m).expect("json");
        assert!(
            json.starts_with(r#"{"kind":"error_report","id":7,"app":"a""#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Message>(&json).expect("back"), m);
    }

    #[test]
    fn a_batch_becomes_one_chunk_per_megabyte_with_bad_messages_set_aside() {
        let big = serde_json::to_string(&report(&"s".repeat(400_000))).expect("json");
        let mut batch: Vec<(String, String)> =
            (0..3).map(|i| (format!("m{i}"), big.clone())).collect();
        batch.push((
            "h1".into(),
            serde_json::to_string(&beat("x")).expect("json"),
        ));
        batch.push(("bad".into(), "{not json".into()));
        let (chunks, bad) = chunks(&batch);
        assert_eq!(
            chunks.len(),
            2,
            "two reports fit a chunk, the third starts one"
        );
        let mids = |c: &Chunk| {
            c.counted
                .iter()
                .map(|v| v["mid"].clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(mids(&chunks[0]), ["m0", "m1"]);
        assert_eq!(mids(&chunks[1]), ["m2"]);
        assert_eq!(
            chunks[1].counted[0]["day"], 0,
            "the report's day, from its `at`"
        );
        assert_eq!(chunks[1].heartbeats.len(), 1);
        assert_eq!(chunks[1].reports[0]["mid"], "m2");
        assert_eq!(chunks[1].reports[0]["id"], 7);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].mid, "bad");
    }

    #[test]
    fn every_queue_gets_messages() {
        let mut seen = [0; QUEUES];
        for i in 0..400 {
            seen[beat(&format!("m{i}")).queue()] += 1;
        }
        assert!(seen.iter().all(|&n| n > 50), "{seen:?}");
    }
}
