use super::message::{parse_killed, parse_summary};
use super::prefix::{split_prefix, strip_pager_junk, Fmt};
use super::*;

fn p(text: &str) -> KernelLog {
    parse(
        "t",
        text.as_bytes(),
        &KernelContext {
            year_hint: Some(2026),
        },
    )
}

fn pids(log: &KernelLog) -> Vec<(u32, String)> {
    log.oom_kills
        .iter()
        .map(|k| (k.pid, k.process.clone()))
        .collect()
}

fn ts(s: &str) -> Option<Timestamp> {
    Timestamp::parse_rfc3339(s)
}

const KILLED: &str = "Memory cgroup out of memory: Killed process 18778 (dd) total-vm:309468kB, anon-rss:65024kB, file-rss:1584kB, shmem-rss:0kB, UID:0 pgtables:164kB oom_score_adj:0";

// ---- prefixes -------------------------------------------------------

#[test]
fn raw_dmesg_prefix() {
    let ctx = KernelContext::default();
    let x = split_prefix("[ 1870.636507] dd invoked oom-killer:", &ctx);
    assert_eq!(x.fmt, Fmt::Dmesg);
    assert_eq!(x.stamp.uptime_s, Some(1870.636507));
    assert_eq!(x.body, "dd invoked oom-killer:");
    // printk level and caller id
    let x = split_prefix("<6>[   13.957383][  T93] mem invoked", &ctx);
    assert_eq!(
        (x.fmt, x.stamp.uptime_s, x.body),
        (Fmt::Dmesg, Some(13.957383), "mem invoked")
    );
    // stack frame brackets are not stamps
    assert_eq!(
        split_prefix("[<ffffffff81604406>] dump_stack", &ctx).fmt,
        Fmt::None
    );
    assert_eq!(
        split_prefix("[ 3942]     0  3942 java", &ctx).fmt,
        Fmt::None
    );
    assert_eq!(split_prefix("[7/972]", &ctx).fmt, Fmt::None);
    // journalctl -o short-monotonic
    let x = split_prefix("[ 1870.636507] host kernel: Killed process 1 (a)", &ctx);
    assert_eq!(
        (x.stamp.uptime_s, x.body),
        (Some(1870.636507), "Killed process 1 (a)")
    );
    // a device name followed by a colon is not a host and tag
    let x = split_prefix("[    1.0] EXT4-fs (sda1): mounted", &ctx);
    assert_eq!((x.kernel, x.body), (true, "EXT4-fs (sda1): mounted"));
}

#[test]
fn dmesg_t_prefix_english_and_german() {
    let ctx = KernelContext::default();
    let x = split_prefix(
        "[Sun Nov 29 03:19:59 2026] crash[19247]: segfault at 0",
        &ctx,
    );
    assert_eq!(x.fmt, Fmt::DmesgT);
    assert_eq!(x.stamp.wall, ts("2026-11-29T03:19:59Z"));
    assert_eq!(x.body, "crash[19247]: segfault at 0");
    let x = split_prefix(
        "[Di Aug 12 03:54:03 2025] php-fpm invoked oom-killer:",
        &ctx,
    );
    assert_eq!(x.stamp.wall, ts("2025-08-12T03:54:03Z"));
    let x = split_prefix("[Thu Dec  7 00:05:15 2017] Killed process 1 (a)", &ctx);
    assert_eq!(x.stamp.wall, ts("2017-12-07T00:05:15Z"));
    // German month abbreviations
    let x = split_prefix("[Mi Mai  7 10:00:00 2025] x", &ctx);
    assert_eq!(x.stamp.wall, ts("2025-05-07T10:00:00Z"));
    let x = split_prefix("[Fr Dez 19 10:00:00 2025] x", &ctx);
    assert_eq!(x.stamp.wall, ts("2025-12-19T10:00:00Z"));
    // unknown month: still a -T line, wall unknown
    let x = split_prefix("[Xx Foo 19 10:00:00 2025] x", &ctx);
    assert_eq!((x.fmt, x.stamp.wall), (Fmt::DmesgT, None));
}

