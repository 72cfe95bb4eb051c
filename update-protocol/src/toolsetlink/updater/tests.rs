use super::*;
use crate::index::ToolsetlinkRef;
use serde_json::json;

const ORIGIN: &str = "https://u.example";
const SIG: &str = "dW50cnVzdGVkIGNvbW1lbnQ6IHNpZw==";

/// The example's `desktop-editor` as the edge sees it, trimmed: 1.0.0 and 1.1.0 (forced,
/// min_version) for every platform, 1.2.0 at 25% for Windows only and unsigned.
fn app() -> EdgeApp {
    let file = |v: &str, arch: &str, role: &str, name: &str, signed: bool| {
        json!({
            "id": format!("{v}-{name}"), "arch": arch, "role": role, "name": name,
            "size": 50, "sha256": "00".repeat(32), "url": format!("/artifacts/desktop-editor/{v}/{name}"),
            "sha512": format!("sha512-of-{name}"),
            "bundle": crate::manifest::Bundle::from_file_name(name),
            "signature": signed.then_some(SIG),
        })
    };
    let release = |v: &str,
                   code: i64,
                   id: u32,
                   rollout: u8,
                   upgrade: &str,
                   files: Vec<serde_json::Value>| {
        json!({
            "version": v, "version_code": code, "channel": "stable",
            "published_at": format!("2026-0{id}-01T10:00:00Z"), "state": "ready", "rollout": rollout,
            "upgrade": upgrade, "notes": format!("notes {v}"),
            "release_id": format!("desktop-editor/stable/{v}"), "zealot_id": id, "zealot_version": id,
            "artifacts": files,
        })
    };
    let desktop = |v: &str, signed_exe: bool| {
        vec![
            file(
                v,
                "mac-arm64",
                "primary",
                &format!("e-{v}-arm64-mac.zip"),
                false,
            ),
            file(
                v,
                "mac-arm64",
                "attachment",
                &format!("E_{v}_aarch64.app.tar.gz"),
                true,
            ),
            file(
                v,
                "mac-x64",
                "primary",
                &format!("e-{v}-x64-mac.zip"),
                false,
            ),
            file(
                v,
                "mac-x64",
                "attachment",
                &format!("E_{v}_x64.app.tar.gz"),
                true,
            ),
            file(
                v,
                "win-x64",
                "primary",
                &format!("E_{v}_x64-setup.exe"),
                signed_exe,
            ),
            file(
                v,
                "linux-x64",
                "primary",
                &format!("e_{v}_amd64.AppImage"),
                false,
            ),
        ]
    };
    serde_json::from_value(json!({
            "schema_version": 1,
            "app": {"id": "desktop-editor", "name": "Desktop Editor", "platform": "macos",
                "versioning": "semver", "policy": {"min_version": "1.1.0"},
                "architectures": [
                    {"key": "mac-arm64", "name": "a", "default": true},
                    {"key": "mac-x64", "name": "b", "order": 1},
                    {"key": "win-x64", "name": "c", "platform": "windows", "order": 2},
                    {"key": "linux-x64", "name": "d", "platform": "linux", "cpu": "x86_64", "order": 3}],
                "channels": [{"key": "stable", "name": "Stable"}],
                "protocols": {"toolsetlink": {"tauri_key": "T", "electron_key": "E"}}},
            "default_channel": "stable", "default_arch": "mac-arm64",
            "releases": [
                release("1.2.0", 1_002_000, 3, 25, "prompt",
                    vec![file("1.2.0", "win-x64", "primary", "E_1.2.0_x64-setup.exe", false)]),
                release("1.1.0", 1_001_000, 2, 100, "force", desktop("1.1.0", true)),
                release("1.0.0", 1_000_000, 1, 100, "prompt", desktop("1.0.0", true)),
            ],
        }))
        .expect("edge app")
}

fn check(updater: Updater, query: &str) -> UpdateCheck {
    parse_check(updater, query).expect("valid query")
}

/// A device id inside 1.2.0's 25% and one outside.
fn devices() -> (String, String) {
    let id = "desktop-editor/stable/1.2.0";
    let find = |inside: bool| {
        (0..1000)
            .map(|i| format!("dev-{i}"))
            .find(|d| (rollout::cohort(id, d) < 25) == inside)
            .expect("device")
    };
    (find(true), find(false))
}

