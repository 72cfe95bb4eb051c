//! `generator keys` on a temporary key store: secrets printed once and stored by sha256 only,
//! the recoverable ones kept private, revocation and rotation written to the KV bulk file, and
//! bad arguments refused with the file and the fix.

use e2e_tests::example_dir;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

fn keys(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_generator"))
        .arg("keys")
        .arg("--root")
        .arg(example_dir())
        .arg("--dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("run generator")
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).expect("utf-8")
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).expect("read")
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// The KV bulk file as key → record.
fn kv(dir: &Path) -> std::collections::BTreeMap<String, Value> {
    let v: Value = serde_json::from_str(&read(dir, "export/kv-bulk.json")).expect("json");
    v.as_array()
        .expect("array")
        .iter()
        .map(|e| {
            let record = serde_json::from_str(e["value"].as_str().expect("string")).expect("json");
            (e["key"].as_str().expect("key").to_owned(), record)
        })
        .collect()
}

#[test]
fn licenses_are_stored_by_hash_and_revocation_reaches_the_bulk_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let out = ok(&keys(
        dir,
        &[
            "create",
            "license",
            "--app",
            "desktop-pro",
            "--expires",
            "30d",
        ],
    ));
    let license = out.trim();
    assert!(
        license.len() == 36
            && license.starts_with("LIC-")
            && license[4..]
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()),
        "{license}"
    );
    // Only the sha256 is stored, in the records and in the KV bulk file.
    let key = format!("key:{}", sha256_hex(license));
    let records = kv(dir);
    let record = records.get(&key).expect("record under key:<sha256>");
    assert_eq!(record["kind"], "license");
    assert_eq!(record["apps"], serde_json::json!(["desktop-pro"]));
    assert_eq!(record["status"], "active");
    assert!(record["expires_at"].is_string());
    for file in [
        "records.json",
        "secrets.json",
        "export/kv-bulk.json",
        "export/dev.vars",
    ] {
        assert!(
            !read(dir, file).contains(license),
            "{file} holds the license"
        );
    }
    // Listing shows the handle, never the key.
    let list = ok(&keys(dir, &["list"]));
    let handle = record["id"].as_str().expect("handle");
    assert!(list.contains(handle) && !list.contains(license), "{list}");

    ok(&keys(dir, &["status", handle, "suspended"]));
    assert_eq!(kv(dir)[&key]["status"], "suspended");
    ok(&keys(dir, &["status", handle, "active"]));
    assert_eq!(kv(dir)[&key]["status"], "active");
    ok(&keys(dir, &["revoke", handle]));
    assert_eq!(kv(dir)[&key]["status"], "revoked");
    // Revoked is for good.
    assert!(!keys(dir, &["status", handle, "active"]).status.success());

    // Rotation revokes the old key and stores a new one with the same grants.
    let second = ok(&keys(dir, &["create", "api-key", "--app", "android-demo"]));
    let second = second.trim();
    assert_eq!(second.len(), 64, "{second}");
    let handle2 = format!("k-{}", &sha256_hex(second)[..12]);
    let third = ok(&keys(dir, &["rotate", &handle2]));
    let third = third.trim();
    let records = kv(dir);
    assert_eq!(
        records[&format!("key:{}", sha256_hex(second))]["status"],
        "revoked"
    );
    let new = &records[&format!("key:{}", sha256_hex(third))];
    assert_eq!(
        (new["kind"].as_str(), new["status"].as_str()),
        (Some("api-key"), Some("active"))
    );
    assert_eq!(new["apps"], serde_json::json!(["android-demo"]));
}

#[test]
fn recoverable_secrets_stay_private_and_rotation_keeps_the_previous_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let out = ok(&keys(
        dir,
        &[
            "--format",
            "json",
            "create",
            "access-key",
            "--app",
            "remote-config",
        ],
    ));
    let created: Value = serde_json::from_str(&out).expect("json");
    let (ak, sk) = (
        created["access_key"].as_str().expect("access key"),
        created["secret"].as_str().expect("secret"),
    );
    let first = ok(&keys(
        dir,
        &["create", "signing-secret", "--app", "desktop-pro"],
    ));
    let first = first.trim();
    ok(&keys(
        dir,
        &[
            "--now",
            "2026-05-01T00:00:00Z",
            "rotate",
            "--app",
            "desktop-pro",
        ],
    ));
    let secrets: Value = serde_json::from_str(&read(dir, "secrets.json")).expect("json");
    assert_eq!(secrets["toolsetlink"][ak]["secret"], sk);
    let signing = &secrets["signing"]["desktop-pro"];
    assert_eq!(signing["previous"], first);
    assert_ne!(signing["current"], first);
    assert_eq!(signing["previous_expires_at"], "2026-05-02T00:00:00Z");
    // The dotenv file for `wrangler dev` carries the same document; secret files are 0600.
    let vars = read(dir, "export/dev.vars");
    let json = vars
        .lines()
        .find_map(|l| l.strip_prefix("EDGE_SECRETS='"))
        .and_then(|l| l.strip_suffix('\''))
        .expect("EDGE_SECRETS line");
    assert_eq!(serde_json::from_str::<Value>(json).expect("json"), secrets);
    for f in [
        "secrets.json",
        "export/dev.vars",
        "export/secrets-bulk.json",
    ] {
        let mode = std::fs::metadata(dir.join(f))
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{f}");
    }
    // The list names the access key but not its secret.
    let list = ok(&keys(dir, &["list"]));
    assert!(
        list.contains(ak) && !list.contains(sk) && !list.contains(first),
        "{list}"
    );
}

