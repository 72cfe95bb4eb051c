//! `generator stats`: the edge's telemetry (`GET /api/admin/stats`) as a table or as JSON.

use crate::args::OutputFormat;
use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Arguments of `stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Base URL of the edge (e.g. `https://updates.example.com`, or `http://127.0.0.1:8787`).
    #[arg(long)]
    pub url: String,
    /// Admin token (`generator keys create admin-token`).
    #[arg(long, env = "EDGE_ADMIN_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Only this app.
    #[arg(long)]
    pub app: Option<String>,
    /// Result format on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

impl StatsArgs {
    /// Runs the command.
    ///
    /// # Errors
    /// Fails when the edge cannot be reached or refuses the token.
    pub fn run(self) -> Result<()> {
        let mut url = format!("{}/api/admin/stats", self.url.trim_end_matches('/'));
        if let Some(app) = &self.app {
            url.push_str("?app=");
            url.push_str(&update_protocol::index::percent_encode(app));
        }
        let resp = ureq::get(&url)
            .set("authorization", &format!("Bearer {}", self.token))
            .call();
        let body = match admin_answer(resp, &url)? {
            Ok(body) => body,
            Err((404, _)) => {
                bail!(
                    "the edge knows no app {:?} with telemetry",
                    self.app.unwrap_or_default()
                )
            }
            Err((code, _)) => bail!("the edge answered HTTP {code} to {url}"),
        };
        match self.format {
            OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&body)?),
            OutputFormat::Text => print!("{}", table(&body)),
        }
        Ok(())
    }
}

/// The JSON answer of an admin route (`Ok(Ok(body))`), or its status and error body
/// (`Ok(Err(..))`) for the caller to explain.
///
/// # Errors
/// When the edge refuses the admin token, cannot be reached, or answers a 2xx that is not
/// JSON.
pub fn admin_answer(
    resp: std::result::Result<ureq::Response, ureq::Error>,
    url: &str,
) -> Result<std::result::Result<Value, (u16, Value)>> {
    match resp {
        Ok(r) => Ok(Ok(r
            .into_json()
            .context("the edge answered something that is not JSON")?)),
        Err(ureq::Error::Status(401, _)) => {
            bail!("the edge refused the admin token (check --token or EDGE_ADMIN_TOKEN)")
        }
        Err(ureq::Error::Status(code, r)) => Ok(Err((code, r.into_json().unwrap_or(Value::Null)))),
        Err(e) => Err(e).with_context(|| format!("failed to query {url}")),
    }
}

/// The stats as text: one block per app.
pub fn table(stats: &Value) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let empty = Vec::new();
    let list = |v: &Value| v.as_array().unwrap_or(&empty).clone();
    // Every string here came from a client (issue 18): shown with its control characters
    // escaped, so that none can drive the terminal.
    let s = |v: &Value| visible(v.as_str().unwrap_or(""));
    let n = |v: &Value| v.as_i64().unwrap_or(0);
    let _ = writeln!(out, "{:<24} {:>8} {:>8} {:>8}", "app", "DAU", "WAU", "MAU");
    for app in list(&stats["apps"]) {
        let _ = writeln!(
            out,
            "{:<24} {:>8} {:>8} {:>8}",
            s(&app["app"]),
            n(&app["dau"]),
            n(&app["wau"]),
            n(&app["mau"])
        );
        for i in list(&app["installs"]) {
            let _ = writeln!(
                out,
                "  installs  {:<16} {:<10} {:>8}",
                s(&i["version"]),
                s(&i["platform"]),
                n(&i["machines"])
            );
        }
        for e in list(&app["update_events"]) {
            let _ = writeln!(
                out,
                "  event     {:<22} code {:<6} version {:<8} ×{}",
                s(&e["event"]),
                n(&e["code"]),
                n(&e["version_code"]),
                n(&e["count"])
            );
        }
        for e in list(&app["errors"]) {
            let message: String = e["message"]
                .as_str()
                .unwrap_or("")
                .chars()
                .take(60)
                .collect();
            let _ = writeln!(
                out,
                "  error     {:<22} ×{:<6} {}",
                s(&e["error_type"]),
                n(&e["count"]),
                visible(&message.replace('\n', " "))
            );
        }
    }
    out
}

/// `text` with every character that a terminal acts on, or that hides or reorders text,
/// escaped the way Rust writes it (`\u{1b}`, `\r`): C0 and C1 controls and DEL, and the
/// invisible format characters (bidi overrides and isolates, zero-width ones, line and
/// paragraph separators). The markup escapers (`update_protocol::markup::escape`)
/// do not fit: a terminal needs neither `&lt;` nor dropped characters, only visible ones.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let invisible = c.is_control()
            || matches!(c, '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}');
        if invisible {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 18: telemetry text is shown with its escape sequences escaped.
    #[test]
    fn table_escapes_control_characters() {
        let stats = serde_json::json!({"apps": [{
            "app": "a\u{1b}]0;pwned\u{7}",
            "dau": 1, "wau": 1, "mau": 1,
            "installs": [{"version": "1.0\r", "platform": "win\u{202e}", "machines": 1}],
            "update_events": [{"event": "ok\u{9b}2J", "code": 0, "version_code": 1, "count": 1}],
            "errors": [{"error_type": "E\u{200b}", "count": 2,
                        "message": "\u{1b}[31mred\u{1b}[0m\ntwo lines, café, 日本"}],
        }]});
        let out = table(&stats);
        for raw in ['\u{1b}', '\u{7}', '\r', '\u{202e}', '\u{9b}', '\u{200b}'] {
            assert!(!out.contains(raw), "{raw:?} in {out:?}");
        }
        for shown in [
            "a\\u{1b}]0;pwned\\u{7}",
            "1.0\\r",
            "win\\u{202e}",
            "ok\\u{9b}2J",
            "E\\u{200b}",
            "\\u{1b}[31mred\\u{1b}[0m two lines, café, 日本",
        ] {
            assert!(out.contains(shown), "{shown} not in {out}");
        }
    }
}
