//! Writing accumulators and states as the text kept in `internal_state`, without building a
//! `Value`: numbers exactly as serde_json writes a `Value` of `number_value`, and unchanged
//! accumulators copied through from the text they came in.

#[cfg(test)]
use serde::ser::SerializeSeq;
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
    fn write_from(&self, out: &mut Vec<u8>, mode: Mode, entry: &str, source: &Source) {
        let text = &entry.as_bytes()[source.range.clone()];
        let Accumulator::Windowed(entries) = self else {
            out.extend_from_slice(text);
            return;
        };
        let kept = source.pairs.saturating_sub(source.dropped);
        if kept > entries.len() {
            // Not what the source says: write it anew.
            return self.write(out, mode);
        }
        // `["wp",t0,x0,t1,x1,...]`: pair k starts at comma 2k.
        let body = text.strip_suffix(b"]").unwrap_or(text);
        let first_comma = body.iter().position(|&b| b == b',');
        let pairs_start = match first_comma {
            Some(i) => i,
            None => body.len(),
        };
        out.extend_from_slice(&body[..pairs_start]);
        if kept > 0 {
            let start = body
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == b',')
                .nth(2 * source.dropped)
                .map_or(body.len(), |(i, _)| i);
            out.extend_from_slice(&body[start..]);
        }
        for &(t, v) in &entries[kept..] {
            out.push(b',');
            push_integer(out, t);
            out.push(b',');
            push_number(out, v);
        }
        out.push(b']');
    }

    /// Writes the JSON form, exactly as serializing [`Accumulator::encoded`] would.
    fn write(&self, out: &mut Vec<u8>, mode: Mode) {
        match self {
            Accumulator::Total(total) => {
                out.extend_from_slice(b"[\"p\",");
                push_number(out, *total);
            }
            Accumulator::Max(max) => {
                out.extend_from_slice(b"[\"v\",");
                match max {
                    Some(x) => push_number(out, *x),
                    None => out.extend_from_slice(b"null"),
                }
            }
            Accumulator::Windowed(entries) => {
                if matches!(mode, Mode::WindowedMax { .. }) {
                    out.extend_from_slice(b"[\"wv\"");
                } else if matches!(mode, Mode::Views { .. }) {
                    out.extend_from_slice(b"[\"wd\"");
                } else if matches!(mode, Mode::CurrentView { .. }) {
                    out.extend_from_slice(b"[\"cv\"");
                } else if matches!(mode, Mode::Session { .. }) {
                    out.extend_from_slice(b"[\"s\"");
                } else {
                    out.extend_from_slice(b"[\"wp\"");
                }
                for &(t, v) in entries {
                    out.push(b',');
                    push_integer(out, t);
                    out.push(b',');
                    push_number(out, v);
                }
            }
        }
        out.push(b']');
    }
}

/// Appends an integer in decimal, as serde_json writes it (with the same `itoa`).
pub(super) fn push_integer(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends a number as [`Number`] serializes it.
fn push_number(out: &mut Vec<u8>, x: f64) {
    match as_integer(x) {
        Some(n) => push_integer(out, n),
        None => {
            let _ = serde_json::to_writer(&mut *out, &Number(x));
        }
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
        out: &mut Vec<u8>,
        checksum: &str,
        modes: &[Mode],
        copied: Option<(&str, &[Option<Source>])>,
    ) {
        out.push(b'{');
        // A checksum is plain ASCII; serde_json escapes it like any key if it ever is not.
        let _ = serde_json::to_writer(&mut *out, checksum);
        out.extend_from_slice(b":[");
        match self.clock {
            Some(t) => push_integer(out, t),
            None => out.extend_from_slice(b"null"),
        }
        for (l, (accumulator, &mode)) in self.accumulators.iter().zip(modes).enumerate() {
            out.push(b',');
            match copied.and_then(|(text, sources)| Some((text, sources.get(l)?.as_ref()?))) {
                Some((text, source)) => accumulator.write_from(out, mode, text, source),
                None => accumulator.write(out, mode),
            }
        }
        out.extend_from_slice(b"]}");
    }

    #[cfg(test)]
    pub fn encode(&self, modes: &[Mode]) -> Value {
        serde_json::to_value(self.encoded(modes)).unwrap_or(Value::Null)
    }
}

// ---------------------------------------------------------------------------------------------
// Writing: `Serialize` views, so that serde_json formats the numbers (exactly as a `Value` of
// `number_value` would be written) straight into the output text.
// ---------------------------------------------------------------------------------------------

/// A number as `compare::number_value` writes it: an integer when it is one, `null` when not finite.
struct Number(f64);

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
