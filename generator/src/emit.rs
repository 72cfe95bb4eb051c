//! The only module that writes the site. A build writes two trees (docs/site-layout.md): the
//! public site, and beside it the worker tree (the public files, hard-linked, plus the
//! edge-only data), which `wrangler deploy` uploads. It first fills a fresh directory beside
//! the output with both new trees, so a failed build leaves the previous ones as they were.
//! Then it publishes them, the worker tree first: a first build renames a tree into place; a
//! rebuild updates the existing directory in place, one atomic rename per changed file (files
//! that nothing names yet first, the indexes that name them after, deepest first; files the
//! new tree no longer has are removed last), so a server reading the output while it changes
//! (`wrangler dev` holds the directory itself open) never finds it absent or half-written. A
//! failure at any step undoes every step in both trees.

use crate::layout;
use crate::plan::Plan;
use crate::problem::{InvalidInput, Problem};
use crate::site_model::{ArtifactBytes, Output};
use anyhow::{Context, Result, bail};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

/// Entries of a release repository that a build must never replace: what the generator reads,
/// the keys, and git. An `--out` inside the repository is fine elsewhere (`--root . --out
/// site` is the documented layout), since `load` reads only these.
const REPOSITORY_ENTRIES: &[&str] = &[
    "site.toml",
    "apps",
    "releases",
    "keys",
    "tuf",
    "tuf-keys",
    ".git",
    ".generator-cache",
];

/// What makes an existing directory look like a release repository (or a git checkout) rather
/// than a previous build. Not `apps/`: a built site has one too (of JSON indexes).
const REPOSITORY_MARKERS: &[&str] = &["site.toml", "releases", "keys", "tuf", "tuf-keys", ".git"];

/// Refuses output directories that the final swap would destroy something precious with
/// (issue 18), for the site (`--out`) and the worker tree (`--edge-out`) alike: the release
/// repository itself (equal to `--root`, or above it), one of its entries
/// (`REPOSITORY_ENTRIES`), a directory in `keep` (`--templates`, `--tuf-keys`, …: each with its
/// flag), or any directory that looks like a release repository. It also refuses a worker tree
/// that is, holds or is inside the site (or the other way round): the site is what mirrors
/// copy, so the edge-only data must never be under it. Paths are compared after resolving
/// symlinks and `..`, also for directories that do not exist yet. Call it before anything is
/// written.
///
/// # Errors
/// [`InvalidInput`] naming the flag, both paths and the fix; an I/O error when a path cannot
/// be resolved.
pub fn check_out_dirs(
    site: &Path,
    worker: &Path,
    root: &Path,
    keep: &[(&str, &Path)],
) -> Result<()> {
    check_out_dir("--out", site, root, keep)?;
    check_out_dir("--edge-out", worker, root, keep)?;
    let resolved = |flag: &str, p: &Path| {
        resolve(p).with_context(|| format!("failed to resolve {flag} {}", p.display()))
    };
    let (s, w) = (resolved("--out", site)?, resolved("--edge-out", worker)?);
    let relation = if s == w {
        "is the same directory as"
    } else if w.starts_with(&s) {
        "is inside"
    } else if s.starts_with(&w) {
        "contains"
    } else {
        return Ok(());
    };
    Err(InvalidInput(vec![
        Problem::new(
            worker.display().to_string(),
            "--edge-out",
            format!(
                "{relation} the site (--out {}): the worker tree holds the edge-only data \
                 (`_edge/`), which must never be under the site that mirrors copy",
                site.display()
            ),
        )
        .hint(format!(
            "leave --edge-out out (the default is {}, beside --out), or give a directory that \
             is neither the site nor inside it nor holds it (docs/site-layout.md)",
            crate::layout::worker_tree_for(site).display()
        )),
    ])
    .into())
}

