//! What the files hold: the snapshot (`File`), the journal's records (a call, or the head), and
//! the way back from them to calls, including the restore that drops what cannot be read.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::api::{
    CallOutcome, ErrorEnvelope, OpaqueState, SegmentationRequest, SegmentationResponse,
    TransportKind,
};
use crate::console::call::{Call, EventsLayout, PendingCall};
use crate::console::model::Model;
use crate::console::model::lineage::Lineage;
use crate::session::SessionIdentity;

/// The format tag of the file.
pub const FORMAT: &str = "segscope-autosave/1";

/// One line of the journal.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Record {
    /// A finished call, appended once.
    Call(SavedCall),
    /// Everything but the history, as it is now (the last one wins).
    Head(Head),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Head {
    saved_at: jiff::Timestamp,
    editor: String,
    identity: SessionIdentity,
    sync_validation: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state: Option<Box<RawValue>>,
    session_id: String,
    #[serde(default)]
    lineage: Lineage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) selected: Option<usize>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    format: String,
    saved_at: jiff::Timestamp,
    /// Where the calls went (scrubbed of the key); informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    editor: String,
    identity: SessionIdentity,
    sync_validation: bool,
    /// The state the next call sends, exactly as the API returned it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state: Option<Box<RawValue>>,
    session_id: String,
    /// Read one by one: a call that cannot be read is dropped alone.
    history: Vec<Box<RawValue>>,
    #[serde(default)]
    lineage: Lineage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    selected: Option<usize>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SavedCall {
    /// The request's `events` as sent. (Files written before a call held each datum once have
    /// the editor's text here, blank space around it and all: it reads back the same, since
    /// that text, trimmed, is what was sent.)
    events: String,
    /// How the editor showed them, when not as typed (an F8 step: pretty).
    #[serde(default, skip_serializing_if = "is_as_typed")]
    layout: EventsLayout,
    event_count: usize,
    identity: SessionIdentity,
    sync_validation: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state_before: Option<Box<RawValue>>,
    sent_at: jiff::Timestamp,
    outcome: SavedOutcome,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum SavedOutcome {
    Success {
        status: u16,
        latency_ms: f64,
        body: String,
    },
    ApiError {
        status: u16,
        latency_ms: f64,
        body: String,
    },
    Transport {
        latency_ms: f64,
        transport: String,
        message: String,
    },
}

fn is_as_typed(layout: &EventsLayout) -> bool {
    *layout == EventsLayout::AsTyped
}

fn raw(state: Option<&OpaqueState>) -> Option<Box<RawValue>> {
    state.map(|s| s.to_raw())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub(crate) fn saved_call(call: &Call) -> SavedCall {
    let outcome = match &call.outcome {
        CallOutcome::Success {
            status,
            latency,
            raw_body,
            ..
        } => SavedOutcome::Success {
            status: *status,
            latency_ms: ms(*latency),
            body: raw_body.to_string(),
        },
        CallOutcome::ApiError {
            status,
            latency,
            raw_body,
            ..
        } => SavedOutcome::ApiError {
            status: *status,
            latency_ms: ms(*latency),
            body: raw_body.to_string(),
        },
        CallOutcome::Transport {
            latency,
            kind,
            message,
        } => SavedOutcome::Transport {
            latency_ms: ms(*latency),
            transport: match kind {
                TransportKind::Timeout => "timeout",
                TransportKind::Connect => "connect",
                TransportKind::Body => "body",
                TransportKind::Other => "other",
                TransportKind::Cancelled => "cancelled",
            }
            .into(),
            message: message.clone(),
        },
    };
    SavedCall {
        events: call.events().to_string(),
        layout: call.events_layout,
        event_count: call.event_count,
        identity: SessionIdentity::from_identity(call.identity()),
        sync_validation: call.sync_validation,
        state_before: raw(call.state_before()),
        sent_at: call.sent_at,
        outcome,
    }
}

/// The snapshot's text for the console as it is now (everything: for the compaction on start and
/// exit, never on every change).
pub fn serialise(app: &Model) -> String {
    snapshot(super::target::saved_target(app), head(app), &app.history)
}

/// The snapshot's text: the head, and the history.
pub(crate) fn snapshot(target: String, head: Head, history: &[Call]) -> String {
    let file = File {
        format: FORMAT.into(),
        saved_at: head.saved_at,
        target: Some(target),
        editor: head.editor,
        identity: head.identity,
        sync_validation: head.sync_validation,
        state: head.state,
        session_id: head.session_id,
        history: history
            .iter()
            .filter_map(|c| serde_json::value::to_raw_value(&saved_call(c)).ok())
            .collect(),
        lineage: head.lineage,
        selected: head.selected,
    };
    // The key has no field here and lives only in the client: the text is written as it is,
    // never searched for the key and rewritten (that changed events that contain its text).
    serde_json::to_string_pretty(&file).unwrap_or_default()
}

/// Everything but the history, as it is now. Its time is the injected clock's.
pub(crate) fn head(app: &Model) -> Head {
    Head {
        saved_at: app.options.time.now(),
        editor: app.editor.text(),
        identity: SessionIdentity::from_identity(&app.identity),
        sync_validation: app.sync_validation,
        state: raw(app.state.as_ref()),
        session_id: app.session_id.clone(),
        lineage: app.lineage.clone(),
        selected: app.selected,
    }
}

/// One journal line (with its newline).
pub(crate) fn line(record: &Record) -> String {
    let mut text = serde_json::to_string(record).unwrap_or_default();
    text.push('\n');
    text
}

fn rebuild(saved: SavedCall, id: u64) -> Result<Call, String> {
    let identity = saved.identity.to_identity()?;
    let state_before = saved.state_before.as_deref().map(OpaqueState::from_raw);
    let events = RawValue::from_string(saved.events.trim().to_string())
        .map_err(|e| format!("a call's events are not JSON: {e}"))?;
    // An absurd latency (1e308 ms, NaN) makes the call unreadable, not the console panic.
    let latency = |ms: f64| {
        Duration::try_from_secs_f64((ms / 1000.0).max(0.0))
            .map_err(|_| format!("a call's latency_ms {ms} is not a duration"))
    };
    let outcome = match saved.outcome {
        SavedOutcome::Success {
            status,
            latency_ms,
            body,
        } => {
            let body: std::sync::Arc<str> = body.into();
            let response = SegmentationResponse::parse(&body)
                .map_err(|e| format!("a saved response is not a segmentation response: {e}"))?;
            CallOutcome::Success {
                status,
                latency: latency(latency_ms)?,
                response,
                raw_body: body,
            }
        }
        SavedOutcome::ApiError {
            status,
            latency_ms,
            body,
        } => CallOutcome::ApiError {
            status,
            latency: latency(latency_ms)?,
            envelope: ErrorEnvelope::parse(&body),
            raw_body: body.into(),
        },
        SavedOutcome::Transport {
            latency_ms,
            transport,
            message,
        } => CallOutcome::Transport {
            latency: latency(latency_ms)?,
            kind: match transport.as_str() {
                "timeout" => TransportKind::Timeout,
                "connect" => TransportKind::Connect,
                "body" => TransportKind::Body,
                "cancelled" => TransportKind::Cancelled,
                _ => TransportKind::Other,
            },
            message,
        },
    };
    let pending = PendingCall {
        id,
        events_layout: saved.layout,
        event_count: saved.event_count,
        sync_validation: saved.sync_validation,
        sent_at: saved.sent_at,
        request: SegmentationRequest {
            identity,
            events,
            state: state_before,
        },
    };
    // Rendered when selected (see `detail.rs`): a restore of thousands of calls stays fast.
    Ok(Call::complete(pending, outcome))
}

/// What a restore found.
pub struct Restored {
    /// The calls read back (their ids are numbered from 1: the update step gives them its own).
    pub history: Vec<Call>,
    /// The latest head (`None`: the files had none; the console keeps its own).
    pub head: Option<Head>,
    /// Calls (or journal records) that could not be read and were dropped.
    pub dropped: usize,
    /// The journal's last line was cut short (a kill mid-write) and was dropped.
    pub torn: bool,
    pub target: Option<String>,
    pub saved_at: Option<jiff::Timestamp>,
}

impl std::fmt::Debug for Restored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Restored")
            .field("calls", &self.history.len())
            .field("dropped", &self.dropped)
            .field("torn", &self.torn)
            .finish()
    }
}

