//! The autosave in the update step: when to write (after a call; once typing has stopped for
//! [`IDLE`]), what (the calls not yet saved and the head, serialised here: their size does not
//! grow with the history), and what a start found, in words. The files are the executor's.

use crate::api::Identity;
use crate::console::autosave::format::{Record, head, line, saved_call};
use crate::console::autosave::target::{same_target, saved_target};
use crate::console::autosave::{IDLE, journal_path};
use crate::console::executor::autosave::{StartOutcome, StartRequest, Started};
use crate::console::message::Effect;
use crate::console::model::{Model, StatusKind};

/// When the loop starts: claim and restore the autosave (the executor reads the files; the keys
/// wait until it has answered, so nothing typed is overwritten by the restore).
pub(crate) fn start(app: &mut Model) -> Vec<Effect> {
    let Some(configured) = app.options.autosave.clone() else {
        return Vec::new();
    };
    if app.autosave.path.is_some() {
        // Started already (the loop runs again on the same app, as tests do).
        return Vec::new();
    }
    let task = app.next_holding_task();
    vec![Effect::StartAutosave {
        task,
        request: Box::new(StartRequest {
            configured,
            fresh: app.options.fresh,
            target: saved_target(app),
            current: head(app),
        }),
    }]
}

/// `Message::AutosaveStarted`: the restored calls and head into the model, the outcome in words.
pub(crate) fn on_started(app: &mut Model, started: Started) {
    app.autosave.path = Some(started.path.clone());
    let elsewhere = match &started.elsewhere {
        Some(configured) => format!(
            "Another segscope console is using {}: this one autosaves to {}. ",
            configured.display(),
            started.path.display()
        ),
        None => String::new(),
    };
    match started.outcome {
        StartOutcome::Empty => {
            if !elsewhere.is_empty() {
                app.set_status(StatusKind::Warning, elsewhere.trim_end().to_string());
            }
        }
        StartOutcome::SetAside(Err(why)) => app.set_status(
            StatusKind::Warning,
            format!("{elsewhere}Started fresh (--fresh), but {why}. It will be overwritten."),
        ),
        StartOutcome::SetAside(Ok(kept)) => {
            if !kept.is_empty() || !elsewhere.is_empty() {
                let what = if kept.is_empty() {
                    String::new()
                } else {
                    let kept: Vec<String> = kept.iter().map(|p| p.display().to_string()).collect();
                    format!(" the previous autosave is kept as {}.", kept.join(" and "))
                };
                app.set_status(
                    StatusKind::Info,
                    format!("{elsewhere}Started fresh (--fresh):{what}"),
                );
            }
        }
        StartOutcome::Unreadable(why) => app.set_status(
            StatusKind::Error,
            format!("{elsewhere}{why}. Starting clean."),
        ),
        StartOutcome::Corrupt { why, asides } => {
            let why: String = why.chars().take(160).collect();
            app.set_status(
                StatusKind::Error,
                format!(
                    "{elsewhere}The autosave {} is unreadable ({why}); {}. Starting clean.",
                    started.path.display(),
                    asides.join(", ")
                ),
            );
        }
        StartOutcome::Restored(restored, compacted) => {
            let restored = *restored;
            let calls = restored.history.len();
            let mut history = restored.history;
            for call in &mut history {
                call.id = app.next_task();
            }
            match restored.head {
                Some(head) => {
                    head.apply(app, calls);
                }
                None => app.selected = calls.checked_sub(1),
            }
            app.history = history;
            let what = match calls {
                0 => "the editor and state".to_string(),
                n => crate::console::words::count(n, "call"),
            };
            let here = saved_target(app);
            let went = match &restored.target {
                Some(there) if !same_target(there, &here) => {
                    // Another target's state is never sent here silently: a new user starts,
                    // and `r` on a restored call takes its identity and state back on purpose.
                    let id = app.ids.next_uuid();
                    app.identity = Identity::UserId(id.clone());
                    app.state = None;
                    app.lineage.reset();
                    format!(
                        " (they went to {there}, not to {}: so as not to send their state here, this is a new user {id}; r on a restored call takes its user and state back)",
                        app.target_label()
                    )
                }
                _ => String::new(),
            };
            let mut notes = String::new();
            if restored.dropped > 0 {
                notes.push_str(&format!(
                    " {} unreadable record(s) dropped.",
                    restored.dropped
                ));
            }
            if restored.torn {
                notes.push_str(" The journal's last line was cut short (the console was killed mid-write) and was dropped.");
            }
            let when = restored
                .saved_at
                .map(|t| format!(", saved {}", t.strftime("%Y-%m-%d %H:%M:%S UTC")))
                .unwrap_or_default();
            let kind = if notes.is_empty() {
                StatusKind::Info
            } else {
                StatusKind::Warning
            };
            app.set_status(
                kind,
                format!("{elsewhere}Restored {what} from autosave{went}{when}.{notes} --fresh starts clean."),
            );
            match compacted {
                Ok(()) => {
                    app.autosave.saved_calls = app.history.len();
                    app.autosave.dirty = false;
                }
                Err(e) => app.set_status(StatusKind::Warning, format!("Autosave failed: {e}")),
            }
        }
    }
}

