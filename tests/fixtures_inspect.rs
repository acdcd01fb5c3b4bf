//! containrrr/watchtower's inspect mocks (`samples/fixtures/watchtower/`,
//! provenance in `samples/PROVENANCE.md`) give the answers watchtower's own
//! `pkg/container/client_test.go` asserts over them (issue #11 acceptance:
//! real fixtures from other projects; item 6: inspect variants and
//! `docker image inspect`).

use coroner::ingest::inspect::{Container, ImageFacts, InspectFile};
use coroner::ingest::{ingest, Parsed};
use coroner::model::Limits;
use coroner::report::schema::Report;
use coroner::{run, Config};

mod common;

fn path(name: &str) -> std::path::PathBuf {
    common::sample(&format!("fixtures/watchtower/{name}"))
}

fn inspect(name: &str) -> InspectFile {
    let ing = ingest(&[path(name)], &Limits::default());
    ing.items
        .into_iter()
        .find_map(|i| match i {
            Parsed::Inspect(f) => Some(f),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{name} not read as inspect"))
}

fn one(name: &str) -> Container {
    let mut f = inspect(name);
    assert_eq!(f.containers.len(), 1, "{name}: one container");
    assert!(f.diagnostics.is_empty(), "{name}: {:?}", f.diagnostics);
    f.containers.remove(0)
}

fn label<'c>(c: &'c Container, key: &str) -> Option<&'c str> {
    c.labels
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn report(names: &[&str]) -> Report {
    run(&Config::new(names.iter().map(|n| path(n)).collect()))
}

/// `ListContainersHandler("running")` filters `containers.json` on its
/// `State` word: two running containers (`HaveLen(2)`); with stopped and
/// restarting ones included, four.
#[test]
fn container_listing_is_read_with_names_images_and_states() {
    let f = inspect("containers.json");
    assert!(f.diagnostics.is_empty(), "{:?}", f.diagnostics);
    let got: Vec<(&str, &str, &str)> = f
        .containers
        .iter()
        .map(|c| (c.name.as_str(), c.image.as_str(), c.status.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "watchtower-stopped",
                "containrrr/watchtower:latest",
                "exited"
            ),
            (
                "watchtower-running",
                "containrrr/watchtower:latest",
                "running"
            ),
            ("portainer", "portainer/portainer:latest", "running"),
            ("portainer", "portainer/portainer:latest", "restarting"),
        ]
    );
    let running = f
        .containers
        .iter()
        .filter(|c| c.status == "running")
        .count();
    assert_eq!(running, 2);
    // The listing carries the image id beside the name, and the exit code
    // only in its `Status` sentence (`Exited (1) 6 days ago`).
    let stopped = &f.containers[0];
    assert_eq!(
        stopped.image_id,
        "sha256:4dbc5f9c07028a985e14d1393e849ea07f68804c4293050d5a641b138db72daa"
    );
    assert_eq!(stopped.exit_code, 1);
    assert_eq!(
        label(stopped, "com.centurylinklabs.watchtower"),
        Some("true")
    );
    assert!(stopped.created.is_some(), "Unix-seconds Created is a time");
    // `Ports` of a listing: 0.0.0.0:9000->9000/tcp.
    let portainer = &f.containers[2];
    assert_eq!(portainer.port_bindings.len(), 1);
    let p = &portainer.port_bindings[0];
    assert_eq!(
        (
            p.container_port.as_str(),
            p.host_ip.as_str(),
            p.host_port.as_str()
        ),
        ("9000/tcp", "0.0.0.0", "9000")
    );
}

