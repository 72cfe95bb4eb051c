//! `generator verify` (the real binary) on the example as `generator build` publishes it, and on
//! TUF repositories crafted with `update_protocol::tuf` in the same layout (metadata/N.<role>.json,
//! one delegated role per app, targets at `<dir>/<sha256>.<name>`) where a case needs keys or
//! expiries the example does not have; each copied with the real `rsync`, changed one way, and
//! served over HTTP.

use e2e_tests::{copy_tree, example_dir, stdout_json};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use update_protocol::tuf::{
    self, DelegatedRole, Delegations, Ed25519Seed, EdgeTuf, Key, MetaFile, Role, TargetFile,
};

const FAR: &str = "2100-01-01T00:00:00Z";
/// The crafted snapshot expires before everything else, so `--now` between the two expires
/// only it.
const SNAPSHOT_EXPIRES: &str = "2090-01-01T00:00:00Z";
/// A time the whole repository is valid.
const NOW: &str = "2030-01-01T00:00:00Z";

fn seed(n: u8) -> Ed25519Seed {
    Ed25519Seed::from_bytes(&[n; 32])
}

/// The four top-level keys of one repository.
struct Keys {
    root: Ed25519Seed,
    targets: Ed25519Seed,
    snapshot: Ed25519Seed,
    timestamp: Ed25519Seed,
}

impl Keys {
    fn from(base: u8) -> Keys {
        Keys {
            root: seed(base),
            targets: seed(base + 1),
            snapshot: seed(base + 2),
            timestamp: seed(base + 3),
        }
    }
}

fn sha256_hex(b: &[u8]) -> String {
    TargetFile::of_bytes(b, None).hashes.sha256
}

fn root_payload(version: u64, root_key: &Ed25519Seed, k: &Keys) -> Value {
    let mut keys: BTreeMap<String, Key> = BTreeMap::new();
    let mut roles = BTreeMap::new();
    for (name, s) in [
        ("root", root_key),
        ("targets", &k.targets),
        ("snapshot", &k.snapshot),
        ("timestamp", &k.timestamp),
    ] {
        keys.insert(s.keyid(), s.public_key());
        roles.insert(
            name,
            Role {
                keyids: vec![s.keyid()],
                threshold: 1,
            },
        );
    }
    json!({
        "_type": "root", "spec_version": tuf::SPEC_VERSION, "version": version,
        "expires": FAR, "consistent_snapshot": true, "keys": keys, "roles": roles,
    })
}

fn signed(payload: Value, seeds: &[&Ed25519Seed]) -> Vec<u8> {
    tuf::to_bytes(&tuf::sign_metadata(payload, seeds).expect("sign")).expect("bytes")
}

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, bytes).expect("write");
}

/// A site as `generator build` lays it out with TUF: apps `a` and `b`, each with an index and
/// an artifact, a site index, the plain mirror list and edge data.
struct Site {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    keys: Keys,
    /// The snapshot as the edge's timestamp lists it.
    snapshot: MetaFile,
}

impl Site {
    fn new() -> Site {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("site");
        let keys = Keys::from(1);
        let snapshot = craft(&dir, &keys);
        Site {
            _tmp: tmp,
            dir,
            keys,
            snapshot,
        }
    }

    fn root_file(&self) -> PathBuf {
        self.dir.join("metadata/1.root.json")
    }

    /// `rsync -a --delete SITE/ COPY/` into a new directory, with extra rsync `args`.
    fn rsync(&self, args: &[&str]) -> Copy {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("mirror");
        let o = Command::new("rsync")
            .args(["-a", "--delete"])
            .args(args)
            .arg(format!("{}/", self.dir.display()))
            .arg(format!("{}/", dir.display()))
            .output()
            .expect("run rsync (apt-get install -y rsync)");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        Copy { _tmp: tmp, dir }
    }

    fn timestamp_bytes(&self, now: i64) -> Vec<u8> {
        tuf::signed_metadata(
            &tuf::timestamp(now, 60, 3600, &self.snapshot),
            &self.keys.timestamp,
        )
        .expect("sign timestamp")
    }
}

struct Copy {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Copy {
    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// The one file under `dir` whose name ends with `suffix`.
    fn find(&self, dir: &str, suffix: &str) -> String {
        let mut found: Vec<String> = std::fs::read_dir(self.dir.join(dir))
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(suffix))
            .collect();
        assert_eq!(found.len(), 1, "{dir}/*{suffix}: {found:?}");
        format!("{dir}/{}", found.remove(0))
    }
}

