//! Integration tests of the cohort engine: a table of cohort behaviours over several requests,
//! a property test against a whole-history reference evaluator, robustness against arbitrary
//! state and properties, load errors, explanations and the demo workspace.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use segscope::engine::{
    Event, LoadError, SegmentInput, Segmented, StateEntries, StateText, Workspace,
};
use serde_json::value::RawValue;
use serde_json::{Value, json};

const SEC: i64 = 1_000;
const MIN: i64 = 60 * SEC;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// 2024-01-01T00:00:00Z: every test time is an offset in milliseconds from here.
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

fn pv(at_ms: i64, category: &str) -> Event {
    ev(
        "Pageview",
        at_ms,
        json!({"article": {"category": category}}),
    )
}

/// The engine's state entries (JSON text) as one parsed object.
fn json_of(internal: &BTreeMap<String, StateText>) -> Value {
    serde_json::to_value(internal).expect("state entries are JSON")
}

fn workspace(cohorts: &Value) -> Workspace {
    Workspace::from_cohorts_json(&cohorts.to_string()).expect("workspace loads")
}

/// A user talking to the engine: state goes out as JSON text and comes back parsed, like a
/// client that stores the opaque state between requests.
struct Session<'w> {
    workspace: &'w Workspace,
    internal_text: String,
    external: BTreeMap<String, Value>,
    cohorts: Vec<String>,
}

