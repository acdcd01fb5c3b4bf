//! Real podman artifacts (samples/podman, from the corpus's `real-podman/`:
//! Debian's podman 4.3.1, rootful, runc, k8s-file logs, cgroupfs with
//! `/libpod_parent`): `podman inspect`, `podman logs -t` text, conmon's
//! k8s-file `ctr.log`, `podman events --format json`, dmesg. Every container
//! is diagnosed as the corpus README's ground truth says. Guards issue #14.

use std::sync::OnceLock;

use coroner::ingest::{self, Parsed};
use coroner::model::Limits;
use coroner::report::schema::Report;
use coroner::{run, Config};

mod common;

fn report() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| run(&Config::new(vec![common::sample("podman")])))
}

fn rules(name: &str) -> Vec<&'static str> {
    common::rules_of(report(), name)
}

#[test]
fn every_container_is_diagnosed_as_the_ground_truth_says() {
    assert_eq!(report().containers.len(), 6);
    assert!(rules("qoom").contains(&"oom-killed"), "{:?}", rules("qoom"));
    assert!(
        rules("qchild").contains(&"oom-child-killed"),
        "{:?}",
        rules("qchild")
    );
    assert!(
        rules("qworker").contains(&"crash-signature"),
        "{:?}",
        rules("qworker")
    );
    assert!(
        rules("qstubborn").contains(&"stop-timeout-kill"),
        "{:?}",
        rules("qstubborn")
    );
    assert!(!rules("qstubborn").contains(&"oom-killed"));
    assert!(rules("qweb").contains(&"unhealthy"), "{:?}", rules("qweb"));
    let ok: Vec<_> = report()
        .findings
        .iter()
        .filter(|f| f.container.as_ref().map(|c| c.unescaped()) == Some("qok"))
        .filter(|f| f.severity > coroner::model::Severity::Info)
        .map(|f| f.rule.as_str())
        .collect();
    assert!(ok.is_empty(), "qok is a healthy control: {ok:?}");
}

#[test]
fn k8s_file_logs_are_read_with_their_streams_and_no_false_logs_unavailable() {
    for name in ["qoom", "qchild", "qworker", "qstubborn", "qweb", "qok"] {
        assert!(
            !rules(name).contains(&"logs-unavailable"),
            "{name}: its ctr.log is in the inputs"
        );
    }
    let worker = common::container(report(), "qworker");
    let logs = worker.logs.as_ref().expect("qworker's logs");
    assert_eq!(logs.driver.unescaped(), "k8s-file");
    // The ctr.log knows the stream (the `podman logs` text beside it does not).
    assert_eq!((logs.lines, logs.stderr_lines), (2, Some(1)));
    let crash = report()
        .findings
        .iter()
        .find(|f| f.rule.as_str() == "crash-signature")
        .unwrap();
    let ev = &crash.evidence[0];
    assert!(
        ev.source.unescaped().ends_with("userdata/ctr.log"),
        "{ev:?}"
    );
    assert_eq!(ev.line, Some(2));
    assert_eq!(ev.excerpt.unescaped(), "FATAL: DB_URL is not set");
    let k8s = report()
        .inputs
        .iter()
        .filter(|i| i.kind == "k8s-file-log")
        .count();
    assert_eq!(k8s, 6);
}

#[test]
fn kernel_oom_kills_are_attributed_through_libpod_parent_cgroups() {
    let k = &report().kernel;
    let pairs: Vec<(&str, &str)> = k
        .oom_kills
        .iter()
        .map(|o| {
            (
                o.container.as_ref().map_or("", |c| c.unescaped()),
                o.matched_by.as_deref().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(pairs, vec![("qoom", "cgroup"), ("qchild", "cgroup")]);
}

#[test]
fn podman_inspect_state_fields_conmon_pid_and_k8s_file_path() {
    let ing = ingest::ingest(
        &[common::sample(
            "podman/podman/containers/podman_inspect_qweb",
        )],
        &Limits::default(),
    );
    let Some(Parsed::Inspect(f)) = ing.items.first() else {
        panic!("not read as inspect: {:?}", ing.inputs);
    };
    let c = &f.containers[0];
    assert_eq!(
        c.id,
        "81ef096b4d2f801ad173cef64ae4be107d0bbed97decfd6e4c5cf737bfe05757"
    );
    assert_eq!((c.pid, c.conmon_pid), (27176, 27166));
    assert_eq!(
        c.cgroup_path,
        "/libpod_parent/libpod-81ef096b4d2f801ad173cef64ae4be107d0bbed97decfd6e4c5cf737bfe05757"
    );
    assert_eq!(c.log_driver, "k8s-file");
    assert_eq!(
        c.log_path,
        "/var/lib/containers/storage/overlay-containers/81ef096b4d2f801ad173cef64ae4be107d0bbed97decfd6e4c5cf737bfe05757/userdata/ctr.log"
    );
    // `Config.Healthcheck` is the probe, `State.Health` its state.
    assert_eq!(
        c.healthcheck,
        vec!["CMD-SHELL", "wget -qO- http://127.0.0.1:3000/ || exit 1"]
    );
    let h = c.health.as_ref().unwrap();
    assert_eq!(
        (h.status.as_str(), h.failing_streak, h.log.len()),
        ("unhealthy", 3, 3)
    );
    assert!(!c.oom_killed);
}

#[test]
fn two_ctr_logs_go_each_to_its_own_container() {
    // Every podman log path ends in `userdata/ctr.log`: the id folder decides.
    let dir = std::env::temp_dir().join(format!("coroner-podman-{}", std::process::id()));
    let sub = dir.join("81ef096b4d2f801ad173cef64ae4be107d0bbed97decfd6e4c5cf737bfe05757/userdata");
    std::fs::create_dir_all(&sub).unwrap();
    let log = std::fs::read(common::sample(
        "podman/storage/overlay-containers/81ef096b4d2f801ad173cef64ae4be107d0bbed97decfd6e4c5cf737bfe05757/userdata/ctr.log",
    ))
    .unwrap();
    std::fs::write(sub.join("ctr.log"), &log).unwrap();
    let other =
        dir.join("bf729e219c0c5e4b0113ef36c3deee33c2565fca6bb7cb72b6dc0745e693d932/userdata");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(
        other.join("ctr.log"),
        std::fs::read(common::sample(
            "podman/storage/overlay-containers/bf729e219c0c5e4b0113ef36c3deee33c2565fca6bb7cb72b6dc0745e693d932/userdata/ctr.log",
        ))
        .unwrap(),
    )
    .unwrap();
    let r = run(&Config::new(vec![
        common::sample("podman/podman/containers/podman_inspect_qweb"),
        common::sample("podman/podman/containers/podman_inspect_qok"),
        dir.clone(),
    ]));
    std::fs::remove_dir_all(&dir).unwrap();
    let web = common::container(&r, "qweb")
        .logs
        .as_ref()
        .expect("qweb logs");
    let ok = common::container(&r, "qok")
        .logs
        .as_ref()
        .expect("qok logs");
    assert_eq!((web.lines, ok.lines), (1, 1));
    assert_eq!(web.first.as_deref(), Some("2026-12-01T18:37:52.881167990Z"));
    assert_eq!(ok.first.as_deref(), Some("2026-12-01T18:37:53.008781035Z"));
}
