//! Never lose a message: a status line that says visibly when it is cut, a log of every status
//! message (Ctrl+L), `--session FILE` said beside the autosave's restore, and a save dialog (F6)
//! that says exactly what it will save and lets the user choose. Driven through the real loop
//! into a `TestBackend` against an in-process emulator on 127.0.0.1.

mod common;
use common::*;

use std::path::{Path, PathBuf};

use crossterm::event::{Event, KeyCode};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use segscope::console::App;
use segscope::session::Session;

const F2: KeyCode = KeyCode::F(2);
const F3: KeyCode = KeyCode::F(3);
const F6: KeyCode = KeyCode::F(6);

fn sized(width: u16, height: u16) -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(width, height)).unwrap()
}

/// The status line: the screen's last row but one.
fn status_row(term: &Terminal<TestBackend>) -> String {
    let text = screen(term);
    let rows: Vec<&str> = text.lines().collect();
    rows[rows.len() - 2].to_string()
}

/// A path long enough that no terminal shows the message about it whole.
fn long_missing_path(dir: &Path) -> PathBuf {
    let mut path = dir.to_path_buf();
    for part in 0..6 {
        path.push(format!(
            "a-directory-with-a-long-name-{part}-{}",
            "x".repeat(20)
        ));
    }
    path.join("missing-session.json")
}

#[tokio::test]
async fn a_cut_status_line_ends_in_an_ellipsis_at_any_width() {
    let emu = emulator().await;
    let dir = state_dir();
    let path = long_missing_path(dir.path());
    for (width, height) in [(60, 20), (80, 24), (100, 30), (160, 40), (250, 70)] {
        let mut term = sized(width, height);
        let mut app = app_for(&emu.base_url());
        assert!(!app.open_session(&path));
        let app = drive(app, &mut term, vec![]).await;
        let whole = app.status().text.clone();
        assert!(whole.chars().count() > 250, "{whole}");
        if width < 80 {
            continue; // "terminal too small"
        }
        let row = status_row(&term);
        assert!(
            row.contains('…'),
            "{width}×{height}: no ellipsis on a cut status line: {row:?}"
        );
        assert!(row.ends_with("Ctrl+L log"), "{width}×{height}: {row:?}");
        assert!(
            row.chars().count() <= usize::from(width),
            "{width}×{height}: {row:?}"
        );
        // What is shown is the message's beginning.
        let shown = row.trim_start_matches([' ', '✗']);
        let shown = shown.split('…').next().unwrap();
        assert!(whole.starts_with(shown), "{shown:?} / {whole:?}");
    }
}

#[tokio::test]
async fn every_status_message_goes_to_a_log_with_the_clocks_time() {
    let emu = emulator().await;
    let mut term = sized(80, 24);
    let app = app_for(&emu.base_url());
    let clock = app.options().time.now();
    // Three messages, each replacing the one before on the status line.
    let app = drive(app, &mut term, vec![key(F2), key(F2), key(F3)]).await;
    assert!(app.status().text.starts_with("New user"));
    let log: Vec<_> = app.model().messages().entries().cloned().collect();
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(log[0].text.starts_with("Synchronous validation OFF"));
    assert!(log[1].text.starts_with("Synchronous validation ON"));
    assert!(log[2].text.starts_with("New user"));
    // The time comes from the injected clock (fixed here), not the machine's.
    assert!(log.iter().all(|m| m.at == clock), "{log:?}");

    // Ctrl+L opens the log, newest at the bottom, every message whole (wrapped, not cut).
    let app = drive(app, &mut term, vec![ctrl('l')]).await;
    let text = screen(&term);
    assert!(text.contains("Messages (3)"), "{text}");
    let joined = text
        .lines()
        .filter_map(|l| {
            let (a, b) = (l.find('║')?, l.rfind('║')?);
            (a < b).then(|| &l[a + '║'.len_utf8()..b])
        })
        .collect::<Vec<_>>()
        .join(" ");
    for message in &log {
        let words: Vec<&str> = message.text.split_whitespace().collect();
        let squeezed = joined.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            squeezed.contains(&words.join(" ")),
            "{:?} is not whole in the log:\n{text}",
            message.text
        );
    }
    let new_user = text.find("New user").unwrap();
    assert!(text.find("validation OFF").unwrap() < new_user, "{text}");
    // Esc closes it.
    let _app = drive(app, &mut term, vec![key(KeyCode::Esc)]).await;
    assert!(!screen(&term).contains("Messages (3)"));
}

