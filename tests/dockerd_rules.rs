//! The seed's remaining failure patterns on artifacts captured from a real
//! dockerd (samples/dockerd, `scripts/capture-dockerd.sh`; Docker Engine
//! 20.10.24 on x86_64), and dockerd's journal in journalctl's short,
//! short-iso and short-precise renderings. Counts were read off the files
//! with `wc -l`/`grep -c`. Guards issue #12 (part 4) and issue #11 (items 4,
//! 5 and 6).

use std::sync::OnceLock;

use coroner::ingest::journal::DaemonKind;
use coroner::ingest::{ingest, Parsed};
use coroner::model::{Limits, Severity};
use coroner::report::schema::{Finding, Report};
use coroner::{run, Config};

mod common;

fn report() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| run(&Config::new(vec![common::sample("dockerd")])))
}

fn finding(name: &str, rule: &str) -> &'static Finding {
    report()
        .findings
        .iter()
        .find(|f| {
            f.rule.as_str() == rule && f.container.as_ref().map(|c| c.unescaped()) == Some(name)
        })
        .unwrap_or_else(|| {
            panic!(
                "{name} has no {rule}; it has {:?}",
                common::rules_of(report(), name)
            )
        })
}

fn cites(f: &Finding, needle: &str) -> bool {
    f.evidence
        .iter()
        .any(|e| e.excerpt.unescaped().contains(needle) || e.source.unescaped().contains(needle))
}

#[test]
fn habort_gets_pid1_ignores_signal_not_exited_immediately() {
    let f = finding("habort", "pid1-ignores-signal");
    assert_eq!(f.severity.as_str(), "warning");
    assert!(
        f.title.unescaped().contains("SIGABRT"),
        "{}",
        f.title.unescaped()
    );
    assert!(f.suggestion.unescaped().contains("--init"));
    assert!(f.suggestion.unescaped().contains("exec"));
    assert!(cites(f, "kill -ABRT $$"));
    assert!(
        cites(f, "still here after SIGABRT"),
        "the log line after the signal"
    );
    let rules = common::rules_of(report(), "habort");
    assert!(!rules.contains(&"exited-immediately"), "{rules:?}");
}

#[test]
fn hjvm_gets_heap_exceeds_limit_beside_oom_killed() {
    let rules = common::rules_of(report(), "hjvm");
    assert!(rules.contains(&"oom-killed"), "{rules:?}");
    let f = finding("hjvm", "heap-exceeds-limit");
    let t = f.title.unescaped();
    assert!(t.contains("512 MiB") && t.contains("56 MiB"), "{t}");
    assert!(cites(f, "JAVA_OPTS=-Xmx512m"));
    // The limit's line is cited once, by the worse finding it explains with.
    assert!(
        cites(f, "\"Memory\": 58720256")
            || cites(finding("hjvm", "oom-killed"), "\"Memory\": 58720256")
    );
    assert!(f.explanation.unescaped().contains("OOM-killed"));
}

#[test]
fn hchatty_gets_logs_rotated_out_with_a_lower_bound() {
    // 195 + 213 + 213 lines survive in the live file, .1 and .2 of a
    // 12,000-line run; the oldest kept record is item 11380.
    let c = common::container(report(), "hchatty");
    assert_eq!(c.logs.as_ref().map(|l| l.lines), Some(621));
    let f = finding("hchatty", "logs-rotated-out");
    assert_eq!(f.severity.as_str(), "info");
    let e = f.explanation.unescaped();
    assert!(e.contains("lower bound"), "{e}");
    assert!(
        e.contains("max-file=3") && e.contains("max-size=30k"),
        "{e}"
    );
    assert!(
        cites(f, "2026-12-01T22:18:58.682379324Z"),
        "the oldest surviving record"
    );
    assert!(cites(f, "-json.log.2"));
}

#[test]
fn a_log_without_rotation_is_not_rotated_out() {
    for name in ["habort", "hjvm", "harm", "hmem", "hidle"] {
        assert!(
            !common::rules_of(report(), name).contains(&"logs-rotated-out"),
            "{name}"
        );
    }
}

#[test]
fn hport2_gets_port_conflict_naming_the_holder() {
    let f = finding("hport2", "port-conflict");
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.title.unescaped().contains("0.0.0.0:18080"));
    assert!(f.explanation.unescaped().contains("`hport1`"));
    assert!(cites(f, "port is already allocated"));
    assert!(
        cites(f, "journalctl-u-docker"),
        "dockerd's own line is cited"
    );
    let rules = common::rules_of(report(), "hport2");
    assert!(!rules.contains(&"app-error-exit"), "{rules:?}");
    assert!(!common::rules_of(report(), "hport1").contains(&"port-conflict"));
}

