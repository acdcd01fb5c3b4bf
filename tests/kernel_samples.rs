//! Kernel-log parser against real logs in `samples/kernel/` (see its
//! PROVENANCE.md). Every expectation below was read off the sample by hand.

use coroner::ingest::kernel::{looks_like_kernel_log, parse, KernelContext, KernelLog};
use coroner::time::Timestamp;

fn sample_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/kernel")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(sample_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn load(name: &str, year: Option<i32>) -> KernelLog {
    parse(name, &read(name), &KernelContext { year_hint: year })
}

fn kills(log: &KernelLog) -> Vec<(u32, &str)> {
    log.oom_kills
        .iter()
        .map(|k| (k.pid, k.process.as_str()))
        .collect()
}

fn segv(log: &KernelLog) -> Vec<(u32, &str)> {
    log.segfaults
        .iter()
        .map(|s| (s.pid, s.process.as_str()))
        .collect()
}

fn memcgs(log: &KernelLog) -> Vec<Option<&str>> {
    log.oom_kills
        .iter()
        .map(|k| k.task_memcg.as_deref())
        .collect()
}

/// (file, format, kills (pid, comm), task_memcg per kill, segfaults)
type Expect = (
    &'static str,
    &'static str,
    &'static [(u32, &'static str)],
    &'static [Option<&'static str>],
    &'static [(u32, &'static str)],
);

const CG_CORPUS: [&str; 4] = [
    "/docker/85a48e138c0e93f28340a6ed94dfb35822f95f8c8abdb06b080007e38efc1106",
    "/docker/76beba9b3b5bda99a5ea940c72245b2669293ab3e6df11687824a79c70e44659",
    "/docker/25259836f4ca4ef97f156d0acef5a6b703370a7e80c8d9e2b531db5e4aa3c914",
    "/kubepods/burstable/pod7f3c2a10-1b2c-4d5e-8f90-123456789abc/18db7262dc7a14a837494f5109625fd3e7483baa171cc230b38a4ebc704682dc",
];
const CORPUS_KILLS: &[(u32, &str)] = &[(18778, "dd"), (18987, "dd"), (19518, "dd"), (20251, "dd")];
const CORPUS_CGS: &[Option<&str>] = &[
    Some(CG_CORPUS[0]),
    Some(CG_CORPUS[1]),
    Some(CG_CORPUS[2]),
    Some(CG_CORPUS[3]),
];

