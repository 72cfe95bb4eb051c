//! What a package says about itself: an APK's binary `AndroidManifest.xml` (and
//! `resources.arsc` for a label given as a resource), an IPA's `Info.plist`. Other files are
//! opaque: their version must come from the command line.
//!
//! Everything here reads untrusted bytes: every offset is checked, every size is capped, and a
//! malformed package is a [`PackageError`] naming the entry and what is wrong, never a panic.

pub mod apk;
pub mod arsc;
pub mod axml;
pub mod ipa;
mod zipped;

use serde::Serialize;
use std::path::Path;

/// The kinds of package whose metadata is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageKind {
    /// Android application package (a zip with a binary `AndroidManifest.xml`).
    Apk,
    /// iOS application archive (a zip with `Payload/<Name>.app/Info.plist`).
    Ipa,
}

impl PackageKind {
    /// The kind a file name says, by its extension (case-insensitive); `None` for any other
    /// file.
    pub fn of(path: &Path) -> Option<PackageKind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "apk" => Some(PackageKind::Apk),
            "ipa" => Some(PackageKind::Ipa),
            _ => None,
        }
    }

    /// What the package calls its id, version, version code and build, for messages.
    pub fn field_names(self) -> FieldNames {
        match self {
            PackageKind::Apk => FieldNames {
                id: "package name",
                version: "versionName",
                version_code: "versionCode",
                build: "versionCode",
            },
            PackageKind::Ipa => FieldNames {
                id: "CFBundleIdentifier",
                version: "CFBundleShortVersionString",
                version_code: "version code (an IPA has none)",
                build: "CFBundleVersion",
            },
        }
    }
}

/// The package's own names of the fields it carries.
#[derive(Clone, Copy, Debug)]
pub struct FieldNames {
    /// The id (package name or bundle id).
    pub id: &'static str,
    /// The version string.
    pub version: &'static str,
    /// The integer version code.
    pub version_code: &'static str,
    /// The build number.
    pub build: &'static str,
}

/// What was read from a package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Metadata {
    /// APK or IPA.
    pub kind: PackageKind,
    /// Android package name or iOS bundle id.
    pub id: String,
    /// `android:versionName` or `CFBundleShortVersionString`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `android:versionCode` (APK only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_code: Option<i64>,
    /// The build: `CFBundleVersion`, or an APK's `versionCode` as text (what Zealot shows as
    /// the build).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    /// The app's display name: `<application android:label>` (resolved through
    /// `resources.arsc` when it is a resource) or `CFBundleDisplayName` (else `CFBundleName`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// What could not be read but does not stop a publish (a label resource that does not
    /// resolve).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Why a package could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// The file could not be opened or read.
    #[error("cannot read the file: {0}")]
    Io(String),
    /// The file is not a zip archive, or its directory is damaged.
    #[error("not a readable zip archive ({0}); is the file complete?")]
    Zip(String),
    /// A required entry is absent.
    #[error("no {entry} in the archive")]
    MissingEntry {
        /// The entry's path (or its pattern).
        entry: String,
    },
    /// More than one entry matches where one is expected.
    #[error("more than one app bundle in the archive: {}", entries.join(", "))]
    Ambiguous {
        /// The candidates.
        entries: Vec<String>,
    },
    /// An entry is larger than any real one.
    #[error("{entry} is larger than {limit} bytes")]
    TooLarge {
        /// The entry.
        entry: String,
        /// The cap.
        limit: u64,
    },
    /// A structure ends before its declared size, or past the end of the entry.
    #[error("{entry}: truncated {what} at byte {offset}")]
    Truncated {
        /// The entry.
        entry: String,
        /// What was being read (`chunk header`, `string pool`, ...).
        what: String,
        /// Where it starts.
        offset: usize,
    },
    /// A structure has impossible values.
    #[error("{entry}: {what} at byte {offset}")]
    Malformed {
        /// The entry.
        entry: String,
        /// What is wrong.
        what: String,
        /// Where.
        offset: usize,
    },
    /// An entry is unusable as a whole (a property list that does not parse).
    #[error("{entry}: {what}")]
    Invalid {
        /// The entry.
        entry: String,
        /// What is wrong.
        what: String,
    },
    /// A required field is absent.
    #[error("{entry} has no {field}")]
    MissingField {
        /// The entry.
        entry: String,
        /// The field.
        field: String,
    },
    /// A field is present but unusable.
    #[error("{entry}: {field}: {what}")]
    BadField {
        /// The entry.
        entry: String,
        /// The field.
        field: String,
        /// What is wrong.
        what: String,
    },
}

