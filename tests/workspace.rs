//! `segscope workspace pull|check|diff|push` end to end against an emulator on 127.0.0.1:0 —
//! and, for busy or failing services, through a small fault proxy in front of it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use segscope::api::{ApiKey, Target};
use segscope::emulator::{self, EmulatorConfig, RunningEmulator, Workspace};
use segscope::exit::Exit;

/// The demo workspace's files in this checkout (the binary embeds the same files).
fn demo_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/workspace"))
}
use segscope::workspace::check::check;
use segscope::workspace::diff::compare;
use segscope::workspace::pull::{Progress, fetch_all, pull};
use segscope::workspace::push::{PushOptions, PushReport, push};
use segscope::workspace::{CohortsClient, RetryPolicy, read_local_records};
use serde_json::{Value, json};

fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("segscope-{what}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An emulator serving a copy of the demo workspace (so nothing writes to the fixture).
async fn emulator() -> (RunningEmulator, PathBuf) {
    let dir = temp_dir("remote");
    std::fs::copy(demo_dir().join("cohorts.json"), dir.join("cohorts.json")).unwrap();
    let config = EmulatorConfig::new(Workspace::load(&dir).unwrap());
    let running = emulator::spawn(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    (running, dir)
}

fn client(base_url: &str) -> CohortsClient {
    let mut client = CohortsClient::new(Target::new(base_url, Some(ApiKey::new("test-key"))));
    client.retry = RetryPolicy {
        attempts: 3,
        first_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
    };
    client
}

fn options(dry_run: bool, prune: bool) -> PushOptions {
    PushOptions {
        dry_run,
        prune,
        concurrency: 4,
        progress: Progress::Quiet,
    }
}

async fn push_quietly(client: &CohortsClient, dir: &Path, options: PushOptions) -> PushReport {
    push(client, dir, options, &mut |_| {}).await.unwrap()
}

fn read(dir: &Path) -> Vec<Value> {
    serde_json::from_str(&std::fs::read_to_string(dir.join("cohorts.json")).unwrap()).unwrap()
}

fn write(dir: &Path, cohorts: &[Value]) {
    std::fs::write(
        dir.join("cohorts.json"),
        serde_json::to_string_pretty(cohorts).unwrap(),
    )
    .unwrap();
}

fn by_code(cohorts: &mut [Value], code: u64) -> &mut Value {
    cohorts
        .iter_mut()
        .find(|c| c["code"] == code)
        .unwrap_or_else(|| panic!("no cohort {code}"))
}

/// The remote cohorts in full, as JSON (timestamps left out: they move).
async fn remote_snapshot(client: &CohortsClient) -> Vec<Value> {
    let remote = fetch_all(client, 4, Progress::Quiet).await.unwrap();
    remote
        .cohorts
        .iter()
        .map(|c| {
            let mut v = serde_json::to_value(c).unwrap();
            v.as_object_mut().unwrap().remove("last_updated_at");
            v
        })
        .collect()
}

#[tokio::test]
async fn pull_edit_diff_push_pull_round_trip() {
    let (remote, remote_dir) = emulator().await;
    let client = client(&remote.base_url());
    let dir = temp_dir("local");
    std::fs::create_dir_all(dir.join("schemas")).unwrap();
    std::fs::write(dir.join("schemas/Mine.json"), r#"{"type": "object"}"#).unwrap();

    let report = pull(&client, &dir, 4, Progress::Lines).await.unwrap();
    assert_eq!(report.written, 12);
    assert!(report.skipped.is_empty());
    assert!(report.load_error.is_none());
    assert!(dir.join("schemas/Mine.json").exists(), "schemas are kept");
    let text = std::fs::read_to_string(dir.join("cohorts.json")).unwrap();
    assert!(
        text.starts_with("[\n  {\n    \"id\": "),
        "pretty: {text:.80}"
    );
    let mut cohorts = read(&dir);
    let codes: Vec<u64> = cohorts
        .iter()
        .map(|c| c["code"].as_u64().unwrap())
        .collect();
    assert_eq!(codes, (1001..=1012).collect::<Vec<_>>(), "sorted by code");
    for key in [
        "id",
        "code",
        "name",
        "description",
        "tags",
        "state",
        "segmentType",
        "query",
    ] {
        assert!(cohorts[0].get(key).is_some(), "{key} kept: {}", cohorts[0]);
    }
    let pulled_again = pull(&client, &dir, 1, Progress::Quiet).await.unwrap();
    assert_eq!(pulled_again.written, 12);
    assert_eq!(
        std::fs::read_to_string(dir.join("cohorts.json")).unwrap(),
        text,
        "a pull of an unchanged workspace writes the same bytes (no churn in git)"
    );

    // Edit: a query, a name, a new cohort that reads another new one, one cohort gone.
    by_code(&mut cohorts, 1001)["query"]["frequency"] = json!({"greater_than_or_equal_to": 2});
    by_code(&mut cohorts, 1002)["name"] = json!("Live readers");
    by_code(&mut cohorts, 1004)["state"] = json!("Disabled");
    cohorts.retain(|c| c["code"] != 1012);
    cohorts.push(json!({"code": 9001, "name": "New car clickers",
                        "query": {"has_entered": {"segment": 9000}}}));
    cohorts.push(json!({"code": 9000, "name": "Car clickers", "tags": ["motoring"],
                        "query": {"event": "LinkClick",
                                  "where": {"property": "properties.url", "condition": {"contains": "/cars/"}}}}));
    write(&dir, &cohorts);

    let local = read_local_records(&dir).unwrap();
    let fetched = fetch_all(&client, 4, Progress::Quiet).await.unwrap();
    let comparison = compare(&local, &fetched);
    assert_eq!(comparison.counts(), (2, 1, 3, 8), "{}", comparison.text());
    let text = comparison.text();
    assert!(
        text.contains("@@ query.frequency.greater_than_or_equal_to @@"),
        "{text}"
    );
    assert!(
        text.contains("-     \"greater_than_or_equal_to\": 3"),
        "{text}"
    );
    assert!(
        text.contains("+     \"greater_than_or_equal_to\": 2"),
        "{text}"
    );
    assert!(
        text.contains("renamed \"Live blog readers right now\" → \"Live readers\""),
        "{text}"
    );
    assert!(text.contains("state: Enabled → Disabled"), "{text}");
    assert!(text.contains("- 1012 \"Binge readers\""), "{text}");
    assert!(text.contains("+ 9000 \"Car clickers\""), "{text}");

    let mut heard = Vec::new();
    let report = push(&client, &dir, options(false, true), &mut |line| {
        heard.push(line.to_string())
    })
    .await
    .unwrap();
    assert!(report.error.is_none(), "{}", report.text());
    assert_eq!(report.done.len(), 6, "{}", report.text());
    assert_eq!(heard, report.done);
    assert!(
        report.done[0].starts_with("created 1013 \"Car clickers\""),
        "{:?}",
        report.done
    );
    assert!(
        report.done[1].starts_with("created 1014 \"New car clickers\""),
        "{:?}",
        report.done
    );
    assert!(report.file_updated);

    // The file now knows the created cohorts by their remote ids and codes.
    let local_after = read(&dir);
    let new = local_after
        .iter()
        .find(|c| c["name"] == "New car clickers")
        .unwrap();
    assert_eq!(new["code"], 1014);
    assert_eq!(new["query"]["has_entered"]["segment"], 1013);
    assert!(new["id"].is_string());
    // ... and as a pull would write it: pulling now changes no byte (no churn in git).
    let pushed = std::fs::read_to_string(dir.join("cohorts.json")).unwrap();
    pull(&client, &dir, 4, Progress::Quiet).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("cohorts.json")).unwrap(),
        pushed
    );

    // Pull into a fresh directory: the same cohorts as the pushed file.
    let fresh = temp_dir("fresh");
    pull(&client, &fresh, 4, Progress::Quiet).await.unwrap();
    let strip = |cohorts: Vec<Value>| -> Vec<(Value, Value, Value, Value, Value)> {
        cohorts
            .into_iter()
            .map(|c| {
                let state = c.get("state").cloned().unwrap_or(json!("Enabled"));
                (
                    c["id"].clone(),
                    c["code"].clone(),
                    c["name"].clone(),
                    state,
                    c["query"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(strip(read(&fresh)), strip(local_after));
    let comparison = compare(
        &read_local_records(&dir).unwrap(),
        &fetch_all(&client, 4, Progress::Quiet).await.unwrap(),
    );
    assert!(comparison.is_same(), "{}", comparison.text());

    for d in [&dir, &fresh, &remote_dir] {
        std::fs::remove_dir_all(d).ok();
    }
}

#[tokio::test]
async fn dry_run_changes_nothing_and_prune_is_needed_to_delete() {
    let (remote, remote_dir) = emulator().await;
    let client = client(&remote.base_url());
    let dir = temp_dir("local");
    pull(&client, &dir, 4, Progress::Quiet).await.unwrap();
    let mut cohorts = read(&dir);
    cohorts.retain(|c| c["code"] != 1006 && c["code"] != 1012);
    by_code(&mut cohorts, 1005)["description"] = Value::Null;
    cohorts.push(json!({"code": 9000, "name": "Clickers", "query": {"event": "LinkClick"}}));
    write(&dir, &cohorts);
    let file_before = std::fs::read(dir.join("cohorts.json")).unwrap();
    let remote_before = remote_snapshot(&client).await;

    let report = push_quietly(&client, &dir, options(true, true)).await;
    assert_eq!(
        report.planned,
        [
            "create 9000 \"Clickers\" (the service assigns its id and code)",
            "update 1005 \"Video watchers\": description",
            "delete 1006 \"Newsletter subscribers\"",
            "delete 1012 \"Binge readers\"",
        ]
    );
    assert!(report.done.is_empty());
    assert!(
        report
            .text()
            .contains("would delete 1012 \"Binge readers\""),
        "{}",
        report.text()
    );
    assert_eq!(
        remote_snapshot(&client).await,
        remote_before,
        "dry run: remote unchanged"
    );
    assert_eq!(
        std::fs::read(dir.join("cohorts.json")).unwrap(),
        file_before,
        "file unchanged"
    );

    // Without --prune, remote-only cohorts are kept and said so.
    let report = push_quietly(&client, &dir, options(false, false)).await;
    assert_eq!(report.done.len(), 2, "{}", report.text());
    assert_eq!(report.kept.len(), 2, "{}", report.text());
    let remote_now = remote_snapshot(&client).await;
    assert_eq!(remote_now.len(), 13);
    let video = remote_now.iter().find(|c| c["code"] == 1005).unwrap();
    assert!(
        video.get("description").is_none(),
        "description deleted: {video}"
    );

    let report = push_quietly(&client, &dir, options(false, true)).await;
    assert_eq!(
        report.done,
        [
            "deleted 1006 \"Newsletter subscribers\"",
            "deleted 1012 \"Binge readers\""
        ]
    );
    assert_eq!(remote_snapshot(&client).await.len(), 11);
    for d in [&dir, &remote_dir] {
        std::fs::remove_dir_all(d).ok();
    }
}

/// Given "METHOD /path" and how many requests came before, an injected status or none.
type Rule = Box<dyn Fn(&str, usize) -> Option<u16> + Send + Sync>;

/// A proxy in front of the emulator that answers some requests itself, by rule.
struct FaultProxy {
    upstream: String,
    rule: Rule,
    seen: AtomicUsize,
    log: Mutex<Vec<String>>,
}

async fn forward(
    State(proxy): State<Arc<FaultProxy>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let line = format!("{method} {}", uri.path());
    let n = proxy.seen.fetch_add(1, Ordering::SeqCst);
    if let Some(status) = (proxy.rule)(&line, n) {
        proxy
            .log
            .lock()
            .unwrap()
            .push(format!("{line} -> {status} (injected)"));
        let envelope = json!({"request_id": "injected", "error": {
            "type": "about:blank", "status_code": status, "status": "Injected",
            "code": 5000, "message": "Injected by the test's fault proxy.",
            "docs": "https://developer.permutive.com/reference#errors"}});
        let status = StatusCode::from_u16(status).unwrap();
        return (status, [("retry-after", "0")], envelope.to_string()).into_response();
    }
    let mut request = reqwest::Client::new().request(
        method.as_str().parse().unwrap(),
        format!("{}{}", proxy.upstream, uri),
    );
    for name in ["x-api-key", "content-type"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value.to_str().unwrap());
        }
    }
    let answer = request.body(body).send().await.unwrap();
    let status = answer.status().as_u16();
    proxy
        .log
        .lock()
        .unwrap()
        .push(format!("{line} -> {status}"));
    let text = answer.text().await.unwrap();
    (StatusCode::from_u16(status).unwrap(), text).into_response()
}

async fn fault_proxy(
    upstream: &str,
    rule: impl Fn(&str, usize) -> Option<u16> + Send + Sync + 'static,
) -> (String, Arc<FaultProxy>) {
    let proxy = Arc::new(FaultProxy {
        upstream: upstream.to_string(),
        rule: Box::new(rule),
        seen: AtomicUsize::new(0),
        log: Mutex::new(Vec::new()),
    });
    let app = axum::Router::new()
        .fallback(forward)
        .with_state(proxy.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    (format!("http://{addr}"), proxy)
}

#[tokio::test]
async fn a_429_then_success_is_retried() {
    let (remote, remote_dir) = emulator().await;
    // The list and the first two reads of one cohort are refused once each.
    let refused = Arc::new(Mutex::new(Vec::<String>::new()));
    let refused_in_rule = refused.clone();
    let (url, proxy) = fault_proxy(&remote.base_url(), move |line, _| {
        let mut refused = refused_in_rule.lock().unwrap();
        let first_time = !refused.contains(&line.to_string());
        if first_time && refused.len() < 3 {
            refused.push(line.to_string());
            return Some(429);
        }
        None
    })
    .await;
    let dir = temp_dir("local");
    let report = pull(&client(&url), &dir, 4, Progress::Quiet).await.unwrap();
    assert_eq!(report.written, 12);
    let log = proxy.log.lock().unwrap().clone();
    let injected = log.iter().filter(|l| l.ends_with("(injected)")).count();
    assert_eq!(injected, 3, "{log:#?}");
    // Each refused request was asked again and answered.
    for line in refused.lock().unwrap().iter() {
        assert!(
            log.contains(&format!("{line} -> 200")),
            "{line} retried: {log:#?}"
        );
    }
    for d in [&dir, &remote_dir] {
        std::fs::remove_dir_all(d).ok();
    }
}

#[tokio::test]
async fn an_interrupted_pull_leaves_the_old_file_intact() {
    let (remote, remote_dir) = emulator().await;
    let dir = temp_dir("local");
    std::fs::write(dir.join("cohorts.json"), "[]\n").unwrap();
    // Reads keep failing: retries run out.
    let (url, _proxy) = fault_proxy(&remote.base_url(), |line, n| {
        (line.starts_with("GET /cohorts-api/v2/cohorts/") && n > 3).then_some(503)
    })
    .await;
    let error = pull(&client(&url), &dir, 2, Progress::Quiet)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("503") && error.contains("after 3 tries"),
        "{error}"
    );
    assert!(!error.contains("test-key"), "{error}");
    assert_eq!(
        std::fs::read_to_string(dir.join("cohorts.json")).unwrap(),
        "[]\n"
    );
    for d in [&dir, &remote_dir] {
        std::fs::remove_dir_all(d).ok();
    }
}

#[tokio::test]
async fn a_500_stops_a_push_half_way_with_what_was_done_listed() {
    let (remote, remote_dir) = emulator().await;
    let direct = client(&remote.base_url());
    let dir = temp_dir("local");
    pull(&direct, &dir, 4, Progress::Quiet).await.unwrap();
    let mut cohorts = read(&dir);
    for (code, name) in [(1001, "One"), (1002, "Two"), (1003, "Three")] {
        by_code(&mut cohorts, code)["name"] = json!(name);
    }
    cohorts.push(json!({"code": 9000, "name": "Clickers", "query": {"event": "LinkClick"}}));
    write(&dir, &cohorts);

    // Every PATCH after the first fails with 500.
    let patches = Arc::new(AtomicUsize::new(0));
    let counted = patches.clone();
    let (url, _proxy) = fault_proxy(&remote.base_url(), move |line, _| {
        if line.starts_with("PATCH ") && counted.fetch_add(1, Ordering::SeqCst) >= 1 {
            return Some(500);
        }
        None
    })
    .await;
    let report = push_quietly(&client(&url), &dir, options(false, false)).await;
    let text = report.text();
    assert!(
        report.error.as_ref().is_some_and(|e| e.status == Some(500)),
        "{text}"
    );
    assert_eq!(report.done.len(), 2, "{text}");
    assert!(
        report.done[0].starts_with("created 1013 \"Clickers\""),
        "{text}"
    );
    assert_eq!(report.done[1], "updated 1001 \"One\": name");
    assert_eq!(
        report.not_done,
        ["update 1002 \"Two\": name", "update 1003 \"Three\": name"]
    );
    assert!(text.contains("stopped: 2 of 4 action(s) done:"), "{text}");
    assert!(
        text.contains("  not done: update 1003 \"Three\": name"),
        "{text}"
    );
    // The remote has exactly what was done; the file has the created cohort's id.
    let names: Vec<Value> = remote_snapshot(&direct)
        .await
        .into_iter()
        .filter(|c| [1001, 1002, 1003, 1013].contains(&c["code"].as_u64().unwrap()))
        .map(|c| c["name"].clone())
        .collect();
    assert_eq!(
        names,
        [
            json!("One"),
            json!("Live blog readers right now"),
            json!("Engaged tech readers"),
            json!("Clickers")
        ]
    );
    assert!(report.file_updated);
    let created = read(&dir)
        .into_iter()
        .find(|c| c["name"] == "Clickers")
        .unwrap();
    assert_eq!(created["code"], 1013);

    // Once the service is well again, pushing again finishes the job without duplicates.
    let report = push_quietly(&direct, &dir, options(false, false)).await;
    assert_eq!(
        report.done,
        ["updated 1002 \"Two\": name", "updated 1003 \"Three\": name"],
        "{}",
        report.text()
    );
    assert_eq!(remote_snapshot(&direct).await.len(), 13);
    for d in [&dir, &remote_dir] {
        std::fs::remove_dir_all(d).ok();
    }
}

#[tokio::test]
async fn pull_lists_cohorts_without_a_query_as_skipped() {
    let dir = temp_dir("remote");
    let mut cohorts: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(demo_dir().join("cohorts.json")).unwrap())
            .unwrap();
    cohorts.push(json!({"code": 2001, "name": "Lookalike of football fans",
                        "segmentType": "lookalike"}));
    write(&dir, &cohorts);
    let remote = emulator::spawn(
        EmulatorConfig::new(Workspace::load(&dir).unwrap()),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let local = temp_dir("local");
    let report = pull(&client(&remote.base_url()), &local, 4, Progress::Quiet)
        .await
        .unwrap();
    assert_eq!(report.written, 12);
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(
        report.skipped[0].line(),
        "2001 \"Lookalike of football fans\": no query (a lookalike?)"
    );
    // Not pushed, not pruned: out of the file's reach.
    let push = push_quietly(&client(&remote.base_url()), &local, options(false, true)).await;
    assert!(push.done.is_empty(), "{}", push.text());
    assert_eq!(push.skipped.len(), 1);
    for d in [&dir, &local] {
        std::fs::remove_dir_all(d).ok();
    }
}

#[test]
fn check_reports_every_broken_cohort_with_its_path() {
    let dir = temp_dir("check");
    std::fs::create_dir_all(dir.join("schemas")).unwrap();
    for schema in ["Pageview", "PageviewEngagement"] {
        std::fs::copy(
            demo_dir().join(format!("schemas/{schema}.json")),
            dir.join(format!("schemas/{schema}.json")),
        )
        .unwrap();
    }
    let clean = json!([{"code": 1, "name": "Football", "query": {"event": "Pageview",
        "where": {"property": "properties.article.category", "condition": {"equal_to": "football"}}}}]);
    std::fs::write(dir.join("cohorts.json"), clean.to_string()).unwrap();
    let report = check(&dir);
    assert_eq!(
        (report.errors, report.warnings, report.exit(true)),
        (0, 0, Exit::Passed)
    );

    let cohorts = json!([
        {"code": 1, "name": "Typo in a path", "query": {"event": "Pageview",
            "where": {"property": "properties.article.categroy", "condition": {"equal_to": "football"}}}},
        {"code": 2, "name": "Bad unit", "query": {"event": "Pageview",
            "during": {"the_last": {"value": 3, "unit": "fortnights"}}}},
        {"code": 3, "name": "No schema", "query": {"event": "LinkClick",
            "where": {"property": "properties.url", "condition": {"contains": "/cars/"}}}},
        {"code": 4, "name": "Unknown clause", "query": {"and": [{"event": "Pageview"}, {"visited": "x"}]}},
    ]);
    std::fs::write(dir.join("cohorts.json"), cohorts.to_string()).unwrap();
    let report = check(&dir);
    assert_eq!(report.errors, 2, "{}", report.text());
    assert_eq!(report.warnings, 2, "{}", report.text());
    assert_eq!(report.exit(false), Exit::CouldNotRun);
    let paths: Vec<(String, String)> = report
        .findings
        .iter()
        .map(|f| (f.code.clone().unwrap(), f.path.clone().unwrap()))
        .collect();
    assert!(
        paths.contains(&("2".into(), "$[1].query.during.the_last.unit".into())),
        "{paths:?}"
    );
    assert!(
        paths
            .iter()
            .any(|(c, p)| c == "4" && p.starts_with("$[3].query.and[1]")),
        "{paths:?}"
    );
    assert!(
        paths.contains(&("1".into(), "$[0].query.where.property".into())),
        "{paths:?}"
    );
    assert!(
        paths.contains(&("3".into(), "$[2].query.where".into())),
        "{paths:?}"
    );
    let json: Value = serde_json::from_str(&report.json()).unwrap();
    assert_eq!(json["errors"], 2);
    assert_eq!(json["findings"][0]["severity"], "error");

    // Warnings only: 0, or 1 with --strict.
    let warnings_only = json!([cohorts[0], cohorts[2]]);
    std::fs::write(dir.join("cohorts.json"), warnings_only.to_string()).unwrap();
    let report = check(&dir);
    assert_eq!(
        (report.exit(false), report.exit(true)),
        (Exit::Passed, Exit::Mismatch)
    );

    // The loader's warnings come through too: logic beyond an AND of ORs, a Disabled cohort.
    let loader_warnings = json!([
        {"code": 1, "name": "OR of ANDs", "query": {"or": [
            {"and": [{"event": "Pageview"}, {"event": "PageviewEngagement"}]},
            {"event": "Pageview"}]}},
        {"code": 2, "name": "Switched off", "state": "Disabled", "query": {"event": "Pageview"}},
    ]);
    std::fs::write(dir.join("cohorts.json"), loader_warnings.to_string()).unwrap();
    let report = check(&dir);
    assert_eq!(
        (report.errors, report.warnings),
        (0, 2),
        "{}",
        report.text()
    );
    let found: Vec<(String, String)> = report
        .findings
        .iter()
        .map(|f| (f.path.clone().unwrap(), f.message.clone()))
        .collect();
    assert!(
        found[0].0.starts_with("$[0].query.or[0]") && found[0].1.contains("AND of ORs"),
        "{found:?}"
    );
    assert_eq!(found[1].0, "$[1].state", "{found:?}");
    assert!(found[1].1.starts_with("Disabled"), "{found:?}");

    // A cycle is an error of the whole file; not JSON is an error with line and column.
    let cycle =
        json!([{"code": 1, "query": {"in_segment": 2}}, {"code": 2, "query": {"in_segment": 1}}]);
    std::fs::write(dir.join("cohorts.json"), cycle.to_string()).unwrap();
    let report = check(&dir);
    assert_eq!(report.errors, 1);
    assert!(
        report.findings[0].message.contains("cycle"),
        "{}",
        report.text()
    );
    std::fs::write(dir.join("cohorts.json"), "[\n  {\"code\": 1,}\n]").unwrap();
    let report = check(&dir);
    assert_eq!(
        (report.findings[0].line, report.findings[0].column),
        (Some(2), Some(14))
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Runs the real `segscope` binary; its exit code and stdout.
async fn segscope(args: &[&str]) -> (i32, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_segscope"))
        .args(args)
        .env_remove("PERMUTIVE_API_KEY")
        .output()
        .await
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[tokio::test]
async fn the_commands_exit_codes_and_output() {
    let (remote, remote_dir) = emulator().await;
    let base = remote.base_url();
    let dir = temp_dir("cli");
    let d = dir.to_str().unwrap();
    let remote_args = ["--base-url", base.as_str(), "--api-key", "cli-key"];

    let (code, out) = segscope(&[&["workspace", "pull", d][..], &remote_args].concat()).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("wrote 12 cohorts"), "{out}");
    let (code, out) = segscope(&[&["workspace", "diff", d][..], &remote_args].concat()).await;
    assert_eq!(
        (code, out.trim()),
        (0, "0 added, 0 removed, 0 changed, 12 unchanged")
    );

    let mut cohorts = read(&dir);
    by_code(&mut cohorts, 1001)["name"] = json!("Football lovers");
    write(&dir, &cohorts);
    let (code, out) = segscope(&[&["workspace", "diff", d][..], &remote_args].concat()).await;
    assert_eq!(code, 1, "{out}");
    let (code, out) =
        segscope(&[&["workspace", "push", d, "--dry-run"][..], &remote_args].concat()).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("would update 1001 \"Football lovers\": name"),
        "{out}"
    );
    let (code, out) = segscope(&[&["workspace", "push", d][..], &remote_args].concat()).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("updated 1001 \"Football lovers\": name"),
        "{out}"
    );
    assert!(!out.contains("cli-key"), "{out}");

    let (code, out) = segscope(&["workspace", "check", d, "--format", "json"]).await;
    assert_eq!(code, 0, "{out}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["cohorts"], 12);
    assert!(
        report["warnings"].as_u64().unwrap() > 0,
        "no schemas in DIR: {out}"
    );
    let (code, _) = segscope(&["workspace", "check", d, "--strict"]).await;
    assert_eq!(code, 1);

    let (code, _) = segscope(&["workspace", "pull", d]).await;
    assert_eq!(code, 2, "no key, no base URL: an error, before any request");
    for d in [&dir, &remote_dir] {
        std::fs::remove_dir_all(d).ok();
    }
}

/// Issue 10 §5: the workspace commands fail with a typed error that names the file and keeps
/// its cause as a source; `main` prints the chain on one line, the key in none of it.
#[tokio::test]
async fn errors_name_the_file_and_keep_their_cause() {
    use segscope::workspace::Error;
    let dir = temp_dir("errors");
    let file = dir.join("cohorts.json");

    let error = read_local_records(&dir).unwrap_err();
    let Error::Read { source, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
    assert!(
        error
            .chain()
            .starts_with(&format!("{}: cannot read: ", file.display())),
        "{}",
        error.chain()
    );

    std::fs::write(&file, "[{\"code\": 1,").unwrap();
    let error = read_local_records(&dir).unwrap_err();
    assert!(matches!(error, Error::Parse { .. }), "{error:?}");
    assert!(
        error.chain().starts_with(&format!(
            "{}: not a cohorts file: line 1, column ",
            file.display()
        )),
        "{}",
        error.chain()
    );

    // Parses, but does not load: refused before any request (nothing listens on port 9).
    std::fs::write(
        &file,
        r#"[{"code": 1, "name": "x", "query": {"no_such_operator": 1}}]"#,
    )
    .unwrap();
    let error = push(
        &client("http://127.0.0.1:9"),
        &dir,
        options(false, false),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(error, Error::DoesNotLoad { .. }), "{error:?}");
    assert!(
        error.chain().starts_with(&format!(
            "{}: the local cohorts do not load (`segscope workspace check` lists the errors): cohort 1: ",
            file.display()
        )),
        "{}",
        error.chain()
    );

    // From the command line: exit 2, the chain on stderr, no key.
    std::fs::remove_file(&file).unwrap();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_segscope"))
        .args(["workspace", "diff", dir.to_str().unwrap()])
        .args([
            "--base-url",
            "http://127.0.0.1:9",
            "--api-key",
            "secret-cli-key",
        ])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with(&format!("segscope: {}: cannot read: ", file.display())),
        "{stderr}"
    );
    assert!(!stderr.contains("secret-cli-key"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}