/// After a key or a paste: write once typing has stopped for [`IDLE`] (the executor keeps one
/// timer, set again by every key).
pub(crate) fn after_input(app: &mut Model) -> Vec<Effect> {
    if app.autosave.path.is_none() {
        return Vec::new();
    }
    let state = &mut app.autosave;
    state.dirty = true;
    state.inputs += 1;
    state.timer_for = Some(state.inputs);
    vec![Effect::AutosaveTimer {
        after: IDLE,
        input: state.inputs,
    }]
}

/// The idle timer went off: write if no key came since it was set.
pub(crate) fn on_due(app: &mut Model, input: u64) -> Vec<Effect> {
    let state = &mut app.autosave;
    if state.timer_for != Some(input) || state.inputs != input {
        return Vec::new();
    }
    state.timer_for = None;
    if !state.dirty {
        return Vec::new();
    }
    save(app)
}

/// Asks for a write now (after a call, after the idle timer): the calls not yet saved and the
/// head, serialised here (their size does not grow with the history) and appended by the writer.
pub(crate) fn save(app: &mut Model) -> Vec<Effect> {
    let Some(path) = app.autosave.path.clone() else {
        return Vec::new();
    };
    let mut lines = String::new();
    for call in &app.history[app.autosave.saved_calls.min(app.history.len())..] {
        lines.push_str(&line(&Record::Call(saved_call(call))));
    }
    lines.push_str(&line(&Record::Head(head(app))));
    app.autosave.saved_calls = app.history.len();
    app.autosave.dirty = false;
    let task = app.next_task();
    vec![Effect::AppendJournal {
        task,
        path: journal_path(&path),
        lines,
    }]
}

/// What is not saved yet, if anything (when the input ends).
pub(crate) fn unsaved(app: &mut Model) -> Vec<Effect> {
    if app.autosave.path.is_none() {
        return Vec::new();
    }
    if app.autosave.dirty || app.autosave.saved_calls < app.history.len() {
        save(app)
    } else {
        Vec::new()
    }
}

/// After the compaction at exit: the history is all in the snapshot (or why not).
pub(crate) fn on_compacted(app: &mut Model, result: &Result<(), String>) {
    match result {
        Ok(()) => {
            app.autosave.saved_calls = app.history.len();
            app.autosave.dirty = false;
        }
        Err(e) => app.autosave.exit_error = Some(e.clone()),
    }
}

/// `Message::Autosaved`: only a failure is worth a word.
pub(crate) fn on_written(app: &mut Model, result: Result<(), String>) {
    if let Err(e) = result {
        app.set_status(StatusKind::Warning, format!("Autosave failed: {e}"));
    }
}
