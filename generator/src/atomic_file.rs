//! Writing one file atomically, for every command that keeps state outside the site (the hash
//! cache, key and license stores, TUF metadata and keys, the manifests `publish` edits): the
//! bytes go to a temporary file in the same directory, reach the disk, and are renamed over the
//! target, so a crash leaves the old file or the new one, never half of one. The site itself is
//! written by `emit`, which swaps whole trees.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// Who may read the written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Anyone (0644): manifests, public records, metadata, caches.
    Public,
    /// The owner only (0600): secrets and private keys. The temporary file is created with
    /// this mode, so the bytes are never readable by others, not even before the rename.
    Private,
}

impl Mode {
    fn bits(self) -> u32 {
        match self {
            Mode::Public => 0o644,
            Mode::Private => 0o600,
        }
    }
}

/// Writes `bytes` to `path` atomically with `mode`, creating the parent directories.
///
/// # Errors
/// Fails when the directory cannot be created or the file written or renamed, naming the path.
pub fn write(path: &Path, bytes: &[u8], mode: Mode) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = dir.unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    // `tempfile` creates the file 0600 with a random name (O_EXCL), in the target's directory
    // so that the rename stays on one filesystem.
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("failed to create a temporary file in {}", dir.display()))?;
    let written = (|| {
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode.bits()))?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()
    })();
    written.with_context(|| format!("failed to write {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("failed to replace {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replaces_the_file_with_the_mode_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/state.json");
        for (bytes, mode, bits) in [
            (&b"one"[..], Mode::Private, 0o600),
            (&b"second"[..], Mode::Public, 0o644),
            (&b"3"[..], Mode::Private, 0o600),
        ] {
            write(&path, bytes, mode).expect("write");
            assert_eq!(std::fs::read(&path).expect("read"), bytes);
            let meta = std::fs::metadata(&path).expect("metadata");
            assert_eq!(meta.permissions().mode() & 0o777, bits, "{mode:?}");
        }
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["state.json"]);
    }

    #[test]
    fn a_failed_write_names_the_path_and_keeps_the_old_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        write(&path, b"old", Mode::Public).expect("write");
        // A directory where the file should go cannot be replaced by a rename.
        let blocked = dir.path().join("d");
        std::fs::create_dir_all(blocked.join("x")).expect("mkdir");
        let err = write(&blocked, b"new", Mode::Public).expect_err("a directory is in the way");
        assert!(
            format!("{err:#}").contains(&blocked.display().to_string()),
            "{err:#}"
        );
        assert_eq!(std::fs::read(&path).expect("read"), b"old");
    }
}
