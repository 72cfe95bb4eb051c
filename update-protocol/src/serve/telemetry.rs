//! Protocol E's telemetry: `POST /api/v1/user/heartbeat` and `POST /api/v1/error/report`
//! (`docs/telemetry.md`), answered in E's envelope; and the publisher's
//! `GET /api/admin/stats[?app=<id>]` behind an admin token.

use super::tinyaii::fail;
use super::{Body, ErrorRow, MachineDay, Reply, Request, StoreError, Stores};
use crate::telemetry as t;
use crate::tinyaii::{Envelope, Error};
use serde::{Deserialize, Serialize};

/// E's 500, with the reason in the log only.
fn internal(what: &str, e: &StoreError) -> Reply {
    fail(Error::Internal).logged(format!("telemetry {what}: {e}"))
}

/// The app of a tinyaii `app_key`, its platform, and the deployment's salt.
async fn app_of<S: Stores>(
    s: &S,
    app_key: &str,
) -> Result<Option<(String, String, String)>, StoreError> {
    let lookup = s.lookup().await?;
    let Some(id) = lookup.tinyaii.get(app_key) else {
        return Ok(None);
    };
    let Some(app) = s.app(id).await? else {
        return Ok(None);
    };
    let salt = s
        .secrets()?
        .telemetry_salt
        .clone()
        .ok_or_else(|| StoreError("no telemetry_salt in EDGE_SECRETS".into()))?;
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

/// `POST /api/v1/user/heartbeat`: one row per app, machine and UTC day.
pub async fn heartbeat<S: Stores>(req: &Request, s: &S) -> Reply {
    let Body::Read(body) = &req.body else {
        return fail(Error::BadRequest);
    };
    let hb = match t::parse_heartbeat(body) {
        Ok(h) => h,
        Err(e) => return fail(e),
    };
    let (app, platform, salt) = match app_of(s, &hb.app_key).await {
        Ok(Some(a)) => a,
        Ok(None) => return fail(Error::UnknownApp),
        Err(e) => return internal("heartbeat", &e),
    };
    let row = MachineDay {
        day: t::day(req.now),
        machine: t::machine_hash(&salt, &app, &hb.machine_id),
        app,
        version: hb.version,
        platform: if hb.platform.is_empty() {
            platform
        } else {
            hb.platform
        },
    };
    match s.heartbeat(&row).await {
        Ok(()) => Reply::json(
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
/// report for [`t::RETENTION_DAYS`] days.
pub async fn error_report<S: Stores>(req: &Request, s: &S) -> Reply {
    let Body::Read(body) = &req.body else {
        return fail(Error::BadRequest);
    };
    let r = match t::parse_error_report(body) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let (app, _, salt) = match app_of(s, &r.app_key).await {
        Ok(Some(a)) => a,
        Ok(None) => return fail(Error::UnknownApp),
        Err(e) => return internal("error report", &e),
    };
    let row = ErrorRow {
        fingerprint: t::fingerprint(&r.error_type, &r.stack),
        stack_top: t::stack_top(&r.stack),
        machine: t::machine_hash(&salt, &app, &r.machine_id),
        app,
        error_type: r.error_type,
        message: r.message,
        stack: r.stack,
        version: r.version,
        os_info: r.os_info,
        at: req.now.unix_millis(),
    };
    match s.error_report(&row).await {
        Ok(id) => Reply::json(200, &Envelope::ok("错误上报成功", ReportId { id })),
        Err(e) => internal("error report", &e),
    }
}

/// Machines active in the last 1, 7 and 30 days (distinct, by the hashed machine id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Active {
    /// Today.
    pub dau: i64,
    /// The last 7 days.
    pub wau: i64,
    /// The last 30 days.
    pub mau: i64,
}

/// Machines active in the last 30 days on one version and platform (each at its latest day's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Install {
    /// The version.
    pub version: String,
    /// The platform.
    pub platform: String,
    /// How many machines.
    pub machines: i64,
}

/// Counted toolsetlink events of the last 30 days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateEvent {
    /// The event type.
    pub event: String,
    /// The client's version code.
    pub version_code: i64,
    /// The event's code.
    pub code: i64,
    /// How many.
    pub count: i64,
}

/// One error group (type and top of stack).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorGroup {
    /// The group's hash.
    pub fingerprint: String,
    /// The error type.
    pub error_type: String,
    /// The latest message.
    pub message: String,
    /// The top of the stack.
    pub stack_top: String,
    /// The latest version that reported it.
    pub version: String,
    /// How many reports.
    pub count: i64,
    /// First report (ms since 1970).
    pub first_seen: i64,
    /// Latest report (ms since 1970).
    pub last_seen: i64,
}

/// One app's telemetry as the stats route answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppStats {
    /// The app id.
    pub app: String,
    /// Active machines.
    #[serde(flatten)]
    pub active: Active,
    /// Machines per version and platform.
    pub installs: Vec<Install>,
    /// Counted update events.
    pub update_events: Vec<UpdateEvent>,
    /// The top error groups.
    pub errors: Vec<ErrorGroup>,
}

#[derive(Serialize)]
struct Stats {
    /// The UTC day the counts end on (days since 1970-01-01).
    day: i64,
    apps: Vec<AppStats>,
}

/// `GET /api/admin/stats[?app=<id>]` with `Authorization: Bearer <admin token>`: every app with
/// telemetry (E's and D's), or the one asked for (404 when it is not one).
pub async fn stats<S: Stores>(req: &Request, s: &S) -> Reply {
    let error = |status: u16, msg: &str| Reply::json(status, &serde_json::json!({"error": msg}));
    let internal =
        |e: &StoreError| error(500, "internal error").logged(format!("telemetry stats: {e}"));
    if let Some(refused) = super::admin_refusal(req, s, "telemetry stats") {
        return refused;
    }
    let lookup = match s.lookup().await {
        Ok(l) => l,
        Err(e) => return internal(&e),
    };
    let mut apps: Vec<String> = lookup
        .tinyaii
        .values()
        .chain(lookup.toolsetlink.values().map(|r| &r.app))
        .map(ToString::to_string)
        .collect();
    apps.sort();
    apps.dedup();
    let q = req.query_pairs();
    if let Some(only) = super::param(&q, "app") {
        if !apps.iter().any(|a| a == only) {
            return error(404, "unknown app");
        }
        apps.retain(|a| a == only);
    }
    let today = t::day(req.now);
    let mut out = Vec::with_capacity(apps.len());
    for app in &apps {
        match s.app_stats(app, today).await {
            Ok(a) => out.push(a),
            Err(e) => return internal(&e),
        }
    }
    Reply::json(
        200,
        &Stats {
            day: today,
            apps: out,
        },
    )
}
