//! Every key binding of the console, in one table: the update step looks keys up here, and the
//! help popup, the footer hints and `docs/console.md` are written from it.

use crossterm::event::{KeyCode, KeyEvent};

use crate::console::model::Focus;

mod chord;
mod docs;
pub mod popup;

pub use chord::Chord;
use chord::{alt, ctrl, key, keys_label};
pub use popup::{POPUP_KEYMAP, PopupAction, PopupBinding, PopupKey, PopupKind, Unbound};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Send,
    Cancel,
    ToggleSync,
    NewUser,
    SetAlias,
    SaveSession,
    OpenSession,
    NextStep,
    FocusNext,
    FocusPrev,
    Help,
    Quit,
    NewEvent,
    Format,
    AdvanceTime,
    Undo,
    CycleView,
    ToggleDiffMode,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Rewind,
    Explain,
    CompareEdit,
    CopyResponse,
    CopyCurl,
    CopySend,
    /// The message log (every status message, with its time).
    Messages,
    /// `q` outside the editor, Ctrl+C: say how to quit (Ctrl+Q), do nothing else.
    QuitHint,
    Retry,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Everywhere,
    /// Only while the editor has the focus.
    Editor,
    /// Only while another pane has the focus (so the key can be typed in the editor).
    OutsideEditor,
}

impl Scope {
    pub fn label(self) -> &'static str {
        match self {
            Scope::Everywhere => "everywhere",
            Scope::Editor => "editor",
            Scope::OutsideEditor => "other panes",
        }
    }
}

/// A binding: keys, where they apply, what they do, and a short footer hint if any.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub action: Action,
    pub chords: &'static [Chord],
    pub scope: Scope,
    pub what: &'static str,
    pub hint: Option<&'static str>,
    /// The panes whose footer shows the hint; empty: every pane's (after the pane's own keys).
    pub panes: &'static [Focus],
}

impl Binding {
    pub fn keys_label(&self) -> String {
        keys_label(self.chords)
    }

    /// The hint shows in the footer of these panes only.
    pub const fn in_footer_of(mut self, panes: &'static [Focus]) -> Binding {
        self.panes = panes;
        self
    }
}

use Focus::{Cohorts, Detail, Editor as EditorPane, History};

const fn bind(
    action: Action,
    chords: &'static [Chord],
    scope: Scope,
    what: &'static str,
    hint: Option<&'static str>,
) -> Binding {
    Binding {
        action,
        chords,
        scope,
        what,
        hint,
        panes: &[],
    }
}

