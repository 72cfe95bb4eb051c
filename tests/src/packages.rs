//! Small APK and IPA fixtures for the tests, written the way the real tools lay them out: a
//! binary `AndroidManifest.xml` as aapt writes it (UTF-16 string pool whose first strings are
//! the attribute names that have Android resource ids, a resource map for them, namespace and
//! element chunks), a `resources.arsc` with a UTF-8 value pool and `string` entries in a
//! non-default and the default configuration, and IPAs with an XML or binary `Info.plist`.

use std::io::Write;

/// `android:label`, `android:versionCode`, `android:versionName`, `android:minSdkVersion`.
const ATTR_LABEL: u32 = 0x0101_0001;
const ATTR_VERSION_CODE: u32 = 0x0101_021b;
const ATTR_VERSION_NAME: u32 = 0x0101_021c;
const ATTR_MIN_SDK: u32 = 0x0101_020c;
const ANDROID_NS: &str = "http://schemas.android.com/apk/res/android";
const NO_INDEX: u32 = 0xFFFF_FFFF;

/// How the application's label is given.
#[derive(Clone, Debug)]
pub enum Label {
    /// No label.
    None,
    /// A literal string in the manifest.
    Literal(String),
    /// A resource reference (`@string/app_name`): the resource id.
    Resource(u32),
}

/// What a fixture's `AndroidManifest.xml` says.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// `<manifest package>`.
    pub package: String,
    /// `android:versionCode`.
    pub version_code: Option<i32>,
    /// `android:versionName`.
    pub version_name: Option<String>,
    /// `<application android:label>`.
    pub label: Label,
    /// Write the string pool in UTF-8 (aapt2's choice for some documents) instead of UTF-16.
    pub utf8: bool,
    /// Write the resource map (real documents always have one).
    pub resource_map: bool,
    /// Replace the names of the attributes that have resource ids by meaningless ones, as
    /// obfuscators do: only the resource map then tells which attribute is which.
    pub obfuscate_names: bool,
}

impl Manifest {
    /// A manifest with a package, version name and code, and a label resource
    /// `@string/app_name` (`0x7f020000`, as [`resources`] writes it).
    pub fn new(package: &str, version_name: &str, version_code: i32) -> Self {
        Manifest {
            package: package.to_owned(),
            version_code: Some(version_code),
            version_name: Some(version_name.to_owned()),
            label: Label::Resource(APP_NAME_ID),
            utf8: false,
            resource_map: true,
            obfuscate_names: false,
        }
    }
}

/// The resource id [`resources`] gives its first string (`@string/app_name`).
pub const APP_NAME_ID: u32 = 0x7f02_0000;

/// Little-endian writer helpers.
#[derive(Default)]
struct Buf(Vec<u8>);

impl Buf {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    fn pad4(&mut self) {
        while !self.0.len().is_multiple_of(4) {
            self.0.push(0);
        }
    }
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).expect("fixture sizes fit in u32")
}

fn len16(n: usize) -> u16 {
    u16::try_from(n).expect("fixture sizes fit in u16")
}

/// A chunk: `{type, header size, size}` then the rest of the header and the body.
fn chunk(kind: u16, header_rest: &[u8], body: &[u8]) -> Vec<u8> {
    let mut b = Buf::default();
    b.u16(kind);
    b.u16(len16(8 + header_rest.len()));
    b.u32(len32(8 + header_rest.len() + body.len()));
    b.bytes(header_rest);
    b.bytes(body);
    b.0
}

/// A `ResStringPool` chunk of `strings`, UTF-8 or UTF-16.
pub fn string_pool(strings: &[&str], utf8: bool) -> Vec<u8> {
    let mut offsets = Buf::default();
    let mut data = Buf::default();
    for s in strings {
        offsets.u32(len32(data.0.len()));
        if utf8 {
            for n in [s.encode_utf16().count(), s.len()] {
                if n > 0x7F {
                    data.u8(0x80 | u8::try_from(n >> 8).expect("short string"));
                    data.u8(u8::try_from(n & 0xFF).expect("byte"));
                } else {
                    data.u8(u8::try_from(n).expect("byte"));
                }
            }
            data.bytes(s.as_bytes());
            data.u8(0);
        } else {
            let units: Vec<u16> = s.encode_utf16().collect();
            if units.len() > 0x7FFF {
                data.u16(0x8000 | u16::try_from(units.len() >> 16).expect("len"));
                data.u16(u16::try_from(units.len() & 0xFFFF).expect("len"));
            } else {
                data.u16(len16(units.len()));
            }
            for u in units {
                data.u16(u);
            }
            data.u16(0);
        }
    }
    data.pad4();
    let mut header = Buf::default();
    header.u32(len32(strings.len())); // stringCount
    header.u32(0); // styleCount
    header.u32(if utf8 { 0x100 } else { 0 }); // flags
    header.u32(len32(28 + offsets.0.len())); // stringsStart
    header.u32(0); // stylesStart
    let mut body = offsets.0;
    body.extend_from_slice(&data.0);
    chunk(0x0001, &header.0, &body)
}

