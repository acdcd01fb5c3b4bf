//! Issue #11 acceptance, kernel side: other projects' own test fixtures of
//! kernel logs give the answers those projects' tests assert. The fixtures
//! are in `samples/fixtures/{cadvisor,npd,oom-exporter}/` (provenance in
//! `samples/PROVENANCE.md`); each test names the upstream test it mirrors
//! and asserts what that test asserts, through the parser (pid, process,
//! memcgs, constraint) and through a whole run (the container the kill is
//! attributed to, the finding a problem gives).

use coroner::ingest::kernel::{parse, KernelContext, KernelEventKind, KernelLog};
use coroner::report::schema::Report;

mod common;

fn fixture(rel: &str) -> std::path::PathBuf {
    common::sample(&format!("fixtures/{rel}"))
}

fn load(rel: &str) -> KernelLog {
    let p = fixture(rel);
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{rel}: {e}"));
    parse(rel, &bytes, &KernelContext::default())
}

fn run(rel: &str) -> Report {
    let mut config = coroner::Config::new(vec![fixture(rel)]);
    config.threads = 2;
    coroner::run(&config)
}

fn kills(log: &KernelLog) -> Vec<(u32, &str)> {
    log.oom_kills
        .iter()
        .map(|k| (k.pid, k.process.as_str()))
        .collect()
}

/// (pid, process, container id) of each kill in a report, the id being the
/// full id of the container record the kill was attributed to.
fn attributed(r: &Report) -> Vec<(u64, String, Option<String>)> {
    r.kernel
        .oom_kills
        .iter()
        .map(|k| {
            let id = k.container.as_ref().map(|name| {
                common::container(r, name.unescaped())
                    .id
                    .unescaped()
                    .to_string()
            });
            (k.pid, k.process.unescaped().to_string(), id)
        })
        .collect()
}

fn rules(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.rule.as_str()).collect()
}

// ---------------------------------------------------------------- cadvisor
// google/cadvisor utils/oomparser/oomparser_test.go. cadvisor's
// `ContainerName` is the task's memcg (`task_memcg=`, or the first path of
// `Task in A killed as a result of limit of B`), `VictimContainerName` the
// memcg whose limit was hit (`oom_memcg=`, or B).

const CADVISOR_POD: &str = "/kubepods/burstable/podfbdfe8e3-1c87-4ff2-907c-b2ec8e25d012";
const CADVISOR_CID: &str = "ef807430361e6e82b45db92e2e9b6fbec98f419b12c591e655c1a725565e73a8";

/// TestGetContainerName: the 5.0+ `oom-kill:` summary finishes the report
/// with container, victim container, pid 966, `manager`, CONSTRAINT_MEMCG.
#[test]
fn cadvisor_get_container_name() {
    let log = load("cadvisor/TestGetContainerName.txt");
    assert_eq!(kills(&log), [(966, "manager")]);
    let k = &log.oom_kills[0];
    let task = format!("{CADVISOR_POD}/{CADVISOR_CID}");
    assert_eq!(k.task_memcg.as_deref(), Some(task.as_str()));
    assert_eq!(k.oom_memcg.as_deref(), Some(CADVISOR_POD));
    assert_eq!(k.constraint.as_deref(), Some("CONSTRAINT_MEMCG"));
    assert!(!k.kill_line_missing);
    let r = run("cadvisor/TestGetContainerName.txt");
    assert_eq!(
        attributed(&r),
        [(966, "manager".into(), Some(CADVISOR_CID.into()))]
    );
    assert_eq!(r.kernel.oom_kills[0].matched_by.as_deref(), Some("cgroup"));
    assert_eq!(
        r.kernel.oom_kills[0].cgroup.as_ref().map(|c| c.unescaped()),
        Some(task.as_str())
    );
}

