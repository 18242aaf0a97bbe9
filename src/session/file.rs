//! The session fixture file (`"format": "segscope-session/1"`): an identity, an initial state
//! and a sequence of steps, each with the events sent and what came back.
//!
//! Events are kept as the exact text of the file and sent as written. Each recorded step keeps a
//! digest of the state the API returned (the whole state, verbatim, only where a step asks with
//! `keep_state`), so a replay with `--strict-state` compares states byte for byte while the file
//! stays proportional to its events. Files that embed whole states load as before. The API key
//! is never part of a session.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::api::{Alias, Identity, OpaqueState, PrioritisedAlias};

/// The format tag every session file carries.
pub const FORMAT: &str = "segscope-session/1";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    pub format: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Where it was recorded (informational; never carries a key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_against: Option<String>,
    pub identity: SessionIdentity,
    /// The state sent with the first step (absent: a new user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_state: Option<Box<RawValue>>,
    pub steps: Vec<Step>,
}

/// The identity, written as `{"user_id": ...}`, `{"alias": {...}}` or `{"aliases": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionIdentity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<Alias>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aliases: Option<Vec<PrioritisedAlias>>,
}

impl SessionIdentity {
    pub fn to_identity(&self) -> Result<Identity, String> {
        match (&self.user_id, &self.alias, &self.aliases) {
            (Some(id), None, None) => Ok(Identity::UserId(id.clone())),
            (None, Some(a), None) => Ok(Identity::Alias(a.clone())),
            (None, None, Some(list)) => Ok(Identity::Aliases(list.clone())),
            _ => Err("identity must have exactly one of user_id, alias, aliases".into()),
        }
    }

    pub fn from_identity(identity: &Identity) -> SessionIdentity {
        let mut out = SessionIdentity {
            user_id: None,
            alias: None,
            aliases: None,
        };
        match identity {
            Identity::UserId(id) => out.user_id = Some(id.clone()),
            Identity::Alias(a) => out.alias = Some(a.clone()),
            Identity::Aliases(list) => out.aliases = Some(list.clone()),
        }
        out
    }
}

/// One call: the events sent and, once recorded, what came back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// A human note on what this step is for.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// The events exactly as written in the file: sent and saved byte for byte (numbers such as
    /// `18446744073709551616`, `-0` or `1.0e2` included), never re-encoded.
    pub events: Box<RawValue>,
    #[serde(default = "default_true")]
    pub synchronous_validation: bool,
    /// Record the whole response state of this step, not only its digest (`replay --update`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep_state: bool,
    /// What came back when it was recorded (absent until recorded: `replay --update`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Recording>,
}

impl Step {
    /// The events laid out for reading (two-space indent), every token as written.
    pub fn events_pretty(&self) -> String {
        crate::json::pretty(self.events.get())
    }

    /// How many events the step sends (0 when its `events` is not an array).
    pub fn event_count(&self) -> usize {
        serde_json::from_str::<Vec<serde::de::IgnoredAny>>(self.events.get()).map_or(0, |v| v.len())
    }
}

fn default_true() -> bool {
    true
}

/// What a call returned, in the terms a replay compares.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recording {
    pub status: u16,
    /// Cohorts after the call (for a failed call: unchanged from before it).
    pub cohorts: Vec<String>,
    #[serde(default)]
    pub entered: Vec<String>,
    #[serde(default)]
    pub left: Vec<String>,
    /// The error envelope's `code`, for a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
    /// The response state (successes only): its digest, or where the step asks for it
    /// (`keep_state`), the whole state exactly as returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<RecordedState>,
}

impl PartialEq for Recording {
    fn eq(&self, other: &Self) -> bool {
        self.status == other.status
            && self.cohorts == other.cohorts
            && self.entered == other.entered
            && self.left == other.left
            && self.error_code == other.error_code
            && self.state.as_ref().map(RecordedState::digest)
                == other.state.as_ref().map(RecordedState::digest)
    }
}

/// A recorded response state. A state is always a JSON object, so the file tells the two forms
/// apart by their JSON type: an object is the whole state (as returned, byte for byte), a string
/// `"sha256:<hex>"` is the digest of those bytes. Digests keep a long session's file proportional
/// to its events (every state holds the user's whole history); `--strict-state` compares digests
/// either way.
#[derive(Debug, Clone)]
pub enum RecordedState {
    Whole(Box<RawValue>),
    Digest(String),
}

/// How a digest is spelt: the algorithm, then the hex of the hash.
const DIGEST_PREFIX: &str = "sha256:";

impl RecordedState {
    /// The digest of state text.
    pub fn digest_of(state: &str) -> String {
        use sha2::Digest;
        let hash = sha2::Sha256::digest(state.as_bytes());
        let mut out = String::with_capacity(DIGEST_PREFIX.len() + 64);
        out.push_str(DIGEST_PREFIX);
        for byte in hash {
            out.push_str(&format!("{byte:02x}"));
        }
        out
    }

    /// The digest, computed for a whole state.
    pub fn digest(&self) -> String {
        match self {
            RecordedState::Whole(raw) => RecordedState::digest_of(raw.get()),
            RecordedState::Digest(d) => d.clone(),
        }
    }

    /// The whole state, when it was kept.
    pub fn whole(&self) -> Option<&RawValue> {
        match self {
            RecordedState::Whole(raw) => Some(raw),
            RecordedState::Digest(_) => None,
        }
    }
}

impl Serialize for RecordedState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RecordedState::Whole(raw) => raw.serialize(s),
            RecordedState::Digest(d) => s.serialize_str(d),
        }
    }
}

