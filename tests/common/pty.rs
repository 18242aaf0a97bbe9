//! The built binary in a real pseudo-terminal, its output fed to a terminal emulator (`vt100`):
//! what app-loop tests cannot see (a stalled reader, raw mode, Alt keys as ESC + key). Included
//! with `#[path]` by the test binaries that need it, so the others do not build it.
#![allow(dead_code)] // each test binary uses its own part of it

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// `segscope --fresh` running in a pseudo-terminal.
pub struct PtyConsole {
    pub screen: Arc<Mutex<vt100::Parser>>,
    /// Every byte the console wrote, for the terminal-restore checks.
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    /// The console's own directory (removed when the test ends).
    _state: tempfile::TempDir,
}

impl PtyConsole {
    /// `segscope --fresh` in a `cols`×`rows` terminal, with `XDG_STATE_HOME`, `XDG_DATA_HOME`,
    /// `HOME` and the working directory a fresh directory, and `env` (made from that directory)
    /// on top; once it has exited, the shell prints `exit=CODE` and `stty -a` in the same
    /// terminal (to see that raw mode is off again). `SEGSCOPE_BIN` runs another build (e.g. an
    /// older one, to see a test fail on it).
    pub fn start(
        cols: u16,
        rows: u16,
        env: impl FnOnce(&Path) -> Vec<(&'static str, PathBuf)>,
    ) -> PtyConsole {
        let state = tempfile::tempdir().unwrap();
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut command = CommandBuilder::new("sh");
        command.arg("-c");
        let binary = std::env::var("SEGSCOPE_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_segscope").to_string());
        command.arg(format!("'{binary}' --fresh; echo \"exit=$?\"; stty -a"));
        for name in ["XDG_STATE_HOME", "XDG_DATA_HOME", "HOME"] {
            command.env(name, state.path());
        }
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
            rows.try_into().unwrap(),
            cols.try_into().unwrap(),
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

    pub fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    pub fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.raw.lock().unwrap()).into_owned()
    }

    /// Waits (at most `limit`, so a broken build fails instead of hanging) until `ready` holds.
    /// Not a speed check: the limit is far above what the console needs.
    pub fn wait_until(&self, what: &str, limit: Duration, ready: impl Fn(&PtyConsole) -> bool) {
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

    /// Waits (at most a minute) until `text` is on the screen.
    pub fn wait_for(&self, text: &str) {
        self.wait_until(&format!("{text:?}"), Duration::from_secs(60), |c| {
            c.contents().contains(text)
        });
    }

    pub fn send(&self, bytes: &[u8]) {
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
