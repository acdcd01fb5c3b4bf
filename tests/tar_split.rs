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
