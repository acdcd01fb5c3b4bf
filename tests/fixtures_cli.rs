//! Other projects' fixtures of Docker's own outputs, and what their tests
//! assert (#11, items 4 and 2, acceptance): docker/cli's `testdata/*.golden`
//! (samples/fixtures/docker-cli, one file per golden, named
//! `<package>--<golden>`), and the command outputs insights-core's tests hold
//! inline (samples/fixtures/insights-core). Each expected value below was
//! read off the golden or the Python test.

use std::sync::OnceLock;

use coroner::correlate::{correlate, Analysis};
use coroner::ingest::host::HostFact;
use coroner::ingest::host_text::DockerHost;
use coroner::ingest::{ingest, Ingested, Parsed};
use coroner::model::{ArtifactKind, DiagSeverity, Limits};

mod common;

fn cli_dir() -> std::path::PathBuf {
    common::sample("fixtures/docker-cli")
}

fn ingested() -> &'static Ingested {
    static I: OnceLock<Ingested> = OnceLock::new();
    I.get_or_init(|| ingest(&[cli_dir()], &Limits::default()))
}

/// The host facts read from one golden.
fn facts(golden: &str) -> Vec<&'static HostFact> {
    let hits: Vec<&HostFact> = ingested()
        .items
        .iter()
        .filter_map(|p| match p {
            Parsed::Host(f) => Some(f),
            _ => None,
        })
        .filter(|f| source_of(f).is_some_and(|s| s.ends_with(golden)))
        .collect();
    assert!(!hits.is_empty(), "{golden} gave no host fact");
    hits
}

fn source_of(f: &HostFact) -> Option<&str> {
    match f {
        HostFact::Docker(d) => Some(&d.source),
        HostFact::Containers(r) => r.first().map(|r| r.source.as_str()),
        HostFact::Stats(r) => r.first().map(|r| r.source.as_str()),
        HostFact::ImageList(r) => r.first().map(|r| r.source.as_str()),
        HostFact::Networks(r) => r.first().map(|r| r.source.as_str()),
        HostFact::Volumes(r) => r.first().map(|r| r.source.as_str()),
        HostFact::ComposePs(r) => r.first().map(|r| r.source.as_str()),
        _ => None,
    }
}

fn host(golden: &str) -> &'static DockerHost {
    facts(golden)
        .into_iter()
        .find_map(|f| match f {
            HostFact::Docker(d) => Some(&**d),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{golden}: no docker info/version"))
}

fn kind_of(golden: &str) -> ArtifactKind {
    let ing = ingest(&[cli_dir().join(golden)], &Limits::default());
    ing.inputs[0].kind
}

#[test]
fn ps_rows_as_the_goldens_print_them() {
    let rows = match facts("container--container-list-without-format.golden")[0] {
        HostFact::Containers(r) => r,
        f => panic!("{f:?}"),
    };
    let names: Vec<&str> = rows.iter().map(|r| r.names.as_str()).collect();
    assert_eq!(names, ["c1", "c2", "c3", "c4", "c5"]);
    assert!(rows.iter().all(|r| r.image == "busybox:latest"
        && r.command == "\"top\""
        && r.created == "About a minute ago"
        && r.status == "Up 1 minute"));
    assert_eq!(rows[2].ports, "80-82/tcp");
    assert_eq!(rows[4].ports, "8.8.8.8:82->82/tcp");
    assert_eq!(rows[0].line, 2);

    let rows = match facts("container--container-list-without-format-no-trunc.golden")[0] {
        HostFact::Containers(r) => r,
        f => panic!("{f:?}"),
    };
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].names, "c2,foo/bar");
}

#[test]
fn ps_rows_become_container_records_without_inspect() {
    let a: Analysis = correlate(ingest(
        &[cli_dir().join("container--container-list-without-format.golden")],
        &Limits::default(),
    ));
    let recs: Vec<(&str, &str, &str, &str)> = a
        .containers
        .iter()
        .map(|r| {
            (
                r.c.name.as_str(),
                r.c.image.as_str(),
                r.c.status.as_str(),
                r.matched_by,
            )
        })
        .collect();
    assert_eq!(
        recs,
        ["c1", "c2", "c3", "c4", "c5"].map(|n| (n, "busybox:latest", "running", "docker-ps"))
    );
    // The link name is not a container of its own.
    let a = correlate(ingest(
        &[cli_dir().join("container--container-list-without-format-no-trunc.golden")],
        &Limits::default(),
    ));
    let names: Vec<&str> = a.containers.iter().map(|r| r.c.name.as_str()).collect();
    assert_eq!(names, ["c1", "c2"]);
}

