//! Protocol A (hot update), whole: `POST /api/v1/check`, `GET /api/v1/check`, the legacy
//! `POST /api/versions/latest`, and `GET /api/version-artifacts/{id}/download`.

use super::{Body, Reply, Request, StoreError, Stores};
use crate::hot_update::{self as hu, ApiKey, Error, Route};
use crate::links::Protocol;

/// The error in A's envelope.
fn fail(e: &Error) -> Reply {
    Reply::json(e.status(), &e.body())
}

/// One of the three check routes.
pub async fn check<S: Stores>(req: &Request, s: &S, route: Route) -> Reply {
    let parsed = if route == Route::CheckGet {
        Ok(hu::parse_query(req.query_pairs()))
    } else {
        match &req.body {
            Body::Read(body) => hu::parse_body(body),
            Body::TooLarge => Err(Error::TooLarge),
        }
    };
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    match answer(req, s, route, &parsed).await {
        Ok(Ok(a)) => Reply::json(200, &a),
        // The decision fails internally only for want of a download link key.
        Ok(Err(Error::Internal)) => fail(&Error::Internal).logged(super::NO_LINK_KEY),
        Ok(Err(e)) => fail(&e),
        Err(e) => fail(&Error::Internal).logged(format!("hot update check: {e}")),
    }
}

/// The credentials in the order A checks them (bearer token, then API key), the app, and the
/// decision.
async fn answer<S: Stores>(
    req: &Request,
    s: &S,
    route: Route,
    parsed: &hu::CheckRequest,
) -> Result<Result<hu::Answer, Error>, StoreError> {
    let bearer = match hu::bearer_token(req.header("authorization")) {
        Some(t) => s.record(t).await?,
        None => None,
    };
    let api_key_record;
    let api_key = match hu::api_key_secret(route, req.header("x-api-key"), parsed) {
        None => ApiKey::Missing,
        Some(k) => {
            api_key_record = s.record(k).await?;
            api_key_record
                .as_deref()
                .map_or(ApiKey::Unknown, ApiKey::Found)
        }
    };
    let lookup = s.lookup().await?;
    let app_id = match hu::authorize(
        bearer.as_deref(),
        api_key,
        parsed.project_id.as_deref(),
        &lookup,
        route,
        req.now,
    ) {
        Ok(id) => id,
        Err(e) => return Ok(Err(e)),
    };
    let Some(app) = super::offered_app(s, &app_id).await? else {
        return Ok(Err(Error::ProjectNotFound));
    };
    let order = s.hot_update_order(&app);
    let links = req.links(s.secrets()?.as_ref(), Protocol::HotUpdate);
    Ok(hu::check_prepared(&app, &order, route, parsed, &links))
}

/// `GET /api/version-artifacts/{id}/download`: a 302 to the file; a private app's artifact is
/// not found here (only signed links reach it).
pub async fn download<S: Stores>(req: &Request, s: &S, id: &str) -> Reply {
    let lookup = match s.lookup().await {
        Ok(l) => l,
        Err(e) => return fail(&Error::Internal).logged(format!("hot update download: {e}")),
    };
    match hu::download_target(&lookup, &super::percent_decode(id)) {
        Ok(url) => Reply::redirect(url, &req.origin),
        // Upstream answers this one as plain text, not JSON.
        Err(e) => Reply::bytes(
            e.status(),
            super::TEXT,
            serde_json::to_vec(&e.body()).unwrap_or_default(),
        ),
    }
}
