//! APK: the `<manifest>` element's `package`, `android:versionCode` and
//! `android:versionName`, and `<application android:label>`, from the binary
//! `AndroidManifest.xml`; a label (or version name) given as a resource is resolved through
//! `resources.arsc`.

use super::axml::{self, ATTR_LABEL, ATTR_VERSION_CODE, ATTR_VERSION_NAME, Element, Value};
use super::zipped::Archive;
use super::{Metadata, PackageError, PackageKind, Result, arsc};
use std::io::{Read, Seek};

/// The manifest's entry name.
pub const MANIFEST: &str = "AndroidManifest.xml";
/// Real manifests are a few KiB to a few hundred; this is far past any.
const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;
/// Large games ship resource tables of tens of MiB.
const MAX_ARSC_BYTES: u64 = 256 * 1024 * 1024;

/// Reads an APK's metadata.
///
/// # Errors
/// A [`PackageError`] when the archive, its manifest or a resource it needs is unreadable.
pub fn read<R: Read + Seek>(reader: R) -> Result<Metadata> {
    let mut zip = Archive::open(reader)?;
    let manifest =
        zip.read(MANIFEST, MAX_MANIFEST_BYTES)?
            .ok_or_else(|| PackageError::MissingEntry {
                entry: MANIFEST.to_owned(),
            })?;
    let m = parse_manifest(&manifest)?;
    // The table is read only when a value is a resource reference.
    let needs_table = matches!(m.version_name, Some(Value::Reference(_)))
        || matches!(m.label, Some(Value::Reference(_)));
    let table_bytes = if needs_table {
        zip.read(arsc::ENTRY, MAX_ARSC_BYTES)?
    } else {
        None
    };
    let table = table_bytes.as_deref().map(arsc::parse);
    let resolve = |id: u32| -> Result<String> {
        match &table {
            None => Err(PackageError::MissingEntry {
                entry: format!("{} (needed for resource 0x{id:08x})", arsc::ENTRY),
            }),
            Some(Err(e)) => Err(e.clone()),
            Some(Ok(t)) => t.resolve_string(id),
        }
    };

    let version = match m.version_name {
        None => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Int(i)) => Some(i.to_string()),
        Some(Value::Reference(id)) => Some(resolve(id)?),
        Some(v) => {
            return Err(bad_field(
                "android:versionName",
                format!("unexpected value {v:?}"),
            ));
        }
    };
    let version_code =
        match m.version_code {
            None => None,
            Some(Value::Int(i)) => Some(i),
            Some(Value::String(s)) => Some(s.trim().parse::<i64>().map_err(|_| {
                bad_field("android:versionCode", format!("`{s}` is not an integer"))
            })?),
            Some(v) => {
                return Err(bad_field(
                    "android:versionCode",
                    format!("unexpected value {v:?}"),
                ));
            }
        };
    // The label is only shown: when it cannot be resolved, say so and go on.
    let mut warnings = Vec::new();
    let label = match m.label {
        None => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Reference(id)) => match resolve(id) {
            Ok(s) => Some(s),
            Err(e) => {
                warnings.push(format!("application label not resolved: {e}"));
                None
            }
        },
        Some(v) => {
            warnings.push(format!("application label has an unexpected value {v:?}"));
            None
        }
    };
    Ok(Metadata {
        kind: PackageKind::Apk,
        id: m.package,
        build: version_code.map(|c| c.to_string()),
        version,
        version_code,
        label,
        warnings,
    })
}

fn bad_field(field: &str, what: String) -> PackageError {
    PackageError::BadField {
        entry: MANIFEST.to_owned(),
        field: field.to_owned(),
        what,
    }
}

/// The manifest's values as written, before resources are resolved.
#[derive(Debug, PartialEq, Eq)]
pub struct ManifestValues {
    /// `<manifest package>`.
    pub package: String,
    /// `android:versionCode`.
    pub version_code: Option<Value>,
    /// `android:versionName`.
    pub version_name: Option<Value>,
    /// `<application android:label>`.
    pub label: Option<Value>,
}

/// Reads the values of a binary `AndroidManifest.xml`.
///
/// # Errors
/// A [`PackageError`] when the document is malformed, its root is not `<manifest>`, or it has
/// no `package`.
pub fn parse_manifest(data: &[u8]) -> Result<ManifestValues> {
    let elements = axml::parse(data, MANIFEST, 2)?;
    let root = elements.first().ok_or_else(|| PackageError::MissingField {
        entry: MANIFEST.to_owned(),
        field: "<manifest> element".to_owned(),
    })?;
    if root.name != "manifest" {
        return Err(bad_field(
            "root element",
            format!("is <{}>, expected <manifest>", root.name),
        ));
    }
    let package = root
        .attributes
        .iter()
        .find(|a| a.name == "package" && a.namespace.is_none())
        .map(|a| &a.value);
    let package = match package {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(v) => {
            return Err(bad_field(
                "<manifest package>",
                format!("is not a package name: {v:?}"),
            ));
        }
        None => {
            return Err(PackageError::MissingField {
                entry: MANIFEST.to_owned(),
                field: "<manifest package> attribute".to_owned(),
            });
        }
    };
    let attr = |e: &Element, id: u32, name: &str| {
        e.attributes
            .iter()
            .find(|a| a.is_android(id, name))
            .map(|a| a.value.clone())
    };
    let application = elements
        .iter()
        .find(|e| e.depth == 2 && e.name == "application");
    Ok(ManifestValues {
        package,
        version_code: attr(root, ATTR_VERSION_CODE, "versionCode"),
        version_name: attr(root, ATTR_VERSION_NAME, "versionName"),
        label: application.and_then(|a| attr(a, ATTR_LABEL, "label")),
    })
}
