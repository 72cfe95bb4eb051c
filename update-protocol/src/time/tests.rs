use super::*;

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).expect(s)
}

#[test]
fn parses_offsets_and_fractions() {
    let cases: &[(&str, i64, u32)] = &[
        ("1970-01-01T00:00:00Z", 0, 0),
        ("2025-02-17T10:34:55+08:00", 1_739_759_695, 0),
        ("2025-02-17T02:34:55Z", 1_739_759_695, 0),
        ("2025-02-17t02:34:55z", 1_739_759_695, 0),
        ("2025-02-17 02:34:55Z", 1_739_759_695, 0),
        ("2025-02-16T22:34:55-04:00", 1_739_759_695, 0),
        ("2025-02-17T02:34:55+00:00", 1_739_759_695, 0),
        ("2025-02-17T02:34:55-00:00", 1_739_759_695, 0),
        ("2026-03-28 21:00:00+08:00", 1_774_702_800, 0),
        ("2026-03-28T21:10:00.5-01:30", 1_774_737_600, 500_000_000),
        ("2026-03-28T21:10:00.000000001Z", 1_774_732_200, 1),
        ("2026-03-28T21:10:00.120Z", 1_774_732_200, 120_000_000),
        ("2024-02-29T23:59:59.123456789Z", 1_709_251_199, 123_456_789),
        ("2000-02-29T00:00:00Z", 951_782_400, 0),
        ("1969-12-31T23:59:59Z", -1, 0),
        ("1969-12-31T23:59:59.999Z", -1, 999_000_000),
        ("0000-01-01T00:00:00Z", MIN_SECS, 0),
        ("9999-12-31T23:59:59.999999999Z", MAX_SECS, 999_999_999),
        ("9999-12-31T23:59:59+23:59", MAX_SECS - 86_340, 0),
    ];
    for &(s, secs, nanos) in cases {
        let t = ts(s);
        assert_eq!((t.unix_seconds(), t.subsec_nanos()), (secs, nanos), "{s}");
        assert_eq!(s.parse::<Timestamp>(), Ok(t), "{s}");
    }
}

#[test]
fn rejects_bad_times() {
    let syntax: &[&str] = &[
        "",
        "2026",
        "2026-03-28T",
        "2026-03-28T21:00Z",
        "2026-3-28T21:00:00Z",
        "2026-03-28T1:00:00Z",
        "+2026-03-28T21:00:00Z",
        "2026-03-28_21:00:00Z",
        "2026-03-28  21:00:00Z",
        "2026-03-28T21:00:00.Z",
        "2026-03-28T21:00:00,5Z",
        "2026-03-28T21:00:00.1234567890Z",
        "2026-03-28T21:00:00+0800",
        "2026-03-28T21:00:00+08",
        "2026-03-28T21:00:00 Z",
        "2026-03-28T21:00:00Zjunk",
        "2026-03-28T21:00:00Z ",
        " 2026-03-28T21:00:00Z",
        "2026-03-28T21:00:00UTC",
        "21:00:00",
        "２０２６-03-28T21:00:00Z",
    ];
    for s in syntax {
        assert_eq!(
            Timestamp::parse_rfc3339(s),
            Err(TimeError::Syntax {
                input: (*s).to_owned()
            }),
            "{s}"
        );
    }
    let range: &[(&str, &str)] = &[
        ("2023-02-29T00:00:00Z", "day"),
        ("1900-02-29T00:00:00Z", "day"),
        ("2026-02-30T00:00:00Z", "day"),
        ("2026-04-31T00:00:00Z", "day"),
        ("2026-01-00T00:00:00Z", "day"),
        ("2026-13-01T00:00:00Z", "month"),
        ("2026-00-01T00:00:00Z", "month"),
        ("2026-01-01T24:00:00Z", "hour"),
        ("2026-01-01T23:60:00Z", "minute"),
        ("2026-12-31T23:59:60Z", "second"),
        ("2026-01-01T00:00:00+24:00", "offset"),
        ("2026-01-01T00:00:00-00:60", "offset"),
        ("0000-01-01T00:00:00+00:01", "year"),
        ("9999-12-31T23:59:59-00:01", "year"),
    ];
    for &(s, field) in range {
        assert_eq!(
            Timestamp::parse_rfc3339(s),
            Err(TimeError::Range {
                input: s.to_owned(),
                field
            }),
            "{s}"
        );
    }
    // TOML local dates and date-times.
    for s in [
        "2026-03-28",
        "2026-03-28T21:00:00",
        "2026-03-28 21:00:00",
        "2026-03-28T21:00:00.5",
    ] {
        assert_eq!(
            Timestamp::parse_rfc3339(s),
            Err(TimeError::NoOffset {
                input: s.to_owned()
            }),
            "{s}"
        );
    }
}

