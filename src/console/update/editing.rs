//! After an edit: the live check, and where the text is wrong, in words.

use crate::console::editor::Check;
use crate::console::model::{Model, Status, StatusKind};

/// After any edit: run the live check and say where the text is wrong.
pub(super) fn editor_changed(app: &mut Model) {
    app.editor.recheck();
    match app.editor.check().clone() {
        Check::Invalid(problem) => {
            app.status = Status {
                text: format!("Editor: {problem}"),
                kind: StatusKind::Error,
                from_editor: true,
            };
        }
        Check::Valid { events } if app.status.from_editor => {
            app.status = Status {
                text: format!("Editor: {} — ready to send (F5).", events_word(events)),
                kind: StatusKind::Success,
                from_editor: true,
            };
        }
        Check::Valid { .. } => {}
    }
}

pub(super) fn events_word(n: usize) -> String {
    if n == 1 {
        "1 event".into()
    } else {
        format!("{n} events")
    }
}
