//! "Why is this user (not) in cohort X?": the explanation popup. Against an emulator it re-runs
//! the selected call's request (events, identity, the state sent with it) on
//! `/_segscope/explain` in the background and shows each cohort's query as a tree, every clause
//! with the value the engine computed, the threshold, the window and ✓/✗. Against any other
//! target it says that explanations need the emulator and shows the cohort's raw state entries.
//!
//! The model keeps the answer (the engine's `Explanation`); the lines of the cohort on screen are
//! made from it here when the view draws them (`view/explain.rs`).

use ratatui::text::{Line, Span};

use crate::engine::{CohortExplanation, ExplanationNode};

use super::call::Call;
use super::theme::Theme;
use crate::api::OpaqueState;
use crate::console::model::Model;
use crate::console::model::explain::{Entry, ExplainPopup, Stage};

mod words;
pub(crate) use words::mark;
pub use words::{
    Names, clause_text, clause_text_named, comparison, filter, near_misses, span_text, window,
};

/// The state that tells what a call left behind: the response state, or for a failed call the
/// state it sent (unchanged).
pub(crate) fn call_state(call: &Call) -> Option<&OpaqueState> {
    call.state_after.as_ref().or(call.state_before())
}

/// The lines of the popup's entry `index`: made by the view when it draws the entry (a few
/// dozen lines), and counted by the update step to page through them. Nothing is kept.
pub fn entry_lines(app: &Model, popup: &ExplainPopup, index: usize) -> Vec<Line<'static>> {
    let Some(entry) = popup.entries.get(index) else {
        return Vec::new();
    };
    let number = popup.call + 1;
    let theme = app.theme;
    match &popup.stage {
        Stage::Loading { .. } => Vec::new(),
        Stage::Ready => {
            let Some(explanation) = popup.explanation.as_deref() else {
                return Vec::new();
            };
            let Some(cohort) = explanation.cohorts.iter().find(|c| c.code == entry.code) else {
                return Vec::new();
            };
            // A cohort a clause names (`in_segment 1001`) is shown with its name.
            let names = |code: &str| {
                app.cohort_name(code).map(str::to_string).or_else(|| {
                    let named = explanation.cohorts.iter().find(|c| c.code == code);
                    named.map(|c| c.name.clone())
                })
            };
            let mut lines = explained_lines(cohort, number, theme, &names);
            super::timeline::annotate(&mut lines, cohort, explanation, number, theme);
            lines
        }
        Stage::Unavailable(why) => {
            let Some(call) = app.history.get(popup.call) else {
                return Vec::new();
            };
            let mut lines = raw_state_lines(entry, call, number, why, theme);
            if !app.options.emulator_endpoints {
                with_definition(&mut lines, entry, app);
            }
            lines
        }
    }
}

/// Where the target cannot explain, the cohort's pulled definition (`--cohort-definitions`):
/// its name and its query, pretty-printed, before the raw state entries.
fn with_definition(entry_lines: &mut Vec<Line<'static>>, entry: &Entry, app: &Model) {
    let theme = app.theme;
    let Some(record) = app.options.cohort_definitions.get(&entry.code) else {
        return;
    };
    let mut lines = vec![
        Line::default(),
        Line::from(Span::styled(
            format!(
                "Definition (pulled): {} {}",
                entry.code,
                record.name.as_deref().unwrap_or("")
            ),
            theme.accent(),
        )),
    ];
    match &record.query {
        Some(query) => {
            let text = serde_json::to_string_pretty(query).unwrap_or_default();
            lines.extend(text.lines().map(|l| Line::from(format!("  {l}"))));
        }
        None => lines.push(Line::from(Span::styled(
            "  (no query: a lookalike or other model cohort)",
            theme.muted(),
        ))),
    }
    // After the header (why, blank, code and name, membership): before the raw entries.
    let at = entry_lines.len().min(4);
    entry_lines.splice(at..at, lines);
}

