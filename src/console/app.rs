//! The console's state: everything drawing reads, and nothing else. Changed only by
//! [`super::update`]; background work lives in [`Runtime`] and answers through its channel.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use ratatui_textarea::TextArea;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::call::{Call, RenderOptions};
use super::editor::{Check, Editor, example_events};
use super::message::{Effect, Message};
use super::theme::Theme;
use crate::api::wire::WORKSPACE_PATH;
use crate::api::{Client, Identity, OpaqueState};

/// The panes that take the focus, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Editor,
    History,
    Cohorts,
    Detail,
}

impl Focus {
    const ORDER: [Focus; 4] = [Focus::Editor, Focus::History, Focus::Cohorts, Focus::Detail];

    pub fn next(self) -> Focus {
        let i = Focus::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        Focus::ORDER[(i + 1) % Focus::ORDER.len()]
    }

    pub fn prev(self) -> Focus {
        let i = Focus::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        Focus::ORDER[(i + Focus::ORDER.len() - 1) % Focus::ORDER.len()]
    }
}

/// What the right-hand lower pane shows for the selected call (`v` cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailView {
    Diff,
    Request,
    Response,
}

impl DetailView {
    pub fn next(self) -> DetailView {
        match self {
            DetailView::Diff => DetailView::Request,
            DetailView::Request => DetailView::Response,
            DetailView::Response => DetailView::Diff,
        }
    }
}

/// The diff view: only the changes, or the whole after-state (`f` toggles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffMode {
    Changes,
    Full,
}

/// The small alias form (F4): two one-line fields.
#[derive(Debug)]
pub struct AliasForm {
    pub tag: TextArea<'static>,
    pub id: TextArea<'static>,
    /// 0 = tag, 1 = id.
    pub field: usize,
    pub error: Option<String>,
}

impl AliasForm {
    pub fn new(theme: Theme) -> AliasForm {
        let field = |text: &str| {
            let mut area = TextArea::new(vec![text.to_string()]);
            area.set_cursor_line_style(ratatui::style::Style::new());
            area.set_cursor_style(theme.cursor());
            area.move_cursor(ratatui_textarea::CursorMove::End);
            area
        };
        let mut form = AliasForm {
            tag: field(""),
            id: field(""),
            field: 0,
            error: None,
        };
        form.set_field(0, theme);
        form
    }

    /// Moves the input to field 0 (tag) or 1 (id); only that field shows a cursor.
    pub fn set_field(&mut self, field: usize, theme: Theme) {
        self.field = field.min(1);
        let style = |on: bool| {
            if on {
                theme.cursor()
            } else {
                ratatui::style::Style::new()
            }
        };
        self.tag.set_cursor_style(style(self.field == 0));
        self.id.set_cursor_style(style(self.field == 1));
    }

    pub fn values(&self) -> (String, String) {
        (
            self.tag.lines().concat().trim().to_string(),
            self.id.lines().concat().trim().to_string(),
        )
    }
}

/// A popup over the panes; it takes the keys while open.
#[derive(Debug)]
pub enum Popup {
    Help {
        scroll: u16,
    },
    EventPicker {
        names: Vec<String>,
        selected: usize,
    },
    AliasForm(Box<AliasForm>),
    /// Why (not) in a cohort, for the selected call (see `explain.rs`).
    Explain(Box<super::explain::ExplainPopup>),
    /// Save a session (F6) or pick one to open (F7).
    Session(Box<super::sessions::SessionPopup>),
    /// A call before vs after a workspace edit (see `live.rs`).
    EditComparison(Box<super::live::EditComparison>),
}

/// How the last thing that happened went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    Info,
    Success,
    Warning,
    Error,
}

/// The status line: what happened last, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub kind: StatusKind,
    /// Set by the editor's live check (replaced when the text becomes valid again).
    pub from_editor: bool,
}

/// The request in flight.
#[derive(Debug, Clone)]
pub struct InFlight {
    pub task: u64,
    pub events: usize,
    pub started: Instant,
}