/// A `Result` with [`PackageError`].
pub type Result<T> = std::result::Result<T, PackageError>;

/// Reads the metadata of `path` when it is an APK or IPA (by extension); `Ok(None)` for any
/// other file.
///
/// # Errors
/// A [`PackageError`] when the file is an APK or IPA that cannot be read.
pub fn read(path: &Path) -> Result<Option<Metadata>> {
    let Some(kind) = PackageKind::of(path) else {
        return Ok(None);
    };
    let file = std::fs::File::open(path).map_err(|e| PackageError::Io(e.to_string()))?;
    let reader = std::io::BufReader::new(file);
    match kind {
        PackageKind::Apk => apk::read(reader).map(Some),
        PackageKind::Ipa => ipa::read(reader).map(Some),
    }
}

/// Reads the metadata of a package of `kind` held in memory (what [`read`] does for a file).
///
/// # Errors
/// A [`PackageError`] when the bytes are not a readable package of that kind.
pub fn read_bytes(kind: PackageKind, bytes: &[u8]) -> Result<Metadata> {
    let reader = std::io::Cursor::new(bytes);
    match kind {
        PackageKind::Apk => apk::read(reader),
        PackageKind::Ipa => ipa::read(reader),
    }
}

#[cfg(test)]
mod tests {
    use super::axml::Value;
    use super::*;
    use e2e_tests::packages::{self as fx, InfoPlist, Label, Manifest};
    use std::io::Cursor;

    fn read_apk(bytes: Vec<u8>) -> Result<Metadata> {
        apk::read(Cursor::new(bytes))
    }

    fn read_ipa(bytes: Vec<u8>) -> Result<Metadata> {
        ipa::read(Cursor::new(bytes))
    }

    #[test]
    fn apk_gives_package_versions_and_the_default_label() {
        let m = read_apk(fx::apk(
            &Manifest::new("com.example.demo", "1.2.0", 120),
            "Demo",
        ))
        .expect("apk");
        assert_eq!(
            m,
            Metadata {
                kind: PackageKind::Apk,
                id: "com.example.demo".into(),
                version: Some("1.2.0".into()),
                version_code: Some(120),
                build: Some("120".into()),
                // The French configuration comes first in the table; the default one wins.
                label: Some("Demo".into()),
                warnings: vec![],
            }
        );
    }

    #[test]
    fn apk_literal_label_needs_no_resource_table() {
        let mut manifest = Manifest::new("com.example.demo", "2.0", 7);
        manifest.label = Label::Literal("Démo ✓".into());
        let bytes = fx::zip(&[("AndroidManifest.xml", &fx::android_manifest(&manifest))]);
        let m = read_apk(bytes).expect("apk");
        assert_eq!(m.label.as_deref(), Some("Démo ✓"));
        assert_eq!(m.version.as_deref(), Some("2.0"));
        assert!(m.warnings.is_empty());
    }

    #[test]
    fn apk_utf8_string_pool() {
        let mut manifest = Manifest::new("com.example.ütf8", "3.1.4-beta", 314);
        manifest.utf8 = true;
        let m = read_apk(fx::apk(&manifest, "Ünïcode")).expect("apk");
        assert_eq!(m.id, "com.example.ütf8");
        assert_eq!(m.version.as_deref(), Some("3.1.4-beta"));
        assert_eq!(m.label.as_deref(), Some("Ünïcode"));
    }

