//! Telemetry in D1 (`TELEMETRY`, schema in `migrations/`): what the protocols record
//! (`update_protocol::serve::Telemetry`: heartbeats, error reports, toolsetlink events) goes
//! through the telemetry queues (`crate::ingest`, which writes it to D1); here are the reads
//! (the admin stats, D's statistics) and the daily retention job (`docs/telemetry.md`).

use crate::ingest;
use crate::store::{self, Bindings, failed};
use serde::Deserialize;
use update_protocol::ingest::{INBOX_DAYS, Message, Report};
use update_protocol::serve::telemetry::{Active, AppStats};
use update_protocol::serve::{self, ErrorRow, EventRow, MachineDay, Stored};
use update_protocol::telemetry::{self as t, RETENTION_DAYS};
use update_protocol::toolsetlink::statistics::EventCount;
use worker::d1::D1Database;
use worker::wasm_bindgen::JsValue;
use worker::{Env, Result};

pub fn db(env: &Env) -> Result<D1Database> {
    env.d1("TELEMETRY")
}

/// D1 binds numbers as doubles; every integer here (days, milliseconds, counts) is far below
/// 2^53.
#[allow(clippy::cast_precision_loss)]
pub fn num(n: i64) -> JsValue {
    JsValue::from_f64(n as f64)
}

/// D1's doubles back to integers: days and counts are far below 2^53.
#[allow(clippy::cast_possible_truncation)]
fn int(n: f64) -> i64 {
    n as i64
}

/// The telemetry of `update_protocol::serve` in D1.
impl serve::Telemetry for Bindings<'_> {
    async fn count_event(&self, row: &EventRow) -> Stored<()> {
        ingest::send(self.env, &Message::Event(row.clone())).await
    }

    async fn event_counts(
        &self,
        app: &str,
        before_day: i64,
        events: &[&str],
    ) -> Stored<Vec<EventCount>> {
        /// A row of the query; D1 returns numbers as doubles.
        #[derive(Deserialize)]
        struct Row {
            day: f64,
            event: String,
            count: f64,
        }
        // One placeholder per event, after the app and the day.
        let marks: Vec<String> = (0..events.len()).map(|i| format!("?{}", i + 3)).collect();
        let sql = format!(
            "SELECT day, event, SUM(count) AS count FROM update_events \
             WHERE app = ?1 AND day < ?2 AND event IN ({}) GROUP BY day, event",
            marks.join(", ")
        );
        let mut binds = vec![JsValue::from_str(app), num(before_day)];
        binds.extend(events.iter().map(|e| JsValue::from_str(e)));
        let read = async {
            db(self.env)?
                .prepare(&sql)
                .bind(&binds)?
                .all()
                .await?
                .results::<Row>()
        };
        let rows = read.await.map_err(failed)?;
        Ok(rows
            .into_iter()
            .map(|r| EventCount {
                day: int(r.day),
                event: r.event,
                count: int(r.count),
            })
            .collect())
    }

    async fn heartbeat(&self, row: &MachineDay) -> Stored<()> {
        ingest::send(self.env, &Message::Heartbeat(row.clone())).await
    }

    async fn app_stats(&self, app: &str, today: i64) -> Stored<AppStats> {
        app_stats(self.env, app, today).await.map_err(failed)
    }

    async fn error_report(&self, row: &ErrorRow) -> Stored<i64> {
        let id = ingest::report_id();
        let report = Report {
            id,
            row: row.clone(),
        };
        ingest::send(self.env, &Message::ErrorReport(report)).await?;
        Ok(id)
    }
}

/// The queries of one app's stats, in one batch.
async fn app_stats(env: &Env, app: &str, today: i64) -> Result<AppStats> {
    let db = db(env)?;
    let a = JsValue::from_str(app);
    let statements = vec![
        db.prepare(
            "SELECT COUNT(DISTINCT CASE WHEN day >= ?2 THEN machine END) AS dau, \
             COUNT(DISTINCT CASE WHEN day >= ?3 THEN machine END) AS wau, \
             COUNT(DISTINCT machine) AS mau \
             FROM machine_days WHERE app = ?1 AND day >= ?4 AND day <= ?2",
        )
        .bind(&[a.clone(), num(today), num(today - 6), num(today - 29)])?,
        // Each machine active in the last 30 days, at the version of its latest day.
        db.prepare(
            "SELECT version, platform, COUNT(*) AS machines FROM machine_days AS m \
             WHERE app = ?1 AND day >= ?2 AND day = (SELECT MAX(day) FROM machine_days \
             WHERE app = ?1 AND machine = m.machine) \
             GROUP BY version, platform ORDER BY machines DESC, version, platform",
        )
        .bind(&[a.clone(), num(today - 29)])?,
        db.prepare(
            "SELECT event, version_code, code, SUM(count) AS count FROM update_events \
             WHERE app = ?1 AND day >= ?2 GROUP BY event, version_code, code \
             ORDER BY count DESC, event, version_code, code",
        )
        .bind(&[a.clone(), num(today - 29)])?,
        db.prepare(
            "SELECT fingerprint, error_type, message, stack_top, version, count, \
             first_seen, last_seen FROM error_groups WHERE app = ?1 \
             ORDER BY count DESC, last_seen DESC LIMIT 20",
        )
        .bind(&[a])?,
    ];
    let r = db.batch(statements).await?;
    let part = |i: usize| {
        r.get(i)
            .ok_or_else(|| worker::Error::RustError("missing batch result".into()))
    };
    Ok(AppStats {
        app: app.to_owned(),
        active: part(0)?.results::<Active>()?.pop().unwrap_or_default(),
        installs: part(1)?.results()?,
        update_events: part(2)?.results()?,
        errors: part(3)?.results()?,
    })
}

/// The daily job: roll finished days of raw rows up into per-day aggregates, then delete raw
/// rows older than [`RETENTION_DAYS`]. Idempotent: a rerun recomputes the same aggregates from
/// the raw rows that remain.
pub async fn retention(env: &Env) -> Result<()> {
    let today = t::day(store::clock(env));
    let cutoff = today - RETENTION_DAYS;
    let cutoff_ms = store::clock(env)
        .add_seconds(-RETENTION_DAYS * 86_400)
        .unix_millis();
    let db = db(env)?;
    db.batch(vec![
        db.prepare(
            "INSERT OR REPLACE INTO daily_active (app, day, machines) \
             SELECT app, day, COUNT(*) FROM machine_days WHERE day < ?1 GROUP BY app, day",
        )
        .bind(&[num(today)])?,
        db.prepare(
            "INSERT OR REPLACE INTO daily_versions (app, day, version, platform, machines) \
             SELECT app, day, version, platform, COUNT(*) FROM machine_days WHERE day < ?1 \
             GROUP BY app, day, version, platform",
        )
        .bind(&[num(today)])?,
        db.prepare("DELETE FROM machine_days WHERE day < ?1")
            .bind(&[num(cutoff)])?,
        db.prepare("DELETE FROM error_reports WHERE at < ?1")
            .bind(&[num(cutoff_ms)])?,
        db.prepare("DELETE FROM telemetry_inbox WHERE day < ?1")
            .bind(&[num(today - INBOX_DAYS)])?,
        db.prepare("DELETE FROM dead_letters WHERE at < ?1")
            .bind(&[num(cutoff_ms)])?,
    ])
    .await?;
    Ok(())
}
