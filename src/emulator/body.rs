//! The request body read in one pass, borrowing from the bytes: the state's entries stay slices
//! of the body (never copied, never re-parsed) unless the engine owns the cohort. A body carries
//! a state of tens of kilobytes, so this is where the emulator's time would otherwise go.
//!
//! [`super::body_scan`] reads the plain form of a body (what clients send) many bytes at a time;
//! anything else is read here, with serde, which also words every error.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use serde_json::value::RawValue;

pub use crate::json::Key;

/// An object's entries in order, each value's JSON text. `what` names the object in errors.
#[derive(Debug, Default)]
pub struct RawEntries<'a>(pub Vec<(Cow<'a, str>, &'a str)>);

struct EntriesVisitor(&'static str);

impl<'de> Visitor<'de> for EntriesVisitor {
    type Value = RawEntries<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} to be an object", self.0)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawEntries<'de>, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            entries.push((key, map.next_value::<&'de RawValue>()?.get()));
        }
        if let Some(key) = first_repeated(&entries) {
            // A repeated key would come back repeated (the state is written back entry by
            // entry): refuse it, as a repeated top-level field is refused.
            return Err(de::Error::custom(format!(
                "duplicate key \"{}\" in {}",
                crate::emulator::failure::quote(key),
                self.0
            )));
        }
        Ok(RawEntries(entries))
    }
}

/// The first key that appears twice, if any.
pub(super) fn first_repeated<'e>(entries: &'e [(Cow<'_, str>, &str)]) -> Option<&'e str> {
    if entries.len() < 2 {
        return None;
    }
    let mut seen = std::collections::HashSet::with_capacity(entries.len());
    entries
        .iter()
        .map(|(key, _)| key.as_ref())
        .find(|key| !seen.insert(*key))
}

impl<'de> RawEntries<'de> {
    fn read<D: de::Deserializer<'de>>(d: D, what: &'static str) -> Result<Self, D::Error> {
        d.deserialize_map(EntriesVisitor(what))
    }

    /// Parses a raw object (e.g. `external_state`) into its entries.
    pub fn parse(raw: &'de str, what: &'static str) -> Result<Self, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(raw);
        RawEntries::read(&mut de, what)
    }
}

/// The `state` of a request.
#[derive(Debug, Default)]
pub struct StateShape<'a> {
    pub internal: RawEntries<'a>,
    /// The whole `external_state`, raw: it goes back byte for byte.
    pub external: Option<&'a str>,
    /// Its entries (the engine reads them).
    pub external_entries: RawEntries<'a>,
    pub cohorts: Vec<String>,
    /// Fields of `state` this emulator does not know, returned as they came.
    pub other_fields: Vec<(Cow<'a, str>, &'a str)>,
    /// The `internal` entries whose text is not checked to be JSON yet (only after
    /// [`BodyShape::read_leaving_entries`]), in order.
    pub unchecked: Vec<usize>,
}

impl StateShape<'_> {
    /// Whether every entry left unchecked is JSON, given those the engine read whole (`scanned`).
    pub fn entries_are_json(&self, scanned: &[usize]) -> bool {
        // Marked once: `scanned` is in the workspace's order, not the body's, and looking each
        // entry up in it cost entries × cohorts on every request.
        let mut read = vec![false; self.internal.0.len()];
        for &i in scanned {
            if let Some(read) = read.get_mut(i) {
                *read = true;
            }
        }
        self.unchecked
            .iter()
            .all(|&i| read[i] || super::body_scan::is_json(self.internal.0[i].1))
    }
}

/// A cohort id in `state.cohorts`: a string (or, leniently, a number).
struct CohortId(String);

impl<'de> Deserialize<'de> for CohortId {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = CohortId;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("state.cohorts to hold cohort id strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CohortId, E> {
                Ok(CohortId(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<CohortId, E> {
                Ok(CohortId(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<CohortId, E> {
                Ok(CohortId(v.to_string()))
            }
        }
        d.deserialize_any(IdVisitor)
    }
}

struct InternalState<'a>(RawEntries<'a>);

impl<'de> Deserialize<'de> for InternalState<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        RawEntries::read(d, "state.internal_state").map(InternalState)
    }
}

struct ExternalState<'a>(&'a str, RawEntries<'a>);

impl<'de> Deserialize<'de> for ExternalState<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&'de RawValue>::deserialize(d)?.get();
        if raw.starts_with('{') {
            // Kept raw (it goes back byte for byte), but its keys are checked like internal's.
            let entries =
                RawEntries::parse(raw, "state.external_state").map_err(de::Error::custom)?;
            Ok(ExternalState(raw, entries))
        } else {
            Err(de::Error::custom(
                "invalid type: expected state.external_state to be an object",
            ))
        }
    }
}

