//! Inspect shapes other than `docker inspect` output (issue #11, item 6):
//! Docker's on-disk `config.v2.json` spells the key `ID`, podman's inspect,
//! `docker image inspect` read into image facts, 1.9-era lowercase keys.

use coroner::ingest::{ingest, Parsed};
use coroner::model::Limits;

mod common;

fn inspect(p: &str) -> coroner::ingest::inspect::InspectFile {
    let ing = ingest(&[common::sample(p)], &Limits::default());
    ing.items
        .into_iter()
        .find_map(|i| match i {
            Parsed::Inspect(f) => Some(f),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{p} not read as inspect"))
}

#[test]
fn config_v2_json_spells_id_in_capitals() {
    let f = inspect("inspect-variants/data-root_pworker_config.v2.json");
    let c = &f.containers[0];
    assert_eq!(
        c.id,
        "6af826b9789ceafc13e6cb7b3dae850ab3c4d622ff1a98c6e39f6be7ac0ab5e4"
    );
    assert_eq!(c.name, "pworker");
    assert_eq!(
        (c.status.as_str(), c.exit_code, c.restart_count),
        ("exited", 1, 4)
    );
}

#[test]
fn podman_inspect_is_a_container() {
    let f = inspect("inspect-variants/podman_inspect_qworker");
    let c = &f.containers[0];
    assert_eq!(
        c.id,
        "feacd3c5c580794bcbb9b068c2d0e2f29449c67a2b8250d41164a6e7b3335529"
    );
    assert_eq!(
        (c.name.as_str(), c.status.as_str(), c.exit_code),
        ("qworker", "exited", 1)
    );
}

#[test]
fn image_inspect_gives_image_facts() {
    let f = inspect("inspect/donaldrich80-faac_image-inspect_json-server.json");
    assert!(f.containers.is_empty());
    let i = &f.images[0];
    assert_eq!(
        i.id,
        "sha256:cc9e87ac909672e6fd45f8220fe6e8b39fffe3c36330eef90276405307720fc5"
    );
    assert_eq!(i.repo_tags, ["donaldrich/function:json-server"]);
    assert_eq!(i.size, Some(184_811_571));
    assert_eq!((i.architecture.as_str(), i.os.as_str()), ("amd64", "linux"));
    assert!(
        i.env.iter().any(|e| e == "NODE_VERSION=14.5.0"),
        "{:?}",
        i.env
    );
    assert_eq!(i.evidence.line, Some(3));
}

#[test]
fn lowercase_keys_of_docker_1_9() {
    let f = inspect(
        "inspect/moby-docs-network_inspect.md_docker-1.9-era_LOWERCASE-keys_DOC-EXAMPLE.json",
    );
    assert_eq!(f.others[0].kind, "network");
    assert_eq!(f.others[0].name, "bridge");
    let v = serde_json::json!({"id": "abc", "name": "/x", "state": {"running": false, "exitCode": 3, "startedAt": "2026-01-01T00:00:00Z"}, "config": {}});
    let text = v.to_string();
    let f = coroner::ingest::inspect::parse("x.json", text.as_bytes(), &v);
    let c = &f.containers[0];
    assert_eq!(
        (
            c.id.as_str(),
            c.name.as_str(),
            c.exit_code,
            c.status.as_str()
        ),
        ("abc", "x", 3, "exited")
    );
}

#[test]
fn podman_events_json_is_read() {
    let ing = ingest(
        &[common::sample("inspect-variants/podman_events.json")],
        &Limits::default(),
    );
    let ev = ing
        .items
        .iter()
        .find_map(|i| match i {
            Parsed::Events(e) => Some(e),
            _ => None,
        })
        .expect("podman events");
    assert!(ev.diagnostics.is_empty(), "{:?}", ev.diagnostics);
    assert_eq!(ev.events.len() + ev.others.len(), 47);
    let died: Vec<_> = ev.events.iter().filter(|e| e.action == "die").collect();
    assert_eq!(died.len(), 4);
    assert_eq!(
        (died[0].container_name.as_str(), died[0].exit_code),
        ("zchild", Some(137))
    );
    assert!(ev
        .events
        .iter()
        .any(|e| e.container_name == "qweb" && e.action == "health_status: starting"));
    assert_eq!(ev.others.iter().filter(|e| e.kind == "image").count(), 6);
}
