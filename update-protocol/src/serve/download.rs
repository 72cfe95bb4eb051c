//! `GET /dl/<protocol>/<artifact id>/<file name>?expires=&sig=`: private apps' files behind
//! the short-lived signed links that the A, B, D and E answers carry ([`crate::links`]).
//! A valid link streams a site file (under `_edge/`) or redirects (302) to an external one;
//! any other is refused with 403 in the envelope of the link's protocol.

use super::{Reply, Request, StoreError, Stores, percent_decode};
use crate::index::Artifact;
use crate::links::{LinkRequest, Protocol};
use crate::routes::PRIVATE_NO_STORE;
use crate::{hot_update, tinyaii, toolsetlink, zealot};
use serde_json::json;

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

/// The refusal in the protocol's own envelope, as JSON. Every answer of the route is for one
/// client and a short time: never stored by a shared cache.
fn refuse(req: &Request, protocol: Protocol, r: Refusal) -> Reply {
    let reply = match protocol {
        Protocol::HotUpdate => {
            let e = match r {
                Refusal::Denied => hot_update::Error::LinkDenied,
                Refusal::NotFound => hot_update::Error::ArtifactNotFound,
                Refusal::Internal => hot_update::Error::Internal,
            };
            Reply::json(e.status(), &e.body())
        }
        Protocol::Zealot => {
            let e = match r {
                Refusal::Denied => zealot::Error::LinkDenied,
                Refusal::NotFound => zealot::Error::ReleaseNotFound,
                Refusal::Internal => zealot::Error::Internal,
            };
            Reply::json(e.status(), &e.body())
        }
        Protocol::Toolsetlink => {
            let e = match r {
                Refusal::Denied => toolsetlink::Error::LinkDenied,
                Refusal::NotFound => toolsetlink::Error::NoVersion,
                Refusal::Internal => toolsetlink::Error::Internal,
            };
            Reply::json(e.status(), &e.envelope(req.trace()))
        }
        Protocol::Tinyaii => {
            let e = match r {
                Refusal::Denied => tinyaii::Error::LinkDenied,
                Refusal::NotFound => tinyaii::Error::FileNotFound,
                Refusal::Internal => tinyaii::Error::Internal,
            };
            Reply::json(e.status(), &e.envelope())
        }
    };
    reply.with("cache-control", PRIVATE_NO_STORE)
}

/// The route. `tag`, `id` and `name` are the raw path segments after `/dl/`.
pub async fn serve<S: Stores>(req: &Request, s: &S, tag: &str, id: &str, name: &str) -> Reply {
    let Some(protocol) = Protocol::from_tag(tag) else {
        // No answer issued this link: refused as any altered one (ours, in lowercase).
        let body = json!({"error": "download link is invalid or expired"});
        return Reply::json(403, &body).with("cache-control", PRIVATE_NO_STORE);
    };
    let (id, name) = (percent_decode(id), percent_decode(name));
    let query = req.query_pairs();
    let link = LinkRequest {
        protocol,
        artifact_id: &id,
        name: &name,
        expires: super::param(&query, "expires"),
        sig: super::param(&query, "sig"),
    };
    let secrets = match s.secrets() {
        Ok(s) => s,
        Err(e) => {
            return refuse(req, protocol, Refusal::Internal).logged(format!("download link: {e}"));
        }
    };
    let Some(key) = secrets
        .download_link_key
        .as_deref()
        .filter(|k| !k.is_empty())
    else {
        return refuse(req, protocol, Refusal::Internal).logged(super::NO_LINK_KEY);
    };
    if let Err(why) = link.verify(key.as_bytes(), req.now) {
        // The reason only: the link itself is a credential until it expires.
        return refuse(req, protocol, Refusal::Denied)
            .logged(format!("download link refused: {why:?}"));
    }
    let artifact = match find(s, &id).await {
        Ok(Some(a)) => a,
        Ok(None) => return refuse(req, protocol, Refusal::NotFound),
        Err(e) => {
            return refuse(req, protocol, Refusal::Internal).logged(format!("download link: {e}"));
        }
    };
    // The signature covers the name, so it is the artifact's own unless the key leaked.
    match artifact
        .url
        .strip_prefix('/')
        .filter(|p| !p.starts_with('/'))
    {
        Some(path) => {
            let fallback = refuse(req, protocol, Refusal::Internal)
                .logged(format!("download link: asset {path} unreadable"));
            Reply::attachment(path, artifact.name.as_str(), artifact.size, fallback)
        }
        None => Reply::empty(302)
            .with("location", artifact.url.clone())
            .with("cache-control", PRIVATE_NO_STORE),
    }
}

/// The artifact with this id, from the lookup table and its app's edge data.
async fn find<S: Stores>(s: &S, id: &str) -> Result<Option<Artifact>, StoreError> {
    let lookup = s.lookup().await?;
    let Some(r) = lookup.artifacts.get(id) else {
        return Ok(None);
    };
    let Some(app) = s.app(&r.app).await? else {
        return Ok(None);
    };
    Ok(app
        .releases
        .iter()
        .flat_map(|r| &r.release.artifacts)
        .find(|a| a.id == id)
        .cloned())
}
