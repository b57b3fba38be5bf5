//! Text that reaches a terminal. File names, commit summaries and source
//! lines are data: an ESC or OSC sequence in one could rewrite earlier lines
//! or the clipboard, and a newline could forge a line of the report. Paths are
//! quoted the way git quotes them; other text has its control characters
//! escaped.

use std::fmt::Write as _;

fn c_escape(c: char) -> Option<&'static str> {
    Some(match c {
        '\x07' => "\\a",
        '\x08' => "\\b",
        '\t' => "\\t",
        '\n' => "\\n",
        '\x0b' => "\\v",
        '\x0c' => "\\f",
        '\r' => "\\r",
        '"' => "\\\"",
        '\\' => "\\\\",
        _ => return None,
    })
}

/// A C0 or C1 control character or DEL.
pub fn is_control(c: char) -> bool {
    c.is_control()
}

fn octal(out: &mut String, c: char) {
    let mut buf = [0u8; 4];
    for b in c.encode_utf8(&mut buf).bytes() {
        let _ = write!(out, "\\{b:03o}");
    }
}

/// Quotes a path as git does (`core.quotePath=false`): when it holds a
/// control character, `"` or `\`, those are C-escaped (`\n`, `\t`, `\"`,
/// `\\`, others as octal bytes) and the whole path is wrapped in double
/// quotes; any other path is returned as it is.
pub fn quote_path(path: &str) -> String {
    if !path.chars().any(|c| is_control(c) || c == '"' || c == '\\') {
        return path.to_string();
    }
    let mut out = String::with_capacity(path.len() + 2);
    out.push('"');
    for c in path.chars() {
        match c_escape(c) {
            Some(e) => out.push_str(e),
            None if is_control(c) => octal(&mut out, c),
            None => out.push(c),
        }
    }
    out.push('"');
    out
}

/// [`quote_path`] for raw bytes: bytes that are not UTF-8 are written as
/// octal escapes (and force quoting), as git does.
pub fn quote_path_bytes(path: &[u8]) -> String {
    match std::str::from_utf8(path) {
        Ok(s) => quote_path(s),
        Err(_) => {
            let mut out = String::from("\"");
            for chunk in path.utf8_chunks() {
                for c in chunk.valid().chars() {
                    match c_escape(c) {
                        Some(e) => out.push_str(e),
                        None if is_control(c) => octal(&mut out, c),
                        None => out.push(c),
                    }
                }
                for b in chunk.invalid() {
                    let _ = write!(out, "\\{b:03o}");
                }
            }
            out.push('"');
            out
        }
    }
}

/// Escapes control characters in one line of text for a terminal: C0 and C1
/// controls and DEL become `\n`, `\r`, `\e`, `\x9b`-style escapes; tabs are
/// kept when `keep_tab` is set. Everything else, backslashes included, is
/// kept, so ordinary text is unchanged.
pub fn escape_controls(text: &str, keep_tab: bool) -> String {
    if !text
        .chars()
        .any(|c| is_control(c) && !(keep_tab && c == '\t'))
    {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c, keep_tab);
    }
    out
}

/// Appends `c` to `out`, escaped if it is a control character; returns how
/// many chars were appended.
pub fn push_escaped(out: &mut String, c: char, keep_tab: bool) -> usize {
    if !is_control(c) || (keep_tab && c == '\t') {
        out.push(c);
        return 1;
    }
    let e = match c {
        '\t' => "\\t".to_string(),
        '\n' => "\\n".to_string(),
        '\r' => "\\r".to_string(),
        '\x1b' => "\\e".to_string(),
        c => format!("\\x{:02x}", c as u32),
    };
    out.push_str(&e);
    e.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_quoted_like_git() {
        assert_eq!(quote_path("a/b.env"), "a/b.env");
        assert_eq!(quote_path("naïve/ç.env"), "naïve/ç.env");
        assert_eq!(quote_path("a\nb"), "\"a\\nb\"");
        assert_eq!(quote_path("x\x1b]52;c;AAAA\x07"), "\"x\\033]52;c;AAAA\\a\"");
        assert_eq!(quote_path("q\"b\\s"), "\"q\\\"b\\\\s\"");
        assert_eq!(quote_path("c1\u{9b}"), "\"c1\\302\\233\"");
        assert_eq!(quote_path_bytes(b"bad\xff.env"), "\"bad\\377.env\"");
        assert_eq!(quote_path_bytes(b"ok.env"), "ok.env");
    }

    #[test]
    fn controls_are_escaped_in_text() {
        assert_eq!(escape_controls("plain \\ text", true), "plain \\ text");
        assert_eq!(escape_controls("a\tb", true), "a\tb");
        assert_eq!(escape_controls("a\tb", false), "a\\tb");
        assert_eq!(
            escape_controls("x\x1b[2Ay\rz\u{9b}", true),
            "x\\e[2Ay\\rz\\x9b"
        );
    }
}
