//! Terminal output: the most severe findings first, then per container the
//! seven questions of a systematic diagnosis (running? logs? configuration?
//! network? storage? image? process?), then kernel, images, inputs and
//! diagnostics. Readable without colour; every input string escaped.

use std::fmt::Write;

use super::schema::*;
use super::untrusted::join;
use crate::format::human_bytes;

fn v(s: &Untrusted) -> String {
    s.text().into_owned()
}

/// Escaped pieces joined by a separator of ours.
fn vj(parts: &[Untrusted], sep: &str) -> String {
    v(&join(parts, sep))
}

fn wrap(out: &mut String, first_indent: &str, text: &str) {
    let width = 100usize
        .saturating_sub(first_indent.chars().count())
        .max(40);
    let rest = " ".repeat(first_indent.chars().count());
    let mut indent = first_indent;
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            let _ = writeln!(out, "{indent}{line}");
            indent = &rest;
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}{line}");
    }
}

pub fn counts(r: &Report) -> (usize, usize, usize) {
    let n = |s| r.findings.iter().filter(|f| f.severity == s).count();
    (
        n(Severity::Critical),
        n(Severity::Warning),
        n(Severity::Info),
    )
}

pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let (c, w, i) = counts(r);
    let _ = writeln!(
        o,
        "coroner {} — {} container(s), {} image(s), {} input(s): {} critical, {} warning, {} info finding(s)",
        r.tool.version,
        r.containers.len(),
        r.images.len(),
        r.inputs.len(),
        c,
        w,
        i
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "FINDINGS");
    if r.findings.is_empty() {
        let _ = writeln!(
            o,
            "  none: {}",
            r.no_findings
                .as_deref()
                .unwrap_or("nothing in the inputs points at a failure.")
        );
    }
    for f in &r.findings {
        let who = match (&f.container, &f.image) {
            (Some(c), _) => v(c),
            (None, Some(i)) => v(i),
            _ => "host".into(),
        };
        let _ = writeln!(
            o,
            "[{}] {} ({}): {}",
            f.severity.as_str().to_uppercase(),
            who,
            f.rule,
            v(&f.title)
        );
        wrap(&mut o, "    ", &v(&f.explanation));
        wrap(&mut o, "    → ", &v(&f.suggestion));
        for e in &f.evidence {
            let _ = writeln!(o, "      {}  {}", v(&e.location()), v(&e.excerpt.clip(240)));
        }
        let _ = writeln!(o);
    }

    if !r.containers.is_empty() {
        let _ = writeln!(o, "CONTAINERS");
    }
    for ct in &r.containers {
        let mine: Vec<&Finding> = r
            .findings
            .iter()
            .filter(|f| f.container.as_ref() == Some(&ct.name))
            .collect();
        let worst = ct
            .verdict
            .map(|s| s.as_str().to_uppercase())
            .unwrap_or_else(|| "OK".into());
        let _ = writeln!(
            o,
            "{} [{}] {} — image {}",
            v(&ct.name),
            worst,
            v(&ct.status),
            v(&ct.image)
        );
        let ended = ct.finished_at.clone().filter(|_| ct.status != "running");
        let _ = writeln!(
            o,
            "  1. running?   {}{}; exit {} ({}); OOMKilled={}; restarts {} (policy {})",
            v(&ct.status),
            ended.map(|t| format!(" since {t}")).unwrap_or_else(|| ct
                .started_at
                .clone()
                .map(|t| format!(" since {t}"))
                .unwrap_or_default()),
            ct.exit_code,
            ct.exit_meaning,
            ct.oom_killed,
            ct.restart_count,
            if ct.restart_policy.is_empty() {
                "no".to_string()
            } else {
                v(&ct.restart_policy)
            }
        );
        let logs = match &ct.logs {
            Some(l) => format!(
                "{} line(s), {} on stderr, {} file(s), {} → {}",
                l.lines,
                l.stderr_lines.map_or_else(
                    || "unknown (docker logs text)".to_string(),
                    |n| n.to_string()
                ),
                l.files,
                l.first.clone().unwrap_or_else(|| "?".into()),
                l.last.clone().unwrap_or_else(|| "?".into())
            ),
            None if !ct.log_driver.is_empty()
                && ct.log_driver != "json-file"
                && ct.log_driver != "local" =>
            {
                format!(
                    "none: logging driver `{}` keeps no logs on the host",
                    v(&ct.log_driver)
                )
            }
            None => "none in the inputs".into(),
        };
        let _ = writeln!(o, "  2. logs?      {}", logs);
        let _ = writeln!(
            o,
            "  3. config?    user {}; memory limit {}; health {}",
            if ct.user.is_empty() {
                "root (default)".to_string()
            } else {
                v(&ct.user)
            },
            if ct.memory_limit_bytes > 0 {
                human_bytes(ct.memory_limit_bytes as u64)
            } else {
                "none".into()
            },
            ct.health
                .as_ref()
                .map(|h| format!("{} (failing streak {})", v(&h.status), h.failing_streak))
                .unwrap_or_else(|| "no check".into())
        );
        let names = match &ct.name_resolution {
            NameResolution::NoNetwork => String::new(),
            NameResolution::DefaultBridge => {
                "; default bridge: no container names resolve here".to_string()
            }
            NameResolution::Alone => {
                "; no other container in the inputs shares its network(s), so none resolves by name"
                    .to_string()
            }
            NameResolution::Peers(peers) => {
                let peers: Vec<String> = peers
                    .iter()
                    .filter_map(|&i| r.containers.get(i))
                    .map(|o| v(&o.name))
                    .collect();
                format!("; resolves by name: {}", peers.join(", "))
            }
        };
        let _ = writeln!(
            o,
            "  4. network?   {}; ports {}{}",
            if ct.networks.is_empty() {
                "no network".into()
            } else {
                vj(&ct.networks, ", ")
            },
            if ct.ports.is_empty() {
                "none published".into()
            } else {
                vj(&ct.ports, ", ")
            },
            names
        );
        let _ = writeln!(
            o,
            "  5. storage?   {}",
            if ct.mounts.is_empty() {
                "no mounts".into()
            } else {
                vj(&ct.mounts, ", ")
            }
        );
        let img = r.images.iter().find(|i| i.refs.contains(&ct.image));
        let _ = writeln!(
            o,
            "  6. image?     {}",
            match img {
                Some(i) => format!(
                    "{}: {} layer(s), {}, {} wasted",
                    v(&ct.image),
                    i.layers,
                    human_bytes(i.size_bytes),
                    human_bytes(i.wasted_bytes)
                ),
                None => format!("{} (no archive of it in the inputs)", v(&ct.image)),
            }
        );
        let mut proc_ = Vec::new();
        for k in r
            .kernel
            .oom_kills
            .iter()
            .filter(|k| k.container.as_ref() == Some(&ct.name))
        {
            proc_.push(format!(
                "kernel OOM kill of {} (pid {})",
                v(&k.process),
                k.pid
            ));
        }
        for k in r
            .kernel
            .segfaults
            .iter()
            .filter(|k| k.container.as_ref() == Some(&ct.name))
        {
            proc_.push(format!(
                "kernel segfault of {} (pid {})",
                v(&k.process),
                k.pid
            ));
        }
        let _ = writeln!(
            o,
            "  7. process?   {}",
            if proc_.is_empty() {
                "no kernel events".into()
            } else {
                proc_.join("; ")
            }
        );
        for f in &mine {
            let _ = writeln!(
                o,
                "     - {} {}: {}",
                f.severity.as_str(),
                f.rule,
                v(&f.title)
            );
        }
        let _ = writeln!(o);
    }

    if !r.kernel.oom_kills.is_empty() || !r.kernel.segfaults.is_empty() {
        let _ = writeln!(o, "KERNEL ({})", v(&r.kernel.time_method));
        for k in &r.kernel.oom_kills {
            let _ = writeln!(
                o,
                "  OOM kill  pid {} {}  container {}  cgroup {}  at {}  ({}:{})",
                k.pid,
                v(&k.process),
                k.container.as_ref().map(v).unwrap_or_else(|| "-".into()),
                k.cgroup.as_ref().map(v).unwrap_or_else(|| "-".into()),
                k.time.clone().unwrap_or_else(|| "?".into()),
                v(&k.source),
                k.line.map(|l| l.to_string()).unwrap_or_default()
            );
        }
        for s in &r.kernel.segfaults {
            let _ = writeln!(
                o,
                "  segfault  pid {} {}  container {}  at {}  ({}:{})",
                s.pid,
                v(&s.process),
                s.container.as_ref().map(v).unwrap_or_else(|| "-".into()),
                s.time.clone().unwrap_or_else(|| "?".into()),
                v(&s.source),
                s.line.map(|l| l.to_string()).unwrap_or_default()
            );
        }
        let _ = writeln!(o);
    }

    for im in &r.images {
        let _ = writeln!(
            o,
            "IMAGE {} ({}): {} layer(s), {} ({} B), wasted {} B, efficiency {:.1}%",
            vj(&im.refs, ", "),
            v(&im.source),
            im.layers,
            human_bytes(im.size_bytes),
            im.size_bytes,
            im.wasted_bytes,
            im.efficiency * 100.0
        );
        for (n, l) in im.layer_table.iter().enumerate() {
            let _ = writeln!(
                o,
                "  {:>2}. {:>10} {:>6} files  wasted {:>10}  {}",
                n + 1,
                human_bytes(l.size_bytes),
                l.files,
                human_bytes(l.wasted_bytes),
                v(&l.created_by.clip(120))
            );
        }
        for f in im.largest_files.iter().take(5) {
            let _ = writeln!(o, "  largest: {:>10}  {}", human_bytes(f.size), v(&f.path));
        }
        for w in im.wasted_files.iter().take(3) {
            let _ = writeln!(
                o,
                "  wasted:  {:>10}  {} (added in layer {}, {} in layer {})",
                human_bytes(w.size),
                v(&w.path),
                w.added_in_layer + 1,
                w.how,
                w.hidden_by_layer + 1
            );
        }
        let _ = writeln!(o);
    }
    for fs in &r.filesystems {
        let _ = writeln!(
            o,
            "FILESYSTEM {}: {} file(s), {}",
            v(&fs.source),
            fs.files,
            human_bytes(fs.size_bytes)
        );
        for f in fs.largest_files.iter().take(5) {
            let _ = writeln!(o, "  largest: {:>10}  {}", human_bytes(f.size), v(&f.path));
        }
        for p in fs.setuid.iter().take(5) {
            let _ = writeln!(o, "  setuid/setgid: {}", v(p));
        }
        for p in fs.world_writable.iter().take(5) {
            let _ = writeln!(o, "  world-writable: {}", v(p));
        }
        if let Some(line) = super::drift_summary(fs) {
            let _ = writeln!(o, "  {}", v(&line));
        }
        if let Some(d) = &fs.drift {
            for (mark, list) in [("A", &d.added), ("C", &d.changed), ("D", &d.deleted)] {
                for p in list.iter().take(5) {
                    let _ = writeln!(o, "    {mark} {:>10}  {}", human_bytes(p.size), v(&p.path));
                }
            }
        }
        let _ = writeln!(o);
    }

    if !r.timeline.is_empty() {
        let _ = writeln!(o, "TIMELINE ({} events)", r.timeline.len());
        for t in &r.timeline {
            let _ = writeln!(
                o,
                "  {:<32} {:<12} {}",
                t.time.to_string(),
                t.container.as_ref().map(v).unwrap_or_else(|| "-".into()),
                v(&t.event)
            );
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "INPUTS ({})", r.inputs.len());
    for inp in &r.inputs {
        let _ = writeln!(o, "  {:<14} {:>12}  {}", inp.kind, inp.bytes, v(&inp.path));
    }
    if !r.diagnostics.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "DIAGNOSTICS ({})", r.diagnostics.len());
        for d in &r.diagnostics {
            let _ = writeln!(
                o,
                "  {}: {}: {}",
                d.severity.as_str(),
                v(&d.path),
                v(&d.message)
            );
        }
    }
    o
}