/// Interns strings in order of first use, with the attribute names that have resource ids
/// placed first (their index is their position in the resource map).
struct Strings {
    list: Vec<String>,
}

impl Strings {
    fn idx(&mut self, s: &str) -> u32 {
        if let Some(i) = self.list.iter().position(|x| x == s) {
            return len32(i);
        }
        self.list.push(s.to_owned());
        len32(self.list.len() - 1)
    }
}

enum Typed {
    Str(String),
    Int(i32),
    Ref(u32),
}

struct Attr {
    android: bool,
    name: String,
    value: Typed,
}

/// The binary `AndroidManifest.xml` of `m`: `<manifest>` with `<uses-sdk>` and
/// `<application>`, which holds an `<activity>` with its own label (which is not the app's).
pub fn android_manifest(m: &Manifest) -> Vec<u8> {
    let named = |real: &str, fake: &str| {
        if m.obfuscate_names {
            fake.to_owned()
        } else {
            real.to_owned()
        }
    };
    // Attribute names with resource ids, in resource-map order.
    let mapped = [
        (named("label", "a"), ATTR_LABEL),
        (named("minSdkVersion", "b"), ATTR_MIN_SDK),
        (named("versionCode", "c"), ATTR_VERSION_CODE),
        (named("versionName", "d"), ATTR_VERSION_NAME),
    ];
    let mut s = Strings { list: Vec::new() };
    for (n, _) in &mapped {
        s.idx(n);
    }
    let ns_prefix = s.idx("android");
    let ns_uri = s.idx(ANDROID_NS);

    let mut manifest_attrs = Vec::new();
    if let Some(c) = m.version_code {
        manifest_attrs.push(Attr {
            android: true,
            name: mapped[2].0.clone(),
            value: Typed::Int(c),
        });
    }
    if let Some(v) = &m.version_name {
        manifest_attrs.push(Attr {
            android: true,
            name: mapped[3].0.clone(),
            value: Typed::Str(v.clone()),
        });
    }
    manifest_attrs.push(Attr {
        android: false,
        name: "package".to_owned(),
        value: Typed::Str(m.package.clone()),
    });
    let uses_sdk = vec![Attr {
        android: true,
        name: mapped[1].0.clone(),
        value: Typed::Int(21),
    }];
    let mut app_attrs = Vec::new();
    match &m.label {
        Label::None => {}
        Label::Literal(l) => app_attrs.push(Attr {
            android: true,
            name: mapped[0].0.clone(),
            value: Typed::Str(l.clone()),
        }),
        Label::Resource(id) => app_attrs.push(Attr {
            android: true,
            name: mapped[0].0.clone(),
            value: Typed::Ref(*id),
        }),
    }
    let activity_attrs = vec![Attr {
        android: true,
        name: mapped[0].0.clone(),
        value: Typed::Str("Not the app's label".to_owned()),
    }];

    let mut nodes = Buf::default();
    let mut line = 1u32;
    let mut node = |b: &mut Buf, kind: u16, ext: &[u8]| {
        let mut header = Buf::default();
        header.u32(line); // lineNumber
        header.u32(NO_INDEX); // comment
        line += 1;
        b.bytes(&chunk(kind, &header.0, ext));
    };
    let mut ns_ext = Buf::default();
    ns_ext.u32(ns_prefix);
    ns_ext.u32(ns_uri);
    node(&mut nodes, 0x0100, &ns_ext.0);
    let mut open = Vec::new();
    for (name, attrs) in [
        ("manifest", &manifest_attrs),
        ("uses-sdk", &uses_sdk),
        ("application", &app_attrs),
        ("activity", &activity_attrs),
    ] {
        let name_idx = s.idx(name);
        let mut ext = Buf::default();
        ext.u32(NO_INDEX); // ns
        ext.u32(name_idx);
        ext.u16(20); // attributeStart
        ext.u16(20); // attributeSize
        ext.u16(len16(attrs.len()));
        ext.u16(0); // idIndex
        ext.u16(0); // classIndex
        ext.u16(0); // styleIndex
        for a in attrs {
            ext.u32(if a.android { ns_uri } else { NO_INDEX });
            ext.u32(s.idx(&a.name));
            match &a.value {
                Typed::Str(v) => {
                    let i = s.idx(v);
                    ext.u32(i); // rawValue
                    ext.u16(8);
                    ext.u8(0);
                    ext.u8(0x03);
                    ext.u32(i);
                }
                Typed::Int(v) => {
                    ext.u32(NO_INDEX);
                    ext.u16(8);
                    ext.u8(0);
                    ext.u8(0x10);
                    ext.bytes(&v.to_le_bytes());
                }
                Typed::Ref(id) => {
                    ext.u32(NO_INDEX);
                    ext.u16(8);
                    ext.u8(0);
                    ext.u8(0x01);
                    ext.u32(*id);
                }
            }
        }
        node(&mut nodes, 0x0102, &ext.0);
        // <uses-sdk> closes at once; the others nest.
        if name == "uses-sdk" {
            let mut end = Buf::default();
            end.u32(NO_INDEX);
            end.u32(name_idx);
            node(&mut nodes, 0x0103, &end.0);
        } else {
            open.push(name_idx);
        }
    }
    while let Some(name_idx) = open.pop() {
        let mut end = Buf::default();
        end.u32(NO_INDEX);
        end.u32(name_idx);
        node(&mut nodes, 0x0103, &end.0);
    }
    node(&mut nodes, 0x0101, &ns_ext.0);

    let strs: Vec<&str> = s.list.iter().map(String::as_str).collect();
    let mut body = string_pool(&strs, m.utf8);
    if m.resource_map {
        let mut ids = Buf::default();
        for (_, id) in &mapped {
            ids.u32(*id);
        }
        body.extend_from_slice(&chunk(0x0180, &[], &ids.0));
    }
    body.extend_from_slice(&nodes.0);
    chunk(0x0003, &[], &body)
}

