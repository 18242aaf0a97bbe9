//! A clause in words, as the explanation shows it: its headline (`Pageview: count = 2, needs
//! ≥ 3`), its window, its `where`, and its near misses (`2 matching events outside the window
//! (latest 14:22, 35 minutes too early)`).

use ratatui::text::Span;
use serde_json::Value;

use crate::console::theme::Theme;
use crate::engine::{ExplanationNode, OutsideWindow, WindowExplanation};

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "nothing".into(),
        other => other.to_string(),
    }
}

pub(crate) fn mark(ok: bool, theme: Theme) -> Span<'static> {
    if ok {
        Span::styled("✓ ", theme.ok())
    } else {
        Span::styled("✗ ", theme.error())
    }
}

/// `≥ 3`, `between 1 and 5`.
pub fn comparison(operator: &str, threshold: Option<&Value>) -> String {
    let t = threshold.map(text_of).unwrap_or_default();
    match (operator, threshold) {
        ("between", Some(Value::Array(range))) if range.len() == 2 => {
            format!("between {} and {}", text_of(&range[0]), text_of(&range[1]))
        }
        ("greater_than_or_equal_to", _) => format!("≥ {t}"),
        ("greater_than", _) => format!("> {t}"),
        ("less_than_or_equal_to", _) => format!("≤ {t}"),
        ("less_than", _) => format!("< {t}"),
        ("equal_to", _) => format!("= {t}"),
        (other, _) => format!("{other} {t}"),
    }
}

/// `the last 7 days (2024-01-01T00:00:00Z → 2024-01-08T00:00:00Z]`.
pub fn window(window: &WindowExplanation) -> String {
    let mut out = match window.kind.as_str() {
        "the_last" => format!(
            "the last {} {}",
            window.value.as_ref().map(text_of).unwrap_or_default(),
            window.unit.as_deref().unwrap_or("")
        ),
        "all_time" => "all time".to_string(),
        other => other.replace('_', " "),
    };
    let start = window.start.as_deref();
    let end = window.end.as_deref();
    if start.is_some() || end.is_some() {
        let open = if window.start_inclusive { "[" } else { "(" };
        let close = if window.end_inclusive { "]" } else { ")" };
        out.push_str(&format!(
            " {open}{} → {}{close}",
            start.unwrap_or("…"),
            end.unwrap_or("…")
        ));
    }
    out
}

/// `properties.article.category equal_to "football"`, else the `where` as JSON.
pub fn filter(filter: &Value) -> String {
    if let (Some(property), Some(condition)) = (
        filter.get("property").and_then(Value::as_str),
        filter.get("condition").and_then(Value::as_object),
    ) && condition.len() == 1
        && let Some((op, operand)) = condition.iter().next()
    {
        return format!("{property} {op} {operand}");
    }
    filter.to_string()
}

/// How a clause names the cohorts it reads: a code to its name, if known.
pub type Names<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The headline of a clause: what it looked at and what it found.
pub fn clause_text(node: &ExplanationNode) -> String {
    clause_text_named(node, &|_| None)
}

/// [`clause_text`], with the names of the cohorts it reads: `in segment 1001 (Football fans)`.
pub fn clause_text_named(node: &ExplanationNode, names: Names<'_>) -> String {
    let kind = node.kind.as_str();
    let mut out = match kind {
        "and" => "all of (and)".to_string(),
        "or" => "any of (or)".to_string(),
        "not" => "not".to_string(),
        "in_segment" | "has_entered" | "has_exited" => {
            let code = node.segment.as_deref().unwrap_or("?");
            match names(code).filter(|name| !name.is_empty()) {
                Some(name) => format!("{} {code} ({name})", kind.replace('_', " ")),
                None => format!("{} {code}", kind.replace('_', " ")),
            }
        }
        "in_second_party_segment" | "in_third_party_segment" => format!(
            "{} {}/{}",
            kind.replace('_', " "),
            node.provider.as_deref().unwrap_or("?"),
            node.segment.as_deref().unwrap_or("?")
        ),
        other => node
            .event
            .clone()
            .unwrap_or_else(|| other.replace('_', " ")),
    };
    if let Some(measure) = &node.measure {
        let value = node
            .value
            .as_ref()
            .map(text_of)
            .unwrap_or_else(|| "?".into());
        out.push_str(&format!(": {measure} = {value}"));
    }
    if let Some(op) = &node.operator {
        out.push_str(&format!(
            ", needs {}",
            comparison(op, node.threshold.as_ref())
        ));
    }
    out
}

