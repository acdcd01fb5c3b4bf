//! The terminal report is triage first and fits the screen (issue #13,
//! part 1), on real samples: `samples/bundle` (a real Docker 20.10 host),
//! `samples/real-sos` (a real sosreport, `.tar.xz`) and a bigger input made
//! by reading several samples at once (both of those, the qhost sosreport,
//! the data root and image archives).
//!
//! - the summary names every container with a critical finding within the
//!   report's first 30 lines, its root cause beside it;
//! - at 100 columns at most 2 % of the lines are wider (display width);
//! - evidence paths are relative to their input and ids 12 characters;
//! - `--max-evidence` applies; colour only with `--color`, and only ours.

use std::collections::BTreeSet;

use assert_cmd::Command;
use coroner::report::schema::{Report, Severity};
use coroner::report::{render_opts, Format, RenderOptions};
use unicode_width::UnicodeWidthStr;

mod common;
use common::sample;

fn run(paths: &[&str]) -> Report {
    let mut c = coroner::Config::new(paths.iter().map(|p| sample(p)).collect());
    c.threads = 2;
    coroner::run(&c)
}

fn text(r: &Report, width: usize) -> String {
    render_opts(
        r,
        Format::Text,
        &RenderOptions {
            width,
            ..RenderOptions::default()
        },
    )
}

fn critical_containers(r: &Report) -> BTreeSet<String> {
    r.findings
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .filter_map(|f| f.container.as_ref())
        .map(|c| c.unescaped().to_string())
        .collect()
}

/// Share of lines wider than `w` columns.
fn wide_share(t: &str, w: usize) -> (usize, usize) {
    let lines: Vec<&str> = t.lines().collect();
    (lines.iter().filter(|l| l.width() > w).count(), lines.len())
}

fn check_triage(name: &str, r: &Report) {
    let t = text(r, 100);
    let crit = critical_containers(r);
    assert!(!crit.is_empty(), "{name}: the sample has critical findings");
    let head: Vec<&str> = t.lines().take(30).collect();
    for c in &crit {
        let line = head.iter().find(|l| {
            l.starts_with("CRITICAL ") && l.split_whitespace().nth(1) == Some(c.as_str())
        });
        let line = line.unwrap_or_else(|| {
            panic!(
                "{name}: {c} not in the first 30 lines:\n{}",
                head.join("\n")
            )
        });
        // Its root cause is the rule of one of its critical findings.
        let cause = line.split_whitespace().nth(2).unwrap();
        assert!(
            r.findings.iter().any(|f| f.severity == Severity::Critical
                && f.container.as_ref().map(|x| x.unescaped()) == Some(c.as_str())
                && f.rule.as_str() == cause),
            "{name}: {line}"
        );
        assert!(line.contains(" → "), "{name}: a fix on the line: {line}");
    }
    let (wide, total) = wide_share(&t, 100);
    assert!(
        wide * 50 <= total,
        "{name}: {wide} of {total} lines wider than 100 columns"
    );
}

#[test]
fn bundle_summary_first_and_fits_100_columns() {
    let r = run(&["bundle"]);
    check_triage("bundle", &r);
    let t = text(&r, 100);
    // Evidence is relative to the bundle directory, ids shortened.
    assert!(t.contains("Paths are relative to "), "{}", &t[..400]);
    assert!(t.contains("      containers/pchatty/3fc81dee3c0b-json.log:4  "));
    assert!(!t.contains("3fc81dee3c0b581ff1d316dfa6ba90291b2b7caa899da6efcd69654fad9348e1"));
}

#[test]
fn real_sos_summary_first_and_fits_100_columns() {
    let r = run(&["real-sos"]);
    check_triage("real-sos", &r);
    let t = text(&r, 100);
    // Relative to the archive and the sosreport's top directory.
    let root = t.lines().take(4).collect::<Vec<_>>().join(" ");
    assert!(
        root.contains("sosreport-prodweb01.tar.xz!/sosreport-vm-prodweb01-"),
        "{root}"
    );
    let evidence: Vec<&str> = t
        .lines()
        .filter(|l| l.starts_with("      sos_commands/"))
        .collect();
    assert!(evidence.len() >= 20, "{}", evidence.len());
    assert!(!t
        .lines()
        .any(|l| l.starts_with("      ") && l.contains("tar.xz!/")));
    // No 64-hex id survives in the evidence.
    let hex64 = regex::Regex::new("[0-9a-f]{64}").unwrap();
    for l in &evidence {
        assert!(!hex64.is_match(l), "{l}");
    }
}

