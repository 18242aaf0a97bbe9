//! Arbitrary text as a session file: the loader must refuse it with a message or load it, and a
//! loaded session must save and load again, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segscope::session::Session;

fuzz_target!(|text: &str| {
    if let Ok(session) = Session::parse(text, "fuzz.json") {
        let again = Session::parse(&session.to_json(), "fuzz.json");
        assert!(again.is_ok(), "a saved session does not load: {again:?}");
    }
});
