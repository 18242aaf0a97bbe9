//! F5 and what comes back: the pending call built from the editor, the call finished into the
//! history, its outcome in words on the status line.

use super::pending::{already_in_flight, dispatch};
use crate::api::CallOutcome;
use crate::api::client::as_sentence;
use crate::api::event_shape::Violation;
use crate::console::call::{Call, EventsLayout};
use crate::console::editor::{Check, ServerViolation};
use crate::console::keymap::{self, Action};
use crate::console::message::Effect;
use crate::console::model::{DetailView, Model, StatusKind};
use crate::console::words::count;

pub(super) fn send(app: &mut Model) -> Vec<Effect> {
    if already_in_flight(app) {
        return Vec::new();
    }
    let events = match app.editor.check() {
        Check::Valid { events } => *events,
        Check::Invalid(problem) => {
            let text = format!("Not sent: the events are not valid: {problem}");
            app.set_status(StatusKind::Error, text);
            return Vec::new();
        }
    };
    let text = app.editor.text();
    if let Some(call) = same_events_as(app, &text)
        && app.editor.resend_warned.as_deref() != Some(text.as_str())
    {
        app.editor.resend_warned = Some(text);
        app.set_status(
            StatusKind::Warning,
            format!(
                "Same events as call {call}: they count again. {} sends; {} shifts.",
                keymap::keys_in_words(Action::Send),
                keymap::keys_in_words(Action::AdvanceTime)
            ),
        );
        return Vec::new();
    }
    app.editor.resend_warned = None;
    let status = format!(
        "Sending {} to {} (synchronous validation {})… Esc cancels.",
        count(events, "event"),
        app.target_label(),
        if app.sync_validation { "ON" } else { "OFF" }
    );
    let raw = text.trim().to_string();
    match dispatch(app, EventsLayout::AsTyped, raw, events, status) {
        Some((_, effects)) => effects,
        None => Vec::new(),
    }
}

/// The number of the call that last counted for this user (succeeded, on the branch in use)
/// when its events are the editor's, value for value: sending them again counts them again.
fn same_events_as(app: &Model, text: &str) -> Option<usize> {
    let (index, call) = app.counted_calls().next_back()?;
    let sent: serde_json::Value = serde_json::from_str(call.request.events.get()).ok()?;
    let editor: serde_json::Value = serde_json::from_str(text).ok()?;
    (sent == editor).then_some(index + 1)
}

pub(super) fn cancel_in_flight(app: &mut Model) -> Vec<Effect> {
    match app.in_flight.take() {
        Some(flight) => vec![Effect::Cancel { task: flight.task }],
        None => Vec::new(),
    }
}

pub(super) fn named(app: &Model, codes: &[String]) -> String {
    if codes.is_empty() {
        return "none".into();
    }
    codes
        .iter()
        .map(|c| match app.cohort_name(c) {
            Some(name) => format!("{name} ({c})"),
            None => c.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) const UNCHANGED: &str = "Editor and state unchanged.";

/// The status line for a finished call, in words.
pub(super) fn summary(app: &Model, call: &Call) -> (StatusKind, String) {
    let latency = app.options.time.latency_text(call.outcome.latency());
    match &call.outcome {
        CallOutcome::Success { status, .. } => (
            StatusKind::Success,
            format!(
                "{status} OK in {latency}: {}; entered {}; left {}. The next call sends this state.",
                count(call.event_count, "event"),
                named(app, &call.delta.entered),
                named(app, &call.delta.left)
            ),
        ),
        CallOutcome::ApiError {
            status,
            envelope: Some(env),
            ..
        } => {
            let first = as_sentence(env.headline());
            let hint = match status {
                401 | 403 => " Check the API key (--api-key or PERMUTIVE_API_KEY).",
                _ => "",
            };
            (
                StatusKind::Error,
                format!(
                    "{status} {} (code {}): {first}{hint} {UNCHANGED}",
                    env.error.status, env.error.code
                ),
            )
        }
        CallOutcome::ApiError {
            status, raw_body, ..
        } => {
            let what = if serde_json::from_str::<serde_json::Value>(raw_body).is_ok() {
                "a JSON body that is not Permutive's error envelope"
            } else if raw_body.trim().is_empty() {
                "an empty body"
            } else {
                "a body that is not JSON"
            };
            (
                StatusKind::Error,
                format!("{status} with {what} (see the response view). {UNCHANGED}"),
            )
        }
        CallOutcome::Transport { message, .. } => {
            let sentence = as_sentence(message);
            let mut chars = sentence.chars();
            let message = match chars.next() {
                Some('.') | None => "The request failed.".to_string(),
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
            };
            (StatusKind::Error, format!("{message} {UNCHANGED}"))
        }
    }
}

pub(super) fn on_call_finished(app: &mut Model, task: u64, call: Call) {
    if app.in_flight.as_ref().map(|f| f.task) != Some(task) {
        // Cancelled (or superseded) while it was on its way: drop it.
        return;
    }
    app.in_flight = None;
    let (kind, text) = summary(app, &call);
    let succeeded = call.succeeded();
    let number = app.history.len() + 1;
    let server = server_violations(&call, number);
    let moved_on = *call.identity() != app.identity;
    app.record_call(call);
    if moved_on && succeeded {
        app.set_status(
            StatusKind::Warning,
            format!(
                "{text} (The identity changed while it was on its way: its state is not used.)"
            ),
        );
    } else {
        app.set_status(kind, text);
    }
    if !succeeded {
        app.detail_view = DetailView::Response;
    }
    let marked = server.len();
    app.editor.set_server_violations(server);
    if marked > 0 {
        app.status.text.push_str(&format!(
            " The editor marks the {} on their lines.",
            if marked == 1 {
                "violation".to_string()
            } else {
                format!("{marked} violations")
            }
        ));
    }
    super::sessions::after_call(app, task);
}

/// The violations a 400 lists (`events[i]: /pointer: reason`), each with the event as sent,
/// so the editor marks them while those events are unchanged.
fn server_violations(call: &Call, number: usize) -> Vec<ServerViolation> {
    let CallOutcome::ApiError {
        envelope: Some(env),
        ..
    } = &call.outcome
    else {
        return Vec::new();
    };
    let sent: Vec<serde_json::Value> =
        serde_json::from_str(call.request.events.get()).unwrap_or_default();
    env.violations()
        .into_iter()
        .filter_map(Violation::parse)
        .filter_map(|violation| {
            Some(ServerViolation {
                call: number,
                sent: sent.get(violation.event)?.clone(),
                violation,
            })
        })
        .collect()
}
