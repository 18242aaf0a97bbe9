//! The autosave's bookkeeping in the model (the files, the lock and the writer thread are the
//! executor's: see `executor/autosave.rs`).

use std::path::PathBuf;

/// Where the autosave stands.
#[derive(Debug, Default)]
pub struct AutosaveState {
    /// Something changed since the last write.
    pub(crate) dirty: bool,
    /// Counts keys and pastes: the idle timer saves only if none came since it was set.
    pub(crate) inputs: u64,
    /// The idle timer is set, for the input counted here.
    pub(crate) timer_for: Option<u64>,
    /// The file this console writes (the configured one, or its own when another console holds
    /// that); `None` until started, or with autosave off.
    pub(crate) path: Option<PathBuf>,
    /// Calls of the history already in the snapshot or the journal.
    pub(crate) saved_calls: usize,
    /// Why the save at exit failed: `launch` reports it and exits non-zero.
    pub(crate) exit_error: Option<String>,
}