#[test]
fn dmesg_iso_prefix() {
    let ctx = KernelContext::default();
    let x = split_prefix(
        "2026-11-29T03:19:59,136075+00:00 crash[19247]: segfault at 0",
        &ctx,
    );
    assert_eq!(x.fmt, Fmt::DmesgIso);
    assert_eq!(x.stamp.wall, ts("2026-11-29T03:19:59.136075Z"));
    assert_eq!(x.body, "crash[19247]: segfault at 0");
    let x = split_prefix("2026-11-29T04:19:59,136075+01:00 eth0: renamed", &ctx);
    assert_eq!(x.stamp.wall, ts("2026-11-29T03:19:59.136075Z"));
    assert_eq!(x.body, "eth0: renamed");
}

#[test]
fn syslog_prefixes() {
    let y = KernelContext {
        year_hint: Some(2020),
    };
    let x = split_prefix("May  8 14:05:27 doris-03 kernel: Killed process 1 (a)", &y);
    assert_eq!((x.fmt, x.kernel), (Fmt::Syslog, true));
    assert_eq!(x.stamp.wall, ts("2020-05-08T14:05:27Z"));
    assert_eq!(x.body, "Killed process 1 (a)");
    let x = split_prefix(
        "May 15 23:01:53 host kernel: [  152.700479] Memory cgroup",
        &y,
    );
    assert_eq!(x.stamp.uptime_s, Some(152.700479));
    assert_eq!(x.body, "Memory cgroup");
    let x = split_prefix("May  8 14:05:34 doris-03 containerd: time=\"x\"", &y);
    assert_eq!((x.fmt, x.kernel), (Fmt::Syslog, false));
    let x = split_prefix("Dec 11 10:48:08 h dockerd[812]: msg", &y);
    assert_eq!((x.fmt, x.kernel), (Fmt::Syslog, false));
    // no year known: no wall clock
    let x = split_prefix(
        "May  8 14:05:27 doris-03 kernel: x",
        &KernelContext::default(),
    );
    assert_eq!((x.fmt, x.stamp.wall), (Fmt::Syslog, None));
    // rsyslog high-precision ISO stamp
    let x = split_prefix(
        "2026-11-29T03:19:59.123456+00:00 host kernel: [ 1.5] hi",
        &y,
    );
    assert_eq!((x.fmt, x.kernel, x.body), (Fmt::Syslog, true, "hi"));
    assert_eq!(x.stamp.wall, ts("2026-11-29T03:19:59.123456Z"));
    assert_eq!(x.stamp.uptime_s, Some(1.5));
    // RFC 5424
    let x = split_prefix(
        "<4>1 2026-11-29T03:19:59.5Z host kernel - - - oom-kill:x",
        &y,
    );
    assert_eq!((x.fmt, x.kernel, x.body), (Fmt::Syslog, true, "oom-kill:x"));
}

#[test]
fn journalctl_prefixes() {
    let y = KernelContext {
        year_hint: Some(2024),
    };
    let x = split_prefix("Aug 30 06:58:55.050705 ... kernel: oom-kill:a", &y);
    assert_eq!(
        (x.fmt, x.kernel, x.body),
        (Fmt::Journal, true, "oom-kill:a")
    );
    assert_eq!(x.stamp.wall, ts("2024-08-30T06:58:55.050705Z"));
    let x = split_prefix("2026-11-29T03:19:59+0000 host kernel: hi", &y);
    assert_eq!((x.fmt, x.kernel, x.body), (Fmt::Journal, true, "hi"));
    assert_eq!(x.stamp.wall, ts("2026-11-29T03:19:59Z"));
    // short with the journal banner
    let log = p("-- Logs begin at Sun 2026-11-29 00:00:00 UTC. --\nNov 29 03:19:59 h kernel: a\nNov 29 03:19:59 h kernel: b\n");
    assert_eq!(log.format, "journalctl");
}

#[test]
fn vmware_wrapper() {
    let ctx = KernelContext::default();
    let x = split_prefix(
        "2023-12-04T10:49:30.127Z In(05) vcpu-5 - Guest: <6>[39291577.009363] Tasks state",
        &ctx,
    );
    assert_eq!(
        (x.fmt, x.kernel, x.body),
        (Fmt::Vmware, true, "Tasks state")
    );
    assert_eq!(x.stamp.uptime_s, Some(39291577.009363));
    assert_eq!(x.stamp.wall, ts("2023-12-04T10:49:30.127Z"));
    let x = split_prefix(
        "2023-12-04T10:49:30.127Z In(05) vmx - Killed process 1 (a)",
        &ctx,
    );
    assert!(!x.kernel, "the VMX's own lines are not kernel lines");
    let log = p("2023-12-04T10:49:30.127Z In(05) vcpu-5 - Guest: <3>[39291577.1] Memory cgroup out of memory: Killed process 19331 (npm start) total-vm:904104kB, anon-rss:118412kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:1284kB oom_score_adj:999\n");
    assert_eq!(pids(&log), [(19331, "npm start".to_string())]);
    assert_eq!(log.oom_kills[0].uid, Some(1000));
    assert_eq!(log.format, "dmesg");
}