/// `2 matching events outside the window (latest 14:22, 35 minutes too early)`: the events of
/// the call that would have counted but for the window. The time is the clock's (UTC), with
/// its date when that is not the window's.
pub fn near_misses(outside: &OutsideWindow, window: Option<&WindowExplanation>) -> String {
    let early = outside.side == "early";
    let closest = match outside.closest.parse::<jiff::Timestamp>() {
        Ok(time) => {
            let time = time.to_zoned_datetime(jiff::tz::TimeZone::UTC);
            let window_day = window
                .and_then(|w| w.end.as_deref().or(w.start.as_deref()))
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .map(|t| t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date());
            let clock = if time.second() == 0 {
                time.strftime("%H:%M").to_string()
            } else {
                time.strftime("%H:%M:%S").to_string()
            };
            if window_day == Some(time.date()) {
                clock
            } else {
                format!("{} {clock}", time.date())
            }
        }
        Err(_) => outside.closest.clone(),
    };
    let which = match (outside.count, early) {
        (1, _) => "at",
        (_, true) => "latest",
        (_, false) => "earliest",
    };
    format!(
        "{} matching event{} outside the window ({which} {closest}, {} too {})",
        outside.count,
        if outside.count == 1 { "" } else { "s" },
        span_text(outside.by_ms),
        if early { "early" } else { "late" }
    )
}

/// A span in the largest units that say it: `35 minutes`, `2 hours 5 minutes`, `3 days`.
pub fn span_text(ms: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    let seconds = ms.max(0) / 1000;
    let minutes = seconds / 60;
    let hours = minutes / 60;
    let days = hours / 24;
    if minutes == 0 {
        plural(seconds.max(1), "second")
    } else if hours < 2 {
        plural(minutes, "minute")
    } else if days < 2 {
        match minutes % 60 {
            0 => plural(hours, "hour"),
            m => format!("{} {}", plural(hours, "hour"), plural(m, "minute")),
        }
    } else {
        match hours % 24 {
            0 => plural(days, "day"),
            h => format!("{} {}", plural(days, "day"), plural(h, "hour")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn near_misses_in_words() {
        let outside = |count, closest: &str, side: &str, by_ms| OutsideWindow {
            count,
            closest: closest.into(),
            side: side.into(),
            by_ms,
        };
        let window: WindowExplanation = serde_json::from_value(json!({"kind": "the_last",
            "value": 30, "unit": "minutes", "start": "2026-03-02T14:57:00Z",
            "end": "2026-03-02T15:27:00Z", "start_inclusive": false, "end_inclusive": true}))
        .unwrap();
        assert_eq!(
            near_misses(
                &outside(2, "2026-03-02T14:22:00Z", "early", 35 * 60_000 + 1),
                Some(&window)
            ),
            "2 matching events outside the window (latest 14:22, 35 minutes too early)"
        );
        // Another day than the window's: the date too; one event: "at".
        assert_eq!(
            near_misses(
                &outside(
                    1,
                    "2026-02-27T09:05:30Z",
                    "early",
                    3 * 86_400_000 + 7_200_000
                ),
                Some(&window)
            ),
            "1 matching event outside the window (at 2026-02-27 09:05:30, 3 days 2 hours too early)"
        );
        assert_eq!(
            near_misses(&outside(3, "2026-03-02T12:10:00Z", "late", 600_001), None),
            "3 matching events outside the window (earliest 2026-03-02 12:10, 10 minutes too late)"
        );
        assert_eq!(span_text(1), "1 second");
        assert_eq!(span_text(61_000), "1 minute");
        assert_eq!(span_text(2 * 3_600_000), "2 hours");
        assert_eq!(span_text(2 * 3_600_000 + 300_000), "2 hours 5 minutes");
        assert_eq!(span_text(2 * 86_400_000), "2 days");
    }
}
