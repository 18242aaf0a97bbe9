//! Arbitrary text as a workspace's `cohorts.json`: the cohort query loader must refuse or load,
//! never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = segscope::engine::Workspace::from_cohorts_json(text);
    let wrapped = format!(r#"[{{"code":1,"name":"x","query":{text}}}]"#);
    let _ = segscope::engine::Workspace::from_cohorts_json(&wrapped);
});
