//! One root cause per container and hedged claims (issue #12), on real
//! artifacts: the corpus bundle (samples/bundle), the sosreport-shaped
//! capture (samples/sos), the real `sos` tarball (samples/real-sos) and real
//! `docker inspect` output people published (samples/inspect).

use std::sync::OnceLock;

use coroner::report::schema::{Confidence, Finding, Report, RuleId, TimelineKind};
use coroner::{run, Config};

mod common;

fn bundle() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| run(&Config::new(vec![common::sample("bundle")])))
}

fn report_of(p: &str) -> Report {
    run(&Config::new(vec![common::sample(p)]))
}

fn of<'r>(r: &'r Report, container: &str) -> Vec<&'r Finding> {
    r.findings
        .iter()
        .filter(|f| f.container.as_ref().map(|c| c.unescaped()) == Some(container))
        .collect()
}

fn find<'r>(r: &'r Report, container: &str, rule: &str) -> &'r Finding {
    of(r, container)
        .into_iter()
        .find(|f| f.rule == rule)
        .unwrap_or_else(|| panic!("{container}: no {rule} in {:?}", rules(r, container)))
}

fn rules<'r>(r: &'r Report, container: &str) -> Vec<&'r str> {
    of(r, container).iter().map(|f| f.rule.as_str()).collect()
}

/// The acceptance check of issue #12: within a container, no finding
/// repeats a line that a worse finding, or its primary, already cites.
fn no_repeated_evidence(r: &Report, what: &str) -> usize {
    let mut pairs = 0;
    for worse in &r.findings {
        let Some(c) = worse.container.as_ref() else {
            continue;
        };
        for f in of(r, c.unescaped()) {
            let linked = f.caused_by == Some(worse.rule) && f.rule != worse.rule;
            if worse.severity >= f.severity && !linked {
                continue;
            }
            pairs += 1;
            for e in &f.evidence {
                assert!(
                    !worse.evidence.iter().any(|x| x.excerpt == e.excerpt),
                    "{what}: {} {} repeats {:?} of {} {}",
                    c.unescaped(),
                    f.rule,
                    e.excerpt.unescaped(),
                    worse.rule,
                    worse.severity.as_str()
                );
            }
        }
    }
    pairs
}

#[test]
fn no_lower_severity_finding_repeats_the_evidence_of_a_higher_one() {
    // Before issue #12, `log-errors` repeated critical evidence in 7
    // containers of the corpus.
    // The pairs checked (a finding and a worse one, or its primary), so
    // that the check cannot pass by checking nothing.
    for (what, r, min) in [
        ("bundle", bundle().clone(), 5),
        ("sos", report_of("sos/sosreport-qhost-2026.tar.zst"), 2),
        (
            "real-sos",
            report_of("real-sos/sosreport-prodweb01.tar.xz"),
            5,
        ),
    ] {
        let n = no_repeated_evidence(&r, what);
        assert!(n >= min, "{what}: only {n} pairs checked");
    }
}

#[test]
fn a_crash_loop_has_one_primary_its_crash() {
    let r = bundle();
    // pworker fails for one reason: `FATAL: QUEUE_URL is not set`.
    let sig = find(r, "pworker", "crash-signature");
    let lp = find(r, "pworker", "crash-loop");
    assert_eq!(sig.caused_by, None);
    assert_eq!(lp.caused_by, Some(RuleId::CrashSignature));
    assert!(sig
        .evidence
        .iter()
        .any(|e| e.excerpt.unescaped().contains("QUEUE_URL")));
    assert!(
        !lp.evidence
            .iter()
            .any(|e| e.excerpt.unescaped().contains("QUEUE_URL")),
        "the crash loop does not repeat the crash line"
    );
    assert!(
        !rules(r, "pworker").contains(&"log-errors"),
        "its only error pattern is the crash itself: {:?}",
        rules(r, "pworker")
    );
    let mine = of(r, "pworker");
    assert_eq!(
        mine[0].rule,
        RuleId::CrashSignature,
        "the primary comes first"
    );
    assert_eq!(mine.iter().filter(|f| f.caused_by.is_none()).count(), 1);

    // The same on the sosreport capture: qtrace's traceback drives its loop.
    let sos = report_of("sos/sosreport-qhost-2026.tar.zst");
    assert_eq!(
        find(&sos, "qtrace", "crash-loop").caused_by,
        Some(RuleId::CrashSignature)
    );
}

