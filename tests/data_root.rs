//! A Docker data root (`/var/lib/docker` tarred from a real engine, see
//! samples/PROVENANCE.md): containers from `config.v2.json` merged with
//! `hostconfig.json`, images from imagedb and layerdb tar-split, each
//! container's own changes, volumes; the same read from the archive and
//! from the directory. Guards issue #14.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use coroner::report::schema::{DiagSeverity, Report};
use coroner::report::{render, Format};
use coroner::{run, Config};

mod common;

fn archive() -> PathBuf {
    common::sample("real-data-root/docker-data-root-prodweb01.tar.gz")
}

fn report() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| run(&Config::new(vec![archive()])))
}

/// The archive's regular files and directories written under `dir` (the
/// test's own temp dir; device files are left out).
fn unpack(dir: &Path) {
    let mut gz = Vec::new();
    flate2::read::GzDecoder::new(fs::File::open(archive()).unwrap())
        .read_to_end(&mut gz)
        .unwrap();
    let mut ar = tar::Archive::new(gz.as_slice());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let path = dir.join(e.path().unwrap());
        match e.header().entry_type() {
            tar::EntryType::Directory => fs::create_dir_all(&path).unwrap(),
            tar::EntryType::Regular => {
                fs::create_dir_all(path.parent().unwrap()).unwrap();
                let mut body = Vec::new();
                e.read_to_end(&mut body).unwrap();
                fs::write(&path, body).unwrap();
            }
            _ => {}
        }
    }
}

fn hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[test]
fn every_container_has_its_id_state_and_host_config() {
    let r = report();
    assert_eq!(r.containers.len(), 18);
    for c in &r.containers {
        assert!(
            hex64(c.id.unescaped()),
            "{}: id {:?}",
            c.name.unescaped(),
            c.id
        );
        assert_eq!(c.matched_by.as_deref(), Some("data-root"));
        assert!(c.sources.len() == 2, "{:?}", c.sources);
    }
    let c = |n| common::container(r, n);
    assert_eq!(c("pweb").status, "running");
    assert_eq!(c("ptypo").status, "created");
    assert_eq!(
        (c("pindexer").exit_code, c("pindexer").oom_killed),
        (Some(137), true)
    );
    assert_eq!(c("pindexer").memory_limit_bytes, 64 << 20);
    assert_eq!(c("pworker").restart_policy, "on-failure");
    assert_eq!(c("pworker").restart_count, 4);
    assert_eq!(c("psilent").log_driver, "none");
    assert_eq!(c("pchatty").logs.as_ref().unwrap().files, 4);
}

#[test]
fn the_rules_of_the_ground_truth_fire() {
    let r = report();
    let fired = |name: &str, rule: &str| {
        let rules = common::rules_of(r, name);
        assert!(
            rules.contains(&rule),
            "{name}: expected {rule}, got {rules:?}"
        );
    };
    fired("psilent", "logs-unavailable");
    fired("pworker", "crash-loop");
    fired("pflapper", "crash-loop");
    fired("pindexer", "oom-killed");
    fired("ppodlike", "oom-killed");
    fired("psegv", "segfault");
    fired("ptypo", "command-not-found");
    fired("pweb", "unhealthy");
    fired("pweb", "port-mismatch");
    fired("pstubborn", "stop-timeout-kill");
    fired("pgraceful", "sigterm-exit");
    fired("pwriter", "volume-permission-denied");
    fired("pchatty", "crash-signature");
    fired("poneshot", "exited-immediately");
    assert!(
        common::rules_of(r, "papi").is_empty(),
        "{:?}",
        common::rules_of(r, "papi")
    );
    // Only psilent has no logs.
    let unavailable: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule.as_str() == "logs-unavailable")
        .collect();
    assert_eq!(unavailable.len(), 1);
}

