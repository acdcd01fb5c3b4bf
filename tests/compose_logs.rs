//! `docker-compose logs -t` (v1, coloured) and `docker compose logs` (v2)
//! output split per container and attached through the Compose labels of
//! the project's inspect output; every log rule runs on the split logs.
//! The log files in samples/compose are written in the formats of
//! docker/compose's `cmd/formatter/logs.go` and docker-compose 1.29's log
//! printer (see samples/PROVENANCE.md). Guards issue #11.

use std::path::PathBuf;

use coroner::report::schema::Report;
use coroner::{run, Config};

mod common;

/// `docker inspect` of a Compose project `shop` (services `api` and
/// `worker`), with the container names Compose v1 or v2 gives.
fn inspect(sep: &str) -> String {
    let c = |service: &str, id: char, exit: i64| {
        serde_json::json!({
            "Id": id.to_string().repeat(64),
            "Name": format!("/shop{sep}{service}{sep}1"),
            "State": {"Status": "exited", "ExitCode": exit, "OOMKilled": false,
                      "StartedAt": "2026-12-01T18:16:20.100000000Z",
                      "FinishedAt": "2026-12-01T18:16:22.100000000Z"},
            "Config": {"Image": "shop/api:1", "Labels": {
                "com.docker.compose.project": "shop",
                "com.docker.compose.service": service,
                "com.docker.compose.container-number": "1"}},
            "HostConfig": {"LogConfig": {"Type": "json-file"}}
        })
    };
    serde_json::to_string_pretty(&serde_json::json!([c("api", 'a', 2), c("worker", 'b', 1)]))
        .unwrap()
}

fn report_with(log: &str, sep: &str) -> Report {
    let dir = std::env::temp_dir().join(format!(
        "coroner-compose-{}-{}",
        std::process::id(),
        log.replace('.', "-")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let insp: PathBuf = dir.join("inspect.json");
    std::fs::write(&insp, inspect(sep)).unwrap();
    let r = run(&Config::new(vec![
        insp,
        common::sample(&format!("compose/{log}")),
    ]));
    std::fs::remove_dir_all(&dir).unwrap();
    r
}

fn check(r: &Report, log: &str, stamped: bool) {
    assert_eq!(r.containers.len(), 2, "{:?}", r.containers);
    assert!(
        r.inputs
            .iter()
            .any(|i| i.path.unescaped().ends_with(log) && i.kind == "compose-logs"),
        "{:?}",
        r.inputs
    );
    let api = common::rules_of(r, "shop_api_1")
        .into_iter()
        .chain(common::rules_of(r, "shop-api-1"))
        .collect::<Vec<_>>();
    let worker = common::rules_of(r, "shop_worker_1")
        .into_iter()
        .chain(common::rules_of(r, "shop-worker-1"))
        .collect::<Vec<_>>();
    assert!(api.contains(&"crash-signature"), "{api:?}");
    assert!(worker.contains(&"dns-failure"), "{worker:?}");
    assert!(!worker.contains(&"crash-signature"), "{worker:?}");
    let crash = r
        .findings
        .iter()
        .find(|f| f.rule.as_str() == "crash-signature")
        .unwrap();
    let ev = &crash.evidence[0];
    assert!(ev.source.unescaped().ends_with(log));
    // Line numbers are the file's, colour codes are gone.
    let line = if stamped { 5 } else { 4 };
    assert_eq!(ev.line, Some(line), "{ev:?}");
    assert!(
        ev.excerpt.unescaped().starts_with("panic: runtime error"),
        "{ev:?}"
    );
    for c in &r.containers {
        let logs = c.logs.as_ref().expect("split logs attached");
        assert_eq!(logs.stderr_lines, None, "compose merges the streams");
        assert_eq!(logs.first.is_some(), stamped);
    }
    assert!(r
        .findings
        .iter()
        .all(|f| f.rule.as_str() != "logs-unavailable"));
}

#[test]
fn v1_prefixes_with_stamps_and_colour_split_per_container() {
    let r = report_with("docker-compose-v1-logs-t.txt", "_");
    check(&r, "docker-compose-v1-logs-t.txt", true);
    let api = r
        .containers
        .iter()
        .find(|c| c.name == "shop_api_1")
        .unwrap();
    // Five lines of api_1 (the empty one has its stamp, so it counts).
    assert_eq!(api.logs.as_ref().unwrap().lines, 6);
}

#[test]
fn v2_prefixes_without_stamps_split_per_container() {
    let r = report_with("docker-compose-v2-logs.txt", "-");
    check(&r, "docker-compose-v2-logs.txt", false);
    let worker = r
        .containers
        .iter()
        .find(|c| c.name == "shop-worker-1")
        .unwrap();
    assert_eq!(worker.logs.as_ref().unwrap().lines, 2);
}

#[test]
fn the_file_is_split_into_one_part_per_prefix() {
    let ing = coroner::ingest::ingest(
        &[common::sample("compose/docker-compose-v1-logs-t.txt")],
        &coroner::model::Limits::default(),
    );
    let Some(coroner::ingest::Parsed::ComposeLogs(c)) = ing.items.first() else {
        panic!("not read as Compose logs: {:?}", ing.inputs);
    };
    assert!(c.stamped);
    let parts: Vec<(&str, u64, bool)> = c
        .parts
        .iter()
        .map(|p| (p.prefix.as_str(), p.log.lines, p.log.stream_unknown))
        .collect();
    assert_eq!(parts, vec![("api_1", 6, true), ("worker_1", 2, true)]);
    let w = &c.parts[1].log;
    assert_eq!(
        w.first.map(|t| t.to_string()).as_deref(),
        Some("2026-12-01T18:16:20.201Z")
    );
    assert!(ing.diagnostics.is_empty(), "{:?}", ing.diagnostics);
}
