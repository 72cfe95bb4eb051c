//! Telemetry in D1 (`TELEMETRY`, schema in `migrations/`): protocol E's heartbeat and error
//! report, the admin stats, and the daily retention job (`docs/telemetry.md`).

use crate::{http, store};
use serde::{Deserialize, Serialize};
use update_protocol::telemetry::{self as t, RETENTION_DAYS};
use update_protocol::tinyaii::{Envelope, Error};
use worker::d1::D1Database;
use worker::wasm_bindgen::JsValue;
use worker::{Env, Request, Response, Result};

fn db(env: &Env) -> Result<D1Database> {
    env.d1("TELEMETRY")
}

/// D1 binds numbers as doubles; every integer here (days, milliseconds, counts) is far below
/// 2^53.
#[allow(clippy::cast_precision_loss)]
fn num(n: i64) -> JsValue {
    JsValue::from_f64(n as f64)
}

fn fail(e: Error) -> Result<Response> {
    http::json(e.status(), &e.envelope())
}

fn internal(what: &str, e: &worker::Error) -> Result<Response> {
    worker::console_error!("telemetry {what}: {e}");
    http::json(
        500,
        &Envelope::<()> {
            code: 500,
            message: "服务器内部错误",
            data: None,
        },
    )
}

/// The app of a tinyaii `app_key`, its platform, and the deployment's salt.
async fn app_of(env: &Env, app_key: &str) -> Result<Option<(String, String, String)>> {
    let lookup = store::lookup(env).await?;
    let Some(id) = lookup.tinyaii.get(app_key) else {
        return Ok(None);
    };
    let Some(app) = store::app(env, id).await? else {
        return Ok(None);
    };
    let salt = store::secrets(env)?
        .telemetry_salt
        .clone()
        .ok_or_else(|| worker::Error::RustError("no telemetry_salt in EDGE_SECRETS".into()))?;
    Ok(Some((
        id.to_string(),
        app.app.platform.as_str().to_owned(),
        salt,
    )))
}

#[derive(Serialize)]
struct Recorded {
    recorded: bool,
}

/// `POST /api/v1/user/heartbeat`: one row per app, machine and UTC day; a repeated heartbeat
/// writes only when the version or platform changed.
pub async fn heartbeat(mut req: Request, env: &Env) -> Result<Response> {
    let Some(body) = http::body(&mut req, t::MAX_HEARTBEAT_BYTES).await? else {
        return fail(Error::BadRequest);
    };
    let hb = match t::parse_heartbeat(&body) {
        Ok(h) => h,
        Err(e) => return fail(e),
    };
    let (app, platform, salt) = match app_of(env, &hb.app_key).await {
        Ok(Some(a)) => a,
        Ok(None) => return fail(Error::UnknownApp),
        Err(e) => return internal("heartbeat", &e),
    };
    let platform = if hb.platform.is_empty() {
        platform
    } else {
        hb.platform
    };
    let sql = "INSERT INTO machine_days (app, day, machine, version, platform) \
               VALUES (?1, ?2, ?3, ?4, ?5) \
               ON CONFLICT (app, day, machine) DO UPDATE \
               SET version = excluded.version, platform = excluded.platform \
               WHERE version <> excluded.version OR platform <> excluded.platform";
    let write = async {
        db(env)?
            .prepare(sql)
            .bind(&[
                JsValue::from_str(&app),
                num(t::day(store::now())),
                JsValue::from_str(&t::machine_hash(&salt, &app, &hb.machine_id)),
                JsValue::from_str(&hb.version),
                JsValue::from_str(&platform),
            ])?
            .run()
            .await
    };
    match write.await {
        Ok(_) => http::json(
            200,
            &Envelope::ok("心跳记录成功", Recorded { recorded: true }),
        ),
        Err(e) => internal("heartbeat", &e),
    }
}

#[derive(Serialize)]
struct ReportId {
    id: i64,
}

