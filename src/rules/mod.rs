//! The rule catalogue: each rule reads the correlated model and emits
//! findings with a plain-words explanation, a suggestion and cited evidence.
//!
//! Invariant: rules never read files, only the model; they are pure, so the
//! same model always gives the same findings.

mod container;
pub mod id;
mod image;
mod kernel;
mod kernel_events;
pub mod link;
mod logs;
mod network;
mod patterns;
mod secrets;

pub use id::RuleId;

use crate::correlate::{Analysis, ContainerRecord};
use crate::model::Evidence;
pub use crate::model::Severity;

/// What a rule concluded: the rule, how bad, about which container or image,
/// in plain words, with the input lines that show it. `report::build` maps
/// it to the contract's `schema::Finding`; rules never build schema types.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    pub container: Option<String>,
    pub image: Option<String>,
    pub title: String,
    pub explanation: String,
    pub suggestion: String,
    pub evidence: Vec<Evidence>,
    /// How sure the finding is; `finding()` sets `likely` and a rule that
    /// knows better says so with `Finding::confidence`.
    pub confidence: Confidence,
    /// The rule of the primary finding this one follows from (same
    /// container); set only by `link::link`, never by a rule.
    pub caused_by: Option<RuleId>,
}

/// How much the records back a finding (the contract's `findings[].confidence`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    /// Two independent records agree (inspect and the kernel log, inspect
    /// and docker events, …).
    Confirmed,
    /// One record says it and nothing contradicts it.
    Likely,
    /// Inferred; the explanation says what would confirm it.
    Possible,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Confirmed => "confirmed",
            Confidence::Likely => "likely",
            Confidence::Possible => "possible",
        }
    }

    pub fn from_name(s: &str) -> Option<Confidence> {
        match s {
            "confirmed" => Some(Confidence::Confirmed),
            "likely" => Some(Confidence::Likely),
            "possible" => Some(Confidence::Possible),
            _ => None,
        }
    }

    /// `confirmed` when at least two independent records back it, else `likely`.
    pub fn of_records(n: usize) -> Confidence {
        if n >= 2 {
            Confidence::Confirmed
        } else {
            Confidence::Likely
        }
    }
}

impl Finding {
    /// The same finding with another confidence.
    pub fn confidence(mut self, c: Confidence) -> Finding {
        self.confidence = c;
        self
    }
}

/// Thresholds rules use; the CLI exposes them.
#[derive(Clone, Debug)]
pub struct RuleOptions {
    /// An exit within this many seconds of start counts as immediate.
    pub immediate_exit_secs: i64,
    /// Restarts at or above this make a crash loop.
    pub crash_loop_restarts: i64,
    /// Wasted bytes above which `image-wasted-space` fires.
    pub wasted_bytes_threshold: u64,
}

impl Default for RuleOptions {
    fn default() -> Self {
        RuleOptions {
            immediate_exit_secs: 10,
            crash_loop_restarts: 3,
            wasted_bytes_threshold: 1 << 20,
        }
    }
}

/// Runs every rule and returns the findings in report order:
/// critical → warning → info, then by container name, then rule.
pub fn evaluate(a: &Analysis, opts: &RuleOptions) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in &a.containers {
        let mut f = Vec::new();
        container::rules(a, r, opts, &mut f);
        logs::rules(r, &mut f);
        network::rules(a, r, &mut f);
        secrets::container(r, &mut f);
        patterns::rules(a, r, &mut f);
        // A self-sent signal PID 1 dropped explains the exit 0; a foreign
        // binary explains the failed exec.
        if f.iter().any(|x| x.rule == RuleId::Pid1IgnoresSignal) {
            f.retain(|x| x.rule != RuleId::ExitedImmediately);
        }
        if f.iter().any(|x| x.rule == RuleId::WrongArchitecture) {
            f.retain(|x| x.rule != RuleId::CommandNotFound);
        }
        container::app_error_exit(r, &mut f);
        container::runtime_error(r, &mut f);
        logs::log_errors(r, &mut f);
        out.extend(f);
    }
    patterns::memory_near_limit(a, &mut out);
    patterns::image_pull_failure(a, &mut out);
    patterns::daemon_evidence(a, &mut out);
    kernel::unmatched(a, &mut out);
    kernel_events::rules(a, &mut out);
    kernel::in_unknown_container(a, &mut out);
    image::rules(a, opts, &mut out);
    link::link(&mut out);
    sort(&mut out);
    out
}

pub fn sort(f: &mut [Finding]) {
    f.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then_with(|| match (&a.container, &b.container) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.caused_by.is_some().cmp(&b.caused_by.is_some()))
            .then_with(|| a.image.cmp(&b.image))
            .then_with(|| a.rule.as_str().cmp(b.rule.as_str()))
            .then_with(|| a.title.cmp(&b.title))
    });
}

pub(crate) fn ev(e: &Evidence) -> Evidence {
    e.clone()
}

pub(crate) fn finding(
    rule: RuleId,
    severity: Severity,
    r: &ContainerRecord,
    title: String,
    explanation: String,
    suggestion: String,
    evidence: Vec<Evidence>,
) -> Finding {
    Finding {
        rule,
        severity,
        container: Some(r.c.name.clone()),
        image: if r.c.image.is_empty() {
            None
        } else {
            Some(r.c.image.clone())
        },
        title,
        explanation,
        suggestion,
        evidence: if from_inspect(r) {
            evidence
        } else {
            without_inspect_fields(r, evidence)
        },
        confidence: Confidence::Likely,
        caused_by: None,
    }
}

/// Whether the record's fields were read from an inspect document (docker's
/// or podman's, or a data root's config): only then can a rule quote them as
/// `"ExitCode": 1`.
pub(crate) fn from_inspect(r: &ContainerRecord) -> bool {
    !matches!(
        r.matched_by,
        "log-path-id" | "file-name" | "events" | "kernel-cgroup" | "docker-ps" | "compose-ps"
    )
}

/// A record put together from events, a table, a log or the kernel has no
/// inspect document to quote: an inspect-shaped excerpt (`"ExitCode": 1`,
/// no line) would cite a line that is nowhere in its source. Such excerpts
/// are dropped; the events and log lines that carry the facts stay.
fn without_inspect_fields(r: &ContainerRecord, evidence: Vec<Evidence>) -> Vec<Evidence> {
    let own = r.c.sources.first().map(String::as_str).unwrap_or("");
    let kept: Vec<Evidence> = evidence
        .iter()
        .filter(|e| !(e.line.is_none() && e.excerpt.starts_with('"') && e.source == own))
        .cloned()
        .collect();
    if kept.is_empty() && !evidence.is_empty() {
        // The event that recorded the exit is the record of it.
        if let Some(e) = r.events.iter().rev().find(|e| e.action == "die") {
            return vec![e.evidence.clone()];
        }
        let from = match r.matched_by {
            "events" => "Docker's events",
            "docker-ps" => "the `docker ps` table",
            "compose-ps" => "the `docker compose ps` table",
            "kernel-cgroup" => "the kernel log",
            _ => "its log",
        };
        return vec![Evidence::new(
            own,
            None,
            format!("no inspect output of this container: its state comes from {from}"),
        )];
    }
    kept
}
