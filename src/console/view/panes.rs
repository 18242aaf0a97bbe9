//! Three of the four panes: history, cohorts, and the call detail (diff, request, response).
//! The events editor is drawn by `editor.rs`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Cell, List, ListItem, ListState, Paragraph, Row, Scrollbar, ScrollbarOrientation,
    ScrollbarState, Table, TableState, Wrap,
};

use super::frame::{block, ellipsised};
use super::{render_lines, render_rows};
use crate::api::CallOutcome;
use crate::api::TransportKind;
use crate::console::history::{
    CohortMark, HistoryRow, cohort_entries, history_window, identity_words, shows_next_state,
};
use crate::console::keymap::{self, Action};
use crate::console::model::{DetailView, DiffMode, Focus, Model};

fn clock(app: &Model, time: jiff::Timestamp) -> String {
    app.options.time.time_of_day(time)
}

/// The columns a pane's title has after its name: the corners, the focus marker (` ▸ `) and the
/// space after the title are the block's.
fn title_room(area: Rect, name: &str) -> usize {
    usize::from(area.width).saturating_sub(2 + 3 + 1 + name.chars().count())
}

/// The first of `forms` (longest first) that fits in `room` columns, else the last: a title
/// gives way to a shorter form instead of being cut by the pane's corner.
fn fitting<const N: usize>(room: usize, forms: [String; N]) -> String {
    let last = forms.len() - 1;
    forms
        .into_iter()
        .enumerate()
        .find(|(i, form)| *i == last || form.chars().count() <= room)
        .map(|(_, form)| form)
        .unwrap_or_default()
}

pub fn history(app: &Model, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let title = Line::from(vec![
        Span::styled("History", theme.title()),
        Span::styled(
            match (app.history.len(), app.lineage.abandoned_count()) {
                (1, 0) => " (1 call)".to_string(),
                (n, 0) => format!(" ({n} calls)"),
                (n, a) => {
                    let calls = crate::console::words::count(n, "call");
                    // At 80 columns the long form would be cut mid-word by the corner.
                    fitting(
                        title_room(area, "History"),
                        [
                            format!(" ({calls}, {a} on abandoned branches)"),
                            format!(" ({calls}, {a} abandoned)"),
                            format!(" ({calls})"),
                        ],
                    )
                }
            },
            theme.muted(),
        ),
    ]);
    let block = block(app, Focus::History, title);
    if app.history.is_empty() {
        let text = Paragraph::new(Span::styled(
            format!(
                "No calls yet. {} sends the events in the editor.",
                keymap::keys_in_words(Action::Send)
            ),
            theme.muted(),
        ))
        .wrap(Wrap { trim: true })
        .block(block);
        frame.render_widget(text, area);
        return;
    }
    // Below this width the clock column goes, so the rest stays readable.
    let narrow = area.width < 56;
    // Narrower still (80 columns), the event count goes too: its header would be cut.
    let tight = area.width < 46;
    // Only the rows that fit are built: a history of thousands of calls draws as fast as one
    // of ten (see `history::history_window`).
    let visible = usize::from(area.height.saturating_sub(3)).max(1);
    let window = history_window(&app.history, app.selected, visible);
    let rows = window.iter().map(|row| {
        let i = match *row {
            // Drawn over after the table (a row of one cell across every column).
            HistoryRow::NewIdentity(_) => return Row::new(vec![Cell::from("")]),
            HistoryRow::Call(i) => i,
        };
        let call = &app.history[i];
        let (status, status_style) = match &call.outcome {
            CallOutcome::Success { status, .. } => (status.to_string(), theme.ok()),
            CallOutcome::ApiError { status, .. } => (status.to_string(), theme.error()),
            CallOutcome::Transport { kind, .. } => (
                match kind {
                    TransportKind::Timeout => "timeout",
                    TransportKind::Connect => "refused",
                    TransportKind::Cancelled => "cancelled",
                    _ => "failed",
                }
                .to_string(),
                theme.error(),
            ),
        };
        let mut delta = if call.succeeded() {
            Line::from(vec![
                Span::styled(format!("+{}", call.delta.entered.len()), theme.added()),
                Span::raw(" "),
                Span::styled(format!("-{}", call.delta.left.len()), theme.removed()),
            ])
        } else {
            Line::from(Span::styled("unchanged", theme.muted()))
        };
        // The first call after a rewind: which call's state its branch continues.
        if let Some(parent) = app.lineage.branched_from(i) {
            let from = match parent {
                Some(p) => format!("from #{} ", p + 1),
                None => "from empty state ".to_string(),
            };
            delta.spans.insert(0, Span::styled(from, theme.accent()));
        }
        let delta = super::playback::marked(app, call, delta);
        let delta = crate::console::timeline::marked(app, call, delta);
        let delta = crate::console::live::marked(app, call, delta);
        let mut cells = vec![Cell::from(format!("{}", i + 1))];
        if !narrow {
            cells.push(Cell::from(clock(app, call.sent_at)));
        }
        cells.extend([
            Cell::from(Span::styled(status, status_style)),
            Cell::from(app.options.time.latency_text(call.outcome.latency())),
            Cell::from(format!("{} ev", call.event_count)),
            Cell::from(delta),
        ]);
        if tight {
            cells.remove(cells.len() - 2);
        }
        // A rewind leaves the calls after it in place, dimmed: an abandoned branch.
        if app.lineage.is_abandoned(i) {
            Row::new(cells).style(theme.muted().add_modifier(ratatui::style::Modifier::DIM))
        } else {
            Row::new(cells)
        }
    });
    let mut header = vec!["#", "sent", "status", "latency", "events", "cohorts"];
    let mut widths = vec![
        Constraint::Length(3),
        Constraint::Length(8),
        Constraint::Length(7),
        Constraint::Length(8),
        Constraint::Length(6),
        Constraint::Min(9),
    ];
    if tight {
        header.remove(4);
        widths.remove(4);
    }
    if narrow {
        header.remove(1);
        widths.remove(1);
    }
    let header = Row::new(header).style(theme.muted());
    let highlight = if app.selected.is_some_and(|s| app.lineage.is_abandoned(s)) {
        theme.selected_abandoned()
    } else {
        theme.selected()
    };
    let table = Table::new(rows, widths)
        .header(header)
        .row_highlight_style(highlight)
        .highlight_symbol("> ")
        .block(block);
    let selected = app
        .selected
        .and_then(|s| window.iter().position(|r| *r == HistoryRow::Call(s)));
    let mut state = TableState::default().with_selected(selected);
    let inner = block_inner(area);
    frame.render_stateful_widget(table, area, &mut state);
    // Where the identity changes, a separator across the row: who the calls below are for.
    for (n, row) in window.iter().enumerate() {
        if let HistoryRow::NewIdentity(i) = *row {
            let y = inner.y + 1 + n as u16;
            if y >= inner.y + inner.height {
                break;
            }
            let who = identity_words(app.history[i].identity());
            // Under the selection marker's column, as the rows' numbers are.
            let rect = Rect::new(inner.x + 2, y, inner.width.saturating_sub(2), 1);
            // A user_id is wider than History at 80 columns: it ends in a visible `…`.
            let text = format!("── {who} ──");
            let text = ellipsised(&text, usize::from(rect.width)).unwrap_or(text);
            let line = Line::from(Span::styled(text, theme.accent()));
            frame.render_widget(Paragraph::new(line), rect);
        }
    }
}

