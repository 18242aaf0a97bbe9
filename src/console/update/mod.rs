//! The one place the model changes: a message in, effects out. Never waits, never draws, never
//! does I/O, never reads the clock or a random source (both come injected, in the model).

pub(crate) mod autosave;
mod clipboard;
mod detail;
mod editing;
mod explain;
pub(crate) mod live;
mod new_event;
mod panes;
mod pending;
mod popups;
mod rewind;
mod send;
pub(crate) mod sessions;
mod time_step;
mod timeline;

use editing::editor_changed;
use panes::*;
use popups::*;
use send::*;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind};

use super::clipboard::CopyWhat;
use super::keymap::{self, Action};
use super::message::{Effect, Message};
use crate::api::Identity;
use crate::console::model::forms::AliasForm;
use crate::console::model::{DetailView, DiffMode, Focus, Model, Popup, StatusKind, WorkspaceInfo};

/// The effects to run when the loop starts: the autosave's restore, the live workspace's
/// watcher, the workspace description.
pub fn start(app: &mut Model) -> Vec<Effect> {
    editing::schemas_changed(app);
    let mut effects = autosave::start(app);
    // `--session FILE` is read once the autosave has answered, so its message comes after the
    // restore's (which keeps it) instead of racing it.
    let restoring = !effects.is_empty();
    effects.extend(live::start(app));
    if !restoring {
        effects.extend(sessions::open_at_start(app));
    }
    if app.options.emulator_endpoints && app.workspace.is_none() {
        effects.push(Effect::LoadWorkspace {
            task: app.next_task(),
        });
    }
    effects
}

/// Applies a message to the model and returns the work to start.
pub fn update(app: &mut Model, message: Message) -> Vec<Effect> {
    if let Some(task) = message.task() {
        app.holding_input.remove(&task);
    }
    let mut effects = react(app, message);
    effects.extend(detail::upkeep(app));
    effects
}

fn react(app: &mut Model, message: Message) -> Vec<Effect> {
    match message {
        Message::Input(event) => {
            let typed = matches!(event, Event::Key(_) | Event::Paste(_));
            let mut effects = on_input(app, event);
            if typed {
                effects.extend(autosave::after_input(app));
            }
            effects
        }
        Message::Tick => {
            app.spinner = app.spinner.wrapping_add(1);
            Vec::new()
        }
        Message::WorkspaceLoaded { result, .. } => {
            match result {
                Ok(description) => app.workspace = Some(WorkspaceInfo::from(description)),
                Err(e) => app.workspace_error = Some(e),
            }
            editing::schemas_changed(app);
            Vec::new()
        }
        Message::CallFinished { task, call, detail } => {
            let id = call.id;
            on_call_finished(app, task, *call);
            detail::on_rendered(app, id, detail.size);
            let mut effects = autosave::save(app);
            effects.extend(timeline::after_call(app));
            effects
        }
        Message::Explained { task, result } => {
            if !timeline::on_explained(app, task, &result) {
                explain::on_explained(app, task, result);
            }
            Vec::new()
        }
        Message::Autosaved { result, .. } => {
            autosave::on_written(app, result);
            Vec::new()
        }
        Message::AutosaveDue { input } => autosave::on_due(app, input),
        Message::AutosaveStarted { started, .. } => {
            autosave::on_started(app, *started);
            sessions::open_at_start(app)
        }
        Message::SessionsListed {
            entries, skipped, ..
        } => {
            sessions::on_listed(app, entries, skipped);
            Vec::new()
        }
        Message::SessionOpened { task, path, result } => {
            sessions::on_opened(app, task, path, result);
            Vec::new()
        }
        Message::SessionSaved {
            path, result, done, ..
        } => {
            sessions::on_saved(app, path, result, done);
            Vec::new()
        }
        Message::TaskFailed { why, .. } => {
            app.set_status(
                StatusKind::Error,
                format!("A background task failed: {why}"),
            );
            sessions::open_at_start(app)
        }
        Message::CopyFailed { why } => {
            app.set_status(
                StatusKind::Error,
                format!("Could not write to the terminal's clipboard: {why}"),
            );
            Vec::new()
        }
        Message::CopyWritten { path, result, .. } => {
            clipboard::on_written(app, &path, result);
            Vec::new()
        }
        Message::Live(event) => live::on_event(app, event),
        Message::DetailRendered {
            call_id, detail, ..
        } => {
            detail::on_rendered(app, call_id, detail.size);
            Vec::new()
        }
        Message::Quit { reason } => {
            app.quit = true;
            app.set_status(StatusKind::Info, reason);
            cancel_in_flight(app)
        }
    }
}

