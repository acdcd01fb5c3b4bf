//! The report: built once from the correlated model and the findings, then
//! rendered as text for a terminal, Markdown for a ticket, or JSON for
//! machines. Rendering never changes content, so all formats agree.

pub mod escape;
pub mod html;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod schema;
pub mod text;
pub mod untrusted;

use crate::correlate::Analysis;
use crate::format::exit_meaning;
use schema::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Json,
    /// One self-contained HTML page (inline CSS and SVG, no external reference).
    Html,
    /// SARIF 2.1.0 for CI and code-scanning viewers (issue #13).
    Sarif,
}

/// Renders a (redacted) report in the given format.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Text => text::render(report),
        Format::Markdown => markdown::render(report),
        Format::Json => json::render(report),
        Format::Html => html::render(report),
        Format::Sarif => sarif::render(report),
    }
}

/// How the text and Markdown renderers lay out a report (`coroner report`
/// flags). The defaults are what `render` uses: no colour, 100 columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderOptions {
    /// Text: columns to lay out to (`COLUMNS`, the terminal, else 100).
    pub width: usize,
    /// Text: ANSI colour on our own labels (never on input).
    pub color: bool,
    /// Text: the seven diagnosis questions in full for every container.
    pub verbose: bool,
    /// Text and Markdown: evidence lines shown per finding.
    pub max_evidence: usize,
    /// Markdown: the most characters the report may have (tickets cap
    /// comments: GitHub at 65,536, Jira at 32,767).
    pub max_chars: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            width: 100,
            color: false,
            verbose: false,
            max_evidence: markdown::DEFAULT_MAX_EVIDENCE,
            max_chars: markdown::DEFAULT_MAX_CHARS,
        }
    }
}

/// Renders a (redacted) report with layout options; JSON and HTML ignore them.
pub fn render_opts(report: &Report, format: Format, opts: &RenderOptions) -> String {
    match format {
        Format::Text => text::render_with(report, opts),
        Format::Markdown => markdown::render_opts(report, opts),
        f => render(report, f),
    }
}

fn uv(v: &[String]) -> Vec<Untrusted> {
    v.iter().map(Untrusted::from).collect()
}

fn ts(t: Option<crate::time::Timestamp>) -> Option<String> {
    t.map(fixed_time)
}

/// The exit code a report may state: none while the container runs or is
/// paused, or when it was never started (issue #13); with what that means.
fn exit_of(c: &crate::ingest::inspect::Container) -> (Option<i64>, String) {
    match c.status.as_str() {
        "running" | "paused" => (None, "no exit: the container is running".into()),
        // A failed start leaves `created` with Docker's code (127: not found).
        "created" if c.exit_code == 0 => (None, "no exit: the container was never started".into()),
        // A record no inspect describes (a log, the kernel): no state was seen.
        "unknown" => (
            None,
            "no exit recorded: no inspect output or event describes this container".into(),
        ),
        _ => (Some(c.exit_code), exit_meaning(c.exit_code)),
    }
}

/// `matched_by` of kernel events and exports as the contract's kebab-case
/// token and its words. The lower layers name the match in words; an unknown
/// wording is turned into a token the same way, so nothing is dropped.
pub fn matched_by_token(how: &str) -> (String, String) {
    let (token, text) = match how {
        "cgroup" => ("cgroup", "its cgroup path names the container"),
        "pid" => ("pid", "its PID is the container's main process"),
        "process name and time" => (
            "process-name-and-time",
            "process name and time (the container ran that process then)",
        ),
        "time and a segfault line in its logs" => (
            "log-line-and-time",
            "time and a segfault line in the container's logs",
        ),
        "container-name" => (
            "container-name",
            "the export's file name names the container",
        ),
        "container-id" => (
            "container-id",
            "the export's file name holds the container id",
        ),
        "hostname" => (
            "hostname",
            "the export's etc/hostname is the container's Config.Hostname",
        ),
        "closest-image" => (
            "closest-image",
            "no container matched; the image whose files it shares most",
        ),
        other => {
            let mut t = String::new();
            for w in other
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
            {
                if !t.is_empty() {
                    t.push('-');
                }
                t.push_str(&w.to_ascii_lowercase());
            }
            return (t, other.to_string());
        }
    };
    (token.to_string(), text.to_string())
}