/// The keymap, in the order help shows it. The first matching binding wins.
pub const KEYMAP: &[Binding] = &[
    bind(
        Action::Send,
        &[key(KeyCode::F(5)), ctrl('s')],
        Scope::Everywhere,
        "Send the events, with the state of the last successful call",
        Some("send"),
    )
    .in_footer_of(&[EditorPane]),
    bind(
        Action::Cancel,
        &[key(KeyCode::Esc)],
        Scope::Everywhere,
        "Cancel the request in flight; close a popup",
        None,
    ),
    bind(
        Action::ToggleSync,
        &[key(KeyCode::F(2)), alt('s')],
        Scope::Everywhere,
        "Synchronous validation ON/OFF (ON at start)",
        None,
    ),
    bind(
        Action::NewUser,
        &[key(KeyCode::F(3)), alt('u')],
        Scope::Everywhere,
        "New user: a fresh user_id and an empty state",
        None,
    ),
    bind(
        Action::SetAlias,
        &[key(KeyCode::F(4)), alt('a')],
        Scope::Everywhere,
        "Use an alias (tag and id) as the identity, with an empty state",
        None,
    ),
    bind(
        Action::SaveSession,
        &[key(KeyCode::F(6)), ctrl('o')],
        Scope::Everywhere,
        "Save the history as a session file (asks before overwriting one)",
        None,
    ),
    bind(
        Action::OpenSession,
        &[key(KeyCode::F(7)), alt('o')],
        Scope::Everywhere,
        "Open a session: bundled ones, sessions/, the data dir, the current dir",
        None,
    ),
    bind(
        Action::NextStep,
        &[key(KeyCode::F(8)), alt('r')],
        Scope::Everywhere,
        "Replay the open session's next step and compare it with its recording",
        None,
    ),
    bind(
        Action::FocusNext,
        &[key(KeyCode::Tab)],
        Scope::Everywhere,
        "Focus the next pane",
        Some("focus"),
    ),
    bind(
        Action::FocusPrev,
        &[key(KeyCode::BackTab)],
        Scope::Everywhere,
        "Focus the previous pane",
        None,
    ),
    bind(
        Action::Help,
        &[key(KeyCode::F(1)), ctrl('g')],
        Scope::Everywhere,
        "This help",
        Some("help"),
    ),
    bind(
        Action::Help,
        &[key(KeyCode::Char('?'))],
        Scope::OutsideEditor,
        "This help",
        None,
    ),
    bind(
        Action::Messages,
        &[ctrl('l')],
        Scope::Everywhere,
        "The message log: every status message, with its time",
        None,
    ),
    bind(
        Action::Quit,
        &[ctrl('q')],
        Scope::Everywhere,
        "Quit",
        Some("quit"),
    ),
    bind(
        Action::QuitHint,
        &[ctrl('c')],
        Scope::Everywhere,
        "Says that Ctrl+Q quits (in the editor it also copies the selection)",
        None,
    ),
    bind(
        Action::QuitHint,
        &[key(KeyCode::Char('q'))],
        Scope::OutsideEditor,
        "Says that Ctrl+Q quits",
        None,
    ),
    bind(
        Action::NewEvent,
        &[ctrl('n')],
        Scope::Everywhere,
        "Insert a new event at the cursor (pick a workspace event; required properties filled in)",
        Some("new event"),
    )
    .in_footer_of(&[EditorPane]),
    bind(
        Action::Format,
        &[ctrl('f')],
        Scope::Everywhere,
        "Pretty-print the editor's JSON",
        Some("format"),
    )
    .in_footer_of(&[EditorPane]),
    bind(
        Action::AdvanceTime,
        &[ctrl('t')],
        Scope::Everywhere,
        "Move every event's time by a step (+30m, 1d…; the last one offered) with fresh view_ids",
        None,
    ),
    bind(
        Action::Undo,
        &[ctrl('z'), ctrl('u')],
        Scope::Editor,
        "Undo (Ctrl+R redoes)",
        None,
    ),
    bind(
        Action::CycleView,
        &[key(KeyCode::Char('v'))],
        Scope::OutsideEditor,
        "Right-hand pane: state diff → request → response",
        Some("view"),
    )
    .in_footer_of(&[Detail]),
    bind(
        Action::ToggleDiffMode,
        &[key(KeyCode::Char('f'))],
        Scope::OutsideEditor,
        "State diff: changes only ↔ the full after-state",
        Some("full/changes"),
    )
    .in_footer_of(&[Detail]),
    bind(
        Action::Up,
        &[key(KeyCode::Up), key(KeyCode::Char('k'))],
        Scope::OutsideEditor,
        "Previous call (History), cohort, or line",
        None,
    ),
    bind(
        Action::Down,
        &[key(KeyCode::Down), key(KeyCode::Char('j'))],
        Scope::OutsideEditor,
        "Next call (History), cohort, or line",
        None,
    ),
    bind(
        Action::PageUp,
        &[key(KeyCode::PageUp)],
        Scope::OutsideEditor,
        "Scroll up a page",
        None,
    ),
    bind(
        Action::PageDown,
        &[key(KeyCode::PageDown)],
        Scope::OutsideEditor,
        "Scroll down a page",
        None,
    ),
    bind(
        Action::Top,
        &[key(KeyCode::Home), key(KeyCode::Char('g'))],
        Scope::OutsideEditor,
        "First call / top",
        None,
    ),
    bind(
        Action::Bottom,
        &[key(KeyCode::End), key(KeyCode::Char('G'))],
        Scope::OutsideEditor,
        "Last call / bottom",
        None,
    ),
    bind(
        Action::Rewind,
        &[key(KeyCode::Char('r'))],
        Scope::OutsideEditor,
        "Rewind to just before the selected call (later calls stay, dimmed, as a branch)",
        Some("rewind"),
    )
    .in_footer_of(&[History]),
    bind(
        Action::CompareEdit,
        &[key(KeyCode::Char('d'))],
        Scope::OutsideEditor,
        "Live workspace (--workspace DIR): the selected call before vs after the last edit",
        None,
    ),
    bind(
        Action::Explain,
        &[key(KeyCode::Char('e')), key(KeyCode::Enter)],
        Scope::OutsideEditor,
        "Why (not) in a cohort, for the selected call (emulator: the query's tree)",
        Some("why"),
    )
    .in_footer_of(&[History, Cohorts]),
    bind(
        Action::CopyResponse,
        &[key(KeyCode::Char('y'))],
        Scope::OutsideEditor,
        "Copy the selected call's response JSON (OSC 52 clipboard)",
        Some("copy"),
    )
    .in_footer_of(&[History]),
    bind(
        Action::CopyCurl,
        &[key(KeyCode::Char('c'))],
        Scope::OutsideEditor,
        "Copy the call as curl (key as $PERMUTIVE_API_KEY; embedded emulator: its own `segscope serve`)",
        Some("curl"),
    )
    .in_footer_of(&[History]),
    bind(
        Action::CopySend,
        &[key(KeyCode::Char('C'))],
        Scope::OutsideEditor,
        "Copy the same call as a `segscope send` command",
        None,
    ),
    bind(
        Action::Retry,
        &[key(KeyCode::Char('R'))],
        Scope::OutsideEditor,
        "Retry: send the selected call's events again, as the next call (the current state)",
        Some("retry"),
    )
    .in_footer_of(&[History]),
];

