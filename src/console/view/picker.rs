//! The session popups: the save form (F6) and the session picker (F7).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, List, ListItem, ListState, Paragraph};
use ratatui_textarea::TextArea;

use super::frame::{centered, fit_hint, frame_block, text_width, wrap_words};
use crate::console::keymap::{PopupKind, popup};
use crate::console::model::Model;
use crate::console::sessions::{SAVE_LABELS, SaveForm, SaveScope, SessionPicker, SessionPopup};
use crate::console::words::count;

pub fn draw(app: &Model, popup: &SessionPopup, frame: &mut Frame, area: Rect) {
    match popup {
        SessionPopup::Save(form) => save_form(app, form, frame, area),
        SessionPopup::Open(picker) => session_picker(app, picker, frame, area),
    }
}

fn save_form(app: &Model, form: &SaveForm, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let width = 100.min(area.width.saturating_sub(4));
    // What will be saved, exactly, word-wrapped in the popup's width.
    let what = match form.plan() {
        Some(plan) => {
            let mut text = format!(
                "Saves {} as a segscope-session/1 file (no key is saved).",
                plan.summary()
            );
            if let Some(rest) = plan.not_saved() {
                text.push_str(&format!(" Not saved: {rest}."));
            }
            text
        }
        None => "Nothing of the selected call's identity can be saved.".to_string(),
    };
    let intro = wrap_words(&what, usize::from(width.saturating_sub(4)));
    let error = form
        .error
        .as_deref()
        .map(|e| wrap_words(e, usize::from(width.saturating_sub(4))))
        .unwrap_or_default();
    // As tall as what it shows: the error (after a blank row) only when there is one.
    let error_rows = if error.is_empty() {
        0
    } else {
        1 + error.len() as u16
    };
    let height = 2 + intro.len() as u16 + 1 + 5 + error_rows;
    let rect = centered(area, width, height);
    let footer = fit_hint(&popup::footer(PopupKind::SaveForm), rect.width);
    let block = frame_block(app, "Save session", &footer);
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    let [intro_area, _, a, b, c, d, _, error_row] = Layout::vertical([
        Constraint::Length(intro.len() as u16),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Length(error_rows.min(1)),
        Constraint::Min(0),
    ])
    .areas(inner);
    let lines: Vec<Line> = intro
        .into_iter()
        .map(|row| Line::styled(format!(" {row}"), theme.muted()))
        .collect();
    frame.render_widget(Paragraph::new(lines), intro_area);
    let label = |row: Rect, index: usize, text: &str, frame: &mut Frame| {
        let active = form.field == index;
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!("{} {text}", if active { ">" } else { " " }),
                theme.title(),
            )),
            row,
        );
    };
    for (row, index) in [(a, 0), (b, 1), (c, 2)] {
        let [l, f] = Layout::horizontal([Constraint::Length(13), Constraint::Min(5)]).areas(row);
        label(l, index, SAVE_LABELS[index], frame);
        one_line_field(app, &form.fields[index], frame, f);
    }
    let [l, f] = Layout::horizontal([Constraint::Length(14), Constraint::Min(5)]).areas(d);
    label(l, SaveForm::SCOPE_FIELD, "save", frame);
    let count =
        |plan: &Option<crate::console::sessions::SavedCalls>| plan.as_ref().map_or(0, |p| p.steps);
    let choice = |on: bool, text: String| {
        let mark = if on { "(•) " } else { "( ) " };
        let style = if on { theme.title() } else { theme.muted() };
        Span::styled(format!("{mark}{text}"), style)
    };
    let hint = |on: bool| {
        Span::styled(
            if on && form.field == SaveForm::SCOPE_FIELD {
                "  Space changes"
            } else {
                ""
            },
            theme.key(),
        )
    };
    let all = form.scope == SaveScope::AllOfUser;
    let lines = vec![
        Line::from(vec![
            choice(
                all,
                format!("all calls of this user ({})", count(&form.plans[0])),
            ),
            hint(all),
        ]),
        Line::from(vec![
            choice(
                !all,
                format!(
                    "up to the selected call #{} ({})",
                    form.selected + 1,
                    count(&form.plans[1])
                ),
            ),
            hint(!all),
        ]),
    ];
    frame.render_widget(Paragraph::new(lines), f);
    if !error.is_empty() {
        let style = if form.confirm_overwrite.is_some() {
            theme.warning()
        } else {
            theme.error()
        };
        let lines: Vec<Line> = error
            .into_iter()
            .map(|row| Line::styled(format!(" {row}"), style))
            .collect();
        frame.render_widget(Paragraph::new(lines), error_row);
    }
}