/// An autosave with one call in `path`: a console that made one call and closed.
async fn autosave_with_a_call(base_url: &str, path: &Path) {
    let mut term = sized(120, 40);
    let mut options = options();
    options.autosave = Some(path.to_path_buf());
    let mut app = app_with(base_url, options);
    app.set_editor_text(&football_pageviews(1, 1));
    let mut app = drive(app, &mut term, vec![key(F5)]).await;
    assert_eq!(app.history().len(), 1);
    app.close_autosave().unwrap();
}

fn restarted(base_url: &str, autosave: &Path, session: &Path) -> App {
    let mut options = options();
    options.autosave = Some(autosave.to_path_buf());
    options.session = Some(session.to_path_buf());
    app_with(base_url, options)
}

#[tokio::test]
async fn a_missing_or_broken_session_at_start_is_said_beside_the_restore() {
    let emu = emulator().await;
    let dir = state_dir();
    let autosave = dir.path().join("autosave.json");
    autosave_with_a_call(&emu.base_url(), &autosave).await;
    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        "{\n  \"format\": \"segscope-session/1\",\n  \"name\": \"half\"\n",
    )
    .unwrap();
    for session in [dir.path().join("missing.json"), broken] {
        let mut term = sized(250, 40);
        let app = drive(
            restarted(&emu.base_url(), &autosave, &session),
            &mut term,
            vec![],
        )
        .await;
        let status = &app.status().text;
        let file = session.display().to_string();
        assert!(
            status.contains("Cannot open the session") && status.contains(&file),
            "{status}"
        );
        assert!(status.contains("Restored 1 call from autosave"), "{status}");
        assert_eq!(app.history().len(), 1, "the restore happened");
        assert!(app.playback().is_none());
        // Each is in the log on its own, the restore first.
        let log: Vec<String> = app
            .model()
            .messages()
            .entries()
            .map(|m| m.text.clone())
            .collect();
        assert_eq!(log.len(), 2, "{log:?}");
        assert!(log[0].starts_with("Restored 1 call"), "{log:?}");
        assert!(log[1].starts_with("Cannot open the session"), "{log:?}");
        assert!(status_row(&term).contains("Cannot open the session"));
    }
}

#[tokio::test]
async fn a_good_session_at_start_says_opened_with_its_steps() {
    let emu = emulator().await;
    let dir = state_dir();
    let autosave = dir.path().join("autosave.json");
    autosave_with_a_call(&emu.base_url(), &autosave).await;
    let session =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sessions/01-football-fan.json");
    let mut term = sized(250, 40);
    let app = drive(
        restarted(&emu.base_url(), &autosave, &session),
        &mut term,
        vec![],
    )
    .await;
    let status = &app.status().text;
    assert!(
        status.starts_with(&format!("Opened {} (3 steps)", session.display())),
        "{status}"
    );
    assert!(status.contains("Restored 1 call from autosave"), "{status}");
    assert!(app.playback().is_some());
    assert!(screen(&term).contains("Opened "));
}

// ---------------------------------------------------------------- F6 says what it saves

/// One football Pageview, `i` seconds into the last ten minutes.
fn pageview(i: usize) -> String {
    football_pageviews(1, i)
}

/// Three calls of a first user, F3, then two of a second.
async fn two_users(term: &mut Terminal<TestBackend>) -> (App, segscope::emulator::RunningEmulator) {
    let emu = emulator().await;
    let mut app = app_for(&emu.base_url());
    for i in 0..3 {
        app.set_editor_text(&pageview(i));
        app = drive(app, term, vec![key(F5)]).await;
    }
    app = drive(app, term, vec![key(F3)]).await;
    for i in 3..5 {
        app.set_editor_text(&pageview(i));
        app = drive(app, term, vec![key(F5)]).await;
    }
    assert_eq!(app.history().len(), 5);
    (app, emu)
}

/// The save form's file field replaced by `path`, the scope field reached, then Enter.
/// F6, then saves to `path` (choosing "up to the selected call" when `toggle_scope`): the console
/// after it, and the session it wrote.
async fn save(
    app: App,
    term: &mut Terminal<TestBackend>,
    path: &Path,
    toggle_scope: bool,
) -> (App, Session) {
    let app = drive(app, term, save_to(path, toggle_scope)).await;
    let saved = Session::load(path).expect("saved");
    (app, saved)
}

