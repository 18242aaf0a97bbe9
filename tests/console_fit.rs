//! 80×24 shows everything without a word cut in two: the main screen and each popup are drawn
//! at 250×70, where everything fits, and at 80×24 (and 100×30); every word on the small screen
//! must be a word of the big one (wrapped to another row is fine, cut at a border is not; a word
//! that ends in a visible `…` must begin one). The editor's own text is left out: it scrolls
//! sideways, as a text area does.

mod common;
use common::*;

use crossterm::event::{Event, KeyCode};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use segscope::console::App;
use segscope::console::view::layout::Panes;

/// Box drawing and block elements separate words, as spaces do.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || ('\u{2500}'..='\u{259F}').contains(&c)
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
}
