//! `y`, `c`, `C` in the update step (see `clipboard.rs`): the text to copy, in words on the
//! status line; the executor writes it to the terminal, and to a file in the state directory
//! (no terminal confirms an OSC 52 copy, so the file is where the text surely is).

use std::path::PathBuf;

use crate::api::CallOutcome;
use crate::console::clipboard::{CopyTarget, CopyWhat, curl_command, send_command, size};
use crate::console::message::Effect;
use crate::console::model::{Model, StatusKind};

/// `y`, `c`, `C`: copies something about the selected call.
pub(crate) fn copy(app: &mut Model, what: CopyWhat) -> Vec<Effect> {
    let Some(index) = app.selected.filter(|i| *i < app.history.len()) else {
        app.set_status(StatusKind::Info, "Nothing to copy yet: send a call first.");
        return Vec::new();
    };
    let call = &app.history[index];
    let target = &copy_target(app);
    let number = index + 1;
    let (text, label) = match what {
        CopyWhat::Response => match &call.outcome {
            CallOutcome::Success { raw_body, .. } | CallOutcome::ApiError { raw_body, .. } => (
                raw_body.to_string(),
                format!("the response body of call {number}"),
            ),
            CallOutcome::Transport { .. } => {
                app.set_status(
                    StatusKind::Warning,
                    format!("Call {number} got no HTTP answer: there is no response to copy."),
                );
                return Vec::new();
            }
        },
        CopyWhat::Curl => (
            curl_command(call, target),
            match target {
                CopyTarget::Remote(_) => {
                    format!("a curl command for call {number} (key as $PERMUTIVE_API_KEY)")
                }
                CopyTarget::Embedded { .. } => {
                    format!(
                        "a curl command for call {number} (with a `segscope serve` to run it on)"
                    )
                }
            },
        ),
        CopyWhat::Send => match send_command(call, target) {
            Ok(text) => (text, format!("a `segscope send` command for call {number}")),
            Err(why) => {
                app.set_status(StatusKind::Warning, format!("Not copied: {why}."));
                return Vec::new();
            }
        },
    };
    let note = if text.len() > 74_000 {
        "; large: some terminals cap OSC 52 at ~100 kB"
    } else {
        ""
    };
    let file = copy_file(app, what);
    let also = match &file {
        Some(path) => format!(" and to {}", path.display()),
        None => " (no state directory to write a copy to: autosave is off)".to_string(),
    };
    app.set_status(
        StatusKind::Success,
        format!(
            "Copied {label} ({}) to the clipboard (OSC 52, unconfirmed){also}{note}.",
            size(text.len())
        ),
    );
    app.last_copied = Some(text.clone());
    let task = app.next_task();
    vec![Effect::Copy { task, text, file }]
}

/// What the copied commands reproduce: the target, or the embedded emulator (known by its
/// clock, which only the embedded emulator has in the options).
fn copy_target(app: &Model) -> CopyTarget {
    match app.options.clock {
        Some(clock) => CopyTarget::Embedded {
            workspace: app.options.live_workspace.as_ref().map(|l| l.dir.clone()),
            clock,
        },
        None => CopyTarget::Remote(app.target.clone()),
    }
}

/// The file a copy is also written to: in the state directory (the autosave's), one per kind,
/// the latest copy of that kind.
fn copy_file(app: &Model, what: CopyWhat) -> Option<PathBuf> {
    let dir = app.options.autosave.as_ref()?.parent()?;
    let name = match what {
        CopyWhat::Response => "last-copy.response.json",
        CopyWhat::Curl => "last-copy.curl.sh",
        CopyWhat::Send => "last-copy.send.sh",
    };
    Some(dir.join(name))
}

/// A copy's file could not be written: the status line says so (the clipboard may have it).
pub(crate) fn on_written(app: &mut Model, path: &std::path::Path, result: Result<(), String>) {
    if let Err(why) = result {
        app.set_status(
            StatusKind::Error,
            format!(
                "Copied to the clipboard (OSC 52, unconfirmed), but {} could not be written: {why}.",
                path.display()
            ),
        );
    }
}
