use super::*;
use std::collections::BTreeSet;

fn id(method: &str, path: &str) -> Option<(RouteId, Vec<&'static str>)> {
    // Leak the path so that params can outlive the call in this table-driven test.
    let path: &'static str = Box::leak(path.to_owned().into_boxed_str());
    match route(method, path) {
        Match::Route { route, params } => Some((route.id, params)),
        _ => None,
    }
}

fn miss(method: &str, path: &str) -> (u16, Option<Envelope>, String) {
    match route(method, path) {
        Match::Miss {
            miss,
            envelope,
            allow,
        } => (miss.status(), Some(envelope), allow),
        Match::Static => (0, None, String::new()),
        Match::Route { route, .. } => panic!("{method} {path} routed to {route:?}"),
    }
}

#[test]
fn routes_match_with_params_and_literals_first() {
    let cases: &[(&str, &str, RouteId, &[&str])] = &[
        ("GET", "/api/apps", Id::ZealotApps, &[]),
        ("HEAD", "/api/apps", Id::ZealotApps, &[]),
        ("get", "/api/apps/versions", Id::ZealotVersions, &[]),
        ("GET", "/api/apps/latest", Id::ZealotLatest, &[]),
        (
            "GET",
            "/api/apps/version_exist",
            Id::ZealotVersionExist,
            &[],
        ),
        ("GET", "/api/apps/2", Id::ZealotApp, &["2"]),
        ("GET", "/api/apps/", Id::ZealotApp, &[""]),
        (
            "GET",
            "/api/apps/2/releases/3/install",
            Id::ZealotInstall,
            &["2", "3"],
        ),
        ("POST", "/api/v1/check", Id::HotCheck, &[]),
        ("GET", "/api/v1/check", Id::HotCheckGet, &[]),
        (
            "GET",
            "/api/version-artifacts/a%20b/download",
            Id::HotDownload,
            &["a%20b"],
        ),
        (
            "POST",
            "/api/v1/apps/x/update/check",
            Id::LicenseCheck,
            &["x"],
        ),
        (
            "GET",
            "/api/v1/apps/x/update/package/1.0.0",
            Id::LicensePackage,
            &["x", "1.0.0"],
        ),
        ("POST", "/v1/apk/upgrade", Id::ToolsetlinkUpgrade, &[]),
        ("GET", "/v1/file/download", Id::ToolsetlinkDownload, &[]),
        ("POST", "/v1/app/report", Id::ToolsetlinkReport, &[]),
        ("POST", "/v1/lnx/upgrade", Id::ToolsetlinkUpgrade, &[]),
        ("POST", "/v1/tauri/version", Id::ToolsetlinkVersion, &[]),
        (
            "GET",
            "/v1/app/statistics/info",
            Id::ToolsetlinkStatistics,
            &[],
        ),
        (
            "POST",
            "/v1/app/statistics/info",
            Id::ToolsetlinkStatistics,
            &[],
        ),
        ("GET", "/v1/tauri/upgrade", Id::ToolsetlinkUpdater, &[]),
        (
            "GET",
            "/v1/electron/upgrade/latest-mac.yml",
            Id::ToolsetlinkUpdater,
            &[],
        ),
        (
            "HEAD",
            "/v1/electron/download.AppImage",
            Id::ToolsetlinkUpdater,
            &[],
        ),
        (
            "GET",
            "/dl/b/f2c1/demo%201.ipa",
            Id::SignedDownload,
            &["b", "f2c1", "demo%201.ipa"],
        ),
        ("POST", "/api/v1/user/heartbeat", Id::TinyaiiHeartbeat, &[]),
        ("GET", "/metadata/timestamp.json", Id::TufTimestamp, &[]),
        ("GET", "//api/admin/stats", Id::AdminStats, &[]),
    ];
    for (m, p, want, params) in cases {
        assert_eq!(id(m, p), Some((*want, params.to_vec())), "{m} {p}");
    }
}

