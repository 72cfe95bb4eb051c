//! The only module that writes the site: it fills a fresh directory beside the output and swaps
//! it in when complete, so a failed build leaves the previous site as it was.

use crate::plan::{ArtifactBytes, Output, Plan};
use crate::problem::{InvalidInput, Problem};
use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::fs;
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
/// ([`REPOSITORY_ENTRIES`]), a directory in `keep` (`--templates`, `--tuf-keys`, …: each with its
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

/// Writes every file of `plan` into the staging directory, then replaces `out` with it.
/// `fail_after` makes the write fail after that many files (for tests of atomicity).
///
/// # Errors
/// Fails on any write error; `out` is then left untouched.
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
    swap(&staging, &site, out)
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

/// Moves the previous site into the staging directory (deleted with it) and the new one into
/// place. Between the two renames `out` is briefly absent; it is never half-written.
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
