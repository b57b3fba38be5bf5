//! Allowlisted values from keysweep.toml: a finding whose secret (or, for
//! rules without one, its matched text or the line(s) it sits on) matches a pattern is accepted.

/// One allowlisted-value pattern.
#[derive(Debug, Clone)]
pub struct AllowValue {
    /// The rule it is limited to; `None` applies to every rule.
    pub rule: Option<String>,
    /// The compiled pattern.
    pub regex: regex::bytes::Regex,
    /// The pattern as written. Never printed: a pattern may be a literal
    /// value (`'^4dR9xK2pQz$'`), and the justification is uploaded with SARIF.
    pub pattern: String,
    /// 1-based line of the pattern in keysweep.toml (named in the reason).
    pub line: usize,
}

impl AllowValue {
    /// Whether this entry allowlists `value` for `rule_id`.
    pub fn matches(&self, rule_id: &str, value: &[u8]) -> bool {
        let rule_ok = match &self.rule {
            Some(r) => r == rule_id,
            None => true,
        };
        rule_ok && self.regex.is_match(value)
    }

    /// Human description used as the suppression justification: where the
    /// pattern is, never the pattern itself.
    pub fn describe(&self) -> String {
        match &self.rule {
            Some(r) => format!(
                "keysweep.toml allowlist for {r} (pattern on line {})",
                self.line
            ),
            None => format!("keysweep.toml allowlist (pattern on line {})", self.line),
        }
    }
}

/// Every allowlisted value of a config, in file order.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    /// The patterns.
    pub values: Vec<AllowValue>,
}

impl Allowlist {
    /// The first entry that accepts `value` for `rule_id`.
    pub fn find(&self, rule_id: &str, value: &[u8]) -> Option<&AllowValue> {
        self.values.iter().find(|a| a.matches(rule_id, value))
    }

    /// True when nothing is allowlisted.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}
