//! Screenshots: a rendered terminal buffer as SVG, cell by cell with its colours and
//! bold/italic/underline/reverse/dim, in a monospace font stack. Pure: buffer in, text out.
//! Written with `quick-xml` (which escapes text and attribute values), one element a line.

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const CELL_W: f64 = 8.4;
const CELL_H: f64 = 18.0;
const FONT_SIZE: f64 = 14.0;
const DEFAULT_FG: &str = "#d0d0d0";
const DEFAULT_BG: &str = "#1c1c1c";
const FONT: &str = "'DejaVu Sans Mono', 'Menlo', 'Consolas', 'Liberation Mono', monospace";

/// Renders the whole buffer.
pub fn buffer_to_svg(buffer: &Buffer) -> String {
    let mut writer = Writer::new(Vec::with_capacity(64 * 1024));
    write_svg(&mut writer, buffer).expect("writing to memory cannot fail");
    String::from_utf8(writer.into_inner()).expect("quick-xml writes the UTF-8 it is given")
}

fn write_svg(out: &mut Writer<Vec<u8>>, buffer: &Buffer) -> io::Result<()> {
    let area = buffer.area;
    let width = (area.width as f64 * CELL_W).to_string();
    let height = (area.height as f64 * CELL_H).to_string();
    let view_box = format!("0 0 {width} {height}");
    let font_size = FONT_SIZE.to_string();
    out.write_event(Event::Start(BytesStart::new("svg").with_attributes([
        ("xmlns", "http://www.w3.org/2000/svg"),
        ("width", width.as_str()),
        ("height", height.as_str()),
        ("viewBox", view_box.as_str()),
        ("font-family", FONT),
        ("font-size", font_size.as_str()),
    ])))?;
    line_break(out);
    out.write_event(Event::Empty(BytesStart::new("rect").with_attributes([
        ("width", "100%"),
        ("height", "100%"),
        ("fill", DEFAULT_BG),
    ])))?;
    line_break(out);
    for y in 0..area.height {
        // Runs of cells with the same look become one rect and one text element.
        let mut x = 0;
        while x < area.width {
            let cell = &buffer[(area.x + x, area.y + y)];
            let look = Look::of(cell.fg, cell.bg, cell.modifier);
            let start = x;
            let mut text = String::new();
            while x < area.width {
                let c = &buffer[(area.x + x, area.y + y)];
                if Look::of(c.fg, c.bg, c.modifier) != look {
                    break;
                }
                text.push_str(c.symbol());
                x += 1;
            }
            let run = (x - start) as f64;
            let px = format!("{:.1}", start as f64 * CELL_W);
            let py = y as f64 * CELL_H;
            let run_width = format!("{:.1}", run * CELL_W);
            if look.bg != DEFAULT_BG {
                out.write_event(Event::Empty(BytesStart::new("rect").with_attributes([
                    ("x", px.as_str()),
                    ("y", format!("{py:.1}").as_str()),
                    ("width", run_width.as_str()),
                    ("height", CELL_H.to_string().as_str()),
                    ("fill", look.bg.as_str()),
                ])))?;
                line_break(out);
            }
            if text.trim().is_empty() {
                continue;
            }
            let baseline = format!("{:.1}", py + CELL_H * 0.75);
            let mut element = BytesStart::new("text").with_attributes([
                ("x", px.as_str()),
                ("y", baseline.as_str()),
                ("textLength", run_width.as_str()),
                ("lengthAdjust", "spacingAndGlyphs"),
                ("xml:space", "preserve"),
                ("fill", look.fg.as_str()),
            ]);
            if look.bold {
                element.push_attribute(("font-weight", "bold"));
            }
            if look.italic {
                element.push_attribute(("font-style", "italic"));
            }
            if look.underline {
                element.push_attribute(("text-decoration", "underline"));
            }
            if look.dim {
                element.push_attribute(("opacity", "0.6"));
            }
            out.write_event(Event::Start(element))?;
            // XML 1.0 cannot carry control characters: a cell holding one shows a space.
            let text: String = text
                .chars()
                .map(|c| if (c as u32) < 0x20 { ' ' } else { c })
                .collect();
            out.write_event(Event::Text(BytesText::new(&text)))?;
            out.write_event(Event::End(BytesEnd::new("text")))?;
            line_break(out);
        }
    }
    out.write_event(Event::End(BytesEnd::new("svg")))?;
    line_break(out);
    Ok(())
}

