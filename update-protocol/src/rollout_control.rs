//! Rollout control at the edge (issue 15): what a publisher (or the automatic health rule)
//! decided about a release after it was built, overriding the manifest's rollout without a
//! rebuild. This module holds the rules only: the state of one app ([`Controls`]), the actions
//! on it ([`Action`], [`Controls::act`]) with their history, and how the state changes what is
//! offered ([`Controls::apply`], which every protocol sees because it rewrites the app's
//! releases before any protocol reads them). Where the state is kept and how the admin route
//! and `generator rollout` reach it are the worker's and the generator's.
//!
//! A release is named by its version: an action applies to that version's release in every
//! channel of the app (Zealot's iOS app has a 2.1.0 in two channels; halting 2.1.0 halts both).
//!
//! - `pause`: offered to no one until resumed (the manifest's rollout is kept for then).
//! - `halt`: the same, with a reason; the automatic rule halts, never pauses. A halted release
//!   takes no new percentage until it is resumed, so a halt cannot be undone by accident.
//! - `resume`: offered again at the percentage last set, else the manifest's.
//! - `percent N`: offered to N % of the machines (the same sticky cohorts as the manifest's
//!   rollout: `crate::rollout::cohort`), moving machines in and out as N moves.

use crate::index::EdgeApp;
use crate::manifest::Rollout;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most entries of history kept per app (the oldest go first).
pub const MAX_HISTORY: usize = 200;

/// What may be done to a release's rollout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Offered to no one until resumed.
    Pause,
    /// Offered again.
    Resume,
    /// Offered to no one until resumed, for `reason`.
    Halt {
        /// Why (shown in `generator stats` and the dashboard).
        reason: String,
    },
    /// Offered to this percentage of the machines.
    Percent {
        /// 0..=100.
        percent: u8,
    },
}

/// Where a release's rollout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Offered by its percentage.
    Live,
    /// Paused by the publisher.
    Paused,
    /// Halted (by the publisher or the health rule).
    Halted,
}

/// One release's control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Control {
    /// Its state.
    pub state: State,
    /// The percentage last set at the edge, overriding the manifest's; `None`: the manifest's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<u8>,
    /// Why it was halted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When it last changed (Unix milliseconds).
    pub at: i64,
}

/// One entry of an app's rollout history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The release's version.
    pub version: String,
    /// What was done.
    #[serde(flatten)]
    pub action: Action,
    /// Who did it: `admin` (the admin route) or `health rule`.
    pub by: String,
    /// When (Unix milliseconds).
    pub at: i64,
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "refused", rename_all = "snake_case")]
pub enum Refused {
    /// The app has no release of that version.
    #[error("{app} has no release {version}")]
    NoRelease {
        /// The app.
        app: String,
        /// The version asked for.
        version: String,
    },
    /// A percentage over 100.
    #[error("a rollout percentage is 0 to 100, not {percent}")]
    Percent {
        /// The percentage asked for.
        percent: u8,
    },
    /// A new percentage for a halted release.
    #[error("{version} is halted: resume it first (generator rollout APP VERSION --resume)")]
    Halted {
        /// The release's version.
        version: String,
    },
    /// A halt without a reason.
    #[error("a halt needs a reason")]
    NoReason,
}

/// Whether `app` has a release `version` in any channel.
///
/// # Errors
/// [`Refused::NoRelease`] when it has none.
pub fn check_release(app: &EdgeApp, version: &str) -> Result<(), Refused> {
    if app.releases.iter().any(|r| r.release.version == version) {
        Ok(())
    } else {
        Err(Refused::NoRelease {
            app: app.app.id.to_string(),
            version: version.to_owned(),
        })
    }
}

/// The rollout control of one app: each controlled release's state, by version, and the
/// history of the actions taken.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Controls {
    /// By version.
    #[serde(default)]
    pub releases: BTreeMap<String, Control>,
    /// Oldest first, at most [`MAX_HISTORY`].
    #[serde(default)]
    pub history: Vec<Event>,
}

