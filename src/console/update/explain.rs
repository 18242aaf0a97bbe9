//! The explanation popup in the update step (see `explain.rs`): Enter (or `e`) opens it and asks
//! the emulator, its answer fills it, its keys move through it.

use crate::api::{SegmentationRequest, cohort_order};
use crate::console::explain::{call_state, entry_lines, explained_entry};
use crate::console::keymap::{self, Action, PopupAction, PopupKey};
use crate::console::message::Effect;
use crate::console::model::explain::{Entry, ExplainPopup, Stage};
use crate::console::model::{Focus, Model, Popup, StatusKind};

/// Enter (or `e`): opens the popup for the selected call, on the cohort under the cursor in the
/// Cohorts pane, or on the first cohort (the list is every workspace cohort: pick any).
pub(crate) fn open(app: &mut Model) -> Vec<Effect> {
    let Some(index) = app.selected.filter(|i| *i < app.history.len()) else {
        let send = keymap::keys_in_words(Action::Send);
        app.set_status(
            StatusKind::Info,
            format!("Nothing to explain yet: send a call ({send}), then Enter on a cohort."),
        );
        return Vec::new();
    };
    let call = &app.history[index];
    let wanted = if app.focus == Focus::Cohorts {
        // The cohort drawn under the cursor (after a rewind, of the state sent next).
        crate::console::history::cohort_entries(app)
            .get(app.cohort_cursor)
            .map(|(_, code)| code.to_string())
    } else {
        None
    };
    let mut codes: Vec<String> = app
        .workspace
        .as_ref()
        .map(|w| w.cohort_names.keys().cloned().collect())
        .unwrap_or_default();
    codes.extend(app.options.cohort_names.keys().cloned());
    codes.extend(app.options.cohort_definitions.keys().cloned());
    codes.extend(call.delta.members.iter().cloned());
    codes.extend(call.delta.left.iter().cloned());
    if let Some(view) = call_state(call).and_then(|s| s.view().ok()) {
        codes.extend(view.internal_state.keys().cloned());
    }
    codes.sort_by(|a, b| cohort_order(a, b));
    codes.dedup();
    let entries: Vec<Entry> = codes
        .into_iter()
        .map(|code| Entry {
            name: app.cohort_name(&code).unwrap_or("").to_string(),
            member: Some(call.delta.members.contains(&code)),
            changed: if call.delta.entered.contains(&code) {
                Some(true)
            } else if call.delta.left.contains(&code) {
                Some(false)
            } else {
                None
            },
            code,
        })
        .collect();
    let cursor = wanted
        .and_then(|w| entries.iter().position(|e| e.code == w))
        .unwrap_or(0);
    let mut popup = ExplainPopup {
        call: index,
        stage: Stage::Ready,
        entries,
        explanation: None,
        cursor,
        scroll: 0,
    };
    let mut effects = Vec::new();
    let number = index + 1;
    if !app.options.emulator_endpoints {
        let why = format!(
            "Explanations need the segscope emulator (the embedded one, or `segscope serve` with --base-url): {} has no /_segscope/explain.",
            app.target_label()
        );
        popup.stage = Stage::Unavailable(why.clone());
        app.set_status(
            StatusKind::Warning,
            format!("{why} Showing the raw state entries of call {number} instead."),
        );
    } else {
        // The call's own request: its events and the state it sent, byte for byte.
        let request: SegmentationRequest = call.request.clone();
        let task = app.next_task();
        popup.stage = Stage::Loading { task };
        effects.push(Effect::Explain {
            task,
            request: Box::new(request),
        });
        app.set_status(
            StatusKind::Info,
            format!("Asking the emulator why (not), for call {number}'s request…"),
        );
    }
    app.popup = Some(Popup::Explain(Box::new(popup)));
    effects
}

/// `Message::Explained`: fills the popup, if it is still the one that asked.
pub(crate) fn on_explained(
    app: &mut Model,
    task: u64,
    result: Result<crate::engine::Explanation, String>,
) {
    let Some(Popup::Explain(popup)) = app.popup.as_mut() else {
        return;
    };
    if popup.stage != (Stage::Loading { task }) {
        return;
    }
    if popup.call >= app.history.len() {
        return;
    }
    let number = popup.call + 1;
    let (kind, status) = match result {
        Ok(explanation) => {
            let wanted = popup.selected().map(|e| e.code.clone());
            popup.entries = explanation.cohorts.iter().map(explained_entry).collect();
            popup.explanation = Some(std::sync::Arc::new(explanation));
            popup.cursor = wanted
                .and_then(|w| popup.entries.iter().position(|e| e.code == w))
                .unwrap_or(0);
            popup.scroll = 0;
            popup.stage = Stage::Ready;
            let members = popup.entries.iter().filter(|e| e.member == Some(true));
            (
                StatusKind::Success,
                format!(
                    "Explained call {number}: {} cohorts, the user is in {}. ↑↓ picks a cohort.",
                    popup.entries.len(),
                    members.count()
                ),
            )
        }
        Err(why) => {
            let why = format!("No explanation: {why}.");
            popup.stage = Stage::Unavailable(why.clone());
            (
                StatusKind::Warning,
                format!("{why} Showing the raw state entries of call {number} instead."),
            )
        }
    };
    app.set_status(kind, status);
}

/// Keys while the popup is open (its rows of the keymap).
pub(crate) fn on_key(app: &mut Model, key: PopupKey) -> Vec<Effect> {
    let Some(Popup::Explain(popup)) = app.popup.as_ref() else {
        return Vec::new();
    };
    let PopupKey::Action(action) = key else {
        return Vec::new();
    };
    // How far PageDown may go: the lines the view draws for this cohort, counted.
    let line_count = if action == PopupAction::PageDown {
        entry_lines(app, popup, popup.cursor).len()
    } else {
        0
    };
    let Some(Popup::Explain(popup)) = app.popup.as_mut() else {
        return Vec::new();
    };
    let len = popup.entries.len();
    let pick = |popup: &mut ExplainPopup, to: usize| {
        popup.cursor = to.min(len.saturating_sub(1));
        popup.scroll = 0;
    };
    match action {
        PopupAction::Close => app.popup = None,
        PopupAction::Up => pick(popup, popup.cursor.saturating_sub(1)),
        PopupAction::Down => pick(popup, popup.cursor + 1),
        PopupAction::Top => pick(popup, 0),
        PopupAction::Bottom => pick(popup, len),
        PopupAction::PageUp => popup.scroll = popup.scroll.saturating_sub(10),
        PopupAction::PageDown => {
            popup.scroll = (popup.scroll + 10).min(line_count.saturating_sub(1));
        }
        PopupAction::Confirm | PopupAction::NextField | PopupAction::PrevField => {}
    }
    Vec::new()
}
