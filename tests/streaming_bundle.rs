//! Issue #5: a compressed bundle, image archive or export is read as a
//! stream (one pass; json-file logs parsed and image layers indexed as they
//! stream by, large nested archives walked from the member's body) and must
//! ingest exactly like the same archive inflated in memory. Archives are
//! built in the test, never written to disk.

use std::io::Write;
use std::path::Path;

use coroner::archive::compress::{inflate, inflate_partial, is_cap_error, Compression};
use coroner::ingest::{ingest_bytes, Ingested};
use coroner::model::{ArtifactKind, DiagSeverity, Diagnostic, Limits};

mod common;

fn add_dir(b: &mut tar::Builder<Vec<u8>>, root: &Path, dir: &Path, prefix: &str) {
    let mut children: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    children.sort();
    for c in children {
        let rel = c
            .strip_prefix(root)
            .expect("prefix")
            .to_string_lossy()
            .into_owned();
        let name = format!("{prefix}{rel}");
        if c.is_dir() {
            add_dir(b, root, &c, prefix);
        } else {
            common::tar_file(b, &name, &std::fs::read(&c).expect("read"));
        }
    }
}

fn bundle_tar() -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut b = tar::Builder::new(Vec::new());
    add_dir(
        &mut b,
        &root.join("samples/bundle"),
        &root.join("samples/bundle"),
        "bundle/",
    );
    // Rotated and compressed logs, and an image archive nested in the bundle.
    add_dir(
        &mut b,
        &root.join("samples/logs"),
        &root.join("samples/logs"),
        "bundle/logs/",
    );
    let img = std::fs::read(root.join("samples/images/pkg_v1_mutate_testdata_whiteout_image.tar"))
        .expect("image");
    common::tar_file(&mut b, "bundle/images/whiteout.tar", &img);
    b.into_inner().expect("tar")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

/// Appends every entry of the archive `tar` to `b`.
fn copy_entries(b: &mut tar::Builder<Vec<u8>>, tar: &[u8]) {
    let mut ar = tar::Archive::new(tar);
    for e in ar.entries().expect("entries") {
        let mut e = e.expect("entry");
        let mut h = e.header().clone();
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut body).expect("body");
        let name = e.path().expect("path").into_owned();
        b.append_data(&mut h, name, &body[..]).expect("append");
    }
}

/// The streamed ingest of `compressed` against the pre-#5 path: inflate,
/// then ingest the tar one compression layer deeper.
fn same_as_in_memory(name: &str, compressed: &[u8], limits: &Limits) -> String {
    let streamed = ingest_bytes(name, compressed, 0, compressed.len() as u64, limits);
    let inner =
        inflate(compressed, limits.max_decompressed_bytes, limits.max_ratio).expect("inflate");
    let in_memory = ingest_bytes(name, &inner, 1, compressed.len() as u64, limits);
    let (a, b) = (format!("{streamed:#?}"), format!("{in_memory:#?}"));
    if a != b {
        let first = a
            .lines()
            .zip(b.lines())
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        let around = |s: &str| {
            s.lines()
                .skip(first.saturating_sub(3))
                .take(8)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "{name}: streamed ingest differs from in-memory ingest at line {first}:\n{}\n--- in memory:\n{}",
            around(&a),
            around(&b)
        );
    }
    a
}

#[test]
fn streamed_tar_gz_and_tar_zst_bundles_equal_in_memory() {
    let tar = bundle_tar();
    let limits = Limits::default();
    for (name, packed) in [
        ("b.tar.gz", gzip(&tar)),
        ("b.tar.zst", zstd::encode_all(&tar[..], 3).expect("zstd")),
    ] {
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            let dump = pool.install(|| same_as_in_memory(name, &packed, &limits));
            assert!(
                dump.contains("JsonLog")
                    && dump.contains("ImageArchive")
                    && dump.contains("Inspect")
            );
        }
    }
}

#[test]
fn streamed_bundle_limits_and_damage_match_in_memory() {
    let tar = bundle_tar();
    let gz = gzip(&tar);
    // Members over the member cap, nesting at the limit.
    for limits in [
        Limits {
            max_member_bytes: 4096,
            ..Limits::default()
        },
        Limits {
            max_nesting: 1,
            ..Limits::default()
        },
    ] {
        same_as_in_memory("b.tar.gz", &gz, &limits);
    }
    // No end-of-archive marker: cut the tar after its last member.
    let cut = gzip(&tar[..tar.len() - 1024]);
    let dump = same_as_in_memory("cut.tar.gz", &cut, &Limits::default());
    assert!(dump.contains("no end-of-archive marker"));
    // Damaged: the tar cut inside a member, worded from the one streamed pass.
    same_as_in_memory(
        "mid.tar.gz",
        &gzip(&tar[..tar.len() / 2 + 100]),
        &Limits::default(),
    );
}

