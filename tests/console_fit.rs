//! 80×24 shows everything without a word cut in two: the main screen and each popup are drawn
//! at 250×70, where everything fits, and at 80×24 (and 100×30); every word on the small screen
//! must be a word of the big one (wrapped to another row is fine, cut at a border is not; a word
//! that ends in a visible `…` must begin one, one that starts with it must end one). The
//! editor's own text is left out: it scrolls sideways, as a text area does.

mod common;
use common::*;

use std::path::Path;
use std::time::Duration;

use crossterm::event::{Event, KeyCode};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use segscope::console::App;
use segscope::console::AppOptions;
use segscope::console::model::live::LiveSetup;
use segscope::console::view::layout::Panes;
use segscope::emulator::{self, EmulatorConfig, Workspace};

/// Box drawing and block elements separate words, as spaces do; so do brackets and
/// punctuation, so a short form of a title (`(2 calls, 1 abandoned)` for `(2 calls, 1 on
/// abandoned branches)`) is made of whole words (a word cut at a corner still ends mid-letter).
fn is_separator(c: char) -> bool {
    c.is_whitespace() || ('\u{2500}'..='\u{259F}').contains(&c) || "(),;:#".contains(c)
}

/// The words of a region of the screen, row by row.
fn words_in(term: &Terminal<TestBackend>, region: Rect, skip: Option<Rect>) -> Vec<String> {
    let buf = term.backend().buffer();
    let mut words = Vec::new();
    for y in region.y..region.bottom() {
        let mut row = String::new();
        for x in region.x..region.right() {
            let hidden = skip.is_some_and(|s| s.contains(ratatui::layout::Position::new(x, y)));
            row.push_str(if hidden { " " } else { buf[(x, y)].symbol() });
        }
        words.extend(
            row.split(is_separator)
                .filter(|w| !w.is_empty())
                .map(str::to_string),
        );
    }
    words
}

/// The popup's frame (its double border), if one is open.
fn popup_rect(term: &Terminal<TestBackend>) -> Option<Rect> {
    let buf = term.backend().buffer();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            if buf[(x, y)].symbol() == "╔" {
                let right = (x..buf.area.width).find(|&r| buf[(r, y)].symbol() == "╗")?;
                let bottom = (y..buf.area.height).find(|&b| buf[(x, b)].symbol() == "╚")?;
                return Some(Rect::new(x, y, right - x + 1, bottom - y + 1));
            }
        }
    }
    None
}

/// Every word of the small screen (the popup's frame if one is open, else the whole screen but
/// the editor's text) is a word of the big one.
fn check(name: &str, big: &[String], term: &Terminal<TestBackend>) {
    let area = term.backend().buffer().area;
    let (region, skip) = match popup_rect(term) {
        Some(rect) => (rect, None),
        None => {
            let panes = Panes::new(area).expect("big enough");
            let editor = panes.editor;
            // The editor's border and title stay in; its text area is left out.
            let text = Rect::new(
                editor.x + 1,
                editor.y + 1,
                editor.width - 2,
                editor.height - 2,
            );
            (area, Some(text))
        }
    };
    // Short forms chosen for narrow widths: the identity bar's, the right-hand pane's tab.
    // And the log's key, named where the status line is cut.
    let allowed = ["Sync", "[Diff]", "Diff", "Ctrl+L", "log"];
    for word in words_in(term, region, skip) {
        let ok = if let Some(stem) = word.strip_suffix('…') {
            big.iter().any(|b| b.starts_with(stem))
        } else if let Some(stem) = word.strip_prefix('…') {
            // A text field scrolled to its end: the start is hidden, visibly.
            big.iter().any(|b| b.ends_with(stem))
        } else {
            big.contains(&word) || allowed.contains(&word.as_str())
        };
        assert!(
            ok,
            "{name} at {}×{}: {word:?} is cut:\n{}",
            area.width,
            area.height,
            screen(term)
        );
    }
}

async fn at(app: App, term: &mut Terminal<TestBackend>, width: u16, height: u16) -> App {
    term.backend_mut().resize(width, height);
    drive(app, term, vec![Event::Resize(width, height)]).await
}

