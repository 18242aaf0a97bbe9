//! F8: the open session's steps sent one by one, each live answer compared with its recording.

use crate::api::CallOutcome;
use crate::console::call::EventsLayout;
use crate::console::keymap::{self, Action};
use crate::console::message::Effect;
use crate::console::model::{Model, StatusKind};
use crate::console::update::pending::{already_in_flight, dispatch};
use crate::session::Recording;
use crate::session::replay::{ReplayOptions, Verdict, cohorts_of, judge};

use crate::console::model::playback::{StepRun, explain};

/// F8: send the open session's next step (or start it again once all are done).
pub(crate) fn next_step(app: &mut Model) -> Vec<Effect> {
    if already_in_flight(app) {
        return Vec::new();
    }
    let Some(playback) = app.playback.as_mut() else {
        let keys = keymap::keys_in_words(Action::OpenSession);
        app.set_status(
            StatusKind::Warning,
            format!("No session open: {keys} picks one (or segscope --session FILE)."),
        );
        return Vec::new();
    };
    if playback.total() == 0 {
        app.set_status(StatusKind::Warning, "The open session has no steps.");
        return Vec::new();
    }
    if playback.is_done() {
        playback.next = 0;
        let done = std::mem::take(&mut playback.runs);
        playback.earlier.extend(done);
        playback.state = playback.session.initial_opaque_state();
    }
    let index = playback.next;
    let step = &playback.session.steps[index];
    let pretty = step.events_pretty();
    // Sent as recorded, byte for byte; the editor shows it pretty.
    let raw = step.events.to_string();
    let event_count = step.event_count();
    let sync = step.synchronous_validation;
    let identity = playback.identity.clone();
    let state = playback.state.clone();
    let label = playback.step_label_with_note(index);
    // The console follows the session: its identity, the threaded state, the step's events and
    // validation flag, so what is on screen is what is sent.
    app.identity = identity;
    app.state = state;
    app.sync_validation = sync;
    app.editor.set_text(&pretty);
    let status = format!("Sending {label}… Esc cancels.");
    let Some((task, effects)) = dispatch(app, EventsLayout::Pretty, raw, event_count, status)
    else {
        return Vec::new();
    };
    if let Some(playback) = app.playback.as_mut() {
        playback.awaiting = Some((task, index));
    }
    effects
}

/// After a call is in the history: if it was the step in flight, compare it with its recording.
pub(crate) fn after_call(app: &mut Model, task: u64) {
    let Some(playback) = app.playback.as_mut() else {
        return;
    };
    let Some((_, index)) = playback.awaiting.filter(|(t, _)| *t == task) else {
        return;
    };
    playback.awaiting = None;
    let Some(call) = app.history.iter().rev().find(|c| c.id == task) else {
        return;
    };
    let before = cohorts_of(call.state_before());
    let actual = Recording::from_outcome(&call.outcome, &before);
    let expected = playback.session.steps[index].expect.clone();
    let verdict = judge(
        expected.as_ref(),
        actual.as_ref(),
        &call.outcome,
        ReplayOptions::default(),
    );
    if let CallOutcome::Success { response, .. } = &call.outcome {
        playback.state = Some(response.state.clone());
    }
    let (kind, what) = match &verdict {
        Verdict::Passed => (StatusKind::Success, "as recorded".to_string()),
        Verdict::Mismatch(_) => (StatusKind::Error, String::new()),
        Verdict::Unrecorded => (
            StatusKind::Warning,
            "no recording to compare with".to_string(),
        ),
        Verdict::TargetError(message) => (StatusKind::Error, format!("target error: {message}")),
    };
    let run = StepRun {
        step: index,
        call_id: task,
        expected,
        actual,
        verdict,
    };
    let what = if let Verdict::Mismatch(_) = run.verdict {
        format!("≠ not as recorded: {}", explain(&run).join("; also "))
    } else {
        what
    };
    playback.runs.push(run);
    playback.next = index + 1;
    let kind = if playback.is_done() && kind == StatusKind::Success {
        if playback.tally().exit_code() == 0 {
            StatusKind::Success
        } else {
            StatusKind::Error
        }
    } else {
        kind
    };
    let text = format!(
        "{}: {what}. {}",
        playback.step_label(index),
        playback.next_text(&keymap::keys_in_words(Action::NextStep))
    );
    app.set_status(kind, text);
}
