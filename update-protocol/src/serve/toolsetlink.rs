//! Protocol D (toolsetlink), whole: the signed `POST /v1/{configuration,apk,url,file,win,mac,lnx}/upgrade`
//! routes (each answered check counted), the signed version-info routes `POST /v1/*/version`,
//! the signed event report `POST /v1/app/report` (counted), the signed app statistics
//! `GET`/`POST /v1/app/statistics/info`, the unsigned `GET /v1/{apk,url,file}/download`
//! redirects, and the unsigned routes of installed Tauri and Electron apps
//! (`GET /v1/tauri/upgrade`, `/v1/electron/upgrade[/latest*.yml]`, `/v1/{tauri,electron}/download`).
//!
//! A signed request is checked in upstream's order (`verify`): headers (timestamp window,
//! nonce shape, presence), a body over the cap, the access key and the MD5 signature over the
//! raw body bytes, and only then the nonce's single use, so that unsigned traffic cannot burn a
//! client's nonces.

use super::{Body, EventRow, Reply, Request, StoreError, Stores};
use crate::index::EdgeApp;
use crate::keys::AccessSecret;
use crate::links::{Links, Protocol};
use crate::telemetry;
use crate::toolsetlink::statistics as stats;
use crate::toolsetlink::updater::{self as up, Route, Updater};
use crate::toolsetlink::version as ver;
use crate::toolsetlink::{self as tl, Endpoint, Error};
use std::rc::Rc;

/// A handler's outcome before it is a reply: its answer, the protocol's error, or a store's
/// failure (answered 500001, the detail logged).
type Outcome = Result<Result<Reply, Error>, StoreError>;

/// The reply of an outcome.
fn finish(req: &Request, what: &str, outcome: Outcome) -> Reply {
    match outcome {
        Ok(Ok(reply)) => reply,
        Ok(Err(e)) => fail(req, e),
        Err(e) => fail(req, Error::Internal).logged(format!("toolsetlink {what}: {e}")),
    }
}

/// The error in D's envelope.
pub fn fail(req: &Request, e: Error) -> Reply {
    Reply::json(e.status(), &e.envelope(req.trace()))
}

/// `?` for the protocol's error inside an [`Outcome`].
macro_rules! try_tl {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return Ok(Err(e.into())),
        }
    };
}

/// A request whose headers, signature and nonce passed: its raw body and its access key.
struct Signed<'r> {
    body: &'r [u8],
    access: AccessSecret,
}

/// The checks every signed route makes, in upstream's order: headers (timestamp window, nonce
/// shape, presence), a body over the cap, the access key and the signature over the raw body
/// bytes, and last the nonce's single use.
async fn verify<'r, S: Stores>(
    req: &'r Request,
    s: &S,
) -> Result<Result<Signed<'r>, Error>, StoreError> {
    let headers = try_tl!(tl::check_headers(
        req.header("x-timestamp"),
        req.header("x-nonce"),
        req.header("x-accesskey"),
        req.header("x-signature"),
        req.now,
    ));
    let Body::Read(body) = &req.body else {
        return Ok(Err(Error::BodyTooLarge));
    };
    let secrets = s.secrets()?;
    let access = try_tl!(tl::authenticate(
        &headers,
        &secrets,
        body,
        &req.request_uri()
    ))
    .clone();
    let nonce_key = tl::nonce_key(headers.access_key, headers.nonce);
    if !s
        .first_use(&nonce_key, u64::from(tl::NONCE_TTL_SECONDS))
        .await?
    {
        return Ok(Err(Error::NonceUsed));
    }
    Ok(Ok(Signed { body, access }))
}

/// The app of a signed check's key, loaded.
async fn signed_app<S: Stores>(
    s: &S,
    endpoint: Endpoint,
    key: &str,
    access: &AccessSecret,
) -> Result<Result<Rc<EdgeApp>, Error>, StoreError> {
    let lookup = s.lookup().await?;
    let app_id = try_tl!(tl::resolve(&lookup, endpoint, key, Some(access)));
    Ok(super::offered_app(s, app_id)
        .await?
        .ok_or(Error::AppNotFound(endpoint)))
}

