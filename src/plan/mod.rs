//! `keysweep plan`: a migration plan for a whole tree, for the people who
//! own the credentials. A second consumer of findings (next to the
//! reporters): it groups them by what has to happen — rotate, create or rename
//! CI secrets, let `keysweep fix` rewrite, edit by hand, replace deprecated
//! commands, handle the 2026 image change — using rule metadata only (class,
//! tags, fix) and the file kind for the CI system. Output is sorted and free of
//! timestamps, so it can be committed or posted as a PR comment.

pub mod owners;

use crate::finding::{Finding, ScanStats, Severity};
use crate::fix::annotate::Tally;
use crate::fix::rename::{self, Level, RenameSet, Status};
use crate::kind::{self, FileKind};
use crate::rules::RuleMeta;
use regex::Regex;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::OnceLock;

/// Version of the JSON plan document.
pub const PLAN_VERSION: u32 = 1;
/// Secret every CI system needs once migrated.
pub const TARGET_SECRET: &str = "LOCALSTACK_AUTH_TOKEN";

/// Classes (spec §2) of findings that mean "this CI definition needs the
/// LocalStack credential from the CI secret store".
const CI_CREDENTIAL_CLASSES: &[&str] = &["F1", "F2", "F3", "F6", "F7", "F8", "F9", "F13"];
/// Classes of the 2026 single-image change.
const IMAGE_CLASSES: &[&str] = &["F9", "F10", "F16"];

/// One finding as the plan lists it (never a raw secret).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Item {
    /// Severity name.
    pub severity: Severity,
    /// Path as reported.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// Rule id.
    pub rule_id: String,
    /// Rule title.
    pub title: String,
    /// Redacted value, if the finding has one.
    pub value: Option<String>,
    /// Why `keysweep fix` leaves it to a person (manual items).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// What one CI system needs.
#[derive(Debug, Clone, Serialize)]
pub struct CiSecrets {
    /// Human name of the CI system.
    pub system: String,
    /// File kind it was recognised from.
    pub kind: FileKind,
    /// The secret to create (holding a CI Auth Token).
    pub secret: String,
    /// Files that need it.
    pub files: Vec<String>,
    /// Legacy secret names still referenced (to rename, then delete).
    pub legacy_names: BTreeMap<String, Vec<String>>,
}

/// A file `keysweep fix` can rewrite.
#[derive(Debug, Clone, Serialize)]
pub struct AutoFile {
    /// Path as reported.
    pub path: String,
    /// Fixable findings per rule id.
    pub rules: BTreeMap<String, usize>,
    /// Fixes that only apply with an opt-in flag, per flag.
    pub opt_in: BTreeMap<String, usize>,
}

/// Findings of one rule, for the grouped sections.
#[derive(Debug, Clone, Serialize)]
pub struct RuleGroup {
    /// Rule id.
    pub rule_id: String,
    /// Rule title.
    pub title: String,
    /// Severity name.
    pub severity: Severity,
    /// `path:line` locations, sorted.
    pub locations: Vec<String>,
}

/// The migration plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Document type marker.
    pub format: &'static str,
    /// [`PLAN_VERSION`].
    pub version: u32,
    /// Files scanned.
    pub files_scanned: u64,
    /// Findings per severity (every severity present).
    pub by_severity: BTreeMap<Severity, usize>,
    /// Credentials to rotate now (critical and high findings with a value).
    pub rotate: Vec<Item>,
    /// Distinct credentials among them (one value found twice counts once).
    pub rotate_distinct: usize,
    /// CI secrets per CI system.
    pub ci_secrets: Vec<CiSecrets>,
    /// What `keysweep fix` does, needs an opt-in for, leaves to a person,
    /// and what needs rotating: the counts `scan` and `fix` print too.
    pub tally: Tally,
    /// Findings with edits that wait for `--rename-secrets` (partial fixes
    /// included), as `keysweep fix` reports them.
    #[serde(skip)]
    pub waiting_rename_secrets: usize,
    /// The repository's rename sets (see `keysweep fix`).
    pub renames: Vec<RenameSet>,
    /// What the renames need outside the repository, by the flag that
    /// applies them: each line says what to create and how.
    pub before_renames: BTreeMap<String, Vec<String>>,
    /// Files `keysweep fix` can rewrite.
    pub automatic: Vec<AutoFile>,
    /// Findings with no mechanical rewrite that are not rotations.
    pub manual: Vec<Item>,
    /// Deprecated commands, inputs and options (class F12).
    pub deprecated: Vec<RuleGroup>,
    /// The 2026 single-image change (classes F9, F10, F16).
    pub images_2026: Vec<RuleGroup>,
    /// The checklist, in the order to do things.
    pub checklist: Vec<String>,
    /// The CODEOWNERS file the work was grouped by, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codeowners: Option<String>,
    /// The work per CODEOWNERS owner (empty without a CODEOWNERS file).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<OwnerWork>,
}

