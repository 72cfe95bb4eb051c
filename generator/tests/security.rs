//! Regression tests of the generator's side of issue 18 (security hardening): templates cannot
//! read the environment, `build --out` cannot replace the release repository, symlinks never
//! reach the site, the edge-private data is never in the site (nor in a mirror's copy of it),
//! and `stats` text escapes what clients sent.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn generator(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_generator"));
    c.args(args);
    c
}

fn run(c: &mut Command) -> Output {
    c.output().expect("run generator")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every entry under `dir` (directories, files and symlinks, hidden ones included) with what it
/// holds: the bytes of a file, the target of a link.
fn listing(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).min_depth(1).sort_by_file_name() {
        let e = e.expect("walk");
        let rel = e.path().strip_prefix(dir).expect("under dir").to_owned();
        let t = e.file_type();
        let content = if t.is_symlink() {
            let mut v = b"-> ".to_vec();
            v.extend(
                std::fs::read_link(e.path())
                    .expect("read link")
                    .as_os_str()
                    .as_encoded_bytes(),
            );
            v
        } else if t.is_dir() {
            b"<dir>".to_vec()
        } else {
            std::fs::read(e.path()).expect("read file")
        };
        out.insert(rel, content);
    }
    out
}

/// Issue 18, finding 2: a template calling `get_env` fails to render, naming the file and the
/// fix, and the build writes nothing (the previous site stays as it was).
#[test]
fn issue_18_template_calling_get_env_fails_to_render() {
    let (tmp, root) = e2e_tests::example_copy();
    let site = tmp.path().join("site");
    let tpl = tmp.path().join("tpl");
    std::fs::create_dir(&tpl).expect("mkdir");
    std::fs::write(
        tpl.join("index.html"),
        "<p>{{ get_env(name=\"GENERATOR_TEST_SECRET\") }}</p>",
    )
    .expect("write template");
    let secret = "s3cr3t-4f1c9e-token";
    let build = |templates: bool| {
        let mut c = generator(&["build", "--no-cache", "--root"]);
        c.arg(&root).arg("--out").arg(&site);
        if templates {
            c.arg("--templates").arg(&tpl);
        }
        run(c.env("GENERATOR_TEST_SECRET", secret))
    };
    let first = build(false);
    assert!(first.status.success(), "{}", stderr(&first));
    let before = listing(tmp.path());

    let o = build(true);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let file = tpl.join("index.html").display().to_string();
    assert!(
        err.contains(&format!("{file}: Failed to render 'index.html'")),
        "{err}"
    );
    assert!(err.contains("`get_env` is disabled"), "{err}");
    assert!(err.contains("hint: "), "{err}");
    assert!(!err.contains(secret), "{err}");
    assert_eq!(listing(tmp.path()), before, "the build changed files");
    for (path, bytes) in e2e_tests::read_tree(tmp.path()) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "{path} holds the secret"
        );
    }
}

/// Issue 18, finding 3: `build --out` over the release repository fails before touching
/// anything, naming `--out` and the fix.
#[test]
fn issue_18_build_refuses_an_out_over_the_repository() {
    let (tmp, root) = e2e_tests::example_copy();
    let t = tmp.path();
    // Another release repository, and a symlink to this one.
    std::fs::create_dir_all(t.join("other/keys")).expect("mkdir");
    std::fs::write(t.join("other/keys/secrets.json"), "{}").expect("write");
    std::os::unix::fs::symlink(&root, t.join("link")).expect("symlink");
    let tpl = t.join("tpl");
    std::fs::create_dir(&tpl).expect("mkdir");
    std::fs::write(tpl.join("style.css"), "body{}").expect("write");
    assert!(root.join("keys/secrets.json").is_file() && root.join("tuf-keys").is_dir());

    let cases: Vec<(PathBuf, &str)> = vec![
        (root.clone(), "is the release repository"),
        (root.join("."), "is the release repository"),
        (root.join("releases/../"), "is the release repository"),
        (root.join("not-yet/.."), "is the release repository"),
        (t.join("link"), "is the release repository"),
        (t.to_owned(), "contains the release repository"),
        (
            root.join("not-yet/../.."),
            "contains the release repository",
        ),
        (root.join("keys"), "is `keys` of the release repository"),
        (
            root.join("tuf-keys"),
            "is `tuf-keys` of the release repository",
        ),
        (
            root.join("releases"),
            "is `releases` of the release repository",
        ),
        (
            t.join("link/apps/new"),
            "is inside `apps` of the release repository",
        ),
        (t.join("other"), "holds `keys`"),
        (tpl.clone(), "overlaps --templates"),
    ];
    for (out, why) in cases {
        let before = listing(t);
        for dry_run in [false, true] {
            let mut c = generator(&["build", "--root"]);
            c.arg(&root).arg("--out").arg(&out);
            c.arg("--templates").arg(&tpl);
            if dry_run {
                c.arg("--dry-run");
            }
            let o = run(&mut c);
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(1), "--out {}: {err}", out.display());
            assert!(
                err.contains(&format!("{}: --out: {why}", out.display())),
                "--out {}: {err}",
                out.display()
            );
            assert!(
                err.contains("hint: give --out a directory of its own"),
                "{err}"
            );
            assert_eq!(listing(t), before, "--out {} changed files", out.display());
        }
    }

    // The documented layout (`--root . --out site`) stays allowed, and so do its rebuilds.
    for _ in 0..2 {
        let o = run(generator(&["build", "--no-cache", "--root"])
            .arg(&root)
            .arg("--out")
            .arg(root.join("site")));
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert!(root.join("site/index.json").is_file());
    assert!(root.join("keys/secrets.json").is_file());
}

