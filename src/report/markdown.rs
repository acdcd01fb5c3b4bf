//! Markdown for tickets: a summary table first, then findings with their
//! evidence in code fences, then the container, kernel and image tables.
//! No raw HTML; every input string is escaped (see `escape`).

use std::fmt::Write;

use super::escape::md_inline as m;
use super::schema::*;
use super::text::counts;
use super::untrusted::join;

/// An optional input string, `-` when absent.
fn mo(u: Option<&Untrusted>) -> String {
    u.map(Untrusted::md).unwrap_or_else(|| "-".into())
}

/// Escaped pieces joined by a separator of ours.
fn mj(parts: &[Untrusted], sep: &str) -> String {
    join(parts, sep).md()
}
use crate::format::human_bytes;

/// Evidence lines shown per finding.
pub const DEFAULT_MAX_EVIDENCE: usize = 8;

pub fn render(r: &Report) -> String {
    render_with(r, DEFAULT_MAX_EVIDENCE)
}

pub fn render_with(r: &Report, max_evidence: usize) -> String {
    let mut o = String::new();
    let (c, w, i) = counts(r);
    let _ = writeln!(o, "# coroner incident report\n");
    let _ = writeln!(
        o,
        "| critical | warning | info | containers | images | inputs | diagnostics |"
    );
    let _ = writeln!(o, "|---:|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        o,
        "| {c} | {w} | {i} | {} | {} | {} | {} |\n",
        r.containers.len(),
        r.images.len(),
        r.inputs.len(),
        r.diagnostics.len()
    );
    if !r.findings.is_empty() {
        let _ = writeln!(o, "| severity | rule | subject | finding |");
        let _ = writeln!(o, "|---|---|---|---|");
        for f in &r.findings {
            let who = f
                .container
                .as_ref()
                .or(f.image.as_ref())
                .map(Untrusted::md)
                .unwrap_or_else(|| "host".into());
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                f.severity.as_str(),
                m(f.rule.as_str()),
                who,
                f.title.md()
            );
        }
        let _ = writeln!(o);
    }

    let _ = writeln!(o, "## Findings\n");
    if r.findings.is_empty() {
        let _ = writeln!(
            o,
            "{}\n",
            capitalised(
                r.no_findings
                    .as_deref()
                    .unwrap_or("nothing in the inputs points at a failure.")
            )
        );
    }
    for f in &r.findings {
        let _ = writeln!(
            o,
            "### {} · {} · {}\n",
            f.severity.as_str().to_uppercase(),
            m(f.rule.as_str()),
            f.title.md()
        );
        let _ = writeln!(o, "{}\n", f.explanation.md_paragraph());
        let _ = writeln!(o, "**What to do:** {}\n", f.suggestion.md());
        if !f.evidence.is_empty() {
            let lines: Vec<Untrusted> = f
                .evidence
                .iter()
                .take(max_evidence)
                .map(|e| join(&[e.location(), e.excerpt.clone()], ": "))
                .collect();
            let _ = write!(o, "{}", Untrusted::md_code_block(&lines));
            if f.evidence.len() > max_evidence {
                let _ = writeln!(
                    o,
                    "\n({} more evidence line(s) in the JSON report)",
                    f.evidence.len() - max_evidence
                );
            }
            let _ = writeln!(o);
        }
    }

    if !r.containers.is_empty() {
        let _ = writeln!(o, "## Containers\n");
        let _ = writeln!(o, "| container | status | exit | meaning | OOMKilled | restarts | health | log lines (stderr) | networks | ports |");
        let _ = writeln!(o, "|---|---|---:|---|---|---:|---|---|---|---|");
        for ct in &r.containers {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                ct.name.md(),
                ct.status.md(),
                ct.exit_code,
                m(&ct.exit_meaning),
                ct.oom_killed,
                ct.restart_count,
                ct.health
                    .as_ref()
                    .map(|h| h.status.md())
                    .unwrap_or_else(|| "-".into()),
                ct.logs
                    .as_ref()
                    .map(|l| match l.stderr_lines {
                        Some(n) => format!("{} ({n})", l.lines),
                        None => format!("{} (stderr unknown)", l.lines),
                    })
                    .unwrap_or_else(|| format!(
                        "none ({})",
                        if ct.log_driver.is_empty() {
                            "-".to_string()
                        } else {
                            ct.log_driver.md()
                        }
                    )),
                mj(&ct.networks, ", "),
                mj(&ct.ports, ", ")
            );
        }
        let _ = writeln!(o);
    }

    if !r.kernel.oom_kills.is_empty() || !r.kernel.segfaults.is_empty() {
        let _ = writeln!(o, "## Kernel\n");
        let _ = writeln!(o, "Times: {}\n", r.kernel.time_method.md());
        let _ = writeln!(
            o,
            "| event | pid | process | container | cgroup | time | evidence |"
        );
        let _ = writeln!(o, "|---|---:|---|---|---|---|---|");
        for k in &r.kernel.oom_kills {
            let _ = writeln!(
                o,
                "| OOM kill | {} | {} | {} | {} | {} | {} |",
                k.pid,
                k.process.md(),
                mo(k.container.as_ref()),
                mo(k.cgroup.as_ref()),
                k.time.as_deref().unwrap_or("?"),
                (format!("{}:{}", k.source.md(), k.line.unwrap_or(0)))
            );
        }
        for s in &r.kernel.segfaults {
            let _ = writeln!(
                o,
                "| segfault | {} | {} | {} | - | {} | {} |",
                s.pid,
                s.process.md(),
                mo(s.container.as_ref()),
                s.time.as_deref().unwrap_or("?"),
                (format!("{}:{}", s.source.md(), s.line.unwrap_or(0)))
            );
        }
        let _ = writeln!(o);
    }

    if !r.images.is_empty() {
        let _ = writeln!(o, "## Images\n");
        for im in &r.images {
            let _ = writeln!(
                o,
                "### {}\n\n{} layer(s), {} in the final view, {} B wasted, efficiency {:.1}%. Source: {}\n",
                mj(&im.refs, ", "),
                im.layers,
                human_bytes(im.size_bytes),
                im.wasted_bytes,
                im.efficiency * 100.0,
                im.source.md()
            );
            let _ = writeln!(o, "| # | size | files | wasted | created by |");
            let _ = writeln!(o, "|---:|---:|---:|---:|---|");
            for (n, l) in im.layer_table.iter().enumerate() {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} |",
                    n + 1,
                    l.size_bytes,
                    l.files,
                    l.wasted_bytes,
                    l.created_by.clip(120).md()
                );
            }
            let _ = writeln!(o);
        }
    }

    if !r.filesystems.is_empty() {
        let _ = writeln!(o, "## Filesystem exports\n");
        for fs in &r.filesystems {
            let _ = writeln!(
                o,
                "- {}: {} file(s), {}; {} setuid/setgid, {} world-writable",
                fs.source.md(),
                fs.files,
                human_bytes(fs.size_bytes),
                fs.setuid.len(),
                fs.world_writable.len()
            );
            if let Some(line) = super::drift_summary(fs) {
                let _ = writeln!(o, "  - {}", line.md());
            }
        }
        let _ = writeln!(o);
    }

    if !r.timeline.is_empty() {
        let _ = writeln!(o, "## Timeline\n");
        let _ = writeln!(o, "| time | container | event |");
        let _ = writeln!(o, "|---|---|---|");
        for t in &r.timeline {
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                t.time,
                mo(t.container.as_ref()),
                t.event.md()
            );
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "## Inputs\n");
    let _ = writeln!(o, "| kind | bytes | path |");
    let _ = writeln!(o, "|---|---:|---|");
    for inp in &r.inputs {
        let _ = writeln!(o, "| {} | {} | {} |", inp.kind, inp.bytes, inp.path.md());
    }
    if !r.diagnostics.is_empty() {
        let _ = writeln!(o, "\n## Diagnostics\n");
        for d in &r.diagnostics {
            let _ = writeln!(
                o,
                "- {}: {}: {}",
                d.severity.as_str(),
                d.path.md(),
                d.message.md()
            );
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_at_the_start_of_a_paragraph_cannot_start_a_list_or_heading() {
        let mut r = Report::default();
        for start in ["1. pweb", "- pweb", "+ pweb", "=== pweb", "    pweb"] {
            r.findings.push(Finding {
                rule: RuleId::OomChildKilled,
                severity: Severity::Warning,
                container: Some(start.into()),
                image: None,
                title: "t".into(),
                explanation: format!("{start} is still running @here").into(),
                suggestion: "s".into(),
                evidence: vec![],
            });
        }
        let md = render(&r);
        for line in md.lines() {
            for bad in ["1. ", "- ", "+ ", "===", "    "] {
                assert!(!line.starts_with(bad), "{line:?}");
            }
            assert!(!line.contains(" @here"), "{line:?}");
        }
        assert!(md.contains("1\\. pweb is still running \\@here"));
    }
}

/// The sentence with its first letter upper-cased (the summary is written
/// lower-case to follow `none:` in text).
pub fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
