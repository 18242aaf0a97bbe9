//! The session popups: the save form (F6) and the session picker (F7).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, List, ListItem, ListState, Paragraph, Wrap};

use super::frame::{centered, frame_block};
use crate::console::keymap::{PopupKind, popup};
use crate::console::model::Model;
use crate::console::sessions::{SAVE_LABELS, SaveForm, SessionPicker, SessionPopup};

pub fn draw(app: &Model, popup: &SessionPopup, frame: &mut Frame, area: Rect) {
    match popup {
        SessionPopup::Save(form) => save_form(app, form, frame, area),
        SessionPopup::Open(picker) => session_picker(app, picker, frame, area),
    }
}

fn save_form(app: &Model, form: &SaveForm, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let rect = centered(area, 100.min(area.width.saturating_sub(4)), 11);
    let footer = popup::footer(PopupKind::SaveForm);
    let block = frame_block(app, "Save session", &footer);
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    let [intro, a, b, c, _, error_row] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(2),
    ])
    .areas(inner);
    let calls = if form.calls == 1 {
        "1 call".to_string()
    } else {
        format!("{} calls", form.calls)
    };
    frame.render_widget(
        Paragraph::new(Span::styled(
            format!(" The history ({calls} with an answer) as a segscope-session/1 file; no key is saved."),
            theme.muted(),
        ))
        .wrap(Wrap { trim: false }),
        intro,
    );
    for (row, index) in [(a, 0), (b, 1), (c, 2)] {
        let [l, f] = Layout::horizontal([Constraint::Length(14), Constraint::Min(5)]).areas(row);
        let active = form.field == index;
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!("{} {}", if active { ">" } else { " " }, SAVE_LABELS[index]),
                theme.title(),
            )),
            l,
        );
        let mut field = f;
        field.width = field.width.saturating_sub(1);
        frame.render_widget(&form.fields[index], field);
    }
    if let Some(error) = &form.error {
        let style = if form.confirm_overwrite.is_some() {
            theme.warning()
        } else {
            theme.error()
        };
        frame.render_widget(
            Paragraph::new(Span::styled(format!(" {error}"), style)).wrap(Wrap { trim: false }),
            error_row,
        );
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
    let items: Vec<ListItem> = picker
        .entries
        .iter()
        .map(|entry| {
            let steps = if entry.steps == 1 {
                "1 step".to_string()
            } else {
                format!("{} steps", entry.steps)
            };
            ListItem::new(Line::from(vec![
                Span::styled(
                    format!("{:<path_width$}", entry.path.display()),
                    theme.title(),
                ),
                Span::raw(entry.name.clone()),
                Span::styled(format!("  ({steps})"), theme.muted()),
            ]))
        })
        .collect();
    let width = picker
        .entries
        .iter()
        .map(|e| path_width + e.name.chars().count() + 16)
        .max()
        .unwrap_or(40)
        .clamp(48, usize::from(area.width)) as u16;
    let mut hint = popup::footer(PopupKind::SessionPicker);
    if picker.skipped > 0 {
        hint.push_str(&format!(
            " · {} other .json file(s) are not sessions",
            picker.skipped
        ));
    }
    let rect = centered(area, width, picker.entries.len() as u16 + 2);
    let list = List::new(items)
        .block(frame_block(app, "Open a session", &hint))
        .highlight_symbol("> ")
        .highlight_style(theme.selected());
    let mut state = ListState::default().with_selected(Some(picker.selected));
    frame.render_widget(Clear, rect);
    frame.render_stateful_widget(list, rect, &mut state);
}