/// [`check_out_dirs`]' rules for one output directory, `out`, given with `flag`.
fn check_out_dir(flag: &str, out: &Path, root: &Path, keep: &[(&str, &Path)]) -> Result<()> {
    let o = resolve(out).with_context(|| format!("failed to resolve {flag} {}", out.display()))?;
    let r =
        resolve(root).with_context(|| format!("failed to resolve --root {}", root.display()))?;
    let refuse = |why: String| -> Result<()> {
        Err(InvalidInput(vec![
            Problem::new(out.display().to_string(), flag, why).hint(format!(
                "give {flag} a directory of its own, which the build replaces as a whole: a new \
                 directory or a previous build, e.g. `{}` (docs/site-layout.md)",
                if flag == "--out" {
                    "--out site"
                } else {
                    "--edge-out site-edge"
                }
            )),
        ])
        .into())
    };
    let shown = |p: &Path| p.display().to_string();
    if o == r {
        return refuse(format!(
            "is the release repository (--root {}): the build would replace it, keys included",
            shown(root)
        ));
    }
    if r.starts_with(&o) {
        return refuse(format!(
            "contains the release repository (--root {}): the build would delete it, keys \
             included",
            shown(root)
        ));
    }
    if let Ok(rel) = o.strip_prefix(&r)
        && let Some(Component::Normal(first)) = rel.components().next()
        && let Some(first) = first.to_str().filter(|f| REPOSITORY_ENTRIES.contains(f))
    {
        return refuse(format!(
            "is {} of the release repository (--root {}): the build would replace it",
            if rel.components().count() == 1 {
                format!("`{first}`")
            } else {
                format!("inside `{first}`")
            },
            shown(root)
        ));
    }
    for (flag, dir) in keep {
        let k =
            resolve(dir).with_context(|| format!("failed to resolve {flag} {}", dir.display()))?;
        if k == o || k.starts_with(&o) || o.starts_with(&k) {
            return refuse(format!(
                "overlaps {flag} {}: the build would replace it",
                dir.display()
            ));
        }
    }
    if o.is_dir()
        && let Some(marker) = REPOSITORY_MARKERS
            .iter()
            .find(|m| fs::symlink_metadata(o.join(m)).is_ok())
    {
        return refuse(format!(
            "holds `{marker}`, so it looks like a release repository or a checkout, not a \
             previous build: the build would delete it"
        ));
    }
    Ok(())
}

