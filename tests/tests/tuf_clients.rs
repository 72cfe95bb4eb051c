//! The edge-signed TUF `timestamp.json` against the real clients: python-tuf's ngclient
//! (`tests/clients/tuf_client.py`, tuf==7.0.1) and tuf-js (`tests/clients/tuf_client.mjs`),
//! refreshing from the example served by the real worker under `wrangler dev`, with a TUF
//! repository signed over the built site by the core module (`e2e_tests::tuf_repo`).
//!
//! Rejections go through a small proxy in front of the worker that answers a chosen
//! `timestamp.json` (rollback, freeze, wrong key, older snapshot, and an attacker's
//! fast-forward), and the recovery from that by a root rotation is served by a second worker
//! with the new timestamp key.

use e2e_tests::tuf_repo::{self, Keys};
use e2e_tests::{Edge, copy_tree, example_dir, run_generator, unix_now, workspace_root};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use update_protocol::tuf::{self, Ed25519Seed, EdgeTuf, MetaFile, format_expires};

/// Window length of the test deployments: short, so that a new window comes within seconds.
const PERIOD: i64 = 4;
const TTL: i64 = 300;
/// The snapshot (and targets) version the deployments serve.
const SNAPSHOT: u64 = 2;
const TARGET: &str = "artifacts/android-demo/1.1.0/demo-1.1.0-arm64-v8a.apk";
const TARGET_FILE: &str = "releases/android-demo/files/demo-1.1.0-arm64-v8a.apk";

/// The error class a client must raise.
type ErrorOf = fn(Client) -> &'static str;

#[derive(Clone, Copy, Debug)]
enum Client {
    Python,
    Js,
}

impl Client {
    const ALL: [Client; 2] = [Client::Python, Client::Js];

    /// The client's name for "a lower version than trusted".
    fn bad_version(self) -> &'static str {
        match self {
            Client::Python => "BadVersionNumberError",
            Client::Js => "BadVersionError",
        }
    }

    /// One refresh + target download with the client's state in `state`.
    fn run(self, state: &Path, root: &Path, metadata: &str, targets: &str) -> Value {
        let mut cmd = match self {
            Client::Python => {
                let mut c = Command::new("python3");
                c.arg(workspace_root().join("tests/clients/tuf_client.py"));
                c
            }
            Client::Js => {
                let mut c = Command::new("node");
                c.arg(workspace_root().join("tests/clients/tuf_client.mjs"));
                c
            }
        };
        let out = cmd
            .arg(state)
            .arg(root)
            .args([metadata, targets, TARGET])
            .current_dir(workspace_root())
            .output()
            .expect("run the TUF client (python3 with tuf==7.0.1, node with npm ci)");
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{self:?} printed no JSON ({e}): {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }
}

/// A deployment's site: the example built by the harness, with TUF metadata signed with `keys`
/// (roots 1..=`roots.len()`), and the worker secret's timestamp key `seed`.
fn deploy(roots: &[Vec<u8>], keys: &Keys, seed: Option<&Ed25519Seed>) -> (Edge, EdgeTuf) {
    deploy_with(roots, keys, seed, |_| {})
}

/// As [`deploy`], with `tweak` changing the edge contract before it is written.
fn deploy_with(
    roots: &[Vec<u8>],
    keys: &Keys,
    seed: Option<&Ed25519Seed>,
    tweak: impl FnOnce(&mut EdgeTuf),
) -> (Edge, EdgeTuf) {
    let mut contract = None;
    let edge = Edge::start_prepared(&example_dir().join("keys"), |site, secrets| {
        // This test's repository replaces whatever the build wrote for the example's own.
        let _ = std::fs::remove_dir_all(site.join("metadata"));
        for (i, r) in roots.iter().enumerate() {
            tuf_repo::write_root(site, i as u64 + 1, r);
        }
        let mut c = tuf_repo::publish(site, keys, SNAPSHOT, PERIOD, TTL, unix_now() - 60);
        tweak(&mut c);
        tuf_repo::write_edge(site, &c);
        contract = Some(c);
        // The example's own timestamp key is replaced (or removed).
        let secrets = secrets.as_object_mut().expect("EDGE_SECRETS is an object");
        match seed {
            Some(s) => secrets.insert("tuf_timestamp_key".into(), Value::from(s.to_hex())),
            None => secrets.remove("tuf_timestamp_key"),
        };
    });
    (edge, contract.expect("published"))
}