#[test]
fn a_bigger_combined_input_still_puts_every_critical_container_first() {
    let r = run(&[
        "bundle",
        "real-sos",
        "sos",
        "real-data-root",
        "images/pweb-and-api.tar.gz",
        "images/pbloated_1.0.tar.gz",
    ]);
    assert!(r.containers.len() >= 40, "{}", r.containers.len());
    assert!(!r.images.is_empty());
    check_triage("combined", &r);
    // Narrow terminals too.
    let t = text(&r, 60);
    let (wide, total) = wide_share(&t, 60);
    assert!(wide * 50 <= total, "{wide} of {total} lines wider than 60");
}

#[test]
fn max_evidence_applies_to_text() {
    let r = run(&["bundle"]);
    let count = |t: &str| {
        t.lines()
            .filter(|l| l.starts_with("      containers/"))
            .count()
    };
    let full = text(&r, 100);
    let one = render_opts(
        &r,
        Format::Text,
        &RenderOptions {
            max_evidence: 1,
            ..RenderOptions::default()
        },
    );
    assert!(
        count(&one) < count(&full),
        "{} vs {}",
        count(&one),
        count(&full)
    );
    assert!(one.contains("more evidence line(s): --max-evidence"));
    let pflapper = one
        .split("[CRITICAL] pflapper (crash-loop)")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap();
    assert_eq!(
        pflapper.matches("inspect.json:").count()
            + pflapper.matches("-json.log:").count()
            + pflapper.matches(".jsonl:").count(),
        1,
        "{pflapper}"
    );
}

#[test]
fn verbose_asks_the_seven_questions_per_container() {
    let r = run(&["bundle"]);
    let short = text(&r, 100);
    let full = render_opts(
        &r,
        Format::Text,
        &RenderOptions {
            verbose: true,
            ..RenderOptions::default()
        },
    );
    assert!(!short.contains("1. running?"));
    assert_eq!(full.matches("  1. running?").count(), r.containers.len());
    assert_eq!(full.matches("  7. process?").count(), r.containers.len());
    // One line per container otherwise.
    let section = short
        .split("CONTAINERS")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap();
    assert_eq!(section.lines().count(), 1 + r.containers.len(), "{section}");
    // A running container shows no exit code.
    let papi = section.lines().find(|l| l.contains(" papi ")).unwrap();
    assert!(papi.contains("running") && !papi.contains("exit"), "{papi}");
}

#[test]
fn colour_is_ours_only() {
    let r = run(&["bundle"]);
    let plain = text(&r, 100);
    assert!(!plain.contains('\x1b'));
    let painted = render_opts(
        &r,
        Format::Text,
        &RenderOptions {
            color: true,
            ..RenderOptions::default()
        },
    );
    assert!(painted.contains("\x1b[1;31mCRITICAL"));
    let ours = regex::Regex::new(r"\x1b\[(1;31|33|36|1|2|0)m").unwrap();
    assert!(!ours.replace_all(&painted, "").contains('\x1b'));
    // Same layout: removing the codes gives the plain report.
    assert_eq!(ours.replace_all(&painted, ""), plain);
}

fn coroner() -> Command {
    Command::cargo_bin("coroner").expect("binary builds")
}

#[test]
fn cli_honours_columns_color_and_no_color() {
    let out = coroner()
        .args(["report", sample("bundle").to_str().unwrap()])
        .env("COLUMNS", "72")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let t = String::from_utf8(out.stdout).unwrap();
    let (wide, total) = wide_share(&t, 72);
    assert!(wide * 50 <= total, "{wide} of {total} wider than 72");
    assert!(!t.contains('\x1b'), "not a terminal: no colour");
    let out = coroner()
        .args([
            "report",
            sample("bundle").to_str().unwrap(),
            "--color",
            "always",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("\x1b[1;31mCRITICAL"));
    let out = coroner()
        .args([
            "report",
            sample("bundle").to_str().unwrap(),
            "--color",
            "auto",
            "-v",
        ])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let t = String::from_utf8(out.stdout).unwrap();
    assert!(!t.contains('\x1b'));
    assert!(t.contains("  1. running?"));
}
