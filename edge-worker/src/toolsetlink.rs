//! Protocol D (toolsetlink): the signed `POST /v1/{configuration,apk,url,file,win,mac,lnx}/upgrade`
//! routes (each answered check counted in D1), the signed version-info routes
//! `POST /v1/*/version`, the signed event report `POST /v1/app/report` (counted in D1), the
//! signed app statistics `GET`/`POST /v1/app/statistics/info` (read from D1), the unsigned
//! `GET /v1/{apk,url,file}/download` redirects, and the unsigned routes of installed Tauri and
//! Electron apps (`GET /v1/tauri/upgrade`, `/v1/electron/upgrade[/latest*.yml]`,
//! `/v1/{tauri,electron}/download`).
//!
//! A signed request is checked in this order: headers (timestamp window, nonce shape,
//! presence), the access key and the MD5 signature over the raw body bytes, and only then
//! the nonce's single use, so that unsigned traffic cannot burn a client's nonces.

use crate::http;
use crate::store::{self, KvNonces, NonceStore};
use std::rc::Rc;
use update_protocol::index::EdgeApp;
use update_protocol::keys::AccessSecret;
use update_protocol::links::{Links, Protocol};
use update_protocol::telemetry;
use update_protocol::toolsetlink::statistics::{self as stats, EventCount};
use update_protocol::toolsetlink::updater::{self as up, Route, Updater};
use update_protocol::toolsetlink::version as ver;
use update_protocol::toolsetlink::{self as tl, Endpoint, Error};
use worker::wasm_bindgen::JsValue;
use worker::{Env, Request, Response, Result};

/// The trace id echoed in error envelopes: Cloudflare's ray id when there is one.
fn trace_id(req: &Request) -> String {
    http::header(req, "cf-ray").unwrap_or_default()
}

fn fail(e: Error, trace: &str) -> Result<Response> {
    http::json(e.status(), &e.envelope(trace))
}

/// The request URI as upstream signs it: the raw path plus `?query` when there is one.
fn request_uri(req: &Request) -> String {
    match req.url() {
        Ok(u) => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        },
        Err(_) => req.path(),
    }
}

/// Answers a signed route: its answer, its error envelope, or (a failure of KV, assets or
/// D1) 500001 with the detail only in the log.
fn finish(
    what: &str,
    trace: &str,
    answer: Result<std::result::Result<Response, Error>>,
) -> Result<Response> {
    match answer {
        Ok(Ok(resp)) => Ok(resp),
        Ok(Err(e)) => fail(e, trace),
        Err(e) => {
            worker::console_error!("toolsetlink {what}: {e}");
            fail(Error::Internal, trace)
        }
    }
}

/// A request whose headers, signature and nonce passed: its raw body and its access key.
struct Signed {
    body: Vec<u8>,
    access: AccessSecret,
}

/// The checks every signed route makes, in upstream's order: headers (timestamp window, nonce
/// shape, presence), a body over the cap, the access key and the signature over the raw body
/// bytes, and last the nonce's single use.
async fn verify(req: &mut Request, env: &Env) -> Result<std::result::Result<Signed, Error>> {
    let (ts, nonce, ak, sig) = (
        http::header(req, "x-timestamp"),
        http::header(req, "x-nonce"),
        http::header(req, "x-accesskey"),
        http::header(req, "x-signature"),
    );
    // The body is read before the header checks answer (their errors still come first), so
    // that an early answer never leaves an unread body on a kept-alive connection.
    let body = http::body(req, tl::MAX_BODY_BYTES).await?;
    let headers = match tl::check_headers(
        ts.as_deref(),
        nonce.as_deref(),
        ak.as_deref(),
        sig.as_deref(),
        store::now(),
    ) {
        Ok(h) => h,
        Err(e) => return Ok(Err(e)),
    };
    let Some(body) = body else {
        return Ok(Err(Error::BodyTooLarge));
    };
    let secrets = store::secrets(env)?;
    let access = match tl::authenticate(&headers, &secrets, &body, &request_uri(req)) {
        Ok(a) => a.clone(),
        Err(e) => return Ok(Err(e)),
    };
    let nonce_key = tl::nonce_kv_key(headers.access_key, headers.nonce);
    if !KvNonces::new(env)?
        .first_use(&nonce_key, u64::from(tl::NONCE_TTL_SECONDS))
        .await?
    {
        return Ok(Err(Error::NonceUsed));
    }
    Ok(Ok(Signed { body, access }))
}

