//! The release-health rule's scheduled check (`update_protocol::health`,
//! `docs/rollout-control.md`): every five minutes, for each app whose manifest has a rule, the
//! machines and error reports of its newest offered release and the one before it within the
//! rule's window are counted in D1, and a release the rule condemns is halted through the
//! rollout control, with the reason.

use crate::store::{self, Bindings};
use crate::telemetry::{db, num};
use serde::Deserialize;
use std::collections::BTreeSet;
use update_protocol::health::{self, BY_RULE, Sample};
use update_protocol::names::AppId;
use update_protocol::rollout_control::Action;
use update_protocol::serve::Rollouts;
use update_protocol::telemetry as t;
use worker::wasm_bindgen::JsValue;
use worker::{Env, Result};

/// The cron expression of the check (`[triggers] crons` in `wrangler.toml`).
pub const CRON: &str = "*/5 * * * *";

/// `version`'s machines and reports of `app` from day `since` on (`since_ms` for reports).
async fn sample(env: &Env, app: &str, version: &str, since: i64) -> Result<Sample> {
    #[derive(Deserialize)]
    struct N {
        n: f64,
    }
    let db = db(env)?;
    let s = JsValue::from_str;
    let results = db
        .batch(vec![
            db.prepare(
                "SELECT COUNT(DISTINCT machine) AS n FROM machine_days \
                 WHERE app = ?1 AND version = ?2 AND day >= ?3",
            )
            .bind(&[s(app), s(version), num(since)])?,
            db.prepare(
                "SELECT COUNT(*) AS n FROM error_reports \
                 WHERE app = ?1 AND version = ?2 AND at >= ?3",
            )
            .bind(&[s(app), s(version), num(since * 86_400_000)])?,
        ])
        .await?;
    let count = |i: usize| -> Result<u64> {
        let n = results
            .get(i)
            .map(|r| r.results::<N>())
            .transpose()?
            .and_then(|rows| rows.first().map(|r| r.n))
            .unwrap_or(0.0);
        // A count: a non-negative integer below 2^53.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(n as u64)
    };
    Ok(Sample {
        machines: count(0)?,
        reports: count(1)?,
    })
}

/// Judges every app that has a rule; halts what it condemns.
pub async fn check(env: &Env) -> Result<()> {
    let lookup = store::lookup(env).await?;
    let ids: BTreeSet<AppId> = lookup
        .hot_update
        .values()
        .chain(lookup.zealot.values())
        .chain(lookup.license.values())
        .chain(lookup.tinyaii.values())
        .chain(lookup.toolsetlink.values().map(|r| &r.app))
        .cloned()
        .collect();
    let stores = Bindings { env };
    let now = store::clock(env);
    let today = t::day(now);
    for id in ids {
        let Some(app) = store::app(env, &id).await? else {
            continue;
        };
        let Some(rule) = &app.app.health else {
            continue;
        };
        let controls = stores
            .controls(&id)
            .await
            .map_err(|e| worker::Error::RustError(e.0))?;
        let Some((new, prev)) = health::due(&app, &controls) else {
            continue;
        };
        let since = today - i64::from(rule.window_days) + 1;
        let new_sample = sample(env, id.as_str(), new, since).await?;
        let prev_sample = sample(env, id.as_str(), prev, since).await?;
        let Some(reason) = health::verdict(rule, (new, new_sample), (prev, prev_sample)) else {
            continue;
        };
        let halt = Action::Halt {
            reason: reason.clone(),
        };
        match stores
            .act(&id, new, &halt, BY_RULE, now.unix_millis())
            .await
        {
            Ok(Ok(_)) => worker::console_log!("{id} {new} halted: {reason}"),
            Ok(Err(refused)) => worker::console_error!("{id} {new}: halt refused: {refused}"),
            Err(e) => worker::console_error!("{id} {new}: halt failed: {e}"),
        }
    }
    Ok(())
}