impl<'de> Deserialize<'de> for RecordedState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let raw = Box::<RawValue>::deserialize(d)?;
        match raw.get().as_bytes().first() {
            Some(b'{') => Ok(RecordedState::Whole(raw)),
            Some(b'"') => {
                let digest: String = serde_json::from_str(raw.get()).map_err(D::Error::custom)?;
                let hex = digest.strip_prefix(DIGEST_PREFIX).unwrap_or_default();
                if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    Ok(RecordedState::Digest(digest.to_ascii_lowercase()))
                } else {
                    Err(D::Error::custom(format!(
                        "expect.state must be a state object or \"{DIGEST_PREFIX}\" and 64 hex digits, not \"{digest}\""
                    )))
                }
            }
            _ => Err(D::Error::custom(
                "expect.state must be a state object or a \"sha256:…\" digest",
            )),
        }
    }
}

/// A step's events must be an array of values the API would take.
pub(super) fn check_events(index: usize, events: &RawValue) -> Result<(), String> {
    if !events.get().trim_start().starts_with('[') {
        return Err(format!("steps[{index}].events must be an array of events"));
    }
    // Raw text is checked only for its shape; read it once as values so that what the API
    // would refuse (a lone surrogate escape) is reported here, with the step.
    serde_json::from_str::<Value>(events.get())
        .map(drop)
        .map_err(|e| format!("steps[{index}].events: {}", crate::json::describe_error(&e)))
}

pub(super) fn check_initial_state(state: Option<&RawValue>) -> Result<(), String> {
    match state {
        Some(state) if !state.get().trim_start().starts_with('{') => {
            Err("initial_state must be a JSON object".into())
        }
        _ => Ok(()),
    }
}

/// Why a session file could not be used: names the file, and the line and column for JSON.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct SessionError {
    pub file: String,
    pub message: String,
}

impl Session {
    pub fn new(name: impl Into<String>, identity: &Identity) -> Session {
        Session {
            format: FORMAT.into(),
            name: name.into(),
            description: String::new(),
            recorded_against: None,
            identity: SessionIdentity::from_identity(identity),
            initial_state: None,
            steps: Vec::new(),
        }
    }

    /// Parses a session from text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Session, SessionError> {
        let error = |message: String| SessionError {
            file: file.to_string(),
            message,
        };
        let session: Session = serde_json::from_str(text).map_err(|e| {
            // The position first, as editors show it.
            let what = crate::json::describe_error(&e);
            error(format!("line {}, column {}: {what}", e.line(), e.column()))
        })?;
        if session.format != FORMAT {
            return Err(error(format!(
                "unknown format \"{}\" (this segscope reads \"{FORMAT}\")",
                session.format
            )));
        }
        session.identity.to_identity().map_err(error)?;
        for (i, step) in session.steps.iter().enumerate() {
            check_events(i, &step.events).map_err(error)?;
        }
        check_initial_state(session.initial_state.as_deref()).map_err(error)?;
        Ok(session)
    }

    pub fn load(path: &Path) -> Result<Session, SessionError> {
        // `bundled:NAME`: a session embedded in the binary (see `crate::bundled`).
        if let Some(text) = crate::bundled::session_text(path) {
            return Session::parse(text, &path.display().to_string());
        }
        let text = std::fs::read_to_string(path).map_err(|e| SessionError {
            file: path.display().to_string(),
            message: format!("cannot read: {e}"),
        })?;
        Session::parse(&text, &path.display().to_string())
    }

    /// Pretty JSON; states stay verbatim.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Writes atomically (temp file + rename), so a crash never leaves half a session.
    pub fn save(&self, path: &Path) -> Result<(), SessionError> {
        crate::session::write_atomically(path, self.to_json().as_bytes()).map_err(|e| {
            SessionError {
                file: path.display().to_string(),
                message: format!("cannot write: {e}"),
            }
        })
    }

    /// Notes where the session was recorded: the base URL only, any key in it masked.
    pub fn set_recorded_against(&mut self, target: &crate::api::Target) {
        self.recorded_against = Some(target.display_url());
    }

    /// Appends a step for a call that got an HTTP answer (a call with none is not a step).
    /// Prefer [`Session::record_raw_step`]: a `Value` has already lost the spelling of numbers.
    pub fn record_step(
        &mut self,
        note: impl Into<String>,
        events: Value,
        synchronous_validation: bool,
        outcome: &crate::api::CallOutcome,
        cohorts_before: &[String],
    ) {
        let events = serde_json::value::to_raw_value(&events)
            .unwrap_or_else(|_| RawValue::from_string("[]".into()).expect("literal JSON"));
        self.record_raw_step(
            note,
            events,
            synchronous_validation,
            outcome,
            cohorts_before,
        );
    }

    /// Appends a step for a call that got an HTTP answer, keeping the events' text as sent.
    pub fn record_raw_step(
        &mut self,
        note: impl Into<String>,
        events: Box<RawValue>,
        synchronous_validation: bool,
        outcome: &crate::api::CallOutcome,
        cohorts_before: &[String],
    ) {
        if let Some(expect) = Recording::from_outcome(outcome, cohorts_before) {
            self.steps.push(Step {
                note: note.into(),
                events,
                synchronous_validation,
                keep_state: false,
                expect: Some(expect),
            });
        }
    }

    pub fn initial_opaque_state(&self) -> Option<OpaqueState> {
        self.initial_state
            .as_ref()
            .map(|raw| OpaqueState::from_raw(raw))
    }
}