#[test]
fn compressed_image_archive_streams_as_in_memory() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read(root.join("samples/images/pbloated_1.0.tar.gz")).expect("sample");
    let dump = same_as_in_memory("pbloated_1.0.tar.gz", &data, &Limits::default());
    assert!(dump.contains("ImageArchive"));
}

/// Mapped image archives let the kernel drop each layer's pages once read
/// (issue #5); what they ingest to must not change.
#[test]
fn mapped_archives_with_released_pages_equal_in_memory() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<_> = std::fs::read_dir(root.join("samples/images"))
        .expect("samples/images")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tar"))
        .collect();
    paths.sort();
    assert!(paths.len() > 5);
    let limits = Limits::default();
    for p in paths {
        let mapped = coroner::ingest::ingest(std::slice::from_ref(&p), &limits);
        let data = std::fs::read(&p).expect("read");
        let name = p.to_string_lossy();
        let in_memory = ingest_bytes(&name, &data, 0, data.len() as u64, &limits);
        assert_eq!(
            format!("{mapped:?}"),
            format!("{in_memory:?}"),
            "{name}: mapped ingest differs"
        );
    }
}

/// The member pass runs while the archive is indexed; entries that look like
/// an image archive or an export stop it, and a bundle that only looked like
/// one early on is walked again. Either way the result is the in-memory one.
#[test]
fn early_image_or_export_look_then_bundle_equal_in_memory() {
    let rest = bundle_tar();
    let members = |first: &[(&str, &[u8])]| {
        let mut b = tar::Builder::new(Vec::new());
        for (n, body) in first {
            common::tar_file(&mut b, n, body);
        }
        copy_entries(&mut b, &rest);
        b.into_inner().expect("tar")
    };
    let limits = Limits::default();
    for (name, first) in [
        ("manifest-first.tar.gz", vec![("manifest.json", &b"[]"[..])]),
        (
            "hostname-first.tar.gz",
            vec![("etc/hostname", &b"web-1\n"[..])],
        ),
        (
            "layer-first.tar.gz",
            vec![(
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef/json",
                &b"{}"[..],
            )],
        ),
    ] {
        let dump = same_as_in_memory(name, &gzip(&members(&first)), &limits);
        assert!(dump.contains("JsonLog"), "{name}");
    }
    // An export, compressed: streamed, the same as in memory.
    let mut b = tar::Builder::new(Vec::new());
    common::tar_file(&mut b, ".dockerenv", b"");
    common::tar_file(&mut b, "etc/hostname", b"");
    common::tar_file(&mut b, "etc/hosts", b"");
    common::tar_file(&mut b, "etc/resolv.conf", b"");
    common::tar_file(&mut b, "bin/app", &[7u8; 5000]);
    let dump = same_as_in_memory(
        "export.tar.gz",
        &gzip(&b.into_inner().expect("tar")),
        &limits,
    );
    assert!(dump.contains("FsExport"));
}

/// An uncompressed archive over 64 MiB inside a compressed bundle is walked
/// as it streams instead of being read into memory whole; the report is the
/// in-memory one. The real pbatch export with a 65 MiB file added.
#[test]
fn large_archive_nested_in_a_compressed_bundle_equals_in_memory() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let zst = std::fs::read(root.join("samples/images/pbatch.tar.zst")).expect("sample");
    let mut b = tar::Builder::new(Vec::new());
    copy_entries(&mut b, &zstd::decode_all(&zst[..]).expect("zstd"));
    common::tar_file(&mut b, "var/big.bin", &vec![0u8; 65 << 20]);
    let export = b.into_inner().expect("tar");
    assert!(export.len() > 64 << 20);
    let mut outer = tar::Builder::new(Vec::new());
    copy_entries(&mut outer, &bundle_tar());
    common::tar_file(&mut outer, "bundle/exports/pbatch-big.tar", &export);
    let outer = outer.into_inner().expect("tar");
    let dump = same_as_in_memory("nested.tar.gz", &gzip(&outer), &Limits::default());
    assert!(
        dump.contains("FsExport") && dump.contains("/var/big.bin"),
        "export not analysed"
    );
    assert!(dump.contains("JsonLog") && dump.contains("ImageArchive"));
}

