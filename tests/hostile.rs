//! Hostile input: a table of nasty bodies over real HTTP, and property tests (arbitrary bytes
//! and arbitrary JSON) for the request parser, the state decoder, the cohort query loader and the
//! session file loader. cargo-fuzz needs a nightly toolchain this machine cannot fetch, so these
//! run as `proptest` cases inside `cargo test`.

use proptest::prelude::*;
use segscope::emulator::segment::Validation;
use segscope::emulator::{self, EmulatorConfig, Workspace};
use segscope::session::Session;
use serde_json::{Value, json};

const PATH: &str = "/ccs/v1/segmentation/stateless";
const USER: &str = "2008c38f-dece-4570-976d-87593ed001c3";

fn pageview(time: &str) -> Value {
    json!({
        "name": "Pageview",
        "time": time,
        "properties": {
            "article": {"title": "t", "category": "football"},
            "client": {"url": "https://www.dailycourier.example/football/x", "domain": "www.dailycourier.example"}
        }
    })
}

fn nested(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

#[tokio::test]
async fn the_bad_input_table_gets_defined_answers_never_a_500() {
    let emu = emulator::spawn(
        EmulatorConfig::new(Workspace::demo().unwrap()),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}{PATH}?synchronous-validation=false", emu.base_url());

    let mut big_title = pageview("2026-01-01T00:00:00Z");
    big_title["properties"]["article"]["title"] = json!("x".repeat(9 << 20));
    let many_cohorts: serde_json::Map<String, Value> = (0..100_000)
        .map(|i| (format!("{}", 500_000 + i), json!({"0c8b70cdb7": ["p", 1]})))
        .collect();

    let table: Vec<(&str, Vec<u8>, &[u16])> = vec![
        (
            "10,000 levels of nesting in properties",
            format!(
                r#"{{"user_id":"{USER}","events":[{{"name":"Pageview","time":"2026-01-01T00:00:00Z","properties":{{"deep":{}}}}}]}}"#,
                nested(10_000)
            )
            .into_bytes(),
            &[400],
        ),
        (
            "10,000 levels of nesting as the state",
            format!(r#"{{"user_id":"{USER}","state":{}}}"#, nested(10_000)).into_bytes(),
            &[400],
        ),
        (
            "a 9 MiB string property",
            json!({"user_id": USER, "events": [big_title]}).to_string().into_bytes(),
            &[200],
        ),
        (
            "a state with 100,000 cohorts",
            json!({"user_id": USER, "state": {"internal_state": many_cohorts, "external_state": {}, "cohorts": []}})
                .to_string()
                .into_bytes(),
            &[200],
        ),
        (
            "a body that is not UTF-8",
            [br#"{"user_id":""#.as_slice(), &[0xff, 0xfe, 0xfd], br#""}"#.as_slice()].concat(),
            &[400],
        ),
        (
            "a time in the year 10000",
            json!({"user_id": USER, "events": [pageview("10000-01-01T00:00:00Z")]}).to_string().into_bytes(),
            &[400],
        ),
        (
            "a duplicate top-level key (refused, naming it)",
            format!(r#"{{"user_id":"not-a-uuid","user_id":"{USER}","events":[]}}"#).into_bytes(),
            &[400],
        ),
        (
            "a duplicate key inside properties (the last one wins)",
            format!(
                r#"{{"user_id":"{USER}","events":[{{"name":"Pageview","time":"2026-01-01T00:00:00Z","properties":{{"a":1,"a":2}}}}]}}"#
            )
            .into_bytes(),
            &[200],
        ),
        (
            "a number like 1e999 in properties",
            format!(
                r#"{{"user_id":"{USER}","events":[{{"name":"Pageview","time":"2026-01-01T00:00:00Z","properties":{{"n":1e999}}}}]}}"#
            )
            .into_bytes(),
            &[400],
        ),
        (
            "a number like 1e999 in the state",
            format!(
                r#"{{"user_id":"{USER}","state":{{"internal_state":{{"1001":{{"x":["p",1e999]}}}},"external_state":{{}}}}}}"#
            )
            .into_bytes(),
            &[200, 400],
        ),
        (
            "garbage state for a workspace cohort",
            json!({"user_id": USER, "events": [pageview("2026-01-01T00:00:00Z")], "state": {"internal_state": {"1001": "garbage", "1002": {"abc": {"x": [1, [2, {}]]}}}, "external_state": {"1001": 7}, "cohorts": ["1001"]}})
                .to_string()
                .into_bytes(),
            &[200],
        ),
    ];
    for (what, body, allowed) in table {
        let resp = http
            .post(&url)
            .header("x-api-key", "k-hostile-123")
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: no answer: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        assert!(
            allowed.contains(&status),
            "{what}: got {status}: {}",
            &text[..text.len().min(300)]
        );
        if status >= 400 {
            let v: Value =
                serde_json::from_str(&text).unwrap_or_else(|_| panic!("{what}: not an envelope"));
            assert!(
                v["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{what}"
            );
        }
    }
    // Still serving.
    let resp = http
        .post(&url)
        .header("x-api-key", "k-hostile-123")
        .body(json!({"user_id": USER}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![Just("p"), Just("m"), Just("v"), Just("1001"), Just("time")]
            .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    ".{0,6}".boxed(),
                    prop_oneof![
                        Just("internal_state".to_string()),
                        Just("external_state".to_string()),
                        Just("cohorts".to_string()),
                        Just("1001".to_string()),
                        Just("events".to_string()),
                        Just("name".to_string()),
                        Just("time".to_string()),
                        Just("properties".to_string()),
                        Just("event".to_string()),
                        Just("and".to_string()),
                        Just("query".to_string()),
                        Just("code".to_string()),
                    ]
                    .boxed(),
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn demo() -> &'static Workspace {
    static DEMO: std::sync::OnceLock<Workspace> = std::sync::OnceLock::new();
    DEMO.get_or_init(|| Workspace::demo().unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_the_endpoint(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = emulator::segment::segment(demo(), &bytes, Validation::Reject);
        let _ = emulator::segment::segment(demo(), &bytes, Validation::Report);
    }

    #[test]
    fn arbitrary_json_bodies_never_panic_the_endpoint(body in arb_json()) {
        let _ = emulator::segment::segment(demo(), body.to_string().as_bytes(), Validation::Reject);
    }

    #[test]
    fn arbitrary_state_never_panics_and_keeps_unknown_entries(
        state in arb_json(),
        internal in prop::collection::btree_map("[0-9]{1,5}", arb_json(), 0..4),
        external in arb_json(),
    ) {
        // Anything as the whole state…
        let body = json!({"user_id": USER, "events": [pageview("2026-01-01T00:00:00Z")], "state": state});
        let _ = emulator::segment::segment(demo(), body.to_string().as_bytes(), Validation::Report);
        // …and well-shaped states with arbitrary entries, known cohorts included.
        let internal: serde_json::Map<String, Value> = internal.into_iter().collect();
        let body = json!({
            "user_id": USER,
            "events": [pageview("2026-01-01T00:00:00Z")],
            "state": {"internal_state": internal, "external_state": {"1001": external}, "cohorts": ["1001", "77"]}
        });
        let result = emulator::segment::segment(demo(), body.to_string().as_bytes(), Validation::Report);
        let ok = result.expect("a well-shaped state is accepted whatever its entries hold");
        let answer: Value = serde_json::from_str(&ok.body).unwrap();
        for (code, entry) in &internal {
            if !demo().cohorts.defines(code) {
                prop_assert_eq!(&answer["state"]["internal_state"][code], entry);
            }
        }
    }

    #[test]
    fn arbitrary_cohort_files_never_panic_the_loader(cohorts in arb_json()) {
        let _ = segscope::engine::Workspace::from_cohorts_json(&cohorts.to_string());
        let wrapped = json!([{"code": 1, "name": "x", "query": cohorts}]);
        let _ = segscope::engine::Workspace::from_cohorts_json(&wrapped.to_string());
    }

    #[test]
    fn arbitrary_session_files_never_panic_the_loader(
        text in ".{0,300}",
        session in arb_json(),
        steps in prop::collection::vec(arb_json(), 0..3),
    ) {
        let _ = Session::parse(&text, "fuzz.json");
        let _ = Session::parse(&session.to_string(), "fuzz.json");
        let shaped = json!({
            "format": "segscope-session/1", "name": "fuzz",
            "identity": {"user_id": USER}, "steps": steps, "initial_state": session,
        });
        let _ = Session::parse(&shaped.to_string(), "fuzz.json");
    }
}