#[test]
fn a_dns_failure_behind_a_crash_loop_is_its_root_and_as_severe() {
    let r = bundle();
    let dns = find(r, "pflapper", "dns-failure");
    let lp = find(r, "pflapper", "crash-loop");
    assert_eq!(dns.caused_by, None);
    assert_eq!(lp.caused_by, Some(RuleId::DnsFailure));
    assert_eq!(
        dns.severity, lp.severity,
        "a root cause is as bad as its crash loop"
    );
    assert_eq!(of(r, "pflapper")[0].rule, RuleId::DnsFailure);
}

#[test]
fn a_crash_loop_under_a_changed_restart_policy_names_the_update() {
    // pflapper was restarted 7 times, then `docker update --restart no`.
    let r = bundle();
    let lp = find(r, "pflapper", "crash-loop");
    let x = lp.explanation.unescaped();
    assert!(x.contains("`docker update`"), "{x}");
    assert!(x.contains("restart policy is `no` now"), "{x}");
    assert!(
        !x.contains("(restart policy `no`)"),
        "no contradiction: {x}"
    );
    assert!(lp
        .evidence
        .iter()
        .any(|e| e.excerpt.unescaped().contains("\"Action\":\"update\"")));
    assert_eq!(
        lp.confidence,
        Confidence::Confirmed,
        "RestartCount and the die events agree"
    );
    assert!(r
        .timeline
        .iter()
        .any(|e| e.kind == TimelineKind::ConfigChanged
            && e.container.as_ref().map(|c| c.unescaped()) == Some("pflapper")));
}

#[test]
fn starts_and_exits_appear_once_with_every_source() {
    let r = bundle();
    for e in &r.timeline {
        if !matches!(e.kind, TimelineKind::Started | TimelineKind::Exited) {
            continue;
        }
        // Two records of one kind and container within a second come from
        // one artifact (restarts), never from two.
        for o in &r.timeline {
            if std::ptr::eq(e, o) || o.kind != e.kind || o.container != e.container {
                continue;
            }
            let dt = (o.time.0 - e.time.0).abs();
            if dt <= 1_000_000_000 {
                assert!(
                    e.sources
                        .iter()
                        .any(|s| o.sources.iter().any(|x| x.source == s.source)),
                    "two artifacts' records of one happening left apart: {e:?} and {o:?}"
                );
            }
        }
    }
    for name in ["pindexer", "pworker", "pstubborn", "psegv"] {
        let exits: Vec<_> = r
            .timeline
            .iter()
            .filter(|e| {
                e.kind == TimelineKind::Exited
                    && e.container.as_ref().map(|c| c.unescaped()) == Some(name)
            })
            .collect();
        let last = exits.last().unwrap_or_else(|| panic!("{name}: no exit"));
        let srcs: Vec<&str> = last.sources.iter().map(|s| s.source.unescaped()).collect();
        assert!(
            srcs.iter().any(|s| s.ends_with("inspect.json"))
                && srcs.iter().any(|s| s.ends_with("docker-events.jsonl")),
            "{name}: the last exit lists inspect and events: {srcs:?}"
        );
        assert_eq!(
            last.source, last.sources[0].source,
            "the lead record is `source`"
        );
        let starts = r
            .timeline
            .iter()
            .filter(|e| {
                e.kind == TimelineKind::Started
                    && e.container.as_ref().map(|c| c.unescaped()) == Some(name)
            })
            .filter(|e| e.sources.len() >= 2)
            .count();
        assert_eq!(
            starts, 1,
            "{name}: inspect's StartedAt merges with one start event"
        );
    }
    // pworker restarted 4 times: 5 runs, so 5 exits, not 6.
    let pworker_exits = r
        .timeline
        .iter()
        .filter(|e| {
            e.kind == TimelineKind::Exited
                && e.container.as_ref().map(|c| c.unescaped()) == Some("pworker")
        })
        .count();
    assert_eq!(pworker_exits, 5);
}