impl Controls {
    /// Takes `action` on release `version` (checked to exist with [`check_release`]) at `at`
    /// (Unix milliseconds), recorded as done by `by`; answers the release's control after it.
    ///
    /// # Errors
    /// [`Refused`] when the percentage is over 100, a halted release is given a percentage,
    /// or a halt has no reason; nothing changes then.
    pub fn act(
        &mut self,
        version: &str,
        action: Action,
        by: &str,
        at: i64,
    ) -> Result<&Control, Refused> {
        let current = self.releases.get(version).cloned().unwrap_or(Control {
            state: State::Live,
            percent: None,
            reason: None,
            at,
        });
        let next = match &action {
            Action::Pause => Control {
                state: State::Paused,
                reason: None,
                at,
                ..current
            },
            Action::Resume => Control {
                state: State::Live,
                reason: None,
                at,
                ..current
            },
            Action::Halt { reason } => {
                if reason.trim().is_empty() {
                    return Err(Refused::NoReason);
                }
                Control {
                    state: State::Halted,
                    reason: Some(reason.clone()),
                    at,
                    ..current
                }
            }
            Action::Percent { percent } => {
                if *percent > 100 {
                    return Err(Refused::Percent { percent: *percent });
                }
                if current.state == State::Halted {
                    return Err(Refused::Halted {
                        version: version.to_owned(),
                    });
                }
                Control {
                    percent: Some(*percent),
                    at,
                    ..current
                }
            }
        };
        self.history.push(Event {
            version: version.to_owned(),
            action,
            by: by.to_owned(),
            at,
        });
        if self.history.len() > MAX_HISTORY {
            let extra = self.history.len() - MAX_HISTORY;
            self.history.drain(..extra);
        }
        self.releases.insert(version.to_owned(), next);
        Ok(&self.releases[version])
    }

