//! Verifying a mirror's copy of the site against a trusted TUF root: the root chain, the
//! timestamp (or the snapshot it would point at), snapshot, targets and every delegated role,
//! then every target file (present, length, sha256) and nothing extra. Rules and messages:
//! `docs/verify.md`.

pub mod source;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;
use source::{FileDigest, Length, Source};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use update_protocol::tuf::{
    self, ChainError, EdgeTuf, Key, MetaFile, Metadata, Role, Root, RootChain, Snapshot,
    TargetFile, Targets, Timestamp,
};

/// Site directory of the TUF metadata.
pub const METADATA_DIR: &str = "metadata";
/// The timestamp's path; the edge signs it, so a directory copy usually has none.
pub const TIMESTAMP_PATH: &str = "metadata/timestamp.json";
/// The convenience copy of the newest root (clients never fetch it).
pub const ROOT_COPY_PATH: &str = "metadata/root.json";

/// Size limits when the parent metadata gives no length (python-tuf's defaults).
const ROOT_LIMIT: u64 = 512_000;
const TIMESTAMP_LIMIT: u64 = 16_384;
const SNAPSHOT_LIMIT: u64 = 2_000_000;
const TARGETS_LIMIT: u64 = 5_000_000;

/// Files of the site layout (`docs/site-layout.md`) that are not TUF targets: the cache
/// rules, the deploy ignore list and the plain mirror list. Everything under [`EDGE_DIR`] is
/// edge-only data too (the worker tree's, or an old build's site that still held it).
pub const NOT_TARGETS: [&str; 3] = ["_headers", ".assetsignore", "snapshot.json"];
/// The edge-only directory: in the worker tree beside the site, never in the site itself
/// (docs/site-layout.md); a copy that holds it is the worker tree, or carries private data.
pub const EDGE_DIR: &str = "_edge/";

/// One problem: the site-relative path and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// Site-relative path (`/`-separated), or the trusted root's or timestamp's name as given.
    pub path: String,
    /// What is wrong, and the fix.
    pub message: String,
}

