use super::*;

#[test]
fn app_keys_from_the_query_or_the_body() {
    let ok = [
        ("appKey=k", "", "k"),
        ("appKey=a%2Bb+c&appKey=x", "", "a+b c"),
        ("x=1&appKey=", "", ""),
        ("", r#"{"appKey":"k","other":1}"#, "k"),
        ("appKey=q", r#"{"appKey":"b"}"#, "q"),
    ];
    for (q, body, want) in ok {
        assert_eq!(
            parse_statistics(q, body.as_bytes()),
            Ok(want.into()),
            "{q} {body}"
        );
    }
    let err = [
        ("", "", Error::FieldNotSet("appKey")),
        ("appkey=k", "", Error::FieldNotSet("appKey")),
        ("appKey=%zz", "", Error::FieldNotSet("appKey")),
        ("", "{}", Error::FieldNotSet("appKey")),
        ("", r#"{"appKey":null}"#, Error::FieldNotSet("appKey")),
        ("", r#"{"appKey":1}"#, Error::FieldTypeMismatch("appKey")),
        ("", "[]", Error::BodyInvalid),
        ("", "{", Error::BodyInvalid),
    ];
    for (q, body, want) in err {
        assert_eq!(
            parse_statistics(q, body.as_bytes()).err(),
            Some(want),
            "{q} {body}"
        );
    }
    let big = vec![b' '; MAX_BODY_BYTES + 1];
    assert_eq!(parse_statistics("", &big).err(), Some(Error::BodyTooLarge));
    assert_eq!(STATISTICS_PATH, "/v1/app/statistics/info");
}

#[test]
fn days_are_yymmdd() {
    // 2026-12-03 is day 20_790.
    assert_eq!(yymmdd(20_790), "261203");
    assert_eq!(yymmdd(0), "700101");
    assert_eq!(yymmdd(10_957), "000101");
}

#[test]
fn counts_whole_days_before_today() {
    let today = 20_790;
    let row = |back: i64, event: &str, count| EventCount {
        day: today - back,
        event: event.into(),
        count,
    };
    let rows = [
        row(0, EVENT_UPGRADE_DOWNLOAD, 100),
        row(1, EVENT_UPGRADE_DOWNLOAD, 3),
        row(1, EVENT_UPGRADE_DOWNLOAD, 2),
        row(2, EVENT_UPGRADE_DOWNLOAD, 4),
        row(7, EVENT_UPGRADE_DOWNLOAD, 5),
        row(8, EVENT_UPGRADE_DOWNLOAD, 6),
        row(1, EVENT_GET_STRATEGY, 9),
        row(3, EVENT_UPGRADE_UPGRADE, 1),
        row(0, EVENT_APP_START, 50),
        row(30, EVENT_APP_START, 7),
        row(1, "custom_event", 1000),
        row(-1, EVENT_APP_START, 1000),
    ];
    let d = statistics(&rows, today);
    let totals = [
        d.yesterday_download_count,
        d.total_download_count,
        d.yesterday_app_get_strategy_count,
        d.total_app_get_strategy_count,
        d.yesterday_app_upgrade_count,
        d.total_app_upgrade_count,
        d.yesterday_app_start_count,
        d.total_app_start_count,
    ];
    assert_eq!(totals, [5, 20, 9, 9, 0, 1, 0, 7]);
    let series = |s: &[DayCount]| {
        s.iter()
            .map(|c| (c.time_data.clone(), c.data))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        series(&d.download_count_7day),
        [
            ("261126".to_owned(), 5),
            ("261127".into(), 0),
            ("261128".into(), 0),
            ("261129".into(), 0),
            ("261130".into(), 0),
            ("261201".into(), 4),
            ("261202".into(), 5),
        ]
    );
    assert_eq!(d.app_upgrade_count_7day[4].data, 1);
    assert!(d.app_start_count_7day.iter().all(|c| c.data == 0));
    // The SDKs' field names, in their order.
    let text = serde_json::to_string(&answer(statistics(&[], today))).expect("json");
    let at = |k: &str| text.find(&format!("\"{k}\":")).unwrap_or(usize::MAX);
    let keys = [
        "yesterdayDownloadCount",
        "totalDownloadCount",
        "yesterdayAppGetStrategyCount",
        "totalAppGetStrategyCount",
        "yesterdayAppUpgradeCount",
        "totalAppUpgradeCount",
        "yesterdayAppStartCount",
        "totalAppStartCount",
        "downloadCount7Day",
        "appGetStrategyCount7Day",
        "appUpgradeCount7Day",
        "appStartCount7Day",
    ];
    assert!(keys.windows(2).all(|w| at(w[0]) < at(w[1])), "{text}");
    assert!(at(keys[11]) < text.len(), "{text}");
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        (&json["code"], &json["msg"], &json["docs"]),
        (&200.into(), &"成功".into(), &"".into())
    );
    assert_eq!(
        json["data"]["appStartCount7Day"][6],
        serde_json::json!({"timeData": "261202", "data": 0})
    );
}
