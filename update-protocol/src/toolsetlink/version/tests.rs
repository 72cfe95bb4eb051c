use super::*;
use crate::toolsetlink::tests::{REMOTE_CONFIG, demo, desktop};
use serde_json::json;

fn parse(e: Endpoint, body: &Value) -> Result<VersionRequest, Error> {
    parse_version(e, body.to_string().as_bytes())
}

fn client(platform: Platform, cpu: Cpu, target: &str, arch: &str) -> Option<Client> {
    Some(Client {
        platform,
        cpu,
        target: target.into(),
        arch: arch.into(),
    })
}

#[test]
fn parses_every_kind_of_body() {
    let ok = [
        (
            Endpoint::Url,
            json!({"urlKey": "k", "versionCode": 3, "x": 1}),
            NamedVersion::Code(3),
            None,
        ),
        (
            Endpoint::Configuration,
            json!({"configurationKey": "k", "versionCode": 0}),
            NamedVersion::Code(0),
            None,
        ),
        (
            Endpoint::Win,
            json!({"winKey": "k", "versionCode": 1000000, "arch": "x64"}),
            NamedVersion::Code(1_000_000),
            client(Platform::Windows, Cpu::X86_64, "", "x64"),
        ),
        (
            Endpoint::Lnx,
            json!({"lnxKey": "k", "arch": "amd64", "versionCode": 1}),
            NamedVersion::Code(1),
            client(Platform::Linux, Cpu::X86_64, "", "amd64"),
        ),
        (
            Endpoint::Tauri,
            json!({"tauriKey": "k", "versionName": "v1.1.0", "target": "darwin", "arch": "aarch64"}),
            NamedVersion::Name("v1.1.0".into()),
            client(Platform::Macos, Cpu::Aarch64, "darwin", "aarch64"),
        ),
        (
            Endpoint::Electron,
            json!({"electronKey": "k", "versionName": "1.0.0", "platform": "win32", "arch": "x64"}),
            NamedVersion::Name("1.0.0".into()),
            client(Platform::Windows, Cpu::X86_64, "win32", "x64"),
        ),
    ];
    for (e, body, version, client) in ok {
        assert_eq!(
            parse(e, &body),
            Ok(VersionRequest {
                key: "k".into(),
                version,
                client
            }),
            "{body}"
        );
    }
    let err = [
        (
            Endpoint::Apk,
            json!({"versionCode": 1}),
            Error::FieldNotSet("apkKey"),
        ),
        (
            Endpoint::Apk,
            json!({"apkKey": "k"}),
            Error::FieldNotSet("versionCode"),
        ),
        (
            Endpoint::File,
            json!({"fileKey": "k", "versionCode": "1"}),
            Error::FieldTypeMismatch("versionCode"),
        ),
        (
            Endpoint::Mac,
            json!({"macKey": "k", "versionCode": 1}),
            Error::FieldNotSet("arch"),
        ),
        (
            Endpoint::Mac,
            json!({"macKey": "k", "arch": "x64"}),
            Error::FieldNotSet("versionCode"),
        ),
        (
            Endpoint::Lnx,
            json!({"lnxKey": "k", "versionCode": 1}),
            Error::FieldNotSet("arch"),
        ),
        (
            Endpoint::Lnx,
            json!({"lnxKey": "k", "arch": "x64"}),
            Error::FieldNotSet("versionCode"),
        ),
        (
            Endpoint::Tauri,
            json!({"tauriKey": "k", "target": "linux", "arch": "x86_64"}),
            Error::FieldNotSet("versionName"),
        ),
        (
            Endpoint::Tauri,
            json!({"tauriKey": "k", "versionName": "1.0.0", "arch": "x86_64"}),
            Error::FieldNotSet("target"),
        ),
        (
            Endpoint::Electron,
            json!({"electronKey": "k", "versionName": "1.0.0", "target": "linux", "arch": "x64"}),
            Error::FieldNotSet("platform"),
        ),
        (
            Endpoint::Electron,
            json!({"electronKey": "k", "versionName": "1.0.0", "platform": "linux"}),
            Error::FieldNotSet("arch"),
        ),
        (
            Endpoint::Electron,
            json!({"electronKey": "k", "versionName": 1, "platform": "linux", "arch": "x64"}),
            Error::FieldTypeMismatch("versionName"),
        ),
        (
            Endpoint::Url,
            json!({"urlKey": "", "versionCode": -1}),
            Error::EmptyKey(Endpoint::Url),
        ),
        (
            Endpoint::Url,
            json!({"urlKey": "k", "versionCode": -1}),
            Error::InvalidVersionCode,
        ),
        (
            Endpoint::Win,
            json!({"winKey": "k", "versionCode": 1, "arch": "sparc"}),
            Error::InvalidField("arch"),
        ),
        (
            Endpoint::Tauri,
            json!({"tauriKey": "k", "versionName": "", "target": "x", "arch": "y"}),
            Error::InvalidField("versionName"),
        ),
        (
            Endpoint::Tauri,
            json!({"tauriKey": "k", "versionName": "1.0.0", "target": "android", "arch": "y"}),
            Error::InvalidField("target"),
        ),
        (
            Endpoint::Electron,
            json!({"electronKey": "k", "versionName": "1.0.0", "platform": "freebsd", "arch": "x64"}),
            Error::InvalidField("platform"),
        ),
        (
            Endpoint::Electron,
            json!({"electronKey": "k", "versionName": "1.0.0", "platform": "linux", "arch": "mips"}),
            Error::InvalidField("arch"),
        ),
        (Endpoint::Url, json!([1]), Error::BodyInvalid),
    ];
    for (e, body, want) in err {
        assert_eq!(parse(e, &body).err(), Some(want), "{e:?} {body}");
    }
    assert_eq!(
        parse_version(Endpoint::Url, b"").err(),
        Some(Error::BodyInvalid)
    );
    let big = vec![b' '; MAX_BODY_BYTES + 1];
    assert_eq!(
        parse_version(Endpoint::Url, &big).err(),
        Some(Error::BodyTooLarge)
    );
}

