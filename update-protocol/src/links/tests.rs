use super::*;
use serde_json::json;

const KEY: &[u8] = b"demo-download-link-key";
const ID: &str = "f2c16718084d2c7cbb29a8c8";
const NAME: &str = "demo-1.2.0-arm64-v8a.apk";
const EXPIRES: i64 = 1_800_000_000;

fn at(unix: i64) -> Timestamp {
    Timestamp::from_unix_millis(unix * 1000)
}

/// The query values of a signed path.
fn parts(path: &str) -> (String, String) {
    let q = path.split_once('?').expect("query").1;
    let get = |n: &str| {
        q.split('&')
            .find_map(|p| p.strip_prefix(&format!("{n}=")))
            .expect(n)
            .to_owned()
    };
    (get("expires"), get("sig"))
}

fn request<'a>(expires: &'a str, sig: &'a str) -> LinkRequest<'a> {
    LinkRequest {
        protocol: Protocol::HotUpdate,
        artifact_id: ID,
        name: NAME,
        expires: Some(expires),
        sig: Some(sig),
    }
}

#[test]
fn sign_then_verify_round_trips() {
    let path = signed_path(KEY, Protocol::HotUpdate, ID, NAME, EXPIRES);
    assert!(path.starts_with(&format!("/dl/a/{ID}/{NAME}?expires={EXPIRES}&sig=")));
    let (e, s) = parts(&path);
    assert_eq!(s.len(), 64);
    assert!(
        s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(request(&e, &s).verify(KEY, at(EXPIRES - 3600)), Ok(()));
}

#[test]
fn signature_is_hmac_sha256_of_the_message() {
    assert_eq!(
        message(Protocol::Toolsetlink, "id", "a b.zip", 7),
        "dl1\nd\nid\na b.zip\n7"
    );
    // RFC 4231 test case 2: key "Jefe", "what do ya want for nothing?".
    let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").expect("key");
    mac.update(b"what do ya want for nothing?");
    assert_eq!(
        to_hex(&mac.finalize().into_bytes()),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn expiry_edge() {
    let s = sign(KEY, Protocol::HotUpdate, ID, NAME, EXPIRES);
    let e = EXPIRES.to_string();
    assert_eq!(request(&e, &s).verify(KEY, at(EXPIRES - 1)), Ok(()));
    // Valid while now < expires, to the millisecond.
    let just_before = Timestamp::from_unix_millis(EXPIRES * 1000 - 1);
    assert_eq!(request(&e, &s).verify(KEY, just_before), Ok(()));
    for now in [EXPIRES, EXPIRES + 1, EXPIRES + 86_400] {
        assert_eq!(
            request(&e, &s).verify(KEY, at(now)),
            Err(Denied::Expired),
            "{now}"
        );
    }
}

#[test]
fn rejects_altered_id_name_and_protocol() {
    let s = sign(KEY, Protocol::HotUpdate, ID, NAME, EXPIRES);
    let e = EXPIRES.to_string();
    let now = at(EXPIRES - 10);
    let base = request(&e, &s);
    for altered in [
        LinkRequest {
            artifact_id: "a8f99105de136518b50b648f",
            ..base
        },
        LinkRequest {
            name: "other.apk",
            ..base
        },
        LinkRequest {
            protocol: Protocol::Zealot,
            ..base
        },
    ] {
        assert_eq!(altered.verify(KEY, now), Err(Denied::BadSignature));
    }
}

#[test]
fn rejects_altered_expiry() {
    let s = sign(KEY, Protocol::HotUpdate, ID, NAME, EXPIRES);
    let now = at(EXPIRES - 10);
    let later = (EXPIRES + 3600).to_string();
    assert_eq!(
        request(&later, &s).verify(KEY, now),
        Err(Denied::BadSignature)
    );
    // Only the canonical spelling of the number.
    let padded = format!("0{EXPIRES}");
    for bad in [
        "",
        "-1",
        "+1800000000",
        "18e8",
        "1800000000.0",
        "9999999999999",
        &padded,
    ] {
        assert_eq!(
            request(bad, &s).verify(KEY, now),
            Err(Denied::Malformed),
            "{bad:?}"
        );
    }
}

#[test]
fn rejects_altered_or_missing_signature() {
    let s = sign(KEY, Protocol::HotUpdate, ID, NAME, EXPIRES);
    let e = EXPIRES.to_string();
    let now = at(EXPIRES - 10);
    let mut flipped = s.clone().into_bytes();
    flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
    let flipped = String::from_utf8(flipped).expect("ascii");
    assert_eq!(
        request(&e, &flipped).verify(KEY, now),
        Err(Denied::BadSignature)
    );
    assert_eq!(
        request(&e, &s.to_ascii_uppercase()).verify(KEY, now),
        Err(Denied::BadSignature)
    );
    for bad in ["", &s[..63]] {
        assert_eq!(request(&e, bad).verify(KEY, now), Err(Denied::Malformed));
    }
    let none = LinkRequest {
        sig: None,
        ..request(&e, &s)
    };
    assert_eq!(none.verify(KEY, now), Err(Denied::Malformed));
    let none = LinkRequest {
        expires: None,
        ..request(&e, &s)
    };
    assert_eq!(none.verify(KEY, now), Err(Denied::Malformed));
}

#[test]
fn rejects_another_deployments_key() {
    let s = sign(
        b"another-deployment",
        Protocol::HotUpdate,
        ID,
        NAME,
        EXPIRES,
    );
    let e = EXPIRES.to_string();
    assert_eq!(
        request(&e, &s).verify(KEY, at(EXPIRES - 10)),
        Err(Denied::BadSignature)
    );
}

#[test]
fn protocol_tags_round_trip() {
    for p in [
        Protocol::HotUpdate,
        Protocol::Zealot,
        Protocol::Toolsetlink,
        Protocol::Tinyaii,
    ] {
        assert_eq!(Protocol::from_tag(p.tag()), Some(p));
    }
    // C keeps its license-checked route: no links are issued for it.
    for t in ["c", "", "A", "ab"] {
        assert_eq!(Protocol::from_tag(t), None);
    }
}

fn app(visibility: &str) -> (EdgeApp, Artifact) {
    let a: Artifact = serde_json::from_value(json!({
        "id": ID, "arch": "x64", "role": "primary", "name": "Pro_Setup+1.0.exe", "size": 3,
        "sha256": "00".repeat(32), "url": "/_edge/artifacts/p/1.0/00.Pro_Setup+1.0.exe",
    }))
    .expect("artifact");
    let app: EdgeApp = serde_json::from_value(json!({
        "schema_version": 1,
        "app": { "id": "p", "name": "P", "platform": "windows", "visibility": visibility,
                 "channels": [{ "key": "stable", "name": "Stable" }] },
        "default_channel": "stable", "default_arch": "x64", "releases": [],
    }))
    .expect("app");
    (app, a)
}

#[test]
fn public_files_keep_their_static_urls() {
    let (app, mut a) = app("public");
    a.url = "/artifacts/p/1.0/00.x.exe".into();
    for links in [
        Links::new("https://u.example/", Protocol::Tinyaii, Some("k"), at(0)),
        Links::new("https://u.example", Protocol::Tinyaii, None, at(0)),
        Links::public_only("https://u.example"),
    ] {
        assert_eq!(
            links.file_url(&app, &a),
            Ok("https://u.example/artifacts/p/1.0/00.x.exe".to_owned())
        );
    }
    a.url = "https://cdn.example/x.exe".into();
    let links = Links::new("https://u.example", Protocol::Tinyaii, None, at(0));
    assert_eq!(
        links.file_url(&app, &a),
        Ok("https://cdn.example/x.exe".to_owned())
    );
}

#[test]
fn private_files_get_signed_links_or_none() {
    let (app, mut a) = app("private");
    let now = at(1_700_000_000);
    let links = Links::new("https://u.example/", Protocol::Zealot, Some("k"), now);
    let expires = 1_700_000_000 + LINK_TTL_SECONDS;
    let path = signed_path(b"k", Protocol::Zealot, ID, "Pro_Setup+1.0.exe", expires);
    assert_eq!(
        links.file_url(&app, &a),
        Ok(format!("https://u.example{path}"))
    );
    assert!(path.contains("/Pro_Setup%2B1.0.exe?"));
    // An external file of a private app is never handed out as is.
    a.url = "https://cdn.example/secret.exe".into();
    let url = links.file_url(&app, &a).expect("signed");
    assert!(url.starts_with("https://u.example/dl/b/") && !url.contains("cdn.example"));
    assert_eq!(
        Links::new("https://u.example", Protocol::Zealot, None, now).file_url(&app, &a),
        Err(LinkError::NoKey)
    );
    assert_eq!(
        Links::new("https://u.example", Protocol::Zealot, Some(""), now).file_url(&app, &a),
        Err(LinkError::NoKey)
    );
    assert_eq!(
        Links::public_only("https://u.example").file_url(&app, &a),
        Err(LinkError::Refused)
    );
    let debug = format!(
        "{:?}",
        Links::new("o", Protocol::Zealot, Some("s3cr3t"), now)
    );
    assert!(!debug.contains("s3cr3t"), "{debug}");
}

#[test]
fn route_links_sign_the_path_and_are_no_download_links() {
    let (private, a) = app("private");
    let (public, _) = app("public");
    let now = at(1_700_000_000);
    let links = Links::new("https://u.example", Protocol::Zealot, Some("k"), now);
    let path = "/api/apps/2/releases/3/install";
    assert_eq!(
        links.route_url(&public, path),
        Ok(format!("https://u.example{path}"))
    );
    let url = links.route_url(&private, path).expect("signed");
    let expires = (1_700_000_000 + LINK_TTL_SECONDS).to_string();
    let (e, sig) = parts(&url);
    assert_eq!(e, expires);
    assert_eq!(sig, mac_hex(b"k", &format!("route1\nb\n{path}\n{expires}")));
    let request = |path, sig| RouteRequest {
        protocol: Protocol::Zealot,
        path,
        expires: Some(&e),
        sig: Some(sig),
    };
    assert_eq!(request(path, &sig).verify(b"k", now), Ok(()));
    assert_eq!(
        request("/api/apps/2/releases/1/install", &sig).verify(b"k", now),
        Err(Denied::BadSignature)
    );
    assert_eq!(
        request(path, &sig).verify(b"other", now),
        Err(Denied::BadSignature)
    );
    assert_eq!(
        request(path, &sig).verify(b"k", at(1_700_000_000 + LINK_TTL_SECONDS)),
        Err(Denied::Expired)
    );
    // The same signature does not open a download, whatever it names.
    let download = LinkRequest {
        protocol: Protocol::Zealot,
        artifact_id: &a.id,
        name: a.name.as_str(),
        expires: Some(&e),
        sig: Some(&sig),
    };
    assert_eq!(download.verify(b"k", now), Err(Denied::BadSignature));
    assert_eq!(
        Links::public_only("https://u.example").route_url(&private, path),
        Err(LinkError::Refused)
    );
}