/// The worker's timestamp: status, headers and bytes.
fn fetch_timestamp(base: &str, method: &str) -> (u16, Option<String>, Option<String>, Vec<u8>) {
    let r = ureq::request(method, &format!("{base}/metadata/timestamp.json")).call();
    let r = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} timestamp.json: {e}"),
    };
    let status = r.status();
    let ct = r.header("content-type").map(str::to_owned);
    let cc = r.header("cache-control").map(str::to_owned);
    let mut body = Vec::new();
    // A HEAD answer has no body whatever its content-length says: reading one would wait for
    // bytes that never come (or fail on the closed connection).
    if method != "HEAD" {
        std::io::Read::read_to_end(&mut r.into_reader(), &mut body).expect("body");
    }
    (status, ct, cc, body)
}

fn version_of(bytes: &[u8]) -> u64 {
    tuf::parse(bytes).expect("metadata").signed["version"]
        .as_u64()
        .expect("version")
}

/// Sleeps until the window after the one of `version` has begun (a wait, not a measurement).
fn wait_for_window_after(version: u64) {
    let next = i64::try_from(version).expect("i64") + PERIOD;
    while unix_now() <= next {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// An HTTP/1.1 proxy in front of a worker: answers `/metadata/timestamp.json` with the bytes
/// set in `timestamp` when there are any, and forwards every other GET to `upstream`.
struct Proxy {
    base: String,
    timestamp: Arc<Mutex<Option<Vec<u8>>>>,
    upstream: Arc<Mutex<String>>,
}

impl Proxy {
    fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let timestamp: Arc<Mutex<Option<Vec<u8>>>> = Arc::default();
        let upstream = Arc::new(Mutex::new(upstream.to_owned()));
        let (t, u) = (timestamp.clone(), upstream.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (t, u) = (t.clone(), u.clone());
                std::thread::spawn(move || serve(stream, &t, &u));
            }
        });
        Proxy {
            base,
            timestamp,
            upstream,
        }
    }

    fn serve_timestamp(&self, bytes: Option<Vec<u8>>) {
        *self.timestamp.lock().expect("lock") = bytes;
    }

    fn set_upstream(&self, base: &str) {
        base.clone_into(&mut self.upstream.lock().expect("lock"));
    }
}

/// One request per connection (`Connection: close`).
fn serve(stream: TcpStream, timestamp: &Mutex<Option<Vec<u8>>>, upstream: &Mutex<String>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    // Skip the headers; clients send GETs without a body.
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
    }
    let forced = (path == "/metadata/timestamp.json")
        .then(|| timestamp.lock().expect("lock").clone())
        .flatten();
    let (status, ct, body) = match forced {
        Some(b) => (200, "application/json".to_owned(), b),
        None => {
            let url = format!("{}{path}", upstream.lock().expect("lock"));
            let agent = ureq::AgentBuilder::new().redirects(0).build();
            let r = match agent.get(&url).call() {
                Ok(r) => r,
                Err(ureq::Error::Status(_, r)) => r,
                Err(_) => return,
            };
            let status = r.status();
            let ct = r.header("content-type").unwrap_or("").to_owned();
            let mut b = Vec::new();
            let _ = std::io::Read::read_to_end(&mut r.into_reader(), &mut b);
            (status, ct, b)
        }
    };
    let mut s = stream;
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {ct}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = s.write_all(head.as_bytes());
    let _ = s.write_all(&body);
}