/// A kernel event's time as shown: on Docker's clock, else its printed
/// local time, marked as such (never as UTC) (#12).
pub(crate) fn kernel_time(time: &Option<String>, local: &Option<String>) -> Option<String> {
    time.clone().or_else(|| {
        local
            .as_ref()
            .map(|l| format!("{l} local time, zone unknown"))
    })
}

/// `kernel.clock` in one line, without its text: `aligned-on-docker-records,
/// offset -18000.974 s, 5 pair(s), residual 0.700 s` (#12).
pub(crate) fn clock_summary(c: &KernelClock) -> String {
    let mut s = c.method.clone();
    if let Some(o) = c.offset_s {
        s.push_str(&format!(", offset {o:+.3} s"));
    }
    s.push_str(&format!(", {} pair(s)", c.pairs));
    if let Some(r) = c.residual_s {
        s.push_str(&format!(", residual {r:.3} s"));
    }
    s
}

/// A local time of unknown zone: the civil fields, without `Z`.
fn local_ts(t: Option<crate::time::Timestamp>) -> Option<String> {
    t.map(|t| t.to_string().trim_end_matches('Z').to_string())
}

fn ps(v: &[crate::ingest::image::PathSize]) -> Vec<PathSize> {
    v.iter()
        .map(|p| PathSize {
            path: p.path.clone().into(),
            size: p.size,
        })
        .collect()
}