#[test]
fn format_majority_and_mixed() {
    assert_eq!(
        p("[ 1.0] a\n[ 2.0] b\n[Sun Nov 29 03:19:59 2026] c\n[ 3.0] d\n[ 4.0] e\n").format,
        "dmesg"
    );
    assert_eq!(
        p("[ 1.0] a\n[ 2.0] b\n[Sun Nov 29 03:19:59 2026] c\n[Sun Nov 29 03:19:59 2026] d\n")
            .format,
        "mixed"
    );
    assert_eq!(p("no prefix at all\n").format, "dmesg");
}

// ---- OOM report lines ----------------------------------------------

#[test]
fn report_5x_full() {
    let text = format!(
        "[ 1.0] dd invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n\
         [ 1.1] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=abc,mems_allowed=0-1,3,oom_memcg=/docker/abc,task_memcg=/docker/abc,task=dd,pid=18778,uid=0\n\
         [ 1.2] {KILLED}\n\
         [ 1.3] oom_reaper: reaped process 18778 (dd), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB\n"
    );
    let log = p(&text);
    assert_eq!(pids(&log), [(18778, "dd".to_string())]);
    let k = &log.oom_kills[0];
    assert_eq!(k.task_memcg.as_deref(), Some("/docker/abc"));
    assert_eq!(k.oom_memcg.as_deref(), Some("/docker/abc"));
    assert_eq!(k.cpuset.as_deref(), Some("abc"));
    assert_eq!(k.constraint.as_deref(), Some("CONSTRAINT_MEMCG"));
    assert!(!k.global);
    assert_eq!(
        (k.anon_rss_kib, k.total_vm_kib, k.uid),
        (Some(65024), Some(309468), Some(0))
    );
    assert_eq!(k.stamp.uptime_s, Some(1.2));
    let lines: Vec<_> = k.evidence.iter().map(|e| e.line.unwrap()).collect();
    assert_eq!(lines, [1, 2, 3, 4]);
}

#[test]
fn summary_parsing_keeps_commas_in_values() {
    let s = parse_summary("oom-kill:constraint=CONSTRAINT_NONE,nodemask=0-1,3,cpuset=/,mems_allowed=0,2,global_oom,task_memcg=/system.slice/a.service,task=npm start,pid=7,uid=1000").unwrap();
    assert!(s.global);
    assert_eq!(s.oom_memcg, None);
    assert_eq!(s.cpuset.as_deref(), Some("/"));
    assert_eq!(s.task.as_deref(), Some("npm start"));
    assert_eq!((s.pid, s.uid), (Some(7), Some(1000)));
}

#[test]
fn header_variants_and_cpuset_line_3_10_to_4_19() {
    for header in [
        "sed invoked oom-killer: gfp_mask=0x201da, order=0, oom_score_adj=0",
        "mem invoked oom-killer: gfp_mask=0x14200ca(GFP_HIGHUSER_MOVABLE), nodemask=(null),  order=0, oom_score_adj=0",
        "main invoked oom-killer: gfp_mask=0x6000c0(GFP_KERNEL), nodemask=(null), order=0, oom_score_adj=0",
    ] {
        let text = format!(
            "[ 5.0] {header}\n[ 5.0] main cpuset=34186d9b mems_allowed=0\n\
             [ 5.1] Task in /docker/34186d9b killed as a result of limit of /docker\n\
             [ 5.2] Memory cgroup out of memory: Kill process 11344 (main) score 904 or sacrifice child\n\
             [ 5.3] Killed process 11344 (main) total-vm:390360kB, anon-rss:183712kB, file-rss:1016kB\n"
        );
        let log = p(&text);
        assert_eq!(pids(&log), [(11344, "main".to_string())], "{header}");
        let k = &log.oom_kills[0];
        assert_eq!(k.task_memcg.as_deref(), Some("/docker/34186d9b"));
        assert_eq!(k.oom_memcg.as_deref(), Some("/docker"));
        assert_eq!(k.cpuset.as_deref(), Some("34186d9b"));
        assert_eq!(k.uid, None);
        assert!(!k.global);
        let lines: Vec<_> = k.evidence.iter().map(|e| e.line.unwrap()).collect();
        assert_eq!(lines, [1, 3, 5]);
    }
}

