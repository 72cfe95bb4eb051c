//! Protocol E's telemetry: `POST /api/v1/user/heartbeat` and `POST /api/v1/error/report`
//! (`docs/telemetry.md`), answered in E's envelope.

use super::tinyaii::fail;
use super::{Body, ErrorRow, MachineDay, Reply, Request, StoreError, Stores};
use crate::telemetry as t;
use crate::tinyaii::{Envelope, Error};
use serde::Serialize;

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
