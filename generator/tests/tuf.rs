//! The TUF repository `build` publishes for the example (which has `tuf/` and demo keys): a
//! consistent, verifiable chain over every public file, reused byte for byte when nothing
//! changed (no key needed), bumped when something did, key rotation through root N+1, clear
//! errors for missing keys, no private key in the site, and python-tuf / securesystemslib
//! agreeing with every byte (tests/clients/tuf_cjson.py).

use e2e_tests::repo::Repo;
use e2e_tests::{read_tree, unix_now, workspace_root};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use update_protocol::tuf::{self, Ed25519Seed, EdgeTuf, Metadata, Root, Snapshot, Targets};

/// A build's two trees as one map: every file of the site at `site`, and the edge data
/// (`_edge/…`) of the worker tree beside it (`<site>-edge`), after checking that the site has
/// none and that the worker tree holds every file of the site (docs/site-layout.md).
fn read_build(site: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut tree = read_tree(site);
    let worker = read_tree(&generator::layout::worker_tree_for(site));
    assert!(
        !tree.keys().any(|p| p.starts_with("_edge")),
        "edge data in the site"
    );
    for (p, bytes) in &tree {
        assert_eq!(
            worker.get(p),
            Some(bytes),
            "{p} of the site is not in the worker tree"
        );
    }
    tree.extend(worker.into_iter().filter(|(p, _)| p.starts_with("_edge/")));
    tree
}

/// The TUF steps on the shared repository harness (`e2e_tests::repo`).
trait TufRepo {
    fn generate(&self, args: &[&str]) -> Output;
    fn build(&self, out: &str, extra: &[&str]) -> BTreeMap<String, Vec<u8>>;
    fn try_build(&self, out: &str, extra: &[&str]) -> Output;
    fn tuf(&self, args: &[&str]) -> Output;
    fn without_demo_keys(&self) -> PathBuf;
}

fn repo() -> Repo {
    Repo::new(env!("CARGO_BIN_EXE_generator"))
}

impl TufRepo for Repo {
    /// Runs the generator with no TUF key in the environment.
    fn generate(&self, args: &[&str]) -> Output {
        self.generator().args(args).output().expect("run generator")
    }

