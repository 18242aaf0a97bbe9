//! The running console: the [`Model`] (plain data) and the [`Executor`] (the machinery that runs
//! effects), side by side. This is what the loop ([`super::run_app`]) drives and what embedding
//! code and tests hold; everything here either reads the model or hands work to the two.

use std::path::Path;
use std::time::Duration;

use tokio::sync::mpsc;

use super::autosave::format::serialise;
use super::call::Call;
use super::editor::Check;
use super::executor::Executor;
use super::message::{Effect, Message};
use super::model::explain::ExplainPopup;
use super::model::insights::CallInsight;
use super::model::playback::Playback;
use super::model::{AppOptions, Focus, Model, Popup, Status};
use super::update::update;
use crate::api::{Client, Identity, OpaqueState};
use crate::workspace::redecide::Redecision;

/// The console: its state and its executor.
#[derive(Debug)]
pub struct App {
    pub(crate) model: Model,
    pub(crate) executor: Executor,
    /// What the view keeps drawn (rendered call details), beside the model.
    pub(crate) cache: super::view::cache::Cache,
}

impl App {
    pub fn new(client: Client, options: AppOptions) -> App {
        let mut model = Model::new(client.target().clone(), options);
        model.save_dir = super::sessions::save_dir();
        let executor = Executor::new(client, model.render_options());
        App {
            model,
            executor,
            cache: super::view::cache::Cache::default(),
        }
    }

    /// The model, for drawing (and for reading it in tests and benchmarks).
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The model, to drive the update step alone (benchmarks; effects are then not run).
    pub fn model_mut(&mut self) -> &mut Model {
        &mut self.model
    }

    /// Applies a message and runs the effects it asks for.
    pub fn handle(&mut self, mut message: Message) {
        self.executor.received(&mut message);
        self.cache.received(&mut message);
        for effect in update(&mut self.model, message) {
            self.executor.perform(effect);
        }
        self.cache.keep_what(&self.model);
    }

