//! One request against a workspace of realistic cohorts with weeks of state already folded in.
//!
//! `cargo bench --bench engine -- --warm-up-time 1 --measurement-time 3`

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use segscope::engine::{Event, SegmentInput, StateEntries, Workspace};
use serde_json::value::RawValue;
use serde_json::{Value, json};

const HOUR_MS: i64 = 3_600_000;
const START_MS: i64 = 1_704_067_200_000;
const CATEGORIES: [&str; 6] = [
    "football",
    "politics",
    "technology",
    "motoring",
    "culture",
    "business",
];

/// `n` cohorts in the shapes of the demo workspace, with varied categories, thresholds and
/// windows. Cohorts that reference another one reference the first cohort of their group of 12.
fn cohorts(n: usize) -> Value {
    let items = (0..n)
        .map(|i| {
            let category = CATEGORIES[i % CATEGORIES.len()];
            let threshold = 2 + (i / 12) % 4;
            let days = [7, 14, 30][(i / 12) % 3];
            let last = |value: usize, unit: &str| json!({"the_last": {"value": value, "unit": unit}});
            let category_is = json!({"property": "properties.article.category", "condition": {"equal_to": category}});
            let base = 10_000 + (i / 12) * 12;
            let query = match i % 12 {
                0 => json!({"event": "Pageview", "frequency": {"greater_than_or_equal_to": threshold}, "where": category_is, "during": last(days, "days")}),
                1 => json!({"event": "Pageview", "where": {"property": "properties.client.url", "condition": {"contains": "/live/"}}, "during": last(30, "minutes")}),
                2 => json!({"engaged_time": {"seconds": {"greater_than_or_equal_to": 60 * threshold}, "where": {"property": "properties.client.url", "condition": {"starts_with": format!("https://www.dailycourier.example/{category}/")}}, "during": last(days, "days")}}),
                3 => json!({"engaged_completion": {"completion": {"greater_than": 0.6}, "during": last(days, "days")}}),
                4 => json!({"event": "VideoPlay", "frequency": {"greater_than_or_equal_to": threshold}, "where": {"property": "properties.video.duration", "condition": {"greater_than_or_equal_to": 60}}, "during": last(days, "days")}),
                5 => json!({"event": "NewsletterSignup"}),
                6 => json!({"event": "Pageview", "frequency": {"greater_than_or_equal_to": threshold}, "where": {"and": [
                        {"or": [category_is, {"property": "properties.article.tags", "condition": {"list_contains": ["economy", "elections", "budget"]}}]},
                        {"property": "properties.client.domain", "condition": {"equal_to": "www.dailycourier.example"}}]},
                     "during": last(days, "days")}),
                7 => json!({"and": [{"event": "Pageview", "where": category_is, "during": last(90, "days")},
                                    {"not": {"event": "Pageview", "where": category_is, "during": last(14, "days")}}]}),
                8 => json!({"has_entered": {"segment": base, "during": last(1, "days")}}),
                9 => json!({"and": [{"in_segment": base}, {"engaged_time": {"seconds": {"greater_than_or_equal_to": 300},
                        "where": {"property": "properties.client.url", "condition": {"contains": category}}, "during": last(7, "days")}}]}),
                10 => json!({"and": [{"in_third_party_segment": {"provider": "acme-data", "segment": "auto-intenders"}},
                        {"or": [{"event": "Pageview", "where": category_is, "during": last(30, "days")},
                                {"event": "LinkClick", "where": {"property": "properties.url", "condition": {"contains": "/cars/"}}, "during": last(30, "days")}]}]}),
                _ => json!({"event": "Pageview", "frequency": {"greater_than_or_equal_to": 10}, "during": last(24, "hours")}),
            };
            json!({"code": base + i % 12, "name": format!("cohort {i}"), "query": query})
        })
        .collect();
    Value::Array(items)
}

