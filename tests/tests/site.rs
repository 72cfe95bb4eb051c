//! The generator's `build` on the bundled example: reproducible bytes, atomic replacement, the
//! hash cache, digests that agree with coreutils, and nothing secret or private in public files.

use e2e_tests::{copy_tree, example_dir, read_tree, run_generator, stdout_json};
use std::path::Path;
use std::process::Command;
use update_protocol::index::{EdgeApp, SiteIndex, Snapshot};

/// Runs `build --format json` of `root` into `out`.
fn run_build(root: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "build",
        "--root",
        root.to_str().expect("utf-8 path"),
        "--out",
        out.to_str().expect("utf-8 path"),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    run_generator(&args)
}

/// A successful build's JSON summary.
fn build(root: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    let o = run_build(root, out, extra);
    assert!(
        o.status.success(),
        "build failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    stdout_json(&o)
}

fn example_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&example_dir(), &dir.path().join("repo"));
    dir
}

#[test]
fn two_builds_of_the_example_are_byte_identical() {
    let tmp = example_copy();
    let root = tmp.path().join("repo");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    build(&root, &a, &["--no-cache"]);
    build(&root, &b, &["--no-cache"]);
    // Both trees: the site and the worker tree beside it (`a-edge`, `b-edge`).
    let (wa, wb) = (tmp.path().join("a-edge"), tmp.path().join("b-edge"));
    for (x, y) in [(&a, &b), (&wa, &wb)] {
        let (ta, tb) = (read_tree(x), read_tree(y));
        assert!(ta.len() > 20, "the example should produce many files");
        assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
        for (path, bytes) in &ta {
            assert!(tb[path] == *bytes, "{path} differs between builds");
        }
    }
    // A rebuild over an existing site (links artifacts from it, uses the cache) is identical too.
    build(&root, &a, &[]);
    build(&root, &a, &[]);
    assert_eq!(read_tree(&a), read_tree(&b));
    assert_eq!(read_tree(&wa), read_tree(&wb));
}

