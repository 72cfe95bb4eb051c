//! Protocol D's signed app statistics `GET` (the SDKs) or `POST /v1/app/statistics/info`:
//! yesterday's, the total and the last seven days' counts of downloads, upgrade checks
//! ("get strategy"), upgrades and launches of one app, from the events the worker counted in
//! D1's `update_events`.
//!
//! The worker's order is the report's up to the nonce, then [`parse_statistics`] →
//! [`super::resolve_report`] → one D1 query of the app's [`EVENTS`] by day before today →
//! [`statistics`] → [`StatisticsAnswer`].

use super::{
    EVENT_APP_START, EVENT_GET_STRATEGY, EVENT_UPGRADE_DOWNLOAD, EVENT_UPGRADE_UPGRADE, Error,
    MAX_BODY_BYTES, field, query_unescape,
};
use crate::time::Timestamp;
use serde::Serialize;
use serde_json::Value;

/// The route (both methods).
pub const STATISTICS_PATH: &str = "/v1/app/statistics/info";

/// The events counted, in the answer's order: downloads, upgrade checks, upgrades, launches.
pub const EVENTS: [&str; 4] = [
    EVENT_UPGRADE_DOWNLOAD,
    EVENT_GET_STRATEGY,
    EVENT_UPGRADE_UPGRADE,
    EVENT_APP_START,
];

/// The `appKey` of a statistics request: from the query (`?appKey=…`, decoded as Go's
/// `url.ParseQuery`, the first of a repeated name), else from a JSON body `{"appKey": …}`
/// (a `POST` without the query). An empty key is left to the lookup (404001).
///
/// # Errors
/// [`Error::FieldNotSet`] without a key anywhere, [`Error::BodyTooLarge`], and for a body
/// that is read, [`Error::BodyInvalid`] and [`Error::FieldTypeMismatch`].
pub fn parse_statistics(query: &str, body: &[u8]) -> Result<String, Error> {
    let from_query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let text = |s| query_unescape(s).map(|b| String::from_utf8_lossy(&b).into_owned());
            Some((text(k)?, text(v)?))
        })
        .find(|(k, _)| k == "appKey")
        .map(|(_, v)| v);
    if let Some(key) = from_query {
        return Ok(key);
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::BodyTooLarge);
    }
    if body.is_empty() {
        return Err(Error::FieldNotSet("appKey"));
    }
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return Err(Error::BodyInvalid);
    };
    field(&obj, "appKey", |v| v.as_str().map(str::to_owned))?.ok_or(Error::FieldNotSet("appKey"))
}

/// One row the worker reads: the count of `event` on UTC day `day` (days since 1970-01-01).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCount {
    /// The UTC day.
    pub day: i64,
    /// The event type.
    pub event: String,
    /// How many.
    pub count: i64,
}

/// One day of a seven-day series: `{"timeData": "YYMMDD", "data": n}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayCount {
    /// The UTC day as `YYMMDD` (upstream's `DATE_FORMAT(…, '%y%m%d')`).
    #[serde(rename = "timeData")]
    pub time_data: String,
    /// Its count.
    pub data: i64,
}

/// `data` of a statistics answer, the SDKs' `AppStatisticsInfoDataResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatisticsData {
    /// `app_upgrade_download` reports yesterday.
    pub yesterday_download_count: i64,
    /// ... on every day before today.
    pub total_download_count: i64,
    /// Answered upgrade checks yesterday.
    pub yesterday_app_get_strategy_count: i64,
    /// ... on every day before today.
    pub total_app_get_strategy_count: i64,
    /// `app_upgrade_upgrade` reports yesterday.
    pub yesterday_app_upgrade_count: i64,
    /// ... on every day before today.
    pub total_app_upgrade_count: i64,
    /// `app_start` reports yesterday.
    pub yesterday_app_start_count: i64,
    /// ... on every day before today.
    pub total_app_start_count: i64,
    /// Downloads on each of the seven days before today, oldest first.
    #[serde(rename = "downloadCount7Day")]
    pub download_count_7day: Vec<DayCount>,
    /// Upgrade checks, likewise.
    #[serde(rename = "appGetStrategyCount7Day")]
    pub app_get_strategy_count_7day: Vec<DayCount>,
    /// Upgrades, likewise.
    #[serde(rename = "appUpgradeCount7Day")]
    pub app_upgrade_count_7day: Vec<DayCount>,
    /// Launches, likewise.
    #[serde(rename = "appStartCount7Day")]
    pub app_start_count_7day: Vec<DayCount>,
}

/// The statistics answer: `{"code":200,"msg":"成功","docs":"","data":{…}}` with HTTP 200, as
/// upstream's statistics logic sets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatisticsAnswer {
    /// Always 200.
    pub code: u32,
    /// Always `成功`.
    pub msg: &'static str,
    /// Always empty.
    pub docs: &'static str,
    /// The counts.
    pub data: StatisticsData,
}

impl StatisticsAnswer {
    /// The HTTP status of an answer.
    pub const STATUS: u16 = 200;
}

/// `YYMMDD` of a UTC day.
fn yymmdd(day: i64) -> String {
    let date = Timestamp::from_unix(day.saturating_mul(86_400), 0)
        .map(Timestamp::to_seconds_z)
        .unwrap_or_default();
    // `YYYY-MM-DDT…`: the year's last two digits, the month, the day.
    let part = |r: std::ops::Range<usize>| date.get(r).unwrap_or("00").to_owned();
    format!("{}{}{}", part(2..4), part(5..7), part(8..10))
}

/// The counts of `rows` as of UTC day `today`, as upstream computes them: only whole days
/// before today count (yesterday, the seven days from `today - 7` to `today - 1`, and the
/// total of every earlier day kept); rows of other events are ignored.
pub fn statistics(rows: &[EventCount], today: i64) -> StatisticsData {
    let sum = |event: &str, days: &dyn Fn(i64) -> bool| -> i64 {
        rows.iter()
            .filter(|r| r.event == event && r.day < today && days(r.day))
            .map(|r| r.count)
            .sum()
    };
    let yesterday = |e: &str| sum(e, &|d| d == today - 1);
    let total = |e: &str| sum(e, &|_| true);
    let week = |e: &str| {
        (1..=7)
            .rev()
            .map(|back| DayCount {
                time_data: yymmdd(today - back),
                data: sum(e, &|d| d == today - back),
            })
            .collect::<Vec<_>>()
    };
    let [download, strategy, upgrade, start] = EVENTS;
    StatisticsData {
        yesterday_download_count: yesterday(download),
        total_download_count: total(download),
        yesterday_app_get_strategy_count: yesterday(strategy),
        total_app_get_strategy_count: total(strategy),
        yesterday_app_upgrade_count: yesterday(upgrade),
        total_app_upgrade_count: total(upgrade),
        yesterday_app_start_count: yesterday(start),
        total_app_start_count: total(start),
        download_count_7day: week(download),
        app_get_strategy_count_7day: week(strategy),
        app_upgrade_count_7day: week(upgrade),
        app_start_count_7day: week(start),
    }
}

/// The answer for `data`.
pub fn answer(data: StatisticsData) -> StatisticsAnswer {
    StatisticsAnswer {
        code: 200,
        msg: "成功",
        docs: "",
        data,
    }
}

#[cfg(test)]
mod tests;
