//! A session file read a step at a time, for a replay whose memory must not grow with the
//! session: one pass checks the file as [`Session::load`] does and counts its steps, keeping
//! none; the next hands the steps over one by one. Either pass holds one step, never the file.

use std::io::Read;
use std::ops::ControlFlow;
use std::path::Path;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::file::{FORMAT, Session, SessionError, SessionIdentity, Step, check_events};
use crate::api::Identity;

/// What comes before the steps of a session file that has been checked whole, and how many
/// steps there are.
#[derive(Debug)]
pub struct Outline {
    pub name: String,
    pub identity: Identity,
    pub initial_state: Option<Box<RawValue>>,
    pub step_count: usize,
    /// The latest event time of all steps (read only when asked for, for `--retime`).
    pub last_event_time: Option<jiff::Timestamp>,
}

/// The fields of a session, in the order the derived reader names them in its errors.
const FIELDS: &[&str] = &[
    "format",
    "name",
    "description",
    "recorded_against",
    "identity",
    "initial_state",
    "steps",
];

/// Reads the file (or bundled session) at `path`, giving its text to `read`.
fn with_reader<T>(
    path: &Path,
    read: impl FnOnce(&mut dyn Read) -> Result<T, SessionError>,
) -> Result<T, SessionError> {
    if let Some(text) = crate::bundled::session_text(path) {
        return read(&mut text.as_bytes());
    }
    let file = std::fs::File::open(path).map_err(|e| SessionError {
        file: path.display().to_string(),
        message: format!("cannot read: {e}"),
    })?;
    read(&mut std::io::BufReader::with_capacity(64 * 1024, file))
}

impl Session {
    /// Checks the session at `path` as [`Session::load`] does (the same errors, in the same
    /// order of precedence) without keeping its steps, and counts them; with `times`, also finds
    /// the latest event time.
    pub fn outline(path: &Path, times: bool) -> Result<Outline, SessionError> {
        Session::outline_checked(path, times).map_err(|streamed| {
            // A file at fault is read again whole, for the message `load` gives: a streamed
            // read places a JSON error one column further on, and a bad file is rarely long.
            match Session::load(path) {
                Err(whole) => whole,
                Ok(_) => streamed,
            }
        })
    }

    fn outline_checked(path: &Path, times: bool) -> Result<Outline, SessionError> {
        let file = path.display().to_string();
        let error = |message: String| SessionError {
            file: file.clone(),
            message,
        };
        let mut first_bad_step = None;
        let mut latest: Option<jiff::Timestamp> = None;
        let head = with_reader(path, |reader| {
            read_session(reader, |index, step| {
                if first_bad_step.is_none()
                    && let Err(e) = check_events(index, &step.events)
                {
                    first_bad_step = Some(e);
                }
                if times {
                    let last = super::replay::latest_time(&step.events);
                    latest = latest.max(last);
                }
                ControlFlow::Continue(())
            })
            .map_err(|e| error(json_error(&e)))
        })?;
        if head.format != FORMAT {
            return Err(error(format!(
                "unknown format \"{}\" (this segscope reads \"{FORMAT}\")",
                head.format
            )));
        }
        let identity = head.identity.to_identity().map_err(&error)?;
        if let Some(bad) = first_bad_step {
            return Err(error(bad));
        }
        super::file::check_initial_state(head.initial_state.as_deref()).map_err(&error)?;
        Ok(Outline {
            name: head.name,
            identity,
            initial_state: head.initial_state,
            step_count: head.steps,
            last_event_time: latest,
        })
    }

    /// Hands the steps of the session at `path` to `each`, in order, one at a time, until it
    /// breaks. For a file [`Session::outline`] has checked.
    pub fn each_step(
        path: &Path,
        mut each: impl FnMut(usize, Step) -> ControlFlow<()>,
    ) -> Result<(), SessionError> {
        let mut stopped = false;
        let result = with_reader(path, |reader| {
            read_session(reader, |index, step| {
                let flow = each(index, step);
                stopped = flow.is_break();
                flow
            })
            .map(drop)
            .map_err(|e| SessionError {
                file: path.display().to_string(),
                message: json_error(&e),
            })
        });
        match result {
            Err(_) if stopped => Ok(()),
            other => other,
        }
    }
}