#[test]
fn formats() {
    let t = Timestamp::from_unix_millis(1_774_703_400_000);
    let f = ts("2019-12-25T14:26:06.608+08:00");
    let cases: &[(String, &str)] = &[
        (t.to_iso_millis(), "2026-03-28T13:10:00.000Z"),
        (t.to_seconds_z(), "2026-03-28T13:10:00Z"),
        (t.to_rfc3339(), "2026-03-28T13:10:00Z"),
        (t.to_string(), "2026-03-28T13:10:00Z"),
        (t.to_offset_millis(480), "2026-03-28T21:10:00.000+08:00"),
        (t.to_offset_millis(0), "2026-03-28T13:10:00.000+00:00"),
        (t.to_offset_millis(-90), "2026-03-28T11:40:00.000-01:30"),
        (t.to_offset_millis(5000), "2026-03-29T13:09:00.000+23:59"),
        (f.to_offset_millis(480), "2019-12-25T14:26:06.608+08:00"),
        (f.to_rfc3339(), "2019-12-25T06:26:06.608Z"),
        (f.to_iso_millis(), "2019-12-25T06:26:06.608Z"),
        (f.to_seconds_z(), "2019-12-25T06:26:06Z"),
        (
            ts("2026-03-28T21:00:00.5Z").to_rfc3339(),
            "2026-03-28T21:00:00.5Z",
        ),
        (
            ts("2026-03-28T21:00:00.000000010Z").to_rfc3339(),
            "2026-03-28T21:00:00.00000001Z",
        ),
        (
            ts("2026-03-28T21:00:00.9999Z").to_iso_millis(),
            "2026-03-28T21:00:00.999Z",
        ),
        (
            Timestamp::from_unix_millis(-1).to_iso_millis(),
            "1969-12-31T23:59:59.999Z",
        ),
        (t.add_seconds(86_400).to_seconds_z(), "2026-03-29T13:10:00Z"),
        (
            t.add_seconds(-1_774_703_400).to_seconds_z(),
            "1970-01-01T00:00:00Z",
        ),
        (Timestamp::UNIX_EPOCH.to_rfc3339(), "1970-01-01T00:00:00Z"),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
    assert_eq!(t.unix_millis(), 1_774_703_400_000);
    assert_eq!(f.unix_millis(), 1_577_255_166_608);
}

#[test]
fn http_dates() {
    assert_eq!(
        ts("1994-11-06T08:49:37Z").to_http_date(),
        "Sun, 06 Nov 1994 08:49:37 GMT"
    );
    assert_eq!(
        ts("2026-11-23T16:27:23.5+01:00").to_http_date(),
        "Mon, 23 Nov 2026 15:27:23 GMT"
    );
    assert_eq!(
        ts("1969-12-31T23:59:59Z").to_http_date(),
        "Wed, 31 Dec 1969 23:59:59 GMT"
    );
}

#[test]
fn clamps_to_four_digit_years() {
    let min = Timestamp::from_unix(MIN_SECS, 0).expect("min");
    let max = Timestamp::from_unix(MAX_SECS, 999_999_999).expect("max");
    assert_eq!(min.to_rfc3339(), "0000-01-01T00:00:00Z");
    assert_eq!(max.to_iso_millis(), "9999-12-31T23:59:59.999Z");
    assert_eq!(Timestamp::from_unix(MIN_SECS - 1, 0), None);
    assert_eq!(Timestamp::from_unix(MAX_SECS + 1, 0), None);
    assert_eq!(Timestamp::from_unix(0, 1_000_000_000), None);
    assert_eq!(Timestamp::from_unix_millis(i64::MIN), min);
    assert_eq!(
        Timestamp::from_unix_millis(i64::MAX).to_iso_millis(),
        "9999-12-31T23:59:59.999Z"
    );
    assert_eq!(min.add_seconds(i64::MIN), min);
    assert_eq!(max.add_seconds(i64::MAX), max);
}

#[test]
fn round_trips_every_day_of_a_leap_cycle() {
    // 400 years from 1969 (146,097 days) plus the start of the range, through formatting
    // and parsing, and through the civil-date conversions directly.
    for day in (-800..147_000i64).chain(-719_528..-719_000) {
        let t = Timestamp::from_unix(day * 86_400 + 3661, 1_000).expect("in range");
        assert_eq!(ts(&t.to_rfc3339()), t);
        let (y, m, d) = civil_from_days(day);
        assert_eq!(days_from_civil(y, m, d), day);
    }
}

#[test]
fn deserializes_strings_and_toml_datetimes() {
    let t: Timestamp = serde_json::from_str("\"2026-01-01T00:00:00Z\"").expect("string");
    assert_eq!(t.unix_seconds(), 1_767_225_600);
    assert_eq!(
        serde_json::to_string(&t).expect("serialize"),
        "\"2026-01-01T00:00:00Z\""
    );
    let ok = [
        r#"{"$__toml_private_datetime":"2026-01-01T00:00:00Z"}"#,
        r#"{"$__toml_private_datetime":"2026-01-01T08:00:00+08:00"}"#,
        r#"{"$__toml_private_datetime":"2026-01-01 08:00:00+08:00"}"#,
        r#""2025-12-31T23:00:00-01:00""#,
    ];
    for json in ok {
        assert_eq!(
            serde_json::from_str::<Timestamp>(json).ok(),
            Some(t),
            "{json}"
        );
    }
    let bad: &[(&str, &str)] = &[
        (r#""2026-01-01T00:00:00""#, "no UTC offset"),
        (
            r#"{"$__toml_private_datetime":"2026-01-01T00:00:00"}"#,
            "no UTC offset",
        ),
        (
            r#"{"$__toml_private_datetime":"2026-01-01"}"#,
            "no UTC offset",
        ),
        (r#"{"$__toml_private_datetime":1}"#, "invalid type"),
        (r#"{}"#, "empty table"),
        (r#"{"a":"2026-01-01T00:00:00Z","b":"x"}"#, "found a table"),
        ("1767225600", "invalid type"),
    ];
    for &(json, want) in bad {
        let e = serde_json::from_str::<Timestamp>(json).expect_err(json);
        assert!(e.to_string().contains(want), "{json}: {e}");
    }
}