#[test]
fn routes_are_exact_paths() {
    assert_eq!(
        Route::from_path("/v1/tauri/upgrade"),
        Some(Route::TauriUpgrade)
    );
    for p in [
        "/v1/electron/upgrade",
        "/v1/electron/upgrade/latest.yml",
        "/v1/electron/upgrade/latest-mac.yml",
        "/v1/electron/upgrade/latest-linux.yml",
        "/v1/electron/upgrade/latest-linux-arm64.yml",
    ] {
        assert_eq!(Route::from_path(p), Some(Route::ElectronUpgrade), "{p}");
    }
    assert_eq!(
        Route::from_path("/v1/electron/download"),
        Some(Route::Download(Updater::Electron))
    );
    assert_eq!(
        Route::from_path("/v1/tauri/download"),
        Some(Route::Download(Updater::Tauri))
    );
    assert_eq!(
        Route::from_path("/v1/electron/download.dmg"),
        Some(Route::ElectronFile("dmg", Platform::Macos))
    );
    assert_eq!(
        Route::from_path("/v1/electron/download.AppImage"),
        Some(Route::ElectronFile("AppImage", Platform::Linux))
    );
    for p in [
        "/v1/electron/download.appimage",
        "/v1/electron/download.msi",
        "/v1/tauri/download.exe",
        "/v1/electron/upgrade/",
        "/v1/electron/upgrade/beta.yml",
        "/v1/electron/upgradex",
        "/v1/tauri/upgrade/",
        "/v1/tauri/version",
    ] {
        assert_eq!(Route::from_path(p), None, "{p}");
    }
}

#[test]
fn check_queries_fail_in_upstreams_order() {
    let full = "tauriKey=T&target=darwin&arch=aarch64&versionName=1.0.0";
    let c = check(Updater::Tauri, full);
    assert_eq!(c.platform, Some(Platform::Macos));
    assert_eq!(c.cpu, Some(Cpu::Aarch64));
    assert_eq!(c.version, Version::new(1, 0, 0));
    for (query, want) in [
        ("", Error::FieldNotSet("tauriKey")),
        ("tauriKey=T", Error::FieldNotSet("target")),
        ("tauriKey=T&target=darwin", Error::FieldNotSet("arch")),
        (
            "tauriKey=T&target=darwin&arch=x",
            Error::FieldNotSet("versionName"),
        ),
        (
            "tauriKey=&target=&arch=&versionName=",
            Error::EmptyField("tauriKey"),
        ),
        (
            "tauriKey=T&target=&arch=&versionName=",
            Error::InvalidField("versionName"),
        ),
        (
            "tauriKey=T&target=&arch=&versionName=1.0",
            Error::InvalidField("versionName"),
        ),
        (
            "tauriKey=T&target=&arch=&versionName=1.0.0&appointVersionName=x",
            Error::InvalidField("appointVersionName"),
        ),
    ] {
        assert_eq!(parse_check(Updater::Tauri, query), Err(want), "{query}");
    }
    // Electron names the OS `platform`; Node's names are understood.
    assert_eq!(
        parse_check(
            Updater::Electron,
            "electronKey=E&target=darwin&arch=x64&versionName=1.0.0"
        ),
        Err(Error::FieldNotSet("platform"))
    );
    let c = check(
        Updater::Electron,
        "electronKey=E&platform=win32&arch=x64&versionName=v1.0.0-beta.1&devKey=d%201",
    );
    assert_eq!(
        (c.platform, c.cpu),
        (Some(Platform::Windows), Some(Cpu::X86_64))
    );
    assert_eq!(c.version, Version::parse("1.0.0-beta.1").expect("semver"));
    assert_eq!(c.version_name, "v1.0.0-beta.1");
    assert_eq!(c.dev_key.as_deref(), Some("d 1"));
    // Unknown names are no error: nothing matches them.
    let c = check(
        Updater::Tauri,
        "tauriKey=T&target=beos&arch=m68k&versionName=1.0.0",
    );
    assert_eq!((c.platform, c.cpu), (None, None));
}