/// Builds the contract's report from the analysis and the findings.
pub fn build(a: &Analysis, findings: Vec<crate::rules::Finding>) -> Report {
    let name_of = |i: Option<usize>| i.map(|i| Untrusted::new(a.containers[i].c.name.clone()));
    let mut diagnostics: Vec<Diagnostic> = a
        .diagnostics
        .iter()
        .map(|d| Diagnostic {
            path: d.path.clone().into(),
            severity: d.severity,
            message: d.message.clone().into(),
        })
        .collect();
    diagnostics.sort_by(|x, y| x.path.cmp(&y.path).then(x.message.cmp(&y.message)));
    diagnostics.dedup();
    let containers = a
        .containers
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let c = &r.c;
            Container {
                matched_by: Some(
                    if data_root_of(a, &c.id).is_some() {
                        "data-root"
                    } else {
                        r.matched_by
                    }
                    .to_string(),
                ),
                name: c.name.clone().into(),
                id: c.id.clone().into(),
                image: c.image.clone().into(),
                status: c.status.clone().into(),
                exit_code: exit_of(c).0,
                exit_meaning: exit_of(c).1,
                oom_killed: c.oom_killed,
                restart_count: c.restart_count,
                restart_policy: c.restart_policy.clone().into(),
                started_at: ts(c.started_at),
                finished_at: ts(c.finished_at),
                health: c.health.as_ref().map(|h| Health {
                    status: h.status.clone().into(),
                    failing_streak: h.failing_streak,
                    log: h
                        .log
                        .iter()
                        .map(|p| HealthProbe {
                            start: ts(p.start),
                            exit_code: p.exit_code,
                            output: p.output.clone().into(),
                        })
                        .collect(),
                }),
                logs: r.logs.as_ref().map(|l| Logs {
                    driver: if c.log_driver.is_empty() {
                        "json-file".into()
                    } else {
                        c.log_driver.clone().into()
                    },
                    files: l.files.len() as u64,
                    lines: l.lines,
                    stderr_lines: (!l.stream_unknown).then_some(l.stderr_lines),
                    first: ts(l.first),
                    last: ts(l.last),
                }),
                log_driver: c.log_driver.clone().into(),
                user: c.user.clone().into(),
                memory_limit_bytes: c.memory_limit,
                networks: uv(&c.networks),
                ports: c
                    .port_bindings
                    .iter()
                    .map(|b| {
                        let host = if b.host_ip.is_empty() {
                            b.host_port.clone()
                        } else {
                            format!("{}:{}", b.host_ip, b.host_port)
                        };
                        Untrusted::new(format!("{host}->{}", b.container_port))
                    })
                    .collect(),
                mounts: c
                    .mounts
                    .iter()
                    .map(|m| {
                        let src = if m.name.is_empty() {
                            m.source.clone()
                        } else {
                            m.name.clone()
                        };
                        Untrusted::new(format!(
                            "{} {}:{}{}",
                            m.kind,
                            src,
                            m.destination,
                            if m.rw { "" } else { ":ro" }
                        ))
                    })
                    .collect(),
                sources: uv(&c.sources),
                changes: data_root_of(a, &c.id)
                    .filter(|x| x.upper_layer)
                    .map(container_changes),
                data_root: data_root_of(a, &c.id).map(|x| ContainerDataRoot {
                    config_file: x.config_file.clone(),
                    created: ts(c.created),
                    image_id: c.image_id.clone().into(),
                    hostname: if x.hostname.is_empty() {
                        c.hostname.clone().into()
                    } else {
                        x.hostname.clone().into()
                    },
                    nameservers: uv(&x.nameservers),
                    mount_id: x.mount_id.clone().into(),
                    mounts: uv(&x.mounts),
                }),
                podman: podman_facts(c),
                verdict: findings
                    .iter()
                    .filter(|f| f.container.as_deref() == Some(c.name.as_str()))
                    .map(|f| f.severity)
                    .min(),
                name_resolution: a.name_resolution.get(k).cloned().unwrap_or_default(),
            }
        })
        .collect();
    let kernel = Kernel {
        oom_kills: a
            .oom_kills
            .iter()
            .map(|o| {
                let e = &o.event;
                let first = e
                    .evidence
                    .iter()
                    .rev()
                    .find(|x| {
                        x.excerpt.contains("Killed process") || x.excerpt.contains("Kill process")
                    })
                    .or(e.evidence.last());
                OomKill {
                    pid: e.pid as u64,
                    process: e.process.clone().into(),
                    container: name_of(o.container),
                    cgroup: e
                        .task_memcg
                        .clone()
                        .or(e.oom_memcg.clone())
                        .or(e.cpuset.clone())
                        .map(Untrusted::new),
                    anon_rss_kib: e.anon_rss_kib,
                    time: ts(o.time),
                    local_time: local_ts(o.local),
                    uptime_s: e.stamp.uptime_s,
                    matched_by: o.matched_by.map(|m| matched_by_token(m).0),
                    matched_by_text: o.matched_by.map(|m| matched_by_token(m).1),
                    source: first.map(|x| x.source.clone()).unwrap_or_default().into(),
                    line: first.and_then(|x| x.line),
                    kill_line_missing: e.kill_line_missing,
                }
            })
            .collect(),
        segfaults: a
            .segfaults
            .iter()
            .map(|s| Segfault {
                pid: s.event.pid as u64,
                process: s.event.process.clone().into(),
                container: name_of(s.container),
                time: ts(s.time),
                local_time: local_ts(s.local),
                uptime_s: s.event.stamp.uptime_s,
                matched_by: s.matched_by.map(|m| matched_by_token(m).0),
                matched_by_text: s.matched_by.map(|m| matched_by_token(m).1),
                source: s.event.evidence.source.clone().into(),
                line: s.event.evidence.line,
            })
            .collect(),
        time_method: a.time_method.clone().into(),
        clock: KernelClock {
            method: a.clock.method.to_string(),
            offset_s: a.clock.offset_s,
            pairs: a.clock.pairs as u64,
            residual_s: a.clock.residual_s,
            text: a.clock.text.clone().into(),
        },
    };
    let images = a
        .images
        .iter()
        .map(|i| Image {
            source: i.source.clone().into(),
            sources: std::iter::once(&i.source)
                .chain(&i.also_in)
                .map(|s| s.clone().into())
                .collect(),
            refs: uv(&i.refs),
            id: i.id.clone().into(),
            created: ts(i.created),
            layers: i.layers.len() as u64,
            size_bytes: i.size_bytes,
            wasted_bytes: i.wasted_bytes,
            efficiency: (i.efficiency * 1e6).round() / 1e6,
            layer_table: i
                .layers
                .iter()
                .map(|l| LayerRow {
                    digest: l.digest.clone().into(),
                    size_bytes: l.size_bytes,
                    created_by: l.created_by.clone().into(),
                    files: l.files,
                    wasted_bytes: l.wasted_bytes,
                })
                .collect(),
            largest_files: ps(&i.largest_files),
            largest_dirs: ps(&i.largest_dirs),
            history: image_history(i),
            wasted_files: wasted_files(i),
            bloat: i
                .bloat
                .iter()
                .map(|b| BloatRow {
                    category: b.category.into(),
                    layer: b.layer as u64,
                    bytes: b.bytes,
                    files: b.files,
                    example_paths: uv(&b.example_paths),
                })
                .collect(),
        })
        .collect();
    let filesystems = a
        .exports
        .iter()
        .enumerate()
        .map(|(k, x)| {
            let link = a.export_links.get(k);
            Filesystem {
                source: x.source.clone().into(),
                files: x.files,
                size_bytes: x.size_bytes,
                largest_files: ps(&x.largest_files),
                largest_dirs: ps(&x.largest_dirs),
                setuid: uv(&x.setuid),
                world_writable: uv(&x.world_writable),
                container: name_of(link.and_then(|l| l.container)),
                image: link.and_then(|l| l.image_name.clone()).map(Untrusted::new),
                matched_by: link.and_then(|l| l.matched_by.map(|m| matched_by_token(m).0)),
                matched_by_text: link.and_then(|l| l.matched_by.map(|m| matched_by_token(m).1)),
                drift: link.and_then(|l| l.drift.as_ref()).map(drift),
            }
        })
        .collect();
    let inputs = a
        .inputs
        .iter()
        .map(|i| Input {
            path: i.path.clone().into(),
            kind: i.kind.as_str().into(),
            bytes: i.bytes,
            files: None,
        })
        .chain(a.not_relevant.iter().map(|n| Input {
            path: n.folder.clone().into(),
            kind: crate::model::ArtifactKind::NotRelevant.as_str().into(),
            bytes: n.bytes,
            files: Some(n.files),
        }))
        .collect();
    Report {
        schema: SCHEMA.into(),
        tool: Tool {
            name: "coroner".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        inputs,
        diagnostics,
        containers,
        kernel,
        images,
        filesystems,
        no_findings: findings.is_empty().then(|| no_findings(a)),
        findings: findings.into_iter().map(finding).collect(),
        timeline: timeline(a),
        volumes: volumes(a),
        image_inspect: image_inspect(a),
    }
}