/// No explanation: why, and the cohort's raw state entries.
fn raw_state_lines(
    entry: &Entry,
    call: &Call,
    number: usize,
    why: &str,
    theme: Theme,
) -> Vec<Line<'static>> {
    let view = call_state(call).and_then(|s| s.view().ok());
    let whose = if call.state_after.is_some() {
        format!("the state call {number} returned")
    } else {
        format!("the state call {number} sent (it failed, so nothing changed)")
    };
    let mut lines = vec![
        Line::from(Span::styled(why.to_string(), theme.warning())),
        Line::default(),
        Line::from(vec![
            Span::styled(format!("{} ", entry.code), theme.title()),
            Span::styled(entry.name.clone(), theme.title()),
        ]),
        Line::from(Span::styled(
            format!(
                "{} after call {number}; raw entries of {whose}:",
                if entry.member == Some(true) {
                    "✓ a member"
                } else {
                    "✗ not a member"
                }
            ),
            theme.muted(),
        )),
    ];
    for map in ["internal_state", "external_state"] {
        let value = view.as_ref().and_then(|v| {
            if map == "internal_state" {
                v.internal_state.get(&entry.code)
            } else {
                v.external_state.get(&entry.code)
            }
        });
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(
            format!("{map}[\"{}\"]", entry.code),
            theme.accent(),
        )));
        match value {
            Some(value) => {
                let text = serde_json::to_string_pretty(value).unwrap_or_default();
                lines.extend(text.lines().map(|l| Line::from(format!("  {l}"))));
            }
            None => lines.push(Line::from(Span::styled("  (absent)", theme.muted()))),
        }
    }
    lines
}

/// The clause tree, one clause per line, with its details indented under it.
fn tree_lines(
    node: &ExplanationNode,
    lead: &str,
    branch: &str,
    theme: Theme,
    names: Names<'_>,
    out: &mut Vec<Line<'static>>,
) {
    let ok = node.result;
    let combinator = matches!(node.kind.as_str(), "and" | "or" | "not");
    let headline_style = if combinator {
        theme.title()
    } else {
        theme.plain()
    };
    out.push(Line::from(vec![
        Span::styled(format!("{lead}{branch}"), theme.muted()),
        mark(ok, theme),
        Span::styled(clause_text_named(node, names), headline_style),
    ]));
    let children = &node.children;
    let inner = match branch {
        "├─ " => format!("{lead}│  "),
        "└─ " => format!("{lead}   "),
        _ => lead.to_string(),
    };
    let detail_lead = if children.is_empty() {
        format!("{inner}    ")
    } else {
        format!("{inner}│   ")
    };
    let mut detail = |label: &str, text: String| {
        out.push(Line::from(vec![
            Span::styled(detail_lead.clone(), theme.muted()),
            Span::styled(format!("{label:<7}"), theme.muted()),
            Span::raw(text),
        ]));
    };
    if let Some(w) = &node.window {
        detail("window", window(w));
    }
    if let Some(f) = &node.filter {
        detail("where", filter(f));
    }
    if let Some(note) = &node.note {
        detail("note", note.clone());
    }
    if let Some(outside) = &node.outside {
        detail("missed", near_misses(outside, node.window.as_ref()));
    }
    for (i, child) in children.iter().enumerate() {
        let branch = if i + 1 == children.len() {
            "└─ "
        } else {
            "├─ "
        };
        tree_lines(child, &inner, branch, theme, names, out);
    }
}

/// One cohort of the emulator's answer, as a list entry.
pub fn explained_entry(cohort: &CohortExplanation) -> Entry {
    let (member, was) = (cohort.member, cohort.was_member);
    Entry {
        name: cohort.name.clone(),
        code: cohort.code.clone(),
        member: Some(member),
        changed: (member != was).then_some(member),
    }
}