const EXPECT: &[Expect] = &[
    ("corpus-dmesg.txt", "dmesg", CORPUS_KILLS, CORPUS_CGS, &[(19247, "crash")]),
    ("corpus-dmesg-T.txt", "dmesg-T", CORPUS_KILLS, CORPUS_CGS, &[(19247, "crash")]),
    ("corpus-dmesg-iso.txt", "dmesg-iso", CORPUS_KILLS, CORPUS_CGS, &[(19247, "crash")]),
    (
        "apache-doris-3525_rhel7_syslog_UID-variant_with-containerd-lines.txt",
        "syslog",
        &[(18177, "palo_be")],
        &[None],
        &[],
    ),
    (
        "badhon-task28_cgroupv2-systemd_docker-scope_oom-kill-line.txt",
        "dmesg",
        &[(1516044, "python")],
        &[Some("/system.slice/docker-c32e6b2f57ba5c870e04a776f066ff53600087f1cafafa246aad4f3575259f97.scope")],
        &[],
    ),
    (
        "cadvisor-2417_5.0_oom-kill-line_WRAPPED-by-paste.txt",
        "dmesg",
        &[(966, "manager")],
        &[Some("/kubepods/burstable/podfbdfe8e3-1c87-4ff2-907c-b2ec8e25d012/ef807430361e6e82b45db92e2e9b6fbec98f419b12c591e655c1a725565e73a8")],
        &[],
    ),
    (
        "chrisguest75-docker_examples_docker-desktop-linuxkit_monotonic.txt",
        "dmesg",
        &[(46433, "process")],
        &[None],
        &[],
    ),
    (
        "cn-blog-unknown-repo_global_oom_task_memcg-docker-cgroupfs.txt",
        "dmesg",
        &[(29649, "uvicorn")],
        &[Some("/docker/a9e0115a5c4a9ddf3983d11b295f83b5863a31f78d8ad8a15d3219c278b834ae")],
        &[],
    ),
    ("deepin-kernel-pr1138_upstream-commit-msg_6.8-rc1_rss_anon.txt", "dmesg", &[], &[], &[]),
    (
        "docker-for-linux-1001_4.15-ish_syslog+monotonic_kill-process-score.txt",
        "syslog",
        &[(4254, "python3"), (4255, "python3")],
        &[None, None],
        &[],
    ),
    (
        "docker-for-linux-1001_5.x_syslog+monotonic_memcg-killed-noUID.txt",
        "syslog",
        &[(15617, "python3"), (15674, "python3"), (15623, "python3"), (15694, "python3")],
        &[None, None, None, None],
        &[],
    ),
    ("docker-for-linux-759_syslog+monotonic_proc-table-nr_pmds.txt", "syslog", &[], &[], &[]),
    (
        "dyrnq-install-docker-14_global_oom_task_memcg-systemd-scope.txt",
        "dmesg",
        &[(7134, "java")],
        &[Some("/system.slice/docker-00748bf4e957f82c239a1db8a88579059b7d40c7b5fbd3f43617d31d3f646f12.scope")],
        &[],
    ),
    (
        "egachi-nodejs-MemoryQoS_6.8plus_cgroupv2-systemd-kubepods_oom-group.txt",
        "dmesg",
        &[(22609, "node")],
        &[Some("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod94eb36cd_29e1_478b_b365_4cb5dfc7d6fb.slice/cri-containerd-46b3e0a4df44b752b841aecca454e6e78995d567912a84950390bae6f6777a63.scope")],
        &[],
    ),
    (
        "gpud-pr70_journalctl-short-precise_cri-containerd-lxc.txt",
        "journalctl",
        &[(461754, "pt_main_thread")],
        &[Some("/lxc.payload.ny2g2r5hh3-lxc/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podeded8c65_6e8e_4c6e_a889_3e427565c740.slice/cri-containerd-ec9ee26695deb4cc72bc665efff1cf3a03fdfb12f1303e02fe9252985e084a95.scope")],
        &[],
    ),
    ("inducer-relate-1383_6.8plus_dmesg-T_rss_anon-table.txt", "dmesg-T", &[], &[], &[]),
    // Report cut off after the stack trace: no victim is named.
    // Cut before its victim: an OOM record of the invoking task, kill line
    // missing (#11); the cgroup is in the cpuset line.
    ("kata-runtime-1310_4.14_monotonic_nodemask-doublespace.txt", "dmesg", &[(93, "mem")], &[None], &[]),
    (
        "kind-nested-docker_cgroupv1_oom_memcg-docker-kubepods.txt",
        "syslog",
        &[(3723608, "near-sandbox")],
        &[Some("/docker/8b5e1b8686b3a5082ea70faa5809e3053bb1f75077ce19236582b6d67190a48a/kubepods/burstable/podda04e81e-3992-4dd3-aea5-112148b37b9e/2d90ae0dc04950f146d262fd80f1da3b4bbc69cf059b2bb7c66616d35e4d3ffd")],
        &[],
    ),
    // The second report (00:13:22) is cut off before its victim.
    (
        "kubernetes-56891_rhel7-3.10_dmesg-T_kubepods-v1.txt",
        "dmesg-T",
        // The second report is cut before its victim: the invoking task,
        // kill line missing (#11).
        &[(28438, "java"), (14881, "java")],
        &[None, None],
        &[],
    ),
    // Header-only pastes: an OOM record of the invoking task, kill line missing (#11).
    ("moby-15905_rhel7-3.10_dmesg-T_systemd-scope.txt", "dmesg-T", &[(7215, "php.bin")], &[None], &[]),
    ("moby-38352_rhel7-3.10_syslog-no-monotonic_cgroupfs.txt", "syslog", &[(11554, "thrash")], &[None], &[]),
    (
        "npd-480_4.19.112_vs_5.4.49_no-prefix.txt",
        "dmesg",
        &[(4015, "python"), (4249, "python")],
        &[None, None],
        &[],
    ),
    (
        "oomanalyser_example_archlinux_6_1_1.txt",
        "dmesg",
        &[(473206, "doxygen")],
        &[Some("/user.slice/user-504.slice/session-2.scope")],
        &[],
    ),
    (
        "oomanalyser_example_proxmox_cgroup_oom.txt",
        "dmesg-T",
        &[(3902942, "php-fpm")],
        &[Some("/lxc/39004/ns/system.slice/docker-a59e4e7d3090c04c6ce5a4b7a8bc85228eb9b96ac00b1284643a8c7c11dda661.scope")],
        &[],
    ),
    ("oomanalyser_example_rhel7.txt", "dmesg", &[(6576, "mysqld")], &[None], &[]),
    (
        "oomanalyser_example_ubuntu2110.txt",
        "dmesg",
        &[(651, "unattended-upgr")],
        &[Some("/system.slice/unattended-upgrades.service")],
        &[],
    ),
    // Task table only (vmware.log wrapper): no kill line in the excerpt.
    ("photon-1535_vmware-guest-log_ISO+kern-level-prefix.txt", "dmesg", &[], &[], &[]),
    (
        "qietingfengling-site_4.4-ubuntu_monotonic_docker-cgroupfs-v1_full-memcg.txt",
        "dmesg",
        &[(11344, "main")],
        &[Some("/docker/34186d9bd07706222bd427bb647ceed81e8e108eb653ff73c7137099fca1cab6")],
        &[],
    ),
    (
        "npd-divide_zero.txt",
        "dmesg",
        &[],
        &[],
        &[],
    ),
    ("npd-docker_hung.txt", "dmesg", &[], &[], &[]),
    ("npd-null_pointer.txt", "dmesg", &[], &[], &[]),
    ("npd-readonly_filesystem.txt", "dmesg", &[], &[], &[]),
    (
        "reportportal-k8s-203_5.4-ubuntu_monotonic_UID-pgtables.txt",
        "dmesg",
        // The second report stops after its `CPU:` line (#11: kill line missing).
        &[(63214, "uwsgi"), (63635, "uwsgi")],
        &[None, None],
        &[],
    ),
];

