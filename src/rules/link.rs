//! One root cause per container: after every rule ran, the findings that
//! explain the same death are linked. The primary keeps its evidence; each
//! secondary names it in `caused_by` and drops the evidence the primary
//! already cites. A lower-severity finding never repeats the evidence of a
//! higher-severity one of the same container (issue #12).
//!
//! Rules know nothing of each other: this pass is the only place that reads
//! two findings together, so a new rule takes part by being given a `Role`
//! below (a rule without one is left as it is, apart from the evidence it
//! repeats).

use std::collections::BTreeSet;

use super::{Finding, RuleId};
use crate::model::Evidence;

/// What a finding says about a container's death.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// It names why the process died or could not run; the number ranks
    /// causes, the most specific (closest to the root) first.
    Cause(u8),
    /// It describes what followed from a death (a restart loop, an exit
    /// code, a kill); ranked like causes when no cause is there.
    Consequence(u8),
}

/// The role of each rule in a container's causal story. Rules not listed
/// (secrets, ports, images, log counts, health) say nothing about a death.
fn role(rule: RuleId) -> Option<Role> {
    use RuleId::*;
    Some(match rule {
        WrongArchitecture => Role::Cause(0),
        CommandNotFound => Role::Cause(1),
        PortConflict => Role::Cause(2),
        VolumePermissionDenied => Role::Cause(3),
        ImagePullFailure => Role::Cause(4),
        RuntimeError => Role::Cause(5),
        OomKilled => Role::Cause(6),
        Segfault => Role::Cause(7),
        Abort => Role::Cause(8),
        Pid1IgnoresSignal => Role::Cause(9),
        CrashSignature => Role::Cause(10),
        OomChildKilled => Role::Cause(11),
        DnsFailure => Role::Cause(12),
        CrashLoop => Role::Consequence(0),
        StopTimeoutKill => Role::Consequence(1),
        AppErrorExit => Role::Consequence(2),
        ExitedImmediately => Role::Consequence(3),
        SigtermExit => Role::Consequence(4),
        _ => return None,
    })
}

/// The key a primary is chosen by: the worst severity, then causes before
/// consequences, then the rank.
fn key(f: &Finding) -> Option<(crate::model::Severity, u8, u8)> {
    role(f.rule).map(|r| match r {
        Role::Cause(n) => (f.severity, 0, n),
        Role::Consequence(n) => (f.severity, 1, n),
    })
}

/// Sets `caused_by` and drops repeated evidence, container by container.
/// Findings of no container (images, unmatched kernel events) are untouched.
pub fn link(findings: &mut [Finding]) {
    let mut names: Vec<String> = findings
        .iter()
        .filter_map(|f| f.container.clone())
        .collect();
    names.sort();
    names.dedup();
    for name in &names {
        let idx: Vec<usize> = (0..findings.len())
            .filter(|&i| findings[i].container.as_deref() == Some(name.as_str()))
            .collect();
        link_container(findings, &idx);
    }
}

fn is_cause(f: &Finding) -> bool {
    matches!(role(f.rule), Some(Role::Cause(_)))
}

/// True when both cite one log, kernel or event line. Inspect's fields
/// (cited as `"ExitCode": 1`) say what state the container is in, which
/// every finding about it may cite; they tie no two findings together.
fn shares_evidence(a: &Finding, b: &Finding) -> bool {
    a.evidence
        .iter()
        .filter(|e| !e.excerpt.starts_with('"'))
        .any(|e| b.evidence.iter().any(|x| x.excerpt == e.excerpt))
}

/// The primary of one container's findings (indices into `findings`).
/// Causes come before consequences. A cause of lower severity than a
/// consequence is its root only when the consequence cites the cause's own
/// evidence (a crash loop whose repeated error is the DNS failure).
fn primary(findings: &[Finding], idx: &[usize]) -> Option<usize> {
    let mut linkable: Vec<usize> = idx
        .iter()
        .copied()
        .filter(|&i| key(&findings[i]).is_some())
        .collect();
    linkable.sort_by_key(|&i| (key(&findings[i]), findings[i].rule));
    let worst = linkable.iter().map(|&i| findings[i].severity).min()?;
    let cause = linkable
        .iter()
        .copied()
        .filter(|&i| is_cause(&findings[i]))
        .find(|&c| {
            findings[c].severity == worst
                || linkable.iter().any(|&q| {
                    !is_cause(&findings[q])
                        && findings[q].severity == worst
                        && shares_evidence(&findings[c], &findings[q])
                })
        });
    cause.or_else(|| linkable.first().copied())
}

