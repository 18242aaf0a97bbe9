//! Counted nouns as the console writes them: `1 event`, `3 events`.

/// `n` and `noun`, plural unless `n` is 1 (the console's nouns take an `s`: event, problem,
/// step, call).
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_is_singular_and_the_rest_plural() {
        assert_eq!(super::count(0, "event"), "0 events");
        assert_eq!(super::count(1, "call"), "1 call");
        assert_eq!(super::count(12, "step"), "12 steps");
    }
}
