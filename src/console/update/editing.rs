//! After an edit: the live check, and where the text is wrong, in words — the problems of the
//! line under the cursor on the status line, the rest marked in the gutter.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::console::editor::{Check, Problem, compile_schemas};
use crate::console::keymap::{self, Action};
use crate::console::model::{Model, Status, StatusKind};
use crate::console::words::count;

/// After any edit: run the live check and say where the text is wrong.
pub(super) fn editor_changed(app: &mut Model) {
    app.editor.recheck();
    text_checked(app);
}

/// The editor changed its own text and checked it already (a whole-text replace, an inserted
/// event, a format): the status line follows, without checking the text a second time.
pub(super) fn text_checked(app: &mut Model) {
    tell_problems(app, true);
}

/// The cursor moved in the editor without an edit: a marked line says its problems once.
pub(super) fn cursor_moved(app: &mut Model) {
    tell_problems(app, false);
}

/// The event schemas the console has: the emulator's workspace's, else `--schemas DIR`'s.
pub(super) fn event_schemas(app: &Model) -> &BTreeMap<String, Value> {
    match &app.workspace {
        Some(w) if !w.events.is_empty() => &w.events,
        _ => &app.options.event_schemas,
    }
}

/// The workspace's description came (or changed), or the console starts: its event schemas
/// check the editor from now.
pub(super) fn schemas_changed(app: &mut Model) {
    let schemas = event_schemas(app);
    let schemas = (!schemas.is_empty()).then(|| compile_schemas(schemas));
    app.editor.set_schemas(schemas);
    if app.status.from_editor {
        tell_problems(app, true);
    }
}

fn set(app: &mut Model, kind: StatusKind, text: String) {
    app.status = Status {
        text,
        kind,
        from_editor: true,
    };
}

fn lines_of(problems: &[&Problem]) -> String {
    let mut lines: Vec<String> = problems.iter().map(|p| p.line.to_string()).collect();
    lines.dedup();
    lines.join(", ")
}

/// `line 10` or `lines 10, 12`: where the problems are.
fn lines_word(problems: &[&Problem]) -> String {
    let lines = lines_of(problems);
    if lines.contains(',') {
        format!("lines {lines}")
    } else {
        format!("line {lines}")
    }
}

/// The status line after an edit (`edited`) or a cursor move: the blocking problem, else the
/// problems of the cursor's line, else how many there are and where, else "ready".
fn tell_problems(app: &mut Model, edited: bool) {
    let line = app.editor.cursor_line();
    let here: Vec<String> = app
        .editor
        .problems_on(line)
        .iter()
        .map(|p| p.message.clone())
        .collect();
    if !edited && (here.is_empty() || app.editor.told_line == Some(line)) {
        if here.is_empty() {
            app.editor.told_line = None;
        }
        return;
    }
    app.editor.told_line = (!here.is_empty()).then_some(line);
    let total = app.editor.all_problems().count();
    let recounted = edited && total != app.editor.told_count;
    app.editor.told_count = total;
    let all: Vec<&Problem> = app.editor.all_problems().collect();
    let problems = count(all.len(), "problem");
    match app.editor.check().clone() {
        Check::Invalid(problem) if here.is_empty() || edited => {
            set(app, StatusKind::Error, format!("Editor: {problem}"));
        }
        _ if !here.is_empty() => {
            let others = if all.len() > here.len() {
                format!(" ({problems} in all, on lines {})", lines_of(&all))
            } else {
                String::new()
            };
            let sends = if app.editor.check().is_valid() {
                format!(" {} sends anyway.", keymap::keys_in_words(Action::Send))
            } else {
                String::new()
            };
            set(
                app,
                StatusKind::Warning,
                format!("Editor line {line}: {}{others}.{sends}", here.join("; ")),
            );
        }
        Check::Valid { .. } if !all.is_empty() && (recounted || app.status.from_editor) => {
            set(
                app,
                StatusKind::Warning,
                format!(
                    "Editor: {problems}, {} (the cursor says what). {} sends anyway.",
                    lines_word(&all),
                    keymap::keys_in_words(Action::Send)
                ),
            );
        }
        // Problems the status line has told, or need not tell: it stays as it is.
        Check::Valid { .. } if !all.is_empty() => {}
        Check::Valid { events } if app.status.from_editor => {
            set(
                app,
                StatusKind::Success,
                format!(
                    "Editor: {} — ready to send ({}).",
                    count(events, "event"),
                    keymap::keys_in_words(Action::Send)
                ),
            );
        }
        _ => {}
    }
}
