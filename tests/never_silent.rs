//! Issue #11, "never silent": logs, events and kernel reports of containers
//! no inspect describes get container records of their own (named by the id
//! in their path or content, else by the file name; `matched_by` says how)
//! and every rule that can run on them runs. Real content from
//! `samples/bundle` and `samples/kernel`, copied into temp dirs.

use std::fs;

use coroner::report::schema::Report;

mod common;

fn run(paths: Vec<std::path::PathBuf>) -> Report {
    let mut config = coroner::Config::new(paths);
    config.threads = 2;
    coroner::run(&config)
}

fn rules(r: &Report) -> Vec<(String, Option<String>)> {
    r.findings
        .iter()
        .map(|f| {
            (
                f.rule.as_str().to_string(),
                f.container.as_ref().map(|c| c.unescaped().to_string()),
            )
        })
        .collect()
}

#[test]
fn a_renamed_json_file_log_without_inspect_gives_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let log = common::sample(
        "bundle/containers/pworker/28addf748080e3d7f0a5af4eb4d11fb9874f90b9d7f10f682e885e7eb9324015-json.log",
    );
    let renamed = dir.path().join("worker-app.log");
    fs::copy(&log, &renamed).unwrap();
    let r = run(vec![renamed.clone()]);
    assert_eq!(r.containers.len(), 1);
    let c = &r.containers[0];
    assert_eq!(c.name.unescaped(), "worker-app");
    assert_eq!(c.matched_by.as_deref(), Some("file-name"));
    assert_eq!(c.status.unescaped(), "unknown");
    let f = r
        .findings
        .iter()
        .find(|f| f.rule.as_str() == "crash-signature")
        .expect("crash-signature");
    assert!(
        f.title.unescaped().contains("FATAL: QUEUE_URL is not set"),
        "{}",
        f.title.unescaped()
    );
    // No inspect: the exit code is unknown, never "exit code 0".
    let why = f.explanation.unescaped();
    assert!(!why.contains("exit code 0"), "{why}");
    assert!(why.contains("no exit code"), "{why}");
    assert_eq!(f.confidence.as_str(), "likely");
    assert!(r.no_findings.is_none());
    let text = coroner::report::render(&r, coroner::report::Format::Text);
    assert!(
        !text.contains("nothing in the inputs points at a failure"),
        "{text}"
    );
}

#[test]
fn four_rotated_id_named_logs_without_inspect_are_one_container() {
    let dir = tempfile::tempdir().unwrap();
    let id = "3fc81dee3c0b581ff1d316dfa6ba90291b2b7caa899da6efcd69654fad9348e1";
    for suffix in ["", ".1.gz", ".2.gz", ".3.gz"] {
        let name = format!("{id}-json.log{suffix}");
        fs::copy(
            common::sample(&format!("bundle/containers/pchatty/{name}")),
            dir.path().join(&name),
        )
        .unwrap();
    }
    let r = run(vec![dir.path().to_path_buf()]);
    assert_eq!(r.containers.len(), 1, "{:?}", r.containers);
    let c = &r.containers[0];
    assert_eq!(c.id.unescaped(), id);
    assert_eq!(c.name.unescaped(), &id[..12]);
    assert_eq!(c.matched_by.as_deref(), Some("log-path-id"));
    let logs = c.logs.as_ref().expect("logs");
    assert_eq!(logs.files, 4);
    // The same count as with its inspect beside it (tests/corpus.rs).
    let with_inspect = run(vec![common::sample("bundle/containers/pchatty")]);
    let same = with_inspect.containers[0].logs.as_ref().unwrap();
    assert_eq!(logs.lines, same.lines);
    let fired: Vec<String> = rules(&r).into_iter().map(|(r, _)| r).collect();
    assert!(fired.contains(&"crash-signature".to_string()), "{fired:?}");
}

#[test]
fn docker_events_without_inspect_give_containers_and_a_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("docker-events.jsonl");
    fs::copy(common::sample("bundle/host/docker-events.jsonl"), &ev).unwrap();
    let r = run(vec![ev]);
    assert!(!r.timeline.is_empty());
    let by = |n: &str| {
        r.containers
            .iter()
            .find(|c| c.name.unescaped() == n)
            .unwrap_or_else(|| panic!("{n} missing"))
    };
    let idx = by("pindexer");
    assert_eq!(idx.matched_by.as_deref(), Some("events"));
    assert_eq!(idx.status.unescaped(), "exited");
    assert_eq!(idx.exit_code, Some(137));
    assert!(idx.oom_killed);
    assert_eq!(by("psegv").exit_code, Some(139));
    assert_eq!(by("pweb").status.unescaped(), "running");
    let fired = rules(&r);
    for (rule, c) in [
        ("oom-killed", "pindexer"),
        ("segfault", "psegv"),
        ("sigterm-exit", "pgraceful"),
    ] {
        assert!(
            fired.contains(&(rule.to_string(), Some(c.to_string()))),
            "{rule} {c}: {fired:?}"
        );
    }
}