/// A JSON error as [`Session::parse`] words it: the position first, as editors show it.
fn json_error(e: &serde_json::Error) -> String {
    let what = crate::json::describe_error(e);
    format!("line {}, column {}: {what}", e.line(), e.column())
}

/// A session's field names; any other is refused with the derived reader's message.
#[derive(serde::Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Field {
    Format,
    Name,
    Description,
    RecordedAgainst,
    Identity,
    InitialState,
    Steps,
}

/// What precedes (or follows) the steps.
struct Head {
    format: String,
    name: String,
    identity: SessionIdentity,
    initial_state: Option<Box<RawValue>>,
    steps: usize,
}

/// Reads a whole session, handing each step to `on_step` as soon as it is read.
fn read_session(
    reader: &mut dyn Read,
    on_step: impl FnMut(usize, Step) -> ControlFlow<()>,
) -> Result<Head, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let head = de.deserialize_struct("Session", FIELDS, SessionVisitor { on_step })?;
    de.end()?;
    Ok(head)
}

/// Reads a session object field by field, as `#[derive(Deserialize)]` with
/// `deny_unknown_fields` would (the same messages), except that the steps are not collected.
struct SessionVisitor<F> {
    on_step: F,
}

impl<'de, F: FnMut(usize, Step) -> ControlFlow<()>> Visitor<'de> for SessionVisitor<F> {
    type Value = Head;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("struct Session")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Head, A::Error> {
        use de::Error;
        let mut format: Option<String> = None;
        let mut name: Option<String> = None;
        let mut description: Option<String> = None;
        let mut recorded_against: Option<Option<String>> = None;
        let mut identity: Option<SessionIdentity> = None;
        let mut initial_state: Option<Option<Box<RawValue>>> = None;
        let mut steps: Option<usize> = None;
        fn once<T, E: de::Error>(slot: &Option<T>, field: &'static str) -> Result<(), E> {
            match slot {
                Some(_) => Err(E::duplicate_field(field)),
                None => Ok(()),
            }
        }
        while let Some(key) = map.next_key::<Field>()? {
            match key {
                Field::Format => {
                    once(&format, "format")?;
                    format = Some(map.next_value()?);
                }
                Field::Name => {
                    once(&name, "name")?;
                    name = Some(map.next_value()?);
                }
                Field::Description => {
                    once(&description, "description")?;
                    description = Some(map.next_value()?);
                }
                Field::RecordedAgainst => {
                    once(&recorded_against, "recorded_against")?;
                    recorded_against = Some(map.next_value()?);
                }
                Field::Identity => {
                    once(&identity, "identity")?;
                    identity = Some(map.next_value()?);
                }
                Field::InitialState => {
                    once(&initial_state, "initial_state")?;
                    initial_state = Some(map.next_value()?);
                }
                Field::Steps => {
                    once(&steps, "steps")?;
                    steps = Some(map.next_value_seed(Steps {
                        on_step: &mut self.on_step,
                    })?);
                }
            }
        }
        Ok(Head {
            format: format.ok_or_else(|| A::Error::missing_field("format"))?,
            name: name.ok_or_else(|| A::Error::missing_field("name"))?,
            identity: identity.ok_or_else(|| A::Error::missing_field("identity"))?,
            initial_state: initial_state.flatten(),
            steps: steps.ok_or_else(|| A::Error::missing_field("steps"))?,
        })
    }
}

/// The `steps` array, each step handed on as it is read; its value is how many there were.
struct Steps<'a, F> {
    on_step: &'a mut F,
}

impl<'de, F: FnMut(usize, Step) -> ControlFlow<()>> DeserializeSeed<'de> for Steps<'_, F> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(usize, Step) -> ControlFlow<()>> Visitor<'de> for Steps<'_, F> {
    type Value = usize;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut count = 0;
        while let Some(step) = seq.next_element::<Step>()? {
            if (self.on_step)(count, step).is_break() {
                // Stop reading: the caller knows it asked to stop.
                return Err(de::Error::custom("stopped"));
            }
            count += 1;
        }
        Ok(count)
    }
}