/// What the emulator says about its workspace: cohort names and event schemas.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceInfo {
    pub cohort_names: BTreeMap<String, String>,
    pub events: BTreeMap<String, Value>,
}

impl WorkspaceInfo {
    /// Reads `GET /_segscope/workspace`: `{cohorts: [{code, name, …}], events: {Name: schema}}`.
    pub fn from_json(value: &Value) -> WorkspaceInfo {
        let cohort_names = value
            .get("cohorts")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|c| {
                        let code = match c.get("code")? {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        let name = c.get("name").and_then(Value::as_str)?.to_string();
                        Some((code, name))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let events = value
            .get("events")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        WorkspaceInfo {
            cohort_names,
            events,
        }
    }
}

/// How the console is set up.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// What the header says about the target; default: the target's URL and masked key.
    pub target_label: Option<String>,
    /// Cohort names by code, e.g. from `--cohort-names FILE` (the workspace's names win).
    pub cohort_names: BTreeMap<String, String>,
    /// The target is a segscope emulator: ask it for its workspace (names, event schemas).
    pub emulator_endpoints: bool,
    /// Deterministic screens: counter-based ids, no clock times or latencies on screen.
    pub stable: bool,
    /// No colours (`NO_COLOR`): attributes and markers only.
    pub no_color: bool,
    /// When the input ends, [`super::run_app`] waits for requests in flight before returning.
    pub wait_for_requests: bool,
    /// Where the autosave lives (see `autosave.rs`); `None`: no autosave.
    pub autosave: Option<std::path::PathBuf>,
    /// Start clean: move an existing autosave aside instead of restoring it (`--fresh`).
    pub fresh: bool,
    /// The embedded emulator's clock (`--clock`), shown in the header; `None`: not embedded.
    pub clock: Option<crate::engine::Clock>,
    /// Watch this workspace and swap edits into this emulator (see `live.rs`).
    pub live_workspace: Option<super::live::LiveSetup>,
    /// Cohort definitions by code, pulled from the real workspace (`--cohort-definitions DIR`):
    /// where the target cannot explain, the explanation view shows them beside the raw state.
    pub cohort_definitions: BTreeMap<String, crate::emulator::workspace::CohortRecord>,
}

/// New ids: random UUIDs v4, or counters in stable mode.
#[derive(Debug)]
pub(crate) struct Ids {
    stable: bool,
    counter: u128,
}

impl Ids {
    pub(crate) fn uuid(&mut self) -> String {
        if self.stable {
            self.counter += 1;
            uuid::Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000 | self.counter)
                .to_string()
        } else {
            uuid::Uuid::new_v4().to_string()
        }
    }
}

/// Background tasks and the channel they answer on. Not part of what is drawn.
pub(crate) struct Runtime {
    pub(crate) tx: mpsc::UnboundedSender<Message>,
    pub(crate) rx: mpsc::UnboundedReceiver<Message>,
    pub(crate) tasks: HashMap<u64, JoinHandle<()>>,
    next_task: u64,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("tasks", &self.tasks.len())
            .finish()
    }
}

/// The console's whole state.
#[derive(Debug)]
pub struct App {
    pub(crate) client: Client,
    pub(crate) options: AppOptions,
    pub(crate) theme: Theme,
    pub(crate) editor: Editor,
    pub(crate) identity: Identity,
    pub(crate) sync_validation: bool,
    /// The state the next call sends: the last successful call's, byte for byte.
    pub(crate) state: Option<OpaqueState>,
    pub(crate) session_id: String,
    pub(crate) history: Vec<Call>,
    pub(crate) selected: Option<usize>,
    /// The call whose detail is being rendered again, if any.
    pub(crate) rendering_detail: Option<u64>,
    pub(crate) focus: Focus,
    pub(crate) detail_view: DetailView,
    pub(crate) diff_mode: DiffMode,
    pub(crate) detail_scroll: usize,
    pub(crate) cohort_cursor: usize,
    pub(crate) popup: Option<Popup>,
    pub(crate) in_flight: Option<InFlight>,
    pub(crate) status: Status,
    pub(crate) workspace: Option<WorkspaceInfo>,
    pub(crate) workspace_error: Option<String>,
    /// A session opened for step-by-step replay (F8).
    pub(crate) playback: Option<super::sessions::Playback>,
    /// The terminal's size, for layout-dependent input (mouse, page sizes).
    pub(crate) size: (u16, u16),
    pub(crate) spinner: usize,
    pub(crate) quit: bool,
    pub(crate) ids: Ids,
    pub(crate) runtime: Runtime,
    /// Which call led to which, and the abandoned branches (see `rewind.rs`).
    pub(crate) lineage: super::rewind::Lineage,
    pub(crate) clipboard: super::clipboard::Clipboard,
    pub(crate) autosave: super::autosave::Autosave,
    /// What the emulator's explanations said about the calls (see `timeline.rs`).
    pub(crate) insights: super::timeline::Insights,
    pub(crate) live: super::live::Live,
}

