//! Replaying a 1,000-step session against the embedded emulator (real loopback HTTP), collected
//! (the library's `run_file`) and streamed (what `segscope replay` runs): the replay's own
//! overhead must stay small next to one round trip. Reports steps per second as
//! criterion's throughput (elements/s). Also the client's cohort delta (entered/left) for a
//! state of 100,000 cohorts, which must stay well under 100 ms (issue 14).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use segscope::api::Identity;
use segscope::launch::{TargetChoice, connect};
#[path = "../devtools/loadgen.rs"]
#[allow(dead_code)] // shared developer tooling: each user needs part of it
mod loadgen;
use loadgen::reader_event;
use segscope::session::{self, ReplayOptions, RunOptions, Session, Step};

const STEPS: usize = 1000;

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let connection = runtime.block_on(connect(&TargetChoice::default())).unwrap();
    let dir = std::env::temp_dir().join(format!("segscope-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("thousand.json");

    // A reader's month, one Pageview per step, recorded once with --update.
    let identity = Identity::UserId("0b5e5c3e-1d7a-4f3b-8e7e-5a1e0c0ffee0".into());
    let mut session = Session::new("a thousand steps", &identity);
    let start: jiff::Timestamp = "2026-01-01T08:00:00Z".parse().unwrap();
    for i in 0..STEPS {
        let time = start + jiff::SignedDuration::from_mins(45 * i as i64);
        session.steps.push(Step {
            note: String::new(),
            events: serde_json::value::to_raw_value(&[reader_event(time, i)]).unwrap(),
            synchronous_validation: true,
            keep_state: false,
            expect: None,
        });
    }
    session.save(&path).unwrap();
    let options = |update| RunOptions {
        replay: ReplayOptions::default(),
        update,
        jobs: 1,
    };
    let recorded = runtime.block_on(session::run_file(&connection.client, &path, options(true)));
    assert!(recorded.updated, "{}", session::report::text(&recorded));

    let mut group = c.benchmark_group("replay");
    group.sample_size(10);
    group.throughput(Throughput::Elements(STEPS as u64));
    group.bench_function("1000_steps_embedded_emulator", |b| {
        b.iter(|| {
            let report =
                runtime.block_on(session::run_file(&connection.client, &path, options(false)));
            assert_eq!(report.steps.len(), STEPS);
        })
    });
    // What `segscope replay` runs: the file read a step at a time, each line printed as judged.
    let files = [path.clone()];
    group.bench_function("1000_steps_streamed_embedded_emulator", |b| {
        b.iter(|| {
            let mut bytes = 0;
            let streamed = runtime.block_on(session::stream::run_files(
                &connection.client,
                &files,
                ReplayOptions::default(),
                1,
                false,
                |text| bytes += text.len(),
            ));
            assert_eq!((streamed.steps_run, streamed.tally.passed), (STEPS, STEPS));
            bytes
        })
    });
    group.finish();
    std::fs::remove_dir_all(&dir).ok();
}

/// Entered/left between two 100,000-cohort memberships, and reading the cohorts of a state
/// that lists 100,000 of them (what `send --state`, a replay step and the console's F8 do).
fn cohort_delta(c: &mut Criterion) {
    use segscope::api::OpaqueState;
    use segscope::session::replay::{cohorts_of, entered_and_left, sorted_cohorts};
    const COHORTS: usize = 100_000;
    let before = sorted_cohorts((0..COHORTS).map(|i| (500_000 + i).to_string()).collect());
    let after = sorted_cohorts(
        (0..COHORTS)
            .map(|i| (500_000 + i + COHORTS / 2).to_string())
            .collect(),
    );
    let listed: Vec<String> = before.iter().map(|c| format!("\"{c}\"")).collect();
    let state = OpaqueState::from_json(&format!(
        r#"{{"internal_state":{{}},"external_state":{{}},"cohorts":[{}]}}"#,
        listed.join(",")
    ))
    .unwrap();
    let mut group = c.benchmark_group("cohort_delta");
    group.sample_size(20);
    group.bench_function("entered_left_100k", |b| {
        b.iter(|| entered_and_left(&before, &after))
    });
    group.bench_function("cohorts_of_100k_state", |b| {
        b.iter(|| cohorts_of(Some(&state)))
    });
    group.finish();
}

criterion_group!(benches, bench, cohort_delta);
criterion_main!(benches);
