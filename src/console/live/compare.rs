//! `d`: the before/after comparison popup of one call after a workspace edit — its outcome as
//! made and as re-decided, and for each cohort that differs, the engine's clauses under both
//! workspaces (computed by the reload task; drawn by `view/redecided.rs`).

use ratatui::text::{Line, Span};

use crate::console::explain::{clause_text, mark};
use crate::console::model::Model;
use crate::console::model::live::{Difference, EditComparison};
use crate::console::theme::Theme;
use crate::engine::ExplanationNode;
use crate::session::Recording;

fn list(codes: &[String], app: &Model) -> String {
    if codes.is_empty() {
        return "none".into();
    }
    codes
        .iter()
        .map(|c| match app.cohort_name(c) {
            Some(name) => format!("{c} {name}"),
            None => c.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn outcome_lines(label: &str, r: &Recording, app: &Model, theme: Theme) -> Vec<Line<'static>> {
    let status = match r.error_code {
        Some(code) => format!("{} (code {code})", r.status),
        None => r.status.to_string(),
    };
    vec![
        Line::from(Span::styled(
            format!("{label} · status {status}"),
            theme.title(),
        )),
        Line::from(format!("  cohorts  {}", list(&r.cohorts, app))),
        Line::from(vec![
            Span::raw("  entered  "),
            Span::styled(list(&r.entered, app), theme.added()),
        ]),
        Line::from(vec![
            Span::raw("  left     "),
            Span::styled(list(&r.left, app), theme.removed()),
        ]),
    ]
}

/// One differing cohort: its membership and its clauses (value, threshold, ✓/✗), before the
/// edit and after it.
fn difference_lines(d: &Difference, app: &Model, theme: Theme) -> Vec<Line<'static>> {
    let name = d
        .after
        .as_ref()
        .or(d.before.as_ref())
        .map(|c| c.name.clone())
        .or_else(|| app.cohort_name(&d.code).map(str::to_string))
        .unwrap_or_default();
    let mut lines = vec![Line::from(Span::styled(
        format!("Why {} {name} differs", d.code),
        theme.title(),
    ))];
    for (label, side) in [("before", &d.before), ("after ", &d.after)] {
        let Some(c) = side else {
            lines.push(Line::from(Span::styled(
                format!("  {label}  no explanation (the call failed, or no such cohort then)"),
                theme.muted(),
            )));
            continue;
        };
        lines.push(Line::from(vec![
            Span::raw(format!("  {label}  ")),
            mark(c.member, theme),
            Span::raw(format!(
                "{} (before the call: {})",
                if c.member { "a member" } else { "not a member" },
                if c.was_member { "✓" } else { "✗" }
            )),
        ]));
        clause_lines(&c.tree, 2, theme, &mut lines);
    }
    lines
}

/// One compact line per clause, indented by depth: `✓ Pageview: count = 3, needs ≥ 3`.
fn clause_lines(node: &ExplanationNode, depth: usize, theme: Theme, out: &mut Vec<Line<'static>>) {
    out.push(Line::from(vec![
        Span::raw("    ".repeat(depth.saturating_sub(1)) + "  "),
        mark(node.result, theme),
        Span::raw(clause_text(node)),
    ]));
    for child in &node.children {
        clause_lines(child, depth + 1, theme, out);
    }
}

/// `d`: the selected call before the workspace edit (as it was made) and after it.
/// The lines of the comparison popup (drawn by the view from the popup's data).
pub(crate) fn comparison(app: &Model, popup: &EditComparison) -> Vec<Line<'static>> {
    let r = &popup.redecision;
    let number = popup.call + 1;
    let theme = app.theme;
    let mut lines = vec![
        Line::from(Span::styled(
            if r.changed() {
                format!(
                    "Call {number} decides differently after the edit: {}",
                    r.summary()
                )
            } else {
                format!("Call {number} decides as before the edit.")
            },
            if r.changed() {
                theme.warning()
            } else {
                theme.ok()
            },
        )),
        Line::default(),
    ];
    lines.extend(outcome_lines(
        "Before the edit (as the call was made)",
        &r.before,
        app,
        theme,
    ));
    lines.push(Line::default());
    lines.extend(outcome_lines("After the edit", &r.after, app, theme));
    for d in &popup.differences {
        lines.push(Line::default());
        lines.extend(difference_lines(d, app, theme));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        if r.continued {
            "Decided from the re-decided state of the previous call of this user."
        } else {
            "Decided from the state the call sent."
        },
        theme.muted(),
    )));
    lines.push(Line::from(Span::styled(
        "e (Enter on a cohort) explains the call under the edited workspace.",
        theme.muted(),
    )));
    lines
}
