//! A replayed session step on screen: the history row's verdict marker (`✓` / `≠`), and the
//! Cohorts pane as two columns, recorded | actual, with the differences in words.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::frame::{block, ellipsised, text_width};
use super::render_lines;
use crate::console::call::Call;
use crate::console::model::{Focus, Model};
use crate::console::sessions::{Mark, StepRun, comparison_rows, explain};
use crate::console::theme::Theme;
use crate::session::Verdict;

/// The verdict marker of a replayed step: `✓`, a red `≠`, `?` (no recording), `!` (target error).
fn verdict_mark(run: &StepRun, theme: Theme) -> Span<'static> {
    match run.verdict {
        Verdict::Passed => Span::styled("✓ ", theme.ok()),
        Verdict::Mismatch(_) => Span::styled("≠ ", theme.error().add_modifier(Modifier::BOLD)),
        Verdict::Unrecorded => Span::styled("? ", theme.warning()),
        Verdict::TargetError(_) => Span::styled("! ", theme.error()),
    }
}

/// The history row's cohorts cell, with the verdict marker first when the call was a replayed
/// step.
pub fn marked<'a>(app: &Model, call: &Call, cell: Line<'a>) -> Line<'a> {
    let Some(run) = app.playback.as_ref().and_then(|p| p.run_for(call.id)) else {
        return cell;
    };
    let mut spans = vec![verdict_mark(run, app.theme)];
    spans.extend(cell.spans);
    Line::from(spans)
}

fn mark_style(mark: Mark, theme: Theme) -> Style {
    match mark {
        Mark::Entered => theme.added(),
        Mark::Left => theme.removed(),
        Mark::In => theme.plain(),
        Mark::Out => theme.muted(),
    }
}

fn fit(text: &str, width: usize) -> String {
    let cut: String = text.chars().take(width).collect();
    format!("{cut:<width$}")
}

/// A cohort's name in its column: whole, or ending in a visible `…`, and a space before the
/// next column either way.
fn fit_name(name: &str, width: usize) -> String {
    if width == 0 {
        return String::new();
    }
    let shown = ellipsised(name, width - 1).unwrap_or_else(|| name.to_string());
    let pad = width.saturating_sub(text_width(&shown));
    format!("{shown}{}", " ".repeat(pad))
}

const MARK_WIDTH: usize = 12;