// Generic over 'a (not just 'de) so that `#[serde(borrow)]` can hold it in `BodyShape<'a>`.
impl<'de: 'a, 'a> Deserialize<'de> for StateShape<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct StateVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for StateVisitor<'a> {
            type Value = StateShape<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("state to be an object with internal_state and external_state")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StateShape<'a>, A::Error> {
                let mut internal = None;
                let mut external = None;
                let mut cohorts = None;
                let mut other_fields = Vec::new();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    match key.as_ref() {
                        "internal_state" if internal.is_none() => {
                            internal = Some(map.next_value::<InternalState<'de>>()?.0)
                        }
                        "external_state" if external.is_none() => {
                            external = Some(map.next_value::<ExternalState<'de>>()?)
                        }
                        "cohorts" if cohorts.is_none() => {
                            let list = map.next_value::<Option<Vec<CohortId>>>()?;
                            cohorts = Some(list.unwrap_or_default());
                        }
                        "internal_state" | "external_state" | "cohorts" => {
                            return Err(de::Error::custom(format!("duplicate field state.{key}")));
                        }
                        _ => other_fields.push((key, map.next_value::<&'de RawValue>()?.get())),
                    }
                }
                let internal =
                    internal.ok_or_else(|| de::Error::custom("state.internal_state is missing"))?;
                let external =
                    external.ok_or_else(|| de::Error::custom("state.external_state is missing"))?;
                Ok(StateShape {
                    internal,
                    external: Some(external.0),
                    external_entries: external.1,
                    cohorts: cohorts
                        .unwrap_or_default()
                        .into_iter()
                        .map(|c| c.0)
                        .collect(),
                    other_fields,
                    unchecked: Vec::new(),
                })
            }
        }
        d.deserialize_map(StateVisitor(std::marker::PhantomData))
    }
}

/// The top level of a request body, each field's JSON text. `null` fields read as absent.
#[derive(Debug, Default)]
pub struct BodyShape<'a> {
    pub user_id: Option<&'a str>,
    pub alias: Option<&'a str>,
    pub aliases: Option<&'a str>,
    pub events: Option<&'a str>,
    /// The events, when the body's one pass could read them (plain, and passing every check of
    /// the contract); else the contract reads `events` ([`super::contract`]).
    pub read_events: Option<Vec<crate::engine::Event>>,
    pub state: Option<StateShape<'a>>,
}

impl<'a> BodyShape<'a> {
    /// Reads a body: the fast path for the plain form, serde for the rest (and every error).
    pub fn read(text: &'a str) -> Result<BodyShape<'a>, serde_json::Error> {
        match super::body_scan::read(text) {
            Some(mut body) => {
                let Some(state) = &mut body.state else {
                    return Ok(body);
                };
                if !state.entries_are_json(&[]) {
                    return BodyShape::read_with_serde(text);
                }
                state.unchecked.clear();
                Ok(body)
            }
            None => BodyShape::read_with_serde(text),
        }
    }

    /// [`BodyShape::read`], but the `internal_state` entries of the plain form are only
    /// delimited, not checked to be JSON ([`StateShape::unchecked`]): the engine's reader checks
    /// those it reads, and the caller checks the rest ([`StateShape::entries_are_json`]) before
    /// it answers, or reads the body again with [`BodyShape::read`] (which words the error).
    pub fn read_leaving_entries(text: &'a str) -> Result<BodyShape<'a>, serde_json::Error> {
        match super::body_scan::read(text) {
            Some(body) => Ok(body),
            None => BodyShape::read_with_serde(text),
        }
    }

    /// Reads a body with serde only.
    pub(super) fn read_with_serde(text: &'a str) -> Result<BodyShape<'a>, serde_json::Error> {
        let body: SerdeBody<'a> = serde_json::from_str(text)?;
        Ok(BodyShape {
            user_id: body.user_id.map(RawValue::get),
            alias: body.alias.map(RawValue::get),
            aliases: body.aliases.map(RawValue::get),
            events: body.events.map(RawValue::get),
            read_events: None,
            state: body.state,
        })
    }
}

/// The top level of a request body, for serde. `null` fields read as absent.
#[derive(Deserialize)]
struct SerdeBody<'a> {
    #[serde(default, borrow)]
    user_id: Option<&'a RawValue>,
    #[serde(default, borrow)]
    alias: Option<&'a RawValue>,
    #[serde(default, borrow)]
    aliases: Option<&'a RawValue>,
    #[serde(default, borrow)]
    events: Option<&'a RawValue>,
    #[serde(default, borrow)]
    state: Option<StateShape<'a>>,
}
