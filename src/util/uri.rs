//! URI helpers for reports that carry file locations (SARIF, provenance).

/// Percent-encodes a path for a URI (RFC 3986 path characters kept).
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A `file://` URI for an absolute directory, ending in `/` (the form SARIF
/// base URIs need).
pub fn dir_uri(abs_dir: &str) -> String {
    let mut uri = format!("file://{}", encode_path(abs_dir));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(encode_path("a b/ç.env"), "a%20b/%C3%A7.env");
        assert_eq!(
            encode_path(".github/workflows/ci.yml"),
            ".github/workflows/ci.yml"
        );
        assert_eq!(dir_uri("/r"), "file:///r/");
    }
}