fn save_to(path: &Path, toggle_scope: bool) -> Vec<Event> {
    let mut keys = vec![
        key(KeyCode::Tab),
        key(KeyCode::Tab),
        key(KeyCode::Home),
        ctrl('k'),
    ];
    keys.extend(typed(&path.display().to_string()));
    keys.push(key(KeyCode::Tab));
    if toggle_scope {
        keys.push(key(KeyCode::Char(' ')));
    }
    keys.push(key(KeyCode::Enter));
    keys
}

#[tokio::test]
async fn f6_says_exactly_what_it_saves_and_saves_that() {
    let mut term = sized(120, 36);
    let (app, _emu) = two_users(&mut term).await;
    let second = app.identity().clone();
    let app = drive(app, &mut term, vec![key(F6)]).await;
    let text = screen(&term);
    // Not the five calls of the history: the two of this user, by number, and why not the rest.
    assert!(text.contains("Saves 2 calls of user"), "{text}");
    assert!(text.contains("(#4–#5)"), "{text}");
    assert!(
        text.contains("Not saved: 3 calls before (another"),
        "{text}"
    );
    assert!(!text.contains("5 calls"), "{text}");
    let dir = state_dir();
    let path = dir.path().join("second.json");
    let (app, saved) = save(app, &mut term, &path, false).await;
    assert_eq!(saved.steps.len(), 2);
    assert_eq!(saved.identity.to_identity().unwrap(), second);
    assert!(
        app.status().text.contains("2 calls of user"),
        "{}",
        app.status().text
    );
}

#[tokio::test]
async fn f6_saves_up_to_the_selected_call_or_all_of_its_user() {
    let mut term = sized(120, 36);
    let (app, _emu) = two_users(&mut term).await;
    let first = app.history()[0].identity().clone();
    // Select call #2 (the first user's) in History.
    let app = drive(
        app,
        &mut term,
        vec![
            key(KeyCode::Tab),
            key(KeyCode::Up),
            key(KeyCode::Up),
            key(KeyCode::Up),
        ],
    )
    .await;
    assert_eq!(app.selected_call().unwrap().id, app.history()[1].id);

    // All calls of this user: the first user's three.
    let app = drive(app, &mut term, vec![key(F6)]).await;
    let text = screen(&term);
    assert!(text.contains("Saves 3 calls of user"), "{text}");
    assert!(text.contains("(#1–#3)"), "{text}");
    assert!(text.contains("Not saved: 2 calls after."), "{text}");
    assert!(text.contains("up to the selected call #2 (2)"), "{text}");
    let dir = state_dir();
    let all = dir.path().join("all.json");
    let (app, saved) = save(app, &mut term, &all, false).await;
    assert_eq!(saved.steps.len(), 3);
    assert_eq!(saved.identity.to_identity().unwrap(), first);

    // Up to the selected call: two.
    let up_to = dir.path().join("up-to.json");
    let app = drive(app, &mut term, vec![key(F6)]).await;
    let (app, saved) = save(app, &mut term, &up_to, true).await;
    assert_eq!(saved.steps.len(), 2, "{}", app.status().text);
    assert!(
        app.status().text.contains("2 calls of user"),
        "{}",
        app.status().text
    );
}

#[tokio::test]
async fn f6_follows_the_state_thread_over_an_abandoned_branch() {
    let emu = emulator().await;
    let mut term = sized(120, 36);
    let mut app = app_for(&emu.base_url());
    for i in 0..2 {
        app.set_editor_text(&pageview(i));
        app = drive(app, &mut term, vec![key(F5)]).await;
    }
    // Rewind to just before call #2 and send again: #3 continues #1; #2 is an abandoned branch.
    let app = drive(app, &mut term, vec![key(KeyCode::Tab), ch('r'), key(F5)]).await;
    assert_eq!(app.history().len(), 3);
    assert_eq!(
        app.history()[2].state_before().map(|s| s.as_str()),
        app.history()[0].state_after.as_ref().map(|s| s.as_str())
    );
    let app = drive(app, &mut term, vec![key(F6)]).await;
    let text = screen(&term);
    assert!(text.contains("Saves 2 calls of user"), "{text}");
    assert!(text.contains("(#1, #3)"), "{text}");
    assert!(text.contains("Not saved: 1 call before"), "{text}");
    let dir = state_dir();
    let path = dir.path().join("thread.json");
    let (_app, saved) = save(app, &mut term, &path, false).await;
    assert_eq!(saved.steps.len(), 2);
    assert!(saved.initial_state.is_none());
}