#[test]
fn every_sample_has_an_expectation() {
    let mut names: Vec<String> = std::fs::read_dir(sample_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "PROVENANCE.md")
        .collect();
    names.sort();
    let mut expected: Vec<&str> = EXPECT.iter().map(|e| e.0).collect();
    expected.sort();
    assert_eq!(names, expected);
    let prov = std::fs::read_to_string(sample_dir().join("PROVENANCE.md")).unwrap();
    for n in &names {
        assert!(
            prov.contains(&format!("`{n}`")),
            "{n} missing from PROVENANCE.md"
        );
    }
}

#[test]
fn kills_memcgs_and_segfaults_per_sample() {
    for (name, format, want_kills, want_cgs, want_segv) in EXPECT {
        let log = load(name, Some(2020));
        assert_eq!(kills(&log), *want_kills, "{name}: killed pids");
        assert_eq!(memcgs(&log), *want_cgs, "{name}: task_memcg");
        assert_eq!(segv(&log), *want_segv, "{name}: segfaults");
        assert_eq!(log.format, *format, "{name}: format");
        assert_eq!(log.path, *name);
        for k in &log.oom_kills {
            assert!(
                !k.evidence.is_empty(),
                "{name}: kill {} has no evidence",
                k.pid
            );
            let lines: Vec<u64> = k.evidence.iter().map(|e| e.line.unwrap()).collect();
            let mut sorted = lines.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(lines, sorted, "{name}: evidence in file order");
            for e in &k.evidence {
                assert_eq!(e.source, *name);
                assert!(!e.excerpt.ends_with('\n') && !e.excerpt.ends_with('\r'));
            }
        }
    }
}

#[test]
fn every_sample_looks_like_a_kernel_log() {
    for (name, ..) in EXPECT {
        assert!(looks_like_kernel_log(&read(name)), "{name}");
    }
}

#[test]
fn other_artifacts_do_not_look_like_kernel_logs() {
    let not_kernel: &[&[u8]] = &[
        b"1894.93 3157.71\n",
        br#"{"log":"Killed process 12 (x) total-vm:1kB\n","stream":"stdout","time":"2026-11-29T03:20:01Z"}"#,
        b"[{\"Id\":\"85a48e13\",\"State\":{\"OOMKilled\":true}}]",
        b"CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS                       PORTS     NAMES\n85a48e138c0e   busybox   \"dd\"      2 hours   Exited (137) 2 hours ago               oom1\n",
        b"The container was killed. We think it ran out of memory\nbecause the limit was 64 MiB.\n",
        b"\x00\x9f\x92\x96\xff\xfe\x01\x02garbage\n\xc3\x28\n",
        b"",
    ];
    for t in not_kernel {
        assert!(
            !looks_like_kernel_log(t),
            "{:?}",
            String::from_utf8_lossy(t)
        );
    }
}