#[tokio::test]
async fn no_word_is_cut_at_80x24_on_the_main_screen_or_in_a_popup() {
    let emu = emulator().await;
    let mut term = Terminal::new(TestBackend::new(250, 70)).unwrap();
    let mut app = app_for(&emu.base_url());
    for i in 0..2 {
        app.set_editor_text(&football_pageviews(3, 10 * i));
        app = drive(app, &mut term, vec![key(F5)]).await;
    }
    // Focus History, so its footer shows; each popup opens from there and closes with Esc.
    let mut app = drive(app, &mut term, vec![key(KeyCode::Tab)]).await;
    let scenarios: Vec<(&str, Vec<Event>)> = vec![
        ("main screen", vec![]),
        ("help (F1)", vec![key(KeyCode::F(1))]),
        ("new event (Ctrl+N)", vec![ctrl('n')]),
        ("alias form (F4)", vec![key(KeyCode::F(4))]),
        ("save form (F6)", vec![key(KeyCode::F(6))]),
        ("session picker (F7)", vec![key(KeyCode::F(7))]),
        ("message log (Ctrl+L)", vec![ctrl('l')]),
        ("explanation (e)", vec![ch('e')]),
        // Last: after it, History's title counts an abandoned branch and the Cohorts pane's
        // says what the next call sends (both were cut mid-word at 80 columns).
        ("after a rewind (r)", vec![ch('r')]),
    ];
    for (name, keys) in scenarios {
        app = drive(app, &mut term, keys).await;
        let big = words_in(&term, term.backend().buffer().area, None);
        for (width, height) in [(80, 24), (100, 30)] {
            app = at(app, &mut term, width, height).await;
            check(name, &big, &term);
        }
        app = at(app, &mut term, 250, 70).await;
        // Back to the main screen, in History, for the next one.
        app = drive(app, &mut term, vec![key(KeyCode::Esc)]).await;
        if app.focus() != segscope::console::Focus::History {
            app = drive(app, &mut term, vec![key(KeyCode::Tab)]).await;
        }
    }
}

/// The interior rows of the open popup, as text (between its side borders).
fn popup_rows(term: &Terminal<TestBackend>) -> Vec<String> {
    let rect = popup_rect(term).unwrap_or_else(|| panic!("no popup:\n{}", screen(term)));
    let buf = term.backend().buffer();
    (rect.y + 1..rect.bottom() - 1)
        .map(|y| {
            (rect.x + 1..rect.right() - 1)
                .map(|x| buf[(x, y)].symbol())
                .collect()
        })
        .collect()
}

/// The open popup is as tall as what it shows: its last interior row is not blank, and no two
/// blank rows follow each other (one may separate a text from the fields).
fn assert_tight(term: &Terminal<TestBackend>) {
    let rows = popup_rows(term);
    let blank = |row: &String| row.trim().is_empty();
    assert!(
        !rows.last().is_some_and(blank),
        "a blank row at the bottom:\n{}",
        screen(term)
    );
    assert!(
        !rows.windows(2).any(|w| blank(&w[0]) && blank(&w[1])),
        "blank rows in the popup:\n{}",
        screen(term)
    );
}

/// The alias form (F4) at 80×24 is as tall as its content; its error, when there is one, wraps
/// inside it.
#[tokio::test]
async fn the_alias_form_at_80x24_is_as_tall_as_its_content() {
    let emu = emulator().await;
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let app = app_for(&emu.base_url());
    let app = drive(app, &mut term, vec![key(KeyCode::F(4))]).await;
    assert_tight(&term);
    assert!(screen(&term).contains("> tag"), "{}", screen(&term));
    // Enter with both fields empty: the error shows, under the fields, and the form grows to it.
    let _app = drive(app, &mut term, vec![key(KeyCode::Enter)]).await;
    assert!(
        screen(&term).contains("Both the tag and the id are needed."),
        "{}",
        screen(&term)
    );
    assert_tight(&term);
}

