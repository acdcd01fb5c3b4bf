//! One clock for kernel and Docker times (issue #12, "One clock"; issue #11
//! item 11, syslog stamps without a year).
//!
//! `samples/clock/dmesg-T-utc-minus-5.txt` is the real `dmesg -T` of
//! `samples/bundle` with every stamp shifted by −5 h
//! (`scripts/shift-dmesg-T.py`), as a host at UTC−5 prints it; it is read
//! beside the bundle's own, unshifted Docker events and inspect output.

use std::path::PathBuf;

use coroner::ingest::kernel::{parse_with_year_anchor, YearAnchor};
use coroner::report::schema::Report;
use coroner::report::{render, Format};
use coroner::time::Timestamp;
use coroner::{run, Config};

mod common;

fn host(f: &str) -> PathBuf {
    common::sample("bundle/host").join(f)
}

fn shifted() -> PathBuf {
    common::sample("clock/dmesg-T-utc-minus-5.txt")
}

fn report(paths: Vec<PathBuf>) -> Report {
    run(&Config::new(paths))
}

/// (pid, process, container) of every kernel event in the bundle (corpus README).
const KERNEL_EVENTS: &[(u64, &str, &str)] = &[
    (18778, "dd", "pindexer"),
    (18987, "dd", "pbatch"),
    (19518, "dd", "pcron"),
    (20251, "dd", "ppodlike"),
    (19247, "crash", "psegv"),
];

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap_or_else(|| panic!("not a time: {s}"))
}

/// Docker's own record of the happening, read straight from the events
/// file: the container's `oom` event, or its `die` event with exit 139.
fn docker_record(id: &str, segfault: bool) -> Timestamp {
    let text = std::fs::read_to_string(host("docker-events.jsonl")).unwrap();
    let mut hits = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let actor = v["Actor"]["ID"].as_str().unwrap_or("");
        let action = v["Action"].as_str().unwrap_or("");
        let exit = v["Actor"]["Attributes"]["exitCode"].as_str().unwrap_or("");
        let wanted = if segfault {
            action == "die" && exit == "139"
        } else {
            action == "oom"
        };
        if actor == id && wanted {
            hits.push(Timestamp(v["timeNano"].as_i64().unwrap()));
        }
    }
    assert_eq!(hits.len(), 1, "one Docker record for {id}");
    hits[0]
}

/// Every kernel event is attributed to its container and placed within
/// `within_s` of Docker's own record of it; returns the placed times.
fn check_events(r: &Report, within_s: f64) {
    for &(pid, process, name) in KERNEL_EVENTS {
        let segfault = process == "crash";
        let (container, time) = if segfault {
            let s = r
                .kernel
                .segfaults
                .iter()
                .find(|s| s.pid == pid)
                .unwrap_or_else(|| panic!("segfault {pid} missing"));
            (
                s.container.as_ref().map(|c| c.unescaped().to_string()),
                s.time.clone(),
            )
        } else {
            let o = r
                .kernel
                .oom_kills
                .iter()
                .find(|o| o.pid == pid)
                .unwrap_or_else(|| panic!("OOM kill {pid} missing"));
            (
                o.container.as_ref().map(|c| c.unescaped().to_string()),
                o.time.clone(),
            )
        };
        assert_eq!(container.as_deref(), Some(name), "pid {pid} ({process})");
        let time = t(time
            .as_deref()
            .unwrap_or_else(|| panic!("pid {pid} has no time")));
        let id = common::container(r, name).id.unescaped().to_string();
        let d = docker_record(&id, segfault);
        let off = (time.0 - d.0).abs() as f64 / 1e9;
        assert!(
            off <= within_s,
            "pid {pid} ({name}) placed at {time}, Docker recorded {d}: {off:.3} s apart"
        );
    }
    assert!(
        !r.findings
            .iter()
            .any(|f| f.rule == "unmatched-kernel-event"),
        "no kernel event is left unmatched"
    );
}

/// No kernel event of a container lies before that container's start.
fn none_before_start(r: &Report) {
    let times = r
        .kernel
        .oom_kills
        .iter()
        .map(|o| (&o.container, &o.time))
        .chain(r.kernel.segfaults.iter().map(|s| (&s.container, &s.time)));
    for (c, time) in times {
        let name = c.as_ref().expect("attributed").unescaped();
        let started = common::container(r, name)
            .started_at
            .clone()
            .expect("started");
        let time = time.as_deref().expect("placed");
        assert!(
            t(time) >= t(&started),
            "{name}: kernel event at {time} before its start at {started}"
        );
    }
}

