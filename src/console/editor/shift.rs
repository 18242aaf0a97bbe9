//! Moving the editor's events in time (Ctrl+T): every `time` shifted by a step, every
//! `view_id` a fresh one, the rest of the text as the user wrote it.

use serde_json::Value;

use super::locate::{event_offsets, locate_in};
use crate::console::env::IdSource;

/// A step in time as typed: an optional sign, a whole number and a unit (`s`, `m`, `h`, `d`,
/// `w`): `+30m`, `45m`, `1d`, `-2h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub seconds: i64,
}

impl Step {
    pub fn parse(text: &str) -> Result<Step, String> {
        let text = text.trim();
        let (sign, rest) = match text.strip_prefix('-') {
            Some(rest) => (-1, rest),
            None => (1, text.strip_prefix('+').unwrap_or(text)),
        };
        let rest = rest.trim();
        let split = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (number, unit) = rest.split_at(split);
        let number: i64 = number
            .parse()
            .map_err(|_| format!("\"{text}\" is not a step: write +30m, 45m, 2h, 1d, 1w"))?;
        let unit = match unit.trim() {
            "s" | "sec" => 1,
            "m" | "min" | "" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 604_800,
            other => return Err(format!("\"{other}\" is not a unit: use s, m, h, d or w")),
        };
        number
            .checked_mul(unit)
            .filter(|s| *s <= 366 * 86_400)
            .map(|s| Step { seconds: sign * s })
            .ok_or_else(|| format!("\"{text}\" is more than a year"))
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.seconds < 0 { '-' } else { '+' };
        let s = self.seconds.unsigned_abs();
        let (n, unit) = match s {
            _ if s.is_multiple_of(604_800) && s > 0 => (s / 604_800, "w"),
            _ if s.is_multiple_of(86_400) && s > 0 => (s / 86_400, "d"),
            _ if s.is_multiple_of(3600) && s > 0 => (s / 3600, "h"),
            _ if s.is_multiple_of(60) => (s / 60, "m"),
            _ => (s, "s"),
        };
        write!(f, "{sign}{n}{unit}")
    }
}

/// What a shift changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shifted {
    pub text: String,
    pub times: usize,
    pub view_ids: usize,
}

/// `text` with every event's `time` moved by `step` (written as RFC 3339 to the second when
/// it had no fraction) and every `view_id` replaced by a new id; or why not (the text is not an
/// array of events, or a time is not RFC 3339).
pub fn shift_events(text: &str, step: Step, ids: &mut IdSource) -> Result<Shifted, String> {
    let events = event_offsets(text)
        .ok_or("the events are not a JSON array: fix them first (the border says where)")?;
    // (offset of the string literal, its length, the new literal), replaced from the end.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut view_ids = 0;
    for (i, &(_, raw)) in events.iter().enumerate() {
        let Ok(Value::Object(event)) = serde_json::from_str::<Value>(raw.get()) else {
            continue;
        };
        if let Some(Value::String(time)) = event.get("time") {
            let parsed: jiff::Timestamp = time
                .parse()
                .map_err(|e| format!("event {}: \"time\" is not RFC 3339 ({e})", i + 1))?;
            let moved = parsed
                .checked_add(jiff::SignedDuration::from_secs(step.seconds))
                .map_err(|e| format!("event {}: {e}", i + 1))?;
            let written = if parsed.subsec_nanosecond() == 0 {
                jiff::Timestamp::from_second(moved.as_second())
                    .unwrap_or(moved)
                    .to_string()
            } else {
                moved.to_string()
            };
            let at = locate_in(text, raw, "/time");
            edits.push((at, literal_len(text, at), format!("\"{written}\"")));
        }
        if let Some(Value::String(_)) = event.get("view_id") {
            let at = locate_in(text, raw, "/view_id");
            let id = format!("\"{}\"", ids.next_uuid());
            edits.push((at, literal_len(text, at), id));
            view_ids += 1;
        }
    }
    let times = edits.len() - view_ids;
    edits.sort_by_key(|(at, _, _)| std::cmp::Reverse(*at));
    let mut out = text.to_string();
    for (at, len, new) in edits {
        out.replace_range(at..at + len, &new);
    }
    Ok(Shifted {
        text: out,
        times,
        view_ids,
    })
}

/// The length of the JSON string literal starting at `at` (its quotes included).
fn literal_len(text: &str, at: usize) -> usize {
    let mut escaped = false;
    for (i, c) in text[at..].char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return i + 1,
            _ => {}
        }
    }
    text.len() - at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_read_as_typed() {
        assert_eq!(Step::parse("+30m"), Ok(Step { seconds: 1800 }));
        assert_eq!(Step::parse("45m"), Ok(Step { seconds: 2700 }));
        assert_eq!(Step::parse("1d"), Ok(Step { seconds: 86_400 }));
        assert_eq!(Step::parse("-2h"), Ok(Step { seconds: -7200 }));
        assert_eq!(Step::parse("90"), Ok(Step { seconds: 5400 }));
        assert!(Step::parse("soon").is_err());
        assert!(Step::parse("3y").is_err());
        assert!(Step::parse("999999999999w").is_err());
        assert_eq!(Step::parse("1d").unwrap().to_string(), "+1d");
        assert_eq!(Step::parse("90m").unwrap().to_string(), "+90m");
    }

    #[test]
    fn times_move_and_view_ids_are_new_and_nothing_else_changes() {
        let text = "[\n  {\"name\": \"a\", \"time\": \"2026-01-01T23:40:00Z\",\n   \"view_id\": \"v\", \"properties\": {\"time\": \"x\"}},\n  {\"name\": \"b\", \"time\": \"2026-01-01T00:00:00.5Z\", \"properties\": {}}\n]";
        let mut ids = IdSource::counter();
        let shifted = shift_events(text, Step::parse("+45m").unwrap(), &mut ids).unwrap();
        assert_eq!((shifted.times, shifted.view_ids), (2, 1));
        let expected = "[\n  {\"name\": \"a\", \"time\": \"2026-01-02T00:25:00Z\",\n   \"view_id\": \"00000000-0000-4000-8000-000000000001\", \"properties\": {\"time\": \"x\"}},\n  {\"name\": \"b\", \"time\": \"2026-01-01T00:45:00.5Z\", \"properties\": {}}\n]";
        assert_eq!(shifted.text, expected);
        assert!(shift_events("[1,", Step { seconds: 60 }, &mut ids).is_err());
        let bad = "[{\"name\": \"a\", \"time\": \"yesterday\", \"properties\": {}}]";
        assert!(shift_events(bad, Step { seconds: 60 }, &mut ids).is_err());
    }
}
