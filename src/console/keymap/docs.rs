//! The keys tables of `docs/console.md` and the README, written from the keymap (a test checks
//! that the docs hold them).

use super::{KEYMAP, NOTES, POPUP_KEYMAP};

/// The keys table of `docs/console.md`, generated from [`KEYMAP`] and [`NOTES`].
pub fn markdown_table() -> String {
    let mut out = String::from("| keys | where | what |\n|---|---|---|\n");
    for b in KEYMAP {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            b.keys_label(),
            b.scope.label(),
            b.what
        ));
    }
    for (keys, scope, what) in NOTES {
        out.push_str(&format!("| {keys} | {scope} | {what} |\n"));
    }
    out
}

/// The popups' keys table of `docs/console.md`, generated from [`POPUP_KEYMAP`].
pub fn popup_markdown_table() -> String {
    let mut out = String::from("| popup | keys | what |\n|---|---|---|\n");
    for b in POPUP_KEYMAP {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            b.popup.label(),
            b.keys_label(),
            b.what
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;
    use crossterm::event::KeyModifiers;

    fn ev(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn required_bindings() {
        let none = KeyModifiers::NONE;
        let c = KeyModifiers::CONTROL;
        assert_eq!(lookup(&ev(KeyCode::F(5), none), true), Some(Action::Send));
        assert_eq!(lookup(&ev(KeyCode::Char('s'), c), true), Some(Action::Send));
        assert_eq!(lookup(&ev(KeyCode::Esc, none), true), Some(Action::Cancel));
        assert_eq!(
            lookup(&ev(KeyCode::F(2), none), true),
            Some(Action::ToggleSync)
        );
        assert_eq!(
            lookup(&ev(KeyCode::BackTab, KeyModifiers::SHIFT), false),
            Some(Action::FocusPrev)
        );
        assert_eq!(lookup(&ev(KeyCode::F(1), none), true), Some(Action::Help));
        assert_eq!(
            lookup(&ev(KeyCode::Char('?'), KeyModifiers::SHIFT), false),
            Some(Action::Help)
        );
        assert_eq!(lookup(&ev(KeyCode::Char('?'), none), true), None);
        assert_eq!(
            lookup(&ev(KeyCode::Char('q'), c), false),
            Some(Action::Quit)
        );
        assert_eq!(lookup(&ev(KeyCode::Char('v'), none), true), None);
    }

    #[test]
    fn table_lists_every_binding() {
        let table = markdown_table();
        for b in KEYMAP {
            assert!(table.contains(&b.keys_label()));
        }
        assert!(table.contains("| F5 / Ctrl+S | everywhere |"));
    }
}
