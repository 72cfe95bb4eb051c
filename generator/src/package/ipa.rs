//! IPA: the app bundle's `Info.plist` (`Payload/<Name>.app/Info.plist`, exactly one level
//! below `Payload/`; nested bundles such as extensions and watch apps sit deeper), as XML or
//! binary property list.

use super::zipped::Archive;
use super::{Metadata, PackageError, PackageKind, Result};
use std::io::{Read, Seek};

/// What the bundle's plist entry looks like, for messages.
pub const INFO_PLIST: &str = "Payload/<Name>.app/Info.plist";
/// A real Info.plist is a few KiB.
const MAX_PLIST_BYTES: u64 = 8 * 1024 * 1024;

/// Reads an IPA's metadata.
///
/// # Errors
/// A [`PackageError`] when the archive has no single app bundle, or its `Info.plist` cannot be
/// read or lacks `CFBundleIdentifier`.
pub fn read<R: Read + Seek>(reader: R) -> Result<Metadata> {
    let mut zip = Archive::open(reader)?;
    let mut found: Vec<String> = zip
        .names()
        .into_iter()
        .filter(|n| is_bundle_plist(n))
        .collect();
    found.sort();
    found.dedup();
    let entry = match found.len() {
        0 => {
            return Err(PackageError::MissingEntry {
                entry: INFO_PLIST.to_owned(),
            });
        }
        1 => found.remove(0),
        _ => return Err(PackageError::Ambiguous { entries: found }),
    };
    let bytes = zip
        .read(&entry, MAX_PLIST_BYTES)?
        .ok_or_else(|| PackageError::MissingEntry {
            entry: entry.clone(),
        })?;
    parse_info_plist(&bytes, &entry)
}

/// Whether `name` is `Payload/<Name>.app/Info.plist` with one non-empty `<Name>`.
fn is_bundle_plist(name: &str) -> bool {
    let mut parts = name.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("Payload"), Some(app), Some("Info.plist"), None)
            if app.len() > ".app".len() && app.ends_with(".app")
    )
}

/// Reads the fields of an `Info.plist` (XML or binary).
///
/// # Errors
/// A [`PackageError`] naming `entry` when the plist is unreadable, not a dictionary, or has no
/// `CFBundleIdentifier`.
pub fn parse_info_plist(bytes: &[u8], entry: &str) -> Result<Metadata> {
    let value = plist::Value::from_reader(std::io::Cursor::new(bytes)).map_err(|e| {
        PackageError::Invalid {
            entry: entry.to_owned(),
            what: format!("not a property list ({e})"),
        }
    })?;
    let dict = value.as_dictionary().ok_or_else(|| PackageError::Invalid {
        entry: entry.to_owned(),
        what: "the property list is not a dictionary".to_owned(),
    })?;
    let text = |key: &str| -> Result<Option<String>> {
        match dict.get(key) {
            None => Ok(None),
            Some(plist::Value::String(s)) => {
                Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty()))
            }
            // Some build tools write numbers as integers or reals.
            Some(plist::Value::Integer(i)) => Ok(Some(i.to_string())),
            Some(plist::Value::Real(r)) => Ok(Some(r.to_string())),
            Some(_) => Err(PackageError::BadField {
                entry: entry.to_owned(),
                field: key.to_owned(),
                what: "is not a string".to_owned(),
            }),
        }
    };
    let id = text("CFBundleIdentifier")?.ok_or_else(|| PackageError::MissingField {
        entry: entry.to_owned(),
        field: "CFBundleIdentifier".to_owned(),
    })?;
    Ok(Metadata {
        kind: PackageKind::Ipa,
        id,
        version: text("CFBundleShortVersionString")?,
        version_code: None,
        build: text("CFBundleVersion")?,
        label: match text("CFBundleDisplayName")? {
            Some(l) => Some(l),
            None => text("CFBundleName")?,
        },
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_plist_is_one_level_below_payload() {
        assert!(is_bundle_plist("Payload/Demo.app/Info.plist"));
        for no in [
            "Payload/Demo.app/PlugIns/Ext.appex/Info.plist",
            "Payload/Demo.app/Watch/W.app/Info.plist",
            "Payload/.app/Info.plist",
            "Payload/Demo/Info.plist",
            "Demo.app/Info.plist",
            "Payload/Demo.app/info.plist",
        ] {
            assert!(!is_bundle_plist(no), "{no}");
        }
    }
}