    /// Runs effects.
    pub(crate) fn perform_all(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            self.executor.perform(effect);
        }
    }

    /// The view's render cache (the calls' rendered details).
    pub fn cache(&self) -> &super::view::cache::Cache {
        &self.cache
    }

    /// Background tasks still running.
    pub fn pending_tasks(&self) -> usize {
        self.executor.tasks.len()
    }

    /// A sender onto the app's message queue (e.g. for a signal handler to post `Quit`).
    pub fn sender(&self) -> mpsc::UnboundedSender<Message> {
        self.executor.tx.clone()
    }

    pub fn client(&self) -> &Client {
        self.executor.client()
    }

    pub fn options(&self) -> &AppOptions {
        &self.model.options
    }

    pub fn editor_text(&self) -> String {
        self.model.editor.text()
    }

    /// Replaces the editor's text (e.g. a loaded session, a test).
    pub fn set_editor_text(&mut self, text: &str) {
        self.model.editor.set_text(text);
    }

    pub fn editor_check(&self) -> &Check {
        self.model.editor_check()
    }

    /// The state the next call will send.
    pub fn state(&self) -> Option<&OpaqueState> {
        self.model.state.as_ref()
    }

    pub fn identity(&self) -> &Identity {
        &self.model.identity
    }

    pub fn session_id(&self) -> &str {
        &self.model.session_id
    }

    pub fn sync_validation(&self) -> bool {
        self.model.sync_validation
    }

    pub fn history(&self) -> &[Call] {
        self.model.history()
    }

    pub fn selected_call(&self) -> Option<&Call> {
        self.model.selected_call()
    }

    pub fn status(&self) -> &Status {
        &self.model.status
    }

    pub fn focus(&self) -> Focus {
        self.model.focus
    }

    /// The first line shown in the right-hand pane.
    pub fn detail_scroll(&self) -> usize {
        self.model.detail_scroll
    }

    pub fn is_sending(&self) -> bool {
        self.model.in_flight.is_some()
    }

    pub fn should_quit(&self) -> bool {
        self.model.quit
    }

    /// Adds a finished call as if it had just come back (sessions, benchmarks), its detail
    /// rendered here, on the caller's thread.
    pub fn record_call(&mut self, call: Call) {
        let detail = super::detail::CallDetail::of(&call, self.model.render_options());
        self.model.rendered.insert(call.id, detail.size());
        self.cache.insert(call.id, detail);
        self.model.record_call(call);
    }

    /// A cohort's name: from the emulator's workspace, else from `--cohort-names`.
    pub fn cohort_name(&self, code: &str) -> Option<&str> {
        self.model.cohort_name(code)
    }

    /// What the header says about where calls go (never the key itself).
    pub fn target_label(&self) -> String {
        self.model.target_label()
    }

    /// The explanation popup, when it is open.
    pub fn explanation(&self) -> Option<&ExplainPopup> {
        match &self.model.popup {
            Some(Popup::Explain(popup)) => Some(popup),
            _ => None,
        }
    }

    /// What the emulator's explanation said about a call (`None`: not asked, or not an
    /// emulator).
    pub fn insight(&self, call_id: u64) -> Option<&CallInsight> {
        self.model.insights.by_call.get(&call_id)
    }

    /// The latest re-decision of a call after a workspace edit (`None`: no edit since it).
    pub fn redecision(&self, call_id: u64) -> Option<&Redecision> {
        self.model.live.redecided.get(&call_id)
    }

    /// How many workspace edits were swapped in.
    pub fn workspace_edits(&self) -> usize {
        self.model.live.edits
    }

    /// A workspace reload (load, swap, re-decide) is under way.
    pub fn workspace_reloading(&self) -> bool {
        self.model.live.reloading
    }

    /// The session opened for step-by-step replay, if any.
    pub fn playback(&self) -> Option<&Playback> {
        self.model.playback.as_ref()
    }

    /// Opens a session for step-by-step replay (F8), now: outside the loop (`--session` before
    /// it starts, tests). A file that cannot be used changes nothing but the status line, which
    /// says why. Returns whether it opened.
    pub fn open_session(&mut self, path: &Path) -> bool {
        let loaded = super::executor::sessions::load(path);
        super::update::sessions::opened(&mut self.model, path, loaded)
    }

    /// Where OSC 52 sequences are written (the terminal; a buffer in tests).
    pub fn set_clipboard_sink(&mut self, sink: Box<dyn std::io::Write + Send>) {
        self.executor.set_clipboard(sink);
    }

    /// The text last put on the clipboard.
    pub fn last_copied(&self) -> Option<&str> {
        self.model.last_copied.as_deref()
    }

    /// Writes the autosave now, compacted (if autosave is on).
    pub fn autosave_now(&mut self) -> Result<(), String> {
        let Some(path) = self.model.autosave.path.clone() else {
            return Ok(());
        };
        let result = self
            .executor
            .compact_autosave(&path, &serialise(&self.model));
        super::update::autosave::on_compacted(&mut self.model, &result);
        result
    }

    /// Closes the autosave as quitting does: everything written, the lock released (another
    /// console may take the file now). Autosave is off for this app afterwards.
    pub fn close_autosave(&mut self) -> Result<(), String> {
        let result = self.autosave_now();
        self.model.autosave.path = None;
        self.executor.release_autosave();
        result
    }

    /// Why the autosave could not be written at exit, if it could not.
    pub fn autosave_exit_error(&self) -> Option<&str> {
        self.model.autosave.exit_error.as_deref()
    }

    /// The file this console autosaves to (after start; `None` with autosave off).
    pub fn autosave_path(&self) -> Option<&Path> {
        self.model.autosave.path.as_deref()
    }

    /// What an autosave costs the UI task: the new calls and the head serialised and handed to
    /// the writer thread (for the benchmark; the loop does this after each call).
    pub fn autosave_in_background(&mut self) {
        let effects = super::update::autosave::save(&mut self.model);
        self.perform_all(effects);
    }

    /// When the input ends: what is not saved yet goes to the journal, and the writer finishes.
    pub(crate) fn flush_autosave(&mut self) {
        let effects = super::update::autosave::unsaved(&mut self.model);
        self.perform_all(effects);
        self.executor.finish_journal();
    }

    /// Handles the messages of background work (no terminal input) until `done` holds or
    /// `within` has passed; `false` on the deadline. For tests and drivers that wait on
    /// something outside the app, such as a file written to a watched workspace.
    pub async fn settle_until(&mut self, within: Duration, done: impl Fn(&App) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while !done(self) {
            let Ok(Some(message)) =
                tokio::time::timeout_at(deadline, self.executor.rx.recv()).await
            else {
                return false;
            };
            self.handle(message);
        }
        true
    }
}