/// One cohort of the emulator's answer: its verdict, its clock and its clause tree.
pub fn explained_lines(
    cohort: &CohortExplanation,
    call_number: usize,
    theme: Theme,
    names: Names<'_>,
) -> Vec<Line<'static>> {
    let code = &cohort.code;
    let (member, was) = (cohort.member, cohort.was_member);
    let verdict = match (member, was) {
        (true, false) => format!("entered by call {call_number}"),
        (false, true) => format!("left by call {call_number}"),
        (true, true) => format!("a member before too: call {call_number} changed nothing"),
        (false, false) => format!("not before either: call {call_number} changed nothing"),
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{} ", cohort.name), theme.title()),
            Span::styled(format!("({code})"), theme.muted()),
        ]),
        Line::from(vec![
            mark(member, theme),
            Span::styled(
                if member { "a member" } else { "not a member" },
                if member { theme.ok() } else { theme.error() },
            ),
            Span::raw(format!(" · {verdict}")),
        ]),
        Line::from(Span::styled(
            format!(
                "user's clock {} · cohort state {} · checksum {}",
                cohort.now.as_deref().unwrap_or("nothing"),
                cohort.state,
                cohort.checksum
            ),
            theme.muted(),
        )),
        Line::default(),
    ];
    tree_lines(&cohort.tree, "", "", theme, names, &mut lines);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plain(lines: &[Line]) -> String {
        lines
            .iter()
            .map(|l| {
                l.spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn a_leaf_shows_value_threshold_window_and_result() {
        let cohort = json!({
            "code": "1001", "name": "Football fans", "checksum": "51cfb9e373",
            "now": "2024-01-03T00:00:00Z", "member": false, "was_member": false,
            "changed": false, "state": "restored",
            "tree": {"kind": "event", "path": "query", "result": false, "event": "Pageview",
                "measure": "count", "value": 2, "operator": "greater_than_or_equal_to",
                "threshold": 3,
                "window": {"kind": "the_last", "value": 7, "unit": "days",
                    "start": "2023-12-27T00:00:00Z", "end": "2024-01-03T00:00:00Z",
                    "start_inclusive": false, "end_inclusive": true},
                "where": {"property": "properties.article.category",
                    "condition": {"equal_to": "football"}}}
        });
        let cohort: CohortExplanation = serde_json::from_value(cohort).unwrap();
        let entry = explained_entry(&cohort);
        let text = plain(&explained_lines(&cohort, 2, Theme::default(), &|_| None));
        assert!(text.contains("✗ Pageview: count = 2, needs ≥ 3"), "{text}");
        assert!(
            text.contains("the last 7 days (2023-12-27T00:00:00Z → 2024-01-03T00:00:00Z]"),
            "{text}"
        );
        assert!(
            text.contains("properties.article.category equal_to \"football\""),
            "{text}"
        );
        assert!(text.contains("not before either"), "{text}");
        assert_eq!(entry.member, Some(false));
    }

    #[test]
    fn combinators_draw_a_tree() {
        let tree = json!({"kind": "and", "path": "query", "result": false, "children": [
            {"kind": "event", "path": "query.and[0]", "result": true, "event": "Pageview",
             "measure": "count", "value": 1, "operator": "greater_than_or_equal_to", "threshold": 1},
            {"kind": "not", "path": "query.and[1]", "result": false, "children": [
                {"kind": "in_segment", "path": "query.and[1].not", "result": true, "segment": "1001"}
            ]}
        ]});
        let tree: ExplanationNode = serde_json::from_value(tree).unwrap();
        let mut lines = Vec::new();
        tree_lines(&tree, "", "", Theme::default(), &|_| None, &mut lines);
        let text = plain(&lines);
        assert_eq!(
            text,
            "✗ all of (and)\n├─ ✓ Pageview: count = 1, needs ≥ 1\n└─ ✗ not\n   └─ ✓ in segment 1001"
        );
        assert_eq!(
            comparison("between", Some(&json!([1, 5]))),
            "between 1 and 5"
        );
    }
}
