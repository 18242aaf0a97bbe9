//! The emulator's server-side work for one realistic request, without HTTP: a returning reader
//! with four weeks of state (10 events a day) sends 10 events, against 100 cohorts.
//! Also the echo baseline's work on the same body, for the ratio the load test reports.

use criterion::{Criterion, criterion_group, criterion_main};
use segscope::emulator::Workspace;
use segscope::emulator::segment::{self, Validation};
#[path = "../devtools/loadgen.rs"]
#[allow(dead_code)] // shared developer tooling: each user needs part of it
mod loadgen;
use loadgen::ten_events;
use serde_json::json;

fn body_after_weeks(workspace: &Workspace) -> Vec<u8> {
    let end: jiff::Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
    let user = "0b5e5c3e-1d7a-4f3b-8e7e-5a1e0c0ffee0";
    let mut state: Option<serde_json::Value> = None;
    for day in 0..28i64 {
        let day_end = end - jiff::SignedDuration::from_hours(24 * (28 - day));
        let mut body = json!({"user_id": user, "events": ten_events(day_end, day as usize)});
        if let Some(s) = &state {
            body["state"] = s.clone();
        }
        let out =
            segment::segment(workspace, body.to_string().as_bytes(), Validation::Skip).unwrap();
        let answer: serde_json::Value = serde_json::from_str(&out.body).unwrap();
        state = Some(answer["state"].clone());
    }
    json!({
        "user_id": user,
        "events": ten_events(end + jiff::SignedDuration::from_mins(30), 1000),
        "state": state.unwrap(),
    })
    .to_string()
    .into_bytes()
}

fn bench(c: &mut Criterion) {
    for cohorts in [12, 100] {
        let workspace = Workspace::demo_scaled(cohorts).unwrap();
        let body = body_after_weeks(&workspace);
        println!("{cohorts} cohorts: body {} KiB", body.len() / 1024);
        c.bench_function(&format!("segment/{cohorts}_cohorts/sync_off"), |b| {
            b.iter(|| segment::segment(&workspace, &body, Validation::Skip).unwrap())
        });
        c.bench_function(&format!("segment/{cohorts}_cohorts/sync_on"), |b| {
            b.iter(|| segment::segment(&workspace, &body, Validation::Reject).unwrap())
        });
        c.bench_function(&format!("echo/{cohorts}_cohorts"), |b| {
            b.iter(|| segment::echo(&body).unwrap())
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
