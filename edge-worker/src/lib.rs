//! The edge worker: routes each request to the protocol it belongs to and serves the static
//! site for everything else. The edge-only data under `/_edge/` is read through the assets
//! binding and never served.

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
use update_protocol::routes::{self, Match, RouteId as Id};
use update_protocol::toolsetlink::Endpoint;
use worker::{
    Context, Env, Method, Request, Response, Result, ScheduleContext, ScheduledEvent, event,
};
use zealot::Route as B;

/// Routes by `update_protocol::routes` (the one route table); everything else under the
/// protocols' prefixes answers 404 or 405 in that protocol's envelope, the rest is the site.
#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let path = req.path();
    // The method as sent: workers-rs reads an unknown one as GET.
    let method = req.inner().method();
    let (route, params) = match routes::route(&method, &path) {
        Match::Route { route, params } => (route, params),
        Match::Miss {
            miss,
            envelope,
            allow,
        } => return http::miss(&req, miss, envelope, &allow),
        Match::Static => return env.assets("ASSETS")?.fetch_request(req).await,
    };
    let p = |i: usize| params.get(i).copied().unwrap_or_default();
    match route.id {
        // A, hot update.
        Id::HotCheck => hot_update::check(req, &env, A::Check).await,
        Id::HotCheckGet => hot_update::check(req, &env, A::CheckGet).await,
        Id::HotLatest => hot_update::check(req, &env, A::Latest).await,
        Id::HotDownload => hot_update::download(req, &env, p(0)).await,
        // B, Zealot.
        Id::ZealotApps => zealot::handle(req, &env, B::Apps).await,
        Id::ZealotApp => zealot::handle(req, &env, B::App(p(0))).await,
        Id::ZealotVersions => zealot::handle(req, &env, B::Versions).await,
        Id::ZealotLatest => zealot::handle(req, &env, B::Latest).await,
        Id::ZealotVersionExist => zealot::handle(req, &env, B::VersionExist).await,
        Id::ZealotInstall => zealot::handle(req, &env, B::Install(p(0), p(1))).await,
        // C, license-gated.
        Id::LicenseCheck => license::check(req, &env, p(0)).await,
        Id::LicensePackage => license::package(req, &env, p(0), p(1)).await,
        Id::LicenseDownload => license::download(req, &env, p(0), p(1)).await,
        // D, toolsetlink: the table names each endpoint's path; the endpoint comes from it.
        Id::ToolsetlinkUpgrade => match Endpoint::from_upgrade_path(&path) {
            Some(e) => toolsetlink::upgrade(req, &env, e).await,
            None => http::miss(&req, routes::Miss::NotFound, route.protocol.envelope(), ""),
        },
        Id::ToolsetlinkDownload => match Endpoint::from_download_path(&path) {
            Some(e) => toolsetlink::download(req, &env, e).await,
            None => http::miss(&req, routes::Miss::NotFound, route.protocol.envelope(), ""),
        },
        Id::ToolsetlinkReport => toolsetlink::report(req, &env).await,
        // E, tinyaii.
        Id::TinyaiiVersionCheck => tinyaii::version_check(req, &env).await,
        Id::TinyaiiHeartbeat => telemetry::heartbeat(req, &env).await,
        Id::TinyaiiErrorReport => telemetry::error_report(req, &env).await,
        // TUF: the edge-signed timestamp (every other metadata file is a static asset).
        Id::TufTimestamp => tuf::timestamp(&env, Method::Get).await,
        // Telemetry for the publisher.
        Id::AdminStats => telemetry::stats(req, &env).await,
        // A route of the table that this build does not dispatch yet.
        _ => http::miss(&req, routes::Miss::NotFound, route.protocol.envelope(), ""),
    }
}

/// The daily cron trigger: telemetry rollups and retention.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    if let Err(e) = telemetry::retention(&env).await {
        worker::console_error!("retention: {e}");
    }
}
