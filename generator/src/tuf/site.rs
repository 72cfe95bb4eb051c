//! The TUF repository of a build: targets over the plan's public files (artifacts and index
//! files, pages and feeds alike), one delegated targets role per app, the snapshot, the root
//! history, hash-prefixed copies (`<dir>/<sha256>.<name>`) of index files, and the edge's
//! `_edge/tuf.json`. Added to the plan after it is complete; signing decisions in [`super::sign`].

use super::keyring::KeyRole;
use super::repo::{State, Stored, TufRepo};
use super::sign::{Pending, SignCtx, settle};
use crate::plan::{self, Plan};
use crate::problem::{InvalidInput, Problem};
use crate::site_model::{self, Output};
use anyhow::Result;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use update_protocol::digest::to_hex;
use update_protocol::index::{HistoryFile, Snapshot, SnapshotEntry, paths};
use update_protocol::tuf::{
    self, DelegatedRole, Delegations, EDGE_TUF_PATH, EDGE_TUF_SCHEMA_VERSION, EdgeTuf, MetaFile,
    SPEC_VERSION, TargetFile,
};

/// The site directory of the TUF metadata.
pub const METADATA_DIR: &str = "metadata";

/// Cache rules of the metadata: versioned files never change (content-addressed by version),
/// `root.json` is a convenience copy; all `no-transform`, since clients check exact bytes.
fn headers(roles: &BTreeSet<String>) -> String {
    let mut out = String::from(
        "/metadata/root.json\n  Cache-Control: public, max-age=60, must-revalidate, no-transform\n",
    );
    let mut names: Vec<&str> = vec!["root", "snapshot", "targets"];
    names.extend(roles.iter().map(String::as_str));
    for n in names {
        out.push_str(&format!(
            "/metadata/*.{n}.json\n  Cache-Control: public, max-age=31536000, immutable, no-transform\n"
        ));
    }
    out
}

/// The result of adding TUF to a plan: what to write back to `tuf/`.
#[derive(Debug)]
pub struct TufOutcome {
    /// Role → metadata now published (to store in `tuf/signed/`).
    pub signed: BTreeMap<String, Stored>,
    /// The new state.
    pub state: State,
    /// Roles signed in this run (empty: nothing to commit).
    pub resigned: Vec<String>,
}

/// One target before it is assigned to a role.
struct Target {
    path: String,
    file: TargetFile,
}

