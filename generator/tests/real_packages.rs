//! The package reader on real packages made by Android's and Apple's tools: the test data that
//! fdroidserver ships in its source distribution on PyPI (`fdroidserver==2.4.5`, directory
//! `tests/`), read where it lies. `scripts/setup.sh` downloads it and `scripts/test.sh` points
//! `GENERATOR_REAL_PACKAGES` at it; without the variable this test says so and checks nothing,
//! unless `REQUIRE_REAL_PACKAGES` is set (`.ci/run` sets it): then it fails.
//!
//! The expected values are fdroidserver's, not ours: the ids, version codes and names from its
//! repository index (`tests/repo/index-v1.json`, written by aapt/androguard), and the labels
//! and the IPA's fields its own tests assert.

use generator::package::{self, PackageKind};
use std::path::{Path, PathBuf};

fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("GENERATOR_REAL_PACKAGES")?);
    assert!(
        dir.join("repo/index-v1.json").is_file(),
        "GENERATOR_REAL_PACKAGES={} is not fdroidserver's tests/ directory",
        dir.display()
    );
    Some(dir)
}

fn read(path: &Path) -> package::Metadata {
    package::read(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .unwrap_or_else(|| panic!("{} is not read as a package", path.display()))
}

#[test]
fn real_apks_and_ipa_read_as_their_tools_wrote_them() {
    let Some(dir) = data_dir() else {
        // CI must check them: there a missing set-up step fails, not passes.
        assert!(
            std::env::var_os("REQUIRE_REAL_PACKAGES").is_none(),
            "REQUIRE_REAL_PACKAGES is set but GENERATOR_REAL_PACKAGES is not: run the tests \
             with scripts/test.sh (which points it at the data scripts/setup.sh downloads)"
        );
        eprintln!(
            "GENERATOR_REAL_PACKAGES is not set: real packages not checked (scripts/test.sh sets it)"
        );
        return;
    };

    // Every APK in the repository index: id, version code and version name.
    let index: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("repo/index-v1.json")).expect("read the index"),
    )
    .expect("index JSON");
    let mut checked = 0;
    for versions in index["packages"].as_object().expect("packages").values() {
        for v in versions.as_array().expect("versions") {
            let name = v["apkName"].as_str().expect("apkName");
            if !name.ends_with(".apk") {
                continue;
            }
            let m = read(&dir.join("repo").join(name));
            assert_eq!(m.kind, PackageKind::Apk);
            assert_eq!(
                m.id,
                v["packageName"].as_str().expect("packageName"),
                "{name}"
            );
            assert_eq!(m.version_code, v["versionCode"].as_i64(), "{name}");
            assert_eq!(m.version.as_deref(), v["versionName"].as_str(), "{name}");
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} APKs in the index");

    // Labels that fdroidserver's tests take from the APKs (all resources in resources.arsc).
    for (file, label) in [
        ("repo/com.politedroid_6.apk", "Polite Droid"),
        (
            "repo/duplicate.permisssions_9999999.apk",
            "Duplicate Permisssions",
        ),
        ("repo/info.zwanenburg.caffeinetile_4.apk", "Caffeine Tile"),
        (
            "repo/no.min.target.sdk_987.apk",
            "No minSdkVersion or targetSdkVersion",
        ),
        (
            "repo/obb.main.oldversion_1444412523.apk",
            "OBB Main Old Version",
        ),
        (
            "repo/obb.main.twoversions_1101617.apk",
            "OBB Main Two Versions",
        ),
        ("repo/souch.smsbypass_9.apk", "Battery level"),
    ] {
        let m = read(&dir.join(file));
        assert_eq!(m.label.as_deref(), Some(label), "{file}");
        assert!(m.warnings.is_empty(), "{file}: {:?}", m.warnings);
    }

    // Versions outside the index, from fdroidserver's `get_apk_id` cases.
    for (file, id, code, name) in [
        (
            "org.dyndns.fules.ck_20.apk",
            "org.dyndns.fules.ck",
            20,
            "v1.6pre2",
        ),
        (
            "issue-1128-poc3b.apk",
            "android.appsecurity.cts.tinyapp",
            10,
            "1.0",
        ),
        (
            "urzip-release-unsigned.apk",
            "info.guardianproject.urzip",
            100,
            "0.1",
        ),
    ] {
        let m = read(&dir.join(file));
        assert_eq!(
            (m.id.as_str(), m.version_code, m.version.as_deref()),
            (id, Some(code), Some(name)),
            "{file}"
        );
    }

    // The IPA (a binary Info.plist), as fdroidserver's `parse_ipa` test has it.
    let m = read(&dir.join("com.fake.IpaApp_1000000000001.ipa"));
    assert_eq!(m.kind, PackageKind::Ipa);
    assert_eq!(m.id, "org.onionshare.OnionShare");
    assert_eq!(m.version.as_deref(), Some("1.0.1"));
    assert_eq!(m.label.as_deref(), Some("OnionShare"));

    // And every other package there reads without an error.
    for e in walkdir::WalkDir::new(&dir) {
        let p = e.expect("walk").into_path();
        if PackageKind::of(&p).is_some() {
            read(&p);
        }
    }
}