/// A `ResTable_type` chunk of type 2 (`string`) with `config_language` (`None` for the
/// default configuration) and one string entry per value (indexes into the value pool).
fn type_chunk(config_language: Option<&[u8; 2]>, values: &[Option<u32>]) -> Vec<u8> {
    const CONFIG_SIZE: usize = 64;
    let mut offsets = Buf::default();
    let mut entries = Buf::default();
    for (key, v) in values.iter().enumerate() {
        match v {
            None => offsets.u32(NO_INDEX),
            Some(string) => {
                offsets.u32(len32(entries.0.len()));
                entries.u16(8); // ResTable_entry size
                entries.u16(0); // flags
                entries.u32(len32(key)); // key string
                entries.u16(8); // Res_value size
                entries.u8(0);
                entries.u8(0x03); // TYPE_STRING
                entries.u32(*string);
            }
        }
    }
    let mut header = Buf::default();
    header.u8(2); // id
    header.u8(0); // flags
    header.u16(0); // reserved
    header.u32(len32(values.len())); // entryCount
    header.u32(len32(8 + 12 + CONFIG_SIZE + offsets.0.len())); // entriesStart
    let mut config = vec![0u8; CONFIG_SIZE];
    config[..4].copy_from_slice(&len32(CONFIG_SIZE).to_le_bytes());
    if let Some(lang) = config_language {
        config[8..10].copy_from_slice(lang);
    }
    header.bytes(&config);
    let mut body = offsets.0;
    body.extend_from_slice(&entries.0);
    chunk(0x0201, &header.0, &body)
}

/// A `resources.arsc` for package `0x7f` with types `drawable` (1) and `string` (2); the
/// strings are `(key, default value, French value)`: the French configuration's chunk comes
/// first, so a reader must pick the default one by its configuration, not by order. String
/// `i` has the id `0x7f020000 + i`.
pub fn resources(strings: &[(&str, &str, Option<&str>)]) -> Vec<u8> {
    let mut values: Vec<String> = Vec::new();
    let mut intern = |v: &str| {
        let i = values.iter().position(|x| x == v).unwrap_or_else(|| {
            values.push(v.to_owned());
            values.len() - 1
        });
        len32(i)
    };
    let default: Vec<Option<u32>> = strings.iter().map(|(_, d, _)| Some(intern(d))).collect();
    let french: Vec<Option<u32>> = strings.iter().map(|(_, _, f)| f.map(&mut intern)).collect();
    let types = string_pool(&["drawable", "string"], true);
    let keys: Vec<&str> = strings.iter().map(|(k, _, _)| *k).collect();
    let keys = string_pool(&keys, true);

    let mut spec = Buf::default();
    spec.u8(2); // id
    spec.u8(0);
    spec.u16(0);
    spec.u32(len32(strings.len()));
    let spec_flags = vec![0u8; strings.len() * 4];
    let spec = chunk(0x0202, &spec.0, &spec_flags);

    const PACKAGE_HEADER: usize = 288;
    let mut header = Buf::default();
    header.u32(0x7f); // id
    let mut name = [0u8; 256];
    for (i, u) in "com.example".encode_utf16().enumerate() {
        name[i * 2..i * 2 + 2].copy_from_slice(&u.to_le_bytes());
    }
    header.bytes(&name);
    header.u32(len32(PACKAGE_HEADER)); // typeStrings
    header.u32(2); // lastPublicType
    header.u32(len32(PACKAGE_HEADER + types.len())); // keyStrings
    header.u32(len32(strings.len())); // lastPublicKey
    header.u32(0); // typeIdOffset
    let mut body = types;
    body.extend_from_slice(&keys);
    body.extend_from_slice(&spec);
    body.extend_from_slice(&type_chunk(Some(b"fr"), &french));
    body.extend_from_slice(&type_chunk(None, &default));
    let package = chunk(0x0200, &header.0, &body);

    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    let mut table = string_pool(&values, true);
    table.extend_from_slice(&package);
    let mut th = Buf::default();
    th.u32(1); // packageCount
    chunk(0x0002, &th.0, &table)
}

