//! Sessions in the console: save the history (F6), open a session (F7 or
//! `App::open_session`, as `--session FILE` does), and replay it step by step (F8) with the
//! recorded and actual cohorts side by side. Driven through the real loop into a `TestBackend`
//! against an in-process emulator on 127.0.0.1; no timing anywhere.

mod common;
use common::*;

use std::path::{Path, PathBuf};

use crossterm::event::{Event, KeyCode};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use segscope::api::{ApiKey, Client, Target};
use segscope::console::App;
use segscope::emulator::EMBEDDED_KEY;
use segscope::session::{self, ReplayOptions, RunOptions, Session, Verdict};

// ---------------------------------------------------------------- harness

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(160, 45)).unwrap()
}

const F6: KeyCode = KeyCode::F(6);
const F7: KeyCode = KeyCode::F(7);
const F8: KeyCode = KeyCode::F(8);

/// The (x, y) of the first cell showing `symbol` whose row also contains `row_has`.
fn find_cell(term: &Terminal<TestBackend>, symbol: &str, row_has: &str) -> Option<(u16, u16)> {
    let buf = term.backend().buffer();
    let text = screen(term);
    for (y, line) in text.lines().enumerate() {
        if !line.contains(row_has) {
            continue;
        }
        for x in 0..buf.area.width {
            if buf[(x, y as u16)].symbol() == symbol {
                return Some((x, y as u16));
            }
        }
    }
    None
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("segscope-c6-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// F6, then the file field (third) replaced by `path`, then Enter.
fn save_as(path: &Path) -> Vec<Event> {
    let mut keys = vec![
        key(F6),
        key(KeyCode::Tab),
        key(KeyCode::Tab),
        key(KeyCode::Home),
        ctrl('k'),
    ];
    keys.extend(typed(&path.display().to_string()));
    keys.push(key(KeyCode::Enter));
    keys
}

/// One football Pageview a minute before now.
fn football_pageview(i: usize) -> String {
    let time =
        jiff::Timestamp::from_second(jiff::Timestamp::now().as_second() - 600 + i as i64).unwrap();
    serde_json::to_string_pretty(&serde_json::json!([{
        "name": "Pageview",
        "time": time.to_string(),
        "properties": {
            "article": {"title": format!("Match report {i}"), "category": "football"},
            "client": {"url": format!("https://www.dailycourier.example/football/{i}"), "domain": "www.dailycourier.example"}
        }
    }]))
    .unwrap()
}

/// Three calls, one football Pageview each (the third makes a football fan).
async fn three_calls(mut app: App, term: &mut Terminal<TestBackend>) -> App {
    for i in 0..3 {
        app.set_editor_text(&football_pageview(i));
        app = drive(app, term, vec![key(F5)]).await;
    }
    assert_eq!(app.history().len(), 3);
    assert!(app.history().iter().all(|c| c.succeeded()));
    app
}

fn bundled(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/sessions")
        .join(name)
}

fn run_options() -> RunOptions {
    RunOptions {
        replay: ReplayOptions::default(),
        update: false,
        jobs: 1,
    }
}

// ---------------------------------------------------------------- saving

#[tokio::test]
async fn f6_saves_the_history_as_a_session_that_replays() {
    let emu = emulator().await;
    let mut term = terminal();
    let app = three_calls(app_for(&emu.base_url()), &mut term).await;
    let path = temp_dir().join("three-calls.json");

    // The form opens pre-filled: a name and a file under sessions/ (here: the data directory's).
    let app = drive(app, &mut term, vec![key(F6)]).await;
    let text = screen(&term);
    assert!(text.contains("Save session"), "{text}");
    assert!(text.contains("console session"), "{text}");
    assert!(text.contains("sessions/console-session.json"), "{text}");
    let app = drive(app, &mut term, vec![key(KeyCode::Esc)]).await;

    let app = drive(app, &mut term, save_as(&path)).await;
    assert!(
        app.status().text.starts_with("Saved \"console session\""),
        "{}",
        app.status().text
    );
    let saved = Session::load(&path).expect("the saved file parses");
    assert_eq!(saved.format, "segscope-session/1");
    assert_eq!(saved.name, "console session");
    assert_eq!(saved.steps.len(), 3);
    assert!(saved.initial_state.is_none(), "a new user starts empty");
    assert_eq!(
        saved.identity.to_identity().unwrap(),
        app.identity().clone()
    );
    assert_eq!(saved.recorded_against.as_deref(), Some(&*emu.base_url()));
    for (step, call) in saved.steps.iter().zip(app.history()) {
        let expect = step.expect.as_ref().expect("each step has its recording");
        assert_eq!(expect.status, 200);
        assert_eq!(expect.cohorts, call.delta.members);
        assert!(step.synchronous_validation);
    }
    assert!(
        saved.steps[2]
            .expect
            .as_ref()
            .unwrap()
            .entered
            .contains(&"1001".to_string())
    );

    let client = Client::new(Target::new(emu.base_url(), Some(ApiKey::new(EMBEDDED_KEY))));
    let report = session::run_file(&client, &path, run_options()).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(report.steps.len(), 3);
    for step in &report.steps {
        assert_eq!(
            step.verdict,
            Verdict::Passed,
            "{}",
            session::report::text(&report)
        );
    }
}

#[tokio::test]
async fn an_existing_file_is_overwritten_only_after_a_second_enter() {
    let emu = emulator().await;
    let mut term = terminal();
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&football_pageview(0));
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let path = temp_dir().join("taken.json");
    std::fs::write(&path, "precious\n").unwrap();

    let app = drive(app, &mut term, save_as(&path)).await;
    let text = screen(&term);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "precious\n");
    assert!(text.contains("exists: Enter again overwrites it"), "{text}");
    assert!(text.contains("Save session"), "the form stays open: {text}");

    let app = drive(app, &mut term, vec![key(KeyCode::Enter)]).await;
    let saved = Session::load(&path).expect("overwritten after the confirmation");
    assert_eq!(saved.steps.len(), 1);
    assert!(
        app.status().text.starts_with("Saved"),
        "{}",
        app.status().text
    );
    assert!(!screen(&term).contains("Save session"));
}

