//! Reading state entries from any JSON (text or a parsed `Value`) with typed visitors, so that an
//! entry never becomes a `Value` tree, saying why what is not a state is not one. Compact text
//! of the shape this engine writes goes through the fast [`super::scan`] path first.

use std::fmt;

use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::Value;
#[cfg(test)]
use serde_json::value::RawValue;

use super::scan::Scanner;
use super::{Accumulator, CohortState, Mode, Source};
use crate::json::Key;

// ---------------------------------------------------------------------------------------------
// Reading: typed visitors over any serde deserializer (JSON text or a `Value`), so that a state
// entry never becomes a `Value` tree. Nothing in the input is an error: whatever is not the
// expected shape is consumed and reported as a reason (the deserializer itself only fails on
// input that is not JSON at all).
// ---------------------------------------------------------------------------------------------

/// What a `{checksum: state}` entry held.
#[derive(Debug)]
pub(crate) enum EntryRead {
    /// Not an object.
    NotObject,
    Object {
        /// Other keys (earlier checksums), in order of first appearance.
        dropped: Vec<String>,
        /// How many of those came before the current checksum first did.
        current_at: usize,
        /// The state under the current checksum (the last one, if repeated).
        current: Option<Result<CohortState, String>>,
    },
}

impl EntryRead {
    /// Reads an entry from JSON text.
    #[cfg(test)]
    pub fn from_text(raw: &RawValue, checksum: &str, modes: &[Mode]) -> EntryRead {
        EntryRead::from_text_with_spans(raw.get(), checksum, modes, &mut Vec::new())
    }

    /// Reads an entry from JSON text; also appends to `spans`, for each accumulator, where its
    /// text is if it is exactly what [`CohortState::write_entry`] would write for it.
    pub fn from_text_with_spans(
        raw: &str,
        checksum: &str,
        modes: &[Mode],
        spans: &mut Vec<Option<Source>>,
    ) -> EntryRead {
        let start = spans.len();
        if let Some(state) = Scanner::read_entry(raw, checksum, modes, spans) {
            // The one key is the current checksum, and its state is fine: nothing to say.
            return EntryRead::Object {
                dropped: Vec::new(),
                current_at: 0,
                current: Some(Ok(state)),
            };
        }
        spans.truncate(start);
        spans.resize(start + modes.len(), None);
        let mut de = serde_json::Deserializer::from_str(raw);
        EntrySeed { checksum, modes }
            .deserialize(&mut de)
            .unwrap_or(EntryRead::NotObject)
    }

    /// Reads an entry from a parsed value.
    pub fn from_value(value: &Value, checksum: &str, modes: &[Mode]) -> EntryRead {
        EntrySeed { checksum, modes }
            .deserialize(value)
            .unwrap_or(EntryRead::NotObject)
    }
}

struct EntrySeed<'a> {
    checksum: &'a str,
    modes: &'a [Mode],
}

impl<'de> DeserializeSeed<'de> for EntrySeed<'_> {
    type Value = EntryRead;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<EntryRead, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EntrySeed<'_> {
    type Value = EntryRead;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object {checksum: state}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EntryRead, A::Error> {
        let mut dropped: Vec<String> = Vec::new();
        let mut current_at = None;
        let mut current = None;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            if key.0 == self.checksum {
                current = Some(map.next_value_seed(StateSeed(self.modes))?);
                current_at.get_or_insert(dropped.len());
            } else {
                map.next_value::<IgnoredAny>()?;
                if !dropped.iter().any(|k| *k == key.0) {
                    dropped.push(key.0.into_owned());
                }
            }
        }
        Ok(EntryRead::Object {
            current_at: current_at.unwrap_or(dropped.len()),
            dropped,
            current,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<EntryRead, A::Error> {
        IgnoredAny.visit_seq(seq)?;
        Ok(EntryRead::NotObject)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<EntryRead, E> {
        Ok(EntryRead::NotObject)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<EntryRead, E> {
        Ok(EntryRead::NotObject)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<EntryRead, E> {
        Ok(EntryRead::NotObject)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<EntryRead, E> {
        Ok(EntryRead::NotObject)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<EntryRead, E> {
        Ok(EntryRead::NotObject)
    }
    fn visit_unit<E: de::Error>(self) -> Result<EntryRead, E> {
        Ok(EntryRead::NotObject)
    }
    fn visit_none<E: de::Error>(self) -> Result<EntryRead, E> {
        Ok(EntryRead::NotObject)
    }
}

const NOT_A_STATE: &str = "expected [clock, accumulator, ...]";

/// `[clock, accumulator, ...]` for these clauses, or why not.
struct StateSeed<'a>(&'a [Mode]);

impl<'de> DeserializeSeed<'de> for StateSeed<'_> {
    type Value = Result<CohortState, String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StateSeed<'_> {
    type Value = Result<CohortState, String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(NOT_A_STATE)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let modes = self.0;
        let clock = match seq.next_element::<Item>()? {
            None => return Ok(Err(format!("{NOT_A_STATE}, found []"))),
            Some(Item::Null) => None,
            Some(Item::Number { int: Some(t), .. }) => Some(t),
            Some(_) => {
                IgnoredAny.visit_seq(seq)?;
                return Ok(Err("the clock is not an integer time".to_string()));
            }
        };
        let mut accumulators = Vec::with_capacity(modes.len());
        let mut malformed = None;
        let mut found = 0;
        loop {
            if let Some(&mode) = modes.get(found) {
                match seq.next_element_seed(AccumulatorSeed(mode))? {
                    None => break,
                    Some(Some(accumulator)) => accumulators.push(accumulator),
                    Some(None) => {
                        malformed.get_or_insert(found);
                    }
                }
            } else if seq.next_element::<IgnoredAny>()?.is_none() {
                break;
            }
            found += 1;
        }
        if found != modes.len() {
            return Ok(Err(format!(
                "expected {} accumulators, found {found}",
                modes.len()
            )));
        }
        if let Some(i) = malformed {
            return Ok(Err(format!("accumulator {i} is malformed")));
        }
        Ok(Ok(CohortState {
            clock,
            accumulators,
        }))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_map(map)?;
        Ok(Err(NOT_A_STATE.to_string()))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Err(NOT_A_STATE.to_string()))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Err(NOT_A_STATE.to_string()))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Err(NOT_A_STATE.to_string()))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Err(NOT_A_STATE.to_string()))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Err(NOT_A_STATE.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err(NOT_A_STATE.to_string()))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err(NOT_A_STATE.to_string()))
    }
}

