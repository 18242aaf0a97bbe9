//! The events editor pane: the text area, its border and the live check's verdict.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::frame::block;
use crate::console::editor::Check;
use crate::console::model::{Focus, Model};

pub fn editor(app: &Model, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let (check_line, invalid) = match app.editor.check() {
        Check::Valid { events } => (
            Line::from(Span::styled(
                format!(
                    " ✓ {events} event{} · valid ",
                    if *events == 1 { "" } else { "s" }
                ),
                theme.ok(),
            )),
            false,
        ),
        Check::Invalid(problem) => (
            Line::from(Span::styled(format!(" ✗ {problem} "), theme.error())),
            true,
        ),
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
}