/// Pairs (root, effect) of rules where the first, when present, explains the
/// second: a heap setting above the memory limit is why the OOM killer came;
/// a probe that cannot pass is why the container is unhealthy.
const ROOTS: &[(RuleId, RuleId)] = &[
    (RuleId::HeapExceedsLimit, RuleId::OomKilled),
    (RuleId::HeapExceedsLimit, RuleId::OomChildKilled),
    (RuleId::HealthProbeBroken, RuleId::Unhealthy),
];

/// The root that explains `effect` among the container's findings.
fn root_of(findings: &[Finding], idx: &[usize], effect: usize) -> Option<usize> {
    idx.iter().copied().find(|&i| {
        ROOTS
            .iter()
            .any(|&(root, eff)| findings[i].rule == root && findings[effect].rule == eff)
    })
}

fn link_container(findings: &mut [Finding], idx: &[usize]) {
    let primary = primary(findings, idx);
    link_roles(findings, idx, primary);
    // A root of the primary (or of any other finding) comes before it, and
    // what followed from the primary follows from the root.
    for &e in idx {
        let Some(r) = root_of(findings, idx, e) else {
            continue;
        };
        if findings[e].caused_by.is_some() {
            continue;
        }
        let (effect_rule, root_rule) = (findings[e].rule, findings[r].rule);
        findings[e].caused_by = Some(root_rule);
        findings[r].severity = findings[r].severity.min(findings[e].severity);
        for &i in idx {
            if findings[i].caused_by == Some(effect_rule) && i != e {
                findings[i].caused_by = Some(root_rule);
            }
        }
    }
    link_evidence(findings, idx);
}

/// Sets `caused_by` from the roles of the rules.
fn link_roles(findings: &mut [Finding], idx: &[usize], primary: Option<usize>) {
    if let Some(p) = primary {
        let (rule, sev, p_is_cause) = (
            findings[p].rule,
            findings[p].severity,
            is_cause(&findings[p]),
        );
        let mut worst = sev;
        for &i in idx {
            if i == p {
                continue;
            }
            let follows = match role(findings[i].rule) {
                Some(Role::Consequence(_)) => true,
                // Two causes of one severity: the more specific one is the
                // root (a traceback that is how a permission error showed).
                // A cause of lower severity may well be the root of a worse
                // one (a DNS failure behind a crash), so it stays its own.
                Some(Role::Cause(_)) => p_is_cause && findings[i].severity == sev,
                None => false,
            };
            if follows {
                findings[i].caused_by = Some(rule);
                worst = worst.min(findings[i].severity);
            }
        }
        // The root cause is as bad as the worst thing that follows from it.
        findings[p].severity = worst;
    }
}

/// Drops the evidence a worse finding, or the finding's primary, cites.
fn link_evidence(findings: &mut [Finding], idx: &[usize]) {
    // Evidence: walk from the worst finding down (primaries before their
    // secondaries); a finding drops what a worse one, or its primary, cites.
    let mut order: Vec<usize> = idx.to_vec();
    order.sort_by_key(|&i| {
        (
            findings[i].severity,
            findings[i].caused_by.is_some(),
            key(&findings[i]),
            findings[i].rule,
        )
    });
    let mut done: Vec<usize> = Vec::new();
    for &i in &order {
        let f = &findings[i];
        let seen: BTreeSet<&str> = done
            .iter()
            .filter(|&&g| {
                findings[g].severity < f.severity || f.caused_by == Some(findings[g].rule)
            })
            .flat_map(|&g| findings[g].evidence.iter())
            .map(|e| e.excerpt.as_str())
            .collect();
        // The same text is the same evidence, whichever copy of a file or
        // line it was read from (a rotated log, a second inspect).
        let kept: Vec<Evidence> = f
            .evidence
            .iter()
            .filter(|e| !seen.contains(e.excerpt.as_str()))
            .cloned()
            .collect();
        findings[i].evidence = kept;
        done.push(i);
    }
}

