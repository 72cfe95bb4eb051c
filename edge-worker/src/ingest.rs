//! Telemetry through Cloudflare Queues (`update_protocol::ingest`): the request path sends one
//! message and answers; the queue handler writes each delivered batch to D1 in one
//! transaction (`D1Database::batch`) of one statement per kind of message, and acknowledges
//! it only once D1 has committed. A batch that fails is retried after a short delay, up to
//! `max_retries`; then its messages go to the dead-letter queue, whose batches are kept in
//! `dead_letters`.

use crate::store::failed;
use crate::telemetry::{db, num};
use update_protocol::ingest::{self, Chunk, DEAD_LETTER_QUEUE, Message};
use update_protocol::serve::Stored;
use worker::wasm_bindgen::JsValue;
use worker::{
    Env, MessageBatch, MessageExt, QueueContentType, QueueRetryOptionsBuilder, RawMessageBuilder,
    Result,
};

/// Seconds before a failed batch is delivered again.
const RETRY_DELAY_SECONDS: u32 = 2;

/// Sends `message` to its telemetry queue (as JSON text: the consumer parses it with serde,
/// which is cheaper in WASM than converting a JS object); one larger than
/// [`ingest::MAX_MESSAGE_BYTES`] is written to D1 at once instead, as a batch of one.
pub async fn send(env: &Env, message: &Message) -> Stored<()> {
    let sent = async {
        let json = serde_json::to_string(message)?;
        if json.len() > ingest::MAX_MESSAGE_BYTES {
            let mid = format!("direct-{}", report_id());
            return write(env, &[(mid, json)], "direct").await;
        }
        let queue = env.queue(&ingest::queue_binding(message.queue()))?;
        queue
            .send_raw(
                RawMessageBuilder::new(JsValue::from_str(&json))
                    .build_with_content_type(QueueContentType::Text),
            )
            .await
    };
    sent.await.map_err(failed)
}

/// The id an error report is answered with, chosen before it is queued: 53 random bits (a
/// reference for the publisher, exact as a JSON number in every client; not a key: the row's
/// own id is the table's).
pub fn report_id() -> i64 {
    // Math.random has 53 bits of state per draw in V8; the product is below 2^53.
    #[allow(clippy::cast_possible_truncation)]
    let id = (worker::js_sys::Math::random() * 9_007_199_254_740_992.0) as i64;
    id.max(1)
}

/// `json_extract`s of a message field (`->>`: SQLite's JSON operator, in D1).
const NEW: &str = "NOT EXISTS (SELECT 1 FROM telemetry_inbox AS i \
     WHERE i.day = j.value ->> 'day' AND i.mid = j.value ->> 'mid')";

/// One row per app, machine and day; a repeat writes only when version or platform changed.
const HEARTBEATS: &str = "INSERT INTO machine_days (app, day, machine, version, platform) \
     SELECT j.value ->> 'app', j.value ->> 'day', j.value ->> 'machine', \
     j.value ->> 'version', j.value ->> 'platform' FROM json_each(?1) AS j WHERE true \
     ON CONFLICT (app, day, machine) DO UPDATE \
     SET version = excluded.version, platform = excluded.platform \
     WHERE version <> excluded.version OR platform <> excluded.platform";

/// The batch's new events, summed per counter row.
fn events_sql() -> String {
    format!(
        "INSERT INTO update_events (app, day, event, version_code, code, count) \
         SELECT j.value ->> 'app', j.value ->> 'day', j.value ->> 'event', \
         j.value ->> 'version_code', j.value ->> 'code', COUNT(*) \
         FROM json_each(?1) AS j WHERE {NEW} GROUP BY 1, 2, 3, 4, 5 \
         ON CONFLICT (app, day, event, version_code, code) \
         DO UPDATE SET count = count + excluded.count"
    )
}

/// The batch's new reports, kept.
fn reports_sql() -> String {
    format!(
        "INSERT INTO error_reports (ref, app, fingerprint, machine, version, message, stack, \
         os_info, at) SELECT j.value ->> 'id', j.value ->> 'app', j.value ->> 'fingerprint', \
         j.value ->> 'machine', j.value ->> 'version', j.value ->> 'message', \
         j.value ->> 'stack', j.value ->> 'os_info', j.value ->> 'at' \
         FROM json_each(?1) AS j WHERE {NEW}"
    )
}

