//! Telemetry in D1 (`TELEMETRY`, schema in `migrations/`): the rows the protocols write
//! (`update_protocol::serve::Telemetry`: heartbeats, error reports, toolsetlink events), the
//! admin stats' queries, and the daily retention job (`docs/telemetry.md`).

use crate::store::{self, Bindings, failed};
use serde::Deserialize;
use update_protocol::serve::telemetry::{Active, AppStats};
use update_protocol::serve::{self, ErrorRow, EventRow, MachineDay, Stored};
use update_protocol::telemetry::{self as t, RETENTION_DAYS};
use update_protocol::toolsetlink::statistics::EventCount;
use worker::d1::D1Database;
use worker::wasm_bindgen::JsValue;
use worker::{Env, Result};

fn db(env: &Env) -> Result<D1Database> {
    env.d1("TELEMETRY")
}

/// D1 binds numbers as doubles; every integer here (days, milliseconds, counts) is far below
/// 2^53.
#[allow(clippy::cast_precision_loss)]
fn num(n: i64) -> JsValue {
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
        let write = async {
            db(self.env)?
                .prepare(
                    "INSERT INTO update_events (app, day, event, version_code, code, count) \
                     VALUES (?1, ?2, ?3, ?4, ?5, 1) ON CONFLICT (app, day, event, version_code, \
                     code) DO UPDATE SET count = count + 1",
                )
                .bind(&[
                    JsValue::from_str(&row.app),
                    num(row.day),
                    JsValue::from_str(&row.event),
                    num(row.version_code),
                    num(row.code),
                ])?
                .run()
                .await
        };
        write.await.map(|_| ()).map_err(failed)
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
        let sql = "INSERT INTO machine_days (app, day, machine, version, platform) \
                   VALUES (?1, ?2, ?3, ?4, ?5) \
                   ON CONFLICT (app, day, machine) DO UPDATE \
                   SET version = excluded.version, platform = excluded.platform \
                   WHERE version <> excluded.version OR platform <> excluded.platform";
        let s = JsValue::from_str;
        let write = async {
            db(self.env)?
                .prepare(sql)
                .bind(&[
                    s(&row.app),
                    num(row.day),
                    s(&row.machine),
                    s(&row.version),
                    s(&row.platform),
                ])?
                .run()
                .await
        };
        write.await.map(|_| ()).map_err(failed)
    }

    async fn app_stats(&self, app: &str, today: i64) -> Stored<AppStats> {
        app_stats(self.env, app, today).await.map_err(failed)
    }

    async fn error_report(&self, row: &ErrorRow) -> Stored<i64> {
        let s = JsValue::from_str;
        let write = async {
            let db = db(self.env)?;
            let group = db
                .prepare(
                    "INSERT INTO error_groups (app, fingerprint, error_type, message, \
                     stack_top, version, count, first_seen, last_seen) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?7) \
                     ON CONFLICT (app, fingerprint) DO UPDATE SET count = count + 1, \
                     last_seen = excluded.last_seen, message = excluded.message, \
                     version = excluded.version",
                )
                .bind(&[
                    s(&row.app),
                    s(&row.fingerprint),
                    s(&row.error_type),
                    s(&row.message),
                    s(&row.stack_top),
                    s(&row.version),
                    num(row.at),
                ])?;
            let report = db
                .prepare(
                    "INSERT INTO error_reports (app, fingerprint, machine, version, message, \
                     stack, os_info, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
                )
                .bind(&[
                    s(&row.app),
                    s(&row.fingerprint),
                    s(&row.machine),
                    s(&row.version),
                    s(&row.message),
                    s(&row.stack),
                    s(&row.os_info),
                    num(row.at),
                ])?;
            let results = db.batch(vec![group, report]).await?;
            #[derive(Deserialize)]
            struct Id {
                id: i64,
            }
            let id = results
                .get(1)
                .map(|r| r.results::<Id>())
                .transpose()?
                .and_then(|rows| rows.first().map(|r| r.id))
                .unwrap_or_default();
            Ok::<_, worker::Error>(id)
        };
        write.await.map_err(failed)
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
    let today = t::day(store::now());
    let cutoff = today - RETENTION_DAYS;
    let cutoff_ms = store::now()
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
    ])
    .await?;
    Ok(())
}