/// (versionName, versionCode) of the answer, or the error.
fn found(app: &EdgeApp, e: Endpoint, body: &Value) -> Result<(String, i64), Error> {
    let req = parse(e, body).expect("parses");
    version_info(app, e, &req).map(|a| (a.data.version_name, a.data.version_code))
}

#[test]
fn finds_the_named_release() {
    let app = desktop();
    let v = |name: &str, code| Ok((name.to_owned(), code));
    let cases = [
        (
            Endpoint::Win,
            json!({"winKey": "W", "versionCode": 1002000, "arch": "x64"}),
            v("1.2.0", 1_002_000),
        ),
        (
            Endpoint::Win,
            json!({"winKey": "W", "versionCode": 1002000, "arch": "arm64"}),
            Err(Error::VersionNotFound),
        ),
        (
            Endpoint::Win,
            json!({"winKey": "W", "versionCode": 0, "arch": "x64"}),
            v("1.1.0", 1_001_000),
        ),
        (
            Endpoint::Win,
            json!({"winKey": "W", "versionCode": 1000001, "arch": "x64"}),
            Err(Error::VersionNotFound),
        ),
        (
            Endpoint::Mac,
            json!({"macKey": "M", "versionCode": 1002000, "arch": "arm64"}),
            Err(Error::VersionNotFound),
        ),
        (
            Endpoint::Mac,
            json!({"macKey": "M", "versionCode": 1000000, "arch": "x64"}),
            v("1.0.0", 1_000_000),
        ),
        (
            Endpoint::Lnx,
            json!({"lnxKey": "L", "arch": "x64", "versionCode": 1001000}),
            v("1.1.0", 1_001_000),
        ),
        (
            Endpoint::Tauri,
            json!({"tauriKey": "T", "versionName": "v1.1.0", "target": "darwin", "arch": "aarch64"}),
            v("1.1.0", 1_001_000),
        ),
        (
            Endpoint::Tauri,
            json!({"tauriKey": "T", "versionName": "1.2.0", "target": "windows", "arch": "x86_64"}),
            v("1.2.0", 1_002_000),
        ),
        (
            Endpoint::Tauri,
            json!({"tauriKey": "T", "versionName": "1.2.0", "target": "linux", "arch": "x86_64"}),
            Err(Error::VersionNotFound),
        ),
        (
            Endpoint::Electron,
            json!({"electronKey": "E", "versionName": "1.0.0", "platform": "linux", "arch": "x64"}),
            v("1.0.0", 1_000_000),
        ),
        (
            Endpoint::Electron,
            json!({"electronKey": "E", "versionName": "1.0", "platform": "linux", "arch": "x64"}),
            Err(Error::VersionNotFound),
        ),
    ];
    for (e, body, want) in cases {
        assert_eq!(found(&app, e, &body), want, "{body}");
    }
    // apk: a file of the default architecture; yanked releases never; staged ones by name.
    let android = demo();
    for (code, want) in [
        (140, v("1.4.0", 140)),
        (130, Err(Error::VersionNotFound)),
        (110, v("1.1.0", 110)),
        (0, v("1.2.0", 120)),
        (111, Err(Error::VersionNotFound)),
    ] {
        let body = json!({"apkKey": "A", "versionCode": code});
        assert_eq!(found(&android, Endpoint::Apk, &body), want, "{code}");
    }
    // Configurations need no file; url and file apps do.
    let config: EdgeApp = serde_json::from_str(REMOTE_CONFIG).expect("fixture");
    let body = |k: &str| json!({k: "C", "versionCode": 1});
    assert_eq!(
        found(&config, Endpoint::Configuration, &body("configurationKey")),
        v("v1", 1)
    );
    assert_eq!(
        found(&config, Endpoint::Url, &body("urlKey")),
        Err(Error::VersionNotFound)
    );
}

