//! [`RuleSet`]: the compiled rules, sorted by id, plus the keyword gate
//! ([`super::gate`]) in front of them. The only rule type the scanner sees.

use super::gate::Gate;
use super::model::RuleSource;
use super::model::{Entity, Rule, RuleMeta};
use crate::finding::Severity;

/// The compiled rules plus the keyword gate in front of them.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
    entities: Vec<Entity>,
    sources: Vec<RuleSource>,
    /// Keywords → gate slots. Slot `i` below `rules.len()` is rule `i`;
    /// slot `rules.len() + j` is entity `j`.
    gate: Option<Gate>,
    /// Slots with no keyword: they always run.
    ungated: Vec<usize>,
}

impl RuleSet {
    /// Builds the set and its keyword gate. Fails only if the gate's
    /// automaton cannot be built (keywords beyond its size limits).
    pub(super) fn from_rules(
        mut rules: Vec<Rule>,
        mut entities: Vec<Entity>,
        sources: Vec<RuleSource>,
    ) -> Result<RuleSet, aho_corasick::BuildError> {
        rules.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
        entities.sort_by(|a, b| a.id.cmp(&b.id));
        let mut gated: Vec<(String, Vec<usize>)> = Vec::new();
        let mut ungated = Vec::new();
        let slots = rules
            .iter()
            .map(|r| &r.meta.keywords)
            .chain(entities.iter().map(|e| &e.keywords));
        for (i, keywords) in slots.enumerate() {
            if keywords.is_empty() {
                ungated.push(i);
            }
            for kw in keywords {
                match gated.iter_mut().find(|(k, _)| k == kw) {
                    Some((_, s)) => s.push(i),
                    None => gated.push((kw.clone(), vec![i])),
                }
            }
        }
        let gate = Gate::new(&gated)?;
        Ok(RuleSet {
            rules,
            entities,
            sources,
            gate,
            ungated,
        })
    }

