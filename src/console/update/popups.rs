//! Keys in popups: one entry (`on_popup_key`) for every kind, through the keymap's popup rows;
//! the small popups' keys (help, event picker, alias form) and what they insert.

use crossterm::event::KeyEvent;

use crate::api::{Alias, Identity};
use crate::console::keymap::{PopupAction, PopupKey, PopupKind, Unbound, popup};
use crate::console::message::Effect;
use crate::console::model::forms::SessionPopup;
use crate::console::model::{Focus, Model, Popup, StatusKind};

/// Keys while a popup is open: the popup's rows of the keymap say what a key asks for, and this
/// one match says what that does in each kind of popup.
pub(super) fn on_popup_key(app: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let Some(kind) = app.popup.as_ref().map(kind_of) else {
        return Vec::new();
    };
    let key = match popup::lookup(kind, &key) {
        Some(action) => PopupKey::Action(action),
        None => match kind.unbound() {
            Unbound::Type => PopupKey::Typed(key),
            Unbound::Close => PopupKey::Action(PopupAction::Close),
            Unbound::Ignore => return Vec::new(),
        },
    };
    match kind {
        PopupKind::Help => help_key(app, key),
        PopupKind::EventPicker => event_picker_key(app, key),
        PopupKind::AliasForm => alias_form_key(app, key),
        PopupKind::Explain => super::explain::on_key(app, key),
        PopupKind::SaveForm | PopupKind::SessionPicker => super::sessions::on_popup_key(app, key),
        PopupKind::EditComparison => {
            app.popup = None;
            Vec::new()
        }
        PopupKind::Messages => messages_key(app, key),
    }
}

/// The scope of an open popup's keys.
pub(crate) fn kind_of(popup: &Popup) -> PopupKind {
    match popup {
        Popup::Help { .. } => PopupKind::Help,
        Popup::EventPicker { .. } => PopupKind::EventPicker,
        Popup::AliasForm(_) => PopupKind::AliasForm,
        Popup::Explain(_) => PopupKind::Explain,
        Popup::Session(session) => match session.as_ref() {
            SessionPopup::Save(_) => PopupKind::SaveForm,
            SessionPopup::Open(_) => PopupKind::SessionPicker,
        },
        Popup::EditComparison(_) => PopupKind::EditComparison,
        Popup::Messages { .. } => PopupKind::Messages,
    }
}

/// Keys in the message log: it opens on the newest message; ↑ and PgUp go back in time.
fn messages_key(app: &mut Model, key: PopupKey) -> Vec<Effect> {
    let Some(Popup::Messages { from_end }) = app.popup.as_mut() else {
        return Vec::new();
    };
    match key {
        PopupKey::Action(PopupAction::Up) => *from_end = from_end.saturating_add(1),
        PopupKey::Action(PopupAction::Down) => *from_end = from_end.saturating_sub(1),
        PopupKey::Action(PopupAction::PageUp) => *from_end = from_end.saturating_add(10),
        PopupKey::Action(PopupAction::PageDown) => *from_end = from_end.saturating_sub(10),
        // The view stops at the oldest row.
        PopupKey::Action(PopupAction::Top) => *from_end = u16::MAX,
        PopupKey::Action(PopupAction::Bottom) => *from_end = 0,
        PopupKey::Action(PopupAction::Close) => app.popup = None,
        _ => {}
    }
    Vec::new()
}

fn help_key(app: &mut Model, key: PopupKey) -> Vec<Effect> {
    let Some(Popup::Help { scroll }) = app.popup.as_mut() else {
        return Vec::new();
    };
    match key {
        PopupKey::Action(PopupAction::Up) => *scroll = scroll.saturating_sub(1),
        PopupKey::Action(PopupAction::Down) => *scroll = scroll.saturating_add(1),
        PopupKey::Action(PopupAction::PageUp) => *scroll = scroll.saturating_sub(10),
        PopupKey::Action(PopupAction::PageDown) => *scroll = scroll.saturating_add(10),
        PopupKey::Action(PopupAction::Close) => app.popup = None,
        _ => {}
    }
    Vec::new()
}

fn event_picker_key(app: &mut Model, key: PopupKey) -> Vec<Effect> {
    let Some(Popup::EventPicker { names, selected }) = app.popup.as_mut() else {
        return Vec::new();
    };
    match key {
        PopupKey::Action(PopupAction::Up) => *selected = selected.saturating_sub(1),
        PopupKey::Action(PopupAction::Down) => {
            *selected = (*selected + 1).min(names.len().saturating_sub(1));
        }
        PopupKey::Action(PopupAction::Confirm) => {
            let name = names.get(*selected).cloned();
            app.popup = None;
            if let Some(name) = name {
                super::new_event::insert_event(app, &name);
            }
        }
        PopupKey::Action(PopupAction::Close) => app.popup = None,
        _ => {}
    }
    Vec::new()
}

