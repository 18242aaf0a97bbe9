//! The emulator's Cohorts API v2 over real loopback HTTP: shapes, key rules, error envelope,
//! changes evaluated from the next segmentation call on, and `--persist`.

use std::path::{Path, PathBuf};

use segscope::emulator::{self, EmulatorConfig, RunningEmulator, Workspace};

/// The demo workspace's files in this checkout (the binary embeds the same files).
fn demo_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/workspace"))
}
use serde_json::{Value, json};

const COHORTS: &str = "/cohorts-api/v2/cohorts";
const STATELESS: &str = "/ccs/v1/segmentation/stateless";

/// A copy of the demo workspace in a fresh temp directory.
fn demo_copy() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("segscope-api-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("schemas")).unwrap();
    std::fs::copy(demo_dir().join("cohorts.json"), dir.join("cohorts.json")).unwrap();
    for entry in std::fs::read_dir(demo_dir().join("schemas")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join("schemas").join(path.file_name().unwrap())).unwrap();
    }
    dir
}

async fn start(dir: &Path, keys: &[&str], persist: bool) -> RunningEmulator {
    let mut config = EmulatorConfig::new(Workspace::load(dir).expect("the workspace loads"));
    config.api_keys = keys.iter().map(|k| k.to_string()).collect();
    config.cohorts_api.persist = persist;
    emulator::spawn(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("the emulator starts")
}

/// Sends a request with the key in the header; returns status and body (JSON or null).
async fn call(method: &str, url: &str, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = client
        .request(method.parse().unwrap(), url)
        .header("X-Api-Key", "test-key");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the emulator answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, value)
}