/// Inside a pane's border.
fn block_inner(area: Rect) -> Rect {
    area.inner(Margin {
        horizontal: 1,
        vertical: 1,
    })
}

pub fn cohorts(app: &Model, frame: &mut Frame, area: Rect) {
    if super::playback::cohorts(app, frame, area) {
        return;
    }
    let theme = app.theme;
    let Some(call) = app.selected_call() else {
        let block = block(
            app,
            Focus::Cohorts,
            Line::from(Span::styled("Cohorts", theme.title())),
        );
        frame.render_widget(
            Paragraph::new(Span::styled(
                "The user's cohorts after the selected call show here: + entered, - left.",
                theme.muted(),
            ))
            .wrap(Wrap { trim: true })
            .block(block),
            area,
        );
        return;
    };
    let delta = &call.delta;
    let number = app.selected.unwrap_or(0) + 1;
    let entries = cohort_entries(app);
    let title = if shows_next_state(app) {
        // Right after `r`: what the next call starts from, not what this call made.
        Line::from(vec![
            Span::styled("Cohorts", theme.title()),
            Span::styled(
                fitting(
                    title_room(area, "Cohorts"),
                    [
                        format!(
                            " ({}) the next call sends: before call {number}",
                            entries.len()
                        ),
                        format!(" ({}) next sends: before #{number}", entries.len()),
                        format!(" ({}) before #{number}", entries.len()),
                    ],
                ),
                theme.muted(),
            ),
        ])
    } else if call.succeeded() {
        Line::from(vec![
            Span::styled("Cohorts", theme.title()),
            Span::styled(format!(" ({}, ", delta.members.len()), theme.muted()),
            Span::styled(format!("+{}", delta.entered.len()), theme.added()),
            Span::raw(" "),
            Span::styled(format!("−{}", delta.left.len()), theme.removed()),
            Span::styled(format!(") after call {number}"), theme.muted()),
        ])
    } else {
        Line::from(vec![
            Span::styled("Cohorts", theme.title()),
            Span::styled(
                fitting(
                    title_room(area, "Cohorts"),
                    [
                        format!(" ({}) call {number} failed: unchanged", delta.members.len()),
                        format!(" ({}) call {number} failed", delta.members.len()),
                    ],
                ),
                theme.muted(),
            ),
        ])
    };
    let block = block(app, Focus::Cohorts, title);
    // Inside the border and padding: the highlight (2), the marker (2), the code (8), the name.
    let name_room = usize::from(area.width).saturating_sub(4 + 2 + 2 + 8);
    let item = |marker: &'static str, code: &str, style: Style| {
        let name = app.cohort_name(code).unwrap_or("");
        // A name wider than the pane ends in a visible `…` (the explanation has it whole).
        let name = ellipsised(name, name_room).unwrap_or_else(|| name.to_string());
        ListItem::new(Line::from(vec![
            Span::styled(marker, style),
            Span::styled(format!("{code:<8}"), style),
            Span::styled(name, style),
        ]))
    };
    let items: Vec<ListItem> = entries
        .iter()
        .map(|(mark, code)| match mark {
            CohortMark::Entered => item("+ ", code, theme.added()),
            CohortMark::Member => item("  ", code, theme.plain()),
            CohortMark::Left => item("- ", code, theme.removed()),
        })
        .collect();
    if items.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled("The user is in no cohort.", theme.muted())).block(block),
            area,
        );
        return;
    }
    let focused = app.focus == Focus::Cohorts;
    let list = List::new(items)
        .block(block)
        .highlight_symbol(if focused { "> " } else { "  " })
        .highlight_style(if focused {
            theme.selected()
        } else {
            Style::new()
        });
    let mut state = ListState::default().with_selected(Some(app.cohort_cursor));
    frame.render_stateful_widget(list, area, &mut state);
}