#[test]
fn images_in_both_table_forms() {
    let rows = match facts("image--list-command-filter-dangling.all-flag.golden")[0] {
        HostFact::ImageList(r) => r,
        f => panic!("{f:?}"),
    };
    let got: Vec<(&str, &str, &str, Option<u64>)> = rows
        .iter()
        .map(|r| (r.repository.as_str(), r.tag.as_str(), r.id.as_str(), r.size))
        .collect();
    assert_eq!(
        got,
        [
            ("myimage", "latest", "87428fc52280", Some(0)),
            ("<none>", "<none>", "0263829989b6", Some(0)),
            ("<none>", "<none>", "a3a5e715f0cc", Some(0)),
        ]
    );
    // Two tags of one image, platform rows skipped, sizes in decimal MB.
    let rows =
        match facts("image--tree-command-success.mixed-tagged-untagged-with-children.golden")[0] {
            HostFact::ImageList(r) => r,
            f => panic!("{f:?}"),
        };
    let got: Vec<(&str, &str, &str, Option<u64>)> = rows
        .iter()
        .map(|r| (r.repository.as_str(), r.tag.as_str(), r.id.as_str(), r.size))
        .collect();
    assert_eq!(
        got,
        [
            ("app", "v1", "101010101010", Some(30_500_000)),
            ("app", "latest", "101010101010", Some(30_500_000)),
            ("<none>", "<none>", "303030303030", Some(12_300_000)),
            ("base", "alpine", "505050505050", Some(5_500_000)),
        ]
    );
    // A header with no rows (no image matched) is still `docker images`, quietly.
    assert_eq!(
        kind_of("image--list-command-success.simple.golden"),
        ArtifactKind::HostInfo
    );
}

#[test]
fn networks_and_volumes() {
    let rows = match facts("network--network-list.golden")[0] {
        HostFact::Networks(r) => r,
        f => panic!("{f:?}"),
    };
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0].id.as_str(),
            rows[0].name.as_str(),
            rows[0].driver.as_str(),
            rows[0].scope.as_str()
        ),
        ("123454321", "network_1", "09.7.01", "global")
    );
    let rows = match facts("volume--volume-list-without-format.golden")[0] {
        HostFact::Volumes(r) => r,
        f => panic!("{f:?}"),
    };
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.driver.as_str(), r.name.as_str()))
        .collect();
    assert_eq!(got, [("local", "baz"), ("bar", "foo"), ("local", "volume")]);
    let rows = match facts("volume--volume-cluster-volume-list.golden")[0] {
        HostFact::Volumes(r) => r,
        f => panic!("{f:?}"),
    };
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["volume1", "volume2", "volume3", "volume4"]);
    assert_eq!(rows[3].driver, "driver2");
}

#[test]
fn info_text_and_json_agree() {
    for g in [
        "system--docker-info-no-swarm.golden",
        "system--docker-info-no-swarm.json.golden",
        "system--docker-info-with-swarm.golden",
        "system--docker-info-with-swarm.json.golden",
    ] {
        let h = host(g);
        assert_eq!(h.command, "docker info", "{g}");
        assert_eq!(h.server_version.as_deref(), Some("17.06.1-ce"), "{g}");
        assert_eq!(h.kernel_version.as_deref(), Some("4.4.0-87-generic"), "{g}");
        assert_eq!(h.architecture.as_deref(), Some("x86_64"), "{g}");
        assert_eq!(h.storage_driver.as_deref(), Some("overlay2"), "{g}");
        assert_eq!(h.logging_driver.as_deref(), Some("json-file"), "{g}");
        assert_eq!(h.cgroup_driver.as_deref(), Some("cgroupfs"), "{g}");
        assert_eq!(h.cpus, Some(2), "{g}");
    }
    assert_eq!(
        host("system--docker-info-no-swarm.json.golden").total_memory,
        Some(2_097_356_800)
    );
}