/// One owner's share of the work (from CODEOWNERS; a finding with several
/// owners counts for each).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OwnerWork {
    /// The owner as written in CODEOWNERS, or `(no owner)`.
    pub owner: String,
    /// Findings in the owner's files.
    pub findings: usize,
    /// Of which credentials to rotate.
    pub rotate: usize,
    /// Of which `keysweep fix` rewrites.
    pub automatic: usize,
    /// Of which work for a person.
    pub manual: usize,
    /// The owner's files with findings, sorted.
    pub files: Vec<String>,
}

/// The owner group of paths no CODEOWNERS line gives an owner.
pub const NO_OWNER: &str = "(no owner)";

fn ci_system(k: FileKind) -> &'static str {
    match k {
        FileKind::GithubActions => "GitHub Actions",
        FileKind::GitlabCi => "GitLab CI",
        FileKind::CircleCi => "CircleCI",
        FileKind::BitbucketPipelines => "Bitbucket Pipelines",
        FileKind::Jenkinsfile => "Jenkins",
        _ => "Other CI",
    }
}

/// Secret names referenced in a CI line (`secrets.X`, `from_secret: x`,
/// Jenkins `credentials('x')`).
fn secret_names(line: &str) -> Vec<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r#"secrets\.([A-Za-z_][A-Za-z0-9_]*)|from_secret:\s*["']?([A-Za-z0-9_.-]+)|credentials\(\s*["']([A-Za-z0-9_.-]+)"#)
            .expect("constant pattern")
    });
    re.captures_iter(line)
        .filter_map(|c| c.get(1).or(c.get(2)).or(c.get(3)))
        .map(|m| m.as_str().to_string())
        .collect()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Plan {
    /// Groups the plan's work by the owners `codeowners` gives each path.
    pub fn assign_owners(&mut self, findings: &[Finding], codeowners: &owners::CodeOwners) {
        let mut by: BTreeMap<String, OwnerWork> = BTreeMap::new();
        let rotate: BTreeSet<(&str, usize)> = self
            .rotate
            .iter()
            .map(|i| (i.path.as_str(), i.line))
            .collect();
        let manual: BTreeSet<(&str, usize, &str)> = self
            .manual
            .iter()
            .map(|i| (i.path.as_str(), i.line, i.rule_id.as_str()))
            .collect();
        for f in findings {
            let names = codeowners.owners_of(&f.path);
            let names: Vec<String> = if names.is_empty() {
                vec![NO_OWNER.to_string()]
            } else {
                names.to_vec()
            };
            for name in names {
                let o = by.entry(name.clone()).or_insert_with(|| OwnerWork {
                    owner: name,
                    findings: 0,
                    rotate: 0,
                    automatic: 0,
                    manual: 0,
                    files: Vec::new(),
                });
                o.findings += 1;
                if rotate.contains(&(f.path.as_str(), f.location.line)) && f.needs_rotation() {
                    o.rotate += 1;
                }
                if manual.contains(&(f.path.as_str(), f.location.line, f.rule_id.as_str())) {
                    o.manual += 1;
                }
                if f.fix.is_some() && self.automatic.iter().any(|a| a.path == f.path) {
                    o.automatic += 1;
                }
                o.files.push(f.path.clone());
            }
        }
        let mut owners: Vec<OwnerWork> = by.into_values().collect();
        for o in &mut owners {
            o.files.sort();
            o.files.dedup();
        }
        // Most work first; ties by name.
        owners.sort_by(|a, b| {
            b.findings
                .cmp(&a.findings)
                .then_with(|| a.owner.cmp(&b.owner))
        });
        self.owners = owners;
        self.codeowners = Some(codeowners.file.clone());
    }

    /// Builds the plan from a scan's findings (with the rename plan put on
    /// them by `fix::prepare`), the rules that produced them and the rename
    /// plan.
    pub fn build(
        findings: &[Finding],
        rules: &[RuleMeta],
        stats: &ScanStats,
        renames: &rename::Plan,
    ) -> Plan {
        let rule = |f: &Finding| {
            rules
                .binary_search_by(|r| r.id.as_str().cmp(&f.rule_id))
                .ok()
                .map(|i| &rules[i])
        };
        let class_of = |f: &Finding| rule(f).and_then(|r| r.class.clone());
        let title_of = |f: &Finding| rule(f).map_or_else(|| f.rule_id.clone(), |r| r.title.clone());
        let item = |f: &Finding| Item {
            severity: f.severity,
            path: f.path.clone(),
            line: f.location.line,
            rule_id: f.rule_id.clone(),
            title: title_of(f),
            value: f.secret.as_ref().map(|s| s.redacted().to_string()),
            why: f.manual.clone(),
        };
        let mut by_severity: BTreeMap<Severity, usize> =
            Severity::ALL_DESC.iter().map(|s| (*s, 0)).collect();
        let mut rotate = Vec::new();
        let mut distinct: BTreeSet<String> = BTreeSet::new();
        let mut manual = Vec::new();
        let mut auto: BTreeMap<String, AutoFile> = BTreeMap::new();
        let mut ci: BTreeMap<(&'static str, FileKind), CiSecrets> = BTreeMap::new();
        let mut deprecated: BTreeMap<String, RuleGroup> = BTreeMap::new();
        let mut images: BTreeMap<String, RuleGroup> = BTreeMap::new();
        for f in findings {
            *by_severity.entry(f.severity).or_insert(0) += 1;
            let class = class_of(f);
            let class = class.as_deref().unwrap_or("");
            let rotation = f.needs_rotation();
            if rotation {
                rotate.push(item(f));
                distinct.insert(match &f.secret {
                    Some(s) => s.hash().to_string(),
                    None => format!("{}:{}", f.path, f.location.line),
                });
            }
            match (&f.fix, &f.manual) {
                (Some(fix), None) if f.is_active() => {
                    let a = auto.entry(f.path.clone()).or_insert_with(|| AutoFile {
                        path: f.path.clone(),
                        rules: BTreeMap::new(),
                        opt_in: BTreeMap::new(),
                    });
                    match &fix.opt_in {
                        Some(o) => *a.opt_in.entry(o.clone()).or_insert(0) += 1,
                        None => *a.rules.entry(f.rule_id.clone()).or_insert(0) += 1,
                    }
                }
                _ if !rotation && f.severity > Severity::Info && f.is_active() => {
                    manual.push(item(f));
                }
                _ => {}
            }
            let k = kind::classify(&f.path);
            if k.group() == "ci" && CI_CREDENTIAL_CLASSES.contains(&class) {
                let sys = ci_system(k);
                let entry = ci.entry((sys, k)).or_insert_with(|| CiSecrets {
                    system: sys.to_string(),
                    kind: k,
                    secret: TARGET_SECRET.to_string(),
                    files: Vec::new(),
                    legacy_names: BTreeMap::new(),
                });
                entry.files.push(f.path.clone());
                for name in secret_names(&f.snippet.text) {
                    if !name.eq_ignore_ascii_case(TARGET_SECRET) {
                        entry
                            .legacy_names
                            .entry(name)
                            .or_default()
                            .push(f.path.clone());
                    }
                }
            }
            let group_into = |m: &mut BTreeMap<String, RuleGroup>| {
                m.entry(f.rule_id.clone())
                    .or_insert_with(|| RuleGroup {
                        rule_id: f.rule_id.clone(),
                        title: title_of(f),
                        severity: f.severity,
                        locations: Vec::new(),
                    })
                    .locations
                    .push(format!("{}:{}", f.path, f.location.line));
            };
            if class == "F12" {
                group_into(&mut deprecated);
            }
            if IMAGE_CLASSES.contains(&class) {
                group_into(&mut images);
            }
        }
        rotate.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.cmp(b)));
        manual.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.cmp(b)));
        let mut ci_secrets: Vec<CiSecrets> = ci.into_values().collect();
        for c in &mut ci_secrets {
            c.files.sort();
            c.files.dedup();
            for files in c.legacy_names.values_mut() {
                files.sort();
                files.dedup();
            }
        }
        let sort_groups = |m: BTreeMap<String, RuleGroup>| {
            let mut v: Vec<RuleGroup> = m.into_values().collect();
            for g in &mut v {
                g.locations.sort();
                g.locations.dedup();
            }
            v.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.rule_id.cmp(&b.rule_id)));
            v
        };
        let mut before_renames: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (flag, level) in [
            ("default", Level::Default),
            (rename::RENAME_SECRETS, Level::RenameSecrets),
        ] {
            let lower: Vec<rename::Outside> = if level == Level::RenameSecrets {
                renames.outside(Level::Default)
            } else {
                Vec::new()
            };
            let lines: Vec<String> = renames
                .outside(level)
                .iter()
                .filter(|o| !lower.contains(o))
                .flat_map(crate::fix::outside_lines)
                .collect();
            if !lines.is_empty() {
                before_renames.insert(flag.to_string(), lines);
            }
        }
        let mut plan = Plan {
            format: "keysweep-plan",
            version: PLAN_VERSION,
            files_scanned: stats.files_scanned,
            by_severity,
            rotate,
            rotate_distinct: distinct.len(),
            ci_secrets,
            tally: Tally::of(findings),
            waiting_rename_secrets: Tally::waiting_for(findings, rename::RENAME_SECRETS),
            renames: renames
                .sets
                .iter()
                .filter(|s| !s.is_empty())
                .cloned()
                .collect(),
            before_renames,
            automatic: auto.into_values().collect(),
            manual,
            deprecated: sort_groups(deprecated),
            images_2026: sort_groups(images),
            checklist: Vec::new(),
            codeowners: None,
            owners: Vec::new(),
        };
        plan.checklist = plan.make_checklist();
        plan
    }

    fn make_checklist(&self) -> Vec<String> {
        let mut c = Vec::new();
        if !self.rotate.is_empty() {
            c.push(format!(
                "Rotate {} ({}) in the LocalStack web app (Auth Tokens page), then remove the values from the files; they stay in git history",
                plural(self.rotate_distinct, "committed credential", "committed credentials"),
                plural(self.rotate.len(), "finding", "findings")
            ));
        }
        for s in &self.ci_secrets {
            c.push(format!(
                "{}: create the secret `{}` holding a CI Auth Token (needed by {})",
                s.system,
                s.secret,
                plural(s.files.len(), "file", "files")
            ));
            if !s.legacy_names.is_empty() {
                let names: Vec<String> = s.legacy_names.keys().map(|n| format!("`{n}`")).collect();
                c.push(format!(
                    "{}: delete the legacy secret(s) {} once nothing references them",
                    s.system,
                    names.join(", ")
                ));
            }
        }
        let auto_files = self
            .automatic
            .iter()
            .filter(|a| !a.rules.is_empty())
            .count();
        if self.tally.fixable > 0 {
            c.push(format!(
                "Run `keysweep fix` to review, then `keysweep fix --write` ({}, {})",
                plural(auto_files, "file", "files"),
                plural(self.tally.fixable, "finding", "findings")
            ));
        }
        if self.waiting_rename_secrets > 0 {
            let first = if self.before_renames.contains_key(rename::RENAME_SECRETS) {
                "; create the renamed secrets and variables first (see section 3)"
            } else {
                ""
            };
            c.push(format!(
                "Decide on `keysweep fix --write --rename-secrets` ({} with edits that wait for it: CI secret references and names read from outside the repository){first}",
                plural(self.waiting_rename_secrets, "finding", "findings")
            ));
        }
        if !self.deprecated.is_empty() {
            let n: usize = self.deprecated.iter().map(|g| g.locations.len()).sum();
            c.push(format!(
                "Replace deprecated commands and inputs ({})",
                plural(n, "place", "places")
            ));
        }
        if !self.images_2026.is_empty() {
            let n: usize = self.images_2026.iter().map(|g| g.locations.len()).sum();
            c.push(format!(
                "2026 image change: give every LocalStack container a token or pin a pre-2026 tag ({})",
                plural(n, "place", "places")
            ));
        }
        if !self.manual.is_empty() {
            c.push(format!(
                "Edit the remaining {} by hand (see \"Needs a person\": each says why)",
                plural(self.manual.len(), "finding", "findings")
            ));
        }
        c.push("Re-run `keysweep scan` until it reports nothing at or above `low`".to_string());
        c
    }

    /// Writes the plan as JSON (pretty, trailing newline).
    pub fn write_json(&self, w: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *w, self)?;
        w.write_all(b"\n")
    }

    /// Writes the plan as Markdown, in full.
    pub fn write_markdown(&self, w: &mut dyn Write) -> std::io::Result<()> {
        self.write_markdown_with(w, &MarkdownOptions::default())
    }

    /// Writes the plan as Markdown. With [`MarkdownOptions::max_chars`], long
    /// lists are cut (each to the same number of rows, the largest that
    /// fits) and each cut says how many rows were left out and where the
    /// full plan is.
    pub fn write_markdown_with(
        &self,
        w: &mut dyn Write,
        opts: &MarkdownOptions,
    ) -> std::io::Result<()> {
        let full = self.render(opts, None);
        let Some(max) = opts.max_chars else {
            return w.write_all(full.as_bytes());
        };
        if full.chars().count() <= max {
            return w.write_all(full.as_bytes());
        }
        let longest = self.longest_list();
        // Largest row limit whose rendering fits: binary search on rows.
        let (mut lo, mut hi) = (0usize, longest);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if self.render(opts, Some(mid)).chars().count() <= max {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        w.write_all(self.render(opts, Some(lo)).as_bytes())
    }

    fn longest_list(&self) -> usize {
        let groups = self
            .deprecated
            .iter()
            .chain(&self.images_2026)
            .map(|g| g.locations.len());
        let ci = self.ci_secrets.iter().map(|c| c.files.len());
        let owners = self.owners.iter().map(|o| o.files.len());
        [
            self.rotate.len(),
            self.automatic.len(),
            self.manual.len(),
            self.ci_secrets.len(),
            self.renames.len(),
            self.owners.len(),
        ]
        .into_iter()
        .chain(groups)
        .chain(ci)
        .chain(owners)
        .max()
        .unwrap_or(0)
    }

    fn render(&self, opts: &MarkdownOptions, limit: Option<usize>) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = self.render_into(&mut out, opts, limit);
        out
    }

    fn render_into(
        &self,
        w: &mut String,
        opts: &MarkdownOptions,
        limit: Option<usize>,
    ) -> std::fmt::Result {
        use std::fmt::Write as _;
        let take = |n: usize| limit.map_or(n, |l| l.min(n));
        let more = |w: &mut String, n: usize, shown: usize, row: bool| -> std::fmt::Result {
            if n > shown {
                let hint = opts.full_hint.as_deref().unwrap_or(FULL_HINT);
                let text = format!("… {} more not shown here; {hint}", n - shown);
                if row {
                    writeln!(w, "| {text} |")?;
                } else {
                    writeln!(w, "- {text}")?;
                }
            }
            Ok(())
        };
        let loc = |path: &str, line: usize| -> String {
            let text = format!("`{}:{line}`", md(path));
            match opts.links.as_ref().and_then(|l| l.url(path, line)) {
                Some(url) => format!("[{text}]({url})"),
                None => text,
            }
        };
        let loc_str = |l: &str| -> String {
            match l
                .rsplit_once(':')
                .and_then(|(p, n)| Some((p, n.parse::<usize>().ok()?)))
            {
                Some((p, n)) => loc(p, n),
                None => format!("`{}`", md(l)),
            }
        };
        let file = |path: &str| -> String {
            let text = format!("`{}`", md(path));
            match opts.links.as_ref().and_then(|l| l.file_url(path)) {
                Some(url) => format!("[{text}]({url})"),
                None => text,
            }
        };
        let total: usize = self.by_severity.values().sum();
        writeln!(w, "# LocalStack credential migration plan")?;
        // Invisible when rendered; lets keysweep recognise (and skip) a plan
        // committed to the tree.
        writeln!(w, "{}\n", crate::scan::own::PLAN_MARKER)?;
        let counts: Vec<String> = Severity::ALL_DESC
            .iter()
            .map(|s| format!("{} {}", self.by_severity.get(s).copied().unwrap_or(0), s))
            .collect();
        writeln!(
            w,
            "{} in {} scanned: {}.\n",
            plural(total, "finding", "findings"),
            plural(self.files_scanned as usize, "file", "files"),
            counts.join(", ")
        )?;
        if limit.is_some() {
            let hint = opts.full_hint.as_deref().unwrap_or(FULL_HINT);
            writeln!(
                w,
                "> This plan is shortened to fit a pull-request comment: {hint}\n"
            )?;
        }
        writeln!(w, "## Checklist\n")?;
        for c in &self.checklist {
            writeln!(w, "- [ ] {c}")?;
        }
        if !self.owners.is_empty() {
            writeln!(
                w,
                "\n## Work by owner ({}, from `{}`)\n",
                plural(self.owners.len(), "owner", "owners"),
                md(self.codeowners.as_deref().unwrap_or("CODEOWNERS"))
            )?;
            writeln!(
                w,
                "| owner | findings | to rotate | `keysweep fix` | by hand | files |"
            )?;
            writeln!(w, "|---|---|---|---|---|---|")?;
            for o in self.owners.iter().take(take(self.owners.len())) {
                let shown = take(o.files.len());
                let mut files: Vec<String> = o.files.iter().take(shown).map(|f| file(f)).collect();
                if o.files.len() > shown {
                    files.push(format!("… {} more", o.files.len() - shown));
                }
                writeln!(
                    w,
                    "| {} | {} | {} | {} | {} | {} |",
                    md(&o.owner),
                    o.findings,
                    o.rotate,
                    o.automatic,
                    o.manual,
                    files.join(", ")
                )?;
            }
            more(w, self.owners.len(), take(self.owners.len()), true)?;
        }
        writeln!(
            w,
            "\n## 1. Credentials to rotate now ({})\n",
            self.rotate.len()
        )?;
        if self.rotate.is_empty() {
            writeln!(w, "None found.")?;
        } else {
            writeln!(
                w,
                "Editing the file does not make these safe: rotate first.\n"
            )?;
            writeln!(w, "| severity | where | what | value |")?;
            writeln!(w, "|---|---|---|---|")?;
            for i in self.rotate.iter().take(take(self.rotate.len())) {
                writeln!(
                    w,
                    "| {} | {} | {} | {} |",
                    i.severity,
                    loc(&i.path, i.line),
                    md(&i.title),
                    i.value
                        .as_deref()
                        .map_or(String::new(), |v| format!("`{}`", md(v)))
                )?;
            }
            more(w, self.rotate.len(), take(self.rotate.len()), true)?;
        }
        writeln!(w, "\n## 2. CI secrets ({})\n", self.ci_secrets.len())?;
        if self.ci_secrets.is_empty() {
            writeln!(w, "No CI definition references a LocalStack credential.")?;
        }
        for s in &self.ci_secrets {
            let shown = take(s.files.len());
            let mut files: Vec<String> = s.files.iter().take(shown).map(|f| file(f)).collect();
            if s.files.len() > shown {
                files.push(format!("… {} more", s.files.len() - shown));
            }
            writeln!(
                w,
                "- **{}**: secret `{}` (a CI Auth Token) needed by {}: {}",
                s.system,
                s.secret,
                plural(s.files.len(), "file", "files"),
                files.join(", ")
            )?;
            for (name, files) in &s.legacy_names {
                writeln!(
                    w,
                    "  - legacy secret `{}` still referenced by {}: point them at `{}` (`keysweep fix --rename-secrets` rewrites the secret expressions it can), then delete it",
                    md(name),
                    plural(files.len(), "file", "files"),
                    s.secret
                )?;
            }
        }
        writeln!(
            w,
            "\n## 3. Automatic rewrites: `keysweep fix` ({})\n",
            plural(self.automatic.len(), "file", "files")
        )?;
        writeln!(w, "Findings: {}.\n", self.tally.line())?;
        if !self.renames.is_empty() {
            writeln!(
                w,
                "Renames are planned for the whole repository: each set is renamed as a whole or not at all.\n"
            )?;
            writeln!(w, "| rename | what | places | status |")?;
            writeln!(w, "|---|---|---|---|")?;
            for set in self.renames.iter().take(take(self.renames.len())) {
                let status = match &set.status {
                    Status::Renamed(Level::Default) => "`keysweep fix`".to_string(),
                    Status::Renamed(Level::RenameSecrets) => {
                        "`keysweep fix --rename-secrets`".to_string()
                    }
                    Status::Held(why) => format!("held: {}", md(why)),
                };
                let names = format!(
                    "`{}` → `{}`",
                    md(&crate::fix::display_name(set, &set.from)),
                    md(&crate::fix::display_name(set, &set.to))
                );
                writeln!(
                    w,
                    "| {names} | {} | {} in {} | {status} |",
                    kind_words(set),
                    set.len(),
                    plural(set.files(), "file", "files")
                )?;
            }
            more(w, self.renames.len(), take(self.renames.len()), true)?;
            writeln!(w)?;
        }
        for (flag, lines) in &self.before_renames {
            let head = if flag == "default" {
                "Before merging `keysweep fix`".to_string()
            } else {
                format!("Before merging `keysweep fix --{flag}`")
            };
            writeln!(w, "{head}:\n")?;
            for l in lines {
                writeln!(w, "- {}", l.replace('\n', " "))?;
            }
            writeln!(w)?;
        }
        if self.automatic.is_empty() {
            writeln!(w, "Nothing to rewrite mechanically.")?;
        } else {
            writeln!(w, "| file | rules | needs opt-in |")?;
            writeln!(w, "|---|---|---|")?;
            for a in self.automatic.iter().take(take(self.automatic.len())) {
                let rules: Vec<String> =
                    a.rules.iter().map(|(r, n)| format!("`{r}` ×{n}")).collect();
                let opt: Vec<String> = a
                    .opt_in
                    .iter()
                    .map(|(o, n)| format!("`--{o}` ×{n}"))
                    .collect();
                writeln!(
                    w,
                    "| {} | {} | {} |",
                    file(&a.path),
                    rules.join(", "),
                    opt.join(", ")
                )?;
            }
            more(w, self.automatic.len(), take(self.automatic.len()), true)?;
        }
        writeln!(w, "\n## 4. Needs a person ({})\n", self.manual.len())?;
        if self.manual.is_empty() {
            writeln!(w, "Nothing.")?;
        } else {
            writeln!(w, "| severity | where | what | why not automatic |")?;
            writeln!(w, "|---|---|---|---|")?;
            for i in self.manual.iter().take(take(self.manual.len())) {
                writeln!(
                    w,
                    "| {} | {} | {} | {} |",
                    i.severity,
                    loc(&i.path, i.line),
                    md(&i.title),
                    md(i.why.as_deref().unwrap_or(""))
                )?;
            }
            more(w, self.manual.len(), take(self.manual.len()), true)?;
        }
        for (title, groups) in [
            ("5. Deprecated commands and inputs", &self.deprecated),
            (
                "6. The 2026 image change (images that stop starting without a token)",
                &self.images_2026,
            ),
        ] {
            let n: usize = groups.iter().map(|g| g.locations.len()).sum();
            writeln!(w, "\n## {title} ({n})\n")?;
            if groups.is_empty() {
                writeln!(w, "None found.")?;
            }
            for g in groups {
                let shown = take(g.locations.len());
                let mut locs: Vec<String> =
                    g.locations.iter().take(shown).map(|l| loc_str(l)).collect();
                if g.locations.len() > shown {
                    locs.push(format!("… {} more", g.locations.len() - shown));
                }
                writeln!(
                    w,
                    "- {} ({}, `{}`): {}",
                    md(&g.title),
                    g.severity,
                    g.rule_id,
                    locs.join(", ")
                )?;
            }
        }
        Ok(())
    }
}