#[test]
fn images_from_tar_split_have_exact_waste() {
    let r = report();
    let img = r
        .images
        .iter()
        .find(|i| i.refs.iter().any(|x| x == "pbloated:1.0"))
        .expect("pbloated:1.0");
    assert_eq!(img.wasted_bytes, 8_291_456);
    assert_eq!(img.layers, 7);
    assert_eq!(img.largest_files[0].path, "/var/cache/apt/pkgcache.bin");
    assert_eq!(img.largest_files[0].size, 2_097_152);
    assert!(img.bloat.iter().any(|b| b.category == "node_modules"));
    let pweb = r
        .images
        .iter()
        .find(|i| i.refs.iter().any(|x| x == "pweb:2.3"))
        .unwrap();
    assert_eq!((pweb.layers, pweb.wasted_bytes), (2, 0));
    // Untagged build steps of pbloated (no container runs them) are not
    // listed: `docker images` hides them too.
    assert!(
        r.images.iter().all(|i| !i.refs.is_empty()),
        "{:?}",
        r.images.iter().map(|i| &i.id).collect::<Vec<_>>()
    );
    assert!(r.inputs.iter().any(|i| i.kind == "data-root"));
}

#[test]
fn at_most_five_warnings_and_no_error() {
    let r = report();
    let warnings = r
        .diagnostics
        .iter()
        .filter(|d| d.severity == DiagSeverity::Warning)
        .count();
    let errors: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.severity == DiagSeverity::Error)
        .collect();
    assert!(warnings <= 5, "{:?}", r.diagnostics);
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn volumes_and_upper_layers_are_listed() {
    let r = report();
    assert_eq!(r.volumes.len(), 1);
    let v = &r.volumes[0];
    assert_eq!(
        (v.name.unescaped(), v.driver.unescaped()),
        ("pdata", "local")
    );
    assert_eq!(v.owner.as_deref(), Some("0:0"));
    let pweb = common::container(r, "pweb");
    let ch = pweb
        .changes
        .as_ref()
        .expect("pweb's upper layer is in the sample");
    assert!(ch.source.unescaped().contains("/overlay2/"));
    for f in [Format::Text, Format::Markdown, Format::Html] {
        let out = render(r, f);
        assert!(out.contains("pdata"), "{f:?}");
    }
}

