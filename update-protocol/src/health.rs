//! The release-health rule (issue 15, `docs/rollout-control.md`): an app's manifest may ask
//! the edge to halt its newest release by itself when that release's error reports per active
//! machine rise past the previous release's by a factor, over enough machines, within a
//! window. This module holds the rule and its verdict; the worker's scheduled handler counts
//! the machines and reports in D1 and halts through the rollout control.

use crate::index::EdgeApp;
use crate::manifest::ReleaseState;
use crate::rollout_control::{Action, Controls, State};
use serde::{Deserialize, Serialize};

/// `[health]` of an app manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct HealthRule {
    /// Halt when the new release's error reports per active machine exceed the previous
    /// release's times this factor (at least 1; e.g. 2.0).
    pub factor: f64,
    /// Only once at least this many machines ran the new release within the window.
    pub min_machines: u32,
    /// Only once the new release has at least this many reports within the window (default 5).
    #[serde(default = "default_min_reports")]
    pub min_reports: u32,
    /// The window, in whole UTC days counted back from today (1 to 30; default 1: today).
    #[serde(default = "default_window_days")]
    pub window_days: u32,
}

fn default_min_reports() -> u32 {
    5
}

fn default_window_days() -> u32 {
    1
}

impl HealthRule {
    /// What is wrong with the rule, if anything (checked by `generator validate`).
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if !self.factor.is_finite() || self.factor < 1.0 {
            return Some((
                "health.factor",
                format!("is {}: give a number of at least 1 (e.g. 2.0)", self.factor),
            ));
        }
        if self.min_machines == 0 {
            return Some(("health.min_machines", "must be at least 1".to_owned()));
        }
        if !(1..=30).contains(&self.window_days) {
            return Some((
                "health.window_days",
                format!("is {}: give 1 to 30 days", self.window_days),
            ));
        }
        None
    }
}

/// One release's counts within the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// Distinct machines that ran it.
    pub machines: u64,
    /// Error reports from it.
    pub reports: u64,
}

/// The releases the rule compares: the newest ready release that is offered (rollout above
/// 0), and the next older ready one of the same channel. `None` when there is no such pair.
pub fn pair(app: &EdgeApp) -> Option<(&str, &str)> {
    let ready = |r: &&crate::index::EdgeRelease| r.release.state == ReleaseState::Ready;
    let new = app
        .releases
        .iter()
        .filter(ready)
        .find(|r| r.release.rollout.percent() > 0)?;
    let prev = app
        .releases
        .iter()
        .filter(ready)
        .skip_while(|r| !std::ptr::eq(*r, new))
        .skip(1)
        .find(|r| r.release.channel == new.release.channel)?;
    Some((&new.release.version, &prev.release.version))
}

/// The pair the rule judges now ([`pair`]), unless the new release is already paused or
/// halted, or an admin resumed it (a publisher who resumes a release has overruled the rule
/// for it).
pub fn due<'a>(app: &'a EdgeApp, controls: &Controls) -> Option<(&'a str, &'a str)> {
    let (new, prev) = pair(app)?;
    if controls
        .releases
        .get(new)
        .is_some_and(|c| c.state != State::Live)
    {
        return None;
    }
    let overruled = controls.history.iter().any(|e| {
        e.version == new && e.by == crate::serve::rollout::BY_ADMIN && e.action == Action::Resume
    });
    (!overruled).then_some((new, prev))
}

/// Who the history records for the rule's halts.
pub const BY_RULE: &str = "health rule";