/// Writes the repository into `dir`; returns the snapshot's meta entry.
fn craft(dir: &Path, k: &Keys) -> MetaFile {
    let public: [(&str, &[u8]); 5] = [
        ("index.json", b"{\"apps\":[\"a\",\"b\"]}\n"),
        ("apps/a/index.json", b"{\"app\":\"a\"}\n"),
        ("artifacts/a/1.0/x.apk", b"the apk of a 1.0, some bytes"),
        ("apps/b/index.json", b"{\"app\":\"b\"}\n"),
        ("artifacts/b/2.0/y.bin", b"b's binary"),
    ];
    let mut by_role: BTreeMap<&str, BTreeMap<String, TargetFile>> = BTreeMap::new();
    for (path, bytes) in public {
        let (d, base) = path.rsplit_once('/').map_or(("", path), |(d, b)| (d, b));
        let sha = sha256_hex(bytes);
        let prefixed = if d.is_empty() {
            format!("{sha}.{base}")
        } else {
            format!("{d}/{sha}.{base}")
        };
        write(dir, &prefixed, bytes);
        if !path.starts_with("artifacts/") {
            write(dir, path, bytes); // the plain index files the site serves
        }
        let role = match path.split('/').nth(1) {
            Some(app) if path.matches('/').count() >= 2 => app,
            _ => "targets",
        };
        by_role
            .entry(role)
            .or_default()
            .insert(path.to_owned(), TargetFile::of_bytes(bytes, None));
    }
    let mut snapshot_meta = BTreeMap::new();
    let mut delegated = Vec::new();
    for (app, targets) in by_role.iter().filter(|(r, _)| **r != "targets") {
        let bytes = signed(
            json!({"_type": "targets", "spec_version": tuf::SPEC_VERSION, "version": 1,
                   "expires": FAR, "targets": targets}),
            &[&k.targets],
        );
        write(dir, &format!("metadata/1.{app}.json"), &bytes);
        snapshot_meta.insert(format!("{app}.json"), MetaFile::of_bytes(1, &bytes));
        delegated.push(DelegatedRole {
            name: (*app).to_owned(),
            keyids: vec![k.targets.keyid()],
            threshold: 1,
            paths: vec![format!("apps/{app}/*"), format!("artifacts/{app}/*/*")],
            terminating: true,
        });
    }
    let delegations = Delegations {
        keys: BTreeMap::from([(k.targets.keyid(), k.targets.public_key())]),
        roles: delegated,
    };
    let targets = signed(
        json!({"_type": "targets", "spec_version": tuf::SPEC_VERSION, "version": 1,
               "expires": FAR, "targets": by_role["targets"], "delegations": delegations}),
        &[&k.targets],
    );
    write(dir, "metadata/1.targets.json", &targets);
    snapshot_meta.insert("targets.json".to_owned(), MetaFile::of_bytes(1, &targets));
    let snapshot = signed(
        json!({"_type": "snapshot", "spec_version": tuf::SPEC_VERSION, "version": 1,
               "expires": SNAPSHOT_EXPIRES, "meta": snapshot_meta}),
        &[&k.snapshot],
    );
    write(dir, "metadata/1.snapshot.json", &snapshot);
    let root = signed(root_payload(1, &k.root, k), &[&k.root]);
    write(dir, "metadata/1.root.json", &root);
    write(dir, "metadata/root.json", &root);
    let snap_meta = MetaFile::of_bytes(1, &snapshot);
    let edge = EdgeTuf {
        schema_version: tuf::EDGE_TUF_SCHEMA_VERSION,
        snapshot: snap_meta.clone(),
        snapshot_expires: SNAPSHOT_EXPIRES.to_owned(),
        signed_at: 1_800_000_000,
        timestamp_keyids: vec![k.timestamp.keyid()],
        period: 60,
        ttl: 3600,
    };
    write(
        dir,
        tuf::EDGE_TUF_PATH,
        &serde_json::to_vec(&edge).expect("json"),
    );
    write(dir, "_edge/lookup.json", b"{}");
    write(dir, "_headers", b"/*\n  X-Content-Type-Options: nosniff\n");
    write(dir, "snapshot.json", b"{\"schema_version\":1,\"files\":{}}");
    snap_meta
}