/// `path` made absolute with every symlink and `..` resolved, also when its end does not exist
/// yet: the nearest existing ancestor is canonicalized and the rest appended. A directory that
/// does not exist cannot be a symlink, so the rest's `..` are lexical.
fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let abs = std::env::current_dir()?.join(path);
    let parts: Vec<Component<'_>> = abs.components().collect();
    for k in (1..=parts.len()).rev() {
        let prefix: PathBuf = parts[..k].iter().collect();
        match fs::canonicalize(&prefix) {
            Ok(mut real) => {
                for c in &parts[k..] {
                    match c {
                        Component::ParentDir => {
                            real.pop();
                        }
                        Component::Normal(n) => real.push(n),
                        _ => {}
                    }
                }
                return Ok(real);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(abs)
}

/// A build directory beside the output (same filesystem, so the final swap is a rename),
/// where both trees are staged.
pub struct Staging {
    dir: tempfile::TempDir,
}

impl Staging {
    /// Creates `.<name>.build-XXXX` next to the site `out`, and the parent of the worker tree
    /// `worker`, which must be on the same filesystem (both trees are published by renames).
    ///
    /// # Errors
    /// Fails when a parent directory cannot be created or written, or when the worker tree's
    /// is on another filesystem.
    pub fn new(out: &Path, worker: &Path) -> Result<Self> {
        let parent = parent_of(out);
        let worker_parent = parent_of(worker);
        for p in [&parent, &worker_parent] {
            fs::create_dir_all(p).with_context(|| format!("failed to create {}", p.display()))?;
        }
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "site".to_owned());
        let dir = tempfile::Builder::new()
            .prefix(&format!(".{name}.build-"))
            .tempdir_in(&parent)
            .with_context(|| {
                format!("failed to create a build directory in {}", parent.display())
            })?;
        let dev = |p: &Path| {
            fs::metadata(p)
                .map(|m| m.dev())
                .with_context(|| format!("failed to read {}", p.display()))
        };
        if dev(dir.path())? != dev(&worker_parent)? {
            return Err(InvalidInput(vec![
                Problem::new(
                    worker.display().to_string(),
                    "--edge-out",
                    format!(
                        "is on another filesystem than the site (--out {}): both trees are \
                         published by renames",
                        out.display()
                    ),
                )
                .hint("put --edge-out beside --out (the default), on the same filesystem"),
            ])
            .into());
        }
        fs::create_dir(dir.path().join("incoming"))?;
        Ok(Self { dir })
    }

    /// Where artifact copies land while they are hashed.
    pub fn incoming(&self) -> PathBuf {
        self.dir.path().join("incoming")
    }

    fn site(&self) -> PathBuf {
        self.dir.path().join("site")
    }

    fn worker(&self) -> PathBuf {
        self.dir.path().join("worker")
    }
}

fn parent_of(out: &Path) -> PathBuf {
    match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Where a build publishes (docs/site-layout.md).
#[derive(Debug, Clone, Copy)]
pub struct Trees<'a> {
    /// The public site (`--out`): what mirrors and CDNs copy; no edge-only data.
    pub site: &'a Path,
    /// The worker tree (`--edge-out`): what `wrangler deploy` uploads as the worker's assets,
    /// the public files (the same inodes where the filesystem allows) plus the edge-only data.
    pub worker: &'a Path,
}

/// Writes every file of `plan` into the staging directory, as two trees: the public files in
/// the site, and every file (the public ones hard-linked) in the worker tree. Then it
/// publishes both, the worker tree first (so the index files the site gains are served by the
/// worker no later than mirrors see them): each is renamed into place when it is not a
/// directory yet, else updated in place. A failure at any step undoes every step of both.
/// `fail_after` makes the write fail after that many files (for tests of atomicity).
///
/// # Errors
/// Fails on any write error; both trees are then left as they were.
pub fn emit(
    plan: &Plan,
    staging: Staging,
    trees: Trees<'_>,
    fail_after: Option<usize>,
) -> Result<()> {
    let (site, worker) = (staging.site(), staging.worker());
    for dir in [&site, &worker] {
        fs::create_dir(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    }
    // Artifacts are hard links, never copies, where the filesystem allows: to the previous
    // build's file (content-addressed, so the same bytes) or else to the file in releases/.
    // Published files are immutable by contract; see docs/site-layout.md.
    let previous_site = trees.site.is_dir().then(|| trees.site.to_owned());
    let previous_worker = trees.worker.is_dir().then(|| trees.worker.to_owned());
    let mut moved: HashMap<&Path, PathBuf> = HashMap::new();
    for (n, (rel, output)) in plan.files.iter().enumerate() {
        if fail_after.is_some_and(|k| n >= k) {
            bail!("injected failure after writing {n} files");
        }
        let (tree, previous) = if layout::worker_only(rel) {
            (&worker, &previous_worker)
        } else {
            (&site, &previous_site)
        };
        let dest = tree.join(rel);
        create_parent(&dest)?;
        match output {
            Output::Bytes(bytes) => {
                fs::write(&dest, bytes)
                    .with_context(|| format!("failed to write {}", dest.display()))?;
            }
            Output::Artifact { from, digests } => {
                // Not through a symlink an older build may have left (issue 18).
                let prev = previous.as_ref().map(|p| p.join(rel)).filter(|p| {
                    fs::symlink_metadata(p).is_ok_and(|m| m.is_file() && m.len() == digests.size)
                });
                match (from, prev) {
                    (ArtifactBytes::Copied(part), _) => match moved.get(part.as_path()) {
                        Some(first) => link_or_copy(first, &dest)?,
                        None => {
                            fs::rename(part, &dest).with_context(|| {
                                format!("failed to move {} to {}", part.display(), dest.display())
                            })?;
                            moved.insert(part, dest.clone());
                        }
                    },
                    (ArtifactBytes::Original(_), Some(prev)) => link_or_copy(&prev, &dest)?,
                    (ArtifactBytes::Original(src), None) => link_or_copy(src, &dest)?,
                }
            }
        }
    }
    // The worker serves the public files too (the assets binding is its only store): the
    // same inodes as the site's, so the second tree costs directory entries, not bytes.
    for rel in plan.files.keys().filter(|r| !layout::worker_only(r)) {
        let dest = worker.join(rel);
        create_parent(&dest)?;
        link_or_copy(&site.join(rel), &dest)?;
    }
    let order = publish_order(plan);
    let public: Vec<Entry> = order
        .iter()
        .filter(|e| !layout::worker_only(&e.rel))
        .cloned()
        .collect();
    publish(
        &[
            Tree {
                new: &worker,
                out: trees.worker,
                entries: &order,
            },
            Tree {
                new: &site,
                out: trees.site,
                entries: &public,
            },
        ],
        &staging.dir.path().join("old"),
        None,
    )
}

/// Hard-links (else copies) a regular file. `from` is never a symlink: validation resolves
/// them, and a hard link to a symlink would publish the link itself (issue 18).
fn link_or_copy(from: &Path, to: &Path) -> Result<()> {
    let meta =
        fs::symlink_metadata(from).with_context(|| format!("failed to read {}", from.display()))?;
    if !meta.is_file() {
        bail!(
            "{} is not a regular file (a symlink replaced it after validation?)",
            from.display()
        );
    }
    if fs::hard_link(from, to).is_err() {
        fs::copy(from, to)
            .with_context(|| format!("failed to copy {} to {}", from.display(), to.display()))?;
    }
    Ok(())
}

/// One file of the new site, in the order it is published.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// Site path, `/`-separated.
    rel: String,
    /// Named by its content (an artifact: the file name holds its sha256), so a file of the
    /// same size at the same path holds the same bytes.
    addressed: bool,
}

/// The plan's files in publishing order: first every file whose name is unique to its content
/// or version (artifacts, hash-prefixed copies, versioned TUF metadata), which no file of the
/// previous site names; then the rest deepest first (`apps/<app>/<channel>/<arch>/…` before
/// `apps/<app>/index.json` before `index.json`; `_edge/apps/…` before `_edge/lookup.json`), so
/// a file is in place before the index that leads to it.
fn publish_order(plan: &Plan) -> Vec<Entry> {
    let mut entries: Vec<Entry> = plan
        .files
        .iter()
        .map(|(rel, out)| Entry {
            rel: rel.clone(),
            addressed: matches!(out, Output::Artifact { .. }),
        })
        .collect();
    entries.sort_by_cached_key(|e| {
        let depth = e.rel.matches('/').count();
        (
            !(e.addressed || uniquely_named(&e.rel)),
            std::cmp::Reverse(depth),
            e.rel.clone(),
        )
    });
    entries
}

/// A file name that starts with a sha256 (`<hex>.<name>`) or a version (`<N>.root.json`).
fn uniquely_named(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let Some((first, _)) = name.split_once('.') else {
        return false;
    };
    (first.len() == 64 && first.bytes().all(|b| b.is_ascii_hexdigit()))
        || (!first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()))
}