/// The save form (F6) at 80×24 too: no empty error rows under its choices until there is an
/// error to show.
#[tokio::test]
async fn the_save_form_at_80x24_is_as_tall_as_its_content() {
    let emu = emulator().await;
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&football_pageviews(1, 1));
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let app = drive(app, &mut term, vec![key(KeyCode::F(6))]).await;
    assert!(screen(&term).contains("Save session"), "{}", screen(&term));
    assert_tight(&term);
    // An empty name: the error shows under the choices, and the form grows to it.
    let keys = vec![key(KeyCode::Home), ctrl('k'), key(KeyCode::Enter)];
    let _app = drive(app, &mut term, keys).await;
    assert!(
        screen(&term).contains("A session needs a name and a file."),
        "{}",
        screen(&term)
    );
    assert_tight(&term);
}

#[tokio::test]
async fn no_word_is_cut_at_80x24_while_replaying_a_session() {
    let emu = emulator().await;
    let mut term = Terminal::new(TestBackend::new(250, 70)).unwrap();
    let mut app = app_for(&emu.base_url());
    assert!(app.open_session(std::path::Path::new("bundled:02-live-blog-window")));
    for step in 0..3 {
        app = drive(app, &mut term, vec![key(KeyCode::F(8))]).await;
        let big = words_in(&term, term.backend().buffer().area, None);
        for (width, height) in [(80, 24), (100, 30)] {
            app = at(app, &mut term, width, height).await;
            check(&format!("replay step {}", step + 1), &big, &term);
        }
        app = at(app, &mut term, 250, 70).await;
    }
    // After the session, an ordinary call of the same user: the Cohorts pane lists "Politics and
    // economy readers", wider than the pane at 80 columns.
    app.set_editor_text(&football_pageviews(1, 50));
    app = drive(app, &mut term, vec![key(F5)]).await;
    let big = words_in(&term, term.backend().buffer().area, None);
    assert!(big.contains(&"economy".to_string()), "{}", screen(&term));
    for (width, height) in [(80, 24), (100, 30)] {
        app = at(app, &mut term, width, height).await;
        check("the Cohorts pane", &big, &term);
    }
}

#[tokio::test]
async fn no_word_is_cut_at_80x24_in_the_edit_comparison() {
    let dir = state_dir();
    copy_demo_workspace(dir.path());
    let workspace = Workspace::load(dir.path()).expect("the copy loads");
    let running = emulator::spawn(
        EmulatorConfig::new(workspace),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let mut app = app_with(
        &running.base_url(),
        AppOptions {
            live_workspace: Some(LiveSetup {
                dir: dir.path().to_path_buf(),
                emulator: running.config().clone(),
            }),
            ..options()
        },
    );
    let mut term = Terminal::new(TestBackend::new(250, 70)).unwrap();
    app.set_editor_text(&football_pageviews(3, 1));
    let mut app = drive(app, &mut term, vec![key(F5)]).await;
    set_football_threshold(dir.path(), 4);
    let settled = app
        .settle_until(Duration::from_secs(20), |a| {
            a.workspace_edits() >= 1 && a.redecision(a.history()[0].id).is_some()
        })
        .await;
    assert!(settled, "the edit was not picked up: {}", app.status().text);
    let mut app = drive(app, &mut term, vec![key(KeyCode::Tab), ch('d')]).await;
    let big = words_in(&term, term.backend().buffer().area, None);
    assert!(
        popup_rect(&term).is_some(),
        "d opened nothing:\n{}",
        screen(&term)
    );
    for (width, height) in [(80, 24), (100, 30)] {
        app = at(app, &mut term, width, height).await;
        check("edit comparison (d)", &big, &term);
    }
}

#[tokio::test]
async fn no_word_is_cut_at_80x24_in_an_identity_separator() {
    let emu = emulator().await;
    let mut term = Terminal::new(TestBackend::new(250, 70)).unwrap();
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&football_pageviews(1, 1));
    let mut app = drive(app, &mut term, vec![key(F5)]).await;
    // The session's user is another identity: History draws a separator naming its user_id,
    // which is wider than the pane at 80 columns.
    assert!(app.open_session(Path::new("bundled:01-football-fan")));
    let mut app = drive(app, &mut term, vec![key(KeyCode::F(8))]).await;
    let big = words_in(&term, term.backend().buffer().area, None);
    assert!(screen(&term).contains("── user "), "{}", screen(&term));
    for (width, height) in [(80, 24), (100, 30)] {
        app = at(app, &mut term, width, height).await;
        check("an identity separator", &big, &term);
    }
}
