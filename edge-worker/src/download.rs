//! `GET /dl/<protocol>/<artifact id>/<file name>?expires=&sig=`: private apps' files behind
//! the short-lived signed links that the A, B, D and E answers carry (`update_protocol::links`).
//! A valid link streams a site file from the assets binding (under `_edge/`) or redirects (302)
//! to an external one; any other is refused with 403 in the envelope of the link's protocol.

use crate::{http, store};
use serde_json::json;
use update_protocol::index::{Artifact, percent_encode};
use update_protocol::links::{LinkRequest, Protocol};
use update_protocol::{hot_update, tinyaii, toolsetlink, zealot};
use worker::{Env, Headers, Request, Response, Result};

/// Every answer of the route: a link is for one client and a short time.
const CACHE_CONTROL: &str = "private, no-store";

/// Why the route answers without the file.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    /// Expired, altered, or signed with another deployment's key: 403.
    Denied,
    /// Validly signed, but the file is no longer published: 404.
    NotFound,
    /// No key, unreadable edge data: 500, the detail in the log.
    Internal,
}

fn no_store(resp: Response) -> Result<Response> {
    resp.headers().set("cache-control", CACHE_CONTROL)?;
    Ok(resp)
}

/// The refusal in the protocol's own envelope, as JSON.
fn refuse(req: &Request, protocol: Protocol, r: Refusal) -> Result<Response> {
    let resp = match protocol {
        Protocol::HotUpdate => {
            let e = match r {
                Refusal::Denied => hot_update::Error::LinkDenied,
                Refusal::NotFound => hot_update::Error::ArtifactNotFound,
                Refusal::Internal => hot_update::Error::Internal,
            };
            http::json(e.status(), &e.body())?
        }
        Protocol::Zealot => {
            let e = match r {
                Refusal::Denied => zealot::Error::LinkDenied,
                Refusal::NotFound => zealot::Error::ReleaseNotFound,
                Refusal::Internal => zealot::Error::Internal,
            };
            http::json(e.status(), &e.body())?
        }
        Protocol::Toolsetlink => {
            let e = match r {
                Refusal::Denied => toolsetlink::Error::LinkDenied,
                Refusal::NotFound => toolsetlink::Error::NoVersion,
                Refusal::Internal => toolsetlink::Error::Internal,
            };
            let trace = http::header(req, "cf-ray").unwrap_or_default();
            http::json(e.status(), &e.envelope(&trace))?
        }
        Protocol::Tinyaii => {
            let e = match r {
                Refusal::Denied => tinyaii::Error::LinkDenied,
                Refusal::NotFound => tinyaii::Error::FileNotFound,
                Refusal::Internal => tinyaii::Error::Internal,
            };
            http::json(e.status(), &e.envelope())?
        }
        // A protocol added to the crate later, before it has an envelope here.
        _ => http::json(500, &json!({"error": "internal error"}))?,
    };
    no_store(resp)
}

/// The route. `tag`, `id` and `name` are the raw path segments after `/dl/`.
pub async fn serve(req: Request, env: &Env, tag: &str, id: &str, name: &str) -> Result<Response> {
    let Some(protocol) = Protocol::from_tag(tag) else {
        // No answer issued this link: refused as any altered one (ours, in lowercase).
        let body = json!({"error": "download link is invalid or expired"});
        return no_store(http::json(403, &body)?);
    };
    let (id, name) = (http::percent_decode(id), http::percent_decode(name));
    let query = http::query(&req);
    let link = LinkRequest {
        protocol,
        artifact_id: &id,
        name: &name,
        expires: http::param(&query, "expires"),
        sig: http::param(&query, "sig"),
    };
    let secrets = match store::secrets(env) {
        Ok(s) => s,
        Err(e) => {
            worker::console_error!("download link: {e}");
            return refuse(&req, protocol, Refusal::Internal);
        }
    };
    let Some(key) = secrets
        .download_link_key
        .as_deref()
        .filter(|k| !k.is_empty())
    else {
        http::log_no_link_key("download link");
        return refuse(&req, protocol, Refusal::Internal);
    };
    if let Err(why) = link.verify(key.as_bytes(), store::now()) {
        // The reason only: the link itself is a credential until it expires.
        worker::console_log!("download link refused: {why:?}");
        return refuse(&req, protocol, Refusal::Denied);
    }
    let artifact = match find(env, &id).await {
        Ok(Some(a)) => a,
        Ok(None) => return refuse(&req, protocol, Refusal::NotFound),
        Err(e) => {
            worker::console_error!("download link: {e}");
            return refuse(&req, protocol, Refusal::Internal);
        }
    };
    // The signature covers the name, so it is the artifact's own unless the key leaked.
    match artifact
        .url
        .strip_prefix('/')
        .filter(|p| !p.starts_with('/'))
    {
        Some(path) => match stream(env, path, &artifact).await {
            Ok(resp) => Ok(resp),
            Err(e) => {
                worker::console_error!("download link: {e}");
                refuse(&req, protocol, Refusal::Internal)
            }
        },
        None => {
            let resp = Response::empty()?.with_status(302);
            resp.headers().set("location", &artifact.url)?;
            no_store(resp)
        }
    }
}

/// The artifact with this id, from the lookup table and its app's edge data.
async fn find(env: &Env, id: &str) -> Result<Option<Artifact>> {
    let lookup = store::lookup(env).await?;
    let Some(r) = lookup.artifacts.get(id) else {
        return Ok(None);
    };
    let Some(app) = store::app(env, &r.app).await? else {
        return Ok(None);
    };
    Ok(app
        .releases
        .iter()
        .flat_map(|r| &r.release.artifacts)
        .find(|a| a.id == id)
        .cloned())
}

/// A site file, streamed from the assets binding as an attachment named as the artifact.
async fn stream(env: &Env, path: &str, artifact: &Artifact) -> Result<Response> {
    let url = format!("https://assets.invalid/{path}");
    let resp = env.assets("ASSETS")?.fetch(url, None).await?;
    if resp.status_code() != 200 {
        return Err(worker::Error::RustError(format!(
            "asset {path}: status {}",
            resp.status_code()
        )));
    }
    let headers = Headers::new();
    headers.set("content-type", "application/octet-stream")?;
    headers.set("content-length", &artifact.size.to_string())?;
    headers.set(
        "content-disposition",
        &format!(
            "attachment; filename*=UTF-8''{}",
            percent_encode(artifact.name.as_str())
        ),
    )?;
    headers.set("cache-control", CACHE_CONTROL)?;
    Ok(resp.with_headers(headers))
}
