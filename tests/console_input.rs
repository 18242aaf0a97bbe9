//! Input reaches the editor whole and unchanged: the built binary in a real pseudo-terminal, and
//! the loop with injected events.

mod common;

#[path = "common/pty.rs"]
mod pty;
use pty::PtyConsole;

use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const ROWS: u16 = 40;
const COLS: u16 = 140;

/// 64 lines of 63 characters and a CR each: 4,096 bytes, the last line marked.
fn four_kilobyte_paste() -> String {
    let mut text = String::new();
    for line in 1..=64 {
        let label = if line == 64 {
            "END-OF-PASTE".to_string()
        } else {
            format!("line-{line:02}")
        };
        let body = format!("\"{label}\": \"");
        let fill = 63 - body.len() - 2;
        text.push_str(&body);
        text.push_str(&"x".repeat(fill));
        text.push_str("\",");
        text.push('\r');
    }
    assert_eq!(text.len(), 4096);
    text
}

#[test]
fn an_unbracketed_four_kilobyte_paste_lands_whole_without_another_key() {
    let mut console = PtyConsole::start(COLS, ROWS, |_| Vec::new());
    console.wait_until("the console", Duration::from_secs(60), |c| {
        c.contents().contains("F5 or Ctrl+S sends the events")
    });
    // The terminal sends the paste as plain typing (no bracketed-paste markers), CR line breaks,
    // all at once; then nothing more.
    let paste = four_kilobyte_paste();
    console.send(paste.as_bytes());
    // The paste went in at the top of the editor: its last line is line 64, and the editor's
    // original first line ("[") follows on line 65.
    console.wait_until(
        "the end of the paste, with no further key",
        Duration::from_secs(20),
        |c| {
            let screen = c.contents();
            screen.contains(" 64 \"END-OF-PASTE\": \"xxx") && screen.contains(" 65 [")
        },
    );
    let screen = console.contents();
    assert!(
        screen.contains(" 63 \"line-63\": \"xxx"),
        "each CR kept its line break:\n{screen}"
    );

    // Ctrl+Q quits; the shell then reports the exit code and the terminal's modes.
    console.send(b"\x11");
    console.wait_until("the exit", Duration::from_secs(20), |c| {
        c.raw_text().contains("exit=0")
    });
    console.wait_until("stty", Duration::from_secs(20), |c| {
        c.raw_text().contains("icanon")
    });
    let raw = console.raw_text();
    let after_exit = &raw[raw.rfind("exit=").unwrap()..];
    assert!(raw.contains("\x1b[?1049l"), "the alternate screen was left");
    assert!(
        !console.screen.lock().unwrap().screen().alternate_screen(),
        "the terminal is back on its main screen"
    );
    assert!(
        after_exit.contains(" icanon") && after_exit.contains(" echo"),
        "raw mode is off again (canonical input and echo back on):\n{after_exit}"
    );
    let status = console.child.wait().unwrap();
    assert!(status.success());
}

/// Ctrl+Q with a state directory that cannot be written: the session cannot be saved, and the
/// console says so on stderr and exits non-zero (it used to exit 0 silently).
#[test]
fn a_failed_save_at_exit_is_said_and_the_exit_code_is_not_zero() {
    let console = PtyConsole::start(COLS, ROWS, |dir| {
        let file = dir.join("not-a-directory");
        std::fs::write(&file, "a file").unwrap();
        vec![("SEGSCOPE_STATE_DIR", file)]
    });
    console.wait_until("the console", Duration::from_secs(60), |c| {
        c.contents().contains("F1 or Ctrl+G lists every key")
    });
    console.send(b"\x11");
    console.wait_until("the exit", Duration::from_secs(20), |c| {
        c.raw_text().contains("exit=")
    });
    let raw = console.raw_text();
    assert!(
        raw.contains("the autosave could not be written at exit"),
        "{raw}"
    );
    assert!(raw.contains("exit=2"), "{raw}");
}

fn editor_lines(app: &segscope::console::App) -> Vec<String> {
    app.editor_text().lines().map(str::to_string).collect()
}

#[tokio::test]
async fn a_bracketed_paste_with_cr_line_breaks_keeps_its_lines() {
    let emulator = common::emulator().await;
    let app = common::app_for(&emulator.base_url());
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let app = common::drive(
        app,
        &mut term,
        vec![
            Event::Paste("one\rtwo\r\nthree\n".into()),
            common::ctrl('q'),
        ],
    )
    .await;
    let lines = editor_lines(&app);
    assert_eq!(&lines[..4], ["one", "two", "three", "["], "{lines:?}");
    emulator.stop().await;
}

#[tokio::test]
async fn a_typed_lf_is_a_line_break_not_delete_to_line_start() {
    let emulator = common::emulator().await;
    let app = common::app_for(&emulator.base_url());
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut events = common::typed("ab");
    // Raw mode reports a pasted LF as Ctrl+J.
    events.push(Event::Key(KeyEvent::new(
        KeyCode::Char('j'),
        KeyModifiers::CONTROL,
    )));
    events.extend(common::typed("cd"));
    events.push(common::ctrl('q'));
    let app = common::drive(app, &mut term, events).await;
    let lines = editor_lines(&app);
    assert_eq!(&lines[..2], ["ab", "cd["], "{lines:?}");
    emulator.stop().await;
}
