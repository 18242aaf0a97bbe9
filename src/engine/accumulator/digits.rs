//! Reading the digits of a state's numbers many bytes at a time: a 13-digit time sixteen bytes
//! at once (with SSE2 on x86-64, eight at a time elsewhere), any run of digits eight at a time,
//! and plain decimals as serde_json reads them.

use crate::json::non_digits;

/// Which of sixteen bytes must be digits (bit `i` for byte `i`): in a pair after its comma,
/// the time's 13 and the value's; for a clock, the time's 13.
pub(super) const PAIR_DIGITS: u16 = 0x5FFF;
pub(super) const CLOCK_DIGITS: u16 = 0x1FFF;

/// The 13-digit time that sixteen bytes start with, `head` the first eight and `tail` the next
/// eight, if the bytes `DIGITS` says (always the first eight) are digits; no other byte is
/// looked at.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(super) fn time_13<const DIGITS: u16>(head: u64, tail: u64) -> Option<u64> {
    // SAFETY: the build targets CPUs with SSE2 (`target_feature = "sse2"`, part of x86-64).
    unsafe { time_13_sse2::<DIGITS>(head, tail) }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(super) fn time_13<const DIGITS: u16>(head: u64, tail: u64) -> Option<u64> {
    time_13_swar::<DIGITS>(head, tail)
}

/// [`time_13`] of two pairs' words.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(super) fn times_13<const DIGITS: u16>(
    first: (u64, u64),
    second: (u64, u64),
) -> Option<(u64, u64)> {
    // SAFETY: the build targets CPUs with SSE2 (`target_feature = "sse2"`, part of x86-64).
    unsafe { times_13_sse2::<DIGITS>(first, second) }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(super) fn times_13<const DIGITS: u16>(
    first: (u64, u64),
    second: (u64, u64),
) -> Option<(u64, u64)> {
    Some((
        time_13_swar::<DIGITS>(first.0, first.1)?,
        time_13_swar::<DIGITS>(second.0, second.1)?,
    ))
}

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
