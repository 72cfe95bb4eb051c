//! Protocol A (hot update): `POST /api/v1/check`, `GET /api/v1/check`, the legacy
//! `POST /api/versions/latest`, and `GET /api/version-artifacts/{id}/download`.

use crate::{http, store};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use update_protocol::hot_update::{self as hu, ApiKey, CheckRequest, Error, Prepared, Route};
use update_protocol::links::Protocol;
use update_protocol::names::AppId;
use worker::{Env, Request, Response, Result};

thread_local! {
    /// Each app's release order for protocol A, prepared once per isolate (the edge data, and
    /// so the order, never changes under it).
    static PREPARED: RefCell<HashMap<AppId, Rc<Prepared>>> = RefCell::new(HashMap::new());
}

fn fail(e: &Error) -> Result<Response> {
    http::json(e.status(), &e.body())
}

/// One of the three check routes.
pub async fn check(mut req: Request, env: &Env, route: Route) -> Result<Response> {
    let parsed = if route == Route::CheckGet {
        hu::parse_query(http::query(&req))
    } else {
        let Some(body) = http::body(&mut req, hu::MAX_BODY_BYTES).await? else {
            return fail(&Error::TooLarge);
        };
        match hu::parse_body(&body) {
            Ok(p) => p,
            Err(e) => return fail(&e),
        }
    };
    match answer(&req, env, route, &parsed).await {
        Ok(Ok(a)) => http::json(200, &a),
        Ok(Err(Error::Internal)) => {
            // The decision fails internally only for want of a download link key.
            http::log_no_link_key("hot update check");
            fail(&Error::Internal)
        }
        Ok(Err(e)) => fail(&e),
        Err(e) => {
            worker::console_error!("hot update check: {e}");
            fail(&Error::Internal)
        }
    }
}

async fn answer(
    req: &Request,
    env: &Env,
    route: Route,
    parsed: &CheckRequest,
) -> Result<std::result::Result<hu::Answer, Error>> {
    let authorization = http::header(req, "authorization");
    let bearer = match hu::bearer_token(authorization.as_deref()) {
        Some(t) => store::record(env, t).await?,
        None => None,
    };
    let header_key = http::header(req, "x-api-key");
    let api_key_record;
    let api_key = match hu::api_key_secret(route, header_key.as_deref(), parsed) {
        None => ApiKey::Missing,
        Some(k) => {
            api_key_record = store::record(env, k).await?;
            api_key_record
                .as_deref()
                .map_or(ApiKey::Unknown, ApiKey::Found)
        }
    };
    let lookup = store::lookup(env).await?;
    let app_id = match hu::authorize(
        bearer.as_deref(),
        api_key,
        parsed.project_id.as_deref(),
        &lookup,
        route,
        store::now(),
    ) {
        Ok(id) => id,
        Err(e) => return Ok(Err(e)),
    };
    let Some(app) = store::app(env, &app_id).await? else {
        return Ok(Err(Error::ProjectNotFound));
    };
    let prepared = PREPARED.with_borrow_mut(|m| {
        m.entry(app_id.clone())
            .or_insert_with(|| Rc::new(Prepared::new(&app)))
            .clone()
    });
    let links = http::links(req, env, Protocol::HotUpdate);
    Ok(hu::check_prepared(&app, &prepared, route, parsed, &links))
}

/// `GET /api/version-artifacts/{id}/download`: a 302 to the file; a private app's artifact is
/// not found here (only signed links reach it).
pub async fn download(req: Request, env: &Env, id: &str) -> Result<Response> {
    let lookup = match store::lookup(env).await {
        Ok(l) => l,
        Err(e) => {
            worker::console_error!("hot update download: {e}");
            return fail(&Error::Internal);
        }
    };
    match hu::download_target(&lookup, &http::percent_decode(id)) {
        Ok(url) => http::redirect(url, &http::origin(&req)),
        // Upstream answers this one as plain text, not JSON.
        Err(e) => Ok(Response::ok(serde_json::to_string(&e.body())?)?.with_status(e.status())),
    }
}
