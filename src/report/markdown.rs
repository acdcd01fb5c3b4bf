//! Markdown for tickets: a summary table first, then findings with their
//! evidence in code fences, then the container, kernel and image tables.
//! No raw HTML; every input string is escaped (see `escape`), and the
//! backtick pairs of our own texts are real code spans.
//!
//! The whole report fits a budget (`--max-chars`, 60,000 characters by
//! default: GitHub comments take 65,536, Jira 32,767). When it would not,
//! the largest section is cut first (evidence lines per finding, then rows
//! from its end), again and again, and each cut section says what was left
//! out and how to get it.

use std::fmt::Write;

use super::escape::md_inline as m;
use super::schema::*;
use super::text::{counts, short_ids, Paths};
use super::untrusted::join;
use super::RenderOptions;
use crate::format::human_bytes;

/// An optional input string, `-` when absent.
fn mo(u: Option<&Untrusted>) -> String {
    u.map(Untrusted::md).unwrap_or_else(|| "-".into())
}

/// Escaped pieces joined by a separator of ours.
fn mj(parts: &[Untrusted], sep: &str) -> String {
    join(parts, sep).md()
}

/// A path as shown (relative to its input, ids shortened), still untrusted.
fn shown(paths: &Paths, u: &Untrusted) -> Untrusted {
    Untrusted::new(paths.show(&u.text()))
}

/// Evidence lines shown per finding.
pub const DEFAULT_MAX_EVIDENCE: usize = 8;

/// The most characters a Markdown report has by default.
pub const DEFAULT_MAX_CHARS: usize = 60_000;

pub fn render(r: &Report) -> String {
    render_opts(r, &RenderOptions::default())
}

pub fn render_with(r: &Report, max_evidence: usize) -> String {
    render_opts(
        r,
        &RenderOptions {
            max_evidence,
            ..RenderOptions::default()
        },
    )
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// One part of the report that can be cut: fixed text, then rows of which
/// the first `kept` are written, then a line on what was left out.
struct Section {
    /// The section, for the notice at the top ("the timeline").
    name: &'static str,
    head: String,
    rows: Vec<String>,
    /// Characters of `rows[..k]` for every k.
    prefix: Vec<usize>,
    kept: usize,
    head_chars: usize,
    /// What one row is, plural ("timeline events").
    what: &'static str,
    /// Where the rows that were left out can be seen.
    how: &'static str,
}

impl Section {
    fn new(
        name: &'static str,
        head: String,
        rows: Vec<String>,
        what: &'static str,
        how: &'static str,
    ) -> Section {
        let mut s = Section {
            name,
            head_chars: chars(&head),
            head,
            rows: Vec::new(),
            prefix: Vec::new(),
            kept: 0,
            what,
            how,
        };
        s.set_rows(rows);
        s
    }

    fn set_rows(&mut self, rows: Vec<String>) {
        let mut prefix = Vec::with_capacity(rows.len() + 1);
        let mut n = 0;
        prefix.push(0);
        for r in &rows {
            n += chars(r);
            prefix.push(n);
        }
        self.kept = self.kept.min(rows.len());
        if self.rows.is_empty() {
            self.kept = rows.len();
        }
        self.rows = rows;
        self.prefix = prefix;
    }

    fn note(&self, budget: usize) -> String {
        let left = self.rows.len() - self.kept;
        if left == 0 {
            return String::new();
        }
        format!(
            "*{left} of {} {} left out to keep this report under {budget} characters: {}.*\n\n",
            self.rows.len(),
            self.what,
            self.how
        )
    }

    fn len(&self, budget: usize) -> usize {
        if self.rows.is_empty() && self.head.is_empty() {
            return 0;
        }
        self.head_chars + self.prefix[self.kept] + 1 + chars(&self.note(budget))
    }

    fn write(&self, o: &mut String, budget: usize) {
        if self.rows.is_empty() && self.head.is_empty() {
            return;
        }
        o.push_str(&self.head);
        for r in &self.rows[..self.kept] {
            o.push_str(r);
        }
        o.push('\n');
        o.push_str(&self.note(budget));
    }
}

/// Index of the table of findings among the sections.
const TABLE: usize = 0;

/// Index of the findings in full among the sections.
const FINDINGS: usize = 1;

const HOW_ALL: &str =
    "`--format html` or `--format json` shows them all, `--max-chars` raises the limit";

/// One finding as Markdown: heading, explanation, what to do, evidence.
fn finding_block(f: &Finding, paths: &Paths, max_evidence: usize, cut: bool) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "### {} · {} · {}\n",
        f.severity.as_str().to_uppercase(),
        m(f.rule.as_str()),
        f.title.md_rich()
    );
    let _ = writeln!(o, "{}\n", f.explanation.md_rich_paragraph());
    let _ = writeln!(o, "*{}*\n", f.confidence_words());
    let _ = writeln!(o, "**What to do:** {}\n", f.suggestion.md_rich());
    if !f.evidence.is_empty() {
        let lines: Vec<Untrusted> = f
            .evidence
            .iter()
            .take(max_evidence)
            .map(|e| {
                Untrusted::new(format!(
                    "{}: {}",
                    paths.show(&e.location().text()),
                    short_ids(&e.excerpt.clip(240).text())
                ))
            })
            .collect();
        let _ = write!(o, "{}", Untrusted::md_code_block(&lines));
        if f.evidence.len() > max_evidence {
            let _ = writeln!(
                o,
                "\n({} more evidence line(s){}: `--max-evidence {}`, `--format html` or the JSON report)",
                f.evidence.len() - max_evidence,
                if cut { ", cut to fit the ticket" } else { "" },
                f.evidence.len()
            );
        }
        let _ = writeln!(o);
    }
    o
}

