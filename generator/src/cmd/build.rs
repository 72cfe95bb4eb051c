//! `generator build`: writes the public site and, beside it, the worker tree (the public
//! files plus the edge data), atomically.

use crate::args::{InputArgs, OutputFormat};
use crate::emit::{self, Staging};
use crate::site_model::Output;
use anyhow::Result;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `build`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// Input options.
    #[command(flatten)]
    pub input: InputArgs,
    /// Output directory of the public site: what mirrors and CDNs copy; it holds no edge data
    /// (updated in place, file by file, when the build succeeds).
    #[arg(long, short, default_value = "site")]
    pub out: PathBuf,
    /// Output directory of the worker tree: what `wrangler deploy` uploads as the worker's
    /// assets (`[assets] directory`), the public files plus the edge-only data `_edge/`;
    /// never to be published [default: OUT-edge, beside OUT].
    #[arg(long, value_name = "DIR")]
    pub edge_out: Option<PathBuf>,
    /// Print the files the build would write, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// TUF signing options (when the repository has `tuf/`; see docs/tuf.md).
    #[command(flatten)]
    pub tuf: crate::tuf::TufArgs,
    /// Fail after writing this many files (tests that a failed build changes nothing).
    #[arg(long, hide = true)]
    pub fail_after_writes: Option<usize>,
}

impl BuildArgs {
    /// The worker tree: `--edge-out`, else the site's sibling
    /// ([`crate::layout::worker_tree_for`]).
    pub fn worker_tree(&self) -> PathBuf {
        self.edge_out
            .clone()
            .unwrap_or_else(|| crate::layout::worker_tree_for(&self.out))
    }

    /// Runs the command.
    ///
    /// # Errors
    /// Fails when the input has problems or a file cannot be read or written; the previous
    /// site is then left as it was.
    pub fn run(self) -> Result<()> {
        self.execute()
            .inspect_err(|e| super::report_failure(self.input.format, e))
    }

    fn execute(&self) -> Result<()> {
        let started = Instant::now();
        let keep: Vec<(&str, &std::path::Path)> = [
            ("--templates", self.input.templates.as_deref()),
            ("--tuf-keys", self.tuf.tuf_keys.as_deref()),
        ]
        .into_iter()
        .filter_map(|(flag, dir)| Some((flag, dir?)))
        .collect();
        let worker = self.worker_tree();
        emit::check_out_dirs(&self.out, &worker, &self.input.root, &keep)?;
        let staging = if self.dry_run {
            None
        } else {
            Some(Staging::new(&self.out, &worker)?)
        };
        let incoming = staging.as_ref().map(Staging::incoming);
        let mut checked = super::check(&self.input, incoming.as_deref())?;
        // TUF metadata covers the final public files; its new state is saved first, so a failed
        // emit at worst leaves a signed version that the next build reuses.
        let tuf =
            crate::tuf::build_step(&mut checked.plan, &self.input.root, &self.tuf, self.dry_run)?;
        if let Some(t) = &tuf {
            t.save()?;
        }
        let plan = &checked.plan;
        if let Some(staging) = staging {
            let trees = emit::Trees {
                site: &self.out,
                worker: &worker,
            };
            emit::emit(plan, staging, trees, self.fail_after_writes)?;
        }
        let c = plan.counts;
        log::info!(
            "-> {} {} files ({:.1} MiB) for {} apps, {} releases, {} artifacts in {:.2?}; hashed {} files, {} from cache",
            if self.dry_run { "would write" } else { "wrote" },
            c.files,
            c.bytes as f64 / 1_048_576.0,
            c.apps,
            c.releases,
            c.artifacts,
            started.elapsed(),
            checked.hashed.files_hashed,
            checked.hashed.files_cached,
        );
        match self.input.format {
            OutputFormat::Json => {
                let outs = (!self.dry_run).then_some((self.out.as_path(), worker.as_path()));
                checked.print_json(outs)?;
            }
            OutputFormat::Text if self.dry_run => {
                // The tree a file lands in, as its directory: the public ones go to both.
                let (site, worker) = (self.out.display(), worker.display());
                for (path, out) in &plan.files {
                    let kind = match out {
                        Output::Bytes(_) => "index",
                        Output::Artifact { .. } => "artifact",
                    };
                    let tree = if crate::layout::worker_only(path) {
                        format!("{worker}/")
                    } else {
                        format!("{site}/")
                    };
                    println!("{kind:8} {:>12} {tree}{path}", out.size());
                }
            }
            OutputFormat::Text => {}
        }
        Ok(())
    }
}
