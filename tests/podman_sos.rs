//! podman artifacts captured here with Debian's podman 4.3.1 (rootful, runc,
//! cgroupfs under `/libpod_parent`) and a real kernel, two ways (see
//! samples/PROVENANCE.md):
//! - `samples/podman-sos/`: the real `sos report -o podman,kernel` of the
//!   run (sos 4.0's podman plugin: `podman inspect` and `podman logs -t` per
//!   container by 12-hex id, `podman ps -a`, `podman info` text, `podman
//!   images`, `podman network inspect`, …, and `dmesg`), as `.tar.xz`;
//! - `samples/podman-storage/`: the same run's `podman inspect`, `podman
//!   logs -t`, conmon's `ctr.log`, `podman events --format json`, dmesg, and
//!   libpod's storage JSON (`overlay-containers/containers.json`,
//!   `overlay-images/images.json`).
//!
//! Containers: `room` OOM-killed at 48 MiB, `rworker` exit 1 after a FATAL
//! line, `rsegv` a native segfault, `rjournal` journald log driver and exit
//! 2, `rstubborn` stopped with SIGKILL after `podman stop -t 2`, `rweb`
//! unhealthy, `rok` healthy. Guards issue #14 (item 3).

use std::sync::OnceLock;

use coroner::model::{DiagSeverity, Severity};
use coroner::report::schema::Report;
use coroner::{run, Config};

mod common;

fn sos() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| run(&Config::new(vec![common::sample("podman-sos")])))
}

fn storage() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| run(&Config::new(vec![common::sample("podman-storage")])))
}

const ALL: [&str; 7] = [
    "rjournal",
    "rok",
    "room",
    "rsegv",
    "rstubborn",
    "rweb",
    "rworker",
];

fn diagnosed_as_the_run_says(r: &Report) {
    let names: Vec<&str> = r.containers.iter().map(|c| c.name.unescaped()).collect();
    assert_eq!(names, ALL);
    let rules = |n| common::rules_of(r, n);
    assert!(rules("room").contains(&"oom-killed"), "{:?}", rules("room"));
    assert!(
        rules("rworker").contains(&"crash-signature"),
        "{:?}",
        rules("rworker")
    );
    assert!(rules("rsegv").contains(&"segfault"), "{:?}", rules("rsegv"));
    assert!(rules("rweb").contains(&"unhealthy"), "{:?}", rules("rweb"));
    assert!(
        rules("rstubborn").contains(&"stop-timeout-kill"),
        "{:?}",
        rules("rstubborn")
    );
    assert!(!rules("rstubborn").contains(&"oom-killed"));
    assert!(
        rules("rjournal").contains(&"app-error-exit"),
        "{:?}",
        rules("rjournal")
    );
    for n in ALL {
        // Every container's logs are in the inputs (`podman logs -t` reads
        // journald's too): none is without them.
        assert!(
            !rules(n).contains(&"logs-unavailable"),
            "{n}: {:?}",
            rules(n)
        );
        assert!(common::container(r, n).logs.is_some(), "{n} has no logs");
    }
    let ok: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.container.as_ref().map(|c| c.unescaped()) == Some("rok"))
        .filter(|f| f.severity > Severity::Info)
        .map(|f| f.rule.as_str())
        .collect();
    assert!(ok.is_empty(), "rok is a healthy control: {ok:?}");
}

#[test]
fn the_sos_tree_diagnoses_every_container() {
    diagnosed_as_the_run_says(sos());
    let crash = sos()
        .findings
        .iter()
        .find(|f| f.rule.as_str() == "crash-signature")
        .expect("rworker's crash");
    let ev = &crash.evidence[0];
    assert!(
        ev.source
            .unescaped()
            .ends_with("sos_commands/podman/containers/podman_logs_-t_03b278ec4758"),
        "{ev:?}"
    );
    assert_eq!(ev.excerpt.unescaped(), "FATAL: DB_URL is not set");
}

#[test]
fn the_sos_tree_has_few_warnings_and_its_podman_files_are_read() {
    let warnings: Vec<_> = sos()
        .diagnostics
        .iter()
        .filter(|d| matches!(d.severity, DiagSeverity::Warning | DiagSeverity::Error))
        .map(|d| format!("{}: {}", d.path.unescaped(), d.message.unescaped()))
        .collect();
    assert!(warnings.len() <= 5, "{warnings:#?}");
    // `podman network inspect` is read and set aside, not warned about.
    assert!(
        !warnings
            .iter()
            .any(|w| w.contains("podman_network_inspect")),
        "{warnings:#?}"
    );
    let kind_of = |end: &str| {
        sos()
            .inputs
            .iter()
            .find(|i| i.path.unescaped().ends_with(end))
            .map(|i| i.kind.clone())
            .unwrap_or_else(|| panic!("{end} not in the inputs"))
    };
    assert_eq!(kind_of("podman_inspect_827011f09cb0"), "inspect");
    assert_eq!(kind_of("podman_logs_-t_827011f09cb0"), "docker-logs");
    assert_eq!(kind_of("sos_commands/kernel/dmesg"), "dmesg");
}

