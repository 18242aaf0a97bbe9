//! Writing accumulators and states as the text kept in `internal_state`, without building a
//! `Value`: numbers exactly as serde_json writes a `Value` of `number_value`, and unchanged
//! accumulators copied through from the text they came in.

#[cfg(test)]
use serde::ser::SerializeSeq;
#[cfg(test)]
use serde::ser::{Serialize, Serializer};
#[cfg(test)]
use serde_json::Value;

use super::{Accumulator, CohortState, Mode, Source};

impl Accumulator {
    /// This accumulator in its JSON form (see the module docs), for a serializer.
    #[cfg(test)]
    pub fn encoded(&self, mode: Mode) -> EncodedAccumulator<'_> {
        EncodedAccumulator {
            accumulator: self,
            mode,
        }
    }

    #[cfg(test)]
    pub fn encode(&self, mode: Mode) -> Value {
        serde_json::to_value(self.encoded(mode)).unwrap_or(Value::Null)
    }

    /// [`Accumulator::write`], copying what `source` says is unchanged: a whole accumulator, or
    /// the pairs of a windowed one that were neither pruned nor touched (entries were only
    /// appended after them).
    fn write_from(&self, out: &mut impl TextOut, mode: Mode, entry: &str, source: &Source) {
        let Some(text) = entry.get(source.range.clone()) else {
            // Not what the source says: write it anew.
            return self.write(out, mode);
        };
        let Accumulator::Windowed(entries) = self else {
            out.push_str(text);
            return;
        };
        let kept = source.pairs.saturating_sub(source.dropped);
        if kept > entries.len() {
            return self.write(out, mode);
        }
        // `["wp",t0,x0,t1,x1,...]`: pair k starts at comma 2k. Commas are ASCII: every slice
        // below ends on a character boundary.
        let body = text.strip_suffix(']').unwrap_or(text);
        let mut commas = memchr::memchr_iter(b',', body.as_bytes());
        let pairs_start = commas.next().unwrap_or(body.len());
        out.push_str(&body[..pairs_start]);
        if kept > 0 {
            let start = match source.dropped {
                0 => pairs_start,
                dropped => commas.nth(2 * dropped - 1).unwrap_or(body.len()),
            };
            out.push_str(&body[start..]);
        }
        for &(t, v) in &entries[kept..] {
            out.push_str(",");
            push_integer(out, t);
            out.push_str(",");
            push_number(out, v);
        }
        out.push_str("]");
    }

    /// Writes the JSON form, exactly as serializing [`Accumulator::encoded`] would.
    fn write(&self, out: &mut impl TextOut, mode: Mode) {
        match self {
            Accumulator::Total(total) => {
                out.push_str("[\"p\",");
                push_number(out, *total);
            }
            Accumulator::Max(max) => {
                out.push_str("[\"v\",");
                match max {
                    Some(x) => push_number(out, *x),
                    None => out.push_str("null"),
                }
            }
            Accumulator::Windowed(entries) => {
                out.push_str(windowed_tag(mode));
                for &(t, v) in entries {
                    out.push_str(",");
                    push_integer(out, t);
                    out.push_str(",");
                    push_number(out, v);
                }
            }
        }
        out.push_str("]");
    }

    /// At least as long as the text [`Accumulator::write_from`] (with `source`) or
    /// [`Accumulator::write`] writes, so that a whole answer is written into one allocation.
    fn len_bound(&self, source: Option<&Source>) -> usize {
        match (self, source) {
            // (A source whose range is not in its text, which the reader never makes, would
            // have the accumulator written anew: the caller's text then grows.)
            (Accumulator::Windowed(entries), Some(source)) => {
                match entries
                    .len()
                    .checked_sub(source.pairs.saturating_sub(source.dropped))
                {
                    Some(new) => source.range.len() + new * PAIR_MAX + 1,
                    None => 6 + entries.len() * PAIR_MAX,
                }
            }
            (_, Some(source)) => source.range.len().max(NUMBER_MAX + 6),
            (Accumulator::Windowed(entries), None) => 6 + entries.len() * PAIR_MAX,
            (_, None) => NUMBER_MAX + 6,
        }
    }
}