#[test]
fn kill_process_line_anchors_when_killed_line_is_missing() {
    let log = p("Out of memory: Kill process 6576 (mysqld) score 651 or sacrifice child\n");
    assert_eq!(pids(&log), [(6576, "mysqld".to_string())]);
    assert!(log.oom_kills[0].global);
    assert_eq!(log.oom_kills[0].evidence[0].line, Some(1));
    // sacrificed child: the Killed line names the real victim
    let log = p("Memory cgroup out of memory: Kill process 46211 (process) score 561 or sacrifice child\n\
                 Killed process 46433 (process) total-vm:536552kB, anon-rss:12012kB, file-rss:53740kB, shmem-rss:4kB\n\
                 oom_reaper: reaped process 46433 (chrome), now anon-rss:0kB, file-rss:0kB, shmem-rss:4kB\n");
    assert_eq!(pids(&log), [(46433, "process".to_string())]);
    assert_eq!(log.oom_kills[0].evidence.len(), 2);
}

#[test]
fn duplicated_kill_process_line_does_not_make_a_second_kill() {
    let log = p(
        "Out of memory: Kill process 6576 (mysqld) score 651 or sacrifice child\n\
                 Out of memory: Kill process 6576 (mysqld) score 651 or sacrifice child\n\
                 Killed process 6576 (mysqld) total-vm:3kB, anon-rss:2kB, file-rss:0kB\n",
    );
    assert_eq!(pids(&log), [(6576, "mysqld".to_string())]);
    assert_eq!(log.oom_kills[0].anon_rss_kib, Some(2));
    assert!(log.oom_kills[0].global);
}

#[test]
fn killed_line_variants() {
    type Case = (&'static str, u32, &'static str, Option<u32>, Option<bool>);
    let cases: &[Case] = &[
        ("Killed process 18177 (palo_be), UID 0, total-vm:70347780kB, anon-rss:45563572kB, file-rss:0kB, shmem-rss:0kB", 18177, "palo_be", Some(0), None),
        ("Out of memory: Killed process 29649 (uvicorn) total-vm:1kB, anon-rss:2kB, file-rss:3kB, shmem-rss:4kB, UID:0 pgtables:5kB oom_score_adj:0", 29649, "uvicorn", Some(0), Some(true)),
        ("Memory cgroup out of memory: Killed process 15617 (python3) total-vm:11892kB, anon-rss:4292kB, file-rss:3428kB, shmem-rss:0kB", 15617, "python3", None, Some(false)),
        ("Killed process 28438 (java) total-vm:20255636kB, anon-rss:466160kB, file-rss:13684kB", 28438, "java", None, None),
        ("Killed process 7 (npm start) total-vm:1kB, anon-rss:2kB, file-rss:3kB", 7, "npm start", None, None),
        ("Killed process 8 (we (ird)) total-vm:1kB, anon-rss:2kB, file-rss:3kB", 8, "we (ird)", None, None),
        ("Out of memory (oom_kill_allocating_task): Killed process 9 (x) total-vm:1kB, anon-rss:2kB, file-rss:3kB", 9, "x", None, Some(true)),
    ];
    for (line, pid, comm, uid, global) in cases {
        let k = parse_killed(line).unwrap_or_else(|| panic!("{line}"));
        assert_eq!(
            (k.pid, k.comm, k.uid, k.global),
            (*pid, *comm, *uid, *global),
            "{line}"
        );
        assert!(k.anon_rss.is_some(), "{line}");
    }
    assert!(parse_killed("oom_kill_process+0xfc/0x210").is_none());
    assert!(parse_killed("systemd: Killed process 5 (x) total-vm:1kB").is_none());
}

