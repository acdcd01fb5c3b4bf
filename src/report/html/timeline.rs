//! The incident timeline as hand-written SVG: one lane per container (then
//! the host), one mark per timeline entry chosen by its `kind`, placed by
//! its typed instant; the same entries as a table below.

use std::fmt::Write;

use super::super::schema::*;
use super::sev_of;
use crate::report::untrusted::Untrusted;
use crate::time::Timestamp;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    Start,
    Exit,
    ExitBad,
    Kill,
    Health,
    Oom,
    Segfault,
    Log,
    Other,
}

/// The mark of a timeline entry, from its kind (and, for an exit, the
/// exit code and Docker's OOMKilled flag).
fn mark_of(e: &TimelineEntry) -> Mark {
    match e.kind {
        TimelineKind::OomKill => Mark::Oom,
        TimelineKind::Segfault => Mark::Segfault,
        TimelineKind::HealthFailed => Mark::Health,
        TimelineKind::FirstLog | TimelineKind::LastLog => Mark::Log,
        TimelineKind::Started | TimelineKind::Restarted => Mark::Start,
        TimelineKind::Exited if e.oom_killed => Mark::Oom,
        TimelineKind::Exited if e.exit_code == Some(0) => Mark::Exit,
        TimelineKind::Exited => Mark::ExitBad,
        TimelineKind::Killed | TimelineKind::Stopped => Mark::Kill,
        TimelineKind::Created
        | TimelineKind::HealthRecovered
        | TimelineKind::HealthStarting
        | TimelineKind::Destroyed
        | TimelineKind::Paused
        | TimelineKind::Unpaused
        | TimelineKind::DockerEvent => Mark::Other,
        TimelineKind::ConfigChanged => Mark::Other,
    }
}

/// One SVG mark centred on (x, y) with a `<title>` tooltip.
fn mark_svg(o: &mut String, m: Mark, x: f64, y: f64, title: &str) {
    let t = format!("<title>{title}</title>");
    let _ = match m {
        Mark::Start => write!(
            o,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4.5\" fill=\"#12b76a\" stroke=\"#fff\">{t}</circle>"
        ),
        Mark::Exit => write!(
            o,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\" fill=\"#98a2b3\" stroke=\"#fff\">{t}</rect>",
            x - 4.0,
            y - 4.0
        ),
        Mark::ExitBad => write!(
            o,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"9\" height=\"9\" fill=\"#b42318\" stroke=\"#fff\">{t}</rect>",
            x - 4.5,
            y - 4.5
        ),
        Mark::Kill => write!(
            o,
            "<path d=\"M{:.1} {:.1}l8 8m0 -8l-8 8\" stroke=\"#344054\" stroke-width=\"2\">{t}</path>",
            x - 4.0,
            y - 4.0
        ),
        Mark::Health => write!(
            o,
            "<path d=\"M{x:.1} {:.1}l5 5l-5 5l-5 -5z\" fill=\"#f79009\" stroke=\"#fff\">{t}</path>",
            y - 5.0
        ),
        Mark::Oom => write!(
            o,
            "<path d=\"M{x:.1} {:.1}l6.5 11h-13z\" fill=\"#d92d20\" stroke=\"#7a271a\">{t}</path>",
            y - 6.5
        ),
        Mark::Segfault => write!(
            o,
            "<path d=\"M{x:.1} {:.1}l6 6l-6 6l-6 -6z\" fill=\"#7a5af8\" stroke=\"#fff\">{t}</path>",
            y - 6.0
        ),
        Mark::Log => write!(
            o,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"2\" height=\"12\" fill=\"#667085\">{t}</rect>",
            x - 1.0,
            y - 6.0
        ),
        Mark::Other => write!(
            o,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2.5\" fill=\"#98a2b3\">{t}</circle>"
        ),
    };
}

/// A step between ticks, in nanoseconds, giving at most ~10 ticks.
fn tick_step(span_ns: i64) -> i64 {
    const STEPS: [i64; 24] = [
        1_000_000,
        2_000_000,
        5_000_000,
        10_000_000,
        20_000_000,
        50_000_000,
        100_000_000,
        200_000_000,
        500_000_000,
        1_000_000_000,
        2_000_000_000,
        5_000_000_000,
        10_000_000_000,
        15_000_000_000,
        30_000_000_000,
        60_000_000_000,
        120_000_000_000,
        300_000_000_000,
        600_000_000_000,
        1_800_000_000_000,
        3_600_000_000_000,
        21_600_000_000_000,
        86_400_000_000_000,
        604_800_000_000_000,
    ];
    STEPS
        .iter()
        .copied()
        .find(|s| span_ns / s <= 10)
        .unwrap_or_else(|| (span_ns / 10).max(1))
}

fn tick_label(t: Timestamp, step: i64) -> String {
    let (y, mo, d, hh, mi, s, n) = t.civil();
    if step >= 86_400_000_000_000 {
        format!("{y:04}-{mo:02}-{d:02}")
    } else if step >= 1_000_000_000 {
        format!("{hh:02}:{mi:02}:{s:02}")
    } else {
        format!("{mi:02}:{s:02}.{:03}", n / 1_000_000)
    }
}

