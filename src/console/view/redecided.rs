//! The before/after comparison of a call after a workspace edit (`d`, see `live.rs`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::frame::{centered, frame_block};
use crate::console::keymap::{self, PopupKind};
use crate::console::live;
use crate::console::model::Model;
use crate::console::model::live::EditComparison;

pub fn draw(app: &Model, popup: &EditComparison, frame: &mut Frame, area: Rect) {
    let lines = live::comparison(app, popup);
    let width = lines
        .iter()
        .map(Line::width)
        .max()
        .unwrap_or(40)
        .max(popup.title.chars().count() + 4) as u16
        + 4;
    let rect = centered(area, width, lines.len() as u16 + 2);
    let footer = keymap::popup::footer(PopupKind::EditComparison);
    let block = frame_block(app, &popup.title, &footer);
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