#[test]
fn the_directory_reads_like_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    unpack(dir.path());
    let d = run(&Config::new(vec![dir.path().to_path_buf()]));
    let a = report();
    let view = |r: &Report| {
        let mut v: Vec<(String, String, String)> = r
            .findings
            .iter()
            .map(|f| {
                (
                    f.rule.as_str().to_string(),
                    f.container
                        .as_ref()
                        .map(|c| c.unescaped().to_string())
                        .unwrap_or_default(),
                    f.image
                        .as_ref()
                        .map(|c| c.unescaped().to_string())
                        .unwrap_or_default(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(view(&d), view(a));
    assert_eq!(d.containers.len(), 18);
    let w = |r: &Report| {
        r.images
            .iter()
            .map(|i| (i.id.clone(), i.wasted_bytes))
            .collect::<Vec<_>>()
    };
    assert_eq!(w(&d), w(a));
    assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
}

/// A container's upper layer with what an SRE looks for, planted in the
/// real data root next to pweb's config: the report says what it added,
/// modified and deleted, and flags the setuid binary under /tmp.
#[test]
fn a_container_upper_layer_reads_like_docker_diff() {
    let mut gz = Vec::new();
    flate2::read::GzDecoder::new(fs::File::open(archive()).unwrap())
        .read_to_end(&mut gz)
        .unwrap();
    let mut mount = String::new();
    let mut b = tar::Builder::new(Vec::new());
    let mut ar = tar::Archive::new(gz.as_slice());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path().unwrap().to_string_lossy().into_owned();
        let mut body = Vec::new();
        e.read_to_end(&mut body).unwrap();
        if path.contains("layerdb/mounts/9d3636eb") && path.ends_with("mount-id") {
            mount = String::from_utf8(body.clone()).unwrap();
        }
        let mut h = e.header().clone();
        b.append_data(&mut h, &path, body.as_slice()).unwrap();
    }
    let diff = format!("overlay2/{}/diff", mount.trim());
    let mut add = |name: &str, kind: tar::EntryType, mode: u32, body: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(body.len() as u64);
        h.set_cksum();
        b.append_data(&mut h, format!("{diff}/{name}"), body)
            .unwrap();
    };
    add("tmp", tar::EntryType::Directory, 0o1777, b"");
    add("tmp/x", tar::EntryType::Regular, 0o4755, &[0u8; 4096]);
    add("bin/busybox", tar::EntryType::Regular, 0o755, &[1u8; 100]);
    add("bin/.wh.wget", tar::EntryType::Regular, 0o644, b"");
    add("etc/passwd", tar::EntryType::Char, 0, b"");
    let tar = b.into_inner().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dr.tar");
    fs::write(&path, tar).unwrap();
    let r = run(&Config::new(vec![path]));
    let ch = common::container(&r, "pweb").changes.clone().unwrap();
    let view: Vec<(&str, &str, Vec<&str>)> = ch
        .entries
        .iter()
        .map(|c| {
            (
                c.path.unescaped(),
                c.kind.as_str(),
                c.flags.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        view,
        vec![
            ("/bin/busybox", "modified", vec!["executable"]),
            ("/bin/wget", "deleted", vec![]),
            ("/etc/passwd", "deleted", vec![]),
            // The image has no /tmp: the container made it.
            ("/tmp", "added", vec![]),
            ("/tmp/x", "added", vec!["tmp", "executable", "setuid"]),
        ]
    );
    assert_eq!(
        (ch.added, ch.modified, ch.deleted, ch.written_bytes),
        (2, 1, 2, 4196)
    );
    // The seven questions (and the eighth, changes) in full: `--verbose`.
    let text = coroner::report::render_opts(
        &r,
        Format::Text,
        &coroner::report::RenderOptions {
            verbose: true,
            ..Default::default()
        },
    );
    assert!(
        text.contains("8. changes?  2 added, 1 modified, 2 deleted"),
        "{text}"
    );
}

/// An OCI image layout stored as a directory (go-containerregistry's test
/// data, see samples/PROVENANCE.md) is read as an image, not as inspect
/// output.
#[test]
fn an_oci_layout_directory_is_an_image() {
    let r = run(&Config::new(vec![common::sample(
        "oci-layout/test_index_one_image",
    )]));
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    assert!(r.containers.is_empty());
    assert_eq!(r.inputs.len(), 1);
    assert_eq!(r.inputs[0].kind, "image-archive");
    assert_eq!(r.images.len(), 1);
    let i = &r.images[0];
    assert_eq!(
        i.id,
        "sha256:381d958b555884ba59574ab5c066e9f6116b5aec3567675aa13bec63331f0810"
    );
    assert_eq!((i.layers, i.size_bytes), (1, 5));
    assert_eq!(i.largest_files[0].path, "/test");
}

/// An extracted `docker save` reads like the archive it came from.
#[test]
fn an_extracted_docker_save_reads_like_the_archive() {
    let archive = common::sample("images/pbloated_1.0.tar.gz");
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(fs::File::open(&archive).unwrap())
        .read_to_end(&mut tar)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("pbloated");
    fs::create_dir_all(&root).unwrap();
    tar::Archive::new(tar.as_slice()).unpack(&root).unwrap();
    let d = run(&Config::new(vec![root]));
    let a = run(&Config::new(vec![archive]));
    assert_eq!(d.images.len(), 1, "{:?}", d.diagnostics);
    assert_eq!(d.images[0].id, a.images[0].id);
    assert_eq!(d.images[0].wasted_bytes, 8_291_456);
    assert_eq!(d.images[0].wasted_bytes, a.images[0].wasted_bytes);
    assert_eq!(d.images[0].largest_files, a.images[0].largest_files);
}

/// docker-explorer's own overlay2 test data root (see samples/PROVENANCE.md):
/// every container with its full id, as its tests.py says.
#[test]
fn docker_explorer_test_data_root() {
    let r = run(&Config::new(vec![common::sample(
        "data-root-docker-explorer/overlay2.v2-subset.tgz",
    )]));
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    assert_eq!(r.containers.len(), 5);
    assert!(r.containers.iter().all(|c| hex64(c.id.unescaped())));
    let c = common::container(&r, "festive_perlman");
    assert_eq!(
        c.id,
        "8e8b7f23eb7cbd4dfe7e91646ddd0e0f524218e25d50113559f078dfb2690206"
    );
    assert_eq!(c.status, "running");
    let c = common::container(&r, "reverent_wing");
    assert_eq!(
        c.id,
        "10acac0b3466813c9e1f85e2aa7d06298e51fbfe86bbcb6b7a19dd33d3798f6a"
    );
    assert_eq!(c.status, "created");
    assert_eq!(r.images.len(), 1);
    assert_eq!(r.images[0].refs, vec!["busybox:latest"]);
}