/// `POST /v1/<kind>/upgrade`.
pub async fn upgrade<S: Stores>(req: &Request, s: &S, endpoint: Endpoint) -> Reply {
    let outcome = async {
        let Signed { body, access } = try_tl!(verify(req, s).await?);
        let parsed = try_tl!(tl::parse_upgrade(endpoint, body));
        let app = try_tl!(signed_app(s, endpoint, &parsed.key, &access).await?);
        let links = req.links(s.secrets()?.as_ref(), Protocol::Toolsetlink);
        let answer = match tl::upgrade(&app, endpoint, &parsed, &links) {
            Ok(a) => a,
            // The decision fails only for want of a download link key.
            Err(e) => return Ok(Ok(fail(req, e).logged(super::NO_LINK_KEY))),
        };
        // Upstream logs a "get strategy" event per check; a failure to count it is logged and
        // does not fail the client's check.
        let row = EventRow {
            app: app.app.id.to_string(),
            day: telemetry::day(req.now),
            event: tl::EVENT_GET_STRATEGY.to_owned(),
            version_code: parsed.version_code,
            code: i64::from(answer.code),
        };
        let reply = Reply::json(tl::Answer::STATUS, &answer);
        Ok(Ok(match s.count_event(&row).await {
            Ok(()) => reply,
            Err(e) => reply.logged(format!("toolsetlink upgrade: counting the check: {e}")),
        }))
    };
    finish(req, "upgrade", outcome.await)
}

/// `POST /v1/<kind>/version`: what the served channel says about the release the client
/// names.
pub async fn version<S: Stores>(req: &Request, s: &S, endpoint: Endpoint) -> Reply {
    let outcome = async {
        let Signed { body, access } = try_tl!(verify(req, s).await?);
        let parsed = try_tl!(ver::parse_version(endpoint, body));
        let app = try_tl!(signed_app(s, endpoint, &parsed.key, &access).await?);
        let answer = try_tl!(ver::version_info(&app, endpoint, &parsed));
        Ok(Ok(Reply::json(ver::VersionAnswer::STATUS, &answer)))
    };
    finish(req, "version", outcome.await)
}

/// `GET` (the SDKs: `?appKey=`, empty body) or `POST /v1/app/statistics/info`: the app's
/// counts of whole days before today.
pub async fn statistics<S: Stores>(req: &Request, s: &S) -> Reply {
    let outcome = async {
        let Signed { body, access } = try_tl!(verify(req, s).await?);
        let app_key = try_tl!(stats::parse_statistics(&req.query, body));
        let lookup = s.lookup().await?;
        let app = try_tl!(tl::resolve_report(&lookup, &app_key, &access));
        let today = telemetry::day(req.now);
        let rows = s.event_counts(app.as_str(), today, &stats::EVENTS).await?;
        let answer = stats::answer(stats::statistics(&rows, today));
        Ok(Ok(Reply::json(stats::StatisticsAnswer::STATUS, &answer)))
    };
    finish(req, "statistics", outcome.await)
}

/// `POST /v1/app/report`: the event is counted per app, UTC day, event type, version code and
/// `eventData.code`.
pub async fn report<S: Stores>(req: &Request, s: &S) -> Reply {
    let outcome = async {
        let Signed { body, access } = try_tl!(verify(req, s).await?);
        let report = try_tl!(tl::parse_report(body));
        let lookup = s.lookup().await?;
        let app = try_tl!(tl::resolve_report(&lookup, &report.app_key, &access));
        s.count_event(&EventRow {
            app: app.to_string(),
            day: telemetry::day(req.now),
            event: report.event_type.clone(),
            version_code: report.version_code,
            code: report.code,
        })
        .await?;
        Ok(Ok(Reply::json(
            tl::ReportAnswer::STATUS,
            &tl::ReportAnswer::OK,
        )))
    };
    finish(req, "report", outcome.await)
}

