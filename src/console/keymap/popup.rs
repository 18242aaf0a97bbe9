//! The popups' own keys, as rows of the keymap: each row is scoped to one popup kind. The update
//! step dispatches a popup's keys through [`lookup`], the popups' footers are [`footer`], and the
//! help and `docs/console.md` list the rows.

use crossterm::event::{KeyCode, KeyEvent};

use super::chord::{Chord, key, keys_label};

/// The kinds of popup: the scope of a popup key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PopupKind {
    Help,
    EventPicker,
    AliasForm,
    Explain,
    SaveForm,
    SessionPicker,
    EditComparison,
    Messages,
}

impl PopupKind {
    pub const ALL: [PopupKind; 8] = [
        PopupKind::Help,
        PopupKind::EventPicker,
        PopupKind::AliasForm,
        PopupKind::Explain,
        PopupKind::SaveForm,
        PopupKind::SessionPicker,
        PopupKind::EditComparison,
        PopupKind::Messages,
    ];

    /// The popup's name in the help and the docs' "where" column.
    pub fn label(self) -> &'static str {
        match self {
            PopupKind::Help => "help (F1)",
            PopupKind::EventPicker => "new event (Ctrl+N)",
            PopupKind::AliasForm => "alias form (F4)",
            PopupKind::Explain => "explanation (Enter)",
            PopupKind::SaveForm => "save form (F6)",
            PopupKind::SessionPicker => "session picker (F7)",
            PopupKind::EditComparison => "edit diff (d)",
            PopupKind::Messages => "message log (Ctrl+L)",
        }
    }

    /// What a key with no row does in this popup.
    pub fn unbound(self) -> Unbound {
        match self {
            PopupKind::AliasForm | PopupKind::SaveForm => Unbound::Type,
            PopupKind::EditComparison => Unbound::Close,
            _ => Unbound::Ignore,
        }
    }
}

/// What a popup does with a key that has no row of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unbound {
    /// Typed into the form's current field.
    Type,
    /// Closes the popup.
    Close,
    Ignore,
}

/// What a popup key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PopupAction {
    Close,
    /// Enter: insert, apply, save, open (the popup's one thing to do).
    Confirm,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    NextField,
    PrevField,
}

/// A key in an open popup: a row's action, or a key with no row typed into a form's field.
#[derive(Debug, Clone, Copy)]
pub enum PopupKey {
    Action(PopupAction),
    Typed(KeyEvent),
}

/// A popup's key: which popup, the keys, what they do, and its word in the popup's footer.
#[derive(Debug, Clone, Copy)]
pub struct PopupBinding {
    pub popup: PopupKind,
    pub action: PopupAction,
    pub chords: &'static [Chord],
    pub what: &'static str,
    pub hint: Option<&'static str>,
}

impl PopupBinding {
    pub fn keys_label(&self) -> String {
        keys_label(self.chords)
    }
}

const fn row(
    popup: PopupKind,
    action: PopupAction,
    chords: &'static [Chord],
    what: &'static str,
    hint: Option<&'static str>,
) -> PopupBinding {
    PopupBinding {
        popup,
        action,
        chords,
        what,
        hint,
    }
}

use PopupAction as A;
use PopupKind as P;

const UP: &[Chord] = &[key(KeyCode::Up), key(KeyCode::Char('k'))];
const DOWN: &[Chord] = &[key(KeyCode::Down), key(KeyCode::Char('j'))];
const ESC: &[Chord] = &[key(KeyCode::Esc)];
const ENTER: &[Chord] = &[key(KeyCode::Enter)];

