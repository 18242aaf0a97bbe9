//! The fast path of reading a request body: one pass over the bytes that checks the JSON and
//! finds the spans of the fields, many bytes at a time where it can (the digits of a state's
//! times, the end of a string).
//!
//! It reads only the plain form a client sends (no escapes in strings, no field given twice, no
//! nesting deeper than [`MAX_DEPTH`]) and gives `None` for anything else: then the serde path
//! reads the body and decides, so errors are always serde's. Where it gives a body, it is the one
//! the serde path gives (the tests below compare them).
//!
//! serde_json checks a `RawValue` by skipping it value by value, digit by digit: on a state of
//! tens of kilobytes of numbers that was most of the body's time, and the engine's decoder then
//! read the same entries again.

use std::borrow::Cow;

use super::body::{BodyShape, RawEntries, StateShape, first_repeated};
use crate::json::Cursor;

/// Deeper nesting is left to the serde path (its recursion limit is 128).
const MAX_DEPTH: usize = 100;

/// The body, if it is in the plain form this reader takes (see the module docs).
pub(super) fn read(text: &str) -> Option<BodyShape<'_>> {
    let mut r = Reader(Cursor::new(text, 0));
    r.ws();
    let body = r.body()?;
    r.ws();
    (r.pos == r.bytes.len()).then_some(body)
}

/// The body's grammar over a [`Cursor`] (its steps are the cursor's).
struct Reader<'a>(Cursor<'a>);

impl<'a> std::ops::Deref for Reader<'a> {
    type Target = Cursor<'a>;
    fn deref(&self) -> &Cursor<'a> {
        &self.0
    }
}

impl std::ops::DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// A field of a body or state, once seen.
#[derive(Default)]
struct Seen(u8);

impl Seen {
    /// `false` if field `bit` was seen before (the serde path refuses a repeated field).
    fn first(&mut self, bit: u8) -> bool {
        let first = self.0 & (1 << bit) == 0;
        self.0 |= 1 << bit;
        first
    }
}

