//! One harness for tests that run the real `generator` on a copy of the example release
//! repository: the copy, its edits, the binary with a clean environment, and the problems a
//! failing `validate` reports.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Signing keys and settings the generator reads from the environment; a test run never
/// inherits them from the shell (a developer's CI keys would change what the build signs).
pub const GENERATOR_ENV: [&str; 9] = [
    "SPARKLE_ED_PRIVATE_KEY",
    "TAURI_SIGNING_PRIVATE_KEY",
    "TAURI_SIGNING_PRIVATE_KEY_PASSWORD",
    "TUF_ROOT_KEY",
    "TUF_TARGETS_KEY",
    "TUF_SNAPSHOT_KEY",
    "TUF_TIMESTAMP_KEY",
    "TUF_KEYS_DIR",
    "SOURCE_DATE_EPOCH",
];

/// A temporary copy of the example (`root`, at `<tmp>/repo`), with room beside it (`path`) for
/// builds and files a test writes outside the repository.
pub struct Repo {
    /// The temporary directory (removed on drop).
    pub tmp: tempfile::TempDir,
    /// The release repository.
    pub root: PathBuf,
    /// The generator binary under test.
    bin: PathBuf,
}

/// A `validate` problem: (file, field, message).
pub type Problem = (String, String, String);

impl Repo {
    /// A fresh copy of the example, to run `bin` (the test's `CARGO_BIN_EXE_generator`) on.
    ///
    /// # Panics
    /// Panics on any I/O error.
    pub fn new(bin: &str) -> Repo {
        let (tmp, root) = crate::example_copy();
        Repo {
            tmp,
            root,
            bin: PathBuf::from(bin),
        }
    }

    /// A path beside the repository, in the temporary directory.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// Replaces `from` by `to` in the repository file `rel`. `from` must occur exactly once,
    /// so that an edit never changes more, or other, than the test means.
    ///
    /// # Panics
    /// When `from` does not occur exactly once, or on any I/O error.
    pub fn edit(&self, rel: &str, from: &str, to: &str) -> &Self {
        let p = self.root.join(rel);
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {rel}: {e}"));
        let n = text.matches(from).count();
        assert_eq!(n, 1, "{rel} holds {from:?} {n} times, not once");
        std::fs::write(&p, text.replacen(from, to, 1)).expect("write manifest");
        self
    }

    /// Writes the repository file `rel` (creating its directory).
    ///
    /// # Panics
    /// Panics on any I/O error.
    pub fn write(&self, rel: &str, text: &str) -> &Self {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
        self
    }

    /// Appends `text` to the repository file `rel`.
    ///
    /// # Panics
    /// Panics on any I/O error.
    pub fn append(&self, rel: &str, text: &str) -> &Self {
        let p = self.root.join(rel);
        let mut t = std::fs::read_to_string(&p).expect("read manifest");
        t.push_str(text);
        std::fs::write(p, t).expect("write manifest");
        self
    }

    /// The real binary, warnings and errors only on stderr, with none of [`GENERATOR_ENV`]
    /// inherited.
    pub fn generator(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.env("GENERATOR_LOG", "warn");
        for v in GENERATOR_ENV {
            c.env_remove(v);
        }
        c
    }

    /// `generator CMD --no-cache --format json --root ROOT ARGS…`.
    ///
    /// # Panics
    /// When the binary cannot be run.
    pub fn run(&self, cmd: &str, args: &[&str]) -> Output {
        self.generator()
            .args([cmd, "--no-cache", "--format", "json", "--root"])
            .arg(&self.root)
            .args(args)
            .output()
            .expect("run generator")
    }

    /// Runs `validate` with `args`, expects it to fail (exit 1) with a fix for every problem,
    /// and returns the problems.
    ///
    /// # Panics
    /// When validation passes, a problem has no hint, or the output is not JSON.
    pub fn problems(&self, args: &[&str]) -> Vec<Problem> {
        let o = self.run("validate", args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(
            o.status.code(),
            Some(1),
            "expected a validation failure; stderr: {stderr}"
        );
        assert!(
            stderr.contains("hint:"),
            "every problem needs a fix: {stderr}"
        );
        let v = crate::stdout_json(&o);
        assert_eq!(v["ok"], false);
        v["problems"]
            .as_array()
            .expect("problems")
            .iter()
            .map(|p| {
                let s = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
                (s("file"), s("field"), s("message"))
            })
            .collect()
    }

    /// Expects `validate` to report a problem of `file` and `field` whose message contains
    /// `message_part`.
    ///
    /// # Panics
    /// When there is no such problem.
    pub fn expect(&self, file: &str, field: &str, message_part: &str) {
        let problems = self.problems(&[]);
        assert!(
            problems
                .iter()
                .any(|(f, fi, m)| f == file && fi == field && m.contains(message_part)),
            "no problem {file} / {field} / {message_part:?} in {problems:#?}"
        );
    }

    /// The repository's files and their bytes.
    pub fn tree(&self) -> std::collections::BTreeMap<String, Vec<u8>> {
        crate::read_tree(&self.root)
    }
}
