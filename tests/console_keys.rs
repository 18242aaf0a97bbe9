//! Keys you can find: the footer shows the focused pane's keys (from the keymap), every F-key
//! action has a second key that terminals without F-keys can send (VS Code's terminal, macOS
//! without Fn) and that the editor's text area does not use, and `q`/Ctrl+C say how to quit.

mod common;
use common::*;
#[path = "common/pty.rs"]
mod pty;
use pty::PtyConsole;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui_textarea::TextArea;
use segscope::console::Focus;
use segscope::console::keymap::{Action, KEYMAP, Scope};

fn sized(width: u16, height: u16) -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(width, height)).unwrap()
}

fn footer_row(term: &Terminal<TestBackend>) -> String {
    screen(term).lines().last().unwrap_or_default().to_string()
}

fn alt(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT))
}

#[tokio::test]
async fn the_footer_shows_the_focused_panes_keys() {
    let emu = emulator().await;
    let mut term = sized(80, 24);
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&football_pageviews(1, 1));
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let editor = footer_row(&term);
    assert!(
        editor.starts_with(" F5 send · Ctrl+N new event · Ctrl+F format"),
        "{editor:?}"
    );
    let app = drive(app, &mut term, vec![key(KeyCode::Tab)]).await;
    assert_eq!(app.focus(), Focus::History);
    let history = footer_row(&term);
    assert!(
        history.starts_with(" r rewind · e why · y copy · c curl"),
        "{history:?}"
    );
    // One column short at 80 (the pane's last hint gives way whole); from 100 on, R is there.
    term.backend_mut().resize(100, 30);
    let app = drive(app, &mut term, vec![Event::Resize(100, 30)]).await;
    let wider = footer_row(&term);
    assert!(
        wider.starts_with(" r rewind · e why · y copy · c curl · R retry · Tab focus"),
        "{wider:?}"
    );
    let app = drive(app, &mut term, vec![key(KeyCode::Tab)]).await;
    let cohorts = footer_row(&term);
    assert!(cohorts.starts_with(" e why · Tab focus"), "{cohorts:?}");
    let _app = drive(app, &mut term, vec![key(KeyCode::Tab)]).await;
    let detail = footer_row(&term);
    assert!(detail.starts_with(" v view · f full/changes"), "{detail:?}");
    // Every pane's footer ends with the keys of every pane, whole.
    for row in [&editor, &history, &cohorts, &detail] {
        assert!(
            row.ends_with("Tab focus · F1 help · Ctrl+Q quit"),
            "{row:?}"
        );
    }
}

/// While a session is open, the footer's step names both keys of the next step where there is
/// room (from 100 columns), and only the F-key, whole, where there is not.
#[tokio::test]
async fn the_footers_session_step_names_its_second_key_where_there_is_room() {
    let emu = emulator().await;
    let mut term = sized(120, 30);
    let mut app = app_for(&emu.base_url());
    assert!(app.open_session(std::path::Path::new("bundled:01-football-fan")));
    let app = drive(app, &mut term, vec![]).await;
    let wide = footer_row(&term);
    assert!(wide.starts_with(" F8 or Alt+R step 1/3 · "), "{wide:?}");
    assert!(wide.ends_with("Ctrl+Q quit"), "{wide:?}");
    term.backend_mut().resize(80, 24);
    let app = drive(app, &mut term, vec![Event::Resize(80, 24)]).await;
    let narrow = footer_row(&term);
    assert!(narrow.starts_with(" F8 step 1/3 · "), "{narrow:?}");
    assert!(!narrow.contains("Alt+R"), "{narrow:?}");
    // After the last step: the same, for replaying again.
    term.backend_mut().resize(120, 30);
    let mut app = drive(app, &mut term, vec![Event::Resize(120, 30)]).await;
    for _ in 0..3 {
        app = drive(app, &mut term, vec![key(KeyCode::F(8))]).await;
    }
    let done = footer_row(&term);
    assert!(done.starts_with(" F8 or Alt+R replay again · "), "{done:?}");
}