/// The rule's verdict on `new` against `prev`: the halt's reason when it trips, else `None`.
/// It trips when `new` has at least `min_machines` machines and `min_reports` reports and its
/// reports per machine exceed `factor` times `prev`'s (a `prev` without machines gives no
/// verdict: nothing to compare with).
pub fn verdict(
    rule: &HealthRule,
    (new_version, new): (&str, Sample),
    (prev_version, prev): (&str, Sample),
) -> Option<String> {
    if new.machines < u64::from(rule.min_machines)
        || new.reports < u64::from(rule.min_reports)
        || prev.machines == 0
        || new.machines == 0
    {
        return None;
    }
    // Counts far below 2^53: exact as f64.
    #[allow(clippy::cast_precision_loss)]
    let rate = |s: Sample| s.reports as f64 / s.machines as f64;
    let (r_new, r_prev) = (rate(new), rate(prev));
    if r_new <= rule.factor * r_prev {
        return None;
    }
    let days = if rule.window_days == 1 {
        "today".to_owned()
    } else {
        format!("in {} days", rule.window_days)
    };
    Some(format!(
        "health rule: {new_version} had {} error reports from {} machines ({r_new:.3} per \
         machine) {days}, over {} times {prev_version}'s {r_prev:.3} ({} from {})",
        new.reports, new.machines, rule.factor, prev.reports, prev.machines
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> HealthRule {
        HealthRule {
            factor: 2.0,
            min_machines: 10,
            min_reports: 5,
            window_days: 1,
        }
    }

    fn s(machines: u64, reports: u64) -> Sample {
        Sample { machines, reports }
    }

    #[test]
    fn trips_only_past_the_factor_with_enough_machines_and_reports() {
        let r = rule();
        // 0.5 per machine against 0.25: exactly 2×, not over.
        assert_eq!(verdict(&r, ("1.1", s(20, 10)), ("1.0", s(40, 10))), None);
        // One more report: over.
        let why = verdict(&r, ("1.1", s(20, 11)), ("1.0", s(40, 10))).expect("trips");
        assert_eq!(
            why,
            "health rule: 1.1 had 11 error reports from 20 machines (0.550 per machine) today, \
             over 2 times 1.0's 0.250 (10 from 40)"
        );
        // Too few machines, too few reports, nothing to compare with: no verdict.
        assert_eq!(verdict(&r, ("1.1", s(9, 100)), ("1.0", s(40, 1))), None);
        assert_eq!(verdict(&r, ("1.1", s(100, 4)), ("1.0", s(40, 0))), None);
        assert_eq!(verdict(&r, ("1.1", s(20, 50)), ("1.0", s(0, 0))), None);
        // A previous release without reports: any rate past zero trips.
        assert!(verdict(&r, ("1.1", s(20, 5)), ("1.0", s(40, 0))).is_some());
    }

    #[test]
    fn rules_are_checked() {
        let bad = |f: fn(&mut HealthRule)| {
            let mut r = rule();
            f(&mut r);
            r.problem().map(|(field, _)| field)
        };
        assert_eq!(rule().problem(), None);
        assert_eq!(bad(|r| r.factor = 0.5), Some("health.factor"));
        assert_eq!(bad(|r| r.factor = f64::NAN), Some("health.factor"));
        assert_eq!(bad(|r| r.min_machines = 0), Some("health.min_machines"));
        assert_eq!(bad(|r| r.window_days = 31), Some("health.window_days"));
        assert_eq!(bad(|r| r.window_days = 0), Some("health.window_days"));
    }

    #[test]
    fn the_pair_is_the_newest_offered_release_and_the_one_before_it() {
        let app: EdgeApp =
            serde_json::from_str(include_str!("../fixtures/edge/apps/windows-tool.json"))
                .expect("fixture");
        assert_eq!(pair(&app), Some(("1.1.0", "1.0.0")));
        let android: EdgeApp =
            serde_json::from_str(include_str!("../fixtures/edge/apps/android-demo.json"))
                .expect("fixture");
        // 1.4.0 (25 %) against 1.2.0: 1.3.0 is yanked.
        assert_eq!(pair(&android), Some(("1.4.0", "1.2.0")));
        let mut one = app.clone();
        one.releases.truncate(1);
        assert_eq!(pair(&one), None);
        // Due unless halted, paused, or resumed by an admin.
        let mut c = Controls::default();
        assert_eq!(due(&app, &c), Some(("1.1.0", "1.0.0")));
        let halt = Action::Halt { reason: "x".into() };
        c.act("1.1.0", halt, BY_RULE, 1).expect("halt");
        assert_eq!(due(&app, &c), None);
        c.act("1.1.0", Action::Resume, crate::serve::rollout::BY_ADMIN, 2)
            .expect("resume");
        assert_eq!(due(&app, &c), None, "the publisher overruled the rule");
    }
}
