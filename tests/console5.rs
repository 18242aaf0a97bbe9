//! Issue 5's console features, driven through the real loop against an in-process emulator:
//! rewind and branch, the explanation popup, autosave and recovery, clipboard copies. No timing:
//! each batch of keys runs until the input ends and every background task has answered.

mod common;
use common::*;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crossterm::event::{Event, KeyCode};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;
use segscope::api::{ApiKey, Client, Target};
use segscope::emulator::EMBEDDED_KEY;
use segscope::tui::{App, AppOptions};

// ---------------------------------------------------------------- harness

fn app_with(base_url: &str, options: AppOptions) -> App {
    let target = Target::new(base_url, Some(ApiKey::new(EMBEDDED_KEY)));
    App::new(Client::new(target), options)
}

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(150, 44)).unwrap()
}

fn ch(c: char) -> Event {
    key(KeyCode::Char(c))
}

/// The modifiers of the first cell of the screen row holding `needle`, at its column.
fn modifiers_at(term: &Terminal<TestBackend>, needle: &str) -> Modifier {
    let buf = term.backend().buffer();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut columns = Vec::new();
        for x in 0..buf.area.width {
            columns.push((line.len(), x));
            line.push_str(buf[(x, y)].symbol());
        }
        if let Some(at) = line.find(needle) {
            let x = columns
                .iter()
                .rev()
                .find(|(byte, _)| *byte <= at)
                .map_or(0, |(_, x)| *x);
            return buf[(x, y)].modifier;
        }
    }
    panic!("{needle:?} is not on the screen:\n{}", screen(term));
}

/// `n` football Pageviews, a minute apart, ending now; view ids start at `first`.
fn football_pageviews(n: usize, first: usize) -> String {
    let now = jiff::Timestamp::now().as_second();
    let events: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let time = jiff::Timestamp::from_second(now - 60 * (n - i) as i64).unwrap();
            serde_json::json!({
                "name": "Pageview",
                "time": time.to_string(),
                "session_id": "00000000-0000-4000-8000-0000000000aa",
                "view_id": format!("00000000-0000-4000-8000-0000000001{:02}", first + i),
                "properties": {
                    "article": {"title": format!("Match report {}", first + i), "category": "football"},
                    "client": {
                        "url": format!("https://www.dailycourier.example/football/report-{}", first + i),
                        "domain": "www.dailycourier.example"
                    }
                }
            })
        })
        .collect();
    serde_json::to_string_pretty(&events).unwrap()
}

