//! Telemetry input: protocol E's heartbeat and error report bodies, with the size caps that
//! keep one client from filling the database, the keyed hash that stores a machine id without
//! keeping it, and the error fingerprint that groups reports (`docs/telemetry.md`).

use crate::digest::to_hex;
use crate::time::Timestamp;
use crate::tinyaii::Error;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Largest accepted body of a heartbeat.
pub const MAX_HEARTBEAT_BYTES: usize = 16 * 1024;
/// Largest accepted body of an error report (the stack is capped at [`MAX_STACK`]).
pub const MAX_REPORT_BYTES: usize = 128 * 1024;
/// Longest `machine_id` (characters); longer ids are truncated.
pub const MAX_MACHINE_ID: usize = 128;
/// Longest version string.
pub const MAX_VERSION: usize = 64;
/// Longest platform string.
pub const MAX_PLATFORM: usize = 32;
/// Longest `error_type`.
pub const MAX_ERROR_TYPE: usize = 256;
/// Longest `error_message`.
pub const MAX_MESSAGE: usize = 4 * 1024;
/// Longest `error_stack` (64 KiB, the spec's proposal).
pub const MAX_STACK: usize = 64 * 1024;
/// Longest `os_info`.
pub const MAX_OS_INFO: usize = 512;
/// Lines of the stack that make its "top" in the fingerprint.
pub const STACK_TOP_LINES: usize = 3;
/// Raw rows (machine days, error reports) older than this many days are deleted.
pub const RETENTION_DAYS: i64 = 35;

/// `POST /api/v1/user/heartbeat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    /// The app's key.
    pub app_key: String,
    /// The machine's id (capped); stored only through [`machine_hash`].
    pub machine_id: String,
    /// The version it runs (capped; may be empty).
    pub version: String,
    /// Our addition: the platform it runs on (capped; empty when not sent).
    pub platform: String,
}

/// `POST /api/v1/error/report`, every field capped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReport {
    /// The app's key.
    pub app_key: String,
    /// The machine's id.
    pub machine_id: String,
    /// `software_version`.
    pub version: String,
    /// `error_type`.
    pub error_type: String,
    /// `error_message`.
    pub message: String,
    /// `error_stack`.
    pub stack: String,
    /// `os_info`.
    pub os_info: String,
}

/// Truncates to at most `max` characters (never splitting one).
fn cap(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_owned(),
        None => s.to_owned(),
    }
}

/// A field as text: strings as they are, numbers and booleans written out (the error report
/// accepts every field as a string), absent or `null` as `None`.
fn text(v: Option<&Value>) -> Result<Option<String>, Error> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(Error::BadRequest),
    }
}

fn object(body: &[u8], max: usize) -> Result<serde_json::Map<String, Value>, Error> {
    if body.len() > max {
        return Err(Error::BadRequest);
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(Error::BadRequest),
    }
}

/// A required, non-blank text field.
fn required(m: &serde_json::Map<String, Value>, name: &str) -> Result<String, Error> {
    text(m.get(name))?
        .filter(|s| !s.trim().is_empty())
        .ok_or(Error::BadRequest)
}

/// Parses a heartbeat: `app_key` and `machine_id` are required, `version` is required as in
/// the documented body but may be empty; longer values are truncated, not refused.
///
/// # Errors
/// [`Error::BadRequest`] for an oversized body, bad JSON, a missing field or an object or
/// array where text belongs.
pub fn parse_heartbeat(body: &[u8]) -> Result<Heartbeat, Error> {
    let m = object(body, MAX_HEARTBEAT_BYTES)?;
    let app_key = required(&m, "app_key")?;
    let machine_id = required(&m, "machine_id")?;
    let version = text(m.get("version"))?.ok_or(Error::BadRequest)?;
    let platform = text(m.get("platform"))?.unwrap_or_default();
    Ok(Heartbeat {
        app_key: app_key.trim().to_owned(),
        machine_id: cap(machine_id.trim(), MAX_MACHINE_ID),
        version: cap(version.trim(), MAX_VERSION),
        platform: cap(&platform.trim().to_ascii_lowercase(), MAX_PLATFORM),
    })
}

/// Parses an error report: `app_key` and `machine_id` are required; every other field is
/// optional text, truncated to its cap.
///
/// # Errors
/// As [`parse_heartbeat`].
pub fn parse_error_report(body: &[u8]) -> Result<ErrorReport, Error> {
    let m = object(body, MAX_REPORT_BYTES)?;
    let opt = |name: &str, max: usize| -> Result<String, Error> {
        Ok(cap(&text(m.get(name))?.unwrap_or_default(), max))
    };
    Ok(ErrorReport {
        app_key: required(&m, "app_key")?.trim().to_owned(),
        machine_id: cap(required(&m, "machine_id")?.trim(), MAX_MACHINE_ID),
        version: opt("software_version", MAX_VERSION)?,
        error_type: opt("error_type", MAX_ERROR_TYPE)?,
        message: opt("error_message", MAX_MESSAGE)?,
        stack: opt("error_stack", MAX_STACK)?,
        os_info: opt("os_info", MAX_OS_INFO)?,
    })
}