#[tokio::test]
async fn a_keyed_target_never_reaches_the_file() {
    const SECRET: &str = "pk_live_SECRETc6f0a1b2c3d4zq9X";
    let emu = emulator().await;
    let mut term = terminal();
    let app = three_calls(app_with_key(&emu.base_url(), SECRET), &mut term).await;
    let path = temp_dir().join("keyed.json");
    let _app = drive(app, &mut term, save_as(&path)).await;

    let text = std::fs::read_to_string(&path).expect("saved");
    assert!(Session::parse(&text, "keyed.json").is_ok());
    let masked = ApiKey::new(SECRET).masked();
    for needle in [SECRET, "SECRET", &SECRET[8..], &masked, "zq9X"] {
        assert!(!text.contains(needle), "{needle:?} is in the file:\n{text}");
    }
    assert!(!screen(&term).contains("SECRET"));
}

/// The save form's file field at 80×24, holding a path longer than the field (as a long
/// `$XDG_DATA_HOME` gives): the text area scrolls to the cursor, and the field says which end is
/// hidden with a `…` instead of showing a tail that looks like a whole path. Still editable.
#[tokio::test]
async fn a_long_file_path_in_the_save_form_shows_that_its_start_is_hidden() {
    let emu = emulator().await;
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let app = three_calls(app_for(&emu.base_url()), &mut term).await;
    let dir = "/tmp/a-rather-long-data-home-for-this-test/and-deeper-still/segscope/sessions";
    let path = format!("{dir}/console-session.json");
    let mut keys = vec![
        key(F6),
        key(KeyCode::Tab),
        key(KeyCode::Tab),
        key(KeyCode::Home),
        ctrl('k'),
    ];
    keys.extend(typed(&path));
    let app = drive(app, &mut term, keys).await;
    let field = |term: &Terminal<TestBackend>| {
        let text = screen(term);
        let row = text
            .lines()
            .find(|l| l.contains("> file"))
            .unwrap_or_else(|| panic!("no file field:\n{text}"))
            .to_string();
        let after = row.split("> file").nth(1).unwrap().trim_start().to_string();
        // Up to the popup's right border.
        after.split('║').next().unwrap().trim_end().to_string()
    };
    // The cursor at the end: the file name shows, after a `…` for the hidden start.
    let shown = field(&term);
    assert!(shown.starts_with('…'), "{shown:?}\n{}", screen(&term));
    assert!(shown.ends_with("console-session.json"), "{shown:?}");
    assert!(path.ends_with(shown.trim_start_matches('…')), "{shown:?}");
    // Home: the start shows, and a `…` says the rest is further right.
    let app = drive(app, &mut term, vec![key(KeyCode::Home)]).await;
    let shown = field(&term);
    assert!(shown.starts_with("/tmp/a-rather-long"), "{shown:?}");
    assert!(shown.ends_with('…'), "{shown:?}\n{}", screen(&term));
    // Still an ordinary text field: the whole path is what is saved.
    let app = drive(app, &mut term, vec![key(KeyCode::Esc)]).await;
    drop(app);
}