#[test]
fn harm_gets_wrong_architecture_from_image_inspect_and_docker_info() {
    let f = finding("harm", "wrong-architecture");
    assert_eq!(f.severity, Severity::Critical);
    let e = f.explanation.unescaped();
    assert!(e.contains("arm64/v8") && e.contains("x86_64"), "{e}");
    assert!(cites(f, "exec format error"));
    assert!(cites(f, "image-inspect.json"));
    let rules = common::rules_of(report(), "harm");
    assert!(!rules.contains(&"app-error-exit"), "{rules:?}");
    assert!(!rules.contains(&"command-not-found"), "{rules:?}");
    for name in ["habort", "hjvm", "hmem"] {
        assert!(!common::rules_of(report(), name).contains(&"wrong-architecture"));
    }
}

#[test]
fn missing_probe_tools_give_health_probe_broken() {
    // exec form: the runtime's `executable file not found` (exit -1);
    // shell form: `/bin/sh: curl: not found` (exit 127).
    // The loaded capture machine also made two of hprobe's five kept probes
    // time out (`Health check exceeded timeout (1s)`): those are not counted.
    for (name, of) in [("hprobe", "3 of the 5"), ("hprobe2", "5 of the 5")] {
        let f = finding(name, "health-probe-broken");
        assert!(
            f.title.unescaped().contains("`curl`"),
            "{}",
            f.title.unescaped()
        );
        let e = f.explanation.unescaped();
        assert!(e.starts_with(of), "{e}");
        assert!(common::rules_of(report(), name).contains(&"unhealthy"));
    }
    // dockerd's line is cited once: by `unhealthy` (critical) when it has it.
    assert!(
        cites(
            finding("hprobe", "health-probe-broken"),
            "Health check for container"
        ) || cites(finding("hprobe", "unhealthy"), "Health check for container")
    );
    assert!(
        cites(finding("hprobe2", "health-probe-broken"), "exit 127")
            || cites(finding("hprobe2", "unhealthy"), "exit 127")
    );
}

#[test]
fn hshell_gets_pid1_ignores_signal_for_the_sigterm_its_shell_dropped() {
    // `sh -c 'echo serving; httpd …'`: no exec, no trap; `docker stop -t 2`.
    let f = finding("hshell", "pid1-ignores-signal");
    assert!(
        f.title.unescaped().contains("did not act on SIGTERM"),
        "{}",
        f.title.unescaped()
    );
    assert!(cites(f, "signal=15"), "the kill event with SIGTERM");
    assert!(cites(f, "using the force"), "dockerd's forced stop");
    assert!(f.suggestion.unescaped().contains("exec"));
    assert!(common::rules_of(report(), "hshell").contains(&"stop-timeout-kill"));
    // httpd itself as PID 1 is not a shell: only stop-timeout-kill.
    assert!(!common::rules_of(report(), "hport1").contains(&"pid1-ignores-signal"));
}

#[test]
fn docker_stats_gives_memory_near_limit_only_at_90_percent() {
    let f = finding("hmem", "memory-near-limit");
    assert!(
        f.title.unescaped().contains("91.8 %"),
        "{}",
        f.title.unescaped()
    );
    assert!(cites(f, "29.38MiB / 32MiB"));
    assert!(cites(f, "docker-stats--no-stream.txt"));
    assert!(!common::rules_of(report(), "hidle").contains(&"memory-near-limit"));
}

#[test]
fn dockerd_journal_gives_one_pull_failure_and_confirms_the_forced_stop() {
    let pulls: Vec<&Finding> = report()
        .findings
        .iter()
        .filter(|f| f.rule.as_str() == "image-pull-failure")
        .collect();
    assert_eq!(pulls.len(), 1, "one failed pull, seen in three renderings");
    assert!(pulls[0].title.unescaped().contains("1 failed image pull"));
    assert!(pulls[0].explanation.unescaped().contains("localhost:5999"));
    let f = finding("hport1", "stop-timeout-kill");
    assert!(cites(f, "using the force"));
    assert!(f.explanation.unescaped().contains("within 2 s of SIGTERM"));
}

