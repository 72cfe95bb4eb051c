//! Fuzz targets over the generator's readers of untrusted input: each takes arbitrary bytes and
//! must not panic. cargo-fuzz runs them from `fuzz/` (nightly); every test run drives them on
//! stable (`generator/tests/fuzz_inputs.rs`).

use crate::load::parse_toml;
use crate::package::{self, PackageKind};
use update_protocol::manifest::{AppManifest, ReleaseManifest};

/// The manifest loader's parse of an app (first byte even) or a release manifest (odd).
pub fn manifest(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    if which % 2 == 0 {
        keep(parse_toml::<AppManifest>("apps/fuzz.toml", &text));
    } else {
        keep(parse_toml::<ReleaseManifest>("releases/fuzz/1.toml", &text));
    }
}

/// The package readers: an APK (first byte even) or an IPA (odd).
pub fn package(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let kind = if which % 2 == 0 {
        PackageKind::Apk
    } else {
        PackageKind::Ipa
    };
    keep(package::read_bytes(kind, rest));
}

/// Keeps a parser's answer from being optimized away (and its type out of the way).
fn keep<T>(answer: T) {
    std::hint::black_box(answer);
}