impl<'a> Reader<'a> {
    /// `{` and whitespace; `true` if the object is empty (its `}` read too).
    fn open_object(&mut self) -> Option<bool> {
        self.expect(b'{')?;
        self.ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(true);
        }
        Some(false)
    }

    /// A key and its `:`, with the whitespace after.
    fn key(&mut self) -> Option<&'a str> {
        let key = self.plain_string()?;
        self.ws();
        self.expect(b':')?;
        self.ws();
        Some(key)
    }

    /// One value, checked, as its text.
    fn raw(&mut self, depth: usize) -> Option<&'a str> {
        let start = self.pos;
        self.value(depth)?;
        self.text.get(start..self.pos)
    }

    /// Skips one value, checking it is JSON.
    fn value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'{' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                if self.open_object()? {
                    return Some(());
                }
                loop {
                    self.key()?;
                    self.value(depth + 1)?;
                    if !self.next_member(b'}')? {
                        return Some(());
                    }
                }
            }
            b'[' => self.array(depth),
            b'"' => self.plain_string().map(drop),
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => None,
        }
    }

    /// An array. A state's windows are long arrays of numbers: a number is read without a
    /// call per element, and a `,` right after it without looking for whitespace.
    fn array(&mut self, depth: usize) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.pos += 1;
        self.ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(());
        }
        loop {
            match self.peek()? {
                // The common number, a positive integer, inline.
                b'1'..=b'9' => {
                    self.pos += digits(&self.bytes[self.pos..]);
                    if let Some(b'.' | b'e' | b'E') = self.peek() {
                        self.fraction_and_exponent()?;
                    }
                }
                b'0' | b'-' => self.number()?,
                _ => self.value(depth + 1)?,
            }
            match self.peek()? {
                b',' => {
                    self.pos += 1;
                    if let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
                        self.ws();
                    }
                }
                b']' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => {
                    if !self.next_member(b']')? {
                        return Some(());
                    }
                }
            }
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, JSON's number.
    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => self.pos += digits(&self.bytes[self.pos..]),
            _ => return None,
        }
        self.fraction_and_exponent()
    }

    /// The rest of a number after its integer part.
    fn fraction_and_exponent(&mut self) -> Option<()> {
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.some_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.some_digits()?;
        }
        Some(())
    }

    fn some_digits(&mut self) -> Option<()> {
        let n = digits(&self.bytes[self.pos..]);
        (n > 0).then(|| self.pos += n)
    }

    /// A value that is `null`: read, `true`.
    fn null(&mut self) -> bool {
        self.literal(b"null").is_some()
    }

    /// The top level: `user_id`, `alias`, `aliases`, `events`, `state`; other fields skipped.
    fn body(&mut self) -> Option<BodyShape<'a>> {
        let mut body = BodyShape::default();
        if self.open_object()? {
            return Some(body);
        }
        let mut seen = Seen::default();
        loop {
            let key = self.key()?;
            let (bit, slot) = match key {
                "user_id" => (0, &mut body.user_id),
                "alias" => (1, &mut body.alias),
                "aliases" => (2, &mut body.aliases),
                "events" => {
                    if !seen.first(3) {
                        return None;
                    }
                    // Read into the engine's events in this same pass when they are plain and
                    // pass the contract's checks; else only checked to be JSON, as any field.
                    let start = self.pos;
                    if let Some((events, end)) = super::events_scan::read_at(self.text, start) {
                        body.read_events = Some(events);
                        body.events = self.text.get(start..end);
                        self.pos = end;
                    } else {
                        body.events = if self.null() {
                            None
                        } else {
                            Some(self.raw(1)?)
                        };
                    }
                    if !self.next_member(b'}')? {
                        return Some(body);
                    }
                    continue;
                }
                "state" => {
                    if !seen.first(4) {
                        return None;
                    }
                    body.state = if self.null() {
                        None
                    } else {
                        Some(self.state()?)
                    };
                    if !self.next_member(b'}')? {
                        return Some(body);
                    }
                    continue;
                }
                _ => {
                    self.value(1)?;
                    if !self.next_member(b'}')? {
                        return Some(body);
                    }
                    continue;
                }
            };
            if !seen.first(bit) {
                return None;
            }
            *slot = if self.null() {
                None
            } else {
                Some(self.raw(1)?)
            };
            if !self.next_member(b'}')? {
                return Some(body);
            }
        }
    }

    /// `state`: `internal_state` and `external_state` (both required), `cohorts`, others kept.
    fn state(&mut self) -> Option<StateShape<'a>> {
        let mut state = StateShape::default();
        if self.open_object()? {
            return None;
        }
        let mut seen = Seen::default();
        loop {
            let key = self.key()?;
            match key {
                "internal_state" if seen.first(0) => {
                    (state.internal, state.unchecked) = self.internal_entries()?;
                }
                "external_state" if seen.first(1) => {
                    let start = self.pos;
                    state.external_entries = self.entries()?;
                    state.external = Some(self.text.get(start..self.pos)?);
                }
                "cohorts" if seen.first(2) => {
                    if !self.null() {
                        state.cohorts = self.cohorts()?;
                    }
                }
                "internal_state" | "external_state" | "cohorts" => return None,
                _ => state.other_fields.push((Cow::Borrowed(key), self.raw(2)?)),
            }
            if !self.next_member(b'}')? {
                break;
            }
        }
        (seen.0 & 0b11 == 0b11).then_some(state)
    }

    /// An object of entries, each value raw; a repeated key is left to the serde path.
    fn entries(&mut self) -> Option<RawEntries<'a>> {
        let mut entries = Vec::new();
        if !self.open_object()? {
            loop {
                let key = self.key()?;
                entries.push((Cow::Borrowed(key), self.raw(3)?));
                if !self.next_member(b'}')? {
                    break;
                }
            }
        }
        // The engine writes entries in cohort order: increasing keys are unique keys.
        let increasing = entries.windows(2).all(|w| increasing(&w[0].0, &w[1].0));
        if !increasing && first_repeated(&entries).is_some() {
            return None;
        }
        Some(RawEntries(entries))
    }

    /// `internal_state`: as [`Reader::entries`], but an object value is only delimited by its
    /// braces (its text checked later: by the engine's reader, which reads the entries of the
    /// cohorts it evaluates, or by [`is_json`]); their indices come second.
    fn internal_entries(&mut self) -> Option<(RawEntries<'a>, Vec<usize>)> {
        let mut entries = Vec::new();
        let mut unchecked = Vec::new();
        if !self.open_object()? {
            loop {
                let key = self.key()?;
                let start = self.pos;
                let text = if self.peek()? == b'{' && self.skim_object().is_some() {
                    unchecked.push(entries.len());
                    self.text.get(start..self.pos)?
                } else {
                    self.pos = start;
                    self.raw(3)?
                };
                entries.push((Cow::Borrowed(key), text));
                if !self.next_member(b'}')? {
                    break;
                }
            }
        }
        let increasing = entries.windows(2).all(|w| increasing(&w[0].0, &w[1].0));
        if !increasing && first_repeated(&entries).is_some() {
            return None;
        }
        Some((RawEntries(entries), unchecked))
    }

    /// Moves past the object at `pos` by its braces alone, strings skipped, checking nothing
    /// else; `None` at an escape in a string (then it is read the checked way).
    fn skim_object(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            let at = self.pos + memchr::memchr3(b'{', b'}', b'"', &self.bytes[self.pos..])?;
            match self.bytes[at] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        self.pos = at + 1;
                        return Some(());
                    }
                }
                _ => {
                    let len = memchr::memchr2(b'"', b'\\', &self.bytes[at + 1..])?;
                    if self.bytes[at + 1 + len] != b'"' {
                        return None;
                    }
                    self.pos = at + 1 + len + 1;
                    continue;
                }
            }
            self.pos = at + 1;
        }
    }

    /// `cohorts`: an array of plain strings (a number is left to the serde path).
    fn cohorts(&mut self) -> Option<Vec<String>> {
        self.expect(b'[')?;
        self.ws();
        let mut cohorts = Vec::new();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(cohorts);
        }
        loop {
            cohorts.push(self.plain_string()?.to_string());
            if !self.next_member(b']')? {
                return Some(cohorts);
            }
        }
    }
}