#[test]
fn keys_resolve_only_for_their_updater() {
    let mut lookup = EdgeLookup::default();
    for (key, field) in [("T", "tauriKey"), ("E", "electronKey"), ("F", "fileKey")] {
        lookup.toolsetlink.insert(
            key.to_owned(),
            ToolsetlinkRef {
                app: AppId::new("desktop-editor").expect("id"),
                field: field.to_owned(),
            },
        );
    }
    assert!(resolve(&lookup, Updater::Tauri, "T").is_ok());
    assert!(resolve(&lookup, Updater::Electron, "E").is_ok());
    for (u, key) in [
        (Updater::Tauri, "E"),
        (Updater::Electron, "T"),
        (Updater::Tauri, "F"),
    ] {
        assert_eq!(
            resolve(&lookup, u, key),
            Err(Error::UpdaterAppNotFound(u)),
            "{key}"
        );
    }
    assert_eq!(
        Error::UpdaterAppNotFound(Updater::Tauri).message(),
        "请求tauri应用不存在"
    );
    assert_eq!(Error::UpdaterAppNotFound(Updater::Electron).status(), 404);
    assert_eq!(
        Error::EmptyField("tauriKey").message(),
        "请求参数tauriKey不能为空"
    );
    assert_eq!(Error::EmptyField("tauriKey").code(), 400_003);
}

#[test]
fn tauri_offers_the_newest_signed_bundle_for_the_platform() {
    let app = app();
    let q = |t: &str, a: &str, v: &str| {
        check(
            Updater::Tauri,
            &format!("tauriKey=T&target={t}&arch={a}&versionName={v}"),
        )
    };
    let up = tauri_upgrade(&app, &q("darwin", "aarch64", "1.0.0"), ORIGIN).expect("update");
    assert_eq!(
        up,
        TauriUpdate {
            version: "1.1.0".into(),
            pub_date: "2026-02-01T10:00:00Z".into(),
            url: format!("{ORIGIN}/artifacts/desktop-editor/1.1.0/E_1.1.0_aarch64.app.tar.gz"),
            signature: SIG.into(),
            notes: "notes 1.1.0".into(),
            upgrade_type: 3,
        }
    );
    let intel = tauri_upgrade(&app, &q("darwin", "x86_64", "v1.0.0"), ORIGIN).expect("update");
    assert!(
        intel.url.ends_with("E_1.1.0_x64.app.tar.gz"),
        "{}",
        intel.url
    );
    // Up to date, a processor without builds, an unknown OS, Linux (only unsigned files):
    // no update.
    for c in [
        q("darwin", "aarch64", "1.1.0"),
        q("darwin", "aarch64", "2.0.0"),
        q("darwin", "i686", "1.0.0"),
        q("beos", "x86_64", "1.0.0"),
        q("linux", "x86_64", "1.0.0"),
    ] {
        assert_eq!(tauri_upgrade(&app, &c, ORIGIN), None, "{c:?}");
    }
    // A pre-release of 1.1.0 is below 1.1.0 (SemVer), so it is offered.
    let pre = tauri_upgrade(&app, &q("darwin", "aarch64", "1.1.0-rc.1"), ORIGIN);
    assert_eq!(pre.map(|u| u.version).as_deref(), Some("1.1.0"));
}

#[test]
fn tauri_places_devices_in_rollouts_and_skips_unsigned_releases() {
    let app = app();
    let (inside, _) = devices();
    // 1.2.0 is in the device's cohort but its Windows file is unsigned: 1.1.0, else none.
    let q = |v: &str| {
        check(
            Updater::Tauri,
            &format!("tauriKey=T&target=windows&arch=x86_64&versionName={v}&devKey={inside}"),
        )
    };
    assert_eq!(
        tauri_upgrade(&app, &q("1.0.0"), ORIGIN)
            .map(|u| u.version)
            .as_deref(),
        Some("1.1.0")
    );
    assert_eq!(tauri_upgrade(&app, &q("1.1.0"), ORIGIN), None);
}