/// A timestamp given on the command line (`--timestamp FILE_OR_URL`).
#[derive(Debug, Clone)]
pub struct GivenTimestamp {
    /// The file or URL, for messages.
    pub label: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// The trusted root: its bytes and where they came from.
#[derive(Debug, Clone)]
pub struct TrustedRoot {
    /// The file given, for messages.
    pub label: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// The edge contract `_edge/tuf.json` of the build, read from its worker tree (`verify
/// --edge DIR`, by default the directory copy's sibling `<DIR>-edge`, when there is one).
#[derive(Debug, Clone)]
pub struct GivenEdgeContract {
    /// The file, for messages.
    pub label: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// How to verify.
#[derive(Debug, Clone)]
pub struct Options {
    /// Expiry is checked at this time (unix seconds).
    pub now: i64,
    /// The timestamp to start from, instead of the copy's.
    pub timestamp: Option<GivenTimestamp>,
    /// The edge contract, for a directory copy without a timestamp; without it, the copy's
    /// own `_edge/tuf.json` (a worker tree given as the copy) is used when there is one.
    pub edge_contract: Option<GivenEdgeContract>,
}

/// The outcome of a verification.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// No problem.
    pub ok: bool,
    /// The copy verified.
    pub source: String,
    /// Version of the newest root reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_version: Option<u64>,
    /// Version of the snapshot checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_version: Option<u64>,
    /// Where that snapshot version came from (the timestamp, `_edge/tuf.json`, the highest
    /// `N.snapshot.json` in the copy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_from: Option<String>,
    /// Targets roles verified (`targets` and delegated roles).
    pub roles: usize,
    /// Target files checked (hash-prefixed files and unprefixed copies).
    pub target_files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Files in the copy, when it could be listed (a directory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<usize>,
    /// Whether every file of the copy was checked against the repository ("nothing extra"):
    /// only for a directory, and only when the whole chain verified.
    pub extra_checked: bool,
    /// What the run decided (which snapshot it used, what it could not check).
    pub notes: Vec<String>,
    /// Every problem, sorted by path.
    pub problems: Vec<Finding>,
}

impl Report {
    /// The summary line.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(v) = self.root_version {
            parts.push(format!("root version {v}"));
        }
        if let Some(v) = self.snapshot_version {
            let from = self.snapshot_from.as_deref().unwrap_or("?");
            parts.push(format!("snapshot version {v} (from {from})"));
        }
        parts.push(format!(
            "{} targets role{}",
            self.roles,
            if self.roles == 1 { "" } else { "s" }
        ));
        parts.push(format!(
            "{} target file{} ({} bytes)",
            self.target_files,
            if self.target_files == 1 { "" } else { "s" },
            self.bytes
        ));
        match (self.files, self.extra_checked) {
            (Some(n), true) => parts.push(format!("{n} files in the copy, none extra")),
            (Some(n), false) => {
                parts.push(format!("{n} files in the copy, extra files not checked"))
            }
            (None, _) => parts.push("extra files not checked (a URL cannot be listed)".to_owned()),
        }
        let detail = parts.join(", ");
        if self.ok {
            format!("ok: {}: {detail}", self.source)
        } else {
            let n = self.problems.len();
            format!(
                "FAILED: {n} problem{} in {}: {detail}",
                if n == 1 { "" } else { "s" },
                self.source
            )
        }
    }
}

/// The error `verify` returns after printing its report when it found problems (exit 1).
#[derive(Debug)]
pub struct VerifyFailed {
    /// How many problems.
    pub problems: usize,
}

impl std::fmt::Display for VerifyFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "verify found {} problem{} (listed above)",
            self.problems,
            if self.problems == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for VerifyFailed {}

/// The problem of metadata with `have` valid signatures by `signers`, `need` required.
fn too_few(have: usize, need: u64, signers: &str) -> String {
    format!(
        "{} by {signers}, {need} required: not signed by this repository's keys (a root from \
         other keys, or a forged or corrupted file)",
        if have == 1 {
            "1 valid signature".to_owned()
        } else {
            format!("{have} valid signatures")
        }
    )
}

/// Parses and checks the trusted root: root metadata signed by a threshold of its own root
/// keys (as a TUF client loads its trusted root).
///
/// # Errors
/// A message naming the file and the fix.
pub fn trusted_root(root: &TrustedRoot) -> Result<(Metadata<Value>, Root), String> {
    let fix = "give the N.root.json the publisher handed you (e.g. tuf/root/1.root.json of the release repository)";
    let chain = RootChain::trust(&root.bytes, None).map_err(|e| match e {
        ChainError::NotRoot { .. } => format!(
            "{}: is not root metadata (`_type` is not `root`): {fix}",
            root.label
        ),
        ChainError::NotSignedBySelf { .. } => {
            format!("{}: {e}: it is not a root to trust: {fix}", root.label)
        }
        e => format!("{}: {e}: {fix}", root.label),
    })?;
    // Parsed once more for the envelope: it parsed above.
    let md = tuf::parse(&root.bytes).map_err(|e| format!("{}: {e}: {fix}", root.label))?;
    let r = chain.into_newest();
    Ok((md, r))
}

/// Verifies the copy in `source` from `root`.
///
/// # Errors
/// When the trusted root is not a root signed by its own keys (a usage error, not a problem
/// of the copy).
pub fn verify(source: &dyn Source, root: &TrustedRoot, opts: &Options) -> Result<Report, String> {
    let (root_md, root_typed) = trusted_root(root)?;
    let mut v = Verifier {
        source,
        opts,
        problems: Vec::new(),
        notes: Vec::new(),
        accounted: BTreeSet::new(),
        listing: None,
        complete: true,
    };
    match source.list() {
        Ok(l) => v.listing = l.map(|l| l.into_iter().collect()),
        Err(e) => {
            let path = source.describe();
            v.problem(&path, format!("cannot list the copy: {e:#}"));
        }
    }
    if v.listing
        .iter()
        .flatten()
        .any(|p| p.starts_with(EDGE_DIR) || p == ".assetsignore")
    {
        // The worker tree, or a site of an older build: either way not what a mirror serves.
        v.notes.push(format!(
            "the copy holds edge-only data ({EDGE_DIR}): it is a worker tree (or an older \
             build's site), which must never be published; mirrors copy the site \
             (docs/site-layout.md)"
        ));
    }
    let mut report = Report {
        ok: false,
        source: source.describe(),
        root_version: None,
        snapshot_version: None,
        snapshot_from: None,
        roles: 0,
        target_files: 0,
        bytes: 0,
        files: v.listing.as_ref().map(BTreeSet::len),
        extra_checked: false,
        notes: Vec::new(),
        problems: Vec::new(),
    };
    v.run(root, &root_md, root_typed, &mut report);
    v.problems.sort();
    v.problems.dedup();
    report.ok = v.problems.is_empty();
    report.problems = v.problems;
    report.notes = v.notes;
    Ok(report)
}

/// A target file to check.
struct Check {
    /// The file in the copy.
    file: String,
    /// Its target path.
    target: String,
    /// The role listing it.
    role: String,
    length: u64,
    sha256: String,
    /// An unprefixed copy at the target path itself (not a file clients fetch by hash).
    plain: bool,
}

struct Verifier<'a> {
    source: &'a dyn Source,
    opts: &'a Options,
    problems: Vec<Finding>,
    notes: Vec<String>,
    /// Files of the copy that belong to the repository.
    accounted: BTreeSet<String>,
    /// Every file of the copy (a directory), else `None`.
    listing: Option<BTreeSet<String>>,
    /// Whether every role verified, so that every file can be accounted for.
    complete: bool,
}

fn metadata_path(version: u64, role: &str) -> String {
    format!("{METADATA_DIR}/{version}.{role}.json")
}

