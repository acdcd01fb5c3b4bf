//! A second real incident (samples/sos, captured from a real Docker 20.10.24
//! engine and kernel with scripts/capture-sos-incident.sh) in a sosreport
//! layout: extension-less inspect files, logs under var/lib/docker, raw dmesg,
//! proc/uptime and `date --utc`, packed as .tar.zst. Every fact below was
//! checked against the raw files with an independent reader. Guards issue #2.

mod common;

common::one_report!("sos/sosreport-qhost-2026.tar.zst");

#[test]
fn extension_less_inspect_files_are_read_by_content() {
    assert_eq!(report().containers.len(), 8);
    for (name, status, exit, oom, restarts) in [
        ("qabort", "exited", Some(0), false, 0),
        ("qchatty", "exited", Some(0), false, 0),
        ("qdns", "exited", Some(1), false, 0),
        ("qfine", "exited", Some(137), false, 0),
        ("qnoexec", "created", Some(126), false, 0),
        ("qoom", "exited", Some(137), true, 0),
        ("qport", "running", None, false, 0),
        ("qtrace", "exited", Some(1), false, 3),
    ] {
        let x = c(name);
        assert_eq!(
            (
                x.status.unescaped(),
                x.exit_code,
                x.oom_killed,
                x.restart_count
            ),
            (status, exit, oom, restarts),
            "{name}"
        );
    }
    assert!(report()
        .inputs
        .iter()
        .any(|i| i.path.unescaped().ends_with("docker_inspect_qoom") && i.kind == "inspect"));
    assert!(report()
        .inputs
        .iter()
        .any(|i| i.path.unescaped().ends_with("date_--utc") && i.kind == "host-info"));
}

#[test]
fn uncompressed_rotation_and_empty_logs() {
    let l = c("qchatty").logs.as_ref().unwrap();
    assert_eq!((l.files, l.lines, l.stderr_lines), (3, 2691, Some(2)));
    // qport and qnoexec wrote nothing: an empty log is zero lines, not "no logs".
    assert_eq!(c("qport").logs.as_ref().unwrap().lines, 0);
    assert_eq!(c("qnoexec").logs.as_ref().unwrap().lines, 0);
}

#[test]
fn causes_of_death() {
    assert!(rules("qoom").contains(&"oom-killed"));
    assert!(
        rules("qtrace").contains(&"crash-loop") && rules("qtrace").contains(&"crash-signature")
    );
    assert!(rules("qnoexec").contains(&"command-not-found"));
    assert!(rules("qport").contains(&"port-mismatch"));
    assert!(rules("qfine").contains(&"stop-timeout-kill"));
    // Docker shows a stopped container's health as "unhealthy" with a streak of 0.
    assert!(
        !rules("qfine").contains(&"unhealthy"),
        "{:?}",
        rules("qfine")
    );
    assert!(rules("qdns").contains(&"segfault"));
}

#[test]
fn child_segfaults_are_attributed_through_the_logs() {
    let k = &report().kernel;
    let mut segs: Vec<(u64, &str, Option<&str>)> = k
        .segfaults
        .iter()
        .map(|s| {
            (
                s.pid,
                s.process.unescaped(),
                s.container.as_ref().map(|s| s.unescaped()),
            )
        })
        .collect();
    segs.sort();
    assert_eq!(
        segs,
        vec![
            (22332, "wget", Some("qdns")),
            (22353, "wget", Some("qdns")),
            (22373, "wget", Some("qdns"))
        ]
    );
    assert_eq!(k.oom_kills.len(), 1);
    assert_eq!(
        (
            k.oom_kills[0].pid,
            k.oom_kills[0].container.as_ref().map(|s| s.unescaped())
        ),
        (21923, Some("qoom"))
    );
    assert!(
        k.time_method.unescaped().contains("uptime"),
        "date --utc and proc/uptime place the stamps: {}",
        k.time_method.unescaped()
    );
    assert!(report()
        .findings
        .iter()
        .all(|f| f.rule != "unmatched-kernel-event"));
}