pub(super) fn timeline(o: &mut String, r: &Report) {
    // The report's timeline holds every timed event, kernel ones included,
    // in time order.
    let events = &r.timeline;
    o.push_str("<h2>Timeline</h2>\n");
    if events.is_empty() {
        o.push_str("<p class=\"muted\">No event in the inputs carries a time.</p>\n");
        return;
    }
    // Lanes: containers in report order, then any other named subject, then the host.
    let mut lanes: Vec<Option<Untrusted>> =
        r.containers.iter().map(|c| Some(c.name.clone())).collect();
    for e in events {
        if !lanes.contains(&e.container) && e.container.is_some() {
            lanes.push(e.container.clone());
        }
    }
    if events.iter().any(|e| e.container.is_none()) {
        lanes.push(None);
    }
    let (Some(first), Some(last)) = (events.first(), events.last()) else {
        return;
    };
    let (t0, t1) = (first.time, last.time);
    let span = (t1.0 - t0.0).max(1);
    let (left, right, top, lane_h) = (150.0, 20.0, 34.0, 24.0);
    let width = 1200.0;
    let plot_w = width - left - right;
    let height = top + lane_h * lanes.len() as f64 + 10.0;
    let x_of = |t: Timestamp| left + plot_w * ((t.0 - t0.0) as f64 / span as f64);
    let _ = writeln!(
        o,
        "<p class=\"muted\">{} event(s) from {} to {} (UTC). Tap a mark for its row in the table below (time, event and source); hovering shows the same.</p>",
        events.len(),
        t0,
        t1
    );
    let _ = writeln!(
        o,
        "<div class=\"svgwrap\"><svg id=\"timeline\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"Incident timeline, one lane per container\">"
    );
    // Lanes and labels.
    for (n, lane) in lanes.iter().enumerate() {
        let y = top + lane_h * n as f64;
        if n % 2 == 0 {
            let _ = write!(
                o,
                "<rect x=\"0\" y=\"{y:.1}\" width=\"{width}\" height=\"{lane_h}\" fill=\"#f9fafb\"/>"
            );
        }
        let (label, colour) = match lane {
            Some(name) => (
                name.clone(),
                match sev_of(r, name) {
                    Some(Severity::Critical) => "#b42318",
                    Some(Severity::Warning) => "#b54708",
                    Some(Severity::Info) => "#175cd3",
                    None => "#344054",
                },
            ),
            None => (Untrusted::new("host / kernel"), "#667085"),
        };
        let shown = label.shorten(20);
        let _ = writeln!(
            o,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"{colour}\">{}<title>{}</title></text>",
            left - 8.0,
            y + lane_h / 2.0 + 4.0,
            shown.html(),
            label.html()
        );
    }
    // Time axis.
    let step = tick_step(span);
    let first_tick =
        t0.0.div_euclid(step) * step + if t0.0.rem_euclid(step) == 0 { 0 } else { step };
    let mut tick = first_tick;
    while tick <= t1.0 {
        let x = x_of(Timestamp(tick));
        let _ = write!(
            o,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#e4e7ec\"/><text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#667085\">{}</text>",
            top - 4.0,
            height - 10.0,
            top - 10.0,
            tick_label(Timestamp(tick), step)
        );
        tick += step;
    }
    o.push('\n');
    // Marks: each links to its row of the table, so a tap shows what a
    // hover would (issue #13: nothing on hover only).
    for (k, e) in events.iter().enumerate() {
        let lane = lanes.iter().position(|l| l == &e.container).unwrap_or(0);
        let y = top + lane_h * lane as f64 + lane_h / 2.0;
        let title = format!(
            "{} · {} · {} · {}",
            e.time,
            e.container
                .as_ref()
                .map(Untrusted::html)
                .unwrap_or_else(|| "host".into()),
            e.event.html(),
            e.source.html()
        );
        let _ = write!(o, "<a href=\"#ev{k}\">");
        mark_svg(o, mark_of(e), x_of(e.time), y, &title);
        o.push_str("</a>\n");
    }
    o.push_str("</svg>\n");
    // Legend (inline SVG glyphs, one small svg each would count as extra svgs: use text swatches).
    o.push_str("<div class=\"legend\"><span><b style=\"color:#12b76a\">●</b> start</span><span><b style=\"color:#98a2b3\">■</b> clean exit</span><span><b style=\"color:#b42318\">■</b> failed exit</span><span><b style=\"color:#344054\">✕</b> kill / stop</span><span><b style=\"color:#f79009\">◆</b> health check failed</span><span><b style=\"color:#d92d20\">▲</b> OOM kill</span><span><b style=\"color:#7a5af8\">◆</b> segfault</span><span><b style=\"color:#667085\">|</b> first / last log line</span><span><b style=\"color:#98a2b3\">•</b> other event</span></div>\n</div>\n");
    // The same events as text, for print, screen readers and copy-paste.
    let _ = writeln!(
        o,
        "<details id=\"timeline-table\"><summary>Timeline as a table ({} events)</summary><div class=\"tablewrap\"><table><thead><tr><th>time (UTC)</th><th>container</th><th>event</th><th>source</th></tr></thead><tbody>",
        events.len()
    );
    for (k, e) in events.iter().enumerate() {
        let _ = writeln!(
            o,
            "<tr id=\"ev{k}\"><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td class=\"wrap mono\">{}</td></tr>",
            e.time,
            e.container
                .as_ref()
                .map(Untrusted::html)
                .unwrap_or_else(|| "host".into()),
            e.event.html(),
            e.source.html()
        );
    }
    o.push_str("</tbody></table></div></details>\n");
}
