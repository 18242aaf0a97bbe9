//! The one place the model changes: a message in, effects out. Never waits, never draws, never
//! does I/O, never reads the clock or a random source (both come injected, in the model).

pub(crate) mod autosave;
mod clipboard;
mod detail;
mod explain;
pub(crate) mod live;
mod rewind;
pub(crate) mod sessions;
mod timeline;

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Rect;
use ratatui_textarea::Scrolling;
use serde_json::value::RawValue;

use super::call::{Call, PendingCall};
use super::clipboard::CopyWhat;
use super::editor::{Check, new_event};
use super::keymap::{self, Action};
use super::message::{Effect, Message};
use super::view::layout::Panes;
use crate::api::{Alias, CallOutcome, Identity, SegmentationRequest};
use crate::console::model::forms::AliasForm;
use crate::console::model::{
    DetailView, DiffMode, Focus, InFlight, Model, Popup, Status, StatusKind, WorkspaceInfo,
};

/// The effects to run when the loop starts: the autosave's restore, the live workspace's
/// watcher, the workspace description.
pub fn start(app: &mut Model) -> Vec<Effect> {
    let mut effects = autosave::start(app);
    effects.extend(live::start(app));
    if let Some(path) = app.options.session.take() {
        effects.push(Effect::OpenSession {
            task: app.next_holding_task(),
            path,
        });
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
                Ok(value) => app.workspace = Some(WorkspaceInfo::from_json(&value)),
                Err(e) => app.workspace_error = Some(e),
            }
            Vec::new()
        }
        Message::CallFinished { task, call } => {
            on_call_finished(app, task, *call);
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
            Vec::new()
        }
        Message::SessionsListed {
            entries, skipped, ..
        } => {
            sessions::on_listed(app, entries, skipped);
            Vec::new()
        }
        Message::SessionOpened { path, result, .. } => {
            sessions::on_opened(app, path, result);
            Vec::new()
        }
        Message::SessionSaved {
            path, result, done, ..
        } => {
            sessions::on_saved(app, path, result, done);
            Vec::new()
        }
        Message::CopyFailed { why } => {
            app.set_status(
                StatusKind::Error,
                format!("Could not write to the terminal's clipboard: {why}"),
            );
            Vec::new()
        }
        Message::Live(event) => live::on_event(app, event),
        Message::DetailRendered {
            call_id, detail, ..
        } => {
            detail::on_rendered(app, call_id, *detail);
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
    if let Some(Popup::Explain(_)) = app.popup {
        return explain::on_key(app, key);
    }
    if app.popup.is_some() {
        return on_popup_key(app, key);
    }
    match action {
        Some(action) => on_action(app, action),
        None if in_editor => {
            if app.editor.area.input(typed_line_break(key)) {
                editor_changed(app);
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

/// After any edit: run the live check and say where the text is wrong.
fn editor_changed(app: &mut Model) {
    app.editor.recheck();
    match app.editor.check().clone() {
        Check::Invalid(problem) => {
            app.status = Status {
                text: format!("Editor: {problem}"),
                kind: StatusKind::Error,
                from_editor: true,
            };
        }
        Check::Valid { events } if app.status.from_editor => {
            app.status = Status {
                text: format!("Editor: {} — ready to send (F5).", events_word(events)),
                kind: StatusKind::Success,
                from_editor: true,
            };
        }
        Check::Valid { .. } => {}
    }
}

fn events_word(n: usize) -> String {
    if n == 1 {
        "1 event".into()
    } else {
        format!("{n} events")
    }
}

fn set_focus(app: &mut Model, focus: Focus) {
    app.focus = focus;
    app.editor.set_focused(focus == Focus::Editor);
}

fn panes(app: &Model) -> Option<Panes> {
    Panes::new(Rect::new(0, 0, app.size.0, app.size.1))
}

fn page(app: &Model, focus: Focus) -> usize {
    panes(app).map_or(10, |p| p.inner_height(focus)).max(1)
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
        Action::Cancel => {
            if app.in_flight.is_some() {
                let effects = cancel_in_flight(app);
                app.set_status(
                    StatusKind::Warning,
                    "Cancelled: the request was abandoned. Editor and state unchanged.",
                );
                return effects;
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
        Action::Quit => app.quit = true,
        Action::NewEvent => new_event_action(app),
        Action::Format => {
            set_focus(app, Focus::Editor);
            match app.editor.format() {
                Ok(()) => {
                    editor_changed(app);
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

fn step(current: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    current.saturating_add_signed(delta).min(len - 1)
}

/// Moves the selection or scroll position of a pane.
fn move_in_pane(app: &mut Model, focus: Focus, delta: isize) {
    match focus {
        Focus::History => {
            let len = app.history.len();
            if len > 0 {
                let current = app.selected.unwrap_or(len - 1);
                let next = step(current, delta, len);
                if Some(next) != app.selected {
                    app.selected = Some(next);
                    app.detail_scroll = 0;
                    app.cohort_cursor = 0;
                }
            }
        }
        Focus::Cohorts => {
            let len = app
                .selected_call()
                .map_or(0, |c| c.delta.members.len() + c.delta.left.len());
            app.cohort_cursor = step(app.cohort_cursor, delta, len);
        }
        Focus::Detail => {
            let len = detail_len(app);
            let visible = page(app, Focus::Detail);
            let max = len.saturating_sub(visible);
            app.detail_scroll = app.detail_scroll.saturating_add_signed(delta).min(max);
        }
        Focus::Editor => {
            let rows = i16::try_from(delta.clamp(-1000, 1000)).unwrap_or(0);
            app.editor.area.scroll(Scrolling::Delta { rows, cols: 0 });
        }
    }
}

/// Lines in the right-hand pane for the selected call.
pub(crate) fn detail_len(app: &Model) -> usize {
    let Some(call) = app.selected_call() else {
        return 0;
    };
    match app.detail_view {
        DetailView::Diff => call.detail().diff.len(app.diff_mode == DiffMode::Full),
        DetailView::Request => call.detail().request.len(),
        DetailView::Response => call.detail().response.len(),
    }
}

fn on_mouse(app: &mut Model, mouse: MouseEvent) {
    if app.popup.is_some() {
        return;
    }
    let Some(panes) = panes(app) else {
        return;
    };
    let Some(pane) = panes.pane_at(mouse.column, mouse.row) else {
        return;
    };
    match mouse.kind {
        MouseEventKind::Down(MouseButton::Left) => set_focus(app, pane),
        MouseEventKind::ScrollUp => move_in_pane(app, pane, -3),
        MouseEventKind::ScrollDown => move_in_pane(app, pane, 3),
        _ => {}
    }
}

fn on_popup_key(app: &mut Model, key: KeyEvent) -> Vec<Effect> {
    if let Some(Popup::Session(_)) = app.popup {
        return sessions::on_popup_key(app, key);
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

fn new_event_action(app: &mut Model) {
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

fn insert_event(app: &mut Model, name: &str) {
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

fn send(app: &mut Model) -> Vec<Effect> {
    if app.in_flight.is_some() {
        app.set_status(
            StatusKind::Warning,
            "A request is already in flight: wait for it, or press Esc to cancel it.",
        );
        return Vec::new();
    }
    let events = match app.editor.check() {
        Check::Valid { events } => *events,
        Check::Invalid(problem) => {
            let text = format!("Not sent: the events are not valid: {problem}");
            app.set_status(StatusKind::Error, text);
            return Vec::new();
        }
    };
    let text = app.editor.text();
    let raw = match RawValue::from_string(text.trim().to_string()) {
        Ok(raw) => raw,
        Err(e) => {
            app.set_status(StatusKind::Error, format!("Not sent: {e}"));
            return Vec::new();
        }
    };
    let task = app.next_task();
    let pending = PendingCall {
        id: task,
        events_text: text,
        event_count: events,
        identity: app.identity.clone(),
        sync_validation: app.sync_validation,
        state_before: app.state.clone(),
        sent_at: app.options.time.now(),
        request: SegmentationRequest {
            identity: app.identity.clone(),
            events: raw,
            state: app.state.clone(),
        },
    };
    app.in_flight = Some(InFlight {
        task,
        events,
        started: app.options.time.now(),
    });
    app.set_status(
        StatusKind::Info,
        format!(
            "Sending {} to {} (synchronous validation {})… Esc cancels.",
            events_word(events),
            app.target_label(),
            if app.sync_validation { "ON" } else { "OFF" }
        ),
    );
    vec![Effect::Send(Box::new(pending))]
}

fn cancel_in_flight(app: &mut Model) -> Vec<Effect> {
    match app.in_flight.take() {
        Some(flight) => vec![Effect::Cancel { task: flight.task }],
        None => Vec::new(),
    }
}

fn named(app: &Model, codes: &[String]) -> String {
    if codes.is_empty() {
        return "none".into();
    }
    codes
        .iter()
        .map(|c| match app.cohort_name(c) {
            Some(name) => format!("{name} ({c})"),
            None => c.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

const UNCHANGED: &str = "Editor and state unchanged.";

/// The status line for a finished call, in words.
fn summary(app: &Model, call: &Call) -> (StatusKind, String) {
    let latency = app.options.time.latency_text(call.outcome.latency());
    match &call.outcome {
        CallOutcome::Success { status, .. } => (
            StatusKind::Success,
            format!(
                "{status} OK in {latency}: {}; entered {}; left {}. The next call sends this state.",
                events_word(call.event_count),
                named(app, &call.delta.entered),
                named(app, &call.delta.left)
            ),
        ),
        CallOutcome::ApiError {
            status,
            envelope: Some(env),
            ..
        } => {
            let first = env.error.message.lines().next().unwrap_or_default();
            let hint = match status {
                401 | 403 => " Check the API key (--api-key or PERMUTIVE_API_KEY).",
                _ => "",
            };
            let first = first.trim_end_matches(':');
            let stop = if first.ends_with('.') { "" } else { "." };
            (
                StatusKind::Error,
                format!(
                    "{status} {} (code {}): {first}{stop}{hint} {UNCHANGED}",
                    env.error.status, env.error.code
                ),
            )
        }
        CallOutcome::ApiError {
            status, raw_body, ..
        } => {
            let what = if serde_json::from_str::<serde_json::Value>(raw_body).is_ok() {
                "a JSON body that is not Permutive's error envelope"
            } else if raw_body.trim().is_empty() {
                "an empty body"
            } else {
                "a body that is not JSON"
            };
            (
                StatusKind::Error,
                format!("{status} with {what} (see the response view). {UNCHANGED}"),
            )
        }
        CallOutcome::Transport { message, .. } => {
            let mut chars = message.chars();
            let message = match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => "The request failed".to_string(),
            };
            (StatusKind::Error, format!("{message}. {UNCHANGED}"))
        }
    }
}

fn on_call_finished(app: &mut Model, task: u64, call: Call) {
    if app.in_flight.as_ref().map(|f| f.task) != Some(task) {
        // Cancelled (or superseded) while it was on its way: drop it.
        return;
    }
    app.in_flight = None;
    let (kind, text) = summary(app, &call);
    let succeeded = call.succeeded();
    let moved_on = call.identity != app.identity;
    app.record_call(call);
    if moved_on && succeeded {
        app.set_status(
            StatusKind::Warning,
            format!(
                "{text} (The identity changed while it was on its way: its state is not used.)"
            ),
        );
    } else {
        app.set_status(kind, text);
    }
    if !succeeded {
        app.detail_view = DetailView::Response;
    }
    sessions::after_call(app, task);
}