impl App {
    pub fn new(client: Client, options: AppOptions) -> App {
        let theme = Theme::new(options.no_color);
        let mut ids = Ids {
            stable: options.stable,
            counter: 0,
        };
        let user_id = ids.uuid();
        let session_id = ids.uuid();
        let view_id = ids.uuid();
        let editor = Editor::new(
            &example_events(jiff::Timestamp::now(), &session_id, &view_id),
            theme,
        );
        let (tx, rx) = mpsc::unbounded_channel();
        App {
            client,
            theme,
            editor,
            identity: Identity::UserId(user_id),
            sync_validation: true,
            state: None,
            session_id,
            history: Vec::new(),
            selected: None,
            rendering_detail: None,
            focus: Focus::Editor,
            detail_view: DetailView::Diff,
            diff_mode: DiffMode::Changes,
            detail_scroll: 0,
            cohort_cursor: 0,
            popup: None,
            in_flight: None,
            status: Status {
                text: "Ready: edit the events, F5 sends them. F1 lists every key.".into(),
                kind: StatusKind::Info,
                from_editor: false,
            },
            workspace: None,
            workspace_error: None,
            playback: None,
            size: (0, 0),
            spinner: 0,
            quit: false,
            ids,
            runtime: Runtime {
                tx,
                rx,
                tasks: HashMap::new(),
                next_task: 0,
            },
            lineage: Default::default(),
            clipboard: Default::default(),
            autosave: Default::default(),
            insights: Default::default(),
            live: Default::default(),
            options,
        }
    }

    /// The effects to run when the loop starts (loading the workspace description).
    pub(crate) fn start(&mut self) -> Vec<Effect> {
        super::autosave::on_start(self);
        super::live::start(self);
        if self.options.emulator_endpoints && self.workspace.is_none() {
            vec![Effect::LoadWorkspace {
                task: self.next_task(),
            }]
        } else {
            Vec::new()
        }
    }

    pub(crate) fn next_task(&mut self) -> u64 {
        self.runtime.next_task += 1;
        self.runtime.next_task
    }

    pub(crate) fn render_options(&self) -> RenderOptions {
        RenderOptions {
            theme: self.theme,
            stable: self.options.stable,
        }
    }