/// TestGetLegacyContainerName: `Task in /mem2 killed as a result of limit
/// of /mem3` gives container /mem2 and victim container /mem3, and does not
/// finish the report (no victim is named yet).
#[test]
fn cadvisor_get_legacy_container_name() {
    let log = load("cadvisor/TestGetLegacyContainerName.txt");
    assert_eq!(log.oom_kills.len(), 1, "{:?}", log.oom_kills);
    let k = &log.oom_kills[0];
    assert!(
        k.kill_line_missing,
        "no kill line: the report is unfinished"
    );
    assert_eq!(k.process, "ruby", "the invoking task");
    assert_eq!(k.task_memcg.as_deref(), Some("/mem2"));
    assert_eq!(k.oom_memcg.as_deref(), Some("/mem3"));
}

/// TestGetProcessNamePid: the `Killed process` line gives pid 19667 and
/// `evil-program2`.
#[test]
fn cadvisor_get_process_name_pid() {
    let log = load("cadvisor/TestGetProcessNamePid.txt");
    assert_eq!(kills(&log), [(19667, "evil-program2")]);
    assert!(!log.oom_kills[0].kill_line_missing);
}

/// TestLastLineRegex: process names with spaces, brackets, parentheses and
/// quotes are read whole from syslog-prefixed `Killed process` lines.
#[test]
fn cadvisor_last_line_regex() {
    let log = load("cadvisor/TestLastLineRegex.txt");
    let names = [
        "foo",
        "python3.4",
        "foo-bar",
        "Plex Media Server",
        "x86_64-pc-linux-gnu-c++-5.4.0",
        "[",
        "()",
        "\"with quotes\"",
    ];
    let want: Vec<(u32, &str)> = names.iter().map(|n| (1234, *n)).collect();
    assert_eq!(kills(&log), want);
    assert_eq!(log.format, "syslog");
    for k in &log.oom_kills {
        assert_eq!(k.stamp.uptime_s, Some(62279.421192));
    }
}

/// TestStreamOOMs, first case: a 3.13 memcg OOM of /mem2, pid 13536
/// `memorymonster`, container and victim container /mem2. (The time there
/// is the kmsg record's, which the text does not hold: no time here.)
#[test]
fn cadvisor_stream_ooms_memcg() {
    let log = load("cadvisor/TestStreamOOMs-1_memcg-mem2.txt");
    assert_eq!(kills(&log), [(13536, "memorymonster")]);
    let k = &log.oom_kills[0];
    assert_eq!(k.task_memcg.as_deref(), Some("/mem2"));
    assert_eq!(k.oom_memcg.as_deref(), Some("/mem2"));
    assert!(!k.global);
    assert_eq!(k.stamp.uptime_s, None);
    assert_eq!(k.stamp.wall, None);
}

/// TestStreamOOMs, second case: a global OOM (`Out of memory: Kill
/// process`), pid 1532 `badsysprogram`, container and victim container `/`:
/// coroner says global and names no cgroup and no container.
#[test]
fn cadvisor_stream_ooms_global() {
    let log = load("cadvisor/TestStreamOOMs-2_global.txt");
    assert_eq!(kills(&log), [(1532, "badsysprogram")]);
    let k = &log.oom_kills[0];
    assert!(k.global);
    assert_eq!(k.task_memcg, None);
    let r = run("cadvisor/TestStreamOOMs-2_global.txt");
    assert_eq!(attributed(&r), [(1532, "badsysprogram".into(), None)]);
}

