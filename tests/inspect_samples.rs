//! `docker inspect` output as people publish it (samples/inspect, real copies
//! with provenance): full inspect from Docker 20.10, the API 1.24 example,
//! heads cut short by copy-paste, `.State` and `.State.Health` fragments,
//! image, network and volume inspect. Guards issue #2.

use std::path::PathBuf;

use coroner::report::schema::Report;
use coroner::{run, Config};

fn report_of(file: &str) -> Report {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples/inspect")
        .join(file);
    run(&Config::new(vec![p]))
}

fn rules(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.rule.as_str()).collect()
}

#[test]
fn full_inspect_from_docker_20_10() {
    let r = report_of("SergSha-docker_README_1_alpine-nginx.json");
    assert_eq!(r.inputs[0].kind, "inspect");
    assert_eq!(r.containers.len(), 1);
    let c = &r.containers[0];
    assert_eq!(c.status, "running");
    assert_eq!(c.finished_at, None, "0001-01-01T00:00:00Z means never");
    assert!(c.started_at.is_some());
    assert!(
        r.findings
            .iter()
            .all(|f| f.severity == coroner::Severity::Info),
        "{:?}",
        rules(&r)
    );
}

#[test]
fn api_1_24_example_is_read() {
    let r = report_of("moby-api-docs-v1.24_container-inspect_DOC-EXAMPLE_handedited.json");
    let c = &r.containers[0];
    assert_eq!(
        (c.name.unescaped(), c.status.unescaped(), c.exit_code),
        ("boring_euclid", "running", None)
    );
    assert_eq!(c.restart_policy, "on-failure");
}

#[test]
fn a_head_cut_short_is_recovered_with_a_diagnostic() {
    let r = report_of("moby-41410_container-inspect_head_with-health_TRUNCATED.txt");
    assert!(r
        .diagnostics
        .iter()
        .any(|d| d.message.unescaped().contains("cut short")));
    let c = &r.containers[0];
    assert_eq!(
        c.id,
        "251e469f3c42c3890d4588783a9037655eaaed71f7689c6853766418f4951c96"
    );
    assert_eq!(
        c.name, "251e469f3c42",
        "no Name before the cut: the short id stands in"
    );
    let h = c.health.as_ref().expect("health survived the cut");
    assert_eq!((h.status.unescaped(), h.failing_streak), ("unhealthy", 356));
    assert!(h.log.iter().any(|p| p.exit_code == -1));
    assert!(rules(&r).contains(&"unhealthy"));

    let r = report_of(
        "moby-29800_container-inspect_head_exit137_Error-transport-closing_TRUNCATED.txt",
    );
    let c = &r.containers[0];
    assert_eq!(
        (c.status.unescaped(), c.exit_code, c.oom_killed),
        ("exited", Some(137), false)
    );
    assert!(rules(&r).contains(&"stop-timeout-kill"), "{:?}", rules(&r));

    let r = report_of(
        "aws-ecs-agent-794_container-inspect_head_devicemapper_empty-LogPath_TRUNCATED.txt",
    );
    assert_eq!(
        r.containers[0].name,
        "ecs-production-events-writer-57-s3eventswriterworker-9ceef8a99883ccd77d00"
    );
}

#[test]
fn state_and_health_fragments_become_named_containers() {
    let r = report_of("docker-cli-2665_state_exit137_OOMKilled-false.json");
    let c = &r.containers[0];
    assert_eq!(c.name, "docker-cli-2665_state_exit137_OOMKilled-false");
    assert_eq!((c.exit_code, c.oom_killed), (Some(137), false));
    assert!(rules(&r).contains(&"stop-timeout-kill"));

    let r = report_of("svengo-docker-tor-77_state-health_unhealthy.json");
    let h = r.containers[0].health.as_ref().unwrap();
    assert_eq!((h.status.unescaped(), h.failing_streak), ("unhealthy", 4));
    assert!(rules(&r).contains(&"unhealthy"));

    for starting in [
        "leg100-otf-642_state-health_starting_exit2.json",
        "bcicen-ctop-226_state-health_starting_mixed.json",
    ] {
        let r = report_of(starting);
        assert_eq!(
            r.containers[0].health.as_ref().unwrap().status,
            "starting",
            "{starting}"
        );
        assert!(
            !rules(&r).contains(&"unhealthy"),
            "{starting}: starting is not unhealthy"
        );
    }
}

#[test]
fn images_networks_and_volumes_are_recognised() {
    for f in [
        "donaldrich80-faac_image-inspect_docker-shell.json",
        "donaldrich80-faac_image-inspect_gitlab-ci-local.json",
        "donaldrich80-faac_image-inspect_json-server.json",
        "labex-open-source-labs_network-inspect_bridge_2017.json",
        "moby-docs-network_inspect.md_docker-1.9-era_LOWERCASE-keys_DOC-EXAMPLE.json",
        "blacksmithop-DockerVolumePython_volume-inspect.json",
    ] {
        let r = report_of(f);
        assert_eq!(r.inputs[0].kind, "inspect", "{f}");
        assert!(r.containers.is_empty(), "{f}");
        assert!(r.diagnostics.is_empty(), "{f}: {:?}", r.diagnostics);
    }
}
