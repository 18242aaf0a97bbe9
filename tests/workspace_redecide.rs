//! Re-deciding a recorded history under an edited workspace: which calls change, carried
//! through a session, and nothing else.

use segscope::api::{
    ApiKey, CallOutcome, Client, Identity, OpaqueState, SegmentationRequest, Target,
};
use segscope::emulator::{self, EmulatorConfig, Workspace};
use segscope::session::replay::cohorts_of;
use segscope::session::{RecordedState, Recording};
use segscope::workspace::redecide::{PastCall, redecide};
use serde_json::value::RawValue;
use serde_json::{Value, json};

fn pageview(time: &str, category: &str) -> Value {
    json!({"name": "Pageview", "time": time, "properties": {
        "article": {"title": "A story", "category": category},
        "client": {"url": format!("https://www.dailycourier.example/{category}/a-story"),
                   "domain": "www.dailycourier.example"}}})
}

/// Makes a call against the emulator and keeps it as history.
async fn call(
    client: &Client,
    identity: &Identity,
    events: Value,
    state: Option<OpaqueState>,
) -> PastCall {
    let events = RawValue::from_string(events.to_string()).unwrap();
    let request = SegmentationRequest {
        identity: identity.clone(),
        events: events.clone(),
        state: state.clone(),
    };
    let outcome = client.segment(&request, true).await;
    assert!(
        matches!(outcome, CallOutcome::Success { .. }),
        "{}",
        outcome.summary()
    );
    let mut recorded = Recording::from_outcome(&outcome, &cohorts_of(state.as_ref())).unwrap();
    // Keep the whole state (a recording keeps a digest), as the console's history does.
    if let CallOutcome::Success { response, .. } = &outcome {
        recorded.state = Some(RecordedState::Whole(response.state.to_raw()));
    }
    PastCall {
        identity: identity.clone(),
        events,
        state,
        synchronous_validation: true,
        recorded,
    }
}

fn state_of(call: &PastCall) -> Option<OpaqueState> {
    OpaqueState::from_json(call.recorded.state.as_ref().unwrap().whole().unwrap().get()).ok()
}

#[tokio::test]
async fn an_edit_marks_the_calls_it_changes_and_carries_through_the_session() {
    let running = emulator::spawn(
        EmulatorConfig::new(Workspace::demo().unwrap()),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let client = Client::new(Target::new(running.base_url(), Some(ApiKey::new("k"))));
    let fan = Identity::UserId("7f8d5c0e-1a2b-4c3d-8e9f-0a1b2c3d4e5f".into());
    let other = Identity::UserId("0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f".into());

    let mut history = Vec::new();
    history.push(
        call(
            &client,
            &fan,
            json!([pageview("2026-11-01T09:00:00Z", "football")]),
            None,
        )
        .await,
    );
    let s = state_of(&history[0]);
    history.push(
        call(
            &client,
            &fan,
            json!([pageview("2026-11-01T10:00:00Z", "football")]),
            s,
        )
        .await,
    );
    let s = state_of(&history[1]);
    history.push(
        call(
            &client,
            &fan,
            json!([pageview("2026-11-01T11:00:00Z", "football")]),
            s,
        )
        .await,
    );
    history.push(
        call(
            &client,
            &other,
            json!([pageview("2026-11-01T11:30:00Z", "politics")]),
            None,
        )
        .await,
    );
    let s = state_of(&history[2]);
    let signup = json!([{"name": "NewsletterSignup", "time": "2026-11-01T12:00:00Z",
                         "properties": {"newsletter": "morning-briefing"}}]);
    history.push(call(&client, &fan, signup, s).await);
    // Started by hand from the first call's state: not a continuation.
    let s = state_of(&history[0]);
    history.push(
        call(
            &client,
            &fan,
            json!([pageview("2026-11-01T13:00:00Z", "football")]),
            s,
        )
        .await,
    );
    assert_eq!(
        history[2].recorded.entered,
        ["1001", "1009"],
        "three views make a fan"
    );

    // The same workspace decides the same: nothing changes.
    let same = redecide(&history, &Workspace::demo().unwrap());
    assert!(same.iter().all(|r| !r.changed()), "{same:#?}");
    assert_eq!(
        same.iter().map(|r| r.continued).collect::<Vec<_>>(),
        [false, true, true, false, true, false]
    );

    // Edit: two football views are enough.
    let demo = Workspace::demo().unwrap();
    let mut records = demo.records.clone();
    let football = records.iter_mut().find(|r| r.code.key() == "1001").unwrap();
    football.query.as_mut().unwrap()["frequency"] = json!({"greater_than_or_equal_to": 2});
    let edited = demo.with_records(records).unwrap();
    let redecided = redecide(&history, &edited);
    let changed: Vec<usize> = redecided
        .iter()
        .filter(|r| r.changed())
        .map(|r| r.index)
        .collect();
    assert_eq!(changed, [1, 2], "{redecided:#?}");
    assert_eq!(redecided[1].after.entered, ["1001", "1009"]);
    assert_eq!(
        redecided[1].summary(),
        "cohorts +1001 +1009; entered +1001 +1009"
    );
    assert_eq!(redecided[2].after.entered, Vec::<String>::new());
    assert_eq!(redecided[2].summary(), "entered -1001 -1009");
    // The signup continues the re-decided session: same cohorts as recorded.
    assert!(redecided[4].continued && !redecided[4].changed());
    // The hand-started call sends the old state again; its 1001 entry was kept under the old
    // query's checksum, so under the new query the count starts over: one view, not a fan.
    assert!(
        !redecided[5].continued && !redecided[5].changed(),
        "{:#?}",
        redecided[5]
    );
}

#[tokio::test]
async fn a_call_the_new_workspace_rejects_is_marked_with_its_status() {
    let demo = Workspace::demo().unwrap();
    let identity = Identity::UserId("7f8d5c0e-1a2b-4c3d-8e9f-0a1b2c3d4e5f".into());
    // An event the demo has no schema for: rejected with synchronous validation.
    let events = RawValue::from_string(
        json!([{"name": "Purchase", "time": "2026-11-01T09:00:00Z", "properties": {}}]).to_string(),
    )
    .unwrap();
    let call = PastCall {
        identity,
        events,
        state: None,
        synchronous_validation: true,
        recorded: Recording {
            status: 200,
            cohorts: Vec::new(),
            entered: Vec::new(),
            left: Vec::new(),
            error_code: None,
            state: None,
        },
    };
    let redecided = redecide(std::slice::from_ref(&call), &demo);
    assert_eq!(redecided[0].after.status, 400);
    assert_eq!(redecided[0].after.error_code, Some(1002));
    assert!(redecided[0].changed());
    assert!(
        redecided[0]
            .summary()
            .starts_with("status 200 → 400 (code 1002)")
    );
}
