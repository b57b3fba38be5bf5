//! Text formatting for people: sizes, plurals, truncation.

/// Formats a byte count for people (KiB, MiB, GiB).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

/// `"s"` unless `n` is one: `format!("{n} file{}", plural(n))`.
pub fn plural(n: impl TryInto<u64>) -> &'static str {
    match n.try_into() {
        Ok(1) => "",
        _ => "s",
    }
}

/// Cuts `s` to at most `max` chars (`max` ≥ 1), ending in `…` when cut.
pub fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(human_bytes(12), "12 B");
        assert_eq!(human_bytes(2048), "2.0 KiB");
        assert_eq!(human_bytes(5 << 20), "5.0 MiB");
        assert_eq!(plural(1usize), "");
        assert_eq!(plural(0u64), "s");
        assert_eq!(truncate_chars("abcdef", 4), "abc…");
        assert_eq!(truncate_chars("abc", 4), "abc");
    }
}
