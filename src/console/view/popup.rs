//! Popups over the panes: help, the new-event picker, the alias form.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, List, ListItem, ListState, Paragraph};
use serde_json::Value;

use super::frame::{centered, fit_hint, frame_block, hanging, text_width, wrap_words};
use super::render_lines;
use crate::console::keymap::{KEYMAP, NOTES, POPUP_KEYMAP, PopupKind, popup};
use crate::console::model::forms::AliasForm;
use crate::console::model::{Model, Popup, StatusKind};

pub fn draw(app: &Model, popup: &Popup, frame: &mut Frame, area: Rect) {
    match popup {
        Popup::Help { scroll } => help(app, *scroll, frame, area),
        Popup::EventPicker { names, selected } => picker(app, names, *selected, frame, area),
        Popup::AliasForm(form) => alias(app, form, frame, area),
        Popup::Explain(popup) => super::explain::draw(app, popup, frame, area),
        Popup::Session(popup) => super::picker::draw(app, popup, frame, area),
        Popup::EditComparison(popup) => super::redecided::draw(app, popup, frame, area),
        Popup::Messages { from_end } => messages(app, *from_end, frame, area),
    }
}

/// The message log's rows at `width`: each message after its time and mark, word-wrapped under
/// itself.
pub fn message_rows(app: &Model, width: usize) -> Vec<Line<'static>> {
    let theme = app.theme;
    let mut rows = Vec::new();
    if app.messages.dropped > 0 {
        rows.push(Line::styled(
            format!(" ({} older messages were let go)", app.messages.dropped),
            theme.muted(),
        ));
    }
    for entry in app.messages.entries() {
        let (mark, style) = match entry.kind {
            StatusKind::Info => ("•", theme.plain()),
            StatusKind::Success => ("✓", theme.ok()),
            StatusKind::Warning => ("!", theme.warning()),
            StatusKind::Error => ("✗", theme.error()),
        };
        let time = app.options.time.time_of_day(entry.at);
        let lead = format!(" {time} {mark} ");
        let indent = text_width(&lead);
        let mut text = entry.text.clone();
        if entry.times > 1 {
            text.push_str(&format!(" (×{})", entry.times));
        }
        for (i, row) in wrap_words(&text, width.saturating_sub(indent))
            .into_iter()
            .enumerate()
        {
            let head = if i == 0 {
                Span::styled(lead.clone(), theme.muted())
            } else {
                Span::raw(" ".repeat(indent))
            };
            rows.push(Line::from(vec![head, Span::styled(row, style)]));
        }
    }
    if rows.is_empty() {
        rows.push(Line::styled(" No messages yet.", theme.muted()));
    }
    rows
}

fn messages(app: &Model, from_end: u16, frame: &mut Frame, area: Rect) {
    let width = area.width.saturating_sub(4).min(120);
    let height = area.height.saturating_sub(4);
    let rect = centered(area, width, height);
    let inner_width = usize::from(rect.width.saturating_sub(2));
    let inner_height = usize::from(rect.height.saturating_sub(2));
    let rows = message_rows(app, inner_width);
    let last_start = rows.len().saturating_sub(inner_height);
    let start = last_start.saturating_sub(usize::from(from_end));
    let mut footer = popup::footer(PopupKind::Messages);
    if start > 0 {
        footer.push_str(" · more above");
    }
    if start < last_start {
        footer.push_str(" · more below");
    }
    let footer = fit_hint(&footer, rect.width);
    let title = format!("Messages ({})", app.messages.len());
    let block = frame_block(app, &title, &footer);
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    render_lines(&rows, start, inner, frame.buffer_mut());
}

/// The help's lines, written from the keymap: the console's keys, then each popup's.
pub fn help_lines(app: &Model) -> Vec<Line<'static>> {
    let theme = app.theme;
    let width = KEYMAP
        .iter()
        .map(|b| b.keys_label().chars().count())
        .max()
        .unwrap_or(10)
        + 2;
    let mut lines = Vec::new();
    for b in KEYMAP {
        let keys = b.keys_label();
        lines.push(Line::from(vec![
            Span::styled(format!(" {keys:<width$}"), theme.key()),
            Span::styled(format!("{:<13}", b.scope.label()), theme.muted()),
            Span::raw(b.what),
        ]));
    }
    lines.push(Line::default());
    for (keys, scope, what) in NOTES {
        lines.push(Line::from(vec![
            Span::styled(format!(" {keys}"), theme.key()),
            Span::styled(format!(" ({scope}): "), theme.muted()),
            Span::raw(*what),
        ]));
    }
    let width = POPUP_KEYMAP
        .iter()
        .map(|b| b.keys_label().chars().count())
        .max()
        .unwrap_or(10)
        + 2;
    for kind in PopupKind::ALL {
        lines.push(Line::default());
        lines.push(Line::styled(
            format!(" In {}:", kind.label()),
            theme.title(),
        ));
        for b in popup::rows(kind) {
            let keys = b.keys_label();
            lines.push(Line::from(vec![
                Span::styled(format!("   {keys:<width$}"), theme.key()),
                Span::raw(b.what),
            ]));
        }
    }
    lines
}