/// One element a line, as a reader (and a diff) of the file wants it.
fn line_break(out: &mut Writer<Vec<u8>>) {
    out.get_mut().push(b'\n');
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Look {
    fg: String,
    bg: String,
    bold: bool,
    italic: bool,
    underline: bool,
    dim: bool,
}

impl Look {
    fn of(fg: Color, bg: Color, modifier: Modifier) -> Look {
        let mut fg = hex(fg, DEFAULT_FG);
        let mut bg = hex(bg, DEFAULT_BG);
        if modifier.contains(Modifier::REVERSED) {
            std::mem::swap(&mut fg, &mut bg);
        }
        Look {
            fg,
            bg,
            bold: modifier.contains(Modifier::BOLD),
            italic: modifier.contains(Modifier::ITALIC),
            underline: modifier.contains(Modifier::UNDERLINED),
            dim: modifier.contains(Modifier::DIM),
        }
    }
}

fn hex(color: Color, default: &str) -> String {
    let rgb = match color {
        Color::Reset => return default.to_string(),
        Color::Black => (0x1c, 0x1c, 0x1c),
        Color::Red => (0xd7, 0x5f, 0x5f),
        Color::Green => (0x87, 0xaf, 0x5f),
        Color::Yellow => (0xd7, 0xaf, 0x5f),
        Color::Blue => (0x5f, 0x87, 0xd7),
        Color::Magenta => (0xaf, 0x87, 0xd7),
        Color::Cyan => (0x5f, 0xaf, 0xaf),
        Color::Gray => (0xbc, 0xbc, 0xbc),
        Color::DarkGray => (0x6c, 0x6c, 0x6c),
        Color::LightRed => (0xff, 0x87, 0x87),
        Color::LightGreen => (0xaf, 0xd7, 0x87),
        Color::LightYellow => (0xff, 0xd7, 0x87),
        Color::LightBlue => (0x87, 0xaf, 0xff),
        Color::LightMagenta => (0xd7, 0xaf, 0xff),
        Color::LightCyan => (0x87, 0xd7, 0xd7),
        Color::White => (0xee, 0xee, 0xee),
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Indexed(i) => indexed(i),
    };
    format!("#{:02x}{:02x}{:02x}", rgb.0, rgb.1, rgb.2)
}

/// The xterm 256-colour palette: the one the theme's contrast test reads.
fn indexed(i: u8) -> (u8, u8, u8) {
    segscope::console::theme::xterm_rgb(Color::Indexed(i)).expect("an indexed colour has an RGB")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn cells_keep_their_colours_and_text_is_escaped() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 10, 2));
        buffer.set_string(
            0,
            0,
            "a<b",
            Style::default()
                .fg(Color::Green)
                .add_modifier(Modifier::BOLD),
        );
        buffer.set_string(
            0,
            1,
            "sel",
            Style::default().add_modifier(Modifier::REVERSED),
        );
        let svg = buffer_to_svg(&buffer);
        assert!(svg.starts_with("<svg"));
        assert!(
            svg.contains(r##"fill="#87af5f" font-weight="bold""##),
            "{svg}"
        );
        assert!(svg.contains(">a&lt;b<"), "{svg}");
        // Reverse video: the default foreground becomes the background.
        assert!(svg.contains(&format!(r#"fill="{DEFAULT_FG}"/>"#)), "{svg}");
    }
}