#[test]
fn oom_group_line_is_evidence_and_duplicate_kill_is_dropped() {
    let text = format!(
        "[ 2.0] {KILLED}\n[ 2.1] Tasks in /kubepods.slice/x.scope are going to be killed due to memory.oom.group set\n[ 2.2] {KILLED}\n"
    );
    let log = p(&text);
    assert_eq!(log.oom_kills.len(), 1);
    assert_eq!(log.oom_kills[0].evidence.len(), 2);
}

#[test]
fn task_in_is_not_reused_by_a_ratelimited_later_kill() {
    let log = p(
        "[ 1.0] Task in /docker/a killed as a result of limit of /docker/a\n\
                 [ 1.1] Killed process 1 (a) total-vm:1kB, anon-rss:1kB, file-rss:1kB\n\
                 [ 9.1] Killed process 2 (b) total-vm:1kB, anon-rss:1kB, file-rss:1kB\n",
    );
    assert_eq!(log.oom_kills[0].task_memcg.as_deref(), Some("/docker/a"));
    assert_eq!(log.oom_kills[1].task_memcg, None);
}

#[test]
fn summary_without_killed_line_is_a_kill() {
    let log = p("[4650180.470877] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=aegis,mems_allowed=0,global_oom,task_memcg=/system.slice/docker-0074.scope,task=java,pid=7134,uid=1000\n");
    assert_eq!(pids(&log), [(7134, "java".to_string())]);
    assert!(log.oom_kills[0].global);
    assert_eq!(log.oom_kills[0].uid, Some(1000));
}

// ---- paste damage ---------------------------------------------------

#[test]
fn wrapped_summary_and_killed_lines_are_joined() {
    let log = p("[180042.118480] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=ef80,mems_allowed=0,oom_memcg=/kubepods/burstable/podfbdfe8e3-1c87-4ff2-907\n\
                 c-b2ec8e25d012,task_memcg=/kubepods/burstable/podfbdfe8e3-1c87-4ff2-907c-b2ec8e25d012/ef80,task=manager,pid=966,uid=0\n\
                 [180042.118490] Memory cgroup out of memory: Killed process 966 (manager) total-vm:1000kB, anon-rss:5\n\
                 00kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:999\n");
    assert_eq!(pids(&log), [(966, "manager".to_string())]);
    let k = &log.oom_kills[0];
    assert_eq!(
        k.task_memcg.as_deref(),
        Some("/kubepods/burstable/podfbdfe8e3-1c87-4ff2-907c-b2ec8e25d012/ef80")
    );
    assert_eq!(k.anon_rss_kib, Some(500));
    assert_eq!(k.uid, Some(0));
    let lines: Vec<_> = k.evidence.iter().map(|e| e.line.unwrap()).collect();
    assert_eq!(lines, [1, 3]);
    assert!(k.evidence[1].excerpt.ends_with("oom_score_adj:999"));
}

#[test]
fn unprefixed_continuation_of_another_program_is_not_kernel() {
    let log = p("Dec 11 10:48:08 h dockerd: time=\"x\" msg=\"Killed process 5 (x) total-vm:1kB, anon-rss:1kB, file-rss:1kB\" addr=/a/b\n\
                 c169/shim.sock\" debug=false Killed process 6 (y) total-vm:1kB, anon-rss:1kB, file-rss:1kB\n\
                 Dec 11 10:48:09 h kernel: thrash invoked oom-killer: gfp_mask=0xd0, order=0, oom_score_adj=0\n");
    assert!(log.oom_kills.is_empty());
    assert_eq!(log.format, "syslog");
}

#[test]
fn duplicated_lines_and_pager_junk() {
    let junk = " ".repeat(120) + "[7/972]";
    let text = format!(
        "[14808.063890] main invoked oom-killer: gfp_mask=0x24000c0, order=0, oom_score_adj=0{junk}\n\
         [14808.063986] Task in /docker/34 killed as a result of limit of /docker/34\n\
         [14808.063986] Task in /docker/34 killed as a result of limit of /docker/34\n\
         [14808.083306] Killed process 11344 (main) total-vm:390360kB, anon-rss:183712kB, file-rss:1016kB\n\
         [14808.083306] Killed process 11344 (main) total-vm:390360kB, anon-rss:183712kB, file-rss:1016kB\n\
         [14808.1] crash[19247]: segfault at 0 ip 0000000000401687 sp 00007ffe8991a5d0 error 6 in crash[401000+78000]\n\
         [14808.1] crash[19247]: segfault at 0 ip 0000000000401687 sp 00007ffe8991a5d0 error 6 in crash[401000+78000]\n"
    );
    let log = p(&text);
    assert_eq!(pids(&log), [(11344, "main".to_string())]);
    assert_eq!(log.segfaults.len(), 1);
    let h = &log.oom_kills[0].evidence[0];
    assert_eq!(
        h.excerpt,
        "[14808.063890] main invoked oom-killer: gfp_mask=0x24000c0, order=0, oom_score_adj=0"
    );
    assert_eq!(strip_pager_junk("a [1/2]"), "a");
    assert_eq!(strip_pager_junk("[1/2]"), "[1/2]");
}