/// What [`update_in_place`] did, to undo it when a later step fails.
#[derive(Debug)]
enum Step {
    /// A new file at this path.
    Added(PathBuf),
    /// The file at the first path was replaced; its previous content is at the second.
    Replaced(PathBuf, PathBuf),
    /// What was at the first path (a file or a directory) was moved to the second.
    Removed(PathBuf, PathBuf),
    /// A directory created for the new site.
    CreatedDir(PathBuf),
    /// An empty directory of the previous site, removed.
    RemovedDir(PathBuf),
    /// A whole new tree renamed from the second path (in the staging directory) to the first.
    Placed(PathBuf, PathBuf),
}

/// One tree to publish: the complete new one staged at `new`, its publishing order, and where
/// it goes.
struct Tree<'a> {
    new: &'a Path,
    out: &'a Path,
    entries: &'a [Entry],
}

/// Publishes `trees` in order, as one change: each is renamed into place when its `out` is not
/// a directory (whatever is there, a file, is moved aside), else updated in place
/// ([`apply`]). The previous content of every replaced or removed file is kept under `backup`
/// until the end; when a step fails, every step before it, in every tree, is undone, leaving
/// all of them as they were. `fail_at` makes the change after that many fail (for tests of
/// the undo).
fn publish(trees: &[Tree<'_>], backup: &Path, fail_at: Option<usize>) -> Result<()> {
    let mut steps = Vec::new();
    let mut budget = Budget { done: 0, fail_at };
    let result = trees.iter().enumerate().try_for_each(|(i, t)| {
        let backup = backup.join(i.to_string());
        if t.out.is_dir() {
            apply(t.new, t.out, t.entries, &backup, &mut budget, &mut steps)
        } else {
            place(t.new, t.out, &backup, &mut budget, &mut steps)
        }
    });
    if result.is_err() {
        undo(steps);
    }
    result
}

/// Counts the changes of a publish, to inject a failure after `fail_at` of them.
struct Budget {
    done: usize,
    fail_at: Option<usize>,
}

impl Budget {
    fn spend(&mut self) -> Result<()> {
        if self.fail_at.is_some_and(|k| self.done >= k) {
            bail!("injected failure after {} changes to the output", self.done);
        }
        self.done += 1;
        Ok(())
    }
}

/// Renames the new tree `new` to `out`, which is not a directory: whatever is there (a file)
/// is moved to `backup` first.
fn place(
    new: &Path,
    out: &Path,
    backup: &Path,
    budget: &mut Budget,
    steps: &mut Vec<Step>,
) -> Result<()> {
    budget.spend()?;
    if fs::symlink_metadata(out).is_ok() {
        create_parent(backup)?;
        fs::rename(out, backup)
            .with_context(|| format!("failed to move the previous {} aside", out.display()))?;
        steps.push(Step::Removed(out.to_owned(), backup.to_owned()));
    }
    budget.spend()?;
    fs::rename(new, out)
        .with_context(|| format!("failed to move the new tree to {}", out.display()))?;
    steps.push(Step::Placed(out.to_owned(), new.to_owned()));
    Ok(())
}

/// Replaces the tree at `out` by the complete one at `site`, in place: `out` stays the same
/// directory (servers that hold it open keep reading it), each changed file is replaced by an
/// atomic rename in the order of `entries`, unchanged files are left alone (not even their
/// modification time changes, so a rebuild with no change touches nothing), and what the new
/// tree does not have is removed last (a previous build's `_edge/` in the site included), so
/// that `out` ends up holding exactly the files of `site`. Every step is pushed to `steps`,
/// the previous content of every replaced or removed file moved to `backup`, for [`undo`].
fn apply(
    site: &Path,
    out: &Path,
    entries: &[Entry],
    backup: &Path,
    budget: &mut Budget,
    steps: &mut Vec<Step>,
) -> Result<()> {
    let mut check = || budget.spend();
    for e in entries {
        let (src, dest) = (site.join(&e.rel), out.join(&e.rel));
        if unchanged(&src, &dest, e.addressed) {
            continue;
        }
        check()?;
        make_room(out, &e.rel, backup, steps)?;
        if fs::symlink_metadata(&dest).is_ok() {
            let kept = backup.join(&e.rel);
            create_parent(&kept)?;
            link_or_copy(&dest, &kept)?;
            rename(&src, &dest)?;
            steps.push(Step::Replaced(dest, kept));
        } else {
            rename(&src, &dest)?;
            steps.push(Step::Added(dest));
        }
    }
    // What the new site does not have: files first, then the directories they leave empty.
    let keep: HashSet<&Path> = entries.iter().map(|e| Path::new(&e.rel)).collect();
    let keep_dirs: HashSet<&Path> = keep.iter().flat_map(|p| p.ancestors().skip(1)).collect();
    let (files, dirs) = list(out)?;
    for rel in files.iter().filter(|r| !keep.contains(r.as_path())) {
        check()?;
        let (path, kept) = (out.join(rel), backup.join(rel));
        create_parent(&kept)?;
        rename(&path, &kept)?;
        steps.push(Step::Removed(path, kept));
    }
    for rel in dirs
        .iter()
        .rev()
        .filter(|r| !keep_dirs.contains(r.as_path()))
    {
        check()?;
        let path = out.join(rel);
        fs::remove_dir(&path).with_context(|| format!("failed to remove {}", path.display()))?;
        steps.push(Step::RemovedDir(path));
    }
    Ok(())
}

/// Whether `dest` already holds the bytes of `src` (then it is left as it is).
fn unchanged(src: &Path, dest: &Path, addressed: bool) -> bool {
    let (Ok(s), Ok(d)) = (fs::metadata(src), fs::symlink_metadata(dest)) else {
        return false;
    };
    if !d.is_file() || s.len() != d.len() {
        return false;
    }
    if (s.dev(), s.ino()) == (d.dev(), d.ino()) || addressed {
        return true;
    }
    matches!((fs::read(src), fs::read(dest)), (Ok(a), Ok(b)) if a == b)
}

/// Clears the way to the site path `rel` under `out`: a file where the path needs a directory,
/// or a directory where it needs a file, is moved to `backup`; missing directories are created.
fn make_room(out: &Path, rel: &str, backup: &Path, steps: &mut Vec<Step>) -> Result<()> {
    let mut dir = out.to_owned();
    let mut prefix = String::new();
    let parts: Vec<&str> = rel.split('/').collect();
    for part in &parts[..parts.len() - 1] {
        dir.push(part);
        prefix = if prefix.is_empty() {
            (*part).to_owned()
        } else {
            format!("{prefix}/{part}")
        };
        match fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => continue,
            Ok(_) => move_aside(&dir, &backup.join(&prefix), steps)?,
            Err(_) => {}
        }
        fs::create_dir(&dir).with_context(|| format!("failed to create {}", dir.display()))?;
        steps.push(Step::CreatedDir(dir.clone()));
    }
    let dest = out.join(rel);
    if fs::symlink_metadata(&dest).is_ok_and(|m| m.is_dir()) {
        move_aside(&dest, &backup.join(rel), steps)?;
    }
    Ok(())
}