#[test]
fn version_text_and_json() {
    let t = host("system--TestVersionFormat_default.golden");
    assert_eq!(t.command, "docker version");
    assert_eq!(t.server_version.as_deref(), Some("17.06.2-ee-15"));
    assert_eq!(t.architecture.as_deref(), Some("amd64"));
    let j = host("system--TestVersionFormat_json.golden");
    assert_eq!(j.command, "docker version");
    assert_eq!(j.server_version.as_deref(), Some("18.99.5-ce"));
    assert_eq!(j.architecture.as_deref(), Some("amd64"));
}

/// Template outputs (`'image'`, `"create"`), error texts and empty outputs
/// are not evidence that failed to read: no warning for any golden.
#[test]
fn no_golden_gives_a_warning() {
    let warnings: Vec<String> = ingested()
        .diagnostics
        .iter()
        .filter(|d| d.severity != DiagSeverity::Info)
        .map(|d| format!("{}: {}", d.path, d.message))
        .collect();
    assert!(warnings.is_empty(), "{warnings:#?}");
    let a = correlate(ingest(&[cli_dir()], &Limits::default()));
    let warnings: Vec<String> = a
        .diagnostics
        .iter()
        .filter(|d| d.severity != DiagSeverity::Info)
        .map(|d| format!("{}: {}", d.path, d.message))
        .collect();
    assert!(warnings.is_empty(), "{warnings:#?}");
}

fn insights(file: &str) -> std::path::PathBuf {
    common::sample("fixtures/insights-core/insights_commands").join(file)
}

fn only_fact(path: std::path::PathBuf) -> HostFact {
    let ing = ingest(&[path.clone()], &Limits::default());
    ing.items
        .into_iter()
        .find_map(|p| match p {
            Parsed::Host(f) => Some(f),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{}: no host fact", path.display()))
}

/// insights-core `test_docker_list.py::test_docker_list_containers` (and
/// `test_podman_list.py`, the same text): `docker ps --all --no-trunc`
/// with `SIZE`.
#[test]
fn insights_docker_ps() {
    let HostFact::Containers(rows) = only_fact(insights("docker_ps_--all_--no-trunc")) else {
        panic!("not docker ps");
    };
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0].id,
        "03e2861336a76e29155836113ff6560cb70780c32f95062642993b2b3d0fc216"
    );
    assert_eq!(rows[0].command, "\"/usr/sbin/httpd -DFOREGROUND\"");
    assert_eq!(rows[0].size, "796 B (virtual 669.2 MB)");
    assert_eq!(rows[0].created, "45 seconds ago");
    assert_eq!(rows[0].ports, "0.0.0.0:8080->80/tcp");
    assert_eq!(rows[0].names, "angry_saha");
    assert_eq!(
        rows[1].id,
        "95516ea08b565e37e2a4bca3333af40a240c368131b77276da8dec629b7fe102"
    );
    assert_eq!(
        rows[1].command,
        "\"/bin/sh -c 'yum install -y vsftpd-2.2.2-6.el6'\""
    );
    assert_eq!(rows[1].status, "Exited (137) 18 hours ago");
    assert_eq!(rows[1].exit_code, Some(137));
    assert_eq!(rows[1].ports, "");
    assert_eq!(rows[1].names, "tender_rosalind");

    // Without inspect, the rows are the containers, and the one killed by
    // signal 9 is reported as such.
    let a = correlate(ingest(
        &[insights("docker_ps_--all_--no-trunc")],
        &Limits::default(),
    ));
    let recs: Vec<(&str, &str, &str, i64)> = a
        .containers
        .iter()
        .map(|r| {
            (
                r.c.name.as_str(),
                r.c.id.as_str(),
                r.c.status.as_str(),
                r.c.exit_code,
            )
        })
        .collect();
    assert_eq!(
        recs,
        [
            (
                "angry_saha",
                "03e2861336a76e29155836113ff6560cb70780c32f95062642993b2b3d0fc216",
                "running",
                0
            ),
            (
                "tender_rosalind",
                "95516ea08b565e37e2a4bca3333af40a240c368131b77276da8dec629b7fe102",
                "exited",
                137
            ),
        ]
    );
}

