//! Sessions in the console, the parts both sides use: where session files live, and the
//! history's last thread as a session (what F6 saves). The update step's part is
//! `update/sessions/`, the files are the executor's (`executor/sessions.rs`).

pub mod files;
pub mod history;

pub use crate::console::model::forms::{
    SAVE_LABELS, SaveForm, SessionEntry, SessionPicker, SessionPopup,
};
pub use crate::console::model::playback::{
    CohortRow, Mark, Playback, StepRun, comparison_rows, explain,
};
pub use files::{LOCAL_SESSIONS, data_sessions_dir, default_file, save_dir, session_dirs, slug};
pub use history::{SaveScope, SavedCalls, plan, session_of};

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
        assert!(default_file(&save_dir(), "A reader").ends_with("sessions/a-reader.json"));
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
