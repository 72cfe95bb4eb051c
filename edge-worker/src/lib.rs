//! The edge worker: routes each request to the protocol it belongs to and serves the static
//! site for everything else. The edge-only data under `/_edge/` is read through the assets
//! binding and never served.

mod store;
mod tinyaii;

use worker::{Context, Env, Method, Request, Response, Result, event};

/// Path prefix of the edge-only data (see `update_protocol::index::EDGE_PREFIX`).
const EDGE_PATH: &str = "/_edge";

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let path = req.path();
    match (req.method(), path.as_str()) {
        (Method::Post, "/api/v1/version/check") => tinyaii::version_check(req, &env).await,
        _ if path == EDGE_PATH || path.starts_with(&format!("{EDGE_PATH}/")) => {
            Response::error("Not Found", 404)
        }
        _ => env.assets("ASSETS")?.fetch_request(req).await,
    }
}
