//! The vocabulary of real cohort queries (issue 11, section 2): singular units and months,
//! "has not entered/exited", "not in" 2nd/3rd-party segments, disabled cohorts, and warnings
//! for logic Permutive would refuse.

use std::collections::BTreeMap;

use segscope::emulator::segment::{Validation, segment};
use segscope::engine::{Event, LoadWarning, SegmentInput, Workspace};
use serde_json::{Value, json};

const DAY: i64 = 86_400_000;
/// 2024-01-01T00:00:00Z.
const BASE_MS: i64 = 1_704_067_200_000;

fn ev(name: &str, at_ms: i64) -> Event {
    Event {
        name: name.to_string(),
        time: jiff::Timestamp::from_millisecond(BASE_MS + at_ms).expect("valid test time"),
        properties: json!({}).into(),
        view_id: None,
        session_id: None,
    }
}

fn workspace(cohorts: Value) -> Workspace {
    Workspace::from_cohorts_json(&cohorts.to_string()).expect("workspace loads")
}

/// Members after sending `calls` one after the other (state kept as parsed maps).
fn members_after(
    ws: &Workspace,
    external: &BTreeMap<String, Value>,
    calls: &[Vec<Event>],
) -> Vec<String> {
    let mut internal: BTreeMap<String, Value> = BTreeMap::new();
    let mut cohorts: Vec<String> = Vec::new();
    for events in calls {
        let result = ws.segment(SegmentInput {
            events,
            internal: (&internal).into(),
            external: external.into(),
            cohorts: &cohorts,
        });
        assert!(result.warnings.is_empty(), "{:?}", result.warnings);
        internal = serde_json::from_str(&serde_json::to_string(&result.internal).expect("json"))
            .expect("parses");
        cohorts = result.members.into_iter().collect();
    }
    cohorts
}

#[test]
fn months_are_thirty_days_and_singular_units_load() {
    let ws = workspace(json!([
        {"code": 1, "query": {"event": "A", "during": {"the_last": {"value": 1, "unit": "month"}}}},
        {"code": 2, "query": {"event": "A", "during": {"the_last": {"value": 2, "unit": "months"}}}},
        {"code": 3, "query": {"event": "A", "during": {"the_last": {"value": 1, "unit": "day"}}}},
        {"code": 4, "query": {"event": "A", "during": {"the_last": {"value": 1, "unit": "week"}}}}
    ]));
    let none = BTreeMap::new();
    assert_eq!(
        members_after(&ws, &none, &[vec![ev("A", 0)], vec![ev("B", 30 * DAY - 1)]]),
        ["1", "2"]
    );
    assert_eq!(
        members_after(&ws, &none, &[vec![ev("A", 0)], vec![ev("B", 30 * DAY)]]),
        ["2"]
    );
    assert_eq!(
        members_after(&ws, &none, &[vec![ev("A", 0)]]),
        ["1", "2", "3", "4"]
    );
}

#[test]
fn has_not_entered_and_has_not_exited() {
    let ws = workspace(json!([
        {"code": 1, "query": {"event": "A", "during": {"the_last": {"value": 1, "unit": "days"}}}},
        {"code": 2, "query": {"has_not_entered": {"segment": 1, "during": {"the_last": {"value": 7, "unit": "days"}}}}},
        {"code": 3, "query": {"has_not_exited": {"segment": 1}}}
    ]));
    let none = BTreeMap::new();
    assert_eq!(members_after(&ws, &none, &[vec![ev("B", 0)]]), ["2", "3"]);
    assert_eq!(members_after(&ws, &none, &[vec![ev("A", 0)]]), ["1", "3"]);
    // Entered at 0, left a day later; the entry is 7 days old at day 7.
    assert_eq!(
        members_after(&ws, &none, &[vec![ev("A", 0)], vec![ev("B", DAY)]]),
        Vec::<String>::new()
    );
    assert_eq!(
        members_after(
            &ws,
            &none,
            &[vec![ev("A", 0)], vec![ev("B", DAY)], vec![ev("B", 7 * DAY)]]
        ),
        ["2"]
    );
}

#[test]
fn not_in_second_and_third_party_segments() {
    let ws = workspace(json!([
        {"code": 1, "query": {"not_in_second_party_segment": {"provider": "partner", "segment": 7}}},
        {"code": 2, "query": {"not_in_third_party_segment": {"provider": "acme-data", "segment": "auto"}}}
    ]));
    let mut external = BTreeMap::new();
    assert_eq!(
        members_after(&ws, &external, &[vec![ev("B", 0)]]),
        ["1", "2"]
    );
    external.insert("3p:acme-data:auto".to_string(), json!({}));
    assert_eq!(members_after(&ws, &external, &[vec![ev("B", 0)]]), ["1"]);
    external.insert("2p:partner:7".to_string(), json!({}));
    assert_eq!(
        members_after(&ws, &external, &[vec![ev("B", 0)]]),
        Vec::<String>::new()
    );
}