fn verify(copy: &str, root: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_generator"))
        .args(["verify", copy, "--root"])
        .arg(root)
        .args(if extra.contains(&"--now") {
            &[][..]
        } else {
            &["--now", NOW][..]
        })
        .args(extra)
        .env("GENERATOR_LOG", "warn")
        .output()
        .expect("run generator verify")
}

fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn assert_ok(o: &Output) {
    assert_eq!(o.status.code(), Some(0), "{}", text(o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("ok: "), "{}", text(o));
}

/// Asserts exit 1 and a stdout line `path: …message_part…`.
fn assert_problem(o: &Output, path: &str, message_part: &str) {
    assert_eq!(o.status.code(), Some(1), "{}", text(o));
    let out = String::from_utf8_lossy(&o.stdout);
    let prefix = format!("{path}: ");
    assert!(
        out.lines()
            .any(|l| l.starts_with(&prefix) && l.contains(message_part)),
        "no line `{path}: …{message_part}…`\n{}",
        text(o)
    );
    assert!(out.contains("FAILED: "), "{}", text(o));
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn an_rsync_copy_verifies() {
    let site = Site::new();
    let copy = site.rsync(&[]);
    let o = verify(s(&copy.dir), &site.root_file(), &[]);
    assert_ok(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("snapshot version 1 (from _edge/tuf.json, the build's contract"),
        "{out}"
    );
    let j = verify(s(&copy.dir), &site.root_file(), &["--format", "json"]);
    assert_eq!(j.status.code(), Some(0), "{}", text(&j));
    let v = stdout_json(&j);
    assert_eq!(v["ok"], true);
    assert_eq!(v["problems"], json!([]));
    assert_eq!(v["roles"], 3);
    // 5 prefixed targets and the 3 plain index copies.
    assert_eq!(v["target_files"], 8);
    assert_eq!(v["extra_checked"], true);
}

#[test]
fn without_edge_data_the_highest_snapshot_is_used_and_said() {
    let site = Site::new();
    let copy = site.rsync(&["--exclude", "_edge"]);
    let o = verify(s(&copy.dir), &site.root_file(), &[]);
    assert_ok(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("from the highest N.snapshot.json in the copy"),
        "{out}"
    );
}

#[test]
fn a_changed_byte_in_an_artifact_fails_naming_it() {
    let site = Site::new();
    let copy = site.rsync(&[]);
    let apk = copy.find("artifacts/a/1.0", ".x.apk");
    let mut bytes = std::fs::read(copy.path(&apk)).expect("read");
    bytes[3] ^= 1;
    std::fs::write(copy.path(&apk), bytes).expect("write");
    let o = verify(s(&copy.dir), &site.root_file(), &[]);
    assert_problem(&o, &apk, "sha256 is ");
    assert_problem(&o, &apk, "targets role `a` says");
    let v = stdout_json(&verify(
        s(&copy.dir),
        &site.root_file(),
        &["--format", "json"],
    ));
    assert_eq!(v["ok"], false);
    let problems = v["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0]["path"], apk.as_str());
}

#[test]
fn a_changed_plain_index_copy_fails() {
    let site = Site::new();
    let copy = site.rsync(&[]);
    std::fs::write(copy.path("apps/b/index.json"), b"{\"app\":\"B\"}\n").expect("write");
    let o = verify(s(&copy.dir), &site.root_file(), &[]);
    assert_problem(&o, "apps/b/index.json", "unprefixed copy of target");
}

#[test]
fn a_missing_target_file_fails() {
    let site = Site::new();
    let copy = site.rsync(&[]);
    let bin = copy.find("artifacts/b/2.0", ".y.bin");
    std::fs::remove_file(copy.path(&bin)).expect("rm");
    let o = verify(s(&copy.dir), &site.root_file(), &[]);
    assert_problem(
        &o,
        &bin,
        "missing: targets role `b` lists target `artifacts/b/2.0/y.bin`",
    );
}

#[test]
fn a_truncated_target_fails_on_length() {
    let site = Site::new();
    let copy = site.rsync(&[]);
    let bin = copy.find("artifacts/b/2.0", ".y.bin");
    std::fs::write(copy.path(&bin), b"b's").expect("write");
    let o = verify(s(&copy.dir), &site.root_file(), &[]);
    assert_problem(&o, &bin, "length is 3 bytes, targets role `b` says 10");
}

#[test]
fn an_extra_file_fails() {
    let site = Site::new();
    let copy = site.rsync(&[]);
    write(&copy.dir, "artifacts/a/1.0/backdoor.apk", b"evil");
    let o = verify(s(&copy.dir), &site.root_file(), &[]);
    assert_problem(&o, "artifacts/a/1.0/backdoor.apk", "extra file");
}

#[test]
fn an_older_metadata_version_is_extra() {
    let site = Site::new();
    let copy = site.rsync(&[]);
    std::fs::copy(
        copy.path("metadata/1.targets.json"),
        copy.path("metadata/0.targets.json"),
    )
    .expect("copy");
    let o = verify(s(&copy.dir), &site.root_file(), &[]);
    assert_problem(
        &o,
        "metadata/0.targets.json",
        "version 0 of `targets`, not the version 1 the chain uses",
    );
}

#[test]
fn a_snapshot_other_than_the_one_the_timestamp_names_fails() {
    let site = Site::new();
    let copy = site.rsync(&[]);
    let path = copy.path("metadata/1.snapshot.json");
    let mut bytes = std::fs::read(&path).expect("read");
    bytes.push(b'\n');
    std::fs::write(&path, &bytes).expect("write");
    let o = verify(s(&copy.dir), &site.root_file(), &[]);
    assert_problem(
        &o,
        "metadata/1.snapshot.json",
        &format!(
            "length is {} bytes, _edge/tuf.json, the build's contract for the edge's timestamp says {}",
            bytes.len(),
            bytes.len() - 1
        ),
    );
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("the chain stopped at metadata/1.snapshot.json")
    );
}

#[test]
fn an_expired_snapshot_fails() {
    let site = Site::new();
    let copy = site.rsync(&[]);
    let o = verify(
        s(&copy.dir),
        &site.root_file(),
        &["--now", "2095-01-01T00:00:00Z"],
    );
    assert_problem(
        &o,
        "metadata/1.snapshot.json",
        "expired at 2090-01-01T00:00:00Z (checked at 2095-01-01T00:00:00Z)",
    );
    // Only the snapshot expired by then.
    let v = stdout_json(&verify(
        s(&copy.dir),
        &site.root_file(),
        &["--now", "2095-01-01T00:00:00Z", "--format", "json"],
    ));
    assert_eq!(v["problems"].as_array().map(Vec::len), Some(1), "{v:#}");
}

#[test]
fn an_untrusted_root_fails() {
    let site = Site::new();
    let copy = site.rsync(&[]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let other = Keys::from(50);
    let root = tmp.path().join("other-root.json");
    std::fs::write(
        &root,
        signed(root_payload(1, &other.root, &other), &[&other.root]),
    )
    .expect("write");
    let o = verify(s(&copy.dir), &root, &[]);
    assert_problem(&o, "metadata/1.root.json", "differs from the trusted root");
    assert_problem(
        &o,
        "metadata/1.snapshot.json",
        "0 valid signatures by root version 1's snapshot keys, 1 required",
    );
}

#[test]
fn a_root_not_signed_by_its_own_keys_is_a_usage_error() {
    let site = Site::new();
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("root.json");
    let other = seed(77);
    std::fs::write(
        &root,
        signed(root_payload(1, &site.keys.root, &site.keys), &[&other]),
    )
    .expect("write");
    let o = verify(s(&site.dir), &root, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("it is not a root to trust"),
        "{}",
        text(&o)
    );
    let missing = verify(s(&site.dir), &tmp.path().join("nope.json"), &[]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("cannot read the trusted root"),
        "{}",
        text(&missing)
    );
}

/// Root 2 keeps every role's keys but the root key.
fn rotate(site: &Site, signers: &[&Ed25519Seed]) -> Ed25519Seed {
    let new_root = seed(31);
    let bytes = signed(root_payload(2, &new_root, &site.keys), signers);
    write(&site.dir, "metadata/2.root.json", &bytes);
    write(&site.dir, "metadata/root.json", &bytes);
    new_root
}

#[test]
fn a_root_rotation_signed_by_old_and_new_is_followed() {
    let site = Site::new();
    let new_root = seed(31);
    rotate(&site, &[&site.keys.root, &new_root]);
    let copy = site.rsync(&[]);
    let o = verify(s(&copy.dir), &site.root_file(), &["--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(stdout_json(&o)["root_version"], 2);
    // A stale convenience copy is named.
    std::fs::copy(
        copy.path("metadata/1.root.json"),
        copy.path("metadata/root.json"),
    )
    .expect("copy");
    let o = verify(s(&copy.dir), &site.root_file(), &[]);
    assert_problem(
        &o,
        "metadata/root.json",
        "differs from the newest N.root.json",
    );
}

#[test]
fn a_root_rotation_signed_only_by_the_new_key_is_rejected() {
    let site = Site::new();
    let new_root = seed(31);
    rotate(&site, &[&new_root]);
    let copy = site.rsync(&[]);
    let o = verify(s(&copy.dir), &site.root_file(), &[]);
    assert_problem(
        &o,
        "metadata/2.root.json",
        "0 valid signatures by root version 1's root keys, 1 required",
    );
}

#[test]
fn a_root_rotation_with_the_wrong_version_is_rejected() {
    let site = Site::new();
    let new_root = seed(31);
    let bytes = signed(
        root_payload(3, &new_root, &site.keys),
        &[&site.keys.root, &new_root],
    );
    write(&site.dir, "metadata/2.root.json", &bytes);
    let o = verify(s(&site.dir), &site.root_file(), &[]);
    assert_problem(
        &o,
        "metadata/2.root.json",
        "version is 3, its file name says 2",
    );
}

/// A static file server over `dir` for one test: GET only, 404 for anything absent, one
/// thread per connection. Dropped with the test process.
fn serve(dir: PathBuf) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let dir = dir.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    return;
                }
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).map_or(true, |n| n == 0) || h == "\r\n" {
                        break;
                    }
                }
                let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
                let rel = path.trim_start_matches('/');
                let file = dir.join(rel);
                let ok = !rel.split('/').any(|s| s == "..") && file.is_file();
                let (status, body) = if ok {
                    ("200 OK", std::fs::read(&file).unwrap_or_default())
                } else {
                    ("404 Not Found", b"not found".to_vec())
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            });
        }
    });
    base
}