#[test]
fn wrong_method_is_405_with_allow_in_the_routes_envelope() {
    let cases: &[(&str, &str, Envelope, &str)] = &[
        ("POST", "/api/apps", Envelope::Zealot, "GET, HEAD"),
        ("DELETE", "/api/apps/2", Envelope::Zealot, "GET, HEAD"),
        ("POST", "/api/apps/upload", Envelope::Zealot, "GET, HEAD"),
        (
            "PUT",
            "/api/v1/check",
            Envelope::HotUpdate,
            "GET, HEAD, POST",
        ),
        ("GET", "/api/versions/latest", Envelope::HotUpdate, "POST"),
        (
            "GET",
            "/api/v1/apps/x/update/check",
            Envelope::License,
            "POST",
        ),
        (
            "POST",
            "/api/v1/apps/x/update/package/1.0.0",
            Envelope::License,
            "GET, HEAD",
        ),
        ("GET", "/v1/apk/upgrade", Envelope::Toolsetlink, "POST"),
        (
            "POST",
            "/v1/url/download",
            Envelope::Toolsetlink,
            "GET, HEAD",
        ),
        ("GET", "/api/v1/error/report", Envelope::Tinyaii, "POST"),
        (
            "POST",
            "/metadata/timestamp.json",
            Envelope::Generic,
            "GET, HEAD",
        ),
        ("BREW", "/api/admin/stats", Envelope::Generic, "GET, HEAD"),
    ];
    for (m, p, env, allow) in cases {
        assert_eq!(
            miss(m, p),
            (405, Some(*env), (*allow).to_owned()),
            "{m} {p}"
        );
    }
}

#[test]
fn unknown_paths_are_404_in_the_prefixs_envelope() {
    let cases: &[(&str, &str, Envelope)] = &[
        ("GET", "/api/apps/2/releases", Envelope::Zealot),
        ("GET", "/api/apps/versions/1.0", Envelope::Zealot),
        ("POST", "/api/v1/apps/x/update", Envelope::License),
        ("GET", "/api/v1/apps", Envelope::License),
        ("GET", "/api/v1/check/x", Envelope::HotUpdate),
        ("GET", "/api/versions", Envelope::HotUpdate),
        ("GET", "/api/version-artifacts/1", Envelope::HotUpdate),
        ("POST", "/api/v1/version/x", Envelope::Tinyaii),
        ("GET", "/api/v1/user", Envelope::Tinyaii),
        ("POST", "/v1/app/upgrade", Envelope::Toolsetlink),
        ("GET", "/v1", Envelope::Toolsetlink),
        ("GET", "/v1/", Envelope::Toolsetlink),
        ("GET", "/api", Envelope::Generic),
        ("GET", "/api/", Envelope::Generic),
        ("GET", "/api/v1/foo", Envelope::Generic),
        ("GET", "/api/admin", Envelope::Generic),
        ("GET", "/_edge/lookup.json", Envelope::Generic),
        ("PUT", "/_edge", Envelope::Generic),
        ("GET", "/dl/b/x", Envelope::Generic),
        (
            "GET",
            "/v1/electron/upgrade/latest-x.yml",
            Envelope::Toolsetlink,
        ),
        ("GET", "/v1/electron/download.msi", Envelope::Toolsetlink),
    ];
    for (m, p, env) in cases {
        assert_eq!(miss(m, p), (404, Some(*env), String::new()), "{m} {p}");
    }
}

/// The edge-only data is refused however the path spells `_edge`, existing file or not,
/// so the assets binding never sees it.
#[test]
fn edge_paths_are_refused_in_every_spelling() {
    for p in [
        "/_edge/apps/desktop-pro.json",
        "/%5Fedge/apps/desktop-pro.json",
        "/%5fedge/apps/desktop-pro.json",
        "/%5Fedge/apps/missing.json",
        "/%255Fedge/lookup.json",
        "/./_edge/lookup.json",
        "//_edge/lookup.json",
        "/%2F_edge/lookup.json",
        "/%2e/_edge/lookup.json",
        "/apps/%2e%2e/_edge/lookup.json",
        "/_EDGE/lookup.json",
        "/_Edge",
        "/%5F%65%64%67%65/artifacts/x",
        "/\\_edge/lookup.json",
    ] {
        assert!(is_edge_request(p), "{p}");
        for m in ["GET", "HEAD", "POST"] {
            assert_eq!(
                miss(m, p),
                (404, Some(Envelope::Generic), String::new()),
                "{m} {p}"
            );
        }
    }
    for p in ["/_edgey", "/apps/_edge/x", "/%5Fedgey", "/", "/edge"] {
        assert!(!is_edge_request(p), "{p}");
    }
}

