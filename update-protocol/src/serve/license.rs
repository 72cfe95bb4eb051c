//! Protocol C (license-gated updates): `POST /api/v1/apps/:appId/update/check`,
//! `GET /api/v1/apps/:appId/update/package/:version`, and our license-checked
//! `GET /api/v1/apps/:appId/update/download/:version` for files the site hosts.

use super::{Body, Reply, Request, StoreError, Stores, percent_decode};
use crate::index::EdgeApp;
use crate::keys::KeyRecord;
use crate::license::{self, Download, Error, PackageRequest};
use crate::links::Links;
use std::rc::Rc;

/// The error in C's envelope.
fn fail(e: &Error) -> Reply {
    Reply::json(e.status(), e)
}

/// C's 500, with the reason in the log only.
fn internal(what: &str, e: &StoreError) -> Reply {
    fail(&Error::Internal).logged(format!("license {what}: {e}"))
}

/// The app (by protocol app id) and the license record (by sha256 of its key). The license
/// is looked up whether the app exists or not: an unknown app is answered as one the license
/// does not belong to (`license::authorize`), after the same lookups.
async fn load<S: Stores>(
    s: &S,
    app_id: &str,
    license_key: &str,
) -> Result<(Option<Rc<EdgeApp>>, Option<Rc<KeyRecord>>), StoreError> {
    let lookup = s.lookup().await?;
    let app = match lookup.license.get(app_id) {
        Some(id) => super::offered_app(s, id).await?,
        None => None,
    };
    Ok((app, s.record(license_key).await?))
}

/// `POST /api/v1/apps/:appId/update/check`.
pub async fn check<S: Stores>(req: &Request, s: &S, app_id: &str) -> Reply {
    let oversized;
    let body = match &req.body {
        Body::Read(b) => b.as_slice(),
        // Let the parser word the error for an oversized body.
        Body::TooLarge => {
            oversized = vec![b' '; license::MAX_BODY_BYTES + 1];
            &oversized
        }
    };
    let parsed = match license::parse_check(body) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let (app, record) = match load(s, app_id, &parsed.license_key).await {
        Ok(v) => v,
        Err(e) => return internal("check", &e),
    };
    match license::check(app.as_deref(), record.as_deref(), &parsed, req.now) {
        Ok(answer) => Reply::json(200, &answer),
        Err(e) => fail(&e),
    }
}

/// The package request of the package and download routes: the key from `X-License-Key`,
/// else the `licenseKey` query parameter.
fn package_request(req: &Request, version: &str) -> Result<PackageRequest, Error> {
    let q = req.query_pairs();
    let header = req.header("x-license-key").filter(|h| !h.trim().is_empty());
    let key = header.or(super::param(&q, "licenseKey"));
    license::parse_package(&percent_decode(version), key)
}

/// The package and download routes' request, app and license record (`what` names the route in
/// the log), or the answer that ends the request.
async fn licensed<S: Stores>(
    req: &Request,
    s: &S,
    app_id: &str,
    version: &str,
    what: &str,
) -> Result<(PackageRequest, Option<Rc<EdgeApp>>, Option<Rc<KeyRecord>>), Reply> {
    let parsed = package_request(req, version).map_err(|e| fail(&e))?;
    let (app, record) = load(s, &percent_decode(app_id), &parsed.license_key)
        .await
        .map_err(|e| internal(what, &e))?;
    Ok((parsed, app, record))
}

/// `GET /api/v1/apps/:appId/update/package/:version`.
pub async fn package<S: Stores>(req: &Request, s: &S, app_id: &str, version: &str) -> Reply {
    let (parsed, app, record) = match licensed(req, s, app_id, version, "package").await {
        Ok(v) => v,
        Err(reply) => return reply,
    };
    let secrets = match s.secrets() {
        Ok(s) => s,
        Err(e) => return internal("package", &e),
    };
    let secret = app.as_ref().and_then(|a| secrets.signing.get(&a.app.id));
    let answer = license::package(
        app.as_deref(),
        record.as_deref(),
        &parsed,
        secret,
        &Links::public_only(req.origin.clone()),
        req.now,
    );
    match answer {
        Ok(answer) => Reply::json(200, &answer),
        Err(Error::Internal) => fail(&Error::Internal).logged(format!(
            "license package: no signing secret for {}",
            percent_decode(app_id)
        )),
        Err(e) => fail(&e),
    }
}

/// `GET /api/v1/apps/:appId/update/download/:version`: the file, after the same checks.
pub async fn download<S: Stores>(req: &Request, s: &S, app_id: &str, version: &str) -> Reply {
    let (parsed, app, record) = match licensed(req, s, app_id, version, "download").await {
        Ok(v) => v,
        Err(reply) => return reply,
    };
    match license::download_target(app.as_deref(), record.as_deref(), &parsed, req.now) {
        Ok(Download::Redirect(url)) => Reply::redirect(url, &req.origin),
        Ok(Download::Site { path, artifact }) => {
            let fallback = internal("download", &StoreError(format!("asset {path} unreadable")));
            Reply::attachment(path, artifact.name.as_str(), artifact.size, fallback)
        }
        Err(e) => fail(&e),
    }
}