    /// Runs an effect: spawns the task that will answer with a message.
    pub(crate) fn perform(&mut self, effect: Effect) {
        match effect {
            Effect::LoadWorkspace { task } => {
                let client = self.client.clone();
                let tx = self.runtime.tx.clone();
                let handle = tokio::spawn(async move {
                    let result = client.get_json(WORKSPACE_PATH).await;
                    let _ = tx.send(Message::WorkspaceLoaded { task, result });
                });
                self.runtime.tasks.insert(task, handle);
            }
            Effect::Send(pending) => {
                let task = pending.id;
                let client = self.client.clone();
                let tx = self.runtime.tx.clone();
                let options = self.render_options();
                let handle = tokio::spawn(async move {
                    let outcome = client
                        .segment(&pending.request, pending.sync_validation)
                        .await;
                    // Diffing a big state takes a while: keep it off the async workers.
                    let call = tokio::task::spawn_blocking(move || {
                        Call::finish(*pending, outcome, options)
                    })
                    .await;
                    if let Ok(call) = call {
                        let _ = tx.send(Message::CallFinished {
                            task,
                            call: Box::new(call),
                        });
                    }
                });
                self.runtime.tasks.insert(task, handle);
            }
            Effect::Cancel { task } => {
                if let Some(handle) = self.runtime.tasks.remove(&task) {
                    handle.abort();
                }
            }
            Effect::Explain { task, request } => super::explain::spawn(self, task, request),
            Effect::Autosave(write) => super::autosave::spawn_write(self, *write),
            Effect::AutosaveTimer { after } => super::autosave::spawn_timer(self, after),
            Effect::Copy { text } => super::clipboard::perform(self, &text),
            Effect::RenderDetail { task, call } => super::detail::spawn(self, task, call),
            Effect::Live(reload) => super::live::spawn(self, *reload),
        }
    }

    /// Aborts every background task (on quit).
    pub(crate) fn abort_all(&mut self) {
        for (_, handle) in self.runtime.tasks.drain() {
            handle.abort();
        }
    }

    /// Background tasks still running.
    pub fn pending_tasks(&self) -> usize {
        self.runtime.tasks.len()
    }

    /// A sender onto the app's message queue (e.g. for a signal handler to post `Quit`).
    pub fn sender(&self) -> mpsc::UnboundedSender<Message> {
        self.runtime.tx.clone()
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn options(&self) -> &AppOptions {
        &self.options
    }

    pub fn editor_text(&self) -> String {
        self.editor.text()
    }

    /// Replaces the editor's text (e.g. a loaded session, a test).
    pub fn set_editor_text(&mut self, text: &str) {
        self.editor.set_text(text);
    }

    pub fn editor_check(&self) -> &Check {
        self.editor.check()
    }

    /// The state the next call will send.
    pub fn state(&self) -> Option<&OpaqueState> {
        self.state.as_ref()
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    pub fn sync_validation(&self) -> bool {
        self.sync_validation
    }

    pub fn history(&self) -> &[Call] {
        &self.history
    }

    pub fn selected_call(&self) -> Option<&Call> {
        self.selected.and_then(|i| self.history.get(i))
    }

    pub fn status(&self) -> &Status {
        &self.status
    }

    pub fn focus(&self) -> Focus {
        self.focus
    }

    /// The first line shown in the right-hand pane.
    pub fn detail_scroll(&self) -> usize {
        self.detail_scroll
    }

    pub fn is_sending(&self) -> bool {
        self.in_flight.is_some()
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Adds a finished call as if it had just come back (sessions, benchmarks). Its state
    /// becomes the next call's, unless the identity changed while it was on its way.
    pub fn record_call(&mut self, call: Call) {
        let state_used = call.succeeded() && call.identity == self.identity;
        if state_used {
            self.state = call.state_after.clone();
        }
        self.lineage.record(self.history.len(), state_used);
        self.history.push(call);
        self.selected = Some(self.history.len() - 1);
        self.detail_scroll = 0;
        self.cohort_cursor = 0;
    }

    /// A cohort's name: from the emulator's workspace, else from `--cohort-names`.
    pub fn cohort_name(&self, code: &str) -> Option<&str> {
        self.workspace
            .as_ref()
            .and_then(|w| w.cohort_names.get(code))
            .or_else(|| self.options.cohort_names.get(code))
            .map(String::as_str)
            .or_else(|| {
                let record = self.options.cohort_definitions.get(code)?;
                record.name.as_deref()
            })
    }

    pub(crate) fn set_status(&mut self, kind: StatusKind, text: impl Into<String>) {
        self.status = Status {
            text: text.into(),
            kind,
            from_editor: false,
        };
    }

    /// What the header says about where calls go (never the key itself).
    pub fn target_label(&self) -> String {
        self.options
            .target_label
            .clone()
            .unwrap_or_else(|| self.client.target().describe())
    }
}