/// A large compressed archive inside a compressed bundle (`docker save |
/// gzip` in a .tar.zst of a directory) is decoded as it streams, with the
/// in-memory result: the real pbatch export with 66 MiB of incompressible
/// bytes added, gzipped, in a zstd bundle beside a gzipped blob that is
/// neither.
#[test]
fn large_compressed_archive_nested_in_a_compressed_bundle_equals_in_memory() {
    let zst = std::fs::read(common::sample("images/pbatch.tar.zst")).expect("sample");
    let mut b = tar::Builder::new(Vec::new());
    copy_entries(&mut b, &zstd::decode_all(&zst[..]).expect("zstd"));
    common::tar_file(&mut b, "var/noise.bin", &common::noise(66 << 20));
    let export = gzip(&b.into_inner().expect("tar"));
    assert!(export.len() > 64 << 20);
    let mut outer = tar::Builder::new(Vec::new());
    copy_entries(&mut outer, &bundle_tar());
    common::tar_file(&mut outer, "bundle/exports/pbatch-noise.tar.gz", &export);
    // Neither a tar nor a log inside: read whole, as before.
    let mut noise = common::noise(66 << 20);
    noise.reverse();
    common::tar_file(&mut outer, "bundle/blob.gz", &gzip(&noise));
    let outer = outer.into_inner().expect("tar");
    let dump = same_as_in_memory(
        "nested-gz.tar.zst",
        &zstd::encode_all(&outer[..], 1).expect("zstd"),
        &Limits::default(),
    );
    assert!(
        dump.contains("FsExport") && dump.contains("/var/noise.bin"),
        "export not analysed"
    );
    assert!(dump.contains("JsonLog") && dump.contains("ImageArchive"));
}

/// What the in-memory path makes of compressed bytes whose stream is cut
/// part way (issue #11): what `inflate_partial` decoded, ingested one
/// compression layer deeper, and the decoder's error saying it was used.
fn cut_in_memory(name: &str, compressed: &[u8], limits: &Limits) -> Option<Ingested> {
    let (inner, err) = inflate_partial(compressed, limits.max_decompressed_bytes, limits.max_ratio);
    let err = err?;
    assert!(!is_cap_error(&err), "{name}: {err}");
    if !coroner::archive::tar_index::looks_like_tar(&inner) {
        return None;
    }
    let comp = Compression::sniff(compressed).as_str();
    let mut out = ingest_bytes(name, &inner, 1, compressed.len() as u64, limits);
    out.diagnostics.push(Diagnostic::error(
        name,
        format!(
            "cannot decompress ({comp}): {err}; the {} bytes decoded before it were used",
            inner.len()
        ),
    ));
    Some(out)
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut w = liblzma::write::XzEncoder::new(Vec::new(), 1);
    w.write_all(data).expect("xz write");
    w.finish().expect("xz finish")
}

/// Issues #10 and #11: a damaged compressed archive is worded from its one
/// streamed pass, never inflated again in memory, and ingests as the
/// in-memory path does: a bundle, an image archive and an export, each cut
/// at many offsets of the tar (inside headers, bodies and padding, and in
/// the marker) and of its compressed bytes (gzip, zstd and xz), where the
/// members decoded before the cut are used and the decoder's error says so.
#[test]
fn damaged_compressed_archives_stream_as_in_memory() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let limits = Limits::default();
    let image = std::fs::read(root.join("samples/images/pbloated_1.0.tar.gz")).expect("sample");
    let image = inflate(&image, limits.max_decompressed_bytes, limits.max_ratio).expect("image");
    let export = std::fs::read(root.join("samples/images/pbatch.tar.zst")).expect("sample");
    let export = zstd::decode_all(&export[..]).expect("export");
    let mut members_kept = 0;
    for (name, tar) in [
        ("bundle.tar.zst", bundle_tar()),
        ("image.tar.zst", image),
        ("export.tar.zst", export),
    ] {
        let n = tar.len();
        let mut cuts: Vec<usize> = (1..12).map(|i| i * n / 12).collect();
        cuts.extend((1..12).map(|i| (i * n / 12 + 7000) / 512 * 512));
        cuts.extend([600, 1024, 1536, n - 1024, n - 1000, n - 512, n - 100, n - 1]);
        for cut in cuts {
            let packed = zstd::encode_all(&tar[..cut], 1).expect("zstd");
            same_as_in_memory(&format!("{name}@{cut}"), &packed, &limits);
        }
        let stem = name.trim_end_matches(".zst");
        for (ext, packed) in [
            ("zst", zstd::encode_all(&tar[..], 1).expect("zstd")),
            ("gz", gzip(&tar)),
            ("xz", xz(&tar)),
        ] {
            let n = packed.len();
            let mut cuts: Vec<usize> = (1..10).map(|i| i * n / 10).collect();
            cuts.extend([20, 100, 700, n - 13, n - 3, n - 1]);
            for cut in cuts {
                let at = format!("{stem}.{ext}@{cut}");
                let data = &packed[..cut];
                let streamed = ingest_bytes(&at, data, 0, data.len() as u64, &limits);
                let said = format!("{:#?}", streamed.diagnostics);
                assert!(said.contains("cannot decompress"), "{at}: {said}");
                match cut_in_memory(&at, data, &limits) {
                    Some(in_memory) => {
                        assert_eq!(format!("{streamed:#?}"), format!("{in_memory:#?}"), "{at}");
                        members_kept += streamed.inputs.len() - 1;
                    }
                    // Too little decoded to be a tar: nothing is used.
                    None => {
                        assert_eq!(streamed.inputs.len(), 1, "{at}");
                        assert_eq!(streamed.inputs[0].kind, ArtifactKind::Unknown, "{at}");
                    }
                }
            }
        }
    }
    assert!(members_kept > 100, "{members_kept}");
}