#[test]
fn appointed_versions_are_exact_without_fallback() {
    let app = app();
    let q = |appoint: &str| {
        check(
            Updater::Tauri,
            &format!(
                "tauriKey=T&target=darwin&arch=aarch64&versionName=0.9.0&appointVersionName={appoint}"
            ),
        )
    };
    let one = tauri_upgrade(&app, &q("1.0.0"), ORIGIN).expect("1.0.0");
    assert_eq!(one.version, "1.0.0");
    // 0.9.0 is below min_version 1.1.0: forced.
    assert_eq!(one.upgrade_type, 3);
    assert_eq!(tauri_upgrade(&app, &q("1.0.1"), ORIGIN), None);
}

#[test]
fn electron_offers_files_with_sha512_and_rollouts_by_dev_key() {
    let app = app();
    let (inside, outside) = devices();
    let q = |p: &str, a: &str, v: &str, dev: &str| {
        check(
            Updater::Electron,
            &format!("electronKey=E&platform={p}&arch={a}&versionName={v}&devKey={dev}"),
        )
    };
    let win = electron_upgrade(&app, &q("win32", "x64", "1.1.0", &inside), ORIGIN);
    assert_eq!(win.version, "1.2.0");
    assert_eq!(win.upgrade_type, 1);
    assert_eq!(
        win.files,
        [ElectronFile {
            url: format!("{ORIGIN}/artifacts/desktop-editor/1.2.0/E_1.2.0_x64-setup.exe"),
            sha512: "sha512-of-E_1.2.0_x64-setup.exe".into(),
            size: 50,
        }]
    );
    let out = electron_upgrade(&app, &q("win32", "x64", "1.1.0", &outside), ORIGIN);
    assert_eq!((out.version.as_str(), out.files.len()), ("1.1.0", 0));
    assert_eq!(out.upgrade_type, 0);
    // macOS: the zip of the client's processor; Linux: the AppImage.
    let mac = electron_upgrade(&app, &q("darwin", "arm64", "1.0.0", ""), ORIGIN);
    assert_eq!(mac.version, "1.1.0");
    assert_eq!(mac.release_date, "2026-02-01T10:00:00.000Z");
    assert_eq!(mac.upgrade_type, 3);
    let names: Vec<&str> = mac
        .files
        .iter()
        .map(|f| f.url.rsplit('/').next().unwrap_or(""))
        .collect();
    assert_eq!(names, ["e-1.1.0-arm64-mac.zip"]);
    let linux = electron_upgrade(&app, &q("linux", "x64", "1.0.0", ""), ORIGIN);
    assert!(linux.files[0].url.ends_with("e_1.1.0_amd64.AppImage"));
    assert!(
        electron_upgrade(&app, &q("linux", "arm64", "1.0.0", ""), ORIGIN)
            .files
            .is_empty()
    );
}

#[test]
fn electron_yaml_quotes_every_string() {
    let up = ElectronUpdate {
        version: "1.1.0".into(),
        files: vec![ElectronFile {
            url: "https://u.example/a b.zip".into(),
            sha512: "abc=".into(),
            size: 7,
        }],
        release_date: "2026-02-01T10:00:00.000Z".into(),
        release_notes: "Fix: \"quotes\"\nand lines".into(),
        upgrade_type: 3,
        prompt_upgrade_content: "提示".into(),
    };
    assert_eq!(
        up.to_yaml(),
        "version: \"1.1.0\"\nfiles:\n  - url: \"https://u.example/a b.zip\"\n    sha512: \"abc=\"\n    size: 7\n\
             path: \"https://u.example/a b.zip\"\nsha512: \"abc=\"\nreleaseDate: \"2026-02-01T10:00:00.000Z\"\n\
             releaseNotes: \"Fix: \\\"quotes\\\"\\nand lines\"\nupgradeType: 3\npromptUpgradeContent: \"提示\"\n"
    );
    let none = ElectronUpdate {
        version: "1.1.0".into(),
        files: Vec::new(),
        release_date: String::new(),
        release_notes: String::new(),
        upgrade_type: 0,
        prompt_upgrade_content: String::new(),
    };
    assert_eq!(
        none.to_yaml(),
        "version: \"1.1.0\"\nfiles: []\npath: \"\"\nsha512: \"\"\nreleaseDate: \"\"\nupgradeType: 0\npromptUpgradeContent: \"\"\n"
    );
}

