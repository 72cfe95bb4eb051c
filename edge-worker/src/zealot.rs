//! Protocol B (Zealot) read routes: `GET /api/apps`, `/api/apps/:id` (user token),
//! `/api/apps/versions`, `/api/apps/latest`, `/api/apps/version_exist` (channel key), and the
//! iOS install manifest `/api/apps/:id/releases/:release/install` (no credential).

use crate::{http, store};
use serde::Serialize;
use std::rc::Rc;
use update_protocol::index::EdgeApp;
use update_protocol::links::{Links, Protocol};
use update_protocol::zealot::{self as z, Error, Query};
use worker::{Env, Request, Response, Result};

/// The routes.
#[derive(Debug, Clone, Copy)]
pub enum Route<'a> {
    /// `GET /api/apps`.
    Apps,
    /// `GET /api/apps/:id`.
    App(&'a str),
    /// `GET /api/apps/versions`.
    Versions,
    /// `GET /api/apps/latest`.
    Latest,
    /// `GET /api/apps/version_exist`.
    VersionExist,
    /// `GET /api/apps/:id/releases/:release/install`.
    Install(&'a str, &'a str),
}

fn respond<T: Serialize>(status: u16, body: &T, last_modified: bool) -> Result<Response> {
    let resp = http::json(status, body)?;
    resp.headers().set("cache-control", z::CACHE_CONTROL)?;
    if last_modified {
        // Zealot stamps `latest` with the time of the answer.
        resp.headers()
            .set("last-modified", &store::now().to_http_date())?;
    }
    Ok(resp)
}

/// The install manifest: `text/xml`, uncached like every Zealot answer.
fn plist_response(plist: String) -> Result<Response> {
    let resp = Response::ok(plist)?;
    resp.headers()
        .set("content-type", z::INSTALL_CONTENT_TYPE)?;
    resp.headers().set("cache-control", z::CACHE_CONTROL)?;
    Ok(resp)
}

fn fail(e: &Error) -> Result<Response> {
    respond(e.status(), &e.body(), false)
}

fn out<T: Serialize>(r: std::result::Result<T, Error>, last_modified: bool) -> Result<Response> {
    match r {
        Ok(v) => respond(200, &v, last_modified),
        Err(Error::Internal) => {
            // The decisions fail internally only for want of a download link key.
            http::log_no_link_key("zealot");
            fail(&Error::Internal)
        }
        Err(e) => fail(&e),
    }
}

/// Answers one route.
pub async fn handle(req: Request, env: &Env, route: Route<'_>) -> Result<Response> {
    let query = Query::from_pairs(http::query(&req));
    let links = http::links(&req, env, Protocol::Zealot);
    match answer(env, route, &req.path(), &query, &links).await {
        Ok(r) => r,
        Err(e) => {
            worker::console_error!("zealot: {e}");
            fail(&Error::Internal)
        }
    }
}

async fn answer(
    env: &Env,
    route: Route<'_>,
    path: &str,
    q: &Query,
    links: &Links,
) -> Result<Result<Response>> {
    let now = store::now();
    match route {
        Route::Install(id, release) => {
            let lookup = store::lookup(env).await?;
            let app_id = match z::find_app(&lookup, z::Grant::All, &http::percent_decode(id)) {
                Ok(a) => a,
                Err(e) => return Ok(fail(&e)),
            };
            let Some(app) = store::app(env, app_id).await? else {
                return Ok(fail(&Error::AppNotFound(id.to_owned())));
            };
            let key = store::secrets(env)?.download_link_key.clone();
            let links = match z::install_links(&app, path, q, key.as_deref(), links.origin(), now) {
                Ok(l) => l,
                Err(e) => return Ok(out::<String>(Err(e), false)),
            };
            Ok(
                match z::install_manifest(&app, &http::percent_decode(release), &links) {
                    Ok(plist) => plist_response(plist),
                    Err(e) => out::<String>(Err(e), false),
                },
            )
        }
        Route::Apps | Route::App(_) => {
            let record = match q.token() {
                Some(t) => store::record(env, t).await?,
                None => None,
            };
            let grant = match z::authorize_token(record.as_deref(), now) {
                Ok(g) => g,
                Err(e) => return Ok(fail(&e)),
            };
            let lookup = store::lookup(env).await?;
            if let Route::App(id) = route {
                let app_id = match z::find_app(&lookup, grant, &http::percent_decode(id)) {
                    Ok(a) => a,
                    Err(e) => return Ok(fail(&e)),
                };
                let Some(app) = store::app(env, app_id).await? else {
                    return Ok(fail(&Error::AppNotFound(id.to_owned())));
                };
                let keys = store::secrets(env)?;
                let keys = keys.zealot_channel_keys.get(&app.app.id);
                return Ok(out(z::app_object(&app, keys), false));
            }
            let mut apps: Vec<Rc<EdgeApp>> = Vec::new();
            for id in z::visible_apps(&lookup, grant, q) {
                if let Some(a) = store::app(env, id).await? {
                    apps.push(a);
                }
            }
            let keys = store::secrets(env)?;
            let list = z::list_apps(apps.iter().map(|a| &**a), &keys.zealot_channel_keys);
            Ok(out::<_>(Ok(list), false))
        }
        Route::Versions | Route::Latest | Route::VersionExist => {
            let record = match q.channel_key() {
                Some(k) => store::record(env, k).await?,
                None => None,
            };
            let (app_id, channel) = match z::authorize_channel_key(record.as_deref(), now) {
                Ok(v) => v,
                Err(e) => return Ok(fail(&e)),
            };
            let Some(app) = store::app(env, app_id).await? else {
                return Ok(fail(&Error::UnauthorizedChannelKey));
            };
            Ok(match route {
                Route::Versions => out(z::versions(&app, channel, q, links), false),
                Route::Latest => out(z::latest(&app, channel, q, links), true),
                _ => out(z::version_exist(&app, channel, q, links), false),
            })
        }
    }
}