/// Rows of help that are not key bindings of the console itself.
pub const NOTES: &[(&str, &str, &str)] = &[
    (
        "typing, arrows, Enter, Backspace",
        "editor",
        "Edit the events (Emacs-style keys of ratatui-textarea: Ctrl+K, Ctrl+Y, …)",
    ),
    (
        "mouse click",
        "everywhere",
        "Focus the pane under the pointer; in History or Cohorts, select the row",
    ),
    (
        "mouse wheel",
        "everywhere",
        "Scroll the pane under the pointer (a row a notch in History and Cohorts)",
    ),
];

/// The action a key asks for, given whether the editor has the focus.
pub fn lookup(event: &KeyEvent, in_editor: bool) -> Option<Action> {
    KEYMAP
        .iter()
        .filter(|b| match b.scope {
            Scope::Everywhere => true,
            Scope::Editor => in_editor,
            Scope::OutsideEditor => !in_editor,
        })
        .find(|b| b.chords.iter().any(|c| c.matches(event)))
        .map(|b| b.action)
}

/// The keys of `action`, for a sentence: `F5 or Ctrl+S` (every F-key has a second key, and a
/// status text that names one names both).
pub fn keys_in_words(action: Action) -> String {
    KEYMAP
        .iter()
        .find(|b| b.action == action)
        .map(|b| {
            let labels: Vec<String> = b.chords.iter().map(Chord::label).collect();
            labels.join(" or ")
        })
        .unwrap_or_default()
}

/// The first key of `action` (`F8`, `Ctrl+L`), as the table lists it.
pub fn first_key(action: Action) -> Option<String> {
    KEYMAP
        .iter()
        .find(|b| b.action == action)
        .map(|b| b.chords[0].label())
}

/// A footer hint: a key's label and its word (`r`, `rewind`).
pub type Hint = (String, &'static str);

/// The footer's hints while `focus` has the focus: the pane's own keys (`r rewind · e why · …`
/// in History), then the keys of every pane (`Tab focus · F1 help · Ctrl+Q quit`).
pub fn hints(focus: Focus) -> (Vec<Hint>, Vec<Hint>) {
    let hint = |b: &Binding| b.hint.map(|h| (b.chords[0].label(), h));
    let pane = KEYMAP
        .iter()
        .filter(|b| b.panes.contains(&focus))
        .filter_map(hint)
        .collect();
    let everywhere = KEYMAP
        .iter()
        .filter(|b| b.panes.is_empty())
        .filter_map(hint)
        .collect();
    (pane, everywhere)
}

/// The keys table of `docs/console.md`, generated from [`KEYMAP`] and [`NOTES`].
pub fn markdown_table() -> String {
    let keys = KEYMAP.iter().map(|b| {
        [
            b.keys_label(),
            b.scope.label().to_string(),
            b.what.to_string(),
        ]
    });
    let notes = NOTES
        .iter()
        .map(|(keys, scope, what)| [keys.to_string(), scope.to_string(), what.to_string()]);
    docs::table(["keys", "where", "what"], keys.chain(notes))
}

/// The popups' keys table of `docs/console.md`, generated from [`POPUP_KEYMAP`].
pub fn popup_markdown_table() -> String {
    let rows = POPUP_KEYMAP.iter().map(|b| {
        [
            b.popup.label().to_string(),
            b.keys_label(),
            b.what.to_string(),
        ]
    });
    docs::table(["popup", "keys", "what"], rows)
}
