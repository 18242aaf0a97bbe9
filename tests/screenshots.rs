//! The committed screenshots are what the code renders now, and no screenshot shows a key.

#[path = "../devtools/screenshots.rs"]
#[allow(dead_code)] // `write_all` is for `cargo xtask screenshots`
mod screenshots;
#[path = "../devtools/svg.rs"]
mod svg;

const REGENERATE: &str = "cargo xtask screenshots";

#[tokio::test]
async fn committed_screenshots_match_the_rendering() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    let shots = screenshots::render_all().await.expect("the scenes render");
    assert!(shots.len() >= 4);
    let mut stale = Vec::new();
    for shot in &shots {
        let path = dir.join(format!("{}.svg", shot.name));
        match std::fs::read_to_string(&path) {
            Ok(committed) if committed == shot.svg => {}
            Ok(_) => stale.push(format!("{} differs from the rendering", path.display())),
            Err(e) => stale.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(
        stale.is_empty(),
        "screenshots are out of date ({}); regenerate them with `{REGENERATE}` and look at them",
        stale.join("; ")
    );
}

#[tokio::test]
async fn screenshots_never_show_the_key() {
    let key = "pk_live_SCREENSHOT_SECRET_4242";
    // No label: the header shows the target as it is, key masked.
    let shots = screenshots::render_all_with_key(key, None)
        .await
        .expect("the scenes render");
    for shot in shots {
        assert!(!shot.svg.contains(key), "{} shows the key", shot.name);
        assert!(
            !shot.svg.contains("SECRET"),
            "{} shows part of the key",
            shot.name
        );
        if shot.name == "main" {
            assert!(
                shot.svg.contains("****4242"),
                "the header shows the masked key"
            );
        }
    }
}
