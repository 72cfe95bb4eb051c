//! Protocol B (Zealot) read routes: `GET /api/apps`, `/api/apps/:id` (user token),
//! `/api/apps/versions`, `/api/apps/latest`, `/api/apps/version_exist` (channel key), and the
//! iOS install manifest `/api/apps/:id/releases/:release/install` (no credential). Every answer
//! carries Zealot's own `Cache-Control`.

use super::{Reply, Request, StoreError, Stores, percent_decode};
use crate::index::EdgeApp;
use crate::links::Protocol;
use crate::zealot::{self as z, Error, Query};
use serde::Serialize;
use std::rc::Rc;

/// The routes, with their raw `:param` values.
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

/// A JSON answer with Zealot's headers; `latest` is stamped with the time of the answer.
fn respond<T: Serialize>(req: &Request, status: u16, body: &T, last_modified: bool) -> Reply {
    let reply = Reply::json(status, body).with("cache-control", z::CACHE_CONTROL);
    if last_modified {
        reply.with("last-modified", req.now.to_http_date())
    } else {
        reply
    }
}

fn fail(req: &Request, e: &Error) -> Reply {
    respond(req, e.status(), &e.body(), false)
}

fn out<T: Serialize>(req: &Request, r: Result<T, Error>, last_modified: bool) -> Reply {
    match r {
        Ok(v) => respond(req, 200, &v, last_modified),
        // The decisions fail internally only for want of a download link key.
        Err(Error::Internal) => fail(req, &Error::Internal).logged(super::NO_LINK_KEY),
        Err(e) => fail(req, &e),
    }
}

/// Answers one route.
pub async fn handle<S: Stores>(req: &Request, s: &S, route: Route<'_>) -> Reply {
    match answer(req, s, route).await {
        Ok(r) => r,
        Err(e) => fail(req, &Error::Internal).logged(format!("zealot: {e}")),
    }
}

async fn answer<S: Stores>(req: &Request, s: &S, route: Route<'_>) -> Result<Reply, StoreError> {
    let q = Query::from_pairs(req.query_pairs());
    let now = req.now;
    match route {
        Route::Install(id, release) => {
            let lookup = s.lookup().await?;
            let app_id = match z::find_app(&lookup, z::Grant::All, &percent_decode(id)) {
                Ok(a) => a,
                Err(e) => return Ok(fail(req, &e)),
            };
            let Some(app) = super::offered_app(s, app_id).await? else {
                return Ok(fail(req, &Error::AppNotFound(id.to_owned())));
            };
            let secrets = s.secrets()?;
            let key = secrets.download_link_key.as_deref();
            let links = match z::install_links(&app, &req.path, &q, key, &req.origin, now) {
                Ok(l) => l,
                Err(e) => return Ok(out::<String>(req, Err(e), false)),
            };
            Ok(
                match z::install_manifest(&app, &percent_decode(release), &links) {
                    Ok(plist) => Reply::bytes(200, z::INSTALL_CONTENT_TYPE, plist.into_bytes())
                        .with("cache-control", z::CACHE_CONTROL),
                    Err(e) => out::<String>(req, Err(e), false),
                },
            )
        }
        Route::Apps | Route::App(_) => {
            let record = match q.token() {
                Some(t) => s.record(t).await?,
                None => None,
            };
            let grant = match z::authorize_token(record.as_deref(), now) {
                Ok(g) => g,
                Err(e) => return Ok(fail(req, &e)),
            };
            let lookup = s.lookup().await?;
            let secrets = s.secrets()?;
            if let Route::App(id) = route {
                let app_id = match z::find_app(&lookup, grant, &percent_decode(id)) {
                    Ok(a) => a,
                    Err(e) => return Ok(fail(req, &e)),
                };
                let Some(app) = super::offered_app(s, app_id).await? else {
                    return Ok(fail(req, &Error::AppNotFound(id.to_owned())));
                };
                let keys = secrets.zealot_channel_keys.get(&app.app.id);
                return Ok(out(req, z::app_object(&app, keys), false));
            }
            let mut apps: Vec<Rc<EdgeApp>> = Vec::new();
            for id in z::visible_apps(&lookup, grant, &q) {
                if let Some(a) = super::offered_app(s, id).await? {
                    apps.push(a);
                }
            }
            let list = z::list_apps(apps.iter().map(|a| &**a), &secrets.zealot_channel_keys);
            Ok(out::<_>(req, Ok(list), false))
        }
        Route::Versions | Route::Latest | Route::VersionExist => {
            let record = match q.channel_key() {
                Some(k) => s.record(k).await?,
                None => None,
            };
            let (app_id, channel) = match z::authorize_channel_key(record.as_deref(), now) {
                Ok(v) => v,
                Err(e) => return Ok(fail(req, &e)),
            };
            let Some(app) = super::offered_app(s, app_id).await? else {
                return Ok(fail(req, &Error::UnauthorizedChannelKey));
            };
            let links = req.links(s.secrets()?.as_ref(), Protocol::Zealot);
            Ok(match route {
                Route::Versions => out(req, z::versions(&app, channel, &q, &links), false),
                Route::Latest => out(req, z::latest(&app, channel, &q, &links), true),
                _ => out(req, z::version_exist(&app, channel, &q, &links), false),
            })
        }
    }
}
