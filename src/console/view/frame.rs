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

/// A popup's bottom line for a popup `width` wide: its ` · `-separated parts, the last ones
/// left out whole while it does not fit (a border never cuts a word of it).
pub(crate) fn fit_hint(hint: &str, width: u16) -> String {
    let room = usize::from(width).saturating_sub(6);
    let mut parts: Vec<&str> = hint.split(" · ").collect();
    while parts.len() > 1 && text_width(&parts.join(" · ")) > room {
        parts.pop();
    }
    parts.join(" · ")
}

/// Display width of a text (wide characters count two).
pub(crate) fn text_width(text: &str) -> usize {
    Span::raw(text).width()
}

/// `text` cut to at most `width` columns with a visible `…` at the end, or `None` if it fits.
/// The cut falls after the last whole word when one ends in the last third, so the line does
/// not stop mid-word.
pub(crate) fn ellipsised(text: &str, width: usize) -> Option<String> {
    if text_width(text) <= width {
        return None;
    }
    let room = width.saturating_sub(1);
    let mut cut = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let w = text_width(ch.encode_utf8(&mut [0u8; 4]));
        if used + w > room {
            break;
        }
        cut.push(ch);
        used += w;
    }
    let next_is_space = text[cut.len()..].starts_with(' ');
    if !next_is_space
        && let Some(space) = cut.rfind(' ')
        && text_width(&cut[..space]) * 3 >= room * 2
    {
        cut.truncate(space);
    }
    let cut = cut.trim_end();
    Some(format!("{cut}…"))
}

/// Word-wraps plain text to `width` columns (a word longer than the width is split). Used by
/// the popups so that no word is cut at their edge.
pub(crate) fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = Vec::new();
    for paragraph in text.split('\n') {
        let mut row = String::new();
        let mut used = 0;
        for word in paragraph.split(' ') {
            let w = text_width(word);
            if used > 0 && used + 1 + w > width {
                rows.push(std::mem::take(&mut row));
                used = 0;
            }
            if used > 0 {
                row.push(' ');
                used += 1;
            }
            if w > width {
                // A word wider than the row: split it where it must.
                for ch in word.chars() {
                    let cw = text_width(ch.encode_utf8(&mut [0u8; 4]));
                    if used + cw > width && used > 0 {
                        rows.push(std::mem::take(&mut row));
                        used = 0;
                    }
                    row.push(ch);
                    used += cw;
                }
            } else {
                row.push_str(word);
                used += w;
            }
        }
        rows.push(row);
    }
    rows
}

/// A line laid out in `width` columns with a hanging indent: its last span is the text, word
/// wrapped; the spans before it (keys, labels) stay on the first row, and the text's further rows
/// start under the text's first.
pub(crate) fn hanging(line: &Line<'static>, width: usize) -> Vec<Line<'static>> {
    if line.width() <= width || line.spans.is_empty() {
        return vec![line.clone()];
    }
    let (last, prefix) = line.spans.split_last().expect("not empty");
    let prefix_width: usize = prefix.iter().map(Span::width).sum();
    let mut out = Vec::new();
    // A prefix wider than half the row takes a row of its own; the text goes under it.
    let (indent, mut first) = if prefix_width <= width / 2 {
        (prefix_width, Some(prefix.to_vec()))
    } else {
        out.push(Line::from(prefix.to_vec()).style(line.style));
        (4.min(width / 4), None)
    };
    for row in wrap_words(&last.content, width.saturating_sub(indent).max(1)) {
        let mut spans = first
            .take()
            .unwrap_or_else(|| vec![Span::raw(" ".repeat(indent))]);
        spans.push(Span::styled(row, last.style));
        out.push(Line::from(spans).style(line.style));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_text_ends_in_an_ellipsis_after_a_whole_word() {
        assert_eq!(ellipsised("short", 10), None);
        let cut = ellipsised("Saved the session: 3 earlier calls left out", 30).unwrap();
        assert!(cut.ends_with('…') && text_width(&cut) <= 30, "{cut}");
        assert_eq!(cut, "Saved the session: 3 earlier…");
        assert_eq!(ellipsised("abcdefghij", 5).unwrap(), "abcd…");
    }

    #[test]
    fn a_hanging_indent_keeps_the_keys_column() {
        let line = Line::from(vec![Span::raw(" F5   "), Span::raw("Send the events now")]);
        let rows: Vec<String> = hanging(&line, 16)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert_eq!(rows, vec![" F5   Send the", "      events now"]);
    }

    #[test]
    fn wrapping_keeps_words_whole() {
        assert_eq!(
            wrap_words("one two three four", 9),
            vec!["one two", "three", "four"]
        );
        assert_eq!(wrap_words("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap_words("a\nb", 4), vec!["a", "b"]);
    }
}
