//! Zip access shared by APK and IPA: open the archive, list names, read one entry with a cap
//! on its inflated size (a zip's stated sizes are not trusted).

use super::{PackageError, Result};
use std::io::{Read, Seek};

/// An opened package archive.
pub struct Archive<R: Read + Seek>(zip::ZipArchive<R>);

impl<R: Read + Seek> Archive<R> {
    /// Opens the archive (reads its central directory).
    pub fn open(reader: R) -> Result<Self> {
        zip::ZipArchive::new(reader)
            .map(Archive)
            .map_err(|e| PackageError::Zip(e.to_string()))
    }

    /// Every entry name, in archive order (names that cannot be decoded are skipped).
    pub fn names(&self) -> Vec<String> {
        self.0
            .file_names()
            .filter_map(|n| n.ok().map(|n| n.into_owned()))
            .collect()
    }

    /// The bytes of `name`, or `None` when there is no such entry.
    ///
    /// # Errors
    /// [`PackageError::TooLarge`] past `limit` inflated bytes, [`PackageError::Zip`] when the
    /// entry cannot be inflated.
    pub fn read(&mut self, name: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        let entry = match self.0.by_name(name) {
            Ok(e) => e,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(PackageError::Zip(format!("{name}: {e}"))),
        };
        let mut out = Vec::new();
        entry
            .take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|e| PackageError::Zip(format!("{name}: {e}")))?;
        if out.len() as u64 > limit {
            return Err(PackageError::TooLarge {
                entry: name.to_owned(),
                limit,
            });
        }
        Ok(Some(out))
    }
}