#[tokio::test]
async fn the_footer_is_written_from_the_keymap_and_never_cut() {
    let emu = emulator().await;
    for (width, height) in [(80, 24), (100, 30), (250, 70)] {
        let mut term = sized(width, height);
        let mut app = drive(app_for(&emu.base_url()), &mut term, vec![]).await;
        for focus in [Focus::Editor, Focus::History, Focus::Cohorts, Focus::Detail] {
            assert_eq!(app.focus(), focus);
            let row = footer_row(&term);
            let items: Vec<&str> = row.trim().split(" · ").collect();
            // Each item is a binding's first key and its hint, whole.
            for item in &items {
                let found = KEYMAP.iter().any(|b| {
                    b.hint
                        .is_some_and(|h| *item == format!("{} {h}", b.chords[0].label()))
                });
                assert!(found, "{width}×{height} {focus:?}: {item:?} in {row:?}");
            }
            if width >= 100 {
                // Room for all: the pane's rows of the table are all there.
                for b in KEYMAP.iter().filter(|b| b.panes.contains(&focus)) {
                    let item = format!("{} {}", b.chords[0].label(), b.hint.unwrap());
                    assert!(
                        items.contains(&item.as_str()),
                        "{focus:?}: {item} in {row:?}"
                    );
                }
            }
            app = drive(app, &mut term, vec![key(KeyCode::Tab)]).await;
        }
    }
}

/// What a key does to the editor's text area: text, cursor, or what it would paste.
fn text_area_uses(event: &KeyEvent) -> bool {
    let mut area = TextArea::new(vec!["{\"a\": 1,".into(), "  \"b\": 2}".into()]);
    area.move_cursor(ratatui_textarea::CursorMove::Jump(1, 3));
    area.set_yank_text("yanked");
    let before = (area.lines().to_vec(), area.cursor(), area.yank_text());
    area.input(*event);
    let after = (area.lines().to_vec(), area.cursor(), area.yank_text());
    before != after
}

