//! Sessions in the console: save the history as a `segscope-session/1` file (F6), open one
//! (`--session FILE` or the picker, F7), and replay it step by step (F8), each step's live
//! answer compared with its recording the way `segscope replay` compares them.
//!
//! The files are small and local, so reading and writing them happens in the update step
//! itself: the screen never shows half a save, and nothing here talks to the network except
//! through [`Effect::Send`].

pub mod files;
mod open;
mod playback;
mod save;

use crossterm::event::KeyEvent;

use super::message::Effect;
use crate::console::model::{Model, Popup};

pub use crate::console::model::forms::{
    SAVE_LABELS, SaveForm, SessionEntry, SessionPicker, SessionPopup,
};
pub use crate::console::model::playback::{
    CohortRow, Mark, Playback, StepRun, comparison_rows, explain,
};
pub use files::{
    LOCAL_SESSIONS, data_sessions_dir, default_file, default_name, save_dir, session_dirs, slug,
};
pub use open::list_sessions;
pub(crate) use open::{open_picker, opened};
pub(crate) use playback::{after_call, next_step};
pub(crate) use save::open_save_form;
pub use save::{SavedCalls, session_from_history};

/// Keys while one of this module's popups is open.
pub(crate) fn on_popup_key(app: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let Some(Popup::Session(popup)) = app.popup.take() else {
        return Vec::new();
    };
    let mut popup = *popup;
    let keep = match &mut popup {
        SessionPopup::Save(form) => save::save_form_key(app, form, key),
        SessionPopup::Open(picker) => open::picker_key(app, picker, key),
    };
    if keep {
        app.popup = Some(Popup::Session(Box::new(popup)));
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::CallOutcome;
    use crate::session::Recording;
    use crate::session::replay::{ReplayOptions, Verdict, judge};

    fn rec(cohorts: &[&str], entered: &[&str], left: &[&str]) -> Recording {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        Recording {
            status: 200,
            cohorts: v(cohorts),
            entered: v(entered),
            left: v(left),
            error_code: None,
            state: None,
        }
    }

    #[test]
    fn slugs_and_default_files() {
        assert_eq!(
            slug("Console session 2026-03-06 14:02"),
            "console-session-2026-03-06-14-02"
        );
        assert_eq!(slug("  ??? "), "session");
        assert!(default_file("A reader").ends_with("sessions/a-reader.json"));
    }

    #[test]
    fn differences_in_words() {
        let expected = rec(&["1001", "1009"], &["1001", "1009"], &[]);
        let actual = rec(&["1009"], &["1009"], &["1002"]);
        let verdict = judge(
            Some(&expected),
            Some(&actual),
            &CallOutcome::Transport {
                kind: crate::api::TransportKind::Other,
                message: String::new(),
                latency: std::time::Duration::ZERO,
            },
            ReplayOptions::default(),
        );
        assert!(matches!(verdict, Verdict::Mismatch(_)));
        let run = StepRun {
            step: 0,
            call_id: 1,
            expected: Some(expected.clone()),
            actual: Some(actual.clone()),
            verdict,
        };
        let words = explain(&run);
        assert_eq!(
            words,
            vec![
                "recorded 1001 entered; actually not entered".to_string(),
                "recorded 1002 not in; actually left".to_string(),
            ]
        );
        let rows = comparison_rows(Some(&expected), Some(&actual));
        assert_eq!(
            rows.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(),
            vec!["1001", "1002", "1009"]
        );
        assert!(rows[0].differs() && !rows[2].differs());
    }
}