#[test]
fn exit_137_without_evidence_is_hedged() {
    // A real `docker inspect` from docker/cli#2665: exit 137, OOMKilled
    // false, no events, no kernel log.
    let r = report_of("inspect/docker-cli-2665_state_exit137_OOMKilled-false.json");
    let f = &r.findings[0];
    assert_eq!(f.rule, RuleId::StopTimeoutKill);
    assert!(matches!(
        f.confidence,
        Confidence::Possible | Confidence::Likely
    ));
    let x = f.explanation.unescaped();
    assert!(
        x.contains("SIGKILL from outside: the docker stop timeout, docker kill, or an OOM kill that was not recorded. Collect `docker events` and the kernel log to tell which."),
        "{x}"
    );
    assert!(
        !x.contains("did not exit on SIGTERM"),
        "not stated as fact: {x}"
    );

    // The sosreport capture holds no docker events: qfine was stopped with
    // `docker stop -t 1`, which only events could show.
    let sos = report_of("sos/sosreport-qhost-2026.tar.zst");
    let q = find(&sos, "qfine", "stop-timeout-kill");
    assert_eq!(q.confidence, Confidence::Possible);
    assert!(q.explanation.unescaped().contains("SIGKILL from outside"));

    // With Docker's events, the same exit is confirmed: pstubborn ignored
    // SIGTERM and `docker stop` escalated.
    let s = find(bundle(), "pstubborn", "stop-timeout-kill");
    assert_eq!(s.confidence, Confidence::Confirmed);
    assert!(s
        .explanation
        .unescaped()
        .contains("SIGTERM (15) was sent first"));
}

#[test]
fn state_error_is_explained_as_a_runtime_failure() {
    // moby/moby#29800: exit 137 with `"Error": "transport is closing"`.
    let r = report_of(
        "inspect/moby-29800_container-inspect_head_exit137_Error-transport-closing_TRUNCATED.txt",
    );
    let name = r.containers[0].name.unescaped().to_string();
    let rt = find(&r, &name, "runtime-error");
    assert!(rt.caused_by.is_none());
    let x = rt.explanation.unescaped();
    assert!(
        x.contains("transport is closing") && x.contains("containerd"),
        "{x}"
    );
    assert!(
        x.contains("distinct from the application's own exit"),
        "{x}"
    );
    assert!(rt
        .evidence
        .iter()
        .any(|e| e.excerpt.unescaped() == "\"Error\": \"transport is closing\""));
    let kill = find(&r, &name, "stop-timeout-kill");
    assert_eq!(kill.caused_by, Some(RuleId::RuntimeError));
    for f in &r.findings {
        assert!(
            !f.suggestion.unescaped().contains("SIGTERM"),
            "no SIGTERM advice for a runtime failure: {} {}",
            f.rule,
            f.suggestion.unescaped()
        );
    }
    // A runtime error naming a missing executable is told once, by
    // command-not-found, which cites State.Error.
    let ptypo = find(bundle(), "ptypo", "command-not-found");
    assert!(ptypo.evidence.iter().any(|e| e
        .excerpt
        .unescaped()
        .starts_with("\"Error\": \"failed to create shim task")));
    assert!(!rules(bundle(), "ptypo").contains(&"runtime-error"));
}

#[test]
fn every_finding_has_a_confidence_and_says_what_backs_it() {
    let r = bundle();
    let oom = find(r, "pindexer", "oom-killed");
    assert_eq!(oom.confidence, Confidence::Confirmed);
    let x = oom.explanation.unescaped();
    assert!(
        x.contains("inspect's OOMKilled") && x.contains("the kernel's OOM kill"),
        "{x}"
    );
    let json = coroner::report::render(r, coroner::report::Format::Json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for f in v["findings"].as_array().unwrap() {
        let c = f["confidence"].as_str().unwrap();
        assert!(["confirmed", "likely", "possible"].contains(&c), "{c}");
        assert!(f.get("caused_by").is_some(), "caused_by is always written");
    }
    let text = coroner::report::render(r, coroner::report::Format::Text);
    assert!(text.contains("confidence: confirmed; follows from crash-signature"));
    let md = coroner::report::render(r, coroner::report::Format::Markdown);
    assert!(md.contains("confidence: confirmed; follows from crash-signature"));
    let html = coroner::report::render(r, coroner::report::Format::Html);
    assert!(html.contains("confidence: confirmed; follows from crash-signature"));
}
