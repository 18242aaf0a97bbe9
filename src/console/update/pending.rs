//! The pending call: built in one place from what the console holds (its identity, state and
//! validation flag) and the events to send, for F5 and for F8's steps alike.

use serde_json::value::RawValue;

use crate::api::SegmentationRequest;
use crate::console::call::{EventsLayout, PendingCall};
use crate::console::message::Effect;
use crate::console::model::{InFlight, Model, StatusKind};

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
        sync_validation: app.sync_validation,
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
    });
    app.set_status(StatusKind::Info, status);
    Some((task, vec![Effect::Send(Box::new(pending))]))
}