impl Verifier<'_> {
    fn problem(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(Finding {
            path: path.to_owned(),
            message: message.into(),
        });
    }

    fn now_text(&self) -> String {
        tuf::format_expires(self.opts.now)
    }

    /// Reads metadata at `path`: present (else "missing: {why}"), within its length, matching
    /// the parent's length and sha256 when given, parseable. Marks it accounted for.
    fn load(
        &mut self,
        path: &str,
        expected: Option<&MetaFile>,
        who: &str,
        limit: u64,
        why: &str,
    ) -> Option<(Metadata<Value>, Vec<u8>)> {
        // Read past a wrong expected length, so that the problem says "length is X".
        let limit = expected
            .and_then(|m| m.length)
            .map_or(limit, |len| len.max(limit));
        let bytes = match self.source.read(path, limit) {
            Ok(Some(b)) => b,
            Ok(None) => {
                self.problem(path, format!("missing: {why}"));
                return None;
            }
            Err(e) => {
                self.accounted.insert(path.to_owned());
                self.problem(path, format!("cannot read: {e:#}"));
                return None;
            }
        };
        self.accounted.insert(path.to_owned());
        if let Some(m) = expected {
            let actual = MetaFile::of_bytes(m.version, &bytes);
            if let Some(len) = m.length
                && Some(len) != actual.length
            {
                self.problem(
                    path,
                    format!("length is {} bytes, {who} says {len}", bytes.len()),
                );
                return None;
            }
            if let (Some(want), Some(have)) = (&m.hashes, &actual.hashes)
                && want.sha256 != have.sha256
            {
                self.problem(
                    path,
                    format!("sha256 is {}, {who} says {}", have.sha256, want.sha256),
                );
                return None;
            }
        }
        match tuf::parse(&bytes) {
            Ok(md) => Some((md, bytes)),
            Err(e) => {
                self.problem(path, e.to_string());
                None
            }
        }
    }

    /// `_type`, signatures by a threshold of `role`, and the version; false (with a problem)
    /// when any fails.
    #[allow(clippy::too_many_arguments)]
    fn check_signed(
        &mut self,
        path: &str,
        md: &Metadata<Value>,
        type_: &str,
        keys: &BTreeMap<String, Key>,
        role: &Role,
        signers: &str,
        version: Option<(u64, &str)>,
    ) -> bool {
        let actual_type = md.signed.get("_type").and_then(Value::as_str).unwrap_or("");
        if actual_type != type_ {
            self.problem(
                path,
                format!("`_type` is `{actual_type}`, expected `{type_}`"),
            );
            return false;
        }
        if let Err(e) = tuf::verify_role(md, keys, role) {
            let msg = match e {
                tuf::TufError::Threshold { have, need, .. } => too_few(have, need, signers),
                other => other.to_string(),
            };
            self.problem(path, msg);
            return false;
        }
        if let Some((want, who)) = version {
            let have = md.signed.get("version").and_then(Value::as_u64);
            if have != Some(want) {
                let have = have.map_or_else(|| "missing".to_owned(), |h| h.to_string());
                self.problem(path, format!("version is {have}, {who} says {want}"));
                return false;
            }
        }
        true
    }

    fn check_expiry(&mut self, path: &str, expires: &str, fix: &str) {
        match tuf::parse_expires(expires) {
            Ok(at) if self.opts.now >= at => {
                let now = self.now_text();
                self.problem(
                    path,
                    format!("expired at {expires} (checked at {now}): {fix}"),
                );
            }
            Ok(_) => {}
            Err(e) => self.problem(path, e.to_string()),
        }
    }

    fn stop(&mut self, at: &str) {
        self.complete = false;
        self.notes.push(format!(
            "the chain stopped at {at}: nothing after it was checked"
        ));
    }

    fn run(
        &mut self,
        trusted: &TrustedRoot,
        root_md: &Metadata<Value>,
        root: Root,
        report: &mut Report,
    ) {
        let Some((root, root_bytes)) = self.roots(trusted, root_md, root) else {
            return;
        };
        report.root_version = Some(root.version);
        let root_path = metadata_path(root.version, "root");
        self.check_expiry(
            &root_path,
            &root.expires.clone(),
            "sign the next root version (N+1.root.json) with the root keys and publish it",
        );
        if !root.consistent_snapshot {
            self.problem(
                &root_path,
                "consistent_snapshot is false: the generator's layout (N.<role>.json, \
                 <dir>/<sha256>.<name>) needs it true",
            );
            self.stop(&root_path);
            return;
        }
        let Some((snap_meta, who)) = self.timestamp(&root) else {
            return;
        };
        report.snapshot_version = Some(snap_meta.version);
        report.snapshot_from = Some(who.clone());
        let Some((snapshot_path, snapshot)) = self.snapshot(&root, &snap_meta, &who) else {
            return;
        };
        let (roles, checks) = self.targets(&root, &snapshot_path, &snapshot);
        report.roles = roles;
        self.check_files(checks, report);
        self.root_copy(&root_bytes);
        self.extras(&root, &snapshot, report);
    }

    /// The root chain: the copy's versions up to the trusted one, then N+1, N+2, ... while
    /// present. Returns the newest root and its bytes.
    fn roots(
        &mut self,
        trusted: &TrustedRoot,
        trusted_md: &Metadata<Value>,
        trusted_root: Root,
    ) -> Option<(Root, Vec<u8>)> {
        let n = trusted_root.version;
        // The history up to the trusted version: present, in sequence, each signed by its
        // predecessor; the trusted version itself as the file given.
        let mut prev: Option<Root> = None;
        for k in 1..=n {
            let path = metadata_path(k, "root");
            let why = if k == n {
                format!("the trusted root {} is version {n}", trusted.label)
            } else {
                format!(
                    "every root version stays published (a client holding version {k} walks \
                     through it)"
                )
            };
            let loaded = self.load(&path, None, "", ROOT_LIMIT, &why);
            let current = if k == n {
                if let Some((md, _)) = &loaded
                    && md.signed != trusted_md.signed
                {
                    self.problem(
                        &path,
                        format!(
                            "differs from the trusted root {} (version {n}): this copy is of \
                             another repository, or its root was replaced",
                            trusted.label
                        ),
                    );
                }
                Some((trusted_md.clone(), trusted_root.clone()))
            } else {
                loaded.and_then(|(md, _)| match tuf::typed::<Root>(&md) {
                    Ok(r) if r.version == k => Some((md, r)),
                    Ok(r) => {
                        self.problem(
                            &path,
                            format!("version is {}, its file name says {k}", r.version),
                        );
                        None
                    }
                    Err(e) => {
                        self.problem(&path, e.to_string());
                        None
                    }
                })
            };
            if let (Some(p), Some((md, _))) = (&prev, &current)
                && let Ok(role) = p.role("root")
            {
                let signers = format!("root version {}'s root keys", p.version);
                self.check_signed(&path, md, "root", &p.keys, role, &signers, None);
            }
            prev = current.map(|(_, r)| r);
        }
        let mut chain = RootChain::resume(trusted_root);
        let mut bytes = trusted.bytes.clone();
        loop {
            let next = chain.newest().version + 1;
            let path = metadata_path(next, "root");
            let read = match self.source.read(&path, ROOT_LIMIT) {
                Ok(Some(b)) => b,
                Ok(None) => break,
                Err(e) => {
                    self.accounted.insert(path.clone());
                    self.problem(&path, format!("cannot read: {e:#}"));
                    self.stop(&path);
                    return None;
                }
            };
            self.accounted.insert(path.clone());
            if !self.rotate(&path, &mut chain, &read) {
                self.stop(&path);
                return None;
            }
            bytes = read;
        }
        Some((chain.into_newest(), bytes))
    }

    /// Spec 5.3.4-5.3.5 ([`RootChain::update`]): root N+1 is signed by a threshold of root
    /// N's root keys and of its own, and its version is exactly N+1. False (with a problem)
    /// when it is not; the chain then keeps root N.
    fn rotate(&mut self, path: &str, chain: &mut RootChain, bytes: &[u8]) -> bool {
        if let Err(e) = tuf::parse(bytes) {
            // Clients probe N+1 on every refresh and stop only on 404/403.
            self.problem(
                path,
                format!(
                    "{e}: a missing N+1.root.json must be absent (HTTP 404), never a page \
                     in its place (a single-page-app fallback breaks every client)"
                ),
            );
            return false;
        }
        let next = chain.newest().version + 1;
        let Err(e) = chain.update(bytes) else {
            return true;
        };
        let msg = match e {
            ChainError::NotRoot { found } => format!("`_type` is `{found}`, expected `root`"),
            ChainError::NotSignedByPrevious {
                previous,
                have,
                need,
            } => too_few(have, need, &format!("root version {previous}'s root keys")),
            ChainError::NotSignedBySelf { have, need } => too_few(
                have,
                need,
                &format!("its own root keys (root version {next})"),
            ),
            ChainError::Version { expected, found } => {
                format!("version is {found}, its file name says {expected}")
            }
            other => other.to_string(),
        };
        self.problem(path, msg);
        false
    }

    /// The snapshot to check: from the given timestamp, the copy's `metadata/timestamp.json`,
    /// or for a directory without one `_edge/tuf.json`, else the highest `N.snapshot.json`.
    fn timestamp(&mut self, root: &Root) -> Option<(MetaFile, String)> {
        let given = self
            .opts
            .timestamp
            .as_ref()
            .map(|t| (t.label.clone(), t.bytes.clone(), t.label.clone()));
        let in_copy = self
            .listing
            .as_ref()
            .is_some_and(|l| l.contains(TIMESTAMP_PATH));
        let from_copy = if given.is_some() {
            if in_copy {
                // A mirror that pulls the edge's timestamp keeps one: part of the layout, but
                // the one given is what the run trusts.
                self.accounted.insert(TIMESTAMP_PATH.to_owned());
                self.notes.push(format!(
                    "the copy's {TIMESTAMP_PATH} was not used: --timestamp was given"
                ));
            }
            None
        } else {
            match self.source.read(TIMESTAMP_PATH, TIMESTAMP_LIMIT) {
                Ok(Some(b)) => {
                    self.accounted.insert(TIMESTAMP_PATH.to_owned());
                    Some((TIMESTAMP_PATH.to_owned(), b, TIMESTAMP_PATH.to_owned()))
                }
                Ok(None) => None,
                Err(e) => {
                    self.problem(TIMESTAMP_PATH, format!("cannot read: {e:#}"));
                    self.stop(TIMESTAMP_PATH);
                    return None;
                }
            }
        };
        if let Some((label, bytes, path)) = given.or(from_copy) {
            return self.verify_timestamp(root, &label, &path, &bytes);
        }
        if self.listing.is_none() {
            self.problem(
                TIMESTAMP_PATH,
                "missing: the edge signs it, and this URL does not serve it; for a static \
                 mirror pass --timestamp with the origin's https://…/metadata/timestamp.json",
            );
            self.stop(TIMESTAMP_PATH);
            return None;
        }
        if let Some((m, label)) = self.edge_contract(root) {
            let who = format!("{label}, the build's contract for the edge's timestamp");
            self.notes.push(format!(
                "no timestamp (the edge signs it): snapshot version {} taken from {who}",
                m.version
            ));
            return Some((m, who));
        }
        let highest = self
            .listing
            .iter()
            .flatten()
            .filter_map(|p| {
                p.strip_prefix("metadata/")?
                    .strip_suffix(".snapshot.json")?
                    .parse::<u64>()
                    .ok()
            })
            .max();
        let Some(version) = highest else {
            self.problem(
                METADATA_DIR,
                "no N.snapshot.json and no timestamp: copy the whole site (rsync -a --delete \
                 SITE/ DIR/), or pass --timestamp",
            );
            self.stop(METADATA_DIR);
            return None;
        };
        let who = "the highest N.snapshot.json in the copy".to_owned();
        self.notes.push(format!(
            "no timestamp (the edge signs it) and no edge contract ({}, in the worker tree): \
             snapshot version {version} is {who}; pass --timestamp to check against the \
             edge's, or --edge with the worker tree",
            tuf::EDGE_TUF_PATH
        ));
        Some((
            MetaFile {
                version,
                length: None,
                hashes: None,
            },
            who,
        ))
    }

    fn verify_timestamp(
        &mut self,
        root: &Root,
        label: &str,
        path: &str,
        bytes: &[u8],
    ) -> Option<(MetaFile, String)> {
        if bytes.len() as u64 > TIMESTAMP_LIMIT {
            self.problem(path, format!("larger than {TIMESTAMP_LIMIT} bytes"));
            self.stop(path);
            return None;
        }
        let md = match tuf::parse(bytes) {
            Ok(md) => md,
            Err(e) => {
                self.problem(path, e.to_string());
                self.stop(path);
                return None;
            }
        };
        let role = root.role("timestamp").ok()?.clone();
        let signers = format!("root version {}'s timestamp keys", root.version);
        if !self.check_signed(path, &md, "timestamp", &root.keys, &role, &signers, None) {
            self.stop(path);
            return None;
        }
        let ts: Timestamp = match tuf::typed(&md) {
            Ok(t) => t,
            Err(e) => {
                self.problem(path, e.to_string());
                self.stop(path);
                return None;
            }
        };
        self.check_expiry(
            path,
            &ts.expires,
            "the edge signs a fresh one every window: check the worker's clock and its \
             tuf_timestamp_key, or fetch it again",
        );
        let Some(m) = ts.meta.get("snapshot.json").cloned() else {
            self.problem(path, "meta has no snapshot.json");
            self.stop(path);
            return None;
        };
        Some((m, format!("the timestamp {label}")))
    }

    /// The edge contract given (from the worker tree), else the copy's own `_edge/tuf.json`:
    /// the snapshot the edge will sign timestamps for, and where it was read.
    fn edge_contract(&mut self, root: &Root) -> Option<(MetaFile, String)> {
        let (label, bytes) = match &self.opts.edge_contract {
            Some(c) => (c.label.clone(), c.bytes.clone()),
            None => match self.source.read(tuf::EDGE_TUF_PATH, TIMESTAMP_LIMIT) {
                Ok(Some(b)) => (tuf::EDGE_TUF_PATH.to_owned(), b),
                Ok(None) => return None,
                Err(e) => {
                    self.problem(tuf::EDGE_TUF_PATH, format!("cannot read: {e:#}"));
                    return None;
                }
            },
        };
        let path = label.as_str();
        let edge = match EdgeTuf::parse(&bytes) {
            Ok(e) => e,
            Err(e) => {
                self.problem(path, e.to_string());
                return None;
            }
        };
        if let Ok(role) = root.role("timestamp") {
            let want: BTreeSet<&String> = role.keyids.iter().collect();
            if !edge.timestamp_keyids.iter().any(|k| want.contains(k)) {
                self.problem(
                    path,
                    format!(
                        "timestamp_keyids name none of root version {}'s timestamp keys: the \
                         edge would sign timestamps clients reject; rebuild with the current root",
                        root.version
                    ),
                );
            }
        }
        Some((edge.snapshot, label))
    }

    fn snapshot(&mut self, root: &Root, meta: &MetaFile, who: &str) -> Option<(String, Snapshot)> {
        let path = metadata_path(meta.version, "snapshot");
        let why = format!("{who} points at snapshot version {}", meta.version);
        let (md, _) = match self.load(&path, Some(meta), who, SNAPSHOT_LIMIT, &why) {
            Some(x) => x,
            None => {
                self.stop(&path);
                return None;
            }
        };
        let role = root.role("snapshot").ok()?.clone();
        let signers = format!("root version {}'s snapshot keys", root.version);
        if !self.check_signed(
            &path,
            &md,
            "snapshot",
            &root.keys,
            &role,
            &signers,
            Some((meta.version, who)),
        ) {
            self.stop(&path);
            return None;
        }
        let snapshot: Snapshot = match tuf::typed(&md) {
            Ok(s) => s,
            Err(e) => {
                self.problem(&path, e.to_string());
                self.stop(&path);
                return None;
            }
        };
        self.check_expiry(
            &path,
            &snapshot.expires,
            "re-sign it (generator tuf resign, or a new build) and publish",
        );
        Some((path, snapshot))
    }

    /// `targets.json` and every delegated role it reaches; returns how many roles verified and
    /// the target files to check.
    fn targets(
        &mut self,
        root: &Root,
        snapshot_path: &str,
        snapshot: &Snapshot,
    ) -> (usize, Vec<Check>) {
        struct Pending {
            name: String,
            delegator: String,
            keys: BTreeMap<String, Key>,
            role: Role,
            paths: Option<Vec<String>>,
        }
        let mut queue = VecDeque::new();
        let Ok(role) = root.role("targets").cloned() else {
            self.problem(
                &metadata_path(root.version, "root"),
                "root does not define the targets role",
            );
            self.stop("root");
            return (0, Vec::new());
        };
        queue.push_back(Pending {
            name: "targets".to_owned(),
            delegator: format!("root version {}", root.version),
            keys: root.keys.clone(),
            role,
            paths: None,
        });
        let mut visited: BTreeSet<String> = BTreeSet::from(["targets".to_owned()]);
        let mut verified = 0;
        let mut checks = Vec::new();
        let snapshot_who = format!("snapshot version {}", snapshot.version);
        while let Some(p) = queue.pop_front() {
            let Some(meta) = snapshot.meta.get(&format!("{}.json", p.name)) else {
                self.problem(
                    snapshot_path,
                    format!(
                        "does not list `{}.json`, a targets role delegated by {}",
                        p.name, p.delegator
                    ),
                );
                self.stop(snapshot_path);
                continue;
            };
            let path = metadata_path(meta.version, &p.name);
            let why = format!(
                "{snapshot_who} lists `{}` at version {}",
                p.name, meta.version
            );
            let Some((md, _)) = self.load(&path, Some(meta), &snapshot_who, TARGETS_LIMIT, &why)
            else {
                self.stop(&path);
                continue;
            };
            let signers = if p.name == "targets" {
                format!("{}'s targets keys", p.delegator)
            } else {
                format!("the keys {} delegates `{}` to", p.delegator, p.name)
            };
            if !self.check_signed(
                &path,
                &md,
                "targets",
                &p.keys,
                &p.role,
                &signers,
                Some((meta.version, &snapshot_who)),
            ) {
                self.stop(&path);
                continue;
            }
            let t: Targets = match tuf::typed(&md) {
                Ok(t) => t,
                Err(e) => {
                    self.problem(&path, e.to_string());
                    self.stop(&path);
                    continue;
                }
            };
            verified += 1;
            self.check_expiry(
                &path,
                &t.expires,
                "re-sign it (generator tuf resign, or a new build) and publish",
            );
            for (target, file) in &t.targets {
                if let Some(patterns) = &p.paths
                    && !patterns.iter().any(|pat| path_matches(pat, target))
                {
                    self.problem(
                        &path,
                        format!(
                            "lists target `{target}`, outside the paths delegated to `{}` ({}): \
                             clients ignore it",
                            p.name,
                            patterns.join(", ")
                        ),
                    );
                    continue;
                }
                if !tuf::is_safe_target_path(target) {
                    self.problem(
                        &path,
                        format!(
                            "lists target `{target}`, not a safe path ([A-Za-z0-9._~+/-], no \
                             empty, . or .. segment): not checked"
                        ),
                    );
                    continue;
                }
                if !is_sha256_hex(&file.hashes.sha256) {
                    self.problem(
                        &path,
                        format!("target `{target}` has a sha256 that is not 64 lowercase hex"),
                    );
                    continue;
                }
                checks.push(check_of(target, file, &p.name, false));
            }
            if let Some(d) = &t.delegations {
                for dr in &d.roles {
                    if !visited.insert(dr.name.clone()) {
                        continue;
                    }
                    if !tuf::is_safe_role_name(&dr.name) {
                        self.problem(
                            &path,
                            format!(
                                "delegates to `{}`, not a safe role name ([A-Za-z0-9._~+-]): not checked",
                                dr.name
                            ),
                        );
                        self.stop(&path);
                        continue;
                    }
                    queue.push_back(Pending {
                        name: dr.name.clone(),
                        delegator: format!("`{}`", p.name),
                        keys: d.keys.clone(),
                        role: dr.as_role(),
                        paths: Some(dr.paths.clone()),
                    });
                }
            }
        }
        // Roles the snapshot still lists that no role delegates to (an app that left keeps
        // its last entry, since clients refuse a snapshot that drops a role): their files
        // stay published; only their length and hash can be checked.
        for (key, meta) in &snapshot.meta {
            let Some(name) = key.strip_suffix(".json") else {
                continue;
            };
            if visited.contains(name) || !tuf::is_safe_role_name(name) {
                continue;
            }
            let path = metadata_path(meta.version, name);
            let why = format!("{snapshot_who} lists `{name}` at version {}", meta.version);
            if self
                .load(&path, Some(meta), &snapshot_who, TARGETS_LIMIT, &why)
                .is_some()
            {
                self.notes.push(format!(
                    "`{name}` is listed by the snapshot but delegated by no role: {path} was \
                     checked by length and hash only"
                ));
            }
        }
        (verified, checks)
    }

    /// Every target file: present, length, sha256; and an unprefixed copy at the target path
    /// (the plain index files the site serves) equal to it. In parallel, streamed.
    fn check_files(&mut self, mut checks: Vec<Check>, report: &mut Report) {
        if let Some(listing) = &self.listing {
            let plain: Vec<Check> = checks
                .iter()
                .filter(|c| c.target != c.file && listing.contains(&c.target))
                .map(|c| Check {
                    file: c.target.clone(),
                    target: c.target.clone(),
                    role: c.role.clone(),
                    length: c.length,
                    sha256: c.sha256.clone(),
                    plain: true,
                })
                .collect();
            checks.extend(plain);
        }
        // One check per file (two roles listing the same target with the same hash share it).
        let mut seen = BTreeSet::new();
        checks.retain(|c| seen.insert((c.file.clone(), c.sha256.clone(), c.length)));
        let source = self.source;
        let results: Vec<(usize, anyhow::Result<Option<FileDigest>>)> = checks
            .par_iter()
            .enumerate()
            .map(|(i, c)| (i, source.digest(&c.file, c.length)))
            .collect();
        for (i, result) in results {
            let c = &checks[i];
            self.accounted.insert(c.file.clone());
            let who = format!("targets role `{}` says", c.role);
            let of = if c.plain {
                format!(" (the unprefixed copy of target `{}`)", c.target)
            } else {
                String::new()
            };
            match result {
                Err(e) => self.problem(&c.file, format!("cannot read: {e:#}")),
                Ok(None) => self.problem(
                    &c.file,
                    format!(
                        "missing: targets role `{}` lists target `{}` ({} bytes, sha256 {})",
                        c.role, c.target, c.length, c.sha256
                    ),
                ),
                Ok(Some(d)) => match (d.length, d.sha256) {
                    (Length::Exact(n), Some(sha)) if n == c.length => {
                        if sha == c.sha256 {
                            report.target_files += 1;
                            report.bytes += n;
                        } else {
                            self.problem(
                                &c.file,
                                format!("sha256 is {sha}, {who} {}{of}", c.sha256),
                            );
                        }
                    }
                    (Length::Exact(n), _) => self.problem(
                        &c.file,
                        format!("length is {n} bytes, {who} {}{of}", c.length),
                    ),
                    (Length::MoreThan(n), _) => {
                        self.problem(&c.file, format!("is longer than the {n} bytes {who}{of}"))
                    }
                },
            }
        }
    }

    /// `metadata/root.json`, when present, is the newest root byte for byte.
    fn root_copy(&mut self, newest: &[u8]) {
        let present = self
            .listing
            .as_ref()
            .is_some_and(|l| l.contains(ROOT_COPY_PATH));
        if !present {
            return;
        }
        self.accounted.insert(ROOT_COPY_PATH.to_owned());
        match self.source.read(ROOT_COPY_PATH, ROOT_LIMIT) {
            Ok(Some(b)) if b == newest => {}
            Ok(Some(_)) => self.problem(
                ROOT_COPY_PATH,
                "differs from the newest N.root.json: copy the metadata directory as a whole",
            ),
            Ok(None) => {}
            Err(e) => self.problem(ROOT_COPY_PATH, format!("cannot read: {e:#}")),
        }
    }

    /// "Nothing extra": every file of a directory copy is accounted for.
    fn extras(&mut self, root: &Root, snapshot: &Snapshot, report: &mut Report) {
        let Some(listing) = self.listing.clone() else {
            self.notes.push(
                "extra files were not checked: a URL cannot be listed (verify a directory copy \
                 for that)"
                    .to_owned(),
            );
            return;
        };
        if !self.complete {
            self.notes.push(
                "extra files were not checked: the chain did not verify, so not every file \
                 could be accounted for"
                    .to_owned(),
            );
            return;
        }
        report.extra_checked = true;
        // The current version of each metadata role, to name older ones precisely.
        let mut current: BTreeMap<String, u64> = snapshot
            .meta
            .iter()
            .filter_map(|(k, m)| Some((k.strip_suffix(".json")?.to_owned(), m.version)))
            .collect();
        current.insert("snapshot".to_owned(), snapshot.version);
        current.insert("root".to_owned(), root.version);
        for file in listing.difference(&self.accounted.clone()) {
            if NOT_TARGETS.contains(&file.as_str()) || file.starts_with(EDGE_DIR) {
                continue;
            }
            if let Some((version, role)) = file
                .strip_prefix("metadata/")
                .and_then(|r| r.strip_suffix(".json"))
                .and_then(|r| r.split_once('.'))
                .and_then(|(v, role)| Some((v.parse::<u64>().ok()?, role)))
                && let Some(&now) = current.get(role)
            {
                let msg = if role == "root" {
                    format!(
                        "root version {version} is past a gap (the chain ends at version {now}, \
                         no {}.root.json): publish the versions between, or delete it",
                        now + 1
                    )
                } else {
                    format!(
                        "version {version} of `{role}`, not the version {now} the chain uses: \
                         the build publishes only the current one; delete it (rsync -a --delete)"
                    )
                };
                self.problem(file, msg);
                continue;
            }
            self.problem(
                file,
                "extra file: no targets role lists it and it is neither TUF metadata of the \
                 chain nor a file the layout allows (docs/verify.md); delete it (rsync -a \
                 --delete copies exactly)",
            );
        }
    }
}