#[test]
fn clients_refresh_reject_and_recover() {
    let keys = Keys::fixed(0x10);
    let root1 = tuf_repo::root(&keys, 1, &[&keys.root]);
    let (edge, contract) = deploy(std::slice::from_ref(&root1), &keys, Some(&keys.timestamp));
    let work = tempfile::tempdir().expect("tempdir");
    let trusted_root = work.path().join("1.root.json");
    std::fs::write(&trusted_root, &root1).expect("write root");
    let expected = std::fs::read(example_dir().join(TARGET_FILE)).expect("target file");
    let expected_sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&expected));

    // The route itself: signed by the worker's key over the deployed snapshot, cached no longer
    // than its window, HEAD and GET only; the seed never in the answer.
    let (status, ct, cc, early) = fetch_timestamp(&edge.base, "GET");
    assert_eq!(
        status,
        200,
        "{}\n{}",
        String::from_utf8_lossy(&early),
        edge.log()
    );
    assert_eq!(ct.as_deref(), Some("application/json"));
    let cc = cc.expect("cache-control");
    let max_age: i64 = cc
        .strip_prefix("public, max-age=")
        .and_then(|r| r.strip_suffix(", no-transform"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("cache-control {cc}"));
    assert!((1..=PERIOD).contains(&max_age), "{cc}");
    let md = tuf::parse(&early).expect("metadata");
    let keyring = [(keys.timestamp.keyid(), keys.timestamp.public_key())]
        .into_iter()
        .collect();
    let role = tuf::Role {
        keyids: vec![keys.timestamp.keyid()],
        threshold: 1,
    };
    assert_eq!(tuf::verify_role(&md, &keyring, &role).expect("verifies"), 1);
    assert_eq!(md.signed["meta"]["snapshot.json"], json!(contract.snapshot));
    let v_early = version_of(&early);
    assert_eq!(v_early % PERIOD as u64, 0);
    let text = String::from_utf8_lossy(&early).into_owned();
    assert!(!text.contains(&keys.timestamp.to_hex()));
    assert!(!edge.log().contains(&keys.timestamp.to_hex()));
    let (status, ct, _, _) = fetch_timestamp(&edge.base, "HEAD");
    assert_eq!(status, 200);
    assert!(ct.is_some_and(|t| t.starts_with("application/json")));
    let (status, _, _, _) = fetch_timestamp(&edge.base, "POST");
    assert_eq!(status, 405);
    // Within a window every answer is the same bytes.
    let (_, _, _, again) = fetch_timestamp(&edge.base, "GET");
    if version_of(&again) == v_early {
        assert_eq!(again, early);
    }
    // The probe for a newer root is a real 404, never a fallback page.
    assert_eq!(edge.get("/metadata/2.root.json").0, 404);
    assert_eq!(edge.get("/metadata/1.root.json").1.as_bytes(), root1);

    // Both clients refresh from the worker, read the target's custom and download it.
    let metadata = format!("{}/metadata/", edge.base);
    let targets = format!("{}/", edge.base);
    let state = |c: Client| work.path().join(format!("{c:?}"));
    let mut first = Vec::new();
    for c in Client::ALL {
        let r = c.run(&state(c), &trusted_root, &metadata, &targets);
        assert_eq!(r["ok"], true, "{c:?}: {r}\n{}", edge.log());
        assert_eq!(
            r["custom"],
            json!({"app": "android-demo", "version": "1.1.0"}),
            "{c:?}"
        );
        assert_eq!(r["sha256"], expected_sha.as_str(), "{c:?}");
        assert_eq!(r["length"], expected.len(), "{c:?}");
        assert_eq!(r["snapshot_version"], SNAPSHOT, "{c:?}");
        let v = r["timestamp_version"].as_u64().expect("version");
        assert!(v >= v_early, "{c:?}: {v} < {v_early}");
        first.push(v);
    }

    // A new window: each client accepts the newer timestamp.
    wait_for_window_after(*first.iter().max().expect("two"));
    for (c, v0) in Client::ALL.into_iter().zip(&first) {
        let r = c.run(&state(c), &trusted_root, &metadata, &targets);
        assert_eq!(r["ok"], true, "{c:?}: {r}");
        let v1 = r["timestamp_version"].as_u64().expect("version");
        assert!(v1 > *v0, "{c:?}: {v1} is not above {v0}");
    }

    // Rejections, through a proxy that answers a chosen timestamp (targets straight from the
    // worker: a mirror needs no trust).
    let proxy = Proxy::start(&edge.base);
    let via_proxy = format!("{}/metadata/", proxy.base);
    let now = unix_now();
    let above = u64::try_from(now.div_euclid(PERIOD) * PERIOD + 1).expect("u64");
    let fresh = format_expires(now + 86_400);
    let other_key = Ed25519Seed::from_bytes(&[0x77; 32]);
    let older_snapshot = MetaFile {
        version: SNAPSHOT - 1,
        length: None,
        hashes: None,
    };
    let cases: [(&str, Vec<u8>, ErrorOf); 4] = [
        ("rollback", early.clone(), Client::bad_version),
        (
            "freeze",
            tuf_repo::crafted_timestamp(
                &keys.timestamp,
                above,
                &format_expires(now - 10),
                &contract.snapshot,
            ),
            |_| "ExpiredMetadataError",
        ),
        (
            "wrong key",
            tuf_repo::crafted_timestamp(&other_key, above, &fresh, &contract.snapshot),
            |_| "UnsignedMetadataError",
        ),
        (
            "older snapshot",
            tuf_repo::crafted_timestamp(&keys.timestamp, above, &fresh, &older_snapshot),
            Client::bad_version,
        ),
    ];
    for (name, bytes, error) in cases {
        proxy.serve_timestamp(Some(bytes));
        for c in Client::ALL {
            let r = c.run(&state(c), &trusted_root, &via_proxy, &targets);
            assert_eq!(r["ok"], false, "{name}, {c:?}: accepted {r}");
            assert_eq!(r["error"], error(c), "{name}, {c:?}: {r}");
        }
    }
    // Nothing of that stuck: the worker's own timestamp is still accepted through the proxy.
    proxy.serve_timestamp(None);
    for c in Client::ALL {
        let r = c.run(&state(c), &trusted_root, &via_proxy, &targets);
        assert_eq!(r["ok"], true, "{c:?}: {r}");
    }

    // The timestamp key is stolen: a fast-forward to 2^40 is trusted, and from then on every
    // legitimate timestamp looks like a rollback.
    let ff: u64 = 1 << 40;
    proxy.serve_timestamp(Some(tuf_repo::crafted_timestamp(
        &keys.timestamp,
        ff,
        &fresh,
        &contract.snapshot,
    )));
    for c in Client::ALL {
        let r = c.run(&state(c), &trusted_root, &via_proxy, &targets);
        assert_eq!(r["ok"], true, "{c:?}: {r}");
        assert_eq!(r["timestamp_version"], ff, "{c:?}");
    }
    proxy.serve_timestamp(None);
    for c in Client::ALL {
        let r = c.run(&state(c), &trusted_root, &via_proxy, &targets);
        assert_eq!(r["error"], c.bad_version(), "{c:?}: {r}");
    }

    // Recovery: root 2 rotates the timestamp key (signed by the root key, which stays), and a
    // new deployment serves it with the new key as its secret.
    drop(edge);
    let rotated = Keys {
        timestamp: Ed25519Seed::from_bytes(&[0x99; 32]),
        ..keys.clone()
    };
    let root2 = tuf_repo::root(&rotated, 2, &[&keys.root]);
    let (edge2, _) = deploy(&[root1, root2], &rotated, Some(&rotated.timestamp));
    proxy.set_upstream(&edge2.base);
    let targets2 = format!("{}/", edge2.base);
    for c in Client::ALL {
        let r = c.run(&state(c), &trusted_root, &via_proxy, &targets2);
        assert_eq!(r["ok"], true, "{c:?}: {r}\n{}", edge2.log());
        let v = r["timestamp_version"].as_u64().expect("version");
        assert!(v < ff && v > v_early, "{c:?}: {v}");
        assert_eq!(r["sha256"], expected_sha.as_str(), "{c:?}");
    }
    // The old key no longer signs anything clients accept.
    proxy.serve_timestamp(Some(tuf_repo::crafted_timestamp(
        &keys.timestamp,
        ff + 1,
        &fresh,
        &contract.snapshot,
    )));
    for c in Client::ALL {
        let r = c.run(&state(c), &trusted_root, &via_proxy, &targets2);
        assert_eq!(r["error"], "UnsignedMetadataError", "{c:?}: {r}");
    }
}

