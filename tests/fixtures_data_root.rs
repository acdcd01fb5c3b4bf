//! Other projects' test data roots, asserted as those projects' own tests
//! assert them (issues #11 and #14): google/docker-explorer's `tests.py`
//! over its aufs (Docker 1.x and 17.x), overlay and overlay2 data roots,
//! and log2timeline/plaso's `tests/parsers/jsonl_plugins/docker_*.py` over
//! its Docker 1.x `test_data/docker/`. Each test names the upstream test it
//! mirrors; samples/PROVENANCE.md says what was trimmed from each archive.

use std::sync::OnceLock;

use coroner::report::schema::{Container, DiagSeverity, Image, Report};
use coroner::{run, Config};

mod common;

fn load(sample: &str) -> Report {
    run(&Config::new(vec![common::sample(sample)]))
}

fn aufs_v1() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| load("data-root-docker-explorer/aufs.v1-subset.tgz"))
}

fn aufs_v2() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| load("data-root-docker-explorer/aufs.v2-subset.tgz"))
}

fn overlay_v2() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| load("data-root-docker-explorer/overlay.v2-subset.tgz"))
}

fn overlay2_v2() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| load("data-root-docker-explorer/overlay2.v2-subset.tgz"))
}

fn vols_v2() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| load("data-root-docker-explorer/vols.v2-subset.tgz"))
}

fn plaso() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| load("fixtures/plaso/docker"))
}

/// Containers sorted by name, as docker-explorer's tests sort them.
fn by_name(r: &Report) -> Vec<&Container> {
    let mut v: Vec<&Container> = r.containers.iter().collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

fn by_id<'r>(r: &'r Report, id: &str) -> &'r Container {
    r.containers
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("container {id} missing"))
}

fn image<'r>(r: &'r Report, id: &str) -> &'r Image {
    r.images
        .iter()
        .find(|i| i.id == id)
        .unwrap_or_else(|| panic!("image {id} missing: {:?}", ids(r)))
}

fn ids(r: &Report) -> Vec<String> {
    r.images
        .iter()
        .map(|i| i.id.unescaped().to_string())
        .collect()
}

fn running(r: &Report) -> Vec<&str> {
    r.containers
        .iter()
        .filter(|c| c.status == "running")
        .map(|c| c.name.unescaped())
        .collect()
}

fn warnings(r: &Report) -> Vec<String> {
    r.diagnostics
        .iter()
        .filter(|d| matches!(d.severity, DiagSeverity::Warning | DiagSeverity::Error))
        .map(|d| format!("{}: {}", d.path.unescaped(), d.message.unescaped()))
        .collect()
}

fn created(c: &Container) -> String {
    c.data_root
        .as_ref()
        .and_then(|d| d.created.clone())
        .unwrap_or_default()
}

fn data_root(c: &Container) -> &coroner::report::schema::ContainerDataRoot {
    c.data_root
        .as_ref()
        .unwrap_or_else(|| panic!("{}: no data_root", c.name.unescaped()))
}

// docker-explorer tests.py, TestAufsV1Storage.testGetAllContainers,
// testGetRunningContainersList, testGetContainersJson, testDetectStorage.
#[test]
fn docker_explorer_aufs_v1_containers() {
    let r = aufs_v1();
    let list = by_name(r);
    assert_eq!(list.len(), 3);
    let c = list[0];
    assert_eq!(c.name, "angry_rosalind");
    assert_eq!(created(c), "2018-12-27T10:53:17.096746609Z");
    assert_eq!(c.image, "busybox");
    assert_eq!(c.status, "running");
    assert_eq!(
        c.id,
        "de44dd97cfd1c8d1c1aad7f75a435603991a7a39fa4f6b20a69bf4458809209c"
    );
    assert_eq!(running(r), ["angry_rosalind"]);
    // start_date 2018-12-27T10:53:17.409426 (docker-explorer cuts to µs).
    assert!(c
        .started_at
        .as_deref()
        .is_some_and(|s| s.starts_with("2018-12-27T10:53:17.409426")));
    let d = data_root(c);
    assert_eq!(
        d.image_id,
        "1cee97b18f87b5fa91633db35f587e2c65c093facfa2cbbe83d5ebe06e1d9125"
    );
    for c in &r.containers {
        assert_eq!(data_root(c).config_file, "config.json");
        assert_eq!(c.matched_by.as_deref(), Some("data-root"));
    }
}

