//! The real terminal: set-up, restore (also on panic, error and SIGTERM/SIGHUP), and the
//! `segscope` console entry point.

use std::collections::BTreeMap;
use std::io::{Write, stdout};
use std::path::PathBuf;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures_util::Stream;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use super::app::App;
use super::error::{Error, SaveFailure};
use super::message::Message;
use super::model::AppOptions;
use super::runtime::run_app;
use super::theme::Theme;
use crate::launch::{TargetChoice, connect};

/// What `segscope` (no subcommand) was asked for.
#[derive(Debug, Clone, Default)]
pub struct LaunchOptions {
    /// The embedded emulator (default), the real API (`--api-key`), or `--base-url`.
    pub target: TargetChoice,
    /// A JSON file `{code: name}` of cohort names (for targets that do not describe their
    /// workspace, like the real API).
    pub cohort_names: Option<PathBuf>,
    /// A directory written by `segscope workspace pull` (its `cohorts.json`): the cohorts'
    /// definitions, shown next to the raw state where the target cannot explain (the real API).
    pub cohort_definitions: Option<PathBuf>,
    /// Event schemas for the editor's live check and Ctrl+N (`--schemas DIR`).
    pub schemas: Option<PathBuf>,
    /// Start clean: keep the previous autosave aside (`.bak`) instead of restoring it.
    pub fresh: bool,
    /// A session file to open for step-by-step replay (F8).
    pub session: Option<PathBuf>,
}

/// Reads the cohorts of `DIR/cohorts.json` (the workspace format), by code.
pub fn read_cohort_definitions(
    dir: &std::path::Path,
) -> Result<BTreeMap<String, crate::emulator::workspace::CohortRecord>, Error> {
    let file = dir.join("cohorts.json");
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(source) => return Err(Error::ReadDefinitions { file, source }),
    };
    let records = match crate::emulator::workspace::parse_records(&text) {
        Ok(records) => records,
        Err(source) => return Err(Error::ParseDefinitions { file, source }),
    };
    Ok(records
        .into_iter()
        .map(|r| (r.code.to_string(), r))
        .collect())
}

/// Reads a `{code: name}` file.
pub fn read_cohort_names(path: &std::path::Path) -> Result<BTreeMap<String, String>, Error> {
    let file = || path.to_path_buf();
    let text = std::fs::read_to_string(path).map_err(|source| Error::ReadNames {
        file: file(),
        source,
    })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|source| Error::NamesNotJson {
            file: file(),
            source,
        })?;
    let map = value
        .as_object()
        .ok_or_else(|| Error::NamesNotObject { file: file() })?;
    Ok(map
        .iter()
        .map(|(code, name)| {
            let name = match name {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (code.clone(), name)
        })
        .collect())
}

/// Puts the terminal back as it was: raw mode off, main screen, no mouse capture, cursor shown.
/// Safe to call more than once.
pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let mut out = stdout();
    let _ = crossterm::execute!(
        out,
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = out.flush();
}

/// Under `NO_COLOR` the theme asks for no colour at all (see `theme.rs`); crossterm's colour
/// output is then forced on so that the colour resets ratatui still writes come out as 39/49
/// instead of crossterm's NO_COLOR "reset everything", which would wipe reverse and bold.
pub fn prepare_colors(no_color: bool) {
    if no_color {
        crossterm::style::force_color_output(true);
    }
}

/// Restores the terminal when dropped (normal exit, error, or unwinding panic).
struct TerminalGuard;

impl TerminalGuard {
    fn enter(no_color: bool) -> Result<TerminalGuard, Error> {
        install_panic_hook();
        prepare_colors(no_color);
        enable_raw_mode().map_err(Error::RawMode)?;
        let guard = TerminalGuard;
        crossterm::execute!(
            stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste
        )
        .map_err(Error::SetUp)?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// A panic restores the terminal before its message is printed.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
}

/// SIGTERM and SIGHUP end the loop (which restores the terminal) instead of killing it raw.
fn forward_signals(tx: tokio::sync::mpsc::UnboundedSender<Message>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            return;
        };
        let reason = tokio::select! {
            _ = term.recv() => "terminated (SIGTERM)",
            _ = hup.recv() => "hung up (SIGHUP)",
        };
        let _ = tx.send(Message::Quit {
            reason: reason.to_string(),
        });
    });
    #[cfg(not(unix))]
    let _ = tx;
}

/// The terminal's input, read on a thread of its own and handed to the loop through a channel.
///
/// Why not crossterm's `EventStream`: its default (mio) source registers the terminal
/// edge-triggered and returns after the first parsed event of a 1,024-byte read, so bytes left in
/// the kernel buffer (the rest of a paste, keys typed during a slow frame) wait until another key
/// arrives (crossterm PR #1057). The `use-dev-tty` source (enabled in Cargo.toml) polls
/// level-triggered, so whatever is left is read at once; this thread reads it as fast as it comes
/// and the loop takes every event already queued before it draws.
struct InputReader {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl InputReader {
    /// How long the thread waits for input before it looks at the stop flag again. Each look is
    /// a wake-up of an idle console: at 50 ms they cost 1.4% of a core while nothing happened
    /// (`devtools/peers/console.sh`); the stop only matters once the console is closing, when
    /// the process is about to end, so a slower look costs nothing a user sees.
    const STOP_CHECK: std::time::Duration = std::time::Duration::from_millis(500);