/// Every file under `dir` (relative, `/`-separated) and its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    listing(dir)
        .into_iter()
        .filter(|(p, _)| dir.join(p).is_file())
        .map(|(p, b)| (p.to_string_lossy().into_owned(), b))
        .collect()
}

/// Asserts that the tree at `dir` (a site, or a mirror's copy of one) carries nothing of the
/// worker tree's edge data: no `_edge` path (in any directory, any case), no `.assetsignore`,
/// and no file with the bytes of an edge file.
fn assert_nothing_private(dir: &Path, private: &BTreeMap<String, Vec<u8>>) {
    let tree = listing(dir);
    assert!(tree.len() > 20, "{} is nearly empty", dir.display());
    for (rel, bytes) in &tree {
        let text = rel.to_string_lossy().to_lowercase();
        assert!(
            !text
                .split('/')
                .any(|c| c == "_edge" || c == ".assetsignore"),
            "{} holds {text}",
            dir.display()
        );
        if let Some((edge, _)) = private.iter().find(|(_, b)| *b == bytes) {
            panic!("{}: {text} has the bytes of {edge}", dir.display());
        }
    }
}

/// Issue 18, finding 6: the edge-private data (`_edge/`: the lookup table, the per-app edge
/// data, the TUF edge contract and private apps' files) is written to the worker tree beside
/// the site, never into the site, so that no copy of the site (`rsync -a site/ mirror/`,
/// `cp -a`) can carry it; a site of the old layout loses its `_edge/` on the next build.
#[test]
fn issue_18_the_site_and_its_mirrors_carry_no_edge_data() {
    let repo = e2e_tests::repo::Repo::new(env!("CARGO_BIN_EXE_generator"));
    // `artifact_base_url` adds the `.assetsignore` of `wrangler deploy`: worker tree only too.
    repo.append(
        "site.toml",
        "artifact_base_url = \"https://cdn.example.com\"\n",
    );
    let (t, root) = (repo.tmp.path(), repo.root.clone());
    let (site, worker) = (t.join("site"), t.join("site-edge"));
    let build = || {
        let o = run(generator(&["build", "--no-cache", "--root"])
            .arg(&root)
            .arg("--out")
            .arg(&site));
        assert!(o.status.success(), "{}", stderr(&o));
    };
    build();
    let w = files(&worker);
    let private: BTreeMap<String, Vec<u8>> = w
        .iter()
        .filter(|(p, _)| p.starts_with("_edge/") || *p == ".assetsignore")
        .map(|(p, b)| (p.clone(), b.clone()))
        .collect();
    // The worker tree has every kind of edge data...
    for want in ["_edge/lookup.json", "_edge/tuf.json", ".assetsignore"] {
        assert!(private.contains_key(want), "no {want} in the worker tree");
    }
    let count = |prefix: &str| private.keys().filter(|p| p.starts_with(prefix)).count();
    assert!(count("_edge/apps/") >= 4, "{:?}", private.keys());
    assert!(count("_edge/artifacts/") >= 1, "{:?}", private.keys());
    // ... and every file of the site, the same bytes (one inode where links work).
    let s = files(&site);
    for (p, bytes) in &s {
        assert_eq!(
            w.get(p),
            Some(bytes),
            "{p} of the site is not in the worker tree"
        );
        use std::os::unix::fs::MetadataExt;
        let ino = |d: &Path| std::fs::metadata(d.join(p)).expect("stat").ino();
        assert_eq!(ino(&site), ino(&worker), "{p} is a copy, not a link");
    }
    assert_eq!(w.len(), s.len() + private.len());
    // The site, and its copies, carry none of it.
    assert_nothing_private(&site, &private);
    let mirror = t.join("mirror");
    let o = Command::new("rsync")
        .arg("-a")
        .arg(format!("{}/", site.display()))
        .arg(format!("{}/", mirror.display()))
        .output()
        .expect("run rsync (apt-get install -y rsync)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_nothing_private(&mirror, &private);
    let cp = t.join("cp");
    let o = Command::new("cp")
        .arg("-a")
        .arg(&site)
        .arg(&cp)
        .output()
        .expect("cp");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_nothing_private(&cp, &private);

    // A site of the old layout (edge data inside): the next build takes it out.
    for (p, bytes) in &private {
        let path = site.join(p);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write");
    }
    std::fs::remove_dir_all(&worker).expect("rm worker tree");
    build();
    assert_nothing_private(&site, &private);
    assert_eq!(files(&site), s);
    assert_eq!(files(&worker), w);
}

/// Issue 18: a worker tree (`--edge-out`) that is, is inside or holds the site is refused
/// before anything is written, naming both paths and the fix; so are the repository's
/// directories, as for `--out`.
#[test]
fn issue_18_build_refuses_an_edge_out_overlapping_the_site() {
    let (tmp, root) = e2e_tests::example_copy();
    let t = tmp.path();
    let site = t.join("pub/site");
    let o = run(generator(&["build", "--no-cache", "--root"])
        .arg(&root)
        .arg("--out")
        .arg(&site));
    assert!(o.status.success(), "{}", stderr(&o));
    let cases: Vec<(PathBuf, String)> = vec![
        (
            site.clone(),
            format!(
                "is the same directory as the site (--out {})",
                site.display()
            ),
        ),
        (
            site.join("_edge"),
            format!("is inside the site (--out {})", site.display()),
        ),
        (
            site.join("x/y"),
            format!("is inside the site (--out {})", site.display()),
        ),
        (
            t.join("pub/x/.."),
            format!("contains the site (--out {})", site.display()),
        ),
        (
            root.join("keys"),
            "is `keys` of the release repository".to_owned(),
        ),
        (root.clone(), "is the release repository".to_owned()),
    ];
    for (edge, why) in cases {
        let before = listing(t);
        for dry_run in [false, true] {
            let mut c = generator(&["build", "--root"]);
            c.arg(&root)
                .arg("--out")
                .arg(&site)
                .arg("--edge-out")
                .arg(&edge);
            if dry_run {
                c.arg("--dry-run");
            }
            let o = run(&mut c);
            let err = stderr(&o);
            assert_eq!(
                o.status.code(),
                Some(1),
                "--edge-out {}: {err}",
                edge.display()
            );
            assert!(
                err.contains(&format!("{}: --edge-out: {why}", edge.display())),
                "--edge-out {}: {err}",
                edge.display()
            );
            assert!(err.contains("hint: "), "{err}");
            assert_eq!(
                listing(t),
                before,
                "--edge-out {} changed files",
                edge.display()
            );
        }
    }
    // A worker tree of its own choosing elsewhere is fine.
    let o = run(generator(&["build", "--root"])
        .arg(&root)
        .arg("--out")
        .arg(&site)
        .arg("--edge-out")
        .arg(t.join("deploy/assets")));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(t.join("deploy/assets/_edge/lookup.json").is_file());
}

/// Issue 18, finding 6: a symlinked artifact inside `releases/` is published as its target's
/// bytes (a regular file, never a link); a link out of `releases/` is refused (see also
/// `cli.rs`, `rejects_symlink_out_of_the_releases_directory`), and so is a template link out of
/// `--templates`.
#[test]
fn issue_18_symlinks_are_resolved_inside_and_refused_outside() {
    let (tmp, root) = e2e_tests::example_copy();
    let files = root.join("releases/windows-tool/files");
    std::os::unix::fs::symlink("windows-tool-1.0.0.exe", files.join("link.exe")).expect("link");
    let manifest = root.join("releases/windows-tool/1.0.0.toml");
    let text = std::fs::read_to_string(&manifest).expect("read");
    std::fs::write(
        &manifest,
        text.replace("files/windows-tool-1.0.0.exe", "files/link.exe"),
    )
    .expect("write");
    let site = tmp.path().join("site");
    let o = run(generator(&["build", "--no-cache", "--root"])
        .arg(&root)
        .arg("--out")
        .arg(&site));
    assert!(o.status.success(), "{}", stderr(&o));
    let target = std::fs::read(files.join("windows-tool-1.0.0.exe")).expect("read");
    let dir = site.join("artifacts/windows-tool/1.0.0");
    let published: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("artifact dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".link.exe"))
        .collect();
    assert_eq!(published.len(), 1, "{published:?}");
    assert!(
        std::fs::symlink_metadata(&published[0])
            .expect("stat")
            .is_file()
    );
    assert_eq!(std::fs::read(&published[0]).expect("read"), target);
    for e in walkdir::WalkDir::new(&site) {
        let e = e.expect("walk");
        assert!(!e.path_is_symlink(), "{} is a symlink", e.path().display());
    }

    // A template that links out of --templates (to a key, say) is refused; one inside is read.
    let tpl = tmp.path().join("tpl");
    std::fs::create_dir(&tpl).expect("mkdir");
    std::fs::write(tmp.path().join("secret.key"), "PRIVATE KEY").expect("write");
    std::os::unix::fs::symlink(tmp.path().join("secret.key"), tpl.join("style.css")).expect("link");
    let before = listing(tmp.path());
    let o = run(generator(&["build", "--no-cache", "--root"])
        .arg(&root)
        .arg("--out")
        .arg(&site)
        .arg("--templates")
        .arg(&tpl));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "{}: is a symlink out of the --templates directory",
            tpl.join("style.css").display()
        )),
        "{err}"
    );
    assert_eq!(listing(tmp.path()), before);
    std::fs::remove_file(tpl.join("style.css")).expect("rm");
    std::fs::write(tpl.join(".mine.css"), "body{color:red}").expect("write");
    std::os::unix::fs::symlink(".mine.css", tpl.join("style.css")).expect("link");
    let o = run(generator(&["build", "--no-cache", "--root"])
        .arg(&root)
        .arg("--out")
        .arg(&site)
        .arg("--templates")
        .arg(&tpl));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(site.join("style.css")).expect("read"),
        "body{color:red}"
    );
}

