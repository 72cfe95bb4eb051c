//! `GET /metadata/timestamp.json`: the TUF timestamp, signed here with the worker secret's
//! timestamp key by the stateless window scheme (design note §2.3), for the snapshot that the
//! deployment's `_edge/tuf.json` names. Everything else under `/metadata/` is a static asset.
//!
//! Per isolate: the contract is read and the deployment's own metadata checked once (the root
//! chain from `1.root.json`, then `<S>.snapshot.json` against root's snapshot keys, so that a
//! broken or stale deployment is refused rather than vouched for), and each window is signed
//! once ([`TufCache`], which the store keeps for its life). Any doubt is a 503 that names the
//! reason and never the key; the detail goes to the log.

use super::{EdgeData, Reply, Request, Stores};
use crate::tuf::{
    self, EDGE_TUF_PATH, Ed25519Seed, EdgeTuf, MAX_ROOT_VERSIONS, Root, RootChain, Snapshot,
    TufError, parse_expires,
};
use serde_json::json;
use std::cell::RefCell;
use std::rc::Rc;

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

/// What one deployment's signer keeps between requests: the checked signer, and the bytes of
/// the last window signed. [`EdgeData::tuf_cache`] hands out the store's own.
#[derive(Default)]
pub struct TufCache {
    signer: RefCell<Option<Rc<Signer>>>,
    signed: RefCell<Option<Signed>>,
}

impl std::fmt::Debug for TufCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("TufCache")
            .field("signer", &self.signer.borrow().is_some())
            .finish()
    }
}

/// A refusal and, for the log, why.
type Refused = (Refusal, Option<String>);

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
pub async fn timestamp<S: Stores>(req: &Request, s: &S) -> Reply {
    let now = req.now.unix_millis().div_euclid(1000);
    let cache = s.tuf_cache();
    match sign(s, &cache, now).await {
        Ok((bytes, max_age)) => Reply::bytes(200, super::JSON, bytes.to_vec()).with(
            "cache-control",
            format!("public, max-age={max_age}, no-transform"),
        ),
        Err((r, why)) => {
            let reply = Reply::json(r.status(), &json!({"error": r.message()}))
                .with("cache-control", "no-store");
            match why {
                Some(why) => reply.logged(format!("timestamp.json: not signing: {why}")),
                None => reply,
            }
        }
    }
}

/// The signed bytes for `now` and their `max-age`.
async fn sign<S: EdgeData>(s: &S, cache: &TufCache, now: i64) -> Result<(Rc<[u8]>, i64), Refused> {
    let signer = signer(s, cache, now).await?;
    let edge = &signer.edge;
    // Checked on every request, cached bytes or not: the snapshot may expire mid-window.
    if now < edge.signed_at {
        return Err((Refusal::ClockBeforeBuild, None));
    }
    if now >= signer.snapshot_expires {
        return Err((Refusal::SnapshotExpired, None));
    }
    let window = now.div_euclid(edge.period);
    let max_age = edge.max_age(now);
    let cached = cache
        .signed
        .borrow()
        .as_ref()
        .filter(|s| s.window == window && s.snapshot == edge.snapshot.version)
        .map(|s| s.bytes.clone());
    if let Some(bytes) = cached {
        return Ok((bytes, max_age));
    }
    let bytes: Rc<[u8]> = edge
        .sign_timestamp(now, &signer.seed)
        .map_err(|e| (refusal(&e), Some(e.to_string())))?
        .into();
    cache.signed.replace(Some(Signed {
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
async fn signer<S: EdgeData>(s: &S, cache: &TufCache, now: i64) -> Result<Rc<Signer>, Refused> {
    if let Some(signer) = cache.signer.borrow().clone() {
        return Ok(signer);
    }
    let Some(bytes) = asset(s, EDGE_TUF_PATH).await? else {
        return Err((Refusal::NotDeployed, None));
    };
    let edge = EdgeTuf::parse(&bytes).map_err(|e| unverified(&e.to_string()))?;
    let no_key = |why: String| (Refusal::NoKey, Some(why));
    let seed = s
        .secrets()
        .map_err(|e| no_key(e.to_string()))?
        .tuf_timestamp_seed()
        .ok_or_else(|| no_key("EDGE_SECRETS has no tuf_timestamp_key".into()))?
        .map_err(|e| no_key(e.to_string()))?;
    let root = root_chain(s).await?;
    let keyid = seed.keyid();
    let in_root = root
        .role("timestamp")
        .is_ok_and(|r| r.keyids.contains(&keyid));
    if !in_root || !edge.timestamp_keyids.contains(&keyid) {
        let why = format!("key {keyid} is not root's timestamp key");
        return Err((Refusal::WrongKey, Some(why)));
    }
    let snapshot_expires = check_snapshot(s, &root, &edge).await?;
    // The contract's expiry is what the build promised; the signed one is what clients check.
    let snapshot_expires = snapshot_expires
        .min(parse_expires(&edge.snapshot_expires).map_err(|e| unverified(&e.to_string()))?);
    let signer = Rc::new(Signer {
        edge,
        seed,
        snapshot_expires,
    });
    if now >= signer.edge.signed_at {
        cache.signer.replace(Some(signer.clone()));
    }
    Ok(signer)
}

fn unverified(why: &str) -> Refused {
    (Refusal::Unverified, Some(why.to_owned()))
}

/// A site file's bytes; a failed read is a refusal (logged), not an error answer.
async fn asset<S: EdgeData>(s: &S, path: &str) -> Result<Option<Vec<u8>>, Refused> {
    s.site_file(path)
        .await
        .map_err(|e| unverified(&format!("{path}: {e}")))
}

/// The newest root, each version from `1.root.json` (the deployment's trust anchor, as the
/// clients ship it) verified by the previous one's and its own root keys
/// (`update_protocol::tuf::RootChain`, spec 5.3.4-5.3.5). The first missing version ends it.
async fn root_chain<S: EdgeData>(s: &S) -> Result<Root, Refused> {
    let path = |n: u64| format!("{METADATA_DIR}/{n}.root.json");
    let Some(first) = asset(s, &path(1)).await? else {
        return Err(unverified("metadata/1.root.json is missing"));
    };
    let mut chain =
        RootChain::trust(&first, Some(1)).map_err(|e| unverified(&format!("1.root.json: {e}")))?;
    for n in 2..=MAX_ROOT_VERSIONS {
        let Some(bytes) = asset(s, &path(n)).await? else {
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
async fn check_snapshot<S: EdgeData>(s: &S, root: &Root, edge: &EdgeTuf) -> Result<i64, Refused> {
    let version = edge.snapshot.version;
    let name = format!("{version}.snapshot.json");
    let Some(bytes) = asset(s, &format!("{METADATA_DIR}/{name}")).await? else {
        return Err(unverified(&format!("{name} is missing")));
    };
    if tuf::MetaFile::of_bytes(version, &bytes) != edge.snapshot {
        return Err(unverified(&format!(
            "{name} does not match the length and sha256 of {EDGE_TUF_PATH}"
        )));
    }
    let fail = |e: TufError| unverified(&format!("{name}: {e}"));
    let md = tuf::parse(&bytes).map_err(fail)?;
    tuf::verify_role(&md, &root.keys, root.role("snapshot").map_err(fail)?).map_err(fail)?;
    let snapshot: Snapshot = tuf::typed(&md).map_err(fail)?;
    if snapshot.version != version {
        return Err(unverified(&format!(
            "{name} has version {}",
            snapshot.version
        )));
    }
    parse_expires(&snapshot.expires).map_err(fail)
}