/// Skips the value at `text[start..]`, checking it is JSON in the plain form, at nesting `depth`:
/// the position after it.
pub(super) fn skip_value(text: &str, start: usize, depth: usize) -> Option<usize> {
    let mut r = Reader(Cursor::new(text, start));
    r.value(depth)?;
    Some(r.pos)
}

/// Whether `text` is one JSON value in the plain form this reader takes (`false` for what it
/// leaves to serde, e.g. escapes: the caller then reads the body with serde, which decides).
pub(super) fn is_json(text: &str) -> bool {
    let mut r = Reader(Cursor::new(text, 0));
    r.value(3).is_some() && r.pos == r.bytes.len()
}

/// `a` before `b` in a strict order of strings that is the cohort order for the codes of
/// cohorts (numbers, without leading zeros, by value, then other codes by their bytes) without
/// parsing them: all digits first, shorter first, then by bytes.
fn increasing(a: &str, b: &str) -> bool {
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match (numeric(a), numeric(b)) {
        (true, true) => (a.len(), a) < (b.len(), b),
        (true, false) => true,
        (false, true) => false,
        (false, false) => a < b,
    }
}

/// How many ASCII digits `bytes` starts with, eight bytes at a time.
#[inline(always)]
fn digits(bytes: &[u8]) -> usize {
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let v = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let flags = crate::json::non_digits(v);
        if flags != 0 {
            return at + (flags.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + bytes[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The fast path gives what the serde path gives, or leaves the body to it.
    /// (The `internal_state` entries it only delimits are checked as the emulator checks them.)
    fn same_as_serde(text: &str) -> bool {
        let fast = read(text).map(|mut body| {
            // Events read in the pass are the events the contract reads from their text.
            if let Some(events) = body.read_events.take() {
                let raw = body.events.expect("events read have a text");
                let contract =
                    super::super::contract::check_events_with_serde(raw).expect("checked");
                assert_eq!(format!("{events:?}"), format!("{contract:?}"), "{text}");
            }
            let json = body.state.as_ref().is_none_or(|s| s.entries_are_json(&[]));
            if let Some(state) = &mut body.state {
                state.unchecked.clear();
            }
            (body, json)
        });
        let serde = BodyShape::read_with_serde(text);
        match (&fast, &serde) {
            // Left to serde, or an entry that is not JSON (or not plainly).
            (None, _) | (Some((_, false)), _) => false,
            (Some((f, true)), Ok(s)) => {
                assert_eq!(format!("{f:?}"), format!("{s:?}"), "{text}");
                true
            }
            (Some((f, true)), Err(e)) => panic!("fast path read {text:?} as {f:?}, serde: {e}"),
        }
    }

    #[test]
    fn plain_bodies_are_read_as_serde_reads_them() {
        for text in [
            r#"{}"#,
            r#" { "user_id" : "u" , "events" : [ ] } "#,
            r#"{"user_id":null,"alias":{"tag":"t","id":"i"},"x":[1,-2.5e+3,true,false,null,{}]}"#,
            r#"{"user_id":"u","state":null}"#,
            r#"{"user_id":"u","state":{"internal_state":{},"external_state":{}}}"#,
            r#"{"user_id":"u","state":{"internal_state":{"2":{"c":[1,["wp",1,1]]},"1001":[]},
               "external_state":{"9":{"a":1}},"cohorts":["2","1001"],"extra":{"k":[0.5]}}}"#,
            r#"{"user_id":"u","state":{"cohorts":null,"external_state":{},"internal_state":{"b":1,"a":2}}}"#,
            r#"{"events":[{"name":"Pageview","time":"2026-03-01T12:21:00Z","properties":{"ü":"é"}}]}"#,
            r#"{"events":[{"name":"A","time":"2026-03-01T12:21:00Z","x":{"y":[1,"z"]},"view_id":null,
               "properties":{"a":[1,{"b":null}],"c":-0.5}}, {"name":"B","time":"2026-03-01T12:21:00Z",
               "properties":{},"session_id":"6f1c1b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f"}]}"#,
            r#"{"events":[{"name":"","time":"2026-03-01T12:21:00Z","properties":{}}]}"#,
            r#"{"user_id":"u","events":[1234567890123456789012345678901234567890,0,-0,1e999]}"#,
            r#"{"user_id":"u","events":[1.5,2e3,10E-2,0.25,7,[12,3.0]],"x":[ 1 , 2 ]}"#,
        ] {
            assert!(same_as_serde(text), "fast path refused {text}");
        }
    }

    #[test]
    fn anything_else_is_left_to_serde() {
        for text in [
            r#"{"user_id":"u","user_id":"v"}"#,
            r#"{"user_id":"u\u0041"}"#,
            r#"{"us\u0065r_id":"u"}"#,
            r#"{"state":{"internal_state":{}}}"#,
            r#"{"state":{"internal_state":{"a":1,"a":2},"external_state":{}}}"#,
            r#"{"state":{"internal_state":{},"external_state":{"a":1,"a":2}}}"#,
            r#"{"state":{"internal_state":{},"external_state":[]}}"#,
            r#"{"state":{"internal_state":{},"internal_state":{},"external_state":{}}}"#,
            r#"{"state":{"internal_state":{},"external_state":{},"cohorts":[1001]}}"#,
            r#"{"state":[]}"#,
            r#"{"x":01}"#,
            r#"{"x":1.}"#,
            r#"{"x":1e}"#,
            r#"{"x":-}"#,
            r#"{"x":"a
b"}"#,
            r#"{"x":[1,]}"#,
            r#"{"x":{"a":1,}}"#,
            r#"{"x":tru}"#,
            r#"{"x":1} x"#,
            r#"{"x":1"#,
            r#"[]"#,
        ] {
            assert!(read(text).is_none(), "fast path read {text}");
        }
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(read(&deep).is_none());
        // serde skips a raw value without a depth limit: the body is read, the slow way.
        assert!(BodyShape::read(&deep).is_ok());
    }

    fn json_value() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|x| serde_json::json!(x).to_string()),
            "[a-z0-9 é\\\\\"\\n]{0,6}".prop_map(|s| serde_json::json!(s).to_string()),
            "[-+.eE0-9]{1,6}",
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec(("[a-c0-9]{1,3}", inner), 0..5).prop_map(|v| {
                    let members: Vec<String> = v
                        .into_iter()
                        .map(|(k, v)| format!("\"{k}\" : {v}"))
                        .collect();
                    format!("{{ {} }}", members.join(" ,"))
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn fast_path_agrees_with_serde(
            user in json_value(),
            events in json_value(),
            internal in json_value(),
            external in json_value(),
            cohorts in json_value(),
            other in json_value(),
        ) {
            for state in [
                format!(r#"{{"internal_state":{internal},"external_state":{external},"cohorts":{cohorts},"o":{other}}}"#),
                format!(r#"{{"internal_state":{{"1":{internal},"2":{other}}},"external_state":{{}},"cohorts":["1"]}}"#),
            ] {
                let text = format!(r#"{{"user_id":{user},"events":{events},"state":{state},"x":{other}}}"#);
                same_as_serde(&text);
            }
        }
    }
}
