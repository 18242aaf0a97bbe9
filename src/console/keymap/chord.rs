//! One key of the keymap and its label: the leaf the console's and the popups' tables share.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// One key: a code, with or without Ctrl or Alt. Shift is ignored (terminals differ on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chord {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

pub(super) const fn key(code: KeyCode) -> Chord {
    Chord {
        code,
        ctrl: false,
        alt: false,
    }
}

pub(super) const fn ctrl(c: char) -> Chord {
    Chord {
        code: KeyCode::Char(c),
        ctrl: true,
        alt: false,
    }
}

/// Alt+letter (Option on macOS where the terminal sends it as Meta): the F-keys' second keys.
pub(super) const fn alt(c: char) -> Chord {
    Chord {
        code: KeyCode::Char(c),
        ctrl: false,
        alt: true,
    }
}

impl Chord {
    pub fn matches(&self, event: &KeyEvent) -> bool {
        if event.modifiers.contains(KeyModifiers::ALT) != self.alt {
            return false;
        }
        if event.modifiers.contains(KeyModifiers::CONTROL) != self.ctrl {
            return false;
        }
        match (self.code, event.code) {
            (KeyCode::Char(a), KeyCode::Char(b)) if self.ctrl || self.alt => {
                a.eq_ignore_ascii_case(&b)
            }
            (a, b) => a == b,
        }
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Char(c) if self.ctrl || self.alt => c.to_ascii_uppercase().to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift+Tab".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            other => format!("{other:?}"),
        };
        match (self.ctrl, self.alt) {
            (true, _) => format!("Ctrl+{base}"),
            (false, true) => format!("Alt+{base}"),
            (false, false) => base,
        }
    }
}

/// `↑ / k`: the keys of a row, for the help and the docs.
pub(super) fn keys_label(chords: &[Chord]) -> String {
    chords
        .iter()
        .map(Chord::label)
        .collect::<Vec<_>>()
        .join(" / ")
}
