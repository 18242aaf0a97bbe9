//! The console's state: plain data, everything drawing reads and nothing else — no client, no
//! channel, no task. Changed only by [`super::update`]; the work it asks for is run by
//! [`super::executor`], which answers with messages.

pub mod autosave;
pub mod explain;
pub mod forms;
pub mod insights;
pub mod lineage;
pub mod live;
pub mod messages;
pub mod options;
pub mod playback;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::call::Call;
use super::detail::{DetailSize, RenderOptions};
use super::editor::{Check, Editor, example_events};
use super::env::IdSource;
use super::theme::Theme;
use crate::api::{Identity, OpaqueState, Target};
pub use options::AppOptions;

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
    AliasForm(Box<forms::AliasForm>),
    /// Why (not) in a cohort, for the selected call (see `explain.rs`).
    Explain(Box<explain::ExplainPopup>),
    /// Save a session (F6) or pick one to open (F7).
    Session(Box<forms::SessionPopup>),
    /// A call before vs after a workspace edit (see `live.rs`).
    EditComparison(Box<live::EditComparison>),
    /// Every status message so far, newest last (see `messages.rs`); scrolled `from_end` rows
    /// up from the newest.
    Messages {
        from_end: u16,
    },
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
    pub started: jiff::Timestamp,
    /// What was sent (cheap: the state is shared), so a cancelled call still gets its row.
    pub pending: Box<super::call::PendingCall>,
}

/// What the emulator says about its workspace: cohort names and event schemas.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceInfo {
    pub cohort_names: BTreeMap<String, String>,
    pub events: BTreeMap<String, Value>,
}

impl From<crate::emulator::workspace::WorkspaceDescription> for WorkspaceInfo {
    /// `GET /_segscope/workspace`, read into the emulator's own type.
    fn from(description: crate::emulator::workspace::WorkspaceDescription) -> WorkspaceInfo {
        WorkspaceInfo {
            cohort_names: description
                .cohorts
                .into_iter()
                .map(|c| (c.code, c.name))
                .collect(),
            events: description.events,
        }
    }
}

/// The console's whole state.
#[derive(Debug)]
pub struct Model {
    pub(crate) options: AppOptions,
    /// Where calls go (its URL and masked key are shown; the key is sent only by the client).
    pub(crate) target: Target,
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
    /// The calls whose rendered detail the view holds (`view::Cache`), with how long its views
    /// are: the selected call and the most recent few (see `update/detail.rs`).
    pub(crate) rendered: std::collections::BTreeMap<u64, DetailSize>,
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
    pub(crate) playback: Option<playback::Playback>,
    /// Where F6 offers to save (`./sessions/` if it exists, else the data directory): looked
    /// up once, when the console is made.
    pub(crate) save_dir: std::path::PathBuf,
    /// The terminal's size, for layout-dependent input (mouse, page sizes).
    pub(crate) size: (u16, u16),
    pub(crate) spinner: usize,
    pub(crate) quit: bool,
    pub(crate) ids: IdSource,
    /// The last task id handed out (call ids are task ids).
    pub(crate) last_task: u64,
    /// Tasks whose answer the input waits for (opening, listing or saving a file, restoring
    /// the autosave): keys typed meanwhile stay queued, in order, and act on the result.
    pub(crate) holding_input: BTreeSet<u64>,
    /// Which call led to which, and the abandoned branches (see `update/rewind.rs`).
    pub(crate) lineage: lineage::Lineage,
    /// The text last put on the clipboard.
    pub(crate) last_copied: Option<String>,
    pub(crate) autosave: autosave::AutosaveState,
    /// What the emulator's explanations said about the calls (see `timeline.rs`).
    pub(crate) insights: insights::Insights,
    pub(crate) live: live::Live,
    /// Every status message, with its time (see `messages.rs`).
    pub(crate) messages: messages::MessageLog,
    /// The task reading `--session FILE` at start: its message keeps what the start said before.
    pub(crate) session_at_start: Option<u64>,
}