/// The stored form of a machine id: hex HMAC-SHA256 keyed by the deployment's telemetry salt,
/// over `app + "\n" + machine_id`, so the same machine has unrelated hashes in two apps and
/// the ids (often guessable, such as MAC addresses) cannot be recovered from the table
/// without the salt. 32 hex digits (128 bits) are stored.
pub fn machine_hash(salt: &str, app: &str, machine_id: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(salt.as_bytes()) else {
        return String::new(); // HMAC accepts any key length: not reached.
    };
    mac.update(app.as_bytes());
    mac.update(b"\n");
    mac.update(machine_id.as_bytes());
    let mut hex = to_hex(&mac.finalize().into_bytes());
    hex.truncate(32);
    hex
}

/// The first [`STACK_TOP_LINES`] non-blank lines of a stack, trimmed.
pub fn stack_top(stack: &str) -> String {
    stack
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(STACK_TOP_LINES)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Groups reports: 16 hex digits of sha256 over the error type and the top of the stack, so
/// that one bug reported with different messages (ids, paths) is one group.
pub fn fingerprint(error_type: &str, stack: &str) -> String {
    let mut h = Sha256::new();
    h.update(error_type.trim().as_bytes());
    h.update(b"\n");
    h.update(stack_top(stack).as_bytes());
    let mut hex = to_hex(&h.finalize());
    hex.truncate(16);
    hex
}

/// The UTC day of `t`: days since 1970-01-01.
pub fn day(t: Timestamp) -> i64 {
    t.unix_seconds().div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeats_need_key_machine_and_version() {
        let h = parse_heartbeat(br#"{"app_key":"k","machine_id":" m1 ","version":"1.0"}"#)
            .expect("valid");
        assert_eq!((h.machine_id.as_str(), h.version.as_str()), ("m1", "1.0"));
        assert_eq!(h.platform, "");
        // Numbers are accepted as text (a machine id from uuid.getnode() may be sent raw).
        let h = parse_heartbeat(br#"{"app_key":"k","machine_id":123456789,"version":""}"#)
            .expect("valid");
        assert_eq!(h.machine_id, "123456789");
        for bad in [
            &br#"{"app_key":"k","version":"1"}"#[..],
            br#"{"app_key":"k","machine_id":"","version":"1"}"#,
            br#"{"app_key":"k","machine_id":"m"}"#,
            br#"{"app_key":"k","machine_id":{},"version":"1"}"#,
            br#"{"machine_id":"m","version":"1"}"#,
            b"[1]",
            b"{nope",
            b"",
        ] {
            assert_eq!(parse_heartbeat(bad), Err(Error::BadRequest), "{bad:?}");
        }
        let big = format!(
            r#"{{"app_key":"k","machine_id":"m","version":"1","pad":"{}"}}"#,
            "x".repeat(MAX_HEARTBEAT_BYTES)
        );
        assert_eq!(parse_heartbeat(big.as_bytes()), Err(Error::BadRequest));
    }

    #[test]
    fn long_fields_are_truncated_not_refused() {
        let body = serde_json::json!({
            "app_key": "k", "machine_id": "é".repeat(200), "software_version": "9".repeat(100),
            "error_type": "E", "error_message": "m".repeat(10_000), "error_stack": "s".repeat(70_000),
            "os_info": "o".repeat(600)
        });
        let r = parse_error_report(body.to_string().as_bytes()).expect("valid");
        assert_eq!(r.machine_id.chars().count(), MAX_MACHINE_ID);
        assert_eq!(r.version.len(), MAX_VERSION);
        assert_eq!(r.message.len(), MAX_MESSAGE);
        assert_eq!(r.stack.len(), MAX_STACK);
        assert_eq!(r.os_info.len(), MAX_OS_INFO);
        // Only app_key and machine_id are required.
        let r = parse_error_report(br#"{"app_key":"k","machine_id":"m"}"#).expect("valid");
        assert_eq!((r.error_type.as_str(), r.stack.as_str()), ("", ""));
    }

    #[test]
    fn machine_hashes_are_keyed_per_app() {
        let a = machine_hash("salt", "app", "m1");
        assert_eq!(a.len(), 32);
        assert_eq!(a, machine_hash("salt", "app", "m1"));
        assert_ne!(a, machine_hash("salt", "other", "m1"));
        assert_ne!(a, machine_hash("pepper", "app", "m1"));
        assert!(!a.contains("m1"));
    }

    #[test]
    fn fingerprints_group_by_type_and_stack_top() {
        let s1 = "at a()\n  at b()\n\n at c()\n at d()";
        let s2 = "at a()\nat b()\nat c()\nat other()";
        assert_eq!(fingerprint("IOError", s1), fingerprint("IOError", s2));
        assert_ne!(fingerprint("IOError", s1), fingerprint("KeyError", s1));
        assert_ne!(fingerprint("IOError", s1), fingerprint("IOError", "at z()"));
        assert_eq!(fingerprint("E", "").len(), 16);
    }

    #[test]
    fn days_are_utc() {
        let t = Timestamp::parse_rfc3339("1970-01-02T23:59:59+00:00").expect("time");
        assert_eq!(day(t), 1);
        let t = Timestamp::parse_rfc3339("1969-12-31T23:00:00Z").expect("time");
        assert_eq!(day(t), -1);
    }
}
