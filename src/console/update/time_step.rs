//! Ctrl+T: move the editor's events in time by a step typed in a one-line prompt (`+30m`,
//! `1d`; the last step is offered, so "the same again" is Ctrl+T, Enter).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::editing::text_checked;
use super::panes::set_focus;
use crate::console::editor::{Step, StepPrompt, shift_events};
use crate::console::message::Effect;
use crate::console::model::{Focus, Model, StatusKind};
use crate::console::words::count;

pub(super) fn open(app: &mut Model) {
    set_focus(app, Focus::Editor);
    app.editor.step_prompt = Some(StepPrompt {
        text: app.editor.last_step.to_string(),
        offered: true,
        error: None,
    });
    app.set_status(
        StatusKind::Info,
        "Move every event's time by a step (+30m, 2h, -1d): Enter shifts, Esc cancels.",
    );
}

/// A key while the prompt is open: typed into it, Enter shifts, Esc cancels.
pub(super) fn on_key(app: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let Some(prompt) = app.editor.step_prompt.as_mut() else {
        return Vec::new();
    };
    match key.code {
        KeyCode::Esc => {
            app.editor.step_prompt = None;
            app.set_status(StatusKind::Info, "Events not moved.");
        }
        KeyCode::Enter => {
            let typed = prompt.text.clone();
            match Step::parse(&typed) {
                Ok(step) => shift(app, step),
                Err(why) => {
                    prompt.error = Some(why.clone());
                    app.set_status(StatusKind::Error, format!("Not moved: {why}"));
                }
            }
        }
        KeyCode::Backspace => {
            if prompt.offered {
                prompt.text.clear();
            } else {
                prompt.text.pop();
            }
            prompt.offered = false;
            prompt.error = None;
        }
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            if prompt.offered {
                prompt.text.clear();
            }
            if prompt.text.chars().count() < 16 {
                prompt.text.push(c);
            }
            prompt.offered = false;
            prompt.error = None;
        }
        _ => {}
    }
    Vec::new()
}

fn shift(app: &mut Model, step: Step) {
    let text = app.editor.text();
    match shift_events(&text, step, &mut app.ids) {
        Ok(shifted) => {
            app.editor.step_prompt = None;
            app.editor.last_step = step;
            app.editor.replace_text(&shifted.text);
            text_checked(app);
            app.set_status(
                StatusKind::Info,
                format!(
                    "Moved {} by {step} ({} new view_id{}). Ctrl+T, Enter moves them by {step} again; Ctrl+Z undoes.",
                    count(shifted.times, "event"),
                    shifted.view_ids,
                    if shifted.view_ids == 1 { "" } else { "s" },
                ),
            );
        }
        Err(why) => {
            app.editor.step_prompt = None;
            app.set_status(StatusKind::Error, format!("Not moved: {why}"));
        }
    }
}
