//! HTML for humans who open an attachment: one self-contained page (inline
//! CSS and SVG, no script, no external reference) with a severity banner, a
//! card per container, an SVG timeline of the incident, a layer chart per
//! image and the kernel, input and diagnostic tables.
//!
//! Every string from the report goes through `escape::html` (control
//! characters made visible, then `& < > " '` as entities); element ids are
//! built from indices, never from input. The page holds no clock and no
//! random id, so the same report renders to the same bytes. A
//! Content-Security-Policy forbids scripts and every remote load, so even a
//! bug in escaping could not make the page fetch or run anything.

use std::fmt::Write;

mod timeline;

use super::escape::html as h;
use super::schema::*;
use super::text::counts;
use super::untrusted::join;
use crate::format::human_bytes;
use timeline::timeline;

const CSS: &str = r#"
:root{--crit:#b42318;--crit-bg:#fef3f2;--warn:#b54708;--warn-bg:#fffaeb;--info:#175cd3;--info-bg:#eff8ff;--ok:#067647;--ink:#1d2939;--muted:#667085;--line:#e4e7ec;--bg:#f9fafb}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:1240px;margin:0 auto;padding:0 20px 40px}
h1{font-size:22px;margin:0}
h2{font-size:18px;margin:32px 0 12px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:0}
h3.image{margin-top:22px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12px}
pre{margin:6px 0 0;padding:8px;background:#f2f4f7;border-radius:6px;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
header.banner{background:#101828;color:#fff;padding:18px 20px;margin-bottom:8px}
header.banner .inner{max-width:1200px;margin:0 auto;display:flex;flex-wrap:wrap;gap:16px;align-items:center;justify-content:space-between}
header.banner .sub{color:#d0d5dd;font-size:13px}
.counts{display:flex;gap:8px;flex-wrap:wrap}
.count{border-radius:8px;padding:6px 12px;text-align:center;min-width:84px;background:#344054}
.count b{display:block;font-size:20px;line-height:1.2}
.count.critical{background:var(--crit)}.count.warning{background:var(--warn)}.count.info{background:var(--info)}
.sev{display:inline-block;border-radius:4px;padding:0 6px;font-size:11px;font-weight:600;text-transform:uppercase;letter-spacing:.03em;color:#fff}
.sev.critical{background:var(--crit)}.sev.warning{background:var(--warn)}.sev.info{background:var(--info)}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line);border-radius:8px;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#f2f4f7;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.wrap{word-break:break-all}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(370px,100%),1fr));gap:14px}
.tablewrap{overflow-x:auto;max-width:100%;-webkit-overflow-scrolling:touch}
.tablewrap>table{min-width:520px}
code{background:#f2f4f7;border-radius:3px;padding:0 3px;overflow-wrap:anywhere}
tr:target,g:target{background:#fef0c7;outline:2px solid #f79009}
svg a{cursor:pointer}
.card{background:#fff;border:1px solid var(--line);border-left:5px solid #98a2b3;border-radius:8px;padding:12px 14px;break-inside:avoid}
.card.critical{border-left-color:var(--crit)}.card.warning{border-left-color:var(--warn)}.card.info{border-left-color:var(--info)}.card.ok{border-left-color:var(--ok)}
.card .head{display:flex;justify-content:space-between;gap:8px;align-items:baseline}
.card h3{overflow-wrap:anywhere;min-width:0}
.card .meta{color:var(--muted);font-size:12px;word-break:break-all}
.facts{display:grid;grid-template-columns:auto 1fr;gap:1px 10px;margin:8px 0;font-size:13px}
.facts dt{color:var(--muted)}.facts dd{margin:0;word-break:break-word}
.status{font-weight:600}.status.running{color:var(--ok)}.status.exited,.status.dead{color:var(--crit)}
.finding{border-top:1px solid var(--line);padding-top:8px;margin-top:8px}
.finding p{margin:4px 0;overflow-wrap:anywhere}
.card>.finding:first-child{border-top:0;margin-top:0;padding-top:0}
.finding .todo{color:#344054}
details summary{cursor:pointer;color:var(--info);font-size:12px;margin-top:4px}
.ev{display:block}.ev .loc{color:var(--muted)}
.svgwrap{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px;overflow-x:auto}
svg{display:block;max-width:100%;height:auto;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12px;color:var(--muted);margin-top:6px}
.muted{color:var(--muted)}
footer{color:var(--muted);font-size:12px;margin-top:32px}
@media (max-width:760px){main{padding:0 10px 32px}header.banner{padding:14px 10px}.count{min-width:64px;padding:4px 8px}.card{padding:10px}.svgwrap svg#timeline{width:1000px;max-width:none}.svgwrap svg.layers{width:1000px;max-width:none}.facts{grid-template-columns:1fr}.facts dt{margin-top:4px}}
@media print{details::details-content{content-visibility:visible;display:block;height:auto}details>summary{list-style:none}body{background:#fff}header.banner{background:#fff;color:#000;border-bottom:2px solid #000}header.banner .sub{color:#333}.count{border:1px solid #000;color:#000;background:#fff!important}.card,table,.svgwrap{break-inside:avoid}details>summary{color:#000}}
"#;

pub(super) fn sev_of(r: &Report, container: &Untrusted) -> Option<Severity> {
    r.containers
        .iter()
        .find(|c| &c.name == container)
        .and_then(|c| c.verdict)
}

/// An optional input string, `–` when absent.
pub(super) fn opt_u(s: &Option<Untrusted>) -> String {
    s.as_ref()
        .map(Untrusted::html)
        .unwrap_or_else(|| "–".into())
}

pub(super) fn opt(s: &Option<String>) -> String {
    s.as_deref().map(h).unwrap_or_else(|| "–".into())
}

/// Renders the report as one self-contained HTML page.
pub fn render(r: &Report) -> String {
    let mut o = String::with_capacity(64 * 1024);
    let (c, w, i) = counts(r);
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    o.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    o.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    let _ = writeln!(
        o,
        "<title>coroner incident report — {c} critical, {w} warning, {i} info</title>"
    );
    let _ = writeln!(o, "<style>{CSS}</style>\n</head>\n<body>");

    // Banner.
    let _ = writeln!(
        o,
        "<header class=\"banner\"><div class=\"inner\"><div><h1>coroner incident report</h1>\
<div class=\"sub\">{} container(s) · {} image(s) · {} input(s) · {} diagnostic(s) · {} {}</div></div>\
<div class=\"counts\" id=\"summary\"><div class=\"count critical\"><b>{c}</b>critical</div>\
<div class=\"count warning\"><b>{w}</b>warning</div><div class=\"count info\"><b>{i}</b>info</div></div></div></header>",
        r.containers.len(),
        r.images.len(),
        r.inputs.len(),
        r.diagnostics.len(),
        h(&r.tool.name),
        h(&r.tool.version),
    );
    o.push_str("<main>\n");

    findings_table(&mut o, r);
    timeline(&mut o, r);
    containers(&mut o, r);
    other_findings(&mut o, r);
    kernel(&mut o, r);
    images(&mut o, r);
    filesystems(&mut o, r);
    changes_and_volumes(&mut o, r);
    inputs(&mut o, r);

    let _ = writeln!(
        o,
        "<footer>Schema {}. Generated offline by {} {} from the inputs listed above; every claim cites its file and line.</footer>",
        h(&r.schema),
        h(&r.tool.name),
        h(&r.tool.version)
    );
    o.push_str("</main>\n</body>\n</html>\n");
    o
}

fn subject(f: &Finding) -> String {
    f.container
        .as_ref()
        .or(f.image.as_ref())
        .map(Untrusted::html)
        .unwrap_or_else(|| "host".into())
}

fn findings_table(o: &mut String, r: &Report) {
    o.push_str("<h2>Findings</h2>\n");
    if r.findings.is_empty() {
        o.push_str(&format!(
            "<p>{}</p>\n",
            crate::report::escape::html(&crate::report::markdown::capitalised(
                r.no_findings
                    .as_deref()
                    .unwrap_or(crate::report::NOTHING_FOUND)
            ))
        ));
        return;
    }
    o.push_str("<div class=\"tablewrap\"><table><thead><tr><th>severity</th><th>rule</th><th>subject</th><th>finding</th></tr></thead><tbody>\n");
    for f in &r.findings {
        let link = f
            .container
            .as_ref()
            .and_then(|n| r.containers.iter().position(|c| &c.name == n))
            .map(|i| format!("<a href=\"#c{i}\">{}</a>", subject(f)))
            .unwrap_or_else(|| subject(f));
        let _ = writeln!(
            o,
            "<tr><td><span class=\"sev {s}\">{s}</span></td><td class=\"mono\">{}</td><td>{link}</td><td>{}</td></tr>",
            f.rule.as_str(),
            f.title.html_code(),
            s = f.severity.as_str(),
        );
    }
    o.push_str("</tbody></table></div>\n");
}

fn finding_block(o: &mut String, f: &Finding, with_subject: bool) {
    let _ = write!(
        o,
        "<div class=\"finding\"><span class=\"sev {s}\">{s}</span> <span class=\"mono\">{}</span>",
        f.rule.as_str(),
        s = f.severity.as_str()
    );
    if with_subject {
        let _ = write!(o, " · {}", subject(f));
    }
    let _ = write!(
        o,
        "<p><b>{}</b></p><p>{}</p><p class=\"conf\">{}</p><p class=\"todo\"><b>What to do:</b> {}</p>",
        f.title.html_code(),
        f.explanation.html_code(),
        f.confidence_words(),
        f.suggestion.html_code()
    );
    if !f.evidence.is_empty() {
        let _ = write!(
            o,
            "<details><summary>Evidence ({} line{})</summary><pre>",
            f.evidence.len(),
            if f.evidence.len() == 1 { "" } else { "s" }
        );
        for e in &f.evidence {
            let _ = writeln!(
                o,
                "<span class=\"ev\"><span class=\"loc\">{}</span>  {}</span>",
                e.location().html(),
                e.excerpt.html()
            );
        }
        o.push_str("</pre></details>");
    }
    o.push_str("</div>\n");
}

fn containers(o: &mut String, r: &Report) {
    if r.containers.is_empty() {
        return;
    }
    o.push_str("<h2>Containers</h2>\n<div class=\"cards\">\n");
    for n in card_order(r) {
        let ct = &r.containers[n];
        let class = ct.verdict.map(Severity::as_str).unwrap_or("ok");
        let status_class = ["running", "exited", "dead"]
            .into_iter()
            .find(|s| ct.status == *s)
            .unwrap_or("other");
        let _ = writeln!(
            o,
            "<section class=\"card {class}\" id=\"c{n}\"><div class=\"head\"><h3>{}</h3><span class=\"status {status_class}\">{}</span></div>\
<div class=\"meta\">{} · {}</div>",
            ct.name.html(),
            ct.status.html(),
            ct.image.html(),
            ct.id.take(12).html(),
        );
        o.push_str("<dl class=\"facts\">");
        match ct.exit_code {
            Some(code) => {
                let _ = write!(
                    o,
                    "<dt>exit code</dt><dd><b>{code}</b> — {}</dd>",
                    h(&ct.exit_meaning)
                );
            }
            // Running, paused or never started: no exit to show (issue #13).
            None => {
                let _ = write!(o, "<dt>exit</dt><dd>{}</dd>", h(&ct.exit_meaning));
            }
        }
        if ct.oom_killed {
            o.push_str("<dt>OOMKilled</dt><dd><b>true</b></dd>");
        }
        let _ = write!(
            o,
            "<dt>restarts</dt><dd>{} (policy {})</dd>",
            ct.restart_count,
            if ct.restart_policy.is_empty() {
                "none".to_string()
            } else {
                ct.restart_policy.html()
            }
        );
        let _ = write!(
            o,
            "<dt>started</dt><dd class=\"mono\">{}</dd><dt>finished</dt><dd class=\"mono\">{}</dd>",
            opt(&ct.started_at),
            opt(&ct.finished_at)
        );
        if let Some(hl) = &ct.health {
            let _ = write!(
                o,
                "<dt>health</dt><dd>{} (failing streak {})</dd>",
                hl.status.html(),
                hl.failing_streak
            );
        }
        match &ct.logs {
            Some(l) => {
                let _ = write!(
                    o,
                    "<dt>logs</dt><dd>{} line(s), {} on stderr, {} file(s)</dd>",
                    l.lines,
                    l.stderr_lines.map_or_else(
                        || "unknown (docker logs text)".to_string(),
                        |n| n.to_string()
                    ),
                    l.files
                );
            }
            None => {
                let _ = write!(
                    o,
                    "<dt>logs</dt><dd>none ({})</dd>",
                    if ct.log_driver.is_empty() {
                        "-".to_string()
                    } else {
                        ct.log_driver.html()
                    }
                );
            }
        }
        if ct.memory_limit_bytes > 0 {
            let _ = write!(
                o,
                "<dt>memory limit</dt><dd>{}</dd>",
                human_bytes(ct.memory_limit_bytes as u64)
            );
        }
        if !ct.networks.is_empty() {
            let _ = write!(
                o,
                "<dt>networks</dt><dd>{}</dd>",
                join(&ct.networks, ", ").html()
            );
        }
        if !ct.ports.is_empty() {
            let _ = write!(o, "<dt>ports</dt><dd>{}</dd>", join(&ct.ports, ", ").html());
        }
        if !ct.mounts.is_empty() {
            let _ = write!(
                o,
                "<dt>mounts</dt><dd>{}</dd>",
                join(&ct.mounts, ", ").html()
            );
        }
        o.push_str("</dl>\n");
        let mine: Vec<&Finding> = r
            .findings
            .iter()
            .filter(|f| f.container.as_ref() == Some(&ct.name))
            .collect();
        if mine.is_empty() {
            o.push_str("<p class=\"muted\">No findings.</p>\n");
        }
        for f in mine {
            finding_block(o, f, false);
        }
        o.push_str("</section>\n");
    }
    o.push_str("</div>\n");
}

/// Container indices in card order: worst verdict first (critical, warning,
/// info, then containers with no finding), then by when trouble began, then
/// by name (issue #13: a healthy container is never listed before a failed
/// one because of its name).
pub(super) fn card_order(r: &Report) -> Vec<usize> {
    let rank = |v: Option<Severity>| match v {
        Some(Severity::Critical) => 0,
        Some(Severity::Warning) => 1,
        Some(Severity::Info) => 2,
        None => 3,
    };
    let mut order: Vec<usize> = (0..r.containers.len()).collect();
    let keys: Vec<_> = r
        .containers
        .iter()
        .map(|c| (rank(c.verdict), trouble_time(r, c), c.name.clone()))
        .collect();
    // `None` (no time known) sorts after every time.
    order.sort_by(|&a, &b| {
        let (ka, kb) = (&keys[a], &keys[b]);
        ka.0.cmp(&kb.0)
            .then_with(|| match (&ka.1, &kb.1) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| ka.2.cmp(&kb.2))
            .then(a.cmp(&b))
    });
    order
}

/// When a container's trouble began: its first timeline entry that is a
/// failure (a non-zero or OOM exit, a kill, an OOM kill, a segfault, a
/// failed health check), else when it finished, else when it started.
fn trouble_time(r: &Report, c: &Container) -> Option<crate::time::Timestamp> {
    let bad = r.timeline.iter().find(|e| {
        e.container.as_ref() == Some(&c.name)
            && match e.kind {
                TimelineKind::OomKill
                | TimelineKind::Segfault
                | TimelineKind::HealthFailed
                | TimelineKind::Killed => true,
                TimelineKind::Exited => e.oom_killed || e.exit_code.is_some_and(|x| x != 0),
                _ => false,
            }
    });
    if let Some(e) = bad {
        return Some(e.time);
    }
    let parse = |s: &Option<String>| s.as_deref().and_then(crate::time::Timestamp::parse_rfc3339);
    parse(&c.finished_at).or_else(|| parse(&c.started_at))
}

fn other_findings(o: &mut String, r: &Report) {
    let names: Vec<&Untrusted> = r.containers.iter().map(|c| &c.name).collect();
    let rest: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.container.as_ref().is_none_or(|c| !names.contains(&c)))
        .collect();
    if rest.is_empty() {
        return;
    }
    o.push_str("<h2>Host and image findings</h2>\n<div class=\"cards\">\n");
    for f in rest {
        let _ = write!(o, "<section class=\"card {}\">", f.severity.as_str());
        finding_block(o, f, true);
        o.push_str("</section>\n");
    }
    o.push_str("</div>\n");
}

fn kernel(o: &mut String, r: &Report) {
    let k = &r.kernel;
    if k.oom_kills.is_empty() && k.segfaults.is_empty() {
        return;
    }
    o.push_str("<h2>Kernel</h2>\n");
    let _ = writeln!(o, "<p class=\"muted\">Times: {}</p>", k.time_method.html());
    clock_line(o, &k.clock);
    o.push_str("<div class=\"tablewrap\"><table><thead><tr><th>event</th><th class=\"num\">pid</th><th>process</th><th>container</th><th>matched by</th><th class=\"num\">anon RSS</th><th>time</th><th>evidence</th></tr></thead><tbody>\n");
    for x in &k.oom_kills {
        let _ = writeln!(
            o,
            "<tr><td>OOM kill</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"mono\">{}</td><td class=\"wrap mono\">{}:{}</td></tr>",
            x.pid,
            x.process.html(),
            opt_u(&x.container),
            opt(&x.matched_by_text.clone().or(x.matched_by.clone())),
            x.anon_rss_kib
                .map(|k| human_bytes(k * 1024))
                .unwrap_or_else(|| "–".into()),
            opt(&crate::report::kernel_time(&x.time, &x.local_time)),
            x.source.html(),
            x.line.unwrap_or(0)
        );
    }
    for x in &k.segfaults {
        let _ = writeln!(
            o,
            "<tr><td>segfault</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">–</td><td class=\"mono\">{}</td><td class=\"wrap mono\">{}:{}</td></tr>",
            x.pid,
            x.process.html(),
            opt_u(&x.container),
            opt(&x.matched_by_text.clone().or(x.matched_by.clone())),
            opt(&crate::report::kernel_time(&x.time, &x.local_time)),
            x.source.html(),
            x.line.unwrap_or(0)
        );
    }
    o.push_str("</tbody></table></div>\n");
}

fn layer_chart(o: &mut String, im: &Image) {
    let rows = &im.layer_table;
    if rows.is_empty() {
        return;
    }
    let max = rows
        .iter()
        .map(|l| l.size_bytes.max(l.wasted_bytes))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let (left, bar_w, row_h, width) = (40.0, 360.0, 22.0, 1200.0);
    let height = row_h * rows.len() as f64 + 8.0;
    let _ = writeln!(
        o,
        "<div class=\"svgwrap\"><svg class=\"layers\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"Layer sizes and wasted bytes\">"
    );
    for (n, l) in rows.iter().enumerate() {
        let y = 4.0 + row_h * n as f64;
        let w = if l.size_bytes == 0 {
            0.0
        } else {
            (bar_w * l.size_bytes as f64 / max).max(1.5)
        };
        let ww = if l.wasted_bytes == 0 {
            0.0
        } else {
            (bar_w * l.wasted_bytes as f64 / max).max(1.5)
        };
        let created = if l.created_by.is_empty() {
            Untrusted::new("(created_by not recorded)")
        } else {
            l.created_by.clone()
        };
        let title = format!(
            "layer {} · {} · {} byte(s), {} file(s), {} wasted byte(s) · {}",
            n + 1,
            l.digest.html(),
            l.size_bytes,
            l.files,
            l.wasted_bytes,
            created.html()
        );
        let _ = writeln!(
            o,
            "<g><title>{title}</title><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"#667085\">#{}</text>\
<rect x=\"{left}\" y=\"{:.1}\" width=\"{bar_w}\" height=\"15\" fill=\"#f2f4f7\"/>\
<rect x=\"{left}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"9\" fill=\"#53b1fd\"/>\
<rect x=\"{left}\" y=\"{:.1}\" width=\"{ww:.1}\" height=\"5\" fill=\"#f04438\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#1d2939\">{} · wasted {} · <tspan font-family=\"ui-monospace,Menlo,Consolas,monospace\" fill=\"#475467\">{}</tspan></text></g>",
            left - 6.0,
            y + 11.5,
            n + 1,
            y,
            y,
            y + 10.0,
            left + bar_w + 10.0,
            y + 11.5,
            human_bytes(l.size_bytes),
            human_bytes(l.wasted_bytes),
            created.shorten(90).html(),
        );
    }
    o.push_str("</svg>\n<div class=\"legend\"><span><b style=\"color:#53b1fd\">■</b> layer size</span><span><b style=\"color:#f04438\">■</b> wasted: bytes of earlier layers that this layer deletes or overwrites</span></div></div>\n");
    // What the bars' tooltips say, as a table: nothing on hover only.
    o.push_str("<details><summary>Layers as a table</summary><div class=\"tablewrap\"><table><thead><tr><th class=\"num\">#</th><th>digest</th><th class=\"num\">size</th><th class=\"num\">files</th><th class=\"num\">wasted</th><th>created by</th></tr></thead><tbody>\n");
    for (n, l) in rows.iter().enumerate() {
        let _ = writeln!(
            o,
            "<tr><td class=\"num\">{}</td><td class=\"wrap mono\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"wrap mono\">{}</td></tr>",
            n + 1,
            l.digest.html(),
            human_bytes(l.size_bytes),
            l.files,
            human_bytes(l.wasted_bytes),
            l.created_by.html()
        );
    }
    o.push_str("</tbody></table></div></details>\n");
}

fn images(o: &mut String, r: &Report) {
    if r.images.is_empty() {
        return;
    }
    o.push_str("<h2>Images</h2>\n");
    for im in &r.images {
        let name = if im.refs.is_empty() {
            im.id.take(19)
        } else {
            join(&im.refs, ", ")
        };
        let _ = writeln!(
            o,
            "<h3 class=\"image\">{}</h3><p class=\"muted\">{} layer(s), {} in the final view, {} wasted, efficiency {:.1}% · created {} · source <span class=\"mono\">{}</span></p>",
            name.html(),
            im.layers,
            human_bytes(im.size_bytes),
            human_bytes(im.wasted_bytes),
            im.efficiency * 100.0,
            opt(&im.created),
            im.source.html()
        );
        layer_chart(o, im);
        if !im.largest_files.is_empty() {
            o.push_str(
                "<details><summary>Largest files</summary><div class=\"tablewrap\"><table><tbody>",
            );
            for p in &im.largest_files {
                let _ = write!(
                    o,
                    "<tr><td class=\"num\">{}</td><td class=\"wrap mono\">{}</td></tr>",
                    human_bytes(p.size),
                    p.path.html()
                );
            }
            o.push_str("</tbody></table></div></details>\n");
        }
    }
}

fn filesystems(o: &mut String, r: &Report) {
    if r.filesystems.is_empty() {
        return;
    }
    o.push_str("<h2>Filesystem exports</h2>\n<div class=\"tablewrap\"><table><thead><tr><th>source</th><th class=\"num\">files</th><th class=\"num\">size</th><th>setuid</th><th>world-writable</th></tr></thead><tbody>\n");
    for f in &r.filesystems {
        let _ = writeln!(
            o,
            "<tr><td class=\"wrap mono\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"wrap\">{}</td><td class=\"wrap\">{}</td></tr>",
            f.source.html(),
            f.files,
            human_bytes(f.size_bytes),
            join(&f.setuid, ", ").html(),
            join(&f.world_writable, ", ").html()
        );
    }
    o.push_str("</tbody></table></div>\n");
}

fn changes_and_volumes(o: &mut String, r: &Report) {
    if r.containers.iter().any(|c| c.changes.is_some()) {
        o.push_str("<h2>Container changes</h2>\n<table><thead><tr><th>container</th><th class=\"num\">added</th><th class=\"num\">modified</th><th class=\"num\">deleted</th><th class=\"num\">written</th><th>flagged</th></tr></thead><tbody>\n");
        for ct in &r.containers {
            let Some(ch) = &ct.changes else { continue };
            let flagged: Vec<String> = ch
                .entries
                .iter()
                .filter(|c| !c.flags.is_empty())
                .take(10)
                .map(|c| format!("{} {} [{}]", c.kind, c.path.html(), c.flags.join(", ")))
                .collect();
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"wrap mono\">{}</td></tr>",
                ct.name.html(),
                ch.added,
                ch.modified,
                ch.deleted,
                human_bytes(ch.written_bytes),
                flagged.join("<br>")
            );
        }
        o.push_str("</tbody></table>\n");
    }
    if r.containers.iter().any(|c| c.data_root.is_some()) {
        o.push_str("<h2>Data-root containers</h2>\n<table><thead><tr><th>container</th><th>hostname</th><th>nameservers</th><th>mounted in</th><th>config</th></tr></thead><tbody>\n");
        for ct in &r.containers {
            let Some(d) = &ct.data_root else { continue };
            let ns: Vec<String> = d.nameservers.iter().map(|n| n.html()).collect();
            let m: Vec<String> = d.mounts.iter().map(|n| n.html()).collect();
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
                ct.name.html(),
                d.hostname.html(),
                ns.join(", "),
                m.join(", "),
                h(&d.config_file)
            );
        }
        o.push_str("</tbody></table>\n");
    }
    if !r.volumes.is_empty() {
        o.push_str("<h2>Volumes</h2>\n<table><thead><tr><th>name</th><th>driver</th><th class=\"num\">files</th><th class=\"num\">size</th><th>owner</th></tr></thead><tbody>\n");
        for vol in &r.volumes {
            let _ = writeln!(
                o,
                "<tr><td class=\"mono\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                vol.name.html(),
                vol.driver.html(),
                vol.files,
                human_bytes(vol.size_bytes),
                vol.owner.as_deref().unwrap_or("unknown")
            );
        }
        o.push_str("</tbody></table>\n");
    }
}

fn inputs(o: &mut String, r: &Report) {
    let _ = writeln!(
        o,
        "<h2>Inputs</h2>\n<details><summary>{} input(s)</summary><div class=\"tablewrap\"><table><thead><tr><th>kind</th><th class=\"num\">bytes</th><th>path</th></tr></thead><tbody>",
        r.inputs.len()
    );
    for i in &r.inputs {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"wrap mono\">{}</td></tr>",
            h(&i.kind),
            i.bytes,
            i.path.html()
        );
    }
    o.push_str("</tbody></table></div></details>\n");
    o.push_str("<h2>Diagnostics</h2>\n");
    if r.diagnostics.is_empty() {
        o.push_str("<p class=\"muted\">Every input was read without trouble.</p>\n");
        return;
    }
    o.push_str(
        "<div class=\"tablewrap\"><table><thead><tr><th>severity</th><th>path</th><th>message</th></tr></thead><tbody>\n",
    );
    for d in &r.diagnostics {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"wrap mono\">{}</td><td>{}</td></tr>",
            d.severity.as_str(),
            d.path.html(),
            d.message.html()
        );
    }
    o.push_str("</tbody></table></div>\n");
}

/// `Clock: aligned-on-docker-records, offset -18000.974 s, 5 pair(s), …`; the
/// sentence is the `Times:` line above it (#12).
fn clock_line(o: &mut String, c: &KernelClock) {
    let _ = writeln!(
        o,
        "<p class=\"muted\">Clock: {}</p>",
        h(&crate::report::clock_summary(c))
    );
}