/// `POST /api/v1/error/report`: counted in its group (type + top of stack) and kept as a
/// report for [`RETENTION_DAYS`] days.
pub async fn error_report(mut req: Request, env: &Env) -> Result<Response> {
    let Some(body) = http::body(&mut req, t::MAX_REPORT_BYTES).await? else {
        return fail(Error::BadRequest);
    };
    let r = match t::parse_error_report(&body) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let (app, _, salt) = match app_of(env, &r.app_key).await {
        Ok(Some(a)) => a,
        Ok(None) => return fail(Error::UnknownApp),
        Err(e) => return internal("error report", &e),
    };
    let now = store::now().unix_millis();
    let fp = t::fingerprint(&r.error_type, &r.stack);
    let s = JsValue::from_str;
    let write = async {
        let db = db(env)?;
        let group = db
            .prepare(
                "INSERT INTO error_groups (app, fingerprint, error_type, message, stack_top, \
                 version, count, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?7) \
                 ON CONFLICT (app, fingerprint) DO UPDATE SET count = count + 1, \
                 last_seen = excluded.last_seen, message = excluded.message, \
                 version = excluded.version",
            )
            .bind(&[
                s(&app),
                s(&fp),
                s(&r.error_type),
                s(&r.message),
                s(&t::stack_top(&r.stack)),
                s(&r.version),
                num(now),
            ])?;
        let report = db
            .prepare(
                "INSERT INTO error_reports (app, fingerprint, machine, version, message, stack, \
                 os_info, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
            )
            .bind(&[
                s(&app),
                s(&fp),
                s(&t::machine_hash(&salt, &app, &r.machine_id)),
                s(&r.version),
                s(&r.message),
                s(&r.stack),
                s(&r.os_info),
                num(now),
            ])?;
        let results = db.batch(vec![group, report]).await?;
        #[derive(Deserialize)]
        struct Row {
            id: i64,
        }
        let id = results
            .get(1)
            .map(|r| r.results::<Row>())
            .transpose()?
            .and_then(|rows| rows.first().map(|r| r.id))
            .unwrap_or_default();
        Ok::<_, worker::Error>(id)
    };
    match write.await {
        Ok(id) => http::json(200, &Envelope::ok("错误上报成功", ReportId { id })),
        Err(e) => internal("error report", &e),
    }
}

/// `GET /api/admin/stats[?app=<id>]` with `Authorization: Bearer <admin token>`.
pub async fn stats(req: Request, env: &Env) -> Result<Response> {
    let token = http::header(&req, "authorization");
    let token = token.as_deref().and_then(|h| h.strip_prefix("Bearer "));
    let authorized = match store::secrets(env) {
        Ok(s) => token.is_some_and(|t| s.is_admin(t.trim())),
        Err(e) => return internal("stats", &e),
    };
    if !authorized {
        return http::json(401, &serde_json::json!({"error": "admin token required"}));
    }
    let q = http::query(&req);
    match collect(env, http::param(&q, "app")).await {
        Ok(Some(s)) => http::json(200, &s),
        Ok(None) => http::json(404, &serde_json::json!({"error": "unknown app"})),
        Err(e) => internal("stats", &e),
    }
}

#[derive(Serialize, Deserialize)]
struct Active {
    dau: i64,
    wau: i64,
    mau: i64,
}

#[derive(Serialize, Deserialize)]
struct Install {
    version: String,
    platform: String,
    machines: i64,
}

#[derive(Serialize, Deserialize)]
struct UpdateEvent {
    event: String,
    version_code: i64,
    code: i64,
    count: i64,
}

#[derive(Serialize, Deserialize)]
struct ErrorGroup {
    fingerprint: String,
    error_type: String,
    message: String,
    stack_top: String,
    version: String,
    count: i64,
    first_seen: i64,
    last_seen: i64,
}

#[derive(Serialize)]
struct AppStats {
    app: String,
    #[serde(flatten)]
    active: Active,
    installs: Vec<Install>,
    update_events: Vec<UpdateEvent>,
    errors: Vec<ErrorGroup>,
}

#[derive(Serialize)]
struct Stats {
    /// The UTC day the counts end on (days since 1970-01-01).
    day: i64,
    apps: Vec<AppStats>,
}

/// The stats of one app (`Some` only when it is known) or of every app with telemetry.
async fn collect(env: &Env, only: Option<&str>) -> Result<Option<Stats>> {
    let lookup = store::lookup(env).await?;
    let mut apps: Vec<String> = lookup
        .tinyaii
        .values()
        .chain(lookup.toolsetlink.values().map(|r| &r.app))
        .map(ToString::to_string)
        .collect();
    apps.sort();
    apps.dedup();
    if let Some(only) = only {
        if !apps.iter().any(|a| a == only) {
            return Ok(None);
        }
        apps.retain(|a| a == only);
    }
    let today = t::day(store::now());
    let db = db(env)?;
    let mut out = Vec::new();
    for app in apps {
        let a = JsValue::from_str(&app);
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
        let active = part(0)?.results::<Active>()?.pop().unwrap_or(Active {
            dau: 0,
            wau: 0,
            mau: 0,
        });
        out.push(AppStats {
            app,
            active,
            installs: part(1)?.results()?,
            update_events: part(2)?.results()?,
            errors: part(3)?.results()?,
        });
    }
    Ok(Some(Stats {
        day: today,
        apps: out,
    }))
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
