//! How the console is set up: what the embedding program (the CLI, a test) decides.

use std::collections::BTreeMap;

use crate::console::env::{Clock, IdSource};

/// How the console is set up.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// What the header says about the target; default: the target's URL and masked key.
    pub target_label: Option<String>,
    /// Cohort names by code, e.g. from `--cohort-names FILE` (the workspace's names win).
    pub cohort_names: BTreeMap<String, String>,
    /// The target is a segscope emulator: ask it for its workspace (names, event schemas).
    pub emulator_endpoints: bool,
    /// Where the time comes from (a fixed clock for deterministic screens).
    pub time: Clock,
    /// Where new ids come from (counters for deterministic screens).
    pub ids: IdSource,
    /// No colours (`NO_COLOR`): attributes and markers only.
    pub no_color: bool,
    /// When the input ends, [`super::run_app`] waits for requests in flight before returning.
    pub wait_for_requests: bool,
    /// Where the autosave lives (see `autosave.rs`); `None`: no autosave.
    pub autosave: Option<std::path::PathBuf>,
    /// A session file to open for step-by-step replay (F8) when the loop starts (`--session`).
    pub session: Option<std::path::PathBuf>,
    /// Start clean: move an existing autosave aside instead of restoring it (`--fresh`).
    pub fresh: bool,
    /// The embedded emulator's clock (`--clock`), shown in the header; `None`: not embedded.
    pub clock: Option<crate::engine::Clock>,
    /// Watch this workspace and swap edits into this emulator (see `live.rs`).
    pub live_workspace: Option<super::live::LiveSetup>,
    /// Cohort definitions by code, pulled from the real workspace (`--cohort-definitions DIR`):
    /// where the target cannot explain, the explanation view shows them beside the raw state.
    pub cohort_definitions: BTreeMap<String, crate::emulator::workspace::CohortRecord>,
    /// Event schemas by event name (`--schemas DIR`), for targets that do not describe their
    /// workspace: the editor checks against them and Ctrl+N fills in what they require.
    pub event_schemas: BTreeMap<String, serde_json::Value>,
}
