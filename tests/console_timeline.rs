//! Inside a call (issue 11): every event re-evaluates the cohorts, so one call can enter and
//! leave a cohort. The History row marks it, the explanation shows the call's timeline, the
//! header shows the embedded emulator's clock, and the status line the explanation's notes.

mod common;
use common::*;

use crossterm::event::KeyCode;
use segscope::console::AppOptions;
use segscope::engine::Clock;

/// A Pageview at `time` on `path` (`/live/…` pages make "Live blog readers right now", 1002).
fn pageview(time: &str, path: &str, n: usize) -> serde_json::Value {
    serde_json::json!({
        "name": "Pageview",
        "time": time,
        "session_id": "00000000-0000-4000-8000-0000000000aa",
        "view_id": format!("00000000-0000-4000-8000-0000000002{n:02}"),
        "properties": {
            "article": {"title": format!("Page {n}"), "category": "news"},
            "client": {
                "url": format!("https://www.dailycourier.example{path}"),
                "domain": "www.dailycourier.example"
            }
        }
    })
}

/// A live-blog page view, then 40 minutes later another page: 1002 is entered after the first
/// event and left after the second, and the call's before/after delta shows neither.
fn in_and_out() -> String {
    serde_json::to_string_pretty(&[
        pageview("2024-03-01T12:00:00Z", "/live/election-night", 1),
        pageview("2024-03-01T12:40:00Z", "/news/the-morning-after", 2),
    ])
    .unwrap()
}

#[tokio::test]
async fn a_cohort_entered_and_left_within_one_call_is_marked_in_history_and_explained() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&in_and_out());
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let call = &app.history()[0];
    assert!(call.succeeded(), "{}", app.status().text);
    assert!(call.delta.entered.is_empty() && call.delta.left.is_empty());
    let insight = app
        .insight(call.id)
        .expect("the call was explained in the background");
    assert_eq!(insight.entered_and_left, vec!["1002".to_string()]);
    assert_eq!(insight.clock, Clock::Event);
    let text = screen(&term);
    assert!(
        text.contains("+0 -0 ↕1002"),
        "the History row marks it: {text}"
    );

    // The explanation of 1002: its transitions, and the call's timeline event by event.
    let app = drive(
        app,
        &mut term,
        vec![
            key(KeyCode::Tab),
            key(KeyCode::Tab),
            key(KeyCode::Enter),
            key(KeyCode::Down),
        ],
    )
    .await;
    let entry = app.explanation().unwrap().selected().unwrap();
    assert_eq!(entry.code, "1002");
    let text = screen(&term);
    assert!(text.contains("↕ entered and left within call 1"), "{text}");
    assert!(text.contains("within the call:"), "{text}");
    assert!(
        text.contains("  entered after event 1 (2024-03-01T12:00:00Z)"),
        "{text}"
    );
    assert!(
        text.contains("  left after event 2 (2024-03-01T12:40:00Z)"),
        "{text}"
    );
    assert!(
        text.contains("Timeline of call 1 (clock: event):"),
        "{text}"
    );
    assert!(
        text.contains(
            "after event 1 (2024-03-01T12:00:00Z): entered 1002 Live blog readers right now"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "after event 2 (2024-03-01T12:40:00Z): left 1002 Live blog readers right now"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn an_event_far_ahead_of_the_users_clock_is_noted_in_the_status_line() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let mut app = app_for(&emu.base_url());
    let events = serde_json::to_string_pretty(&[
        pageview("2024-03-01T12:00:00Z", "/news/a", 1),
        pageview("2024-03-04T12:00:00Z", "/news/b", 2),
    ])
    .unwrap();
    app.set_editor_text(&events);
    let app = drive(app, &mut term, vec![key(F5)]).await;
    assert!(app.history()[0].succeeded());
    let status = &app.status().text;
    assert!(
        status.starts_with("Note (event clock): events[1] at 2024-03-04T12:00:00Z is more than a day after the user's clock 2024-03-01T12:00:00Z. 200 OK"),
        "{status}"
    );
    assert_eq!(app.status().kind, segscope::console::StatusKind::Warning);
    assert!(
        screen(&term).contains("more than a day after"),
        "{}",
        screen(&term)
    );
}

#[tokio::test]
async fn the_header_shows_the_embedded_emulators_clock() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let app = app_with(
        &emu.base_url(),
        AppOptions {
            clock: Some(Clock::Wall),
            ..options()
        },
    );
    let _app = drive(app, &mut term, Vec::new()).await;
    let text = screen(&term);
    assert!(
        text.lines().next().unwrap().contains("clock: wall"),
        "{text}"
    );

    // Not embedded (no clock given): the header says nothing about one.
    let app = app_for(&emu.base_url());
    let _app = drive(app, &mut term, Vec::new()).await;
    assert!(!screen(&term).contains("clock:"), "{}", screen(&term));
}

#[tokio::test]
async fn without_explanations_the_history_claims_nothing_about_inside_a_call() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    // A target that is not known to be a segscope emulator (the real API, say).
    let mut app = app_with(
        &emu.base_url(),
        AppOptions {
            emulator_endpoints: false,
            ..options()
        },
    );
    app.set_editor_text(&in_and_out());
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let call = &app.history()[0];
    assert!(call.succeeded(), "{}", app.status().text);
    assert!(app.insight(call.id).is_none());
    assert!(!screen(&term).contains('↕'), "{}", screen(&term));
}
