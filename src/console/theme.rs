//! Styles, in one place, with a colourless variant for `NO_COLOR`.
//!
//! crossterm 0.29 honours `NO_COLOR` by writing a bare `ESC[m` (reset all) wherever a colour was
//! asked for, and ratatui's backend sets attributes *before* colours, so every reversed or bold
//! cell that also changes colour loses its attributes. The colourless theme therefore asks for
//! no colour at all (attributes only), and the terminal setup forces crossterm's colour output
//! on, so a stray colour reset is written as `39`/`49` instead of a full reset. Selections carry
//! a `>` marker as well, so they stay visible even on a terminal that ignores attributes.

use ratatui::style::{Color, Modifier, Style};

/// The selection's background: xterm 236 (#303030).
const SELECTION_BAR: Color = Color::Indexed(236);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Theme {
    pub no_color: bool,
}

impl Theme {
    pub fn new(no_color: bool) -> Theme {
        Theme { no_color }
    }

    /// `NO_COLOR` set and not empty (<https://no-color.org>).
    pub fn no_color_from_env() -> bool {
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    }

    fn fg(self, color: Color) -> Style {
        if self.no_color {
            Style::new()
        } else {
            Style::new().fg(color)
        }
    }

    pub fn plain(self) -> Style {
        Style::new()
    }
    pub fn added(self) -> Style {
        self.fg(Color::Green)
    }
    /// Reds are the light ones: the dark red cannot be read on the selection's background
    /// (nor well on black: contrast 3.6).
    pub fn removed(self) -> Style {
        self.fg(Color::LightRed)
    }
    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }
    pub fn error(self) -> Style {
        if self.no_color {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            Style::new().fg(Color::LightRed)
        }
    }
    pub fn warning(self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn muted(self) -> Style {
        if self.no_color {
            Style::new().add_modifier(Modifier::DIM)
        } else {
            Style::new().fg(Color::DarkGray)
        }
    }
    pub fn hunk(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn key(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn title(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    pub fn accent(self) -> Style {
        self.fg(Color::Cyan)
    }
    pub fn border(self) -> Style {
        self.muted()
    }
    pub fn focus_border(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn error_border(self) -> Style {
        self.error().add_modifier(Modifier::BOLD)
    }
    /// The selected row of a list or table: a dark bar under the row's own colours (a red `≠`
    /// stays red), dark enough for each of them to be read on it (see the contrast test).
    pub fn selected(self) -> Style {
        if self.no_color {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::new().bg(SELECTION_BAR).add_modifier(Modifier::BOLD)
        }
    }
    /// The selected row of an abandoned branch, which is drawn grey and dim: on the bar its text
    /// is light and not dimmed (grey on grey could not be read).
    pub fn selected_abandoned(self) -> Style {
        if self.no_color {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new()
                .fg(Color::Gray)
                .bg(SELECTION_BAR)
                .remove_modifier(Modifier::DIM)
        }
    }
    /// The active tab of the right-hand pane.
    pub fn active_tab(self) -> Style {
        if self.no_color {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD)
        }
    }
    pub fn cursor(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    pub fn editor_selection(self) -> Style {
        if self.no_color {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().fg(Color::White).bg(Color::Blue)
        }
    }
    pub fn line_number(self) -> Style {
        self.muted()
    }

    /// The styles text is drawn in, by name: on the terminal's background, and under a
    /// highlight (for the contrast check).
    pub fn text_styles(self) -> Vec<(&'static str, Style)> {
        vec![
            ("plain", self.plain()),
            ("added", self.added()),
            ("removed", self.removed()),
            ("ok", self.ok()),
            ("error", self.error()),
            ("warning", self.warning()),
            ("muted", self.muted()),
            ("hunk", self.hunk()),
            ("key", self.key()),
            ("title", self.title()),
            ("accent", self.accent()),
            ("border", self.border()),
            ("focus_border", self.focus_border()),
            ("error_border", self.error_border()),
            ("cursor", self.cursor()),
            ("line_number", self.line_number()),
        ]
    }

    /// The styles drawn over text (a selection), by name: what they leave unset, the text's
    /// style gives.
    pub fn highlights(self) -> Vec<(&'static str, Style)> {
        vec![
            ("selected", self.selected()),
            ("selected_abandoned", self.selected_abandoned()),
            ("editor_selection", self.editor_selection()),
        ]
    }

    /// The styles that are drawn alone, with a text colour and a background of their own.
    pub fn badges(self) -> Vec<(&'static str, Style)> {
        vec![("active_tab", self.active_tab())]
    }
}

/// A colour as xterm's default palette draws it (`None`: the terminal's default).
pub fn xterm_rgb(color: Color) -> Option<(u8, u8, u8)> {
    const BASE: [(u8, u8, u8); 16] = [
        (0x00, 0x00, 0x00),
        (0xcd, 0x00, 0x00),
        (0x00, 0xcd, 0x00),
        (0xcd, 0xcd, 0x00),
        (0x00, 0x00, 0xee),
        (0xcd, 0x00, 0xcd),
        (0x00, 0xcd, 0xcd),
        (0xe5, 0xe5, 0xe5),
        (0x7f, 0x7f, 0x7f),
        (0xff, 0x00, 0x00),
        (0x00, 0xff, 0x00),
        (0xff, 0xff, 0x00),
        (0x5c, 0x5c, 0xff),
        (0xff, 0x00, 0xff),
        (0x00, 0xff, 0xff),
        (0xff, 0xff, 0xff),
    ];
    let index = match color {
        Color::Reset => return None,
        Color::Rgb(r, g, b) => return Some((r, g, b)),
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
        Color::Indexed(i) => i,
    };
    Some(match index {
        0..=15 => BASE[usize::from(index)],
        16..=231 => {
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
            let i = index - 16;
            (level(i / 36), level((i / 6) % 6), level(i % 6))
        }
        _ => {
            let v = 8 + 10 * (index - 232);
            (v, v, v)
        }
    })
}

/// WCAG 2's contrast ratio of two colours (1 to 21).
pub fn contrast((r1, g1, b1): (u8, u8, u8), (r2, g2, b2): (u8, u8, u8)) -> f64 {
    let luminance = |r: u8, g: u8, b: u8| {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    };
    let (a, b) = (luminance(r1, g1, b1), luminance(r2, g2, b2));
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pair of text and background colours the theme can put on screen: each text style
    /// on the terminal's background, each under each highlight (a selected row's cells keep
    /// their colours, as ratatui patches the highlight over them), and each badge. The terminal
    /// is taken as a dark one with xterm's palette: background black, default text #e5e5e5.
    /// Each pair needs a contrast of at least 3 (WCAG's for large text and UI parts), and never
    /// the same colour twice. (Modifiers such as DIM are not measured.)
    #[test]
    fn every_text_and_background_pair_has_contrast() {
        let theme = Theme::new(false);
        let default_fg = (0xe5, 0xe5, 0xe5);
        let default_bg = (0, 0, 0);
        let colours = |style: Style| {
            (
                style.fg.and_then(xterm_rgb).unwrap_or(default_fg),
                style.bg.and_then(xterm_rgb).unwrap_or(default_bg),
            )
        };
        let mut pairs: Vec<(String, Style)> = Vec::new();
        for (name, text) in theme.text_styles() {
            pairs.push((format!("{name} on the terminal's background"), text));
            for (over, highlight) in theme.highlights() {
                pairs.push((format!("{name} under {over}"), text.patch(highlight)));
            }
        }
        for (name, badge) in theme.badges() {
            pairs.push((name.to_string(), badge));
        }
        let bad: Vec<String> = pairs
            .iter()
            .filter_map(|(what, style)| {
                let (fg, bg) = colours(*style);
                let ratio = contrast(fg, bg);
                (fg == bg || ratio < 3.0).then(|| {
                    format!(
                        "{what}: {:?} on {:?}, contrast {ratio:.2}",
                        style.fg, style.bg
                    )
                })
            })
            .collect();
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }

    #[test]
    fn the_palette_and_the_ratio() {
        assert_eq!(xterm_rgb(Color::DarkGray), Some((0x7f, 0x7f, 0x7f)));
        assert_eq!(xterm_rgb(Color::Indexed(8)), Some((0x7f, 0x7f, 0x7f)));
        assert_eq!(xterm_rgb(Color::Indexed(196)), Some((0xff, 0, 0)));
        assert_eq!(xterm_rgb(Color::Indexed(244)), Some((0x80, 0x80, 0x80)));
        assert!((contrast((0, 0, 0), (255, 255, 255)) - 21.0).abs() < 1e-9);
        assert!((contrast((9, 9, 9), (9, 9, 9)) - 1.0).abs() < 1e-9);
    }
}