    #[test]
    fn attributes_are_matched_by_resource_id_when_the_map_is_present() {
        let mut manifest = Manifest::new("com.example.demo", "1.0", 1);
        manifest.obfuscate_names = true;
        let values = apk::parse_manifest(&fx::android_manifest(&manifest)).expect("parse");
        assert_eq!(values.version_code, Some(Value::Int(1)));
        assert_eq!(values.version_name, Some(Value::String("1.0".into())));
        assert_eq!(values.label, Some(Value::Reference(fx::APP_NAME_ID)));
        // Without the map, the meaningless names match nothing...
        manifest.resource_map = false;
        let values = apk::parse_manifest(&fx::android_manifest(&manifest)).expect("parse");
        assert_eq!((values.version_code, values.label), (None, None));
        // ...and the real ones match by name.
        manifest.obfuscate_names = false;
        let values = apk::parse_manifest(&fx::android_manifest(&manifest)).expect("parse");
        assert_eq!(values.version_code, Some(Value::Int(1)));
    }

    #[test]
    fn label_reference_without_a_table_is_a_warning() {
        let manifest = Manifest::new("com.example.demo", "1.0", 1);
        let bytes = fx::zip(&[("AndroidManifest.xml", &fx::android_manifest(&manifest))]);
        let m = read_apk(bytes).expect("apk");
        assert_eq!(m.label, None);
        assert!(m.warnings[0].contains("resources.arsc"), "{:?}", m.warnings);
    }

    #[test]
    fn resource_table_resolves_by_id_and_reports_what_is_missing() {
        let data = fx::resources(&[("app_name", "Demo", Some("Démo")), ("b", "B", None)]);
        let t = arsc::parse(&data).expect("table");
        assert_eq!(t.resolve_string(0x7f02_0000).expect("a"), "Demo");
        assert_eq!(t.resolve_string(0x7f02_0001).expect("b"), "B");
        for (id, part) in [
            (0x7f02_0002, "not found"),
            (0x7f03_0000, "not found"),
            (0x0102_0000, "no package 0x01"),
        ] {
            let e = t.resolve_string(id).expect_err("absent");
            assert!(e.to_string().contains(part), "{id:x}: {e}");
        }
    }

    #[test]
    fn apk_errors_name_what_is_wrong() {
        let no_manifest = fx::zip(&[("classes.dex", b"dex")]);
        assert_eq!(
            read_apk(no_manifest).expect_err("no manifest").to_string(),
            "no AndroidManifest.xml in the archive"
        );
        assert!(matches!(
            read_apk(b"MZ not a zip at all".to_vec()),
            Err(PackageError::Zip(_))
        ));
        let plain_xml = fx::zip(&[("AndroidManifest.xml", b"<manifest package=\"x\"/>")]);
        let e = read_apk(plain_xml).expect_err("text xml");
        assert!(e.to_string().contains("not Android binary XML"), "{e}");
        let mut no_package = Manifest::new("", "1.0", 1);
        no_package.package = " ".into();
        let e = apk::parse_manifest(&fx::android_manifest(&no_package)).expect_err("package");
        assert!(e.to_string().contains("package"), "{e}");
    }

    /// Every strict prefix of a manifest and of a resource table is an error naming the entry,
    /// and no single corrupted byte makes the reader panic.
    #[test]
    fn truncated_and_corrupted_binary_xml_never_panics() {
        let manifest = fx::android_manifest(&Manifest::new("com.example.demo", "1.0", 1));
        for n in 0..manifest.len() {
            let e = apk::parse_manifest(&manifest[..n]).expect_err("truncated");
            assert!(e.to_string().starts_with("AndroidManifest.xml"), "{n}: {e}");
        }
        let table = fx::resources(&[("app_name", "Demo", Some("Démo"))]);
        for n in 0..table.len() {
            let r = arsc::parse(&table[..n]).and_then(|t| t.resolve_string(fx::APP_NAME_ID));
            let e = r.expect_err("truncated");
            assert!(e.to_string().starts_with("resources.arsc"), "{n}: {e}");
        }
        for (bytes, is_manifest) in [(&manifest, true), (&table, false)] {
            for i in 0..bytes.len() {
                for v in [0x00, 0xFF, 0x80, 0x7F] {
                    let mut b = bytes.clone();
                    b[i] = v;
                    // Ok or Err, but an answer.
                    if is_manifest {
                        let _ = apk::parse_manifest(&b);
                    } else {
                        let _ = arsc::parse(&b).and_then(|t| t.resolve_string(fx::APP_NAME_ID));
                    }
                }
            }
        }
    }