#[test]
fn crlf_line_endings() {
    let log = p("[ 1.0] crash[5]: segfault at 0 ip 1 sp 2 error 4 in crash[400000+1000]\r\n");
    assert_eq!(
        log.segfaults[0].evidence.excerpt,
        "[ 1.0] crash[5]: segfault at 0 ip 1 sp 2 error 4 in crash[400000+1000]"
    );
    assert_eq!(log.lines, 1);
}

// ---- segfaults ------------------------------------------------------

#[test]
fn segfault_variants() {
    let log = p("[ 1872.136075] crash[19247]: segfault at 0 ip 0000000000401687 sp 00007ffe8991a5d0 error 6 in crash[1687,401000+78000] likely on CPU 1 (core 1, socket 0)\n\
                 [ 1873.0] npm start[31]: segfault at 8 ip 00007f sp 00007e error 4 in libc.so.6[7f+1000]\n\
                 [ 1874.0] w[eird][32]: segfault at 8 ip 00007f sp 00007e error 4\n\
                 [ 1875.0] traps: node[33] general protection fault ip:55 sp:7ff error:0 in node[400000+1000]\n\
                 [ 1876.0] traps: x[34] trap invalid opcode ip:1 sp:2 error:0 in x[1+2]\n");
    let got: Vec<_> = log
        .segfaults
        .iter()
        .map(|s| (s.pid, s.process.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (19247, "crash"),
            (31, "npm start"),
            (32, "w[eird]"),
            (33, "node")
        ]
    );
    assert_eq!(log.segfaults[0].stamp.uptime_s, Some(1872.136075));
    assert_eq!(log.segfaults[0].evidence.line, Some(1));
}

// ---- robustness -----------------------------------------------------

#[test]
fn garbage_and_invalid_utf8_do_not_panic() {
    let mut inputs: Vec<Vec<u8>> = vec![
        b"\xff\xfe\x00[ 1.0] \xc3\x28 Killed process 1 (\xe2\x82) total-vm:1kB\n".to_vec(),
        b"[99999999999999999999999999999999999.9] Killed process 99999999999 (x) total-vm:99999999999999999999999kB, anon-rss:1kB\n".to_vec(),
        b"Killed process 5 (x) total-vm:99999999999999999999999kB, anon-rss:1kB, file-rss:1kB\n".to_vec(),
        b"oom-kill:pid=99999999999,task=x,uid=-1\noom-kill:\noom-kill:,,,=,==\n".to_vec(),
        b"[Sun Nov 99 99:99:99 2026] x\n[Sun \xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac]\n".to_vec(),
        b"<\n<9999>\n[\n[ \n[ 1.\n2026-\n2026-11-29T\nNov\nNov 29\nNov 29 03:19:59\nNov 29 03:19:59 h\n]: segfault at \n[]: segfault at \ntraps: \n".to_vec(),
        vec![b'A'; 3_000_000],
    ];
    // every truncation of a realistic report
    let report = format!(
        "<6>[ 1.0] dd invoked oom-killer: gfp_mask=0xcc0, order=0, oom_score_adj=0\n\
         Nov 29 03:19:59 h kernel: [ 1.1] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=a,mems_allowed=0,oom_memcg=/a,task_memcg=/a,task=dd,pid=1,uid=0\n\
         2026-11-29T03:19:59,1+00:00 {KILLED}\n[Di Aug 12 03:54:03 2025] x[1]: segfault at 0 ip 1\n\
         2023-12-04T10:49:30.127Z In(05) vcpu-5 - Guest: <6>[1.0] Task in /a killed as a result of limit of /b\n"
    );
    for i in 0..=report.len() {
        inputs.push(report.as_bytes()[..i].to_vec());
    }
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    for _ in 0..200 {
        let mut v = report.as_bytes().to_vec();
        for _ in 0..8 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let at = (seed >> 33) as usize % v.len();
            v[at] = (seed >> 13) as u8;
        }
        inputs.push(v);
    }
    for input in &inputs {
        let log = parse(
            "g",
            input,
            &KernelContext {
                year_hint: Some(2026),
            },
        );
        let _ = looks_like_kernel_log(input);
        for k in &log.oom_kills {
            assert!(!k.evidence.is_empty());
        }
    }
    let log = parse("g", inputs[0].as_slice(), &KernelContext::default());
    assert!(log.diagnostics.iter().any(|d| d.message.contains("UTF-8")));
    let log = parse("g", inputs[1].as_slice(), &KernelContext::default());
    assert!(log.oom_kills.is_empty(), "pid beyond u32 is not a pid");
    let log = parse("g", inputs[2].as_slice(), &KernelContext::default());
    assert_eq!(log.oom_kills[0].total_vm_kib, None);
    assert_eq!(log.oom_kills[0].anon_rss_kib, Some(1));
}

