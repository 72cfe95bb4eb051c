//! Reads the generator's edge data (`_edge/…`) through the assets binding.

use serde::de::DeserializeOwned;
use update_protocol::index::{EdgeApp, EdgeLookup, paths};
use update_protocol::names::AppId;
use worker::{Env, Result};

/// Fetches and parses one edge file; `None` when it does not exist.
async fn read<T: DeserializeOwned>(env: &Env, path: &str) -> Result<Option<T>> {
    // The host is ignored by the assets binding; the path is what selects the file.
    let url = format!("https://assets.invalid/{path}");
    let mut resp = env.assets("ASSETS")?.fetch(url, None).await?;
    if resp.status_code() == 404 {
        return Ok(None);
    }
    if resp.status_code() != 200 {
        return Err(worker::Error::RustError(format!(
            "edge data {path}: status {}",
            resp.status_code()
        )));
    }
    let bytes = resp.bytes().await?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| worker::Error::RustError(format!("edge data {path}: {e}")))
}

/// The lookup tables from protocol identifiers to apps.
pub async fn lookup(env: &Env) -> Result<EdgeLookup> {
    Ok(read(env, paths::EDGE_LOOKUP).await?.unwrap_or_default())
}

/// One app's edge data.
pub async fn app(env: &Env, id: &AppId) -> Result<Option<EdgeApp>> {
    read(env, &paths::edge_app(id)).await
}