#[test]
fn logic_beyond_an_and_of_ors_loads_with_a_warning_naming_cohort_and_path() {
    let a = json!({"event": "A"});
    let ws = workspace(json!([
        {"code": 1, "query": {"and": [{"or": [a, {"not": a}]}, a]}},
        {"code": 2, "query": {"or": [a, {"and": [a, a]}]}},
        {"code": 3, "query": {"and": [a, {"not": {"or": [a, a]}}]}}
    ]));
    assert_eq!(
        ws.warnings(),
        [
            LoadWarning {
                code: "2".into(),
                path: "query.or[1]".into(),
                message: "an \"and\" inside an \"or\": Permutive supports at most an AND of ORs".into(),
            },
            LoadWarning {
                code: "3".into(),
                path: "query.and[1].not".into(),
                message: "\"not\" around an \"or\": Permutive supports at most an AND of ORs of (negated) conditions".into(),
            },
        ]
    );
    assert_eq!(
        ws.warnings()[0].to_string(),
        "cohort 2: at query.or[1]: an \"and\" inside an \"or\": Permutive supports at most an AND of ORs"
    );
}

#[test]
fn a_disabled_cohort_is_never_in_cohorts_and_its_state_passes_through_byte_for_byte() {
    let dir = std::env::temp_dir().join(format!("segscope-disabled-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("cohorts.json"),
        json!([
            {"code": 1, "name": "on", "state": "Enabled", "query": {"event": "A"}},
            {"code": 2, "name": "off", "state": "Disabled", "query": {"event": "A"}},
            {"code": 3, "name": "reads off", "query": {"in_segment": 2}}
        ])
        .to_string(),
    )
    .expect("write cohorts");
    let emulated = segscope::emulator::Workspace::load(&dir).expect("loads");
    assert!(!emulated.cohorts.evaluates("2") && emulated.cohorts.defines("2"));
    // Odd spacing and an old checksum: passed through exactly as sent.
    let state_of_2 = r#"{ "old" : ["whatever", 1.50] }"#;
    let body = format!(
        r#"{{"user_id":"2008c38f-dece-4570-976d-87593ed001c3","events":[{{"name":"A","time":"2024-01-01T00:00:00Z","properties":{{}}}}],"state":{{"internal_state":{{"2":{state_of_2}}},"external_state":{{}},"cohorts":["2"]}}}}"#
    );
    let answer = segment(&emulated, body.as_bytes(), Validation::Skip).expect("200");
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        answer.body.contains(&format!("\"2\":{state_of_2}")),
        "{}",
        answer.body
    );
    let state: Value = serde_json::from_str(&answer.body).expect("JSON");
    assert_eq!(state["state"]["cohorts"], json!(["1"]));
    assert!(answer.warnings.is_empty(), "{:?}", answer.warnings);
}

fn in_session(name: &str, at_ms: i64, session: Option<&str>) -> Event {
    let mut event = ev(name, at_ms);
    event.session_id = session.map(|s| format!("00000000-0000-4000-9000-00000000000{s}"));
    event
}

#[test]
fn this_session_counts_the_events_of_the_current_session() {
    const MIN: i64 = 60_000;
    let ws = workspace(json!([
        {"code": 1, "query": {"event": "A", "frequency": {"greater_than_or_equal_to": 2}, "during": {"this_session": true}}}
    ]));
    let none = BTreeMap::new();
    // Without session ids: a session ends after 30 minutes without events.
    assert_eq!(
        members_after(
            &ws,
            &none,
            &[
                vec![in_session("A", 0, None)],
                vec![in_session("A", 29 * MIN, None)]
            ]
        ),
        ["1"]
    );
    assert_eq!(
        members_after(
            &ws,
            &none,
            &[
                vec![in_session("A", 0, None)],
                vec![in_session("A", 30 * MIN, None)]
            ]
        ),
        Vec::<String>::new()
    );
    // Any event keeps the session going.
    assert_eq!(
        members_after(
            &ws,
            &none,
            &[vec![
                in_session("A", 0, None),
                in_session("B", 25 * MIN, None),
                in_session("A", 50 * MIN, None)
            ]]
        ),
        ["1"]
    );
    // With session ids: the session of the latest event.
    assert_eq!(
        members_after(
            &ws,
            &none,
            &[vec![
                in_session("A", 0, Some("1")),
                in_session("A", MIN, Some("2"))
            ]]
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        members_after(
            &ws,
            &none,
            &[
                vec![in_session("A", 0, Some("1"))],
                vec![in_session("A", 3 * 60 * MIN, Some("1"))]
            ]
        ),
        ["1"]
    );
}
