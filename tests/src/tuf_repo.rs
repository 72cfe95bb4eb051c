//! A TUF repository over a built site, made with the core module (`update_protocol::tuf`) for
//! the client tests: `metadata/N.root.json`, `metadata/V.targets.json` (every public artifact,
//! target path `artifacts/<app>/<version>/<name>`, served at its content address
//! `artifacts/<app>/<version>/<sha256>.<name>`, `custom` = app and version),
//! `metadata/V.snapshot.json`, and the edge's `_edge/tuf.json`, in the layout `generator
//! build` writes (docs/tuf-edge.md). Each function's `site` is the tree the worker serves (the
//! worker tree: [`crate::Edge::start_prepared`] hands it over), which has the public files
//! and `_edge/`.

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use update_protocol::tuf::{
    self, EDGE_TUF_PATH, EDGE_TUF_SCHEMA_VERSION, Ed25519Seed, EdgeTuf, MetaFile, Role, RoleType,
    Root, SPEC_VERSION, Snapshot, TOP_LEVEL_ROLES, TargetFile, Targets,
};

/// Expiry of root, targets and snapshot: far enough to never matter in a test.
pub const EXPIRES: &str = "2036-01-01T00:00:00Z";

/// One key per top-level role.
#[derive(Clone, Debug)]
pub struct Keys {
    /// Signs root.
    pub root: Ed25519Seed,
    /// Signs targets.
    pub targets: Ed25519Seed,
    /// Signs snapshot.
    pub snapshot: Ed25519Seed,
    /// The edge's key (the worker secret).
    pub timestamp: Ed25519Seed,
}

impl Keys {
    /// Fixed test keys: seeds of bytes `n`, `n+1`, `n+2`, `n+3`.
    pub fn fixed(n: u8) -> Keys {
        let k = |i: u8| Ed25519Seed::from_bytes(&[n.wrapping_add(i); 32]);
        Keys {
            root: k(0),
            targets: k(1),
            snapshot: k(2),
            timestamp: k(3),
        }
    }

    fn of(&self, role: &str) -> &Ed25519Seed {
        match role {
            "root" => &self.root,
            "targets" => &self.targets,
            "snapshot" => &self.snapshot,
            _ => &self.timestamp,
        }
    }
}

/// Root `version` with `keys` (threshold 1 each), signed by `signers` (for a rotation: the
/// previous root key and the new one).
///
/// # Panics
/// Panics when signing fails (it cannot for this payload).
pub fn root(keys: &Keys, version: u64, signers: &[&Ed25519Seed]) -> Vec<u8> {
    let root = Root {
        type_: RoleType::Root,
        spec_version: SPEC_VERSION.into(),
        version,
        expires: EXPIRES.into(),
        consistent_snapshot: true,
        keys: TOP_LEVEL_ROLES
            .iter()
            .map(|r| (keys.of(r).keyid(), keys.of(r).public_key()))
            .collect(),
        roles: TOP_LEVEL_ROLES
            .iter()
            .map(|r| {
                let role = Role {
                    keyids: vec![keys.of(r).keyid()],
                    threshold: 1,
                };
                ((*r).to_owned(), role)
            })
            .collect(),
    };
    tuf::to_bytes(&tuf::sign_metadata(root, signers).expect("sign root")).expect("bytes")
}

/// Writes `metadata/<version>.root.json` into `site`.
///
/// # Panics
/// Panics on I/O errors.
pub fn write_root(site: &Path, version: u64, bytes: &[u8]) {
    let dir = site.join("metadata");
    std::fs::create_dir_all(&dir).expect("metadata dir");
    std::fs::write(dir.join(format!("{version}.root.json")), bytes).expect("write root");
}

/// The targets of every public artifact of `site`: target path → file.
///
/// # Panics
/// Panics on I/O errors.
pub fn artifact_targets(site: &Path) -> BTreeMap<String, TargetFile> {
    let mut out = BTreeMap::new();
    for (rel, bytes) in crate::read_tree(&site.join("artifacts")) {
        // <app>/<version>/<sha256>.<name>
        let parts: Vec<&str> = rel.split('/').collect();
        let [app, version, file] = parts.as_slice() else {
            continue;
        };
        let Some((_, name)) = file.split_once('.') else {
            continue;
        };
        let path = format!("artifacts/{app}/{version}/{name}");
        if !tuf::is_safe_target_path(&path) {
            continue;
        }
        let custom = Map::from_iter([
            ("app".to_owned(), Value::from(*app)),
            ("version".to_owned(), Value::from(*version)),
        ]);
        out.insert(path, TargetFile::of_bytes(&bytes, Some(custom)));
    }
    out
}

/// Signs `V.targets.json` and `V.snapshot.json` over the site's artifacts and writes them with
/// the edge contract `_edge/tuf.json` (`period`, `ttl`, `signed_at`). Returns the contract.
///
/// # Panics
/// Panics on I/O or signing errors.
pub fn publish(
    site: &Path,
    keys: &Keys,
    version: u64,
    period: i64,
    ttl: i64,
    signed_at: i64,
) -> EdgeTuf {
    let dir = site.join("metadata");
    std::fs::create_dir_all(&dir).expect("metadata dir");
    let targets = Targets {
        type_: RoleType::Targets,
        spec_version: SPEC_VERSION.into(),
        version,
        expires: EXPIRES.into(),
        targets: artifact_targets(site),
        delegations: None,
    };
    let targets = tuf::to_bytes(&tuf::sign_metadata(targets, &[&keys.targets]).expect("sign"))
        .expect("bytes");
    let snapshot = Snapshot {
        type_: RoleType::Snapshot,
        spec_version: SPEC_VERSION.into(),
        version,
        expires: EXPIRES.into(),
        meta: BTreeMap::from([(
            "targets.json".to_owned(),
            MetaFile::of_bytes(version, &targets),
        )]),
    };
    let snapshot = tuf::to_bytes(&tuf::sign_metadata(snapshot, &[&keys.snapshot]).expect("sign"))
        .expect("bytes");
    std::fs::write(dir.join(format!("{version}.targets.json")), &targets).expect("write");
    std::fs::write(dir.join(format!("{version}.snapshot.json")), &snapshot).expect("write");
    let edge = EdgeTuf {
        schema_version: EDGE_TUF_SCHEMA_VERSION,
        snapshot: MetaFile::of_bytes(version, &snapshot),
        snapshot_expires: EXPIRES.into(),
        signed_at,
        timestamp_keyids: vec![keys.timestamp.keyid()],
        period,
        ttl,
    };
    write_edge(site, &edge);
    edge
}

/// Writes the edge contract into `site`.
///
/// # Panics
/// Panics on I/O errors.
pub fn write_edge(site: &Path, edge: &EdgeTuf) {
    let path = site.join(EDGE_TUF_PATH);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("_edge dir");
    std::fs::write(path, serde_json::to_vec(edge).expect("json")).expect("write _edge/tuf.json");
}

/// A timestamp signed by `seed` with any version, expiry and snapshot entry: what an attacker
/// (or a stale mirror) could serve.
///
/// # Panics
/// Panics when signing fails.
pub fn crafted_timestamp(
    seed: &Ed25519Seed,
    version: u64,
    expires: &str,
    snapshot: &MetaFile,
) -> Vec<u8> {
    let signed = json!({
        "_type": "timestamp",
        "spec_version": SPEC_VERSION,
        "version": version,
        "expires": expires,
        "meta": {"snapshot.json": snapshot},
    });
    tuf::signed_metadata(&signed, seed).expect("sign timestamp")
}
