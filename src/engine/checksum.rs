//! The checksum that keys a cohort's state: a stable hash of the query's canonical JSON.
//!
//! State written for one definition of a query must not be read by another, so the checksum
//! changes whenever the query does (and when the engine's state format does, via
//! [`STATE_FORMAT`]). It must be identical across processes, platforms and Rust versions, which
//! rules out `std`'s `DefaultHasher`; FNV-1a 64 is tiny, stable and good enough here.

use serde_json::Value;

/// Mixed into every checksum: bump it when the accumulator format changes incompatibly.
const STATE_FORMAT: &str = "segscope-engine-state-v1\n";

const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// 10 lowercase hex digits identifying `query` (sorted keys, no whitespace).
pub(crate) fn checksum(query: &Value) -> String {
    let mut canonical = Vec::with_capacity(256);
    canonical.extend_from_slice(STATE_FORMAT.as_bytes());
    write_canonical(query, &mut canonical);
    let hash = fnv1a64(&canonical);
    // Fold the high bits in so all 64 bits influence the 40 we keep.
    format!("{:010x}", (hash ^ (hash >> 40)) & 0xff_ffff_ffff)
}

pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET_BASIS, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
    })
}

/// Canonical JSON: object keys sorted, no whitespace, strings escaped as serde_json does.
fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        // `3` and `3.0` are the same query: a float with an integer value is written as that
        // integer (exact below 2^53).
        Value::Number(n) => match n.as_f64() {
            Some(x) if n.is_f64() && x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 => {
                out.extend_from_slice((x as i64).to_string().as_bytes());
            }
            _ => out.extend_from_slice(n.to_string().as_bytes()),
        },
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write_canonical(item, out);
            }
            out.push(b'}');
        }
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    // Serializing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fnv1a64_matches_published_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn key_order_and_whitespace_do_not_matter() {
        let a: Value = serde_json::from_str(r#"{"event":"Pageview","during":{"all_time":true}}"#)
            .expect("json");
        let b: Value =
            serde_json::from_str(r#"{ "during" : {"all_time": true}, "event": "Pageview" }"#)
                .expect("json");
        assert_eq!(checksum(&a), checksum(&b));
    }

    #[test]
    fn an_integer_written_as_a_float_is_the_same_query() {
        let a = checksum(&json!({"event": "A", "frequency": {"equal_to": 3}}));
        let b = checksum(&json!({"event": "A", "frequency": {"equal_to": 3.0}}));
        let c = checksum(&json!({"event": "A", "frequency": {"equal_to": 3.5}}));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn is_ten_lowercase_hex_digits_and_changes_with_the_query() {
        let a = checksum(&json!({"event": "Pageview"}));
        let b = checksum(&json!({"event": "Pageviews"}));
        assert_eq!(a.len(), 10);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
        // Pinned: a change here silently invalidates every user's state.
        assert_eq!(a, "0d0f3e87d3");
    }
}
