//! TUF `expires` values: exactly `YYYY-MM-DDTHH:MM:SSZ`. python-tuf parses with `strptime` and
//! re-serialises with `strftime` before checking the signature, so fractions, offsets or
//! unpadded fields either fail to parse or break the signature (design note §1.3).

use super::TufError;
use crate::time::Timestamp;

/// Latest instant we format: 9999-12-31T23:59:59Z.
const MAX_UNIX: i64 = 253_402_300_799;
/// Earliest instant we format: 0000-01-01T00:00:00Z.
const MIN_UNIX: i64 = -62_167_219_200;

/// `YYYY-MM-DDTHH:MM:SSZ` of `unix_seconds`, clamped to years 0000 to 9999.
pub fn format_expires(unix_seconds: i64) -> String {
    let secs = unix_seconds.clamp(MIN_UNIX, MAX_UNIX);
    Timestamp::from_unix(secs, 0)
        .map(Timestamp::to_seconds_z)
        .unwrap_or_else(|| "9999-12-31T23:59:59Z".to_owned())
}

/// The unix seconds of an `expires` value, accepting only the exact form [`format_expires`]
/// writes (20 characters, zero-padded, `Z`).
///
/// # Errors
/// [`TufError::Expires`] for anything else.
pub fn parse_expires(s: &str) -> Result<i64, TufError> {
    let err = || TufError::Expires {
        value: s.to_owned(),
    };
    let b = s.as_bytes();
    let shape_ok = b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(err());
    }
    let t = Timestamp::parse_rfc3339(s).map_err(|_| err())?;
    let secs = t.unix_seconds();
    // Round trip: rejects anything the parser normalised.
    if format_expires(secs) != s {
        return Err(err());
    }
    Ok(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_exactly() {
        for (secs, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (1_700_000_000, "2023-11-14T22:13:20Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (4_102_444_799, "2099-12-31T23:59:59Z"),
            (-1, "1969-12-31T23:59:59Z"),
            (i64::MAX, "9999-12-31T23:59:59Z"),
            (i64::MIN, "0000-01-01T00:00:00Z"),
        ] {
            assert_eq!(format_expires(secs), text, "{secs}");
            assert_eq!(
                parse_expires(text).expect("parses"),
                secs.clamp(MIN_UNIX, MAX_UNIX)
            );
        }
    }

    #[test]
    fn rejects_other_shapes() {
        for bad in [
            "2030-01-01T00:00:00.000Z",
            "2030-01-01T00:00:00+00:00",
            "2030-1-1T0:0:0Z",
            "2030-01-01 00:00:00Z",
            "2030-02-30T00:00:00Z",
            "2030-01-01T24:00:00Z",
            "2030-01-01T00:00:00z",
            "",
        ] {
            assert!(
                matches!(parse_expires(bad), Err(TufError::Expires { .. })),
                "{bad}"
            );
        }
    }
}
