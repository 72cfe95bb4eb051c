//! The edge worker: routes each request to the protocol it belongs to and serves the static
//! site for everything else. The edge-only data under `/_edge/` is read through the assets
//! binding and never served.

mod store;
mod tinyaii;

use update_protocol::index::paths;
use worker::{Context, Env, Method, Request, Response, Result, event};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let path = req.path();
    match (req.method(), path.as_str()) {
        (Method::Post, "/api/v1/version/check") => tinyaii::version_check(req, &env).await,
        _ if paths::is_edge(&path) => Response::error("Not Found", 404),
        _ => env.assets("ASSETS")?.fetch_request(req).await,
    }
}