pub fn render_opts(r: &Report, opts: &RenderOptions) -> String {
    let budget = opts.max_chars;
    let paths = Paths::of(r);
    let mut top = String::new();
    let (c, w, i) = counts(r);
    let _ = writeln!(top, "# coroner incident report\n");
    let _ = writeln!(
        top,
        "| critical | warning | info | containers | images | inputs | diagnostics |"
    );
    let _ = writeln!(top, "|---:|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        top,
        "| {c} | {w} | {i} | {} | {} | {} | {} |\n",
        r.containers.len(),
        r.images.len(),
        r.inputs.len(),
        r.diagnostics.len()
    );
    if let Some(root) = paths.root() {
        let _ = writeln!(
            top,
            "Paths are relative to {}; 64-hex ids are shown by their first 12 characters.\n",
            Untrusted::new(short_ids(&root)).md_code()
        );
    }

    let mut sections: Vec<Section> = Vec::new();
    // 0: the list of findings.
    sections.push(Section::new(
        "the findings table",
        if r.findings.is_empty() {
            String::new()
        } else {
            "| severity | rule | subject | finding |\n|---|---|---|---|\n".into()
        },
        r.findings
            .iter()
            .map(|f| {
                let who = f
                    .container
                    .as_ref()
                    .or(f.image.as_ref())
                    .map(Untrusted::md)
                    .unwrap_or_else(|| "host".into());
                format!(
                    "| {} | `{}` | {} | {} |\n",
                    f.severity.as_str(),
                    f.rule.as_str(),
                    who,
                    f.title.md_rich_cell()
                )
            })
            .collect(),
        "rows of this table",
        HOW_ALL,
    ));
    // 1: the findings in full.
    let mut evidence = opts.max_evidence;
    let findings_head = if r.findings.is_empty() {
        format!(
            "## Findings\n\n{}\n",
            capitalised(
                r.no_findings
                    .as_deref()
                    .unwrap_or(crate::report::NOTHING_FOUND)
            )
        )
    } else {
        "## Findings\n\n".to_string()
    };
    let blocks = |e: usize, cut: bool| -> Vec<String> {
        r.findings
            .iter()
            .map(|f| finding_block(f, &paths, e, cut))
            .collect()
    };
    sections.push(Section::new(
        "the findings",
        findings_head,
        blocks(evidence, false),
        "findings (the least severe)",
        "the table above lists every finding; `--format html` shows them in full, `--max-chars` raises the limit",
    ));

    if !r.containers.is_empty() {
        let head = "## Containers\n\n| container | status | exit | meaning | OOMKilled | restarts | health | log lines (stderr) | networks | ports |\n|---|---|---:|---|---|---:|---|---|---|---|\n".to_string();
        let rows = r
            .containers
            .iter()
            .map(|ct| {
                let running = ct.exit_code.is_none();
                format!(
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                    ct.name.md(),
                    ct.status.md(),
                    if running {
                        "-".to_string()
                    } else {
                        ct.exit_code.map(|c| c.to_string()).unwrap_or_default()
                    },
                    if running {
                        "-".to_string()
                    } else {
                        m(&ct.exit_meaning)
                    },
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
                )
            })
            .collect();
        sections.push(Section::new(
            "the containers",
            head,
            rows,
            "containers",
            HOW_ALL,
        ));
    }

    if !r.kernel.oom_kills.is_empty() || !r.kernel.segfaults.is_empty() {
        let head = format!(
            "## Kernel\n\nTimes: {}\n\nClock: {}\n\n| event | pid | process | container | cgroup | time | evidence |\n|---|---:|---|---|---|---|---|\n",
            r.kernel.time_method.md(),
            m(&super::clock_summary(&r.kernel.clock))
        );
        let loc = |s: &Untrusted, l: Option<u64>| {
            Untrusted::new(format!("{}:{}", paths.show(&s.text()), l.unwrap_or(0))).md_code_cell()
        };
        let mut rows: Vec<String> = r
            .kernel
            .oom_kills
            .iter()
            .map(|k| {
                format!(
                    "| OOM kill | {} | {} | {} | {} | {} | {} |\n",
                    k.pid,
                    k.process.md_code_cell(),
                    mo(k.container.as_ref()),
                    k.cgroup
                        .as_ref()
                        .map(|g| Untrusted::new(short_ids(&g.text())).md_code_cell())
                        .unwrap_or_else(|| "-".into()),
                    super::kernel_time(&k.time, &k.local_time)
                        .as_deref()
                        .unwrap_or("?"),
                    loc(&k.source, k.line)
                )
            })
            .collect();
        rows.extend(r.kernel.segfaults.iter().map(|s| {
            format!(
                "| segfault | {} | {} | {} | - | {} | {} |\n",
                s.pid,
                s.process.md_code_cell(),
                mo(s.container.as_ref()),
                super::kernel_time(&s.time, &s.local_time)
                    .as_deref()
                    .unwrap_or("?"),
                loc(&s.source, s.line)
            )
        }));
        sections.push(Section::new(
            "the kernel events",
            head,
            rows,
            "kernel events",
            HOW_ALL,
        ));
    }

    if !r.images.is_empty() {
        let rows = r
            .images
            .iter()
            .map(|im| {
                let mut o = String::new();
                let _ = writeln!(
                    o,
                    "### {}\n\n{} layer(s), {} in the final view, {} wasted, efficiency {:.1}%. Source: {}\n",
                    mj(&im.refs, ", "),
                    im.layers,
                    human_bytes(im.size_bytes),
                    human_bytes(im.wasted_bytes),
                    im.efficiency * 100.0,
                    shown(&paths, &im.source).md_code()
                );
                let _ = writeln!(o, "| # | size | files | wasted | created by |");
                let _ = writeln!(o, "|---:|---:|---:|---:|---|");
                for (n, l) in im.layer_table.iter().enumerate() {
                    let _ = writeln!(
                        o,
                        "| {} | {} | {} | {} | {} |",
                        n + 1,
                        human_bytes(l.size_bytes),
                        l.files,
                        human_bytes(l.wasted_bytes),
                        l.created_by.clip(120).md_code_cell()
                    );
                }
                let _ = writeln!(o);
                o
            })
            .collect();
        sections.push(Section::new(
            "the images",
            "## Images\n\n".into(),
            rows,
            "images",
            HOW_ALL,
        ));
    }

    if !r.filesystems.is_empty() {
        let rows = r
            .filesystems
            .iter()
            .map(|fs| {
                let mut o = format!(
                    "- {}: {} file(s), {}; {} setuid/setgid, {} world-writable\n",
                    shown(&paths, &fs.source).md_code(),
                    fs.files,
                    human_bytes(fs.size_bytes),
                    fs.setuid.len(),
                    fs.world_writable.len()
                );
                if let Some(line) = super::drift_summary(fs) {
                    let _ = writeln!(o, "  - {}", line.md());
                }
                o
            })
            .collect();
        sections.push(Section::new(
            "the filesystem exports",
            "## Filesystem exports\n\n".into(),
            rows,
            "filesystem exports",
            HOW_ALL,
        ));
    }

    if r.containers.iter().any(|c| c.changes.is_some()) {
        let rows = r
            .containers
            .iter()
            .filter_map(|ct| ct.changes.as_ref().map(|ch| (ct, ch)))
            .map(|(ct, ch)| {
                let mut o = format!(
                    "- {}: {} added, {} modified, {} deleted, {} written (upper layer {})\n",
                    ct.name.md(),
                    ch.added,
                    ch.modified,
                    ch.deleted,
                    human_bytes(ch.written_bytes),
                    shown(&paths, &ch.source).md_code()
                );
                for c in ch.entries.iter().filter(|c| !c.flags.is_empty()).take(10) {
                    let _ = writeln!(
                        o,
                        "  - {} {} ({}) \\[{}\\]",
                        c.kind,
                        c.path.md_code(),
                        human_bytes(c.size),
                        c.flags.join(", ")
                    );
                }
                o
            })
            .collect();
        sections.push(Section::new(
            "the container changes",
            "## Container changes\n\n".into(),
            rows,
            "containers with changes",
            HOW_ALL,
        ));
    }

    if r.containers.iter().any(|c| c.data_root.is_some()) {
        let rows = r
            .containers
            .iter()
            .filter_map(|ct| ct.data_root.as_ref().map(|d| (ct, d)))
            .map(|(ct, d)| {
                let ns: Vec<String> = d.nameservers.iter().map(|n| n.md_code()).collect();
                let m: Vec<String> = d.mounts.iter().map(|n| n.md_code()).collect();
                format!(
                    "- {}: hostname {}; nameservers {}; mounted in {}; from `{}`\n",
                    ct.name.md(),
                    d.hostname.md_code(),
                    if ns.is_empty() {
                        "none".to_string()
                    } else {
                        ns.join(", ")
                    },
                    if m.is_empty() {
                        "nothing".to_string()
                    } else {
                        m.join(", ")
                    },
                    d.config_file
                )
            })
            .collect();
        sections.push(Section::new(
            "the data-root containers",
            "## Data-root containers\n\n".into(),
            rows,
            "data-root containers",
            HOW_ALL,
        ));
    }

    if !r.volumes.is_empty() {
        let rows = r
            .volumes
            .iter()
            .map(|vol| {
                format!(
                    "- {} ({}): {} file(s), {}; owner {}\n",
                    vol.name.md(),
                    vol.driver.md(),
                    vol.files,
                    human_bytes(vol.size_bytes),
                    m(vol.owner.as_deref().unwrap_or("unknown"))
                )
            })
            .collect();
        sections.push(Section::new(
            "the volumes",
            "## Volumes\n\n".into(),
            rows,
            "volumes",
            HOW_ALL,
        ));
    }

    if !r.timeline.is_empty() {
        let rows = r
            .timeline
            .iter()
            .map(|t| {
                format!(
                    "| {} | {} | {} |\n",
                    t.time,
                    mo(t.container.as_ref()),
                    Untrusted::new(short_ids(&t.event.text())).md()
                )
            })
            .collect();
        sections.push(Section::new(
            "the timeline",
            "## Timeline\n\n| time | container | event |\n|---|---|---|\n".into(),
            rows,
            "timeline events (the latest)",
            HOW_ALL,
        ));
    }
    // Inputs read as something are listed; those recognised as nothing
    // are one row (the diagnostics name them).
    let unknown: Vec<&Input> = r.inputs.iter().filter(|i| i.kind == "unknown").collect();
    let mut rows: Vec<String> = r
        .inputs
        .iter()
        .filter(|i| i.kind != "unknown" || unknown.len() <= 3)
        .map(|inp| {
            format!(
                "| {} | {} | {} |\n",
                inp.kind,
                human_bytes(inp.bytes),
                shown(&paths, &inp.path).md_code_cell()
            )
        })
        .collect();
    if unknown.len() > 3 {
        rows.push(format!(
            "| unknown | {} | {} files recognised as no Docker or kernel artifact (see Diagnostics) |\n",
            human_bytes(unknown.iter().map(|i| i.bytes).sum()),
            unknown.len()
        ));
    }
    sections.push(Section::new(
        "the inputs",
        "## Inputs\n\n| kind | size | path |\n|---|---:|---|\n".into(),
        rows,
        "inputs",
        "`--format json` lists them all, `--max-chars` raises the limit",
    ));
    if !r.diagnostics.is_empty() {
        // A message repeated more than 3 times is one line.
        let mut seen: std::collections::HashMap<&Untrusted, usize> = Default::default();
        for d in &r.diagnostics {
            *seen.entry(&d.message).or_default() += 1;
        }
        let mut grouped: std::collections::HashSet<&Untrusted> = Default::default();
        let mut rows: Vec<String> = Vec::new();
        for d in &r.diagnostics {
            let n = seen.get(&d.message).copied().unwrap_or(1);
            let msg = Untrusted::new(short_ids(&d.message.text())).md();
            if n <= 3 || d.severity == DiagSeverity::Error {
                rows.push(format!(
                    "- {}: {}: {msg}\n",
                    d.severity.as_str(),
                    shown(&paths, &d.path).md_code(),
                ));
            } else if !grouped.contains(&d.message) {
                rows.push(format!(
                    "- {}: {n} files: {msg} \\(for example {}; the JSON report lists them all\\)\n",
                    d.severity.as_str(),
                    shown(&paths, &d.path).md_code(),
                ));
                grouped.insert(&d.message);
            }
        }
        sections.push(Section::new(
            "the diagnostics",
            "## Diagnostics\n\n".into(),
            rows,
            "diagnostics",
            "`--format json` lists them all, `--max-chars` raises the limit",
        ));
    }

    // Fit the budget: cut the largest section, a step at a time. In the
    // findings, evidence lines per finding go first, then whole findings.
    let notice = |cut: &[&str]| {
        format!(
            "> **Shortened to fit {budget} characters:** {} cut (each section says what was left out). `--format html` shows everything; `--max-chars N` and `--max-evidence N` set the limits.\n\n",
            cut.join(", ")
        )
    };
    let mut all_names: Vec<&str> = sections.iter().map(|s| s.name).collect();
    all_names.push("evidence lines per finding");
    let reserve = chars(&notice(&all_names));
    let total = |s: &[Section]| chars(&top) + s.iter().map(|x| x.len(budget)).sum::<usize>();
    evidence = evidence.min(
        r.findings
            .iter()
            .map(|f| f.evidence.len())
            .max()
            .unwrap_or(0),
    );
    let mut cut_any = false;
    let mut evidence_cut = false;
    while total(&sections) + if cut_any { reserve } else { 0 } > budget {
        cut_any = true;
        // The largest section that still has something to cut; the table
        // of findings (the ticket's summary) only when nothing else is left.
        let largest = |table: bool| {
            (0..sections.len())
                .filter(|&k| sections[k].kept > 0 && (table || k != TABLE))
                .max_by_key(|&k| (sections[k].len(budget), std::cmp::Reverse(k)))
        };
        let Some(k) = largest(false).or_else(|| largest(true)) else {
            break;
        };
        if k == FINDINGS && evidence > 1 {
            evidence -= 1;
            evidence_cut = true;
            sections[k].set_rows(blocks(evidence, true));
        } else {
            sections[k].kept -= 1;
        }
    }
    if sections[TABLE].kept < sections[TABLE].rows.len() {
        // Then the table no longer lists every finding.
        sections[FINDINGS].how =
            "`--format html` shows them in full, `--max-chars` raises the limit";
    }
    let mut o = top;
    if cut_any {
        let mut cut: Vec<&str> = sections
            .iter()
            .filter(|s| s.kept < s.rows.len())
            .map(|s| s.name)
            .collect();
        if evidence_cut {
            cut.push("evidence lines per finding");
        }
        o.push_str(&notice(&cut));
    }
    for s in &sections {
        s.write(&mut o, budget);
    }
    if chars(&o) > budget {
        // Only a budget smaller than the fixed headings gets here.
        let tail = format!("\n\n*Cut at {budget} characters: `--max-chars` raises the limit.*\n");
        let keep = budget.saturating_sub(chars(&tail));
        let mut cut: String = o.chars().take(keep).collect();
        if let Some(k) = cut.rfind('\n') {
            cut.truncate(k);
        }
        cut.push_str(&tail);
        if chars(&cut) > budget {
            cut = cut.chars().take(budget).collect();
        }
        o = cut;
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
                confidence: crate::rules::Confidence::Likely,
                caused_by: None,
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

    fn big_report(n: usize) -> Report {
        let mut r = Report::default();
        for k in 0..n {
            r.findings.push(Finding {
                rule: RuleId::AppErrorExit,
                severity: if k % 3 == 0 {
                    Severity::Critical
                } else {
                    Severity::Info
                },
                container: Some(format!("c{k}").into()),
                image: None,
                title: format!("c{k} exited with `code {k}`").into(),
                explanation: "x ".repeat(200).into(),
                suggestion: "Run `docker logs` and read it.".into(),
                evidence: (0..20)
                    .map(|l| Evidence {
                        source: format!("b.tar!/top/c{k}.log").into(),
                        line: Some(l),
                        excerpt: "z".repeat(200).into(),
                    })
                    .collect(),
                confidence: crate::rules::Confidence::Likely,
                caused_by: None,
            });
            r.inputs.push(Input {
                path: format!("b.tar!/top/c{k}.log").into(),
                kind: "json-log".into(),
                bytes: 1 << 20,
                files: None,
            });
        }
        r
    }

    #[test]
    fn any_input_fits_the_budget_and_says_what_was_cut() {
        for (n, budget) in [
            (5, 60_000),
            (400, 60_000),
            (400, 30_000),
            (3000, 30_000),
            (50, 3_000),
        ] {
            let r = big_report(n);
            let md = render_opts(
                &r,
                &RenderOptions {
                    max_chars: budget,
                    ..RenderOptions::default()
                },
            );
            assert!(
                chars(&md) <= budget,
                "{n} findings: {} > {budget}",
                chars(&md)
            );
            if n >= 50 {
                assert!(md.contains("Shortened to fit"), "{n}");
                assert!(md.contains("left out to keep this report under"), "{n}");
            } else {
                assert!(!md.contains("Shortened"));
            }
        }
    }

    #[test]
    fn the_table_of_findings_goes_last() {
        let r = big_report(200);
        let md = render_opts(
            &r,
            &RenderOptions {
                max_chars: 30_000,
                ..RenderOptions::default()
            },
        );
        assert!(chars(&md) <= 30_000);
        assert!(
            md.contains("| `app-error-exit` | c199 |"),
            "the whole table"
        );
        assert!(md.contains("the table above lists every finding"));
    }

    #[test]
    fn evidence_goes_before_findings() {
        let r = big_report(60);
        let md = render_opts(
            &r,
            &RenderOptions {
                max_chars: 60_000,
                ..RenderOptions::default()
            },
        );
        assert!(
            md.contains("evidence lines per finding"),
            "evidence cut first"
        );
        assert!(md.contains("cut to fit the ticket"));
        // Every finding is still in the table.
        assert!(md.contains("| `app-error-exit` | c59 |"));
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