fn help(app: &Model, scroll: u16, frame: &mut Frame, area: Rect) {
    let lines = help_lines(app);
    let width = (lines.iter().map(Line::width).max().unwrap_or(40) as u16 + 3).min(area.width);
    // Narrower than the longest line: each description wraps under itself, between words.
    let inner = usize::from(width.saturating_sub(3));
    let lines: Vec<Line<'static>> = lines.iter().flat_map(|l| hanging(l, inner)).collect();
    // The header and the footer stay in sight; the popups' keys, below, are a scroll away.
    let height = (lines.len() as u16 + 2).min(area.height.saturating_sub(4));
    let rect = centered(area, width, height);
    let mut footer = popup::footer(PopupKind::Help);
    if usize::from(scroll) + usize::from(rect.height.saturating_sub(2)) < lines.len() {
        footer.push_str(" · more below");
    }
    let footer = fit_hint(&footer, rect.width);
    let block = frame_block(app, "Keys", &footer);
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    render_lines(&lines, usize::from(scroll), inner, frame.buffer_mut());
}

fn required(schema: Option<&Value>) -> String {
    schema
        .and_then(|s| s.get("required"))
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn picker(app: &Model, names: &[String], selected: usize, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let events = app.workspace.as_ref().map(|w| &w.events);
    let items: Vec<ListItem> = names
        .iter()
        .map(|name| {
            let req = required(events.and_then(|e| e.get(name)));
            ListItem::new(Line::from(vec![
                Span::styled(format!("{name:<20}"), theme.title()),
                Span::styled(
                    if req.is_empty() {
                        String::new()
                    } else {
                        format!("requires {req}")
                    },
                    theme.muted(),
                ),
            ]))
        })
        .collect();
    let rect = centered(area, 64, names.len() as u16 + 2);
    let footer = fit_hint(&popup::footer(PopupKind::EventPicker), rect.width);
    let list = List::new(items)
        .block(frame_block(app, "New event", &footer))
        .highlight_symbol("> ")
        .highlight_style(theme.selected());
    let mut state = ListState::default().with_selected(Some(selected));
    frame.render_widget(Clear, rect);
    frame.render_stateful_widget(list, rect, &mut state);
}

fn alias(app: &Model, form: &AliasForm, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let width = 64.min(area.width);
    let room = usize::from(width.saturating_sub(4));
    let text = "Send {\"alias\": {\"tag\", \"id\"}} instead of a user_id; the state starts empty.";
    let intro = wrap_words(text, room);
    let error = form
        .error
        .as_deref()
        .map(|e| wrap_words(e, room))
        .unwrap_or_default();
    // As tall as what it shows: the text, a blank row, the two fields, and the error (after a
    // blank row) only when there is one.
    let error_rows = if error.is_empty() {
        0
    } else {
        1 + error.len() as u16
    };
    let height = 2 + intro.len() as u16 + 1 + 2 + error_rows;
    let rect = centered(area, width, height);
    let footer = fit_hint(&popup::footer(PopupKind::AliasForm), rect.width);
    let block = frame_block(app, "Alias identity", &footer);
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    let [intro_area, _, tag_row, id_row, _, error_area] = Layout::vertical([
        Constraint::Length(intro.len() as u16),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(error_rows.min(1)),
        Constraint::Min(0),
    ])
    .areas(inner);
    let rows: Vec<Line> = intro
        .into_iter()
        .map(|row| Line::styled(format!(" {row}"), theme.muted()))
        .collect();
    frame.render_widget(Paragraph::new(rows), intro_area);
    for (row, label, field, index) in [(tag_row, "tag", &form.tag, 0), (id_row, "id", &form.id, 1)]
    {
        let [l, f] = Layout::horizontal([Constraint::Length(6), Constraint::Min(5)]).areas(row);
        let active = form.field == index;
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!("{} {label}", if active { ">" } else { " " }),
                theme.title(),
            )),
            l,
        );
        super::picker::one_line_field(app, field, frame, f);
    }
    let rows: Vec<Line> = error
        .into_iter()
        .map(|row| Line::styled(format!(" {row}"), theme.error()))
        .collect();
    frame.render_widget(Paragraph::new(rows), error_area);
}
