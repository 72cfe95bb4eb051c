//! The admin routes of rollout control (`docs/rollout-control.md`), behind the admin token:
//! `GET /api/admin/rollout?app=<id>` answers an app's control and history;
//! `POST /api/admin/rollout` with `{"app", "version", "action": "pause" | "resume" | "halt"
//! (with "reason") | "percent" (with "percent")}` takes the action and answers the same. Errors
//! are `{"error": …}` with 400 (a body that is not such an object, a bad percentage, a halt
//! without a reason), 404 (an unknown app or version), 409 (a percentage for a halted release),
//! 401 and 500 as the other admin routes.

use super::{Reply, Request, Stores, admin_refusal, param};
use crate::names::AppId;
use crate::rollout_control::{Action, Controls, Refused, check_release};
use serde::{Deserialize, Serialize};

/// Largest accepted body of `POST /api/admin/rollout`.
pub const MAX_BODY_BYTES: usize = 4 * 1024;

/// Who the admin route records as having acted.
pub const BY_ADMIN: &str = "admin";

// Not `deny_unknown_fields`: serde does not combine it with `flatten`.
#[derive(Deserialize)]
struct Set {
    app: String,
    version: String,
    #[serde(flatten)]
    action: Action,
}

#[derive(Serialize)]
struct Answer<'a> {
    app: &'a str,
    #[serde(flatten)]
    controls: &'a Controls,
}

fn error(status: u16, msg: &str) -> Reply {
    Reply::json(status, &serde_json::json!({"error": msg}))
}

fn internal(e: &impl std::fmt::Display) -> Reply {
    error(500, "internal error").logged(format!("rollout control: {e}"))
}

/// The app `id` names, when it is one (404 otherwise).
async fn known_app<S: Stores>(
    s: &S,
    id: &str,
) -> Result<(AppId, std::rc::Rc<crate::index::EdgeApp>), Reply> {
    let Ok(app_id) = AppId::new(id) else {
        return Err(error(404, "unknown app"));
    };
    match s.app(&app_id).await {
        Ok(Some(app)) => Ok((app_id, app)),
        Ok(None) => Err(error(404, "unknown app")),
        Err(e) => Err(internal(&e)),
    }
}

/// `GET /api/admin/rollout?app=<id>`.
pub async fn show<S: Stores>(req: &Request, s: &S) -> Reply {
    if let Some(refused) = admin_refusal(req, s, "rollout control") {
        return refused;
    }
    let q = req.query_pairs();
    let Some(id) = param(&q, "app") else {
        return error(400, "app is required: ?app=<id>");
    };
    let (app_id, _) = match known_app(s, id).await {
        Ok(a) => a,
        Err(reply) => return reply,
    };
    match s.controls(&app_id).await {
        Ok(c) => Reply::json(
            200,
            &Answer {
                app: app_id.as_str(),
                controls: &c,
            },
        ),
        Err(e) => internal(&e),
    }
}

/// `POST /api/admin/rollout`.
pub async fn set<S: Stores>(req: &Request, s: &S) -> Reply {
    if let Some(refused) = admin_refusal(req, s, "rollout control") {
        return refused;
    }
    let super::Body::Read(body) = &req.body else {
        return error(400, "the body is larger than 4 KiB");
    };
    let set: Set = match serde_json::from_slice(body) {
        Ok(s) => s,
        Err(e) => {
            return error(
                400,
                &format!(
                    "the body must be {{\"app\", \"version\", \"action\": pause | resume | halt \
                     (with \"reason\") | percent (with \"percent\")}}: {e}"
                ),
            );
        }
    };
    let (app_id, app) = match known_app(s, &set.app).await {
        Ok(a) => a,
        Err(reply) => return reply,
    };
    if let Err(e) = check_release(&app, &set.version) {
        return error(404, &e.to_string());
    }
    let at = req.now.unix_millis();
    match s
        .act(&app_id, &set.version, &set.action, BY_ADMIN, at)
        .await
    {
        Ok(Ok(c)) => Reply::json(
            200,
            &Answer {
                app: app_id.as_str(),
                controls: &c,
            },
        ),
        Ok(Err(refused)) => {
            let status = match refused {
                Refused::NoRelease { .. } => 404,
                Refused::Halted { .. } => 409,
                Refused::Percent { .. } | Refused::NoReason => 400,
            };
            error(status, &refused.to_string())
        }
        Err(e) => internal(&e),
    }
}
