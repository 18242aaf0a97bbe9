//! The emulator's log (`segscope serve`), on stderr through `tracing`: one entry per request
//! (the access log, target [`ACCESS`]), a warning when connections are refused, and one line per
//! panic.
//!
//! A worker never waits on stderr: entries go through a bounded queue to a writer thread
//! (`tracing-appender`'s non-blocking writer, lossy), so a slow or stuck reader of stderr costs
//! log lines — counted, and reported when the server stops — never answers.
//!
//! Which entries are written: `RUST_LOG` (an `EnvFilter`, e.g. `RUST_LOG=warn` keeps only 5xx
//! answers, refusals and panics, `RUST_LOG=off` nothing); without it, everything segscope logs
//! (`segscope=info`), which is the same lines `serve` has always printed. `--quiet` turns the
//! access log off whatever `RUST_LOG` says.
//!
//! No entry names an API key: an access line holds the method, the path without its query, the
//! status and the emulator's own messages, none of which quote a key.

use tracing::Level;
use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use super::failure::clip;

/// The target of access-log entries (one per request answered).
pub const ACCESS: &str = "segscope::access";
/// The target of warnings about connections (refused over the limit, failed accepts).
pub const CONNECTIONS: &str = "segscope::connections";
/// The target of panic lines.
pub const PANIC: &str = "segscope::panic";

/// What is logged without `RUST_LOG`.
const DEFAULT_FILTER: &str = "segscope=info";
/// Entries queued for the writer thread at most; past that, entries are dropped (and counted).
/// A bound on memory: an entry is a line of ~100 bytes, at most ~11 KB with its notes.
pub const QUEUED_ENTRIES: usize = 8_192;
/// The longest panic message logged, in characters.
const PANIC_MESSAGE: usize = 1000;

/// Why the log could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("RUST_LOG={value:?} is not a log filter: {source}")]
    Filter {
        value: String,
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    #[error("a log was already set up in this process")]
    AlreadySet(#[source] tracing::subscriber::SetGlobalDefaultError),
}

/// Keeps the log's writer thread running; dropping it writes what is queued (waiting at most a
/// second) and reports the lines that were dropped.
pub struct LogGuard {
    worker: Option<WorkerGuard>,
    dropped: ErrorCounter,
    /// Whether any request is logged (the access log at info or warn level passes the filter).
    pub access: bool,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        drop(self.worker.take());
        let dropped = self.dropped.dropped_lines();
        if dropped > 0 {
            eprintln!(
                "segscope: {dropped} log line(s) dropped: stderr was read more slowly than requests came"
            );
        }
    }
}

/// Sets up the process's log on stderr for `segscope serve`, and makes a panic log one line
/// (what and where) instead of a backtrace: a handler's panic is answered with a 500 and the
/// server goes on. `rust_log` is the value of `RUST_LOG` (`None` or empty: the default).
pub fn init(quiet: bool, rust_log: Option<&str>) -> Result<LogGuard, LogError> {
    let mut filter = filter(rust_log)?;
    if quiet {
        filter = filter.add_directive(
            format!("{ACCESS}=off")
                .parse()
                .expect("a literal directive"),
        );
    }
    let (writer, worker) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(QUEUED_ENTRIES)
        .thread_name("segscope-log")
        .finish(std::io::stderr());
    let dropped = writer.error_counter();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .without_time()
        .with_level(false)
        .with_target(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).map_err(LogError::AlreadySet)?;
    log_panics_in_one_line();
    Ok(LogGuard {
        worker: Some(worker),
        dropped,
        access: tracing::enabled!(target: ACCESS, Level::WARN),
    })
}

/// The filter: `RUST_LOG` when it says something, else [`DEFAULT_FILTER`].
fn filter(rust_log: Option<&str>) -> Result<EnvFilter, LogError> {
    match rust_log.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(EnvFilter::new(DEFAULT_FILTER)),
        Some(value) => EnvFilter::try_new(value).map_err(|source| LogError::Filter {
            value: value.to_string(),
            source,
        }),
    }
}

/// One access-log entry: `lines` (a request line, then its notes) written together, so that the
/// entries of concurrent requests never interleave. A 5xx answer is a warning, the rest info.
pub fn request(status: u16, lines: &str) {
    if status >= 500 {
        tracing::warn!(target: ACCESS, "{lines}");
    } else {
        tracing::info!(target: ACCESS, "{lines}");
    }
}

fn log_panics_in_one_line() {
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(
            target: PANIC,
            "panic{place}: {} (answered 500; still serving)",
            clip(&what, PANIC_MESSAGE)
        );
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_log_is_read_and_a_bad_one_is_named() {
        assert_eq!(filter(None).unwrap().to_string(), DEFAULT_FILTER);
        assert_eq!(filter(Some("  ")).unwrap().to_string(), DEFAULT_FILTER);
        assert_eq!(filter(Some("warn")).unwrap().to_string(), "warn");
        let error = filter(Some("segscope=loud")).unwrap_err().to_string();
        assert!(
            error.starts_with("RUST_LOG=\"segscope=loud\" is not a log filter"),
            "{error}"
        );
    }
}
