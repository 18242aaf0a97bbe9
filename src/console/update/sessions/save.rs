//! F6: the history's last thread saved as a `segscope-session/1` file. The form is checked and
//! the session built here; the file is written by the executor, whose answer closes the form
//! (or says why not: a directory, a file to confirm overwriting, a failed write).

use std::path::PathBuf;

use crate::api::CallOutcome;
use crate::console::executor::sessions::SaveRefused;
use crate::console::keymap::{self, Action, PopupAction, PopupKey};
use crate::console::message::Effect;
use crate::console::model::forms::{SaveForm, SessionPopup, one_line};
use crate::console::model::{Model, Popup, StatusKind};
use crate::console::sessions::files::default_file;
use crate::console::sessions::history::{SaveScope, plan, session_of};

/// F6: the save form, or why there is nothing to save.
pub(crate) fn open_save_form(app: &mut Model) {
    let steps = app
        .history
        .iter()
        .filter(|c| !matches!(c.outcome, CallOutcome::Transport { .. }))
        .count();
    if steps == 0 {
        app.set_status(
            StatusKind::Warning,
            format!(
                "Nothing to save yet: no call got an HTTP answer ({} sends).",
                keymap::keys_in_words(Action::Send)
            ),
        );
        return;
    }
    let name = app.options.time.session_name();
    let selected = app.selected.unwrap_or(app.history.len() - 1);
    let plans = [
        plan(&app.history, selected, SaveScope::AllOfUser),
        plan(&app.history, selected, SaveScope::UpToSelected),
    ];
    app.popup = Some(Popup::Session(Box::new(SessionPopup::Save(Box::new(
        SaveForm::new(&name, &app.save_dir, plans, selected, app.theme),
    )))));
}

/// Enter in the save form: build the session and ask for the file to be written (unless it
/// exists and the overwrite is not confirmed: the executor checks).
fn save(app: &mut Model, form: &mut SaveForm) -> Option<Effect> {
    let name = form.value(0);
    let description = form.value(1);
    let file = form.value(2);
    if name.is_empty() || file.is_empty() {
        form.error = Some("A session needs a name and a file.".into());
        return None;
    }
    let path = PathBuf::from(&file);
    let notes = app.playback.as_ref();
    let built = form.plan().and_then(|saved| {
        let session = session_of(
            &app.history,
            saved,
            &name,
            &description,
            &app.target,
            |id| notes.and_then(|p| p.note_for(id)),
        )?;
        Some((session, saved))
    });
    let Some((session, saved)) = built else {
        form.error = Some("Nothing to save: none of these calls got an HTTP answer.".into());
        return None;
    };
    let text = format!(
        "Saved \"{name}\" to {file}: {}. segscope replay {file} replays it; {} opens it.",
        saved.describe().trim_end_matches('.'),
        keymap::keys_in_words(Action::OpenSession)
    );
    let overwrite = form.confirm_overwrite.clone().filter(|p| *p == path);
    Some(Effect::SaveSession {
        task: app.next_holding_task(),
        session: Box::new(session),
        path,
        overwrite,
        done: text,
    })
}

/// `Message::SessionSaved`: the form closes, or says why the file was not written.
pub(crate) fn on_saved(
    app: &mut Model,
    path: PathBuf,
    result: Result<(), SaveRefused>,
    done: String,
) {
    let Some(Popup::Session(popup)) = app.popup.as_mut() else {
        return;
    };
    let SessionPopup::Save(form) = popup.as_mut() else {
        return;
    };
    match result {
        Ok(()) => {
            app.popup = None;
            app.set_status(StatusKind::Success, done);
        }
        Err(SaveRefused::IsDirectory) => {
            form.error = Some(format!(
                "{} is a directory: name a .json file.",
                path.display()
            ));
        }
        Err(SaveRefused::Exists) => {
            form.confirm_overwrite = Some(path);
            form.error =
                Some("This file exists: Enter again overwrites it, or edit the file name.".into());
        }
        Err(SaveRefused::Failed(why)) => form.error = Some(why),
    }
}

/// Keys in the save form (its rows of the keymap; other keys are typed). Returns whether the
/// form stays open.
pub(super) fn save_form_key(
    app: &mut Model,
    form: &mut SaveForm,
    key: PopupKey,
    effects: &mut Vec<Effect>,
) -> bool {
    match key {
        PopupKey::Action(PopupAction::Close) => {
            app.set_status(StatusKind::Info, "Not saved.");
            false
        }
        PopupKey::Action(PopupAction::NextField) => {
            form.set_field(form.field + 1, app.theme);
            true
        }
        PopupKey::Action(PopupAction::PrevField) => {
            form.set_field(form.field + form.fields.len() - 1, app.theme);
            true
        }
        PopupKey::Action(PopupAction::Confirm) => {
            effects.extend(save(app, form));
            true
        }
        PopupKey::Action(_) => true,
        PopupKey::Typed(key) if form.field == SaveForm::SCOPE_FIELD => {
            use crossterm::event::KeyCode;
            if matches!(
                key.code,
                KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right
            ) {
                form.toggle_scope();
                form.error = None;
            }
            true
        }
        PopupKey::Typed(key) => {
            let field = form.field;
            if form.fields[field].input(key) {
                form.error = None;
                form.confirm_overwrite = None;
                if field == 2 {
                    form.file_edited = true;
                } else if field == 0 && !form.file_edited {
                    let file = default_file(&app.save_dir, &form.value(0));
                    form.fields[2] = one_line(&file, app.theme);
                    form.set_field(field, app.theme);
                }
            }
            true
        }
    }
}
