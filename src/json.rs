//! Small JSON reading pieces shared by the rooms that read raw JSON in one pass (the emulator's
//! body reader and the engine's state reader).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Visitor};

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