impl Head {
    /// The head's identity, as the console uses it.
    pub(crate) fn identity(&self) -> Result<crate::api::Identity, String> {
        self.identity.to_identity()
    }

    /// Puts the head into the model: editor, identity (unless unreadable: `false`), validation
    /// flag, state, session id, lineage, selection (of `calls` calls).
    pub(crate) fn apply(self, app: &mut Model, calls: usize) -> bool {
        let identity_read = match self.identity.to_identity() {
            Ok(identity) => {
                app.identity = identity;
                true
            }
            Err(_) => false,
        };
        app.editor.set_text(&self.editor);
        app.sync_validation = self.sync_validation;
        app.state = self.state.as_deref().map(OpaqueState::from_raw);
        app.session_id = self.session_id;
        app.lineage = self.lineage;
        app.selected = self
            .selected
            .filter(|i| *i < calls)
            .or(calls.checked_sub(1));
        identity_read
    }
}

/// Reads a snapshot (if any) and a journal (if any). Fails only when the snapshot as a whole
/// cannot be read; a call that cannot be read is dropped alone.
pub fn restore(snapshot: Option<&str>, journal: Option<&str>) -> Result<Restored, String> {
    let mut history = Vec::new();
    let mut dropped = 0;
    let mut latest: Option<Head> = None;
    let mut target = None;
    let mut ids = 0..;
    if let Some(text) = snapshot {
        let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if file.format != FORMAT {
            return Err(format!(
                "format \"{}\" is not \"{FORMAT}\"",
                file.format.chars().take(40).collect::<String>()
            ));
        }
        for saved in &file.history {
            let call = serde_json::from_str::<SavedCall>(saved.get())
                .map_err(|e| e.to_string())
                .and_then(|saved| rebuild(saved, ids.next().unwrap_or_default() + 1));
            match call {
                Ok(call) => history.push(call),
                Err(_) => dropped += 1,
            }
        }
        target = file.target;
        latest = Some(Head {
            saved_at: file.saved_at,
            editor: file.editor,
            identity: file.identity,
            sync_validation: file.sync_validation,
            state: file.state,
            session_id: file.session_id,
            lineage: file.lineage,
            selected: file.selected,
        });
    }
    let mut torn = false;
    if let Some(text) = journal {
        let mut lines: Vec<&str> = text.split('\n').collect();
        // Text after the last newline is a record cut short by a kill mid-write.
        if lines.pop().is_some_and(|tail| !tail.trim().is_empty()) {
            torn = true;
        }
        for record in lines.iter().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str::<Record>(record) {
                Ok(Record::Call(saved)) => {
                    match rebuild(saved, ids.next().unwrap_or_default() + 1) {
                        Ok(call) => history.push(call),
                        Err(_) => dropped += 1,
                    }
                }
                Ok(Record::Head(head)) => latest = Some(head),
                Err(_) => dropped += 1,
            }
        }
    }
    if latest.as_ref().is_some_and(|h| h.identity().is_err()) {
        dropped += 1;
    }
    let saved_at = latest.as_ref().map(|h| h.saved_at);
    Ok(Restored {
        history,
        head: latest,
        dropped,
        torn,
        target,
        saved_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session step's call (F8) sends its recording's bytes and shows them pretty: restored,
    /// it holds the bytes it sent (not the pretty text), and the editor's text is still pretty.
    #[test]
    fn a_step_s_call_restores_the_bytes_it_sent() {
        let recorded =
            r#"[{"name":"Pageview","time":"2026-11-27T10:00:00Z","properties":{ "a" : 1.50 }}]"#;
        let pending = PendingCall {
            id: 1,
            events_layout: EventsLayout::Pretty,
            event_count: 1,
            sync_validation: true,
            sent_at: "2026-11-27T10:00:00Z".parse().unwrap(),
            request: SegmentationRequest {
                identity: crate::api::Identity::UserId("u".into()),
                events: RawValue::from_string(recorded.into()).unwrap(),
                state: None,
            },
        };
        let call = Call::complete(
            pending,
            CallOutcome::Transport {
                latency: Duration::from_millis(5),
                kind: TransportKind::Connect,
                message: "refused".into(),
            },
        );
        let journal = line(&Record::Call(saved_call(&call)));
        let restored = restore(None, Some(&journal)).unwrap();
        let [back] = &restored.history[..] else {
            panic!("one call, not {}", restored.history.len());
        };
        assert_eq!(back.events(), recorded);
        assert!(back.request_body().contains(recorded));
        assert_eq!(back.events_layout, EventsLayout::Pretty);
        assert_eq!(back.events_text(), crate::json::pretty(recorded));
        assert!(back.events_text().contains("\n"));
    }

    /// An autosave (snapshot and journal) written by the code of 2026-11-27, before a `Call`
    /// held each datum once: it still restores, byte for byte, and writes back the same text.
    #[test]
    fn an_autosave_written_before_still_restores() {
        let snapshot_text = include_str!("../../../fixtures/autosave/written-2026-11-27.json");
        let journal_text = include_str!("../../../fixtures/autosave/written-2026-11-27.journal");
        let restored = restore(Some(snapshot_text), Some(journal_text)).unwrap();
        assert_eq!((restored.dropped, restored.torn), (0, false));
        let [first, second] = &restored.history[..] else {
            panic!("two calls, not {}", restored.history.len());
        };
        // The state sent is the one saved, byte for byte (spaces and `1.50` kept).
        let sent = r#"{ "cohorts" : ["1001", 7], "internal_state":{"x": 1.50} }"#;
        assert_eq!(first.state_before().map(OpaqueState::as_str), Some(sent));
        assert_eq!(
            first.request_body(),
            format!(
                r#"{{"user_id":"user-Ω","events":[ {{"name":"Pageview","time":"2026-11-27T10:00:00Z","properties":{{}}}} ],"state":{sent}}}"#
            )
        );
        // Its `events` held the editor's text, blank space and all: the events sent are that
        // text trimmed, and the editor's text is derived from them (typed: the same text).
        let typed =
            "[ {\"name\":\"Pageview\",\"time\":\"2026-11-27T10:00:00Z\",\"properties\":{}} ]";
        assert_eq!(first.events(), typed);
        assert_eq!(first.events_layout, EventsLayout::AsTyped);
        assert_eq!(first.events_text(), typed);
        assert_eq!(
            first.identity(),
            &crate::api::Identity::UserId("user-Ω".into())
        );
        assert_eq!(first.delta.entered, vec!["1010"]);
        assert_eq!(first.delta.left, vec!["7"]);
        // The second call sent the first one's answer.
        assert_eq!(
            second.state_before().map(OpaqueState::as_str),
            first.state_after.as_ref().map(OpaqueState::as_str)
        );
        assert!(!second.succeeded());
        // Written again, it is the same text, but for the blank space around the first call's
        // events (never sent, so no longer kept: the call holds its events once, as sent).
        let head = restored.head.unwrap();
        assert_eq!(
            snapshot(
                restored.target.unwrap(),
                head.clone(),
                std::slice::from_ref(first)
            ),
            snapshot_text
                .replace(r#""events":"  [ {\"name\""#, r#""events":"[ {\"name\""#)
                .replace(r#"} ]\n","event_count""#, r#"} ]","event_count""#)
        );
        assert_eq!(
            format!(
                "{}{}",
                line(&Record::Call(saved_call(second))),
                line(&Record::Head(head))
            ),
            journal_text
        );
    }
}