/// `ConsistOf(withContainerImageName(Equal("containrrr/watchtower:latest")))`
/// and the `com.centurylinklabs.watchtower` label that marks a watchtower
/// instance.
#[test]
fn watchtower_container_has_its_image_name_and_label() {
    let c = one("container_watchtower.json");
    assert_eq!(
        c.id,
        "3d88e0e3543281c747d88b27e246578b65ae8964ba86c7cd7522cf84e0978134"
    );
    assert_eq!(c.name, "watchtower-running");
    assert_eq!(c.image, "containrrr/watchtower:latest");
    assert_eq!(c.status, "running");
    assert_eq!(label(&c, "com.centurylinklabs.watchtower"), Some("true"));
    let portainer = one("container_running.json");
    assert_eq!(
        (portainer.name.as_str(), portainer.image.as_str()),
        ("portainer", "portainer/portainer:latest")
    );
    assert_eq!(label(&portainer, "com.centurylinklabs.watchtower"), None);
    assert_eq!(portainer.port_bindings.len(), 1);
    assert_eq!(portainer.port_bindings[0].container_port, "9000/tcp");
    assert_eq!(portainer.port_bindings[0].host_port, "9000");
    assert_eq!(portainer.restart_policy, "always");
}

/// `ContainElement(havingRunningState(false))` with `IncludeStopped`, and
/// `ContainElement(havingRestartingState(true))` with `IncludeRestarting`:
/// `container_restarting.json` says `"Status": "exited"` beside
/// `"Restarting": true`; the boolean is the state.
#[test]
fn stopped_and_restarting_states() {
    let stopped = one("container_stopped.json");
    assert_eq!(
        (
            stopped.name.as_str(),
            stopped.status.as_str(),
            stopped.exit_code
        ),
        ("watchtower-stopped", "exited", 1)
    );
    let restarting = one("container_restarting.json");
    assert_eq!(restarting.name, "watchtower-test");
    assert_eq!(restarting.status, "restarting");
    // The report says the same.
    let r = report(&["container_stopped.json", "container_restarting.json"]);
    assert_eq!(common::container(&r, "watchtower-stopped").status, "exited");
    assert_eq!(
        common::container(&r, "watchtower-test").status,
        "restarting"
    );
}

/// `NetworkMode.ConnectedContainer()` is the supplier's name when the
/// supplier is known (`/wt-contnet-producer-1`), else its id
/// (`NetSupplierNotFoundID`).
#[test]
fn container_network_mode_names_the_supplier() {
    let consumer = one("container_net_consumer.json");
    let supplier = one("container_net_supplier.json");
    assert_eq!(consumer.name, "wt-contnet-consumer-1");
    assert_eq!(consumer.image, "nginx");
    assert_eq!(consumer.stop_signal, "SIGQUIT");
    let target = consumer
        .network_mode
        .strip_prefix("container:")
        .expect("container network mode");
    assert_eq!(target, supplier.id);
    assert_eq!(supplier.name, "wt-contnet-producer-1");
    assert_eq!(supplier.network_mode, "wt-contnet_default");
    assert_eq!(
        label(&consumer, "com.docker.compose.service"),
        Some("consumer")
    );

    let missing = one("container_net_consumer-missing_supplier.json");
    assert_eq!(
        missing.network_mode,
        "container:badc1dbadc1dbadc1dbadc1dbadc1dbadc1dbadc1dbadc1dbadc1dbadc1dbadc"
    );
    // No container of the mocks has that id: it stays an id.
    for other in [
        "container_net_supplier.json",
        "container_watchtower.json",
        "container_running.json",
    ] {
        assert_ne!(
            one(other).id,
            "badc1dbadc1dbadc1dbadc1dbadc1dbadc1dbadc1dbadc1dbadc1dbadc1dbadc"
        );
    }
}

fn image(name: &str) -> ImageFacts {
    let mut f = inspect(name);
    assert!(f.containers.is_empty(), "{name}: no container");
    assert_eq!(f.images.len(), 1, "{name}: one image");
    f.images.remove(0)
}

