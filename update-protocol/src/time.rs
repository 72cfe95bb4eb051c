//! UTC instants parsed from RFC 3339 and formatted the ways the wire protocols need, without
//! reading a clock: the caller passes "now" in (the worker from `Date`, the generator from the
//! manifests).

use std::fmt;

/// Why a time could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not of the form `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    #[error("`{0}` is not an RFC 3339 time such as 2026-03-28T21:00:00Z")]
    Syntax(String),
    /// A field is out of range (month 13, February 30, hour 24, offset over 23:59...).
    #[error("`{0}` is out of range")]
    Range(String),
    /// A date or time without an offset: it would mean a different instant in each time zone.
    #[error("`{0}` has no UTC offset; add one such as Z or +08:00")]
    NoOffset(String),
}

/// An instant in UTC with nanosecond precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

/// Seconds from 0000-01-01 to 1970-01-01 and from 9999-12-31T23:59:59 to 1970: the range we
/// format (four-digit years).
const MIN_SECS: i64 = -62_167_219_200;
const MAX_SECS: i64 = 253_402_300_799;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // Both are small positive numbers by construction.
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Reads exactly `n` ASCII digits at `*i`.
fn digits(b: &[u8], i: &mut usize, n: usize) -> Option<u32> {
    let s = b.get(*i..*i + n)?;
    if !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    *i += n;
    Some(s.iter().fold(0, |acc, c| acc * 10 + u32::from(c - b'0')))
}

fn expect(b: &[u8], i: &mut usize, accept: &[u8]) -> Option<()> {
    let c = *b.get(*i)?;
    accept.contains(&c).then(|| *i += 1)
}

impl Timestamp {
    /// The Unix epoch.
    pub const UNIX_EPOCH: Timestamp = Timestamp { secs: 0, nanos: 0 };