#[test]
fn worker_refuses_to_sign_what_it_cannot_vouch_for() {
    let keys = Keys::fixed(0x30);
    let root1 = tuf_repo::root(&keys, 1, &[&keys.root]);
    let roots = std::slice::from_ref(&root1);
    let stranger = Ed25519Seed::from_bytes(&[0x55; 32]);
    let forged = Keys {
        snapshot: stranger.clone(),
        ..keys.clone()
    };
    type Tweak = fn(&mut EdgeTuf);
    let cases: [(&str, &Keys, Option<&Ed25519Seed>, Tweak); 5] = [
        ("the timestamp key is not configured", &keys, None, |_| {}),
        (
            "the timestamp key is not root's timestamp key",
            &keys,
            Some(&stranger),
            |_| {},
        ),
        (
            "the clock is before the build's signing time",
            &keys,
            Some(&keys.timestamp),
            |c| c.signed_at = unix_now() + 86_400,
        ),
        (
            "the snapshot has expired",
            &keys,
            Some(&keys.timestamp),
            |c| c.snapshot_expires = "2020-01-01T00:00:00Z".into(),
        ),
        // A snapshot signed by a key root does not name (the contract matches its bytes).
        (
            "the deployed TUF metadata does not verify",
            &forged,
            Some(&keys.timestamp),
            |_| {},
        ),
    ];
    for (message, publish_keys, seed, tweak) in cases {
        let (edge, _) = deploy_with(roots, publish_keys, seed, tweak);
        let r = edge.send("GET", "/metadata/timestamp.json", &[], None);
        assert_eq!(r.status, 503, "{message}: {}\n{}", r.text, edge.log());
        assert_eq!(r.json(), json!({"error": message}));
        assert_eq!(r.header("cache-control"), Some("no-store"), "{message}");
        for secret in [keys.timestamp.to_hex(), stranger.to_hex()] {
            assert!(!r.text.contains(&secret) && !edge.log().contains(&secret));
        }
        // The rest of the deployment is served as usual.
        assert_eq!(edge.get("/metadata/1.root.json").0, 200, "{message}");
        assert_eq!(edge.get("/index.json").0, 200, "{message}");
    }
}

