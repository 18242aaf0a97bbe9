//! The pending call: built in one place from what the console holds (its identity, state and
//! validation flag) and the events to send, for F5 and for F8's steps alike.

use serde_json::value::RawValue;

use crate::api::{CallOutcome, SegmentationRequest, TransportKind};
use crate::console::call::{Call, EventsLayout, PendingCall};
use crate::console::message::Effect;
use crate::console::model::{DetailView, InFlight, Model, StatusKind};

/// One call at a time: `true` (and the status says so) while one is on its way.
pub(super) fn already_in_flight(app: &mut Model) -> bool {
    if app.in_flight.is_some() {
        app.set_status(
            StatusKind::Warning,
            "A request is already in flight: wait for it, or press Esc to cancel it.",
        );
    }
    app.in_flight.is_some()
}

/// Builds the pending call — the console's identity, state and validation flag with these
/// events (`raw`, sent byte for byte; `events_layout`: how the editor shows them) — marks it in
/// flight and returns its task and the effect that sends it. The one place a call is built,
/// for F5 and for F8's steps. `None` (and the status says why) when `raw` is not JSON.
pub(super) fn dispatch(
    app: &mut Model,
    events_layout: EventsLayout,
    raw: String,
    event_count: usize,
    status: String,
) -> Option<(u64, Vec<Effect>)> {
    let sync_validation = app.sync_validation;
    dispatch_with(
        app,
        events_layout,
        raw,
        event_count,
        status,
        sync_validation,
    )
}

/// [`dispatch`] with a validation flag of its own (a retried call keeps the one it had).
fn dispatch_with(
    app: &mut Model,
    events_layout: EventsLayout,
    raw: String,
    event_count: usize,
    status: String,
    sync_validation: bool,
) -> Option<(u64, Vec<Effect>)> {
    let events = match RawValue::from_string(raw) {
        Ok(raw) => raw,
        Err(e) => {
            app.set_status(StatusKind::Error, format!("Not sent: {e}"));
            return None;
        }
    };
    let task = app.next_task();
    let pending = PendingCall {
        id: task,
        events_layout,
        event_count,
        sync_validation,
        sent_at: app.options.time.now(),
        request: SegmentationRequest {
            identity: app.identity.clone(),
            events,
            state: app.state.clone(),
        },
    };
    app.in_flight = Some(InFlight {
        task,
        events: event_count,
        started: app.options.time.now(),
        pending: Box::new(pending.clone()),
    });
    app.set_status(StatusKind::Info, status);
    Some((task, vec![Effect::Send(Box::new(pending))]))
}

/// Esc on a call in flight: it is abandoned (its answer, if one comes, is dropped), and it
/// stays in the History as a cancelled call, which changed nothing.
pub(super) fn cancel(app: &mut Model) -> Vec<Effect> {
    let Some(flight) = app.in_flight.take() else {
        return Vec::new();
    };
    let latency = app
        .options
        .time
        .now()
        .duration_since(flight.started)
        .unsigned_abs();
    let call = Call::complete(
        *flight.pending,
        CallOutcome::Transport {
            latency,
            kind: TransportKind::Cancelled,
            message: "cancelled with Esc before an answer came".into(),
        },
    );
    let number = app.history.len() + 1;
    app.record_call(call);
    app.detail_view = DetailView::Response;
    app.set_status(
        StatusKind::Warning,
        format!(
            "Cancelled call {number}: the request was abandoned (History marks it cancelled). Editor and state unchanged."
        ),
    );
    let mut effects = vec![Effect::Cancel { task: flight.task }];
    effects.extend(super::autosave::save(app));
    effects
}

/// `R`: the selected call's events again, byte for byte, with its validation flag, as the
/// next call: the console's identity and state (for the last call that failed, the very same
/// request). The editor is left alone.
pub(super) fn retry(app: &mut Model) -> Vec<Effect> {
    if app.selected_call().is_none() {
        app.set_status(
            StatusKind::Info,
            "Nothing to retry: no call yet. Select a call in the History pane, then R.",
        );
        return Vec::new();
    }
    if already_in_flight(app) {
        return Vec::new();
    }
    let Some(call) = app.selected_call() else {
        return Vec::new();
    };
    let number = app.selected.map_or(0, |i| i + 1);
    let (layout, raw, count, sync) = (
        call.events_layout,
        call.events().to_string(),
        call.event_count,
        call.sync_validation,
    );
    let status = format!(
        "Retrying call {number}'s events as call {} to {}… Esc cancels.",
        app.history.len() + 1,
        app.target_label()
    );
    dispatch_with(app, layout, raw, count, status, sync).map_or_else(Vec::new, |(_, e)| e)
}
