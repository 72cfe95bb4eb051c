//! The edge worker: routes each request to the protocol it belongs to and serves the static
//! site for everything else. The edge-only data under `/_edge/` is read through the assets
//! binding (the worker tree the build writes beside the public site is what is uploaded) and
//! never served.

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
use update_protocol::routes::{self, Match, RouteId as Id};
use update_protocol::toolsetlink::Endpoint;
use update_protocol::toolsetlink::updater::Route as D;
use worker::{
    Context, Env, Method, Request, Response, Result, ScheduleContext, ScheduledEvent, event,
};
use zealot::Route as B;

/// Routes by `update_protocol::routes` (the one route table); everything else under the
/// protocols' prefixes answers 404 or 405 in that protocol's envelope, the rest is the site.
/// Every answer of a credentialed route gets the table's `Cache-Control`
/// (`Route::cache_control`: `private, no-store`), set here once for all handlers.
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
    let resp = dispatch(req, &env, route, &path, &params).await?;
    match route.cache_control() {
        Some(value) => http::with_header(resp, "cache-control", value),
        None => Ok(resp),
    }
}

/// The handler of `route`, with its `:param` values.
async fn dispatch(
    req: Request,
    env: &Env,
    route: &'static routes::Route,
    path: &str,
    params: &[&str],
) -> Result<Response> {
    let p = |i: usize| params.get(i).copied().unwrap_or_default();
    match route.id {
        // A, hot update.
        Id::HotCheck => hot_update::check(req, env, A::Check).await,
        Id::HotCheckGet => hot_update::check(req, env, A::CheckGet).await,
        Id::HotLatest => hot_update::check(req, env, A::Latest).await,
        Id::HotDownload => hot_update::download(req, env, p(0)).await,
        // B, Zealot.
        Id::ZealotApps => zealot::handle(req, env, B::Apps).await,
        Id::ZealotApp => zealot::handle(req, env, B::App(p(0))).await,
        Id::ZealotVersions => zealot::handle(req, env, B::Versions).await,
        Id::ZealotLatest => zealot::handle(req, env, B::Latest).await,
        Id::ZealotVersionExist => zealot::handle(req, env, B::VersionExist).await,
        Id::ZealotInstall => zealot::handle(req, env, B::Install(p(0), p(1))).await,
        // C, license-gated.
        Id::LicenseCheck => license::check(req, env, p(0)).await,
        Id::LicensePackage => license::package(req, env, p(0), p(1)).await,
        Id::LicenseDownload => license::download(req, env, p(0), p(1)).await,
        // D, toolsetlink: the table names each endpoint's path; the endpoint comes from it
        // (a unit test of the table checks that every path names one).
        Id::ToolsetlinkUpgrade => match Endpoint::from_upgrade_path(path) {
            Some(e) => toolsetlink::upgrade(req, env, e).await,
            None => unrouted(&req, route),
        },
        Id::ToolsetlinkVersion => match Endpoint::from_version_path(path) {
            Some(e) => toolsetlink::version(req, env, e).await,
            None => unrouted(&req, route),
        },
        Id::ToolsetlinkDownload => match Endpoint::from_download_path(path) {
            Some(e) => toolsetlink::download(req, env, e).await,
            None => unrouted(&req, route),
        },
        Id::ToolsetlinkUpdater => match D::from_path(path) {
            Some(r) => toolsetlink::updater(req, env, r).await,
            None => unrouted(&req, route),
        },
        Id::ToolsetlinkReport => toolsetlink::report(req, env).await,
        Id::ToolsetlinkStatistics => toolsetlink::statistics(req, env).await,
        // E, tinyaii.
        Id::TinyaiiVersionCheck => tinyaii::version_check(req, env).await,
        Id::TinyaiiHeartbeat => telemetry::heartbeat(req, env).await,
        Id::TinyaiiErrorReport => telemetry::error_report(req, env).await,
        // Private apps' files, behind the signed links of the A, B, D and E answers.
        Id::SignedDownload => download::serve(req, env, p(0), p(1), p(2)).await,
        // TUF: the edge-signed timestamp (every other metadata file is a static asset).
        Id::TufTimestamp => tuf::timestamp(env, Method::Get).await,
        // Telemetry for the publisher.
        Id::AdminStats => telemetry::stats(req, env).await,
        // A route of the table that this build does not dispatch yet.
        _ => unrouted(&req, route),
    }
}

/// The unknown-route 404, in `route`'s envelope, for a table route no handler takes.
fn unrouted(req: &Request, route: &routes::Route) -> Result<Response> {
    http::miss(req, routes::Miss::NotFound, route.protocol.envelope(), "")
}

/// The daily cron trigger: telemetry rollups and retention.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    if let Err(e) = telemetry::retention(&env).await {
        worker::console_error!("retention: {e}");
    }
}
