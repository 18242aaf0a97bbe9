//! The local stand-in for the stateless segmentation endpoint: a real HTTP server whose cohort
//! logic comes from a workspace directory. It knows nothing of the terminal.

pub mod body;
mod body_scan;
pub mod cohorts_api;
pub mod contract;
mod events_scan;
pub mod failure;
pub mod fault;
pub mod listener;
pub mod log;
pub mod segment;
pub mod server;
pub mod workspace;

pub use failure::Failure;
pub use fault::Fault;
pub use listener::Limits;
pub use server::{EmulatorConfig, RunningEmulator, router, spawn};
pub use workspace::{Workspace, WorkspaceError, demo_dir};

/// The key the console sends to its embedded emulator, which accepts any non-empty key.
pub const EMBEDDED_KEY: &str = "segscope-embedded";