/// `test_docker_list.py::test_docker_list_images`: `docker images --all
/// --no-trunc --digests` of Docker 1.x (`VIRTUAL SIZE`).
#[test]
fn insights_docker_images() {
    let HostFact::ImageList(rows) = only_fact(insights("docker_images_--all_--no-trunc_--digests"))
    else {
        panic!("not docker images");
    };
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].repository, "rhel6_vsftpd");
    assert_eq!(rows[0].tag, "latest");
    assert_eq!(rows[0].digest, "<none>");
    assert_eq!(
        rows[0].id,
        "412b684338a1178f0e5ad68a5fd00df01a10a18495959398b2cf92c2033d3d02"
    );
    assert_eq!(rows[0].created, "37 minutes ago");
    assert_eq!(rows[0].size, Some(459_500_000));
    assert_eq!(rows[3].repository, "<none>");
    assert_eq!(rows[1].tag, "latest");
    assert_eq!(
        rows[3].id,
        "34c167d900afb820ecab622a214ce3207af80ec755c0dcb6165b425087ddbc3a"
    );
    assert_eq!(rows[2].repository, "rhel6_nss-softokn");
    assert_eq!(
        rows[2].id,
        "dd87dad2c7841a19263ae2dc96d32c501ee84a92f56aed75bb67f57efe4e48b5"
    );
    // `test_docker_list_images_no_data`: a header alone is no rows.
    let HostFact::ImageList(rows) = only_fact(insights("docker_images_no_data")) else {
        panic!("not docker images");
    };
    assert!(rows.is_empty());
}

/// `test_docker_info.py::test_docker_info`: Docker 1.9's `docker info`;
/// its daemon-down text (`docker_info3`) and `docker --help` output are no
/// facts and no warning beside the others.
#[test]
fn insights_docker_info() {
    let HostFact::Docker(h) = only_fact(insights("docker_info1")) else {
        panic!("not docker info");
    };
    assert_eq!(h.server_version.as_deref(), Some("1.9.1"));
    assert_eq!(h.storage_driver.as_deref(), Some("devicemapper"));
    assert_eq!(h.kernel_version.as_deref(), Some("3.10.0-327.el7.x86_64"));
    assert_eq!(h.cpus, Some(1));
    assert_eq!(h.total_memory, Some(993 << 20));
    let HostFact::Docker(h) = only_fact(insights("docker_info2")) else {
        panic!("not docker info");
    };
    assert_eq!(h.server_version.as_deref(), Some("1.9.1"));
    let a = correlate(ingest(
        &[common::sample("fixtures/insights-core")],
        &Limits::default(),
    ));
    let warnings: Vec<&str> = a
        .diagnostics
        .iter()
        .filter(|d| d.severity != DiagSeverity::Info)
        .map(|d| d.path.as_str())
        .collect();
    assert!(warnings.is_empty(), "{warnings:?}");
}

/// Ordinary collector output that was "not recognised" (#11): podman's
/// info and version (samples/podman/podman, from the corpus), `uname`.
#[test]
fn podman_info_version_and_uname() {
    let HostFact::Docker(h) = only_fact(common::sample("podman/podman/podman_info.json")) else {
        panic!("not podman info");
    };
    assert_eq!(h.command, "podman info");
    assert_eq!(h.architecture.as_deref(), Some("amd64"));
    assert_eq!(h.cgroup_driver.as_deref(), Some("cgroupfs"));
    assert_eq!(h.cgroup_version.as_deref(), Some("v1"));
    let HostFact::Docker(h) = only_fact(common::sample("podman/podman/podman_version")) else {
        panic!("not podman version");
    };
    assert_eq!(h.command, "podman version");
    assert_eq!(h.server_version.as_deref(), Some("4.3.1"));
    assert_eq!(h.architecture.as_deref(), Some("amd64"));
    let HostFact::Docker(h) = only_fact(common::sample("host-text/uname_-m")) else {
        panic!("not uname -m");
    };
    assert_eq!(h.architecture.as_deref(), Some("x86_64"));
    let HostFact::Docker(h) = only_fact(common::sample("host-text/uname_-a")) else {
        panic!("not uname -a");
    };
    assert_eq!(h.architecture.as_deref(), Some("x86_64"));
}
