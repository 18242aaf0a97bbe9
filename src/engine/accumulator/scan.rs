//! The fast path of reading a state entry: compact text of the shape this engine writes, read
//! eight bytes at a time where it can.

use super::{Accumulator, CohortState, Mode, Source};
use crate::json::non_digits;

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

/// Which of sixteen bytes must be digits (bit `i` for byte `i`): in a pair after its comma,
/// the time's 13 and the value's; for a clock, the time's 13.
pub(super) const PAIR_DIGITS: u16 = 0x5FFF;
pub(super) const CLOCK_DIGITS: u16 = 0x1FFF;

/// The 13-digit time that sixteen bytes start with, `head` the first eight and `tail` the next
/// eight, if the bytes `DIGITS` says (always the first eight) are digits; no other byte is
/// looked at.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn time_13<const DIGITS: u16>(head: u64, tail: u64) -> Option<u64> {
    // SAFETY: the build targets CPUs with SSE2 (`target_feature = "sse2"`, part of x86-64).
    unsafe { time_13_sse2::<DIGITS>(head, tail) }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn time_13<const DIGITS: u16>(head: u64, tail: u64) -> Option<u64> {
    time_13_swar::<DIGITS>(head, tail)
}

/// [`time_13`] of two pairs' words.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn times_13<const DIGITS: u16>(first: (u64, u64), second: (u64, u64)) -> Option<(u64, u64)> {
    // SAFETY: the build targets CPUs with SSE2 (`target_feature = "sse2"`, part of x86-64).
    unsafe { times_13_sse2::<DIGITS>(first, second) }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn times_13<const DIGITS: u16>(first: (u64, u64), second: (u64, u64)) -> Option<(u64, u64)> {
    Some((
        time_13_swar::<DIGITS>(first.0, first.1)?,
        time_13_swar::<DIGITS>(second.0, second.1)?,
    ))
}

/// Bytes 5 and 7 of a pair's second word: the `,` after the time and the `,` or `]` after the
/// value.
const SEPARATORS: u64 = 0xFF00_FF00_0000_0000;

/// [`time_13`] sixteen bytes at once with SSE2 (which every x86-64 has): half the instructions
/// of [`time_13_swar`].
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
pub(super) fn time_13_sse2<const DIGITS: u16>(head: u64, tail: u64) -> Option<u64> {
    use std::arch::x86_64::{_mm_cvtsi128_si64, _mm_madd_epi16, _mm_packs_epi32, _mm_set1_epi32};
    let (digits, is_digit) = sse2::digits(head, tail);
    if is_digit & i32::from(DIGITS) != i32::from(DIGITS) {
        return None;
    }
    let quads = sse2::quads(digits);
    let quads = _mm_packs_epi32(quads, quads);
    let eights = _mm_madd_epi16(quads, _mm_set1_epi32(0x0001_2710)); // (10_000, 1)
    Some(sse2::time(_mm_cvtsi128_si64(eights) as u64))
}

/// The times of two pairs in a row, each given as [`time_13`] takes it, if the bytes `DIGITS`
/// says are digits in both: [`time_13_sse2`] twice with their last steps shared.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
pub(super) fn times_13_sse2<const DIGITS: u16>(
    first: (u64, u64),
    second: (u64, u64),
) -> Option<(u64, u64)> {
    use std::arch::x86_64::{
        _mm_cvtsi128_si64, _mm_madd_epi16, _mm_packs_epi32, _mm_set1_epi32, _mm_unpackhi_epi64,
    };
    let (first, first_digits) = sse2::digits(first.0, first.1);
    let (second, second_digits) = sse2::digits(second.0, second.1);
    if first_digits & second_digits & i32::from(DIGITS) != i32::from(DIGITS) {
        return None;
    }
    // Both quads in one vector: the eights of the first in the low half, then the second's.
    let quads = _mm_packs_epi32(sse2::quads(first), sse2::quads(second));
    let eights = _mm_madd_epi16(quads, _mm_set1_epi32(0x0001_2710)); // (10_000, 1)
    Some((
        sse2::time(_mm_cvtsi128_si64(eights) as u64),
        sse2::time(_mm_cvtsi128_si64(_mm_unpackhi_epi64(eights, eights)) as u64),
    ))
}

/// The steps of reading a 13-digit time sixteen bytes at once.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi16, _mm_and_si128, _mm_cmpeq_epi8, _mm_madd_epi16, _mm_max_epu8,
        _mm_movemask_epi8, _mm_mullo_epi16, _mm_set_epi64x, _mm_set1_epi8, _mm_set1_epi16,
        _mm_set1_epi32, _mm_slli_si128, _mm_srli_epi16, _mm_sub_epi8,
    };

    /// Each byte's digit value, and which bytes are digits (bit `i` for byte `i`).
    #[target_feature(enable = "sse2")]
    pub(super) fn digits(head: u64, tail: u64) -> (__m128i, i32) {
        let bytes = _mm_set_epi64x(tail as i64, head as i64);
        let digits = _mm_sub_epi8(bytes, _mm_set1_epi8(b'0' as i8));
        // A byte is a digit when it is at most 9 once '0' is taken from it (wrapping).
        let nine = _mm_set1_epi8(9);
        let is_digit = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(digits, nine), nine));
        (digits, is_digit)
    }

    /// The first 13 digits moved to the top, three zero digits below them (a 16-digit number),
    /// then read as four numbers of four digits (in 32-bit lanes): pairs of digits, then pairs
    /// of pairs, each lane its two halves' weighted sum.
    #[target_feature(enable = "sse2")]
    pub(super) fn quads(digits: __m128i) -> __m128i {
        let digits = _mm_slli_si128::<3>(digits);
        let pairs = _mm_add_epi16(
            _mm_mullo_epi16(
                _mm_and_si128(digits, _mm_set1_epi16(0xFF)),
                _mm_set1_epi16(10),
            ),
            _mm_srli_epi16::<8>(digits),
        );
        _mm_madd_epi16(pairs, _mm_set1_epi32(0x0001_0064)) // (100, 1)
    }

    /// The 16-digit number whose first eight digits' value is in the low half of `eights` and
    /// the last eight's in the high half.
    pub(super) fn time(eights: u64) -> u64 {
        (eights & 0xFFFF_FFFF) * 100_000_000 + (eights >> 32)
    }
}