    #[test]
    fn truncated_apk_is_an_error() {
        let apk = fx::apk(&Manifest::new("com.example.demo", "1.0", 1), "Demo");
        for n in [0, 10, apk.len() / 2, apk.len() - 1] {
            // The zip's directory is at its end: every cut loses it.
            let e = read_apk(apk[..n].to_vec()).expect_err("truncated");
            assert!(matches!(e, PackageError::Zip(_)), "{n}: {e}");
        }
    }

    #[test]
    fn ipa_binary_and_xml_plists() {
        for binary in [true, false] {
            let m = read_ipa(fx::ipa(&InfoPlist::new(
                "com.example.demo.ios",
                "2.1.0",
                "111",
                binary,
            )))
            .expect("ipa");
            assert_eq!(
                m,
                Metadata {
                    kind: PackageKind::Ipa,
                    id: "com.example.demo.ios".into(),
                    version: Some("2.1.0".into()),
                    version_code: None,
                    build: Some("111".into()),
                    label: Some("Demo".into()),
                    warnings: vec![],
                },
                "binary: {binary}"
            );
        }
    }

    #[test]
    fn ipa_display_name_falls_back_to_bundle_name() {
        let mut p = InfoPlist::new("com.example.demo.ios", "2.1.0", "111", false);
        p.display_name = None;
        let m = read_ipa(fx::ipa(&p)).expect("ipa");
        assert_eq!(m.label.as_deref(), Some("DemoTarget"));
    }

    #[test]
    fn ipa_errors_name_what_is_wrong() {
        let none = fx::zip(&[("Payload/Demo.app/PlugIns/X.appex/Info.plist", b"x")]);
        assert_eq!(
            read_ipa(none).expect_err("none").to_string(),
            "no Payload/<Name>.app/Info.plist in the archive"
        );
        let plist = InfoPlist::new("a.b", "1", "1", true).bytes();
        let two = fx::zip(&[
            ("Payload/A.app/Info.plist", &plist),
            ("Payload/B.app/Info.plist", &plist),
        ]);
        assert!(matches!(
            read_ipa(two),
            Err(PackageError::Ambiguous { entries }) if entries.len() == 2
        ));
        let garbage = fx::zip(&[("Payload/A.app/Info.plist", b"<plist><dict><key>")]);
        let e = read_ipa(garbage).expect_err("garbage");
        assert!(
            e.to_string()
                .starts_with("Payload/A.app/Info.plist: not a property list"),
            "{e}"
        );
        let array = fx::zip(&[(
            "Payload/A.app/Info.plist",
            b"<plist><array><string>a</string></array></plist>",
        )]);
        let e = read_ipa(array).expect_err("not a dictionary");
        assert!(e.to_string().ends_with("is not a dictionary"), "{e}");
        let mut p = InfoPlist::new("", "1", "1", false);
        p.bundle_id = String::new();
        let e = read_ipa(fx::ipa(&p)).expect_err("no id");
        assert!(e.to_string().ends_with("has no CFBundleIdentifier"), "{e}");
        let binary = InfoPlist::new("a.b", "1", "1", true).bytes();
        for n in 0..binary.len() {
            let e = ipa::parse_info_plist(&binary[..n], "Info.plist").expect_err("truncated");
            assert!(
                matches!(&e, PackageError::Invalid { entry, what }
                    if entry == "Info.plist" && what.starts_with("not a property list (")),
                "{n}: {e}"
            );
        }
    }

    #[test]
    fn other_files_are_not_read() {
        assert_eq!(
            PackageKind::of(std::path::Path::new("x.APK")),
            Some(PackageKind::Apk)
        );
        assert_eq!(PackageKind::of(std::path::Path::new("x.tar.gz")), None);
        assert_eq!(read(std::path::Path::new("/nonexistent/x.exe")), Ok(None));
    }
}