#[test]
fn journal_renderings_are_read_by_content() {
    let ing = ingest(&[common::sample("dockerd")], &Limits::default());
    let mut seen = Vec::new();
    for p in &ing.items {
        if let Parsed::Journal(j) = p {
            let forced: Vec<_> = j
                .lines
                .iter()
                .filter(|l| l.kind == DaemonKind::ForcedStop)
                .collect();
            // `docker stop -t 2 hport1 hshell`: httpd and sh as PID 1 both ignore SIGTERM.
            assert_eq!(forced.len(), 2, "{}", j.path);
            assert_eq!(forced[0].stop_secs, Some(2));
            assert_eq!(
                forced[0].container_id.as_deref(),
                Some("302dc9b7218232c4a8c38c58223c46872a63148d29bdb4cbbc507e9e121b5098")
            );
            assert_eq!(
                forced[0].time.map(|t| t.to_string()).as_deref(),
                Some("2026-12-01T22:19:28.086043883Z")
            );
            let health = j
                .lines
                .iter()
                .filter(|l| l.kind == DaemonKind::HealthCheck)
                .count();
            assert!(health >= 10, "{}: {health} health-check errors", j.path);
            seen.push((
                j.path.rsplit('/').next().unwrap_or("").to_string(),
                j.daemon_lines,
            ));
        }
    }
    seen.sort();
    // 170 lines in `short`, minus the `-- Logs begin …` header; the trimmed
    // renderings keep their 58 warning/error/forced-stop lines.
    assert_eq!(
        seen,
        vec![
            ("journalctl-u-docker.short-iso.txt".to_string(), 58),
            ("journalctl-u-docker.short-precise.txt".to_string(), 58),
            ("journalctl-u-docker.short.txt".to_string(), 169),
        ]
    );
    for i in &ing.inputs {
        if i.path.contains("journalctl") {
            assert_eq!(i.kind.as_str(), "journal", "{}", i.path);
        }
    }
}

#[test]
fn the_corpus_bundle_gets_only_the_new_findings_its_ground_truth_supports() {
    // samples/bundle: pchatty's rotation is at max-file=4; nothing else
    // there is a pid1, heap, port, architecture, probe or stats pattern.
    let r = run(&Config::new(vec![common::sample("bundle")]));
    let new = [
        "pid1-ignores-signal",
        "heap-exceeds-limit",
        "logs-rotated-out",
        "port-conflict",
        "wrong-architecture",
        "health-probe-broken",
        "memory-near-limit",
        "image-pull-failure",
    ];
    let got: Vec<(String, &str)> = r
        .findings
        .iter()
        .filter(|f| new.contains(&f.rule.as_str()))
        .map(|f| {
            (
                f.container
                    .as_ref()
                    .map(|c| c.unescaped().to_string())
                    .unwrap_or_default(),
                f.rule.as_str(),
            )
        })
        .collect();
    assert_eq!(got, vec![("pchatty".to_string(), "logs-rotated-out")]);
}

#[test]
fn a_journal_cut_anywhere_reads_what_came_before_the_cut() {
    let data = std::fs::read(common::sample("dockerd/journalctl-u-docker.short-iso.txt")).unwrap();
    let whole = coroner::ingest::journal::parse("j", &data).lines.len();
    let mut last = 0;
    for cut in (0..=data.len()).step_by(11) {
        let j = coroner::ingest::journal::parse("j", &data[..cut]);
        assert!(
            j.lines.len() >= last && j.lines.len() <= whole,
            "cut at {cut}"
        );
        last = j.lines.len();
    }
}

#[test]
fn a_crash_loop_after_docker_update_says_the_policy_changed() {
    // samples/bundle: pflapper ran `--restart always`, restarted 7 times, then
    // `docker update --restart no`; its inspect reads policy `no` (#12).
    let r = run(&Config::new(vec![common::sample("bundle")]));
    let f = r
        .findings
        .iter()
        .find(|f| {
            f.rule.as_str() == "crash-loop"
                && f.container.as_ref().map(|c| c.unescaped()) == Some("pflapper")
        })
        .expect("pflapper crash-loop");
    let e = f.explanation.unescaped();
    assert!(
        e.contains("`docker update` changed the container at 2026-11-29T03:20:17.800188411Z"),
        "{e}"
    );
    assert!(f
        .evidence
        .iter()
        .any(|x| x.excerpt.unescaped().contains("\"Action\":\"update\"")));
    // A crash loop without an update keeps its words.
    assert!(!r.findings.iter().any(|f| f.rule.as_str() == "crash-loop"
        && f.container.as_ref().map(|c| c.unescaped()) == Some("pworker")
        && f.explanation.unescaped().contains("docker update")));
}

#[test]
fn with_init_the_shell_is_not_pid1_and_pid1_ignores_signal_stays_quiet() {
    // The same hshell, as if run with `docker run --init`: docker-init is
    // PID 1 and forwards SIGTERM, so the shell's missing handler is no cause.
    let dir = tempfile::tempdir().unwrap();
    let src = common::sample("dockerd/containers/hshell");
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let p = dir.path().join("inspect.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    v[0]["HostConfig"]["Init"] = true.into();
    std::fs::write(&p, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let events = common::sample("dockerd/docker-events.jsonl");
    let r = run(&Config::new(vec![dir.path().to_path_buf(), events]));
    let rules = common::rules_of(&r, "hshell");
    assert!(!rules.contains(&"pid1-ignores-signal"), "{rules:?}");
    assert!(rules.contains(&"stop-timeout-kill"), "{rules:?}");
}