/// TestStreamOOMs, "Multiple OOMs" (`docker run -m 20M …` twice): two kills
/// of `gunpowder-memho`, pids 1381 and 1667, each in its own
/// `/docker/<id>`, and nothing else from the veth noise around them.
#[test]
fn cadvisor_stream_ooms_two_docker_containers() {
    let a = "2e088fe462e25e60be1dafafe2c05c47bda1a97978648d10ad2b7484fc0b8f50";
    let b = "6c6fcab8562fd3150854986b78552c732f234fd405b624207b8843528a145e70";
    let rel = "cadvisor/TestStreamOOMs-3_two-docker-ooms.txt";
    let log = load(rel);
    assert_eq!(
        kills(&log),
        [(1381, "gunpowder-memho"), (1667, "gunpowder-memho")]
    );
    for (k, id) in log.oom_kills.iter().zip([a, b]) {
        let cg = format!("/docker/{id}");
        assert_eq!(k.task_memcg.as_deref(), Some(cg.as_str()));
        assert_eq!(k.oom_memcg.as_deref(), Some(cg.as_str()));
    }
    assert!(log.segfaults.is_empty() && log.events.is_empty());
    let r = run(rel);
    assert_eq!(
        attributed(&r),
        [
            (1381, "gunpowder-memho".into(), Some(a.into())),
            (1667, "gunpowder-memho".into(), Some(b.into())),
        ]
    );
    for id in [a, b] {
        let c = common::container(&r, &id[..12]);
        assert_eq!(c.matched_by.as_deref(), Some("kernel-cgroup"));
    }
}

// --------------------------------------------------- node-problem-detector
// kubernetes/node-problem-detector test/kernel_log_generator/problems/*
// (the logs its generator writes to /dev/kmsg), matched by the rules of
// config/kernel-monitor.json and config/readonly-monitor.json; the e2e test
// test/e2e/metriconly/metrics_test.go asserts each reason counted once.

/// One problem log: the finding it must give, words of its title, and the
/// kind of kernel event.
fn npd_problem(file: &str, rule: &str, words: &str, kind: KernelEventKind) {
    let rel = format!("npd/{file}");
    let log = load(&rel);
    assert_eq!(log.events.len(), 1, "{file}: {:?}", log.events);
    assert_eq!(log.events[0].kind, kind, "{file}");
    assert_eq!(log.events[0].count, 1, "{file}: counted once");
    let r = run(&rel);
    let found: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule.as_str() == rule)
        .collect();
    assert_eq!(found.len(), 1, "{file}: {:?}", rules(&r));
    assert!(
        found[0].title.unescaped().contains(words),
        "{file}: {}",
        found[0].title.unescaped()
    );
    assert_eq!(found[0].evidence[0].line, Some(1), "{file}");
}

/// `DockerHung` and `TaskHung` (metrics_test.go "When OOM kills and docker
/// hung happen": both counted once).
#[test]
fn npd_docker_hung_is_a_hung_task() {
    npd_problem(
        "docker_hung",
        "kernel-hung-task",
        "`docker` (pid 20744) blocked for more than 120 seconds",
        KernelEventKind::HungTask,
    );
}

/// `TaskHung` (`task [\S ]+:\w+ blocked for more than \w+ seconds\.`), the
/// aufs umount of older configs' `AUFSUmountHung`.
#[test]
fn npd_aufs_umount_hung_is_a_hung_task() {
    npd_problem(
        "aufs_umount_hung",
        "kernel-hung-task",
        "`umount.aufs` (pid 21568) blocked for more than 120 seconds",
        KernelEventKind::HungTask,
    );
}

/// `KernelOops` (`BUG: unable to handle kernel NULL pointer dereference at .*`).
#[test]
fn npd_null_pointer_is_a_kernel_oops() {
    npd_problem(
        "null_pointer",
        "kernel-error",
        "Oops in `ksoftirqd/11` (pid 63)",
        KernelEventKind::Oops,
    );
}

/// `KernelOops` (`divide error: 0000 \[#\d+\] SMP`).
#[test]
fn npd_divide_zero_is_a_kernel_oops() {
    npd_problem(
        "divide_zero",
        "kernel-error",
        "Oops in `docker` (pid 1853)",
        KernelEventKind::Oops,
    );
}

