//! The release model shared by the generator and the edge worker: manifest and index types,
//! validated names and digests, the version orderings of each wire protocol, and time values.
//! Pure: no I/O and no clock (time comes in as an argument), so it also builds for
//! `wasm32-unknown-unknown`.
//!
//! ```
//! use update_protocol::version::VersionScheme;
//! use std::cmp::Ordering;
//! // Protocol A ranks a pre-release above its release; SemVer ranks it below.
//! assert_eq!(VersionScheme::HotUpdate.compare("1.0.0-beta", "1.0.0"), Ok(Ordering::Greater));
//! assert_eq!(VersionScheme::Semver.compare("1.0.0-beta", "1.0.0"), Ok(Ordering::Less));
//! ```

pub mod digest;
pub mod health;
pub mod hot_update;
pub mod index;
pub mod ingest;
pub mod keys;
pub mod license;
pub mod links;
pub mod manifest;
pub mod markup;
pub mod names;
pub mod rollout;
pub mod rollout_control;
pub mod routes;
pub mod rules;
pub mod serve;
pub mod telemetry;
pub mod time;
pub mod tinyaii;
pub mod toolsetlink;
pub mod tuf;
pub mod updater_files;
pub mod version;
pub mod zealot;