#[test]
fn corpus_details() {
    let raw = load("corpus-dmesg.txt", None);
    let k = &raw.oom_kills[0];
    assert_eq!(k.stamp.uptime_s, Some(1870.636906));
    assert_eq!(k.stamp.wall, None);
    assert_eq!(k.anon_rss_kib, Some(65024));
    assert_eq!(k.total_vm_kib, Some(309468));
    assert_eq!(k.uid, Some(0));
    assert_eq!(k.constraint.as_deref(), Some("CONSTRAINT_MEMCG"));
    assert_eq!(k.oom_memcg.as_deref(), Some(CG_CORPUS[0]));
    assert_eq!(
        k.cpuset.as_deref(),
        Some("85a48e138c0e93f28340a6ed94dfb35822f95f8c8abdb06b080007e38efc1106")
    );
    assert!(!k.global);
    let ev: Vec<u64> = k.evidence.iter().map(|e| e.line.unwrap()).collect();
    assert_eq!(ev, vec![119, 211, 212]);
    assert!(k.evidence[0]
        .excerpt
        .starts_with("[ 1870.636507] dd invoked oom-killer:"));
    assert!(k.evidence[2].excerpt.contains("Killed process 18778 (dd)"));
    assert_eq!(raw.segfaults[0].stamp.uptime_s, Some(1872.136075));
    assert_eq!(raw.segfaults[0].evidence.line, Some(379));
    assert_eq!(raw.lines, 796);

    let iso = load("corpus-dmesg-iso.txt", None);
    assert_eq!(
        iso.segfaults[0].stamp.wall,
        Timestamp::parse_rfc3339("2026-11-29T03:19:59.136075Z")
    );
    assert_eq!(
        iso.oom_kills[0].stamp.wall,
        Timestamp::parse_rfc3339("2026-11-29T03:19:57.636906Z")
    );

    let t = load("corpus-dmesg-T.txt", None);
    let walls: Vec<String> = t
        .oom_kills
        .iter()
        .map(|k| k.stamp.wall.unwrap().to_string())
        .collect();
    assert_eq!(
        walls,
        [
            "2026-11-29T03:19:57Z",
            "2026-11-29T03:19:58Z",
            "2026-11-29T03:20:00Z",
            "2026-11-29T03:20:02Z"
        ]
    );
    assert_eq!(
        t.segfaults[0].stamp.wall.unwrap().to_string(),
        "2026-11-29T03:19:59Z"
    );
}