#[test]
fn every_f_key_action_has_a_second_key_the_editor_does_not_use() {
    let mut checked = 0;
    for b in KEYMAP {
        if !b.chords.iter().any(|c| matches!(c.code, KeyCode::F(_))) {
            continue;
        }
        assert_eq!(b.scope, Scope::Everywhere, "{:?}", b.action);
        let twins: Vec<_> = b
            .chords
            .iter()
            .filter(|c| !matches!(c.code, KeyCode::F(_)))
            .collect();
        assert!(!twins.is_empty(), "{:?} has only an F-key", b.action);
        for chord in twins {
            let mut modifiers = KeyModifiers::NONE;
            if chord.ctrl {
                modifiers |= KeyModifiers::CONTROL;
            }
            if chord.alt {
                modifiers |= KeyModifiers::ALT;
            }
            assert!(
                chord.ctrl || chord.alt,
                "{:?}: {} is typed text",
                b.action,
                chord.label()
            );
            let event = KeyEvent::new(chord.code, modifiers);
            // Ctrl+S (send) was there before; every twin added for the F-keys leaves the text
            // area's editing keys alone.
            if b.action != Action::Send {
                assert!(
                    !text_area_uses(&event),
                    "{:?}: {} is an editing key of the text area",
                    b.action,
                    chord.label()
                );
            }
            // And the keymap finds it in the editor.
            assert_eq!(
                segscope::console::keymap::lookup(&event, true),
                Some(b.action),
                "{}",
                chord.label()
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 8, "F1–F8 each have their second key");
    // The check sees the text area's keys (so it can fail): Ctrl+K kills, Alt+B moves a word.
    for (code, modifiers) in [
        (KeyCode::Char('k'), KeyModifiers::CONTROL),
        (KeyCode::Char('b'), KeyModifiers::ALT),
        (KeyCode::Char('e'), KeyModifiers::CONTROL),
    ] {
        assert!(text_area_uses(&KeyEvent::new(code, modifiers)), "{code:?}");
    }
    // The message log's key too.
    let log = KeyEvent::new(KeyCode::Char('l'), KeyModifiers::CONTROL);
    assert!(!text_area_uses(&log));
    assert_eq!(
        segscope::console::keymap::lookup(&log, true),
        Some(Action::Messages)
    );
}

#[tokio::test]
async fn the_second_keys_do_what_the_f_keys_do_from_the_editor() {
    let emu = emulator().await;
    let mut term = sized(100, 30);
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&football_pageviews(1, 1));
    let app = drive(app, &mut term, vec![ctrl('s')]).await;
    assert_eq!(app.history().len(), 1);
    let editor = app.editor_text();

    let app = drive(app, &mut term, vec![alt('s')]).await;
    assert!(!app.sync_validation(), "Alt+S is F2");
    let user = app.identity().clone();
    let app = drive(app, &mut term, vec![alt('u')]).await;
    assert_ne!(app.identity(), &user, "Alt+U is F3");
    let app = drive(app, &mut term, vec![alt('a')]).await;
    assert!(screen(&term).contains("Alias identity"), "Alt+A is F4");
    let app = drive(app, &mut term, vec![key(KeyCode::Esc), ctrl('o')]).await;
    assert!(screen(&term).contains("Save session"), "Ctrl+O is F6");
    let app = drive(app, &mut term, vec![key(KeyCode::Esc), alt('o')]).await;
    assert!(screen(&term).contains("Open a session"), "Alt+O is F7");
    let app = drive(app, &mut term, vec![key(KeyCode::Esc), alt('r')]).await;
    assert!(
        app.status().text.starts_with("No session open"),
        "Alt+R is F8: {}",
        app.status().text
    );
    let app = drive(app, &mut term, vec![ctrl('g')]).await;
    assert!(screen(&term).contains("Keys"), "Ctrl+G is F1");
    let app = drive(app, &mut term, vec![key(KeyCode::Esc)]).await;
    // None of it was typed into the editor.
    assert_eq!(app.editor_text(), editor);
    assert_eq!(app.focus(), Focus::Editor);
}

#[tokio::test]
async fn q_outside_the_editor_and_ctrl_c_say_how_to_quit() {
    let emu = emulator().await;
    let mut term = sized(80, 24);
    let app = app_for(&emu.base_url());
    let editor = app.editor_text();
    let app = drive(app, &mut term, vec![ctrl('c')]).await;
    assert!(!app.should_quit());
    assert!(
        app.status().text.contains("Ctrl+Q"),
        "{}",
        app.status().text
    );
    assert!(screen(&term).contains("To quit, press Ctrl+Q"));
    let app = drive(app, &mut term, vec![key(KeyCode::Tab), ch('q')]).await;
    assert!(!app.should_quit());
    assert!(
        app.status().text.contains("Ctrl+Q"),
        "{}",
        app.status().text
    );
    // In the editor q is typed; Ctrl+C with a selection still copies it (and says how to quit).
    let app = drive(
        app,
        &mut term,
        vec![key(KeyCode::BackTab), ch('q'), key(KeyCode::Backspace)],
    )
    .await;
    assert_eq!(app.editor_text(), editor);
    let app = drive(app, &mut term, vec![ctrl('q')]).await;
    assert!(app.should_quit());
}

/// The built binary in a pseudo-terminal: Alt+S arrives as ESC s and Ctrl+C as byte 3 (raw mode
/// makes it a key, not a signal): the first toggles validation (not Esc then `s`), the second
/// says how to quit and the console stays; Ctrl+Q quits.
#[test]
fn in_a_real_terminal_alt_keys_work_and_ctrl_c_does_not_kill() {
    let mut pty = PtyConsole::start(120, 30, |_| Vec::new());
    pty.wait_for("Ready");
    pty.send(b"\x03");
    pty.wait_for("To quit, press Ctrl+Q");
    assert!(pty.child.try_wait().unwrap().is_none(), "Ctrl+C ended it");
    pty.send(b"\x1bs");
    pty.wait_for("Synchronous validation OFF");
    pty.send(b"\x11");
    pty.wait_for("exit=0");
}

/// At 80×24 with a long `$XDG_DATA_HOME`, the save form (F6) offers a file whose path is wider
/// than its field: the field shows the path's end (the cursor is there) after a `…` for the
/// hidden start, not a tail that passes for a whole path.
#[test]
fn in_a_real_terminal_a_long_data_home_shows_a_hidden_start_in_the_save_form() {
    let home = tempfile::tempdir().unwrap();
    let data = home
        .path()
        .join("a-rather-long-data-home-for-this-test/and-deeper-still");
    let pty = PtyConsole::start(80, 24, |_| vec![("XDG_DATA_HOME", data.clone())]);
    pty.wait_for("Ready");
    // F5 sends the editor's first event to the embedded emulator; F6 opens the form.
    pty.send(b"\x1b[15~");
    pty.wait_for("200 OK");
    pty.send(b"\x1b[17~");
    pty.wait_for("Save session");
    let contents = pty.contents();
    let row = contents
        .lines()
        .find(|l| l.contains("║  file ") || l.contains("║> file "))
        .unwrap_or_else(|| panic!("no file field:\n{contents}"));
    let shown = row.split(" file ").nth(1).unwrap().trim_start();
    let shown = shown.split('║').next().unwrap().trim_end();
    assert!(shown.starts_with('…'), "{shown:?}\n{contents}");
    assert!(shown.contains("segscope/sessions/"), "{shown:?}");
    assert!(shown.ends_with(".json"), "{shown:?}");
}

#[test]
fn the_keymap_finds_the_required_keys_and_its_table_lists_them() {
    use segscope::console::keymap::{lookup, markdown_table};
    let ev = KeyEvent::new;
    let (none, c) = (KeyModifiers::NONE, KeyModifiers::CONTROL);
    assert_eq!(lookup(&ev(KeyCode::F(5), none), true), Some(Action::Send));
    assert_eq!(lookup(&ev(KeyCode::Char('s'), c), true), Some(Action::Send));
    assert_eq!(lookup(&ev(KeyCode::Esc, none), true), Some(Action::Cancel));
    assert_eq!(
        lookup(&ev(KeyCode::F(2), none), true),
        Some(Action::ToggleSync)
    );
    assert_eq!(
        lookup(&ev(KeyCode::BackTab, KeyModifiers::SHIFT), false),
        Some(Action::FocusPrev)
    );
    assert_eq!(lookup(&ev(KeyCode::F(1), none), true), Some(Action::Help));
    assert_eq!(
        lookup(&ev(KeyCode::Char('?'), KeyModifiers::SHIFT), false),
        Some(Action::Help)
    );
    assert_eq!(lookup(&ev(KeyCode::Char('?'), none), true), None);
    assert_eq!(
        lookup(&ev(KeyCode::Char('q'), c), false),
        Some(Action::Quit)
    );
    assert_eq!(lookup(&ev(KeyCode::Char('v'), none), true), None);
    let table = markdown_table();
    for b in KEYMAP {
        assert!(table.contains(&b.keys_label()));
    }
    assert!(table.contains("| F5 / Ctrl+S | everywhere |"));
}

/// Every F-key a text names is followed by its second key (`F5 or Ctrl+S`), as the keymap has it.
fn names_both_keys(text: &str) {
    for binding in KEYMAP {
        let first = binding.chords[0].label();
        if !first.starts_with('F') || binding.chords.len() < 2 {
            continue;
        }
        let both = format!("{first} or {}", binding.chords[1].label());
        let alone = text.matches(first.as_str()).count();
        assert_eq!(
            alone,
            text.matches(both.as_str()).count(),
            "{first} without its second key ({both}) in {text:?}"
        );
    }
}

#[tokio::test]
async fn status_texts_that_name_an_f_key_name_its_second_key_too() {
    let emu = emulator().await;
    let mut term = sized(80, 24);
    let app = drive(app_for(&emu.base_url()), &mut term, vec![]).await;
    let ready = app.status().text.clone();
    assert!(ready.contains("F5 or Ctrl+S"), "{ready}");
    names_both_keys(&ready);
    // The empty History says how to send, with both keys.
    let app = drive(app, &mut term, vec![key(KeyCode::Tab)]).await;
    let text = screen(&term);
    assert!(text.contains("F5 or Ctrl+S sends"), "{text}");
    // F8 with no session open, F6 with nothing to save.
    let mut texts = vec![ready];
    let app = drive(app, &mut term, vec![key(KeyCode::F(8))]).await;
    assert!(
        app.status().text.contains("F7 or Alt+O"),
        "{}",
        app.status().text
    );
    texts.push(app.status().text.clone());
    let mut app = drive(app, &mut term, vec![key(KeyCode::F(6))]).await;
    assert!(
        app.status().text.contains("F5 or Ctrl+S"),
        "{}",
        app.status().text
    );
    texts.push(app.status().text.clone());
    // A session opened, a step replayed, and the last one: what F8 does next.
    assert!(app.open_session(std::path::Path::new("bundled:05-external-state")));
    texts.push(app.status().text.clone());
    assert!(
        app.status().text.contains("F8 or Alt+R sends it"),
        "{}",
        app.status().text
    );
    let app = drive(app, &mut term, vec![key(KeyCode::F(8))]).await;
    texts.push(app.status().text.clone());
    let app = drive(app, &mut term, vec![key(KeyCode::F(8))]).await;
    assert!(
        app.status().text.contains("F8 or Alt+R replays it again"),
        "{}",
        app.status().text
    );
    texts.push(app.status().text.clone());
    for text in &texts {
        names_both_keys(text);
        // Short enough for the status line at 80 columns (its marker takes 3) where it can be.
        if !text.contains("bundled:") && !text.contains("step ") {
            assert!(text.chars().count() <= 77, "{text:?} is cut at 80 columns");
        }
    }
    drop(app);
}

#[tokio::test]
async fn the_curl_row_of_help_is_true_for_both_targets() {
    let emu = emulator().await;
    let mut term = sized(250, 70);
    let _app = drive(
        app_for(&emu.base_url()),
        &mut term,
        vec![key(KeyCode::F(1))],
    )
    .await;
    let row = screen(&term)
        .lines()
        .find(|l| l.contains("Copy the call as curl"))
        .unwrap_or_default()
        .to_string();
    // The real API: the key as the variable; the embedded emulator: a `segscope serve` and its key.
    assert!(row.contains("$PERMUTIVE_API_KEY"), "{row}");
    assert!(row.contains("embedded emulator"), "{row}");
    assert!(row.contains("segscope serve"), "{row}");
}

/// The editor's and the send's status texts name F5's second key too: "ready to send", "sends
/// anyway" (a line with a problem, and the count of them), the same events sent again, and
/// Enter on a call before any was sent.
#[tokio::test]
async fn the_editors_and_the_sends_status_texts_name_f5s_second_key_too() {
    let emu = emulator().await;
    let mut term = sized(80, 24);
    let mut app = app_for(&emu.base_url());
    app.set_editor_text(&football_pageviews(1, 1));
    let mut texts = Vec::new();
    // Broken, then mended: ready to send.
    let app = drive(app, &mut term, vec![ch('x')]).await;
    let app = drive(app, &mut term, vec![key(KeyCode::Backspace)]).await;
    texts.push(app.status().text.clone());
    assert!(
        app.status().text.contains("ready to send"),
        "{}",
        app.status().text
    );
    // A category left empty: a schema problem on the cursor's line, then counted from line 1.
    let event = football_pageviews(1, 1).replace("\"football\"", "\"\"");
    let mut app = app;
    app.set_editor_text(&event);
    let line = event
        .lines()
        .position(|l| l.contains("\"\""))
        .expect("the category");
    let mut keys: Vec<Event> = (0..line).map(|_| key(KeyCode::Down)).collect();
    keys.push(key(KeyCode::End));
    keys.push(ch(' '));
    let app = drive(app, &mut term, keys).await;
    texts.push(app.status().text.clone());
    assert!(
        app.status()
            .text
            .starts_with(&format!("Editor line {}:", line + 1)),
        "{}",
        app.status().text
    );
    let mut keys: Vec<Event> = (0..line).map(|_| key(KeyCode::Up)).collect();
    keys.push(key(KeyCode::Home));
    keys.push(ch(' '));
    let app = drive(app, &mut term, keys).await;
    texts.push(app.status().text.clone());
    assert!(
        app.status().text.contains("1 problem"),
        "{}",
        app.status().text
    );
    // Sent, then the same events again.
    let mut app = app;
    app.set_editor_text(&football_pageviews(1, 1));
    let app = drive(app, &mut term, vec![key(F5)]).await;
    let app = drive(app, &mut term, vec![key(F5)]).await;
    assert_eq!(app.history().len(), 1);
    texts.push(app.status().text.clone());
    assert!(
        app.status()
            .text
            .contains("Same events as call 1: they count again"),
        "{}",
        app.status().text
    );
    // Enter on a cohort before any call: how to send one.
    let app = drive(
        app_for(&emu.base_url()),
        &mut term,
        vec![key(KeyCode::Tab), ch('e')],
    )
    .await;
    texts.push(app.status().text.clone());
    assert!(
        app.status().text.starts_with("Nothing to explain yet"),
        "{}",
        app.status().text
    );
    for text in &texts {
        eprintln!("TEXT {} {text}", text.chars().count());
    }
    for text in &texts {
        assert!(text.contains("F5 or Ctrl+S"), "{text:?}");
        names_both_keys(text);
        // Short enough for the status line at 80 columns (its marker takes 3), but the
        // problem's own words on a marked line.
        if !text.starts_with("Editor line") {
            assert!(text.chars().count() <= 77, "{text:?} is cut at 80 columns");
        }
    }
}