// ---------------------------------------------------------------- playback

#[tokio::test]
async fn f8_steps_through_a_bundled_session_as_recorded() {
    let emu = emulator().await;
    let mut term = terminal();
    let app = app_for(&emu.base_url());

    // F7 lists the bundled sessions with their names; the first is 01-football-fan.
    let app = drive(app, &mut term, vec![key(F7)]).await;
    let text = screen(&term);
    assert!(text.contains("Open a session"), "{text}");
    assert!(text.contains("bundled:01-football-fan"), "{text}");
    assert!(text.contains("A reader becomes a football fan"), "{text}");
    assert!(text.contains("bundled:06-engagement"), "{text}");
    let mut app = drive(app, &mut term, vec![key(KeyCode::Enter)]).await;
    assert!(
        app.status()
            .text
            .contains("Opened bundled:01-football-fan (3 steps): \"A reader becomes a football fan\". Next: step 1/3 (first football article): F8 or Alt+R sends it."),
        "{}",
        app.status().text
    );
    assert!(screen(&term).contains("F8 or Alt+R step 1/3"));

    for step in 1..=3 {
        app = drive(app, &mut term, vec![key(F8)]).await;
        let text = screen(&term);
        assert_eq!(app.history().len(), step);
        assert!(
            app.status().text.contains(&format!(
                "step {step}/3 of \"A reader becomes a football fan\""
            )),
            "{}",
            app.status().text
        );
        assert!(app.status().text.contains(": as recorded."), "{text}");
        assert!(text.contains("recorded | actual"), "{text}");
        assert!(
            text.contains(&format!("step {step}/3 ✓ as recorded")),
            "{text}"
        );
        assert!(!text.contains('≠'), "{text}");
    }
    let text = screen(&term);
    // The editor shows the events of the step sent last.
    assert!(text.contains("Transfer deadline roundup"), "{text}");
    // 1001 entered on both sides.
    let row = text
        .lines()
        .find(|l| l.contains("1001") && l.contains("Football fans"))
        .unwrap_or_else(|| panic!("a 1001 row: {text}"));
    assert_eq!(row.matches("+ entered").count(), 2, "{row}");
    assert!(
        app.status().text.contains("3 passed, 0 failed"),
        "{}",
        app.status().text
    );
    // Every history row carries its verdict.
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("200") && l.contains("✓ +"))
            .count(),
        3,
        "{text}"
    );
    // The state was threaded from the live responses.
    let calls = app.history();
    assert_eq!(
        calls[2].state_before().map(|s| s.as_str()),
        calls[1].state_after.as_ref().map(|s| s.as_str())
    );
    assert!(screen(&term).contains("F8 or Alt+R replay again"));
}

/// A session file's entries are steps (they become calls once sent): the picker and the message
/// after opening count them with the same word.
#[tokio::test]
async fn the_picker_and_the_opened_message_count_the_same_steps() {
    let emu = emulator().await;
    let mut term = terminal();
    let app = app_for(&emu.base_url());
    let app = drive(app, &mut term, vec![key(F7)]).await;
    let text = screen(&term);
    let row = text
        .lines()
        .find(|l| l.contains("bundled:01-football-fan"))
        .unwrap_or_else(|| panic!("no row for 01-football-fan:\n{text}"));
    assert!(row.contains("(3 steps)"), "{row}");
    let app = drive(app, &mut term, vec![key(KeyCode::Enter)]).await;
    let status = &app.status().text;
    assert!(
        status.starts_with("Opened bundled:01-football-fan (3 steps): "),
        "{status}"
    );
    assert!(!status.contains("calls"), "{status}");
}