/// Issue 18, finding 5: `stats` shows the escape sequences clients sent escaped in its text,
/// and its JSON as it came. The edge is a one-answer HTTP server here.
#[test]
fn issue_18_stats_text_escapes_control_characters() {
    let body = serde_json::json!({"apps": [{
        "app": "desktop-editor", "dau": 1, "wau": 2, "mau": 3,
        "installs": [{"version": "1.2.0\u{1b}[2K", "platform": "macos", "machines": 1}],
        "update_events": [],
        "errors": [{"error_type": "crash\u{202e}gpj.exe", "count": 4,
                    "message": "\u{1b}[31mboom\u{1b}[0m\r\u{1b}]8;;https://evil/\u{7}"}],
    }]})
    .to_string();
    for format in ["text", "json"] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let answer = body.clone();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().expect("accept");
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            while reader.read_line(&mut line).expect("read") > 2 {
                line.clear();
            }
            let mut stream = stream;
            write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            )
            .expect("answer");
            let _ = reader.read(&mut [0; 1]);
        });
        let o = run(&mut generator(&[
            "stats", "--url", &url, "--token", "t", "--format", format,
        ]));
        server.join().expect("server");
        assert!(o.status.success(), "{}", stderr(&o));
        let out = String::from_utf8(o.stdout).expect("utf-8");
        if format == "json" {
            let got: serde_json::Value = serde_json::from_str(&out).expect("json");
            let sent: serde_json::Value = serde_json::from_str(&body).expect("json");
            assert_eq!(got, sent);
            assert!(out.contains(r"\u001b[31mboom"), "{out}");
        } else {
            for raw in ['\u{1b}', '\r', '\u{7}', '\u{202e}'] {
                assert!(!out.contains(raw), "{raw:?} in {out:?}");
            }
            assert!(out.contains(r"1.2.0\u{1b}[2K"), "{out}");
            assert!(out.contains(r"crash\u{202e}gpj.exe"), "{out}");
            assert!(
                out.contains(r"\u{1b}[31mboom\u{1b}[0m\r\u{1b}]8;;https://evil/\u{7}"),
                "{out}"
            );
        }
    }
}
