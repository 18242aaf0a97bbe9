//! Input reaches the editor whole and unchanged: the built binary in a real pseudo-terminal, and
//! the loop with injected events.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const ROWS: u16 = 40;
const COLS: u16 = 140;

/// The console running in a pseudo-terminal, its output fed to a terminal emulator (`vt100`).
struct PtyConsole {
    screen: Arc<Mutex<vt100::Parser>>,
    /// Every byte the console wrote, for the terminal-restore checks.
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    _state: tempfile::TempDir,
}

impl PtyConsole {
    /// `segscope --fresh` with its own state directory, then `stty -a` in the same terminal once
    /// it has exited (to see that raw mode is off again).
    fn start() -> PtyConsole {
        PtyConsole::start_with(|_| Vec::new())
    }

    /// With more environment, made from the console's own temporary directory.
    fn start_with(env: impl Fn(&Path) -> Vec<(&'static str, PathBuf)>) -> PtyConsole {
        let state = tempfile::tempdir().unwrap();
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut command = CommandBuilder::new("sh");
        command.arg("-c");
        // SEGSCOPE_BIN runs another build (e.g. an older one, to see this test fail on it).
        let binary = std::env::var("SEGSCOPE_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_segscope").to_string());
        command.arg(format!("'{binary}' --fresh; echo \"exit=$?\"; stty -a"));
        command.env("XDG_STATE_HOME", state.path());
        command.env("XDG_DATA_HOME", state.path());
        command.env("HOME", state.path());
        command.env("TERM", "xterm-256color");
        command.env_remove("PERMUTIVE_API_KEY");
        command.env_remove("SEGSCOPE_STATE_DIR");
        for (name, value) in env(state.path()) {
            command.env(name, value);
        }
        command.cwd(state.path());
        let child = pair.slave.spawn_command(command).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = Arc::new(Mutex::new(pair.master.take_writer().unwrap()));
        let answer = writer.clone();
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            ROWS.try_into().unwrap(),
            COLS.try_into().unwrap(),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (screen_in, raw_in) = (screen.clone(), raw.clone());
        std::thread::spawn(move || {
            // The master must stay open while the child runs.
            let _master = pair.master;
            let mut buffer = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                let chunk = &buffer[..n];
                let mut screen = screen_in.lock().unwrap();
                screen.process(chunk);
                raw_in.lock().unwrap().extend_from_slice(chunk);
                // Answer "where is the cursor?" (DSR) as a terminal would.
                if chunk.windows(4).any(|w| w == b"\x1b[6n") {
                    let (row, col) = screen.screen().cursor_position();
                    let reply = format!("\x1b[{};{}R", row + 1, col + 1);
                    let mut out = answer.lock().unwrap();
                    let _ = out.write_all(reply.as_bytes());
                    let _ = out.flush();
                }
            }
        });
        PtyConsole {
            screen,
            raw,
            writer,
            child,
            _state: state,
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.raw.lock().unwrap()).into_owned()
    }

    /// Waits (at most `limit`, so a broken build fails instead of hanging) until `ready` holds.
    /// Not a speed check: the limit is far above what the console needs.
    fn wait_for(&self, what: &str, limit: Duration, ready: impl Fn(&PtyConsole) -> bool) {
        let start = Instant::now();
        while !ready(self) {
            if start.elapsed() > limit {
                panic!(
                    "waited {limit:?} for {what}; the screen:\n{}",
                    self.contents()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        let mut writer = self.writer.lock().unwrap();
        writer.write_all(bytes).unwrap();
        writer.flush().unwrap();
    }
}

impl Drop for PtyConsole {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

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
    let mut console = PtyConsole::start();
    console.wait_for("the console", Duration::from_secs(60), |c| {
        c.contents().contains("F5 or Ctrl+S sends the events")
    });
    // The terminal sends the paste as plain typing (no bracketed-paste markers), CR line breaks,
    // all at once; then nothing more.
    let paste = four_kilobyte_paste();
    console.send(paste.as_bytes());
    // The paste went in at the top of the editor: its last line is line 64, and the editor's
    // original first line ("[") follows on line 65.
    console.wait_for(
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
    console.wait_for("the exit", Duration::from_secs(20), |c| {
        c.raw_text().contains("exit=0")
    });
    console.wait_for("stty", Duration::from_secs(20), |c| {
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
    let mut console = PtyConsole::start_with(|dir| {
        let file = dir.join("not-a-directory");
        std::fs::write(&file, "a file").unwrap();
        vec![("SEGSCOPE_STATE_DIR", file)]
    });
    console.wait_for("the console", Duration::from_secs(60), |c| {
        c.contents().contains("F1 or Ctrl+G lists every key")
    });
    console.send(b"\x11");
    console.wait_for("the exit", Duration::from_secs(20), |c| {
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