/// Every answer of a credentialed route is `private, no-store`, but Zealot's, which
/// keep the header Zealot fixes; routes that check nothing keep their handlers'.
#[test]
fn credentialed_routes_are_private_no_store() {
    for r in ROUTES {
        let expected = match (r.auth, r.protocol) {
            (Auth::None, _) | (_, Protocol::Zealot) => None,
            _ => Some(PRIVATE_NO_STORE),
        };
        assert_eq!(
            r.cache_control(),
            expected,
            "{} {}",
            r.method.as_str(),
            r.path
        );
    }
    let by = |id| ROUTES.iter().find(|r| r.id == id).map(Route::cache_control);
    for id in [
        Id::HotCheck,
        Id::LicenseCheck,
        Id::LicensePackage,
        Id::LicenseDownload,
        Id::ToolsetlinkUpgrade,
        Id::TinyaiiVersionCheck,
        Id::AdminStats,
        Id::SignedDownload,
    ] {
        assert_eq!(by(id), Some(Some(PRIVATE_NO_STORE)), "{id:?}");
    }
    assert_eq!(by(Id::ZealotLatest), Some(None));
    assert_eq!(by(Id::TufTimestamp), Some(None));
}

/// Toolsetlink's handlers tell their endpoints apart by path: each path of the table
/// names one, and each endpoint's path is in the table, under the handler that takes it.
#[test]
fn toolsetlink_paths_agree_with_their_handlers() {
    use crate::toolsetlink::Endpoint;
    use crate::toolsetlink::updater::Route as Updater;
    for r in ROUTES
        .iter()
        .filter(|r| r.protocol == Protocol::Toolsetlink)
    {
        let known = match r.id {
            Id::ToolsetlinkUpgrade => Endpoint::from_upgrade_path(r.path).is_some(),
            Id::ToolsetlinkVersion => Endpoint::from_version_path(r.path).is_some(),
            Id::ToolsetlinkDownload => Endpoint::from_download_path(r.path).is_some(),
            Id::ToolsetlinkUpdater => Updater::from_path(r.path).is_some(),
            _ => true,
        };
        assert!(
            known,
            "{} {} names no endpoint of {:?}",
            r.method.as_str(),
            r.path,
            r.id
        );
    }
    let listed = |id: RouteId, path: &str| ROUTES.iter().any(|r| r.id == id && r.path == path);
    for e in Endpoint::ALL {
        assert!(listed(Id::ToolsetlinkVersion, e.version_path()), "{e:?}");
        if Endpoint::SIGNED_UPGRADE.contains(&e) {
            assert!(listed(Id::ToolsetlinkUpgrade, e.upgrade_path()), "{e:?}");
        } else {
            assert!(listed(Id::ToolsetlinkUpdater, e.upgrade_path()), "{e:?}");
        }
        if let Some(path) = e.download_path() {
            assert!(listed(Id::ToolsetlinkDownload, path), "{e:?}");
        }
    }
    for file in crate::toolsetlink::updater::ELECTRON_CHANNEL_FILES {
        let path = format!("/v1/electron/upgrade/{file}");
        assert!(listed(Id::ToolsetlinkUpdater, &path), "{path}");
    }
    for (ext, _) in crate::toolsetlink::updater::ELECTRON_DOWNLOAD_FILES {
        let path = format!("/v1/electron/download.{ext}");
        assert!(listed(Id::ToolsetlinkUpdater, &path), "{path}");
    }
}

#[test]
fn the_static_site_is_not_the_workers() {
    for (m, p) in [
        ("GET", "/"),
        ("GET", "/index.json"),
        ("POST", "/apps/ios-demo/"),
        ("GET", "/metadata/1.root.json"),
        ("PUT", "/metadata/timestamp.json.bak"),
        ("GET", "/apix"),
        ("GET", "/v1x/apk/upgrade"),
        ("GET", "/_edgey"),
    ] {
        assert_eq!(route(m, p), Match::Static, "{m} {p}");
    }
}