    /// Starts the thread; the stream ends when the thread does (stopped, or the terminal gone).
    fn start() -> (InputReader, impl Stream<Item = Event>) {
        use std::sync::atomic::{AtomicBool, Ordering};
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        // If no thread can be started, `tx` is dropped with the closure and the input ends.
        let _ = std::thread::Builder::new()
            .name("segscope-input".into())
            .spawn(move || {
                while !stopped.load(Ordering::Relaxed) {
                    match crossterm::event::poll(Self::STOP_CHECK) {
                        Ok(false) => continue,
                        Ok(true) => {
                            let sent = crossterm::event::read().map(|event| tx.send(event));
                            if !matches!(sent, Ok(Ok(()))) {
                                break;
                            }
                        }
                        // A terminal that cannot be read ends the input (the loop then exits).
                        Err(_) => break,
                    }
                }
            });
        let events = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
        (InputReader { stop }, events)
    }

    /// Asks the thread to stop; it does within [`Self::STOP_CHECK`]. Not joined: the console is
    /// closing, and a thread blocked on the terminal must not hold it up.
    fn stop(&self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// `segscope` with no subcommand: the console, on the embedded emulator unless a key or a base
/// URL says otherwise.
pub async fn launch(options: LaunchOptions) -> Result<(), Error> {
    let names = match &options.cohort_names {
        Some(path) => read_cohort_names(path)?,
        None => BTreeMap::new(),
    };
    let definitions = match &options.cohort_definitions {
        Some(dir) => read_cohort_definitions(dir)?,
        None => BTreeMap::new(),
    };
    let event_schemas = match &options.schemas {
        Some(dir) => crate::emulator::workspace::read_schema_dir(dir)?,
        None => BTreeMap::new(),
    };
    let connection = connect(&options.target).await?;
    let (label, emulator_endpoints) = if connection.is_embedded() {
        let what = match &options.target.workspace {
            Some(dir) => format!("workspace {}", dir.display()),
            None => "demo workspace".to_string(),
        };
        let url = connection.client.target().base_url.clone();
        (format!("embedded emulator, {what} ({url})"), true)
    } else {
        // A `--base-url` may be a `segscope serve`: ask it for its workspace (harmless if not).
        let describe = connection.client.target().describe();
        (describe, options.target.base_url.is_some())
    };
    let no_color = Theme::no_color_from_env();
    let mut app = App::new(
        connection.client.clone(),
        AppOptions {
            target_label: Some(label),
            cohort_names: names,
            emulator_endpoints,
            no_color,
            autosave: super::autosave::default_path(),
            fresh: options.fresh,
            // A file that cannot be used says why in the status line; the console opens anyway.
            session: options.session.clone(),
            clock: connection.is_embedded().then_some(options.target.clock),
            cohort_definitions: definitions,
            event_schemas,
            live_workspace: match (&connection.emulator, &options.target.workspace) {
                (Some(running), Some(dir)) => Some(super::model::live::LiveSetup {
                    dir: dir.clone(),
                    emulator: running.config().clone(),
                }),
                _ => None,
            },
            ..AppOptions::default()
        },
    );
    forward_signals(app.sender());
    let result = {
        let _guard = TerminalGuard::enter(no_color)?;
        let mut terminal = Terminal::new(CrosstermBackend::new(stdout())).map_err(Error::draw)?;
        // Copies (y, c, C) reach the clipboard as OSC 52 sequences on the terminal.
        app.set_clipboard_sink(Box::new(stdout()));
        terminal.clear().map_err(Error::draw)?;
        let (reader, input) = InputReader::start();
        let result = run_app(app, &mut terminal, input).await;
        reader.stop();
        result
        // The guard restores the terminal here, before any error is printed.
    };
    if let Some(running) = connection.emulator {
        running.stop().await;
    }
    // A session that could not be saved at exit is said on stderr (main exits non-zero), after
    // the terminal is restored: never a silent exit 0 with the calls gone.
    let app = result?;
    if let Some(e) = app.autosave_exit_error() {
        return Err(Error::SaveAtExit {
            file: app.autosave_path().map(std::path::Path::to_path_buf),
            source: SaveFailure(e.to_string()),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohort_names_file() {
        let path = std::env::temp_dir().join(format!("segscope-names-{}.json", std::process::id()));
        std::fs::write(&path, r#"{"1001": "Football fans", "42": 7}"#).unwrap();
        let names = read_cohort_names(&path).unwrap();
        std::fs::remove_file(&path).ok();
        assert_eq!(names.get("1001").map(String::as_str), Some("Football fans"));
        assert_eq!(names.get("42").map(String::as_str), Some("7"));
        let missing = read_cohort_names(std::path::Path::new("/nonexistent/names.json"));
        assert!(
            missing
                .unwrap_err()
                .to_string()
                .contains("/nonexistent/names.json")
        );
    }
}
