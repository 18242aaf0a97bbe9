//! Cohorts as code, measured: re-deciding a 200-call history after a cohort edit (the target is
//! well under a second), and pulling 1,000 cohorts from a local emulator over loopback HTTP.

use criterion::{Criterion, criterion_group, criterion_main};
use segscope::api::{ApiKey, Identity, OpaqueState, Target};
use segscope::emulator::{self, EmulatorConfig, Workspace};
use segscope::session::Recording;
use segscope::workspace::CohortsClient;
use segscope::workspace::pull::{Progress, pull};
use segscope::workspace::redecide::{PastCall, decide, redecide};
use serde_json::value::RawValue;
use serde_json::{Value, json};

// The load generator's realistic reader events (developer tooling, outside the library).
#[allow(dead_code)]
#[path = "../devtools/loadgen.rs"]
mod loadgen;
use loadgen::reader_event;

const USERS: usize = 20;
const CALLS_PER_USER: usize = 10;

/// 20 readers × 10 calls of 5 events (Pageviews and engagement heartbeats, an hour apart),
/// each call continuing its reader's previous one: the kind of history a console session holds.
#[allow(clippy::needless_range_loop)]
fn history(workspace: &Workspace) -> Vec<PastCall> {
    let start: jiff::Timestamp = "2026-10-01T08:00:00Z".parse().unwrap();
    let mut history = Vec::with_capacity(USERS * CALLS_PER_USER);
    let mut states: Vec<Option<OpaqueState>> = vec![None; USERS];
    for call in 0..CALLS_PER_USER {
        for user in 0..USERS {
            let at = start + jiff::SignedDuration::from_mins((60 * call + user) as i64);
            let events: Vec<Value> = (0..5)
                .map(|i| {
                    let time = at + jiff::SignedDuration::from_secs(20 * i as i64);
                    if i % 2 == 1 {
                        json!({"name": "PageviewEngagement", "time": time.to_string(),
                               "properties": {"engaged_time": 15, "completion": 0.3 * i as f64 / 2.0}})
                    } else {
                        reader_event(time, user + call * 3 + i)
                    }
                })
                .collect();
            let mut past = PastCall {
                identity: Identity::UserId(format!("00000000-0000-4000-8000-{user:012}")),
                events: RawValue::from_string(Value::Array(events).to_string()).unwrap(),
                state: states[user].clone(),
                synchronous_validation: true,
                recorded: Recording {
                    status: 0,
                    cohorts: Vec::new(),
                    entered: Vec::new(),
                    left: Vec::new(),
                    error_code: None,
                    state: None,
                },
            };
            past.recorded = decide(workspace, &past, past.state.clone());
            assert_eq!(past.recorded.status, 200, "{:?}", past.recorded);
            states[user] = OpaqueState::from_json(
                past.recorded.state.as_ref().unwrap().whole().unwrap().get(),
            )
            .ok();
            history.push(past);
        }
    }
    history
}

fn bench_redecide(c: &mut Criterion) {
    let demo = Workspace::demo().unwrap();
    let history = history(&demo);
    let mut records = demo.records.clone();
    let football = records.iter_mut().find(|r| r.code.key() == "1001").unwrap();
    football.query.as_mut().unwrap()["frequency"] = json!({"greater_than_or_equal_to": 2});
    let changed = redecide(&history, &demo.with_records(records.clone()).unwrap())
        .iter()
        .filter(|r| r.changed())
        .count();
    println!("{} calls, {changed} change after the edit", history.len());
    c.bench_function("redecide 200 calls after an edit (load + replay)", |b| {
        b.iter(|| {
            let edited = demo.with_records(records.clone()).unwrap();
            redecide(&history, &edited)
        })
    });
}

fn bench_pull(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let running = runtime
        .block_on(emulator::spawn(
            EmulatorConfig::new(Workspace::demo_scaled(1000).unwrap()),
            "127.0.0.1:0".parse().unwrap(),
        ))
        .unwrap();
    let client = CohortsClient::new(Target::new(running.base_url(), Some(ApiKey::new("bench"))));
    let dir = std::env::temp_dir().join(format!("segscope-bench-pull-{}", std::process::id()));
    let mut group = c.benchmark_group("pull");
    group.sample_size(10);
    group.bench_function("1000 cohorts from a local emulator", |b| {
        b.iter(|| {
            let report = runtime
                .block_on(pull(&client, &dir, 8, Progress::Quiet))
                .unwrap();
            assert_eq!(report.written, 1000);
        })
    });
    group.finish();
    std::fs::remove_dir_all(&dir).ok();
}

criterion_group!(benches, bench_redecide, bench_pull);
criterion_main!(benches);