/// The example's own repository, as `generator build` writes it from `example/tuf/` with the
/// demo keys, served with the example's worker secret: both clients refresh from the shipped
/// root (`example/tuf/root/1.root.json`), read an artifact's `custom` and download it.
#[test]
fn example_repository_built_by_the_generator() {
    let edge = Edge::start();
    let root = example_dir().join("tuf/root/1.root.json");
    let work = tempfile::tempdir().expect("tempdir");
    let expected = std::fs::read(example_dir().join(TARGET_FILE)).expect("target file");
    let expected_sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&expected));
    let metadata = format!("{}/metadata/", edge.base);
    let targets = format!("{}/", edge.base);
    for c in Client::ALL {
        let r = c.run(
            &work.path().join(format!("{c:?}")),
            &root,
            &metadata,
            &targets,
        );
        assert_eq!(r["ok"], true, "{c:?}: {r}\n{}", edge.log());
        let custom = &r["custom"];
        assert_eq!(custom["app"], "android-demo", "{c:?}: {r}");
        assert_eq!(custom["version"], "1.1.0", "{c:?}: {r}");
        assert_eq!(custom["arch"], "arm64-v8a", "{c:?}: {r}");
        assert_eq!(r["sha256"], expected_sha.as_str(), "{c:?}");
        let v = r["timestamp_version"].as_u64().expect("version");
        assert_eq!(v % 60, 0, "{c:?}: the example's window is 60 s");
    }
}