    fn build(&self, out: &str, extra: &[&str]) -> BTreeMap<String, Vec<u8>> {
        let o = self.try_build(out, extra);
        assert!(
            o.status.success(),
            "build failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        read_build(&self.path(out))
    }

    fn try_build(&self, out: &str, extra: &[&str]) -> Output {
        let root = self.root.to_str().expect("utf-8");
        let out = self.path(out);
        let mut args = vec![
            "build",
            "--no-cache",
            "--root",
            root,
            "--out",
            out.to_str().expect("utf-8"),
        ];
        args.extend_from_slice(extra);
        self.generate(&args)
    }

    fn tuf(&self, args: &[&str]) -> Output {
        let root = self.root.to_str().expect("utf-8");
        let mut all = vec!["tuf", "--root", root];
        all.extend_from_slice(args);
        self.generate(&all)
    }

    /// Removes the demo `keys_dir` from tuf/config.toml and moves the keys out of the
    /// repository, so that only explicit keys sign.
    fn without_demo_keys(&self) -> PathBuf {
        let config = self.root.join("tuf/config.toml");
        let text = std::fs::read_to_string(&config).expect("config");
        let kept: String = text
            .lines()
            .filter(|l| !l.starts_with("keys_dir"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_ne!(kept, text, "the example's config.toml sets keys_dir");
        std::fs::write(&config, kept).expect("write config");
        let keys = self.path("offline-keys");
        std::fs::rename(self.root.join("tuf-keys"), &keys).expect("move keys");
        keys
    }
}

fn seeds(dir: &Path, role: &str) -> Vec<Ed25519Seed> {
    std::fs::read_to_string(dir.join(format!("{role}.key")))
        .expect("key file")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| Ed25519Seed::from_hex(l).expect("seed"))
        .collect()
}

fn md(tree: &BTreeMap<String, Vec<u8>>, path: &str) -> Metadata<Value> {
    let bytes = tree
        .get(path)
        .unwrap_or_else(|| panic!("{path} missing from the site"));
    tuf::parse(bytes).expect("metadata")
}

/// The versioned file of a role (`metadata/<V>.<role>.json`), its version and metadata.
fn versioned(tree: &BTreeMap<String, Vec<u8>>, role: &str) -> (u64, Metadata<Value>) {
    let found: Vec<&String> = tree
        .keys()
        .filter(|p| {
            p.strip_prefix("metadata/")
                .and_then(|n| n.strip_suffix(&format!(".{role}.json")))
                .is_some_and(|v| v.parse::<u64>().is_ok())
        })
        .collect();
    assert_eq!(found.len(), 1, "one versioned {role}: {found:?}");
    let m = md(tree, found[0]);
    (m.signed["version"].as_u64().expect("version"), m)
}

fn is_hash_prefixed(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    base.len() > 65
        && base.as_bytes()[64] == b'.'
        && base[..64].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks the whole chain of a built site; returns role → version.
fn check_chain(tree: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, u64> {
    let root_md = md(tree, "metadata/root.json");
    let root: Root = tuf::typed(&root_md).expect("root");
    assert!(root.consistent_snapshot);
    for v in 1..=root.version {
        assert!(
            tree.contains_key(&format!("metadata/{v}.root.json")),
            "root {v} kept"
        );
    }
    assert!(
        !tree.contains_key("metadata/timestamp.json"),
        "the edge answers timestamp.json"
    );
    let (s, snap_md) = versioned(tree, "snapshot");
    tuf::verify_role(&snap_md, &root.keys, root.role("snapshot").expect("role"))
        .expect("snapshot signed");
    let snapshot: Snapshot = tuf::typed(&snap_md).expect("snapshot");
    let (t, targets_md) = versioned(tree, "targets");
    tuf::verify_role(&targets_md, &root.keys, root.role("targets").expect("role"))
        .expect("targets signed");
    let targets: Targets = tuf::typed(&targets_md).expect("targets");

    // The edge contract points at this exact snapshot.
    let edge = EdgeTuf::parse(&tree["_edge/tuf.json"]).expect("edge contract");
    assert_eq!(
        edge.snapshot,
        tuf::MetaFile::of_bytes(s, &tree[&format!("metadata/{s}.snapshot.json")])
    );
    assert_eq!(
        edge.timestamp_keyids,
        root.role("timestamp").expect("role").keyids
    );

    let mut versions = BTreeMap::from([
        ("root".to_owned(), root.version),
        ("snapshot".to_owned(), s),
        ("targets".to_owned(), t),
    ]);
    let listed = |name: &str, v: u64| {
        let bytes = &tree[&format!("metadata/{v}.{name}.json")];
        assert_eq!(
            snapshot.meta[&format!("{name}.json")],
            tuf::MetaFile::of_bytes(v, bytes),
            "{name} in snapshot"
        );
    };
    listed("targets", t);
    let mut all_targets: BTreeMap<String, tuf::TargetFile> = targets.targets.clone();
    let delegations = targets.delegations.clone().expect("one role per app");
    assert!(delegations.roles.len() >= 4);
    for role in &delegations.roles {
        let v = snapshot.meta[&format!("{}.json", role.name)].version;
        let m = md(tree, &format!("metadata/{v}.{}.json", role.name));
        tuf::verify_role(&m, &delegations.keys, &role.as_role()).expect("delegated role signed");
        listed(&role.name, v);
        let d: Targets = tuf::typed(&m).expect("delegated");
        for p in d.targets.keys() {
            let depth = p.split('/').count();
            assert!(
                role.paths.iter().any(|pat| pat.split('/').count() == depth
                    && pat
                        .split('/')
                        .zip(p.split('/'))
                        .all(|(a, b)| a == "*" || a == b)),
                "{p} is outside the paths of role {}",
                role.name
            );
        }
        all_targets.extend(d.targets);
        versions.insert(role.name.clone(), v);
    }

    // Every public file is a target, served at <dir>/<sha256>.<name> with its length and hash.
    let expected: BTreeSet<String> = tree
        .keys()
        .filter(|p| {
            !(p.starts_with("_edge/")
                || p.starts_with("metadata/")
                || *p == "_headers"
                || *p == "snapshot.json"
                || *p == ".assetsignore"
                || (is_hash_prefixed(p) && !p.starts_with("artifacts/")))
        })
        .map(|p| {
            if p.starts_with("artifacts/") {
                let (dir, base) = p.rsplit_once('/').expect("dir");
                format!("{dir}/{}", &base[65..])
            } else {
                p.clone()
            }
        })
        .collect();
    assert_eq!(
        all_targets.keys().cloned().collect::<BTreeSet<_>>(),
        expected
    );
    for (path, f) in &all_targets {
        let (dir, base) = path
            .rsplit_once('/')
            .map_or(("", path.as_str()), |(d, b)| (d, b));
        let served = if dir.is_empty() {
            format!("{}.{base}", f.hashes.sha256)
        } else {
            format!("{dir}/{}.{base}", f.hashes.sha256)
        };
        let bytes = tree
            .get(&served)
            .unwrap_or_else(|| panic!("{served} missing"));
        assert_eq!(
            tuf::TargetFile::of_bytes(bytes, f.custom.clone()),
            *f,
            "{path}"
        );
        if !path.starts_with("artifacts/") {
            assert_eq!(&tree[path], bytes, "{path} and its hash-prefixed copy");
        }
    }
    versions
}

#[test]
fn example_metadata_chain_is_consistent() {
    let repo = repo();
    let tree = repo.build("site", &[]);
    check_chain(&tree);
    // `custom` tells a client what the release is.
    let (_, targets) = versioned(&tree, "android-demo");
    let t: Targets = tuf::typed(&targets).expect("targets");
    let apk = &t.targets["artifacts/android-demo/1.1.0/demo-1.1.0-arm64-v8a.apk"];
    let custom = apk.custom.clone().expect("custom");
    for (k, v) in [
        ("app", "android-demo"),
        ("channel", "stable"),
        ("version", "1.1.0"),
        ("arch", "arm64-v8a"),
        ("role", "primary"),
    ] {
        assert_eq!(custom[k], v, "custom.{k}");
    }
    assert_eq!(custom["version_code"], 110);
    // Metadata is never transformed by a CDN (clients check exact bytes).
    let headers = String::from_utf8_lossy(&tree["_headers"]).into_owned();
    assert!(headers.contains("/metadata/*.snapshot.json\n  Cache-Control: public, max-age=31536000, immutable, no-transform"));
    assert!(headers.contains(
        "/metadata/root.json\n  Cache-Control: public, max-age=60, must-revalidate, no-transform"
    ));
    // The mirror list covers the metadata and the hash-prefixed copies.
    let mirror: Value = serde_json::from_slice(&tree["snapshot.json"]).expect("mirror list");
    assert!(mirror["files"]["metadata/1.root.json"].is_object());
}

#[test]
fn rebuild_without_change_is_byte_identical_and_needs_no_key() {
    let repo = repo();
    let first = repo.build("a", &[]);
    let state = read_tree(&repo.root.join("tuf"));
    repo.without_demo_keys();
    let second = repo.build("b", &[]);
    assert_eq!(first, second);
    assert_eq!(read_tree(&repo.root.join("tuf")).len(), state.len());
    for (p, b) in &state {
        if p != "config.toml" {
            assert_eq!(&read_tree(&repo.root.join("tuf"))[p], b, "tuf/{p} changed");
        }
    }
}

#[test]
fn changed_release_bumps_versions_and_a_missing_key_is_a_clear_error() {
    let repo = repo();
    let before = check_chain(&repo.build("a", &[]));
    let keys = repo.without_demo_keys();
    repo.edit(
        "releases/android-demo/1.1.0.toml",
        "Fix a crash when resuming",
        "Fix a crash when resuming from sleep",
    );
    // No key: the build stops, naming the role, the file and the variable.
    let o = repo.try_build("b", &[]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("android-demo.json")
            && err.contains("targets.key")
            && err.contains("TUF_TARGETS_KEY"),
        "{err}"
    );
    assert!(!repo.path("b").exists(), "no site without signatures");
    // With the keys, by directory: versions go up where content changed, never down.
    let after = check_chain(&repo.build("b", &["--tuf-keys", keys.to_str().expect("utf-8")]));
    assert_eq!(after["android-demo"], before["android-demo"] + 1);
    assert_eq!(after["snapshot"], before["snapshot"] + 1);
    assert_eq!(after["ios-demo"], before["ios-demo"]);
    for (role, v) in &before {
        assert!(after[role] >= *v, "{role} went from {v} to {}", after[role]);
    }
    // Or by environment variable (the seed itself).
    repo.edit(
        "releases/android-demo/1.1.0.toml",
        "from sleep",
        "from standby",
    );
    let mut c = repo.generator();
    c.args(["build", "--no-cache", "--root"])
        .arg(&repo.root)
        .arg("--out")
        .arg(repo.path("c"));
    c.env("TUF_TARGETS_KEY", seeds(&keys, "targets")[0].to_hex());
    c.env("TUF_SNAPSHOT_KEY", seeds(&keys, "snapshot")[0].to_hex());
    let o = c.output().expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let third = check_chain(&read_build(&repo.path("c")));
    assert_eq!(third["android-demo"], after["android-demo"] + 1);
}

#[test]
fn rotate_publishes_root_n_plus_1_signed_by_old_and_new_root_keys() {
    let repo = repo();
    repo.build("a", &[]);
    let keys = repo.without_demo_keys();
    let k = keys.to_str().expect("utf-8");
    let old_root_seed = seeds(&keys, "root");
    let old_targets = seeds(&keys, "targets")[0].keyid();
    let old_snapshot = seeds(&keys, "snapshot")[0].keyid();
    // Root 2 rotates root, 3 targets, 4 the two online-facing keys at once.
    for roles in [&["root"][..], &["targets"], &["snapshot", "timestamp"]] {
        let keystore = repo.root.join("keys");
        let mut args = vec![
            "--keys",
            k,
            "--keystore",
            keystore.to_str().expect("utf-8"),
            "rotate",
        ];
        args.extend_from_slice(roles);
        let o = repo.tuf(&args);
        let role = roles.join(" ");
        assert!(
            o.status.success(),
            "rotate {role}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let read = |v: u64| -> (Metadata<Value>, Root) {
        let b =
            std::fs::read(repo.root.join(format!("tuf/root/{v}.root.json"))).expect("root file");
        let m = tuf::parse(&b).expect("parse");
        let r = tuf::typed(&m).expect("root");
        (m, r)
    };
    let (_, r1) = read(1);
    let (m2, r2) = read(2);
    // Root 2 rotates the root key: a threshold of the old and of the new root keys signed it.
    tuf::verify_role(&m2, &r1.keys, r1.role("root").expect("role")).expect("old root keys");
    tuf::verify_role(&m2, &r2.keys, r2.role("root").expect("role")).expect("new root keys");
    assert_ne!(
        r1.role("root").expect("r").keyids,
        r2.role("root").expect("r").keyids
    );
    assert!(
        !r2.keys.contains_key(&old_root_seed[0].keyid()),
        "the old root key is dropped"
    );
    assert!(keys.join("root.key.retired-v1").exists());
    let (m3, r3) = read(3);
    tuf::verify_role(&m3, &r2.keys, r2.role("root").expect("role")).expect("root 2 keys sign 3");
    assert_ne!(r3.role("targets").expect("r").keyids, vec![old_targets]);
    // The timestamp rotation reaches the worker secret.
    let (_, r4) = read(4);
    let secrets: Value = serde_json::from_slice(
        &std::fs::read(repo.root.join("keys/secrets.json")).expect("secrets"),
    )
    .expect("json");
    let ts =
        Ed25519Seed::from_hex(secrets["tuf_timestamp_key"].as_str().expect("set")).expect("seed");
    assert_eq!(r4.role("timestamp").expect("r").keyids, vec![ts.keyid()]);
    assert_ne!(r4.role("snapshot").expect("r").keyids, vec![old_snapshot]);
    assert_eq!(
        r4.role("targets").expect("r").keyids,
        r3.role("targets").expect("r").keyids
    );
    // The next build re-signs targets with the new key, and publishes every root version.
    let tree = repo.build("b", &["--tuf-keys", k]);
    check_chain(&tree);
    assert_eq!(
        EdgeTuf::parse(&tree["_edge/tuf.json"])
            .expect("edge")
            .timestamp_keyids,
        vec![ts.keyid()]
    );
    // Without root keys, no rotation.
    std::fs::remove_file(keys.join("root.key")).expect("rm");
    let o = repo.tuf(&["--keys", k, "rotate", "snapshot"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("TUF_ROOT_KEY"));
}

#[test]
fn resign_bumps_versions_and_status_reports_expiry() {
    let repo = repo();
    let before = check_chain(&repo.build("a", &[]));
    let now = unix_now();
    // Far in the future every role is due: status --check fails and says what to do.
    let later = (now + 400 * 86_400).to_string();
    let o = repo.tuf(&["--now", &later, "status", "--check"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("generator tuf resign"));
    let o = repo.tuf(&[
        "--now",
        &now.to_string(),
        "--format",
        "json",
        "status",
        "--check",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = repo.tuf(&["resign"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let after = check_chain(&repo.build("b", &[]));
    for role in ["targets", "snapshot", "android-demo"] {
        assert_eq!(after[role], before[role] + 1, "{role}");
    }
}

#[test]
fn no_private_key_reaches_the_site() {
    use base64::Engine;
    let repo = repo();
    let tree = repo.build("site", &[]);
    let keys = repo.root.join("tuf-keys");
    let mut secrets = Vec::new();
    for role in ["root", "targets", "snapshot", "timestamp"] {
        for s in seeds(&keys, role) {
            let b = s.to_bytes();
            secrets.push(s.to_hex());
            secrets.push(s.to_hex().to_uppercase());
            secrets.push(base64::engine::general_purpose::STANDARD.encode(b));
            secrets.push(base64::engine::general_purpose::STANDARD_NO_PAD.encode(b));
        }
    }
    assert_eq!(secrets.len(), 16);
    for (path, bytes) in &tree {
        let text = String::from_utf8_lossy(bytes);
        for s in &secrets {
            assert!(
                !text.contains(s.as_str()),
                "{path} contains a private TUF key"
            );
        }
    }
}

/// The reference implementation agrees: securesystemslib encodes every vector and every
/// metadata payload to our bytes, python-tuf verifies the chain, and its ngclient refreshes
/// from the built site with an edge-signed timestamp and downloads targets.
#[test]
fn python_tuf_and_securesystemslib_agree() {
    let repo = repo();
    let tree = repo.build("site", &[]);
    let mut cases = Vec::new();
    let mut add = |v: &Value| {
        let text = serde_json::to_string(v).expect("json");
        let ours = tuf::cjson::encode(v).expect("canonical");
        cases.push(serde_json::json!({"json": text, "canonical_hex": hex::encode(ours)}));
    };
    for text in [
        r#"{"foo bar":2,"foo":1}"#,
        r#"{"a!":2,"a":1}"#,
        r#"{"a[":3,"a#":2,"a\"b":1}"#,
        "{\"name\":\"e\\u0301\"}",
        r#"{"s":"line1\nline2\t"}"#,
        "{\"\\ud83d\\ude00\":2,\"\\uff01\":1}",
        r#"{"v":9007199254740993}"#,
        r#"{"b":[3,1,{"z":null,"y":true}],"a":false,"c":"back\\slash/","n":-5}"#,
        "{\"ctl\":\"\\u0001\\u007f\",\"\\u00e9\":\"\\u4e2d\"}",
    ] {
        add(&serde_json::from_str(text).expect("vector"));
    }
    for (path, bytes) in tree.iter().filter(|(p, _)| p.starts_with("metadata/")) {
        let m = tuf::parse(bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
        add(&m.signed);
    }
    let cases_file = repo.path("cases.json");
    std::fs::write(&cases_file, serde_json::to_vec(&cases).expect("json")).expect("write");
    let script = workspace_root().join("tests/clients/tuf_cjson.py");
    let py = |args: &[&std::ffi::OsStr]| -> String {
        let o = Command::new("python3")
            .arg(&script)
            .args(args)
            .output()
            .expect("run python3");
        assert!(
            o.status.success(),
            "tuf_cjson.py {args:?} failed (needs `pip install securesystemslib==1.6.0 tuf==7.0.1`): {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    py(&["cjson".as_ref(), cases_file.as_os_str()]);
    let site = repo.path("site");
    py(&["verify".as_ref(), site.as_os_str()]);

    // The edge's timestamp, signed as the worker will: from _edge/tuf.json and the secret.
    let edge = EdgeTuf::parse(&tree["_edge/tuf.json"]).expect("edge");
    let secrets: Value = serde_json::from_slice(
        &std::fs::read(repo.root.join("keys/secrets.json")).expect("secrets"),
    )
    .expect("json");
    let seed =
        Ed25519Seed::from_hex(secrets["tuf_timestamp_key"].as_str().expect("set")).expect("seed");
    let ts = edge
        .sign_timestamp(unix_now(), &seed)
        .expect("sign timestamp");
    let ts_file = repo.path("timestamp.json");
    std::fs::write(&ts_file, ts).expect("write");
    let apk = "artifacts/android-demo/1.1.0/demo-1.1.0-arm64-v8a.apk";
    let out = py(&[
        "client".as_ref(),
        site.as_os_str(),
        ts_file.as_os_str(),
        apk.as_ref(),
        "index.json".as_ref(),
        "apps/ios-demo/index.json".as_ref(),
    ]);
    let custom: Value = serde_json::from_str(out.trim()).expect("client output");
    assert_eq!(custom[apk]["app"], "android-demo");
    assert_eq!(custom[apk]["version"], "1.1.0");
    assert_eq!(custom["apps/ios-demo/index.json"]["app"], "ios-demo");
}

#[test]
fn reserved_app_id_is_a_problem_naming_the_manifest_field() {
    let repo = repo();
    std::fs::write(
        repo.root.join("apps/snapshot.toml"),
        "id = \"snapshot\"\nname = \"Clash\"\nplatform = \"other\"\n\n[[channels]]\nkey = \"stable\"\nname = \"Stable\"\n",
    )
    .expect("write app");
    let o = repo.try_build("site", &[]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("apps/snapshot.toml: id:") && err.contains("hint: rename the app"),
        "{err}"
    );
    // Without tuf/ the id is fine.
    std::fs::remove_dir_all(repo.root.join("tuf")).expect("rm tuf");
    let tree = repo.build("site", &[]);
    assert!(tree.contains_key("apps/snapshot/index.json"));
    assert!(
        !tree
            .keys()
            .any(|p| p.starts_with("metadata/") || p == "_edge/tuf.json")
    );
}