// docker-explorer tests.py, TestAufsV1Storage.testGetOrderedLayers,
// testGetLayerInfo, testGetHistory, testGetRepositoriesString.
#[test]
fn docker_explorer_aufs_v1_graph_image() {
    let r = aufs_v1();
    let img = image(
        r,
        "1cee97b18f87b5fa91633db35f587e2c65c093facfa2cbbe83d5ebe06e1d9125",
    );
    // repositories-aufs: {"busybox": {"latest": "1cee97…"}}
    assert_eq!(img.refs, ["busybox:latest"]);
    // Two layers, the image's own on top of df557f39….
    assert_eq!(img.layers, 2);
    let digests: Vec<&str> = img
        .layer_table
        .iter()
        .map(|l| l.digest.unescaped())
        .collect();
    assert_eq!(
        digests,
        [
            "df557f39d413a1408f5c28d8aab2892f927237ec22e903ef04b331305130ab38",
            "1cee97b18f87b5fa91633db35f587e2c65c093facfa2cbbe83d5ebe06e1d9125"
        ]
    );
    let top = &img.history[1];
    assert_eq!(
        top.created.as_deref(),
        Some("2018-12-26T08:20:42.831353376Z")
    );
    assert_eq!(top.created_by, "/bin/sh -c #(nop)  CMD [\"sh\"]");
    let base = &img.history[0];
    assert!(base
        .created
        .as_deref()
        .is_some_and(|s| s.starts_with("2018-12-26T08:20:42.687925")));
    assert_eq!(
        base.created_by,
        "/bin/sh -c #(nop) ADD file:ce026b62356eec3ad1214f92be2c9dc063fe205bd5e600be3492c4dfb17148bd in / "
    );
    // testGetHistory: size 1154361 for the base layer (its `layersize`),
    // 0 for the CMD layer; here from the layers' tar-split headers.
    assert_eq!(img.layer_table[0].size_bytes, 1_154_361);
    assert_eq!(img.layer_table[1].size_bytes, 0);
    assert!(warnings(r).len() <= 5, "{:#?}", warnings(r));
}

// docker-explorer tests.py, TestAufsV1Storage.testMakeMountCommands: the
// container's layer is aufs/diff/<container id> (no layerdb on Docker 1.x).
#[test]
fn docker_explorer_aufs_v1_upper_layer() {
    let c = by_id(
        aufs_v1(),
        "de44dd97cfd1c8d1c1aad7f75a435603991a7a39fa4f6b20a69bf4458809209c",
    );
    assert_eq!(
        data_root(c).mount_id,
        "de44dd97cfd1c8d1c1aad7f75a435603991a7a39fa4f6b20a69bf4458809209c"
    );
    let ch = c.changes.as_ref().expect("aufs/diff/<id> read");
    assert!(ch
        .source
        .unescaped()
        .ends_with("aufs/diff/de44dd97cfd1c8d1c1aad7f75a435603991a7a39fa4f6b20a69bf4458809209c"));
}

// docker-explorer tests.py, TestAufsStorage.testGetAllContainers,
// testGetRunningContainersList, testGetContainersJson, testGetFullContainerID.
#[test]
fn docker_explorer_aufs_v2_containers() {
    let r = aufs_v2();
    let list = by_name(r);
    assert_eq!(list.len(), 7);
    let c = list[1];
    assert_eq!(c.name, "dreamy_snyder");
    assert_eq!(created(c), "2017-02-13T16:45:05.629904159Z");
    assert_eq!(c.image, "busybox");
    assert_eq!(c.status, "running");
    assert_eq!(
        c.id,
        "7b02fb3e8a665a63e32b909af5babb7d6ba0b64e10003b2d9534c7d5f2af8966"
    );
    assert_eq!(running(r), ["dreamy_snyder"]);
    assert!(c
        .started_at
        .as_deref()
        .is_some_and(|s| s.starts_with("2017-02-13T16:45:05.785658")));
    let d = data_root(c);
    assert_eq!(
        d.image_id,
        "sha256:7968321274dc6b6171697c33df7815310468e694ac5be0ec03ff053bb135e768"
    );
    assert_eq!(
        d.mount_id,
        "b16a494082bba0091e572b58ff80af1b7b5d28737a3eedbe01e73cd7f4e01d23"
    );
    // mount_points: the volume 28297de5… on /var/jenkins_home.
    assert!(
        c.mounts.iter().any(|m| m.unescaped().contains(
            "28297de547b5473a9aff90aaab45ed108ebf019981b40c3c35c226f54c13ac0d:/var/jenkins_home"
        )),
        "{:?}",
        c.mounts
    );
    let mut all: Vec<&str> = r.containers.iter().map(|c| c.id.unescaped()).collect();
    all.sort();
    assert_eq!(
        all,
        [
            "1171e9631158156ba2b984d335b2bf31838403700df3882c51aed70beebb604f",
            "2cc4b0d9c1dfdf71099c5e9a109e6a0fe286152a5396bd1850689478e8f70625",
            "7b02fb3e8a665a63e32b909af5babb7d6ba0b64e10003b2d9534c7d5f2af8966",
            "986c6e682f30550512bc2f7243f5a57c91b025e543ef703c426d732585209945",
            "b6f881bfc566ed604da1dc9bc8782a3540380c094154d703a77113b1ecfca660",
            "c8a38b6c29b0c901c37c2bb17bfcd73942c44bb71cc528505385c62f3c6fff35",
            "dd39804186d4f649f1e9cec89df1583e7a12a48193223a16cc40958f7e76b858",
        ]
    );
    assert!(warnings(r).len() <= 5, "{:#?}", warnings(r));
}