/// The longest number [`push_number`] writes (`-2.2250738585072014e-308`, or an integer below
/// 9e15), and the longest pair `,t,x` of a windowed accumulator (`t` any `i64`).
const NUMBER_MAX: usize = 25;
const PAIR_MAX: usize = 2 + 20 + NUMBER_MAX;

/// The opening of a windowed accumulator's text.
fn windowed_tag(mode: Mode) -> &'static str {
    match mode {
        Mode::WindowedMax { .. } => "[\"wv\"",
        Mode::Views { .. } => "[\"wd\"",
        Mode::CurrentView { .. } => "[\"cv\"",
        Mode::Session { .. } => "[\"s\"",
        _ => "[\"wp\"",
    }
}

/// Where state text is written: the engine's own entries (bytes), or a caller's whole answer
/// (text), without checking again that what was written is UTF-8 (it is written from `&str`).
pub(crate) trait TextOut {
    fn push_str(&mut self, s: &str);
}

impl TextOut for Vec<u8> {
    fn push_str(&mut self, s: &str) {
        self.extend_from_slice(s.as_bytes());
    }
}

impl TextOut for String {
    fn push_str(&mut self, s: &str) {
        String::push_str(self, s);
    }
}

/// Appends an integer in decimal, as serde_json writes it (with the same `itoa`).
pub(super) fn push_integer(out: &mut impl TextOut, n: i64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// Appends a number as serde_json writes `compare::number_value(x)`: an integer when it is
/// one, `null` when not finite.
fn push_number(out: &mut impl TextOut, x: f64) {
    match as_integer(x) {
        Some(n) => push_integer(out, n),
        // serde_json writes a finite `f64` as its `Number` displays it.
        None => match serde_json::Number::from_f64(x) {
            Some(number) => {
                use std::fmt::Write;
                let _ = write!(Adapter(out), "{number}");
            }
            None => out.push_str("null"),
        },
    }
}

/// A [`TextOut`] as a `fmt::Write`, for `Display` implementations.
struct Adapter<'a, O: TextOut>(&'a mut O);

impl<O: TextOut> std::fmt::Write for Adapter<'_, O> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.push_str(s);
        Ok(())
    }
}

/// `x` as an integer when it is one below 9e15 in magnitude (written without a fraction).
/// A round trip through `i64` rather than `f64::fract`, which without SSE4.1 is a call to libm.
fn as_integer(x: f64) -> Option<i64> {
    let n = x as i64;
    (n as f64 == x && x.abs() < 9.0e15).then_some(n)
}

impl CohortState {
    /// This state in its JSON form `[clock, accumulator, ...]`, for a serializer.
    #[cfg(test)]
    pub fn encoded<'a>(&'a self, modes: &'a [Mode]) -> EncodedState<'a> {
        EncodedState { state: self, modes }
    }

    /// Writes the JSON text of the entry `{checksum: [clock, accumulator, ...]}` without
    /// building a `Value`. `copied` gives, for accumulators that did not change since they were
    /// read, their text as it came (only ever canonical text, identical to what would be written).
    pub fn write_entry(
        &self,
        out: &mut impl TextOut,
        checksum: &str,
        modes: &[Mode],
        copied: Option<(&str, &[Option<Source>])>,
    ) {
        out.push_str("{");
        push_json_string(out, checksum);
        out.push_str(":[");
        match self.clock {
            Some(t) => push_integer(out, t),
            None => out.push_str("null"),
        }
        for (l, (accumulator, &mode)) in self.accumulators.iter().zip(modes).enumerate() {
            out.push_str(",");
            match copied.and_then(|(text, sources)| Some((text, sources.get(l)?.as_ref()?))) {
                Some((text, source)) => accumulator.write_from(out, mode, text, source),
                None => accumulator.write(out, mode),
            }
        }
        out.push_str("]}");
    }