/// `docker image inspect` facts, one entry per id (sorted), every file that
/// described it in `sources`.
fn image_inspect(a: &Analysis) -> Vec<ImageInspect> {
    let mut facts: Vec<&crate::ingest::inspect::ImageFacts> = a.image_facts.iter().collect();
    facts.sort_by(|x, y| (&x.id, &x.evidence.source).cmp(&(&y.id, &y.evidence.source)));
    let mut out: Vec<ImageInspect> = Vec::new();
    for f in facts {
        if let Some(prev) = out.last_mut().filter(|p| p.id == f.id.as_str()) {
            let src: Untrusted = f.evidence.source.clone().into();
            if !prev.sources.contains(&src) {
                prev.sources.push(src);
            }
            continue;
        }
        out.push(ImageInspect {
            source: f.evidence.source.clone().into(),
            line: f.evidence.line,
            sources: vec![f.evidence.source.clone().into()],
            id: f.id.clone().into(),
            tags: uv(&f.repo_tags),
            digests: uv(&f.repo_digests),
            created: ts(f.created),
            size_bytes: f.size,
            architecture: f.architecture.clone().into(),
            variant: f.variant.clone().into(),
            os: f.os.clone().into(),
            layers: f.layers as u64,
            user: f.user.clone().into(),
            entrypoint: uv(&f.entrypoint),
            cmd: uv(&f.cmd),
            env: uv(&f.env),
            exposed_ports: uv(&f.exposed_ports),
            history: f
                .history
                .iter()
                .map(|h| HistoryRow {
                    created: ts(h.created),
                    created_by: h.created_by.clone().into(),
                    empty_layer: h.empty_layer,
                    layer: None,
                })
                .collect(),
        });
    }
    out
}