#[test]
fn looks_like() {
    assert!(looks_like_kernel_log(
        b"[ 1865.363612] docker0: port 1(veth793498f) entered blocking state\n"
    ));
    assert!(looks_like_kernel_log(
        b"[Sun Nov 29 03:19:52 2026] docker0: port 1\n"
    ));
    assert!(looks_like_kernel_log(
        b"2026-11-29T03:19:52,363612+00:00 docker0: port 1\n"
    ));
    assert!(looks_like_kernel_log(
        b"Nov 29 03:19:52 host kernel: docker0: port 1\n"
    ));
    assert!(looks_like_kernel_log(
        b"Out of memory: Kill process 6576 (mysqld) score 651 or sacrifice child\n"
    ));
    assert!(!looks_like_kernel_log(b"1894.93 3157.71\n"));
    assert!(!looks_like_kernel_log(b"{\"log\":\"[ 1.0] x\"}\n"));
    assert!(!looks_like_kernel_log(
        b"Nov 29 03:19:52 host dockerd[1]: a\nNov 29 03:19:52 host dockerd[1]: b\n"
    ));
    assert!(!looks_like_kernel_log(
        b"hello world\nthis is prose [1.0]\n"
    ));
    assert!(!looks_like_kernel_log(b"\x00\x01\x02\xff\xfe"));
    let messages =
        "Nov 29 03:19:52 host dockerd[1]: a\n".repeat(10) + "Nov 29 03:19:52 host kernel: x\n";
    assert!(looks_like_kernel_log(messages.as_bytes()));
    assert_eq!(p("").lines, 0);
    assert_eq!(p("a\nb").lines, 2);
    assert_eq!(p("a\nb\n").lines, 2);
}

/// Issue #11: an OOM report pasted without the line naming its victim is
/// still an OOM record: the invoking task (pid from its `CPU:` line), the
/// memcg of `Memory cgroup stats for`, and "kill line missing".
#[test]
fn an_oom_report_without_its_kill_line_is_still_a_record() {
    let log = p("[ 1870.636507] dd invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n\
                 [ 1870.636523] CPU: 0 UID: 0 PID: 18778 Comm: dd Not tainted 6.18.44-fc-v769 #1 PREEMPT(none) \n\
                 [ 1870.636528] Call Trace:\n\
                 [ 1870.636805] Memory cgroup stats for /docker/85a48e138c0e93f28340a6ed94dfb35822f95f8c8abdb06b080007e38efc1106:\n\
                 [ 1870.636806] anon 66584576\n");
    assert_eq!(log.oom_kills.len(), 1);
    let k = &log.oom_kills[0];
    assert!(k.kill_line_missing);
    assert_eq!((k.pid, k.process.as_str()), (18778, "dd"));
    assert_eq!(
        k.task_memcg.as_deref(),
        Some("/docker/85a48e138c0e93f28340a6ed94dfb35822f95f8c8abdb06b080007e38efc1106")
    );
    let lines: Vec<_> = k.evidence.iter().map(|e| e.line.unwrap()).collect();
    assert_eq!(lines, [1, 4]);
    // With its kill line, the same report is an ordinary kill.
    let whole = p("[ 1870.636507] dd invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n\
                   [ 1870.636523] CPU: 0 UID: 0 PID: 18778 Comm: dd Not tainted 6.18.44-fc-v769 #1 PREEMPT(none) \n\
                   [ 1870.636805] Memory cgroup stats for /docker/85a48e138c0e93f28340a6ed94dfb35822f95f8c8abdb06b080007e38efc1106:\n\
                   [ 1870.636906] Memory cgroup out of memory: Killed process 18778 (dd) total-vm:309468kB, anon-rss:65024kB, file-rss:1584kB, shmem-rss:0kB, UID:0 pgtables:164kB oom_score_adj:0\n");
    assert_eq!(whole.oom_kills.len(), 1);
    assert!(!whole.oom_kills[0].kill_line_missing);
}