/// `GET /v1/<kind>/download?<key>=…&versionCode=…&versionId=…`: a 302 to the file (public
/// files only: the route is unsigned).
pub async fn download<S: Stores>(req: &Request, s: &S, endpoint: Endpoint) -> Reply {
    let outcome = async {
        let parsed = try_tl!(tl::parse_download_query(endpoint, &req.query));
        let lookup = s.lookup().await?;
        let Ok(app_id) = tl::resolve(&lookup, endpoint, &parsed.key, None) else {
            return Ok(Err(Error::AppNotFound(endpoint)));
        };
        let Some(app) = super::offered_app(s, app_id).await? else {
            return Ok(Err(Error::AppNotFound(endpoint)));
        };
        let links = Links::public_only(req.origin.clone());
        let url = try_tl!(tl::download_target(&app, &parsed, &links));
        Ok(Ok(Reply::redirect(&url, &req.origin)))
    };
    finish(req, "download", outcome.await)
}

/// The app an updater key names, loaded.
async fn updater_app<S: Stores>(
    s: &S,
    updater: Updater,
    key: &str,
) -> Result<Result<Rc<EdgeApp>, Error>, StoreError> {
    let lookup = s.lookup().await?;
    let Ok(app_id) = up::resolve(&lookup, updater, key) else {
        return Ok(Err(Error::UpdaterAppNotFound(updater)));
    };
    Ok(super::offered_app(s, app_id)
        .await?
        .ok_or(Error::UpdaterAppNotFound(updater)))
}

/// The unsigned updater routes: `GET /v1/tauri/upgrade` (200 JSON, or 204 without a body when
/// up to date), `GET /v1/electron/upgrade[/latest*.yml]` (electron-updater YAML),
/// `GET /v1/{tauri,electron}/download` and `GET /v1/electron/download.<ext>` (302). Errors are
/// D's envelope. `X-AccessKey` is not read (upstream reads it and checks nothing).
pub async fn updater<S: Stores>(req: &Request, s: &S, route: Route) -> Reply {
    let origin = req.origin.as_str();
    let outcome = async {
        let updater = match route {
            Route::TauriUpgrade => Updater::Tauri,
            Route::Download(u) => u,
            Route::ElectronUpgrade | Route::ElectronFile(..) => Updater::Electron,
        };
        if let Route::Download(_) | Route::ElectronFile(..) = route {
            let parsed = try_tl!(up::parse_download(updater, &req.query));
            let app = try_tl!(updater_app(s, updater, &parsed.key).await?);
            let url = try_tl!(match route {
                Route::ElectronFile(ext, platform) => {
                    up::electron_file_target(&app, &parsed, (ext, platform), origin)
                }
                _ => up::download_target(&app, updater, &parsed, origin),
            });
            return Ok(Ok(Reply::redirect(&url, origin)));
        }
        let check = try_tl!(up::parse_check(updater, &req.query));
        let app = try_tl!(updater_app(s, updater, &check.key).await?);
        let reply = if updater == Updater::Tauri {
            match up::tauri_upgrade(&app, &check, origin) {
                Some(update) => Reply::json(200, &update),
                None => Reply::empty(up::TAURI_NO_UPDATE_STATUS),
            }
        } else {
            let yaml = up::electron_upgrade(&app, &check, origin).to_yaml();
            Reply::bytes(200, up::YAML_CONTENT_TYPE, yaml.into_bytes())
        };
        // Per-client answers (rollouts by devKey): never stored by a shared cache.
        Ok(Ok(
            reply.with("cache-control", crate::routes::PRIVATE_NO_STORE)
        ))
    };
    finish(req, "updater", outcome.await)
}