#[test]
fn answer_shapes() {
    let mut app = desktop();
    app.app.bundle_id = Some("com.example.editor".into());
    let json = |e, body: Value| {
        let a = version_info(&app, e, &parse(e, &body).expect("parses")).expect("found");
        serde_json::to_string(&a).expect("json")
    };
    let answer =
        |data: &str| format!(r#"{{"code":200,"msg":"获取到版本信息","docs":"","data":{data}}}"#);
    assert_eq!(
        json(
            Endpoint::Lnx,
            json!({"lnxKey": "L", "arch": "x64", "versionCode": 1000000})
        ),
        answer(
            r#"{"lnxKey":"L","packageName":"com.example.editor","versionName":"1.0.0","versionCode":1000000,"description":"notes 1.0.0"}"#
        )
    );
    assert_eq!(
        json(
            Endpoint::Tauri,
            json!({"tauriKey": "T", "versionName": "1.0.0", "target": "Darwin", "arch": "x86_64"})
        ),
        answer(
            r#"{"tauriKey":"T","versionName":"1.0.0","versionCode":1000000,"target":"Darwin","arch":"x86_64","description":"notes 1.0.0"}"#
        )
    );
    assert_eq!(
        json(
            Endpoint::Electron,
            json!({"electronKey": "E", "versionName": "1.0.0", "platform": "darwin", "arch": "arm64"})
        ),
        answer(
            r#"{"electronKey":"E","versionName":"1.0.0","versionCode":1000000,"platform":"darwin","arch":"arm64","description":"notes 1.0.0"}"#
        )
    );
    let config: EdgeApp = serde_json::from_str(REMOTE_CONFIG).expect("fixture");
    let req = parse(
        Endpoint::Configuration,
        &json!({"configurationKey": "C", "versionCode": 2}),
    )
    .expect("parses");
    assert_eq!(
        serde_json::to_string(
            &version_info(&config, Endpoint::Configuration, &req).expect("found")
        )
        .expect("json"),
        answer(r#"{"configurationKey":"C","versionName":"v2","versionCode":2,"description":""}"#)
    );
    assert_eq!(VersionAnswer::STATUS, 200);
}
