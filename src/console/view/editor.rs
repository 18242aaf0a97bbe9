//! The events editor pane: the text area, its border and the live check's verdict.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::frame::block;
use crate::console::editor::{Check, StepPrompt};
use crate::console::model::{Focus, Model};
use crate::console::theme::Theme;
use crate::console::words::count;

pub fn editor(app: &Model, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let (check_line, invalid) = match app.editor.check() {
        Check::Valid { events } if app.editor.problems.is_empty() => (
            Line::from(Span::styled(
                format!(" ✓ {} · valid ", count(*events, "event")),
                theme.ok(),
            )),
            false,
        ),
        // F5 still sends: the server's answer is the truth, but the user sees it coming.
        Check::Valid { events } => (
            Line::from(Span::styled(
                format!(
                    " ! {} · {} ",
                    count(*events, "event"),
                    count(app.editor.problems.len(), "problem")
                ),
                theme.warning(),
            )),
            false,
        ),
        Check::Invalid(problem) => {
            let more = match app.editor.problems.len() {
                0 => String::new(),
                n => format!(" (+{})", count(n, "problem")),
            };
            (
                Line::from(Span::styled(format!(" ✗ {problem}{more} "), theme.error())),
                true,
            )
        }
    };
    let check_line = match &app.editor.step_prompt {
        Some(prompt) => step_prompt_line(prompt, theme, area.width.saturating_sub(2)),
        None => check_line,
    };
    let mut block = block(
        app,
        Focus::Editor,
        Line::from(Span::styled(
            "Events (request \"events\" array)",
            theme.title(),
        )),
    )
    .title_bottom(check_line);
    if invalid {
        block = block.border_style(theme.error_border());
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(&app.editor.area, inner);
    mark_gutter(app, frame, inner);
}

/// Marks each line with a problem in the line-number gutter: a `●` in its first column (always
/// a space in ratatui-textarea's gutter) and the number in the error style. Drawn after the
/// text area, whose scroll position that drawing has just settled.
fn mark_gutter(app: &Model, frame: &mut Frame, inner: Rect) {
    let top = usize::from(app.editor.area.scroll_offset().0);
    let width = app.editor.area.line_number_width().min(inner.width);
    let style = app.theme.error();
    let buf = frame.buffer_mut();
    let mut last = None;
    for problem in app.editor.all_problems() {
        if last == Some(problem.line) {
            continue;
        }
        last = Some(problem.line);
        let Some(row) = problem.line.checked_sub(1 + top) else {
            continue;
        };
        if row >= usize::from(inner.height) || width == 0 {
            continue;
        }
        let y = inner.y + row as u16;
        for x in inner.x..inner.x + width.saturating_sub(1) {
            buf[(x, y)].set_style(style);
        }
        buf[(inner.x, y)].set_symbol("●");
    }
}

/// Ctrl+T's prompt on the border, in the longest form that fits `room` columns (an 80-column
/// screen gives the editor about 40): the words go before the keys, never a word cut at the
/// corner. A refused step is on the status line too, so it is left out when it does not fit.
fn step_prompt_line(prompt: &StepPrompt, theme: Theme, room: u16) -> Line<'static> {
    let typed = |label: &'static str| {
        vec![
            Span::styled(label, theme.title()),
            Span::styled(prompt.text.clone(), theme.cursor()),
            Span::styled(" ", theme.cursor()),
        ]
    };
    let forms = [
        (" Move every time by ", " Enter shifts · Esc cancels "),
        (" Move by ", " Enter shifts · Esc cancels "),
        (" Move ", " Enter shifts · Esc cancels "),
        (" ", " Enter shifts · Esc cancels "),
        (" ", " Enter · Esc "),
    ];
    let room = usize::from(room);
    let lines: Vec<Line<'static>> = forms
        .into_iter()
        .map(|(label, keys)| {
            let mut spans = typed(label);
            spans.push(Span::styled(keys, theme.muted()));
            let mut line = Line::from(spans);
            // The error and the space after it.
            if let Some(error) = &prompt.error
                && line.width() + error.chars().count() < room
            {
                line.push_span(Span::styled(format!("{error} "), theme.error()));
            }
            line
        })
        .collect();
    let last = lines.len() - 1;
    lines
        .into_iter()
        .enumerate()
        .find(|(i, line)| line.width() <= room || *i == last)
        .map(|(_, line)| line)
        .unwrap_or_default()
}
