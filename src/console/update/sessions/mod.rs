//! Sessions in the update step: save the history (F6), open a session file (`--session FILE`
//! or the picker, F7), and replay it step by step (F8), each step's live answer compared with
//! its recording the way `segscope replay` compares them. Files are the executor's.

mod open;
mod playback;
mod save;

use crate::console::keymap::PopupKey;
use crate::console::message::Effect;
use crate::console::model::forms::SessionPopup;
use crate::console::model::{Model, Popup};

pub(crate) use open::{on_listed, on_opened, open_at_start, open_picker, opened};
pub(crate) use playback::{after_call, next_step};
pub(crate) use save::{on_saved, open_save_form};

/// Keys while one of this module's popups is open.
pub(crate) fn on_popup_key(app: &mut Model, key: PopupKey) -> Vec<Effect> {
    let Some(Popup::Session(popup)) = app.popup.take() else {
        return Vec::new();
    };
    let mut popup = *popup;
    let mut effects = Vec::new();
    let keep = match &mut popup {
        SessionPopup::Save(form) => save::save_form_key(app, form, key, &mut effects),
        SessionPopup::Open(picker) => open::picker_key(app, picker, key, &mut effects),
    };
    if keep {
        app.popup = Some(Popup::Session(Box::new(popup)));
    }
    effects
}
