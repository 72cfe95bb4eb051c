//! Harness for the end-to-end tests: locate (building once) the real binaries, copy fixtures
//! into temporary directories, run commands, and read whole directory trees back.

pub mod client;
pub mod fuzz;
pub mod packages;
pub mod repo;
pub mod signed;
pub mod tuf_repo;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Seconds since 1970 by the system clock.
///
/// # Panics
/// Panics when the clock is before 1970.
pub fn unix_now() -> i64 {
    let s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    i64::try_from(s).expect("i64")
}

/// Today as the worker counts telemetry days: UTC days since 1970-01-01.
pub fn today() -> i64 {
    unix_now().div_euclid(86_400)
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// The bundled example release repository.
pub fn example_dir() -> PathBuf {
    workspace_root().join("example")
}

/// The `generator` binary, built once per test process with the same cargo that runs the
/// tests (a separate package's binary is not built for this crate's tests otherwise).
///
/// # Panics
/// Panics when the build fails: every test needs it.
pub fn generator() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "generator", "--bin", "generator"])
            .current_dir(workspace_root())
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build -p generator failed");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join("target"));
        target.join("debug").join("generator")
    })
}

/// Runs the generator with `args`.
///
/// # Panics
/// Panics when the process cannot be started.
pub fn run_generator(args: &[&str]) -> Output {
    Command::new(generator())
        .args(args)
        .env("GENERATOR_LOG", "warn")
        .output()
        .expect("start generator")
}

/// A temporary copy of the example release repository, as `<tmp>/repo`, for tests that change
/// it or whose builds write into it (the TUF state in `tuf/`).
///
/// # Panics
/// Panics on any I/O error.
pub fn example_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("repo");
    copy_tree(&example_dir(), &root);
    (tmp, root)
}

/// Copies a directory tree (files and directories only).
///
/// # Panics
/// Panics on any I/O error.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let dest = to.join(entry.file_name());
        let ty = entry.file_type().expect("file type");
        if ty.is_dir() {
            copy_tree(&entry.path(), &dest);
        } else if ty.is_file() {
            std::fs::copy(entry.path(), &dest).expect("copy file");
        }
    }
}

