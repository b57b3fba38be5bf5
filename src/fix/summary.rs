//! The end-of-run summary of `keysweep fix`: what changed (or would), the
//! rename sets and their status, what must exist outside the repository
//! first (with the commands for the CI systems found), what was refused,
//! what needs rotating and what is left for a person.

use super::annotate::Tally;
use super::rename::{Level, Outside, Plan, RenameSet, SetKind, Status};
use super::{Change, FileResult, FixOptions};
use crate::finding::Finding;
use crate::util::term::{escape_controls, quote_path};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

/// Most reasons listed under "Needs a person".
const MAX_MANUAL_LISTED: usize = 20;

/// How a set is shown: `secrets.X`, `X`, …
pub fn display_name(set: &RenameSet, name: &str) -> String {
    match (set.kind, set.store.as_deref()) {
        (SetKind::Secret, Some("GitHub Actions secret")) => format!("secrets.{name}"),
        (SetKind::Secret, Some("GitHub Actions variable")) => format!("vars.{name}"),
        (SetKind::Secret, Some("Jenkins credential")) => format!("credentials('{name}')"),
        (SetKind::Secret, Some("Drone secret")) => format!("from_secret: {name}"),
        _ => name.to_string(),
    }
}

/// What kind of set, in words.
fn what(set: &RenameSet) -> String {
    match set.kind {
        SetKind::Variable => format!(
            "variable, set in {} place(s), read in {}",
            set.providers.len(),
            set.readers.len()
        ),
        SetKind::Standalone => {
            "set for one LocalStack container or command, or read by nothing in the repository"
                .into()
        }
        SetKind::Symbol => "name in code or Terraform".into(),
        SetKind::Secret => set.store.clone().unwrap_or_else(|| "secret".into()),
        SetKind::Docs => "documentation, comments and examples".into(),
    }
}

/// The commands (or steps) that create what a rename needs outside.
pub fn outside_lines(o: &Outside) -> Vec<String> {
    match o {
        Outside::Secret {
            system,
            what,
            name,
            referenced,
        } => {
            let also = if *referenced {
                " (already referenced in the repository: it may exist)"
            } else {
                ""
            };
            let how = match (system.as_str(), what.as_str()) {
                ("GitHub Actions", "secret") => {
                    format!("gh secret set {name}   # paste a CI Auth Token when asked")
                }
                ("GitHub Actions", "variable") => format!("gh variable set {name}"),
                ("Jenkins", _) => format!(
                    "Manage Jenkins > Credentials: add a Secret text credential with ID `{name}` holding a CI Auth Token"
                ),
                ("Drone", _) => format!(
                    "drone secret add --repository <owner>/<repo> --name {name} --data @ci-auth-token.txt"
                ),
                _ => format!("create the {what} `{name}` holding a CI Auth Token"),
            };
            vec![format!("{system}: {what} `{name}`{also}: {how}")]
        }
        Outside::CiVariable { system, name } => {
            let how = match system.as_str() {
                "GitLab CI" => format!("glab variable set {name} --masked < ci-auth-token.txt"),
                "CircleCI" => format!(
                    "Project Settings > Environment Variables: add {name} (or, for a context: circleci context store-secret <vcs> <org> <context> {name})"
                ),
                "Bitbucket Pipelines" => format!(
                    "Repository settings > Repository variables: add {name}, secured"
                ),
                "GitHub Actions" => format!(
                    "nothing in the workflow sets it: set {name} in the job's env (e.g. from secrets.{name})"
                ),
                "Jenkins" => format!("set {name} in the job's environment (a credentials binding)"),
                other => format!("add {name} to {other}'s secret variables"),
            };
            vec![format!(
                "{system}: variable `{name}` holding a CI Auth Token: {how}"
            )]
        }
        Outside::Developers { old, name } => vec![format!(
            "Developers: wherever you set {old} (shell profile, .env, IDE), set {name} instead, to your Auth Token"
        )],
        Outside::Callers {
            workflow,
            old,
            name,
        } => vec![format!(
            "{workflow} is a reusable workflow (on.workflow_call): callers must pass the secret {name} instead of {old}; callers in this repository are renamed with it, callers elsewhere must be changed"
        )],
    }
}