    /// `app` as the protocols must see it: each controlled release's rollout replaced by the
    /// control's (0 while paused or halted, the percentage set at the edge while live, else
    /// the manifest's). `None` when nothing is controlled, so callers keep their shared copy.
    pub fn apply(&self, app: &EdgeApp) -> Option<EdgeApp> {
        let touches = app
            .releases
            .iter()
            .any(|r| self.releases.contains_key(&r.release.version));
        if !touches {
            return None;
        }
        let mut out = app.clone();
        for r in &mut out.releases {
            let Some(c) = self.releases.get(&r.release.version) else {
                continue;
            };
            let percent = match c.state {
                State::Paused | State::Halted => Some(0),
                State::Live => c.percent,
            };
            if let Some(p) = percent.and_then(|p| Rollout::try_from(p).ok()) {
                r.release.rollout = p;
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::offered;

    fn android() -> EdgeApp {
        serde_json::from_str(include_str!("../fixtures/edge/apps/android-demo.json"))
            .expect("fixture")
    }

    /// How many of 1,000 machines are offered `version`.
    fn offered_to(app: &EdgeApp, version: &str) -> usize {
        machines_in(app, version).len()
    }

    /// Which of 1,000 machines are offered `version`.
    fn machines_in(app: &EdgeApp, version: &str) -> Vec<usize> {
        let r = app
            .releases
            .iter()
            .find(|r| r.release.version == version)
            .expect("release");
        (0..1000)
            .filter(|i| offered(r, Some(&format!("machine-{i}"))))
            .collect()
    }

    #[test]
    fn halt_stops_every_offer_and_resume_brings_back_the_manifest_s_rollout() {
        let app = android();
        let v = &app.releases[0].release.version;
        let before = offered_to(&app, v);
        assert!(before > 0, "the newest release is offered to someone");
        let mut c = Controls::default();
        let halt = Action::Halt {
            reason: "crash rate".into(),
        };
        assert_eq!(
            c.act(v, halt, "admin", 1).expect("halt").state,
            State::Halted
        );
        let halted = c.apply(&app).expect("controlled");
        assert_eq!(offered_to(&halted, v), 0);
        // A halted release takes no percentage until resumed.
        assert_eq!(
            c.act(v, Action::Percent { percent: 50 }, "admin", 2),
            Err(Refused::Halted { version: v.clone() })
        );
        c.act(v, Action::Resume, "admin", 3).expect("resume");
        assert_eq!(offered_to(&c.apply(&app).expect("controlled"), v), before);
        assert_eq!(
            c.history
                .iter()
                .map(|e| (e.at, e.by.as_str()))
                .collect::<Vec<_>>(),
            [(1, "admin"), (3, "admin")],
            "refused actions are not history"
        );
    }

    #[test]
    fn a_halted_full_release_is_offered_not_even_to_anonymous_clients() {
        let app = android();
        let full = app
            .releases
            .iter()
            .find(|r| r.release.version == "1.2.0")
            .expect("1.2.0");
        assert!(offered(full, None), "a full rollout needs no device id");
        let mut c = Controls::default();
        let halt = Action::Halt {
            reason: "bad build".into(),
        };
        c.act("1.2.0", halt, "health rule", 1).expect("halt");
        let halted = c.apply(&app).expect("controlled");
        let r = halted
            .releases
            .iter()
            .find(|r| r.release.version == "1.2.0")
            .expect("1.2.0");
        assert!(!offered(r, None));
        assert_eq!(offered_to(&halted, "1.2.0"), 0);
        // The other releases are as built.
        assert_eq!(halted.releases[0], app.releases[0]);
        assert_eq!(c.releases["1.2.0"].reason.as_deref(), Some("bad build"));
    }

    #[test]
    fn percentages_move_the_same_machines_in_and_out() {
        let app = android();
        let v = &app.releases[0].release.version;
        let mut c = Controls::default();
        let at = |c: &mut Controls, p: u8| {
            c.act(v, Action::Percent { percent: p }, "admin", 1)
                .expect("percent");
            machines_in(&c.apply(&app).expect("controlled"), v)
        };
        let ten = at(&mut c, 10);
        let thirty = at(&mut c, 30);
        assert!((50..150).contains(&ten.len()), "{}", ten.len());
        assert!(ten.iter().all(|m| thirty.contains(m)), "sticky upwards");
        assert_eq!(at(&mut c, 10), ten, "and back");
        // Paused: no one; resumed: the percentage set at the edge.
        c.act(v, Action::Pause, "admin", 2).expect("pause");
        assert!(machines_in(&c.apply(&app).expect("controlled"), v).is_empty());
        c.act(v, Action::Resume, "admin", 3).expect("resume");
        assert_eq!(machines_in(&c.apply(&app).expect("controlled"), v), ten);
    }

    #[test]
    fn bad_actions_are_refused_and_change_nothing() {
        let app = android();
        let v = app.releases[0].release.version.clone();
        let mut c = Controls::default();
        assert_eq!(
            check_release(&app, "9.9.9"),
            Err(Refused::NoRelease {
                app: "android-demo".into(),
                version: "9.9.9".into()
            })
        );
        assert_eq!(
            c.act(&v, Action::Percent { percent: 101 }, "admin", 1),
            Err(Refused::Percent { percent: 101 })
        );
        assert_eq!(
            c.act(&v, Action::Halt { reason: " ".into() }, "admin", 1),
            Err(Refused::NoReason)
        );
        assert_eq!(c, Controls::default());
        assert_eq!(c.apply(&app), None, "nothing controlled: the app as built");
    }

    #[test]
    fn history_is_capped_and_round_trips_as_json() {
        let app = android();
        let v = app.releases[0].release.version.clone();
        let mut c = Controls::default();
        for i in 0..(MAX_HISTORY + 5) {
            let p = u8::try_from(i % 100).expect("small");
            c.act(&v, Action::Percent { percent: p }, "admin", i as i64)
                .expect("percent");
        }
        assert_eq!(c.history.len(), MAX_HISTORY);
        assert_eq!(c.history[0].at, 5, "the oldest went first");
        let json = serde_json::to_string(&c).expect("json");
        assert!(json.contains(r#""action":"percent","percent":4"#), "{json}");
        assert_eq!(serde_json::from_str::<Controls>(&json).expect("back"), c);
    }
}