/// What a cut plan points to when no `--output-full` file is written.
pub const FULL_HINT: &str = "run `keysweep plan --full` for the full plan";

/// Default size cap of a Markdown plan: well below GitHub's 65,536-character
/// limit for a pull-request comment.
pub const DEFAULT_MAX_CHARS: usize = 60_000;

/// How to render a Markdown plan.
#[derive(Debug, Clone, Default)]
pub struct MarkdownOptions {
    /// Cut long lists so the plan has at most this many characters.
    pub max_chars: Option<usize>,
    /// Link paths to the forge hosting the repository.
    pub links: Option<Links>,
    /// Where the full plan is, said wherever rows were left out.
    pub full_hint: Option<String>,
}

/// Links to files on a forge (GitHub, GitLab) at one revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    /// Everything before the repository path, ending in `/`, e.g.
    /// `https://github.com/o/r/blob/<rev>/`.
    pub blob_prefix: String,
    /// The plan's base directory relative to the repository root, `/`
    /// separated, ending in `/` (empty at the root).
    pub path_prefix: String,
}

impl Links {
    /// Links for a repository whose `remote.origin.url` is `remote`, at
    /// `rev`; `None` for a forge keysweep does not know. Credentials in the
    /// URL are dropped.
    pub fn for_remote(remote: &str, rev: &str, path_prefix: String) -> Option<Links> {
        let (host, repo) = forge_repo(remote)?;
        let blob = match host.as_str() {
            "github.com" => "blob",
            "gitlab.com" => "-/blob",
            _ => return None,
        };
        Some(Links {
            blob_prefix: format!(
                "https://{host}/{repo}/{blob}/{}/",
                crate::util::uri::encode_path(rev)
            ),
            path_prefix,
        })
    }

