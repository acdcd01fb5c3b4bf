//! What the real `sos` tool stores as text (samples/sos-text, copied from
//! the corpus's sosreport-prodweb01): `docker logs -t` per container,
//! `docker events` in the default text format, `docker info`/`version`
//! text, `docker ps -a`/`stats`/`images` tables; and docker/cli's own golden
//! file of the events text format (samples/events-text). Every count below
//! was read off the files with `wc -l`/`grep -c`. Guards issue #11 (items 2,
//! 3, 4 and 6).

use std::sync::OnceLock;

use coroner::ingest::docker_logs::DockerLogs;
use coroner::ingest::events::EventLog;
use coroner::ingest::host::HostFact;
use coroner::ingest::{ingest, Ingested, Parsed};
use coroner::model::Limits;
use coroner::report::schema::Report;
use coroner::{run, Config};

mod common;

fn ingested() -> &'static Ingested {
    static I: OnceLock<Ingested> = OnceLock::new();
    I.get_or_init(|| ingest(&[common::sample("sos-text")], &Limits::default()))
}

fn report() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| run(&Config::new(vec![common::sample("sos-text")])))
}

fn docker_logs(short_id: &str) -> &'static DockerLogs {
    ingested()
        .items
        .iter()
        .find_map(|p| match p {
            Parsed::DockerLogs(d)
                if d.log.path.ends_with(&format!("docker_logs_-t_{short_id}")) =>
            {
                Some(d)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("docker_logs_-t_{short_id} not read as docker logs"))
}

fn events_of(path_end: &str, ing: &'static Ingested) -> &'static EventLog {
    ing.items
        .iter()
        .find_map(|p| match p {
            Parsed::Events(e) if e.path.ends_with(path_end) => Some(e),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{path_end} not read as events"))
}

fn host_facts() -> Vec<&'static HostFact> {
    ingested()
        .items
        .iter()
        .filter_map(|p| match p {
            Parsed::Host(h) => Some(h),
            _ => None,
        })
        .collect()
}

#[test]
fn docker_logs_text_is_read_by_content_with_its_lines() {
    // pchatty: 3991 lines (`wc -l`), every one stamped.
    let chatty = docker_logs("4dcf63adebe8");
    assert!(chatty.stamped && !chatty.stream_known);
    assert_eq!(chatty.log.lines, 3991);
    assert_eq!(chatty.log.stderr_lines, 0, "unknown, not counted");
    assert_eq!(chatty.target.id.as_deref(), Some("4dcf63adebe8"));
    // pworker: 10 lines, 5 of them `FATAL: QUEUE_URL is not set`.
    let worker = docker_logs("6af826b9789c");
    assert_eq!(worker.log.lines, 10);
    let crash = worker
        .log
        .signatures
        .iter()
        .find(|s| s.kind == coroner::ingest::json_log::SignatureKind::Crash)
        .expect("crash signature");
    assert_eq!(crash.count, 5);
    assert_eq!(crash.first.evidence.excerpt, "FATAL: QUEUE_URL is not set");
    assert_eq!(crash.first.evidence.line, Some(1));
    assert_eq!(
        crash.first.time,
        coroner::time::Timestamp::parse_rfc3339("2026-12-01T18:23:11.360319456Z")
    );
    // psilent runs with `--log-driver none`: sos stored the daemon's refusal.
    let silent = docker_logs("4379c6d3ea86");
    assert_eq!(
        silent.daemon_error.as_deref(),
        Some("Error response from daemon: configured logging driver does not support reading")
    );
    assert_eq!(silent.log.lines, 0);
    // pweb wrote nothing: an empty file, still a docker logs file.
    assert_eq!(docker_logs("9d3636eb1085").log.lines, 0);
    for i in &ingested().inputs {
        if i.path.contains("docker_logs_") {
            assert_eq!(
                i.kind,
                coroner::model::ArtifactKind::DockerLogs,
                "{}",
                i.path
            );
        }
    }
}

#[test]
fn docker_logs_attach_by_short_id_and_every_log_rule_runs() {
    let r = report();
    let logs = |n: &str| common::container(r, n).logs.as_ref().map(|l| l.lines);
    assert_eq!(logs("pchatty"), Some(3991));
    assert_eq!(logs("pworker"), Some(10));
    assert_eq!(logs("pflapper"), Some(14));
    assert_eq!(logs("psilent"), None, "the daemon's refusal is not a log");
    // `docker logs` merges stdout and stderr: no stderr count is claimed.
    let chatty = common::container(r, "pchatty").logs.as_ref().unwrap();
    assert_eq!(chatty.stderr_lines, None);
    let verbose = coroner::report::RenderOptions {
        verbose: true,
        ..Default::default()
    };
    assert!(
        coroner::report::render_opts(r, coroner::report::Format::Text, &verbose)
            .contains("3991 line(s), unknown (docker logs text) on stderr")
    );
    assert!(common::rules_of(r, "pworker").contains(&"crash-signature"));
    assert!(common::rules_of(r, "pflapper").contains(&"dns-failure"));
    assert!(common::rules_of(r, "pwriter").contains(&"volume-permission-denied"));
    assert!(common::rules_of(r, "pchatty").contains(&"log-errors"));
    assert!(common::rules_of(r, "psilent").contains(&"logs-unavailable"));
    assert!(
        !r.diagnostics
            .iter()
            .any(|d| d.path.unescaped().contains("docker_logs_")),
        "{:?}",
        r.diagnostics
    );
}

#[test]
fn sos_events_text_is_events_not_a_kernel_log() {
    // 250 lines, all container exec_* events of the health checks.
    let ev = events_of("docker_events_--since_24h_--until_1s", ingested());
    assert!(ev.diagnostics.is_empty(), "{:?}", ev.diagnostics);
    assert_eq!(ev.events.len() + ev.others.len(), 250);
    let die: Vec<_> = ev
        .others
        .iter()
        .filter(|e| e.action == "exec_die")
        .collect();
    assert_eq!(die.len(), 84);
    assert_eq!(die[0].container_name, "pweb");
    assert_eq!(die[0].exit_code, Some(1));
    assert_eq!(
        die[0].container_id,
        "9d3636eb108587c726c6bcf2eac37ac47995f23344ac66ec302616813022a127"
    );
    let create = &ev.others[0];
    assert_eq!(
        create.action,
        "exec_create: /bin/sh -c wget -qO- http://127.0.0.1:80/health || exit 1"
    );
    assert_eq!(create.kind, "container");
}

#[test]
fn docker_cli_golden_events_text_is_read() {
    static I: OnceLock<Ingested> = OnceLock::new();
    let ing = I.get_or_init(|| ingest(&[common::sample("events-text")], &Limits::default()));
    let text = events_of("docker-events-default.golden", ing);
    let actions: Vec<&str> = text.events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "start", "die"]);
    assert_eq!(text.others.len(), 1, "attach is not a timeline action");
    assert_eq!(text.events[0].container_id, "abc123");
    assert_eq!(
        text.events[0].time,
        Some(coroner::time::Timestamp(1_000_000_000))
    );
    assert!(ing
        .inputs
        .iter()
        .all(|i| i.kind != coroner::model::ArtifactKind::Dmesg));
    let json = events_of("docker-events-json.golden", ing);
    assert_eq!(json.events.len(), 3);
    assert_eq!(json.events[2].action, "die");
}

#[test]
fn a_kill_event_with_its_signal_in_text() {
    let line = b"2026-12-01T18:16:20.169193143Z container kill 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef (image=bb:latest, name=x, signal=9)\n";
    let ev = coroner::ingest::events_text::parse("ev.txt", line);
    assert_eq!(ev.events.len(), 1);
    assert_eq!(
        (ev.events[0].action.as_str(), ev.events[0].signal),
        ("kill", Some(9))
    );
    assert_eq!(ev.events[0].container_name, "x");
    let old = coroner::ingest::events::parse(
        "old.jsonl",
        br#"{"status":"die","id":"abc","from":"bb:latest","time":1700000000}"#,
    );
    assert_eq!(old.events.len(), 1);
    assert_eq!(old.events[0].container_id, "abc");
}

#[test]
fn docker_info_version_and_tables_become_typed_facts() {
    let facts = host_facts();
    let info = facts
        .iter()
        .find_map(|h| match h {
            HostFact::Docker(d) if d.command == "docker info" => Some(d),
            _ => None,
        })
        .expect("docker info");
    assert_eq!(info.server_version.as_deref(), Some("20.10.24+dfsg1"));
    assert_eq!(info.kernel_version.as_deref(), Some("6.18.44-fc-v657"));
    assert_eq!(info.architecture.as_deref(), Some("x86_64"));
    assert_eq!(info.cgroup_driver.as_deref(), Some("cgroupfs"));
    assert_eq!(info.cgroup_version.as_deref(), Some("1"));
    assert_eq!(info.logging_driver.as_deref(), Some("json-file"));
    assert_eq!(info.storage_driver.as_deref(), Some("overlay2"));
    assert_eq!(info.cpus, Some(2));
    let version = facts
        .iter()
        .find_map(|h| match h {
            HostFact::Docker(d) if d.command == "docker version" => Some(d),
            _ => None,
        })
        .expect("docker version");
    assert_eq!(version.server_version.as_deref(), Some("20.10.24+dfsg1"));
    assert_eq!(version.architecture.as_deref(), Some("amd64"));
    let ps: Vec<_> = facts
        .iter()
        .filter_map(|h| match h {
            HostFact::Containers(rows) => Some(rows),
            _ => None,
        })
        .collect();
    let all = ps
        .iter()
        .find(|r| r.len() == 18)
        .expect("docker ps -a: 18 rows");
    let chatty = all
        .iter()
        .find(|r| r.names == "pchatty")
        .expect("pchatty row");
    assert_eq!(chatty.id, "4dcf63adebe8");
    assert_eq!(chatty.exit_code, Some(2));
    assert_eq!(chatty.command, r#""sh -c '\n i=0; while…""#);
    let pweb = all.iter().find(|r| r.names == "pweb").expect("pweb row");
    assert_eq!(pweb.status, "Up 18 minutes (unhealthy)");
    assert_eq!(pweb.ports, "80/tcp, 127.0.0.1:8080->8080/tcp");
    assert!(ps.iter().any(|r| r.len() == 5), "docker ps: 5 running");
    let stats = facts
        .iter()
        .find_map(|h| match h {
            HostFact::Stats(rows) => Some(rows),
            _ => None,
        })
        .expect("docker stats");
    assert_eq!(stats.len(), 5);
    let cron = stats.iter().find(|r| r.name == "pcron").expect("pcron");
    assert_eq!(cron.mem_usage, Some(304 * 1024));
    assert_eq!(cron.mem_limit, Some(48 << 20));
    assert_eq!(cron.mem_percent, Some(0.62));
    let images = facts
        .iter()
        .find_map(|h| match h {
            HostFact::ImageList(rows) => Some(rows),
            _ => None,
        })
        .expect("docker images");
    assert_eq!(images.len(), 6);
    assert_eq!(images[0].repository, "pnative");
    assert_eq!(images[0].size, Some(2_740_000));
    let unknown: Vec<_> = ingested()
        .inputs
        .iter()
        .filter(|i| i.kind == coroner::model::ArtifactKind::Unknown)
        .collect();
    assert!(unknown.is_empty(), "{unknown:?}");
}

#[test]
fn docker_info_json_from_docker_cli_golden() {
    let ing = ingest(
        &[common::sample(
            "host-text/docker-cli_docker-info-no-swarm.json.golden",
        )],
        &Limits::default(),
    );
    let d = ing
        .items
        .iter()
        .find_map(|p| match p {
            Parsed::Host(HostFact::Docker(d)) => Some(d),
            _ => None,
        })
        .expect("docker info JSON");
    assert_eq!(d.server_version.as_deref(), Some("17.06.1-ce"));
    assert_eq!(d.kernel_version.as_deref(), Some("4.4.0-87-generic"));
    assert_eq!(d.storage_driver.as_deref(), Some("overlay2"));
    assert_eq!(d.cgroup_driver.as_deref(), Some("cgroupfs"));
    assert_eq!(d.total_memory, Some(2_097_356_800));
}

#[test]
fn docker_logs_without_stamps_and_by_name() {
    let limits = Limits::default();
    let (kind, parsed, _) = coroner::ingest::detect::identify(
        "x/docker_logs_pworker",
        b"booting worker v1.8.2\nFATAL: QUEUE_URL is not set\n",
        &limits,
    );
    assert_eq!(kind, coroner::model::ArtifactKind::DockerLogs);
    let Some(Parsed::DockerLogs(d)) = parsed.first() else {
        panic!("not docker logs")
    };
    assert!(!d.stamped);
    assert_eq!(d.log.lines, 2);
    assert_eq!(d.target.name.as_deref(), Some("pworker"));
    // The same text under a name that says nothing is not evidence (#11:
    // counted by folder, or a warning when it is the whole input).
    let (kind, _, diags) =
        coroner::ingest::detect::identify("x/notes", b"booting\nhello\n", &limits);
    assert_eq!(kind, coroner::model::ArtifactKind::NotRelevant);
    assert!(diags.is_empty(), "{diags:?}");
}

#[test]
fn docker_logs_file_read_in_small_windows_equals_one_pass() {
    // pchatty's real file, read through 4 KiB windows (hundreds of batches)
    // and whole: the same summary, so a multi-GB file gives what a small one does.
    let path =
        common::sample("sos-text/sos_commands/docker/containers/docker_logs_-t_4dcf63adebe8");
    let data = std::fs::read(&path).expect("sample");
    let name = path.to_string_lossy().into_owned();
    let limits = Limits::default();
    let shape = coroner::ingest::docker_logs::Shape::Stamped;
    let whole = coroner::ingest::docker_logs::parse(&name, &data, shape, &limits);
    let file = std::fs::File::open(&path).expect("open");
    let mut seen = 0u64;
    let windows =
        coroner::ingest::docker_logs::parse_file(&name, &file, shape, &limits, 4096, &mut |n| {
            seen += n
        })
        .expect("windows");
    assert_eq!(seen, data.len() as u64);
    assert_eq!(windows, whole);
    assert_eq!(whole.log.lines, 3991);
    let errors: u64 = whole.log.templates.iter().map(|t| t.count).sum();
    let grep = String::from_utf8_lossy(&data)
        .lines()
        .filter(|l| l.contains("level=error"))
        .count() as u64;
    assert!(
        errors >= grep,
        "{errors} error lines counted, {grep} with level=error"
    );
}
