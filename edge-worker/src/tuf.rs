//! `GET /metadata/timestamp.json`: the TUF timestamp, signed here with the worker secret's
//! timestamp key by the stateless window scheme (design note §2.3), for the snapshot that the
//! deployment's `_edge/tuf.json` names. Everything else under `/metadata/` is a static asset.
//!
//! Per isolate: the contract is read and the deployment's own metadata checked once (the root
//! chain from `1.root.json`, then `<S>.snapshot.json` against root's snapshot keys, so that a
//! broken or stale deployment is refused rather than vouched for), and each window is signed
//! once. Any doubt is a 503 that names the reason and never the key.

use crate::store;
use serde_json::json;
use std::cell::RefCell;
use std::rc::Rc;
use update_protocol::tuf::{
    self, EDGE_TUF_PATH, Ed25519Seed, EdgeTuf, MAX_ROOT_VERSIONS, Root, RootChain, Snapshot,
    TufError, parse_expires,
};
use worker::{Env, Method, Response, Result};

/// Site path of the metadata directory (`metadata_base_url` of the clients).
const METADATA_DIR: &str = "metadata";

/// What signs: the checked contract, the key, and the snapshot's expiry in unix seconds.
struct Signer {
    edge: EdgeTuf,
    seed: Ed25519Seed,
    snapshot_expires: i64,
}

/// The signed bytes of one window for one snapshot version.
struct Signed {
    window: i64,
    snapshot: u64,
    bytes: Rc<[u8]>,
}

thread_local! {
    static SIGNER: RefCell<Option<Rc<Signer>>> = const { RefCell::new(None) };
    static SIGNED: RefCell<Option<Signed>> = const { RefCell::new(None) };
}

/// Why the worker does not sign. Each is a 503 (404 when TUF is not deployed at all): the
/// client keeps its trusted timestamp and retries, which is safer than any answer we could
/// vouch for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// No `_edge/tuf.json`: this deployment has no TUF repository.
    NotDeployed,
    /// `EDGE_SECRETS` has no (valid) `tuf_timestamp_key`.
    NoKey,
    /// The key is not root's timestamp key (or not in the contract).
    WrongKey,
    /// The contract, root chain or snapshot of this deployment does not verify.
    Unverified,
    /// The clock is before the build signed: it could sign a far-future version.
    ClockBeforeBuild,
    /// The snapshot has expired: a re-signed build must be deployed.
    SnapshotExpired,
}

impl Refusal {
    fn message(self) -> &'static str {
        match self {
            Refusal::NotDeployed => "no TUF repository is deployed",
            Refusal::NoKey => "the timestamp key is not configured",
            Refusal::WrongKey => "the timestamp key is not root's timestamp key",
            Refusal::Unverified => "the deployed TUF metadata does not verify",
            Refusal::ClockBeforeBuild => "the clock is before the build's signing time",
            Refusal::SnapshotExpired => "the snapshot has expired",
        }
    }

    fn status(self) -> u16 {
        if self == Refusal::NotDeployed {
            404
        } else {
            503
        }
    }
}

/// Answers `/metadata/timestamp.json`.
pub async fn timestamp(env: &Env, method: Method) -> Result<Response> {
    if !matches!(method, Method::Get | Method::Head) {
        let resp = Response::from_json(&json!({"error": "method not allowed"}))?.with_status(405);
        resp.headers().set("allow", "GET, HEAD")?;
        return Ok(resp);
    }
    let now = store::now().unix_millis().div_euclid(1000);
    match sign(env, now).await {
        Ok((bytes, max_age)) => {
            let resp = Response::from_bytes(bytes.to_vec())?;
            let h = resp.headers();
            h.set("content-type", "application/json")?;
            h.set(
                "cache-control",
                &format!("public, max-age={max_age}, no-transform"),
            )?;
            Ok(resp)
        }
        Err(r) => {
            let resp = Response::from_json(&json!({"error": r.message()}))?.with_status(r.status());
            resp.headers().set("cache-control", "no-store")?;
            Ok(resp)
        }
    }
}

/// The signed bytes for `now` and their `max-age`.
async fn sign(env: &Env, now: i64) -> std::result::Result<(Rc<[u8]>, i64), Refusal> {
    let signer = signer(env, now).await?;
    let edge = &signer.edge;
    // Checked on every request, cached bytes or not: the snapshot may expire mid-window.
    if now < edge.signed_at {
        return Err(Refusal::ClockBeforeBuild);
    }
    if now >= signer.snapshot_expires {
        return Err(Refusal::SnapshotExpired);
    }
    let window = now.div_euclid(edge.period);
    let max_age = edge.max_age(now);
    let cached = SIGNED.with_borrow(|s| {
        s.as_ref()
            .filter(|s| s.window == window && s.snapshot == edge.snapshot.version)
            .map(|s| s.bytes.clone())
    });
    if let Some(bytes) = cached {
        return Ok((bytes, max_age));
    }
    let bytes: Rc<[u8]> = edge
        .sign_timestamp(now, &signer.seed)
        .map_err(|e| {
            worker::console_error!("timestamp.json: not signing: {e}");
            refusal(&e)
        })?
        .into();
    SIGNED.set(Some(Signed {
        window,
        snapshot: edge.snapshot.version,
        bytes: bytes.clone(),
    }));
    Ok((bytes, max_age))
}