/// `FilesystemIsReadOnly` (readonly-monitor.json: `Remounting filesystem
/// read-only`).
#[test]
fn npd_readonly_filesystem_is_a_kernel_error() {
    npd_problem(
        "readonly_filesystem",
        "kernel-error",
        "sda1 remounted read-only",
        KernelEventKind::ReadOnly,
    );
}

/// `UnregisterNetDevice` (`unregister_netdevice: waiting for \w+ to become
/// free. Usage count = \d+`).
#[test]
fn npd_unregister_netdevice_is_a_hang() {
    npd_problem(
        "unregister_netdevice",
        "kernel-hung-task",
        "network device lo never freed",
        KernelEventKind::NetdevWait,
    );
}

/// `OOMKilling` (`Killed process \d+ (.+) total-vm:\d+kB, anon-rss:\d+kB,
/// file-rss:\d+kB.*`; metrics_test.go: counted once): pid 1012 `heapster`,
/// one kill although the report has both its `Kill process` and its
/// `Killed process` line.
#[test]
fn npd_oom_kill_is_one_kill() {
    let log = load("npd/oom_kill");
    assert_eq!(kills(&log), [(1012, "heapster")]);
    assert_eq!(log.oom_kills[0].anon_rss_kib, Some(306328));
    let r = run("npd/oom_kill");
    assert_eq!(attributed(&r), [(1012, "heapster".into(), None)]);
    assert!(
        rules(&r).contains(&"unmatched-kernel-event"),
        "{:?}",
        rules(&r)
    );
}

/// No kernel-monitor rule matches aufs's `au_opts_verify` warning (the
/// generator's benign line): nothing is made of it.
#[test]
fn npd_au_opts_verify_is_no_problem() {
    let log = load("npd/au_opts_verify");
    assert!(log.events.is_empty() && log.oom_kills.is_empty() && log.segfaults.is_empty());
    let r = run("npd/au_opts_verify");
    assert!(
        !rules(&r).iter().any(|r| r.starts_with("kernel-")),
        "{:?}",
        rules(&r)
    );
}

// ------------------------------------------------------- OOM exporters
// sapcc/kubernetes-oomkill-exporter main_test.go TestGetPodUIDFromLog: two
// raw /dev/kmsg records; the pod UIDs and container ids it extracts.

#[test]
fn sapcc_oomkill_exporter_kmsg_records() {
    let rel = "oom-exporter/sapcc_main_test.go-getTestData.kmsg";
    let a = "9f02d9fa0049eb2655fc83c765f142362b2cb403b57b70ba3185071015ca3b64";
    let b = "2260b35b008a15bd118e629c0c5d74e7f3a1fe18c724fbac61a54862fea196dc";
    let log = load(rel);
    assert_eq!(
        kills(&log),
        [(3401999, "prometheus-conf"), (255629, "stress")]
    );
    // The kmsg records' microseconds since boot.
    let up: Vec<_> = log.oom_kills.iter().map(|k| k.stamp.uptime_s).collect();
    assert_eq!(up, [Some(6115623.303887), Some(6780904.484233)]);
    let r = run(rel);
    assert_eq!(
        attributed(&r),
        [
            (3401999, "prometheus-conf".into(), Some(a.into())),
            (255629, "stress".into(), Some(b.into())),
        ]
    );
    // The pod UIDs are those of the cgroups the kills are reported in.
    let cgs: Vec<_> = r
        .kernel
        .oom_kills
        .iter()
        .map(|k| {
            k.cgroup
                .as_ref()
                .map(|c| c.unescaped().to_string())
                .unwrap_or_default()
        })
        .collect();
    assert!(
        cgs[0].contains("/podd11ab7b0-d6db-4a24-a7de-4a2faf1e6980/"),
        "{cgs:?}"
    );
    assert!(
        cgs[1].contains("-poddfc377c9_c533_4d51_af9e_6e0e0b3db83b.slice/"),
        "{cgs:?}"
    );
}