/// Adds the TUF repository to `plan`.
///
/// # Errors
/// [`InvalidInput`] for unsafe target paths or app ids; an error naming the key when a role
/// must be signed and its key is missing.
pub fn apply(plan: &mut Plan, repo: &TufRepo, ctx: &SignCtx<'_>) -> Result<TufOutcome> {
    let customs = artifact_customs(plan);
    let mut problems = Vec::new();
    let mut copies: Vec<(String, Vec<u8>)> = Vec::new();
    let mut by_role: BTreeMap<Option<String>, Vec<Target>> = BTreeMap::new();
    for (path, out) in plan.files.iter().filter(|(p, _)| plan::is_public(p)) {
        let (target_path, length, sha256) = match out {
            Output::Artifact { digests, .. } => {
                let sha = digests.sha256.to_hex();
                let (dir, base) = path.rsplit_once('/').unwrap_or(("", path));
                let Some(name) = base.strip_prefix(&format!("{sha}.")) else {
                    problems.push(unsafe_path(path, "is not <sha256>.<name>"));
                    continue;
                };
                (format!("{dir}/{name}"), digests.size, sha)
            }
            Output::Bytes(b) => {
                let sha = to_hex(&sha2_digest(b));
                let (dir, base) = match path.rsplit_once('/') {
                    Some((d, b)) => (format!("{d}/"), b),
                    None => (String::new(), path.as_str()),
                };
                copies.push((format!("{dir}{sha}.{base}"), b.clone()));
                (path.clone(), b.len() as u64, sha)
            }
        };
        if !tuf::is_safe_target_path(&target_path) {
            problems.push(unsafe_path(
                &target_path,
                "has a character outside [A-Za-z0-9._~+/-] (or an empty, . or .. segment)",
            ));
            continue;
        }
        let role = app_of(&target_path);
        if let Some(app) = &role
            && !tuf::is_safe_role_name(app)
        {
            problems.push(
                Problem::new(format!("apps/{app}.toml"), "id", format!(
                    "app id `{app}` cannot name a TUF delegated role (it would clash with a top-level role's file)"
                ))
                .hint("rename the app (ids root, targets, snapshot and timestamp are reserved when tuf/ is set up)"),
            );
            continue;
        }
        let custom = customs.get(path).cloned().or_else(|| {
            role.as_ref()
                .map(|a| Map::from_iter([("app".to_owned(), Value::from(a.clone()))]))
        });
        by_role.entry(role).or_default().push(Target {
            path: target_path,
            file: TargetFile {
                length,
                hashes: tuf::Hashes { sha256 },
                custom,
            },
        });
    }
    if !problems.is_empty() {
        problems.sort();
        problems.dedup();
        return Err(InvalidInput(problems).into());
    }

    let root = &repo.root;
    let targets_role = repo.role("targets")?;
    let snapshot_role = repo.role("snapshot")?;
    let mut signed: BTreeMap<String, Stored> = BTreeMap::new();
    let mut resigned = Vec::new();

    // Delegated roles, one per app, signed by the targets keys.
    let top = by_role.remove(&None).unwrap_or_default();
    let mut delegated = Vec::new();
    for (app, targets) in &by_role {
        let Some(app) = app else { continue };
        let depths: BTreeSet<(&str, usize)> = targets
            .iter()
            .filter_map(|t| {
                let top_dir = t.path.split('/').next()?;
                Some((top_dir, t.path.split('/').count()))
            })
            .collect();
        // python-tuf and tuf-js match a pattern segment by segment (`*` never crosses `/`),
        // so each depth needs its own pattern.
        let paths: Vec<String> = depths
            .iter()
            .map(|(d, n)| format!("{d}/{app}/{}", vec!["*"; n - 2].join("/")))
            .collect();
        let content = json!({
            "_type": "targets",
            "spec_version": SPEC_VERSION,
            "targets": targets_map(targets),
        });
        let s = settle(
            ctx,
            Pending {
                name: app,
                key: KeyRole::Targets,
                content,
                prev: repo.signed.get(app.as_str()),
                keys: &root.keys,
                role: targets_role,
            },
        )?;
        if s.signed_now {
            resigned.push(app.clone());
        }
        signed.insert(app.clone(), s.stored);
        delegated.push(DelegatedRole {
            name: app.clone(),
            keyids: targets_role.keyids.clone(),
            threshold: targets_role.threshold,
            paths,
            terminating: true,
        });
    }

    // Top-level targets: the site-wide files, and the delegations.
    let mut content = json!({
        "_type": "targets",
        "spec_version": SPEC_VERSION,
        "targets": targets_map(&top),
    });
    if !delegated.is_empty() {
        let keys = targets_role
            .keyids
            .iter()
            .filter_map(|id| root.keys.get(id).map(|k| (id.clone(), k.clone())))
            .collect();
        content["delegations"] = serde_json::to_value(Delegations {
            keys,
            roles: delegated,
        })?;
    }
    let s = settle(
        ctx,
        Pending {
            name: "targets",
            key: KeyRole::Targets,
            content,
            prev: repo.signed.get("targets"),
            keys: &root.keys,
            role: targets_role,
        },
    )?;
    if s.signed_now {
        resigned.push("targets".to_owned());
    }
    signed.insert("targets".to_owned(), s.stored);

    // Snapshot: every targets role. A role once listed is never dropped (clients refuse a
    // snapshot without it): an app that left keeps its last entry and file.
    let prev_snapshot = repo.signed.get("snapshot");
    let mut meta: BTreeMap<String, MetaFile> = BTreeMap::new();
    if let Some(prev) = prev_snapshot
        && let Some(m) = prev.md.signed.get("meta").and_then(Value::as_object)
    {
        for (k, v) in m {
            if let Ok(f) = serde_json::from_value::<MetaFile>(v.clone()) {
                meta.insert(k.clone(), f);
            }
        }
    }
    for (name, s) in &signed {
        meta.insert(
            format!("{name}.json"),
            MetaFile::of_bytes(s.version, &s.bytes),
        );
    }
    let mut retained: BTreeMap<String, Stored> = BTreeMap::new();
    for key in meta.keys() {
        let name = key.trim_end_matches(".json");
        if !signed.contains_key(name)
            && let Some(s) = repo.signed.get(name)
        {
            retained.insert(name.to_owned(), s.clone());
        }
    }
    let content = json!({
        "_type": "snapshot",
        "spec_version": SPEC_VERSION,
        "meta": meta,
    });
    let snap = settle(
        ctx,
        Pending {
            name: "snapshot",
            key: KeyRole::Snapshot,
            content,
            prev: prev_snapshot,
            keys: &root.keys,
            role: snapshot_role,
        },
    )?;
    if snap.signed_now {
        resigned.push("snapshot".to_owned());
    }
    let state = State {
        schema_version: 1,
        snapshot_signed_at: if snap.signed_now {
            Some(ctx.now)
        } else {
            // Without a recorded time (state.json lost), the time it was signed at follows
            // from its expiry, so that a rebuild stays byte-identical.
            repo.state.snapshot_signed_at.or(Some(
                snap.stored.expires - i64::from(repo.config.expires_days) * 86_400,
            ))
        },
    };
    signed.insert("snapshot".to_owned(), snap.stored.clone());
    signed.extend(retained);

    // The files.
    let mut added: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for r in &repo.roots {
        added.insert(
            format!("{METADATA_DIR}/{}.root.json", r.version),
            r.bytes.clone(),
        );
    }
    if let Some(last) = repo.roots.last() {
        added.insert(format!("{METADATA_DIR}/root.json"), last.bytes.clone());
    }
    for (name, s) in &signed {
        added.insert(
            format!("{METADATA_DIR}/{}.{name}.json", s.version),
            s.bytes.clone(),
        );
    }
    added.extend(copies);
    let edge = EdgeTuf {
        schema_version: EDGE_TUF_SCHEMA_VERSION,
        snapshot: MetaFile::of_bytes(snap.stored.version, &snap.stored.bytes),
        snapshot_expires: tuf::format_expires(snap.stored.expires),
        signed_at: state.snapshot_signed_at.unwrap_or(ctx.now),
        timestamp_keyids: repo.role("timestamp")?.keyids.clone(),
        period: repo.config.timestamp_period,
        ttl: repo.config.timestamp_ttl,
    };

    // The mirror list gains every new public file.
    if let Some(Output::Bytes(b)) = plan.files.get(paths::SNAPSHOT)
        && let Ok(mut mirror) = serde_json::from_slice::<Snapshot>(b)
    {
        for (p, bytes) in &added {
            mirror.files.insert(
                p.clone(),
                SnapshotEntry {
                    size: bytes.len() as u64,
                    sha256: update_protocol::digest::Sha256Digest::from_bytes(sha2_digest(bytes)),
                },
            );
        }
        plan.files.insert(
            paths::SNAPSHOT.to_owned(),
            Output::Bytes(site_model::json(&mirror)),
        );
    }
    if let Some(Output::Bytes(h)) = plan.files.get_mut(paths::HEADERS) {
        let roles: BTreeSet<String> = signed
            .keys()
            .filter(|k| *k != "targets" && *k != "snapshot")
            .cloned()
            .collect();
        h.extend_from_slice(headers(&roles).as_bytes());
    }
    for (p, bytes) in added {
        plan.files.insert(p, Output::Bytes(bytes));
    }
    plan.files.insert(
        EDGE_TUF_PATH.to_owned(),
        Output::Bytes(site_model::json(&edge)),
    );
    plan.counts.files = plan.files.len();
    plan.counts.bytes = plan.files.values().map(Output::size).sum();
    Ok(TufOutcome {
        signed,
        state,
        resigned,
    })
}