impl Finding {
    /// `confidence: likely; follows from crash-signature`: the finding's
    /// confidence and its primary, in words every renderer writes as is
    /// (tokens of the contract, no input text).
    pub fn confidence_words(&self) -> String {
        match self.caused_by {
            Some(p) => format!(
                "confidence: {}; follows from {} (its evidence is not repeated here)",
                self.confidence.as_str(),
                p.as_str()
            ),
            None => format!("confidence: {}", self.confidence.as_str()),
        }
    }
}

/// The data-root facts of the container with id `id`, if it was read from one.
fn data_root_of<'a>(
    a: &'a Analysis,
    id: &str,
) -> Option<&'a crate::ingest::data_root::ContainerExtra> {
    if id.is_empty() {
        return None;
    }
    a.data_roots
        .iter()
        .flat_map(|d| &d.containers)
        .find(|x| x.id == id)
}

fn container_changes(x: &crate::ingest::data_root::ContainerExtra) -> ContainerChanges {
    use crate::ingest::data_root::ChangeKind;
    let count = |k: ChangeKind| x.changes.iter().filter(|c| c.kind == k).count() as u64;
    ContainerChanges {
        source: x.upper_path.clone().into(),
        added: count(ChangeKind::Added),
        modified: count(ChangeKind::Modified),
        deleted: count(ChangeKind::Deleted) + count(ChangeKind::Replaced),
        written_bytes: x
            .changes
            .iter()
            .filter(|c| matches!(c.kind, ChangeKind::Added | ChangeKind::Modified))
            .map(|c| c.size)
            .sum(),
        flagged: x.changes.iter().filter(|c| !c.flags.is_empty()).count() as u64,
        entries: x
            .changes
            .iter()
            .take(DRIFT_CAP)
            .map(|c| Change {
                path: c.path.clone().into(),
                kind: c.kind.as_str().to_string(),
                size: c.size,
                flags: c.flags.iter().map(|f| f.to_string()).collect(),
            })
            .collect(),
    }
}

fn volumes(a: &Analysis) -> Vec<Volume> {
    a.data_roots
        .iter()
        .flat_map(|d| &d.volumes)
        .map(|v| Volume {
            name: v.name.clone().into(),
            driver: v.driver.clone().into(),
            size_bytes: v.size_bytes,
            files: v.files,
            owner: v.owner.map(|(u, g)| format!("{u}:{g}")),
            source: v.path.clone().into(),
        })
        .collect()
}

/// What a report without findings says when everything given was read.
pub(crate) const NOTHING_FOUND: &str = "nothing in the inputs points at a failure.";

/// The summary when no rule fired: "nothing points at a failure" only when
/// every evidence input was read; else what was read and what was not (#11).
fn no_findings(a: &Analysis) -> String {
    use crate::model::{ArtifactKind, DiagSeverity};
    let unread = a
        .inputs
        .iter()
        .filter(|i| i.kind == ArtifactKind::Unknown)
        .count();
    let errors = a
        .diagnostics
        .iter()
        .filter(|d| d.severity != DiagSeverity::Info)
        .count();
    let read = a
        .inputs
        .iter()
        .filter(|i| {
            !matches!(
                i.kind,
                ArtifactKind::Unknown | ArtifactKind::NotRelevant | ArtifactKind::CoronerReport
            )
        })
        .count();
    let skipped: u64 = a.not_relevant.iter().map(|n| n.files).sum();
    if unread == 0 && errors == 0 {
        return NOTHING_FOUND.into();
    }
    format!(
        "no finding in what was read, but the input is incomplete: {read} input(s) read as evidence, {unread} could not be read{}{}; see the diagnostics, the cause may be in what was not read.",
        if errors > 0 { format!(", {errors} warning or error diagnostic(s)") } else { String::new() },
        if skipped > 0 { format!(", {skipped} file(s) not evidence") } else { String::new() },
    )
}

