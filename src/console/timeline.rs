//! What happened *inside* a call (issue 11): the engine re-evaluates every cohort after each
//! event, so a call can enter and leave a cohort without its before/after delta showing it.
//! The emulator's explanation (`/_segscope/explain`, read into the engine's own
//! [`Explanation`]) says after which event each cohort was entered or left, which clock the
//! windows used, and notes such as an event far ahead of the user's clock.
//!
//! Against an emulator, every successful call is explained once more in the background, so the
//! History row can mark "entered and left within this call" and the status line can show the
//! notes. Against any other target nothing is claimed: the real API does not say.

use std::collections::HashMap;

use ratatui::text::{Line, Span};
use serde::Deserialize;
use serde_json::Value;

use super::theme::Theme;
use crate::console::model::Model;
use crate::engine::{Clock, CohortExplanation, Explanation, TimelineStep, Transition};

/// Reads the emulator's answer into the engine's own type.
pub fn parse(value: &Value) -> Result<Explanation, String> {
    Explanation::deserialize(value)
        .map_err(|e| format!("the emulator's explanation is not one this console reads: {e}"))
}

/// The history row's cohorts cell, with `↕1001` for each cohort entered and left within it.
pub fn marked<'a>(app: &Model, call: &super::call::Call, cell: Line<'a>) -> Line<'a> {
    let Some(insight) = app.insights.by_call.get(&call.id) else {
        return cell;
    };
    let mut spans = cell.spans;
    for code in &insight.entered_and_left {
        spans.push(Span::styled(format!(" ↕{code}"), app.theme.warning()));
    }
    Line::from(spans)
}

/// The header's note on the embedded emulator's clock (`--clock`).
pub fn header_note(app: &Model) -> Option<Span<'static>> {
    let clock = app.options.clock?;
    let text = match clock {
        Clock::Event => "  clock: event time",
        Clock::Wall => "  clock: wall",
    };
    Some(Span::styled(text, app.theme.muted()))
}

fn event_text(event: Option<usize>, now: &Option<String>) -> String {
    let at = now.as_deref().unwrap_or("?");
    match event {
        Some(i) => format!("event {} ({at})", i + 1),
        None => format!("the user's clock ({at})"),
    }
}

fn transition_text(t: &Transition) -> String {
    format!(
        "{} after {}",
        if t.entered { "entered" } else { "left" },
        event_text(t.event, &t.now)
    )
}

/// The lines one cohort gains from the typed explanation: its transitions inside the call.
pub fn cohort_lines(
    cohort: &CohortExplanation,
    call_number: usize,
    theme: Theme,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if cohort.entered_and_left {
        lines.push(Line::from(Span::styled(
            format!("↕ entered and left within call {call_number}"),
            theme.warning(),
        )));
    }
    if !cohort.transitions.is_empty() {
        lines.push(Line::from(Span::styled("within the call:", theme.muted())));
        lines.extend(
            cohort
                .transitions
                .iter()
                .map(|t| Line::from(vec![Span::raw("  "), Span::raw(transition_text(t))])),
        );
    }
    lines
}

fn step_line(step: &TimelineStep, names: &HashMap<&str, &str>, theme: Theme) -> Line<'static> {
    let named = |codes: &[String]| -> String {
        codes
            .iter()
            .map(|c| match names.get(c.as_str()) {
                Some(n) if !n.is_empty() => format!("{c} {n}"),
                _ => c.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut spans = vec![Span::styled(
        format!("  after {}: ", event_text(step.event, &step.now)),
        theme.muted(),
    )];
    if !step.entered.is_empty() {
        spans.push(Span::styled(
            format!("entered {}", named(&step.entered)),
            theme.added(),
        ));
    }
    if !step.exited.is_empty() {
        if !step.entered.is_empty() {
            spans.push(Span::raw("; "));
        }
        spans.push(Span::styled(
            format!("left {}", named(&step.exited)),
            theme.removed(),
        ));
    }
    Line::from(spans)
}

/// The call-wide lines: the clock, the notes, and event by event what was entered and left.
pub fn call_lines(
    explanation: &Explanation,
    call_number: usize,
    theme: Theme,
) -> Vec<Line<'static>> {
    let names: HashMap<&str, &str> = explanation
        .cohorts
        .iter()
        .map(|c| (c.code.as_str(), c.name.as_str()))
        .collect();
    let mut lines = vec![
        Line::default(),
        Line::from(Span::styled(
            format!(
                "Timeline of call {call_number} (clock: {}):",
                explanation.clock.name()
            ),
            theme.title(),
        )),
    ];
    for note in &explanation.notes {
        lines.push(Line::from(Span::styled(
            format!("  note: {note}"),
            theme.warning(),
        )));
    }
    if explanation.timeline.is_empty() {
        lines.push(Line::from(Span::styled(
            "  no event entered or left any cohort",
            theme.muted(),
        )));
    }
    lines.extend(
        explanation
            .timeline
            .iter()
            .map(|s| step_line(s, &names, theme)),
    );
    lines
}

/// Adds the typed explanation's parts to a cohort's lines in the popup: its transitions under
/// its verdict, and the call's timeline at the end.
pub(crate) fn annotate(
    lines: &mut Vec<Line<'static>>,
    cohort: &CohortExplanation,
    explanation: &Explanation,
    call_number: usize,
    theme: Theme,
) {
    // Under the verdict and the clock line (lines 1 and 2).
    let at = lines.len().min(3);
    let extra = cohort_lines(cohort, call_number, theme);
    lines.splice(at..at, extra);
    lines.extend(call_lines(explanation, call_number, theme));
}