#[test]
fn bad_arguments_name_the_problem_and_write_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    for (args, needle) in [
        (
            vec!["create", "license", "--app", "no-such-app"],
            "no-such-app",
        ),
        (
            vec!["create", "license", "--app", "android-demo"],
            "[protocols.license]",
        ),
        (vec!["create", "license"], "--app"),
        (
            vec![
                "create",
                "channel-key",
                "--app",
                "ios-demo",
                "--channel",
                "beta",
            ],
            "no channel \"beta\"",
        ),
        (
            vec!["import", "api-key", "--app", "android-demo"],
            "--secret",
        ),
        (
            vec![
                "import",
                "api-key",
                "--app",
                "android-demo",
                "--secret",
                "has space",
            ],
            "printable ASCII",
        ),
        (
            vec![
                "create",
                "license",
                "--app",
                "desktop-pro",
                "--expires",
                "soon",
            ],
            "--expires",
        ),
        (vec!["revoke", "k-000000000000"], "no credential"),
        (vec!["rotate", "--app", "desktop-pro"], "no signing secret"),
    ] {
        let o = keys(dir, &args);
        assert!(!o.status.success(), "{args:?} succeeded");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(o.stdout.is_empty(), "{args:?} printed a secret");
    }
    assert!(!dir.join("records.json").exists());
    // Importing the same credential twice is refused.
    let args = [
        "import",
        "api-key",
        "--app",
        "android-demo",
        "--secret",
        "old-server-key-1",
    ];
    ok(&keys(dir, &args));
    assert!(!keys(dir, &args).status.success());
}

#[test]
fn download_link_key_is_one_per_deployment_and_rotates() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let first = ok(&keys(dir, &["create", "download-link-key"]));
    let first = first.trim();
    assert_eq!(first.len(), 64, "32 random bytes as hex: {first}");
    let secrets: Value = serde_json::from_str(&read(dir, "secrets.json")).expect("json");
    assert_eq!(secrets["download_link_key"], first);
    // It reaches the worker secret, never the KV records.
    assert!(read(dir, "export/dev.vars").contains(first));
    assert!(!read(dir, "export/kv-bulk.json").contains(first));
    // One per deployment: a second create is refused with the fix.
    let again = keys(dir, &["create", "download-link-key"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("keys rotate download-link-key"));
    let scoped = keys(
        dir,
        &["create", "download-link-key", "--app", "desktop-pro"],
    );
    assert!(!scoped.status.success());
    assert!(String::from_utf8_lossy(&scoped.stderr).contains("drop --app"));
    // Rotating replaces it at once.
    let rotated = ok(&keys(dir, &["rotate", "download-link-key"]));
    let rotated = rotated.trim();
    assert_eq!(rotated.len(), 64);
    assert_ne!(rotated, first);
    let secrets: Value = serde_json::from_str(&read(dir, "secrets.json")).expect("json");
    assert_eq!(secrets["download_link_key"], rotated);
    let mode = std::fs::metadata(dir.join("secrets.json"))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// The worker secret's channel keys (`zealot_channel_keys`), as `export/dev.vars` deploys them.
fn deployed_channel_keys(dir: &Path) -> Value {
    let vars = read(dir, "export/dev.vars");
    let json = vars
        .lines()
        .find_map(|l| l.strip_prefix("EDGE_SECRETS='"))
        .and_then(|l| l.strip_suffix('\''))
        .expect("EDGE_SECRETS line");
    let secrets: Value = serde_json::from_str(json).expect("json");
    secrets["zealot_channel_keys"].clone()
}

#[test]
fn channel_keys_stay_recoverable_for_the_app_listing_while_active() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let create = [
        "create",
        "channel-key",
        "--app",
        "ios-demo",
        "--channel",
        "adhoc",
    ];
    let first = ok(&keys(dir, &create)).trim().to_owned();
    assert_eq!(
        deployed_channel_keys(dir),
        serde_json::json!({"ios-demo": {"adhoc": first}})
    );
    // Imported keys too; the newest key of a channel is the one shown.
    let import = [
        "import",
        "channel-key",
        "--app",
        "ios-demo",
        "--channel",
        "adhoc",
        "--secret",
        "old-server-channel-key",
    ];
    ok(&keys(dir, &import));
    assert_eq!(
        deployed_channel_keys(dir)["ios-demo"]["adhoc"],
        "old-server-channel-key"
    );
    // Suspended: not shown; active again: shown; rotated: the new one.
    let handle = format!("k-{}", &sha256_hex("old-server-channel-key")[..12]);
    ok(&keys(dir, &["status", &handle, "suspended"]));
    assert_eq!(deployed_channel_keys(dir), Value::Null);
    ok(&keys(dir, &["status", &handle, "active"]));
    assert_eq!(
        deployed_channel_keys(dir)["ios-demo"]["adhoc"],
        "old-server-channel-key"
    );
    let rotated = ok(&keys(dir, &["rotate", &handle])).trim().to_owned();
    assert_eq!(deployed_channel_keys(dir)["ios-demo"]["adhoc"], rotated);
    let revoked = format!("k-{}", &sha256_hex(&rotated)[..12]);
    ok(&keys(dir, &["revoke", &revoked]));
    assert_eq!(deployed_channel_keys(dir), Value::Null);
    // The store keeps them private (mode 0600), as every recoverable secret.
    let mode = std::fs::metadata(dir.join("secrets.json"))
        .expect("secrets.json")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}
