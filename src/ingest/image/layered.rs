//! An image known by its config and, per layer, the layer's tar headers
//! from tar-split (a Docker data root's `layerdb`), analysed into the same
//! [`Image`] as a `docker save`: merge, wasted bytes, largest files, bloat.
//! No layer body is read.
//!
//! Layers are indexed in parallel, a window of one layer fewer than the
//! pool has workers at a time, while the merge takes the window before it
//! (the merge is the last worker); each layer is pushed into the merge and
//! dropped: beyond the merged view, at most one layer's entries per worker
//! are held.

use rayon::prelude::*;
use serde_json::Value;

use super::analyze::parse_config;
use super::merge::Merger;
use super::{Image, Layer};
use crate::archive::compress::{self, Compression};
use crate::archive::tar_index::{normalize, EntryKind, TarEntry, TarIndex};
use crate::archive::tar_split;
use crate::model::{Diagnostic, Limits};

/// One layer of a data-root image.
pub struct LayerInput<'a> {
    /// The layer's diff id (`sha256:…`, from the config's `rootfs`).
    pub digest: String,
    /// Where its tar-split stream is (for diagnostics).
    pub path: String,
    /// The `tar-split.json.gz` bytes as stored (gzip), if present.
    pub tar_split: Option<&'a [u8]>,
}

/// The layer's entries from its tar-split stream, and whether they came
/// from the hand walk: then `sink` was handed the first entries, as read;
/// otherwise what it was handed is to be thrown away.
fn index_layer(
    l: &LayerInput,
    limits: &Limits,
    sink: &mut dyn FnMut(&TarEntry),
) -> Result<(TarIndex, bool), String> {
    let Some(data) = l.tar_split else {
        return Err("has no tar-split.json.gz; its files are not counted".to_string());
    };
    let comp = Compression::sniff(data);
    let cap = compress::cap_for(
        data.len() as u64,
        limits.max_decompressed_bytes,
        limits.max_ratio,
    );
    let open = || {
        compress::decode(comp, data, cap).map_err(|e| {
            format!(
                "tar-split stream cannot be decompressed ({}): {e}",
                comp.as_str()
            )
        })
    };
    // Plain headers are read by hand; a layer with any other header (PAX,
    // GNU long names, damage) is read again with the tar crate.
    if let Some(idx) = tar_split::index_plain_with(open()?, limits, sink) {
        return Ok((idx, true));
    }
    Ok((tar_split::index(open()?, limits), false))
}

/// Analyses one image from its config (`config`, the imagedb content) and
/// its layers' tar-split streams, in `rootfs.diff_ids` order.
pub fn analyze_layered(
    source: &str,
    id: &str,
    refs: Vec<String>,
    config: &Value,
    layers: &[LayerInput],
    limits: &Limits,
) -> (Image, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let (created, cfg, history, _) = parse_config(config);
    let mut img = Image {
        source: source.to_string(),
        refs,
        id: id.to_string(),
        created,
        config: cfg,
        history,
        ..Default::default()
    };
    let name = if img.refs.is_empty() {
        id.to_string()
    } else {
        img.refs.join(", ")
    };
    let mut merger = Merger::default();
    // The merge of one layer runs beside the indexing of the next ones:
    // the merge takes one worker, the others index a window ahead, so at
    // most one layer's entries per worker are held beyond the merged view.
    // The first layer (the base, often the largest) goes into the merge
    // entry by entry while its stream is read.
    let window = rayon::current_num_threads().saturating_sub(1).max(1);
    let index_window = |from: usize| -> Vec<Result<TarIndex, String>> {
        let chunk = &layers[from.min(layers.len())..(from + window).min(layers.len())];
        chunk
            .par_iter()
            .map(|l| index_layer(l, limits, &mut |_| {}).map(|(idx, _)| idx))
            .collect()
    };
    // Records a layer's damage and counts, and gives its entries.
    let mut take = |i: usize, scan: Result<TarIndex, String>, img: &mut Image| -> Vec<TarEntry> {
        let l = &layers[i];
        let entries: Vec<TarEntry> = match scan {
            Ok(idx) => {
                if let Some(e) = &idx.error {
                    diags.push(Diagnostic::error(
                        &l.path,
                        format!(
                            "layer {i} of image {name} is damaged: {e}; the {} entries before the damage were used",
                            idx.entries.len()
                        ),
                    ));
                }
                idx.entries
            }
            Err(why) => {
                diags.push(Diagnostic::error(
                    &l.path,
                    format!("layer {i} of image {name} ({}) {why}", l.digest),
                ));
                Vec::new()
            }
        };
        let own = entries.iter().filter(|e| {
            let p = normalize(&e.path);
            e.kind == EntryKind::File && !p.rsplit('/').next().unwrap_or(p).starts_with(".wh.")
        });
        let (files, size) = own.fold((0u64, 0u64), |(n, s), e| (n + 1, s.saturating_add(e.size)));
        img.layers.push(Layer {
            digest: l.digest.clone(),
            size_bytes: size,
            created_by: String::new(),
            files,
            wasted_bytes: 0,
            compression: "tar-split",
        });
        entries
    };
    let mut scans = Vec::new();
    if let Some(first) = layers.first() {
        let mut streamed = 0usize;
        let (scan, following) = rayon::join(
            || {
                let mut sink = |e: &TarEntry| {
                    merger.push_first(e);
                    streamed += 1;
                };
                index_layer(first, limits, &mut sink)
            },
            || index_window(1),
        );
        let scan = match scan {
            Ok((idx, true)) => Ok(idx),
            other => {
                // Read again by the tar crate: what was streamed goes.
                merger = Merger::default();
                streamed = 0;
                other.map(|(idx, _)| idx)
            }
        };
        let entries = take(0, scan, &mut img);
        merger.end_first(entries.get(streamed..).unwrap_or_default());
        scans = following;
    }
    let mut at = 1;
    while !scans.is_empty() {
        let next = at + scans.len();
        let mut merge_window = |scans: Vec<Result<TarIndex, String>>| {
            for (k, scan) in scans.into_iter().enumerate() {
                let entries = take(at + k, scan, &mut img);
                merger.push(&entries);
            }
        };
        let ((), following) = rayon::join(|| merge_window(scans), || index_window(next));
        scans = following;
        at = next;
    }
    diags.extend(super::analyze::align_history(&mut img, &name, source));
    super::analyze::apply_merged(&mut img, merger.finish());
    (img, diags)
}