#[test]
fn a_url_is_verified_from_its_timestamp() {
    let site = Site::new();
    let copy = site.rsync(&[]);
    let now = update_protocol::time::Timestamp::parse_rfc3339(NOW)
        .expect("time")
        .unix_seconds();
    write(
        &copy.dir,
        "metadata/timestamp.json",
        &site.timestamp_bytes(now),
    );
    let base = serve(copy.dir.clone());
    let o = verify(&base, &site.root_file(), &[]);
    assert_ok(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("from the timestamp metadata/timestamp.json"),
        "{out}"
    );
    assert!(out.contains("extra files not checked"), "{out}");

    // A changed byte and a missing file, through HTTP.
    let apk = copy.find("artifacts/a/1.0", ".x.apk");
    let mut bytes = std::fs::read(copy.path(&apk)).expect("read");
    bytes[0] ^= 1;
    std::fs::write(copy.path(&apk), bytes).expect("write");
    let bin = copy.find("artifacts/b/2.0", ".y.bin");
    std::fs::remove_file(copy.path(&bin)).expect("rm");
    let o = verify(&base, &site.root_file(), &[]);
    assert_problem(&o, &apk, "sha256 is ");
    assert_problem(&o, &bin, "missing: targets role `b`");

    // A longer file over HTTP: read one byte past the listed length, no further.
    let mut longer = std::fs::read(copy.path(&apk)).expect("read");
    longer.extend_from_slice(&[0; 4096]);
    std::fs::write(copy.path(&apk), longer).expect("write");
    let o = verify(&base, &site.root_file(), &[]);
    assert_problem(
        &o,
        &apk,
        "is longer than the 28 bytes targets role `a` says",
    );

    // An expired timestamp: checked an hour and more after its window.
    let o = verify(&base, &site.root_file(), &["--now", "2030-01-01T02:00:00Z"]);
    assert_problem(
        &o,
        "metadata/timestamp.json",
        "expired at 2030-01-01T01:01:00Z",
    );
}

