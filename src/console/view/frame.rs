//! The frames everything is drawn in: a pane's block, a popup's block, a centred area. A leaf
//! that the pane and popup files share, so they never import one another.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Padding};

use crate::console::model::{Focus, Model};

/// A pane's block: the focused one is marked (`▸` and a bold border) so it shows without
/// colour too.
pub(crate) fn block<'a>(app: &Model, focus: Focus, title: Line<'a>) -> Block<'a> {
    let focused = app.focus == focus && app.popup.is_none();
    let border = if focused {
        app.theme.focus_border()
    } else {
        app.theme.border()
    };
    let mut spans = vec![Span::styled(
        if focused { " ▸ " } else { " " },
        app.theme.title(),
    )];
    spans.extend(title.spans);
    spans.push(Span::raw(" "));
    Block::default()
        .padding(Padding::horizontal(1))
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(border)
        .title(Line::from(spans))
}

/// A rectangle of at most `width` × `height`, centred in `area`.
pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

/// A popup's block: a double border, its title on top and its keys at the bottom.
pub(crate) fn frame_block<'a>(app: &Model, title: &'a str, hint: &'a str) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(app.theme.focus_border())
        .title(Span::styled(format!(" {title} "), app.theme.title()))
        .title_bottom(Span::styled(format!(" {hint} "), app.theme.muted()))
}