// docker-explorer tests.py, TestAufsStorage.testGetOrderedLayers,
// testGetLayerInfo, testGetHistory, testGetRepositoriesString.
#[test]
fn docker_explorer_aufs_v2_image() {
    let img = image(
        aufs_v2(),
        "sha256:7968321274dc6b6171697c33df7815310468e694ac5be0ec03ff053bb135e768",
    );
    assert_eq!(img.refs, ["busybox:latest"]);
    let last = img.history.last().expect("history");
    assert_eq!(
        last.created.as_deref(),
        Some("2017-01-13T22:13:54.401355854Z")
    );
    assert_eq!(last.created_by, "/bin/sh -c #(nop)  CMD [\"sh\"]");
    assert!(last.empty_layer);
}

// docker-explorer tests.py, TestOverlayStorage.testGetAllContainers,
// testGetRunningContainersList, testGetContainersJson (upper_dir
// overlay/<mount id>/upper), testGetFullContainerID.
#[test]
fn docker_explorer_overlay_v2_containers() {
    let r = overlay_v2();
    let list = by_name(r);
    assert_eq!(list.len(), 6);
    let c = list[0];
    assert_eq!(c.name, "elastic_booth");
    assert_eq!(created(c), "2018-01-26T14:55:56.280943771Z");
    assert_eq!(c.image, "busybox:latest");
    assert_eq!(c.status, "running");
    assert_eq!(
        c.id,
        "5dc287aa80b460652a5584e80a5c8c1233b0c0691972d75424cf5250b917600a"
    );
    assert_eq!(running(r), ["elastic_booth"]);
    assert!(c
        .started_at
        .as_deref()
        .is_some_and(|s| s.starts_with("2018-01-26T14:55:56.574924")));
    let d = data_root(c);
    assert_eq!(
        d.image_id,
        "sha256:5b0d59026729b68570d99bc4f3f7c31a2e4f2a5736435641565d93e7c25bd2c3"
    );
    assert_eq!(
        d.mount_id,
        "974e2b994f9db74e1ddd6fc546843bc65920e786612a388f25685acf84b3fed1"
    );
    let ch = c.changes.as_ref().expect("overlay/<mount id>/upper read");
    assert!(ch.source.unescaped().ends_with(
        "overlay/974e2b994f9db74e1ddd6fc546843bc65920e786612a388f25685acf84b3fed1/upper"
    ));
    let starting_with_4: Vec<&str> = r
        .containers
        .iter()
        .map(|c| c.id.unescaped())
        .filter(|i| i.starts_with('4'))
        .collect();
    assert_eq!(starting_with_4.len(), 2);
    assert!(warnings(r).len() <= 5, "{:#?}", warnings(r));
}

// docker-explorer tests.py, TestOverlayStorage.testGetOrderedLayers,
// testGetLayerInfo, testGetHistory, testGetRepositoriesString.
#[test]
fn docker_explorer_overlay_v2_image() {
    let img = image(
        overlay_v2(),
        "sha256:5b0d59026729b68570d99bc4f3f7c31a2e4f2a5736435641565d93e7c25bd2c3",
    );
    // busybox:latest (the @sha256 digest reference is not a tag).
    assert_eq!(img.refs, ["busybox:latest"]);
    let last = img.history.last().expect("history");
    assert_eq!(
        last.created.as_deref(),
        Some("2018-01-24T04:29:35.590938514Z")
    );
    assert_eq!(last.created_by, "/bin/sh -c #(nop)  CMD [\"sh\"]");
}