#[test]
fn utc_minus_5_dmesg_t_is_aligned_on_docker_events() {
    let r = report(vec![
        shifted(),
        host("docker-events.jsonl"),
        host("docker-inspect-all.json"),
    ]);
    let c = &r.kernel.clock;
    assert_eq!(c.method, "aligned-on-docker-records");
    let o = c.offset_s.expect("offset stated");
    assert!(
        (o + 18000.0).abs() < 2.0,
        "offset {o} is the −5 h zone plus drift"
    );
    assert_eq!(c.pairs, 5, "four oom events and one die 139");
    assert!(c.residual_s.expect("residual") <= 2.0);
    assert!(
        c.text.unescaped().contains("UTC-05:00"),
        "{}",
        c.text.unescaped()
    );
    check_events(&r, 3.0);
    none_before_start(&r);
    assert!(
        !r.diagnostics
            .iter()
            .any(|d| d.message.unescaped().contains("kernel clocks disagree")
                || d.message.unescaped().contains("kernel times are up to")),
        "aligned within 2 s: no clock warning"
    );
    // One line in every human format.
    for f in [Format::Text, Format::Markdown, Format::Html] {
        let out = render(&r, f);
        assert!(
            out.contains("Clock: aligned-on-docker-records, offset -18000."),
            "{f:?} states the clock"
        );
        assert!(
            !out.contains("22:19:57Z"),
            "{f:?} never shows local time as UTC"
        );
    }
    let json = render(&r, Format::Json);
    assert!(
        json.contains("\"method\": \"aligned-on-docker-records\""),
        "{json:.0}"
    );
}

#[test]
fn utc_minus_5_dmesg_t_is_aligned_on_inspect_alone() {
    // No events: the FinishedAt of OOM-killed and exit-139 containers pair.
    let r = report(vec![shifted(), host("docker-inspect-all.json")]);
    let c = &r.kernel.clock;
    assert_eq!(c.method, "aligned-on-docker-records");
    assert!((c.offset_s.unwrap() + 18000.0).abs() < 2.0);
    // pindexer and ppodlike (137), psegv (139); pcron still runs and pbatch
    // exited 0 after its child's kill: their FinishedAt is no kill's time.
    assert_eq!(c.pairs, 3);
    check_events(&r, 3.0);
}

#[test]
fn unshifted_dmesg_t_aligns_near_zero_and_no_kill_precedes_its_start() {
    let r = report(vec![
        host("dmesg-T.txt"),
        host("docker-events.jsonl"),
        host("docker-inspect-all.json"),
    ]);
    let c = &r.kernel.clock;
    assert_eq!(c.method, "aligned-on-docker-records");
    let o = c.offset_s.unwrap();
    assert!(o.abs() < 2.0, "UTC host: offset {o} is drift only");
    assert!(c.text.unescaped().contains("local time at UTC;"));
    check_events(&r, 1.0);
    none_before_start(&r);
}

#[test]
fn whole_bundle_keeps_uptime_placement_and_reports_its_residual() {
    let r = report(vec![common::sample("bundle")]);
    let c = &r.kernel.clock;
    assert_eq!(c.method, "uptime-and-collection-time");
    assert_eq!(c.pairs, 5);
    assert!(c.residual_s.unwrap() < 0.5, "{c:?}");
    assert!(c.offset_s.unwrap().abs() < 0.5);
    check_events(&r, 0.5);
    none_before_start(&r);
}

#[test]
fn whole_bundle_with_a_utc_minus_5_dmesg_t_names_its_zone() {
    // The raw and iso copies of the ring buffer still place the events; the
    // shifted `-T` copy does not move them.
    let r = report(vec![
        host("dmesg.txt"),
        shifted(),
        host("uptime.txt"),
        host("collected-at.txt"),
        host("docker-events.jsonl"),
        host("docker-inspect-all.json"),
    ]);
    assert_eq!(r.kernel.clock.method, "uptime-and-collection-time");
    check_events(&r, 0.5);
    let tm = r.kernel.time_method.unescaped();
    assert!(tm.contains("local time at UTC-05:00"), "{tm}");
}

#[test]
fn unpaired_local_stamps_are_never_shown_as_utc() {
    let r = report(vec![shifted()]);
    let c = &r.kernel.clock;
    assert_eq!(c.method, "local-time-unaligned");
    assert_eq!((c.offset_s, c.pairs, c.residual_s), (None, 0, None));
    for o in &r.kernel.oom_kills {
        assert_eq!(o.time, None, "no UTC time without alignment");
        let l = o.local_time.as_deref().expect("local time kept");
        assert!(l.starts_with("2026-11-28T22:") && !l.ends_with('Z'), "{l}");
    }
    let text = render(&r, Format::Text);
    assert!(
        text.contains("2026-11-28T22:19:57 local time, zone unknown"),
        "{text}"
    );
    assert!(!text.contains("2026-11-28T22:19:57Z"));
}