fn assert_envelope(body: &Value, status: u16, code: i64) {
    assert!(
        body["request_id"].as_str().is_some_and(|s| !s.is_empty()),
        "{body}"
    );
    assert_eq!(body["error"]["status_code"], status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    for field in ["type", "status", "message", "docs"] {
        assert!(body["error"][field].is_string(), "error.{field}: {body}");
    }
}

/// One LinkClick to `/cars/` for a fresh user: the cohorts the user is in after it.
async fn cohorts_after_link_click(base: &str) -> Vec<String> {
    let body = json!({
        "user_id": uuid::Uuid::new_v4().to_string(),
        "events": [{"name": "LinkClick", "time": "2026-11-01T10:00:00Z",
                    "properties": {"url": "https://www.dailycourier.example/cars/review"}}],
    });
    let (status, answer) = call("POST", &format!("{base}{STATELESS}"), Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    answer["state"]["cohorts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn lists_and_reads_in_the_documented_shapes() {
    let dir = demo_copy();
    let emulator = start(&dir, &[], false).await;
    let base = emulator.base_url();
    let (status, list) = call("GET", &format!("{base}{COHORTS}"), None).await;
    assert_eq!(status, 200);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 12);
    let first = &list[0];
    assert_eq!(first["code"], 1001);
    assert_eq!(first["name"], "Football fans");
    assert_eq!(first["state"], "Enabled");
    assert_eq!(first["segment_type"], "real_time");
    assert_eq!(first["tags"], json!(["sport", "football"]));
    assert!(
        first.get("query").is_none(),
        "the list has no queries: {first}"
    );
    for key in ["id", "workspace_id", "created_at", "last_updated_at"] {
        assert!(first[key].is_string(), "{key}: {first}");
    }
    let id = first["id"].as_str().unwrap();
    uuid::Uuid::parse_str(id).expect("ids are UUIDs");
    // Ids of cohorts that have none in the file are stable: derived from the code.
    let again = start(&dir, &[], false).await;
    let (_, list_again) = call("GET", &format!("{}{COHORTS}", again.base_url()), None).await;
    assert_eq!(list_again[0]["id"], first["id"]);

    let (status, one) = call("GET", &format!("{base}{COHORTS}/{id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(one["code"], 1001);
    assert_eq!(one["query"]["event"], "Pageview");
    assert_eq!(one["description"], list[0]["description"]);

    let (status, missing) = call(
        "GET",
        &format!("{base}{COHORTS}/{}", uuid::Uuid::new_v4()),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_envelope(&missing, 404, 3000);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn the_key_rules_are_the_segmentation_endpoints() {
    let dir = demo_copy();
    let emulator = start(&dir, &["right-key"], false).await;
    let url = format!("{}{COHORTS}", emulator.base_url());
    let client = reqwest::Client::new();

    let none = client.get(&url).send().await.unwrap();
    assert_eq!(none.status().as_u16(), 401);
    assert_envelope(&none.json().await.unwrap(), 401, 2004);

    let wrong = client
        .get(&url)
        .header("X-Api-Key", "wrong-key")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let body: Value = wrong.json().await.unwrap();
    assert_envelope(&body, 401, 2000);
    assert!(!body.to_string().contains("wrong-key"), "{body}");

    let header = client
        .get(&url)
        .header("X-Api-Key", "right-key")
        .send()
        .await
        .unwrap();
    assert_eq!(header.status().as_u16(), 200);
    let param = client
        .get(format!("{url}?k=right-key"))
        .send()
        .await
        .unwrap();
    assert_eq!(param.status().as_u16(), 200);

    let post = client
        .post(&url)
        .json(&json!({"name": "x", "query": {"event": "LinkClick"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status().as_u16(), 401, "writes need the key too");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn created_patched_and_deleted_cohorts_decide_the_next_call() {
    let dir = demo_copy();
    let emulator = start(&dir, &[], false).await;
    let base = emulator.base_url();
    assert!(
        !cohorts_after_link_click(&base)
            .await
            .contains(&"1013".into())
    );

    let (status, created) = call(
        "POST",
        &format!("{base}{COHORTS}"),
        Some(json!({
            "name": "Car link clickers",
            "description": "Clicked a link to /cars/.",
            "query": {"event": "LinkClick",
                      "where": {"property": "properties.url", "condition": {"contains": "/cars/"}}},
            "tags": ["motoring"],
            "segment_type": "real_time",
        })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["code"], 1013, "the next free integer");
    assert_eq!(created["state"], "Enabled");
    assert_eq!(created["query"]["event"], "LinkClick");
    let id = created["id"].as_str().unwrap().to_string();
    assert!(
        cohorts_after_link_click(&base)
            .await
            .contains(&"1013".into())
    );

    let (status, patched) = call(
        "PATCH",
        &format!("{base}{COHORTS}/{id}"),
        Some(json!({"query": {"event": "LinkClick",
                              "where": {"property": "properties.url", "condition": {"contains": "/bikes/"}}},
                    "description": null})),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert!(
        patched.get("description").is_none(),
        "null deletes: {patched}"
    );
    assert_eq!(patched["name"], "Car link clickers", "absent fields stay");
    assert!(
        !cohorts_after_link_click(&base)
            .await
            .contains(&"1013".into())
    );

    let (status, body) = call("DELETE", &format!("{base}{COHORTS}/{id}"), None).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = call("GET", &format!("{base}{COHORTS}/{id}"), None).await;
    assert_eq!(status, 404);

    // A deleted cohort's code is not handed out again.
    let (_, next) = call(
        "POST",
        &format!("{base}{COHORTS}"),
        Some(json!({"name": "Again", "query": {"event": "LinkClick"}})),
    )
    .await;
    assert_eq!(next["code"], 1014);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_change_the_engine_cannot_load_is_refused_and_changes_nothing() {
    let dir = demo_copy();
    let emulator = start(&dir, &[], false).await;
    let base = emulator.base_url();
    let (_, before) = call("GET", &format!("{base}{COHORTS}"), None).await;

    let (status, body) = call(
        "POST",
        &format!("{base}{COHORTS}"),
        Some(json!({"name": "Typo", "query": {"event": "Pageview", "frequenzy": {"equal_to": 1}}})),
    )
    .await;
    assert_eq!(status, 400);
    assert_envelope(&body, 400, 1002);
    assert!(
        body["error"]["cause"]
            .as_str()
            .unwrap()
            .contains("frequenzy"),
        "{body}"
    );

    let (status, body) = call(
        "POST",
        &format!("{base}{COHORTS}"),
        Some(json!({"name": "Unknown key", "query": {"event": "Pageview"}, "code": 5})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_envelope(&body, 400, 1002);

    let (status, body) = call("POST", &format!("{base}{COHORTS}"), None).await;
    assert_eq!(status, 400, "{body}");
    assert_envelope(&body, 400, 1003);

    // 1001 is read by 1009 and 1010: deleting it would leave them pointing at nothing.
    let football = before[0]["id"].as_str().unwrap();
    let (status, body) = call("DELETE", &format!("{base}{COHORTS}/{football}"), None).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["cause"].as_str().unwrap().contains("1001"),
        "{body}"
    );

    let (status, body) = call(
        "PATCH",
        &format!("{base}{COHORTS}/{football}"),
        Some(json!({"state": "Paused"})),
    )
    .await;
    assert_eq!(status, 400, "{body}");

    let (_, after) = call("GET", &format!("{base}{COHORTS}"), None).await;
    assert_eq!(before, after);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn persist_writes_cohorts_json_and_without_it_the_file_is_untouched() {
    let dir = demo_copy();
    let original = std::fs::read_to_string(dir.join("cohorts.json")).unwrap();
    let in_memory = start(&dir, &[], false).await;
    let body = json!({"name": "Clickers", "query": {"event": "LinkClick"}});
    let (status, _) = call(
        "POST",
        &format!("{}{COHORTS}", in_memory.base_url()),
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(
        std::fs::read_to_string(dir.join("cohorts.json")).unwrap(),
        original
    );

    let persisting = start(&dir, &[], true).await;
    let (status, created) = call(
        "POST",
        &format!("{}{COHORTS}", persisting.base_url()),
        Some(body),
    )
    .await;
    assert_eq!(status, 201);
    let written = std::fs::read_to_string(dir.join("cohorts.json")).unwrap();
    let reloaded = Workspace::load(&dir).expect("the written file loads");
    assert_eq!(reloaded.records.len(), 13);
    let last = reloaded.records.last().unwrap();
    assert_eq!(last.id.as_deref(), created["id"].as_str());
    assert_eq!(last.name.as_deref(), Some("Clickers"));
    assert!(written.ends_with("}\n]\n"), "pretty, with a final newline");
    // No temp file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn lookalikes_are_served_without_a_query_and_cannot_be_changed() {
    let dir = demo_copy();
    let mut cohorts: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cohorts.json")).unwrap()).unwrap();
    cohorts.push(json!({"code": 2001, "name": "Lookalike of football fans",
                        "segmentType": "lookalike", "state": "Enabled"}));
    std::fs::write(
        dir.join("cohorts.json"),
        serde_json::to_string(&cohorts).unwrap(),
    )
    .unwrap();
    let emulator = start(&dir, &[], false).await;
    let base = emulator.base_url();
    let (_, list) = call("GET", &format!("{base}{COHORTS}"), None).await;
    let lookalike = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == 2001)
        .expect("listed");
    let id = lookalike["id"].as_str().unwrap();
    let (status, one) = call("GET", &format!("{base}{COHORTS}/{id}"), None).await;
    assert_eq!(status, 200);
    assert!(one.get("query").is_none(), "{one}");
    assert_eq!(one["segment_type"], "lookalike");
    let (status, _) = call(
        "PATCH",
        &format!("{base}{COHORTS}/{id}"),
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = call("DELETE", &format!("{base}{COHORTS}/{id}"), None).await;
    assert_eq!(status, 400);
    std::fs::remove_dir_all(&dir).ok();
}

/// A workspace that already uses the largest code: creating one more is a 400, not an overflow
/// (a panic in a debug build, code 0 in a release one), and the emulator keeps serving.
#[tokio::test]
async fn creating_past_the_largest_code_is_refused() {
    let dir = demo_copy();
    std::fs::write(
        dir.join("cohorts.json"),
        r#"[{"code": 18446744073709551615, "name": "Last", "query": {"event": "Pageview"}}]"#,
    )
    .unwrap();
    let emulator = start(&dir, &[], false).await;
    let base = emulator.base_url();
    let (status, body) = call(
        "POST",
        &format!("{base}{COHORTS}"),
        Some(json!({"name": "One more", "query": {"event": "Pageview"}})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_envelope(&body, 400, 1002);
    let (status, listed) = call("GET", &format!("{base}{COHORTS}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    emulator.stop().await;
}
