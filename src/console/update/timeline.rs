//! What happened inside a call, in the update step (see `timeline.rs`): every successful call
//! against an emulator is explained once more in the background; the answer is kept by call.

use crate::console::message::Effect;
use crate::console::model::insights::CallInsight;
use crate::console::model::{Model, StatusKind};

/// After a call came back: against an emulator, ask for its explanation in the background.
pub(crate) fn after_call(app: &mut Model) -> Vec<Effect> {
    if !app.options.emulator_endpoints {
        return Vec::new();
    }
    let Some(call) = app.history.last() else {
        return Vec::new();
    };
    let id = call.id;
    if !call.succeeded()
        || app.insights.by_call.contains_key(&id)
        || app.insights.asking.values().any(|c| *c == id)
    {
        return Vec::new();
    }
    let request = Box::new(call.request.clone());
    let task = app.next_task();
    app.insights.asking.insert(task, id);
    vec![Effect::Explain { task, request }]
}

/// `Message::Explained`: takes the answers to [`after_call`]'s questions (`true`), and leaves
/// the rest to the explanation popup (`false`).
pub(crate) fn on_explained(
    app: &mut Model,
    task: u64,
    result: &Result<crate::engine::Explanation, String>,
) -> bool {
    let Some(call_id) = app.insights.asking.remove(&task) else {
        return false;
    };
    // A failed background explanation costs nothing but the marks: the call itself is fine.
    let Ok(explanation) = result else {
        return true;
    };
    let insight = CallInsight::of(explanation);
    // The notes go first on the status line, while the call still is the latest, so that a
    // narrow line cuts the call's summary rather than the warning. The notes' tails (what the
    // clock does about it) are in the explanation.
    if !insight.notes.is_empty() && app.history.last().is_some_and(|c| c.id == call_id) {
        let kind = match app.status.kind {
            StatusKind::Error => StatusKind::Error,
            _ => StatusKind::Warning,
        };
        let short: Vec<&str> = insight
            .notes
            .iter()
            .map(|n| n.split_once(": ").map_or(n.as_str(), |(head, _)| head))
            .collect();
        let text = format!(
            "Note ({} clock): {}. {}",
            insight.clock.name(),
            short.join("; "),
            app.status.text
        );
        app.set_status(kind, text);
    }
    app.insights.by_call.insert(call_id, insight);
    true
}