fn move_aside(path: &Path, kept: &Path, steps: &mut Vec<Step>) -> Result<()> {
    create_parent(kept)?;
    rename(path, kept)?;
    steps.push(Step::Removed(path.to_owned(), kept.to_owned()));
    Ok(())
}

fn create_parent(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    }
    Ok(())
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    fs::rename(from, to)
        .with_context(|| format!("failed to move {} to {}", from.display(), to.display()))
}

/// Every entry under `dir` that is not a directory, and every directory, as relative paths in
/// sorted order (a directory before what it holds).
fn list(dir: &Path) -> Result<(BTreeSet<PathBuf>, BTreeSet<PathBuf>)> {
    fn walk(
        base: &Path,
        dir: &Path,
        files: &mut BTreeSet<PathBuf>,
        dirs: &mut BTreeSet<PathBuf>,
    ) -> Result<()> {
        let entries =
            fs::read_dir(dir).with_context(|| format!("failed to read {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("failed to read {}", dir.display()))?;
            let path = entry.path();
            let rel = path.strip_prefix(base).unwrap_or(&path).to_owned();
            if entry.file_type()?.is_dir() {
                walk(base, &path, files, dirs)?;
                dirs.insert(rel);
            } else {
                files.insert(rel);
            }
        }
        Ok(())
    }
    let (mut files, mut dirs) = (BTreeSet::new(), BTreeSet::new());
    walk(dir, dir, &mut files, &mut dirs)?;
    Ok((files, dirs))
}

/// Undoes `steps`, last first; best effort (the error that caused it is what is reported).
fn undo(steps: Vec<Step>) {
    for step in steps.into_iter().rev() {
        let _ = match step {
            Step::Added(path) => fs::remove_file(path),
            Step::Replaced(path, kept) | Step::Removed(path, kept) => fs::rename(kept, path),
            Step::CreatedDir(path) => fs::remove_dir(path),
            Step::RemovedDir(path) => fs::create_dir(path),
            Step::Placed(out, staged) => fs::rename(out, staged),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn write_tree(dir: &Path, files: &[(&str, &str)]) {
        for (rel, text) in files {
            let path = dir.join(rel);
            fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            fs::write(path, text).expect("write");
        }
    }

    /// Every file (by relative path) and its text, and every directory (as `<dir>/`).
    fn read_tree(dir: &Path) -> BTreeMap<String, String> {
        let (files, dirs) = list(dir).expect("list");
        let mut tree: BTreeMap<String, String> = files
            .iter()
            .map(|f| {
                let text = fs::read_to_string(dir.join(f)).expect("read");
                (f.display().to_string(), text)
            })
            .collect();
        tree.extend(
            dirs.iter()
                .map(|d| (format!("{}/", d.display()), String::new())),
        );
        tree
    }

    fn entries(files: &[(&str, &str)]) -> Vec<Entry> {
        files
            .iter()
            .map(|(rel, _)| Entry {
                rel: (*rel).to_owned(),
                addressed: false,
            })
            .collect()
    }

    const OLD: &[(&str, &str)] = &[
        ("index.json", "old index"),
        ("apps/a/index.json", "a"),
        ("apps/gone/index.json", "gone"),
        ("apps/b", "a file where the new site has a directory"),
        ("style.css", "css"),
        (".stray", "not the build's"),
    ];
    const NEW: &[(&str, &str)] = &[
        ("index.json", "new index"),
        ("apps/a/index.json", "a"),
        ("apps/b/index.json", "b"),
        ("style.css", "css"),
        ("artifacts/a/1.0/00.a.apk", "apk"),
    ];

    /// Publishes `new` (staged at `<tmp>/new`) over `<tmp>/out` alone.
    fn update_one(tmp: &Path, files: &[(&str, &str)], fail_at: Option<usize>) -> Result<()> {
        let (out, site) = (tmp.join("out"), tmp.join("new"));
        let entries = entries(files);
        let tree = Tree {
            new: &site,
            out: &out,
            entries: &entries,
        };
        publish(&[tree], &tmp.join("old"), fail_at)
    }

    #[test]
    fn update_in_place_keeps_the_directory_and_touches_only_what_changed() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (out, site) = (tmp.path().join("out"), tmp.path().join("new"));
        write_tree(&out, OLD);
        write_tree(&site, NEW);
        let ino = fs::metadata(&out).expect("out").ino();
        let unchanged = fs::metadata(out.join("apps/a/index.json")).expect("a");
        let want = read_tree(&site);
        update_one(tmp.path(), NEW, None).expect("update");
        assert_eq!(read_tree(&out), want);
        assert_eq!(
            fs::metadata(&out).expect("out").ino(),
            ino,
            "out was replaced"
        );
        let after = fs::metadata(out.join("apps/a/index.json")).expect("a");
        assert_eq!(
            (after.ino(), after.mtime_nsec()),
            (unchanged.ino(), unchanged.mtime_nsec()),
            "an unchanged file was rewritten"
        );
    }

    #[test]
    fn a_failed_update_is_undone_at_every_step() {
        for k in 0..12 {
            let tmp = tempfile::tempdir().expect("tempdir");
            let (out, site) = (tmp.path().join("out"), tmp.path().join("new"));
            write_tree(&out, OLD);
            write_tree(&site, NEW);
            let before = read_tree(&out);
            if update_one(tmp.path(), NEW, Some(k)).is_ok() {
                assert!(k >= 6, "only {k} changes were allowed");
                continue;
            }
            assert_eq!(read_tree(&out), before, "failure after {k} changes");
        }
    }

    /// The worker tree's files: the site's plus the edge data.
    const WORKER_NEW: &[(&str, &str)] = &[
        ("index.json", "new index"),
        ("apps/a/index.json", "a"),
        ("apps/b/index.json", "b"),
        ("style.css", "css"),
        ("artifacts/a/1.0/00.a.apk", "apk"),
        ("_edge/lookup.json", "new lookup"),
        ("_edge/artifacts/p/1.0/p.zip", "private"),
        (".assetsignore", "/artifacts/\n"),
    ];
    /// A site of the old layout (issue 18): the edge data inside it.
    const OLD_LAYOUT: &[(&str, &str)] = &[
        ("index.json", "old index"),
        ("apps/a/index.json", "a"),
        ("_edge/lookup.json", "old lookup"),
        ("_edge/apps/a.json", "edge a"),
        ("_edge/artifacts/p/1.0/p.zip", "private"),
        (".assetsignore", "/artifacts/\n"),
    ];

    /// Stages the two new trees in `<tmp>/new-worker` and `<tmp>/new-site` and publishes them
    /// to `<tmp>/worker` and `<tmp>/site`, the worker tree first.
    fn publish_both(tmp: &Path, fail_at: Option<usize>) -> Result<()> {
        let (new_worker, new_site) = (tmp.join("new-worker"), tmp.join("new-site"));
        write_tree(&new_worker, WORKER_NEW);
        write_tree(&new_site, NEW);
        let (all, public) = (entries(WORKER_NEW), entries(NEW));
        let (worker, site) = (tmp.join("worker"), tmp.join("site"));
        let trees = [
            Tree {
                new: &new_worker,
                out: &worker,
                entries: &all,
            },
            Tree {
                new: &new_site,
                out: &site,
                entries: &public,
            },
        ];
        publish(&trees, &tmp.join("old"), fail_at)
    }

    #[test]
    fn both_trees_are_published_and_the_old_layouts_edge_data_leaves_the_site() {
        // A first build of the new layout over a site of the old one; then a rebuild of both.
        let tmp = tempfile::tempdir().expect("tempdir");
        let (worker, site) = (tmp.path().join("worker"), tmp.path().join("site"));
        write_tree(&site, OLD_LAYOUT);
        let ino = fs::metadata(&site).expect("site").ino();
        publish_both(tmp.path(), None).expect("publish");
        let files = |dir: &Path| -> Vec<String> {
            read_tree(dir)
                .into_keys()
                .filter(|k| !k.ends_with('/'))
                .collect()
        };
        let mut want_site: Vec<String> = NEW.iter().map(|(r, _)| (*r).to_owned()).collect();
        want_site.sort();
        assert_eq!(files(&site), want_site);
        assert!(!site.join("_edge").exists(), "{:?}", read_tree(&site));
        assert_eq!(
            fs::metadata(&site).expect("site").ino(),
            ino,
            "site replaced"
        );
        let mut want_worker: Vec<String> =
            WORKER_NEW.iter().map(|(r, _)| (*r).to_owned()).collect();
        want_worker.sort();
        assert_eq!(files(&worker), want_worker);
        // A rebuild (both trees exist now) changes nothing and keeps both directories.
        let (ws, ss) = (read_tree(&worker), read_tree(&site));
        let wino = fs::metadata(&worker).expect("worker").ino();
        fs::remove_dir_all(tmp.path().join("old")).expect("clean");
        for d in ["new-worker", "new-site"] {
            let _ = fs::remove_dir_all(tmp.path().join(d));
        }
        publish_both(tmp.path(), None).expect("rebuild");
        assert_eq!((read_tree(&worker), read_tree(&site)), (ws, ss));
        assert_eq!(fs::metadata(&worker).expect("worker").ino(), wino);
    }

    #[test]
    fn a_failed_publish_of_two_trees_is_undone_in_both_at_every_step() {
        // Every step of: the worker tree renamed into place (a file was in its way), then the
        // site of the old layout updated in place, its `_edge/` removed.
        let mut succeeded = false;
        for k in 0..30 {
            let tmp = tempfile::tempdir().expect("tempdir");
            let (worker, site) = (tmp.path().join("worker"), tmp.path().join("site"));
            write_tree(&site, OLD_LAYOUT);
            fs::write(&worker, "a file where the worker tree goes").expect("write");
            let before = (read_tree(&site), fs::read(&worker).expect("worker"));
            match publish_both(tmp.path(), Some(k)) {
                Ok(()) => {
                    assert!(k >= 10, "only {k} changes were allowed");
                    succeeded = true;
                    break;
                }
                Err(e) => {
                    assert!(e.to_string().contains("injected failure"), "{e:#}");
                    let after = (read_tree(&site), fs::read(&worker).expect("worker"));
                    assert_eq!(after, before, "failure after {k} changes");
                }
            }
        }
        assert!(succeeded, "the publish never succeeded");
    }

    #[test]
    fn a_failed_rebuild_of_two_trees_is_undone_in_both_at_every_step() {
        let mut succeeded = false;
        for k in 0..30 {
            let tmp = tempfile::tempdir().expect("tempdir");
            let (worker, site) = (tmp.path().join("worker"), tmp.path().join("site"));
            write_tree(&site, OLD);
            write_tree(&worker, OLD);
            write_tree(
                &worker,
                &[("_edge/lookup.json", "old lookup"), ("_edge/gone", "x")],
            );
            let before = (read_tree(&worker), read_tree(&site));
            if publish_both(tmp.path(), Some(k)).is_ok() {
                succeeded = true;
                break;
            }
            assert_eq!(
                (read_tree(&worker), read_tree(&site)),
                before,
                "failure after {k} changes"
            );
        }
        assert!(succeeded, "the rebuild never succeeded");
    }

    #[test]
    fn emit_puts_the_edge_data_in_the_worker_tree_only_and_links_the_public_files() {
        let mut plan = Plan::default();
        for (rel, text) in WORKER_NEW {
            plan.files
                .insert((*rel).to_owned(), Output::Bytes(text.as_bytes().to_vec()));
        }
        let tmp = tempfile::tempdir().expect("tempdir");
        let (site, worker) = (tmp.path().join("site"), tmp.path().join("site-edge"));
        let staging = Staging::new(&site, &worker).expect("staging");
        let trees = Trees {
            site: &site,
            worker: &worker,
        };
        emit(&plan, staging, trees, None).expect("emit");
        let (s, w) = (read_tree(&site), read_tree(&worker));
        for (rel, text) in WORKER_NEW {
            assert_eq!(w.get(*rel).map(String::as_str), Some(*text), "{rel}");
            if layout::worker_only(rel) {
                assert!(!s.contains_key(*rel), "{rel} is in the site");
            } else {
                assert_eq!(s.get(*rel).map(String::as_str), Some(*text), "{rel}");
                let ino = |d: &Path| fs::metadata(d.join(rel)).expect("meta").ino();
                assert_eq!(ino(&site), ino(&worker), "{rel} is not one inode");
            }
        }
        assert!(!s.keys().any(|k| k.starts_with("_edge")), "{s:?}");
        // Nothing left beside the two trees (the staging directory is gone).
        let names: BTreeSet<String> = fs::read_dir(tmp.path())
            .expect("ls")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, BTreeSet::from(["site".into(), "site-edge".into()]));
    }

    #[test]
    fn a_failed_emit_leaves_both_trees_as_they_were() {
        let mut plan = Plan::default();
        for (rel, text) in WORKER_NEW {
            plan.files
                .insert((*rel).to_owned(), Output::Bytes(text.as_bytes().to_vec()));
        }
        let tmp = tempfile::tempdir().expect("tempdir");
        let (site, worker) = (tmp.path().join("site"), tmp.path().join("site-edge"));
        write_tree(&site, OLD_LAYOUT);
        let before = read_tree(&site);
        for k in 0..WORKER_NEW.len() {
            let staging = Staging::new(&site, &worker).expect("staging");
            let trees = Trees {
                site: &site,
                worker: &worker,
            };
            let e = emit(&plan, staging, trees, Some(k)).expect_err("injected failure");
            assert_eq!(
                e.to_string(),
                format!("injected failure after writing {k} files")
            );
            assert_eq!(read_tree(&site), before, "after {k} writes");
            assert!(!worker.exists(), "after {k} writes");
        }
    }

    #[test]
    fn rejects_a_worker_tree_that_overlaps_the_site() {
        let (tmp, repo) = (
            tempfile::tempdir().expect("tempdir"),
            tempfile::tempdir().expect("tempdir"),
        );
        let root = repo.path().join("repo");
        write_tree(&root, &[("site.toml", "")]);
        let site = tmp.path().join("site");
        fs::create_dir(&site).expect("site");
        for (worker, relation) in [
            (site.clone(), "is the same directory as"),
            (site.join("edge"), "is inside"),
            (site.join("x/../_edge"), "is inside"),
            (tmp.path().to_owned(), "contains"),
        ] {
            let err = check_out_dirs(&site, &worker, &root, &[]).expect_err("overlap");
            assert!(err.is::<InvalidInput>(), "{err:#}");
            let p = err.to_string();
            let want = format!(
                "{}: --edge-out: {relation} the site (--out {})",
                worker.display(),
                site.display()
            );
            assert!(p.contains(&want), "{p}");
            assert!(p.contains("hint: leave --edge-out out"), "{p}");
            assert!(
                p.contains("site-edge, beside --out"),
                "the fix names the default: {p}"
            );
        }
        // The default sibling, and a directory elsewhere, are fine.
        check_out_dirs(&site, &layout::worker_tree_for(&site), &root, &[]).expect("sibling");
        check_out_dirs(&site, &tmp.path().join("deploy/assets"), &root, &[]).expect("elsewhere");
        // The repository rules hold for the worker tree too.
        let err = check_out_dirs(&site, &root.join("keys"), &root, &[]).expect_err("keys");
        assert!(
            err.to_string().contains(": --edge-out: is `keys`"),
            "{err:#}"
        );
        assert!(err.to_string().contains("hint: give --edge-out"), "{err:#}");
    }

    #[test]
    fn files_named_by_content_or_version_go_first_then_deepest_first() {
        let mut plan = Plan::default();
        for rel in [
            "index.json",
            "_edge/lookup.json",
            "_edge/apps/a.json",
            "apps/a/index.json",
            "apps/a/stable/arm64/latest.json",
            &format!("apps/a/stable/arm64/{}.latest.json", "ab".repeat(32)),
            "metadata/3.snapshot.json",
            "metadata/root.json",
        ] {
            plan.files.insert(rel.to_owned(), Output::Bytes(Vec::new()));
        }
        let order: Vec<String> = publish_order(&plan).into_iter().map(|e| e.rel).collect();
        assert_eq!(
            order,
            [
                &format!("apps/a/stable/arm64/{}.latest.json", "ab".repeat(32)),
                "metadata/3.snapshot.json",
                "apps/a/stable/arm64/latest.json",
                "_edge/apps/a.json",
                "apps/a/index.json",
                "_edge/lookup.json",
                "metadata/root.json",
                "index.json",
            ]
        );
    }
}
