//! Arbitrary text as a user's state, sent with a Pageview: the state decoder must keep what it
//! does not own and never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segscope::emulator::Workspace;
use segscope::emulator::segment::{Validation, segment};

fn demo() -> &'static Workspace {
    static DEMO: std::sync::OnceLock<Workspace> = std::sync::OnceLock::new();
    DEMO.get_or_init(|| Workspace::demo().expect("the bundled demo workspace loads"))
}

fuzz_target!(|state: &str| {
    let body = format!(
        r#"{{"user_id":"2008c38f-dece-4570-976d-87593ed001c3","events":[{{"name":"Pageview","time":"2026-01-01T00:00:00Z","properties":{{"article":{{"category":"football"}}}}}}],"state":{state}}}"#
    );
    let _ = segment(demo(), body.as_bytes(), Validation::Report);
    let _ = segscope::api::OpaqueState::from_json(state).map(|s| s.view());
});