#[test]
fn an_oom_report_cut_before_its_kill_line_names_the_container() {
    // samples/bundle's dmesg, lines 119-210: the header through the task
    // table of the first OOM, stopping before `oom-kill:` and `Killed process`.
    let dmesg = fs::read_to_string(common::sample("bundle/host/dmesg.txt")).unwrap();
    let cut: Vec<&str> = dmesg.lines().skip(118).take(92).collect();
    assert!(cut[0].contains("invoked oom-killer"));
    assert!(!cut
        .iter()
        .any(|l| l.contains("Killed process") || l.contains("oom-kill:")));
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("pasted-oom.txt");
    fs::write(&f, cut.join("\n") + "\n").unwrap();
    let r = run(vec![f]);
    assert_eq!(r.kernel.oom_kills.len(), 1);
    let k = &r.kernel.oom_kills[0];
    assert!(k.kill_line_missing);
    assert_eq!(k.process.unescaped(), "dd");
    assert_eq!(k.pid, 18778);
    let id = "85a48e138c0e93f28340a6ed94dfb35822f95f8c8abdb06b080007e38efc1106";
    assert_eq!(
        k.cgroup.as_ref().map(|c| c.unescaped()),
        Some(format!("/docker/{id}").as_str())
    );
    assert_eq!(r.containers.len(), 1);
    assert_eq!(r.containers[0].id.unescaped(), id);
    assert_eq!(r.containers[0].matched_by.as_deref(), Some("kernel-cgroup"));
    let f = r
        .findings
        .iter()
        .find(|f| f.rule.as_str() == "oom-child-killed")
        .expect("an OOM finding");
    assert!(
        f.explanation.unescaped().contains("kill line missing"),
        "{}",
        f.explanation.unescaped()
    );
}

#[test]
fn the_summary_says_what_was_not_read() {
    let dir = tempfile::tempdir().unwrap();
    // An inspect document cut short: what came before the cut is read, the
    // rest is not, and the summary must say so.
    fs::write(
        dir.path().join("inspect.json"),
        b"[{\"Id\": \"abc\", \"State\": {\"Status\"",
    )
    .unwrap();
    let r = run(vec![dir.path().join("inspect.json")]);
    assert!(r.findings.is_empty());
    let s = r.no_findings.as_deref().expect("a summary");
    assert!(
        !s.contains("nothing in the inputs points at a failure"),
        "{s}"
    );
    assert!(s.contains("could not be read"), "{s}");
    let text = coroner::report::render(&r, coroner::report::Format::Text);
    assert!(text.contains(s), "{text}");
    // The summary above the findings says so too, in every format.
    for format in [
        coroner::report::Format::Text,
        coroner::report::Format::Markdown,
        coroner::report::Format::Html,
    ] {
        let out = coroner::report::render(&r, format);
        assert!(
            !out.contains("nothing in the inputs points at a failure"),
            "{out}"
        );
    }
    // All read and nothing wrong: the plain sentence.
    let ok = run(vec![common::sample("bundle/containers/pweb/inspect.json")]);
    if ok.findings.is_empty() {
        assert_eq!(
            ok.no_findings.as_deref(),
            Some("nothing in the inputs points at a failure.")
        );
    }
}

#[test]
fn node_problem_detector_kernel_logs_are_read_and_explained() {
    for (file, rule, words) in [
        (
            "kernel/npd-docker_hung.txt",
            "kernel-hung-task",
            "`docker` (pid 20744) blocked for more than 120 seconds",
        ),
        (
            "kernel/npd-null_pointer.txt",
            "kernel-error",
            "Oops in `ksoftirqd/11` (pid 63)",
        ),
        (
            "kernel/npd-divide_zero.txt",
            "kernel-error",
            "Oops in `docker` (pid 1853)",
        ),
        (
            "kernel/npd-readonly_filesystem.txt",
            "kernel-error",
            "sda1 remounted read-only",
        ),
    ] {
        let r = run(vec![common::sample(file)]);
        assert_eq!(r.inputs[0].kind, "dmesg", "{file}");
        let f = r
            .findings
            .iter()
            .find(|f| f.rule.as_str() == rule)
            .unwrap_or_else(|| panic!("{file}: no {rule}: {:?}", rules(&r)));
        assert!(
            f.title.unescaped().contains(words),
            "{file}: {}",
            f.title.unescaped()
        );
        assert_eq!(f.evidence[0].line, Some(1), "{file}");
    }
}
