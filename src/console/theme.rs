//! Styles, in one place, with a colourless variant for `NO_COLOR`.
//!
//! crossterm 0.29 honours `NO_COLOR` by writing a bare `ESC[m` (reset all) wherever a colour was
//! asked for, and ratatui's backend sets attributes *before* colours, so every reversed or bold
//! cell that also changes colour loses its attributes. The colourless theme therefore asks for
//! no colour at all (attributes only), and the terminal setup forces crossterm's colour output
//! on, so a stray colour reset is written as `39`/`49` instead of a full reset. Selections carry
//! a `>` marker as well, so they stay visible even on a terminal that ignores attributes.

use ratatui::style::{Color, Modifier, Style};

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
    pub fn removed(self) -> Style {
        self.fg(Color::Red)
    }
    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }
    pub fn error(self) -> Style {
        if self.no_color {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            Style::new().fg(Color::Red)
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
    /// The selected row of a list or table.
    pub fn selected(self) -> Style {
        if self.no_color {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::new()
                .bg(Color::DarkGray)
                .add_modifier(Modifier::BOLD)
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
            Style::new().bg(Color::Blue)
        }
    }
    pub fn line_number(self) -> Style {
        self.muted()
    }
}