fn sha2_digest(b: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(b).into()
}

fn unsafe_path(path: &str, what: &str) -> Problem {
    Problem::new(
        path.to_owned(),
        "",
        format!("TUF target path `{path}` {what}"),
    )
    .hint(
        "artifact file names, versions and ids are checked by `generator validate`; a generated \
         page or feed must use only letters, digits and . _ ~ + - in its path",
    )
}

/// The app whose delegated role holds a target: `apps/<app>/…` and `artifacts/<app>/…`.
fn app_of(target_path: &str) -> Option<String> {
    let mut parts = target_path.split('/');
    let top = parts.next()?;
    let app = parts.next()?;
    parts.next()?;
    (top == "apps" || top == "artifacts").then(|| app.to_owned())
}

fn targets_map(targets: &[Target]) -> Value {
    let m: BTreeMap<&str, &TargetFile> =
        targets.iter().map(|t| (t.path.as_str(), &t.file)).collect();
    serde_json::to_value(m).unwrap_or(Value::Null)
}

/// `custom` of each artifact (by site path), from the public channel histories: the app,
/// channel, version, architecture, role and file name, and the release's state, publication
/// time and version code. Only strings and integers (canonical JSON has no floats).
fn artifact_customs(plan: &Plan) -> BTreeMap<String, Map<String, Value>> {
    let mut out: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for (path, o) in &plan.files {
        let parts: Vec<&str> = path.split('/').collect();
        let (["apps", _, _, "history.json"], Output::Bytes(bytes)) = (parts.as_slice(), o) else {
            continue;
        };
        let Ok(h) = serde_json::from_slice::<HistoryFile>(bytes) else {
            continue;
        };
        if h.arch.is_some() {
            continue;
        }
        for r in &h.releases {
            for a in &r.artifacts {
                let site = paths::artifact(&h.app, &r.version, &a.sha256, &a.name);
                if let Some(existing) = out.get_mut(&site) {
                    // The same file in several channels: `channel` is the first, `channels`
                    // lists them all.
                    let first = existing.get("channel").cloned().unwrap_or(Value::Null);
                    let ch = Value::from(r.channel.to_string());
                    let list = existing
                        .entry("channels")
                        .or_insert_with(|| Value::Array(vec![first]));
                    if let Value::Array(v) = list
                        && !v.contains(&ch)
                    {
                        v.push(ch);
                    }
                    continue;
                }
                let mut m = Map::new();
                m.insert("app".into(), Value::from(h.app.to_string()));
                m.insert("channel".into(), Value::from(r.channel.to_string()));
                m.insert("version".into(), Value::from(r.version.clone()));
                m.insert("arch".into(), Value::from(a.arch.to_string()));
                m.insert("name".into(), Value::from(a.name.to_string()));
                if let Ok(Value::String(s)) = serde_json::to_value(a.role) {
                    m.insert("role".into(), Value::from(s));
                }
                if let Ok(Value::String(s)) = serde_json::to_value(r.state) {
                    m.insert("state".into(), Value::from(s));
                }
                m.insert(
                    "published_at".into(),
                    Value::from(r.published_at.to_seconds_z()),
                );
                if let Some(vc) = r
                    .version_code
                    .filter(|v| v.unsigned_abs() <= tuf::MAX_SAFE_INTEGER)
                {
                    m.insert("version_code".into(), Value::from(vc));
                }
                out.insert(site, m);
            }
        }
    }
    out
}