// alexeyantropov/oom_messages_exporter tests/exporter.py and
// tests/cricollector.py: the pid, the proc name and the container id it
// extracts from a line; messages/*.log, the /var/log/messages the exporter
// is run on (readme: pids 3967383 and 1560850 of `framework` in one
// container; on bare metal no container).

const AO_CID: &str = "2cc85334e5030168b240f87215d26ecb97dd99c09237bd0a03d8957dafb33187";

/// test_extract_pid___Ok, test_extract_proc_name___Ok: RHEL 7's `Killed
/// process 1234 (node /opt/www/p), UID 80, …`.
#[test]
fn oom_messages_exporter_string_with_oom() {
    let log = load("oom-exporter/oom_messages_exporter_tests_exporter.py-string_with_oom.txt");
    assert_eq!(kills(&log), [(1234, "node /opt/www/p")]);
    assert_eq!(log.oom_kills[0].uid, Some(80));
    assert_eq!(log.oom_kills[0].stamp.uptime_s, Some(38469674.213429));
}

/// test_process_data___Cri_data_is_present (exporter.py) and
/// test_get_pid_from_oom_line___Ok / test_get_containerID_from_oom_line___Well
/// (cricollector.py): the `oom-kill:` line alone gives the pid and the
/// container id.
#[test]
fn oom_messages_exporter_cri_lines() {
    for (rel, pid) in [
        (
            "oom-exporter/oom_messages_exporter_tests_exporter.py-cri_line_with_oom.txt",
            1234,
        ),
        (
            "oom-exporter/oom_messages_exporter_tests_cricollector.py-line_with_oom.txt",
            3319125,
        ),
    ] {
        let log = load(rel);
        assert_eq!(kills(&log), [(pid, "framework")], "{rel}");
        assert_eq!(log.oom_kills[0].stamp.uptime_s, Some(34268134.409242));
        let r = run(rel);
        assert_eq!(
            attributed(&r),
            [(pid as u64, "framework".into(), Some(AO_CID.into()))],
            "{rel}"
        );
    }
}

/// messages/containerd_1.log (its first four reports): every kill with its
/// pid, process and container.
#[test]
fn oom_messages_exporter_containerd_messages() {
    let rel = "oom-exporter/oom_messages_exporter_containerd_1.log";
    let other = "3cc85334e5030168b240f87215d26ecb97dd99c09237bd0a03d8957dafb33188";
    let r = run(rel);
    assert_eq!(
        attributed(&r),
        [
            (3967383, "framework".into(), Some(AO_CID.into())),
            (235362, "php-fpm: pool w".into(), Some(other.into())),
            (1560850, "framework".into(), Some(AO_CID.into())),
            (3319125, "framework".into(), Some(AO_CID.into())),
        ]
    );
    let log = load(rel);
    let up: Vec<_> = log.oom_kills.iter().map(|k| k.stamp.uptime_s).collect();
    assert_eq!(
        up,
        [
            Some(34250135.387210),
            Some(34250135.387210),
            Some(34264534.070644),
            Some(34268134.409254)
        ]
    );
}

/// messages/systemd_1.log (its first three reports), a systemd service on
/// RHEL 7: the killed pids of the `Killed process` lines (the kernel
/// sacrificed a child of the task it selected), and no container.
#[test]
fn oom_messages_exporter_systemd_messages() {
    let rel = "oom-exporter/oom_messages_exporter_systemd_1.log";
    let log = load(rel);
    assert_eq!(
        kills(&log),
        [
            (1847, "node /opt/www/p"),
            (29838, "node /opt/www/p"),
            (754, "node /opt/www/p")
        ]
    );
    for k in &log.oom_kills {
        assert_eq!(
            k.task_memcg.as_deref(),
            Some("/system.slice/node-app.service")
        );
    }
    let r = run(rel);
    assert!(r.kernel.oom_kills.iter().all(|k| k.container.is_none()));
    assert_eq!(r.kernel.oom_kills.len(), 3);
}