#[test]
fn a_url_without_a_timestamp_needs_one_given() {
    let site = Site::new();
    let copy = site.rsync(&[]);
    let base = serve(copy.dir.clone());
    let o = verify(&base, &site.root_file(), &[]);
    assert_problem(&o, "metadata/timestamp.json", "pass --timestamp");
    let tmp = tempfile::tempdir().expect("tempdir");
    let ts = tmp.path().join("timestamp.json");
    let now = update_protocol::time::Timestamp::parse_rfc3339(NOW)
        .expect("time")
        .unix_seconds();
    std::fs::write(&ts, site.timestamp_bytes(now)).expect("write");
    let o = verify(&base, &site.root_file(), &["--timestamp", s(&ts)]);
    assert_ok(&o);
    // A timestamp signed by another key is refused.
    std::fs::write(
        &ts,
        tuf::signed_metadata(&tuf::timestamp(now, 60, 3600, &site.snapshot), &seed(99))
            .expect("sign"),
    )
    .expect("write");
    let o = verify(&base, &site.root_file(), &["--timestamp", s(&ts)]);
    assert_problem(
        &o,
        s(&ts),
        "0 valid signatures by root version 1's timestamp keys, 1 required",
    );
}

/// The example built by the real generator (a copy of it, so nothing is written into the
/// repository), and the seed of its demo timestamp key, which the worker holds.
struct Built {
    _tmp: tempfile::TempDir,
    site: PathBuf,
    root: PathBuf,
    timestamp_key: Ed25519Seed,
}

