//! UTC instants parsed from RFC 3339 and formatted the ways the wire protocols need, without
//! reading a clock: the caller passes "now" in (the worker from `Date`, the generator from the
//! manifests).

use std::fmt;

/// Why a time could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not of the form `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    #[error("`{input}` is not an RFC 3339 time such as 2026-03-28T21:00:00Z")]
    Syntax {
        /// The text given.
        input: String,
    },
    /// A field is out of range (month 13, February 30, hour 24, second 60, offset 24:00), or
    /// the instant falls outside years 0000 to 9999 (`field` is then `year`).
    #[error("`{input}` has its {field} out of range")]
    Range {
        /// The text given.
        input: String,
        /// Which field: `month`, `day`, `hour`, `minute`, `second`, `offset` or `year`.
        field: &'static str,
    },
    /// A date or date-time without an offset (a TOML local date or time): it would mean a
    /// different instant in each time zone.
    #[error(
        "`{input}` has no UTC offset: add one such as Z or +08:00 so the instant is unambiguous"
    )]
    NoOffset {
        /// The text given.
        input: String,
    },
}

/// An instant in UTC with nanosecond precision, parsed from RFC 3339, within years 0000 to
/// 9999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds: the four-digit years that
/// every format here can write.
const MIN_SECS: i64 = -62_167_219_200;
const MAX_SECS: i64 = 253_402_300_799;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`,
/// <https://howardhinnant.github.io/date_algorithms.html>).
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
    // Day 1..=31 and month 1..=12 by construction, so the conversions cannot fail.
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// What the text says, before any range check.
struct Fields {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    /// `None` for `Z`, else the sign (-1 or 1), hours and minutes.
    offset: Option<(i64, u32, u32)>,
}

enum Shape {
    Syntax,
    NoOffset,
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    /// Exactly `n` ASCII digits.
    fn num(&mut self, n: usize) -> Result<u32, Shape> {
        let s = self.b.get(self.i..self.i + n).ok_or(Shape::Syntax)?;
        if !s.iter().all(u8::is_ascii_digit) {
            return Err(Shape::Syntax);
        }
        self.i += n;
        Ok(s.iter().fold(0, |acc, c| acc * 10 + u32::from(c - b'0')))
    }

    /// One byte out of `accept`.
    fn eat(&mut self, accept: &[u8]) -> Result<u8, Shape> {
        match self.b.get(self.i) {
            Some(c) if accept.contains(c) => {
                self.i += 1;
                Ok(*c)
            }
            _ => Err(Shape::Syntax),
        }
    }

    fn done(&self) -> bool {
        self.i == self.b.len()
    }
}

/// The grammar of Go's `time.RFC3339` fast path (`parseRFC3339` in `time/format_rfc3339.go`),
/// widened to `t`, `z` and a space separator (RFC 3339 §5.6 allows the first two, TOML the
/// last). `time.Parse` falls back to its generic parser, which also takes a one-digit hour, a
/// `,` before the fraction, over 9 fraction digits and offsets up to ±24:60 (golang/go#54580);
/// no SDK sends those, and they are refused here. A text that stops where an offset should
/// start is a local date or time.
fn fields(s: &str) -> Result<Fields, Shape> {
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    let year = c.num(4)?;
    c.eat(b"-")?;
    let month = c.num(2)?;
    c.eat(b"-")?;
    let day = c.num(2)?;
    if c.done() {
        return Err(Shape::NoOffset);
    }
    c.eat(b"Tt ")?;
    let hour = c.num(2)?;
    c.eat(b":")?;
    let minute = c.num(2)?;
    c.eat(b":")?;
    let second = c.num(2)?;
    let mut nanos = 0;
    if c.eat(b".").is_ok() {
        let start = c.i;
        let n = c.b[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if n == 0 || n > 9 {
            return Err(Shape::Syntax);
        }
        let frac = c.num(n)?;
        nanos = frac * 10u32.pow(9 - u32::try_from(n).map_err(|_| Shape::Syntax)?);
    }
    if c.done() {
        return Err(Shape::NoOffset);
    }
    let offset = match c.eat(b"Zz+-")? {
        b'Z' | b'z' => None,
        sign => {
            let h = c.num(2)?;
            c.eat(b":")?;
            let m = c.num(2)?;
            Some((if sign == b'-' { -1 } else { 1 }, h, m))
        }
    };
    if !c.done() {
        return Err(Shape::Syntax);
    }
    Ok(Fields {
        year,
        month,
        day,
        hour,
        minute,
        second,
        nanos,
        offset,
    })
}

impl Timestamp {
    /// The Unix epoch.
    pub const UNIX_EPOCH: Timestamp = Timestamp { secs: 0, nanos: 0 };

    /// Parses RFC 3339 with the grammar of Go's strict `time.RFC3339` parser (protocol D's
    /// `X-Timestamp`): `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`. Also accepts `t`, `z` and,
    /// as TOML writes it, a space instead of `T`. A fraction has 1 to 9 digits; leap seconds
    /// (`:60`) are refused, as Go does.
    ///
    /// # Errors
    /// [`TimeError::NoOffset`] for a local date or time, [`TimeError::Range`] for an
    /// impossible date, time or offset, or an instant outside years 0000 to 9999,
    /// [`TimeError::Syntax`] otherwise.
    pub fn parse_rfc3339(s: &str) -> Result<Timestamp, TimeError> {
        let f = fields(s).map_err(|e| match e {
            Shape::Syntax => TimeError::Syntax {
                input: s.to_owned(),
            },
            Shape::NoOffset => TimeError::NoOffset {
                input: s.to_owned(),
            },
        })?;
        let range = |field| TimeError::Range {
            input: s.to_owned(),
            field,
        };
        let checks = [
            ((1..=12).contains(&f.month), "month"),
            (f.day >= 1 && f.day <= days_in_month(f.year, f.month), "day"),
            (f.hour <= 23, "hour"),
            (f.minute <= 59, "minute"),
            (f.second <= 59, "second"),
            (
                f.offset.is_none_or(|(_, h, m)| h <= 23 && m <= 59),
                "offset",
            ),
        ];
        if let Some((_, field)) = checks.iter().find(|(ok, _)| !ok) {
            return Err(range(field));
        }
        let offset = f.offset.map_or(0, |(sign, h, m)| {
            sign * (i64::from(h) * 3600 + i64::from(m) * 60)
        });
        let secs = days_from_civil(i64::from(f.year), f.month, f.day) * 86_400
            + i64::from(f.hour * 3600 + f.minute * 60 + f.second)
            - offset;
        Timestamp::from_unix(secs, f.nanos).ok_or_else(|| range("year"))
    }

    /// The instant `seconds` and `nanos` after the Unix epoch; `None` outside years 0000 to
    /// 9999 or when `nanos` is a second or more.
    pub fn from_unix(seconds: i64, nanos: u32) -> Option<Timestamp> {
        ((MIN_SECS..=MAX_SECS).contains(&seconds) && nanos < 1_000_000_000).then_some(Timestamp {
            secs: seconds,
            nanos,
        })
    }

    /// The instant `ms` milliseconds after the Unix epoch (JavaScript's `Date.now()`),
    /// clamped to years 0000 to 9999.
    pub fn from_unix_millis(ms: i64) -> Timestamp {
        let secs = ms.div_euclid(1000);
        if secs < MIN_SECS {
            return Timestamp {
                secs: MIN_SECS,
                nanos: 0,
            };
        }
        if secs > MAX_SECS {
            return Timestamp {
                secs: MAX_SECS,
                nanos: 999_000_000,
            };
        }
        // rem_euclid(1000) is in 0..1000, so the product fits.
        let nanos = u32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0);
        Timestamp { secs, nanos }
    }

    /// Whole seconds since the Unix epoch (rounded down).
    pub fn unix_seconds(self) -> i64 {
        self.secs
    }

    /// Milliseconds since the Unix epoch, rounded down (protocol A's `timestamp`).
    pub fn unix_millis(self) -> i64 {
        self.secs * 1000 + i64::from(self.nanos / 1_000_000)
    }

    /// Nanoseconds within the second.
    pub fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// `s` seconds later (earlier when negative), clamped to years 0000 to 9999.
    #[must_use]
    pub fn add_seconds(self, s: i64) -> Timestamp {
        Timestamp {
            secs: self.secs.saturating_add(s).clamp(MIN_SECS, MAX_SECS),
            nanos: self.nanos,
        }
    }

    /// Year, month, day, hour, minute and second at `offset_secs` east of UTC.
    fn civil(self, offset_secs: i64) -> (i64, u32, u32, i64, i64, i64) {
        let local = self.secs + offset_secs;
        let (y, m, d) = civil_from_days(local.div_euclid(86_400));
        let s = local.rem_euclid(86_400);
        (y, m, d, s / 3600, s % 3600 / 60, s % 60)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, with the fraction (trailing zeros trimmed) when the second is
    /// not whole: `2026-03-28T21:00:00Z`, `2026-03-28T21:00:00.5Z`.
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
        let (y, m, d, h, mi, s) = self.civil(0);
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }

    /// An HTTP date (RFC 9110 IMF-fixdate), as Ruby's `Time#httpdate` and JavaScript's
    /// `toUTCString()` write it: `Sun, 06 Nov 1994 08:49:37 GMT`.
    pub fn to_http_date(self) -> String {
        const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let (y, m, d, h, mi, s) = self.civil(0);
        // 1970-01-01 was a Thursday; the index is in 0..7.
        let weekday =
            usize::try_from(self.unix_seconds().div_euclid(86_400).rem_euclid(7)).unwrap_or(0);
        let month = MONTHS[usize::try_from(m).unwrap_or(1).clamp(1, 12) - 1];
        format!(
            "{}, {d:02} {month} {y:04} {h:02}:{mi:02}:{s:02} GMT",
            DAYS[weekday]
        )
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, the milliseconds truncated, as JavaScript's
    /// `Date.prototype.toISOString()` writes it (protocols A and C).
    pub fn to_iso_millis(self) -> String {
        let (y, m, d, h, mi, s) = self.civil(0);
        let ms = self.nanos / 1_000_000;
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
    }

    /// Local time at a fixed offset (minutes east of UTC, clamped to ±23:59) with
    /// milliseconds, as Rails renders times for Zealot: `2019-12-25T14:26:06.608+08:00`, and
    /// `+00:00` rather than `Z` for UTC. Within a day of the range's ends the local year can
    /// be -1 or 10000, written as Rust formats it (`-001`, `10000`).
    pub fn to_offset_millis(self, offset_minutes: i32) -> String {
        let off = i64::from(offset_minutes.clamp(-1439, 1439));
        let (y, m, d, h, mi, s) = self.civil(off * 60);
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

            // The `toml` crate (toml_datetime's `FIELD`) hands a bare TOML datetime over as a
            // map whose single key is `$__toml_private_datetime` and whose value is the
            // datetime's text. Any one-entry map with a string value is taken that way.
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Timestamp, A::Error> {
                use serde::de::{Error, IgnoredAny};
                if map.next_key::<IgnoredAny>()?.is_none() {
                    return Err(A::Error::custom(
                        "expected a datetime, found an empty table",
                    ));
                }
                let text: String = map.next_value()?;
                if map.next_key::<IgnoredAny>()?.is_some() {
                    return Err(A::Error::custom("expected a datetime, found a table"));
                }
                Timestamp::parse_rfc3339(&text).map_err(A::Error::custom)
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
mod tests;