/// Every file under `dir` (relative path with `/` → bytes), including hidden ones.
///
/// # Panics
/// Panics on any I/O error.
pub fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let entry = entry.expect("dir entry");
            let path = entry.path();
            if entry.file_type().expect("file type").is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path
                    .strip_prefix(base)
                    .expect("under base")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.insert(rel, std::fs::read(&path).expect("read file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Parses stdout as JSON.
///
/// # Panics
/// Panics when stdout is not JSON, showing stderr.
pub fn stdout_json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The edge worker, built once per test process by `scripts/build-worker.sh` (worker-build,
/// offline). Returns the path of its `index.js`.
///
/// # Panics
/// Panics when the build fails.
pub fn worker_main() -> &'static Path {
    static MAIN: OnceLock<PathBuf> = OnceLock::new();
    MAIN.get_or_init(|| {
        let status = Command::new(workspace_root().join("scripts/build-worker.sh"))
            .status()
            .expect("run scripts/build-worker.sh (needs worker-build, wasm-bindgen, npm ci)");
        assert!(status.success(), "worker build failed");
        workspace_root().join("edge-worker/build/index.js")
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Fills the local state `dir/state` of the configuration `config`: the credential records of
/// `dir/kv-bulk.json` into KV (`wrangler kv bulk put --local`, as a publisher deploys them) and
/// the telemetry schema into D1 (`wrangler d1 migrations apply --local`).
fn load_state(dir: &Path, config: &Path) {
    let kv = dir.join("kv-bulk.json");
    let steps: [(&str, Vec<&std::ffi::OsStr>); 2] = [
        (
            "wrangler kv bulk put",
            vec![
                "kv".as_ref(),
                "bulk".as_ref(),
                "put".as_ref(),
                kv.as_os_str(),
                "--binding".as_ref(),
                "KEYS".as_ref(),
            ],
        ),
        (
            "wrangler d1 migrations apply",
            vec![
                "d1".as_ref(),
                "migrations".as_ref(),
                "apply".as_ref(),
                "TELEMETRY".as_ref(),
            ],
        ),
    ];
    for (what, args) in steps {
        let out = Command::new(workspace_root().join("node_modules/.bin/wrangler"))
            .args(args)
            .arg("--local")
            .arg("--config")
            .arg(config)
            .arg("--persist-to")
            .arg(dir.join("state"))
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CI", "1")
            .current_dir(dir)
            .output()
            .unwrap_or_else(|e| panic!("run {what}: {e}"));
        assert!(
            out.status.success(),
            "{what}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The last line of a test instance's `wrangler.toml`: the worker's clock offset in days, padded
/// to one length so that [`Edge::set_clock_offset_days`] rewrites it in place.
fn clock_line(days: i64) -> String {
    format!("EDGE_CLOCK_OFFSET_DAYS = {:<8} #\n", format!("\"{days}\""))
}

/// The real worker under `wrangler dev` (workerd, local KV and D1), serving a site the
/// generator built from the example. Stopped (with its whole process group) on drop.
pub struct Edge {
    child: std::process::Child,
    dir: tempfile::TempDir,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Edge {
    /// Builds the worker and the example site, loads the example's credentials
    /// (`example/keys`) and starts `wrangler dev` on free ports.
    ///
    /// # Panics
    /// Panics when anything fails or the worker is not ready within two minutes.
    pub fn start() -> Edge {
        Edge::start_with_keys(&example_dir().join("keys"))
    }

    /// As [`Edge::start`], with the credentials of the key store `keys`: its KV bulk file is
    /// loaded into local KV with `wrangler kv bulk put --local`, and its secrets become the
    /// worker's `.dev.vars`, as a publisher deploys them.
    ///
    /// # Panics
    /// Panics when anything fails or the worker is not ready within two minutes.
    pub fn start_with_keys(keys: &Path) -> Edge {
        Edge::start_prepared(keys, |_, _| {})
    }

    /// As [`Edge::start_with_keys`], letting `prepare` change the worker tree (the directory
    /// the worker serves as its assets: the public files and `_edge/`) and the worker secret
    /// `EDGE_SECRETS` (its JSON) before the worker starts, as a publisher's later build and
    /// secret deploy would. The public files there are hard links to the site's: replace
    /// them (write a new file and rename it, or remove it first), never write into them.
    ///
    /// # Panics
    /// Panics when anything fails or the worker is not ready within two minutes.
    pub fn start_prepared(
        keys: &Path,
        prepare: impl FnOnce(&Path, &mut serde_json::Value),
    ) -> Edge {
        Edge::start_from(&example_dir(), keys, prepare)
    }

    /// As [`Edge::start_prepared`], building the release repository `root` (a copy of the
    /// example that a test changed) instead of the example.
    ///
    /// # Panics
    /// Panics when anything fails or the worker is not ready within two minutes.
    pub fn start_from(
        root: &Path,
        keys: &Path,
        prepare: impl FnOnce(&Path, &mut serde_json::Value),
    ) -> Edge {
        Edge::start_configured(root, keys, prepare, false)
    }

    /// As [`Edge::start`], with the rate limits `wrangler.toml` ships. Every other start raises
    /// them out of reach (a test sends hundreds of requests from one address), so only the
    /// rate-limit tests meet them.
    ///
    /// # Panics
    /// Panics when anything fails or the worker is not ready within two minutes.
    pub fn start_with_shipped_limits() -> Edge {
        Edge::start_configured(&example_dir(), &example_dir().join("keys"), |_, _| {}, true)
    }

    fn start_configured(
        root: &Path,
        keys: &Path,
        prepare: impl FnOnce(&Path, &mut serde_json::Value),
        shipped_limits: bool,
    ) -> Edge {
        let main = worker_main();
        // One start at a time per process, held until the server answers: the free ports
        // picked below are only free until someone binds them, and wrangler picks more of its
        // own while it starts.
        static STARTING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _starting = STARTING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let dir = tempfile::tempdir().expect("tempdir");
        let site = dir.path().join("site");
        let worker_tree = dir.path().join("site-edge");
        let out = run_generator(&[
            "build",
            "--root",
            root.to_str().expect("utf-8"),
            "--out",
            site.to_str().expect("utf-8"),
            "--no-cache",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The build's default worker tree, beside the site (docs/site-layout.md).
        assert!(
            worker_tree.join("_edge").is_dir(),
            "no worker tree beside the site"
        );
        assert!(!site.join("_edge").exists(), "edge data in the public site");
        // Same settings as the root wrangler.toml, pointed at this test's worker tree; no
        // [build] (the worker was built above); rate limits raised unless the shipped ones are asked
        // for.
        let root_config =
            std::fs::read_to_string(workspace_root().join("wrangler.toml")).expect("wrangler.toml");
        let config = root_config
            .lines()
            .filter(|l| !l.starts_with("command =") && l.trim() != "[build]")
            .map(|l| {
                if l.starts_with("main =") {
                    format!("main = {:?}", main.display().to_string())
                } else if l.starts_with("directory =") {
                    format!("directory = {:?}", worker_tree.display().to_string())
                } else if l.starts_with("simple = ") && !shipped_limits {
                    "simple = { limit = 1000000000, period = 60 }".to_owned()
                } else if l.starts_with("migrations_dir =") {
                    let dir = workspace_root().join("migrations");
                    format!("migrations_dir = {:?}", dir.display().to_string())
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let config = format!("{config}\n[vars]\n{}", clock_line(0));
        let config_path = dir.path().join("wrangler.toml");
        std::fs::write(&config_path, config).expect("write config");
        let kv = dir.path().join("kv-bulk.json");
        let out = run_generator(&[
            "keys",
            "--root",
            root.to_str().expect("utf-8"),
            "--dir",
            keys.to_str().expect("utf-8"),
            "export",
            "--kv",
            kv.to_str().expect("utf-8"),
            "--dev-vars",
            dir.path().join(".dev.vars").to_str().expect("utf-8"),
            "--secret-bulk",
            dir.path()
                .join("secrets-bulk.json")
                .to_str()
                .expect("utf-8"),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bulk_path = dir.path().join("secrets-bulk.json");
        let bulk: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&bulk_path).expect("read secrets-bulk.json"))
                .expect("secrets-bulk.json is JSON");
        let mut secrets: serde_json::Value =
            serde_json::from_str(bulk["EDGE_SECRETS"].as_str().expect("EDGE_SECRETS"))
                .expect("EDGE_SECRETS is JSON");
        prepare(&worker_tree, &mut secrets);
        // The same dotenv form as `generator keys export` (single quotes: taken literally).
        std::fs::write(
            dir.path().join(".dev.vars"),
            format!("EDGE_SECRETS='{secrets}'\n"),
        )
        .expect("write .dev.vars");
        load_state(dir.path(), &config_path);
        let registry = dir.path().join("registry");
        Edge::launch(dir, &registry)
    }

    /// A second `wrangler dev` beside this one, as another location of the same deployment:
    /// the same worker and worker tree, its own KV, D1 and ports, and this worker's Durable
    /// Objects (bound with `script_name` through the dev registry they share), so state that
    /// must hold worldwide (single-use nonces) is shared and the rest is not. Its
    /// [`Edge::site`] and [`Edge::edge_dir`] do not exist: it serves this worker's.
    ///
    /// # Panics
    /// Panics when anything fails or the worker is not ready within two minutes.
    pub fn start_peer(&self) -> Edge {
        static STARTING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _starting = STARTING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let config = std::fs::read_to_string(self.dir.path().join("wrangler.toml"))
            .expect("read the worker's wrangler.toml");
        let name = config
            .lines()
            .find_map(|l| l.strip_prefix("name = "))
            .expect("name in wrangler.toml")
            .to_owned();
        // The Durable Object classes are the first worker's: bound by script name, and no
        // migrations (they belong to the script that defines the classes).
        let mut peer = Vec::new();
        let (mut in_migration, mut top) = (false, true);
        for l in config.lines() {
            if l.starts_with('[') {
                in_migration = l.trim() == "[[migrations]]";
                top = false;
            }
            if in_migration {
                continue;
            }
            if top && l.starts_with("name = ") {
                peer.push(format!(
                    "name = {:?}",
                    format!("{}-peer", name.trim_matches('"'))
                ));
            } else {
                peer.push(l.to_owned());
            }
            if l.starts_with("class_name = ") {
                peer.push(format!("script_name = {name}"));
            }
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let config_path = dir.path().join("wrangler.toml");
        std::fs::write(&config_path, peer.join("\n")).expect("write config");
        for f in ["kv-bulk.json", ".dev.vars"] {
            std::fs::copy(self.dir.path().join(f), dir.path().join(f)).expect("copy");
        }
        load_state(dir.path(), &config_path);
        Edge::launch(dir, &self.dir.path().join("registry"))
    }

    /// Starts `wrangler dev` on the configuration `dir/wrangler.toml` with its state in
    /// `dir/state` and its dev registry `registry`, and waits until it answers.
    fn launch(dir: tempfile::TempDir, registry: &Path) -> Edge {
        use std::os::unix::process::CommandExt;
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("wrangler.log")).expect("log file");
        let child = Command::new(workspace_root().join("node_modules/.bin/wrangler"))
            .args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string()])
            .args(["--inspector-port", &free_port().to_string()])
            // `GET /__scheduled` runs the cron handler (retention tests).
            .arg("--test-scheduled")
            // Its own dev registry (shared only with its peers): wrangler dev reloads its
            // runtime when another instance registers or leaves the shared one, which answers
            // an in-flight request with 503 "Your worker restarted mid-request" (seen when a
            // parallel test's worker stopped).
            .env("WRANGLER_REGISTRY_PATH", registry)
            .arg("--config")
            .arg(dir.path().join("wrangler.toml"))
            .arg("--persist-to")
            .arg(dir.path().join("state"))
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CI", "1")
            .current_dir(dir.path())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("start wrangler dev (run npm ci)");
        let edge = Edge {
            child,
            dir,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while std::time::Instant::now() < deadline {
            if ureq::get(&format!("{}/index.json", edge.base))
                .call()
                .is_ok()
            {
                return edge;
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        panic!("wrangler dev did not start:\n{}", edge.log());
    }

    /// The public site the build wrote (`--out`): what a mirror copies; no edge data.
    pub fn site(&self) -> PathBuf {
        self.dir.path().join("site")
    }

    /// The worker tree the build wrote beside the site, which the worker serves as its assets
    /// (`[assets] directory`): the public files plus the edge data `_edge/`.
    pub fn edge_dir(&self) -> PathBuf {
        self.dir.path().join("site-edge")
    }

    /// Builds the release repository `root` again into the site and the worker tree the
    /// worker is serving, as a publisher rebuilds with the edge running (`wrangler dev`
    /// watches the directory and reloads); returns the generator's output.
    ///
    /// # Panics
    /// Panics when the generator cannot be started.
    pub fn rebuild(&self, root: &Path) -> Output {
        run_generator(&[
            "build",
            "--root",
            root.to_str().expect("utf-8"),
            "--out",
            self.site().to_str().expect("utf-8"),
            "--no-cache",
        ])
    }

    /// Runs SQL on the worker's local D1 (`wrangler d1 execute --local`), e.g. to seed rows of
    /// past days; returns the JSON wrangler prints.
    ///
    /// # Panics
    /// Panics when wrangler fails.
    pub fn d1(&self, sql: &str) -> serde_json::Value {
        // wrangler opens the database file beside the running worker's runtime: while the
        // worker's queue consumer writes, it is refused with SQLITE_BUSY (seen on a loaded CI
        // machine). Try again for up to 30 s.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let out = self.d1_once(sql);
            let busy = String::from_utf8_lossy(&out.stdout).contains("SQLITE_BUSY")
                || String::from_utf8_lossy(&out.stderr).contains("SQLITE_BUSY");
            if out.status.success() || !busy || std::time::Instant::now() > deadline {
                assert!(
                    out.status.success(),
                    "wrangler d1 execute: {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                return serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }

    fn d1_once(&self, sql: &str) -> Output {
        Command::new(workspace_root().join("node_modules/.bin/wrangler"))
            .args([
                "d1",
                "execute",
                "TELEMETRY",
                "--local",
                "--json",
                "--config",
            ])
            .arg(self.dir.path().join("wrangler.toml"))
            .arg("--persist-to")
            .arg(self.dir.path().join("state"))
            .args(["--command", sql])
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CI", "1")
            .current_dir(self.dir.path())
            .output()
            .expect("run wrangler d1 execute")
    }

    /// `GET /api/admin/stats?app=<app>`, with `token` as the bearer admin token when given:
    /// (status, parsed body).
    ///
    /// # Panics
    /// Panics on a transport error or a body that is not JSON.
    pub fn admin_stats(&self, app: &str, token: Option<&str>) -> (u16, serde_json::Value) {
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = auth
            .as_deref()
            .map(|a| vec![("authorization", a)])
            .unwrap_or_default();
        let r = self.send(
            "GET",
            &format!("/api/admin/stats?app={app}"),
            &headers,
            None,
        );
        (r.status, r.json())
    }

    /// Moves the worker's clock by `days` whole days from the real one (the worker's
    /// `EDGE_CLOCK_OFFSET_DAYS` var, set in this instance's `wrangler.toml`, which `wrangler
    /// dev` reloads; state is kept, but what its local queues still hold is lost: let them
    /// drain first). Returns once the admin stats, read with `admin_token`, show the moved day
    /// (connections are refused while the runtime restarts).
    ///
    /// # Panics
    /// Panics when the configuration cannot be rewritten or the day never shows.
    pub fn set_clock_offset_days(&self, days: i64, admin_token: &str) {
        use std::io::Write as _;
        let path = self.dir.path().join("wrangler.toml");
        let config = std::fs::read_to_string(&path).expect("read wrangler.toml");
        let at = config
            .find("EDGE_CLOCK_OFFSET_DAYS = ")
            .expect("the clock line Edge::start writes");
        let mut new = config.into_bytes();
        new.splice(at.., clock_line(days).into_bytes());
        // Written in place with one write of the same length, never truncated first: wrangler
        // reads the file on its first change event and drops a second one within 5 ms, so a
        // read between a truncation and the write saw an empty configuration and never
        // reloaded (seen on a loaded CI machine). Renaming a new file over it is worse:
        // wrangler's watcher then stops seeing changes.
        let write = || {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .expect("open wrangler.toml");
            f.write_all(&new).expect("write wrangler.toml");
        };
        write();
        let day = today() + days;
        let url = format!("{}/api/admin/stats", self.base);
        let bearer = format!("Bearer {admin_token}");
        let started = std::time::Instant::now();
        let mut written = started;
        self.eventually(&format!("the worker's clock at day {day}"), || {
            let seen = ureq::get(&url)
                .set("authorization", &bearer)
                .call()
                .ok()
                .and_then(|r| r.into_json::<serde_json::Value>().ok())
                .is_some_and(|v| v["day"] == day);
            if !seen && written.elapsed() > std::time::Duration::from_secs(20) {
                // A reload takes about a second; one this late was missed: write it again.
                write();
                written = std::time::Instant::now();
            }
            seen.then_some(())
        });
        eprintln!(
            "set_clock_offset_days({days}): reloaded in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }

    /// Waits for what the telemetry queues' consumer writes (a second or so after the request
    /// that sent it, locally): calls `check` every 250 ms until it returns `Some`, for up to
    /// 60 s.
    ///
    /// # Panics
    /// Panics, naming `what` and showing the log, when `check` never returns `Some`.
    pub fn eventually<T>(&self, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if let Some(v) = check() {
                return v;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "never came: {what}\n{}",
                self.log()
            );
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
    }

    /// What wrangler printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("wrangler.log")).unwrap_or_default()
    }

    /// `POST path` with a JSON body: (status, parsed body).
    ///
    /// # Panics
    /// Panics on a transport error or a body that is not JSON.
    pub fn post_json(&self, path: &str, body: &str) -> (u16, serde_json::Value) {
        let r = ureq::post(&format!("{}{path}", self.base))
            .set("content-type", "application/json")
            .send_string(body);
        Self::json(r)
    }

    /// `GET path`: (status, body text).
    ///
    /// # Panics
    /// Panics on a transport error.
    pub fn get(&self, path: &str) -> (u16, String) {
        match ureq::get(&format!("{}{path}", self.base)).call() {
            Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
            Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
            Err(e) => panic!("GET {path}: {e}"),
        }
    }

    /// Any request, without following redirects: the status, the headers (names lowercase)
    /// and the body as text.
    ///
    /// # Panics
    /// Panics on a transport error.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply {
        let agent = ureq::AgentBuilder::new().redirects(0).build();
        let url = format!("{}{path}", self.base);
        client::exchange(&agent, method, &url, headers, body).into()
    }

    fn json(r: std::result::Result<ureq::Response, ureq::Error>) -> (u16, serde_json::Value) {
        let (code, resp) = match r {
            Ok(r) => (r.status(), r),
            Err(ureq::Error::Status(code, r)) => (code, r),
            Err(e) => panic!("request failed: {e}"),
        };
        let text = resp.into_string().unwrap_or_default();
        let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        (code, v)
    }
}

/// An answer of [`Edge::send`].
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub text: String,
}

impl Reply {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    ///
    /// # Panics
    /// Panics when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.text))
    }
}

impl Drop for Edge {
    fn drop(&mut self) {
        // wrangler starts workerd as a child: stop the whole group, forcibly if it does not
        // exit on SIGTERM within a few seconds (wrangler dev may keep running).
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-s", "TERM", "--", &group])
            .status();
        for _ in 0..20 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &group])
            .status();
        let _ = self.child.wait();
    }
}
