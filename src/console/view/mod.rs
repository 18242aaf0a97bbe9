//! Drawing: a pure function of the app's state. Nothing here diffs, parses or pretty-prints
//! anything big; it slices lines prepared when a call came back.

pub mod cache;
pub mod chrome;
pub mod editor;
pub mod explain;
pub mod frame;
pub mod layout;
pub mod panes;
pub mod picker;
pub mod playback;
pub mod popup;
pub mod redecided;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::console::model::Model;
pub use cache::Cache;
use layout::Panes;

/// Draws the console: a pure function of its model (and the view's render cache).
pub fn draw(app: &crate::console::app::App, frame: &mut Frame) {
    draw_with(&app.model, &app.cache, frame);
}

/// Draws a model with nothing cached (a call's detail shows as being rendered).
pub fn draw_model(app: &Model, frame: &mut Frame) {
    draw_with(app, &Cache::default(), frame);
}

/// Draws a model with the view's render cache.
pub fn draw_with(app: &Model, cache: &Cache, frame: &mut Frame) {
    let area = frame.area();
    let Some(panes) = Panes::new(area) else {
        chrome::too_small(app, frame, area);
        return;
    };
    chrome::header(app, frame, panes.header);
    chrome::identity(app, frame, panes.identity);
    editor::editor(app, frame, panes.editor);
    panes::history(app, frame, panes.history);
    panes::cohorts(app, frame, panes.cohorts);
    panes::detail(app, cache, frame, panes.detail);
    chrome::status(app, frame, panes.status);
    chrome::footer(app, frame, panes.footer);
    if let Some(popup) = &app.popup {
        popup::draw(app, popup, frame, area);
    }
}

/// Renders `lines[scroll..]` into `area` (see [`render_rows`]).
pub(crate) fn render_lines(lines: &[Line<'_>], scroll: usize, area: Rect, buf: &mut Buffer) {
    render_rows(lines.len(), |i| lines[i].clone(), scroll, area, buf);
}

/// Renders rows `scroll..` of a source of `len` lines into `area`, wrapping lines wider than the
/// area. Only the visible rows are produced: the cost does not grow with `len`.
pub(crate) fn render_rows<'a>(
    len: usize,
    line_at: impl Fn(usize) -> Line<'a>,
    scroll: usize,
    area: Rect,
    buf: &mut Buffer,
) {
    let height = usize::from(area.height);
    let width = usize::from(area.width);
    let start = scroll.min(len.saturating_sub(height));
    let mut y = 0;
    for index in start..len {
        if y >= height {
            break;
        }
        let line = line_at(index);
        let line = &line;
        if line.width() <= width {
            line.render(Rect::new(area.x, area.y + y as u16, area.width, 1), buf);
            y += 1;
            continue;
        }
        for row in wrap_line(line, width) {
            if y >= height {
                break;
            }
            row.render(Rect::new(area.x, area.y + y as u16, area.width, 1), buf);
            y += 1;
        }
    }
}

/// Splits a line into rows of at most `width` columns, keeping each span's style.
fn wrap_line(line: &Line<'_>, width: usize) -> Vec<Line<'static>> {
    let mut rows = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for span in &line.spans {
        let mut piece = String::new();
        for ch in span.content.chars() {
            let mut tmp = [0u8; 4];
            let w = Span::raw(&*ch.encode_utf8(&mut tmp)).width();
            if used + w > width && used > 0 {
                if !piece.is_empty() {
                    current.push(Span::styled(std::mem::take(&mut piece), span.style));
                }
                rows.push(Line::from(std::mem::take(&mut current)).style(line.style));
                used = 0;
            }
            piece.push(ch);
            used += w;
        }
        if !piece.is_empty() {
            current.push(Span::styled(piece, span.style));
        }
    }
    if !current.is_empty() {
        rows.push(Line::from(current).style(line.style));
    }
    rows
}
