//! Arbitrary bytes as a request body: the emulator's contract check and segmentation must answer
//! (a result or a 400), never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segscope::emulator::Workspace;
use segscope::emulator::segment::{Validation, segment};

fn demo() -> &'static Workspace {
    static DEMO: std::sync::OnceLock<Workspace> = std::sync::OnceLock::new();
    DEMO.get_or_init(|| Workspace::demo().expect("the bundled demo workspace loads"))
}

fuzz_target!(|body: &[u8]| {
    let _ = segscope::emulator::contract::check_request(body);
    let _ = segment(demo(), body, Validation::Reject);
});