    /// At least as long as the text [`CohortState::write_entry`] writes with the same
    /// arguments.
    pub fn entry_len_bound(
        &self,
        checksum: &str,
        copied: Option<(&str, &[Option<Source>])>,
    ) -> usize {
        let sources = copied.map_or(&[][..], |(_, sources)| sources);
        // `{"checksum":[clock` (each character escaped as `\u00XX` at worst) and `]}`.
        let mut bound = 1 + (2 + 6 * checksum.len()) + 2 + 20 + 2;
        for (l, accumulator) in self.accumulators.iter().enumerate() {
            bound += 1 + accumulator.len_bound(sources.get(l).and_then(Option::as_ref));
        }
        bound
    }
    #[cfg(test)]
    pub fn encode(&self, modes: &[Mode]) -> Value {
        serde_json::to_value(self.encoded(modes)).unwrap_or(Value::Null)
    }
}

/// Appends `s` as a JSON string, escaped exactly as serde_json escapes it (a checksum is plain
/// ASCII; serde_json escapes it like any key if it ever is not).
fn push_json_string(out: &mut impl TextOut, s: &str) {
    if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(&serde_json::Value::from(s).to_string());
    } else {
        out.push_str("\"");
        out.push_str(s);
        out.push_str("\"");
    }
}

// ---------------------------------------------------------------------------------------------
// Writing: `Serialize` views, so that serde_json formats the numbers (exactly as a `Value` of
// `number_value` would be written) straight into the output text.
// ---------------------------------------------------------------------------------------------

/// A number as `compare::number_value` writes it: an integer when it is one, `null` when not finite.
#[cfg(test)]
struct Number(f64);

#[cfg(test)]
impl Serialize for Number {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = self.0;
        if let Some(n) = as_integer(x) {
            s.serialize_i64(n)
        } else if x.is_finite() {
            s.serialize_f64(x)
        } else {
            s.serialize_unit()
        }
    }
}

#[cfg(test)]
pub(crate) struct EncodedAccumulator<'a> {
    accumulator: &'a Accumulator,
    mode: Mode,
}

#[cfg(test)]
impl Serialize for EncodedAccumulator<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.accumulator {
            Accumulator::Total(total) => {
                let mut seq = s.serialize_seq(Some(2))?;
                seq.serialize_element("p")?;
                seq.serialize_element(&Number(*total))?;
                seq.end()
            }
            Accumulator::Max(max) => {
                let mut seq = s.serialize_seq(Some(2))?;
                seq.serialize_element("v")?;
                match max {
                    Some(x) => seq.serialize_element(&Number(*x))?,
                    None => seq.serialize_element(&())?,
                }
                seq.end()
            }
            Accumulator::Windowed(entries) => {
                let tag = if matches!(self.mode, Mode::WindowedMax { .. }) {
                    "wv"
                } else if matches!(self.mode, Mode::Views { .. }) {
                    "wd"
                } else if matches!(self.mode, Mode::CurrentView { .. }) {
                    "cv"
                } else if matches!(self.mode, Mode::Session { .. }) {
                    "s"
                } else {
                    "wp"
                };
                let mut seq = s.serialize_seq(Some(1 + 2 * entries.len()))?;
                seq.serialize_element(tag)?;
                for &(t, v) in entries {
                    seq.serialize_element(&t)?;
                    seq.serialize_element(&Number(v))?;
                }
                seq.end()
            }
        }
    }
}

#[cfg(test)]
pub(crate) struct EncodedState<'a> {
    state: &'a CohortState,
    modes: &'a [Mode],
}

#[cfg(test)]
impl Serialize for EncodedState<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(1 + self.modes.len()))?;
        seq.serialize_element(&self.state.clock)?;
        for (accumulator, &mode) in self.state.accumulators.iter().zip(self.modes) {
            seq.serialize_element(&accumulator.encoded(mode))?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compare::number_value;

    #[test]
    fn numbers_are_written_as_number_value_writes_them() {
        let edges = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            -2.5,
            1e-300,
            8_999_999_999_999_999.0,
            9.0e15 - 1.0,
            9.0e15,
            -9.0e15,
            4_503_599_627_370_497.0,
            9.3e18,
            -9.3e18,
            1e300,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for x in edges {
            let mut out = Vec::new();
            push_number(&mut out, x);
            let written = String::from_utf8(out).unwrap();
            assert_eq!(written, number_value(x).to_string(), "{x:?}");
            assert_eq!(serde_json::to_string(&Number(x)).unwrap(), written, "{x:?}");
        }
    }
}
