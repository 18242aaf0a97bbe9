//! The accumulators, their text and the two readers, checked against each other.

use super::digits::{eight_digits, leading_digits, plain_decimal};
use super::encode::push_integer;
use super::scan::{Scanner, find_byte};
use super::*;
use serde_json::Value;
use serde_json::json;
use serde_json::value::RawValue;

const WINDOW: Mode = Mode::WindowedTotal { span_ms: 100 };

/// The fast reader's state and spans.
fn read_fast(
    text: &str,
    checksum: &str,
    modes: &[Mode],
) -> Option<(CohortState, Vec<Option<Source>>)> {
    let mut spans = Vec::new();
    let state = Scanner::read_entry(text, checksum, modes, &mut spans)?;
    assert_eq!(spans.len(), modes.len());
    Some((state, spans))
}
const WINDOW_MAX: Mode = Mode::WindowedMax { span_ms: 100 };

#[test]
fn windowed_totals_merge_equal_times_and_prune_by_clock() {
    let mut acc = Accumulator::empty(WINDOW);
    for t in [50, 10, 50, 120] {
        acc.add(WINDOW, t, 1.0);
    }
    assert_eq!(
        acc,
        Accumulator::Windowed(vec![(10, 1.0), (50, 2.0), (120, 1.0)])
    );
    assert_eq!(acc.value(WINDOW, Some(120)), Some(3.0));
    assert_eq!(
        acc.value(WINDOW, Some(150)),
        Some(1.0),
        "boundary 50 is excluded"
    );
    acc.prune(WINDOW, Some(150));
    assert_eq!(acc.encode(WINDOW), json!(["wp", 120, 1]));
}

#[test]
fn a_running_window_sum_is_the_sum_of_the_window() {
    let mut acc = Accumulator::empty(WINDOW);
    let mut running = WindowSum::default();
    for (t, x) in [
        (10, 0.1),
        (20, 0.2),
        (30, 0.3),
        (40, 1e16),
        (50, 1.0),
        (60, -1e16),
    ] {
        let intact = acc.add(WINDOW, t, x);
        running.valid &= intact;
        let Accumulator::Windowed(entries) = &acc else {
            panic!("windowed");
        };
        let summed = acc.value(WINDOW, Some(t)).map(f64::to_bits);
        assert_eq!(Some(running.total(entries, 100, Some(t)).to_bits()), summed);
    }
    // The window moves on: the earliest entries leave it, the sum starts again.
    let now = Some(125);
    if acc.prune(WINDOW, now) > 0 {
        running.valid = false;
    }
    let Accumulator::Windowed(entries) = &acc else {
        panic!("windowed");
    };
    assert_eq!(
        Some(running.total(entries, 100, now).to_bits()),
        acc.value(WINDOW, now).map(f64::to_bits)
    );
}

#[test]
fn windowed_max_keeps_only_undominated_entries() {
    let mut acc = Accumulator::empty(WINDOW_MAX);
    for (t, x) in [(10, 0.5), (20, 0.9), (30, 0.4), (15, 0.2), (40, 0.4)] {
        acc.add(WINDOW_MAX, t, x);
    }
    assert_eq!(acc, Accumulator::Windowed(vec![(20, 0.9), (40, 0.4)]));
    assert_eq!(acc.value(WINDOW_MAX, Some(119)), Some(0.9));
    assert_eq!(acc.value(WINDOW_MAX, Some(120)), Some(0.4));
    assert_eq!(acc.value(WINDOW_MAX, Some(141)), None);
}