/// A zip of `entries` (name, bytes): deflated, except `resources.arsc`, which APKs store.
pub fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        let method = if *name == "resources.arsc" {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        w.start_file(
            *name,
            SimpleFileOptions::default().compression_method(method),
        )
        .expect("zip entry");
        w.write_all(bytes).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

/// An APK: the manifest of `m`, a resource table with `@string/app_name` = `label` (French:
/// `label (fr)`), and a placeholder `classes.dex`.
pub fn apk(m: &Manifest, label: &str) -> Vec<u8> {
    let french = format!("{label} (fr)");
    zip(&[
        ("AndroidManifest.xml", &android_manifest(m)),
        (
            "resources.arsc",
            &resources(&[
                ("app_name", label, Some(&french)),
                ("other", "Another string", None),
            ]),
        ),
        ("classes.dex", b"dex\n035\0"),
    ])
}

/// The fields of a fixture `Info.plist`.
#[derive(Clone, Debug)]
pub struct InfoPlist {
    /// `CFBundleIdentifier`.
    pub bundle_id: String,
    /// `CFBundleShortVersionString`.
    pub short_version: Option<String>,
    /// `CFBundleVersion`.
    pub build: Option<String>,
    /// `CFBundleDisplayName`.
    pub display_name: Option<String>,
    /// `CFBundleName`.
    pub name: Option<String>,
    /// Binary property list (as Xcode ships it) instead of XML.
    pub binary: bool,
}

impl InfoPlist {
    /// A plist with an id, version and build, named `Demo`.
    pub fn new(bundle_id: &str, short_version: &str, build: &str, binary: bool) -> Self {
        InfoPlist {
            bundle_id: bundle_id.to_owned(),
            short_version: Some(short_version.to_owned()),
            build: Some(build.to_owned()),
            display_name: Some("Demo".to_owned()),
            name: Some("DemoTarget".to_owned()),
            binary,
        }
    }

    /// The plist bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let mut d = plist::Dictionary::new();
        d.insert("CFBundleIdentifier".into(), self.bundle_id.clone().into());
        for (k, v) in [
            ("CFBundleShortVersionString", &self.short_version),
            ("CFBundleVersion", &self.build),
            ("CFBundleDisplayName", &self.display_name),
            ("CFBundleName", &self.name),
        ] {
            if let Some(v) = v {
                d.insert(k.into(), v.clone().into());
            }
        }
        d.insert("CFBundlePackageType".into(), "APPL".into());
        d.insert(
            "UIDeviceFamily".into(),
            plist::Value::Array(vec![1.into(), 2.into()]),
        );
        let mut out = Vec::new();
        let v = plist::Value::Dictionary(d);
        if self.binary {
            v.to_writer_binary(&mut out).expect("binary plist");
        } else {
            v.to_writer_xml(&mut out).expect("xml plist");
        }
        out
    }
}

/// An IPA: `Payload/Demo.app/Info.plist` of `p`, the executable, and an app extension whose
/// own `Info.plist` (another bundle id) sits deeper and must be ignored.
pub fn ipa(p: &InfoPlist) -> Vec<u8> {
    let ext = InfoPlist::new(&format!("{}.share", p.bundle_id), "9.9", "999", true).bytes();
    zip(&[
        ("Payload/Demo.app/PlugIns/Share.appex/Info.plist", &ext),
        ("Payload/Demo.app/Info.plist", &p.bytes()),
        ("Payload/Demo.app/Demo", b"\xcf\xfa\xed\xfe"),
    ])
}