impl<'w> Session<'w> {
    fn new(workspace: &'w Workspace) -> Session<'w> {
        Session {
            workspace,
            internal_text: "{}".into(),
            external: BTreeMap::new(),
            cohorts: Vec::new(),
        }
    }

    fn internal(&self) -> BTreeMap<String, Value> {
        serde_json::from_str(&self.internal_text).expect("state text parses")
    }

    fn send(&mut self, events: &[Event]) -> Segmented {
        let internal = self.internal();
        let result = self.workspace.segment(SegmentInput {
            events,
            internal: (&internal).into(),
            external: (&self.external).into(),
            cohorts: &self.cohorts,
        });
        // The same state as JSON text (as the emulator passes it, read by the fast path and
        // with unchanged accumulators copied through) decides and writes exactly the same.
        let internal_text: BTreeMap<String, Box<RawValue>> =
            serde_json::from_str(&self.internal_text).expect("state text parses");
        let internal_text: TextEntries = internal_text.into_iter().collect();
        let (external_text, _) = as_text(&self.external);
        let (internal_raw, external_raw) = (borrowed(&internal_text), borrowed(&external_text));
        let from_text = self.workspace.segment(SegmentInput {
            events,
            internal: StateEntries::Text(&internal_raw),
            external: StateEntries::Text(&external_raw),
            cohorts: &self.cohorts,
        });
        assert_eq!(from_text, result, "text and parsed state disagree");
        // Transitions are exactly the membership changes against the incoming cohorts.
        let before: BTreeSet<String> = self.cohorts.iter().cloned().collect();
        let entered: BTreeSet<String> = result.members.difference(&before).cloned().collect();
        let exited: BTreeSet<String> = before
            .iter()
            .filter(|c| self.workspace.defines(c) && !result.members.contains(*c))
            .cloned()
            .collect();
        assert_eq!(
            result.entered.iter().cloned().collect::<BTreeSet<_>>(),
            entered
        );
        assert_eq!(
            result.exited.iter().cloned().collect::<BTreeSet<_>>(),
            exited
        );
        self.internal_text = serde_json::to_string(&result.internal).expect("state serializes");
        self.cohorts = result.members.iter().cloned().collect();
        result
    }

    fn explain(&self, events: &[Event]) -> Value {
        let internal = self.internal();
        self.workspace.explain(SegmentInput {
            events,
            internal: (&internal).into(),
            external: (&self.external).into(),
            cohorts: &self.cohorts,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

/// One behaviour: cohort "1" with `query` (plus `others`), requests and membership of "1" after each.
struct Case {
    name: &'static str,
    query: Value,
    others: Vec<Value>,
    external: Value,
    steps: Vec<(Vec<Event>, bool)>,
}

fn case(name: &'static str, query: Value, steps: Vec<(Vec<Event>, bool)>) -> Case {
    Case {
        name,
        query,
        others: Vec::new(),
        external: json!({}),
        steps,
    }
}

impl Case {
    fn with_cohort(mut self, code: u32, query: Value) -> Case {
        self.others
            .push(json!({"code": code, "name": format!("cohort {code}"), "query": query}));
        self
    }

    fn with_external(mut self, external: Value) -> Case {
        self.external = external;
        self
    }
}

/// `{"event": "E", "where": {"property": "properties.x", "condition": {op: operand}}}`.
fn where_x(op: &str, operand: Value) -> Value {
    json!({"event": "E", "where": {"property": "properties.x", "condition": {op: operand}}})
}

fn e(at_ms: i64, x: Value) -> Event {
    ev("E", at_ms, json!({"x": x}))
}

fn operator_cases() -> Vec<Case> {
    let single = |name, op: &str, operand: Value, yes: Value, no: Value| {
        case(
            name,
            where_x(op, operand),
            vec![(vec![e(0, no)], false), (vec![e(SEC, yes)], true)],
        )
    };
    vec![
        single("equal_to", "equal_to", json!("a"), json!("a"), json!("b")),
        single(
            "equal_to ignores case (string properties are case-insensitive)",
            "equal_to",
            json!("football"),
            json!("Football"),
            json!("Footballs"),
        ),
        single(
            "contains ignores case",
            "contains",
            json!("football"),
            json!("/Sport/Football/x"),
            json!("/sport/rugby/x"),
        ),
        single(
            "list_contains is case-sensitive (list-of-strings properties are)",
            "list_contains",
            json!("economy"),
            json!(["economy"]),
            json!(["Economy"]),
        ),
        single(
            "integers beyond 2^53 compare exactly",
            "equal_to",
            serde_json::from_str("9007199254740993").expect("number"),
            serde_json::from_str("9007199254740993").expect("number"),
            serde_json::from_str("9007199254740992").expect("number"),
        ),
        single(
            "equal_to a list is any of",
            "equal_to",
            json!(["a", "b"]),
            json!("b"),
            json!("c"),
        ),
        single(
            "equal_to numbers",
            "equal_to",
            json!(2),
            json!(2.0),
            json!("2"),
        ),
        single(
            "not_equal_to a list is none of",
            "not_equal_to",
            json!(["a", "b"]),
            json!("c"),
            json!("b"),
        ),
        single(
            "contains",
            "contains",
            json!("/live/"),
            json!("/news/live/1"),
            json!("/news/1"),
        ),
        single(
            "not_contains",
            "not_contains",
            json!("x"),
            json!("abc"),
            json!("axc"),
        ),
        single(
            "starts_with",
            "starts_with",
            json!("https://"),
            json!("https://a"),
            json!("http://a"),
        ),
        single(
            "ends_with",
            "ends_with",
            json!([".pdf", ".doc"]),
            json!("a.doc"),
            json!("a.txt"),
        ),
        single(
            "list_contains",
            "list_contains",
            json!("b"),
            json!(["a", "b"]),
            json!(["a"]),
        ),
        single(
            "list_contains any of",
            "list_contains",
            json!(["z", "a"]),
            json!(["a"]),
            json!(["b"]),
        ),
        single(
            "list_contains needs a list",
            "list_contains",
            json!("a"),
            json!(["a"]),
            json!("a"),
        ),
        single(
            "greater_than",
            "greater_than",
            json!(60),
            json!(61),
            json!(60),
        ),
        single(
            "greater_than_or_equal_to",
            "greater_than_or_equal_to",
            json!(60),
            json!(60),
            json!(59.9),
        ),
        single("less_than", "less_than", json!(0.5), json!(0.4), json!(0.5)),
        single(
            "less_than_or_equal_to",
            "less_than_or_equal_to",
            json!(0.5),
            json!(0.5),
            json!(0.6),
        ),
        single(
            "between is inclusive",
            "between",
            json!([1, 2]),
            json!(2),
            json!(2.5),
        ),
        single("is_empty", "is_empty", json!(true), json!(""), json!("a")),
        single(
            "is_not_empty",
            "is_not_empty",
            json!(true),
            json!(["a"]),
            json!([]),
        ),
        case(
            "a missing property makes a positive condition false",
            where_x("equal_to", json!("a")),
            vec![(vec![ev("E", 0, json!({"y": "a"}))], false)],
        ),
        case(
            "a missing property makes a negated condition true",
            where_x("not_equal_to", json!("a")),
            vec![(vec![ev("E", 0, json!({}))], true)],
        ),
        case(
            "is_empty holds for a missing property",
            where_x("is_empty", json!(true)),
            vec![(vec![ev("E", 0, json!({}))], true)],
        ),
        case(
            "function any over a list of objects, with where",
            json!({"event": "E", "where": {"property": "properties.slot.targeting_keys", "condition": {
                "function": "any", "property": "key", "condition": {"equal_to": "permutive"},
                "where": {"property": "value", "condition": {"is_not_empty": true}}}}}),
            vec![
                (
                    vec![ev(
                        "E",
                        0,
                        json!({"slot": {"targeting_keys": [{"key": "permutive", "value": ""}]}}),
                    )],
                    false,
                ),
                (
                    vec![ev(
                        "E",
                        SEC,
                        json!({"slot": {"targeting_keys": [{"key": "a", "value": "1"}, {"key": "permutive", "value": "2"}]}}),
                    )],
                    true,
                ),
            ],
        ),
        case(
            "function all over a list of objects",
            json!({"event": "E", "where": {"property": "properties.items", "condition": {
                "function": "all", "property": "price", "condition": {"greater_than": 10}}}}),
            vec![
                (
                    vec![ev("E", 0, json!({"items": [{"price": 20}, {"price": 5}]}))],
                    false,
                ),
                (
                    vec![ev(
                        "E",
                        SEC,
                        json!({"items": [{"price": 20}, {"price": 11}]}),
                    )],
                    true,
                ),
            ],
        ),
        case(
            "nested where with and/or/not",
            json!({"event": "E", "where": {"and": [
                {"or": [{"property": "properties.a", "condition": {"equal_to": 1}},
                        {"property": "properties.b", "condition": {"equal_to": 1}}]},
                {"not": {"property": "properties.c", "condition": {"equal_to": 1}}}]}}),
            vec![
                (vec![ev("E", 0, json!({"a": 1, "c": 1}))], false),
                (vec![ev("E", SEC, json!({"b": 1}))], true),
            ],
        ),
        case(
            "the event name must match",
            json!({"event": "E"}),
            vec![
                (vec![ev("F", 0, json!({}))], false),
                (vec![ev("E", SEC, json!({}))], true),
            ],
        ),
    ]
}

fn frequency_cases() -> Vec<Case> {
    let counted = |name, frequency: Value, expected: [bool; 4]| {
        case(
            name,
            json!({"event": "E", "frequency": frequency}),
            (0..4)
                .map(|i| {
                    // First no `E` (another event: a user with no events is in no cohort).
                    let events = if i == 0 {
                        vec![ev("Other", 0, json!({}))]
                    } else {
                        vec![e(i * SEC, json!(1))]
                    };
                    (events, expected[i as usize])
                })
                .collect(),
        )
    };
    vec![
        counted(
            "frequency equal_to",
            json!({"equal_to": 2}),
            [false, false, true, false],
        ),
        counted(
            "frequency greater_than",
            json!({"greater_than": 1}),
            [false, false, true, true],
        ),
        counted(
            "frequency greater_than_or_equal_to",
            json!({"greater_than_or_equal_to": 3}),
            [false, false, false, true],
        ),
        counted(
            "frequency less_than (zero events count)",
            json!({"less_than": 2}),
            [true, true, false, false],
        ),
        counted(
            "frequency less_than_or_equal_to",
            json!({"less_than_or_equal_to": 1}),
            [true, true, false, false],
        ),
        counted(
            "frequency between",
            json!({"between": [1, 2]}),
            [false, true, true, false],
        ),
        case(
            "several events in one request",
            json!({"event": "E", "frequency": {"greater_than_or_equal_to": 3}}),
            vec![(vec![e(0, json!(1)), e(0, json!(1)), e(SEC, json!(1))], true)],
        ),
    ]
}

fn last(value: u32, unit: &str) -> Value {
    json!({"the_last": {"value": value, "unit": unit}})
}

fn window_cases() -> Vec<Case> {
    let twice_in_7_days = json!({"event": "E", "frequency": {"greater_than_or_equal_to": 2}, "during": last(7, "days")});
    vec![
        case(
            "the_last: an event exactly one window old is out",
            twice_in_7_days.clone(),
            vec![
                (vec![e(0, json!(1))], false),
                (vec![e(7 * DAY, json!(1))], false),
            ],
        ),
        case(
            "the_last: an event one millisecond inside the window is in",
            twice_in_7_days.clone(),
            vec![
                (vec![e(0, json!(1))], false),
                (vec![e(7 * DAY - 1, json!(1))], true),
            ],
        ),
        case(
            "at least 3 in 7 days: enters on the third, leaves as the clock moves",
            json!({"event": "E", "frequency": {"greater_than_or_equal_to": 3}, "during": last(7, "days")}),
            vec![
                (vec![e(0, json!(1))], false),
                (vec![e(2 * DAY, json!(1))], false),
                (vec![e(4 * DAY, json!(1))], true),
                (vec![], true),
                (vec![ev("Other", 7 * DAY - 1, json!({}))], true),
                (vec![ev("Other", 7 * DAY, json!({}))], false),
                (vec![e(8 * DAY, json!(1))], true),
            ],
        ),
        case(
            "30 minute window: out exactly 30 minutes after the last matching event",
            json!({"event": "E", "during": last(30, "minutes")}),
            vec![
                (vec![e(0, json!(1))], true),
                (vec![ev("Other", 30 * MIN - 1, json!({}))], true),
                (vec![ev("Other", 30 * MIN, json!({}))], false),
            ],
        ),
        case(
            "out of order: an event older than the window never counts",
            json!({"event": "E", "during": last(1, "hours")}),
            vec![
                (vec![ev("Other", 10 * HOUR, json!({}))], false),
                (vec![e(9 * HOUR, json!(1))], false),
            ],
        ),
        case(
            "out of order: a late event inside the window counts",
            twice_in_7_days.clone(),
            vec![
                (vec![e(5 * DAY, json!(1))], false),
                (vec![e(DAY, json!(1))], true),
                (vec![e(2 * DAY, json!(1))], true),
            ],
        ),
        case(
            "out of order within one request",
            json!({"event": "E", "during": last(1, "days")}),
            vec![(vec![e(0, json!(1)), ev("Other", 2 * DAY, json!({}))], false)],
        ),
        case(
            "seconds unit",
            json!({"event": "E", "during": last(10, "seconds")}),
            vec![
                (vec![e(0, json!(1))], true),
                (vec![ev("Other", 10 * SEC, json!({}))], false),
            ],
        ),
        case(
            "weeks unit",
            json!({"event": "E", "during": last(2, "weeks")}),
            vec![
                (vec![e(0, json!(1))], true),
                (vec![ev("Other", 14 * DAY - 1, json!({}))], true),
                (vec![ev("Other", 14 * DAY, json!({}))], false),
            ],
        ),
        case(
            "all_time never expires",
            json!({"event": "E", "during": {"all_time": true}}),
            vec![
                (vec![e(0, json!(1))], true),
                (vec![ev("Other", 900 * DAY, json!({}))], true),
            ],
        ),
        case(
            "after is exclusive",
            json!({"event": "E", "during": {"after": "2024-01-02T00:00:00Z"}}),
            vec![
                (vec![e(DAY, json!(1))], false),
                (vec![e(DAY + 1, json!(1))], true),
            ],
        ),
        case(
            "before is exclusive",
            json!({"event": "E", "during": {"before": "2024-01-02T00:00:00Z"}}),
            vec![
                (vec![e(DAY, json!(1))], false),
                (vec![e(DAY - 1, json!(1))], true),
                (vec![ev("Other", 90 * DAY, json!({}))], true),
            ],
        ),
        case(
            "between is inclusive",
            json!({"event": "E", "frequency": {"equal_to": 2}, "during": {"between": ["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"]}}),
            vec![
                (vec![e(DAY, json!(1)), e(2 * DAY + 1, json!(1))], false),
                (vec![e(2 * DAY, json!(1))], true),
            ],
        ),
    ]
}

fn combinator_cases() -> Vec<Case> {
    let a = json!({"event": "A"});
    let b = json!({"event": "B"});
    vec![
        case(
            "and",
            json!({"and": [a.clone(), b.clone()]}),
            vec![
                (vec![ev("A", 0, json!({}))], false),
                (vec![ev("B", SEC, json!({}))], true),
            ],
        ),
        case(
            "or",
            json!({"or": [a.clone(), b.clone()]}),
            vec![(vec![], false), (vec![ev("B", 0, json!({}))], true)],
        ),
        case(
            "not: cohorts change as events arrive, so a user with no events is in none",
            json!({"not": a.clone()}),
            vec![
                (vec![], false),
                (vec![ev("B", 0, json!({}))], true),
                (vec![ev("A", 1, json!({}))], false),
            ],
        ),
        case(
            "lapsed: in 90 days but not in the last 14",
            json!({"and": [{"event": "A", "during": last(90, "days")}, {"not": {"event": "A", "during": last(14, "days")}}]}),
            vec![
                (vec![ev("A", 0, json!({}))], false),
                (vec![ev("B", 14 * DAY, json!({}))], true),
                (vec![ev("A", 15 * DAY, json!({}))], false),
                (vec![ev("B", 29 * DAY, json!({}))], true),
                (vec![ev("B", 105 * DAY, json!({}))], false),
            ],
        ),
    ]
}

fn engagement_cases() -> Vec<Case> {
    let engaged = |at, seconds: f64, url: &str| {
        ev(
            "PageviewEngagement",
            at,
            json!({"engaged_time": seconds, "client": {"url": url}}),
        )
    };
    vec![
        case(
            "engaged_time sums properties.engaged_time",
            json!({"engaged_time": {"seconds": {"greater_than_or_equal_to": 60},
                "where": {"property": "properties.client.url", "condition": {"contains": "/tech/"}},
                "during": last(14, "days")}}),
            vec![
                (
                    vec![engaged(0, 30.0, "/tech/a"), engaged(SEC, 100.0, "/sport/a")],
                    false,
                ),
                (vec![engaged(DAY, 29.5, "/tech/b")], false),
                (vec![engaged(2 * DAY, 0.5, "/tech/c")], true),
                (vec![ev("Pageview", 14 * DAY, json!({}))], false),
            ],
        ),
        case(
            "engaged_completion is the maximum completion on the current page (without view_id each event is its own page)",
            json!({"engaged_completion": {"completion": {"greater_than": 0.6}, "during": last(30, "days")}}),
            vec![
                (
                    vec![ev(
                        "PageviewEngagement",
                        0,
                        json!({"engaged_time": 1, "completion": 0.5}),
                    )],
                    false,
                ),
                (
                    vec![ev(
                        "PageviewEngagement",
                        DAY,
                        json!({"engaged_time": 1, "completion": 0.9}),
                    )],
                    true,
                ),
                (
                    vec![ev(
                        "PageviewEngagement",
                        2 * DAY,
                        json!({"engaged_time": 1, "completion": 0.1}),
                    )],
                    false,
                ),
                (vec![ev("Pageview", 31 * DAY, json!({}))], false),
            ],
        ),
        case(
            "engaged_completion over nothing: comparisons are false",
            json!({"engaged_completion": {"completion": {"less_than": 0.5}}}),
            vec![
                (vec![], false),
                (
                    vec![ev("PageviewEngagement", 0, json!({"completion": 0.2}))],
                    true,
                ),
            ],
        ),
        case(
            "engaged_views counts page views with engaged time or completion (without view_id: each event its own view)",
            json!({"engaged_views": {"count": {"greater_than_or_equal_to": 2}}}),
            vec![
                (
                    vec![ev("PageviewEngagement", 0, json!({"engaged_time": 3}))],
                    false,
                ),
                (vec![ev("Pageview", SEC, json!({}))], false),
                (vec![ev("PageviewEngagement", 2 * SEC, json!({}))], false),
                (
                    vec![ev(
                        "PageviewEngagement",
                        3 * SEC,
                        json!({"completion": 0.1}),
                    )],
                    true,
                ),
            ],
        ),
    ]
}

fn reference_cases() -> Vec<Case> {
    let three_a_in_7_days = json!({"event": "A", "frequency": {"greater_than_or_equal_to": 3}, "during": last(7, "days")});
    let a = |at| ev("A", at, json!({}));
    vec![
        case(
            "has_entered within a day",
            json!({"has_entered": {"segment": 2, "during": last(1, "days")}}),
            vec![
                (vec![a(0), a(HOUR)], false),
                (vec![a(2 * HOUR)], true),
                (vec![ev("B", DAY + 2 * HOUR - 1, json!({}))], true),
                (vec![ev("B", DAY + 2 * HOUR, json!({}))], false),
            ],
        )
        .with_cohort(2, three_a_in_7_days.clone()),
        case(
            "has_exited, all time",
            json!({"has_exited": {"segment": "2"}}),
            vec![(vec![a(0), a(1), a(2)], false), (vec![ev("B", 10 * DAY, json!({}))], true), (vec![a(11 * DAY)], true)],
        )
        .with_cohort(2, three_a_in_7_days.clone()),
        case(
            "in_segment follows the other cohort in the same request",
            json!({"and": [{"in_segment": 2}, {"event": "B"}]}),
            vec![(vec![ev("B", 0, json!({}))], false), (vec![a(1), a(2), a(3)], true), (vec![ev("C", 8 * DAY, json!({}))], false)],
        )
        .with_cohort(2, three_a_in_7_days),
        case(
            "third-party segment from external_state",
            json!({"and": [{"in_third_party_segment": {"provider": "acme-data", "segment": "auto-intenders"}}, {"event": "A"}]}),
            vec![(vec![], false), (vec![a(0)], true)],
        )
        .with_external(json!({"3p:acme-data:auto-intenders": {}})),
        case(
            "second-party segment absent from external_state",
            json!({"in_second_party_segment": {"provider": "partner", "segment": 7}}),
            vec![(vec![a(0)], false)],
        )
        .with_external(json!({"3p:partner:7": {}})),
        case(
            "second-party segment present",
            json!({"not": {"in_second_party_segment": {"provider": "partner", "segment": 7}}}),
            vec![(vec![a(0)], false)],
        )
        .with_external(json!({"2p:partner:7": true})),
    ]
}

#[test]
fn table_of_cohort_behaviours() {
    let cases: Vec<Case> = [
        operator_cases(),
        frequency_cases(),
        window_cases(),
        combinator_cases(),
        engagement_cases(),
        reference_cases(),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    for case in cases {
        let mut cohorts = vec![json!({"code": 1, "name": case.name, "query": case.query})];
        cohorts.extend(case.others.iter().cloned());
        let workspace = Workspace::from_cohorts_json(&Value::Array(cohorts).to_string())
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let mut session = Session::new(&workspace);
        session.external = serde_json::from_value(case.external.clone()).expect("external object");
        for (step, (events, expected)) in case.steps.iter().enumerate() {
            let result = session.send(events);
            assert_eq!(
                result.members.contains("1"),
                *expected,
                "{}: request {step}; state {}",
                case.name,
                session.internal_text
            );
            assert!(
                result.warnings.is_empty(),
                "{}: {:?}",
                case.name,
                result.warnings
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// State: format, checksums, external contributions, pruning, malformed input
// ---------------------------------------------------------------------------------------------

#[test]
fn state_is_keyed_by_checksum_and_compact() {
    let ws = workspace(&json!([
        {"code": 1, "query": {"event": "A", "during": last(1, "hours")}},
        {"code": 2, "query": {"event": "A"}},
        {"code": 3, "query": {"in_third_party_segment": {"provider": "p", "segment": "s"}}},
    ]));
    let mut session = Session::new(&ws);
    session.send(&[
        ev("A", 0, json!({})),
        ev("A", 0, json!({})),
        ev("A", MIN, json!({})),
    ]);
    let state = session.internal();
    let checksum = ws.checksum("1").expect("cohort 1");
    assert_eq!(checksum.len(), 10);
    assert_eq!(
        state["1"][checksum],
        json!([BASE_MS + MIN, ["wp", BASE_MS, 2, BASE_MS + MIN, 1]]),
        "same-time entries collapse"
    );
    assert_eq!(
        state["2"][ws.checksum("2").expect("2")],
        json!([BASE_MS + MIN, ["p", 3]])
    );
    assert!(!state.contains_key("3"), "nothing to keep");
    // Two hours later the windowed entries are pruned; the clock stays.
    session.send(&[ev("B", 2 * HOUR, json!({}))]);
    assert_eq!(
        session.internal()["1"][checksum],
        json!([BASE_MS + 2 * HOUR, ["wp"]])
    );
}

#[test]
fn state_stays_bounded_over_a_long_history() {
    let ws = workspace(
        &json!([{"code": 1, "query": {"event": "A", "frequency": {"greater_than_or_equal_to": 3}, "during": last(1, "days")}}]),
    );
    let mut session = Session::new(&ws);
    for hour in 0..24 * 60 {
        session.send(&[ev("A", hour * HOUR, json!({}))]);
    }
    let entries = session.internal()["1"][ws.checksum("1").expect("1")][1]
        .as_array()
        .expect("windowed")
        .len();
    assert_eq!(entries, 1 + 2 * 24, "one day of hourly events");
}

#[test]
fn editing_a_query_discards_only_that_cohorts_state() {
    let before = workspace(&json!([
        {"code": 1, "query": {"event": "A", "frequency": {"greater_than_or_equal_to": 2}}},
        {"code": 2, "query": {"event": "B", "frequency": {"greater_than_or_equal_to": 2}}},
    ]));
    let after = workspace(&json!([
        {"code": 1, "query": {"event": "A", "frequency": {"greater_than_or_equal_to": 3}}},
        {"code": 2, "query": {"frequency": {"greater_than_or_equal_to": 2}, "event": "B"}},
    ]));
    assert_ne!(before.checksum("1"), after.checksum("1"));
    assert_eq!(
        before.checksum("2"),
        after.checksum("2"),
        "key order is not an edit"
    );
    let mut session = Session::new(&before);
    let events: Vec<Event> = (0..2)
        .flat_map(|i| [ev("A", i, json!({})), ev("B", i, json!({}))])
        .collect();
    assert_eq!(session.send(&events).members.len(), 2);
    session.workspace = &after;
    let result = session.send(&[ev("A", 10, json!({}))]);
    assert!(!result.members.contains("1"), "count restarted at 1");
    assert!(result.members.contains("2"));
    assert_eq!(result.exited, vec!["1".to_string()]);
    assert_eq!(result.warnings.len(), 1, "{:?}", result.warnings);
    assert!(result.warnings[0].contains("cohort 1"));
    let result = session.send(&[ev("A", 11, json!({})), ev("A", 12, json!({}))]);
    assert!(result.members.contains("1"));
    assert!(result.warnings.is_empty());
}

#[test]
fn external_contributions_count_with_internal_state() {
    let ws = workspace(
        &json!([{"code": 1, "query": {"event": "A", "frequency": {"greater_than_or_equal_to": 3}, "during": last(7, "days")}}]),
    );
    let checksum = ws.checksum("1").expect("1").to_string();
    let mut session = Session::new(&ws);
    session.external = serde_json::from_value(json!({
        "1": {checksum.clone(): [BASE_MS, ["wp", BASE_MS - DAY, 1, BASE_MS, 1]]}
    }))
    .expect("external");
    let result = session.send(&[ev("A", HOUR, json!({}))]);
    assert!(result.members.contains("1"));
    // External entries are read, never written into internal state.
    assert_eq!(
        session.internal()["1"][&checksum],
        json!([BASE_MS + HOUR, ["wp", BASE_MS + HOUR, 1]])
    );
    // And they age with the clock like internal ones.
    let result = session.send(&[ev("B", 6 * DAY, json!({}))]);
    assert!(!result.members.contains("1"));
    // Unparseable external state is ignored, with a warning.
    session.external =
        serde_json::from_value(json!({"1": {checksum: ["p", 1]}})).expect("external");
    let result = session.send(&[]);
    assert_eq!(result.warnings.len(), 1);
}

#[test]
fn malformed_state_is_discarded_with_a_warning() {
    let ws = workspace(
        &json!([{"code": 1, "query": {"event": "A"}}, {"code": 2, "query": {"event": "A", "frequency": {"greater_than_or_equal_to": 2}}}]),
    );
    let checksum = ws.checksum("2").expect("2");
    for bad in [
        json!("x"),
        json!([1, 2]),
        json!({checksum: {"p": 1}}),
        json!({checksum: [null, ["wp", 1, 2]]}),
    ] {
        let internal: BTreeMap<String, Value> =
            [("2".to_string(), bad.clone())].into_iter().collect();
        let result = ws.segment(SegmentInput {
            events: &[ev("A", 0, json!({}))],
            internal: (&internal).into(),
            external: StateEntries::NONE,
            cohorts: &[],
        });
        assert_eq!(result.warnings.len(), 1, "{bad}: {:?}", result.warnings);
        assert!(result.members.contains("1"));
        assert!(!result.members.contains("2"));
        assert_eq!(
            json_of(&result.internal)["2"][checksum],
            json!([BASE_MS, ["p", 1]])
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Load errors
// ---------------------------------------------------------------------------------------------

fn load_error(query: Value) -> LoadError {
    Workspace::from_cohorts_json(
        &json!([{"code": 42, "query": query}, {"code": 7, "query": {"event": "A"}}]).to_string(),
    )
    .expect_err("invalid query")
}

#[test]
fn invalid_queries_name_the_cohort_and_the_path() {
    let cases = [
        (
            json!({"and": [{"event": "A"}, {"event": "A", "where": {"property": "properties.x", "condition": {"equals": 1}}}]}),
            "query.and[1].where.condition",
        ),
        (json!({"xor": []}), "query"),
        (
            json!({"event": "A", "during": last(1, "fortnights")}),
            "query.during.the_last.unit",
        ),
        (
            json!({"event": "A", "where": {"property": "properties.x", "condition": {"contains": 1}}}),
            "query.where.condition.contains",
        ),
        (
            json!({"event": "A", "frequency": {"at_least": 2}}),
            "query.frequency",
        ),
        (
            json!({"event": "A", "frequncy": {"equal_to": 2}}),
            "query.frequncy",
        ),
        (json!({"event": 5}), "query.event"),
        (json!({"or": []}), "query.or"),
        (json!({"not": {"in_segment": 9}}), "query.not.in_segment"),
        (
            json!({"engaged_time": {"secs": {"equal_to": 1}}}),
            "query.engaged_time.secs",
        ),
        (
            json!({"has_entered": {"segment": 7, "during": {"the_last": {"value": -1, "unit": "days"}}}}),
            "query.has_entered.during.the_last.value",
        ),
        (
            json!({"in_third_party_segment": {"provider": "p"}}),
            "query.in_third_party_segment",
        ),
        (
            json!({"event": "A", "during": {"after": "last tuesday"}}),
            "query.during.after",
        ),
    ];
    for (query, path) in cases {
        match load_error(query.clone()) {
            LoadError::Query {
                code, path: got, ..
            } => {
                assert_eq!(code, "42", "{query}");
                assert_eq!(got, path, "{query}");
            }
            other => panic!("{query}: {other:?}"),
        }
    }
}

#[test]
fn workspace_errors() {
    let cycle = Workspace::from_cohorts_json(
        &json!([
            {"code": 1, "query": {"in_segment": 2}},
            {"code": 2, "query": {"has_entered": {"segment": 3}}},
            {"code": 3, "query": {"and": [{"event": "A"}, {"in_segment": "1"}]}},
        ])
        .to_string(),
    )
    .expect_err("cycle");
    let LoadError::Workspace(message) = cycle else {
        panic!("{cycle:?}")
    };
    assert!(message.contains("1 -> 2 -> 3 -> 1"), "{message}");
    let own = Workspace::from_cohorts_json(
        &json!([{"code": 1, "query": {"not": {"in_segment": 1}}}]).to_string(),
    );
    assert!(matches!(own, Err(LoadError::Workspace(_))));
    let duplicate = Workspace::from_cohorts_json(
        &json!([{"code": 1, "query": {"event": "A"}}, {"code": "1", "query": {"event": "B"}}])
            .to_string(),
    );
    assert!(matches!(duplicate, Err(LoadError::Workspace(_))));
    let syntax = Workspace::from_cohorts_json("[\n  {\"code\": 1,,}\n]").expect_err("syntax");
    assert!(
        matches!(syntax, LoadError::Syntax { line: 2, .. }),
        "{syntax:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The demo workspace
// ---------------------------------------------------------------------------------------------

fn demo() -> Workspace {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/workspace/cohorts.json"
    ))
    .expect("demo cohorts.json");
    Workspace::from_cohorts_json(&text).expect("demo workspace loads")
}

#[test]
fn demo_workspace_behaves_as_its_readme_says() {
    let ws = demo();
    assert_eq!(ws.cohorts().len(), 12);
    // Pinned (docs/engine.md shows it): a change silently invalidates every user's state.
    assert_eq!(ws.checksum("1001"), Some("51cfb9e373"));
    assert_eq!(
        ws.cohort("1001").map(|c| c.name.as_str()),
        Some("Football fans")
    );
    assert_eq!(ws.cohort("1001").map(|c| c.tags.len()), Some(2));
    let mut session = Session::new(&ws);

    // 1001 on the third football view in 7 days; 1009 "new football fan" with it; 1006 ever.
    let result = session.send(&[
        pv(0, "football"),
        pv(DAY, "football"),
        ev("NewsletterSignup", DAY, json!({"newsletter": "daily"})),
    ]);
    assert_eq!(result.entered, vec!["1006".to_string()]);
    let result = session.send(&[pv(2 * DAY, "football")]);
    assert_eq!(result.entered, vec!["1001".to_string(), "1009".to_string()]);

    // 1010: in 1001 and 300 engaged seconds on football pages.
    let engaged = |at, secs| {
        ev(
            "PageviewEngagement",
            at,
            json!({"engaged_time": secs, "completion": 0.7, "client": {"url": "https://www.dailycourier.example/football/x", "domain": "www.dailycourier.example"}}),
        )
    };
    let result = session.send(&[engaged(2 * DAY + MIN, 200), engaged(2 * DAY + 2 * MIN, 100)]);
    assert_eq!(result.entered, vec!["1004".to_string(), "1010".to_string()]);

    // A day after entering, 1009 lets go; 1001 lasts until the first view is 7 days old.
    let result = session.send(&[pv(3 * DAY + 2 * MIN, "politics")]);
    assert_eq!(result.exited, vec!["1009".to_string()]);
    let result = session.send(&[pv(7 * DAY, "news")]);
    assert_eq!(result.exited, vec!["1001".to_string(), "1010".to_string()]);

    // 1008 lapsed: football in 90 days but not in the last 14.
    let result = session.send(&[pv(16 * DAY + 3 * MIN, "news")]);
    assert!(result.members.contains("1008"));
    let result = session.send(&[pv(17 * DAY, "football")]);
    assert!(!result.members.contains("1008"));

    // 1011: third-party auto intenders reading motoring.
    session.external = [("3p:acme-data:auto-intenders".to_string(), json!({}))]
        .into_iter()
        .collect();
    let result = session.send(&[pv(18 * DAY, "motoring")]);
    assert!(result.entered.contains(&"1011".to_string()));

    // 1002: live blog readers drop out 30 minutes after the last live view.
    let live = ev(
        "Pageview",
        20 * DAY,
        json!({"article": {"category": "news"}, "client": {"url": "https://www.dailycourier.example/news/live/election", "domain": "www.dailycourier.example"}}),
    );
    assert!(session.send(&[live]).entered.contains(&"1002".to_string()));
    assert!(
        session
            .send(&[pv(20 * DAY + 30 * MIN, "news")])
            .exited
            .contains(&"1002".to_string())
    );
    assert!(session.send(&[]).warnings.is_empty());
}

#[test]
fn explanation_shows_the_decision_tree() {
    let ws = demo();
    let mut session = Session::new(&ws);
    session.send(&[pv(0, "football"), pv(DAY, "football")]);
    let explanation = session.explain(&[pv(2 * DAY, "football")]);
    let cohorts = explanation["cohorts"]
        .as_array()
        .expect("an array of cohorts");
    assert_eq!(cohorts.len(), 12);
    let fans = &cohorts[0];
    assert_eq!(fans["code"], "1001");
    assert_eq!(fans["name"], "Football fans");
    assert_eq!(
        (
            fans["member"].clone(),
            fans["was_member"].clone(),
            fans["changed"].clone()
        ),
        (json!(true), json!(false), json!(true))
    );
    assert_eq!(fans["now"], "2024-01-03T00:00:00Z");
    assert_eq!(fans["state"], "restored");
    let tree = &fans["tree"];
    assert_eq!(tree["kind"], "event");
    assert_eq!(tree["path"], "query");
    assert_eq!(tree["event"], "Pageview");
    assert_eq!(tree["value"], 3);
    assert_eq!(tree["operator"], "greater_than_or_equal_to");
    assert_eq!(tree["threshold"], 3);
    assert_eq!(tree["result"], true);
    assert_eq!(tree["where"]["condition"]["equal_to"], "football");
    assert_eq!(
        tree["window"],
        json!({"kind": "the_last", "value": 7, "unit": "days", "start": "2023-12-27T00:00:00Z",
               "end": "2024-01-03T00:00:00Z", "start_inclusive": false, "end_inclusive": true})
    );
    let lapsed = &cohorts[7]["tree"];
    assert_eq!(lapsed["kind"], "and");
    assert_eq!(lapsed["children"][1]["kind"], "not");
    assert_eq!(
        lapsed["children"][1]["children"][0]["path"],
        "query.and[1].not"
    );
    let car = &cohorts[10]["tree"]["children"][0];
    assert_eq!(car["kind"], "in_third_party_segment");
    assert_eq!(car["result"], false);
    // Explaining does not need the state to change.
    assert_eq!(
        session.explain(&[])["cohorts"].as_array().map(Vec::len),
        Some(12)
    );
}

// ---------------------------------------------------------------------------------------------
// Property test: the incremental engine agrees with a whole-history reference evaluator
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum RefCondition {
    KindIs(&'static str),
    KindIsNot(&'static str),
    NGreaterThan(i64),
    And(Box<RefCondition>, Box<RefCondition>),
    Not(Box<RefCondition>),
}

#[derive(Debug, Clone)]
enum RefQuery {
    Event {
        name: &'static str,
        /// (operator, n)
        frequency: Option<(&'static str, i64)>,
        filter: Option<RefCondition>,
        /// the_last, in hours
        window_hours: Option<i64>,
    },
    And(Vec<RefQuery>),
    Or(Vec<RefQuery>),
    Not(Box<RefQuery>),
}

#[derive(Debug, Clone)]
struct RefEvent {
    name: &'static str,
    at_ms: i64,
    kind: Option<&'static str>,
    n: Option<i64>,
}

impl RefCondition {
    fn to_json(&self) -> Value {
        match self {
            RefCondition::KindIs(k) => {
                json!({"property": "properties.kind", "condition": {"equal_to": k}})
            }
            RefCondition::KindIsNot(k) => {
                json!({"property": "properties.kind", "condition": {"not_equal_to": k}})
            }
            RefCondition::NGreaterThan(n) => {
                json!({"property": "properties.n", "condition": {"greater_than": n}})
            }
            RefCondition::And(a, b) => json!({"and": [a.to_json(), b.to_json()]}),
            RefCondition::Not(a) => json!({"not": a.to_json()}),
        }
    }

    fn holds(&self, e: &RefEvent) -> bool {
        match self {
            RefCondition::KindIs(k) => e.kind == Some(*k),
            RefCondition::KindIsNot(k) => e.kind != Some(*k),
            RefCondition::NGreaterThan(n) => e.n.is_some_and(|x| x > *n),
            RefCondition::And(a, b) => a.holds(e) && b.holds(e),
            RefCondition::Not(a) => !a.holds(e),
        }
    }
}

impl RefQuery {
    fn to_json(&self) -> Value {
        match self {
            RefQuery::Event {
                name,
                frequency,
                filter,
                window_hours,
            } => {
                let mut clause = json!({"event": name});
                if let Some((op, n)) = frequency {
                    clause["frequency"] = json!({*op: n});
                }
                if let Some(filter) = filter {
                    clause["where"] = filter.to_json();
                }
                if let Some(hours) = window_hours {
                    clause["during"] = last(*hours as u32, "hours");
                }
                clause
            }
            RefQuery::And(items) => {
                json!({"and": items.iter().map(RefQuery::to_json).collect::<Vec<_>>()})
            }
            RefQuery::Or(items) => {
                json!({"or": items.iter().map(RefQuery::to_json).collect::<Vec<_>>()})
            }
            RefQuery::Not(inner) => json!({"not": inner.to_json()}),
        }
    }

    /// Membership with the whole history in view; the clock is the latest event time.
    fn holds(&self, history: &[RefEvent]) -> bool {
        match self {
            RefQuery::Event {
                name,
                frequency,
                filter,
                window_hours,
            } => {
                let now = history.iter().map(|e| e.at_ms).max();
                let count = history
                    .iter()
                    .filter(|e| e.name == *name)
                    .filter(|e| filter.as_ref().is_none_or(|f| f.holds(e)))
                    .filter(|e| match (window_hours, now) {
                        (None, _) => true,
                        (Some(h), Some(now)) => e.at_ms > now - h * HOUR && e.at_ms <= now,
                        (Some(_), None) => false,
                    })
                    .count() as i64;
                match frequency {
                    None => count >= 1,
                    Some(("equal_to", n)) => count == *n,
                    Some(("greater_than", n)) => count > *n,
                    Some(("greater_than_or_equal_to", n)) => count >= *n,
                    Some(("less_than", n)) => count < *n,
                    Some(("less_than_or_equal_to", n)) => count <= *n,
                    Some((op, _)) => unreachable!("generator made {op}"),
                }
            }
            RefQuery::And(items) => items.iter().all(|q| q.holds(history)),
            RefQuery::Or(items) => items.iter().any(|q| q.holds(history)),
            RefQuery::Not(inner) => !inner.holds(history),
        }
    }
}

const NAMES: [&str; 3] = ["A", "B", "C"];
const KINDS: [&str; 3] = ["x", "y", "z"];

fn ref_condition() -> impl Strategy<Value = RefCondition> {
    let leaf = prop_oneof![
        prop::sample::select(&KINDS[..]).prop_map(RefCondition::KindIs),
        prop::sample::select(&KINDS[..]).prop_map(RefCondition::KindIsNot),
        (0i64..4).prop_map(RefCondition::NGreaterThan),
    ];
    leaf.prop_recursive(2, 4, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| RefCondition::And(Box::new(a), Box::new(b))),
            inner.prop_map(|a| RefCondition::Not(Box::new(a))),
        ]
    })
}

fn ref_query() -> impl Strategy<Value = RefQuery> {
    let operators = [
        "equal_to",
        "greater_than",
        "greater_than_or_equal_to",
        "less_than",
        "less_than_or_equal_to",
    ];
    let leaf = (
        prop::sample::select(&NAMES[..]),
        prop::option::of((prop::sample::select(operators.to_vec()), 0i64..4)),
        prop::option::of(ref_condition()),
        prop::option::of(prop::sample::select(vec![1i64, 2, 6, 24, 48])),
    )
        .prop_map(|(name, frequency, filter, window_hours)| RefQuery::Event {
            name,
            frequency,
            filter,
            window_hours,
        });
    leaf.prop_recursive(2, 6, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..3).prop_map(RefQuery::And),
            prop::collection::vec(inner.clone(), 1..3).prop_map(RefQuery::Or),
            inner.prop_map(|q| RefQuery::Not(Box::new(q))),
        ]
    })
}

fn ref_event() -> impl Strategy<Value = RefEvent> {
    (
        prop::sample::select(&NAMES[..]),
        // Whole hours (so window boundaries are hit exactly) plus sometimes a millisecond.
        (0i64..120, prop::sample::select(vec![0i64, 0, 1, -1])),
        prop::option::of(prop::sample::select(&KINDS[..])),
        prop::option::of(0i64..5),
    )
        .prop_map(|(name, (hour, nudge), kind, n)| RefEvent {
            name,
            at_ms: (hour * HOUR + nudge).max(0),
            kind,
            n,
        })
}

fn to_event(e: &RefEvent) -> Event {
    let mut properties = serde_json::Map::new();
    if let Some(kind) = e.kind {
        properties.insert("kind".into(), json!(kind));
    }
    if let Some(n) = e.n {
        properties.insert("n".into(), json!(n));
    }
    ev(e.name, e.at_ms, Value::Object(properties))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn incremental_engine_agrees_with_whole_history(
        queries in prop::collection::vec(ref_query(), 1..4),
        events in prop::collection::vec(ref_event(), 0..40),
        request_sizes in prop::collection::vec(0usize..=10, 40),
    ) {
        let cohorts: Vec<Value> = queries
            .iter()
            .enumerate()
            .map(|(i, q)| json!({"code": i + 1, "name": format!("q{i}"), "query": q.to_json()}))
            .collect();
        let ws = workspace(&Value::Array(cohorts));
        let mut session = Session::new(&ws);
        let mut sent = 0;
        for size in request_sizes {
            let batch = &events[sent..(sent + size).min(events.len())];
            sent += batch.len();
            let result = session.send(&batch.iter().map(to_event).collect::<Vec<_>>());
            prop_assert!(result.warnings.is_empty(), "{:?}", result.warnings);
            for (i, query) in queries.iter().enumerate() {
                // Cohorts change as events arrive: before the first, the user is in none.
                let expected = sent > 0 && query.holds(&events[..sent]);
                prop_assert_eq!(
                    result.members.contains(&(i + 1).to_string()),
                    expected,
                    "cohort {} {} after {} events; state {}",
                    i + 1, query.to_json(), sent, session.internal_text
                );
            }
            if sent == events.len() {
                break;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Robustness: arbitrary JSON never panics
// ---------------------------------------------------------------------------------------------

/// State entries as JSON text, by cohort code.
type TextEntries = Vec<(String, Box<RawValue>)>;

/// Entries as JSON text, and those texts parsed back (JSON text can round f64s differently).
fn as_text(map: &BTreeMap<String, Value>) -> (TextEntries, BTreeMap<String, Value>) {
    let text: TextEntries = map
        .iter()
        .map(|(k, v)| {
            let raw = RawValue::from_string(v.to_string()).expect("valid JSON");
            (k.clone(), raw)
        })
        .collect();
    let parsed = text
        .iter()
        .map(|(k, raw)| (k.clone(), serde_json::from_str(raw.get()).expect("parses")))
        .collect();
    (text, parsed)
}

fn borrowed(entries: &[(String, Box<RawValue>)]) -> Vec<(Cow<'_, str>, &RawValue)> {
    entries
        .iter()
        .map(|(k, raw)| (Cow::Borrowed(k.as_str()), &**raw))
        .collect()
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|x| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)),
        prop::sample::select(vec!["p", "v", "wp", "wv", "", "football", "x"]).prop_map(Value::from),
        (BASE_MS - 10 * DAY..BASE_MS + 10 * DAY).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "article",
                    "category",
                    "engaged_time",
                    "completion",
                    "x",
                    "slot",
                    "key"
                ])
                .prop_map(str::to_string),
                inner,
                0..4,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_state_and_properties_never_panic(
        state in arbitrary_json(),
        properties in arbitrary_json(),
        as_current_checksum in any::<bool>(),
    ) {
        let ws = demo();
        let mut internal = BTreeMap::new();
        let mut external = BTreeMap::new();
        for code in ["1001", "1003", "1004", "1009"] {
            let entry = if as_current_checksum {
                json!({ws.checksum(code).expect("demo cohort"): state.clone()})
            } else {
                state.clone()
            };
            internal.insert(code.to_string(), entry.clone());
            external.insert(code.to_string(), entry);
        }
        let events = [
            ev("Pageview", 0, properties.clone()),
            ev("PageviewEngagement", 1, properties.clone()),
            ev("VideoPlay", 2, properties),
        ];
        let cohorts = ["1001".to_string(), "junk".to_string()];
        let input = SegmentInput { events: &events, internal: (&internal).into(), external: (&external).into(), cohorts: &cohorts };
        let result = ws.segment(input);
        let explained = ws.explain(input);
        // The same entries as JSON text (as the emulator passes them) decide the same, with the
        // same warnings and the same state text.
        let (internal_text, internal_parsed) = as_text(&internal);
        let (external_text, external_parsed) = as_text(&external);
        let internal_raw = borrowed(&internal_text);
        let external_raw = borrowed(&external_text);
        let text_input = SegmentInput { events: &events, internal: StateEntries::Text(&internal_raw), external: StateEntries::Text(&external_raw), cohorts: &cohorts };
        let parsed_input = SegmentInput { events: &events, internal: (&internal_parsed).into(), external: (&external_parsed).into(), cohorts: &cohorts };
        prop_assert_eq!(ws.segment(text_input), ws.segment(parsed_input));
        prop_assert_eq!(ws.explain(text_input), ws.explain(parsed_input));
        if internal_parsed == internal && external_parsed == external {
            prop_assert_eq!(ws.explain(text_input), explained);
        }
        // Whatever came in, what goes out reads back cleanly.
        let state_text = serde_json::to_string(&result.internal).expect("serializes");
        let internal: BTreeMap<String, Value> = serde_json::from_str(&state_text).expect("parses");
        let again = ws.segment(SegmentInput { events: &[], internal: (&internal).into(), external: StateEntries::NONE, cohorts: &[] });
        prop_assert!(again.warnings.is_empty(), "{:?}", again.warnings);
    }
}