// docker-explorer tests.py, TestOverlay2Storage.testGetAllContainers,
// testGetContainersJson, testGetLayerInfo, testGetHistory,
// testGetAllContainersFiltered, DETest.testShowHistory.
#[test]
fn docker_explorer_overlay2_v2() {
    let r = overlay2_v2();
    let list = by_name(r);
    assert_eq!(list.len(), 5);
    assert_eq!(list[0].name, "festive_perlman");
    assert_eq!(created(list[0]), "2018-05-16T10:51:39.271019533Z");
    assert_eq!(list[0].status, "running");
    assert_eq!(
        data_root(list[0]).mount_id,
        "92fd3b3e7d6101bb701743c9518c45b0d036b898c8a3d7cae84e1a06e6829b53"
    );
    assert_eq!(list[3].name, "reverent_wing");
    assert_eq!(created(list[3]), "2018-05-16T10:51:28.695738065Z");
    assert_ne!(list[3].status, "running");
    assert_eq!(
        list[3].id,
        "10acac0b3466813c9e1f85e2aa7d06298e51fbfe86bbcb6b7a19dd33d3798f6a"
    );
    assert_eq!(running(r), ["festive_perlman"]);
    // The one container not run from busybox is the gcr.io one
    // (filter_repositories=['gcr.io'] keeps the other four).
    let gcr: Vec<&str> = r
        .containers
        .iter()
        .filter(|c| c.image.unescaped().starts_with("gcr.io"))
        .map(|c| c.id.unescaped())
        .collect();
    assert_eq!(
        gcr,
        ["f83f963c67cbd36055f690fc988c1e42be06c1253e80113d1d516778c06b2841"]
    );
    let img = image(
        r,
        "sha256:8ac48589692a53a9b8c2d1ceaa6b402665aa7fe667ba51ccc03002300856d8c7",
    );
    let last = img.history.last().expect("history");
    assert_eq!(
        last.created.as_deref(),
        Some("2018-04-05T10:41:28.876407948Z")
    );
    assert_eq!(last.created_by, "/bin/sh -c #(nop)  CMD [\"sh\"]");
    // hostname and resolv.conf are shown.
    let d = data_root(list[0]);
    assert_eq!(d.hostname, "8e8b7f23eb7c");
    assert!(!d.nameservers.is_empty(), "{d:?}");
}

// docker-explorer tests.py, TestDEVolumes (vols.v2): named volumes, and
// their driver as volumes/metadata.db records it.
#[test]
fn docker_explorer_vols_v2() {
    let r = vols_v2();
    assert_eq!(r.containers.len(), 4);
    assert!(r.volumes.len() >= 3, "{:?}", r.volumes);
    for v in &r.volumes {
        assert_eq!(v.driver, "local", "{v:?}");
    }
    assert!(warnings(r).len() <= 5, "{:#?}", warnings(r));
}

// plaso tests/parsers/jsonl_plugins/docker_container_config.py: container
// identifier, name (plaso shows the hostname `e7d0b7ea5ccf`), creation and
// start times.
#[test]
fn plaso_container_config() {
    let r = plaso();
    let c = by_id(
        r,
        "e7d0b7ea5ccf08366e2b0c8afa2318674e8aefe802315378125d2bb83fe3110c",
    );
    assert_eq!(c.name, "desperate_galileo");
    let d = data_root(c);
    assert_eq!(d.hostname, "e7d0b7ea5ccf");
    assert_eq!(d.config_file, "config.json");
    assert!(created(c).starts_with("2016-01-07T16:49:08.507979"));
    assert!(c
        .started_at
        .as_deref()
        .is_some_and(|s| s.starts_with("2016-01-07T16:49:08.674873")));
    assert_eq!(c.status, "running");
    assert_eq!(r.containers.len(), 1);
}

// plaso tests/parsers/jsonl_plugins/docker_container_log.py: 10 entries,
// the first on stdout at 2016-01-07T16:49:10.
#[test]
fn plaso_container_log() {
    let r = plaso();
    let c = by_id(
        r,
        "e7d0b7ea5ccf08366e2b0c8afa2318674e8aefe802315378125d2bb83fe3110c",
    );
    let logs = c.logs.as_ref().expect("container-json.log attached");
    assert_eq!(logs.lines, 10);
    assert_eq!(logs.stderr_lines, Some(0));
    assert!(logs
        .first
        .as_deref()
        .is_some_and(|s| s.starts_with("2016-01-07T16:49:10.000")));
}

// plaso tests/parsers/jsonl_plugins/docker_layer_config.py: the layer's
// command and creation time.
#[test]
fn plaso_layer_config() {
    let r = plaso();
    let img = image(
        r,
        "3c9a9d7cc6a235eb2de58ca9ef3551c67ae42a991933ba4958d207b29142902b",
    );
    let h = img.history.last().expect("history");
    assert_eq!(
        h.created_by,
        "/bin/sh -c sed -i 's/^#\\s*\\(deb.*universe\\)$/\\1/g' /etc/apt/sources.list"
    );
    assert!(h
        .created
        .as_deref()
        .is_some_and(|s| s.starts_with("2015-10-12T17:27:03.079273")));
    // plaso copied the layer's `json` alone: its parent layer and its
    // `tar-data.json.gz` are missing, each said once.
    assert_eq!(warnings(r).len(), 2, "{:#?}", warnings(r));
}