/// `POST /v1/<kind>/upgrade`.
pub async fn upgrade(mut req: Request, env: &Env, endpoint: Endpoint) -> Result<Response> {
    let trace = trace_id(&req);
    let answer = answer(&mut req, env, endpoint).await;
    finish("upgrade", &trace, answer)
}

async fn answer(
    req: &mut Request,
    env: &Env,
    endpoint: Endpoint,
) -> Result<std::result::Result<Response, Error>> {
    let Signed { body, access } = match verify(req, env).await? {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let parsed = match tl::parse_upgrade(endpoint, &body) {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    let lookup = store::lookup(env).await?;
    let app_id = match tl::resolve(&lookup, endpoint, &parsed.key, Some(&access)) {
        Ok(a) => a,
        Err(e) => return Ok(Err(e)),
    };
    let Some(app) = store::app(env, app_id).await? else {
        return Ok(Err(Error::AppNotFound(endpoint)));
    };
    let links = http::links(req, env, Protocol::Toolsetlink);
    let answer = match tl::upgrade(&app, endpoint, &parsed, &links) {
        Ok(answer) => answer,
        Err(e) => {
            // The decision fails only for want of a download link key.
            http::log_no_link_key("toolsetlink upgrade");
            return Ok(Err(e));
        }
    };
    // Upstream logs a "get strategy" event per check; a failure to count it is logged and
    // does not fail the client's check.
    if let Err(e) = count(
        env,
        app_id.as_str(),
        tl::EVENT_GET_STRATEGY,
        parsed.version_code,
        i64::from(answer.code),
    )
    .await
    {
        worker::console_error!("toolsetlink upgrade: counting the check: {e}");
    }
    Ok(Ok(http::json(tl::Answer::STATUS, &answer)?))
}

/// `POST /v1/<kind>/version`: what the served channel says about the release the client
/// names.
pub async fn version(mut req: Request, env: &Env, endpoint: Endpoint) -> Result<Response> {
    let trace = trace_id(&req);
    let answer = version_answer(&mut req, env, endpoint).await;
    finish("version", &trace, answer)
}

async fn version_answer(
    req: &mut Request,
    env: &Env,
    endpoint: Endpoint,
) -> Result<std::result::Result<Response, Error>> {
    let Signed { body, access } = match verify(req, env).await? {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let parsed = match ver::parse_version(endpoint, &body) {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    let lookup = store::lookup(env).await?;
    let app_id = match tl::resolve(&lookup, endpoint, &parsed.key, Some(&access)) {
        Ok(a) => a,
        Err(e) => return Ok(Err(e)),
    };
    let Some(app) = store::app(env, app_id).await? else {
        return Ok(Err(Error::AppNotFound(endpoint)));
    };
    Ok(match ver::version_info(&app, endpoint, &parsed) {
        Ok(a) => Ok(http::json(ver::VersionAnswer::STATUS, &a)?),
        Err(e) => Err(e),
    })
}

/// `GET` (the SDKs: `?appKey=`, empty body) or `POST /v1/app/statistics/info`: the app's
/// counts of whole days before today from D1's `update_events`.
pub async fn statistics(mut req: Request, env: &Env) -> Result<Response> {
    let trace = trace_id(&req);
    let answer = statistics_answer(&mut req, env).await;
    finish("statistics", &trace, answer)
}

/// A row of the statistics query; D1 returns numbers as doubles.
#[derive(serde::Deserialize)]
struct Row {
    day: f64,
    event: String,
    count: f64,
}

/// D1's doubles back to integers: days and counts are far below 2^53.
#[allow(clippy::cast_possible_truncation)]
fn int(n: f64) -> i64 {
    n as i64
}

async fn statistics_answer(
    req: &mut Request,
    env: &Env,
) -> Result<std::result::Result<Response, Error>> {
    let Signed { body, access } = match verify(req, env).await? {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let query = req.url().ok().and_then(|u| u.query().map(str::to_owned));
    let app_key = match stats::parse_statistics(query.as_deref().unwrap_or_default(), &body) {
        Ok(k) => k,
        Err(e) => return Ok(Err(e)),
    };
    let lookup = store::lookup(env).await?;
    let app = match tl::resolve_report(&lookup, &app_key, &access) {
        Ok(a) => a,
        Err(e) => return Ok(Err(e)),
    };
    let today = telemetry::day(store::now());
    let [e1, e2, e3, e4] = stats::EVENTS.map(JsValue::from_str);
    let rows: Vec<Row> = env
        .d1("TELEMETRY")?
        .prepare(
            "SELECT day, event, SUM(count) AS count FROM update_events \
             WHERE app = ?1 AND day < ?2 AND event IN (?3, ?4, ?5, ?6) GROUP BY day, event",
        )
        .bind(&[JsValue::from_str(app.as_str()), num(today), e1, e2, e3, e4])?
        .all()
        .await?
        .results()?;
    let rows: Vec<EventCount> = rows
        .into_iter()
        .map(|r| EventCount {
            day: int(r.day),
            event: r.event,
            count: int(r.count),
        })
        .collect();
    let answer = stats::answer(stats::statistics(&rows, today));
    Ok(Ok(http::json(stats::StatisticsAnswer::STATUS, &answer)?))
}

/// `POST /v1/app/report`: the event is counted in D1's `update_events` per app, UTC day,
/// event type, version code and `eventData.code`.
pub async fn report(mut req: Request, env: &Env) -> Result<Response> {
    let trace = trace_id(&req);
    let answer = record(&mut req, env).await;
    finish("report", &trace, answer)
}

/// D1 binds numbers as doubles: days are far below 2^53, and so are real version codes; a
/// client's code beyond ±2^53 is counted under the nearest double.
#[allow(clippy::cast_precision_loss)]
fn num(n: i64) -> JsValue {
    JsValue::from_f64(n as f64)
}

/// Counts one `event` of `app` today under `version_code` and `code`: one D1 upsert.
async fn count(env: &Env, app: &str, event: &str, version_code: i64, code: i64) -> Result<()> {
    env.d1("TELEMETRY")?
        .prepare(
            "INSERT INTO update_events (app, day, event, version_code, code, count) \
             VALUES (?1, ?2, ?3, ?4, ?5, 1) \
             ON CONFLICT (app, day, event, version_code, code) DO UPDATE SET count = count + 1",
        )
        .bind(&[
            JsValue::from_str(app),
            num(telemetry::day(store::now())),
            JsValue::from_str(event),
            num(version_code),
            num(code),
        ])?
        .run()
        .await?;
    Ok(())
}

async fn record(req: &mut Request, env: &Env) -> Result<std::result::Result<Response, Error>> {
    let Signed { body, access } = match verify(req, env).await? {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let report = match tl::parse_report(&body) {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    let lookup = store::lookup(env).await?;
    let app = match tl::resolve_report(&lookup, &report.app_key, &access) {
        Ok(a) => a,
        Err(e) => return Ok(Err(e)),
    };
    count(
        env,
        app.as_str(),
        &report.event_type,
        report.version_code,
        report.code,
    )
    .await?;
    Ok(Ok(http::json(
        tl::ReportAnswer::STATUS,
        &tl::ReportAnswer::OK,
    )?))
}

/// `GET /v1/<kind>/download?<key>=…&versionCode=…&versionId=…`: a 302 to the file.
pub async fn download(req: Request, env: &Env, endpoint: Endpoint) -> Result<Response> {
    let trace = trace_id(&req);
    let query = req.url().ok().and_then(|u| u.query().map(str::to_owned));
    let parsed = match tl::parse_download_query(endpoint, query.as_deref().unwrap_or_default()) {
        Ok(p) => p,
        Err(e) => return fail(e, &trace),
    };
    let target = async {
        let lookup = store::lookup(env).await?;
        let Ok(app_id) = tl::resolve(&lookup, endpoint, &parsed.key, None) else {
            return Ok(Err(Error::AppNotFound(endpoint)));
        };
        let Some(app) = store::app(env, app_id).await? else {
            return Ok(Err(Error::AppNotFound(endpoint)));
        };
        // Unsigned: public files only.
        let links = Links::public_only(http::origin(&req));
        Ok::<_, worker::Error>(tl::download_target(&app, &parsed, &links))
    };
    match target.await {
        Ok(Ok(url)) => http::redirect(&url, &http::origin(&req)),
        Ok(Err(e)) => fail(e, &trace),
        Err(e) => {
            worker::console_error!("toolsetlink download: {e}");
            fail(Error::Internal, &trace)
        }
    }
}

/// The app an updater key names, loaded.
async fn updater_app(
    env: &Env,
    updater: Updater,
    key: &str,
) -> Result<std::result::Result<Rc<EdgeApp>, Error>> {
    let lookup = store::lookup(env).await?;
    let Ok(app_id) = up::resolve(&lookup, updater, key) else {
        return Ok(Err(Error::UpdaterAppNotFound(updater)));
    };
    Ok(store::app(env, app_id)
        .await?
        .ok_or(Error::UpdaterAppNotFound(updater)))
}

/// The unsigned updater routes: `GET /v1/tauri/upgrade` (200 JSON, or 204 without a body when
/// up to date), `GET /v1/electron/upgrade[/latest*.yml]` (electron-updater YAML),
/// `GET /v1/{tauri,electron}/download` and `GET /v1/electron/download.<ext>` (302). Errors are D's envelope. `X-AccessKey` is not
/// read (upstream reads it and checks nothing).
pub async fn updater(req: Request, env: &Env, route: Route) -> Result<Response> {
    let trace = trace_id(&req);
    let query = req
        .url()
        .ok()
        .and_then(|u| u.query().map(str::to_owned))
        .unwrap_or_default();
    let origin = http::origin(&req);
    let answer = async {
        let updater = match route {
            Route::TauriUpgrade => Updater::Tauri,
            Route::Download(u) => u,
            Route::ElectronUpgrade | Route::ElectronFile(..) => Updater::Electron,
        };
        if let Route::Download(_) | Route::ElectronFile(..) = route {
            let parsed = match up::parse_download(updater, &query) {
                Ok(p) => p,
                Err(e) => return Ok(Err(e)),
            };
            let app = match updater_app(env, updater, &parsed.key).await? {
                Ok(a) => a,
                Err(e) => return Ok(Err(e)),
            };
            let target = match route {
                Route::ElectronFile(ext, platform) => {
                    up::electron_file_target(&app, &parsed, (ext, platform), &origin)
                }
                _ => up::download_target(&app, updater, &parsed, &origin),
            };
            return Ok(match target {
                Ok(url) => Ok(http::redirect(&url, &origin)?),
                Err(e) => Err(e),
            });
        }
        let check = match up::parse_check(updater, &query) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let app = match updater_app(env, updater, &check.key).await? {
            Ok(a) => a,
            Err(e) => return Ok(Err(e)),
        };
        let resp = if updater == Updater::Tauri {
            match up::tauri_upgrade(&app, &check, &origin) {
                Some(update) => http::json(200, &update)?,
                None => Response::empty()?.with_status(up::TAURI_NO_UPDATE_STATUS),
            }
        } else {
            let yaml = up::electron_upgrade(&app, &check, &origin).to_yaml();
            let resp = Response::ok(yaml)?;
            resp.headers().set("content-type", up::YAML_CONTENT_TYPE)?;
            resp
        };
        // Per-client answers (rollouts by devKey): never stored by a shared cache (the router
        // sets the same on every answer of a credentialed route).
        resp.headers()
            .set("cache-control", update_protocol::routes::PRIVATE_NO_STORE)?;
        Ok::<_, worker::Error>(Ok(resp))
    };
    finish("updater", &trace, answer.await)
}
