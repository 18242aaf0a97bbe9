//! The console: a ratatui TUI for composing events, sending them to the stateless segmentation
//! endpoint (real API, a `segscope serve`, or the embedded emulator), and seeing what each call
//! did to the user's cohorts and state.
//!
//! Data flows one way: terminal input → [`update`] (the [`Model`] changes) → [`Effect`]s run by
//! the [`executor`] → [`Message`]s → [`update`] → [`draw`] (from the model). The loop is [`run_app`]; the terminal entry point is
//! [`launch`].

pub mod app;
pub mod autosave;
pub mod call;
pub mod clipboard;
pub mod detail;
pub mod diff;
pub mod editor;
pub mod env;
pub mod error;
pub mod executor;
pub mod explain;
pub mod history;
pub mod keymap;
pub mod live;
pub mod message;
pub mod model;
pub mod runtime;
pub mod sessions;
pub mod terminal;
pub mod theme;
pub mod timeline;
pub mod update;
pub mod view;
pub mod words;

pub use app::App;
pub use call::{Call, CohortDelta, PendingCall};
pub use detail::{CallDetail, RenderOptions};
pub use diff::{StateDiff, state_diff};
pub use env::{Clock, IdSource};
pub use error::Error;
pub use message::{Effect, Message};
pub use model::{AppOptions, DetailView, DiffMode, Focus, Model, Status, StatusKind};
pub use runtime::run_app;
pub use terminal::{LaunchOptions, launch, restore_terminal};
pub use theme::Theme;
pub use update::{start, update};
pub use view::draw;
