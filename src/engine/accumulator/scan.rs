//! The fast path of reading a state entry: compact text of the shape this engine writes, its
//! windowed pairs sixteen bytes at a time where they have the common shape.

use super::digits::{CLOCK_DIGITS, PAIR_DIGITS, leading_digits, plain_decimal, time_13, times_13};
use super::{Accumulator, CohortState, Mode, Source};

/// The fast path of reading an entry: compact text of the shape this engine writes, for the
/// current checksum, read byte by byte. Anything else (whitespace, another key, an escape, a
/// malformed state, a number that is not plainly an integer or a float) gives `None`, and the
/// entry is read by the general visitors, which decide the same and say what is wrong.
pub(super) struct Scanner<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) text: &'a str,
    pub(super) pos: usize,
    /// Every number of the current accumulator was written as `Number` would write it.
    pub(super) canonical: bool,
}

impl<'a> Scanner<'a> {
    /// The state under `checksum`, with a span per accumulator appended to `spans` (some may
    /// have been appended when it gives `None`).
    pub(super) fn read_entry(
        text: &str,
        checksum: &str,
        modes: &[Mode],
        spans: &mut Vec<Option<Source>>,
    ) -> Option<CohortState> {
        let mut s = Scanner {
            bytes: text.as_bytes(),
            text,
            pos: 0,
            canonical: true,
        };
        s.expect(b'{')?;
        if s.string()? != checksum.as_bytes() {
            return None;
        }
        s.expect(b':')?;
        let state = s.state(modes, spans)?;
        s.expect(b'}')?;
        (s.pos == s.bytes.len()).then_some(state)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    fn eat_null(&mut self) -> bool {
        let found = self.bytes.get(self.pos..self.pos + 4) == Some(b"null");
        if found {
            self.pos += 4;
        }
        found
    }

    /// A string without escapes, as bytes.
    fn string(&mut self) -> Option<&'a [u8]> {
        self.expect(b'"')?;
        let start = self.pos;
        // The closing quote, unless an escape or a control character comes first.
        let len = self.bytes[start..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if self.bytes[start + len] != b'"' {
            return None;
        }
        self.pos = start + len + 1;
        Some(&self.bytes[start..start + len])
    }

    /// The clock, an integer as [`Scanner::integer`] reads it: the common 13-digit time before
    /// the `,` of the first accumulator (or the `]` of none) read sixteen bytes at once.
    fn clock(&mut self) -> Option<i64> {
        if let Some(chunk) = self.bytes.get(self.pos..self.pos + 16) {
            let head = u64::from_le_bytes(chunk[..8].try_into().ok()?);
            let tail = u64::from_le_bytes(chunk[8..].try_into().ok()?);
            if matches!(chunk[13], b',' | b']')
                && let Some(time) = time_13::<CLOCK_DIGITS>(head, tail)
                && time >= SMALLEST_13_DIGITS
            {
                self.pos += 13;
                return Some(time as i64);
            }
        }
        self.integer()
    }

    /// An integer as serde_json reads one into an `i64` (not `-0`, which it reads as a float).
    pub(super) fn integer(&mut self) -> Option<i64> {
        let negative = self.peek() == Some(b'-');
        let start = self.pos + usize::from(negative);
        let (digits, magnitude) = leading_digits(self.bytes.get(start..)?);
        // No leading zeros (not JSON), at most 18 digits (no overflow), and not a float.
        if digits == 0 || digits > 18 || (digits > 1 && self.bytes[start] == b'0') {
            return None;
        }
        self.pos = start + digits;
        if matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        match (negative, magnitude as i64) {
            (true, 0) => None,
            (true, n) => Some(-n),
            (false, n) => Some(n),
        }
    }

    /// The pairs most windows hold, each a 13-digit time (years 2001 to 2286) and a one-digit
    /// count, `,1767225600000,1`, read as the general path would read them (the values are
    /// canonical), from the `,` before the first one: as many as come in a row, appended to
    /// `pairs`, sixteen bytes a pair with no other branch than the checks (reading them one
    /// number at a time was most of the time spent reading a state). Leaves `pos` at the `,`
    /// or `]` after the last one. `last` is the pair before the first, then the last read;
    /// `false`: some pair is not in the order `add` keeps (see [`Scanner::accumulator`]).
    // Not inlined: alone, the loop keeps its state in registers.
    #[inline(never)]
    fn common_pairs<const MAXIMUM: bool>(
        &mut self,
        pairs: &mut Vec<(i64, f64)>,
        last: &mut (i64, f64),
    ) -> bool {
        let (mut last_time, mut last_value) = *last;
        let mut in_order = true;
        let mut pos = self.pos;
        // Two at a time (a third of the work per pair was the loop and the push), then one.
        while let Some(chunk) = self.bytes.get(pos..pos + 33) {
            let Some([first, second]) = common_pairs_two(chunk) else {
                break;
            };
            in_order &= (last_time < first.0)
                & (first.0 < second.0)
                & (!MAXIMUM || (last_value > first.1) & (first.1 > second.1));
            (last_time, last_value) = second;
            pairs.extend_from_slice(&[first, second]);
            pos += 32;
        }
        while let Some(chunk) = self.bytes.get(pos..pos + 17) {
            let Some((time, value)) = common_pair(chunk) else {
                break;
            };
            in_order &= last_time < time && (!MAXIMUM || last_value > value);
            (last_time, last_value) = (time, value);
            pairs.push((time, value));
            pos += 16;
        }
        self.pos = pos;
        *last = (last_time, last_value);
        in_order
    }

    /// A finite number, read exactly as serde_json reads it.
    fn number(&mut self) -> Option<f64> {
        let start = self.pos;
        if let Some(n) = self.integer() {
            // `Number` writes integers from 9e15 on as floats.
            self.canonical &= (n as f64).abs() < 9.0e15;
            return Some(n as f64);
        }
        self.pos = start;
        // A float could be written differently from how `Number` writes it: never copied.
        self.canonical = false;
        let len = self.bytes[start..]
            .iter()
            .take_while(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
            .count();
        self.pos += len;
        let text = &self.text[start..self.pos];
        if let Some(x) = plain_decimal(text.as_bytes()) {
            return Some(x);
        }
        serde_json::from_str::<f64>(text)
            .ok()
            .filter(|x| x.is_finite())
    }

    fn state(&mut self, modes: &[Mode], spans: &mut Vec<Option<Source>>) -> Option<CohortState> {
        self.expect(b'[')?;
        let clock = if self.eat_null() {
            None
        } else {
            Some(self.clock()?)
        };
        let mut accumulators = Vec::with_capacity(modes.len());
        for (i, &mode) in modes.iter().enumerate() {
            self.expect(b',')?;
            let start = self.pos;
            self.canonical = true;
            let accumulator = self.accumulator(mode, i + 1 == modes.len())?;
            let pairs = match &accumulator {
                Accumulator::Windowed(entries) => entries.len(),
                _ => 0,
            };
            spans.push(self.canonical.then_some(Source {
                range: start..self.pos,
                pairs,
                dropped: 0,
            }));
            accumulators.push(accumulator);
        }
        self.expect(b']')?;
        Some(CohortState {
            clock,
            accumulators,
        })
    }

    /// `last`: no accumulator follows (the text left is this one's and the entry's end).
    fn accumulator(&mut self, mode: Mode, last: bool) -> Option<Accumulator> {
        self.expect(b'[')?;
        let tag = self.string()?;
        let accumulator = match (mode, tag) {
            (Mode::Total, b"p") => {
                self.expect(b',')?;
                Accumulator::Total(self.number()?)
            }
            (Mode::Max, b"v") => {
                self.expect(b',')?;
                Accumulator::Max(if self.eat_null() {
                    None
                } else {
                    Some(self.number()?)
                })
            }
            (Mode::WindowedTotal { .. }, b"wp")
            | (Mode::WindowedMax { .. }, b"wv")
            | (Mode::Views { .. }, b"wd")
            | (Mode::CurrentView { .. }, b"cv")
            | (Mode::Session { .. }, b"s") => {
                // Room for the pairs: they take 12 bytes or more each, and the request may add
                // a few. Pairs are numbers: the first `]` ends them; the last accumulator's
                // end is the entry's, but for `]]}`.
                let mut pairs: Vec<(i64, f64)> = if self.peek()? == b']' {
                    // No pairs: no allocation (an event may add one later).
                    Vec::new()
                } else {
                    let len = if last {
                        self.bytes.len() - self.pos
                    } else {
                        find_byte(&self.bytes[self.pos..], b']')?
                    };
                    Vec::with_capacity(len / 12 + 4)
                };
                let maximum = matches!(mode, Mode::WindowedMax { .. });
                // Views are always put in order again (a key may repeat): never copied.
                let mut canonical = !matches!(
                    mode,
                    Mode::Views { .. } | Mode::CurrentView { .. } | Mode::Session { .. }
                );
                // Written entries are sorted by time, one per time, none dominated (for a
                // maximum, values strictly decrease): then `add` would keep every pair as it
                // came, and the text is what would be written. Before the first pair: a pair
                // before any time, above any value (times have at most 18 digits, values
                // are finite).
                let mut last = (i64::MIN, f64::INFINITY);
                loop {
                    canonical &= if maximum {
                        self.common_pairs::<true>(&mut pairs, &mut last)
                    } else {
                        self.common_pairs::<false>(&mut pairs, &mut last)
                    };
                    if self.peek()? != b',' {
                        break;
                    }
                    self.pos += 1;
                    let time = self.integer()?;
                    self.expect(b',')?;
                    let x = self.number()?;
                    canonical &= last.0 < time && (!maximum || last.1 > x);
                    last = (time, x);
                    pairs.push((time, x));
                }
                self.canonical &= canonical;
                if canonical {
                    Accumulator::Windowed(pairs)
                } else {
                    Accumulator::from_pairs(mode, pairs)
                }
            }
            _ => return None,
        };
        self.expect(b']')?;
        Some(accumulator)
    }
}

/// `,1767225600000,1` and the byte after it (`,` or `]`): the pair's time and value, or `None`
/// for anything else. A 13-digit time with no leading zero, a one-digit value.
fn common_pair(chunk: &[u8]) -> Option<(i64, f64)> {
    // The comma, the time's first eight digits, then its last five, `,`, the value and `,`/`]`.
    let head = u64::from_le_bytes(chunk.get(1..9)?.try_into().ok()?);
    let tail = u64::from_le_bytes(chunk.get(9..17)?.try_into().ok()?);
    let separators = tail & SEPARATORS;
    if chunk[0] != b','
        || (separators != 0x2C00_2C00_0000_0000 && separators != 0x5D00_2C00_0000_0000)
    {
        return None;
    }
    let time = time_13::<PAIR_DIGITS>(head, tail)?;
    // 13 digits from the first that is not 0 (no leading zero: JSON).
    if time < SMALLEST_13_DIGITS {
        return None;
    }
    // The value's digit (checked) is its low four bits.
    Some((time as i64, DIGIT_VALUES[usize::from(chunk[15] & 0xF)]))
}

/// Two pairs in a row, `,1767225600000,1,1767225660000,1` and the byte after them: what
/// [`common_pair`] reads from each (the first's `,` after it is the second's), their times
/// read together.
fn common_pairs_two(chunk: &[u8]) -> Option<[(i64, f64); 2]> {
    let word = |at: usize| {
        let bytes: [u8; 8] = chunk.get(at..at + 8)?.try_into().ok()?;
        Some(u64::from_le_bytes(bytes))
    };
    let (first, second) = ((word(1)?, word(9)?), (word(17)?, word(25)?));
    let separators = second.1 & SEPARATORS;
    if chunk[0] != b','
        || first.1 & SEPARATORS != 0x2C00_2C00_0000_0000
        || (separators != 0x2C00_2C00_0000_0000 && separators != 0x5D00_2C00_0000_0000)
    {
        return None;
    }
    let (first_time, second_time) = times_13::<PAIR_DIGITS>(first, second)?;
    if first_time.min(second_time) < SMALLEST_13_DIGITS {
        return None;
    }
    Some([
        (
            first_time as i64,
            DIGIT_VALUES[usize::from(chunk[15] & 0xF)],
        ),
        (
            second_time as i64,
            DIGIT_VALUES[usize::from(chunk[31] & 0xF)],
        ),
    ])
}

/// The smallest time written with 13 digits (a smaller one read from 13 has a leading zero).
const SMALLEST_13_DIGITS: u64 = 1_000_000_000_000;

/// The value of a digit, by its low four bits.
const DIGIT_VALUES: [f64; 16] = [
    0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
];

/// Bytes 5 and 7 of a pair's second word: the `,` after the time and the `,` or `]` after the
/// value.
const SEPARATORS: u64 = 0xFF00_FF00_0000_0000;

/// Where `needle` first is in `haystack`, many bytes at a time (a byte-by-byte search was most
/// of the time spent reading a windowed accumulator; `memchr` reads 4% fewer instructions per
/// request than the eight-bytes-at-a-time search it replaced).
pub(super) fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    memchr::memchr(needle, haystack)
}
