//! The forms of the popups, as data: the alias form (F4), the session save form (F6) and the
//! session picker (F7).

use std::path::PathBuf;

use ratatui_textarea::{CursorMove, TextArea};

use crate::console::sessions::files::default_file;
use crate::console::theme::Theme;

/// The small alias form (F4): two one-line fields.
#[derive(Debug)]
pub struct AliasForm {
    pub tag: TextArea<'static>,
    pub id: TextArea<'static>,
    /// 0 = tag, 1 = id.
    pub field: usize,
    pub error: Option<String>,
}

impl AliasForm {
    pub fn new(theme: Theme) -> AliasForm {
        let field = |text: &str| {
            let mut area = TextArea::new(vec![text.to_string()]);
            area.set_cursor_line_style(ratatui::style::Style::new());
            area.set_cursor_style(theme.cursor());
            area.move_cursor(ratatui_textarea::CursorMove::End);
            area
        };
        let mut form = AliasForm {
            tag: field(""),
            id: field(""),
            field: 0,
            error: None,
        };
        form.set_field(0, theme);
        form
    }

    /// Moves the input to field 0 (tag) or 1 (id); only that field shows a cursor.
    pub fn set_field(&mut self, field: usize, theme: Theme) {
        self.field = field.min(1);
        let style = |on: bool| {
            if on {
                theme.cursor()
            } else {
                ratatui::style::Style::new()
            }
        };
        self.tag.set_cursor_style(style(self.field == 0));
        self.id.set_cursor_style(style(self.field == 1));
    }

    pub fn values(&self) -> (String, String) {
        (
            self.tag.lines().concat().trim().to_string(),
            self.id.lines().concat().trim().to_string(),
        )
    }
}

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

pub(crate) fn one_line(text: &str, theme: Theme) -> TextArea<'static> {
    let mut area = TextArea::new(vec![text.to_string()]);
    area.set_cursor_line_style(ratatui::style::Style::new());
    area.set_cursor_style(theme.cursor());
    area.move_cursor(CursorMove::End);
    area
}

impl SaveForm {
    /// The form for a session named `name`, offering a file in `dir`.
    pub fn new(name: &str, dir: &std::path::Path, calls: usize, theme: Theme) -> SaveForm {
        let mut form = SaveForm {
            fields: [
                one_line(name, theme),
                one_line("", theme),
                one_line(&default_file(dir, name), theme),
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
