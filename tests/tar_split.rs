//! tar-split streams from a real data root (issue #14): every layer's
//! `tar-split.json.gz` in `samples/real-data-root`, written by a real Docker
//! Engine, is read back into the layer's tar headers with no body present.

use std::io::Read;

use coroner::archive::tar_index::EntryKind;
use coroner::archive::tar_split;
use coroner::Limits;

mod common;
use common::sample;

/// (layer dir, tar-split text) for every layer of the real data root.
fn layers() -> Vec<(String, Vec<u8>)> {
    let gz =
        std::fs::File::open(sample("real-data-root/docker-data-root-prodweb01.tar.gz")).unwrap();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(gz));
    let mut out = Vec::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path().unwrap().to_string_lossy().into_owned();
        if path.ends_with("/tar-split.json.gz") {
            let mut z = Vec::new();
            e.read_to_end(&mut z).unwrap();
            let mut text = Vec::new();
            flate2::read::GzDecoder::new(&z[..])
                .read_to_end(&mut text)
                .unwrap();
            out.push((path, text));
        }
    }
    out.sort();
    out
}

#[test]
fn every_real_layer_reads_back_whole() {
    let layers = layers();
    assert_eq!(layers.len(), 11);
    let mut files = 0;
    let mut seen = Vec::new();
    for (path, text) in &layers {
        assert!(tar_split::looks_like_tar_split(text), "{path}");
        let idx = tar_split::index(&text[..], &Limits::default());
        assert_eq!(idx.error, None, "{path}");
        // One tar-split file record per tar entry.
        let records = text
            .split(|&b| b == b'\n')
            .filter(|l| l.starts_with(b"{\"type\":1,"))
            .count();
        assert_eq!(idx.entries.len(), records, "{path}");
        for e in &idx.entries {
            if e.kind == EntryKind::File {
                files += 1;
            }
            seen.push((e.path.clone(), e.size, e.kind));
        }
    }
    assert!(files > 5000, "{files}");
    // pbloated:1.0's layers (ground truth in samples/PROVENANCE.md and the
    // corpus README): the 6 MiB cache added then removed, the apt cache
    // shipped, and the directory whiteout of /app/.git.
    assert!(seen.contains(&("app/cache.bin".into(), 6_291_456, EntryKind::File)));
    assert!(seen.contains(&("app/.wh.cache.bin".into(), 0, EntryKind::File)));
    assert!(seen.contains(&("app/.wh..git".into(), 0, EntryKind::File)));
    assert!(seen.contains(&(
        "var/cache/apt/pkgcache.bin".into(),
        2_097_152,
        EntryKind::File
    )));
    // Header types survive: directories and busybox's symlinks.
    assert!(seen.iter().any(|(_, _, k)| *k == EntryKind::Dir));
    assert!(seen.iter().any(|(_, _, k)| *k == EntryKind::Symlink));
}

#[test]
fn a_cut_real_layer_keeps_the_entries_before_the_cut() {
    let layers = layers();
    let (_, text) = layers.iter().max_by_key(|(_, t)| t.len()).unwrap();
    let whole = tar_split::index(&text[..], &Limits::default())
        .entries
        .len();
    let cut = &text[..text.len() / 2];
    let idx = tar_split::index(cut, &Limits::default());
    assert!(idx.error.is_some());
    assert!(
        idx.entries.len() > whole / 4 && idx.entries.len() < whole,
        "{} of {whole}",
        idx.entries.len()
    );
}

/// The hand-read plain headers give the tar crate's index exactly, on every
/// real layer, whole and cut at many places, and give up (None) rather than
/// differ on anything else.
#[test]
fn plain_headers_read_like_the_tar_crate() {
    let limits = Limits::default();
    let mut plain = 0;
    for (path, text) in layers() {
        let slow = tar_split::index(&text[..], &limits);
        let fast = tar_split::index_plain(&text[..], &limits);
        if let Some(fast) = &fast {
            plain += 1;
            assert_eq!(fast.entries, slow.entries, "{path}");
            assert_eq!(fast.error, slow.error, "{path}");
        }
        for cut in (1..12).map(|k| text.len() * k / 12) {
            let slow = tar_split::index(&text[..cut], &limits);
            if let Some(fast) = tar_split::index_plain(&text[..cut], &limits) {
                assert_eq!(fast.entries, slow.entries, "{path} cut at {cut}");
                assert_eq!(fast.error, slow.error, "{path} cut at {cut}");
            }
        }
    }
    // Docker writes plain headers for these layers: the fast path is taken.
    assert!(plain >= 9, "only {plain} of 11 layers read by hand");
}

/// A layer with a PAX header or a GNU long name is left to the tar crate.
#[test]
fn extension_headers_are_left_to_the_tar_crate() {
    let long = format!("app/{}/deep.txt", "d".repeat(150));
    for format in ["gnu", "pax"] {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = match format {
            "gnu" => tar::Header::new_gnu(),
            _ => tar::Header::new_ustar(),
        };
        h.set_size(5);
        h.set_mode(0o644);
        if format == "pax" {
            b.append_pax_extensions([("path", long.as_bytes())])
                .unwrap();
            h.set_path("short").unwrap();
            h.set_cksum();
            b.append(&h, &b"hello"[..]).unwrap();
        } else {
            b.append_data(&mut h, &long, &b"hello"[..]).unwrap();
        }
        let tar = b.into_inner().unwrap();
        let text = split(&tar);
        assert!(tar_split::index_plain(text.as_bytes(), &Limits::default()).is_none());
        let idx = tar_split::index(text.as_bytes(), &Limits::default());
        assert_eq!(
            idx.entries.last().map(|e| e.path.as_str()),
            Some(long.as_str()),
            "{format}"
        );
    }
}

/// Splits a tar the way tar-split does: headers (and padding) as segments,
/// each body as a file record.
fn split(tar: &[u8]) -> String {
    let idx = coroner::archive::tar_index::index_slice(tar, &Limits::default());
    let b64 = |b: &[u8]| base64_simd::STANDARD.encode_to_string(b);
    let mut out = String::new();
    let mut at = 0usize;
    for (pos, e) in idx.entries.iter().enumerate() {
        let start = e.data_offset as usize;
        out.push_str(&format!(
            "{{\"type\":2,\"payload\":\"{}\",\"position\":{}}}\n",
            b64(&tar[at..start]),
            pos * 2
        ));
        out.push_str(&format!(
            "{{\"type\":1,\"name\":\"x\",\"size\":{},\"payload\":null,\"position\":{}}}\n",
            e.size,
            pos * 2 + 1
        ));
        at = start + e.size as usize;
    }
    out.push_str(&format!(
        "{{\"type\":2,\"payload\":\"{}\",\"position\":{}}}\n",
        b64(&tar[at..]),
        idx.entries.len() * 2
    ));
    out
}
