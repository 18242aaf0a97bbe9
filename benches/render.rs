//! Drawing must stay cheap whatever the state's size: a full 200×50 frame with a 1 MB state diff
//! in view (target < 2 ms), and computing that diff once per call (target < 50 ms).
//!
//! Also at 80×24 and 250×70 (issue 13's frame times).
//!
//! `cargo bench --bench render -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use segscope::api::{
    CallOutcome, Client, Identity, OpaqueState, SegmentationRequest, SegmentationResponse, Target,
};
use segscope::console::{self, App, AppOptions, Call, Message, PendingCall};
use serde_json::value::RawValue;

/// A state of about `bytes` bytes: many cohorts, each with a checksum and an accumulator.
fn big_state(bytes: usize, bump: u64) -> String {
    let mut internal = Vec::new();
    let mut size = 0;
    let mut code = 100_000u64;
    while size < bytes {
        let count = if code.is_multiple_of(997) {
            1 + bump
        } else {
            1
        };
        let entry = format!(
            "\"{code}\":{{\"{:010x}\":[1795667465000,[\"wp\",1795667345000,{count},1795667405000,1,1795667465000,1]]}}",
            code * 2654435761 % 0xffff_ffff
        );
        size += entry.len() + 1;
        internal.push(entry);
        code += 1;
    }
    let cohorts: Vec<String> = (0..40 + bump)
        .map(|i| format!("\"{}\"", 100_000 + i * 7))
        .collect();
    format!(
        "{{\"internal_state\":{{{}}},\"external_state\":{{}},\"cohorts\":[{}]}}",
        internal.join(","),
        cohorts.join(",")
    )
}

fn call_with_states(before: &str, after: &str) -> Call {
    let state_before = OpaqueState::from_json(before).unwrap();
    let body =
        format!("{{\"user_id\":\"00000000-0000-4000-8000-000000000001\",\"state\":{after}}}");
    let pending = PendingCall {
        id: 1,
        events_layout: console::call::EventsLayout::AsTyped,
        event_count: 0,
        sync_validation: true,
        sent_at: jiff::Timestamp::now(),
        request: SegmentationRequest {
            identity: Identity::UserId("00000000-0000-4000-8000-000000000001".into()),
            events: RawValue::from_string("[]".into()).unwrap(),
            state: Some(state_before),
        },
    };
    let body: std::sync::Arc<str> = body.into();
    let outcome = CallOutcome::Success {
        status: 200,
        latency: Duration::from_millis(12),
        response: SegmentationResponse::parse(&body).unwrap(),
        raw_body: body,
    };
    Call::complete(pending, outcome)
}

fn benches(c: &mut Criterion) {
    let before = big_state(1 << 20, 0);
    let after = big_state(1 << 20, 3);
    eprintln!("state sizes: {} / {} bytes", before.len(), after.len());

    c.bench_function("state_diff_1mb", |b| {
        b.iter(|| console::state_diff(Some(black_box(&before)), Some(black_box(&after))))
    });

    let client = Client::new(Target::new("http://127.0.0.1:9", None));
    let mut app = App::new(client, AppOptions::default());
    app.record_call(call_with_states(&before, &after));
    let id = app.history()[0].id;
    let diff = &app.cache().detail(id).expect("rendered").diff;
    eprintln!(
        "diff: {} change lines, {} full lines, +{} -{}",
        diff.len(false),
        diff.len(true),
        diff.added,
        diff.removed
    );
    // Focus the diff pane and scroll into the middle of it.
    let key = |code| Message::Input(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    for _ in 0..3 {
        console::update(app.model_mut(), key(KeyCode::Tab));
    }
    for _ in 0..20 {
        console::update(app.model_mut(), key(KeyCode::PageDown));
    }
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    c.bench_function("draw_200x50_with_1mb_diff", |b| {
        b.iter(|| {
            terminal
                .draw(|frame| console::draw(black_box(&app), frame))
                .unwrap();
        })
    });
    console::update(app.model_mut(), key(KeyCode::Char('f')));
    c.bench_function("draw_200x50_full_1mb_state", |b| {
        b.iter(|| {
            terminal
                .draw(|frame| console::draw(black_box(&app), frame))
                .unwrap();
        })
    });
    // Issue 13 asks for the frame time at the smallest comfortable terminal and a large one.
    for (width, height) in [(80, 24), (250, 70)] {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        c.bench_function(&format!("draw_{width}x{height}_full_1mb_state"), |b| {
            b.iter(|| {
                terminal
                    .draw(|frame| console::draw(black_box(&app), frame))
                    .unwrap();
            })
        });
    }
}

/// `n` Pageviews of the demo workspace, each with a `padding` property of `pad` bytes.
fn pageviews(n: usize, pad: usize) -> String {
    let events: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "name": "Pageview",
                "time": "2026-11-27T10:00:00Z",
                "view_id": format!("00000000-0000-4000-8000-0000000001{i:02}"),
                "properties": {
                    "article": {"title": "Derby", "category": "football", "tags": ["x".repeat(pad)]},
                    "client": {"url": "https://www.dailycourier.example/", "domain": "d"}
                }
            })
        })
        .collect();
    serde_json::to_string_pretty(&events).unwrap()
}

/// A keystroke in the editor runs its live check (the contract's shape, then every event
/// against its schema, each problem located on its line): what typing costs with the demo
/// workspace's schemas, for a request's ten events and for a pasted megabyte.
fn editor_keystrokes(c: &mut Criterion) {
    let key = |code| Message::Input(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    let description: segscope::emulator::workspace::WorkspaceDescription =
        serde_json::from_value(segscope::emulator::Workspace::demo().unwrap().describe()).unwrap();
    for (name, text) in [
        ("editor_keystroke_10_events", pageviews(10, 10)),
        ("editor_keystroke_10_events_1mb", pageviews(10, 100_000)),
    ] {
        let client = Client::new(Target::new("http://127.0.0.1:9", None));
        let mut app = App::new(client, AppOptions::default());
        console::update(
            app.model_mut(),
            Message::WorkspaceLoaded {
                task: 0,
                result: Ok(description.clone()),
            },
        );
        app.set_editor_text(&text);
        // The cursor after line 1's `[`: a space typed there keeps the events valid.
        console::update(app.model_mut(), key(KeyCode::End));
        assert!(app.editor_check().is_valid());
        c.bench_function(name, |b| {
            b.iter(|| {
                console::update(app.model_mut(), key(KeyCode::Char(' ')));
                console::update(app.model_mut(), key(KeyCode::Backspace));
            })
        });
    }
}

criterion_group!(render, benches, editor_keystrokes);
criterion_main!(render);
