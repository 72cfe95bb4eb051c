//! `generator rollout`: the edge's rollout control (`docs/rollout-control.md`) through its
//! admin route (`/api/admin/rollout`): pause, resume, halt or re-percent a release at once, for
//! every protocol, without a rebuild; or, with no action, print the app's control and history.

use crate::args::OutputFormat;
use anyhow::{Result, bail};
use serde_json::{Value, json};

/// Arguments of `rollout`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("action").args(["percent", "pause", "resume", "halt"])))]
pub struct RolloutArgs {
    /// The app's id.
    pub app: String,
    /// The release's version (every channel's release of it); required with an action.
    pub version: Option<String>,
    /// Offer the release to this percentage of the machines (0 to 100; sticky cohorts).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub percent: Option<u8>,
    /// Offer it to no one until resumed.
    #[arg(long)]
    pub pause: bool,
    /// Offer it again (at the percentage last set, else the manifest's).
    #[arg(long)]
    pub resume: bool,
    /// Offer it to no one until resumed, for this reason.
    #[arg(long, value_name = "REASON")]
    pub halt: Option<String>,
    /// Base URL of the edge (e.g. `https://updates.example.com`, or `http://127.0.0.1:8787`).
    #[arg(long)]
    pub url: String,
    /// Admin token (`generator keys create admin-token`).
    #[arg(long, env = "EDGE_ADMIN_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Result format on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

impl RolloutArgs {
    /// The admin route's body for the action asked for, if any.
    fn action(&self) -> Option<Value> {
        if let Some(p) = self.percent {
            Some(json!({"action": "percent", "percent": p}))
        } else if self.pause {
            Some(json!({"action": "pause"}))
        } else if self.resume {
            Some(json!({"action": "resume"}))
        } else {
            self.halt
                .as_ref()
                .map(|reason| json!({"action": "halt", "reason": reason}))
        }
    }

    /// Runs the command.
    ///
    /// # Errors
    /// Fails when the edge cannot be reached, refuses the token or refuses the action (its
    /// reason is printed).
    pub fn run(self) -> Result<()> {
        let base = format!("{}/api/admin/rollout", self.url.trim_end_matches('/'));
        let bearer = format!("Bearer {}", self.token);
        let resp = match (self.action(), &self.version) {
            (Some(mut body), Some(version)) => {
                body["app"] = json!(self.app);
                body["version"] = json!(version);
                ureq::post(&base)
                    .set("authorization", &bearer)
                    .send_json(body)
            }
            (Some(_), None) => bail!("give the release's VERSION with an action"),
            (None, _) => ureq::get(&format!(
                "{base}?app={}",
                update_protocol::index::percent_encode(&self.app)
            ))
            .set("authorization", &bearer)
            .call(),
        };
        let body = match crate::cmd::stats::admin_answer(resp, &base)? {
            Ok(body) => body,
            Err((code, why)) => bail!(
                "the edge refused it (HTTP {code}): {}",
                why["error"].as_str().unwrap_or("no reason given")
            ),
        };
        match self.format {
            OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&body)?),
            OutputFormat::Text => print!("{}", table(&body)),
        }
        Ok(())
    }
}

/// An app's control as text: each controlled release, then the history, newest first.
pub fn table(v: &Value) -> String {
    use std::fmt::Write;
    let visible = crate::cmd::stats::visible;
    let mut out = String::new();
    let _ = writeln!(out, "{}", visible(v["app"].as_str().unwrap_or("")));
    if let Some(releases) = v["releases"].as_object() {
        for (version, c) in releases {
            let percent = c["percent"]
                .as_u64()
                .map_or_else(|| "manifest %".to_owned(), |p| format!("{p} %"));
            let _ = writeln!(
                out,
                "  {:<16} {:<8} {:<10} {}",
                visible(version),
                c["state"].as_str().unwrap_or(""),
                percent,
                visible(c["reason"].as_str().unwrap_or(""))
            );
        }
    }
    for e in v["history"].as_array().into_iter().flatten().rev() {
        let what = match e["action"].as_str().unwrap_or("") {
            "percent" => format!("percent {}", e["percent"]),
            "halt" => format!("halt: {}", visible(e["reason"].as_str().unwrap_or(""))),
            other => other.to_owned(),
        };
        let _ = writeln!(
            out,
            "  at {} by {}: {} {}",
            e["at"],
            visible(e["by"].as_str().unwrap_or("")),
            visible(e["version"].as_str().unwrap_or("")),
            what
        );
    }
    out
}