fn on_input(app: &mut Model, event: Event) -> Vec<Effect> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => on_key(app, key),
        Event::Mouse(mouse) => {
            on_mouse(app, mouse);
            Vec::new()
        }
        Event::Resize(w, h) => {
            app.size = (w, h);
            Vec::new()
        }
        Event::Paste(text) => {
            if app.popup.is_none() && app.focus == Focus::Editor {
                app.editor.area.insert_str(line_breaks(&text));
                editor_changed(app);
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn on_key(app: &mut Model, key: KeyEvent) -> Vec<Effect> {
    let in_editor = app.focus == Focus::Editor;
    // In a popup, letters are typed (as in the editor), not pane keys.
    let action = keymap::lookup(&key, in_editor || app.popup.is_some());
    if action == Some(Action::Quit) {
        app.quit = true;
        return cancel_in_flight(app);
    }
    if app.popup.is_some() {
        return on_popup_key(app, key);
    }
    if app.editor.step_prompt.is_some() {
        return time_step::on_key(app, key);
    }
    match action {
        Some(action) => on_action(app, action),
        None if in_editor => {
            if app.editor.area.input(typed_line_break(key)) {
                editor_changed(app);
            } else {
                editing::cursor_moved(app);
            }
            Vec::new()
        }
        None => Vec::new(),
    }
}

/// A paste's line breaks as the editor keeps them: terminals send CR (tmux, xterm, VTE) or CRLF;
/// both become one line break, never a lost one.
fn line_breaks(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// A bare LF arrives in raw mode as Ctrl+J (an unbracketed paste of LF text): it is a line break,
/// not the text area's "delete to line start".
fn typed_line_break(key: KeyEvent) -> KeyEvent {
    use crossterm::event::KeyModifiers;
    if key.code == KeyCode::Char('j') && key.modifiers == KeyModifiers::CONTROL {
        KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)
    } else {
        key
    }
}

fn on_action(app: &mut Model, action: Action) -> Vec<Effect> {
    match action {
        Action::Send => return send(app),
        Action::Rewind => return rewind::rewind(app),
        Action::Explain => return explain::open(app),
        Action::CompareEdit => live::compare(app),
        Action::CopyResponse => return clipboard::copy(app, CopyWhat::Response),
        Action::CopyCurl => return clipboard::copy(app, CopyWhat::Curl),
        Action::CopySend => return clipboard::copy(app, CopyWhat::Send),
        Action::Retry => return pending::retry(app),
        Action::Cancel => {
            if app.in_flight.is_some() {
                return pending::cancel(app);
            }
            app.editor.area.cancel_selection();
        }
        Action::ToggleSync => {
            app.sync_validation = !app.sync_validation;
            if app.sync_validation {
                app.set_status(
                    StatusKind::Info,
                    "Synchronous validation ON: an event that breaks its schema fails the call with a 400.",
                );
            } else {
                app.set_status(
                    StatusKind::Warning,
                    "Synchronous validation OFF: schema violations are not reported (Permutive drops such events silently).",
                );
            }
        }
        Action::NewUser => {
            let id = app.ids.next_uuid();
            app.identity = Identity::UserId(id.clone());
            app.state = None;
            app.lineage.reset();
            app.set_status(
                StatusKind::Info,
                format!("New user {id}: the next call starts from an empty state."),
            );
        }
        Action::SetAlias => {
            app.popup = Some(Popup::AliasForm(Box::new(AliasForm::new(app.theme))));
        }
        Action::SaveSession => sessions::open_save_form(app),
        Action::OpenSession => return sessions::open_picker(app),
        Action::NextStep => return sessions::next_step(app),
        Action::FocusNext => set_focus(app, app.focus.next()),
        Action::FocusPrev => set_focus(app, app.focus.prev()),
        Action::Help => app.popup = Some(Popup::Help { scroll: 0 }),
        Action::Messages => app.popup = Some(Popup::Messages { from_end: 0 }),
        Action::QuitHint => popups::quit_hint(app),
        Action::Quit => app.quit = true,
        Action::NewEvent => new_event::new_event_action(app),
        Action::AdvanceTime => time_step::open(app),
        Action::Format => {
            set_focus(app, Focus::Editor);
            match app.editor.format() {
                Ok(()) => {
                    editing::text_checked(app);
                    app.set_status(StatusKind::Info, "Formatted the events.");
                }
                Err(problem) => app.set_status(
                    StatusKind::Error,
                    format!("Cannot format: the text is not JSON: {problem}"),
                ),
            }
        }
        Action::Undo => {
            if app.editor.area.undo() {
                editor_changed(app);
            }
        }
        Action::CycleView => {
            app.detail_view = app.detail_view.next();
            app.detail_scroll = 0;
        }
        Action::ToggleDiffMode => {
            app.diff_mode = match app.diff_mode {
                DiffMode::Changes => DiffMode::Full,
                DiffMode::Full => DiffMode::Changes,
            };
            app.detail_view = DetailView::Diff;
            app.detail_scroll = 0;
        }
        Action::Up => move_in_pane(app, app.focus, -1),
        Action::Down => move_in_pane(app, app.focus, 1),
        Action::PageUp => move_in_pane(app, app.focus, -(page(app, app.focus) as isize)),
        Action::PageDown => move_in_pane(app, app.focus, page(app, app.focus) as isize),
        Action::Top => move_in_pane(app, app.focus, isize::MIN / 2),
        Action::Bottom => move_in_pane(app, app.focus, isize::MAX / 2),
    }
    Vec::new()
}