    /// The URL of `path` (relative to the plan's base) at `line`.
    pub fn url(&self, path: &str, line: usize) -> Option<String> {
        Some(format!("{}#L{line}", self.file_url(path)?))
    }

    /// The URL of `path` (relative to the plan's base).
    pub fn file_url(&self, path: &str) -> Option<String> {
        let joined = crate::util::paths::normalise(std::path::Path::new(&format!(
            "{}{path}",
            self.path_prefix
        )));
        let rel = crate::util::paths::display_path(&joined);
        if rel.starts_with("..")
            || rel.starts_with('/')
            || path.starts_with('/')
            || path.contains("..")
        {
            return None;
        }
        Some(format!(
            "{}{}",
            self.blob_prefix,
            crate::util::uri::encode_path(&rel)
        ))
    }
}

/// `(host, owner/repo)` of a GitHub or GitLab remote URL in any of the forms
/// git accepts (`https://[user[:pass]@]host/o/r(.git)`, `ssh://git@host/o/r`,
/// `git@host:o/r.git`).
pub fn forge_repo(remote: &str) -> Option<(String, String)> {
    let remote = remote.trim();
    let (host, path) = if let Some((_, rest)) = remote.split_once("://") {
        let (authority, path) = rest.split_once('/')?;
        let host = authority.rsplit('@').next()?;
        let host = host.split(':').next()?;
        (host.to_ascii_lowercase(), path)
    } else {
        // scp-like: [user@]host:path
        let (left, path) = remote.split_once(':')?;
        let host = left.rsplit('@').next()?;
        (host.to_ascii_lowercase(), path)
    };
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let ok = !path.is_empty()
        && path.split('/').count() >= 2
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        && !path
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..");
    ok.then(|| (host, path.to_string()))
}

