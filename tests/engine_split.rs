//! Every event re-evaluates the cohorts: how a time-ordered sequence of events is split into
//! calls changes nothing, not even transitions (`has_entered`/`has_exited`) that happen and
//! undo themselves inside one call.

use std::borrow::Cow;

use proptest::prelude::*;
use segscope::engine::{Event, SegmentInput, StateEntries, Workspace};
use serde_json::value::RawValue;
use serde_json::{Value, json};

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
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

fn football(at_ms: i64) -> Event {
    ev(
        "Pageview",
        at_ms,
        json!({"article": {"category": "football"}}),
    )
}

fn demo() -> Workspace {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/workspace/cohorts.json"
    ))
    .expect("demo cohorts.json");
    Workspace::from_cohorts_json(&text).expect("demo workspace loads")
}

/// A client keeping the opaque state between calls, as the emulator would see it: JSON text.
#[derive(Debug, Clone, PartialEq)]
struct User {
    /// `internal_state` as JSON text (the engine's entries, in code order).
    internal: String,
    cohorts: Vec<String>,
}

impl User {
    fn new() -> User {
        User {
            internal: "{}".into(),
            cohorts: Vec::new(),
        }
    }

    fn send(&mut self, workspace: &Workspace, events: &[Event]) -> segscope::engine::Segmented {
        let entries: Vec<(String, Box<RawValue>)> = serde_json::from_str::<
            std::collections::BTreeMap<String, Box<RawValue>>,
        >(&self.internal)
        .expect("state text parses")
        .into_iter()
        .collect();
        let borrowed: Vec<(Cow<'_, str>, &RawValue)> = entries
            .iter()
            .map(|(k, v)| (Cow::Borrowed(k.as_str()), &**v))
            .collect();
        let result = workspace.segment(SegmentInput {
            events,
            internal: StateEntries::Text(&borrowed),
            external: StateEntries::NONE,
            cohorts: &self.cohorts,
        });
        self.internal = serde_json::to_string(&result.internal).expect("state serializes");
        self.cohorts = result.members.iter().cloned().collect();
        result
    }
}

#[test]
fn four_football_views_in_one_call_or_four_calls_end_alike() {
    let ws = demo();
    // 1001 "Football fans" (3 in 7 days) is entered on the third view, so 1009 "New football
    // fans" (has_entered 1001 in the last day) is entered with it; 25 hours later the fourth
    // view finds that entry more than a day old, and 1009 lets go.
    let views = [
        football(0),
        football(HOUR),
        football(2 * HOUR),
        football(27 * HOUR),
    ];

    let mut one_call = User::new();
    let result = one_call.send(&ws, &views);
    let mut four_calls = User::new();
    for view in &views {
        four_calls.send(&ws, std::slice::from_ref(view));
    }
    assert_eq!(one_call, four_calls, "one call and four calls disagree");
    assert!(result.members.contains("1001"));
    assert!(!result.members.contains("1009"), "{:?}", result.members);
    // Entered and left inside the call: not a net change, but the timeline has both.
    assert!(!result.entered.contains(&"1009".to_string()));
    let explanation = ws.explanation(SegmentInput {
        events: &views,
        internal: StateEntries::NONE,
        external: StateEntries::NONE,
        cohorts: &[],
    });
    let steps: Vec<(usize, Vec<String>, Vec<String>)> = explanation
        .timeline
        .iter()
        .map(|s| {
            (
                s.event.expect("a step per event"),
                s.entered.clone(),
                s.exited.clone(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            (2, vec!["1001".to_string(), "1009".to_string()], vec![]),
            (3, vec![], vec!["1009".to_string()]),
        ]
    );
    let new_fans = explanation
        .cohorts
        .iter()
        .find(|c| c.code == "1009")
        .expect("1009 explained");
    assert!(!new_fans.member && !new_fans.changed);
    assert!(new_fans.entered_and_left);
}

#[test]
fn an_entry_inside_a_call_is_remembered_by_has_entered() {
    // "Entered 1 then left it": both transitions happen inside one call.
    let ws = Workspace::from_cohorts_json(
        &json!([
            {"code": 1, "query": {"event": "A", "during": {"the_last": {"value": 1, "unit": "hours"}}}},
            {"code": 2, "query": {"and": [{"has_entered": {"segment": 1}}, {"has_exited": {"segment": 1}}]}}
        ])
        .to_string(),
    )
    .expect("loads");
    let mut user = User::new();
    let result = user.send(&ws, &[ev("A", 0, json!({})), ev("B", 2 * HOUR, json!({}))]);
    assert_eq!(
        result.members.iter().cloned().collect::<Vec<_>>(),
        vec!["2".to_string()]
    );
}

// ---------------------------------------------------------------------------------------------
// Property: any split of a time-ordered sequence into calls gives the same cohorts and the
// byte-identical state.
// ---------------------------------------------------------------------------------------------

const NAMES: [&str; 3] = ["A", "B", "PageviewEngagement"];
const KINDS: [&str; 3] = ["x", "y", "z"];

fn window() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        4 => window_without_session(),
        1 => Just(Some(json!({"this_session": true}))),
    ]
}

fn window_without_session() -> impl Strategy<Value = Option<Value>> {
    prop::option::of(prop_oneof![
        (
            1u32..4,
            prop::sample::select(vec!["minutes", "hours", "days"])
        )
            .prop_map(|(n, unit)| json!({"the_last": {"value": n * 30, "unit": unit}})),
        Just(json!({"the_last": {"value": 2, "unit": "hours"}})),
        Just(json!({"after": "2024-01-01T03:00:00Z"})),
    ])
}

fn filter() -> impl Strategy<Value = Option<Value>> {
    prop::option::of(prop_oneof![
        prop::sample::select(&KINDS[..])
            .prop_map(|k| json!({"property": "properties.kind", "condition": {"equal_to": k}})),
        prop::sample::select(&KINDS[..])
            .prop_map(|k| json!({"property": "properties.kind", "condition": {"not_equal_to": k}})),
    ])
}

fn comparison(max: u32) -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![
            "equal_to",
            "greater_than",
            "greater_than_or_equal_to",
            "less_than",
            "less_than_or_equal_to",
        ]),
        0..max,
    )
        .prop_map(|(op, n)| json!({op: n}))
}

