//! anchore/stereoscope's image fixtures (`samples/fixtures/stereoscope/`,
//! provenance in `samples/PROVENANCE.md`) give the answers stereoscope's own
//! tests assert (issue #11 acceptance: real fixtures from other projects):
//! `test/integration/fixture_image_simple_test.go` (layers, sizes, squashed
//! tree), `fixture_image_symlinks_test.go` (links across layers, a dead link
//! after a whiteout) and `pkg/image/oci/*_provider_test.go` (the committed
//! OCI archive and directories).

use coroner::archive::tar_index::EntryKind;
use coroner::ingest::image::Image;
use coroner::ingest::{ingest, Parsed};
use coroner::model::Limits;
use coroner::report::schema::Report;
use coroner::{run, Config};

mod common;

fn path(name: &str) -> std::path::PathBuf {
    common::sample(&format!("fixtures/stereoscope/{name}"))
}

fn report(name: &str) -> Report {
    let r = run(&Config::new(vec![path(name)]));
    assert!(
        r.diagnostics.is_empty(),
        "{name}: {:?}",
        r.diagnostics
            .iter()
            .map(|d| d.message.unescaped())
            .collect::<Vec<_>>()
    );
    r
}

fn images(name: &str) -> Vec<Image> {
    ingest(&[path(name)], &Limits::default())
        .items
        .into_iter()
        .filter_map(|p| match p {
            Parsed::Images(v) => Some(v),
            _ => None,
        })
        .flatten()
        .collect()
}

/// The layer digests (diff ids) the engine computed for image-simple's three
/// `ADD` steps; the same in every form of the image.
const SIMPLE_LAYERS: [&str; 3] = [
    "sha256:d1b4affe8cc8dbda4497d0e71cad19656a4ba20e87f0a6a9ce78345e3de6c4bb",
    "sha256:d0758a6fa7625472d04418a533cdd01a0fad70e6afa957d452d78548a4f1eb70",
    "sha256:9a4705a7c0f0b4c3b7a20ce23ad75335e4c744ed6cd2e9f4c10e511686d2bca5",
];

/// `simpleImageTestCases`: three layers of 22, 16 and 27 bytes, image size
/// 65, one tag for docker-archive and none for oci-archive and oci-dir; the
/// squashed tree holds `/somefile-1.txt`, `/somefile-2.txt` and
/// `/really/nested/file-3.txt` (their contents are 22, 16 and 27 bytes).
#[test]
fn image_simple_in_every_form() {
    for (name, tags) in [
        ("image-simple.docker.tar", 1),
        ("image-simple.oci.tar", 0),
        ("image-simple-oci-dir", 0),
    ] {
        let r = report(name);
        assert_eq!(r.images.len(), 1, "{name}");
        let i = &r.images[0];
        assert_eq!(i.layers, 3, "{name}");
        let sizes: Vec<u64> = i.layer_table.iter().map(|l| l.size_bytes).collect();
        assert_eq!(sizes, [22, 16, 27], "{name}");
        let digests: Vec<&str> = i.layer_table.iter().map(|l| l.digest.unescaped()).collect();
        assert_eq!(digests, SIMPLE_LAYERS, "{name}");
        let files: Vec<u64> = i.layer_table.iter().map(|l| l.files).collect();
        assert_eq!(files, [1, 1, 1], "{name}");
        assert_eq!(i.size_bytes, 65, "{name}");
        assert_eq!(i.wasted_bytes, 0, "{name}");
        assert_eq!(i.refs.len(), tags, "{name}: {:?}", i.refs);
        if tags > 0 {
            assert!(i.refs[0]
                .unescaped()
                .contains("stereoscope-fixture-image-simple:"));
        }
        let largest: Vec<(&str, u64)> = i
            .largest_files
            .iter()
            .map(|p| (p.path.unescaped(), p.size))
            .collect();
        assert_eq!(
            largest,
            [
                ("/really/nested/file-3.txt", 27),
                ("/somefile-1.txt", 22),
                ("/somefile-2.txt", 16),
            ],
            "{name}"
        );
    }
}

/// `assertImageSimpleSquashedTrees`: exactly those three files (and their
/// directories) in the squashed tree; the opaque marker Docker 18 wrote is
/// ignored by that test and is not a file here either.
#[test]
fn image_simple_squashed_tree() {
    let v = images("image-simple.docker.tar");
    assert_eq!(v.len(), 1);
    let files: Vec<(&str, u64, usize)> = v[0]
        .files
        .iter()
        .filter(|f| f.kind == EntryKind::File)
        .map(|f| (f.path.as_str(), f.size, f.layer))
        .collect();
    assert_eq!(
        files,
        [
            ("/really/nested/file-3.txt", 27, 2),
            ("/somefile-1.txt", 22, 0),
            ("/somefile-2.txt", 16, 1),
        ]
    );
    assert!(v[0].files.iter().all(|f| !f.path.contains(".wh.")));
}