/// What a rename set renames, in a few words.
fn kind_words(set: &RenameSet) -> String {
    use crate::fix::rename::SetKind;
    match set.kind {
        SetKind::Variable => format!(
            "variable: set in {}, read in {}",
            set.providers.len(),
            set.readers.len()
        ),
        SetKind::Standalone => "variable of one LocalStack container or command".into(),
        SetKind::Symbol => "name in code or Terraform".into(),
        SetKind::Secret => md(set.store.as_deref().unwrap_or("secret")),
        SetKind::Docs => "documentation and comments".into(),
    }
}

/// Escapes text for a Markdown table cell or inline code.
fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('`', "'").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_from_ci_expressions() {
        assert_eq!(
            secret_names("LOCALSTACK_API_KEY: ${{ secrets.LOCALSTACK_API_KEY }}"),
            vec!["LOCALSTACK_API_KEY"]
        );
        assert_eq!(
            secret_names("  from_secret: localstack_ci_key"),
            vec!["localstack_ci_key"]
        );
        assert_eq!(
            secret_names("withCredentials([string(credentialsId: 'x')]) credentials('ls-key')"),
            vec!["ls-key"]
        );
        assert!(secret_names("LOCALSTACK_API_KEY=$X").is_empty());
    }

    #[test]
    fn markdown_cells_are_escaped() {
        assert_eq!(md("a|b`c"), "a\\|b'c");
    }
}