fn refusal(e: &TufError) -> Refusal {
    match e {
        TufError::ClockBeforeBuild { .. } => Refusal::ClockBeforeBuild,
        TufError::SnapshotExpired { .. } => Refusal::SnapshotExpired,
        TufError::WrongTimestampKey { .. } => Refusal::WrongKey,
        _ => Refusal::Unverified,
    }
}

/// The isolate's signer: the contract, checked against the deployment's metadata, and the key.
/// Only a success is cached: a refusal is worked out again on the next request.
async fn signer(env: &Env, now: i64) -> std::result::Result<Rc<Signer>, Refusal> {
    if let Some(s) = SIGNER.with_borrow(Clone::clone) {
        return Ok(s);
    }
    let Some(bytes) = asset(env, EDGE_TUF_PATH).await? else {
        return Err(Refusal::NotDeployed);
    };
    let edge = EdgeTuf::parse(&bytes).map_err(|e| unverified(&e.to_string()))?;
    let seed = store::secrets(env)
        .map_err(|_| Refusal::NoKey)?
        .tuf_timestamp_seed()
        .ok_or(Refusal::NoKey)?
        .map_err(|_| Refusal::NoKey)?;
    let root = root_chain(env).await?;
    let keyid = seed.keyid();
    let in_root = root
        .role("timestamp")
        .is_ok_and(|r| r.keyids.contains(&keyid));
    if !in_root || !edge.timestamp_keyids.contains(&keyid) {
        worker::console_error!("timestamp.json: key {keyid} is not root's timestamp key");
        return Err(Refusal::WrongKey);
    }
    let snapshot_expires = check_snapshot(env, &root, &edge).await?;
    // The contract's expiry is what the build promised; the signed one is what clients check.
    let snapshot_expires = snapshot_expires
        .min(parse_expires(&edge.snapshot_expires).map_err(|e| unverified(&e.to_string()))?);
    let signer = Rc::new(Signer {
        edge,
        seed,
        snapshot_expires,
    });
    if now >= signer.edge.signed_at {
        SIGNER.set(Some(signer.clone()));
    }
    Ok(signer)
}

fn unverified(why: &str) -> Refusal {
    worker::console_error!("timestamp.json: not signing: {why}");
    Refusal::Unverified
}

/// A site file's bytes; a failed read is a refusal (logged), not an error answer.
async fn asset(env: &Env, path: &str) -> std::result::Result<Option<Vec<u8>>, Refusal> {
    store::asset(env, path)
        .await
        .map_err(|e| unverified(&format!("{path}: {e}")))
}

/// The newest root, each version from `1.root.json` (the deployment's trust anchor, as the
/// clients ship it) verified by the previous one's and its own root keys
/// (`update_protocol::tuf::RootChain`, spec 5.3.4-5.3.5). The first missing version ends it.
async fn root_chain(env: &Env) -> std::result::Result<Root, Refusal> {
    let path = |n: u64| format!("{METADATA_DIR}/{n}.root.json");
    let Some(first) = asset(env, &path(1)).await? else {
        return Err(unverified("metadata/1.root.json is missing"));
    };
    let mut chain =
        RootChain::trust(&first, Some(1)).map_err(|e| unverified(&format!("1.root.json: {e}")))?;
    for n in 2..=MAX_ROOT_VERSIONS {
        let Some(bytes) = asset(env, &path(n)).await? else {
            break;
        };
        chain
            .update(&bytes)
            .map_err(|e| unverified(&format!("{n}.root.json: {e}")))?;
    }
    Ok(chain.into_newest())
}

/// Checks `<S>.snapshot.json` against the contract (exact length and sha256) and root's
/// snapshot keys; returns its expiry.
async fn check_snapshot(
    env: &Env,
    root: &Root,
    edge: &EdgeTuf,
) -> std::result::Result<i64, Refusal> {
    let s = edge.snapshot.version;
    let name = format!("{s}.snapshot.json");
    let Some(bytes) = asset(env, &format!("{METADATA_DIR}/{name}")).await? else {
        return Err(unverified(&format!("{name} is missing")));
    };
    if tuf::MetaFile::of_bytes(s, &bytes) != edge.snapshot {
        return Err(unverified(&format!(
            "{name} does not match the length and sha256 of {EDGE_TUF_PATH}"
        )));
    }
    let fail = |e: TufError| unverified(&format!("{name}: {e}"));
    let md = tuf::parse(&bytes).map_err(fail)?;
    tuf::verify_role(&md, &root.keys, root.role("snapshot").map_err(fail)?).map_err(fail)?;
    let snapshot: Snapshot = tuf::typed(&md).map_err(fail)?;
    if snapshot.version != s {
        return Err(unverified(&format!(
            "{name} has version {}",
            snapshot.version
        )));
    }
    parse_expires(&snapshot.expires).map_err(fail)
}