fn finding(f: crate::rules::Finding) -> Finding {
    Finding {
        rule: f.rule,
        severity: f.severity,
        container: f.container.map(Untrusted::new),
        image: f.image.map(Untrusted::new),
        title: f.title.into(),
        explanation: f.explanation.into(),
        suggestion: f.suggestion.into(),
        evidence: f
            .evidence
            .into_iter()
            .map(|e| Evidence {
                source: e.source.into(),
                line: e.line,
                excerpt: e.excerpt.into(),
            })
            .collect(),
        confidence: f.confidence,
        caused_by: f.caused_by,
    }
}

/// One line on how an export was matched and what drifted, for the text
/// and Markdown reports; None when the export matched nothing.
pub fn drift_summary(fs: &Filesystem) -> Option<Untrusted> {
    let how = fs.matched_by.as_deref()?;
    let who = match (&fs.container, &fs.image) {
        (Some(c), Some(i)) => format!("container {}, image {}", c.unescaped(), i.unescaped()),
        (Some(c), None) => format!("container {}", c.unescaped()),
        (None, Some(i)) => format!("image {}", i.unescaped()),
        (None, None) => return None,
    };
    let drift = match &fs.drift {
        None => "no drift: the image is not among the inputs".to_string(),
        Some(d) => format!(
            "drift: {} added ({}), {} changed ({}), {} deleted ({}) compared with the image",
            d.added_count,
            crate::format::human_bytes(d.added_bytes),
            d.changed_count,
            crate::format::human_bytes(d.changed_bytes),
            d.deleted_count,
            crate::format::human_bytes(d.deleted_bytes)
        ),
    };
    Some(Untrusted::new(format!("matched {who} by {how}; {drift}")))
}

fn image_history(i: &crate::ingest::image::Image) -> Vec<HistoryRow> {
    i.history
        .iter()
        .map(|h| HistoryRow {
            created: ts(h.created),
            created_by: h.created_by.clone().into(),
            empty_layer: h.empty_layer,
            layer: h.layer.map(|l| l as u64),
        })
        .collect()
}

/// The 20 largest hidden files, largest first, then by path.
fn wasted_files(i: &crate::ingest::image::Image) -> Vec<WastedFile> {
    let mut v: Vec<_> = i.wasted_files.iter().collect();
    let order = |x: &&crate::ingest::image::WastedFile, y: &&crate::ingest::image::WastedFile| {
        (y.size, &x.path, x.added_in, x.hidden_by).cmp(&(x.size, &y.path, y.added_in, y.hidden_by))
    };
    if v.len() > 20 {
        v.select_nth_unstable_by(19, order);
        v.truncate(20);
    }
    v.sort_by(order);
    v.iter()
        .take(20)
        .map(|w| WastedFile {
            path: w.path.clone().into(),
            size: w.size,
            added_in_layer: w.added_in as u64,
            hidden_by_layer: w.hidden_by as u64,
            how: w.how.into(),
        })
        .collect()
}

fn drift(d: &crate::ingest::fs_export::Drift) -> Drift {
    let cap = |v: &[crate::ingest::image::PathSize]| ps(&v[..v.len().min(DRIFT_CAP)]);
    let total = |v: &[crate::ingest::image::PathSize]| v.iter().map(|p| p.size).sum();
    Drift {
        added: cap(&d.added),
        changed: cap(&d.changed),
        deleted: cap(&d.deleted),
        added_count: d.added.len() as u64,
        changed_count: d.changed.len() as u64,
        deleted_count: d.deleted.len() as u64,
        added_bytes: total(&d.added),
        changed_bytes: total(&d.changed),
        deleted_bytes: total(&d.deleted),
    }
}