/// A real `/var/log/messages` excerpt (apache/doris#3525): a kernel kill at
/// `May  8 14:05:27` local time, then containerd and dockerd lines that print
/// their own `time="2020-05-08T14:05:34.745916919+08:00"`.
const SYSLOG: &str = "kernel/apache-doris-3525_rhel7_syslog_UID-variant_with-containerd-lines.txt";
const SYSLOG_NO_DATE: &str =
    "kernel/docker-for-linux-1001_5.x_syslog+monotonic_memcg-killed-noUID.txt";

#[test]
fn syslog_year_and_zone_from_dated_lines_of_the_same_file() {
    let bytes = std::fs::read(common::sample(SYSLOG)).unwrap();
    let k = parse_with_year_anchor(SYSLOG, &bytes, None);
    assert!(k.yearless);
    assert_eq!(k.year_from, Some("a dated line in the same file"));
    assert_eq!(k.zone_s, Some(8 * 3600), "the daemons' +08:00");
    assert_eq!(k.oom_kills.len(), 1);
    let st = k.oom_kills[0].stamp;
    assert!(st.zoned, "converted with the file's zone");
    assert_eq!(st.wall, Some(t("2020-05-08T06:05:27Z")));
}

#[test]
fn syslog_year_from_the_collection_time_rolls_back_over_new_year() {
    let bytes = std::fs::read(common::sample(SYSLOG)).unwrap();
    let anchor = YearAnchor {
        at: t("2021-01-03T08:00:00Z"),
        source: "the collection time",
    };
    let k = parse_with_year_anchor(SYSLOG, &bytes, Some(anchor));
    assert_eq!(k.year_from, Some("the collection time"));
    // May 8 after a January collection is last year's May.
    assert_eq!(k.oom_kills[0].stamp.wall, Some(t("2020-05-08T06:05:27Z")));
}

#[test]
fn syslog_year_from_the_collection_time_in_a_bundle() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(common::sample(SYSLOG), dir.path().join("messages")).unwrap();
    std::fs::write(
        dir.path().join("collected-at.txt"),
        "2020-05-09T00:00:00Z\n",
    )
    .unwrap();
    let r = report(vec![dir.path().to_path_buf()]);
    let tm = r.kernel.time_method.unescaped();
    assert!(
        tm.contains("carry no year: year (2020) assumed from the collection time"),
        "{tm}"
    );
    assert!(tm.contains("local time at UTC+08:00"), "{tm}");
    assert_eq!(r.kernel.clock.method, "as-printed-with-zone");
    assert_eq!(r.kernel.oom_kills.len(), 1);
    assert_eq!(
        r.kernel.oom_kills[0].time.as_deref(),
        Some("2020-05-08T06:05:27.000000000Z")
    );
}

#[test]
fn syslog_year_from_the_newest_container_time() {
    // No collection time and no dated line: the inspect output's year.
    let r = report(vec![
        common::sample(SYSLOG_NO_DATE),
        common::sample("bundle/containers/pworker/inspect.json"),
    ]);
    let tm = r.kernel.time_method.unescaped();
    assert!(
        tm.contains("year (2026) assumed from the newest container time"),
        "{tm}"
    );
    assert!(!r.kernel.oom_kills.is_empty());
    for o in &r.kernel.oom_kills {
        assert!(
            o.time.is_some()
                || o.local_time
                    .as_deref()
                    .is_some_and(|l| l.starts_with("2026-05-15")),
            "{o:?}"
        );
    }
    assert!(
        !r.diagnostics.iter().any(|d| d
            .message
            .unescaped()
            .contains("carry no year and none was known")),
        "an anchor existed"
    );
}

#[test]
fn real_sosreport_anchors_raw_stamps_and_keeps_an_older_run_apart() {
    // sos keeps the raw `dmesg` and no /proc/uptime: the boot time comes
    // from the pairs. Its ring buffer also holds an earlier run's `crash`
    // segfault (18:16), before this psegv was created (18:23): the process
    // name alone must not give it to psegv.
    let r = report(vec![common::sample("real-sos/sosreport-prodweb01.tar.xz")]);
    let c = &r.kernel.clock;
    assert_eq!(c.method, "anchored-on-docker-records");
    assert!(c.pairs >= 3, "{c:?}");
    assert!(c.residual_s.unwrap() < 1.0, "{c:?}");
    let psegv: Vec<_> = r
        .kernel
        .segfaults
        .iter()
        .filter(|s| s.container.as_ref().map(|c| c.unescaped()) == Some("psegv"))
        .collect();
    assert_eq!(psegv.len(), 1, "{:?}", r.kernel.segfaults);
    let started = common::container(&r, "psegv")
        .started_at
        .clone()
        .expect("started");
    let d = t(psegv[0].time.as_deref().unwrap()).0 - t(&started).0;
    assert!(
        d.abs() < 3_000_000_000,
        "the crash of this run: {d} ns from its start"
    );
    assert!(r.kernel.segfaults.iter().any(|s| s.container.is_none()));
}
