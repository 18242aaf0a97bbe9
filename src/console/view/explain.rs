//! The explanation popup: every cohort on the left (✓ member, ✗ not, +/− changed by the call),
//! the highlighted cohort's decision tree (or raw state entries) on the right.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};

use super::frame::{centered, ellipsised, frame_block};
use super::render_lines;
use crate::console::explain::entry_lines;
use crate::console::keymap::{PopupKind, popup};
use crate::console::model::Model;
use crate::console::model::explain::{ExplainPopup, Stage};

pub fn draw(app: &Model, popup: &ExplainPopup, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    // Below the header, above the status line (which says what the explanation found).
    let width = area.width.saturating_sub(4).min(140);
    let rect = centered(
        Rect::new(
            area.x,
            area.y + 1,
            area.width,
            area.height.saturating_sub(3),
        ),
        width,
        area.height.saturating_sub(3),
    );
    let title = match &popup.stage {
        Stage::Unavailable(_) => format!("Cohort state · call {} (no explanation)", popup.call + 1),
        _ => format!("Why (not) in the cohort? · call {}", popup.call + 1),
    };
    let footer = popup::footer(PopupKind::Explain);
    let block = frame_block(app, &title, &footer);
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    let list_width = (inner.width / 3).clamp(20, 40);
    let [left, right] =
        Layout::horizontal([Constraint::Length(list_width), Constraint::Min(10)]).areas(inner);

    let items: Vec<ListItem> = popup
        .entries
        .iter()
        .map(|e| {
            let (mark, style) = match e.member {
                Some(true) => ("✓", theme.ok()),
                Some(false) => ("✗", theme.muted()),
                None => ("?", theme.muted()),
            };
            let (change, change_style) = match e.changed {
                Some(true) => ("+", theme.added()),
                Some(false) => ("−", theme.removed()),
                None => (" ", theme.plain()),
            };
            // A name wider than the list ends in a visible `…` (the tree on the right has it whole).
            let room = usize::from(list_width).saturating_sub(7 + e.code.chars().count());
            let name = ellipsised(&e.name, room).unwrap_or_else(|| e.name.clone());
            ListItem::new(Line::from(vec![
                Span::styled(change, change_style),
                Span::styled(format!("{mark} "), style),
                Span::styled(format!("{} ", e.code), theme.title()),
                Span::raw(name),
            ]))
        })
        .collect();
    let list = List::new(items)
        .block(
            Block::default()
                .borders(Borders::RIGHT)
                .border_style(theme.border()),
        )
        .highlight_symbol("> ")
        .highlight_style(theme.selected());
    let mut state = ListState::default().with_selected(Some(popup.cursor));
    frame.render_stateful_widget(list, left, &mut state);

    let body = Rect::new(
        right.x + 1,
        right.y,
        right.width.saturating_sub(1),
        right.height,
    );
    // The highlighted cohort's lines, made now from the model's answer (a few dozen lines).
    let lines = entry_lines(app, popup, popup.cursor);
    if !lines.is_empty() {
        render_lines(&lines, popup.scroll, body, frame.buffer_mut());
        return;
    }
    let text = match &popup.stage {
        Stage::Loading { .. } => format!(
            "Asking the emulator to explain call {}'s request (its events, identity and the state it sent)…",
            popup.call + 1
        ),
        _ => "No cohort to explain.".to_string(),
    };
    frame.render_widget(
        Paragraph::new(Span::styled(text, theme.muted())).wrap(Wrap { trim: true }),
        body,
    );
}