#[test]
fn failed_build_leaves_previous_site_untouched() {
    let tmp = example_copy();
    let root = tmp.path().join("repo");
    let out = tmp.path().join("site");
    build(&root, &out, &[]);
    let worker = tmp.path().join("site-edge");
    let before = (read_tree(&out), read_tree(&worker));
    let trees = || (read_tree(&out), read_tree(&worker));

    // A change that alters the output, then a failure midway through writing it.
    let m = root.join("releases/windows-tool/1.1.0.toml");
    let text = std::fs::read_to_string(&m).expect("read");
    std::fs::write(&m, text.replace("更新说明 1.1.0", "changed notes")).expect("write");
    let o = run_build(&root, &out, &["--fail-after-writes", "5"]);
    assert!(
        !o.status.success(),
        "the injected failure must fail the build"
    );
    assert_eq!(trees(), before, "site changed by a failed build");

    // A failure found after hashing (a stated digest that does not match) also changes nothing.
    let m = root.join("releases/windows-tool/1.0.0.toml");
    let text = std::fs::read_to_string(&m).expect("read");
    std::fs::write(
        &m,
        text.replace(
            "[[artifacts]]\n",
            &format!("[[artifacts]]\nsha256 = \"{}\"\n", "ab".repeat(32)),
        ),
    )
    .expect("write");
    let o = run_build(&root, &out, &[]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(trees(), before, "site changed by a failed build");

    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("read dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".build-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "build directories left behind: {leftovers:?}"
    );
}

#[test]
fn second_build_with_no_change_hashes_nothing() {
    let tmp = example_copy();
    let root = tmp.path().join("repo");
    let out = tmp.path().join("site");
    let first = build(&root, &out, &[]);
    let hashed = first["hashed"]["files_hashed"].as_u64().expect("count");
    assert!(hashed >= 10, "cold build hashed {hashed} files");
    assert_eq!(first["hashed"]["files_cached"], 0);

    let second = build(&root, &out, &[]);
    assert_eq!(second["hashed"]["files_hashed"], 0, "{second}");
    assert_eq!(second["hashed"]["files_cached"].as_u64(), Some(hashed));

    // Changing one file re-hashes that file only.
    std::fs::write(
        root.join("releases/windows-tool/files/windows-tool-1.1.0.exe"),
        b"a rebuilt exe with another size\n",
    )
    .expect("write");
    let third = build(&root, &out, &[]);
    assert_eq!(third["hashed"]["files_hashed"], 1, "{third}");
}

fn coreutils(tool: &str, path: &Path) -> String {
    let o = Command::new(tool)
        .arg(path)
        .output()
        .expect("run coreutils");
    assert!(o.status.success());
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .expect("digest")
        .to_owned()
}

#[test]
fn published_digests_match_sha256sum_and_md5sum() {
    let tmp = example_copy();
    let root = tmp.path().join("repo");
    let out = tmp.path().join("site");
    build(&root, &out, &[]);
    // The edge data and the private files are in the worker tree (it has the public ones too).
    let worker = tmp.path().join("site-edge");
    let mut checked = 0;
    for app in ["android-demo", "ios-demo", "desktop-pro", "windows-tool"] {
        let bytes =
            std::fs::read(worker.join(format!("_edge/apps/{app}.json"))).expect("edge data");
        let edge: EdgeApp = serde_json::from_slice(&bytes).expect("edge json");
        for a in edge.releases.iter().flat_map(|r| &r.release.artifacts) {
            let Some(rel) = a.url.strip_prefix('/') else {
                continue; // hosted elsewhere
            };
            let file = worker.join(rel);
            assert_eq!(a.sha256.to_hex(), coreutils("sha256sum", &file), "{rel}");
            assert_eq!(
                a.md5.expect("md5 of a local file").to_hex(),
                coreutils("md5sum", &file),
                "{rel}"
            );
            assert_eq!(a.size, std::fs::metadata(&file).expect("stat").len());
            assert!(
                rel.contains(&a.sha256.to_hex()),
                "{rel} is not content-addressed"
            );
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} artifacts checked");

    // The snapshot lists every public file with the digest sha256sum computes.
    let snap: Snapshot =
        serde_json::from_slice(&std::fs::read(out.join("snapshot.json")).expect("snapshot"))
            .expect("snapshot json");
    let tree = read_tree(&out);
    let public: Vec<&String> = tree
        .keys()
        .filter(|p| *p != "_headers" && *p != "snapshot.json")
        .collect();
    assert_eq!(snap.files.keys().collect::<Vec<_>>(), public);
    for (path, e) in &snap.files {
        assert_eq!(
            e.sha256.to_hex(),
            coreutils("sha256sum", &out.join(path)),
            "{path}"
        );
        assert_eq!(e.size, tree[path].len() as u64);
    }
}

/// Whether `text` has `prefix` followed by `len` characters accepted by `ok`.
fn has_token(text: &str, prefix: &str, len: usize, ok: impl Fn(char) -> bool) -> bool {
    text.match_indices(prefix).any(|(i, _)| {
        let rest = &text[i + prefix.len()..];
        rest.chars().take(len).filter(|c| ok(*c)).count() == len
    })
}

#[test]
fn token_shapes_are_recognised() {
    assert!(has_token(
        &format!("x hot_{} y", "ab".repeat(32)),
        "hot_",
        64,
        |c| c.is_ascii_hexdigit()
    ));
    assert!(!has_token("\"hot_update\": 1", "hot_", 64, |c| c.is_ascii_hexdigit()));
}

/// Secrets are not inputs of `build` at all; this guards against one ever being copied in, and
/// against protocol identifiers (which gate access) or private apps leaking into public files.
#[test]
fn no_secret_or_private_data_in_public_files() {
    let tmp = example_copy();
    let root = tmp.path().join("repo");
    let out = tmp.path().join("site");
    build(&root, &out, &[]);
    // Every file of the site is public (issue 18: the edge data is in the worker tree beside).
    let tree = read_tree(&out);
    let worker = read_tree(&tmp.path().join("site-edge"));
    assert!(
        !tree.keys().any(|p| p.starts_with("_edge")),
        "edge data in the site"
    );
    for (path, bytes) in &tree {
        let text = String::from_utf8_lossy(bytes);
        for word in [
            "PRIVATE KEY",
            "\"secret",
            "_secret\"",
            "\"token\"",
            "apiKey",
            "api_key",
        ] {
            assert!(!text.contains(word), "{path} contains {word:?}");
        }
        // Bearer tokens of protocol A and license keys of protocol C, by their shapes.
        assert!(
            !has_token(&text, "hot_", 64, |c| c.is_ascii_hexdigit()),
            "{path} has a hot_ token"
        );
        assert!(
            !has_token(&text, "LIC-", 32, |c| c.is_ascii_digit()
                || ('A'..='F').contains(&c)),
            "{path} has a license key"
        );
    }
    // Protocol identifiers and private apps stay in the edge data.
    let gated = [
        "clx0demo0android",
        "mui2W50H1jOC4xD6PgQagA",
        "q1hfB1VUQaK9VksTZGPU1Q",
        "534a235d30f13cac",
        "app_desktop_pro",
        "desktop-pro",
        "Содержимое подсказки",
        "dark_mode",
    ];
    for (path, bytes) in &tree {
        let text = String::from_utf8_lossy(bytes);
        for g in gated {
            assert!(!text.contains(g), "public file {path} contains {g:?}");
        }
    }
    // The example's credentials (example/keys) reach no file of the site, edge data included:
    // keys are checked by their sha256 in KV, secrets come from EDGE_SECRETS.
    let credentials = [
        "demo-project-api-key-android",
        "hot_demo_user_token_android",
        "demo-zealot-admin-token",
        "demo-channel-ios-release",
        "LIC-DEMO0ACTIVE",
        "demo-toolsetlink-secret-key",
        "demo-signing-secret-desktop-pro",
    ];
    let keystore = std::fs::read_to_string(root.join("keys/secrets.json")).expect("secrets");
    assert!(keystore.contains(credentials[5]) && keystore.contains(credentials[6]));
    for (path, bytes) in tree.iter().chain(&worker) {
        let text = String::from_utf8_lossy(bytes);
        for c in credentials {
            assert!(!text.contains(c), "{path} contains the credential {c:?}");
        }
    }
    let lookup = String::from_utf8_lossy(&worker["_edge/lookup.json"]).into_owned();
    for g in &gated[..5] {
        assert!(lookup.contains(g), "edge lookup lacks {g}");
    }
    // The edge data is uploaded (the worker reads it; tests/tests/edge_tinyaii.rs checks that
    // it is never served), and without artifact_base_url nothing is left out of the upload.
    assert!(!tree.contains_key(".assetsignore") && !worker.contains_key(".assetsignore"));

    let index: SiteIndex = serde_json::from_slice(&tree["index.json"]).expect("index");
    let ids: Vec<&str> = index.apps.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "android-demo",
            "desktop-editor",
            "ios-demo",
            "remote-config",
            "windows-tool"
        ]
    );
}

