//! Which target the autosaved calls went to, as the autosave records it, and whether that is
//! where calls go now (a state is never sent to another target silently: see
//! `update/autosave.rs`).

use crate::console::model::Model;

/// What the autosave records as the target of its calls, for the next start to compare.
pub const EMBEDDED_TARGET: &str = "embedded emulator";

/// The target as the autosave records it: the base URL (any key in it masked), or
/// [`EMBEDDED_TARGET`] for the embedded emulator, whose port is new at every start.
pub fn saved_target(app: &Model) -> String {
    if app.options.clock.is_some() {
        EMBEDDED_TARGET.to_string()
    } else {
        app.target.display_url()
    }
}

/// Whether calls saved against `saved` went where calls go now (`here`, as [`saved_target`]
/// writes it). The embedded emulator is one target whatever its port; files written before it
/// was named held its loopback URL.
pub fn same_target(saved: &str, here: &str) -> bool {
    let embedded = |t: &str| {
        t == EMBEDDED_TARGET
            || t.starts_with("http://127.0.0.1:")
            || t.starts_with("http://localhost:")
    };
    saved == here || (here == EMBEDDED_TARGET && embedded(saved))
}
