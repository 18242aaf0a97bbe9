//! A console that made 1,000 calls keeps every one of them and stays under 60 MB resident.
//! (Its own test binary, so the resident memory measured is this drive's alone. Frame times are
//! measured by `cargo run --release --example console_memory`, not asserted here.)

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_calls_stay_under_60_mb() {
    let (app, report) = segscope::tui::headless::drive(1000, &[1000])
        .await
        .expect("the drive runs");
    assert_eq!(
        app.history().len(),
        1000,
        "no call is dropped from the history"
    );
    let rss_mib = report[0].resident_kib as f64 / 1024.0;
    assert!(rss_mib > 1.0, "resident memory was measured");
    assert!(
        rss_mib < 60.0,
        "{rss_mib:.1} MiB resident after 1,000 calls"
    );
    // Only the selected call and the last few keep their rendered detail.
    let rendered = app.history().iter().filter(|c| c.has_detail()).count();
    assert!(rendered <= 9, "{rendered} calls keep a rendered detail");
}
