//! The keys tables of `docs/console.md` and the README, as markdown: rows in, a table out (the
//! keymap's `markdown_table` and `popup_markdown_table` give the rows; a test checks that the
//! docs hold the tables).

/// A markdown table: the header's columns, then one row per item of `rows`.
pub(super) fn table<const N: usize>(
    header: [&str; N],
    rows: impl IntoIterator<Item = [String; N]>,
) -> String {
    let mut out = format!("| {} |\n|{}\n", header.join(" | "), "---|".repeat(N));
    for row in rows {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_table_in_markdown() {
        let rows = [["a".to_string(), "b".to_string()]];
        assert_eq!(
            super::table(["x", "y"], rows),
            "| x | y |\n|---|---|\n| a | b |\n"
        );
    }
}