/// One accumulator for `mode`, or `None` if the value is anything else.
struct AccumulatorSeed(Mode);

impl<'de> DeserializeSeed<'de> for AccumulatorSeed {
    type Value = Option<Accumulator>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AccumulatorSeed {
    type Value = Option<Accumulator>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an accumulator")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mode = self.0;
        let tag = match seq.next_element::<Item>()? {
            None => return Ok(None),
            Some(Item::Tag(tag)) => tag,
            Some(_) => {
                IgnoredAny.visit_seq(seq)?;
                return Ok(None);
            }
        };
        match (mode, tag) {
            (Mode::Total, Tag::P) | (Mode::Max, Tag::V) => {
                let first = seq.next_element::<Item>()?;
                let rest = seq.next_element::<IgnoredAny>()?;
                if rest.is_some() {
                    IgnoredAny.visit_seq(seq)?;
                    return Ok(None);
                }
                Ok(match (mode, first) {
                    (Mode::Total, Some(Item::Number { x, .. })) if x.is_finite() => {
                        Some(Accumulator::Total(x))
                    }
                    (Mode::Max, Some(Item::Null)) => Some(Accumulator::Max(None)),
                    (Mode::Max, Some(Item::Number { x, .. })) if x.is_finite() => {
                        Some(Accumulator::Max(Some(x)))
                    }
                    _ => None,
                })
            }
            (Mode::WindowedTotal { .. }, Tag::Wp)
            | (Mode::WindowedMax { .. }, Tag::Wv)
            | (Mode::Views { .. }, Tag::Wd)
            | (Mode::CurrentView { .. }, Tag::Cv)
            | (Mode::Session { .. }, Tag::S) => {
                let mut pairs = Vec::new();
                let mut well_formed = true;
                let mut time = None;
                while let Some(item) = seq.next_element::<Item>()? {
                    if !well_formed {
                        continue;
                    }
                    match (time.take(), item) {
                        (None, Item::Number { int: Some(t), .. }) => time = Some(t),
                        (Some(t), Item::Number { x, .. }) if x.is_finite() => pairs.push((t, x)),
                        _ => well_formed = false,
                    }
                }
                // Sorted and merged as `add` would, whatever the input order, in O(n log n).
                Ok((well_formed && time.is_none()).then(|| Accumulator::from_pairs(mode, pairs)))
            }
            _ => {
                IgnoredAny.visit_seq(seq)?;
                Ok(None)
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        IgnoredAny.visit_map(map)?;
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tag {
    P,
    V,
    Wp,
    Wv,
    Wd,
    Cv,
    S,
}

/// One element of a state: a scalar the format uses, or anything else (consumed, unread).
enum Item {
    Null,
    /// `int` when the number is an integer that fits an `i64` (as `Value::as_i64` reads it).
    Number {
        x: f64,
        int: Option<i64>,
    },
    Tag(Tag),
    Other,
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Item, D::Error> {
        d.deserialize_any(ItemVisitor)
    }
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = Item;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Item, E> {
        Ok(Item::Other)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Item, E> {
        Ok(Item::Number {
            x: v as f64,
            int: Some(v),
        })
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Item, E> {
        Ok(Item::Number {
            x: v as f64,
            int: i64::try_from(v).ok(),
        })
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Item, E> {
        Ok(Item::Number { x: v, int: None })
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Item, E> {
        Ok(match v {
            "p" => Item::Tag(Tag::P),
            "v" => Item::Tag(Tag::V),
            "wp" => Item::Tag(Tag::Wp),
            "wv" => Item::Tag(Tag::Wv),
            "wd" => Item::Tag(Tag::Wd),
            "cv" => Item::Tag(Tag::Cv),
            "s" => Item::Tag(Tag::S),
            _ => Item::Other,
        })
    }
    fn visit_unit<E: de::Error>(self) -> Result<Item, E> {
        Ok(Item::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Item, E> {
        Ok(Item::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Item, A::Error> {
        IgnoredAny.visit_seq(seq)?;
        Ok(Item::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Item, A::Error> {
        IgnoredAny.visit_map(map)?;
        Ok(Item::Other)
    }
}

#[cfg(test)]
impl CohortState {
    /// Why `value` is not a state for these clauses, if it is not.
    #[cfg(test)]
    pub fn decode(value: &Value, modes: &[Mode]) -> Result<CohortState, String> {
        StateSeed(modes)
            .deserialize(value)
            .unwrap_or_else(|e| Err(e.to_string()))
    }
}