/// The batch's new reports, counted into their groups: the group takes the message and
/// version of its latest report.
fn groups_sql() -> String {
    format!(
        "INSERT INTO error_groups (app, fingerprint, error_type, message, stack_top, version, \
         count, first_seen, last_seen) \
         SELECT app, fingerprint, error_type, message, stack_top, version, n, first_seen, \
         last_seen FROM (SELECT j.value ->> 'app' AS app, \
         j.value ->> 'fingerprint' AS fingerprint, j.value ->> 'error_type' AS error_type, \
         j.value ->> 'message' AS message, j.value ->> 'stack_top' AS stack_top, \
         j.value ->> 'version' AS version, COUNT(*) OVER w AS n, \
         MIN(j.value ->> 'at') OVER w AS first_seen, MAX(j.value ->> 'at') OVER w AS last_seen, \
         ROW_NUMBER() OVER (PARTITION BY j.value ->> 'app', j.value ->> 'fingerprint' \
         ORDER BY j.value ->> 'at' DESC, j.key DESC) AS latest \
         FROM json_each(?1) AS j WHERE {NEW} \
         WINDOW w AS (PARTITION BY j.value ->> 'app', j.value ->> 'fingerprint')) \
         WHERE latest = 1 \
         ON CONFLICT (app, fingerprint) DO UPDATE SET count = count + excluded.count, \
         first_seen = min(first_seen, excluded.first_seen), \
         last_seen = max(last_seen, excluded.last_seen), \
         message = CASE WHEN excluded.last_seen >= last_seen THEN excluded.message \
         ELSE message END, \
         version = CASE WHEN excluded.last_seen >= last_seen THEN excluded.version \
         ELSE version END"
    )
}

/// The batch's counted messages, marked counted (last: the counts above saw them as new).
const INBOX: &str = "INSERT OR IGNORE INTO telemetry_inbox (day, mid) \
     SELECT j.value ->> 'day', j.value ->> 'mid' FROM json_each(?1) AS j WHERE true";

/// Dead letters, kept once each.
const DEAD: &str = "INSERT OR IGNORE INTO dead_letters (mid, queue, body, why, at) \
     SELECT j.value ->> 'mid', ?2, j.value ->> 'body', j.value ->> 'why', ?3 \
     FROM json_each(?1) AS j WHERE true";

/// The queue handler: a telemetry batch into D1, or a dead-letter batch into `dead_letters`.
pub async fn consume(batch: MessageBatch<JsValue>, env: &Env) {
    let queue = batch.queue();
    let delivered: Vec<(String, String)> = batch
        .raw_iter()
        .map(|m| (m.id(), m.body().as_string().unwrap_or_default()))
        .collect();
    let written = if queue == DEAD_LETTER_QUEUE {
        let dead: Vec<_> = delivered
            .iter()
            .map(|(mid, body)| serde_json::json!({"mid": mid, "body": body, "why": "every retry failed"}))
            .collect();
        write_dead(env, &dead, &queue).await
    } else {
        write(env, &delivered, &queue).await
    };
    match written {
        Ok(()) => batch.ack_all(),
        Err(e) => {
            worker::console_error!(
                "telemetry batch of {} from {queue}: {e}; retried in {RETRY_DELAY_SECONDS} s",
                delivered.len()
            );
            batch.retry_all_with_options(
                &QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(RETRY_DELAY_SECONDS)
                    .build(),
            );
        }
    }
}

/// One transaction: every chunk's statements, and the unreadable messages as dead letters.
async fn write(env: &Env, delivered: &[(String, String)], queue: &str) -> Result<()> {
    let (chunks, unreadable) = ingest::chunks(delivered);
    let db = db(env)?;
    let mut statements = Vec::new();
    let (events, reports, groups) = (events_sql(), reports_sql(), groups_sql());
    for Chunk {
        heartbeats,
        reports: report_rows,
        events: event_rows,
        counted,
        ..
    } in &chunks
    {
        let rows = |sql: &str, rows: &[serde_json::Value]| -> Result<Option<_>> {
            if rows.is_empty() {
                return Ok(None);
            }
            let json = serde_json::to_string(rows)?;
            Ok(Some(db.prepare(sql).bind(&[JsValue::from_str(&json)])?))
        };
        statements.extend(rows(HEARTBEATS, heartbeats)?);
        statements.extend(rows(&events, event_rows)?);
        statements.extend(rows(&reports, report_rows)?);
        statements.extend(rows(&groups, report_rows)?);
        statements.extend(rows(INBOX, counted)?);
    }
    if !unreadable.is_empty() {
        worker::console_error!(
            "{} unreadable telemetry messages from {queue} kept as dead letters",
            unreadable.len()
        );
        let dead: Vec<_> = unreadable
            .iter()
            .map(|u| serde_json::json!({"mid": u.mid, "body": u.body, "why": u.why}))
            .collect();
        statements.push(dead_statement(env, &dead, queue)?);
    }
    if !statements.is_empty() {
        db.batch(statements).await?;
    }
    Ok(())
}

fn dead_statement(
    env: &Env,
    dead: &[serde_json::Value],
    queue: &str,
) -> Result<worker::d1::D1PreparedStatement> {
    let json = serde_json::to_string(dead)?;
    db(env)?.prepare(DEAD).bind(&[
        JsValue::from_str(&json),
        JsValue::from_str(queue),
        num(crate::store::clock(env).unix_millis()),
    ])
}

async fn write_dead(env: &Env, dead: &[serde_json::Value], queue: &str) -> Result<()> {
    worker::console_error!("{} telemetry messages dead after every retry", dead.len());
    dead_statement(env, dead, queue)?.run().await?;
    Ok(())
}