impl Model {
    /// The calls that count for the user in use: succeeded, for this identity, on the branch
    /// in use (not abandoned by a rewind), with their indexes, oldest first.
    pub fn counted_calls(&self) -> impl DoubleEndedIterator<Item = (usize, &Call)> {
        self.history.iter().enumerate().filter(|(i, call)| {
            call.succeeded() && *call.identity() == self.identity && !self.lineage.is_abandoned(*i)
        })
    }

    pub fn new(target: Target, mut options: AppOptions) -> Model {
        let theme = Theme::new(options.no_color);
        let mut ids = std::mem::take(&mut options.ids);
        let user_id = ids.next_uuid();
        let session_id = ids.next_uuid();
        let view_id = ids.next_uuid();
        let editor = Editor::new(
            &example_events(options.time.now(), &session_id, &view_id),
            theme,
        );
        Model {
            target,
            theme,
            editor,
            identity: Identity::UserId(user_id),
            sync_validation: true,
            state: None,
            session_id,
            history: Vec::new(),
            selected: None,
            rendering_detail: None,
            rendered: std::collections::BTreeMap::new(),
            focus: Focus::Editor,
            detail_view: DetailView::Diff,
            diff_mode: DiffMode::Changes,
            detail_scroll: 0,
            cohort_cursor: 0,
            popup: None,
            in_flight: None,
            status: Status {
                text: "Ready: F5 or Ctrl+S sends the events; F1 or Ctrl+G lists every key.".into(),
                kind: StatusKind::Info,
                from_editor: false,
            },
            workspace: None,
            workspace_error: None,
            playback: None,
            save_dir: crate::console::sessions::files::LOCAL_SESSIONS.into(),
            size: (0, 0),
            spinner: 0,
            quit: false,
            ids,
            last_task: 0,
            holding_input: BTreeSet::new(),
            lineage: Default::default(),
            last_copied: None,
            autosave: Default::default(),
            insights: Default::default(),
            live: Default::default(),
            messages: Default::default(),
            session_at_start: None,
            options,
        }
    }

    /// A new task id.
    pub(crate) fn next_task(&mut self) -> u64 {
        self.last_task += 1;
        self.last_task
    }

    /// A new task id whose answer the input waits for.
    pub(crate) fn next_holding_task(&mut self) -> u64 {
        let task = self.next_task();
        self.holding_input.insert(task);
        task
    }

    /// Keys wait in their queue (a file is being opened, listed or saved).
    pub fn holds_input(&self) -> bool {
        !self.holding_input.is_empty()
    }

    pub(crate) fn render_options(&self) -> RenderOptions {
        RenderOptions {
            theme: self.theme,
            clock: self.options.time,
        }
    }

    pub fn history(&self) -> &[Call] {
        &self.history
    }

    pub fn selected_call(&self) -> Option<&Call> {
        self.selected.and_then(|i| self.history.get(i))
    }

    pub fn editor_check(&self) -> &Check {
        self.editor.check()
    }

    /// Adds a finished call as if it had just come back (sessions, benchmarks). Its state
    /// becomes the next call's, unless the identity changed while it was on its way.
    pub fn record_call(&mut self, call: Call) {
        let state_used = call.succeeded() && *call.identity() == self.identity;
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

    /// Says something on the status line; the message log keeps it, with the clock's time.
    pub(crate) fn set_status(&mut self, kind: StatusKind, text: impl Into<String>) {
        let text = text.into();
        self.messages.push(self.options.time.now(), kind, &text);
        self.status = Status {
            text,
            kind,
            from_editor: false,
        };
    }

    /// The message log (every status message so far).
    pub fn messages(&self) -> &messages::MessageLog {
        &self.messages
    }

    /// What the header says about where calls go (never the key itself).
    pub fn target_label(&self) -> String {
        self.options
            .target_label
            .clone()
            .unwrap_or_else(|| self.target.describe())
    }
}