/// Writes the end-of-run summary: what changed (or would), the counts,
/// the rename sets, what must exist outside the repository, what was
/// refused, which credentials need rotating and what is left for a person.
pub fn write_summary(
    out: &mut dyn Write,
    results: &[FileResult],
    findings: &[Finding],
    opts: &FixOptions,
    plan: &Plan,
) -> std::io::Result<()> {
    let changed: Vec<&Change> = results
        .iter()
        .filter_map(|r| r.outcome.as_ref().ok())
        .filter(|c| c.old != c.new)
        .collect();
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    let mut notes: BTreeSet<&str> = BTreeSet::new();
    for c in &changed {
        for (r, n) in &c.edits_by_rule {
            *per_rule.entry(r).or_insert(0) += n;
        }
        notes.extend(c.notes.iter().map(String::as_str));
    }
    let edits: usize = per_rule.values().sum();
    let verb = if opts.write {
        "rewritten"
    } else {
        "would be rewritten"
    };
    if opts.write {
        writeln!(
            out,
            "keysweep fix: {} file(s) {verb}, {edits} edit(s)",
            changed.len()
        )?;
    } else {
        writeln!(
            out,
            "keysweep fix (dry run, nothing written; pass --write to apply): {} file(s) {verb}, {edits} edit(s)",
            changed.len()
        )?;
    }
    for (r, n) in &per_rule {
        writeln!(out, "  {n:>4}  {r}")?;
    }
    if opts.write {
        for r in results {
            if let Ok(c) = &r.outcome {
                if c.written {
                    let n: usize = c.edits_by_rule.values().sum();
                    writeln!(out, "  wrote {} ({n} edit(s))", quote_path(&r.path))?;
                }
            }
        }
    }
    let tally = Tally::of(findings);
    writeln!(out, "Findings: {}", tally.line())?;

    let level = opts.level();
    if !plan.sets.is_empty() {
        writeln!(
            out,
            "\nRename sets (planned for the whole repository; each is renamed as a whole or not at all):"
        )?;
        // A documentation set whose places all follow a renamed name on
        // their lines is empty: nothing to show.
        for set in plan.sets.iter().filter(|s| !s.is_empty()) {
            let (tag, tail) = match &set.status {
                Status::Renamed(l) if *l <= level => (
                    if opts.write { "renamed" } else { "renames" },
                    String::new(),
                ),
                Status::Renamed(_) => ("waits", " (needs --rename-secrets)".to_string()),
                Status::Held(why) => ("held", format!(": {}", escape_controls(why, false))),
            };
            let names = if matches!(set.status, Status::Held(_)) {
                display_name(set, &set.from)
            } else {
                format!(
                    "{} -> {}",
                    display_name(set, &set.from),
                    display_name(set, &set.to)
                )
            };
            writeln!(
                out,
                "  {tag:<8} {}  {}, {} place(s) in {} file(s){tail}",
                escape_controls(&names, false),
                what(set),
                set.len(),
                set.files()
            )?;
        }
    }

    let held: Vec<(&str, usize)> = results
        .iter()
        .filter_map(|r| {
            r.outcome
                .as_ref()
                .ok()
                .map(|c| (r.path.as_str(), c.held_back))
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    if !held.is_empty() {
        writeln!(
            out,
            "\nNot rewritten because the line holds a credential (rotate it, then edit by hand):"
        )?;
        for (p, n) in &held {
            writeln!(out, "  {}: {n} edit(s)", quote_path(p))?;
        }
    }
    let refused: Vec<(&str, String)> = results
        .iter()
        .filter_map(|r| {
            r.outcome
                .as_ref()
                .err()
                .map(|e| (r.path.as_str(), e.to_string()))
        })
        .collect();
    if !refused.is_empty() {
        writeln!(out, "\nRefused (left untouched):")?;
        for (p, why) in &refused {
            writeln!(out, "  {}: {}", quote_path(p), escape_controls(why, false))?;
        }
    }
    // Fixes still waiting for an opt-in.
    let mut waiting: BTreeMap<&str, usize> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.is_active()) {
        let flags: BTreeSet<&str> = f
            .fix
            .iter()
            .flat_map(|x| x.edits.iter())
            .filter_map(|e| e.opt_in.as_deref())
            .filter(|o| !opts.opt_ins.contains(*o))
            .collect();
        for o in flags {
            *waiting.entry(o).or_insert(0) += 1;
        }
    }
    for (o, n) in &waiting {
        writeln!(
            out,
            "\n{n} finding(s) have edits that need --{o} (not applied)."
        )?;
    }
    // What must exist outside the repository.
    let needed = plan.outside(level);
    let (callers, needed): (Vec<Outside>, Vec<Outside>) = needed
        .into_iter()
        .partition(|o| matches!(o, Outside::Callers { .. }));
    if !needed.is_empty() {
        writeln!(
            out,
            "\nBefore merging, create or set (the renamed names must exist first):"
        )?;
        for o in &needed {
            for l in outside_lines(o) {
                writeln!(out, "  - {}", escape_controls(&l, false))?;
            }
        }
    }
    if !callers.is_empty() {
        writeln!(out, "\nWarning:")?;
        for o in &callers {
            for l in outside_lines(o) {
                writeln!(out, "  - {}", escape_controls(&l, false))?;
            }
        }
    }
    if level == Level::Default {
        let later: Vec<Outside> = plan
            .outside(Level::RenameSecrets)
            .into_iter()
            .filter(|o| !plan.outside(Level::Default).contains(o))
            .collect();
        if !later.is_empty() {
            writeln!(out, "\nWith --rename-secrets, these would be needed first:")?;
            for o in &later {
                for l in outside_lines(o) {
                    writeln!(out, "  - {}", escape_controls(&l, false))?;
                }
            }
        }
    }
    if !notes.is_empty() {
        writeln!(out, "\nAlso do:")?;
        for n in &notes {
            writeln!(out, "  - {n}")?;
        }
    }
    let rotate: Vec<&Finding> = findings.iter().filter(|f| f.needs_rotation()).collect();
    if !rotate.is_empty() {
        writeln!(
            out,
            "\nRotate now ({}): editing a file does not fix a committed credential; it stays in git history.",
            rotate.len()
        )?;
        for f in &rotate {
            let value = f
                .secret
                .as_ref()
                .map(|s| format!("  {}", s.redacted()))
                .unwrap_or_default();
            writeln!(
                out,
                "  {:<8}  {}:{}  {}{value}",
                f.severity.as_str(),
                f.path,
                f.location.line,
                f.rule_id
            )?;
        }
    }
    let manual: Vec<&Finding> = findings
        .iter()
        .filter(|f| {
            f.is_active()
                && !f.needs_rotation()
                && f.severity > crate::finding::Severity::Info
                && (f.fix.is_none() || f.manual.is_some())
        })
        .collect();
    if !manual.is_empty() {
        let noun = if manual.len() == 1 {
            "finding needs"
        } else {
            "findings need"
        };
        writeln!(
            out,
            "\n{} other {noun} a person (no safe mechanical rewrite, or only part of one); see `keysweep plan`:",
            manual.len()
        )?;
        for f in manual.iter().take(MAX_MANUAL_LISTED) {
            writeln!(
                out,
                "  {}:{}  {}: {}",
                f.path,
                f.location.line,
                f.rule_id,
                escape_controls(f.manual.as_deref().unwrap_or(""), false)
            )?;
        }
        if manual.len() > MAX_MANUAL_LISTED {
            writeln!(out, "  … and {} more", manual.len() - MAX_MANUAL_LISTED)?;
        }
    }
    Ok(())
}
