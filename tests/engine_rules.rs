//! Rules from the audit against Permutive's documentation (issue 11, section 3): numbers that
//! stay numbers, queries that are the same whatever their number spelling, and state the
//! engine did not write read in O(n log n).

use std::borrow::Cow;
use std::collections::BTreeMap;

use segscope::engine::{Event, SegmentInput, StateEntries, Workspace};
use serde_json::value::RawValue;
use serde_json::{Value, json};

const MIN: i64 = 60_000;
const DAY: i64 = 24 * 60 * MIN;
/// 2024-01-01T00:00:00Z.
const BASE_MS: i64 = 1_704_067_200_000;

fn ev(name: &str, at_ms: i64, properties: Value) -> Event {
    Event {
        name: name.to_string(),
        time: jiff::Timestamp::from_millisecond(BASE_MS + at_ms).expect("valid test time"),
        properties: properties.into(),
        view_id: None,
        session_id: None,
    }
}

fn workspace(cohorts: Value) -> Workspace {
    Workspace::from_cohorts_json(&cohorts.to_string()).expect("workspace loads")
}

/// One call with `internal` as JSON text; the new entries as text, and the members.
fn call(
    ws: &Workspace,
    internal: &str,
    events: &[Event],
    cohorts: &[String],
) -> (String, Vec<String>, Vec<String>) {
    let map: BTreeMap<String, Box<RawValue>> = serde_json::from_str(internal).expect("state JSON");
    let entries: Vec<(Cow<'_, str>, &RawValue)> = map
        .iter()
        .map(|(k, v)| (Cow::Borrowed(k.as_str()), &**v))
        .collect();
    let result = ws.segment(SegmentInput {
        events,
        internal: StateEntries::Text(&entries),
        external: StateEntries::NONE,
        cohorts,
    });
    (
        serde_json::to_string(&result.internal).expect("serializes"),
        result.members.into_iter().collect(),
        result.warnings,
    )
}

#[test]
fn a_sum_beyond_f64_saturates_and_never_writes_null() {
    let ws = workspace(json!([
        {"code": 1, "query": {"engaged_time": {"seconds": {"greater_than": 1000}}}},
        {"code": 2, "query": {"engaged_time": {"seconds": {"greater_than": 1000}, "during": {"the_last": {"value": 1, "unit": "days"}}}}}
    ]));
    let huge = |at| ev("PageviewEngagement", at, json!({"engaged_time": 1e308}));
    let (state, members, warnings) = call(&ws, "{}", &[huge(0), huge(MIN), huge(MIN)], &[]);
    assert!(!state.contains("null"), "{state}");
    assert_eq!(members, ["1", "2"]);
    assert!(warnings.is_empty());
    // The next call reads that state back and keeps both cohorts.
    let (again, members, warnings) =
        call(&ws, &state, &[ev("Other", 2 * MIN, json!({}))], &members);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(members, ["1", "2"]);
    assert!(!again.contains("null"), "{again}");
}

#[test]
fn three_and_three_point_zero_are_the_same_query_and_keep_the_state() {
    let query = |n: Value| json!([{"code": 1, "query": {"event": "A", "frequency": {"greater_than_or_equal_to": n}}}]);
    let integer = workspace(query(json!(3)));
    let float = workspace(query(json!(3.0)));
    assert_eq!(integer.checksum("1"), float.checksum("1"));
    let a = ev("A", 0, json!({}));
    let (state, _, _) = call(&integer, "{}", &[a.clone(), a.clone()], &[]);
    let (_, members, warnings) = call(&float, &state, &[ev("A", 1, json!({}))], &[]);
    assert!(warnings.is_empty(), "the state was discarded: {warnings:?}");
    assert_eq!(members, ["1"]);
}

/// State the engine did not write: pairs in descending time order (and repeated instants).
fn descending(tag: &str, pairs: usize, now: i64) -> String {
    let mut text = format!("[{now},[\"{tag}\"");
    if tag == "cv" {
        // The pair naming the current page view.
        text.push_str(",-999999999999999999,12345");
    }
    for k in 0..pairs as i64 {
        // Two pairs per instant, latest first; values rise towards the past.
        let t = now - (k / 2) * 1000;
        text.push_str(&format!(",{t},{}", 1 + k % 3 + k / 1000));
    }
    text.push_str("]]");
    text
}

#[test]
fn windowed_pairs_in_any_order_read_as_if_sorted() {
    let ws = workspace(json!([
        {"code": 1, "query": {"event": "A", "frequency": {"greater_than_or_equal_to": 1}, "during": {"the_last": {"value": 30, "unit": "days"}}}},
        {"code": 2, "query": {"engaged_completion": {"completion": {"greater_than": 0}, "during": {"the_last": {"value": 30, "unit": "days"}}}}}
    ]));
    let now = BASE_MS + 10 * DAY;
    let pairs = 200_000;
    for (code, tag) in [("1", "wp"), ("2", "cv")] {
        let checksum = ws.checksum(code).expect("cohort");
        let hostile = format!(
            "{{\"{code}\":{{\"{checksum}\":{}}}}}",
            descending(tag, pairs, now)
        );
        // The same pairs sorted by time (same-instant pairs kept in their order).
        let parsed: Value = serde_json::from_str(&hostile).expect("JSON");
        let list = parsed[code][checksum][1]
            .as_array()
            .expect("accumulator")
            .clone();
        let mut sorted: Vec<(i64, Value)> = list[1..]
            .chunks(2)
            .map(|p| (p[0].as_i64().expect("time"), p[1].clone()))
            .collect();
        sorted.sort_by_key(|(t, _)| *t);
        let mut flat = vec![json!(tag)];
        for (t, x) in sorted {
            flat.push(json!(t));
            flat.push(x);
        }
        let in_order = json!({code: {checksum: [now, flat]}}).to_string();
        let event = [ev("Other", 10 * DAY, json!({}))];
        let from_hostile = call(&ws, &hostile, &event, &[]);
        let from_sorted = call(&ws, &in_order, &event, &[]);
        assert_eq!(from_hostile, from_sorted, "cohort {code}");
        assert_eq!(from_hostile.1, [code]);
    }
}

fn heartbeat(at: i64, view: &str, seconds: u32) -> Event {
    let mut event = ev(
        "PageviewEngagement",
        at,
        json!({"engaged_time": seconds, "completion": 0}),
    );
    event.view_id = Some(format!("00000000-0000-4000-8000-00000000000{view}"));
    event
}

#[test]
fn engaged_views_count_distinct_page_views_not_heartbeats() {
    let ws = workspace(json!([
        {"code": 1, "query": {"engaged_views": {"count": {"greater_than_or_equal_to": 2}}}},
        {"code": 2, "query": {"engaged_views": {"count": {"greater_than_or_equal_to": 2}, "during": {"the_last": {"value": 1, "unit": "hours"}}}}}
    ]));
    // A minute of reading one page at 5-second heartbeats: 12 events, one view.
    let one_page: Vec<Event> = (0..10).map(|k| heartbeat(k * 5_000, "1", 5)).collect();
    let (state, members, _) = call(&ws, "{}", &one_page, &[]);
    assert!(members.is_empty(), "one page view counted as {members:?}");
    // A heartbeat without engaged time or completion is not an engaged view.
    let (state, members, _) = call(&ws, &state, &[heartbeat(MIN, "2", 0)], &members);
    assert!(members.is_empty(), "{members:?}");
    let (state, members, _) = call(&ws, &state, &[heartbeat(2 * MIN, "2", 5)], &members);
    assert_eq!(members, ["1", "2"]);
    // An hour after the first page's last heartbeat, the window holds one view.
    let (_, members, warnings) = call(
        &ws,
        &state,
        &[heartbeat(45_000 + 60 * MIN, "2", 5)],
        &members,
    );
    assert_eq!(members, ["1"]);
    assert!(warnings.is_empty());
}

#[test]
fn the_wall_clock_measures_windows_against_the_machines_clock() {
    use segscope::engine::Now;
    let ws = workspace(json!([
        {"code": 1, "query": {"event": "A", "during": {"the_last": {"value": 7, "unit": "days"}}}}
    ]));
    let events = [ev("A", 0, json!({}))];
    let input = SegmentInput {
        events: &events,
        internal: StateEntries::NONE,
        external: StateEntries::NONE,
        cohorts: &[],
    };
    assert!(ws.segment(input).members.contains("1"), "event time");
    let eight_days_later = jiff::Timestamp::from_millisecond(BASE_MS + 8 * DAY).expect("time");
    let walled = ws.segment_with(input, Now::Wall(eight_days_later));
    assert!(walled.members.is_empty(), "{:?}", walled.members);
    let explained = ws.explanation_with(input, Now::Wall(eight_days_later));
    assert_eq!(explained.clock, segscope::engine::Clock::Wall);
    assert_eq!(explained.now.as_deref(), Some("2024-01-09T00:00:00Z"));
}

#[test]
fn an_event_far_ahead_of_the_clock_is_flagged_in_the_explanation() {
    let ws = workspace(json!([{"code": 1, "query": {"event": "A"}}]));
    let events = [
        ev("A", 0, json!({})),
        ev("A", DAY + 1, json!({})),
        ev("A", DAY + 2, json!({})),
    ];
    let explained = ws.explanation(SegmentInput {
        events: &events,
        internal: StateEntries::NONE,
        external: StateEntries::NONE,
        cohorts: &[],
    });
    assert_eq!(explained.clock, segscope::engine::Clock::Event);
    assert_eq!(explained.notes.len(), 1, "{:?}", explained.notes);
    assert!(
        explained.notes[0].starts_with("events[1] at 2024-01-02T00:00:00.001Z is more than a day after the user's clock 2024-01-01T00:00:00Z"),
        "{}",
        explained.notes[0]
    );
}

fn reading(at: i64, view: &str, completion: f64) -> Event {
    let mut event = ev(
        "PageviewEngagement",
        at,
        json!({"engaged_time": 5, "completion": completion}),
    );
    event.view_id = Some(format!("00000000-0000-4000-8000-00000000000{view}"));
    event
}

#[test]
fn engaged_completion_reads_the_current_page_view() {
    let ws = workspace(json!([
        {"code": 1, "query": {"engaged_completion": {"completion": {"greater_than": 0.6}}}},
        {"code": 2, "query": {"engaged_completion": {"completion": {"greater_than": 0.6}, "during": {"the_last": {"value": 1, "unit": "hours"}}}}}
    ]));
    // 90% of article A: in both.
    let (state, members, _) = call(
        &ws,
        "{}",
        &[
            reading(0, "1", 0.5),
            reading(MIN, "1", 0.9),
            reading(2 * MIN, "1", 0.7),
        ],
        &[],
    );
    assert_eq!(members, ["1", "2"]);
    // Then 10% of article B: B is the current page.
    let (state, members, _) = call(&ws, &state, &[reading(3 * MIN, "2", 0.1)], &members);
    assert!(members.is_empty(), "{members:?}");
    // A late heartbeat of A does not make A current again.
    let (state, members, _) = call(&ws, &state, &[reading(3 * MIN - 1, "1", 1.0)], &members);
    assert!(members.is_empty(), "{members:?}");
    // B read to 80%.
    let (_, members, warnings) = call(&ws, &state, &[reading(4 * MIN, "2", 0.8)], &members);
    assert_eq!(members, ["1", "2"]);
    assert!(warnings.is_empty(), "{warnings:?}");
}