    /// Parses RFC 3339 as Go's `time.RFC3339` accepts it:
    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, with `t`/`z` in either case and, as TOML
    /// allows, a space instead of `T`. A fraction has 1 to 9 digits; leap seconds are refused.
    ///
    /// # Errors
    /// [`TimeError::NoOffset`] for a local time, [`TimeError::Range`] for an impossible date
    /// or time, [`TimeError::Syntax`] otherwise.
    pub fn parse_rfc3339(s: &str) -> Result<Timestamp, TimeError> {
        let syntax = || TimeError::Syntax(s.to_owned());
        let b = s.as_bytes();
        let mut i = 0;
        let date = (|| {
            let y = digits(b, &mut i, 4)?;
            expect(b, &mut i, b"-")?;
            let mo = digits(b, &mut i, 2)?;
            expect(b, &mut i, b"-")?;
            let d = digits(b, &mut i, 2)?;
            Some((y, mo, d))
        })();
        let Some((y, mo, d)) = date else {
            return Err(syntax());
        };
        if i == b.len() {
            return Err(TimeError::NoOffset(s.to_owned()));
        }
        let time = (|| {
            expect(b, &mut i, b"Tt ")?;
            let h = digits(b, &mut i, 2)?;
            expect(b, &mut i, b":")?;
            let mi = digits(b, &mut i, 2)?;
            expect(b, &mut i, b":")?;
            let se = digits(b, &mut i, 2)?;
            Some((h, mi, se))
        })();
        let Some((h, mi, se)) = time else {
            return Err(syntax());
        };
        let mut nanos = 0u32;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            let n = i - start;
            if n == 0 || n > 9 {
                return Err(syntax());
            }
            let mut frac = 0u32;
            for c in &b[start..i] {
                frac = frac * 10 + u32::from(c - b'0');
            }
            nanos = frac * 10u32.pow(u32::try_from(9 - n).unwrap_or(0));
        }
        let offset: i64 = match b.get(i) {
            None => return Err(TimeError::NoOffset(s.to_owned())),
            Some(b'Z' | b'z') if i + 1 == b.len() => 0,
            Some(sign @ (b'+' | b'-')) => {
                let sign = if *sign == b'-' { -1 } else { 1 };
                i += 1;
                let oh = digits(b, &mut i, 2).ok_or_else(syntax)?;
                expect(b, &mut i, b":").ok_or_else(syntax)?;
                let om = digits(b, &mut i, 2).ok_or_else(syntax)?;
                if i != b.len() {
                    return Err(syntax());
                }
                if oh > 23 || om > 59 {
                    return Err(TimeError::Range(s.to_owned()));
                }
                sign * (i64::from(oh) * 3600 + i64::from(om) * 60)
            }
            Some(_) => return Err(syntax()),
        };
        let y = i64::from(y);
        if !(1..=12).contains(&mo)
            || d == 0
            || d > days_in_month(y, mo)
            || h > 23
            || mi > 59
            || se > 59
        {
            return Err(TimeError::Range(s.to_owned()));
        }
        let secs = days_from_civil(y, mo, d) * 86_400
            + i64::from(h) * 3600
            + i64::from(mi) * 60
            + i64::from(se)
            - offset;
        Timestamp::from_unix(secs, nanos).ok_or_else(|| TimeError::Range(s.to_owned()))
    }

    /// The instant `seconds` (and `nanos`) after the Unix epoch, within years 0000..=9999.
    pub fn from_unix(seconds: i64, nanos: u32) -> Option<Timestamp> {
        ((MIN_SECS..=MAX_SECS).contains(&seconds) && nanos < 1_000_000_000).then_some(Timestamp {
            secs: seconds,
            nanos,
        })
    }

    /// The instant `ms` milliseconds after the Unix epoch (as JavaScript's `Date.now()`),
    /// clamped to years 0000..=9999.
    pub fn from_unix_millis(ms: i64) -> Timestamp {
        let secs = ms.div_euclid(1000).clamp(MIN_SECS, MAX_SECS);
        // rem_euclid(1000) is in 0..1000, so the product fits.
        let nanos = u32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0);
        Timestamp { secs, nanos }
    }

    /// Whole seconds since the Unix epoch.
    pub fn unix_seconds(self) -> i64 {
        self.secs
    }

    /// Milliseconds since the Unix epoch (protocol A's `timestamp`).
    pub fn unix_millis(self) -> i64 {
        self.secs * 1000 + i64::from(self.nanos / 1_000_000)
    }

    /// Nanoseconds within the second.
    pub fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// `s` seconds later (earlier when negative), clamped to years 0000..=9999.
    #[must_use]
    pub fn add_seconds(self, s: i64) -> Timestamp {
        Timestamp {
            secs: self.secs.saturating_add(s).clamp(MIN_SECS, MAX_SECS),
            nanos: self.nanos,
        }
    }

    fn parts(self, offset_secs: i64) -> (i64, u32, u32, i64, i64, i64) {
        let local = self.secs + offset_secs;
        let (y, m, d) = civil_from_days(local.div_euclid(86_400));
        let s = local.rem_euclid(86_400);
        (y, m, d, s / 3600, s % 3600 / 60, s % 60)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, with the fraction (trailing zeros trimmed) when not whole.
    pub fn to_rfc3339(self) -> String {
        let mut out = self.to_seconds_z();
        if self.nanos != 0 {
            out.pop();
            let frac = format!("{:09}", self.nanos);
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
            out.push('Z');
        }
        out
    }

    /// Exactly `YYYY-MM-DDTHH:MM:SSZ`, the fraction dropped (TUF's `expires`).
    pub fn to_seconds_z(self) -> String {
        let (y, m, d, h, mi, s) = self.parts(0);
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, as JavaScript's `toISOString()` (protocols A and C).
    pub fn to_iso_millis(self) -> String {
        let (y, m, d, h, mi, s) = self.parts(0);
        let ms = self.nanos / 1_000_000;
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
    }

    /// Local time at a fixed offset with milliseconds, as Rails renders times
    /// (`2019-12-25T14:26:06.608+08:00`; `+00:00` for UTC, never `Z`). Zealot answers with it.
    pub fn to_offset_millis(self, offset_minutes: i32) -> String {
        let off = i64::from(offset_minutes.clamp(-1439, 1439));
        let (y, m, d, h, mi, s) = self.parts(off * 60);
        let ms = self.nanos / 1_000_000;
        let sign = if off < 0 { '-' } else { '+' };
        let (oh, om) = (off.abs() / 60, off.abs() % 60);
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}{sign}{oh:02}:{om:02}")
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Self, TimeError> {
        Timestamp::parse_rfc3339(s)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Timestamp;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 time with an offset, such as 2026-03-28T21:00:00Z")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse_rfc3339(v).map_err(E::custom)
            }

            // The `toml` crate hands a bare TOML datetime over as a map with one private key
            // whose value is the datetime's text.
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Timestamp, A::Error> {
                let Some((_, text)) = map.next_entry::<String, String>()? else {
                    return Err(serde::de::Error::custom("expected a datetime"));
                };
                if map.next_entry::<String, serde::de::IgnoredAny>()?.is_some() {
                    return Err(serde::de::Error::custom(
                        "expected a datetime, found a table",
                    ));
                }
                Timestamp::parse_rfc3339(&text).map_err(serde::de::Error::custom)
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> String {
        "Timestamp".to_owned()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            format: Some("date-time".to_owned()),
            ..Default::default()
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).expect(s)
    }

    #[test]
    fn parses_offsets_and_fractions() {
        let cases: &[(&str, i64, u32)] = &[
            ("1970-01-01T00:00:00Z", 0, 0),
            ("2025-02-17T10:34:55+08:00", 1_739_759_695, 0),
            ("2025-02-17t02:34:55z", 1_739_759_695, 0),
            ("2025-02-17 02:34:55Z", 1_739_759_695, 0),
            ("2026-03-28T21:10:00.5-01:30", 1_774_737_600, 500_000_000),
            ("2024-02-29T23:59:59.123456789Z", 1_709_251_199, 123_456_789),
            ("1969-12-31T23:59:59Z", -1, 0),
        ];
        for &(s, secs, nanos) in cases {
            let t = ts(s);
            assert_eq!((t.unix_seconds(), t.subsec_nanos()), (secs, nanos), "{s}");
        }
    }

    #[test]
    fn rejects_bad_times() {
        for s in [
            "",
            "2026-03-28",
            "2026-03-28T21:00:00",
            "2026-03-28T21:00Z",
            "2026-3-28T21:00:00Z",
            "2026-03-28T21:00:00.Z",
            "2026-03-28T21:00:00.1234567890Z",
            "2026-03-28T21:00:00+0800",
            "2026-03-28T21:00:00Zjunk",
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T23:60:00Z",
            "2026-01-01T23:59:60Z",
            "2026-01-01T00:00:00+24:00",
        ] {
            assert!(Timestamp::parse_rfc3339(s).is_err(), "{s}");
        }
        assert!(matches!(
            Timestamp::parse_rfc3339("2026-03-28T21:00:00"),
            Err(TimeError::NoOffset(_))
        ));
        assert!(matches!(
            Timestamp::parse_rfc3339("2026-03-28"),
            Err(TimeError::NoOffset(_))
        ));
    }

    #[test]
    fn formats() {
        let t = Timestamp::from_unix_millis(1_774_703_400_000);
        assert_eq!(t.to_iso_millis(), "2026-03-28T13:10:00.000Z");
        assert_eq!(t.to_seconds_z(), "2026-03-28T13:10:00Z");
        assert_eq!(t.to_rfc3339(), "2026-03-28T13:10:00Z");
        assert_eq!(t.unix_millis(), 1_774_703_400_000);
        assert_eq!(t.to_offset_millis(480), "2026-03-28T21:10:00.000+08:00");
        assert_eq!(t.to_offset_millis(0), "2026-03-28T13:10:00.000+00:00");
        assert_eq!(t.to_offset_millis(-90), "2026-03-28T11:40:00.000-01:30");
        let f = ts("2019-12-25T14:26:06.608+08:00");
        assert_eq!(f.to_offset_millis(480), "2019-12-25T14:26:06.608+08:00");
        assert_eq!(f.to_rfc3339(), "2019-12-25T06:26:06.608Z");
        assert_eq!(
            Timestamp::from_unix_millis(-1).to_iso_millis(),
            "1969-12-31T23:59:59.999Z"
        );
        assert_eq!(t.add_seconds(86_400).to_seconds_z(), "2026-03-29T13:10:00Z");
    }

    #[test]
    fn round_trips_every_day_of_a_leap_cycle() {
        for day in -800..147_000i64 {
            let t = Timestamp::from_unix(day * 86_400 + 3661, 0).expect("in range");
            assert_eq!(ts(&t.to_rfc3339()), t);
        }
    }

    #[test]
    fn deserializes_strings_and_toml_datetimes() {
        let t: Timestamp = serde_json::from_str("\"2026-01-01T00:00:00Z\"").expect("string");
        assert_eq!(t.unix_seconds(), 1_767_225_600);
        let m: Timestamp =
            serde_json::from_str(r#"{"$__toml_private_datetime":"2026-01-01T08:00:00+08:00"}"#)
                .expect("toml map");
        assert_eq!(m, t);
        assert!(serde_json::from_str::<Timestamp>("\"2026-01-01T00:00:00\"").is_err());
        assert_eq!(
            serde_json::to_string(&t).expect("ser"),
            "\"2026-01-01T00:00:00Z\""
        );
    }
}