fn with(mut clause: Value, key: &str, value: Option<Value>) -> Value {
    if let Some(value) = value {
        clause[key] = value;
    }
    clause
}

/// A clause over events (no references to other cohorts).
fn event_clause() -> impl Strategy<Value = Value> {
    prop_oneof![
        (
            prop::sample::select(&NAMES[..2]),
            prop::option::of(comparison(4)),
            filter(),
            window()
        )
            .prop_map(|(name, frequency, filter, during)| {
                let clause = with(json!({"event": name}), "frequency", frequency);
                with(with(clause, "where", filter), "during", during)
            }),
        (comparison(40), window()).prop_map(|(seconds, during)| {
            json!({"engaged_time": with(json!({"seconds": seconds}), "during", during)})
        }),
        (0u32..10, window()).prop_map(|(tenths, during)| {
            json!({"engaged_completion": with(json!({"completion": {"greater_than": f64::from(tenths) / 10.0}}), "during", during)})
        }),
        (comparison(3), window_without_session()).prop_map(|(count, during)| {
            json!({"engaged_views": with(json!({"count": count}), "during", during)})
        }),
    ]
}

/// A clause that may read cohorts `1..=earlier`.
fn clause(earlier: u32) -> BoxedStrategy<Value> {
    let leaf = if earlier == 0 {
        event_clause().boxed()
    } else {
        prop_oneof![
            3 => event_clause(),
            2 => (prop::bool::ANY, 1..=earlier, window()).prop_map(|(entered, code, during)| {
                let key = if entered { "has_entered" } else { "has_exited" };
                json!({key: with(json!({"segment": code}), "during", during)})
            }),
            1 => (1..=earlier).prop_map(|code| json!({"in_segment": code})),
        ]
        .boxed()
    };
    leaf.prop_recursive(2, 6, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..3).prop_map(|items| json!({"and": items})),
            prop::collection::vec(inner.clone(), 1..3).prop_map(|items| json!({"or": items})),
            inner.prop_map(|item| json!({"not": item})),
        ]
    })
    .boxed()
}