fn alias_form_key(app: &mut Model, key: PopupKey) -> Vec<Effect> {
    let Some(Popup::AliasForm(form)) = app.popup.as_mut() else {
        return Vec::new();
    };
    match key {
        PopupKey::Action(PopupAction::Close) => app.popup = None,
        PopupKey::Action(PopupAction::NextField | PopupAction::PrevField) => {
            let other = 1 - form.field;
            form.set_field(other, app.theme);
        }
        PopupKey::Action(PopupAction::Confirm) => {
            let (tag, id) = form.values();
            if tag.is_empty() || id.is_empty() {
                form.error = Some("Both the tag and the id are needed.".into());
            } else {
                app.popup = None;
                app.identity = Identity::Alias(Alias {
                    tag: tag.clone(),
                    id: id.clone(),
                });
                app.state = None;
                app.lineage.reset();
                app.set_status(
                    StatusKind::Info,
                    format!("Identity: alias {tag}:{id} (the API maps it to a user_id). The next call starts from an empty state."),
                );
            }
        }
        PopupKey::Typed(key) => {
            let field = if form.field == 0 {
                &mut form.tag
            } else {
                &mut form.id
            };
            field.input(key);
            form.error = None;
        }
        PopupKey::Action(_) => {}
    }
    Vec::new()
}

/// `q` outside the editor, Ctrl+C: nothing quits but Ctrl+Q (a stray key must not end the
/// session), so say how. Ctrl+C in the editor still copies a selection, as the text area does.
pub(super) fn quit_hint(app: &mut Model) {
    let copied =
        app.focus == Focus::Editor && app.popup.is_none() && app.editor.area.is_selecting();
    let text = if copied {
        app.editor.area.copy();
        "Copied the selection (Ctrl+Y pastes it). To quit, press Ctrl+Q."
    } else {
        "To quit, press Ctrl+Q (the autosave keeps the session for next time)."
    };
    app.set_status(StatusKind::Info, text);
}

#[cfg(test)]
mod tests {
    //! Every popup key row dispatches, and every popup's bottom line is the table's.

