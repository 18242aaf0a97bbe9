//! The two popups of sessions, as data: the save form (F6) and the picker (F7).

use std::path::PathBuf;

use ratatui_textarea::{CursorMove, TextArea};

use crate::console::theme::Theme;

use super::files::default_file;

/// The popups of this module (one variant of [`Popup`], so the shared code stays small).
#[derive(Debug)]
pub enum SessionPopup {
    Save(Box<SaveForm>),
    Open(SessionPicker),
}

/// The save form (F6): name, description and file, all editable.
#[derive(Debug)]
pub struct SaveForm {
    /// name, description, file.
    pub fields: [TextArea<'static>; 3],
    pub field: usize,
    /// The file name was typed by hand: a new name no longer renames it.
    pub file_edited: bool,
    /// The file that exists and that a second Enter will overwrite.
    pub confirm_overwrite: Option<PathBuf>,
    pub error: Option<String>,
    /// Calls the session will hold (shown in the form).
    pub calls: usize,
}

pub const SAVE_LABELS: [&str; 3] = ["name", "description", "file"];

pub(super) fn one_line(text: &str, theme: Theme) -> TextArea<'static> {
    let mut area = TextArea::new(vec![text.to_string()]);
    area.set_cursor_line_style(ratatui::style::Style::new());
    area.set_cursor_style(theme.cursor());
    area.move_cursor(CursorMove::End);
    area
}

impl SaveForm {
    pub fn new(name: &str, calls: usize, theme: Theme) -> SaveForm {
        let mut form = SaveForm {
            fields: [
                one_line(name, theme),
                one_line("", theme),
                one_line(&default_file(name), theme),
            ],
            field: 0,
            file_edited: false,
            confirm_overwrite: None,
            error: None,
            calls,
        };
        form.set_field(0, theme);
        form
    }

    pub fn value(&self, field: usize) -> String {
        self.fields[field].lines().concat().trim().to_string()
    }

    pub fn set_field(&mut self, field: usize, theme: Theme) {
        self.field = field % self.fields.len();
        for (i, area) in self.fields.iter_mut().enumerate() {
            area.set_cursor_style(if i == self.field {
                theme.cursor()
            } else {
                ratatui::style::Style::new()
            });
        }
    }
}

/// The session picker (F7): the session files found, with their names.
#[derive(Debug)]
pub struct SessionPicker {
    pub entries: Vec<SessionEntry>,
    pub selected: usize,
    /// `.json` files that are not sessions (not listed).
    pub skipped: usize,
}

#[derive(Debug, Clone)]
pub struct SessionEntry {
    pub path: PathBuf,
    pub name: String,
    pub steps: usize,
}