#[test]
fn download_queries() {
    let d = parse_download(
        Updater::Tauri,
        "tauriKey=T&versionCode=1001000&target=darwin&arch=aarch64",
    )
    .expect("valid");
    assert_eq!(
        d,
        UpdaterDownload {
            key: "T".into(),
            version_code: 1_001_000,
            version_id: 0,
            platform: Some("darwin".into()),
            arch: Some("aarch64".into()),
            download_type: 1,
        }
    );
    for (query, want) in [
        ("", Error::FieldNotSet("electronKey")),
        ("electronKey=", Error::EmptyField("electronKey")),
        (
            "electronKey=E&versionCode=x",
            Error::FieldTypeMismatch("versionCode"),
        ),
        (
            "electronKey=E&versionId=1.5",
            Error::FieldTypeMismatch("versionId"),
        ),
        ("electronKey=E&versionCode=-1", Error::InvalidVersionCode),
        (
            "electronKey=E&downloadType=zip",
            Error::FieldTypeMismatch("downloadType"),
        ),
    ] {
        assert_eq!(
            parse_download(Updater::Electron, query),
            Err(want),
            "{query}"
        );
    }
}

#[test]
fn downloads_pick_the_release_and_the_updaters_file() {
    let app = app();
    let get = |u: Updater, q: &str| {
        let d = parse_download(u, q).expect("valid");
        download_target(&app, u, &d, ORIGIN)
    };
    let tail = |r: Result<String, Error>| r.map(|u| u.rsplit('/').next().unwrap_or("").to_owned());
    // Newest fully rolled out (1.2.0 is staged), default architecture first.
    assert_eq!(
        tail(get(Updater::Tauri, "tauriKey=T")).as_deref(),
        Ok("E_1.1.0_aarch64.app.tar.gz")
    );
    assert_eq!(
        tail(get(
            Updater::Tauri,
            "tauriKey=T&target=windows&arch=x86_64&versionCode=1000000"
        ))
        .as_deref(),
        Ok("E_1.0.0_x64-setup.exe")
    );
    // Named releases may still be rolling out; an unsigned file is no Tauri download.
    assert_eq!(
        get(
            Updater::Tauri,
            "tauriKey=T&target=windows&arch=x86_64&versionId=3"
        ),
        Err(Error::NoVersion)
    );
    assert_eq!(
        tail(get(
            Updater::Electron,
            "electronKey=E&platform=win32&arch=x64&versionId=3"
        ))
        .as_deref(),
        Ok("E_1.2.0_x64-setup.exe")
    );
    assert_eq!(
        tail(get(Updater::Electron, "electronKey=E&platform=linux")).as_deref(),
        Ok("e_1.1.0_amd64.AppImage")
    );
    assert_eq!(
        tail(get(
            Updater::Electron,
            "electronKey=E&platform=darwin&arch=x64&downloadType=2"
        ))
        .as_deref(),
        Ok("e-1.1.0-x64-mac.zip")
    );
    let file = |q: &str, ext: &'static str| {
        let d = parse_download(Updater::Electron, q).expect("valid");
        let entry = electron_download_file(&format!("/v1/electron/download.{ext}")).expect("route");
        tail(electron_file_target(&app, &d, entry, ORIGIN))
    };
    assert_eq!(
        file("electronKey=E", "exe").as_deref(),
        Ok("E_1.1.0_x64-setup.exe")
    );
    assert_eq!(
        file("electronKey=E&arch=x64", "zip").as_deref(),
        Ok("e-1.1.0-x64-mac.zip")
    );
    assert_eq!(
        file("electronKey=E&versionCode=1000000", "AppImage").as_deref(),
        Ok("e_1.0.0_amd64.AppImage")
    );
    // The example has no dmg; the query's OS wins over the extension's.
    assert_eq!(file("electronKey=E", "dmg"), Err(Error::NoVersion));
    assert_eq!(
        file("electronKey=E&platform=linux", "exe"),
        Err(Error::NoVersion)
    );
    for q in [
        "electronKey=E&platform=beos",
        "electronKey=E&platform=linux&arch=arm64",
        "electronKey=E&versionCode=42",
    ] {
        assert_eq!(get(Updater::Electron, q), Err(Error::NoVersion), "{q}");
    }
}