/// The image mocks served by `getImageHandler` for each container's image id.
#[test]
fn image_inspect_mocks_give_id_tags_size_architecture_layers() {
    let cases = [
        (
            "image_running.json",
            "sha256:4dbc5f9c07028a985e14d1393e849ea07f68804c4293050d5a641b138db72daa",
            "containrrr/watchtower:latest",
            13_005_733,
            3,
        ),
        (
            "image_default.json",
            "sha256:19d07168491a3f9e2798a9bed96544e34d57ddc4757a4ac5bb199dea896c87fd",
            "portainer/portainer:latest",
            74_089_106,
            2,
        ),
        (
            "image_net_consumer.json",
            "sha256:904b8cb13b932e23230836850610fa45dce9eb0650d5618c2b1487c2a4f577b8",
            "nginx:latest",
            141_838_643,
            6,
        ),
        (
            "image_net_producer.json",
            "sha256:c22b543d33bfdcb9992cbef23961677133cdf09da71d782468ae2517138bad51",
            "qmcgaw/gluetun:latest",
            42_602_255,
            3,
        ),
    ];
    for (file, id, tag, size, layers) in cases {
        let i = image(file);
        assert_eq!(i.id, id, "{file}");
        assert_eq!(i.repo_tags, [tag], "{file}");
        assert_eq!(i.size, Some(size), "{file}");
        assert_eq!((i.architecture.as_str(), i.os.as_str()), ("amd64", "linux"));
        assert_eq!(i.layers, layers, "{file}");
        assert!(
            i.env.iter().any(|e| e.starts_with("PATH=")),
            "{file}: {:?}",
            i.env
        );
    }
    // Each container's `Image` is one of these ids (what watchtower looks up).
    assert_eq!(
        one("container_watchtower.json").image_id,
        image("image_running.json").id
    );
    assert_eq!(
        one("container_running.json").image_id,
        image("image_default.json").id
    );
    assert_eq!(
        one("container_net_consumer.json").image_id,
        image("image_net_consumer.json").id
    );
}

/// The report lists inspected images (issue #11, item 6), one per id.
#[test]
fn report_lists_inspected_images() {
    let r = report(&[
        "image_running.json",
        "image_default.json",
        "image_net_producer.json",
        "container_watchtower.json",
    ]);
    let ids: Vec<String> = r
        .image_inspect
        .iter()
        .map(|i| i.id.unescaped().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "sha256:19d07168491a3f9e2798a9bed96544e34d57ddc4757a4ac5bb199dea896c87fd",
            "sha256:4dbc5f9c07028a985e14d1393e849ea07f68804c4293050d5a641b138db72daa",
            "sha256:c22b543d33bfdcb9992cbef23961677133cdf09da71d782468ae2517138bad51",
        ]
    );
    let wt = &r.image_inspect[1];
    assert_eq!(wt.tags, ["containrrr/watchtower:latest"]);
    assert_eq!(wt.size_bytes, Some(13_005_733));
    assert_eq!(wt.architecture, "amd64");
    assert_eq!(wt.layers, 3);
    assert_eq!(wt.entrypoint, ["/watchtower"]);
    assert!(wt.source.unescaped().ends_with("image_running.json"));
    assert!(wt.line.is_some());
    let gluetun = &r.image_inspect[2];
    assert!(gluetun
        .env
        .iter()
        .any(|e| e.unescaped() == "VPN_SERVICE_PROVIDER=pia"));
    // The container still resolves to its image: no finding invents a
    // problem from healthy mocks.
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

/// Env values with secret names are redacted in the image list like
/// everywhere else. watchtower's gluetun image leaves its passwords empty,
/// so one is filled in, in a copy of that file.
#[test]
fn image_inspect_env_secrets_are_redacted() {
    let text = std::fs::read_to_string(path("image_net_producer.json")).expect("sample");
    let filled = text.replace(
        "\"OPENVPN_PASSWORD=\"",
        "\"OPENVPN_PASSWORD=hunter2-not-a-real-one\"",
    );
    assert_ne!(filled, text, "the sample holds OPENVPN_PASSWORD=");
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("image_net_producer.json");
    std::fs::write(&p, filled).expect("write");
    let r = run(&Config::new(vec![p]));
    let json = coroner::report::render(&r, coroner::report::Format::Json);
    assert!(!json.contains("hunter2"), "secret leaked");
    let env = &r.image_inspect[0].env;
    let pw = env
        .iter()
        .map(|e| e.unescaped().to_string())
        .find(|e| e.starts_with("OPENVPN_PASSWORD="))
        .expect("OPENVPN_PASSWORD kept by name");
    assert!(pw.contains("[REDACTED"), "{pw}");
}