/// A fresh, empty directory for one test's autosave.
fn state_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("segscope-console5-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A clipboard sink the test can read.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// ---------------------------------------------------------------- rewind

#[tokio::test]
async fn rewind_restores_the_earlier_state_and_the_next_send_branches_from_it() {
    let emu = emulator().await;
    let mut term = terminal();
    let mut app = app_for(&emu.base_url());
    for n in 1..=3 {
        app.set_editor_text(&football_pageviews(1, n));
        app = drive(app, &mut term, vec![key(F5)]).await;
    }
    assert_eq!(app.history().len(), 3);
    assert!(app.history().iter().all(|c| c.succeeded()));
    let earlier = app.history()[1]
        .state_before
        .clone()
        .expect("call 2 sent a state");
    let abandoned_future = app.history()[2].state_after.clone().unwrap();
    assert_ne!(earlier.as_str(), abandoned_future.as_str());
    let call2_events = app.history()[1].events_text.clone();

    // History pane, call 2, rewind.
    let app = drive(
        app,
        &mut term,
        vec![key(KeyCode::Tab), key(KeyCode::Up), ch('r')],
    )
    .await;
    assert_eq!(app.state().map(|s| s.as_str()), Some(earlier.as_str()));
    assert_eq!(app.editor_text(), call2_events);
    assert!(
        app.status().text.starts_with("Rewound to before call 2"),
        "{}",
        app.status().text
    );
    assert_eq!(app.history().len(), 3, "nothing is deleted");

    // The next send starts a new branch from the rewound state, byte for byte.
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let calls = app.history();
    assert_eq!(calls.len(), 4);
    let sent = calls[3].state_before.as_ref().expect("a state was sent");
    assert_eq!(sent.as_str(), earlier.as_str());
    assert!(calls[3].request_body().contains(earlier.as_str()));
    assert!(!calls[3].request_body().contains(abandoned_future.as_str()));

    let text = screen(&term);
    assert!(
        text.contains("History (4 calls, 2 on abandoned branches)"),
        "{text}"
    );
    // Calls 2 and 3 are drawn dimmed; 1 and the new 4 are not.
    assert!(modifiers_at(&term, "2   --:--:--").contains(Modifier::DIM));
    assert!(modifiers_at(&term, "3   --:--:--").contains(Modifier::DIM));
    assert!(!modifiers_at(&term, "1   --:--:--").contains(Modifier::DIM));
    assert!(!modifiers_at(&term, "4   --:--:--").contains(Modifier::DIM));
}

// ---------------------------------------------------------------- explanation

#[tokio::test]
async fn explaining_a_cohort_the_user_is_not_in_shows_the_computed_count() {
    let emu = emulator().await;
    let mut term = terminal();
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
    let mut term = terminal();
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
    let mut term = terminal();
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

// ---------------------------------------------------------------- autosave

#[tokio::test]
async fn the_autosave_round_trips() {
    let emu = emulator().await;
    let dir = state_dir("round-trip");
    let path = dir.join("autosave.json");
    let mut options = options();
    options.autosave = Some(path.clone());
    let mut term = terminal();
    let mut app = app_with(&emu.base_url(), options.clone());
    app.set_editor_text(&football_pageviews(2, 1));
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let app = drive(app, &mut term, vec![key(F5)]).await;
    // Written after each call: the journal already has both.
    let journal = std::fs::read_to_string(segscope::tui::autosave::journal_path(&path)).unwrap();
    assert_eq!(
        journal
            .lines()
            .filter(|l| l.starts_with("{\"call\""))
            .count(),
        2
    );
    // Change the flag and the editor, then leave (the exit writes it).
    let mut app = drive(app, &mut term, vec![key(KeyCode::F(2)), ch(' ')]).await;
    assert!(!app.sync_validation());
    // The first console closes (while it runs, a second one would get a file of its own).
    app.close_autosave().unwrap();

    let restored = drive(app_with(&emu.base_url(), options), &mut term, vec![]).await;
    assert_eq!(restored.editor_text(), app.editor_text());
    assert_eq!(restored.identity(), app.identity());
    assert_eq!(restored.sync_validation(), app.sync_validation());
    assert_eq!(
        restored.state().map(|s| s.as_str()),
        app.state().map(|s| s.as_str()),
        "the state, byte for byte"
    );
    assert_eq!(restored.history().len(), 2);
    for (a, b) in restored.history().iter().zip(app.history()) {
        assert_eq!(a.request_body(), b.request_body());
        assert_eq!(a.delta, b.delta);
    }
    assert!(
        restored
            .status()
            .text
            .starts_with("Restored 2 calls from autosave"),
        "{}",
        restored.status().text
    );
    assert!(screen(&term).contains("History (2 calls)"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_corrupt_autosave_is_set_aside_and_the_console_starts_clean() {
    let emu = emulator().await;
    let dir = state_dir("corrupt");
    let path = dir.join("autosave.json");
    std::fs::write(&path, "{\"format\": \"segscope-autosave/1\", trunc").unwrap();
    let mut options = options();
    options.autosave = Some(path.clone());
    let mut term = terminal();
    let app = drive(
        app_with(&emu.base_url(), options.clone()),
        &mut term,
        vec![],
    )
    .await;
    assert!(app.history().is_empty());
    assert!(app.state().is_none());
    let status = &app.status().text;
    assert!(status.contains("is unreadable"), "{status}");
    assert!(status.contains("Starting clean"), "{status}");
    let names = files_in(&dir);
    let aside = names
        .iter()
        .find(|n| n.starts_with("autosave.json.corrupt-"))
        .unwrap_or_else(|| panic!("set aside: {names:?}"));
    assert!(
        std::fs::read_to_string(dir.join(aside))
            .unwrap()
            .ends_with("trunc"),
        "kept as it was"
    );
    assert!(screen(&term).contains("is unreadable"));
    drop(app);

    // --fresh keeps the (now valid) autosave as a .bak and starts clean.
    let mut app = app_with(&emu.base_url(), options.clone());
    app.set_editor_text(&football_pageviews(1, 1));
    drive(app, &mut term, vec![key(F5)]).await;
    options.fresh = true;
    let app = drive(app_with(&emu.base_url(), options), &mut term, vec![]).await;
    assert!(app.history().is_empty());
    assert!(
        app.status().text.starts_with("Started fresh"),
        "{}",
        app.status().text
    );
    assert!(
        files_in(&dir)
            .iter()
            .any(|n| n.starts_with("autosave.json.") && n.ends_with(".bak"))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------- key, clipboard

#[tokio::test]
async fn the_key_is_absent_from_the_autosave_and_the_copied_commands() {
    const SECRET: &str = "sk-live-console5-0123456789";
    let emu = emulator_with_keys(&[SECRET]).await;
    let dir = state_dir("key");
    let path = dir.join("autosave.json");
    let mut options = options();
    options.autosave = Some(path.clone());
    let mut app = App::new(
        Client::new(Target::new(emu.base_url(), Some(ApiKey::new(SECRET)))),
        options,
    );
    let sink = Sink::default();
    app.set_clipboard_sink(Box::new(sink.clone()));
    app.set_editor_text(&football_pageviews(2, 1));
    let mut term = terminal();
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let app = drive(app, &mut term, vec![key(KeyCode::Tab), ch('c')]).await;
    assert_eq!(app.history().len(), 2);
    assert!(app.history()[1].succeeded(), "{}", app.status().text);
    let state = app.history()[1].state_before.clone().unwrap();

    let curl = app
        .last_copied()
        .expect("a curl command was copied")
        .to_string();
    assert!(curl.starts_with("curl "), "{curl}");
    assert!(curl.contains("$PERMUTIVE_API_KEY"), "{curl}");
    assert!(curl.contains("synchronous-validation=true"), "{curl}");
    assert!(
        curl.contains(state.as_str()),
        "the state's exact bytes: {curl}"
    );
    assert!(!curl.contains(SECRET));
    // It went to the terminal as OSC 52.
    let written = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert!(written.starts_with("\x1b]52;c;") && written.ends_with('\x07'));
    assert!(
        app.status()
            .text
            .starts_with("Copied a curl command for call 2")
    );

    let app = drive(app, &mut term, vec![ch('y')]).await;
    let body = app.last_copied().unwrap().to_string();
    let value: serde_json::Value = serde_json::from_str(&body).expect("the response JSON");
    assert!(value.get("state").is_some());
    let mut app = drive(app, &mut term, vec![ch('C')]).await;
    let send = app.last_copied().unwrap().to_string();
    assert!(send.contains("segscope send -"), "{send}");
    assert!(send.contains(state.as_str()), "{send}");
    assert!(!send.contains(SECRET));

    app.close_autosave().unwrap();
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(saved.contains(state.as_str()));
    assert!(!saved.contains(SECRET), "the key is never autosaved");
    assert!(!saved.contains("0123456789"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The key lives in the client and the header it writes, so it cannot reach saved or copied text:
/// nothing is searched for the key's text and rewritten (a key that is also a word of the events
/// used to turn `"category": "football"` into `"category": "****"`).
#[tokio::test]
async fn a_key_that_is_also_a_word_of_the_events_never_rewrites_them() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("autosave.json");
    let keyed = |key: &str| {
        let mut options = options();
        options.autosave = Some(path.clone());
        App::new(
            Client::new(Target::new(emu.base_url(), Some(ApiKey::new(key)))),
            options,
        )
    };
    let mut term = terminal();

    // --api-key football: the editor's "category": "football" survives the autosave and restore.
    let mut app = keyed("football");
    let text = football_pageviews(1, 1);
    app.set_editor_text(&text);
    let mut app = drive(app, &mut term, vec![key(F5)]).await;
    assert!(app.history()[0].succeeded(), "{}", app.status().text);
    app.close_autosave().unwrap();
    drop(app);
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(!saved.contains("****"), "nothing was masked: {saved}");
    let restored = drive(keyed("football"), &mut term, vec![]).await;
    assert_eq!(restored.editor_text(), text);
    assert_eq!(restored.history().len(), 1);

    // --api-key web: the copied curl's body keeps "type": "web".
    std::fs::remove_file(&path).unwrap();
    let mut app = keyed("web");
    app.set_clipboard_sink(Box::new(Sink::default()));
    app.set_editor_text(
        r#"[{"name": "Pageview", "time": "2026-03-06T12:00:00Z", "properties": {"client": {"type": "web", "domain": "x.example"}}}]"#,
    );
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let app = drive(app, &mut term, vec![key(KeyCode::Tab), ch('c')]).await;
    let curl = app
        .last_copied()
        .unwrap_or_else(|| panic!("a curl command: {:?} {}", app.status(), screen(&term)))
        .to_string();
    assert!(curl.contains(r#""type": "web""#), "{curl}");
    assert!(curl.contains("$PERMUTIVE_API_KEY"), "{curl}");
    let app = drive(app, &mut term, vec![ch('C')]).await;
    let send = app.last_copied().expect("a send command").to_string();
    assert!(send.contains(r#""type": "web""#), "{send}");
    emu.stop().await;
}
