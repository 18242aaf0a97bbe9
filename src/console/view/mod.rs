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

/// Splits a line into rows of at most `width` columns, keeping each span's style. Rows break
/// after a space where there is one (a word is never cut in two unless it is wider than a row);
/// the space a row breaks at is not carried to the next row.
fn wrap_line(line: &Line<'_>, width: usize) -> Vec<Line<'static>> {
    let cells: Vec<(char, ratatui::style::Style, usize)> = line
        .spans
        .iter()
        .flat_map(|span| {
            span.content.chars().map(move |ch| {
                let mut tmp = [0u8; 4];
                let w = Span::raw(&*ch.encode_utf8(&mut tmp)).width();
                (ch, span.style, w)
            })
        })
        .collect();
    let mut rows = Vec::new();
    let mut start = 0;
    while start < cells.len() {
        let mut used = 0;
        let mut end = start;
        // The last place after a space where this row may end.
        let mut soft = None;
        while end < cells.len() && (used + cells[end].2 <= width || end == start) {
            used += cells[end].2;
            if cells[end].0 == ' ' && end > start {
                soft = Some(end + 1);
            }
            end += 1;
        }
        if end < cells.len()
            && cells[end].0 != ' '
            && let Some(soft) = soft
        {
            end = soft;
        }
        rows.push(styled_row(&cells[start..end], line.style));
        start = end;
        // A continuation row does not start with the space it broke at.
        if cells.get(start).is_some_and(|c| c.0 == ' ') {
            start += 1;
        }
    }
    rows
}

/// One row of styled characters as a line, neighbours of one style in one span.
fn styled_row(
    cells: &[(char, ratatui::style::Style, usize)],
    style: ratatui::style::Style,
) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut current = None;
    for &(ch, st, _) in cells {
        if current.is_some_and(|c| c != st) {
            spans.push(Span::styled(
                std::mem::take(&mut text),
                current.unwrap_or_default(),
            ));
        }
        current = Some(st);
        text.push(ch);
    }
    if !text.is_empty() {
        spans.push(Span::styled(text, current.unwrap_or_default()));
    }
    Line::from(spans).style(style)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, width: usize) -> Vec<String> {
        wrap_line(&Line::raw(text.to_string()), width)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn long_lines_wrap_between_words() {
        assert_eq!(
            rows("@@ internal_state › 1001 › 51cfb9e373 @@", 36),
            vec!["@@ internal_state › 1001 › ", "51cfb9e373 @@"]
        );
        assert_eq!(rows("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(rows("ab cdefghijkl", 4), vec!["ab ", "cdef", "ghij", "kl"]);
        assert_eq!(rows("one two", 3), vec!["one", "two"]);
    }
}
