//! The edge worker: routes each request to the protocol it belongs to and serves the static
//! site for everything else. The edge-only data under `/_edge/` is read through the assets
//! binding and never served.

mod download;
mod hot_update;
mod http;
mod license;
mod store;
mod telemetry;
mod tinyaii;
mod toolsetlink;
mod tuf;
mod zealot;

use update_protocol::hot_update::Route as A;
use update_protocol::index::paths;
use update_protocol::toolsetlink::Endpoint;
use update_protocol::toolsetlink::updater::Route as D;
use worker::{
    Context, Env, Method, Request, Response, Result, ScheduleContext, ScheduledEvent, event,
};
use zealot::Route as B;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let path = req.path();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    // HEAD is answered as GET (the runtime sends no body), as the upstream servers do.
    let method = match req.method() {
        Method::Head => Method::Get,
        m => m,
    };
    match (method, segments.as_slice()) {
        // A, hot update.
        (Method::Post, ["api", "v1", "check"]) => hot_update::check(req, &env, A::Check).await,
        (Method::Get, ["api", "v1", "check"]) => hot_update::check(req, &env, A::CheckGet).await,
        (Method::Post, ["api", "versions", "latest"]) => {
            hot_update::check(req, &env, A::Latest).await
        }
        (Method::Get, ["api", "version-artifacts", id, "download"]) => {
            hot_update::download(req, &env, id).await
        }
        // B, Zealot.
        (Method::Get, ["api", "apps"]) => zealot::handle(req, &env, B::Apps).await,
        (Method::Get, ["api", "apps", "versions"]) => zealot::handle(req, &env, B::Versions).await,
        (Method::Get, ["api", "apps", "latest"]) => zealot::handle(req, &env, B::Latest).await,
        (Method::Get, ["api", "apps", "version_exist"]) => {
            zealot::handle(req, &env, B::VersionExist).await
        }
        (Method::Get, ["api", "apps", id]) => zealot::handle(req, &env, B::App(id)).await,
        (_, ["api", "apps", ..]) => zealot::handle(req, &env, B::NotFound).await,
        // C, license-gated.
        (Method::Post, ["api", "v1", "apps", app, "update", "check"]) => {
            license::check(req, &env, app).await
        }
        (Method::Get, ["api", "v1", "apps", app, "update", "package", version]) => {
            license::package(req, &env, app, version).await
        }
        (Method::Get, ["api", "v1", "apps", app, "update", "download", version]) => {
            license::download(req, &env, app, version).await
        }
        // D, toolsetlink.
        (Method::Post, ["v1", "app", "report"]) => toolsetlink::report(req, &env).await,
        (Method::Get | Method::Post, ["v1", "app", "statistics", "info"]) => {
            toolsetlink::statistics(req, &env).await
        }
        (Method::Post, _) if Endpoint::from_version_path(&path).is_some() => {
            let e = Endpoint::from_version_path(&path);
            toolsetlink::version(req, &env, e.unwrap_or(Endpoint::Url)).await
        }
        (Method::Post, _) if Endpoint::from_upgrade_path(&path).is_some() => {
            let e = Endpoint::from_upgrade_path(&path);
            toolsetlink::upgrade(req, &env, e.unwrap_or(Endpoint::Url)).await
        }
        (Method::Get, _) if D::from_path(&path).is_some() => {
            let r = D::from_path(&path);
            toolsetlink::updater(req, &env, r.unwrap_or(D::TauriUpgrade)).await
        }
        (Method::Get, _) if Endpoint::from_download_path(&path).is_some() => {
            let e = Endpoint::from_download_path(&path);
            toolsetlink::download(req, &env, e.unwrap_or(Endpoint::Url)).await
        }
        // E, tinyaii.
        (Method::Post, ["api", "v1", "version", "check"]) => {
            tinyaii::version_check(req, &env).await
        }
        (Method::Post, ["api", "v1", "user", "heartbeat"]) => telemetry::heartbeat(req, &env).await,
        (Method::Post, ["api", "v1", "error", "report"]) => {
            telemetry::error_report(req, &env).await
        }
        // Private apps' files, behind the signed links of the A, B, D and E answers.
        (Method::Get, ["dl", protocol, id, name]) => {
            download::serve(req, &env, protocol, id, name).await
        }
        // TUF: the edge-signed timestamp (every other metadata file is a static asset).
        (m, ["metadata", "timestamp.json"]) => tuf::timestamp(&env, m).await,
        // Telemetry for the publisher.
        (Method::Get, ["api", "admin", "stats"]) => telemetry::stats(req, &env).await,
        _ if paths::is_edge(&path) => Response::error("Not Found", 404),
        _ => env.assets("ASSETS")?.fetch_request(req).await,
    }
}

/// The daily cron trigger: telemetry rollups and retention.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    if let Err(e) = telemetry::retention(&env).await {
        worker::console_error!("retention: {e}");
    }
}
