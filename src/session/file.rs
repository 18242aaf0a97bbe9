//! The session fixture file (`"format": "segscope-session/1"`): an identity, an initial state
//! and a sequence of steps, each with the events sent and what came back.
//!
//! States are kept as the exact bytes the API returned (embedded verbatim as raw JSON), so a
//! replay with `--strict-state` can compare them byte for byte. The API key is never part of it.

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
    pub events: Value,
    #[serde(default = "default_true")]
    pub synchronous_validation: bool,
    /// What came back when it was recorded (absent until recorded: `replay --update`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Recording>,
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
    /// The response state, exactly as returned (successes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Box<RawValue>>,
}

impl PartialEq for Recording {
    fn eq(&self, other: &Self) -> bool {
        self.status == other.status
            && self.cohorts == other.cohorts
            && self.entered == other.entered
            && self.left == other.left
            && self.error_code == other.error_code
            && self.state.as_ref().map(|s| s.get()) == other.state.as_ref().map(|s| s.get())
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
            let what = e.to_string();
            // serde appends " at line L column C"; put the position first, as editors do.
            let what = what
                .rsplit_once(" at line ")
                .map(|(m, _)| m.to_string())
                .unwrap_or(what);
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
            if !step.events.is_array() {
                return Err(error(format!(
                    "steps[{i}].events must be an array of events"
                )));
            }
        }
        if let Some(state) = &session.initial_state
            && !state.get().trim_start().starts_with('{')
        {
            return Err(error("initial_state must be a JSON object".into()));
        }
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

    /// Notes where the session was recorded: the base URL only, scrubbed of the key.
    pub fn set_recorded_against(&mut self, target: &crate::api::Target) {
        self.recorded_against = Some(target.scrub(&target.base_url));
    }

    /// Appends a step for a call that got an HTTP answer (a call with none is not a step).
    pub fn record_step(
        &mut self,
        note: impl Into<String>,
        events: Value,
        synchronous_validation: bool,
        outcome: &crate::api::CallOutcome,
        cohorts_before: &[String],
    ) {
        if let Some(expect) = Recording::from_outcome(outcome, cohorts_before) {
            self.steps.push(Step {
                note: note.into(),
                events,
                synchronous_validation,
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
