//! Protocol C (license-gated updates): `POST /api/v1/apps/:appId/update/check`,
//! `GET /api/v1/apps/:appId/update/package/:version`, and our license-checked
//! `GET /api/v1/apps/:appId/update/download/:version` for files the site hosts.

use crate::{http, store};
use std::rc::Rc;
use update_protocol::index::EdgeApp;
use update_protocol::keys::KeyRecord;
use update_protocol::license::{self, Download, Error, PackageRequest};
use update_protocol::links::Links;
use worker::{Env, Headers, Request, Response, Result};

fn fail(e: &Error) -> Result<Response> {
    http::json(e.status(), e)
}

/// Logs an internal failure and answers C's 500 envelope without its detail.
fn internal(what: &str, e: &worker::Error) -> Result<Response> {
    worker::console_error!("license {what}: {e}");
    fail(&Error::Internal)
}

/// The app (by protocol app id) and the license record (by sha256 of its key). The license
/// is looked up whether the app exists or not: an unknown app is answered as one the license
/// does not belong to (`license::authorize`), after the same lookups.
async fn load(
    env: &Env,
    app_id: &str,
    license_key: &str,
) -> Result<(Option<Rc<EdgeApp>>, Option<Rc<KeyRecord>>)> {
    let lookup = store::lookup(env).await?;
    let app = match lookup.license.get(app_id) {
        Some(id) => store::app(env, id).await?,
        None => None,
    };
    Ok((app, store::record(env, license_key).await?))
}

/// `POST /api/v1/apps/:appId/update/check`.
pub async fn check(mut req: Request, env: &Env, app_id: &str) -> Result<Response> {
    let body = match http::body(&mut req, license::MAX_BODY_BYTES).await? {
        Some(b) => b,
        // Let the parser word the error for an oversized body.
        None => vec![b' '; license::MAX_BODY_BYTES + 1],
    };
    let parsed = match license::parse_check(&body) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let (app, record) = match load(env, app_id, &parsed.license_key).await {
        Ok(v) => v,
        Err(e) => return internal("check", &e),
    };
    match license::check(app.as_deref(), record.as_deref(), &parsed, store::now()) {
        Ok(answer) => http::json(200, &answer),
        Err(e) => fail(&e),
    }
}

/// The package request of the package and download routes: the key from `X-License-Key`,
/// else the `licenseKey` query parameter.
fn package_request(req: &Request, version: &str) -> std::result::Result<PackageRequest, Error> {
    let q = http::query(req);
    let header = http::header(req, "x-license-key").filter(|h| !h.trim().is_empty());
    let key = header.as_deref().or(http::param(&q, "licenseKey"));
    license::parse_package(&http::percent_decode(version), key)
}

/// `GET /api/v1/apps/:appId/update/package/:version`.
pub async fn package(req: Request, env: &Env, app_id: &str, version: &str) -> Result<Response> {
    let parsed = match package_request(&req, version) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let app_id = http::percent_decode(app_id);
    let (app, record) = match load(env, &app_id, &parsed.license_key).await {
        Ok(v) => v,
        Err(e) => return internal("package", &e),
    };
    let secrets = match store::secrets(env) {
        Ok(s) => s,
        Err(e) => return internal("package", &e),
    };
    let secret = app.as_ref().and_then(|a| secrets.signing.get(&a.app.id));
    let answer = license::package(
        app.as_deref(),
        record.as_deref(),
        &parsed,
        secret,
        &Links::public_only(http::origin(&req)),
        store::now(),
    );
    match answer {
        Ok(answer) => http::json(200, &answer),
        Err(Error::Internal) => {
            worker::console_error!("license package: no signing secret for {app_id}");
            fail(&Error::Internal)
        }
        Err(e) => fail(&e),
    }
}

/// `GET /api/v1/apps/:appId/update/download/:version`: the file, after the same checks.
pub async fn download(req: Request, env: &Env, app_id: &str, version: &str) -> Result<Response> {
    let parsed = match package_request(&req, version) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let app_id = http::percent_decode(app_id);
    let (app, record) = match load(env, &app_id, &parsed.license_key).await {
        Ok(v) => v,
        Err(e) => return internal("download", &e),
    };
    let target = license::download_target(app.as_deref(), record.as_deref(), &parsed, store::now());
    match target {
        Ok(Download::Redirect(url)) => http::redirect(url, &http::origin(&req)),
        Ok(Download::Site { path, artifact }) => {
            let url = format!("https://assets.invalid/{path}");
            let resp = match env.assets("ASSETS")?.fetch(url, None).await {
                Ok(r) if r.status_code() == 200 => r,
                Ok(r) => {
                    let e = worker::Error::RustError(format!("asset status {}", r.status_code()));
                    return internal("download", &e);
                }
                Err(e) => return internal("download", &e),
            };
            let headers = Headers::new();
            headers.set("content-type", "application/octet-stream")?;
            headers.set("content-length", &artifact.size.to_string())?;
            headers.set(
                "content-disposition",
                &format!(
                    "attachment; filename*=UTF-8''{}",
                    update_protocol::index::percent_encode(artifact.name.as_str())
                ),
            )?;
            headers.set("cache-control", "private, no-store")?;
            Ok(resp.with_headers(headers))
        }
        Err(e) => fail(&e),
    }
}