/// Issue #11: node-problem-detector's kernel-monitor patterns.
#[test]
fn hung_tasks_lockups_oopses_and_filesystem_errors() {
    use super::KernelEventKind as K;
    let log = p("[ 100.0] INFO: task docker:20744 blocked for more than 120 seconds.\n\
                 [ 220.0] INFO: task docker:20744 blocked for more than 120 seconds.\n\
                 [ 300.0] watchdog: BUG: soft lockup - CPU#3 stuck for 23s! [kworker/3:1:412]\n\
                 [ 400.0] BUG: unable to handle kernel NULL pointer dereference at 0000000000000078\n\
                 [ 400.1] Oops: 0000 [#1] SMP\n\
                 [ 400.2] CPU: 11 PID: 63 Comm: ksoftirqd/11 Tainted: G         C    3.16.0-4-amd64 #1\n\
                 [ 500.0] EXT4-fs error (device sda1): ext4_find_entry:1455: inode #2: comm ls: reading directory lblock 0\n\
                 [ 501.0] EXT4-fs (sda1): Remounting filesystem read-only\n\
                 [ 600.0] XFS (dm-0): Corruption detected. Unmount and run xfs_repair\n");
    let got: Vec<(K, Option<&str>, Option<u32>, Option<u64>, Option<&str>, u32)> = log
        .events
        .iter()
        .map(|e| {
            (
                e.kind,
                e.process.as_deref(),
                e.pid,
                e.seconds,
                e.device.as_deref(),
                e.count,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (K::HungTask, Some("docker"), Some(20744), Some(120), None, 2),
            (
                K::SoftLockup,
                Some("kworker/3:1"),
                Some(412),
                Some(23),
                None,
                1
            ),
            (K::Oops, Some("ksoftirqd/11"), Some(63), None, None, 1),
            (K::FsError, None, None, None, Some("sda1"), 1),
            (K::ReadOnly, None, None, None, Some("sda1"), 1),
            (K::FsError, None, None, None, Some("dm-0"), 1),
        ]
    );
    let oops: Vec<_> = log.events[2]
        .evidence
        .iter()
        .map(|e| e.line.unwrap())
        .collect();
    assert_eq!(oops, [4, 5, 6]);
    assert!(log.oom_kills.is_empty() && log.segfaults.is_empty());
}

/// Raw `/dev/kmsg` records (sapcc/kubernetes-oomkill-exporter's test data,
/// #11): the head is `PRI,SEQ,USEC,FLAGS[,…];`, and only that shape is one.
#[test]
fn kmsg_records_are_split_and_other_shapes_are_not() {
    let ctx = KernelContext::default();
    let r = split_prefix("6,22743,6115623303887,-;oom-kill:constraint=X", &ctx);
    assert_eq!(r.fmt, Fmt::Dmesg);
    assert_eq!(r.stamp.uptime_s, Some(6115623.303887));
    assert_eq!(r.body, "oom-kill:constraint=X");
    let r = split_prefix("4,7,12,c,caller=T1;msg", &ctx);
    assert_eq!((r.stamp.uptime_s, r.body), (Some(0.000012), "msg"));
    for not in [
        "6,1,abc,-;x",
        "6,1,2,x;x",
        "6,1;x",
        "a,b,c,-;x",
        ",,,-;x",
        "6,1,99999999999999999999999,-;x",
    ] {
        let r = split_prefix(not, &ctx);
        assert_eq!(r.stamp.uptime_s, None, "{not}");
        assert_eq!(r.body, not, "{not}");
    }
}
