//! The only module that writes the site: it fills a fresh directory beside the output and swaps
//! it in when complete, so a failed build leaves the previous site as it was.

use crate::plan::{ArtifactBytes, Output, Plan};
use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

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
                let prev = previous.as_ref().map(|p| p.join(rel)).filter(|p| {
                    fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() == digests.size)
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

fn link_or_copy(from: &Path, to: &Path) -> Result<()> {
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
