//! The explanation popup (Enter on a cohort): the computed values, the threshold and the window
//! of each clause, against the emulator; and what a target without explanations shows.

mod common;
use common::*;

use crossterm::event::KeyCode;

#[tokio::test]
async fn explaining_a_cohort_the_user_is_not_in_shows_the_computed_count() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&football_pageviews(2, 1));
    let app = drive(app, &mut term, vec![key(F5)]).await;
    assert!(app.history()[0].succeeded(), "{}", app.status().text);
    assert!(app.history()[0].delta.members.is_empty());

    // Cohorts pane (empty: the user is in no cohort), Enter: every workspace cohort to pick.
    let app = drive(
        app,
        &mut term,
        vec![key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Enter)],
    )
    .await;
    let popup = app.explanation().expect("the popup is open");
    assert_eq!(popup.entries.len(), 12, "every workspace cohort");
    let fans = popup.selected().expect("a cohort is highlighted");
    assert_eq!(
        (fans.code.as_str(), fans.name.as_str()),
        ("1001", "Football fans")
    );
    let text = screen(&term);
    assert!(text.contains("Why (not) in the cohort? · call 1"), "{text}");
    assert!(
        text.contains("✗ Pageview: count = 2, needs ≥ 3"),
        "the clause with its computed value: {text}"
    );
    assert!(text.contains("window the last 7 days ("), "{text}");
    assert!(
        text.contains("properties.article.category equal_to \"football\""),
        "{text}"
    );
    assert!(
        text.contains("not before either: call 1 changed nothing"),
        "{text}"
    );

    // Another cohort, then close.
    let app = drive(app, &mut term, vec![key(KeyCode::Down)]).await;
    assert_eq!(app.explanation().unwrap().selected().unwrap().code, "1002");
    let app = drive(app, &mut term, vec![key(KeyCode::Esc)]).await;
    assert!(app.explanation().is_none());
}

#[tokio::test]
async fn enter_on_a_member_cohort_explains_that_cohort() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&football_pageviews(3, 1));
    // One batch per call: keys typed while a request is in flight would race it.
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let app = drive(
        app,
        &mut term,
        vec![key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Enter)],
    )
    .await;
    let popup = app.explanation().expect("the popup is open");
    let entry = popup.selected().unwrap();
    assert_eq!(entry.code, "1001");
    assert_eq!(entry.member, Some(true));
    let text = screen(&term);
    assert!(text.contains("✓ Pageview: count = 3, needs ≥ 3"), "{text}");
    assert!(text.contains("entered by call 1"), "{text}");
}

#[tokio::test]
async fn against_a_target_without_explanations_the_key_says_so_and_shows_the_raw_state() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let mut options = options();
    options.emulator_endpoints = false;
    options.target_label = Some("https://api.permutive.app (key ****abcd)".into());
    let mut app = app_with(&emu.base_url(), options);
    app.set_editor_text(&football_pageviews(3, 1));
    // One batch per call: keys typed while a request is in flight would race it.
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let app = drive(
        app,
        &mut term,
        vec![key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Enter)],
    )
    .await;
    assert!(
        app.status()
            .text
            .starts_with("Explanations need the segscope emulator"),
        "{}",
        app.status().text
    );
    assert_eq!(app.pending_tasks(), 0);
    let text = screen(&term);
    assert!(
        text.contains("Explanations need the segscope emulator"),
        "{text}"
    );
    assert!(text.contains("internal_state[\"1001\"]"), "{text}");
    assert!(text.contains("external_state[\"1001\"]"), "{text}");
    assert!(text.contains("(absent)"), "{text}");
}

/// Live-blog Pageviews at `times` (RFC 3339), then a football one at `now`: the user's clock.
fn live_blog_views(times: &[&str], now: &str) -> String {
    let view = |i: usize, time: &str, path: &str, category: &str| {
        serde_json::json!({
            "name": "Pageview",
            "time": time,
            "session_id": "00000000-0000-4000-8000-0000000000aa",
            "view_id": format!("00000000-0000-4000-8000-0000000002{i:02}"),
            "properties": {
                "article": {"title": format!("Story {i}"), "category": category},
                "client": {
                    "url": format!("https://www.dailycourier.example/{path}/story-{i}"),
                    "domain": "www.dailycourier.example"
                }
            }
        })
    };
    let mut events: Vec<_> = times
        .iter()
        .enumerate()
        .map(|(i, t)| view(i, t, "live", "news"))
        .collect();
    events.push(view(times.len(), now, "football", "football"));
    serde_json::to_string_pretty(&events).unwrap()
}