fn check_of(target: &str, file: &TargetFile, role: &str, plain: bool) -> Check {
    let (dir, base) = match target.rsplit_once('/') {
        Some((d, b)) => (format!("{d}/"), b),
        None => (String::new(), target),
    };
    Check {
        file: format!("{dir}{}.{base}", file.hashes.sha256),
        target: target.to_owned(),
        role: role.to_owned(),
        length: file.length,
        sha256: file.hashes.sha256.clone(),
        plain,
    }
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether a delegated role's path pattern matches a target path as python-tuf and tuf-js
/// match it: segment by segment (so `*` never crosses `/`), the same number of segments, `*`
/// any run of characters and `?` one character within a segment.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let pat: Vec<&str> = pattern.split('/').collect();
    let segs: Vec<&str> = path.split('/').collect();
    pat.len() == segs.len()
        && pat
            .iter()
            .zip(&segs)
            .all(|(p, s)| glob_segment(p.as_bytes(), s.as_bytes()))
}

fn glob_segment(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob_segment(rest, &s[i..])),
        Some((b'?', rest)) => !s.is_empty() && glob_segment(rest, &s[1..]),
        Some((c, rest)) => s.first() == Some(c) && glob_segment(rest, &s[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_patterns_match_segment_by_segment() {
        for (pat, path, want) in [
            ("artifacts/a/*/*", "artifacts/a/1.0/x.apk", true),
            ("artifacts/a/*/*", "artifacts/a/x.apk", false),
            ("artifacts/a/*", "artifacts/a/1.0/x.apk", false),
            ("apps/a/*", "apps/a/index.json", true),
            ("apps/a/*", "apps/ab/index.json", false),
            ("apps/?/*.json", "apps/a/index.json", true),
            ("apps/?/*.json", "apps/a/index.txt", false),
            ("*", "index.json", true),
        ] {
            assert_eq!(path_matches(pat, path), want, "{pat} {path}");
        }
    }

    #[test]
    fn target_files_are_hash_prefixed_in_their_directory() {
        let f = TargetFile::of_bytes(b"abc", None);
        let c = check_of("artifacts/a/1.0/x.apk", &f, "a", false);
        assert_eq!(c.file, format!("artifacts/a/1.0/{}.x.apk", f.hashes.sha256));
        let c = check_of("index.json", &f, "targets", false);
        assert_eq!(c.file, format!("{}.index.json", f.hashes.sha256));
    }
}