/// Issue #11: a compressed bundle whose compressed bytes are cut keeps the
/// members decoded before the cut (not the one it cuts) and says the
/// decoder's error, from its one streamed pass.
#[test]
fn cut_compressed_bytes_keep_the_members_before_the_cut() {
    let tar = bundle_tar();
    let limits = Limits::default();
    for (name, packed) in [
        ("cut.tar.gz", gzip(&tar)),
        ("cut.tar.zst", zstd::encode_all(&tar[..], 1).expect("zstd")),
        ("cut.tar.xz", xz(&tar)),
    ] {
        let comp = Compression::sniff(&packed).as_str();
        let mut kept = 0;
        for cut in [packed.len() / 3, packed.len() / 2, packed.len() - 3] {
            let data = &packed[..cut];
            let (inner, err) =
                inflate_partial(data, limits.max_decompressed_bytes, limits.max_ratio);
            let err = err.expect("cut stream");
            let out = ingest_bytes(name, data, 0, data.len() as u64, &limits);
            let said: Vec<&str> = out.diagnostics.iter().map(|d| d.message.as_str()).collect();
            if !coroner::archive::tar_index::looks_like_tar(&inner) {
                // Cut inside the first compressed block: nothing decoded.
                assert_eq!(out.inputs.len(), 1, "{name}@{cut}: {:?}", out.inputs);
                assert_eq!(out.inputs[0].kind, ArtifactKind::Unknown);
                assert_eq!(said, [format!("cannot decompress ({comp}): {err}")]);
                continue;
            }
            kept += 1;
            assert_eq!(
                out.inputs[0].kind,
                ArtifactKind::Bundle,
                "{name}@{cut}: {said:?}"
            );
            // Every member whole in what was decoded is used, and no other.
            let index = coroner::archive::tar_index::index_slice(&inner, &limits);
            assert!(index.entries.len() > 5, "{name}@{cut}");
            assert_eq!(out.inputs.len(), 1 + index.entries.len(), "{name}@{cut}");
            let last = out.diagnostics.last().expect("a diagnostic");
            assert_eq!(last.path, name);
            assert_eq!(last.severity, DiagSeverity::Error);
            assert_eq!(
                last.message,
                format!(
                    "cannot decompress ({comp}): {err}; the {} bytes decoded before it were used",
                    inner.len()
                ),
                "{name}@{cut}"
            );
        }
        assert!(kept >= 2, "{name}");
    }
}

/// Issue #11: a compressed bundle that passes the decompressed-size cap (a
/// bomb, not a cut) keeps the cap's error alone and nothing of it is used,
/// streamed as in memory.
#[test]
fn a_compressed_bundle_over_the_cap_uses_nothing() {
    let tar = bundle_tar();
    let limits = Limits {
        max_decompressed_bytes: tar.len() as u64 / 2,
        ..Limits::default()
    };
    for (name, packed) in [
        ("big.tar.gz", gzip(&tar)),
        ("big.tar.xz", xz(&tar)),
        ("big.tar.zst", zstd::encode_all(&tar[..], 1).expect("zstd")),
    ] {
        let err = inflate(&packed, limits.max_decompressed_bytes, limits.max_ratio)
            .expect_err("over the cap");
        assert!(is_cap_error(&err), "{err}");
        let out = ingest_bytes(name, &packed, 0, packed.len() as u64, &limits);
        assert_eq!(out.inputs.len(), 1, "{name}: {:?}", out.inputs);
        assert_eq!(out.inputs[0].kind, ArtifactKind::Unknown);
        let said: Vec<&str> = out.diagnostics.iter().map(|d| d.message.as_str()).collect();
        let comp = Compression::sniff(&packed).as_str();
        assert_eq!(
            said,
            [format!("cannot decompress ({comp}): {err}")],
            "{name}"
        );
    }
}