/// Draws the Cohorts pane as recorded | actual when the selected call was a replayed step.
/// Returns false (drawing nothing) otherwise.
pub fn cohorts(app: &Model, frame: &mut Frame, area: Rect) -> bool {
    let Some(call) = app.selected_call() else {
        return false;
    };
    let Some(playback) = app.playback.as_ref() else {
        return false;
    };
    let Some(run) = playback.run_for(call.id) else {
        return false;
    };
    let theme = app.theme;
    let (verdict, verdict_style) = match run.verdict {
        Verdict::Passed => ("✓ as recorded", theme.ok()),
        Verdict::Mismatch(_) => (
            "≠ not as recorded",
            theme.error().add_modifier(Modifier::BOLD),
        ),
        Verdict::Unrecorded => ("? no recording", theme.warning()),
        Verdict::TargetError(_) => ("! target error", theme.error()),
    };
    // The title gives way whole where the pane is narrow: first "recorded | actual" (the
    // columns say it), then the verdict's words (its mark stays).
    let step = format!(" · step {}/{} ", run.step + 1, playback.total());
    let room = usize::from(area.width).saturating_sub(6);
    let columns = " recorded | actual";
    let verdict = if 7 + text_width(&step) + text_width(verdict) <= room {
        verdict
    } else {
        verdict.split(' ').next().unwrap_or(verdict)
    };
    let columns = if 7 + text_width(columns) + text_width(&step) + text_width(verdict) <= room {
        columns
    } else {
        ""
    };
    let title = Line::from(vec![
        Span::styled("Cohorts", theme.title()),
        Span::styled(columns, theme.muted()),
        Span::styled(step, theme.muted()),
        Span::styled(verdict, verdict_style),
    ]);
    let block = block(app, Focus::Cohorts, title);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let width = usize::from(inner.width);
    // marker (2) code (7) name (rest) recorded (12) actual (12)
    // Names only where they fit; the codes and both columns always do.
    let name_width = match width.saturating_sub(2 + 7 + 2 * MARK_WIDTH).min(29) {
        w if w < 8 => 0,
        w => w,
    };
    let differs_style = theme.error().add_modifier(Modifier::BOLD);
    let rows = comparison_rows(run.expected.as_ref(), run.actual.as_ref());
    let words = explain(run);
    // A short pane keeps what matters: the columns and the differences before the step's note.
    let height = usize::from(inner.height);
    let word_rows: usize = words
        .iter()
        .map(|w| (w.chars().count() + 2).div_ceil(width.max(1)))
        .sum();
    let needed = 2 + rows.len().max(1) + if words.is_empty() { 0 } else { word_rows + 1 };
    let mut lines = Vec::new();
    let note = playback
        .session
        .steps
        .get(run.step)
        .map(|s| s.note.as_str())
        .unwrap_or("");
    if !note.is_empty() && needed < height {
        lines.push(Line::from(Span::styled(note.to_string(), theme.muted())));
    }
    lines.push(Line::from(vec![
        Span::raw(" ".repeat(9 + name_width)),
        Span::styled(fit("recorded", MARK_WIDTH), theme.title()),
        Span::styled(fit("actual", MARK_WIDTH), theme.title()),
    ]));
    let status = |r: Option<&crate::session::Recording>| match r {
        Some(r) => match r.error_code {
            Some(code) => format!("{} ({code})", r.status),
            None => r.status.to_string(),
        },
        None => "—".to_string(),
    };
    let (recorded_status, actual_status) =
        (status(run.expected.as_ref()), status(run.actual.as_ref()));
    let status_differs = run.expected.is_some() && recorded_status != actual_status;
    lines.push(Line::from(vec![
        Span::styled(if status_differs { "≠ " } else { "  " }, differs_style),
        Span::styled(fit("status", 7 + name_width), theme.muted()),
        Span::raw(fit(&recorded_status, MARK_WIDTH)),
        Span::styled(
            fit(&actual_status, MARK_WIDTH),
            if status_differs {
                differs_style
            } else {
                theme.plain()
            },
        ),
    ]));
    if rows.is_empty() {
        lines.push(Line::from(Span::styled(
            "  no cohorts on either side",
            theme.muted(),
        )));
    }
    for row in &rows {
        let name = app.cohort_name(&row.code).unwrap_or("");
        let cell = |mark: Option<Mark>| match mark {
            Some(m) => (m.cell(), mark_style(m, theme)),
            None => ("  —", theme.muted()),
        };
        let (recorded, recorded_style) = cell(row.recorded);
        let (actual, mut actual_style) = cell(row.actual);
        if row.differs() {
            actual_style = actual_style.add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
        }
        lines.push(Line::from(vec![
            Span::styled(if row.differs() { "≠ " } else { "  " }, differs_style),
            Span::styled(fit(&row.code, 7), theme.plain()),
            Span::styled(fit_name(name, name_width), theme.plain()),
            Span::styled(fit(recorded, MARK_WIDTH), recorded_style),
            Span::styled(fit(actual, MARK_WIDTH), actual_style),
        ]));
    }
    if !words.is_empty() {
        if needed <= height {
            lines.push(Line::default());
        }
        for text in words {
            lines.push(Line::from(vec![
                Span::styled("≠ ", differs_style),
                Span::styled(text, theme.error()),
            ]));
        }
    }
    render_lines(&lines, app.cohort_cursor, inner, frame.buffer_mut());
    true
}
