//! The emulator's contract over real loopback HTTP, and the client against it.

use std::sync::{Arc, Mutex};

use segscope::api::{
    ApiKey, CallOutcome, Client, Identity, OpaqueState, SegmentationRequest, Target,
};
use segscope::emulator::{self, EmulatorConfig, RunningEmulator, Workspace};
use serde_json::{Value, json};

const PATH: &str = "/ccs/v1/segmentation/stateless";

async fn start_with(config: EmulatorConfig) -> RunningEmulator {
    emulator::spawn(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("emulator starts")
}

async fn start() -> RunningEmulator {
    start_with(EmulatorConfig::new(
        Workspace::demo().expect("demo workspace loads"),
    ))
    .await
}

/// Posts raw bytes; returns status and body text.
async fn post(base: &str, query: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut req = reqwest::Client::new()
        .post(format!("{base}{PATH}{query}"))
        .body(body.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("request reaches the emulator");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

async fn post_keyed(base: &str, body: &str) -> (u16, String) {
    post(
        base,
        "?synchronous-validation=true",
        &[("x-api-key", "test-key")],
        body,
    )
    .await
}

fn envelope(body: &str) -> Value {
    let v: Value = serde_json::from_str(body).expect("error body is JSON");
    assert!(
        v["request_id"].as_str().is_some_and(|s| !s.is_empty()),
        "{body}"
    );
    for field in ["type", "status_code", "status", "code", "message", "docs"] {
        assert!(
            !v["error"][field].is_null(),
            "error.{field} missing in {body}"
        );
    }
    v["error"].clone()
}

fn pageview(time: &str, category: &str) -> Value {
    json!({
        "name": "Pageview",
        "time": time,
        "properties": {
            "article": {"title": "A match report", "category": category},
            "client": {"url": format!("https://www.dailycourier.example/{category}/x"), "domain": "www.dailycourier.example"}
        }
    })
}

/// The example request of Permutive's docs page, as published.
fn seed_example() -> String {
    let doc = include_str!("../fixtures/reference/stateless-segmentation-api.txt");
    let start = doc.find("--data '\n").expect("example body") + "--data '\n".len();
    let end = start + doc[start..].find("\n'\n").expect("end of example body");
    doc[start..end].to_string()
}

#[tokio::test]
async fn seed_example_keeps_unknown_cohorts_untouched() {
    let emu = start().await;
    let body = seed_example();
    let (status, text) = post(&emu.base_url(), "?k=anything", &[], &body).await;
    assert_eq!(status, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["user_id"], "2008c38f-dece-4570-976d-87593ed001c3");
    assert_eq!(
        v["state"]["internal_state"]["12345"],
        json!({"0c8b70cdb7": ["p", 1]})
    );
    assert_eq!(
        v["state"]["external_state"]["67890"],
        json!({"0c8b70cdb7": ["p", 1]})
    );
    let cohorts = v["state"]["cohorts"].as_array().unwrap();
    assert!(cohorts.contains(&json!("12345")) && cohorts.contains(&json!("67890")));
}

#[tokio::test]
async fn key_rules() {
    let mut config = EmulatorConfig::new(Workspace::demo().unwrap());
    config.api_keys = vec!["good-key".into()];
    let emu = start_with(config).await;
    let body = json!({"user_id": "2008c38f-dece-4570-976d-87593ed001c3", "events": []}).to_string();
    let base = emu.base_url();

    let (status, text) = post(&base, "", &[], &body).await;
    assert_eq!(status, 401);
    assert_eq!(envelope(&text)["code"], 2004);

    let (status, text) = post(&base, "", &[("x-api-key", "bad-key")], &body).await;
    assert_eq!(status, 401);
    let error = envelope(&text);
    assert_eq!(error["code"], 2000);
    assert_eq!(error["message"], "The API key provided is invalid.");
    assert_eq!(error["cause"], "This key does not exist.");

    assert_eq!(
        post(&base, "", &[("x-api-key", "good-key")], &body).await.0,
        200
    );
    assert_eq!(post(&base, "?k=good-key", &[], &body).await.0, 200);
    assert_eq!(post(&base, "?k=bad-key", &[], &body).await.0, 401);
}

#[tokio::test]
async fn any_non_empty_key_without_a_key_list() {
    let emu = start().await;
    let body = json!({"user_id": "2008c38f-dece-4570-976d-87593ed001c3"}).to_string();
    assert_eq!(
        post(&emu.base_url(), "?k=whatever", &[], &body).await.0,
        200
    );
    assert_eq!(post(&emu.base_url(), "?k=", &[], &body).await.0, 401);
}

#[tokio::test]
async fn malformed_bodies_are_400_naming_the_problem() {
    let emu = start().await;
    let base = emu.base_url();
    let cases: &[(&str, &str)] = &[
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not structured as expected"),
        (
            r#"{"user_id": "2008c38f-dece-4570-976d-87593ed001c3", "events": {"a": 1}}"#,
            "\"events\"",
        ),
        (
            r#"{"user_id": "2008c38f-dece-4570-976d-87593ed001c3", "state": {"external_state": {}}}"#,
            "state.internal_state",
        ),
        (
            r#"{"user_id": "2008c38f-dece-4570-976d-87593ed001c3", "state": {"internal_state": [], "external_state": {}}}"#,
            "state.internal_state",
        ),
        (r#"{"user_id": 42}"#, "\"user_id\""),
    ];
    for (body, needle) in cases {
        let (status, text) = post_keyed(&base, body).await;
        assert_eq!(status, 400, "{body} -> {text}");
        let error = envelope(&text);
        assert_eq!(error["code"], 1002, "{text}");
        assert!(
            error["message"].as_str().unwrap().contains(needle),
            "{body}: {text}"
        );
    }
    let (status, text) = post_keyed(&base, "").await;
    assert_eq!(status, 400);
    assert_eq!(envelope(&text)["code"], 1003);
}

#[tokio::test]
async fn identity_rules() {
    let emu = start().await;
    let base = emu.base_url();
    let uid = "2008c38f-dece-4570-976d-87593ed001c3";

    let (status, text) = post_keyed(&base, r#"{"events": []}"#).await;
    assert_eq!(status, 400);
    assert!(text.contains("exactly one of"));

    let both = json!({"user_id": uid, "alias": {"tag": "email_sha256", "id": "abc"}}).to_string();
    assert_eq!(post_keyed(&base, &both).await.0, 400);

    let nulls = json!({"user_id": uid, "alias": null, "aliases": null}).to_string();
    assert_eq!(post_keyed(&base, &nulls).await.0, 200);

    let bad = json!({"user_id": "not-a-uuid"}).to_string();
    let (status, text) = post_keyed(&base, &bad).await;
    assert_eq!(status, 400);
    assert!(text.contains("not a valid UUID"));

    let alias = json!({"alias": {"tag": "email_sha256", "id": "abc"}}).to_string();
    let (status, first) = post_keyed(&base, &alias).await;
    assert_eq!(status, 200);
    let (_, second) = post_keyed(&base, &alias).await;
    let first: Value = serde_json::from_str(&first).unwrap();
    let second: Value = serde_json::from_str(&second).unwrap();
    assert_eq!(
        first["user_id"], second["user_id"],
        "alias resolves deterministically"
    );
    let id = first["user_id"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 5);
    assert_eq!(id, emulator::contract::alias_user_id("email_sha256", "abc"));

    let aliases = json!({"aliases": [
        {"tag": "crm", "id": "u-9", "priority": 3},
        {"tag": "email_sha256", "id": "abc", "priority": 0}
    ]})
    .to_string();
    let (status, text) = post_keyed(&base, &aliases).await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["user_id"], first["user_id"], "the priority-0 alias wins");

    let (status, _) = post_keyed(&base, r#"{"aliases": []}"#).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn event_rules() {
    let emu = start().await;
    let base = emu.base_url();
    let uid = "2008c38f-dece-4570-976d-87593ed001c3";
    let eleven: Vec<Value> = (0..11)
        .map(|i| pageview(&format!("2026-01-01T10:00:{i:02}Z"), "football"))
        .collect();
    let (status, text) = post_keyed(
        &base,
        &json!({"user_id": uid, "events": eleven}).to_string(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("at most 10"), "{text}");

    let mut no_name = pageview("2026-01-01T10:00:00Z", "news");
    no_name.as_object_mut().unwrap().remove("name");
    let mut no_props = pageview("2026-01-01T10:00:00Z", "news");
    no_props.as_object_mut().unwrap().remove("properties");
    let mut no_time = pageview("2026-01-01T10:00:00Z", "news");
    no_time.as_object_mut().unwrap().remove("time");
    let bad_time = pageview("yesterday at noon", "news");
    let cases = [
        (no_name, "events[1].name"),
        (no_props, "events[1].properties"),
        (no_time, "events[1].time"),
        (bad_time, "events[1].time is not an RFC 3339"),
    ];
    for (event, needle) in cases {
        let events = json!([pageview("2026-01-01T09:00:00Z", "news"), event]);
        let (status, text) = post_keyed(
            &base,
            &json!({"user_id": uid, "events": events}).to_string(),
        )
        .await;
        assert_eq!(status, 400, "{text}");
        assert!(text.contains(needle), "expected {needle} in {text}");
    }
}

#[tokio::test]
async fn synchronous_validation_lists_every_violation() {
    let emu = start().await;
    let base = emu.base_url();
    let mut bad = pageview("2026-01-01T10:00:00Z", "football");
    bad["properties"]["invalid_key"] = json!(1);
    bad["properties"]["article"]["category"] = json!(7);
    let unknown = json!({"name": "Teleport", "time": "2026-01-01T10:00:01Z", "properties": {}});
    let body = json!({
        "user_id": "2008c38f-dece-4570-976d-87593ed001c3",
        "events": [pageview("2026-01-01T09:00:00Z", "news"), bad, unknown]
    })
    .to_string();

    let (status, text) = post(
        &base,
        "?synchronous-validation=true",
        &[("x-api-key", "k")],
        &body,
    )
    .await;
    assert_eq!(status, 400);
    let error = envelope(&text);
    let message = error["message"].as_str().unwrap();
    let lines: Vec<&str> = message
        .lines()
        .filter(|l| l.starts_with("events["))
        .collect();
    assert_eq!(lines.len(), 3, "{message}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("events[1]: /properties: ") && l.contains("invalid_key"))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("events[1]: /properties/article/category: "))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("events[2]: ") && l.contains("Teleport"))
    );

    // The API's default is asynchronous validation: segmentation runs.
    assert_eq!(post(&base, "", &[("x-api-key", "k")], &body).await.0, 200);
    assert_eq!(
        post(
            &base,
            "?synchronous-validation=false",
            &[("x-api-key", "k")],
            &body
        )
        .await
        .0,
        200
    );
    let (status, text) = post(
        &base,
        "?synchronous-validation=maybe",
        &[("x-api-key", "k")],
        &body,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(envelope(&text)["code"], 1000);
}

#[tokio::test]
async fn unknown_cohorts_pass_through_byte_for_byte_and_cohorts_are_sorted() {
    let emu = start().await;
    let state = r#"{"internal_state":{"99999":{"zz":["p",9007199254740993],"aa":[1.0,2.50]},"12345":{"0c8b70cdb7":["p",1]}},"external_state":{"67890":{"0c8b70cdb7":["m",1.0e3]},"2":{}},"cohorts":["67890","12345","12345","99999"],"future_field":{"b":1,"a":2}}"#;
    let body = format!(
        r#"{{"user_id":"2008c38f-dece-4570-976d-87593ed001c3","events":[],"state":{state}}}"#
    );
    let (status, text) = post_keyed(&emu.base_url(), &body).await;
    assert_eq!(status, 200, "{text}");
    assert!(
        text.contains(r#""99999":{"zz":["p",9007199254740993],"aa":[1.0,2.50]}"#),
        "{text}"
    );
    assert!(text.contains(r#""12345":{"0c8b70cdb7":["p",1]}"#), "{text}");
    assert!(
        text.contains(r#""external_state":{"67890":{"0c8b70cdb7":["m",1.0e3]},"2":{}}"#),
        "{text}"
    );
    assert!(text.contains(r#""future_field":{"b":1,"a":2}"#), "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["state"]["cohorts"], json!(["12345", "67890", "99999"]));
}

#[tokio::test]
async fn size_path_and_method_errors_use_the_envelope() {
    let emu = start().await;
    let base = emu.base_url();
    let huge = format!(
        r#"{{"user_id":"{}","pad":"{}"}}"#,
        uuid::Uuid::new_v4(),
        "x".repeat(11 << 20)
    );
    let (status, text) = post_keyed(&base, &huge).await;
    assert_eq!(status, 413);
    assert_eq!(envelope(&text)["status_code"], 413);

    let resp = reqwest::get(format!("{base}/nope")).await.unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    assert_eq!(envelope(&resp.text().await.unwrap())["code"], 3000);

    let resp = reqwest::get(format!("{base}{PATH}")).await.unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    envelope(&resp.text().await.unwrap());
}

#[tokio::test]
async fn workspace_errors_name_the_file_and_position() {
    let dir = std::env::temp_dir().join(format!("segscope-ws-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("schemas")).unwrap();
    std::fs::write(
        dir.join("cohorts.json"),
        "[\n  {\"code\": 1, \"name\": \"x\",\n   \"query\": {}\n  ,]\n",
    )
    .unwrap();
    let err = Workspace::load(&dir).unwrap_err().to_string();
    assert!(
        err.contains("cohorts.json") && err.contains("line 4"),
        "{err}"
    );

    std::fs::write(dir.join("cohorts.json"), "[]").unwrap();
    std::fs::write(
        dir.join("schemas/Pageview.json"),
        "{\"type\": \"object\",\n\"properties\": }",
    )
    .unwrap();
    let err = Workspace::load(&dir).unwrap_err().to_string();
    assert!(
        err.contains("Pageview.json") && err.contains("line 2"),
        "{err}"
    );

    std::fs::write(dir.join("schemas/Pageview.json"), r#"{"type": "objekt"}"#).unwrap();
    let err = Workspace::load(&dir).unwrap_err().to_string();
    assert!(
        err.contains("Pageview.json") && err.contains("not a valid JSON Schema"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

// ---- the client ----

fn request_with_state(state: Option<OpaqueState>) -> SegmentationRequest {
    SegmentationRequest {
        identity: Identity::UserId("2008c38f-dece-4570-976d-87593ed001c3".into()),
        events: serde_json::value::RawValue::from_string(
            json!([pageview("2026-01-01T10:00:00Z", "football")]).to_string(),
        )
        .unwrap(),
        state,
    }
}

#[tokio::test]
async fn client_threads_state_byte_for_byte() {
    // A server that answers with an oddly written state and records what it was sent.
    let odd_state = "{\n  \"zeta\": 1, \"internal_state\": {\"5\": {\"abc\": [\"p\", 18446744073709551615]}},\n  \"external_state\": {\"7\": [1.0, 2.000, -0.0, 1e400]}, \"cohorts\": [\"5\"], \"x\": {\"b\": 1, \"a\": 2}\n}";
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let app = {
        let seen = seen.clone();
        let reply =
            format!(r#"{{"user_id":"2008c38f-dece-4570-976d-87593ed001c3","state":{odd_state}}}"#);
        axum::Router::new().route(
            PATH,
            axum::routing::post(move |body: String| {
                let seen = seen.clone();
                let reply = reply.clone();
                async move {
                    seen.lock().unwrap().push(body);
                    reply
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let client = Client::new(Target::new(
        format!("http://{addr}"),
        Some(ApiKey::new("k-123456789012")),
    ));
    let first = client.segment(&request_with_state(None), true).await;
    let CallOutcome::Success { response, .. } = first else {
        panic!("expected success, got {first:?}")
    };
    assert_eq!(response.state.as_str(), odd_state);
    let second = client
        .segment(&request_with_state(Some(response.state)), true)
        .await;
    assert!(matches!(second, CallOutcome::Success { .. }), "{second:?}");
    let sent = seen.lock().unwrap()[1].clone();
    assert!(
        sent.contains(&format!("\"state\":{odd_state}")),
        "state was rewritten: {sent}"
    );
}

#[tokio::test]
async fn client_against_the_emulator_parses_errors() {
    let emu = start().await;
    let client = Client::new(Target::new(
        emu.base_url(),
        Some(ApiKey::new("any-key-at-all")),
    ));
    let mut request = request_with_state(None);
    request.events =
        serde_json::value::RawValue::from_string(r#"[{"name": "Pageview"}]"#.into()).unwrap();
    match client.segment(&request, true).await {
        CallOutcome::ApiError {
            status: 400,
            envelope: Some(env),
            ..
        } => {
            assert_eq!(env.error.code, 1002);
            assert!(env.error.message.contains("events[0].time"));
        }
        other => panic!("expected a 400 envelope, got {other:?}"),
    }
    let ok = client.segment(&request_with_state(None), true).await;
    assert!(
        matches!(ok, CallOutcome::Success { status: 200, .. }),
        "{ok:?}"
    );
}

#[tokio::test]
async fn the_key_never_shows_in_errors_or_debug() {
    let key = "sk_live_SECRET_0123456789";
    // Nothing listens on this port: the connection is refused. The key is in the URL too, as a
    // careless `--base-url` would put it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let target = Target::new(
        format!("http://127.0.0.1:{port}/?k={key}"),
        Some(ApiKey::new(key)),
    );
    let client = Client::new(target.clone());
    let outcome = client.segment(&request_with_state(None), true).await;
    let CallOutcome::Transport { ref message, .. } = outcome else {
        panic!("expected a transport error, got {outcome:?}")
    };
    assert!(message.contains("could not connect"), "{message}");
    for text in [
        message.clone(),
        outcome.summary(),
        format!("{outcome:?}"),
        format!("{client:?}"),
        format!("{target:?}"),
        target.describe(),
        format!("{:?}", ApiKey::new(key)),
        ApiKey::new(key).to_string(),
    ] {
        assert!(!text.contains(key), "key leaked: {text}");
        assert!(!text.contains("SECRET"), "part of the key leaked: {text}");
    }
    assert_eq!(ApiKey::new(key).masked(), "****6789");
}

#[tokio::test]
async fn explain_and_workspace_endpoints() {
    let emu = start().await;
    let client = Client::new(Target::new(
        emu.base_url(),
        Some(ApiKey::new(emulator::EMBEDDED_KEY)),
    ));
    let tree = client
        .explain(&request_with_state(None))
        .await
        .expect("explain answers");
    assert_eq!(tree["user_id"], "2008c38f-dece-4570-976d-87593ed001c3");
    let ws = client
        .get_json("/_segscope/workspace")
        .await
        .expect("workspace answers");
    assert!(ws["cohorts"].as_array().unwrap().len() >= 8);
    assert!(ws["events"]["Pageview"].is_object());
}

async fn start_faulty(spec: &str) -> RunningEmulator {
    let mut config = EmulatorConfig::new(Workspace::demo().unwrap());
    config.fault = emulator::Fault::parse(spec).unwrap();
    start_with(config).await
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_server_survives() {
    let emu = start_faulty("panic_rate=1").await;
    let body = json!({"user_id": "2008c38f-dece-4570-976d-87593ed001c3"}).to_string();
    for _ in 0..3 {
        let (status, text) = post_keyed(&emu.base_url(), &body).await;
        assert_eq!(status, 500);
        assert_eq!(envelope(&text)["code"], 5000);
    }
    // Other routes of the same server still answer.
    let resp = reqwest::get(format!("{}/_segscope/workspace", emu.base_url()))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test]
async fn injected_errors_and_dropped_connections_reach_the_client_as_such() {
    let emu = start_faulty("error_rate=1,status=503").await;
    let client = Client::new(Target::new(
        emu.base_url(),
        Some(ApiKey::new("test-key-1234")),
    ));
    match client.segment(&request_with_state(None), true).await {
        CallOutcome::ApiError {
            status: 503,
            envelope: Some(env),
            ..
        } => {
            assert_eq!(env.error.status, "Service Unavailable")
        }
        other => panic!("expected an injected 503, got {other:?}"),
    }
    let emu = start_faulty("drop_rate=1").await;
    let client = Client::new(Target::new(
        emu.base_url(),
        Some(ApiKey::new("test-key-1234")),
    ));
    match client.segment(&request_with_state(None), true).await {
        CallOutcome::Transport { message, .. } => assert!(message.contains("broke"), "{message}"),
        other => panic!("expected a cut connection, got {other:?}"),
    }
}

#[tokio::test]
async fn a_slow_target_times_out_with_a_clear_message() {
    let emu = start_faulty("latency=2s").await;
    let mut target = Target::new(emu.base_url(), Some(ApiKey::new("test-key-1234")));
    target.timeout = std::time::Duration::from_millis(200);
    let client = Client::new(target);
    match client.segment(&request_with_state(None), true).await {
        CallOutcome::Transport { kind, message, .. } => {
            assert_eq!(kind, segscope::api::TransportKind::Timeout);
            assert!(message.contains("timed out"), "{message}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn after_a_dropped_connection_the_next_call_works() {
    // Half the answers are cut off mid-body. The same client must recover: a dropped connection
    // is not reused, and a later call succeeds.
    let emu = start_faulty("drop_rate=0.5").await;
    let client = Client::new(Target::new(
        emu.base_url(),
        Some(ApiKey::new("test-key-1234")),
    ));
    let mut dropped = 0;
    let mut recovered = false;
    for _ in 0..64 {
        match client.segment(&request_with_state(None), true).await {
            CallOutcome::Transport { .. } => dropped += 1,
            CallOutcome::Success { .. } if dropped > 0 => {
                recovered = true;
                break;
            }
            _ => {}
        }
    }
    assert!(dropped > 0, "the fault never fired");
    assert!(recovered, "no call succeeded after a dropped connection");
}
