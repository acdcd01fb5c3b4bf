//! One image, counted once (issue #15): the same image as a `docker save`
//! and as an OCI archive made from it (same `rootfs.diff_ids`, different
//! config digests) is one image with two sources and one set of findings,
//! and a batch index counts its wasted bytes once; one tag on two different
//! contents stays two images and gets `image-tag-conflict`.

use std::fs;
use std::io::Read;

mod common;
use common::{sample, tar_file};

fn run(paths: Vec<std::path::PathBuf>) -> coroner::Report {
    coroner::run(&coroner::Config::new(paths))
}

#[test]
fn a_save_and_its_oci_copy_are_one_image_with_two_sources() {
    let tmp = tempfile::tempdir().unwrap();
    for f in ["pbloated_1.0.tar.gz", "pbloated_1.0.oci-gzip.tar"] {
        fs::copy(sample(&format!("images/{f}")), tmp.path().join(f)).unwrap();
    }
    let r = run(vec![tmp.path().to_path_buf()]);
    assert_eq!(
        r.images.len(),
        1,
        "{:?}",
        r.images.iter().map(|i| &i.source).collect::<Vec<_>>()
    );
    let img = &r.images[0];
    assert_eq!(img.wasted_bytes, 8_291_456);
    assert_eq!(img.sources.len(), 2);
    assert!(img
        .sources
        .iter()
        .any(|s| s.unescaped().ends_with("pbloated_1.0.tar.gz")));
    assert!(img
        .sources
        .iter()
        .any(|s| s.unescaped().ends_with("pbloated_1.0.oci-gzip.tar")));
    let wasted = r
        .findings
        .iter()
        .filter(|f| f.rule == "image-wasted-space")
        .count();
    assert_eq!(wasted, 1, "one set of image findings");
    assert!(!r.findings.iter().any(|f| f.rule == "image-tag-conflict"));

    // The batch index: wasted bytes over distinct contents.
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("in")).unwrap();
    let bundle = dir.path().join("in/host-1");
    fs::create_dir(&bundle).unwrap();
    for f in ["pbloated_1.0.tar.gz", "pbloated_1.0.oci-gzip.tar"] {
        fs::copy(sample(&format!("images/{f}")), bundle.join(f)).unwrap();
    }
    let mut cfg = coroner::batch::BatchConfig::new(dir.path().join("in"), dir.path().join("out"));
    cfg.jobs = 1;
    let res = coroner::batch::run(&cfg, &|_| {}).unwrap();
    let lines: Vec<_> = coroner::batch::read_index(&res.index)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(lines[0].wasted_bytes, 8_291_456);
    assert_eq!(lines[0].image_contents, 1);
    let index = fs::read_to_string(dir.path().join("out/index.ndjson")).unwrap();
    assert!(index.contains("\"image_contents\":1"), "{index}");
}

/// `docker save` of go-containerregistry's test image, retagged in its
/// manifest as `pbloated:1.0`: same tag, different content.
fn retagged(tag: &str) -> Vec<u8> {
    let src = fs::read(sample("images/pkg_v1_mutate_testdata_overwritten_file.tar")).unwrap();
    let mut ar = tar::Archive::new(&src[..]);
    let mut b = tar::Builder::new(Vec::new());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path().unwrap().to_string_lossy().into_owned();
        let mut body = Vec::new();
        e.read_to_end(&mut body).unwrap();
        if path == "manifest.json" {
            let mut m: serde_json::Value = serde_json::from_slice(&body).unwrap();
            m[0]["RepoTags"] = serde_json::json!([tag]);
            body = serde_json::to_vec(&m).unwrap();
        }
        if e.header().entry_type().is_dir() {
            continue;
        }
        tar_file(&mut b, &path, &body);
    }
    b.into_inner().unwrap()
}

#[test]
fn one_tag_on_two_contents_is_two_images_and_a_finding() {
    let tmp = tempfile::tempdir().unwrap();
    fs::copy(
        sample("images/pbloated_1.0.tar.gz"),
        tmp.path().join("a.tar.gz"),
    )
    .unwrap();
    fs::write(tmp.path().join("b.tar"), retagged("pbloated:1.0")).unwrap();
    let r = run(vec![tmp.path().to_path_buf()]);
    assert_eq!(r.images.len(), 2);
    assert!(r
        .images
        .iter()
        .all(|i| i.refs.iter().any(|t| t == "pbloated:1.0")));
    let f: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule == "image-tag-conflict")
        .collect();
    assert_eq!(f.len(), 1);
    assert!(f[0]
        .title
        .unescaped()
        .contains("same tag, different content"));
    assert_eq!(f[0].evidence.len(), 2);
}
