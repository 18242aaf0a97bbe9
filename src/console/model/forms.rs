//! The forms of the popups, as data: the alias form (F4), the session save form (F6) and the
//! session picker (F7).

use std::path::PathBuf;

use ratatui_textarea::{CursorMove, TextArea};

use crate::console::sessions::files::default_file;
use crate::console::sessions::history::{SaveScope, SavedCalls};
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

/// The save form (F6): name, description and file, all editable, and what to save.
#[derive(Debug)]
pub struct SaveForm {
    /// name, description, file.
    pub fields: [TextArea<'static>; 3],
    /// The field with the input: 0–2 the text fields, [`SaveForm::SCOPE_FIELD`] the choice of
    /// what to save.
    pub field: usize,
    /// The file name was typed by hand: a new name no longer renames it.
    pub file_edited: bool,
    /// The file that exists and that a second Enter will overwrite.
    pub confirm_overwrite: Option<PathBuf>,
    pub error: Option<String>,
    /// What to save: the selected call's user, or up to the selected call.
    pub scope: SaveScope,
    /// What each choice saves, exactly (shown in the form): all of the user's, up to the
    /// selected call.
    pub plans: [Option<SavedCalls>; 2],
    /// The selected call's number (`#9`), for the second choice.
    pub selected: usize,
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
    /// The field of the choice of what to save (after the file).
    pub const SCOPE_FIELD: usize = 3;

    /// The form for a session named `name`, offering a file in `dir`; `plans` are what saving
    /// all of the user's calls and saving up to the selected call (index `selected`) keep.
    pub fn new(
        name: &str,
        dir: &std::path::Path,
        plans: [Option<SavedCalls>; 2],
        selected: usize,
        theme: Theme,
    ) -> SaveForm {
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
            scope: SaveScope::AllOfUser,
            plans,
            selected,
        };
        form.set_field(0, theme);
        form
    }

    pub fn value(&self, field: usize) -> String {
        self.fields[field].lines().concat().trim().to_string()
    }

    /// What the chosen scope saves.
    pub fn plan(&self) -> Option<&SavedCalls> {
        match self.scope {
            SaveScope::AllOfUser => self.plans[0].as_ref(),
            SaveScope::UpToSelected => self.plans[1].as_ref(),
        }
    }

    /// The other choice of what to save.
    pub fn toggle_scope(&mut self) {
        self.scope = match self.scope {
            SaveScope::AllOfUser => SaveScope::UpToSelected,
            SaveScope::UpToSelected => SaveScope::AllOfUser,
        };
    }

    pub fn set_field(&mut self, field: usize, theme: Theme) {
        self.field = field % (Self::SCOPE_FIELD + 1);
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