/// Issue 13: a cohort whose window left out matching events says so — how many, the closest,
/// and how far outside ("Live blog readers right now" counts the last 30 minutes).
#[tokio::test]
async fn near_misses_say_how_many_events_fell_outside_the_window_and_by_how_much() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&live_blog_views(
        &["2026-03-02T14:00:00Z", "2026-03-02T14:22:00Z"],
        "2026-03-02T15:27:00Z",
    ));
    let app = drive(app, &mut term, vec![key(F5)]).await;
    assert!(app.history()[0].succeeded(), "{}", app.status().text);
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
    assert_eq!(app.explanation().unwrap().selected().unwrap().code, "1002");
    let text = screen(&term);
    assert!(text.contains("✗ Pageview: count = 0, needs ≥ 1"), "{text}");
    assert!(
        text.contains(
            "missed 2 matching events outside the window (latest 14:22, 35 minutes too early)"
        ),
        "{text}"
    );
    // Football fans (7 days) counted the football view; nothing of it fell outside.
    let app = drive(app, &mut term, vec![key(KeyCode::Up)]).await;
    assert_eq!(app.explanation().unwrap().selected().unwrap().code, "1001");
    let text = screen(&term);
    assert!(text.contains("Pageview: count = 1, needs ≥ 3"), "{text}");
    assert!(!text.contains("outside the window"), "{text}");
}

/// Issue 13: `in_segment 1001` names the cohort it reads (the console knows the workspace).
#[tokio::test]
async fn a_clause_on_another_cohort_shows_that_cohort_s_name() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&football_pageviews(3, 1));
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let mut keys = vec![key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Enter)];
    // 1001 is the first cohort; 1010 (Football superfans) is nine further down.
    keys.extend(std::iter::repeat_n(key(KeyCode::Down), 9));
    let app = drive(app, &mut term, keys).await;
    assert_eq!(app.explanation().unwrap().selected().unwrap().code, "1010");
    let text = screen(&term);
    assert!(
        text.contains("✓ in segment 1001 (Football fans)"),
        "the cohort read is named: {text}"
    );
    // `has_entered 1001` in New football fans (1009) too.
    let app = drive(app, &mut term, vec![key(KeyCode::Up)]).await;
    assert_eq!(app.explanation().unwrap().selected().unwrap().code, "1009");
    let text = screen(&term);
    assert!(text.contains("has entered 1001 (Football fans)"), "{text}");
}

/// Issue 13: the state diff's epoch times are annotated as dates, muted, after the line; the
/// line itself is the state's text as it is.
#[tokio::test]
async fn times_in_the_state_diff_read_as_dates() {
    let emu = emulator().await;
    let mut term = wide_terminal();
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&live_blog_views(&[], "2026-03-02T15:27:00Z"));
    let app = drive(app, &mut term, vec![key(F5)]).await;
    assert!(app.history()[0].succeeded(), "{}", app.status().text);
    let text = screen(&term);
    assert!(
        text.contains("+         1772465220000,  ← 2026-03-02 15:27:00 UTC"),
        "the time, then its date: {text}"
    );
    // The date is drawn muted (the theme's muted colour), the number as an added line.
    let buf = term.backend().buffer();
    let muted = segscope::console::Theme::default().muted();
    let added = segscope::console::Theme::default().added();
    let (mut date_style, mut number_style) = (None, None);
    for y in 0..buf.area.height {
        let row: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        if let Some(at) = row.find("1772465220000,  ← 2026") {
            let column = |byte: usize| row[..byte].chars().count() as u16;
            number_style = Some(buf[(column(at), y)].fg);
            date_style = Some(buf[(column(at + "1772465220000,  ← ".len()), y)].fg);
            break;
        }
    }
    assert_eq!(number_style, added.fg);
    assert_eq!(date_style, muted.fg);
    assert_ne!(added.fg, muted.fg);
}
