//! Small JSON reading pieces shared by the rooms that read raw JSON in one pass (the emulator's
//! body reader and the engine's state reader).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Visitor};

/// Which of eight bytes (little-endian in `v`) are not ASCII digits: a non-zero byte in the
/// result for each. Only exact up to the first non-digit (a carry may spill past it), which is
/// all the callers look at.
#[inline(always)]
pub(crate) fn non_digits(v: u64) -> u64 {
    // A digit's high nibble is 3, and adding 6 keeps it 3.
    const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    ((v & HIGH_NIBBLES) ^ ASCII_ZEROS)
        | ((v.wrapping_add(0x0606_0606_0606_0606) & HIGH_NIBBLES) ^ ASCII_ZEROS)
}

/// Where the content of a JSON string that starts at `bytes[0]` (after its opening quote) stops
/// being plain: the index of its first `"`, `\` or control character, eight bytes at a time.
/// Keys and values are mostly short, where a `memchr` call and a second pass for control
/// characters cost more than the string.
#[inline]
pub(crate) fn plain_string_len(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let v = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        // A byte is flagged where it is zero after the xor (or below 0x20): exact up to the
        // first flagged byte, which is the only one read.
        let quote = v ^ (ONES * u64::from(b'"'));
        let backslash = v ^ (ONES * u64::from(b'\\'));
        let flags = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (v.wrapping_sub(ONES * 0x20) & !v);
        let flags = flags & HIGHS;
        if flags != 0 {
            return Some(at + (flags.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    bytes[at..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|i| at + i)
}

/// Whether `s` is written as a JSON string between quotes as it is (serde_json escapes only
/// control characters, `"` and `\\`).
pub(crate) fn is_plain_string(s: &str) -> bool {
    plain_string_len(s.as_bytes()).is_none()
}

/// A position in JSON text, with the steps every reader of the plain form takes (the body's one
/// pass, its events, their properties): the grammar on top is each reader's own.
pub(crate) struct Cursor<'t> {
    pub text: &'t str,
    pub bytes: &'t [u8],
    pub pos: usize,
}

impl<'t> Cursor<'t> {
    pub fn new(text: &'t str, pos: usize) -> Cursor<'t> {
        Cursor {
            text,
            bytes: text.as_bytes(),
            pos,
        }
    }

    #[inline]
    pub fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    pub fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    #[inline]
    pub fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// After a member: `,` (then whitespace) gives `true`, `close` gives `false`.
    #[inline]
    pub fn next_member(&mut self, close: u8) -> Option<bool> {
        self.ws();
        match self.peek()? {
            b',' => {
                self.pos += 1;
                self.ws();
                Some(true)
            }
            b if b == close => {
                self.pos += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// A string without escapes or control characters: the range of its content.
    #[inline]
    pub fn plain_string_span(&mut self) -> Option<(usize, usize)> {
        self.expect(b'"')?;
        let start = self.pos;
        let len = plain_string_len(&self.bytes[start..])?;
        if self.bytes[start + len] != b'"' {
            return None;
        }
        self.pos = start + len + 1;
        Some((start, start + len))
    }

    /// [`Cursor::plain_string_span`], its content.
    #[inline]
    pub fn plain_string(&mut self) -> Option<&'t str> {
        let (start, end) = self.plain_string_span()?;
        self.text.get(start..end)
    }

    #[inline]
    pub fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.pos + word.len();
        (self.bytes.get(self.pos..end)? == word).then(|| self.pos = end)
    }
}

/// A JSON object key, borrowed from the input when it has no escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key<'a>(pub Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// What went wrong in JSON text, in words a person can act on: serde_json's message without its
/// own " at line L column C" (callers say where), and a lone UTF-16 surrogate escape (`\ud800`
/// with no low half after it) called what it is rather than "unexpected end of hex escape".
pub fn describe_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let what = match text.rfind(" at line ") {
        Some(i) => &text[..i],
        None => text.as_str(),
    };
    match what {
        "unexpected end of hex escape" | "lone leading surrogate in hex escape" => {
            "unpaired surrogate: a \\uD800-\\uDBFF escape must be followed by a \\uDC00-\\uDFFF escape".into()
        }
        other => other.to_string(),
    }
}

/// JSON text re-indented as `serde_json::to_string_pretty` lays it out (two spaces), every token
/// kept byte for byte: numbers keep their spelling (`1.0e2`, `-0`), strings their escapes. For
/// showing raw JSON (a session's events) without re-encoding it. `text` must be valid JSON.
pub fn pretty(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // An empty container stays on one line, as serde writes it.
                while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                    chars.next();
                }
                if chars.peek().is_some_and(|&n| n == '}' || n == ']') {
                    out.push(chars.next().unwrap_or(c));
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn plain_string_len_finds_the_first_quote_backslash_or_control(
            bytes in prop::collection::vec(
                prop_oneof![Just(b'"'), Just(b'\\'), 0u8..0x20, 0x20u8..=0xff, 0x20u8..0x7f], 0..40)
        ) {
            let naive = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            prop_assert_eq!(plain_string_len(&bytes), naive);
        }
    }

    #[test]
    fn plain_strings_are_those_serde_json_writes_unescaped() {
        for c in (0u32..0x3000).filter_map(char::from_u32) {
            let s = format!("1001{c}x");
            let written = serde_json::to_string(&s).unwrap();
            assert_eq!(is_plain_string(&s), written == format!("\"{s}\""), "{c:?}");
        }
        assert!(is_plain_string(""));
    }

    #[test]
    fn pretty_lays_out_like_serde_and_keeps_every_token() {
        let text = r#" [ {"name" :"a\"]}," , "n":[1,{}, "s"], "e":[], "t":"x , y: {"} ] "#;
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(pretty(text), serde_json::to_string_pretty(&value).unwrap());
        let spelled = pretty(r#"[1.0e2,-0,18446744073709551616]"#);
        assert_eq!(spelled, "[\n  1.0e2,\n  -0,\n  18446744073709551616\n]");
    }
}
