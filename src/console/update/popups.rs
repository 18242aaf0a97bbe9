//! The keys of the small popups (help, event picker, alias form) and what they insert.

use crossterm::event::{KeyCode, KeyEvent};

use super::editing::{editor_changed, events_word};
use super::panes::set_focus;
use crate::api::{Alias, Identity};
use crate::console::editor::{Check, new_event};
use crate::console::message::Effect;
use crate::console::model::{Focus, Model, Popup, StatusKind};

pub(super) fn on_popup_key(app: &mut Model, key: KeyEvent) -> Vec<Effect> {
    if let Some(Popup::Session(_)) = app.popup {
        return super::sessions::on_popup_key(app, key);
    }
    let Some(popup) = app.popup.as_mut() else {
        return Vec::new();
    };
    match popup {
        Popup::Help { scroll } => match key.code {
            KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => *scroll = scroll.saturating_add(1),
            KeyCode::PageUp => *scroll = scroll.saturating_sub(10),
            KeyCode::PageDown => *scroll = scroll.saturating_add(10),
            KeyCode::Esc | KeyCode::Enter | KeyCode::F(1) | KeyCode::Char('?' | 'q') => {
                app.popup = None;
            }
            _ => {}
        },
        Popup::EventPicker { names, selected } => match key.code {
            KeyCode::Up | KeyCode::Char('k') => *selected = selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                *selected = (*selected + 1).min(names.len().saturating_sub(1));
            }
            KeyCode::Enter => {
                let name = names.get(*selected).cloned();
                app.popup = None;
                if let Some(name) = name {
                    insert_event(app, &name);
                }
            }
            KeyCode::Esc => app.popup = None,
            _ => {}
        },
        Popup::Explain(_) => {}
        Popup::EditComparison(_) => app.popup = None,
        Popup::AliasForm(form) => match key.code {
            KeyCode::Esc => app.popup = None,
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => {
                let other = 1 - form.field;
                form.set_field(other, app.theme);
            }
            KeyCode::Enter => {
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
            _ => {
                let field = if form.field == 0 {
                    &mut form.tag
                } else {
                    &mut form.id
                };
                field.input(key);
                form.error = None;
            }
        },
        Popup::Session(_) => {}
    }
    Vec::new()
}

pub(super) fn new_event_action(app: &mut Model) {
    set_focus(app, Focus::Editor);
    let names: Vec<String> = app
        .workspace
        .as_ref()
        .map(|w| w.events.keys().cloned().collect())
        .unwrap_or_default();
    if names.is_empty() {
        insert_event(app, "Pageview");
        app.set_status(
            StatusKind::Info,
            "Inserted a Pageview with empty properties (this target publishes no event schemas): fill them in.",
        );
    } else {
        let selected = names.iter().position(|n| n == "Pageview").unwrap_or(0);
        app.popup = Some(Popup::EventPicker { names, selected });
    }
}

pub(super) fn insert_event(app: &mut Model, name: &str) {
    let schema = app
        .workspace
        .as_ref()
        .and_then(|w| w.events.get(name))
        .cloned();
    let view_id = app.ids.next_uuid();
    let event = new_event(
        name,
        schema.as_ref(),
        app.options.time.now(),
        &mut app.ids,
        &app.session_id.clone(),
        &view_id,
    );
    let text = serde_json::to_string_pretty(&event).unwrap_or_default();
    app.editor.insert_event(&text);
    editor_changed(app);
    let note = if schema.is_some() {
        " with placeholders for its required properties"
    } else {
        ""
    };
    match app.editor.check() {
        Check::Valid { events } => app.set_status(
            StatusKind::Info,
            format!(
                "Inserted a {name} event{note} ({} in the editor).",
                events_word(*events)
            ),
        ),
        Check::Invalid(problem) => app.set_status(
            StatusKind::Warning,
            format!("Inserted a {name} event{note}; the editor still has a problem: {problem}"),
        ),
    }
}