/// The popups' keys, in the order help shows them; within a popup, the footer's order.
#[rustfmt::skip]
pub const POPUP_KEYMAP: &[PopupBinding] = &[
    row(P::Help, A::Close, &[key(KeyCode::Esc), key(KeyCode::Enter), key(KeyCode::F(1)), key(KeyCode::Char('?')), key(KeyCode::Char('q'))], "Close the help", Some("closes")),
    row(P::Help, A::Up, UP, "Scroll up a line", Some("scroll")),
    row(P::Help, A::Down, DOWN, "Scroll down a line", Some("scroll")),
    row(P::Help, A::PageUp, &[key(KeyCode::PageUp)], "Scroll up a page", None),
    row(P::Help, A::PageDown, &[key(KeyCode::PageDown)], "Scroll down a page", None),
    row(P::EventPicker, A::Up, UP, "Previous event", None),
    row(P::EventPicker, A::Down, DOWN, "Next event", None),
    row(P::EventPicker, A::Confirm, ENTER, "Insert the event at the editor's cursor", Some("inserts")),
    row(P::EventPicker, A::Close, ESC, "Cancel", Some("cancels")),
    row(P::AliasForm, A::Confirm, ENTER, "Use the alias as the identity (both fields needed)", Some("applies")),
    row(P::AliasForm, A::NextField, &[key(KeyCode::Tab), key(KeyCode::BackTab), key(KeyCode::Up), key(KeyCode::Down)], "Switch between tag and id (other keys are typed)", Some("switches field")),
    row(P::AliasForm, A::Close, ESC, "Cancel", Some("cancels")),
    row(P::Explain, A::Up, UP, "Previous cohort", Some("cohort")),
    row(P::Explain, A::Down, &[key(KeyCode::Down), key(KeyCode::Char('j')), key(KeyCode::Tab)], "Next cohort", Some("cohort")),
    row(P::Explain, A::PageUp, &[key(KeyCode::PageUp), key(KeyCode::Char('K'))], "Scroll the cohort's explanation up", Some("scroll")),
    row(P::Explain, A::PageDown, &[key(KeyCode::PageDown), key(KeyCode::Char('J'))], "Scroll the cohort's explanation down", Some("scroll")),
    row(P::Explain, A::Top, &[key(KeyCode::Home), key(KeyCode::Char('g'))], "First cohort", None),
    row(P::Explain, A::Bottom, &[key(KeyCode::End), key(KeyCode::Char('G'))], "Last cohort", None),
    row(P::Explain, A::Close, &[key(KeyCode::Esc), key(KeyCode::Enter), key(KeyCode::Char('q'))], "Close the explanation", Some("closes")),
    row(P::SaveForm, A::Confirm, ENTER, "Save (Enter again overwrites a file that exists)", Some("saves")),
    row(P::SaveForm, A::NextField, &[key(KeyCode::Tab), key(KeyCode::Down)], "Next field (other keys are typed)", Some("next field")),
    row(P::SaveForm, A::PrevField, &[key(KeyCode::BackTab), key(KeyCode::Up)], "Previous field", None),
    row(P::SaveForm, A::Close, ESC, "Cancel: nothing is saved", Some("cancels")),
    row(P::SessionPicker, A::Up, UP, "Previous session", None),
    row(P::SessionPicker, A::Down, DOWN, "Next session", None),
    row(P::SessionPicker, A::Top, &[key(KeyCode::Home)], "First session", None),
    row(P::SessionPicker, A::Bottom, &[key(KeyCode::End)], "Last session", None),
    row(P::SessionPicker, A::Confirm, ENTER, "Open the session for step-by-step replay (F8)", Some("opens")),
    row(P::SessionPicker, A::Close, ESC, "Cancel", Some("cancels")),
    row(P::EditComparison, A::Close, ESC, "Close it (so does any other key)", Some("closes")),
    row(P::Messages, A::Close, &[key(KeyCode::Esc), key(KeyCode::Enter), key(KeyCode::Char('q'))], "Close the log", Some("closes")),
    row(P::Messages, A::Up, UP, "Scroll up a line (to older messages)", Some("scroll")),
    row(P::Messages, A::Down, DOWN, "Scroll down a line (to newer messages)", Some("scroll")),
    row(P::Messages, A::PageUp, &[key(KeyCode::PageUp)], "Scroll up a page", None),
    row(P::Messages, A::PageDown, &[key(KeyCode::PageDown)], "Scroll down a page", None),
    row(P::Messages, A::Top, &[key(KeyCode::Home), key(KeyCode::Char('g'))], "The oldest message", None),
    row(P::Messages, A::Bottom, &[key(KeyCode::End), key(KeyCode::Char('G'))], "The newest message", None),
];

/// The action `event` asks for in an open popup of kind `popup`. A popup's keys match on the
/// key alone, whatever the modifiers (as they always have: Alt+Enter still applies a form
/// rather than typing a line break into a one-line field); Ctrl+Q is the keymap's, before.
pub fn lookup(popup: PopupKind, event: &KeyEvent) -> Option<PopupAction> {
    rows(popup)
        .find(|b| b.chords.iter().any(|c| c.code == event.code))
        .map(|b| b.action)
}

/// The rows of one popup.
pub fn rows(popup: PopupKind) -> impl Iterator<Item = &'static PopupBinding> {
    POPUP_KEYMAP.iter().filter(move |b| b.popup == popup)
}

/// The popup's footer, from its rows' hints: `Esc closes · ↑↓ scroll`. Neighbouring rows with
/// the same hint share it (`↑↓ cohort`, `PgUp/PgDn scroll`).
pub fn footer(popup: PopupKind) -> String {
    let mut parts: Vec<(String, &str)> = Vec::new();
    for b in rows(popup) {
        let Some(hint) = b.hint else { continue };
        let label = b.chords[0].label();
        match parts.last_mut() {
            Some((keys, last)) if *last == hint => {
                let single = |s: &str| s.chars().count() == 1;
                if !(single(keys.rsplit('/').next().unwrap_or(keys)) && single(&label)) {
                    keys.push('/');
                }
                keys.push_str(&label);
            }
            _ => parts.push((label, hint)),
        }
    }
    parts
        .iter()
        .map(|(keys, hint)| format!("{keys} {hint}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footers_read_as_before() {
        assert_eq!(footer(P::Help), "Esc closes · ↑↓ scroll");
        assert_eq!(footer(P::EventPicker), "Enter inserts · Esc cancels");
        assert_eq!(
            footer(P::AliasForm),
            "Enter applies · Tab switches field · Esc cancels"
        );
        assert_eq!(
            footer(P::Explain),
            "↑↓ cohort · PgUp/PgDn scroll · Esc closes"
        );
        assert_eq!(
            footer(P::SaveForm),
            "Enter saves · Tab next field · Esc cancels"
        );
        assert_eq!(footer(P::SessionPicker), "Enter opens · Esc cancels");
        assert_eq!(footer(P::EditComparison), "Esc closes");
        assert_eq!(footer(P::Messages), "Esc closes · ↑↓ scroll");
    }

    #[test]
    fn every_popup_has_a_way_out() {
        for kind in PopupKind::ALL {
            assert!(
                rows(kind).any(|b| b.action == A::Close && b.chords.contains(&key(KeyCode::Esc))),
                "{kind:?}"
            );
        }
    }
}
