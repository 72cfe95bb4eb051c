//! The edge worker: parses each request into `update_protocol::serve`'s terms, lets the
//! protocol's handler there answer it over this worker's bindings (`store::Bindings`), and
//! turns the reply into a response in one place (`http::respond`). Everything that is not a
//! route is the static site. The edge-only data under `/_edge/` is read through the assets
//! binding (the worker tree the build writes beside the public site is what is uploaded) and
//! never served.

mod health;
mod http;
mod ingest;
mod limits;
mod nonces;
mod rollouts;
mod store;
mod telemetry;

use update_protocol::routes::{self, Match};
use update_protocol::serve;
use worker::wasm_bindgen::JsValue;
use worker::{
    Context, Env, MessageBatch, Request, Response, Result, ScheduleContext, ScheduledEvent, event,
};

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
    let parsed = http::parse(req, &method, route.id, store::clock(&env)).await?;
    let stores = store::Bindings { env: &env };
    let resp = match serve::handle(route, &params, &parsed, &stores).await {
        Some(reply) => http::respond(&env, reply).await?,
        // A toolsetlink path of the table that names no endpoint (a unit test prevents it).
        None => unrouted(&parsed, route)?,
    };
    match route.cache_control() {
        Some(value) => http::with_header(resp, "cache-control", value),
        None => Ok(resp),
    }
}

/// The unknown-route 404, in `route`'s envelope, for a table route no handler takes.
fn unrouted(req: &serve::Request, route: &routes::Route) -> Result<Response> {
    http::miss_reply(
        req.trace(),
        routes::Miss::NotFound,
        route.protocol.envelope(),
        "",
    )
}

/// The cron triggers: every five minutes the release-health rule (`health::CRON`); daily the
/// telemetry rollups and retention.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    if event.cron() == health::CRON {
        if let Err(e) = health::check(&env).await {
            worker::console_error!("health rule: {e}");
        }
    } else if let Err(e) = telemetry::retention(&env).await {
        worker::console_error!("retention: {e}");
    }
}

/// The telemetry queues' consumer (`ingest::consume`): each batch into D1 in one transaction,
/// acknowledged once committed, retried otherwise.
#[event(queue)]
async fn queue(batch: MessageBatch<JsValue>, env: Env, _ctx: Context) -> Result<()> {
    ingest::consume(batch, &env).await;
    Ok(())
}
