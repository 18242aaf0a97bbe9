//! Hostile input: a table of nasty bodies over real HTTP, and property tests (arbitrary bytes
//! and arbitrary JSON) for the request parser, the state decoder, the cohort query loader and the
//! session file loader, run inside `cargo test` (the same four parsers have `cargo fuzz` targets
//! under `fuzz/`, for a nightly toolchain). Below them, issue 14's hardening cases: each test
//! failed on the code before its fix.

use proptest::prelude::*;
use segscope::api::{ApiKey, Client, Target};
use segscope::emulator::segment::Validation;
use segscope::emulator::{self, EmulatorConfig, Workspace};
use segscope::session::{self, ReplayOptions, RunOptions, Session, Tally, Verdict};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

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

// ---------------------------------------------------------------------------------------------
// Issue 14: hardening. Each case below failed on the code before its fix, except those marked
// as guards (they pin a behaviour that was already right and must stay so).
// ---------------------------------------------------------------------------------------------

fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_segscope"))
}

fn bundled_session(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/sessions")
        .join(name)
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("segscope-hostile-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A copy of a bundled session in a fresh directory.
fn session_copy(name: &str) -> (PathBuf, PathBuf) {
    let dir = temp_dir();
    let path = dir.join(name);
    std::fs::copy(bundled_session(name), &path).unwrap();
    (dir, path)
}

async fn emulator_with(keys: &[&str], fault: Option<&str>) -> emulator::RunningEmulator {
    let mut config = EmulatorConfig::new(Workspace::demo().unwrap());
    config.api_keys = keys.iter().map(|k| k.to_string()).collect();
    if let Some(spec) = fault {
        config.fault = emulator::Fault::parse(spec).unwrap();
    }
    emulator::spawn(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn run_options(update: bool) -> RunOptions {
    RunOptions {
        replay: ReplayOptions::default(),
        update,
        jobs: 1,
    }
}

/// Issue 14 item 1: auth failures, a wrong path, 408/429 and 5xx are target errors: exit 2 and
/// the file untouched, with or without `--update`.
#[tokio::test]
async fn update_against_a_broken_target_is_a_target_error_and_leaves_the_file_untouched() {
    let right = emulator_with(&["right-key-123456"], None).await;
    let cases: Vec<(&str, emulator::RunningEmulator, String, Option<&str>)> = vec![
        (
            "no key",
            emulator_with(&[], None).await,
            String::new(),
            None,
        ),
        (
            "a wrong key",
            right,
            String::new(),
            Some("wrong-key-654321"),
        ),
        (
            "a base URL that is not the API (404)",
            emulator_with(&[], None).await,
            "/not/the/api".into(),
            Some("k-123456789"),
        ),
    ];
    let mut targets: Vec<(String, Target, emulator::RunningEmulator)> = Vec::new();
    for (what, emu, suffix, key) in cases {
        let target = Target::new(format!("{}{suffix}", emu.base_url()), key.map(ApiKey::new));
        targets.push((what.to_string(), target, emu));
    }
    for status in [403, 408, 429, 500, 502] {
        let emu = emulator_with(&[], Some(&format!("error_rate=1,status={status}"))).await;
        let target = Target::new(emu.base_url(), Some(ApiKey::new("k-123456789")));
        targets.push((format!("--fault status={status}"), target, emu));
    }
    for (what, target, _emu) in &targets {
        let client = Client::new(target.clone());
        for update in [true, false] {
            let (dir, path) = session_copy("01-football-fan.json");
            let before = std::fs::read(&path).unwrap();
            let report = session::run_file(&client, &path, run_options(update)).await;
            let text = session::report::text(&report);
            assert!(!report.updated, "{what} (update {update}): {text}");
            assert_eq!(
                std::fs::read(&path).unwrap(),
                before,
                "{what} (update {update}): the file was rewritten"
            );
            assert!(
                matches!(report.steps[0].verdict, Verdict::TargetError(_)),
                "{what} (update {update}): {text}"
            );
            assert_eq!(
                Tally::of(std::slice::from_ref(&report)).exit_code(),
                2,
                "{what} (update {update}): {text}"
            );
            std::fs::remove_dir_all(&dir).ok();
        }
    }
}

/// Issue 14 item 1: a recording that expects the status (a session about a refused key) still
/// compares as usual.
#[tokio::test]
async fn a_recorded_refusal_is_compared_not_a_target_error() {
    let emu = emulator_with(&[], None).await;
    let dir = temp_dir();
    let path = dir.join("refused.json");
    std::fs::write(
        &path,
        json!({
            "format": "segscope-session/1", "name": "no key",
            "identity": {"user_id": USER},
            "steps": [{"events": [], "expect": {"status": 401, "cohorts": [], "error_code": 2004}}]
        })
        .to_string(),
    )
    .unwrap();
    let client = Client::new(Target::new(emu.base_url(), None));
    let report = session::run_file(&client, &path, run_options(false)).await;
    assert_eq!(
        report.steps[0].verdict,
        Verdict::Passed,
        "{}",
        session::report::text(&report)
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Issue 14 item 1, from the command line: `replay --update` against a keyless target exits 2.
#[test]
fn replay_update_against_a_refusing_serve_exits_2_and_keeps_the_file() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let emu = runtime.block_on(emulator_with(&["right-key-123456"], None));
    let (dir, path) = session_copy("02-live-blog-window.json");
    let before = std::fs::read(&path).unwrap();
    let out = bin()
        .args(["replay", "--update", "--base-url", &emu.base_url()])
        .arg(&path)
        .env_remove("PERMUTIVE_API_KEY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(!stdout.contains("recordings updated"), "{stdout}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    std::fs::remove_dir_all(&dir).ok();
}

/// A stand-in API that records every body it is sent and answers a fixed empty state.
async fn recording_target() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    let app = axum::Router::new().route(
        PATH,
        axum::routing::post(move |body: String| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(body);
                (
                    [("content-type", "application/json")],
                    format!(
                        r#"{{"user_id":"{USER}","state":{{"internal_state":{{}},"external_state":{{}},"cohorts":[]}}}}"#
                    ),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

const ODD_NUMBERS: &str = r#"[{"name":"Pageview","time":"2026-01-01T00:00:00Z","properties":{"big":18446744073709551616,"neg":-0,"exp":1.0e2,"long":0.1000000000000000055511151231257827}}]"#;

/// Issue 14 item 3: events are kept and sent byte for byte (numbers included), through load,
/// replay, `--retime` and `--update`.
#[tokio::test]
async fn numbers_in_session_events_stay_byte_for_byte() {
    let (url, seen) = recording_target().await;
    let dir = temp_dir();
    let path = dir.join("numbers.json");
    let text = format!(
        "{{\"format\": \"segscope-session/1\", \"name\": \"numbers\", \"identity\": {{\"user_id\": \"{USER}\"}},\n\"steps\": [{{\"events\": {ODD_NUMBERS}}}]}}\n"
    );
    std::fs::write(&path, &text).unwrap();
    let client = Client::new(Target::new(url, Some(ApiKey::new("k-123456789"))));
    let report = session::run_file(&client, &path, run_options(true)).await;
    assert!(report.updated, "{}", session::report::text(&report));
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(
        saved.contains(ODD_NUMBERS),
        "--update changed the events:\n{saved}"
    );
    let retimed = RunOptions {
        replay: ReplayOptions {
            strict_state: false,
            retime_to: Some("2027-01-01T00:00:00Z".parse().unwrap()),
        },
        ..run_options(false)
    };
    session::run_file(&client, &path, retimed).await;
    let bodies = seen.lock().unwrap().clone();
    assert_eq!(bodies.len(), 2);
    assert!(bodies[0].contains(ODD_NUMBERS), "sent: {}", bodies[0]);
    let moved = ODD_NUMBERS.replace("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
    assert!(
        bodies[1].contains(&moved),
        "sent after --retime: {}",
        bodies[1]
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A bundled session without its recordings, so that `--update` has something to write.
fn unrecorded_copy(dir: &Path, name: &str) -> PathBuf {
    let mut session: Value =
        serde_json::from_str(&std::fs::read_to_string(bundled_session(name)).unwrap()).unwrap();
    for step in session["steps"].as_array_mut().unwrap() {
        step.as_object_mut().unwrap().remove("expect");
    }
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&session).unwrap()).unwrap();
    path
}

/// Issue 14 item 4: `--update` keeps the file's mode, writes through a symlink, and the same file
/// given twice with `--jobs 2` does not trip over a shared temp file.
#[cfg(unix)]
#[tokio::test]
async fn update_keeps_mode_follows_links_and_uses_a_temp_file_per_task() {
    use std::os::unix::fs::PermissionsExt;
    let connection = segscope::launch::connect(&Default::default())
        .await
        .unwrap();
    let client = &connection.client;
    let dir = temp_dir();

    let read_only = unrecorded_copy(&dir, "01-football-fan.json");
    std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o444)).unwrap();
    let report = session::run_file(client, &read_only, run_options(true)).await;
    let mode = std::fs::metadata(&read_only).unwrap().permissions().mode() & 0o777;
    if report.updated {
        assert_eq!(mode, 0o444, "the mode of an updated file changed");
    } else {
        assert!(report.error.is_some(), "neither updated nor refused");
    }

    let private = unrecorded_copy(&dir, "06-engagement.json");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o640)).unwrap();
    let report = session::run_file(client, &private, run_options(true)).await;
    assert!(report.updated, "{}", session::report::text(&report));
    let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "the mode of an updated file changed");

    let real = unrecorded_copy(&dir, "02-live-blog-window.json");
    let link = dir.join("link.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let report = session::run_file(client, &link, run_options(true)).await;
    assert!(report.updated, "{}", session::report::text(&report));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced by a file"
    );
    assert!(
        Session::load(&real)
            .unwrap()
            .steps
            .iter()
            .all(|s| s.expect.is_some())
    );

    let twice = unrecorded_copy(&dir, "04-alias-identity.json");
    let paths = vec![twice.clone(), twice.clone(), twice.clone(), twice.clone()];
    let options = RunOptions {
        jobs: 4,
        ..run_options(true)
    };
    for report in session::run_files(client, &paths, options).await {
        assert!(report.error.is_none(), "{}", session::report::text(&report));
    }
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Issue 14 item 11: a huge latency is an error (exit 2), never a panic.
#[test]
fn huge_durations_are_refused_not_panics() {
    for spec in [
        "latency=99999999999999999999999s",
        "latency=1e308ms",
        "latency=-5s",
        "latency=NaNs",
    ] {
        let parsed = std::panic::catch_unwind(|| emulator::Fault::parse(spec));
        assert!(
            matches!(parsed, Ok(Err(_))),
            "{spec}: {parsed:?} (expected an error)"
        );
    }
    let out = bin()
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--fault",
            "latency=99999999999999999999999s",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("latency"), "{stderr}");
}

// The load generator's realistic reader events (developer tooling, outside the library).
#[allow(dead_code)]
#[path = "../devtools/loadgen.rs"]
mod loadgen;

/// A session of `steps` reader Pageviews 45 minutes apart, unrecorded.
fn long_session(steps: usize) -> Session {
    let identity = segscope::api::Identity::UserId(USER.into());
    let mut session = Session::new("a long read", &identity);
    let start: jiff::Timestamp = "2026-01-01T08:00:00Z".parse().unwrap();
    for i in 0..steps {
        let time = start + jiff::SignedDuration::from_mins(45 * i as i64);
        let event = loadgen::reader_event(time, i);
        session.steps.push(segscope::session::Step {
            note: String::new(),
            events: serde_json::value::to_raw_value(&[event]).unwrap(),
            synchronous_validation: true,
            keep_state: false,
            expect: None,
        });
    }
    session
}

/// Issue 14 item 13: `--update` records a digest per step (the whole state only where a step
/// asks), so the file stays proportional to its events; `--strict-state` compares digests, and
/// files that embed whole states still load and pass.
#[tokio::test]
async fn recorded_states_are_digests_and_the_file_stays_proportional_to_its_events() {
    let connection = segscope::launch::connect(&Default::default())
        .await
        .unwrap();
    let client = &connection.client;
    let dir = temp_dir();
    let path = dir.join("long.json");
    let steps = 300;
    let mut session = long_session(steps);
    session.steps[steps - 1].keep_state = true;
    session.save(&path).unwrap();
    let unrecorded = std::fs::metadata(&path).unwrap().len() as usize;
    let report = session::run_file(client, &path, run_options(true)).await;
    assert!(report.updated, "{}", session::report::text(&report));
    let saved = std::fs::read_to_string(&path).unwrap();
    let per_step = (saved.len() - unrecorded) / steps;
    let loaded = Session::load(&path).unwrap();
    let last_state = loaded.steps[steps - 1]
        .expect
        .as_ref()
        .and_then(|e| e.state.as_ref())
        .and_then(|s| s.whole())
        .map(|s| s.get().len())
        .expect("the step that asked keeps its whole state");
    assert!(
        per_step < 400 + last_state / steps,
        "a recording takes {per_step} bytes per step (the last state alone is {last_state} bytes)"
    );
    assert!(
        saved.contains("\"state\": \"sha256:"),
        "digests are recorded"
    );

    let strict = RunOptions {
        replay: ReplayOptions {
            strict_state: true,
            retime_to: None,
        },
        ..run_options(false)
    };
    let report = session::run_file(client, &path, strict).await;
    assert!(
        report.steps.iter().all(|s| s.verdict == Verdict::Passed),
        "{}",
        session::report::text(&report)
    );
    // A digest that does not match is a mismatch under --strict-state only.
    let at = saved.find("\"state\": \"sha256:").unwrap() + "\"state\": \"sha256:".len();
    let mut tampered = saved.clone();
    tampered.replace_range(at..at + 64, &"0".repeat(64));
    std::fs::write(&path, tampered).unwrap();
    let report = session::run_file(client, &path, strict).await;
    assert!(
        matches!(&report.steps[0].verdict, Verdict::Mismatch(d) if d[0].starts_with("state:")),
        "{}",
        session::report::text(&report)
    );
    let report = session::run_file(client, &path, run_options(false)).await;
    assert_eq!(report.steps[0].verdict, Verdict::Passed);
    std::fs::remove_dir_all(&dir).ok();
}

async fn emulator_limited(limits: emulator::Limits) -> emulator::RunningEmulator {
    let mut config = EmulatorConfig::new(Workspace::demo().unwrap());
    config.limits = limits;
    emulator::spawn(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// Reads what the server sends until it closes the connection (or `within` passes: `None`).
async fn read_until_closed(
    stream: &mut tokio::net::TcpStream,
    within: std::time::Duration,
) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    match tokio::time::timeout(within, stream.read_to_end(&mut out)).await {
        Ok(_) => Some(String::from_utf8_lossy(&out).into_owned()),
        Err(_) => None,
    }
}

async fn post_ok(base: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{base}{PATH}"))
        .header("x-api-key", "k-123456789")
        .body(json!({"user_id": USER}).to_string())
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// Issue 14 item 6: silent, half-header, half-body and idle keep-alive connections are closed
/// within their deadlines, while other clients are served meanwhile (raw TCP).
#[tokio::test]
async fn slow_and_idle_clients_are_shed_while_others_are_served() {
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpStream;
    let limits = emulator::Limits {
        header: Duration::from_secs(1),
        body: Duration::from_secs(1),
        idle: Duration::from_secs(2),
        max_connections: 64,
    };
    let emu = emulator_limited(limits).await;
    let addr = emu.addr;

    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut half_header = TcpStream::connect(addr).await.unwrap();
    half_header
        .write_all(format!("POST {PATH} HTTP/1.1\r\nhost: x\r\nx-api-").as_bytes())
        .await
        .unwrap();
    let mut half_body = TcpStream::connect(addr).await.unwrap();
    half_body
        .write_all(
            format!("POST {PATH} HTTP/1.1\r\nhost: x\r\nx-api-key: k-123456789\r\ncontent-length: 100\r\n\r\n{{\"user_id\"")
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut idle = TcpStream::connect(addr).await.unwrap();
    let body = json!({"user_id": USER}).to_string();
    idle.write_all(
        format!(
            "POST {PATH} HTTP/1.1\r\nhost: x\r\nx-api-key: k-123456789\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();

    // Everyone else is still served while those hang.
    assert_eq!(post_ok(&emu.base_url()).await, 200);

    let within = Duration::from_secs(6);
    let silent = read_until_closed(&mut silent, within).await;
    assert!(silent.is_some(), "a silent connection stayed open");
    let half_header = read_until_closed(&mut half_header, within).await;
    assert!(
        half_header.is_some(),
        "a half-header connection stayed open"
    );
    let half_body = read_until_closed(&mut half_body, within)
        .await
        .expect("a half-body connection stayed open");
    assert!(half_body.starts_with("HTTP/1.1 408"), "{half_body}");
    assert!(half_body.contains("\"code\":1002"), "{half_body}");
    let idle = read_until_closed(&mut idle, within)
        .await
        .expect("an idle keep-alive connection stayed open");
    assert!(idle.starts_with("HTTP/1.1 200"), "{idle}");
    assert_eq!(post_ok(&emu.base_url()).await, 200);
}

/// Issue 14 item 6: past the connection limit, a connection gets a 503 envelope that says so.
#[tokio::test]
async fn past_the_connection_limit_a_client_gets_a_clear_503() {
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;
    let limits = emulator::Limits {
        max_connections: 4,
        ..emulator::Limits::default()
    };
    let emu = emulator_limited(limits).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(tokio::net::TcpStream::connect(emu.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = tokio::net::TcpStream::connect(emu.addr).await.unwrap();
    let _ = extra
        .write_all(b"GET /_segscope/workspace HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let answer = read_until_closed(&mut extra, Duration::from_secs(5))
        .await
        .expect("closed");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("Too many connections"), "{answer}");
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        post_ok(&emu.base_url()).await,
        200,
        "served again once they left"
    );
}

/// Issue 14 item 6: stopping never waits on a client half-way through a request.
#[tokio::test]
async fn stop_returns_within_5_s_with_a_client_half_way_through_a_request() {
    use tokio::io::AsyncWriteExt;
    let emu = emulator_limited(emulator::Limits::default()).await;
    let mut client = tokio::net::TcpStream::connect(emu.addr).await.unwrap();
    client
        .write_all(
            format!(
                "POST {PATH} HTTP/1.1\r\nhost: x\r\ncontent-length: 50\r\nx-api-key: k\r\n\r\n{{"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(5), emu.stop()).await;
    assert!(stopped.is_ok(), "stop() waited on the client");
}

/// Issue 14 item 6, from the command line: Ctrl+C (SIGINT) stops `serve` within 5 s even with a
/// client half-way through a request; the timeouts and the limit are flags.
#[cfg(unix)]
#[test]
fn serve_stops_on_ctrl_c_within_5_s() {
    use std::io::Write;
    let dir = temp_dir();
    let (mut child, base) = serve_process(
        &[
            "--header-timeout",
            "30",
            "--body-timeout",
            "30",
            "--idle-timeout",
            "60",
            "--max-connections",
            "10",
        ],
        &dir.join("serve.log"),
    );
    let addr = base.trim_start_matches("http://").to_string();
    let mut client = std::net::TcpStream::connect(&addr).unwrap();
    client
        .write_all(
            format!("POST {PATH} HTTP/1.1\r\nhost: x\r\ncontent-length: 50\r\n\r\n{{").as_bytes(),
        )
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        if started.elapsed() > std::time::Duration::from_secs(5) {
            let _ = child.kill();
            panic!("serve was still running 5 s after Ctrl+C");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Issue 14 item 8: answers hyper writes itself (400, 414, 431) carry the envelope; the status
/// words are right for 429 and 502; a non-ASCII key is invalid, not missing; with a key list
/// the emulator's own endpoints need a key too.
#[tokio::test]
async fn protocol_errors_and_key_rules_use_the_envelope() {
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;
    let emu = emulator_with(&["right-key-123456"], None).await;
    let long_uri = format!("GET /{} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(70_000));
    let big_headers = format!(
        "GET / HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
        "b".repeat(600_000)
    );
    for (what, request, status) in [
        ("not HTTP", "GARBAGE\r\n\r\n".to_string(), 400),
        ("a 70,000-byte URI", long_uri, 414),
        ("600 KB of headers", big_headers, 431),
    ] {
        let mut stream = tokio::net::TcpStream::connect(emu.addr).await.unwrap();
        let _ = stream.write_all(request.as_bytes()).await;
        let answer = read_until_closed(&mut stream, Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("{what}: no answer"));
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{what}: {answer}"
        );
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
        let envelope: Value = serde_json::from_str(body)
            .unwrap_or_else(|_| panic!("{what}: the body is not an envelope: {answer}"));
        assert_eq!(envelope["error"]["status_code"], status, "{what}");
    }
    for (status, words) in [
        (429, "Too Many Requests"),
        (502, "Bad Gateway"),
        (408, "Request Timeout"),
    ] {
        let envelope = emulator::Failure::new(status, 5000, "x").envelope("id".into());
        assert_eq!(envelope.error.status, words);
    }
    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{}{PATH}", emu.base_url()))
        .header(
            "x-api-key",
            reqwest::header::HeaderValue::from_bytes("clé-ünïcode".as_bytes()).unwrap(),
        )
        .body(json!({"user_id": USER}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let envelope: Value = resp.json().await.unwrap();
    assert_eq!(envelope["error"]["code"], 2000, "{envelope}");
    for path in ["/_segscope/workspace"] {
        let resp = http
            .get(format!("{}{path}", emu.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 401, "{path} without a key");
        let resp = http
            .get(format!("{}{path}", emu.base_url()))
            .header("x-api-key", "right-key-123456")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{path} with the key");
    }
}

/// `segscope serve ARGS` on 127.0.0.1:0, its stderr going to `log`; returns it and its address.
#[cfg(unix)]
fn serve_process(args: &[&str], log: &Path) -> (std::process::Child, String) {
    serve_process_with(args, &[], log)
}

/// [`serve_process`] with environment variables.
#[cfg(unix)]
fn serve_process_with(
    args: &[&str],
    env: &[(&str, &str)],
    log: &Path,
) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = bin()
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_BACKTRACE", "full")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(addr) = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("http://"))
        {
            break addr.to_string();
        }
    };
    // Keep reading what it prints: a closed pipe would kill it at its next line.
    std::thread::spawn(move || lines.for_each(drop));
    (child, format!("http://{addr}"))
}

/// Issue 14 item 7: errors quote at most ~200 characters of the input, in the answer and in the
/// log; an injected panic logs one line, not a backtrace.
#[cfg(unix)]
#[test]
fn errors_quote_a_bounded_slice_of_the_input_and_panics_log_one_line() {
    let dir = temp_dir();
    let log = dir.join("serve.log");
    let (mut child, base) = serve_process(&[], &log);
    let huge = "x".repeat(9 << 20);
    let mut event = pageview("2026-01-01T00:00:00Z");
    event["name"] = json!(huge);
    let mut bad_time = pageview("2026-01-01T00:00:00Z");
    bad_time["time"] = json!(huge);
    let bodies = [
        json!({"user_id": USER, "events": [event]}),
        json!({"user_id": huge, "events": []}),
        json!({"user_id": USER, "events": [bad_time]}),
        json!({"user_id": USER, "events": [{"name": "Pageview", "time": "2026-01-01T00:00:00Z", "properties": huge}]}),
    ];
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();
    for (i, body) in bodies.iter().enumerate() {
        let (status, text) = runtime.block_on(async {
            let resp = http
                .post(format!("{base}{PATH}?synchronous-validation=true"))
                .header("x-api-key", "k-123456789")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        });
        assert_eq!(status, 400, "{}", &text[..text.len().min(300)]);
        assert!(
            text.len() < 2_000,
            "a {} byte answer: {}…",
            text.len(),
            &text[..300]
        );
        if i < 3 {
            assert!(text.contains('…'), "{text}");
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let logged = std::fs::metadata(&log).unwrap().len();
    assert!(
        logged < 10_000,
        "{logged} bytes of log for {} requests",
        bodies.len()
    );

    let (mut child, base) = serve_process(&["--fault", "panic_rate=1"], &log);
    let status = runtime.block_on(async {
        http.post(format!("{base}{PATH}"))
            .header("x-api-key", "k-123456789")
            .body(json!({"user_id": USER}).to_string())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    });
    assert_eq!(status, 500);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).unwrap();
    let panic_lines: Vec<&str> = text.lines().filter(|l| !l.starts_with("POST ")).collect();
    assert_eq!(panic_lines.len(), 1, "{text}");
    assert!(panic_lines[0].contains("injected fault"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Issue 14 item 9: alias identity is unambiguous, independent of list order, and an empty tag
/// or id is refused.
#[tokio::test]
async fn alias_identity_is_unambiguous_and_order_free() {
    let emu = emulator_with(&[], None).await;
    let http = reqwest::Client::new();
    let user_of = |body: Value| {
        let http = http.clone();
        let url = format!("{}{PATH}", emu.base_url());
        async move {
            let resp = http
                .post(url)
                .header("x-api-key", "k-123456789")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let answer: Value = resp.json().await.unwrap();
            (status, answer)
        }
    };
    let (_, a) = user_of(json!({"alias": {"tag": "a:b", "id": "c"}})).await;
    let (_, b) = user_of(json!({"alias": {"tag": "a", "id": "b:c"}})).await;
    assert_ne!(a["user_id"], b["user_id"], "two aliases became one user");
    let one = json!({"tag": "email", "id": "x", "priority": 0});
    let two = json!({"tag": "crm", "id": "y", "priority": 0});
    let (_, first) = user_of(json!({"aliases": [one, two]})).await;
    let (_, second) = user_of(json!({"aliases": [two, one]})).await;
    assert_eq!(
        first["user_id"], second["user_id"],
        "equal priorities depend on order"
    );
    for body in [
        json!({"alias": {"tag": "", "id": "x"}}),
        json!({"alias": {"tag": "email", "id": ""}}),
        json!({"aliases": [{"tag": "", "id": "x", "priority": 0}]}),
    ] {
        let (status, answer) = user_of(body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains("must not be empty"), "{message}");
    }
}

/// Issue 14 item 5: a key repeated inside `internal_state` or `external_state` is a 400 that
/// names it, as a repeated top-level field is (it used to come back repeated).
#[tokio::test]
async fn repeated_keys_inside_the_state_are_refused_naming_the_key() {
    let emu = emulator_with(&[], None).await;
    let http = reqwest::Client::new();
    for (what, state) in [
        (
            "internal_state",
            r#"{"internal_state":{"777":{"a":1},"777":{"a":2}},"external_state":{},"cohorts":[]}"#,
        ),
        (
            "external_state",
            r#"{"internal_state":{},"external_state":{"ext":1,"ext":2},"cohorts":[]}"#,
        ),
    ] {
        let resp = http
            .post(format!("{}{PATH}", emu.base_url()))
            .header("x-api-key", "k-123456789")
            .body(format!(
                r#"{{"user_id":"{USER}","events":[],"state":{state}}}"#
            ))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        assert_eq!(status, 400, "{what}: {text}");
        let key = if what == "internal_state" {
            "777"
        } else {
            "ext"
        };
        assert!(
            text.contains(&format!("duplicate key \\\"{key}\\\" in state.{what}")),
            "{what}: {text}"
        );
    }
}

/// Issue 14 item 14: `send` with nothing to talk to prints one line; a lone `\ud800` escape is
/// called an unpaired surrogate (in `send`, in a session file and in the emulator's answer).
#[tokio::test]
async fn send_without_a_target_prints_one_line_and_surrogates_are_named() {
    let dir = temp_dir();
    let events = dir.join("events.json");
    std::fs::write(&events, "[]").unwrap();
    let out = bin()
        .args(["send", "--base-url", "http://127.0.0.1:9"])
        .arg(&events)
        .env_remove("PERMUTIVE_API_KEY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Nothing reached a server: could not run (issue 13).
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(out.stdout.is_empty());

    let lone = r#"[{"name":"\ud800","time":"2026-01-01T00:00:00Z","properties":{}}]"#;
    std::fs::write(&events, lone).unwrap();
    let out = bin().arg("send").arg(&events).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unpaired surrogate"), "{stderr}");
    assert!(!stderr.contains("hex escape"), "{stderr}");

    let session = format!(
        r#"{{"format":"segscope-session/1","name":"x","identity":{{"user_id":"{USER}"}},"steps":[{{"events":{lone}}}]}}"#
    );
    let message = Session::parse(&session, "s.json").unwrap_err().to_string();
    assert!(message.contains("unpaired surrogate"), "{message}");

    let emu = emulator_with(&[], None).await;
    let resp = reqwest::Client::new()
        .post(format!("{}{PATH}", emu.base_url()))
        .header("x-api-key", "k-123456789")
        .body(format!(r#"{{"user_id":"{USER}","events":{lone}}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let text = resp.text().await.unwrap();
    assert!(text.contains("unpaired surrogate"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Issue 14 item 10: `serve` takes its keys from SEGSCOPE_API_KEYS or a key file (a key on the
/// command line shows in `ps`), and says so in `--help`.
#[cfg(unix)]
#[test]
fn serve_takes_keys_from_the_environment_and_a_file() {
    let dir = temp_dir();
    let log = dir.join("serve.log");
    let keys = dir.join("keys.txt");
    std::fs::write(&keys, "# team keys\nfile-key-3333\n\n").unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let status_with = |base: &str, key: &str| {
        runtime.block_on(async {
            reqwest::Client::new()
                .post(format!("{base}{PATH}"))
                .header("x-api-key", key)
                .body(json!({"user_id": USER}).to_string())
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    let mut child = serve_process_with(
        &["--api-key-file", keys.to_str().unwrap()],
        &[("SEGSCOPE_API_KEYS", "alpha-key-1111,beta-key-2222")],
        &log,
    );
    let base = child.1.clone();
    assert_eq!(status_with(&base, "beta-key-2222"), 200);
    assert_eq!(status_with(&base, "alpha-key-1111"), 200);
    assert_eq!(status_with(&base, "file-key-3333"), 200);
    assert_eq!(status_with(&base, "gamma-key-4444"), 401);
    let _ = child.0.kill();
    let _ = child.0.wait();
    let help = bin().args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("SEGSCOPE_API_KEYS") && help.contains("--api-key-file"),
        "{help}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Issue 14 item 2 (api, session, CLI): the key is masked where the key itself would be shown,
/// never searched for in text: a URL or a message that merely contains the key's text is left
/// alone, and a key inside `--base-url` (percent-encoded too) is masked wherever the URL is
/// printed or saved.
#[tokio::test]
async fn the_key_is_masked_where_it_is_shown_and_nowhere_else() {
    // The key's text inside the host name is not the key.
    let target = Target::new("http://localhost:9", Some(ApiKey::new("local")));
    assert_eq!(target.display_url(), "http://localhost:9");
    assert!(
        target.describe().starts_with("http://localhost:9 "),
        "{}",
        target.describe()
    );
    let outcome = Client::new(target.clone())
        .segment(
            &segscope::api::SegmentationRequest {
                identity: segscope::api::Identity::UserId(USER.into()),
                events: serde_json::value::RawValue::from_string("[]".into()).unwrap(),
                state: None,
            },
            true,
        )
        .await;
    assert!(
        outcome.summary().contains("http://localhost:9"),
        "{}",
        outcome.summary()
    );

    // A key in the URL, percent-encoded, with or without --api-key.
    for key in [None, Some(ApiKey::new("sk-live-4242424242"))] {
        let target = Target::new(
            "http://127.0.0.1:9/base?k=sk%2Dlive%2D4242424242&region=eu",
            key,
        );
        for shown in [
            target.display_url(),
            target.describe(),
            format!("{target:?}"),
        ] {
            assert!(!shown.contains("4242424242"), "{shown}");
            assert!(shown.contains("region=eu"), "{shown}");
        }
        let mut session = Session::new("s", &segscope::api::Identity::UserId(USER.into()));
        session.set_recorded_against(&target);
        assert!(!session.to_json().contains("4242424242"));
    }
    let out = bin()
        .args([
            "replay",
            "--base-url",
            "http://127.0.0.1:9/?k=sk%2Dlive%2D4242424242",
        ])
        .arg(bundled_session("01-football-fan.json"))
        .env_remove("PERMUTIVE_API_KEY")
        .output()
        .unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(2), "{printed}");
    assert!(!printed.contains("4242424242"), "{printed}");
}

/// The events of a step, naming the key's text as values and as a field name.
fn events_naming(word: &str) -> String {
    format!(
        r#"[{{"name":"Pageview","time":"2026-01-01T00:00:00Z","properties":{{"article":{{"category":"{word}","{word}":1.0e2}},"client":{{"type":"{word}","url":"https://{word}.example/{word}"}}}}}}]"#
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Issue 14 item 2: masking never changes a saved byte that is not the key's own header. A
    /// session recorded with a key is byte for byte the session recorded without one, whatever
    /// the events say, and what is sent carries the key in `X-Api-Key` only.
    #[test]
    fn masking_never_changes_a_saved_byte(key in "[a-z]{1,12}", other in "[a-z0-9]{1,6}") {
        let identity = segscope::api::Identity::UserId(USER.into());
        let outcome = segscope::api::CallOutcome::ApiError {
            status: 400,
            latency: std::time::Duration::ZERO,
            envelope: None,
            raw_body: std::sync::Arc::from(format!("{{\"note\":\"{key}\"}}")),
        };
        let base = format!("http://{key}.{other}.example:8787/v1-{key}");
        let save = |api_key: Option<ApiKey>| {
            let target = Target::new(base.clone(), api_key);
            let mut session = Session::new(format!("about {key}"), &identity);
            session.description = format!("{key} {other} {key}");
            session.set_recorded_against(&target);
            session.initial_state = Some(
                serde_json::value::RawValue::from_string(format!(
                    r#"{{"internal_state":{{"{key}":["{key}"]}},"external_state":{{}},"cohorts":["{key}"]}}"#
                ))
                .unwrap(),
            );
            session.record_raw_step(
                key.clone(),
                serde_json::value::RawValue::from_string(events_naming(&key)).unwrap(),
                true,
                &outcome,
                std::slice::from_ref(&key),
            );
            session.to_json()
        };
        let with_key = save(Some(ApiKey::new(key.clone())));
        prop_assert_eq!(&with_key, &save(None));
        prop_assert!(with_key.contains(&events_naming(&key)));
        let reloaded = Session::parse(&with_key, "p.json").unwrap();
        prop_assert_eq!(reloaded.steps[0].events.get(), events_naming(&key));
        prop_assert_eq!(reloaded.recorded_against.as_deref(), Some(base.as_str()));
    }
}

/// Issue 14 item 2 (a guard): on the wire, the key is in the `X-Api-Key` header and nowhere else;
/// the body is the events as written, the key's text inside them included.
#[tokio::test]
async fn the_key_travels_in_its_header_only() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(
        Vec::<(Vec<(String, String)>, String)>::new(),
    ));
    let log = seen.clone();
    let app = axum::Router::new().route(
        PATH,
        axum::routing::post(
            move |headers: axum::http::HeaderMap, uri: axum::http::Uri, body: String| {
                let log = log.clone();
                async move {
                    let mut pairs: Vec<(String, String)> = headers
                        .iter()
                        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_string()))
                        .collect();
                    pairs.push(("(uri)".into(), uri.to_string()));
                    log.lock().unwrap().push((pairs, body));
                    (axum::http::StatusCode::BAD_REQUEST, "{}")
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let key = "football";
    let client = Client::new(Target::new(url, Some(ApiKey::new(key))));
    let events = events_naming(key);
    client
        .segment(
            &segscope::api::SegmentationRequest {
                identity: segscope::api::Identity::UserId(USER.into()),
                events: serde_json::value::RawValue::from_string(events.clone()).unwrap(),
                state: None,
            },
            true,
        )
        .await;
    let (headers, body) = seen.lock().unwrap()[0].clone();
    assert!(body.contains(&events), "{body}");
    for (name, value) in headers {
        assert_eq!(value.contains(key), name == "x-api-key", "{name}: {value}");
    }
}