pub fn detail(app: &Model, cache: &super::Cache, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let tab = |label: &'static str, view: DetailView| {
        if app.detail_view == view {
            Span::styled(format!("[{label}]"), theme.active_tab())
        } else {
            Span::styled(format!(" {label} "), theme.muted())
        }
    };
    let narrow = area.width < 64;
    let mut title = vec![
        tab(if narrow { "Diff" } else { "State diff" }, DetailView::Diff),
        Span::raw(" "),
        tab("Request", DetailView::Request),
        Span::raw(" "),
        tab("Response", DetailView::Response),
    ];
    let call = app.selected_call();
    let rendered = call.and_then(|c| cache.detail(c.id));
    if let (Some(call), Some(rendered), DetailView::Diff) = (call, rendered, app.detail_view)
        && call.succeeded()
    {
        let mode = match app.diff_mode {
            DiffMode::Changes => "changes",
            DiffMode::Full => "full after-state",
        };
        if !narrow {
            title.push(Span::styled(format!("  {mode} "), theme.muted()));
        } else {
            title.push(Span::raw(" "));
        }
        title.push(Span::styled(
            format!("+{}", rendered.diff.added),
            theme.added(),
        ));
        title.push(Span::raw(" "));
        title.push(Span::styled(
            format!("−{}", rendered.diff.removed),
            theme.removed(),
        ));
    }
    let block = block(app, Focus::Detail, Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(call) = call else {
        frame.render_widget(
            Paragraph::new(Span::styled(
                "Nothing sent yet. After a call, this pane shows the state diff (v: the request, then the response).",
                theme.muted(),
            ))
            .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    };
    let Some(rendered) = rendered else {
        frame.render_widget(
            Paragraph::new(Span::styled("Rendering this call…", theme.muted())),
            inner,
        );
        return;
    };
    let lines = match app.detail_view {
        DetailView::Diff if !call.succeeded() => {
            frame.render_widget(
                Paragraph::new(Span::styled(
                    "This call failed, so the state did not change. Press v for the response.",
                    theme.muted(),
                ))
                .wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        DetailView::Diff => match app.diff_mode {
            DiffMode::Changes if rendered.diff.is_empty() => {
                frame.render_widget(
                    Paragraph::new(Span::styled(
                        "The state did not change. f shows the whole state.",
                        theme.muted(),
                    )),
                    inner,
                );
                return;
            }
            DiffMode::Changes => None,
            DiffMode::Full => None,
        },
        DetailView::Request => Some(&rendered.request),
        DetailView::Response => Some(&rendered.response),
    };
    let height = usize::from(inner.height);
    let len = match lines {
        Some(lines) => lines.len(),
        None => rendered.diff.len(app.diff_mode == DiffMode::Full),
    };
    let scroll = app.detail_scroll.min(len.saturating_sub(height));
    match lines {
        Some(lines) => render_lines(lines, scroll, inner, frame.buffer_mut()),
        None => {
            let full = app.diff_mode == DiffMode::Full;
            let diff = &rendered.diff;
            render_rows(
                len,
                |i| diff.line_with_dates(full, i, theme, usize::from(inner.width)),
                scroll,
                inner,
                frame.buffer_mut(),
            );
        }
    }
    if len > height {
        let mut state = ScrollbarState::new(len.saturating_sub(height)).position(scroll);
        frame.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .begin_symbol(None)
                .end_symbol(None),
            area.inner(Margin {
                horizontal: 0,
                vertical: 1,
            }),
            &mut state,
        );
    }
}
