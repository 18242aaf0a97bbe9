//! The console: a ratatui TUI for composing events, sending them to the stateless segmentation
//! endpoint (real API, a `segscope serve`, or the embedded emulator), and seeing what each call
//! did to the user's cohorts and state.
//!
//! Data flows one way: terminal input → [`update`] → [`Effect`]s run as background tasks →
//! [`Message`]s → [`update`] → [`draw`]. The loop is [`run_app`]; the terminal entry point is
//! [`launch`].

pub mod app;
pub mod autosave;
pub mod call;
pub mod clipboard;
pub mod detail;
pub mod diff;
pub mod editor;
pub mod explain;
pub mod keymap;
pub mod live;
pub mod message;
pub mod rewind;
pub mod runtime;
pub mod sessions;
pub mod terminal;
pub mod theme;
pub mod timeline;
pub mod update;
pub mod view;

pub use app::{App, AppOptions, DetailView, DiffMode, Focus, Status, StatusKind};
pub use call::{Call, CallDetail, CohortDelta, PendingCall, RenderOptions};
pub use diff::{StateDiff, state_diff};
pub use message::{Effect, Message};
pub use runtime::run_app;
pub use terminal::{LaunchOptions, launch, restore_terminal};
pub use theme::Theme;
pub use update::update;
pub use view::draw;
