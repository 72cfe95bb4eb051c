//! The only module that writes the site. It first fills a fresh directory beside the output
//! with the whole new site, so a failed build leaves the previous site as it was. Then it
//! publishes it: a first build renames the directory into place; a rebuild updates the existing
//! directory in place, one atomic rename per changed file (files that nothing names yet first,
//! the indexes that name them after, deepest first; files the new site no longer has are
//! removed last), so a server reading the output while it changes (`wrangler dev` holds the
//! directory itself open) never finds it absent or half-written. See docs/site-layout.md.

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

/// Refuses an `--out` that the final swap would destroy something precious with (issue 18):
/// the release repository itself (`--out` equal to `--root`, or above it), one of its entries
/// (`REPOSITORY_ENTRIES`), a directory in `keep` (`--templates`, `--tuf-keys`, …: each with its
/// flag), or any directory that looks like a release repository. Paths are compared after
/// resolving symlinks and `..`, also for an `--out` that does not exist yet. Call it before
/// anything is written.
///
/// # Errors
/// [`InvalidInput`] naming `--out` and the fix; an I/O error when a path cannot be resolved.
pub fn check_out_dir(out: &Path, root: &Path, keep: &[(&str, &Path)]) -> Result<()> {
    let o = resolve(out).with_context(|| format!("failed to resolve --out {}", out.display()))?;
    let r =
        resolve(root).with_context(|| format!("failed to resolve --root {}", root.display()))?;
    let refuse = |why: String| -> Result<()> {
        Err(InvalidInput(vec![
            Problem::new(out.display().to_string(), "--out", why).hint(
                "give --out a directory of its own, which the build replaces as a whole: a new \
                 directory or a previous build, e.g. `--out site` (docs/site-layout.md)",
            ),
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

/// A build directory beside the output (same filesystem, so the final swap is a rename).
pub struct Staging {
    dir: tempfile::TempDir,
}

impl Staging {
    /// Creates `.<name>.build-XXXX` next to `out`.
    ///
    /// # Errors
    /// Fails when the parent directory cannot be created or written.
    pub fn new(out: &Path) -> Result<Self> {
        let parent = parent_of(out);
        fs::create_dir_all(&parent)
            .with_context(|| format!("failed to create {}", parent.display()))?;
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
}

fn parent_of(out: &Path) -> PathBuf {
    match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Writes every file of `plan` into the staging directory, then publishes it at `out`: renamed
/// into place when `out` is not a directory yet, else `update_in_place`.
/// `fail_after` makes the write fail after that many files (for tests of atomicity).
///
/// # Errors
/// Fails on any write error; `out` is then left as it was.
pub fn emit(plan: &Plan, staging: Staging, out: &Path, fail_after: Option<usize>) -> Result<()> {
    let site = staging.site();
    fs::create_dir(&site).with_context(|| format!("failed to create {}", site.display()))?;
    // Artifacts are hard links, never copies, where the filesystem allows: to the previous
    // site's file (content-addressed, so the same bytes) or else to the file in releases/.
    // Published files are immutable by contract; see docs/site-layout.md.
    let previous = out.is_dir().then(|| out.to_owned());
    let mut moved: HashMap<&Path, PathBuf> = HashMap::new();
    for (n, (rel, output)) in plan.files.iter().enumerate() {
        if fail_after.is_some_and(|k| n >= k) {
            bail!("injected failure after writing {n} files");
        }
        let dest = site.join(rel);
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir)
                .with_context(|| format!("failed to create {}", dir.display()))?;
        }
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
    if out.is_dir() {
        update_in_place(
            &site,
            out,
            &publish_order(plan),
            &staging.dir.path().join("old"),
            None,
        )
    } else {
        swap(&staging, &site, out)
    }
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

/// Moves whatever is at `out` (not a directory: a file, or nothing) into the staging directory
/// (deleted with it) and the new site into place.
fn swap(staging: &Staging, site: &Path, out: &Path) -> Result<()> {
    let old = staging.dir.path().join("old");
    let had_old = out.exists();
    if had_old {
        fs::rename(out, &old)
            .with_context(|| format!("failed to move the previous {} aside", out.display()))?;
    }
    if let Err(e) = fs::rename(site, out) {
        if had_old {
            let _ = fs::rename(&old, out);
        }
        return Err(e).with_context(|| format!("failed to move the new site to {}", out.display()));
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
}

/// Replaces the site at `out` by the complete one at `site`, in place: `out` stays the same
/// directory (servers that hold it open keep reading it), each changed file is replaced by an
/// atomic rename in the order of `entries`, unchanged files are left alone (not even their
/// modification time changes, so a rebuild with no change touches nothing), and what the new
/// site does not have is removed last, so that `out` ends up holding exactly the files of
/// `site`. The previous content of every replaced or removed file is kept under `backup` until
/// the end; when a step fails, every step before it is undone, leaving `out` as it was.
/// `fail_at` makes the change after that many fail (for tests of the undo).
fn update_in_place(
    site: &Path,
    out: &Path,
    entries: &[Entry],
    backup: &Path,
    fail_at: Option<usize>,
) -> Result<()> {
    let mut steps = Vec::new();
    let result = apply(site, out, entries, backup, fail_at, &mut steps);
    if result.is_err() {
        undo(steps);
    }
    result
}

fn apply(
    site: &Path,
    out: &Path,
    entries: &[Entry],
    backup: &Path,
    fail_at: Option<usize>,
    steps: &mut Vec<Step>,
) -> Result<()> {
    let mut changes = 0;
    let mut check = || {
        if fail_at.is_some_and(|k| changes >= k) {
            bail!("injected failure after {changes} changes to the site");
        }
        changes += 1;
        Ok(())
    };
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

    #[test]
    fn update_in_place_keeps_the_directory_and_touches_only_what_changed() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (out, site) = (tmp.path().join("out"), tmp.path().join("new"));
        write_tree(&out, OLD);
        write_tree(&site, NEW);
        let ino = fs::metadata(&out).expect("out").ino();
        let unchanged = fs::metadata(out.join("apps/a/index.json")).expect("a");
        let want = read_tree(&site);
        update_in_place(&site, &out, &entries(NEW), &tmp.path().join("old"), None).expect("update");
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
            let r = update_in_place(&site, &out, &entries(NEW), &tmp.path().join("old"), Some(k));
            if r.is_ok() {
                assert!(k >= 6, "only {k} changes were allowed");
                continue;
            }
            assert_eq!(read_tree(&out), before, "failure after {k} changes");
        }
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