/// Whether gitignore-syntax `pattern` (as wrangler reads `.assetsignore`) ignores site path
/// `path`, for the forms a build writes: anchored (`/x`) or not, directory (`x/`) or not.
/// Any other form (wildcards, negation) fails the test, so the check cannot pass by accident.
fn ignores(pattern: &str, path: &str) -> bool {
    assert!(
        !pattern.contains(['*', '?', '[', '!', '\\']),
        "unsupported .assetsignore pattern {pattern:?}"
    );
    let dir = pattern.ends_with('/');
    let p = pattern.trim_end_matches('/');
    // A slash at the start or in the middle anchors the pattern to the root.
    let anchored = p.contains('/');
    let p = p.trim_start_matches('/');
    let parts: Vec<&str> = path.split('/').collect();
    // A pattern matches a path when it names the path or one of its directories.
    let names = |i: usize| {
        let prefix = parts[..=i].join("/");
        let is_dir = i + 1 < parts.len();
        (!dir || is_dir) && if anchored { prefix == p } else { parts[i] == p }
    };
    (0..parts.len()).any(names)
}

#[test]
fn assetsignore_leaves_out_the_public_artifacts_only() {
    let repo = e2e_tests::repo::Repo::new(e2e_tests::generator().to_str().expect("utf-8"));
    repo.append(
        "site.toml",
        "artifact_base_url = \"https://cdn.example.com\"\n",
    );
    let (tmp, root) = (&repo.tmp, repo.root.clone());
    let out = tmp.path().join("site");
    build(&root, &out, &[]);
    // What wrangler uploads: the worker tree. The site has no `.assetsignore` (a mirror has no
    // use for it).
    assert!(!out.join(".assetsignore").exists());
    let tree = read_tree(&tmp.path().join("site-edge"));
    let ignore = String::from_utf8_lossy(&tree[".assetsignore"]).into_owned();
    assert_eq!(ignore, "/artifacts/\n");
    let patterns: Vec<&str> = ignore.lines().filter(|l| !l.trim().is_empty()).collect();
    let ignored = |path: &str| patterns.iter().any(|p| ignores(p, path));
    let (mut public, mut private) = (0, 0);
    for path in tree.keys() {
        if path.starts_with("artifacts/") {
            public += 1;
            assert!(ignored(path), "{path} would be uploaded");
        } else {
            // The private files (`_edge/artifacts/…`) and every other file are uploaded.
            private += usize::from(path.starts_with("_edge/artifacts/"));
            assert!(!ignored(path), "{path} would be left out of the upload");
        }
    }
    assert!(
        public > 0 && private > 0,
        "{public} public, {private} private artifacts"
    );
    // The matcher reads gitignore as wrangler does: the old unanchored pattern also dropped
    // the private files.
    assert!(ignores(
        "artifacts",
        "_edge/artifacts/desktop-pro/1.1.0/x.zip"
    ));
    assert!(!ignores(
        "/artifacts/",
        "_edge/artifacts/desktop-pro/1.1.0/x.zip"
    ));
    assert!(!ignores("/artifacts/", "artifacts"));
}
