//! The edge worker: routes each request to the protocol it belongs to and serves the static
//! site for everything else. The edge-only data under `/_edge/` is read through the assets
//! binding and never served.

mod http;
mod license;
mod store;
mod tinyaii;

use update_protocol::index::paths;
use worker::{Context, Env, Method, Request, Response, Result, event};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let path = req.path();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (req.method(), segments.as_slice()) {
        (Method::Post, ["api", "v1", "version", "check"]) => {
            tinyaii::version_check(req, &env).await
        }
        (Method::Post, ["api", "v1", "apps", app, "update", "check"]) => {
            license::check(req, &env, app).await
        }
        (Method::Get, ["api", "v1", "apps", app, "update", "package", version]) => {
            license::package(req, &env, app, version).await
        }
        (Method::Get, ["api", "v1", "apps", app, "update", "download", version]) => {
            license::download(req, &env, app, version).await
        }
        _ if paths::is_edge(&path) => Response::error("Not Found", 404),
        _ => env.assets("ASSETS")?.fetch_request(req).await,
    }
}
