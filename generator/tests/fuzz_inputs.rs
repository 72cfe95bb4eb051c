//! The generator's readers of untrusted input on mutated copies of real input
//! (`e2e_tests::fuzz::run`): the manifest loader's TOML parsing of app, release and site
//! manifests (the example's files as seeds), and the APK and IPA readers (packages built by the
//! fixtures as seeds). None may panic: bad input is an error that names the file and field.
//! The same targets run under cargo-fuzz from `fuzz/` (`manifest`, `package`).

use e2e_tests::fuzz;
use e2e_tests::packages::{self as fx, InfoPlist, Manifest};
use generator::fuzz::{manifest, package};
use std::path::Path;

/// Every TOML file of the example, each prefixed with the byte that picks its manifest type.
fn manifest_seeds() -> Vec<Vec<u8>> {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../example");
    let mut seeds = Vec::new();
    for (which, dir) in [(0u8, "apps"), (1, "releases")] {
        for entry in walkdir::WalkDir::new(example.join(dir)) {
            let entry = entry.expect("walk example/");
            if entry.path().extension().is_some_and(|e| e == "toml") {
                let mut seed = vec![which];
                seed.extend(std::fs::read(entry.path()).expect("read a manifest"));
                seeds.push(seed);
            }
        }
    }
    assert!(seeds.len() > 10, "example/ has its manifests");
    seeds
}

#[test]
fn the_manifest_parser_never_panics_on_mutated_manifests() {
    fuzz::run(
        "manifest",
        &manifest_seeds(),
        fuzz::iterations() / 4,
        manifest,
    );
}

#[test]
fn the_package_readers_never_panic_on_mutated_packages() {
    let mut apk = vec![0u8];
    apk.extend(fx::apk(
        &Manifest::new("com.example.demo", "1.2.0", 120),
        "Demo",
    ));
    let mut ipa = vec![1u8];
    ipa.extend(fx::ipa(&InfoPlist::new(
        "com.example.ios",
        "2.0.0",
        "100",
        true,
    )));
    // Packages are large: fewer, slower inputs.
    fuzz::run("package", &[apk, ipa], fuzz::iterations() / 40, package);
}