/// A deterministic stream of a reader's events, `per_hour` an average of one every 2 hours.
fn events(count: usize, start_ms: i64, seed: u64) -> Vec<Event> {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut next = move |bound: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % bound
    };
    (0..count)
        .map(|i| {
            let category = CATEGORIES[next(CATEGORIES.len() as u64) as usize];
            let url = format!("https://www.dailycourier.example/{category}/story-{}", next(1000));
            let client = json!({"url": url, "domain": "www.dailycourier.example", "type": "web"});
            let (name, properties) = match next(10) {
                0..=5 => ("Pageview", json!({"article": {"title": "t", "category": category, "tags": ["economy"]}, "client": client})),
                6..=7 => ("PageviewEngagement", json!({"engaged_time": next(120), "completion": next(100) as f64 / 100.0, "client": client})),
                8 => ("VideoPlay", json!({"video": {"id": "v", "duration": next(300)}, "client": client})),
                _ => ("LinkClick", json!({"url": format!("https://www.dailycourier.example/cars/{}", next(9)), "client": client})),
            };
            Event {
                name: name.into(),
                time: jiff::Timestamp::from_millisecond(start_ms + i as i64 * 2 * HOUR_MS + next(HOUR_MS as u64) as i64)
                    .expect("valid time"),
                properties: properties.into(),
                view_id: None,
                session_id: None,
            }
        })
        .collect()
}

/// The state after `days` of activity, sent 10 events per request: each entry as JSON text.
fn accumulated_state(
    workspace: &Workspace,
    days: usize,
) -> (BTreeMap<String, Box<RawValue>>, Vec<String>, i64) {
    let history = events(days * 12, START_MS, 7);
    let mut internal = BTreeMap::new();
    let mut cohorts = Vec::new();
    let external = external();
    for batch in history.chunks(10) {
        let entries = text_entries(&internal);
        let result = workspace.segment(SegmentInput {
            events: batch,
            internal: StateEntries::Text(&entries),
            external: (&external).into(),
            cohorts: &cohorts,
        });
        internal = result
            .internal
            .into_iter()
            .map(|(code, text)| {
                let raw = RawValue::from_string(text.get().to_string()).expect("state is JSON");
                (code, raw)
            })
            .collect();
        cohorts = result.members.into_iter().collect();
    }
    (internal, cohorts, START_MS + days as i64 * 24 * HOUR_MS)
}

fn text_entries(map: &BTreeMap<String, Box<RawValue>>) -> Vec<(Cow<'_, str>, &RawValue)> {
    map.iter()
        .map(|(code, raw)| (Cow::Borrowed(code.as_str()), &**raw))
        .collect()
}

fn external() -> BTreeMap<String, Value> {
    [("3p:acme-data:auto-intenders".to_string(), json!({}))]
        .into_iter()
        .collect()
}

fn bench(c: &mut Criterion) {
    let external = external();
    let mut group = c.benchmark_group("segment");
    for cohort_count in [25, 50, 100] {
        let workspace = Workspace::from_cohorts_json(&cohorts(cohort_count).to_string())
            .expect("generated workspace");
        let (internal, members, now) = accumulated_state(&workspace, 21);
        let internal = text_entries(&internal);
        for event_count in [1, 5, 10] {
            let request = events(event_count, now, 99);
            group.bench_with_input(
                BenchmarkId::new(
                    format!("{cohort_count}_cohorts"),
                    format!("{event_count}_events"),
                ),
                &request,
                |b, request| {
                    b.iter(|| {
                        workspace.segment(black_box(SegmentInput {
                            events: request,
                            internal: StateEntries::Text(&internal),
                            external: (&external).into(),
                            cohorts: &members,
                        }))
                    })
                },
            );
        }
    }
    group.finish();
}

/// State the engine did not write: 200,000 windowed pairs in descending time order (issue 11:
/// it took 9.5 s when every pair was inserted at the front).
fn hostile(c: &mut Criterion) {
    let workspace = Workspace::from_cohorts_json(
        &json!([{"code": 1, "query": {"event": "Pageview", "during": {"the_last": {"value": 30, "unit": "days"}}}}])
            .to_string(),
    )
    .expect("workspace");
    let checksum = workspace.checksum("1").expect("cohort").to_string();
    let now = START_MS + 10 * 24 * HOUR_MS;
    let mut text = format!("{{\"{checksum}\":[{now},[\"wp\"");
    for k in 0..200_000i64 {
        text.push_str(&format!(",{},1", now - k * 1000));
    }
    text.push_str("]]}");
    let raw = RawValue::from_string(text).expect("JSON");
    let entries = [(Cow::Borrowed("1"), &*raw)];
    let request = events(1, now, 5);
    c.bench_function("hostile_state/200k_descending_pairs", |b| {
        b.iter(|| {
            workspace.segment(black_box(SegmentInput {
                events: &request,
                internal: StateEntries::Text(&entries),
                external: StateEntries::NONE,
                cohorts: &[],
            }))
        })
    });
}

criterion_group!(benches, bench, hostile);
criterion_main!(benches);