/// Words the analysis's timeline. Ties at one instant and container are
/// broken by source, then wording, and exact repeats (the same record read
/// twice) are dropped, as the contract's one-entry-per-line order says.
fn timeline(a: &Analysis) -> Vec<TimelineEntry> {
    use crate::correlate::timeline::Happening;
    let mut t: Vec<(
        crate::time::Timestamp,
        Option<String>,
        String,
        String,
        TimelineEntry,
    )> = a
        .timeline
        .iter()
        .map(|e| {
            let event = match &e.happening {
                Happening::Started => "started".to_string(),
                Happening::Exited { code, oom_killed } => format!(
                    "exited with code {code} ({}){}",
                    exit_meaning(*code),
                    if *oom_killed { ", OOMKilled" } else { "" }
                ),
                Happening::HealthFailed { exit_code } => {
                    format!("health check failed (exit {exit_code})")
                }
                Happening::FirstLog => "first log line".to_string(),
                Happening::LastLog { line } => {
                    format!("last log line: {}", crate::format::clip_line(line))
                }
                Happening::Docker {
                    action,
                    exit_code,
                    signal,
                } => {
                    let mut s = format!("docker event: {action}");
                    if let Some(x) = exit_code {
                        s.push_str(&format!(" (exit code {x})"));
                    }
                    if let Some(x) = signal {
                        s.push_str(&format!(" (signal {x})"));
                    }
                    s
                }
                Happening::KernelOomKill { process, pid } => {
                    format!("kernel OOM killer killed {process} (pid {pid})")
                }
                Happening::KernelSegfault { process, pid } => {
                    format!("kernel: {process} (pid {pid}) segfault")
                }
            };
            let container = e.container.map(|i| a.containers[i].c.name.clone());
            let source = e
                .sources
                .first()
                .map(|s| s.path.clone())
                .unwrap_or_default();
            let entry = TimelineEntry {
                time: e.time,
                container: container.clone().map(Untrusted::new),
                source: source.clone().into(),
                event: event.clone().into(),
                kind: e.kind,
                sources: e
                    .sources
                    .iter()
                    .map(|s| SourceRef {
                        source: s.path.clone().into(),
                        line: s.line,
                    })
                    .collect(),
                exit_code: e.exit_code(),
                oom_killed: e.oom_killed(),
            };
            (e.time, container, source, event, entry)
        })
        .collect();
    t.sort_by(|x, y| (&x.0, &x.1, &x.2, &x.3).cmp(&(&y.0, &y.1, &y.2, &y.3)));
    t.dedup_by(|x, y| (&x.0, &x.1, &x.2, &x.3) == (&y.0, &y.1, &y.2, &y.3));
    t.into_iter().map(|x| x.4).collect()
}

#[cfg(test)]
mod drift_tests {
    use crate::ingest::fs_export;
    use crate::ingest::image::PathSize;

    #[test]
    fn drift_lists_are_capped_and_totals_cover_everything() {
        let d = fs_export::Drift {
            added: (0..250)
                .map(|i| PathSize {
                    path: format!("/tmp/f{i:03}"),
                    size: 2,
                })
                .collect(),
            ..Default::default()
        };
        let r = super::drift(&d);
        assert_eq!(r.added.len(), super::DRIFT_CAP);
        assert_eq!(r.added[0].path, "/tmp/f000");
        assert_eq!((r.added_count, r.added_bytes), (250, 500));
        assert_eq!((r.deleted_count, r.changed_count), (0, 0));
    }
}

/// podman's own facts of a container podman ran; None for Docker's.
fn podman_facts(c: &crate::ingest::inspect::Container) -> Option<schema::Podman> {
    if !crate::ingest::podman::storage::is_podman(c) {
        return None;
    }
    Some(schema::Podman {
        conmon_pid: (c.conmon_pid > 0).then_some(c.conmon_pid),
        healthcheck: uv(&c.healthcheck),
        storage: c.storage.as_ref().map(|s| {
            let image = s.image.as_ref();
            let names = match image {
                Some(i) if !i.names.is_empty() => i.names.clone(),
                _ if !s.container.image_name.is_empty() => vec![s.container.image_name.clone()],
                _ => Vec::new(),
            };
            schema::PodmanStorage {
                source: s.source.clone().into(),
                layer: s.container.layer.clone().into(),
                image_id: s.container.image.clone().into(),
                image_names: uv(&names),
                image_digest: image.map(|i| i.digest.clone().into()),
                image_layer: image.map(|i| i.layer.clone().into()),
                created: ts(s.container.created),
            }
        }),
    })
}