/// The runbook for a stolen timestamp key on the example's own repository (a copy): clients
/// trust an attacker's fast-forward, then `generator tuf rotate timestamp` publishes
/// `2.root.json` with a new key and puts that key in the key store's `EDGE_SECRETS`; the
/// rebuilt site, deployed with the exported secrets, makes both clients recover.
#[test]
fn recovery_by_generator_tuf_rotate_timestamp() {
    let work = tempfile::tempdir().expect("tempdir");
    let repo = work.path().join("repo");
    copy_tree(&example_dir(), &repo);
    let _ = std::fs::remove_dir_all(repo.join(".generator-cache"));
    let stolen = std::fs::read_to_string(repo.join("tuf-keys/timestamp.key"))
        .expect("timestamp.key")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| Ed25519Seed::from_hex(l).expect("seed"))
        .next()
        .expect("a seed");
    let shipped_root = work.path().join("1.root.json");
    std::fs::copy(repo.join("tuf/root/1.root.json"), &shipped_root).expect("copy root");
    let edge = Edge::start_from(&repo, &repo.join("keys"), |_, _| {});
    let proxy = Proxy::start(&edge.base);
    let via_proxy = format!("{}/metadata/", proxy.base);
    let targets = format!("{}/", edge.base);
    let state = |c: Client| work.path().join(format!("{c:?}"));
    for c in Client::ALL {
        let r = c.run(&state(c), &shipped_root, &via_proxy, &targets);
        assert_eq!(r["ok"], true, "{c:?}: {r}\n{}", edge.log());
    }
    let (status, _, _, current) = fetch_timestamp(&edge.base, "GET");
    assert_eq!(status, 200);
    let snapshot: MetaFile = serde_json::from_value(
        tuf::parse(&current).expect("metadata").signed["meta"]["snapshot.json"].clone(),
    )
    .expect("snapshot meta");
    let ff: u64 = 1 << 40;
    let fresh = format_expires(unix_now() + 86_400);
    proxy.serve_timestamp(Some(tuf_repo::crafted_timestamp(
        &stolen, ff, &fresh, &snapshot,
    )));
    for c in Client::ALL {
        let r = c.run(&state(c), &shipped_root, &via_proxy, &targets);
        assert_eq!(r["timestamp_version"], ff, "{c:?}: {r}");
    }
    proxy.serve_timestamp(None);
    for c in Client::ALL {
        let r = c.run(&state(c), &shipped_root, &via_proxy, &targets);
        assert_eq!(r["error"], c.bad_version(), "{c:?}: {r}");
    }

    let keys_dir = repo.join("tuf-keys");
    let out = run_generator(&[
        "tuf",
        "--root",
        repo.to_str().expect("utf-8"),
        "--keys",
        keys_dir.to_str().expect("utf-8"),
        "rotate",
        "timestamp",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(repo.join("tuf/root/2.root.json").is_file());
    drop(edge);
    let edge2 = Edge::start_from(&repo, &repo.join("keys"), |site, secrets| {
        assert!(site.join("metadata/2.root.json").is_file());
        assert_ne!(secrets["tuf_timestamp_key"], Value::from(stolen.to_hex()));
    });
    proxy.set_upstream(&edge2.base);
    let targets2 = format!("{}/", edge2.base);
    for c in Client::ALL {
        let r = c.run(&state(c), &shipped_root, &via_proxy, &targets2);
        assert_eq!(r["ok"], true, "{c:?}: {r}\n{}", edge2.log());
        assert!(
            r["timestamp_version"].as_u64().expect("version") < ff,
            "{c:?}: {r}"
        );
    }
    // The stolen key signs nothing clients accept any more.
    proxy.serve_timestamp(Some(tuf_repo::crafted_timestamp(
        &stolen,
        ff + 1,
        &fresh,
        &snapshot,
    )));
    for c in Client::ALL {
        let r = c.run(&state(c), &shipped_root, &via_proxy, &targets2);
        assert_eq!(r["error"], "UnsignedMetadataError", "{c:?}: {r}");
    }
}