/// [`time_13`] eight bytes at a time.
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
pub(super) fn time_13_swar<const DIGITS: u16>(head: u64, tail: u64) -> Option<u64> {
    // The bytes of `tail` that need not be digits replaced by zeros: then all digits.
    let mut others = 0u64;
    for byte in 0..8 {
        if DIGITS & (1 << (8 + byte)) == 0 {
            others |= 0xFF << (8 * byte);
        }
    }
    let tail_digits = (tail & !others) | (ASCII_ZEROS & others);
    if non_digits(head) | non_digits(tail_digits) != 0 {
        return None;
    }
    // The time's last five digits, moved to the top bytes with zeros below them.
    let last_five = (tail << 24) | (ASCII_ZEROS >> 40);
    Some(eight_digits_value(head) * 100_000 + eight_digits_value(last_five))
}

/// Where `needle` first is in `haystack`, many bytes at a time (a byte-by-byte search was most
/// of the time spent reading a windowed accumulator; `memchr` reads 4% fewer instructions per
/// request than the eight-bytes-at-a-time search it replaced).
pub(super) fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    memchr::memchr(needle, haystack)
}

const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;

/// The value of eight ASCII digits in `v` (the first, most significant, in the lowest byte).
fn eight_digits_value(v: u64) -> u64 {
    // Pairs, then quads, then the eight.
    let d = v.wrapping_sub(ASCII_ZEROS);
    let pairs = (d.wrapping_mul(10) + (d >> 8)) & 0x00FF_00FF_00FF_00FF;
    let quads = (pairs.wrapping_mul(100) + (pairs >> 16)) & 0x0000_FFFF_0000_FFFF;
    (quads.wrapping_mul(10_000) + (quads >> 32)) & 0xFFFF_FFFF
}

/// The value of eight ASCII digits (the first is the most significant), or `None` if any byte
/// is not a digit.
#[cfg(test)]
pub(super) fn eight_digits(chunk: &[u8]) -> Option<u64> {
    let v = u64::from_le_bytes(chunk.try_into().ok()?);
    (non_digits(v) == 0).then(|| eight_digits_value(v))
}

/// How many ASCII digits `bytes` starts with, and their value (wrapping past 19 digits; the
/// callers refuse more than 18). Eight bytes at a time: a state's times have 13 digits, and
/// reading them byte by byte was most of the time spent decoding a state.
pub(super) fn leading_digits(bytes: &[u8]) -> (usize, u64) {
    const POWERS_OF_TEN: [u64; 8] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];
    let mut value = 0u64;
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let v = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let flags = non_digits(v);
        if flags == 0 {
            value = value
                .wrapping_mul(100_000_000)
                .wrapping_add(eight_digits_value(v));
            at += 8;
            continue;
        }
        let n = (flags.trailing_zeros() / 8) as usize;
        if n > 0 {
            // The `n` digits moved to the top bytes, zeros below them: the same value.
            let shifted = (v << (8 * (8 - n))) | (ASCII_ZEROS >> (8 * n));
            value = value
                .wrapping_mul(POWERS_OF_TEN[n])
                .wrapping_add(eight_digits_value(shifted));
        }
        return (at + n, value);
    }
    // Fewer than eight bytes left.
    for &b in &bytes[at..] {
        if !b.is_ascii_digit() {
            break;
        }
        value = value.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
        at += 1;
    }
    (at, value)
}

/// `-?digits.digits` with at most 15 digits in all, read as serde_json reads it: the digits as
/// an integer (exact in an f64) divided by a power of ten (exact up to 1e22) is the correctly
/// rounded value, which is what serde_json computes for such numbers (with or without its
/// `float_roundtrip` feature). `None`: any other form, left to serde_json.
pub(super) fn plain_decimal(text: &[u8]) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (negative, unsigned) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let (whole, fraction) = match unsigned.iter().position(|&b| b == b'.') {
        Some(dot) => (&unsigned[..dot], &unsigned[dot + 1..]),
        None => return None,
    };
    let digits = whole.len() + fraction.len();
    if whole.is_empty()
        || fraction.is_empty()
        || digits > 15
        || (whole.len() > 1 && whole[0] == b'0')
        || !whole.iter().chain(fraction).all(u8::is_ascii_digit)
    {
        return None;
    }
    let significand = whole
        .iter()
        .chain(fraction)
        .fold(0u64, |n, &b| n * 10 + u64::from(b - b'0'));
    let x = significand as f64 / POW10[fraction.len()];
    Some(if negative { -x } else { x })
}