#[test]
fn envelopes_are_exact() {
    let nf = Miss::NotFound;
    let na = Miss::MethodNotAllowed;
    assert_eq!(
        Envelope::Zealot.body(nf, "t"),
        json!({"error": "API not found"})
    );
    assert_eq!(
        Envelope::Toolsetlink.body(nf, "abc"),
        json!({"code": 404_004, "msg": "Request not found", "docs": "", "traceId": "abc"})
    );
    assert_eq!(
        Envelope::Toolsetlink.body(na, ""),
        json!({"code": 405_001, "msg": "Method not allowed", "docs": "", "traceId": ""})
    );
    assert_eq!(
        Envelope::License.body(na, ""),
        json!({"code": "METHOD_NOT_ALLOWED", "message": "Method not allowed"})
    );
    assert_eq!(
        Envelope::Tinyaii.body(nf, ""),
        json!({"code": 404, "message": "接口不存在", "data": null})
    );
    assert_eq!(
        Envelope::Generic.body(na, ""),
        json!({"error": "method not allowed"})
    );
    assert_eq!((nf.status(), na.status()), (404, 405));
}

#[test]
fn every_route_is_unique_and_reachable() {
    let mut seen = BTreeSet::new();
    for r in ROUTES {
        assert!(
            seen.insert((r.method, r.path)),
            "{} {} twice",
            r.method.as_str(),
            r.path
        );
        assert!(r.path.starts_with('/'), "{}", r.path);
        // Each route is what a request for its own pattern (params filled in) reaches.
        let path: String = segments(r.path)
            .iter()
            .map(|s| if s.starts_with(':') { "p" } else { s })
            .fold(String::new(), |acc, s| acc + "/" + s);
        match route(r.method.as_str(), &path) {
            Match::Route { route, .. } => assert_eq!(route, r, "{path}"),
            m => panic!("{path}: {m:?}"),
        }
        // And its prefix's envelope is its protocol's.
        assert_eq!(
            envelope_for(r.path).unwrap_or(Envelope::Generic),
            r.protocol.envelope()
        );
    }
}

/// The table in `docs/protocols.md` (between the `routes:begin`/`routes:end` markers)
/// lists exactly [`ROUTES`]: method, path, protocol and auth, each route once.
#[test]
fn docs_table_equals_the_router() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/protocols.md"))
            .expect("docs/protocols.md");
    let table = docs
        .split("<!-- routes:begin -->")
        .nth(1)
        .and_then(|t| t.split("<!-- routes:end -->").next())
        .expect("routes markers in docs/protocols.md");
    let mut documented = Vec::new();
    for line in table.lines().map(str::trim).filter(|l| l.starts_with('|')) {
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().trim_matches('`').to_owned())
            .collect();
        if cells
            .first()
            .is_some_and(|c| c == "method" || c.starts_with("---"))
        {
            continue;
        }
        assert!(cells.len() >= 4, "short row: {line}");
        documented.push((
            cells[0].clone(),
            cells[1].clone(),
            cells[2].clone(),
            cells[3].clone(),
        ));
    }
    let code: Vec<(String, String, String, String)> = ROUTES
        .iter()
        .map(|r| {
            (
                r.method.as_str().to_owned(),
                r.path.to_owned(),
                r.protocol.label().to_owned(),
                r.auth.label().to_owned(),
            )
        })
        .collect();
    let docs_set: BTreeSet<_> = documented.iter().cloned().collect();
    let code_set: BTreeSet<_> = code.iter().cloned().collect();
    assert_eq!(
        docs_set.len(),
        documented.len(),
        "a route is documented twice"
    );
    let missing: Vec<_> = code_set.difference(&docs_set).collect();
    let extra: Vec<_> = docs_set.difference(&code_set).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "docs/protocols.md route table and routes::ROUTES differ\n  not documented: {missing:?}\n  not routed: {extra:?}"
    );
}