/// True when a finding of this container with a worse severity than `sev`
/// already cites this evidence (the same record, or the same line text).
pub(crate) fn cited_above(
    findings: &[Finding],
    container: &str,
    sev: crate::model::Severity,
    e: &Evidence,
) -> bool {
    findings
        .iter()
        .filter(|f| f.container.as_deref() == Some(container) && f.severity < sev)
        .flat_map(|f| f.evidence.iter())
        .any(|x| x == e || (x.excerpt == e.excerpt && !e.excerpt.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::link;
    use crate::model::{Evidence, Severity};
    use crate::rules::{Confidence, Finding, RuleId};

    fn f(rule: RuleId, severity: Severity, ev: &[&str]) -> Finding {
        Finding {
            rule,
            severity,
            container: Some("c".into()),
            image: None,
            title: String::new(),
            explanation: String::new(),
            suggestion: String::new(),
            evidence: ev.iter().map(|e| Evidence::new("log", None, *e)).collect(),
            confidence: Confidence::Likely,
            caused_by: None,
        }
    }

    #[test]
    fn a_crash_loop_follows_from_its_crash_and_drops_the_crash_line() {
        let mut v = vec![
            f(
                RuleId::CrashLoop,
                Severity::Critical,
                &["\"RestartCount\": 4", "FATAL: x"],
            ),
            f(RuleId::CrashSignature, Severity::Critical, &["FATAL: x"]),
            f(RuleId::LogErrors, Severity::Info, &["FATAL: x", "ERROR y"]),
        ];
        link(&mut v);
        assert_eq!(v[0].caused_by, Some(RuleId::CrashSignature));
        assert_eq!(v[0].evidence.len(), 1);
        assert_eq!(v[1].caused_by, None);
        assert_eq!(v[2].caused_by, None, "log counts are never linked");
        assert_eq!(v[2].evidence[0].excerpt, "ERROR y");
    }

    #[test]
    fn a_heap_above_the_limit_is_the_root_of_the_oom_kill_and_its_crash_loop() {
        let mut v = vec![
            f(
                RuleId::OomKilled,
                Severity::Critical,
                &["Killed process 7 (java)"],
            ),
            f(
                RuleId::CrashLoop,
                Severity::Critical,
                &["\"RestartCount\": 3"],
            ),
            f(RuleId::HeapExceedsLimit, Severity::Warning, &["-Xmx2g"]),
            f(
                RuleId::SecretsInEnv,
                Severity::Warning,
                &["AWS_SECRET_ACCESS_KEY"],
            ),
        ];
        link(&mut v);
        assert_eq!(v[0].caused_by, Some(RuleId::HeapExceedsLimit));
        assert_eq!(v[1].caused_by, Some(RuleId::HeapExceedsLimit));
        assert_eq!(v[2].caused_by, None);
        assert_eq!(v[2].severity, Severity::Critical, "as bad as what follows");
        assert_eq!(v[3].caused_by, None);
        assert_eq!(v[3].severity, Severity::Warning);
    }

    #[test]
    fn a_broken_probe_is_why_the_container_is_unhealthy() {
        let mut v = vec![
            f(RuleId::Unhealthy, Severity::Critical, &["curl: not found"]),
            f(
                RuleId::HealthProbeBroken,
                Severity::Warning,
                &["curl: not found"],
            ),
        ];
        link(&mut v);
        assert_eq!(v[0].caused_by, Some(RuleId::HealthProbeBroken));
        assert!(v[0].evidence.is_empty(), "the root's line is not repeated");
        assert_eq!(v[1].severity, Severity::Critical);
    }

    #[test]
    fn a_lower_cause_is_the_root_only_when_the_consequence_cites_it() {
        let mut v = vec![
            f(
                RuleId::CrashLoop,
                Severity::Critical,
                &["lookup redis: no such host"],
            ),
            f(
                RuleId::DnsFailure,
                Severity::Warning,
                &["lookup redis: no such host"],
            ),
        ];
        link(&mut v);
        assert_eq!(v[0].caused_by, Some(RuleId::DnsFailure));
        assert_eq!(v[1].severity, Severity::Critical, "as bad as what follows");

        let mut v = vec![
            f(
                RuleId::CrashLoop,
                Severity::Critical,
                &["\"ExitCode\": 1", "boom"],
            ),
            f(
                RuleId::DnsFailure,
                Severity::Warning,
                &["\"ExitCode\": 1", "lookup db"],
            ),
        ];
        link(&mut v);
        assert_eq!(v[0].caused_by, None, "a shared inspect field ties nothing");
        assert_eq!(v[1].caused_by, None);
        assert_eq!(v[1].severity, Severity::Warning);
        assert_eq!(v[1].evidence.len(), 1, "but it is not repeated");
    }
}