    use crossterm::event::{Event, KeyCode, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::api::Target;
    use crate::console::keymap::{POPUP_KEYMAP, PopupBinding};
    use crate::console::message::Message;
    use crate::console::model::explain::{Entry, ExplainPopup, Stage};
    use crate::console::model::forms::{AliasForm, SaveForm, SessionEntry, SessionPicker};
    use crate::console::model::live::EditComparison;
    use crate::console::model::options::AppOptions;
    use crate::session::Recording;
    use crate::workspace::redecide::Redecision;

    fn model() -> Model {
        Model::new(
            Target::new("http://127.0.0.1:9", None),
            AppOptions::default(),
        )
    }

    /// A popup of `kind` in the middle of things, so that every key of it has something to do.
    fn open(app: &mut Model, kind: PopupKind) {
        let theme = app.theme;
        app.popup = Some(match kind {
            PopupKind::Help => Popup::Help { scroll: 5 },
            PopupKind::EventPicker => Popup::EventPicker {
                names: vec!["A".into(), "Pageview".into(), "C".into()],
                selected: 1,
            },
            PopupKind::AliasForm => Popup::AliasForm(Box::new(AliasForm::new(theme))),
            PopupKind::Explain => Popup::Explain(Box::new(ExplainPopup {
                call: 0,
                stage: Stage::Ready,
                entries: (0..3)
                    .map(|i| Entry {
                        code: format!("{i}"),
                        name: String::new(),
                        member: Some(true),
                        changed: None,
                    })
                    .collect(),
                explanation: Some(std::sync::Arc::new(explanation(3))),
                cursor: 1,
                scroll: 5,
            })),
            PopupKind::SaveForm => Popup::Session(Box::new(SessionPopup::Save(Box::new(
                SaveForm::new("s", std::path::Path::new("."), [None, None], 0, theme),
            )))),
            PopupKind::SessionPicker => {
                let entry = |name: &str| SessionEntry {
                    path: format!("{name}.json").into(),
                    name: name.into(),
                    steps: 1,
                };
                Popup::Session(Box::new(SessionPopup::Open(SessionPicker {
                    entries: vec![entry("a"), entry("b"), entry("c")],
                    selected: 1,
                    skipped: 0,
                })))
            }
            PopupKind::EditComparison => {
                let recording = |cohorts: &[&str]| Recording {
                    status: 200,
                    cohorts: cohorts.iter().map(|c| c.to_string()).collect(),
                    entered: Vec::new(),
                    left: Vec::new(),
                    error_code: None,
                    state: None,
                };
                Popup::EditComparison(Box::new(EditComparison {
                    title: "before vs after".into(),
                    call: 0,
                    redecision: Redecision {
                        index: 0,
                        before: recording(&["1001"]),
                        after: recording(&[]),
                        continued: false,
                    },
                    differences: Vec::new(),
                }))
            }
            PopupKind::Messages => {
                app.set_status(StatusKind::Info, "a message for the log");
                Popup::Messages { from_end: 5 }
            }
        });
    }

    /// The emulator's answer for cohorts `0..n`, each a clause tree of three events.
    fn explanation(n: usize) -> crate::engine::Explanation {
        let leaf = serde_json::json!({"kind": "event", "path": "query.or[0]", "result": false,
            "event": "Pageview", "measure": "count", "value": 1,
            "operator": "greater_than_or_equal_to", "threshold": 3});
        let cohorts: Vec<_> = (0..n)
            .map(|i| {
                serde_json::json!({"code": format!("{i}"), "name": "", "checksum": "c",
                    "now": null, "member": true, "was_member": true, "changed": false,
                    "state": "new", "tree": {"kind": "or", "path": "query", "result": false,
                        "children": [leaf, leaf, leaf]}})
            })
            .collect();
        serde_json::from_value(serde_json::json!({"now": null, "cohorts": cohorts})).unwrap()
    }

    fn press(app: &mut Model, code: KeyCode) -> Vec<Effect> {
        let key = KeyEvent::new(code, KeyModifiers::NONE);
        crate::console::update::update(app, Message::Input(Event::Key(key)))
    }

    fn check(row: &PopupBinding, code: KeyCode) {
        let mut app = model();
        open(&mut app, row.popup);
        let before = format!("{:?}", app.popup);
        let effects = press(&mut app, code);
        let after = format!("{:?}", app.popup);
        let what = format!("{:?} {code:?} ({:?})", row.popup, row.action);
        match row.action {
            PopupAction::Close => assert!(app.popup.is_none(), "{what} leaves it open"),
            // Enter: does its thing and closes, or says why not in the popup (an empty form).
            PopupAction::Confirm => assert!(
                app.popup.is_none() || after != before || !effects.is_empty(),
                "{what} does nothing"
            ),
            _ => {
                assert_eq!(app.popup.as_ref().map(kind_of), Some(row.popup), "{what}");
                assert_ne!(after, before, "{what} does nothing");
            }
        }
    }

    #[test]
    fn every_popup_key_row_dispatches_its_action() {
        for row in POPUP_KEYMAP {
            for chord in row.chords {
                check(row, chord.code);
            }
        }
    }

    #[test]
    fn keys_without_a_row_are_typed_in_forms_and_close_the_comparison() {
        let mut app = model();
        open(&mut app, PopupKind::AliasForm);
        press(&mut app, KeyCode::Char('x'));
        let Some(Popup::AliasForm(form)) = &app.popup else {
            panic!("the form closed");
        };
        assert_eq!(form.values().0, "x");
        open(&mut app, PopupKind::Help);
        press(&mut app, KeyCode::Char('x'));
        assert!(matches!(app.popup, Some(Popup::Help { scroll: 5 })));
        open(&mut app, PopupKind::EditComparison);
        press(&mut app, KeyCode::Char('x'));
        assert!(app.popup.is_none());
    }

    #[test]
    fn every_popup_shows_its_keymap_footer() {
        for kind in PopupKind::ALL {
            let mut app = model();
            open(&mut app, kind);
            let mut term = Terminal::new(TestBackend::new(140, 45)).unwrap();
            term.draw(|frame| crate::console::view::draw_model(&app, frame))
                .unwrap();
            let screen: String = term
                .backend()
                .buffer()
                .content()
                .iter()
                .map(|c| c.symbol())
                .collect();
            let footer = popup::footer(kind);
            assert!(
                screen.contains(&footer),
                "{kind:?}: no `{footer}` on screen"
            );
            for part in footer.split(" · ") {
                let (keys, hint) = part.split_once(' ').unwrap();
                let labels: String = popup::rows(kind)
                    .filter(|b| b.hint == Some(hint))
                    .map(|b| b.chords[0].label())
                    .collect::<Vec<_>>()
                    .join("");
                assert_eq!(keys.replace('/', ""), labels, "{kind:?}: `{part}`");
            }
        }
    }
}