fn built_example() -> Built {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path().join("repo");
    copy_tree(&example_dir(), &repo);
    let site = tmp.path().join("site");
    let o = Command::new(env!("CARGO_BIN_EXE_generator"))
        .args(["build", "--no-cache", "--root", s(&repo), "--out", s(&site)])
        .env("GENERATOR_LOG", "warn")
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("run generator build");
    assert!(o.status.success(), "build failed: {}", text(&o));
    let key = std::fs::read_to_string(repo.join("tuf-keys/timestamp.key")).expect("demo key");
    let hex = key
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .expect("a seed line");
    Built {
        root: repo.join("tuf/root/1.root.json"),
        timestamp_key: Ed25519Seed::from_hex(hex).expect("seed"),
        site,
        _tmp: tmp,
    }
}

/// `rsync -a --delete --checksum`: without `--checksum`, rsync skips a file of the same size
/// and modification second, and two builds in one second give just that (an index file, or
/// `_edge/tuf.json` when the worker tree is copied).
fn rsync_to(from: &Path, to: &Path) {
    let o = Command::new("rsync")
        .args(["-a", "--delete", "--checksum"])
        .arg(format!("{}/", from.display()))
        .arg(format!("{}/", to.display()))
        .output()
        .expect("run rsync (apt-get install -y rsync)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Checks at the clock: the build signed relative to it.
fn verify_now(copy: &str, root: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_generator"))
        .args(["verify", copy, "--root"])
        .arg(root)
        .args(extra)
        .env("GENERATOR_LOG", "warn")
        .output()
        .expect("run generator verify")
}

/// The first hash-prefixed artifact of the example's `android-demo`.
fn an_apk(dir: &Path) -> String {
    let base = dir.join("artifacts/android-demo");
    let mut found = Vec::new();
    for e in walk(&base) {
        if e.extension().is_some_and(|x| x == "apk") {
            found.push(e);
        }
    }
    found.sort();
    let first = found.first().expect("an apk in the example");
    let rel = first.strip_prefix(dir).expect("under the copy");
    rel.to_str().expect("utf-8").to_owned()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn the_built_example_verifies_after_rsync_and_fails_when_changed() {
    let b = built_example();
    let tmp = tempfile::tempdir().expect("tempdir");
    let mirror = tmp.path().join("mirror");
    rsync_to(&b.site, &mirror);
    let o = verify_now(s(&mirror), &b.root, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v = stdout_json(&o);
    assert_eq!(v["ok"], true, "{v:#}");
    assert_eq!(v["extra_checked"], true);
    // targets and one role per public app of the example.
    assert!(v["roles"].as_u64().unwrap_or(0) >= 5, "{v:#}");
    assert!(v["target_files"].as_u64().unwrap_or(0) >= 17, "{v:#}");

    let apk = an_apk(&mirror);
    let mut bytes = std::fs::read(mirror.join(&apk)).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x20;
    std::fs::write(mirror.join(&apk), bytes).expect("write");
    write(&mirror, "apps/android-demo/extra.json", b"{}");
    std::fs::remove_file(mirror.join("index.json")).expect("rm");
    let o = verify_now(s(&mirror), &b.root, &[]);
    assert_problem(&o, &apk, "sha256 is ");
    assert_problem(&o, &apk, "targets role `android-demo` says");
    assert_problem(&o, "apps/android-demo/extra.json", "extra file");
    // The plain index.json is the site's, not a target clients fetch by hash: its absence is
    // no problem, but the hash-prefixed copy's is.
    let v = stdout_json(&verify_now(s(&mirror), &b.root, &["--format", "json"]));
    assert_eq!(v["problems"].as_array().map(Vec::len), Some(2), "{v:#}");
    let prefixed = walk(&mirror)
        .into_iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_owned();
            (p.parent() == Some(mirror.as_path()) && name.ends_with(".index.json")).then_some(p)
        })
        .next()
        .expect("the hash-prefixed index.json");
    std::fs::remove_file(&prefixed).expect("rm");
    let o = verify_now(s(&mirror), &b.root, &[]);
    let name = prefixed.file_name().and_then(|n| n.to_str()).expect("name");
    assert_problem(
        &o,
        name,
        "missing: targets role `targets` lists target `index.json`",
    );
}

#[test]
fn the_built_example_verifies_over_http_with_the_edges_timestamp() {
    let b = built_example();
    let tmp = tempfile::tempdir().expect("tempdir");
    let mirror = tmp.path().join("mirror");
    rsync_to(&b.site, &mirror);
    // What the worker answers for /metadata/timestamp.json, from the build's contract (in the
    // worker tree: the mirror has no edge data).
    assert!(!mirror.join(tuf::EDGE_TUF_PATH).exists());
    let worker = generator::layout::worker_tree_for(&b.site);
    let edge = EdgeTuf::parse(&std::fs::read(worker.join(tuf::EDGE_TUF_PATH)).expect("read"))
        .expect("contract");
    let now = e2e_tests::unix_now();
    let ts = edge
        .sign_timestamp(now, &b.timestamp_key)
        .expect("sign like the edge");
    write(&mirror, "metadata/timestamp.json", &ts);
    let base = serve(mirror.clone());
    let o = verify_now(&base, &b.root, &[]);
    assert_ok(&o);
    let apk = an_apk(&mirror);
    std::fs::write(mirror.join(&apk), b"not the apk").expect("write");
    let o = verify_now(&base, &b.root, &[]);
    assert_problem(
        &o,
        &apk,
        "length is 11 bytes, targets role `android-demo` says",
    );
}

fn run_generator(args: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_generator"))
        .args(args)
        .env("GENERATOR_LOG", "warn")
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("TUF_KEYS_DIR")
        .output()
        .expect("run generator");
    assert!(o.status.success(), "generator {args:?}: {}", text(&o));
    o
}

/// The snapshot version a built site's edge contract names (in its worker tree).
fn snapshot_version(site: &Path) -> u64 {
    let worker = generator::layout::worker_tree_for(site);
    let edge: serde_json::Value =
        serde_json::from_slice(&std::fs::read(worker.join("_edge/tuf.json")).expect("tuf.json"))
            .expect("JSON");
    edge["snapshot"]["version"].as_u64().expect("version")
}

#[test]
fn a_mirror_follows_the_publishers_key_rotation_and_names_leftovers() {
    let b = built_example();
    let tmp = tempfile::tempdir().expect("tempdir");
    let mirror = tmp.path().join("mirror");
    rsync_to(&b.site, &mirror);
    // The publisher rotates the root key (root 2), then the snapshot and timestamp keys
    // (root 3), and builds: a new snapshot version signed by the new key.
    let repo = b
        .root
        .parent()
        .and_then(Path::parent)
        .and_then(Path::parent);
    let repo = repo.expect("repo of tuf/root/1.root.json");
    let keys = tmp.path().join("offline-keys");
    copy_tree(&repo.join("tuf-keys"), &keys);
    let (r, k) = (s(repo), s(&keys));
    let keystore = repo.join("keys");
    run_generator(&["tuf", "--root", r, "--keys", k, "rotate", "root"]);
    run_generator(&[
        "tuf",
        "--root",
        r,
        "--keys",
        k,
        "--keystore",
        s(&keystore),
        "rotate",
        "snapshot",
        "timestamp",
    ]);
    let site = tmp.path().join("site-2");
    run_generator(&[
        "build",
        "--no-cache",
        "--root",
        r,
        "--out",
        s(&site),
        "--tuf-keys",
        k,
    ]);
    // A mirror updated without --delete keeps the old snapshot: named as a leftover.
    let o = Command::new("rsync")
        .args(["-a", "--checksum"])
        .arg(format!("{}/", site.display()))
        .arg(format!("{}/", mirror.display()))
        .output()
        .expect("rsync");
    assert!(o.status.success());
    let o = verify_now(s(&mirror), &b.root, &[]);
    // The versions follow the example's committed TUF state: the old one, and one more.
    let old = snapshot_version(&b.site);
    assert_problem(
        &o,
        &format!("metadata/{old}.snapshot.json"),
        &format!(
            "version {old} of `snapshot`, not the version {} the chain uses",
            old + 1
        ),
    );
    // With --delete it verifies from the old root through roots 2 and 3, and from root 2.
    rsync_to(&site, &mirror);
    let v = stdout_json(&verify_now(s(&mirror), &b.root, &["--format", "json"]));
    assert_eq!(v["ok"], true, "{v:#}");
    assert_eq!(v["root_version"], 3);
    assert_eq!(v["snapshot_version"], old + 1);
    let o = verify_now(s(&mirror), &repo.join("tuf/root/2.root.json"), &[]);
    assert_ok(&o);
}

#[test]
fn a_page_in_place_of_a_missing_root_is_named() {
    let site = Site::new();
    let copy = site.rsync(&[]);
    write(
        &copy.dir,
        "metadata/2.root.json",
        b"<!doctype html><p>app</p>",
    );
    let base = serve(copy.dir.clone());
    let o = verify(&base, &site.root_file(), &[]);
    assert_problem(&o, "metadata/2.root.json", "single-page-app fallback");
}

#[test]
fn an_expired_root_fails() {
    let site = Site::new();
    let copy = site.rsync(&[]);
    let o = verify(
        s(&copy.dir),
        &site.root_file(),
        &["--now", "2100-01-01T00:00:00Z"],
    );
    assert_problem(
        &o,
        "metadata/1.root.json",
        "expired at 2100-01-01T00:00:00Z (checked at 2100-01-01T00:00:00Z): sign the next root version",
    );
    assert_problem(&o, "metadata/1.a.json", "expired at 2100-01-01T00:00:00Z");
}

/// Issue 18: the site holds no edge data; `verify` finds the build's edge contract in the
/// worker tree beside it (`site-edge`, or `--edge DIR`), and says when a copy holds edge data.
#[test]
fn the_edge_contract_is_read_from_the_worker_tree() {
    let b = built_example();
    let worker = generator::layout::worker_tree_for(&b.site);
    assert!(!b.site.join(tuf::EDGE_TUF_PATH).exists());
    let contract = worker.join(tuf::EDGE_TUF_PATH);
    let from = format!(
        "(from {}, the build's contract for the edge's timestamp)",
        contract.display()
    );
    // The site itself: its sibling.
    let o = verify_now(s(&b.site), &b.root, &[]);
    assert_ok(&o);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(out.contains(&from), "{out}");
    assert!(!out.contains("edge-only data"), "{out}");
    // A mirror's copy: nothing beside it, so the highest snapshot, unless --edge is given.
    let tmp = tempfile::tempdir().expect("tempdir");
    let mirror = tmp.path().join("mirror");
    rsync_to(&b.site, &mirror);
    let o = verify_now(s(&mirror), &b.root, &[]);
    assert_ok(&o);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(out.contains("the highest N.snapshot.json"), "{out}");
    assert!(out.contains("--edge with the worker tree"), "{out}");
    let o = verify_now(s(&mirror), &b.root, &["--edge", s(&worker)]);
    assert_ok(&o);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains(&from),
        "{}",
        text(&o)
    );
    // An --edge without the contract is a usage error.
    let o = verify_now(s(&mirror), &b.root, &["--edge", s(tmp.path())]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("--edge must be the build's worker tree"),
        "{}",
        text(&o)
    );
    // The worker tree verifies as a copy too (its own contract), and is named for what it is.
    let o = verify_now(s(&worker), &b.root, &[]);
    assert_ok(&o);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        out.contains("note: the copy holds edge-only data (_edge/)")
            && out.contains("never be published"),
        "{out}"
    );
}