#[cfg(test)]
mod link_tests {
    use super::*;

    #[test]
    fn forge_remotes_become_blob_links_without_credentials() {
        for remote in [
            "https://user:s3cret@github.com/acme/shop.git",
            "git@github.com:acme/shop.git",
            "ssh://git@github.com/acme/shop",
        ] {
            assert_eq!(
                forge_repo(remote),
                Some(("github.com".into(), "acme/shop".into())),
                "{remote}"
            );
        }
        let l = Links::for_remote(
            "https://tok@github.com/acme/shop.git",
            "abc123",
            String::new(),
        )
        .unwrap();
        assert_eq!(
            l.url("services/a b/.env", 3).unwrap(),
            "https://github.com/acme/shop/blob/abc123/services/a%20b/.env#L3"
        );
        assert!(!l.blob_prefix.contains("tok"));
        let g =
            Links::for_remote("git@gitlab.com:grp/sub/proj.git", "main", "svc/".into()).unwrap();
        assert_eq!(
            g.url("x.env", 1).unwrap(),
            "https://gitlab.com/grp/sub/proj/-/blob/main/svc/x.env#L1"
        );
        assert!(g.url("../outside.env", 1).is_none());
        assert!(Links::for_remote("https://git.example.com/a/b.git", "x", String::new()).is_none());
        assert!(forge_repo("/srv/repo.git").is_none());
    }
}
