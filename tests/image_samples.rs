//! Image and export analysis over real archives in `samples/images/`
//! (provenance in `samples/images/PROVENANCE.md`). Every figure asserted
//! here was computed by hand (`tar -tvf` of each layer) or comes from the
//! corpus README's independent ground truth.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use coroner::archive::tar_index::{self, EntryKind};
use coroner::ingest::fs_export::{self, FsExport};
use coroner::ingest::image::{self, Image};
use coroner::ingest::{ingest_bytes, Ingested, Parsed};
use coroner::model::{DiagSeverity, Limits};

mod common;

fn sample_path(name: &str) -> String {
    format!("{}/samples/images/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(sample_path(name)).expect("sample present")
}

fn load(name: &str) -> Ingested {
    let bytes = read(name);
    ingest_bytes(
        &sample_path(name),
        &bytes,
        0,
        bytes.len() as u64,
        &Limits::default(),
    )
}

fn images(ing: &Ingested) -> Vec<&Image> {
    ing.items
        .iter()
        .filter_map(|p| match p {
            Parsed::Images(v) => Some(v.iter()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn export(ing: &Ingested) -> &FsExport {
    ing.items
        .iter()
        .find_map(|p| match p {
            Parsed::Export(e) => Some(e),
            _ => None,
        })
        .expect("an export")
}

fn only_image(name: &str) -> (Image, Ingested) {
    let ing = load(name);
    let v = images(&ing);
    assert_eq!(
        v.len(),
        1,
        "{name}: one image, diagnostics {:?}",
        ing.diagnostics
    );
    (v[0].clone(), ing)
}

fn errors(ing: &Ingested) -> Vec<String> {
    ing.diagnostics
        .iter()
        .filter(|d| d.severity == DiagSeverity::Error)
        .map(|d| format!("{}: {}", d.path, d.message))
        .collect()
}

fn regular_files(img: &Image) -> usize {
    img.files
        .iter()
        .filter(|f| f.kind == EntryKind::File)
        .count()
}

// ---------------------------------------------------------------- corpus

fn assert_pbloated(name: &str, compression: &str) {
    let (img, ing) = only_image(name);
    assert!(errors(&ing).is_empty(), "{name}: {:?}", errors(&ing));
    assert_eq!(img.refs, vec!["pbloated:1.0".to_string()], "{name}");
    assert!(img.id.starts_with("sha256:"), "{name}: {}", img.id);
    assert_eq!(img.layers.len(), 7, "{name}");
    assert!(
        img.layers.iter().all(|l| l.compression == compression),
        "{name}"
    );
    assert_eq!(img.wasted_bytes, 8_291_456, "{name}");
    // 6 MiB cache.bin hidden by layer 4 (`rm`), .git (40 x 50,000 B) by layer 6 (`rm -rf`).
    assert_eq!(img.layers[4].wasted_bytes, 6 * 1024 * 1024, "{name}");
    assert_eq!(img.layers[6].wasted_bytes, 40 * 50_000, "{name}");
    assert!(
        img.layers[6].created_by.contains("rm -rf /app/.git"),
        "{name}"
    );
    let git: Vec<_> = img
        .wasted_files
        .iter()
        .filter(|w| w.path.starts_with("/app/.git/"))
        .collect();
    assert_eq!(git.len(), 40, "{name}");
    assert!(git
        .iter()
        .all(|w| w.size == 50_000 && w.hidden_by == 6 && w.how == "whiteout"));
    assert_eq!(img.largest_files[0].path, "/var/cache/apt/pkgcache.bin");
    assert_eq!(img.largest_files[0].size, 2_097_152);
    assert_eq!(img.largest_files[1].path, "/bin/busybox");
    assert_eq!(img.largest_files[1].size, 1_982_256);
    assert_eq!(img.size_bytes, 6_568_445, "{name}");
    assert_eq!(regular_files(&img), 305, "{name}");
    let eff = img.size_bytes as f64 / (img.size_bytes + img.wasted_bytes) as f64;
    assert!((img.efficiency - eff).abs() < 1e-12);
    assert!(img.files.iter().any(|f| f.path == "/app/node_modules"));
    let cats: Vec<(&str, usize)> = img.bloat.iter().map(|b| (b.category, b.layer)).collect();
    assert!(cats.contains(&("node_modules", 2)), "{cats:?}");
    assert!(cats.contains(&("package-cache", 5)), "{cats:?}");
    assert!(
        !cats.iter().any(|(c, _)| *c == "git"),
        "the .git directory is gone from the final view"
    );
    // History aligned: 7 layer-making steps, the rest empty.
    let made: Vec<usize> = img.history.iter().filter_map(|h| h.layer).collect();
    assert_eq!(made, (0..7).collect::<Vec<_>>());
    assert_eq!(
        img.config.cmd,
        vec!["sh", "-c", "echo app started; sleep 3600"]
    );
}

#[test]
fn pbloated_legacy_docker_save() {
    assert_pbloated("pbloated_1.0.tar.gz", "uncompressed");
}

#[test]
fn pbloated_oci_gzip() {
    assert_pbloated("pbloated_1.0.oci-gzip.tar", "gzip");
}

#[test]
fn pbloated_oci_zstd() {
    assert_pbloated("pbloated_1.0.oci-zstd.tar", "zstd");
}

#[test]
fn two_images_in_one_archive() {
    let ing = load("pweb-and-api.tar.gz");
    assert!(errors(&ing).is_empty(), "{:?}", errors(&ing));
    let v = images(&ing);
    assert_eq!(v.len(), 2);
    let web = v.iter().find(|i| i.refs == ["pweb:2.3"]).expect("pweb");
    let api = v.iter().find(|i| i.refs == ["papi:1.4"]).expect("papi");
    for i in [web, api] {
        assert_eq!(i.layers.len(), 2);
        assert_eq!(i.wasted_bytes, 0);
        assert_eq!(i.efficiency, 1.0);
    }
    assert_eq!(web.config.exposed_ports, vec!["80/tcp"]);
    assert_eq!(
        web.config.healthcheck,
        vec![
            "CMD-SHELL",
            "wget -qO- http://127.0.0.1:3000/health || exit 1"
        ]
    );
    assert_eq!(web.size_bytes, 1_982_292);
}

#[test]
fn exports_and_drift() {
    let ing = load("pweb.tar.gz");
    let web = export(&ing);
    assert_eq!(web.files, 9);
    assert_eq!(web.size_bytes, 1_982_292);
    assert_eq!(web.largest_files[0].path, "/bin/busybox");
    assert_eq!(web.largest_files[0].size, 1_982_256);
    // Docker's init layer writes hostname/hosts/resolv.conf 0755.
    assert!(web.setuid.is_empty());
    assert!(web.world_writable.is_empty());

    let ing = load("pbatch.tar.zst");
    let batch = export(&ing);
    assert_eq!(batch.files, 7);
    assert_eq!(batch.largest_files[0].path, "/bin/busybox");

    // pweb's export against its own image: only what the container wrote.
    let imgs = load("pweb-and-api.tar.gz");
    let img = images(&imgs)
        .into_iter()
        .find(|i| i.refs == ["pweb:2.3"])
        .expect("pweb");
    // pweb writes nothing outside the init layer (.dockerenv, /dev,
    // hostname, hosts, resolv.conf, mtab, /proc, /sys), all ignored.
    let d = fs_export::drift(img, web);
    assert_eq!(d, fs_export::Drift::default());
    // pbatch ran from another image: pweb's /www is deleted from its point of view.
    let d = fs_export::drift(img, batch);
    assert!(
        d.deleted.iter().any(|p| p.path == "/www/index.html"),
        "{d:?}"
    );
}

// ---------------------------------------------------------------- field samples

#[test]
fn dive_docker_image_14_layers() {
    let (img, ing) = only_image("test-docker-image.tar.zst");
    assert!(errors(&ing).is_empty(), "{:?}", errors(&ing));
    assert_eq!(img.refs, vec!["dive-test:latest"]);
    assert_eq!(img.layers.len(), 14);
    // Whiteouts by hand: layer 7 `root/example/.wh.somefile3.txt`, layer 9
    // `root/.wh.example` (a directory holding somefile1 and somefile2);
    // overwrites: layer 4 (chmod somefile1), layer 13 (chmod saved.txt).
    // Each copy is 6,405 B.
    let per_layer: Vec<u64> = img.layers.iter().map(|l| l.wasted_bytes).collect();
    assert_eq!(
        per_layer,
        vec![0, 0, 0, 0, 6405, 0, 0, 6405, 0, 12810, 0, 0, 0, 6405]
    );
    assert_eq!(img.wasted_bytes, 5 * 6405);
    assert_eq!(regular_files(&img), 13);
    assert_eq!(img.size_bytes, 1_188_573);
    let hows: Vec<(&str, usize, &str)> = img
        .wasted_files
        .iter()
        .map(|w| (w.path.as_str(), w.hidden_by, w.how))
        .collect();
    assert!(hows.contains(&("/root/example/somefile3.txt", 7, "whiteout")));
    assert!(hows.contains(&("/root/example/somefile2.txt", 9, "whiteout")));
    assert!(!img
        .files
        .iter()
        .any(|f| f.path.starts_with("/root/example")));
}

#[test]
fn kaniko_tarball() {
    let (img, ing) = only_image("test-kaniko-image.tar");
    assert!(errors(&ing).is_empty(), "{:?}", errors(&ing));
    assert_eq!(img.refs, vec!["dive-test:kaniko-latest"]);
    assert_eq!(
        img.id,
        "sha256:ae16a51058a758c7963b2f9b23d1acfa201ce9cbefc8cb93845f8cd934fb144d"
    );
    assert_eq!(img.layers.len(), 14);
    assert!(img.layers.iter().all(|l| l.compression == "gzip"));
    // Layer 0: 6 regular files + 4 hardlinks (0 bytes each); same Dockerfile
    // as dive's image, with a 9,249 B somefile.
    assert_eq!(img.layers[0].files, 6);
    assert_eq!(img.wasted_bytes, 5 * 9249);
    assert_eq!(regular_files(&img), 13);
    assert_eq!(img.size_bytes, 1_280_165);
    // kaniko's bare "/" root entries are not reported as unsafe names.
    assert!(ing.diagnostics.is_empty(), "{:?}", ing.diagnostics);
}

#[test]
fn buildkit_oci_layouts() {
    for (name, comp) in [
        ("test-oci-uncompressed-image.tar", "uncompressed"),
        ("test-oci-gzip-image.tar", "gzip"),
        ("test-oci-zstd-image.tar", "zstd"),
        ("test-oci-estargz-image.tar", "gzip"),
    ] {
        let (img, ing) = only_image(name);
        assert!(errors(&ing).is_empty(), "{name}: {:?}", errors(&ing));
        assert!(img.refs.is_empty(), "{name}");
        assert_eq!(img.layers.len(), 1, "{name}");
        assert_eq!(img.layers[0].compression, comp, "{name}");
        assert_eq!(img.layers[0].files, 1, "{name}");
        assert_eq!(regular_files(&img), 1, "{name}");
        assert_eq!(img.largest_files[0].path, "/README.md", "{name}");
        assert_eq!(img.size_bytes, 11_189, "{name}");
        assert!(
            img.layers[0].created_by.contains("COPY README.md"),
            "{name}"
        );
    }
}

#[test]
fn plain_tar_is_not_an_image() {
    let ing = load("test-gzip-image.tar");
    assert!(images(&ing).is_empty());
    let data = read("test-gzip-image.tar");
    let idx = tar_index::index_slice(&data, &Limits::default());
    assert!(!image::is_image_archive(&idx));
    assert!(!fs_export::has_export_shape(&idx));
}

#[test]
fn go_containerregistry_whiteouts_and_overwrites() {
    // whiteout_image: layer 0 adds ./bar.txt and ./foo.txt (4 B each),
    // layer 1 holds ./.wh.foo.txt.
    let (img, _) = only_image("pkg_v1_mutate_testdata_whiteout_image.tar");
    assert_eq!(img.layers.len(), 3);
    assert_eq!(img.wasted_bytes, 4);
    assert_eq!(img.layers[1].wasted_bytes, 4);
    assert_eq!(img.size_bytes, 4);
    // overwritten_file: ./foo.txt (4 B) replaced by a symlink in layer 1.
    let (img, _) = only_image("pkg_v1_mutate_testdata_overwritten_file.tar");
    assert_eq!(img.wasted_bytes, 4);
    assert_eq!(img.wasted_files[0].how, "overwrite");
    assert_eq!(img.wasted_files[0].path, "/foo.txt");
    let foo = img
        .files
        .iter()
        .find(|f| f.path == "/foo.txt")
        .expect("foo.txt");
    assert_eq!(foo.kind, EntryKind::Symlink);
    // whiteout_dir: `.wh.a` in layer 2 removes directory a/ (one 0-byte file);
    // layer 3 brings a/baz back.
    let (img, _) = only_image("pkg_v1_mutate_testdata_whiteout_dir.tar");
    assert_eq!(img.layers.len(), 4);
    assert_eq!(img.wasted_bytes, 0);
    assert_eq!(img.wasted_files.len(), 1);
    assert_eq!(img.wasted_files[0].path, "/a/foo");
    let paths: Vec<&str> = img
        .files
        .iter()
        .filter(|f| f.kind == EntryKind::File)
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(paths, vec!["/a/baz", "/b/bar"]);
}

#[test]
fn bundles_untagged_pre110_and_null_manifests() {
    let ing = load("pkg_v1_tarball_testdata_test_bundle.tar");
    let v = images(&ing);
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].refs, vec!["test_image_2"]);
    assert_eq!(v[1].refs, vec!["test_image_1"]);

    // Docker 25: RepoTags null, index.json manifests null.
    let (img, ing) = only_image("pkg_v1_tarball_testdata_hello-world-v25.tar");
    assert!(errors(&ing).is_empty(), "{:?}", errors(&ing));
    assert!(img.refs.is_empty());
    assert_eq!(
        img.id,
        "sha256:ee301c921b8aadc002973b2e0c3da17d701dcd994b606769a7e6eaa100b81d44"
    );
    assert_eq!(img.layers.len(), 1);
    assert_eq!(img.largest_files[0].path, "/hello");
    assert_eq!(img.config.cmd, vec!["/hello"]);

    // Pre-1.10: repositories + <v1id>/json chained by parent; one 0-byte
    // layer.tar and one 512-byte empty one.
    let (img, ing) = only_image("moby_integration-cli_testdata_emptyLayer.tar");
    assert!(errors(&ing).is_empty(), "{:?}", errors(&ing));
    assert_eq!(img.refs, vec!["matthughes/library-centos:6-2015.03.20"]);
    assert_eq!(img.layers.len(), 3);
    assert_eq!(img.largest_files[0].path, "/tmp/foo");

    // no_manifest: only `repositories` and the v1 layout.
    let (img, _) = only_image("pkg_v1_tarball_testdata_no_manifest.tar");
    assert_eq!(img.layers.len(), 1);
    assert_eq!(regular_files(&img), 3);

    // manifest.json is `null`: an image archive with nothing in it, said so.
    let ing = load("pkg_v1_tarball_testdata_null_manifest.tar");
    assert!(images(&ing).is_empty());
    assert!(
        errors(&ing)
            .iter()
            .any(|e| e.contains("manifest.json") && e.contains("null")),
        "{:?}",
        ing.diagnostics
    );
}

// ---------------------------------------------------------------- naive cross-check

/// The layers of an archive in order, fully decompressed (test-only, small
/// archives): manifest.json's Layers, else index.json → manifest → layers.
fn naive_layers(outer: &[u8]) -> Vec<Vec<u8>> {
    let mut members: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut ar = tar::Archive::new(outer);
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e
            .path()
            .unwrap()
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        let mut b = Vec::new();
        e.read_to_end(&mut b).unwrap();
        members.insert(name, b);
    }
    let names: Vec<String> = if let Some(m) = members.get("manifest.json") {
        let v: serde_json::Value = serde_json::from_slice(m).unwrap();
        v[0]["Layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    } else {
        let blob = |d: &str| format!("blobs/sha256/{}", d.trim_start_matches("sha256:"));
        let idx: serde_json::Value = serde_json::from_slice(&members["index.json"]).unwrap();
        let man: serde_json::Value = serde_json::from_slice(
            &members[&blob(idx["manifests"][0]["digest"].as_str().unwrap())],
        )
        .unwrap();
        man["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| blob(l["digest"].as_str().unwrap()))
            .collect()
    };
    names
        .iter()
        .map(|n| {
            let b = &members[n];
            let mut out = Vec::new();
            if b.starts_with(&[0x1f, 0x8b]) {
                flate2::read::MultiGzDecoder::new(&b[..])
                    .read_to_end(&mut out)
                    .unwrap();
            } else if b.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
                out = zstd::decode_all(&b[..]).unwrap();
            } else {
                out = b.clone();
            }
            out
        })
        .collect()
}

/// A literal filesystem: every layer materialised as a map, whiteouts and
/// opaque markers applied by scanning every path. Returns (visible bytes,
/// bytes shipped in all layers that are not visible).
fn naive_model(layers: &[Vec<u8>]) -> (u64, u64) {
    // path -> (is_dir, regular-file size)
    let mut fs: BTreeMap<String, (bool, u64)> = BTreeMap::new();
    let mut shipped = 0u64;
    for layer in layers {
        let mut items: Vec<(String, bool, bool, u64)> = Vec::new();
        let mut ar = tar::Archive::new(&layer[..]);
        for e in ar.entries().unwrap() {
            let e = e.unwrap();
            let p = e.path().unwrap().to_string_lossy().into_owned();
            let p = p
                .trim_start_matches("./")
                .trim_start_matches('/')
                .trim_end_matches('/')
                .to_string();
            let t = e.header().entry_type();
            let reg = t == tar::EntryType::Regular;
            let size = if reg { e.size() } else { 0 };
            items.push((p, t == tar::EntryType::Directory, reg, size));
        }
        let under = |fs: &BTreeMap<String, (bool, u64)>, dir: &str| -> Vec<String> {
            fs.keys()
                .filter(|k| dir.is_empty() || k.starts_with(&format!("{dir}/")))
                .cloned()
                .collect()
        };
        for (p, _, _, _) in &items {
            let (dir, base) = p.rsplit_once('/').unwrap_or(("", p));
            if base == ".wh..wh..opq" {
                for k in under(&fs, dir) {
                    fs.remove(&k);
                }
            }
        }
        for (p, _, _, _) in &items {
            let (dir, base) = p.rsplit_once('/').unwrap_or(("", p));
            if let Some(t) = base.strip_prefix(".wh.") {
                if t.starts_with(".wh.") {
                    continue;
                }
                let target = if dir.is_empty() {
                    t.to_string()
                } else {
                    format!("{dir}/{t}")
                };
                for k in under(&fs, &target) {
                    fs.remove(&k);
                }
                fs.remove(&target);
            }
        }
        for (p, is_dir, reg, size) in items {
            let base = p.rsplit('/').next().unwrap_or(&p);
            if p.is_empty() || base.starts_with(".wh.") {
                continue;
            }
            if reg {
                shipped += size;
            }
            if !is_dir && fs.get(&p).is_some_and(|n| n.0) {
                for k in under(&fs, &p) {
                    fs.remove(&k);
                }
            }
            if is_dir && fs.get(&p).is_some_and(|n| n.0) {
                continue;
            }
            fs.insert(p, (is_dir, size));
        }
    }
    let visible: u64 = fs.values().map(|n| n.1).sum();
    (visible, shipped - visible)
}

#[test]
fn naive_model_agrees() {
    for name in [
        "test-docker-image.tar.zst",
        "test-kaniko-image.tar",
        "test-oci-uncompressed-image.tar",
        "test-oci-zstd-image.tar",
        "pkg_v1_mutate_testdata_whiteout_image.tar",
        "pkg_v1_mutate_testdata_overwritten_file.tar",
        "pkg_v1_mutate_testdata_whiteout_dir.tar",
        "pbloated_1.0.oci-gzip.tar",
        "pbloated_1.0.oci-zstd.tar",
    ] {
        let raw = read(name);
        let outer = if raw.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            zstd::decode_all(&raw[..]).unwrap()
        } else {
            raw
        };
        let (visible, wasted) = naive_model(&naive_layers(&outer));
        let (img, _) = only_image(name);
        assert_eq!(img.size_bytes, visible, "{name}: size_bytes");
        assert_eq!(img.wasted_bytes, wasted, "{name}: wasted_bytes");
    }
}

// ---------------------------------------------------------------- hostile input

fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, body) in entries {
        common::tar_file(&mut b, name, body);
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A `docker save` with the given layer blobs, in order.
fn docker_save(layers: &[Vec<u8>]) -> Vec<u8> {
    let names: Vec<String> = (0..layers.len())
        .map(|i| format!("l{i}/layer.tar"))
        .collect();
    let manifest =
        serde_json::json!([{"Config": "cfg.json", "RepoTags": ["t:1"], "Layers": names}])
            .to_string();
    let cfg = br#"{"config":{"Cmd":["sh"]},"rootfs":{"diff_ids":[]},"history":[]}"#;
    let mut entries: Vec<(&str, &[u8])> = vec![("cfg.json", cfg)];
    for (n, l) in names.iter().zip(layers) {
        entries.push((n, l));
    }
    entries.push(("manifest.json", manifest.as_bytes()));
    tar_of(&entries)
}

fn analyze_bytes(name: &str, data: &[u8]) -> (Vec<Image>, Vec<coroner::model::Diagnostic>) {
    let ing = ingest_bytes(name, data, 0, data.len() as u64, &Limits::default());
    let imgs = images(&ing).into_iter().cloned().collect();
    (imgs, ing.diagnostics)
}

#[test]
fn truncation_at_any_offset_never_panics_and_is_reported() {
    let data = read("pkg_v1_mutate_testdata_whiteout_image.tar");
    let idx = tar_index::index_slice(&data, &Limits::default());
    let content_end = idx
        .entries
        .iter()
        .map(|e| e.data_offset + e.size)
        .max()
        .unwrap() as usize;
    let mut cuts: Vec<usize> = (1..content_end).step_by(97).collect();
    cuts.extend((512..content_end).step_by(512));
    for cut in cuts {
        let (_, diags) = analyze_bytes("cut.tar", &data[..cut]);
        assert!(!diags.is_empty(), "cut at {cut} went unreported");
    }
    let (imgs, diags) = analyze_bytes("whole.tar", &data);
    assert_eq!(imgs.len(), 1);
    assert!(diags.is_empty(), "{diags:?}");
}

#[test]
fn corrupt_gzip_layer_is_reported_and_others_still_count() {
    let good = tar_of(&[("a/one", b"11111"), ("a/two", b"22")]);
    let mut bad = gzip(&tar_of(&[("b/big", &[7u8; 5000])]));
    let mid = bad.len() / 2;
    for b in &mut bad[12..mid] {
        *b ^= 0x5a;
    }
    let top = tar_of(&[("c/three", b"333")]);
    let (imgs, diags) = analyze_bytes("corrupt.tar", &docker_save(&[good, bad, top]));
    assert_eq!(imgs.len(), 1);
    let img = &imgs[0];
    assert_eq!(img.layers.len(), 3);
    assert!(
        diags
            .iter()
            .any(|d| d.severity == DiagSeverity::Error && d.path.contains("l1/layer.tar")),
        "{diags:?}"
    );
    assert_eq!(img.layers[0].files, 2);
    assert_eq!(img.layers[2].files, 1);
    assert_eq!(img.layers[1].compression, "gzip");
    assert!(img.files.iter().any(|f| f.path == "/c/three"));
    assert!(img.files.iter().any(|f| f.path == "/a/one"));
}

#[test]
fn missing_layer_blob_is_reported() {
    let good = tar_of(&[("x", b"1")]);
    let mut save = docker_save(&[good.clone(), good]);
    // Rename the second layer's member so the manifest points at nothing.
    let pos = save.windows(12).position(|w| w == b"l1/layer.tar").unwrap();
    save[pos] = b'z';
    let mut h = tar::Header::from_byte_slice(&save[pos..pos + 512]).clone();
    h.set_cksum();
    save[pos..pos + 512].copy_from_slice(h.as_bytes());
    let (imgs, diags) = analyze_bytes("missing.tar", &save);
    assert_eq!(imgs.len(), 1);
    assert!(
        diags
            .iter()
            .any(|d| d.message.contains("missing") && d.path.contains("l1/layer.tar")),
        "{diags:?}"
    );
    assert_eq!(imgs[0].layers[0].files, 1);
}

#[test]
fn symlink_loops_and_unsafe_names_are_harmless() {
    let mut b = tar::Builder::new(Vec::new());
    for (name, target) in [
        ("a", "b"),
        ("b", "a"),
        ("self", "self"),
        ("d/x", "../d/x"),
        ("up", "../../../etc"),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_mode(0o777);
        h.set_link_name(target).unwrap();
        h.set_cksum();
        b.append_data(&mut h, name, &[][..]).unwrap();
    }
    // A name that escapes the root, written raw (tar::Builder refuses `..`).
    let mut h = tar::Header::new_gnu();
    h.set_size(3);
    h.set_mode(0o644);
    h.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"../etc/shadow");
    h.set_cksum();
    b.append(&h, &b"abc"[..]).unwrap();
    let layer = b.into_inner().unwrap();
    let (imgs, diags) = analyze_bytes("links.tar", &docker_save(&[layer]));
    assert_eq!(imgs.len(), 1);
    assert_eq!(
        imgs[0]
            .files
            .iter()
            .filter(|f| f.kind == EntryKind::Symlink)
            .count(),
        5
    );
    assert!(
        diags
            .iter()
            .any(|d| d.severity == DiagSeverity::Warning && d.message.contains("../etc/shadow")),
        "{diags:?}"
    );
}

#[test]
fn bad_config_is_reported_and_layers_still_count() {
    let layer = tar_of(&[("x", b"12345")]);
    let save = docker_save(&[layer]);
    let pos = save
        .windows(9)
        .position(|w| w == br#"{"config""#)
        .expect("config body");
    let mut broken = save.clone();
    broken[pos] = b'[';
    let (imgs, diags) = analyze_bytes("badcfg.tar", &broken);
    assert_eq!(imgs.len(), 1);
    assert!(
        diags
            .iter()
            .any(|d| d.path.ends_with("!/cfg.json") && d.message.contains("not valid JSON")),
        "{diags:?}"
    );
    assert_eq!(imgs[0].size_bytes, 5);
    assert_eq!(imgs[0].layers[0].files, 1);
}

#[test]
fn oci_manifest_tagged_twice_is_one_image() {
    let data = read("test-oci-gzip-image.tar");
    let idx = tar_index::index_slice(&data, &Limits::default());
    let ie = idx
        .entries
        .iter()
        .find(|e| e.path == "index.json")
        .expect("index.json");
    let v: serde_json::Value = serde_json::from_slice(tar_index::body(&data, ie)).unwrap();
    let mut m = v["manifests"][0].clone();
    let mut members: Vec<(String, Vec<u8>)> = Vec::new();
    for e in &idx.entries {
        if e.kind == EntryKind::File && e.path != "index.json" {
            members.push((e.path.clone(), tar_index::body(&data, e).to_vec()));
        }
    }
    m["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "a:1"});
    let mut n = m.clone();
    n["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "b:2"});
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [m, n]}).to_string();
    members.push(("index.json".into(), index.into_bytes()));
    let refs: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let (imgs, diags) = analyze_bytes("twice.tar", &tar_of(&refs));
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(imgs.len(), 1);
    assert_eq!(imgs[0].refs, vec!["a:1", "b:2"]);
}
