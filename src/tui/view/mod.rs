//! Drawing: a pure function of the app's state. Nothing here diffs, parses or pretty-prints
//! anything big; it slices lines prepared when a call came back.

pub mod chrome;
pub mod layout;
pub mod panes;
pub mod popup;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;

use super::app::App;
use layout::Panes;

/// Draws the whole screen.
pub fn draw(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let Some(panes) = Panes::new(area) else {
        chrome::too_small(app, frame, area);
        return;
    };
    chrome::header(app, frame, panes.header);
    chrome::identity(app, frame, panes.identity);
    panes::editor(app, frame, panes.editor);
    panes::history(app, frame, panes.history);
    panes::cohorts(app, frame, panes.cohorts);
    panes::detail(app, frame, panes.detail);
    chrome::status(app, frame, panes.status);
    chrome::footer(app, frame, panes.footer);
    if let Some(popup) = &app.popup {
        popup::draw(app, popup, frame, area);
    }
}

/// Renders `lines[scroll..]` into `area`, one line per row, without copying them.
pub(crate) fn render_lines(lines: &[Line<'_>], scroll: usize, area: Rect, buf: &mut Buffer) {
    let height = usize::from(area.height);
    let start = scroll.min(lines.len().saturating_sub(height));
    for (i, line) in lines.iter().skip(start).take(height).enumerate() {
        let row = Rect::new(area.x, area.y + i as u16, area.width, 1);
        line.render(row, buf);
    }
}
