//! `generator verify`: checks a mirror's copy of the site (a directory or a URL) against a
//! trusted TUF root, reporting every problem by path (exit 1), usage errors with exit 2.

use crate::args::OutputFormat;
use crate::verify::source::{DirSource, HttpSource, Source};
use crate::verify::{self, GivenEdgeContract, GivenTimestamp, Options, TrustedRoot, VerifyFailed};
use anyhow::{Context, Result, anyhow, bail};
use std::path::PathBuf;

/// Arguments of `verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The copy to check: a directory (e.g. made with `rsync -a --delete SITE/ DIR/`) or the
    /// http(s):// base URL of a site.
    #[arg(value_name = "DIR_OR_URL")]
    pub copy: String,
    /// The root you trust: an `N.root.json` the publisher handed you out of band (never one
    /// taken from the copy being checked).
    #[arg(long, value_name = "ROOT.json")]
    pub root: PathBuf,
    /// The timestamp to start from (a file, or a URL such as the origin's
    /// `https://…/metadata/timestamp.json`). Default: the copy's `metadata/timestamp.json`;
    /// for a directory without one, the build's edge contract `_edge/tuf.json` (see
    /// `--edge`), else the highest `N.snapshot.json`.
    #[arg(long, value_name = "FILE_OR_URL")]
    pub timestamp: Option<String>,
    /// The build's worker tree, where the edge contract `_edge/tuf.json` is (a site holds no
    /// edge data). Default: the copy's sibling `DIR-edge` when there is one (`generator build
    /// --out site` writes `site-edge`), else the copy's own `_edge/tuf.json`.
    #[arg(long, value_name = "DIR")]
    pub edge: Option<PathBuf>,
    /// Check expiry at this time (unix seconds or RFC 3339) instead of the clock.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Result format on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// `--now`: unix seconds or RFC 3339; the clock when absent.
fn parse_now(now: Option<&str>) -> Result<i64> {
    let Some(s) = now else {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("the clock is before 1970")?;
        return i64::try_from(d.as_secs()).context("the clock is out of range");
    };
    if let Ok(n) = s.trim().parse::<i64>() {
        return Ok(n);
    }
    update_protocol::time::Timestamp::parse_rfc3339(s.trim())
        .map(|t| t.unix_seconds())
        .map_err(|_| {
            anyhow!(
                "--now `{s}` is not a time: give unix seconds or RFC 3339 (2027-01-01T00:00:00Z)"
            )
        })
}

/// Reads a file or fetches a URL given on the command line, for `--timestamp`.
fn read_given(what: &str, arg: &str, limit: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    if is_url(arg) {
        let resp = ureq::get(arg)
            .call()
            .with_context(|| format!("cannot fetch {what} {arg}"))?;
        resp.into_reader()
            .take(limit + 1)
            .read_to_end(&mut out)
            .with_context(|| format!("cannot read {what} {arg}"))?;
    } else {
        std::fs::File::open(arg)
            .and_then(|f| f.take(limit + 1).read_to_end(&mut out))
            .with_context(|| format!("cannot read {what} {arg}"))?;
    }
    if out.len() as u64 > limit {
        bail!("{what} {arg} is larger than {limit} bytes: it is not TUF metadata");
    }
    Ok(out)
}

impl VerifyArgs {
    /// `_edge/tuf.json` of the worker tree: `--edge` (which must have it), else the copy's
    /// sibling ([`crate::layout::worker_tree_for`]) when it has one.
    fn edge_contract(&self) -> Result<Option<GivenEdgeContract>> {
        let (dir, given) = match &self.edge {
            Some(d) => (d.clone(), true),
            None => (
                crate::layout::worker_tree_for(std::path::Path::new(&self.copy)),
                false,
            ),
        };
        let path = dir.join(update_protocol::tuf::EDGE_TUF_PATH);
        if !given && !path.is_file() {
            return Ok(None);
        }
        let bytes = read_given("the edge contract", &path.to_string_lossy(), 16_384).context(
            "--edge must be the build's worker tree (`generator build` writes it beside the site)",
        )?;
        Ok(Some(GivenEdgeContract {
            label: path.display().to_string(),
            bytes,
        }))
    }

    /// Runs the command.
    ///
    /// # Errors
    /// [`VerifyFailed`] after printing the report when the copy has problems; other errors
    /// when the root, the timestamp or the copy cannot be read at all.
    pub fn run(self) -> Result<()> {
        let report = match self.execute() {
            Ok(r) => r,
            Err(e) => {
                if self.format == OutputFormat::Json {
                    let v =
                        serde_json::json!({"ok": false, "error": format!("{e:#}"), "problems": []});
                    println!("{}", serde_json::to_string_pretty(&v)?);
                }
                return Err(e);
            }
        };
        match self.format {
            OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
            OutputFormat::Text => {
                for p in &report.problems {
                    println!("{}: {}", p.path, p.message);
                }
                for n in &report.notes {
                    println!("note: {n}");
                }
                println!("{}", report.summary());
            }
        }
        if report.ok {
            Ok(())
        } else {
            Err(VerifyFailed {
                problems: report.problems.len(),
            }
            .into())
        }
    }

    fn execute(&self) -> Result<verify::Report> {
        let now = parse_now(self.now.as_deref())?;
        let root_bytes = std::fs::read(&self.root).with_context(|| {
            format!(
                "cannot read the trusted root {}: give the N.root.json the publisher handed you",
                self.root.display()
            )
        })?;
        let root = TrustedRoot {
            label: self.root.display().to_string(),
            bytes: root_bytes,
        };
        let timestamp = match &self.timestamp {
            Some(t) => Some(GivenTimestamp {
                label: t.clone(),
                bytes: read_given("the timestamp", t, 16_384)?,
            }),
            None => None,
        };
        let source: Box<dyn Source> = if is_url(&self.copy) {
            Box::new(HttpSource::new(&self.copy))
        } else {
            Box::new(DirSource::new(std::path::Path::new(&self.copy))?)
        };
        let edge_contract = if is_url(&self.copy) {
            if self.edge.is_some() {
                bail!("--edge is for a directory copy: a URL serves no edge data");
            }
            None
        } else {
            self.edge_contract()?
        };
        let opts = Options {
            now,
            timestamp,
            edge_contract,
        };
        verify::verify(source.as_ref(), &root, &opts).map_err(|e| anyhow!(e))
    }
}