fn cohorts() -> impl Strategy<Value = Vec<Value>> {
    (clause(0), clause(1), clause(2), clause(3)).prop_map(|(a, b, c, d)| {
        [a, b, c, d]
            .into_iter()
            .enumerate()
            .map(|(i, query)| json!({"code": i + 1, "query": query}))
            .collect()
    })
}

/// Time-ordered events: gaps of 0 to 90 minutes (repeated instants included).
fn events() -> impl Strategy<Value = Vec<Event>> {
    prop::collection::vec(
        (
            prop::sample::select(&NAMES[..]),
            prop::sample::select(vec![0i64, 1, 10, 30, 45, 61, 90]),
            prop::option::of(prop::sample::select(&KINDS[..])),
            0u32..25,
            0u32..11,
            0usize..3,
            0usize..3,
        ),
        0..30,
    )
    .prop_map(|items| {
        let mut at = 0;
        items
            .into_iter()
            .map(|(name, gap, kind, seconds, tenths, view, session)| {
                at += gap * MIN;
                let mut properties = json!({});
                if let Some(kind) = kind {
                    properties["kind"] = json!(kind);
                }
                if name == "PageviewEngagement" {
                    properties["engaged_time"] = json!(seconds);
                    properties["completion"] = json!(f64::from(tenths) / 10.0);
                }
                let mut event = ev(name, at, properties);
                event.view_id = Some(format!("00000000-0000-4000-8000-00000000000{view}"));
                // No session id (sessions end after 30 minutes without events), or one of two.
                event.session_id =
                    (session > 0).then(|| format!("00000000-0000-4000-9000-00000000000{session}"));
                event
            })
            .collect()
    })
}

/// Call sizes from 0 (an empty call) to 10.
fn split() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![1 => Just(0usize), 4 => 1usize..=10], 60)
}

/// Sends `events` in calls of the given sizes (then the rest, 10 at a time).
fn run(workspace: &Workspace, events: &[Event], sizes: &[usize]) -> User {
    let mut user = User::new();
    let mut sent = 0;
    for &size in sizes.iter().chain(std::iter::repeat(&10)) {
        if sent == events.len() {
            break;
        }
        let batch = &events[sent..(sent + size).min(events.len())];
        sent += batch.len();
        let result = user.send(workspace, batch);
        assert!(result.warnings.is_empty(), "{:?}", result.warnings);
    }
    user
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn any_split_into_calls_gives_the_same_cohorts_and_state(
        cohorts in cohorts(),
        events in events(),
        first in split(),
        second in split(),
    ) {
        let ws = Workspace::from_cohorts_json(&Value::Array(cohorts.clone()).to_string())
            .expect("generated workspace loads");
        // One event per call is the reference: every cohort fully re-evaluated after each event.
        let reference = run(&ws, &events, &[1; 30]);
        for sizes in [&first, &second] {
            let user = run(&ws, &events, sizes);
            prop_assert_eq!(
                &user.cohorts, &reference.cohorts,
                "cohorts differ for calls of {:?}; workspace {}", sizes, Value::Array(cohorts.clone())
            );
            prop_assert_eq!(&user.internal, &reference.internal, "state differs for calls of {:?}", sizes);
        }
        // Empty calls at the end change nothing either.
        let mut again = reference.clone();
        again.send(&ws, &[]);
        prop_assert_eq!(again, reference);
    }
}
