//! Where a value of the editor's events is in its text: event `i` and a JSON pointer into it →
//! a byte offset, so that a violation (the live check's or a 400's) marks the line it is about.

use serde_json::value::RawValue;

/// The byte offset of each event of `text` (a JSON array), or `None` when it is not one.
pub(super) fn event_offsets(text: &str) -> Option<Vec<(usize, &RawValue)>> {
    let items: Vec<&RawValue> = serde_json::from_str(text).ok()?;
    Some(
        items
            .into_iter()
            .map(|raw| (offset_in(text, raw), raw))
            .collect(),
    )
}

fn offset_in(text: &str, raw: &RawValue) -> usize {
    raw.get().as_ptr() as usize - text.as_ptr() as usize
}

/// Unescapes one JSON pointer token (`~1` is `/`, `~0` is `~`).
fn token(raw: &str) -> String {
    raw.replace("~1", "/").replace("~0", "~")
}

/// The byte offset in `text` of the value at `pointer` inside event `event`: the deepest
/// value the pointer reaches (a missing key points at the object that lacks it). `None` when
/// the text is not an array or has no such event.
pub fn locate(text: &str, event: usize, pointer: &str) -> Option<usize> {
    let events = event_offsets(text)?;
    let (_, raw) = *events.get(event)?;
    Some(locate_in(text, raw, pointer))
}

/// [`locate`] inside an event already read from `text` (one of [`event_offsets`]'s), so that
/// finding many values does not read the whole text again for each.
pub(super) fn locate_in(text: &str, mut raw: &RawValue, pointer: &str) -> usize {
    for part in pointer.split('/').skip(1) {
        let key = token(part);
        let inner = raw.get();
        let next = if inner.starts_with('{') {
            serde_json::from_str::<indexmap::IndexMap<String, &RawValue>>(inner)
                .ok()
                .and_then(|map| map.into_iter().find(|(k, _)| *k == key).map(|(_, v)| v))
        } else if inner.starts_with('[') {
            serde_json::from_str::<Vec<&RawValue>>(inner)
                .ok()
                .and_then(|items| {
                    key.parse::<usize>()
                        .ok()
                        .and_then(|i| items.get(i).copied())
                })
        } else {
            None
        };
        match next {
            Some(next) => raw = next,
            None => break,
        }
    }
    offset_in(text, raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pointer_finds_its_value_and_a_missing_key_its_object() {
        let text = "[\n {\"name\": \"a\"},\n {\"name\": \"b\",\n  \"properties\": {\n   \"c/d\": [1,\n    2]\n  }}\n]";
        let line = |offset: usize| text[..offset].matches('\n').count() + 1;
        assert_eq!(locate(text, 0, "").map(line), Some(2));
        assert_eq!(locate(text, 1, "/name").map(line), Some(3));
        assert_eq!(locate(text, 1, "/properties/c~1d/1").map(line), Some(6));
        assert_eq!(locate(text, 1, "/properties/missing").map(line), Some(4));
        assert_eq!(locate(text, 2, "/name"), None);
        assert_eq!(locate("[1,", 0, ""), None);
    }
}