/// A one-line text field in `area`: a column for a `…` on each side, the text area between.
/// The text area scrolls to the cursor; a `…` shows on the side where text is out of sight (a
/// long path's start, once the cursor is at its end), so what shows is never taken for the
/// whole value.
pub(super) fn one_line_field(app: &Model, field: &TextArea, frame: &mut Frame, area: Rect) {
    if area.width < 3 {
        frame.render_widget(field, area);
        return;
    }
    let text = Rect::new(area.x + 1, area.y, area.width - 2, 1);
    frame.render_widget(field, text);
    // Where the text area scrolled to while drawing (display columns).
    let (_, first) = field.scroll_offset();
    let width = field.lines().first().map_or(0, |line| text_width(line));
    let buf = frame.buffer_mut();
    if first > 0 {
        buf[(area.x, area.y)]
            .set_symbol("…")
            .set_style(app.theme.muted());
    }
    if width > usize::from(first) + usize::from(text.width) {
        buf[(text.right(), area.y)]
            .set_symbol("…")
            .set_style(app.theme.muted());
    }
}

fn session_picker(app: &Model, picker: &SessionPicker, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let path_width = picker
        .entries
        .iter()
        .map(|e| e.path.display().to_string().chars().count())
        .max()
        .unwrap_or(20)
        + 2;
    let steps = |n: usize| format!("  ({})", count(n, "step"));
    let natural = picker
        .entries
        .iter()
        .map(|e| 2 + path_width + text_width(&e.name) + text_width(&steps(e.steps)) + 2)
        .max()
        .unwrap_or(40)
        .max(48);
    let width = natural.min(usize::from(area.width)) as u16;
    // Room for the highlight symbol and the borders.
    let room = usize::from(width).saturating_sub(4);
    // Each entry on one row where all fit; else each name goes under its path, word-wrapped.
    let one_row = picker
        .entries
        .iter()
        .all(|e| path_width + text_width(&e.name) + text_width(&steps(e.steps)) <= room);
    let items: Vec<ListItem> = picker
        .entries
        .iter()
        .map(|entry| {
            let path = entry.path.display().to_string();
            if one_row {
                return ListItem::new(Line::from(vec![
                    Span::styled(format!("{path:<path_width$}"), theme.title()),
                    Span::raw(entry.name.clone()),
                    Span::styled(steps(entry.steps), theme.muted()),
                ]));
            }
            let mut lines = vec![Line::from(vec![
                Span::styled(path, theme.title()),
                Span::styled(steps(entry.steps), theme.muted()),
            ])];
            for row in wrap_words(&entry.name, room.saturating_sub(4)) {
                lines.push(Line::raw(format!("    {row}")));
            }
            ListItem::new(lines)
        })
        .collect();
    let mut hint = popup::footer(PopupKind::SessionPicker);
    if picker.skipped > 0 {
        hint.push_str(&format!(
            " · {} other .json file(s) are not sessions",
            picker.skipped
        ));
    }
    let rows: usize = items.iter().map(ListItem::height).sum();
    let rect = centered(area, width, rows as u16 + 2);
    let hint = fit_hint(&hint, rect.width);
    let list = List::new(items)
        .block(frame_block(app, "Open a session", &hint))
        .highlight_symbol("> ")
        .highlight_style(theme.selected());
    let mut state = ListState::default().with_selected(Some(picker.selected));
    frame.render_widget(Clear, rect);
    frame.render_stateful_widget(list, rect, &mut state);
}