    /// The rules, sorted by id.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The entities, sorted by id.
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    /// Index of a rule by id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.rules
            .binary_search_by(|r| r.meta.id.as_str().cmp(id))
            .ok()
    }

    /// What reporters may see of the rules, in the same order.
    pub fn meta(&self) -> Vec<RuleMeta> {
        self.rules.iter().map(|r| r.meta.clone()).collect()
    }

    /// The sources the rules were loaded from (for diagnostics).
    pub fn sources(&self) -> &[RuleSource] {
        &self.sources
    }

    /// Looks a rule up by id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules
            .binary_search_by(|r| r.meta.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.rules[i])
    }

    /// Marks in `active` every rule (indexed like [`RuleSet::rules`]) and,
    /// after them, every entity (indexed like [`RuleSet::entities`]) whose
    /// keyword gate passes for `haystack` (a keyword occurs, compared
    /// ASCII-case-insensitively), stopping early once every gated slot is
    /// active.
    pub fn gate(&self, haystack: &[u8], active: &mut Vec<bool>) {
        let slots = self.rules.len() + self.entities.len();
        active.clear();
        active.resize(slots, false);
        for &i in &self.ungated {
            active[i] = true;
        }
        if let Some(g) = &self.gate {
            g.mark(haystack, active, slots - self.ungated.len());
        }
    }

    /// Every distinct keyword, sorted (used by `rules list` and the benchmark).
    pub fn keywords(&self) -> Vec<String> {
        let mut k: Vec<String> = self
            .rules
            .iter()
            .flat_map(|r| r.meta.keywords.clone())
            .chain(self.entities.iter().flat_map(|e| e.keywords.clone()))
            .collect();
        k.sort();
        k.dedup();
        k
    }

    /// Keeps only the rules for which `keep` is true.
    pub fn retain(&mut self, keep: impl Fn(&Rule) -> bool) {
        let rules: Vec<Rule> = std::mem::take(&mut self.rules)
            .into_iter()
            .filter(|r| keep(r))
            .collect();
        let sources = std::mem::take(&mut self.sources);
        let entities = std::mem::take(&mut self.entities);
        // A subset of keywords that built before builds again.
        if let Ok(set) = RuleSet::from_rules(rules, entities, sources) {
            *self = set;
        }
    }

    /// Changes the severity of a rule; false if no rule has that id.
    pub fn set_severity(&mut self, id: &str, severity: Severity) -> bool {
        match self.rules.iter_mut().find(|r| r.meta.id == id) {
            Some(r) => {
                r.meta.severity = severity;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(rules: &[(&str, &[&str])]) -> RuleSet {
        let mut text = String::new();
        for (id, kws) in rules {
            let kws: Vec<String> = kws.iter().map(|k| format!("{k:?}")).collect();
            text.push_str(&format!(
                "[[rule]]\nid = {id:?}\ntitle = \"t\"\ndescription = \"d\"\nseverity = \"low\"\nkeywords = [{}]\nregex = 'x'\nmust_match = [\"x\"]\n[rule.migration]\nsummary = \"s\"\n",
                kws.join(", ")
            ));
        }
        RuleSet::load(vec![RuleSource {
            name: "t.toml".into(),
            text,
        }])
        .expect("test rules load")
    }

    fn gated(rs: &RuleSet, text: &str) -> Vec<String> {
        let mut active = Vec::new();
        rs.gate(text.as_bytes(), &mut active);
        rs.rules()
            .iter()
            .zip(active)
            .filter(|(_, a)| *a)
            .map(|(r, _)| r.meta.id.clone())
            .collect()
    }

    #[test]
    fn contained_and_overlapping_keywords_all_open_their_gates() {
        let rs = set(&[
            ("a", &["localstack"]),
            ("b", &["localstack_api_key"]),
            ("c", &["abc"]),
            ("d", &["bcd"]),
            ("e", &["zzz"]),
        ]);
        assert_eq!(gated(&rs, "export LOCALSTACK_API_KEY=1"), vec!["a", "b"]);
        assert_eq!(gated(&rs, "xabcdx"), vec!["c", "d"]);
        assert_eq!(gated(&rs, "nothing here"), Vec::<String>::new());
        assert_eq!(gated(&rs, "LocalStack"), vec!["a"]);
    }

    /// Every slot whose keyword occurs (case-insensitively) in `text`, by a
    /// plain search: what the gate must answer.
    fn reference(rs: &RuleSet, text: &[u8]) -> Vec<bool> {
        let lower = text.to_ascii_lowercase();
        let has = |kws: &[String]| {
            kws.is_empty()
                || kws.iter().any(|k| {
                    let k = k.to_ascii_lowercase();
                    lower.windows(k.len()).any(|w| w == k.as_bytes())
                })
        };
        rs.rules()
            .iter()
            .map(|r| has(&r.meta.keywords))
            .chain(rs.entities().iter().map(|e| has(&e.keywords)))
            .collect()
    }

    fn pack() -> &'static RuleSet {
        static PACK: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
        PACK.get_or_init(|| RuleSet::load(RuleSource::defaults()).expect("the default pack loads"))
    }

    #[test]
    fn the_gate_opens_every_rule_on_its_examples() {
        let rs = pack();
        let mut active = Vec::new();
        let texts = rs
            .rules()
            .iter()
            .flat_map(|r| {
                r.examples
                    .iter()
                    .map(|e| (e.text.clone(), Some(r.id().to_string()), e.must_match))
            })
            .chain(
                rs.entities()
                    .iter()
                    .flat_map(|e| e.examples.iter().map(|x| (x.text.clone(), None, false))),
            );
        for (text, rule, must_match) in texts {
            rs.gate(text.as_bytes(), &mut active);
            assert_eq!(active, reference(rs, text.as_bytes()), "{text:?}");
            if let (Some(id), true) = (rule, must_match) {
                let i = rs.index_of(&id).expect("rule");
                assert!(
                    active[i],
                    "{id} gated off on its must_match example {text:?}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn the_pack_gate_agrees_with_a_plain_search(
            pieces in proptest::collection::vec(
                (proptest::collection::vec(proptest::num::u8::ANY, 0..24), 0usize..64, 0usize..64, proptest::bool::ANY),
                0..24,
            ),
        ) {
            let rs = pack();
            let keywords = rs.keywords();
            // Random bytes around whole keywords and keyword fragments, in
            // random case.
            let mut text = Vec::new();
            for (noise, which, cut, upper) in &pieces {
                text.extend_from_slice(noise);
                let k = keywords[which % keywords.len()].as_bytes();
                let k = &k[..k.len() - cut % k.len().max(1) / 2];
                if *upper {
                    text.extend(k.iter().map(u8::to_ascii_uppercase));
                } else {
                    text.extend_from_slice(k);
                }
            }
            let mut active = Vec::new();
            rs.gate(&text, &mut active);
            proptest::prop_assert_eq!(active, reference(rs, &text));
        }
    }
}