#[test]
fn the_storage_run_diagnoses_every_container() {
    diagnosed_as_the_run_says(storage());
    // conmon's ctr.log knows the stream.
    let w = common::container(storage(), "rworker")
        .logs
        .as_ref()
        .unwrap();
    assert_eq!(
        (w.driver.unescaped(), w.lines, w.stderr_lines),
        ("k8s-file", 2, Some(1))
    );
}

#[test]
fn conmon_pid_and_the_probe_are_in_the_report() {
    for r in [sos(), storage()] {
        let web = common::container(r, "rweb");
        let p = web.podman.as_ref().expect("rweb is a podman container");
        assert_eq!(p.conmon_pid, Some(31059));
        let probe: Vec<&str> = p.healthcheck.iter().map(|s| s.unescaped()).collect();
        assert_eq!(
            probe,
            ["CMD-SHELL", "wget -qO- http://127.0.0.1:3000/ || exit 1"]
        );
        // `State.Health` is the probe's state.
        assert_eq!(web.health.as_ref().unwrap().status.unescaped(), "unhealthy");
        // An exited container: podman keeps no conmon PID; podman 4 writes
        // an empty `State.Health` for a container without a check.
        let oom = common::container(r, "room");
        let p = oom.podman.as_ref().expect("room is a podman container");
        assert_eq!(p.conmon_pid, None);
        assert!(p.healthcheck.is_empty());
        assert!(oom.health.is_none(), "{:?}", oom.health);
    }
    let opts = coroner::report::RenderOptions {
        verbose: true,
        ..Default::default()
    };
    let text = coroner::report::text::render_with(storage(), &opts);
    assert!(text.contains("conmon pid 31059"), "{text}");
}

#[test]
fn libpod_storage_json_is_attached_to_containers_by_id() {
    let kinds = storage()
        .inputs
        .iter()
        .filter(|i| i.kind == "podman-storage")
        .count();
    assert_eq!(kinds, 2, "containers.json and images.json");
    let oom = common::container(storage(), "room");
    let s = oom
        .podman
        .as_ref()
        .and_then(|p| p.storage.as_ref())
        .expect("room's storage record");
    assert_eq!(
        s.layer.unescaped(),
        "081574425b0f2681d72ac54233d9751c326f7e8010b2296a9e411073731476b8"
    );
    assert_eq!(
        s.image_id.unescaped(),
        "02f5208858964c0d91b87dbe91ff43bd5c27b152e6b0a70ecc2de0733213c334"
    );
    let names: Vec<&str> = s.image_names.iter().map(|n| n.unescaped()).collect();
    assert_eq!(names, ["localhost/bb:latest"]);
    assert_eq!(
        s.image_digest.as_ref().map(|d| d.unescaped()),
        Some("sha256:ebfaf5434b9470352556f08c826b7a5abc7d592f1b10970d12e5bba40b5848ed")
    );
    assert_eq!(
        s.image_layer.as_ref().map(|d| d.unescaped()),
        Some("39ca0067c32ca59db055f11c35fdfccb9f82759fc0e2437c73a65de48bf118b2")
    );
    assert!(s
        .source
        .unescaped()
        .ends_with("overlay-containers/containers.json"));
    // Every container of the run has a record; none was invented from one.
    for n in ALL {
        let c = common::container(storage(), n);
        assert!(
            c.podman.as_ref().and_then(|p| p.storage.as_ref()).is_some(),
            "{n}"
        );
    }
    assert_eq!(storage().containers.len(), 7);
    // The sos tree holds no storage JSON: no record is attached there.
    assert!(sos()
        .containers
        .iter()
        .all(|c| c.podman.as_ref().is_some_and(|p| p.storage.is_none())));
}

#[test]
fn docker_containers_have_no_podman_facts() {
    let r = run(&Config::new(vec![common::sample("sos-text")]));
    assert!(!r.containers.is_empty());
    assert!(r.containers.iter().all(|c| c.podman.is_none()));
}
