//! Terminal output, triage first: a summary with one line per affected
//! container (severity, container, root cause, one-line fix), then the
//! findings with their evidence, then per container the seven questions of
//! a systematic diagnosis (running? logs? configuration? network? storage?
//! image? process?: in full with `--verbose`, one line otherwise), then
//! kernel, images, timeline, inputs and diagnostics.
//!
//! Laid out to the terminal width (display width, continuation lines
//! indented); evidence paths relative to the input they came from and
//! 64-hex ids shortened to 12 characters. Colour is ours only (severity
//! tags and headings); every input string is escaped first and measured
//! after escaping.

use std::fmt::Write;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::schema::*;
use super::untrusted::join;
use super::RenderOptions;
use crate::format::human_bytes;
use crate::time::Timestamp;

fn v(s: &Untrusted) -> String {
    s.text().into_owned()
}

/// Escaped pieces joined by a separator of ours.
fn vj(parts: &[Untrusted], sep: &str) -> String {
    v(&join(parts, sep))
}

/// Display width on a terminal (East Asian wide characters count two).
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` cut to at most `w` columns, ending in `…` where it was cut.
pub fn clip_cols(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if used + cw + 1 > w {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    out
}

/// The longest prefix of `s` at most `w` columns wide (at least one
/// character, so that progress is always made).
fn take_cols(s: &str, w: usize) -> &str {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let cw = c.width().unwrap_or(0);
        if used + cw > w && i > 0 {
            return &s[..i];
        }
        used += cw;
    }
    s
}

/// Word-wraps `text` to `width` columns: the first line starts with
/// `first` (already written text such as an indent or a label), the others
/// with `indent` spaces. A word longer than a line is broken.
pub fn wrap_lines(first: &str, indent: usize, text: &str, width_: usize) -> Vec<String> {
    let indent = indent.min(width_ / 2);
    let pad = " ".repeat(indent);
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut used = width(first);
    let mut start = used;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let ww = width(word);
        let room = width_.saturating_sub(used);
        let sep = usize::from(used > start);
        if ww + sep <= room {
            if sep == 1 {
                line.push(' ');
            }
            line.push_str(word);
            used += sep + ww;
            continue;
        }
        // A word that does not fit goes to the next line, unless the line
        // holds nothing yet or the word would be broken there anyway; after
        // a wide first prefix, only a word too long for any line stays.
        let fresh_fits = ww <= width_.saturating_sub(indent);
        if used > start || (lines.is_empty() && start > indent && fresh_fits) {
            lines.push(std::mem::take(&mut line));
            line = pad.clone();
            used = indent;
            start = indent;
        }
        if ww <= width_.saturating_sub(used) {
            line.push_str(word);
            used += ww;
            continue;
        }
        // Longer than a whole line: fill this one, then whole lines.
        let mut rest = word;
        while !rest.is_empty() {
            let room = width_.saturating_sub(used).max(1);
            let piece = take_cols(rest, room);
            line.push_str(piece);
            used += width(piece);
            rest = &rest[piece.len()..];
            if !rest.is_empty() {
                lines.push(std::mem::take(&mut line));
                line = pad.clone();
                used = indent;
                start = indent;
            }
        }
    }
    if used > start || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn wrap(out: &mut String, first: &str, indent: usize, text: &str, w: usize) {
    for l in wrap_lines(first, indent, text, w) {
        let _ = writeln!(out, "{}", l.trim_end());
    }
}

/// Runs of 64 or more lowercase hex digits (container, image and layer
/// ids) shortened to their first 12, as `docker ps` shows them.
pub fn short_ids(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        if hex(b[i]) && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let mut j = i;
            while j < b.len() && hex(b[j]) {
                j += 1;
            }
            if j - i >= 64 && (j == b.len() || !b[j].is_ascii_alphanumeric()) {
                out.push_str(&s[last..i + 12]);
                last = j;
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out.push_str(&s[last..]);
    out
}

/// How paths are shown: relative to the input they came from. Every input
/// path is `OUTER` or `OUTER!/MEMBER` (a member of an archive). The common
/// directory of all outer paths is stripped; when all inputs come from one
/// archive its name is stripped too, and a top directory shared by all of
/// an archive's members (a sosreport's `sosreport-host-date/`) as well.
pub struct Paths {
    /// Directory prefix of every outer path (with its `/`), or empty.
    dir: String,
    /// The single archive every input is a member of, with `!/`.
    archive: Option<String>,
    /// Per archive (`OUTER!/`), the top directory its members share.
    tops: Vec<(String, String)>,
}

impl Paths {
    pub fn of(r: &Report) -> Paths {
        // A `not-relevant` row names a folder: read it as one (`dir/`).
        let paths: Vec<String> = r
            .inputs
            .iter()
            .map(|i| {
                let p = v(&i.path);
                if i.kind == "not-relevant" && !p.ends_with('/') {
                    p + "/"
                } else {
                    p
                }
            })
            .collect();
        Paths::from_paths(&paths)
    }

    pub fn from_paths(paths: &[String]) -> Paths {
        let outer = |p: &str| p.split_once("!/").map_or(p, |(o, _)| o).to_string();
        let outers: Vec<String> = paths.iter().map(|p| outer(p)).collect();
        let dir = match outers.first() {
            None => String::new(),
            Some(first) => {
                let mut d = match first.rfind('/') {
                    Some(k) => first[..=k].to_string(),
                    None => String::new(),
                };
                for o in &outers {
                    while !d.is_empty() && !o.starts_with(&d) {
                        d.pop();
                        d = match d.rfind('/') {
                            Some(k) => d[..=k].to_string(),
                            None => String::new(),
                        };
                    }
                }
                d
            }
        };
        // The archive itself is listed beside its members.
        let with_members: std::collections::HashSet<&str> = outers
            .iter()
            .zip(paths)
            .filter(|(o, q)| o != q)
            .map(|(o, _)| o.as_str())
            .collect();
        let is_archive = |p: &str| with_members.contains(p);
        let single = outers.first().filter(|f| {
            outers.iter().all(|o| o == *f)
                && paths.iter().all(|p| p.contains("!/") || is_archive(p))
        });
        let archive = single.map(|f| format!("{f}!/"));
        let mut tops: Vec<(String, String)> = Vec::new();
        let mut archives: Vec<&String> = outers
            .iter()
            .zip(paths)
            .filter(|(_, p)| p.contains("!/"))
            .map(|(o, _)| o)
            .collect();
        archives.sort();
        archives.dedup();
        for a in archives {
            let key = format!("{a}!/");
            let members: Vec<&str> = paths.iter().filter_map(|p| p.strip_prefix(&key)).collect();
            let top = members
                .first()
                .and_then(|m| m.split_once('/'))
                .map(|(t, _)| format!("{t}/"));
            if let Some(top) = top {
                if members.len() > 1 && members.iter().all(|m| m.starts_with(&top)) {
                    tops.push((key, top));
                }
            }
        }
        Paths { dir, archive, tops }
    }

    /// Where shown paths start from, for the report's header.
    pub fn root(&self) -> Option<String> {
        let mut s = match &self.archive {
            Some(a) => a.clone(),
            None => self.dir.clone(),
        };
        if let Some((_, top)) = self
            .archive
            .as_ref()
            .and_then(|a| self.tops.iter().find(|(k, _)| k == a))
        {
            s.push_str(top);
        }
        (!s.is_empty()).then_some(s)
    }

    /// The shown form of an (escaped) path, ids shortened.
    pub fn show(&self, p: &str) -> String {
        let mut rest = p;
        for (key, top) in &self.tops {
            if let Some(m) = rest.strip_prefix(key.as_str()) {
                let m = m.strip_prefix(top.as_str()).unwrap_or(m);
                return short_ids(&if self.archive.is_some() {
                    m.to_string()
                } else {
                    let outer = key.strip_prefix(&self.dir).unwrap_or(key);
                    format!("{outer}{m}")
                });
            }
        }
        if let Some(a) = &self.archive {
            rest = rest.strip_prefix(a.as_str()).unwrap_or(rest);
        } else {
            rest = rest.strip_prefix(self.dir.as_str()).unwrap_or(rest);
        }
        short_ids(rest)
    }
}

/// The finding shown as a subject's root cause: the most severe of its
/// findings that follows from no other (`caused_by` is empty), the first in
/// report order among equals; the most severe of all when every one follows
/// from another.
pub fn root_cause<'a>(findings: &[&'a Finding]) -> Option<&'a Finding> {
    findings
        .iter()
        .copied()
        .filter(|f| f.caused_by.is_none())
        .min_by_key(|f| f.severity)
        .or_else(|| findings.iter().copied().min_by_key(|f| f.severity))
}

/// What a finding is about: its container, else its image, else the host.
fn subject(f: &Finding) -> String {
    match (&f.container, &f.image) {
        (Some(c), _) => v(c),
        (None, Some(i)) => format!("image {}", v(i)),
        _ => "host".into(),
    }
}

/// The first sentence of a suggestion (up to `. ` or `; `).
fn first_sentence(s: &str) -> &str {
    let mut end = s.len();
    for pat in [". ", "; "] {
        if let Some(k) = s.find(pat) {
            end = end.min(k + usize::from(pat == ". "));
        }
    }
    &s[..end]
}

/// A suggestion's first sentence, without its parenthetical asides when
/// it is wider than `room` columns.
fn one_line_fix(s: &str, room: usize) -> String {
    let first = first_sentence(s).trim_end_matches('.').to_string();
    if width(&first) <= room {
        return first;
    }
    let mut out = String::new();
    let mut depth = 0usize;
    for c in first.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    out.replace(" ,", ",").replace(" ;", ";")
}

pub fn counts(r: &Report) -> (usize, usize, usize) {
    let n = |s| r.findings.iter().filter(|f| f.severity == s).count();
    (
        n(Severity::Critical),
        n(Severity::Warning),
        n(Severity::Info),
    )
}

/// ANSI styling of our own labels; never applied to input.
struct Paint(bool);

impl Paint {
    fn sev(&self, s: Severity, text: &str) -> String {
        let code = match s {
            Severity::Critical => "1;31",
            Severity::Warning => "33",
            Severity::Info => "36",
        };
        self.code(code, text)
    }
    fn head(&self, text: &str) -> String {
        self.code("1", text)
    }
    fn dim(&self, text: &str) -> String {
        self.code("2", text)
    }
    fn code(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

fn sev_tag(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "CRITICAL",
        Severity::Warning => "WARNING",
        Severity::Info => "INFO",
    }
}

fn parse_time(s: Option<&String>) -> Option<Timestamp> {
    s.and_then(|t| Timestamp::parse_rfc3339(t))
}

/// When a subject's trouble happened, for ordering the summary: a stopped
/// container's finish, else its last timeline entry.
fn subject_time(r: &Report, name: &str) -> Option<Timestamp> {
    let ct = r.containers.iter().find(|c| v(&c.name) == name);
    if let Some(ct) = ct {
        if ct.status != "running" {
            if let Some(t) = parse_time(ct.finished_at.as_ref()) {
                if t.0 > 0 {
                    return Some(t);
                }
            }
        }
    }
    r.timeline
        .iter()
        .filter(|t| t.container.as_ref().map(v).as_deref() == Some(name))
        .map(|t| t.time)
        .max()
}

pub fn render(r: &Report) -> String {
    render_with(r, &RenderOptions::default())
}

pub fn render_with(r: &Report, opts: &RenderOptions) -> String {
    let w = opts.width.max(40);
    let paint = Paint(opts.color);
    let paths = Paths::of(r);
    let mut o = String::new();
    let (c, wn, i) = counts(r);
    wrap(
        &mut o,
        "",
        2,
        &format!(
            "coroner {} — {} container(s), {} image(s), {} input(s); findings: {} critical, {} warning, {} info",
            r.tool.version,
            r.containers.len(),
            r.images.len(),
            r.inputs.len(),
            c,
            wn,
            i
        ),
        w,
    );
    if let Some(root) = paths.root() {
        wrap(
            &mut o,
            "",
            2,
            &format!(
                "Paths are relative to {}; 64-hex ids are shown by their first 12 characters.",
                short_ids(&root)
            ),
            w,
        );
    }
    let _ = writeln!(o);

    // Summary: one line per subject, its root cause and the fix.
    let mut subjects: Vec<(String, Vec<&Finding>)> = Vec::new();
    for f in &r.findings {
        let s = subject(f);
        match subjects.iter_mut().find(|(n, _)| *n == s) {
            Some((_, list)) => list.push(f),
            None => subjects.push((s, vec![f])),
        }
    }
    let mut rows: Vec<(Severity, Option<Timestamp>, String, &Finding, usize)> = subjects
        .iter()
        .filter_map(|(s, list)| {
            root_cause(list).map(|f| (f.severity, subject_time(r, s), s.clone(), f, list.len()))
        })
        .collect();
    rows.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| match (a.1, b.1) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.2.cmp(&b.2))
    });
    let _ = writeln!(
        o,
        "{}",
        paint.head(&clip_cols(
            &format!(
                "SUMMARY ({} affected, most severe first: root cause → fix)",
                rows.len()
            ),
            w
        ))
    );
    if rows.is_empty() {
        // Never "nothing points at a failure" over inputs that were not read.
        let none = match r.no_findings.as_deref() {
            Some(s) if s != crate::report::NOTHING_FOUND => {
                "no finding, but the input is incomplete: see FINDINGS and DIAGNOSTICS."
            }
            _ => crate::report::NOTHING_FOUND,
        };
        let _ = writeln!(o, "  none: {none}");
    }
    let name_w = rows
        .iter()
        .map(|x| width(&x.2))
        .max()
        .unwrap_or(0)
        .clamp(4, (w / 4).max(8));
    let rule_w = rows
        .iter()
        .map(|x| x.3.rule.as_str().len())
        .max()
        .unwrap_or(0)
        .min(w / 3);
    for (sev, _, name, f, _) in &rows {
        let tag = format!("{:<8}", sev_tag(*sev));
        let name = clip_cols(name, name_w);
        let pad = " ".repeat(name_w.saturating_sub(width(&name)));
        let cause = f.rule.as_str().to_string();
        let cause_pad = " ".repeat(rule_w.saturating_sub(width(&cause)));
        let head = format!("{tag} {name}{pad}  {cause}{cause_pad}  → ");
        let room = w.saturating_sub(width(&head));
        let fix = clip_cols(&one_line_fix(&v(&f.suggestion), room), room.max(10));
        let line = format!("{head}{fix}");
        let line = clip_cols(&line, w);
        let _ = writeln!(
            o,
            "{}{}",
            paint.sev(*sev, &tag),
            line.strip_prefix(&tag).unwrap_or(&line)
        );
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "{}", paint.head("FINDINGS"));
    if r.findings.is_empty() {
        let _ = writeln!(
            o,
            "  none: {}",
            r.no_findings
                .as_deref()
                .unwrap_or(crate::report::NOTHING_FOUND)
        );
    }
    for f in &r.findings {
        let tag = format!("[{}]", sev_tag(f.severity));
        let lines = wrap_lines(
            &format!("{tag} {} ({}): ", subject(f), f.rule),
            4,
            &v(&f.title),
            w,
        );
        for (k, l) in lines.iter().enumerate() {
            let l = l.trim_end();
            if k == 0 {
                let _ = writeln!(
                    o,
                    "{}{}",
                    paint.sev(f.severity, &tag),
                    l.strip_prefix(&tag).unwrap_or(l)
                );
            } else {
                let _ = writeln!(o, "{l}");
            }
        }
        wrap(&mut o, "    ", 4, &v(&f.explanation), w);
        wrap(&mut o, "    (", 5, &format!("{})", f.confidence_words()), w);
        wrap(&mut o, "    → ", 6, &v(&f.suggestion), w);
        for e in f.evidence.iter().take(opts.max_evidence) {
            let loc = paths.show(&v(&e.location()));
            let excerpt = short_ids(&v(&e.excerpt.clip(240)));
            let first = format!("      {loc}  ");
            if width(&first) <= w * 3 / 5 {
                let lines = wrap_lines(&first, 10, &excerpt, w);
                for (k, l) in lines.iter().enumerate() {
                    let l = l.trim_end();
                    if k == 0 {
                        let shown = format!("      {loc}");
                        let _ = writeln!(
                            o,
                            "      {}{}",
                            paint.dim(&loc),
                            l.strip_prefix(&shown).unwrap_or(l)
                        );
                    } else {
                        let _ = writeln!(o, "{l}");
                    }
                }
            } else {
                // A long path: on its own line(s), the excerpt below it.
                for l in wrap_lines("      ", 10, &loc, w) {
                    let l = l.trim_end();
                    let body = l.trim_start();
                    let _ = writeln!(o, "{}{}", &l[..l.len() - body.len()], paint.dim(body));
                }
                wrap(&mut o, "          ", 10, &excerpt, w);
            }
        }
        if f.evidence.len() > opts.max_evidence {
            wrap(
                &mut o,
                "      ",
                6,
                &format!(
                    "({} more evidence line(s): --max-evidence {} or --format json)",
                    f.evidence.len() - opts.max_evidence,
                    f.evidence.len()
                ),
                w,
            );
        }
        let _ = writeln!(o);
    }

    if !r.containers.is_empty() {
        let _ = writeln!(
            o,
            "{}",
            paint.head(&if opts.verbose {
                "CONTAINERS (the seven questions)".to_string()
            } else {
                clip_cols(
                    "CONTAINERS (one line each; --verbose for the seven questions per container)",
                    w,
                )
            })
        );
    }
    let cname_w = r
        .containers
        .iter()
        .map(|c| width(&v(&c.name)))
        .max()
        .unwrap_or(0)
        .clamp(4, (w / 4).max(8));
    for ct in &r.containers {
        if opts.verbose {
            container_full(&mut o, r, ct, &paint, &paths, w);
        } else {
            container_line(&mut o, r, ct, &paint, cname_w, w);
        }
    }
    if !r.containers.is_empty() && !opts.verbose {
        let _ = writeln!(o);
    }

    if !r.kernel.oom_kills.is_empty() || !r.kernel.segfaults.is_empty() {
        let _ = writeln!(o, "{}", paint.head("KERNEL"));
        wrap(&mut o, "  times: ", 4, &v(&r.kernel.time_method), w);
        wrap(
            &mut o,
            "  Clock: ",
            4,
            &super::clock_summary(&r.kernel.clock),
            w,
        );
        for k in &r.kernel.oom_kills {
            wrap(
                &mut o,
                "  ",
                12,
                &format!(
                    "OOM kill: pid {} {}, container {}, cgroup {}, at {} ({}:{})",
                    k.pid,
                    v(&k.process),
                    k.container.as_ref().map(v).unwrap_or_else(|| "-".into()),
                    short_ids(&k.cgroup.as_ref().map(v).unwrap_or_else(|| "-".into())),
                    super::kernel_time(&k.time, &k.local_time).unwrap_or_else(|| "?".into()),
                    paths.show(&v(&k.source)),
                    k.line.map(|l| l.to_string()).unwrap_or_default()
                ),
                w,
            );
        }
        for s in &r.kernel.segfaults {
            wrap(
                &mut o,
                "  ",
                12,
                &format!(
                    "segfault: pid {} {}, container {}, at {} ({}:{})",
                    s.pid,
                    v(&s.process),
                    s.container.as_ref().map(v).unwrap_or_else(|| "-".into()),
                    super::kernel_time(&s.time, &s.local_time).unwrap_or_else(|| "?".into()),
                    paths.show(&v(&s.source)),
                    s.line.map(|l| l.to_string()).unwrap_or_default()
                ),
                w,
            );
        }
        let _ = writeln!(o);
    }

    for im in &r.images {
        let lines = wrap_lines(
            "IMAGE ",
            2,
            &format!(
                "{} ({}): {} layer(s), {} ({} B), wasted {}, efficiency {:.1}%",
                vj(&im.refs, ", "),
                paths.show(&v(&im.source)),
                im.layers,
                human_bytes(im.size_bytes),
                im.size_bytes,
                human_bytes(im.wasted_bytes),
                im.efficiency * 100.0
            ),
            w,
        );
        for (k, l) in lines.iter().enumerate() {
            let l = l.trim_end();
            match l.strip_prefix("IMAGE").filter(|_| k == 0) {
                Some(rest) => {
                    let _ = writeln!(o, "{}{rest}", paint.head("IMAGE"));
                }
                None => {
                    let _ = writeln!(o, "{l}");
                }
            }
        }
        for (n, l) in im.layer_table.iter().enumerate() {
            wrap(
                &mut o,
                &format!(
                    "  {:>2}. {:>10} {:>6} files  wasted {:>10}  ",
                    n + 1,
                    human_bytes(l.size_bytes),
                    l.files,
                    human_bytes(l.wasted_bytes)
                ),
                8,
                &v(&l.created_by.clip(120)),
                w,
            );
        }
        for f in im.largest_files.iter().take(5) {
            wrap(
                &mut o,
                &format!("  largest: {:>10}  ", human_bytes(f.size)),
                12,
                &v(&f.path),
                w,
            );
        }
        for wf in im.wasted_files.iter().take(3) {
            wrap(
                &mut o,
                &format!("  wasted:  {:>10}  ", human_bytes(wf.size)),
                12,
                &format!(
                    "{} (added in layer {}, {} in layer {})",
                    v(&wf.path),
                    wf.added_in_layer + 1,
                    wf.how,
                    wf.hidden_by_layer + 1
                ),
                w,
            );
        }
        let _ = writeln!(o);
    }
    for fs in &r.filesystems {
        wrap(
            &mut o,
            "FILESYSTEM ",
            2,
            &format!(
                "{}: {} file(s), {}",
                paths.show(&v(&fs.source)),
                fs.files,
                human_bytes(fs.size_bytes)
            ),
            w,
        );
        for f in fs.largest_files.iter().take(5) {
            wrap(
                &mut o,
                &format!("  largest: {:>10}  ", human_bytes(f.size)),
                12,
                &v(&f.path),
                w,
            );
        }
        for p in fs.setuid.iter().take(5) {
            wrap(&mut o, "  setuid/setgid: ", 12, &v(p), w);
        }
        for p in fs.world_writable.iter().take(5) {
            wrap(&mut o, "  world-writable: ", 12, &v(p), w);
        }
        if let Some(line) = super::drift_summary(fs) {
            wrap(&mut o, "  ", 4, &short_ids(&v(&line)), w);
        }
        if let Some(d) = &fs.drift {
            for (mark, list) in [("A", &d.added), ("C", &d.changed), ("D", &d.deleted)] {
                for p in list.iter().take(5) {
                    wrap(
                        &mut o,
                        &format!("    {mark} {:>10}  ", human_bytes(p.size)),
                        12,
                        &v(&p.path),
                        w,
                    );
                }
            }
        }
        let _ = writeln!(o);
    }

    if !r.timeline.is_empty() {
        let _ = writeln!(
            o,
            "{}",
            paint.head(&format!("TIMELINE ({} events)", r.timeline.len()))
        );
        let tname_w = r
            .timeline
            .iter()
            .filter_map(|t| t.container.as_ref().map(|c| width(&v(c))))
            .max()
            .unwrap_or(1)
            .clamp(1, 16);
        for t in &r.timeline {
            let who = clip_cols(
                &t.container.as_ref().map(v).unwrap_or_else(|| "-".into()),
                tname_w,
            );
            let pad = " ".repeat(tname_w.saturating_sub(width(&who)));
            let time = t.time.to_string();
            let first = format!("  {time:<30} {who}{pad}  ");
            wrap(&mut o, &first, 8, &short_ids(&v(&t.event)), w);
        }
        let _ = writeln!(o);
    }
    if !r.volumes.is_empty() {
        let _ = writeln!(
            o,
            "{}",
            paint.head(&format!("VOLUMES ({})", r.volumes.len()))
        );
        for vol in &r.volumes {
            let line = format!(
                "{} ({}): {} file(s), {}; owner {}",
                v(&vol.name),
                v(&vol.driver),
                vol.files,
                human_bytes(vol.size_bytes),
                vol.owner.as_deref().unwrap_or("unknown")
            );
            wrap(&mut o, "  ", 4, &line, w);
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "{}", paint.head(&format!("INPUTS ({})", r.inputs.len())));
    if opts.verbose || r.inputs.len() <= 12 {
        for inp in &r.inputs {
            wrap(
                &mut o,
                &format!("  {:<14} {:>12}  ", inp.kind, inp.bytes),
                8,
                &paths.show(&v(&inp.path)),
                w,
            );
        }
    } else {
        let mut kinds: Vec<(&str, usize, u64)> = Vec::new();
        for inp in &r.inputs {
            match kinds.iter_mut().find(|k| k.0 == inp.kind) {
                Some(k) => {
                    k.1 += 1;
                    k.2 += inp.bytes;
                }
                None => kinds.push((&inp.kind, 1, inp.bytes)),
            }
        }
        kinds.sort();
        for (kind, n, bytes) in kinds {
            let _ = writeln!(o, "  {kind:<14} {n:>5} file(s) {:>12}", human_bytes(bytes));
        }
        wrap(
            &mut o,
            "  ",
            2,
            "(--verbose lists every input; --format json has them all)",
            w,
        );
    }
    if !r.diagnostics.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "{}",
            paint.head(&format!("DIAGNOSTICS ({})", r.diagnostics.len()))
        );
        // Without --verbose, a message repeated more than 3 times is one line.
        let mut seen: std::collections::HashMap<String, usize> = Default::default();
        for d in &r.diagnostics {
            *seen.entry(short_ids(&v(&d.message))).or_default() += 1;
        }
        let mut grouped: std::collections::HashSet<String> = Default::default();
        for d in &r.diagnostics {
            let msg = short_ids(&v(&d.message));
            let n = seen.get(&msg).copied().unwrap_or(1);
            if opts.verbose || n <= 3 || d.severity == DiagSeverity::Error {
                wrap(
                    &mut o,
                    &format!("  {}: ", d.severity.as_str()),
                    4,
                    &format!("{}: {msg}", paths.show(&v(&d.path))),
                    w,
                );
            } else if !grouped.contains(&msg) {
                wrap(
                    &mut o,
                    &format!("  {}: ", d.severity.as_str()),
                    4,
                    &format!(
                        "{n} files: {msg} (for example {}; --verbose lists them all)",
                        paths.show(&v(&d.path))
                    ),
                    w,
                );
                grouped.insert(msg);
            }
        }
    }
    o
}

fn exit_words(ct: &Container) -> String {
    match ct.exit_code {
        None => String::new(),
        Some(c) => format!("exit {c} ({})", ct.exit_meaning),
    }
}

/// An exit in a few words: `exit 137 (SIGKILL)`.
fn exit_short(ct: &Container) -> String {
    let Some(c) = ct.exit_code else {
        return String::new();
    };
    match crate::format::signal_name(c - 128).filter(|_| c > 128) {
        Some(sig) => format!("exit {c} ({sig})"),
        None => format!("exit {c}"),
    }
}

/// One line for a container: verdict, state, exit, restarts, health and
/// the rules that fired for it.
fn container_line(
    o: &mut String,
    r: &Report,
    ct: &Container,
    paint: &Paint,
    name_w: usize,
    w: usize,
) {
    let name = clip_cols(&v(&ct.name), name_w);
    let pad = " ".repeat(name_w.saturating_sub(width(&name)));
    let tag = match ct.verdict {
        Some(s) => sev_tag(s),
        None => "OK",
    };
    let tag_p = format!("{tag:<8}");
    let mut parts = vec![v(&ct.status)];
    let ex = exit_short(ct);
    if !ex.is_empty() {
        parts.push(ex);
    }
    if ct.oom_killed {
        parts.push("OOMKilled".into());
    }
    if ct.restart_count > 0 {
        parts.push(format!("{} restart(s)", ct.restart_count));
    }
    if let Some(h) = &ct.health {
        parts.push(format!("health {}", v(&h.status)));
    }
    let rules: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.container.as_ref() == Some(&ct.name))
        .map(|f| f.rule.as_str())
        .collect();
    if !rules.is_empty() {
        parts.push(format!("findings: {}", rules.join(", ")));
    }
    let line = clip_cols(&format!("  {tag_p} {name}{pad}  {}", parts.join("; ")), w);
    let colored = match ct.verdict {
        Some(s) => paint.sev(s, &tag_p),
        None => tag_p.clone(),
    };
    let rest = line.strip_prefix(&format!("  {tag_p}")).unwrap_or(&line);
    let _ = writeln!(o, "  {colored}{rest}");
}

/// The seven questions of a systematic diagnosis, in full.
/// podman's own facts in one line: conmon's PID, the configured probe
/// (the health state is on the line above), libpod's storage records.
fn podman_words(p: &crate::report::schema::Podman) -> String {
    let mut parts = vec![match p.conmon_pid {
        Some(pid) => format!("conmon pid {pid}"),
        None => "no conmon pid (not running)".to_string(),
    }];
    if !p.healthcheck.is_empty() {
        let probe: Vec<String> = p.healthcheck.iter().map(v).collect();
        parts.push(format!("health probe `{}`", probe.join(" ")));
    }
    if let Some(s) = &p.storage {
        let names: Vec<String> = s.image_names.iter().map(v).collect();
        parts.push(format!(
            "storage layer {}, image {}{}",
            v(&s.layer),
            if names.is_empty() {
                v(&s.image_id)
            } else {
                names.join(", ")
            },
            s.image_digest
                .as_ref()
                .map(|d| format!(" ({})", v(d)))
                .unwrap_or_default()
        ));
    }
    parts.join("; ")
}

fn container_full(
    o: &mut String,
    r: &Report,
    ct: &Container,
    paint: &Paint,
    paths: &Paths,
    w: usize,
) {
    let worst = ct.verdict.map(sev_tag).unwrap_or("OK");
    let tag = format!("[{worst}]");
    let head = format!("{} {} — image {}", v(&ct.name), v(&ct.status), v(&ct.image));
    let lines = wrap_lines(&format!("{tag} "), 4, &head, w);
    for (k, l) in lines.iter().enumerate() {
        let l = l.trim_end();
        if k == 0 {
            let painted = match ct.verdict {
                Some(s) => paint.sev(s, &tag),
                None => tag.clone(),
            };
            let _ = writeln!(o, "{painted}{}", l.strip_prefix(&tag).unwrap_or(l));
        } else {
            let _ = writeln!(o, "{l}");
        }
    }
    let q =
        |o: &mut String, label: &str, text: &str| wrap(o, &format!("  {label:<13}"), 15, text, w);
    let ended = ct.finished_at.clone().filter(|_| ct.status != "running");
    let since = ended
        .or_else(|| ct.started_at.clone())
        .map(|t| format!(" since {t}"))
        .unwrap_or_default();
    let ex = exit_words(ct);
    q(
        o,
        "1. running?",
        &format!(
            "{}{since}{}; OOMKilled={}; restarts {} (policy {})",
            v(&ct.status),
            if ex.is_empty() {
                String::new()
            } else {
                format!("; {ex}")
            },
            ct.oom_killed,
            ct.restart_count,
            if ct.restart_policy.is_empty() {
                "no".to_string()
            } else {
                v(&ct.restart_policy)
            }
        ),
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
    q(o, "2. logs?", &logs);
    q(
        o,
        "3. config?",
        &format!(
            "user {}; memory limit {}; health {}",
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
        ),
    );
    if let Some(p) = &ct.podman {
        q(o, "   podman", &podman_words(p));
    }
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
    q(
        o,
        "4. network?",
        &format!(
            "{}; ports {}{}",
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
        ),
    );
    q(
        o,
        "5. storage?",
        &if ct.mounts.is_empty() {
            "no mounts".into()
        } else {
            short_ids(&vj(&ct.mounts, ", "))
        },
    );
    let img = r.images.iter().find(|i| i.refs.contains(&ct.image));
    q(
        o,
        "6. image?",
        &match img {
            Some(i) => format!(
                "{}: {} layer(s), {}, {} wasted",
                v(&ct.image),
                i.layers,
                human_bytes(i.size_bytes),
                human_bytes(i.wasted_bytes)
            ),
            None => format!(
                "{} (no archive of it in the inputs)",
                short_ids(&v(&ct.image))
            ),
        },
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
    q(
        o,
        "7. process?",
        &if proc_.is_empty() {
            "no kernel events".into()
        } else {
            proc_.join("; ")
        },
    );
    if let Some(ch) = &ct.changes {
        let mut flagged: Vec<String> = ch
            .entries
            .iter()
            .filter(|c| !c.flags.is_empty())
            .take(5)
            .map(|c| {
                format!(
                    "{} {} ({}) [{}]",
                    c.kind,
                    v(&c.path),
                    human_bytes(c.size),
                    c.flags.join(", ")
                )
            })
            .collect();
        flagged.insert(
            0,
            format!(
                "{} added, {} modified, {} deleted, {} written (upper layer {})",
                ch.added,
                ch.modified,
                ch.deleted,
                human_bytes(ch.written_bytes),
                paths.show(&v(&ch.source))
            ),
        );
        q(o, "8. changes?", &flagged.join("; "));
    }
    if let Some(d) = &ct.data_root {
        // What its own data-root directory says (#14).
        let mut facts = vec![format!("hostname {}", v(&d.hostname))];
        if !d.nameservers.is_empty() {
            let ns: Vec<String> = d.nameservers.iter().map(v).collect();
            facts.push(format!("nameservers {}", ns.join(", ")));
        }
        if !d.mounts.is_empty() {
            let m: Vec<String> = d.mounts.iter().map(v).collect();
            facts.push(format!("mounted in {}", m.join(", ")));
        }
        if d.config_file != "config.v2.json" {
            facts.push(format!("from Docker 1.x's {}", d.config_file));
        }
        q(o, "9. host?", &facts.join("; "));
    }
    let _ = paths;
    for f in r
        .findings
        .iter()
        .filter(|f| f.container.as_ref() == Some(&ct.name))
    {
        wrap(
            o,
            &format!("     - {} {}: ", f.severity.as_str(), f.rule),
            9,
            &v(&f.title),
            w,
        );
    }
    let _ = writeln!(o);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_fits_and_indents_continuations() {
        let text = "a ".repeat(80) + &"x".repeat(250);
        let lines = wrap_lines("    → ", 6, &text, 40);
        assert!(lines.len() > 3);
        for (k, l) in lines.iter().enumerate() {
            assert!(width(l) <= 40, "{l:?}");
            if k > 0 {
                assert!(l.starts_with("      ") && !l[6..].starts_with(' '), "{l:?}");
            }
        }
        assert_eq!(lines.concat().matches('x').count(), 250);
    }

    #[test]
    fn wide_characters_count_two_columns() {
        let lines = wrap_lines("", 2, &"漢字 ".repeat(30), 20);
        assert!(lines.iter().all(|l| width(l) <= 20), "{lines:?}");
        assert_eq!(width("漢字"), 4);
        assert_eq!(width(&clip_cols("漢字漢字漢字", 7)), 7);
    }

    #[test]
    fn ids_are_shortened_to_twelve() {
        let id = "3fc81dee3c0b581ff1d316dfa6ba90291b2b7caa899da6efcd69654fad9348e1";
        assert_eq!(
            short_ids(&format!("containers/{id}/{id}-json.log:4")),
            "containers/3fc81dee3c0b/3fc81dee3c0b-json.log:4"
        );
        // Shorter hex, and hex inside a longer word, stay as they are.
        assert_eq!(short_ids("deadbeef"), "deadbeef");
        let glued = format!("x{id}");
        assert_eq!(short_ids(&glued), glued);
    }

    #[test]
    fn paths_are_relative_to_their_input() {
        let p = Paths::from_paths(&[
            "in/sos.tar.xz!/sosreport-h-1/var/log/a".into(),
            "in/sos.tar.xz!/sosreport-h-1/sos_commands/x".into(),
        ]);
        assert_eq!(
            p.show("in/sos.tar.xz!/sosreport-h-1/var/log/a:3"),
            "var/log/a:3"
        );
        assert_eq!(p.root().as_deref(), Some("in/sos.tar.xz!/sosreport-h-1/"));
        let p = Paths::from_paths(&["s/b/c/x/inspect.json".into(), "s/b/host/dmesg".into()]);
        assert_eq!(p.show("s/b/c/x/inspect.json:18"), "c/x/inspect.json:18");
        let p = Paths::from_paths(&[
            "d/a.tar!/top/x".into(),
            "d/a.tar!/top/y".into(),
            "d/host/dmesg".into(),
        ]);
        assert_eq!(p.show("d/a.tar!/top/x:1"), "a.tar!/x:1");
        assert_eq!(p.show("d/host/dmesg"), "host/dmesg");
    }
}