/// `assertImageSymlinkLinkResolution`, in what coroner's merged view holds
/// (kind and the layer that put each path in place):
/// - `/link-1` (layer 2) points at `/file-1.txt` of layer 1;
/// - `/link-2` (layer 3) was removed by `unlink` in layer 8, so
///   `/link-indirect` (layer 6) is dead in the final image;
/// - `/file-2.txt` is layer 7's (`NEW file override!`, 18 bytes), which hid
///   layer 4's 7 bytes: those are the image's only wasted bytes;
/// - `/link-within` and `/file-3.txt` both come from layer 5;
/// - layer 0's `/bin/busybox` is a hard link to `/bin/[`.
#[test]
fn image_symlinks_layers_and_final_view() {
    let r = report("image-symlinks.docker.tar");
    assert_eq!(r.images.len(), 1);
    let i = &r.images[0];
    assert_eq!(i.layers, 9);
    assert_eq!(i.wasted_bytes, 7);
    assert_eq!(i.wasted_files.len(), 1);
    let w = &i.wasted_files[0];
    assert_eq!(
        (
            w.path.unescaped(),
            w.size,
            w.added_in_layer,
            w.hidden_by_layer
        ),
        ("/file-2.txt", 7, 4, 7)
    );
    let sizes: Vec<u64> = i.layer_table.iter().skip(1).map(|l| l.size_bytes).collect();
    assert_eq!(sizes, [7, 0, 0, 7, 7, 0, 18, 0]);

    let v = images("image-symlinks.docker.tar");
    let view = |p: &str| v[0].files.iter().find(|f| f.path == p);
    let kind_layer = |p: &str| view(p).map(|f| (f.kind, f.layer));
    assert_eq!(kind_layer("/file-1.txt"), Some((EntryKind::File, 1)));
    assert_eq!(kind_layer("/link-1"), Some((EntryKind::Symlink, 2)));
    assert_eq!(kind_layer("/link-2"), None, "whiteout in layer 8");
    assert_eq!(kind_layer("/link-within"), Some((EntryKind::Symlink, 5)));
    assert_eq!(kind_layer("/file-3.txt"), Some((EntryKind::File, 5)));
    assert_eq!(kind_layer("/link-indirect"), Some((EntryKind::Symlink, 6)));
    assert_eq!(kind_layer("/file-2.txt"), Some((EntryKind::File, 7)));
    assert_eq!(view("/file-2.txt").map(|f| f.size), Some(18));
    assert_eq!(kind_layer("/bin/busybox"), Some((EntryKind::Hardlink, 0)));
    assert_eq!(kind_layer("/bin/["), Some((EntryKind::File, 0)));
}

/// `Test_TarballProvide` and `Test_Directory_Provider_*` read these; the
/// single-platform one holds one layer with `/README.md` (10 bytes) under
/// config `sha256:61ee19e8…` (the manifest `sha256:c1ed04a3…` that
/// stereoscope's platform test expects points at that config).
#[test]
fn committed_oci_archive_and_directory() {
    for name in ["valid-oci.tar", "valid_oci_dir"] {
        let r = report(name);
        assert_eq!(r.images.len(), 1, "{name}");
        let i = &r.images[0];
        assert_eq!(
            i.id, "sha256:61ee19e869a529075634f762c1eb191962777e0803598758cbf076edfadfb046",
            "{name}"
        );
        assert_eq!(i.layers, 1);
        assert_eq!(i.size_bytes, 10);
        assert_eq!(i.largest_files.len(), 1);
        assert_eq!(i.largest_files[0].path, "/README.md");
        assert_eq!(i.layer_table[0].created_by, "COPY README.md / # buildkit");
    }
}

/// `reads a multiplatform oci directory for linux/amd64` and `…/arm64`: two
/// images, each with its own platform's file.
#[test]
fn multiplatform_oci_directory_has_both_platforms() {
    let r = report("multiplatform_oci_dir");
    let got: Vec<(&str, &str, u64)> = r
        .images
        .iter()
        .map(|i| {
            (
                i.id.unescaped(),
                i.largest_files[0].path.unescaped(),
                i.size_bytes,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "sha256:549248a7ac95478805d9248e4ffdc778fc2404257d8c071848746e0100e08099",
                "/linux/amd64/README.md",
                1618
            ),
            (
                "sha256:3cd6022503cef24ee80dc156bf171c8d1d588c2ea1904bcd8ef2728c36341594",
                "/linux/arm64/README.md",
                1618
            ),
        ]
    );
}