#[tokio::test]
async fn a_tampered_recording_is_marked_and_explained() {
    let emu = emulator().await;
    let mut term = terminal();
    let dir = temp_dir();
    let path = dir.join("tampered.json");
    let mut session: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bundled("01-football-fan.json")).unwrap())
            .unwrap();
    session["steps"][1]["expect"]["cohorts"] = serde_json::json!(["1001"]);
    session["steps"][1]["expect"]["entered"] = serde_json::json!(["1001"]);
    std::fs::write(&path, serde_json::to_string_pretty(&session).unwrap()).unwrap();

    let mut app = app_for(&emu.base_url());
    assert!(app.open_session(&path));
    let app = drive(app, &mut term, vec![key(F8)]).await;
    let app = drive(app, &mut term, vec![key(F8)]).await;
    let text = screen(&term);
    assert!(
        app.status().text.contains(
            "step 2/3 of \"A reader becomes a football fan\": ≠ not as recorded: recorded 1001 entered; actually not entered. Next: step 3/3"
        ),
        "{}",
        app.status().text
    );
    // The history row of step 2 carries a red ≠.
    let (x, y) = find_cell(&term, "≠", "> 2").unwrap_or_else(|| panic!("a ≠ in row 2: {text}"));
    assert_eq!(term.backend().buffer()[(x, y)].fg, Color::LightRed);
    // The cohorts pane: both columns, and the difference in words.
    assert!(text.contains("step 2/3 ≠ not as recorded"), "{text}");
    let row = text
        .lines()
        .find(|l| l.contains("1001") && l.contains("Football fans"))
        .unwrap_or_else(|| panic!("a 1001 row: {text}"));
    assert!(row.contains("≠") && row.contains("+ entered"), "{row}");
    assert!(
        text.contains("recorded 1001 entered; actually not entered"),
        "{text}"
    );

    // The state follows the live answers, so step 3 still goes as recorded.
    let app = drive(app, &mut term, vec![key(F8)]).await;
    assert!(
        app.status().text.contains("2 passed, 1 failed"),
        "{}",
        app.status().text
    );
    let text = screen(&term);
    let history_row = |n: &str| {
        text.lines()
            .find(|l| l.contains(&format!(" {n}   --:--:-- ")))
            .unwrap_or_else(|| panic!("row {n}: {text}"))
            .to_string()
    };
    assert!(history_row("1").contains('✓'));
    assert!(history_row("2").contains('≠'));
    assert!(history_row("3").contains('✓'));
}

#[tokio::test]
async fn a_broken_session_file_changes_nothing() {
    let emu = emulator().await;
    let mut term = terminal();
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&football_pageview(0));
    let mut app = drive(app, &mut term, vec![key(F5)]).await;
    assert!(app.open_session(&bundled("01-football-fan.json")));
    app.set_editor_text("[\n  {\"name\": \"my work in progress\"\n]");
    let editor = app.editor_text();
    let state = app.state().map(|s| s.as_str().to_string());
    let identity = app.identity().clone();

    let path = temp_dir().join("broken.json");
    std::fs::write(
        &path,
        "{\n  \"format\": \"segscope-session/1\",\n  \"name\": \"half\"\n  \"steps\": []\n}\n",
    )
    .unwrap();
    assert!(!app.open_session(&path));
    let app = drive(app, &mut term, vec![]).await;
    let status = &app.status().text;
    assert!(status.contains(&path.display().to_string()), "{status}");
    assert!(status.contains("line 4, column 3"), "{status}");
    assert!(screen(&term).contains("line 4, column 3"));
    assert_eq!(app.editor_text(), editor);
    assert_eq!(app.state().map(|s| s.as_str().to_string()), state);
    assert_eq!(app.identity(), &identity);
    assert_eq!(app.history().len(), 1);
    // The session open before is still the one F8 steps through.
    let playback = app.playback().expect("still open");
    assert_eq!(playback.session.name, "A reader becomes a football fan");

    // A file that is not there says so too.
    let mut app = app;
    assert!(!app.open_session(&temp_dir().join("missing.json")));
    assert!(
        app.status().text.contains("cannot read"),
        "{}",
        app.status().text
    );
}