#[test]
fn state_round_trips_and_rejects_garbage() {
    let modes = [Mode::Total, Mode::Max, WINDOW];
    let mut state = CohortState::empty(&modes);
    state.clock = Some(120);
    state.accumulators[0].add(Mode::Total, 1, 2.0);
    state.accumulators[2].add(WINDOW, 100, 1.0);
    let text = state.encode(&modes).to_string();
    assert_eq!(text, r#"[120,["p",2],["v",null],["wp",100,1]]"#);
    let back: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(CohortState::decode(&back, &modes), Ok(state));
    for garbage in [
        json!(null),
        json!([]),
        json!([1]),
        json!([1.5, ["p", 1], ["v", 1], ["wp"]]),
        json!([1, ["p", "1"], ["v", 1], ["wp"]]),
        json!([1, ["p", 1], ["v", 1], ["wp", 1]]),
    ] {
        assert!(CohortState::decode(&garbage, &modes).is_err(), "{garbage}");
    }
}

fn read_both(text: &str, checksum: &str, modes: &[Mode]) -> String {
    let raw = RawValue::from_string(text.to_string()).expect("json");
    let value: Value = serde_json::from_str(text).expect("json");
    let from_text = format!("{:?}", EntryRead::from_text(&raw, checksum, modes));
    let from_value = format!("{:?}", EntryRead::from_value(&value, checksum, modes));
    assert_eq!(from_text, from_value, "{text}");
    from_text
}

#[test]
fn entries_read_the_same_from_text_and_values() {
    let modes = [Mode::Total, WINDOW_MAX];
    let state = r#"[120,["p",2.5],["wv",100,0.5,110,0.25]]"#;
    for text in [
        format!(r#"{{"abc":{state}}}"#),
        format!(r#"{{"old":[1],"abc":{state},"old":{{"x":[]}}}}"#),
        format!(r#"{{"abc":[1],"abc":{state}}}"#),
        r#"{"abc":[1.0,["p",1],["wv"]]}"#.to_string(),
        r#"{"abc":[1,["p",1],["wv",1]]}"#.to_string(),
        r#"{"abc":[1,["p",1],["wv"],[]]}"#.to_string(),
        r#"{"abc":[1,{"p":1},["wp"]]}"#.to_string(),
        r#"{"abc":[18446744073709551615,["p",1],["wv"]]}"#.to_string(),
        r#"{"abc":[]}"#.to_string(),
        r#"{"abc":{"a":[1,2]}}"#.to_string(),
        r#"[{"abc":[1]}]"#.to_string(),
        r#""abc""#.to_string(),
        "null".to_string(),
    ] {
        read_both(&text, "abc", &modes);
    }
    let duplicated = read_both(
        &format!(r#"{{"old":[1],"abc":[1],"old":2,"abc":{state}}}"#),
        "abc",
        &modes,
    );
    assert!(
        duplicated.starts_with(r#"Object { dropped: ["old"], current_at: 1, current: Some(Ok("#),
        "{duplicated}"
    );
}

#[test]
fn the_fast_path_reads_what_the_visitors_read() {
    let modes = [Mode::Total, Mode::Max, WINDOW, WINDOW_MAX];
    for text in [
        r#"{"k":[5,["p",2],["v",null],["wp",1,2,3,4.5],["wv",1,0.5,2,0.25]]}"#,
        r#"{"k":[null,["p",-2.5e3],["v",1E2],["wp"],["wv",3,1,1,2]]}"#,
        r#"{"k":[5,["p",123456789012345678],["v",0],["wp",-1,0],["wv"]]}"#,
        r#"{"k":[5,["p",12345678901234567890123],["v",-0],["wp"],["wv"]]}"#,
    ] {
        let (fast, _) = read_fast(text, "k", &modes).expect(text);
        let value: Value = serde_json::from_str(text).expect("json");
        match EntryRead::from_value(&value, "k", &modes) {
            EntryRead::Object {
                current: Some(Ok(state)),
                ..
            } => assert_eq!(fast, state, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    for text in [
        r#"{"k": [5,["p",2],["v",null],["wp"],["wv"]]}"#,
        r#"{"j":[5,["p",2],["v",null],["wp"],["wv"]]}"#,
        r#"{"k":[5,["p",2],["v",null],["wp"],["wv"]],"j":1}"#,
        r#"{"k":[-0,["p",2],["v",null],["wp"],["wv"]]}"#,
        r#"{"k":[5.0,["p",2],["v",null],["wp"],["wv"]]}"#,
        r#"{"k":[5,["p",2],["v",null],["wp",1],["wv"]]}"#,
        r#"{"k":[5,["p",2],["v",null],["wp",1.5,1],["wv"]]}"#,
        r#"{"k":[5,["p",2],["v",null],["wv"],["wp"]]}"#,
        r#"{"k":[5,["p",2],["v",null],["wp"]]}"#,
        r#"{"k":[5,["p",2],["v",null],["wp"],["wv"],1]}"#,
        r#"{"k":[5,["p",1e999],["v",null],["wp"],["wv"]]}"#,
    ] {
        assert_eq!(read_fast(text, "k", &modes).map(|r| r.0), None, "{text}");
    }
}

fn number_text() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (-100i64..100).prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|x| x.to_string()),
        any::<f64>().prop_map(|x| format!("{x:e}")),
        any::<f64>().prop_map(|x| format!("{x:E}")),
        prop::sample::select(vec![
            "-0", "0.0", "1e400", "-1e-400", "00", "1.", "null", "\"p\""
        ])
        .prop_map(str::to_string),
    ]
}

proptest::proptest! {
    #[test]
    fn the_fast_path_agrees_with_the_visitors(
        clock in number_text(),
        p in number_text(),
        v in number_text(),
        wp in proptest::collection::vec((number_text(), number_text()), 0..4),
        wv in proptest::collection::vec((number_text(), number_text()), 0..4),
        adds in proptest::collection::vec((0usize..4, -3i64..8, 0u8..3), 0..4),
        now in proptest::option::of(-3i64..120),
    ) {
        let modes = [Mode::Total, Mode::Max, WINDOW, WINDOW_MAX];
        let pairs = |items: &[(String, String)]| {
            items.iter().map(|(t, x)| format!(",{t},{x}")).collect::<String>()
        };
        let text = format!(
            r#"{{"k":[{clock},["p",{p}],["v",{v}],["wp"{}],["wv"{}]]}}"#,
            pairs(&wp),
            pairs(&wv)
        );
        let Ok(value) = serde_json::from_str::<Value>(&text) else {
            return Ok(());
        };
        if let Some((fast, spans)) = read_fast(&text, "k", &modes) {
            match EntryRead::from_value(&value, "k", &modes) {
                EntryRead::Object { current: Some(Ok(state)), .. } => {
                    // Copied text is what would have been written.
                    let mut copied = Vec::new();
                    state.write_entry(&mut copied, "k", &modes, Some((&text, &spans)));
                    let mut written = Vec::new();
                    state.write_entry(&mut written, "k", &modes, None);
                    proptest::prop_assert_eq!(&copied, &written);
                    let expected = serde_json::json!({"k": state.encode(&modes)}).to_string();
                    proptest::prop_assert_eq!(String::from_utf8(written).unwrap(), expected);
                    proptest::prop_assert_eq!(&fast, &state, "{}", text);
                    // Then events come and the clock moves, as in `evaluate`: what is
                    // copied through is still exactly what would be written.
                    let mut state = state;
                    let mut sources = spans.clone();
                    let mut intact = vec![true; modes.len()];
                    for &(l, t, x) in &adds {
                        intact[l] &= state.accumulators[l].add(modes[l], t, f64::from(x));
                    }
                    for (l, accumulator) in state.accumulators.iter_mut().enumerate() {
                        let dropped = accumulator.prune(modes[l], now);
                        match &mut sources[l] {
                            Some(s) if intact[l] => s.dropped += dropped,
                            other => *other = None,
                        }
                    }
                    let mut copied = Vec::new();
                    state.write_entry(&mut copied, "k", &modes, Some((&text, &sources)));
                    let mut written = Vec::new();
                    state.write_entry(&mut written, "k", &modes, None);
                    proptest::prop_assert_eq!(
                        String::from_utf8(copied).unwrap(),
                        String::from_utf8(written).unwrap(),
                        "{} {:?} {:?}", text, adds, now
                    );
                }
                other => proptest::prop_assert!(false, "{}: {:?}", text, other),
            }
        }
    }
}

#[test]
fn windowed_text_is_copied_around_pruned_and_appended_pairs() {
    let modes = [WINDOW, WINDOW_MAX, Mode::Total];
    let text = r#"{"k":[60,["wp",10,1,20,2,60,3],["wv",20,9,60,5],["p",4]]}"#;
    type Case<'a> = (&'a [(usize, i64, f64)], Option<i64>, &'a str);
    let cases: [Case<'_>; 6] = [
        (
            &[],
            Some(60),
            r#"{"k":[60,["wp",10,1,20,2,60,3],["wv",20,9,60,5],["p",4]]}"#,
        ),
        (
            &[(0, 70, 1.0), (1, 70, 1.0)],
            Some(115),
            r#"{"k":[60,["wp",20,2,60,3,70,1],["wv",20,9,60,5,70,1],["p",4]]}"#,
        ),
        (
            &[(0, 200, 1.5)],
            Some(200),
            r#"{"k":[60,["wp",200,1.5],["wv"],["p",4]]}"#,
        ),
        (
            &[(0, 60, 1.0), (2, 0, 1.0)],
            Some(60),
            r#"{"k":[60,["wp",10,1,20,2,60,4],["wv",20,9,60,5],["p",5]]}"#,
        ),
        (
            &[(1, 70, 6.0)],
            Some(60),
            r#"{"k":[60,["wp",10,1,20,2,60,3],["wv",20,9,70,6],["p",4]]}"#,
        ),
        (&[], None, r#"{"k":[60,["wp"],["wv"],["p",4]]}"#),
    ];
    for (adds, now, expected) in cases {
        let (mut state, mut sources) = read_fast(text, "k", &modes).expect("fast");
        let mut intact = [true; 3];
        for &(l, t, x) in adds {
            intact[l] &= state.accumulators[l].add(modes[l], t, x);
        }
        for (l, accumulator) in state.accumulators.iter_mut().enumerate() {
            let dropped = accumulator.prune(modes[l], now);
            match &mut sources[l] {
                Some(s) if intact[l] => s.dropped += dropped,
                other => *other = None,
            }
        }
        let mut copied = Vec::new();
        state.write_entry(&mut copied, "k", &modes, Some((text, &sources)));
        let mut written = Vec::new();
        state.write_entry(&mut written, "k", &modes, None);
        assert_eq!(String::from_utf8(written).unwrap(), expected, "{adds:?}");
        assert_eq!(String::from_utf8(copied).unwrap(), expected, "{adds:?}");
    }
}

#[test]
fn find_byte_finds_the_first_occurrence() {
    let text = b"[\"wp\",1767225600000,3,1767225600001,]4]]";
    for start in 0..text.len() {
        for end in start..=text.len() {
            let hay = &text[start..end];
            assert_eq!(
                find_byte(hay, b']'),
                hay.iter().position(|&b| b == b']'),
                "{start}..{end}"
            );
        }
    }
    let all: Vec<u8> = (0..=255).collect();
    for needle in 0..=255u8 {
        assert_eq!(find_byte(&all, needle), Some(usize::from(needle)));
    }
}

#[test]
fn eight_digits_read_as_the_byte_loop_does() {
    for text in [
        "00000000",
        "12345678",
        "99999999",
        "1234567a",
        "/2345678",
        ":2345678",
        "1234 678",
        "\u{ff}234567",
    ] {
        let bytes = text.as_bytes();
        let expected = (bytes.len() == 8 && bytes.iter().all(u8::is_ascii_digit))
            .then(|| text.parse::<u64>().unwrap());
        assert_eq!(eight_digits(&bytes[..8]), expected, "{text}");
    }
    for n in [
        0u64, 7, 10, 99, 1_000_000, 12_345_678, 98_765_432, 99_999_999,
    ] {
        let text = format!("{n:08}");
        assert_eq!(eight_digits(text.as_bytes()), Some(n));
    }
    for text in [
        "1767225600000",
        "1767225600000,",
        "-12345678901",
        "123456789012345678",
    ] {
        let mut s = Scanner {
            bytes: text.as_bytes(),
            text,
            pos: 0,
            canonical: true,
        };
        let expected = text.trim_end_matches(',').parse::<i64>().unwrap();
        assert_eq!(s.integer(), Some(expected), "{text}");
    }
}

#[test]
fn leading_digits_read_as_the_byte_loop_does() {
    for text in [
        "",
        "1",
        "12,",
        "1767225600000",
        "1767225600000,1]]",
        "12345678",
        "123456789,",
        "1234567812345678",
        "12345678123456789",
        "999999999999999999]",
        "0000000000000000001",
        "7\u{ff}",
        "5:5",
        "5/5",
        "-5",
    ] {
        let bytes = text.as_bytes();
        for end in 0..=bytes.len() {
            let hay = &bytes[..end];
            let digits = hay.iter().take_while(|b| b.is_ascii_digit()).count();
            let value = hay[..digits].iter().fold(0u64, |n, &b| {
                n.wrapping_mul(10).wrapping_add(u64::from(b - b'0'))
            });
            assert_eq!(leading_digits(hay), (digits, value), "{hay:?}");
        }
    }
}

#[test]
fn common_pairs_read_as_the_general_path_does() {
    let modes = [WINDOW];
    for pairs in [
        "1767225600000,1",
        "1767225600000,1,1767225600001,9",
        "1767225600000,0,1767225600001,10",
        "1767225600000,1.5",
        "1767225600000,1e2",
        "0767225600000,1",
        "176722560000,1",
        "17672256000000,1",
        "1767225600000,-1",
        "1767225600000,01",
        "1767225600000.0,1",
        "1767225600000,1,1767225600000,2",
        "-999999999999999999,52046689283,1767225600000,3",
    ] {
        let text = format!(r#"{{"k":[1767225600000,["wp",{pairs}]]}}"#);
        let fast = read_fast(&text, "k", &modes).map(|(state, _)| state);
        let Ok(value) = serde_json::from_str::<Value>(&text) else {
            assert_eq!(fast, None, "{text}");
            continue;
        };
        match EntryRead::from_value(&value, "k", &modes) {
            EntryRead::Object {
                current: Some(Ok(state)),
                ..
            } => {
                if let Some(fast) = fast {
                    assert_eq!(fast, state, "{text}");
                }
            }
            other => assert!(fast.is_none(), "{text}: {other:?}"),
        }
    }
}

proptest::proptest! {
    #[test]
    fn plain_decimals_read_as_serde_json_reads_them(
        whole in 0u64..10_000_000,
        fraction in 0u64..100_000_000_000,
        fraction_digits in 1usize..12,
        negative: bool,
    ) {
        let fraction = format!("{fraction:011}");
        let text = format!(
            "{}{whole}.{}",
            if negative { "-" } else { "" },
            &fraction[..fraction_digits]
        );
        let expected: f64 = serde_json::from_str(&text).expect("number");
        match plain_decimal(text.as_bytes()) {
            Some(x) => proptest::prop_assert_eq!(x.to_bits(), expected.to_bits(), "{}", text),
            None => proptest::prop_assert!(text.len() > 16, "{}", text),
        }
    }
}

#[test]
fn integers_are_written_as_serde_json_writes_them() {
    for n in [
        0,
        7,
        -7,
        10,
        99,
        100,
        -100,
        1_772_366_400_000,
        i64::MAX,
        i64::MIN,
    ] {
        let mut out = Vec::new();
        push_integer(&mut out, n);
        assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
    }
}

#[test]
fn entry_text_writes_numbers_as_values_do() {
    let modes = [Mode::Total, Mode::Max, WINDOW, Mode::Max];
    let mut state = CohortState::empty(&modes);
    state.clock = Some(-5);
    state.accumulators[0].add(Mode::Total, 1, 0.1);
    state.accumulators[0].add(Mode::Total, 1, 0.2);
    state.accumulators[1].add(Mode::Max, 1, 1e20);
    state.accumulators[2].add(WINDOW, 100, -0.0);
    state.accumulators[2].add(WINDOW, 101, 3.0);
    state.accumulators[3].add(Mode::Max, 1, f64::INFINITY);
    let mut text = Vec::new();
    state.write_entry(&mut text, "k", &modes, None);
    let text = String::from_utf8(text).expect("UTF-8");
    let expected = serde_json::json!({"k": state.encode(&modes)}).to_string();
    assert_eq!(text, expected);
    assert_eq!(
        text,
        r#"{"k":[-5,["p",0.30000000000000004],["v",1e+20],["wp",100,0,101,3],["v",null]]}"#
    );
}

/// A windowed pair's time as the state holds it (13-digit milliseconds, mostly increasing, some
/// equal), or a time that is nearly that but not quite, or any number.
fn millisecond_time() -> impl proptest::strategy::Strategy<Value = (u8, String)> {
    use proptest::prelude::*;
    prop_oneof![
        8 => (0u8..3).prop_map(|step| (step, String::new())),
        1 => number_text().prop_map(|t| (0, t)),
        1 => prop::sample::select(vec![
            "0767225600000", "176722560000", "17672256000000", "1767225600000.0",
            "1767225600000e0", "9999999999999", "1000000000000", "-1767225600000",
        ])
        .prop_map(|t| (0, t.to_string())),
    ]
}

/// A windowed pair's value: mostly one digit, sometimes another number.
fn pair_value() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop_oneof![
        8 => (0u8..10).prop_map(|d| d.to_string()),
        1 => number_text(),
        1 => prop::sample::select(vec!["10", "01", "1.5", "-1", "1e2", "9.0", "1,", "1 "])
            .prop_map(str::to_string),
    ]
}

proptest::proptest! {
    /// Long windows of millisecond times, the text the engine writes and near misses of it:
    /// the fast reader reads what the visitors read, and the text it says can be copied is
    /// what would be written.
    #[test]
    fn windows_of_millisecond_times_read_as_the_visitors_read_them(
        wp in proptest::collection::vec((millisecond_time(), pair_value()), 0..40),
        wv in proptest::collection::vec((millisecond_time(), pair_value()), 0..12),
        start in 1_000_000_000_000i64..9_999_999_900_000,
        clock in millisecond_time(),
    ) {
        let modes = [WINDOW, WINDOW_MAX];
        let pairs = |items: &[((u8, String), String)]| {
            let mut time = start;
            items
                .iter()
                .map(|((step, t), x)| {
                    time += i64::from(*step) * 60_000;
                    let t = if t.is_empty() { time.to_string() } else { t.clone() };
                    format!(",{t},{x}")
                })
                .collect::<String>()
        };
        let clock = if clock.1.is_empty() { start.to_string() } else { clock.1 };
        let text = format!(
            r#"{{"k":[{clock},["wp"{}],["wv"{}]]}}"#,
            pairs(&wp),
            pairs(&wv)
        );
        let fast = read_fast(&text, "k", &modes);
        let Ok(value) = serde_json::from_str::<Value>(&text) else {
            proptest::prop_assert!(fast.is_none(), "{}", text);
            return Ok(());
        };
        let read = EntryRead::from_value(&value, "k", &modes);
        let Some((fast, spans)) = fast else {
            return Ok(());
        };
        match read {
            EntryRead::Object { current: Some(Ok(state)), .. } => {
                proptest::prop_assert_eq!(&fast, &state, "{}", text);
                let mut copied = Vec::new();
                state.write_entry(&mut copied, "k", &modes, Some((&text, &spans)));
                let mut written = Vec::new();
                state.write_entry(&mut written, "k", &modes, None);
                proptest::prop_assert_eq!(
                    String::from_utf8(copied).unwrap(),
                    String::from_utf8(written).unwrap(),
                    "{}", text
                );
            }
            other => proptest::prop_assert!(false, "{}: {:?}", text, other),
        }
    }
}

/// Every byte of a pair's sixteen (or a clock's) replaced by every value, and random bytes near
/// them: the SSE2 reading of a 13-digit time agrees with the eight-bytes-at-a-time one, and
/// both with the byte loop.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[test]
fn times_read_the_same_sixteen_and_eight_bytes_at_a_time() {
    use super::digits::{CLOCK_DIGITS, PAIR_DIGITS, time_13_sse2, time_13_swar, times_13_sse2};
    let words = |bytes: &[u8; 16]| {
        let (head, tail) = bytes.split_at(8);
        (
            u64::from_le_bytes(head.try_into().unwrap()),
            u64::from_le_bytes(tail.try_into().unwrap()),
        )
    };
    let check = |bytes: &[u8; 16]| {
        let (head, tail) = words(bytes);
        // SAFETY: the test only runs where SSE2 is (the cfg above).
        let (pair, clock) = unsafe {
            (
                time_13_sse2::<PAIR_DIGITS>(head, tail),
                time_13_sse2::<CLOCK_DIGITS>(head, tail),
            )
        };
        let text = bytes.escape_ascii();
        assert_eq!(pair, time_13_swar::<PAIR_DIGITS>(head, tail), "{text}");
        assert_eq!(clock, time_13_swar::<CLOCK_DIGITS>(head, tail), "{text}");
        let time = bytes[..13].iter().all(u8::is_ascii_digit).then(|| {
            bytes[..13]
                .iter()
                .fold(0u64, |n, &b| n * 10 + u64::from(b - b'0'))
        });
        assert_eq!(clock, time, "{text}");
        assert_eq!(pair, time.filter(|_| bytes[14].is_ascii_digit()), "{text}");
        // With a pair that reads, before and after it: both times, or none.
        let other = words(b"1767225600000,1,");
        // SAFETY: as above.
        let (before, after) = unsafe {
            (
                times_13_sse2::<PAIR_DIGITS>(other, (head, tail)),
                times_13_sse2::<PAIR_DIGITS>((head, tail), other),
            )
        };
        assert_eq!(before, pair.map(|t| (1_767_225_600_000, t)), "{text}");
        assert_eq!(after, pair.map(|t| (t, 1_767_225_600_000)), "{text}");
    };
    for text in [
        b"1767225600000,1,",
        b"9999999999999,9]",
        b"0000000000000,0,",
    ] {
        check(text);
        for at in 0..16 {
            for b in 0..=255u8 {
                let mut bytes = *text;
                bytes[at] = b;
                check(&bytes);
            }
        }
    }
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..100_000 {
        let mut bytes = *b"1767225600000,1,";
        for byte in &mut bytes {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if state.is_multiple_of(4) {
                *byte = b"0123456789,.]-e/:\x00\xff"[(state >> 8) as usize % 19];
            }
        }
        check(&bytes);
    }
}
