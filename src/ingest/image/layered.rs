//! An image known by its config and, per layer, the layer's tar headers
//! from tar-split (a Docker data root's `layerdb`), analysed into the same
//! [`Image`] as a `docker save`: merge, wasted bytes, largest files, bloat.
//! No layer body is read.
//!
//! Layers are indexed in parallel, a window of as many layers as the pool
//! has workers at a time, and each is pushed into the merge and dropped
//! before the next window: beyond the merged view, at most one layer's
//! entries per worker are held.

use std::io::BufReader;

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

/// The layer's entries from its tar-split stream.
fn index_layer(l: &LayerInput, limits: &Limits) -> Result<TarIndex, String> {
    let Some(data) = l.tar_split else {
        return Err("has no tar-split.json.gz; its files are not counted".to_string());
    };
    let comp = Compression::sniff(data);
    let cap = compress::cap_for(
        data.len() as u64,
        limits.max_decompressed_bytes,
        limits.max_ratio,
    );
    let reader = compress::decode(comp, data, cap).map_err(|e| {
        format!(
            "tar-split stream cannot be decompressed ({}): {e}",
            comp.as_str()
        )
    })?;
    Ok(tar_split::index(BufReader::new(reader), limits))
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
    let window = rayon::current_num_threads().max(1);
    for (w, chunk) in layers.chunks(window).enumerate() {
        let scans: Vec<Result<TarIndex, String>> =
            chunk.par_iter().map(|l| index_layer(l, limits)).collect();
        for (k, (scan, l)) in scans.into_iter().zip(chunk).enumerate() {
            let i = w * window + k;
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
            let (files, size) =
                own.fold((0u64, 0u64), |(n, s), e| (n + 1, s.saturating_add(e.size)));
            img.layers.push(Layer {
                digest: l.digest.clone(),
                size_bytes: size,
                created_by: String::new(),
                files,
                wasted_bytes: 0,
                compression: "tar-split",
            });
            merger.push(&entries);
        }
    }
    diags.extend(super::analyze::align_history(&mut img, &name, source));
    super::analyze::apply_merged(&mut img, merger.finish());
    (img, diags)
}