#[test]
fn field_sample_details() {
    // RHEL "Killed process N (comm), UID 0, total-vm:" variant among containerd lines.
    let l = load(
        "apache-doris-3525_rhel7_syslog_UID-variant_with-containerd-lines.txt",
        Some(2020),
    );
    let k = &l.oom_kills[0];
    assert_eq!(
        (k.uid, k.anon_rss_kib, k.total_vm_kib),
        (Some(0), Some(45563572), Some(70347780))
    );
    // Printed `May  8 14:05:27` local time; the file's containerd and dockerd
    // lines print their own `+08:00` times, which give the stamps' zone (#12).
    assert_eq!(k.stamp.wall.unwrap().to_string(), "2020-05-08T06:05:27Z");
    assert!(k.stamp.zoned);
    assert_eq!(l.zone_s, Some(8 * 3600));
    assert!(!k.global, "Memory cgroup OOM");
    // Without a year hint a syslog stamp has no wall time, and says so.
    let l = load(
        "apache-doris-3525_rhel7_syslog_UID-variant_with-containerd-lines.txt",
        None,
    );
    assert_eq!(l.oom_kills[0].stamp.wall, None);
    assert!(!l.diagnostics.is_empty());

    // Syslog + monotonic stamp: both decoded.
    let l = load(
        "docker-for-linux-1001_4.15-ish_syslog+monotonic_kill-process-score.txt",
        Some(2020),
    );
    assert_eq!(l.oom_kills[1].stamp.uptime_s, Some(152.823388));
    assert_eq!(
        l.oom_kills[1].stamp.wall.unwrap().to_string(),
        "2020-05-15T23:01:53Z"
    );
    // The oom_reaper line is cited as evidence of the kill it reaped.
    assert_eq!(
        l.oom_kills[0]
            .evidence
            .iter()
            .map(|e| e.line)
            .collect::<Vec<_>>(),
        [Some(2), Some(3)]
    );

    // The wrapped oom-kill line is joined back: memcg and pid from the two halves.
    let l = load("cadvisor-2417_5.0_oom-kill-line_WRAPPED-by-paste.txt", None);
    assert_eq!(
        l.oom_kills[0].oom_memcg.as_deref(),
        Some("/kubepods/burstable/podfbdfe8e3-1c87-4ff2-907c-b2ec8e25d012")
    );
    assert_eq!(l.oom_kills[0].evidence[0].line, Some(1));
    assert!(l.oom_kills[0].evidence[0]
        .excerpt
        .ends_with("task=manager,pid=966,uid=0"));

    // global_oom, cpuset from the summary.
    let l = load(
        "dyrnq-install-docker-14_global_oom_task_memcg-systemd-scope.txt",
        None,
    );
    let k = &l.oom_kills[0];
    assert!(k.global);
    assert_eq!(
        (k.cpuset.as_deref(), k.oom_memcg.as_deref(), k.uid),
        (Some("aegis"), None, Some(1000))
    );

    // German day name in dmesg -T.
    let l = load("oomanalyser_example_proxmox_cgroup_oom.txt", None);
    let k = &l.oom_kills[0];
    assert_eq!(k.stamp.wall.unwrap().to_string(), "2025-08-12T03:54:03Z");
    assert_eq!(k.oom_memcg.as_deref(), Some("/lxc/39004"));
    assert_eq!(
        k.evidence.iter().map(|e| e.line).collect::<Vec<_>>(),
        [Some(1), Some(158), Some(159)]
    );

    // 3.10 global OOM: "Out of memory: Kill process" + cpuset line.
    let l = load("oomanalyser_example_rhel7.txt", None);
    let k = &l.oom_kills[0];
    assert!(k.global);
    assert_eq!(k.cpuset.as_deref(), Some("/"));
    assert_eq!(k.anon_rss_kib, Some(20629004));

    // Duplicated Task-in lines, pager junk: one kill, cgroup from Task in.
    let l = load(
        "qietingfengling-site_4.4-ubuntu_monotonic_docker-cgroupfs-v1_full-memcg.txt",
        None,
    );
    let k = &l.oom_kills[0];
    assert_eq!(k.oom_memcg, k.task_memcg);
    assert_eq!(
        k.cpuset.as_deref(),
        Some("34186d9bd07706222bd427bb647ceed81e8e108eb653ff73c7137099fca1cab6")
    );
    assert_eq!(
        k.evidence[0].excerpt,
        "[14808.063890] main invoked oom-killer: gfp_mask=0x24000c0, order=0, oom_score_adj=0"
    );
    assert_eq!(k.stamp.uptime_s, Some(14808.083306));

    // oom.group: the second, identical Killed line is the same event.
    let l = load(
        "egachi-nodejs-MemoryQoS_6.8plus_cgroupv2-systemd-kubepods_oom-group.txt",
        None,
    );
    let lines: Vec<_> = l.oom_kills[0]
        .evidence
        .iter()
        .map(|e| e.line.unwrap())
        .collect();
    assert_eq!(lines, [1, 10, 11, 12]);
    assert_eq!(l.oom_kills[0].uid, Some(0));

    // journalctl short-precise: microseconds kept.
    let l = load(
        "gpud-pr70_journalctl-short-precise_cri-containerd-lxc.txt",
        Some(2024),
    );
    assert_eq!(
        l.oom_kills[0].stamp.wall.unwrap().to_string(),
        "2024-08-30T06:58:55.050705Z"
    );

    // 4.19 and 5.4 Killed line formats side by side.
    let l = load("npd-480_4.19.112_vs_5.4.49_no-prefix.txt", None);
    assert_eq!(l.oom_kills[0].uid, None);
    assert_eq!(l.oom_kills[1].uid, Some(0));
    assert_eq!(l.oom_kills[1].anon_rss_kib, Some(23856));
}
