//! `y`, `c`, `C` in the update step (see `clipboard.rs`): the text to copy, in words on the
//! status line; the executor writes it to the terminal.

use crate::api::CallOutcome;
use crate::console::clipboard::{CopyWhat, curl_command, send_command, size};
use crate::console::message::Effect;
use crate::console::model::{Model, StatusKind};

/// `y`, `c`, `C`: copies something about the selected call.
pub(crate) fn copy(app: &mut Model, what: CopyWhat) -> Vec<Effect> {
    let Some(index) = app.selected.filter(|i| *i < app.history.len()) else {
        app.set_status(StatusKind::Info, "Nothing to copy yet: send a call first.");
        return Vec::new();
    };
    let call = &app.history[index];
    let target = &app.target;
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
            format!("a curl command for call {number} (key as $PERMUTIVE_API_KEY)"),
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
        " — large: some terminals cap OSC 52 at ~100 kB"
    } else {
        ""
    };
    app.set_status(
        StatusKind::Success,
        format!(
            "Copied {label}, {}, to the clipboard (OSC 52){note}.",
            size(text.len())
        ),
    );
    app.last_copied = Some(text.clone());
    vec![Effect::Copy { text }]
}
