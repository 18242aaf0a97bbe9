//! Ctrl+N: a new event at the cursor, stamped at the user's clock or now, whichever is later,
//! its `<placeholders>` selected one after another as problems until replaced.

use super::editing::{event_schemas, text_checked};
use super::panes::set_focus;
use crate::console::editor::{Check, is_placeholder_problem, new_event};
use crate::console::model::{Focus, Model, Popup, StatusKind};
use crate::console::words::count;

pub(super) fn new_event_action(app: &mut Model) {
    set_focus(app, Focus::Editor);
    let names: Vec<String> = event_schemas(app).keys().cloned().collect();
    if names.is_empty() {
        insert_event(app, "Pageview");
        app.set_status(
            StatusKind::Info,
            "Inserted a Pageview with empty properties (this target publishes no event schemas): fill them in.",
        );
    } else {
        let selected = names.iter().position(|n| n == "Pageview").unwrap_or(0);
        app.popup = Some(Popup::EventPicker { names, selected });
    }
}

/// The user's clock: the latest event time sent for the current identity in a call that
/// counted (succeeded, on the branch in use). `None` for a user with no such call.
pub(crate) fn user_clock(app: &Model) -> Option<jiff::Timestamp> {
    app.counted_calls()
        .filter_map(|(_, call)| {
            let events: Vec<serde_json::Value> =
                serde_json::from_str(call.request.events.get()).ok()?;
            events
                .iter()
                .filter_map(|e| e.get("time")?.as_str()?.parse::<jiff::Timestamp>().ok())
                .max()
        })
        .max()
}

/// The time a new event gets: now, or the user's clock when that is later (an event before
/// the user's history would count for nothing in the windows that end at their clock).
fn stamp(app: &Model) -> (jiff::Timestamp, bool) {
    let now = app.options.time.now();
    match user_clock(app) {
        Some(clock) if clock > now => (clock, true),
        _ => (now, false),
    }
}

pub(super) fn insert_event(app: &mut Model, name: &str) {
    let schema = event_schemas(app).get(name).cloned();
    let view_id = app.ids.next_uuid();
    let (time, at_clock) = stamp(app);
    let event = new_event(
        name,
        schema.as_ref(),
        time,
        &mut app.ids,
        &app.session_id.clone(),
        &view_id,
    );
    let text = serde_json::to_string_pretty(&event).unwrap_or_default();
    app.editor.insert_event(&text);
    text_checked(app);
    let when = if at_clock {
        " at the user's clock (their latest event, later than now)"
    } else {
        ""
    };
    let placeholders = app
        .editor
        .problems
        .iter()
        .filter(|p| is_placeholder_problem(p))
        .count();
    let note = match placeholders {
        0 => String::new(),
        1 => "; type to replace its placeholder (selected)".to_string(),
        n => format!("; type to replace the selected placeholder ({n} to fill, marked ●)"),
    };
    match app.editor.check() {
        Check::Valid { events } => app.set_status(
            if placeholders > 0 {
                StatusKind::Warning
            } else {
                StatusKind::Info
            },
            format!(
                "Inserted a {name} event{when}{note} ({} in the editor).",
                count(*events, "event")
            ),
        ),
        Check::Invalid(problem) => app.set_status(
            StatusKind::Warning,
            format!(
                "Inserted a {name} event{when}{note}; the editor still has a problem: {problem}"
            ),
        ),
    }
}
