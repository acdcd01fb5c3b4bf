//! One archive's images analysed: the layout's documents read, every layer
//! scanned (in parallel, from memory or from what the stream left), merged
//! into the final view with its waste and bloat.

use std::collections::HashMap;

use rayon::prelude::*;
use serde_json::Value;

use super::manifest::{from_manifest_json, from_oci, from_v1, str_list, ImageSpec};
use super::merge;
use super::streamed::{scan_layer, LayerScan, StreamedMembers};
use super::{HistoryEntry, Image, ImageConfig, Layer};
use crate::archive::tar_index::{self, normalize, EntryKind, TarEntry, TarIndex};
use crate::model::{Diagnostic, Limits};
use crate::time::Timestamp;

pub(super) struct Archive<'a> {
    pub(super) source: &'a str,
    /// The archive's bytes; empty when it was streamed (`streamed` then
    /// holds what was read on the way).
    pub(super) data: &'a [u8],
    pub(super) streamed: Option<&'a StreamedMembers>,
    pub(super) by_name: HashMap<&'a str, &'a TarEntry>,
    pub(super) limits: &'a Limits,
    /// Told when a layer's bytes are no longer needed (see [`analyze_releasing`]).
    pub(super) release: &'a (dyn Fn(&[u8]) + Sync),
}

impl<'a> Archive<'a> {
    pub(super) fn member_path(&self, member: &str) -> String {
        format!("{}!/{}", self.source, member)
    }

    pub(super) fn body(&self, member: &str) -> Option<&'a [u8]> {
        let e = self.by_name.get(normalize(member))?;
        if e.kind != EntryKind::File {
            return None;
        }
        match self.streamed {
            Some(s) => s.bodies.get(normalize(member)).map(Vec::as_slice),
            None => Some(tar_index::body(self.data, e)),
        }
    }

    pub(super) fn json(
        &self,
        member: &str,
        what: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Value> {
        let Some(e) = self.by_name.get(normalize(member)) else {
            diags.push(Diagnostic::error(
                self.member_path(member),
                format!("{what} is missing from the archive (blob not saved or archive cut short)"),
            ));
            return None;
        };
        if self
            .streamed
            .is_some_and(|s| s.dropped.contains(normalize(member)))
        {
            diags.push(Diagnostic::error(
                self.member_path(member),
                format!(
                    "{what} was not kept: the archive's JSON documents together pass the JSON limit of {} bytes (raise it with --max-json-bytes); skipped",
                    self.limits.max_json_bytes
                ),
            ));
            return None;
        }
        if e.size > self.limits.max_json_bytes {
            diags.push(Diagnostic::error(
                self.member_path(member),
                format!(
                    "{what} is {} bytes, over the JSON limit (raise it with --max-json-bytes); skipped",
                    e.size
                ),
            ));
            return None;
        }
        let body = self.body(member).unwrap_or_default();
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => Some(v),
            Err(err) => {
                diags.push(Diagnostic::error(
                    self.member_path(member),
                    format!("{what} is not valid JSON: {err}"),
                ));
                None
            }
        }
    }
}

pub(super) fn parse_config(
    v: &Value,
) -> (
    Option<Timestamp>,
    ImageConfig,
    Vec<HistoryEntry>,
    Vec<String>,
) {
    let created = v
        .get("created")
        .and_then(Value::as_str)
        .and_then(Timestamp::parse_rfc3339);
    let c = v.get("config").or_else(|| v.get("Config"));
    let mut cfg = ImageConfig::default();
    if let Some(c) = c {
        if let Some(Value::Object(p)) = c.get("ExposedPorts") {
            cfg.exposed_ports = p.keys().cloned().collect();
        }
        cfg.env = str_list(c.get("Env"));
        cfg.cmd = str_list(c.get("Cmd"));
        cfg.entrypoint = str_list(c.get("Entrypoint"));
        cfg.user = c
            .get("User")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        cfg.healthcheck = str_list(c.get("Healthcheck").and_then(|h| h.get("Test")));
    }
    let history = match v.get("history") {
        Some(Value::Array(h)) => h
            .iter()
            .map(|e| HistoryEntry {
                created: e
                    .get("created")
                    .and_then(Value::as_str)
                    .and_then(Timestamp::parse_rfc3339),
                created_by: e
                    .get("created_by")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                empty_layer: e
                    .get("empty_layer")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                layer: None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let diff_ids = str_list(v.get("rootfs").and_then(|r| r.get("diff_ids")));
    (created, cfg, history, diff_ids)
}

/// At most this many unsafe-name warnings per archive or layer; the rest are counted.
const MAX_NAME_WARNINGS: usize = 20;

fn warn_unsafe<'e>(path: &str, names: impl Iterator<Item = &'e str>, diags: &mut Vec<Diagnostic>) {
    let mut n = 0usize;
    // A bare `/` or `./` names the root itself (kaniko writes one); harmless.
    for name in names.filter(|n| tar_index::is_unsafe_name(n) && !normalize(n).is_empty()) {
        n += 1;
        if n <= MAX_NAME_WARNINGS {
            diags.push(Diagnostic::warning(
                path,
                format!(
                    "entry {name:?} would escape the root if extracted (absolute, `..` or backslash); kept verbatim, never extracted"
                ),
            ));
        }
    }
    if n > MAX_NAME_WARNINGS {
        diags.push(Diagnostic::warning(
            path,
            format!("{} more entries with unsafe names", n - MAX_NAME_WARNINGS),
        ));
    }
}

fn layer_damage(
    ar: &Archive,
    i: usize,
    image: &str,
    member: &str,
    scan: &LayerScan,
) -> Option<Diagnostic> {
    scan.error.as_ref().map(|e| {
        Diagnostic::error(
            ar.member_path(member),
            format!(
                "layer {i} of image {image} is damaged: {e}; the {} entries before the damage were used",
                scan.entries.len()
            ),
        )
    })
}

fn build_image(ar: &Archive, spec: ImageSpec, diags: &mut Vec<Diagnostic>) -> Image {
    let mut img = Image {
        source: ar.source.to_string(),
        refs: spec.refs.clone(),
        id: spec.id.clone(),
        ..Default::default()
    };
    let mut diff_ids = Vec::new();
    if let Some(cm) = &spec.config_member {
        if let Some(v) = ar.json(cm, "image config", diags) {
            let (created, cfg, history, d) = parse_config(&v);
            img.created = created;
            img.config = cfg;
            img.history = history;
            diff_ids = d;
            if img.id.is_empty() {
                img.id = v
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
            }
        }
    }
    // Pre-1.10: history comes from each layer's own json.
    if !spec.v1_jsons.is_empty() && img.history.is_empty() {
        for j in &spec.v1_jsons {
            let v = ar.json(j, "v1 layer json", diags);
            let cmd = v
                .as_ref()
                .and_then(|v| v.get("container_config"))
                .map(|c| str_list(c.get("Cmd")).join(" "))
                .unwrap_or_default();
            img.history.push(HistoryEntry {
                created: v
                    .as_ref()
                    .and_then(|v| v.get("created"))
                    .and_then(Value::as_str)
                    .and_then(Timestamp::parse_rfc3339),
                created_by: cmd,
                empty_layer: false,
                layer: None,
            });
        }
    }
    let name = if img.refs.is_empty() {
        spec.origin.clone()
    } else {
        img.refs.join(", ")
    };
    // Read every layer in parallel; merge in order.
    let scans: Vec<(LayerScan, Option<Diagnostic>)> = spec
        .layers
        .par_iter()
        .enumerate()
        .map(|(i, l)| {
            // Only members the index keeps (not one the stream ended inside).
            let streamed = ar
                .streamed
                .filter(|_| ar.by_name.contains_key(normalize(&l.member)))
                .and_then(|s| s.layers.get(normalize(&l.member)));
            if let Some(scan) = streamed.filter(|_| !l.member.is_empty()) {
                let d = layer_damage(ar, i, &name, &l.member, scan);
                return (scan.clone(), d);
            }
            let Some(body) = (!l.member.is_empty()).then(|| ar.body(&l.member)).flatten() else {
                let d = Diagnostic::error(
                    ar.member_path(&l.member),
                    format!(
                        "layer {i} of image {name} ({}) is missing from the archive; its files are not counted",
                        if l.digest.is_empty() { "no digest" } else { &l.digest }
                    ),
                );
                return (
                    LayerScan {
                        entries: Vec::new(),
                        compression: "missing",
                        error: None,
                    },
                    Some(d),
                );
            };
            let scan = scan_layer(body, ar.limits, ar.release);
            (ar.release)(body);
            let d = layer_damage(ar, i, &name, &l.member, &scan);
            (scan, d)
        })
        .collect();
    let mut layer_entries = Vec::with_capacity(scans.len());
    for (i, (scan, d)) in scans.into_iter().enumerate() {
        diags.extend(d);
        let member = spec.layers.get(i).map(|l| l.member.as_str()).unwrap_or("");
        warn_unsafe(
            &ar.member_path(member),
            scan.entries.iter().map(|e| e.path.as_str()),
            diags,
        );
        let own: Vec<&TarEntry> = scan
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::File)
            .filter(|e| {
                let p = normalize(&e.path);
                !p.rsplit('/').next().unwrap_or(p).starts_with(".wh.")
            })
            .collect();
        let digest = match diff_ids.get(i) {
            Some(d) if diff_ids.len() == spec.layers.len() => d.clone(),
            _ => spec
                .layers
                .get(i)
                .map(|l| l.digest.clone())
                .unwrap_or_default(),
        };
        img.layers.push(Layer {
            digest,
            size_bytes: own.iter().map(|e| e.size).sum(),
            created_by: String::new(),
            files: own.len() as u64,
            wasted_bytes: 0,
            compression: scan.compression,
        });
        layer_entries.push(scan.entries);
    }
    diags.extend(align_history(
        &mut img,
        &name,
        &ar.member_path(spec.config_member.as_deref().unwrap_or(&spec.origin)),
    ));
    let merged = merge::merge(&layer_entries);
    drop(layer_entries);
    apply_merged(&mut img, merged);
    img
}

/// Aligns an image's history with its layers: the entries that made a
/// layer, in order, give each layer its `created_by`. A warning when the
/// counts disagree (`source` is the config it came from).
pub(super) fn align_history(img: &mut Image, name: &str, source: &str) -> Option<Diagnostic> {
    let mut k = 0usize;
    for h in img.history.iter_mut() {
        if h.empty_layer {
            continue;
        }
        if k < img.layers.len() {
            h.layer = Some(k);
            img.layers[k].created_by = h.created_by.clone();
        }
        k += 1;
    }
    (!img.history.is_empty() && k != img.layers.len()).then(|| {
        Diagnostic::warning(
            source,
            format!(
                "image {name}: history lists {k} layer-making steps but the image has {} layers; alignment may be off",
                img.layers.len()
            ),
        )
    })
}

/// Fills an image's sizes, wasted bytes, efficiency, largest files and
/// dirs, bloat and final view from the merge of its layers (archives and
/// data roots alike).
pub(super) fn apply_merged(img: &mut Image, merged: merge::Merged) {
    for (l, w) in img.layers.iter_mut().zip(&merged.layer_wasted) {
        l.wasted_bytes = *w;
    }
    img.wasted_bytes = merged.layer_wasted.iter().sum();
    img.size_bytes = merged
        .files
        .iter()
        .filter(|f| f.kind == EntryKind::File)
        .map(|f| f.size)
        .sum();
    let total = img.size_bytes + img.wasted_bytes;
    img.efficiency = if total == 0 {
        1.0
    } else {
        img.size_bytes as f64 / total as f64
    };
    let files = &merged.files;
    let ((largest_files, largest_dirs), bloat) = rayon::join(
        || {
            (
                merge::largest_files(files, 20),
                merge::largest_dirs(files, 10),
            )
        },
        || merge::bloat(files),
    );
    img.largest_files = largest_files;
    img.largest_dirs = largest_dirs;
    img.bloat = bloat;
    img.wasted_files = merged.wasted_files;
    img.files = merged.files;
}

pub(super) fn analyze_inner(
    source: &str,
    data: &[u8],
    len: u64,
    streamed: Option<&StreamedMembers>,
    index: &TarIndex,
    limits: &Limits,
    release: &(dyn Fn(&[u8]) + Sync),
) -> (Vec<Image>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut by_name = HashMap::new();
    for e in &index.entries {
        by_name.insert(normalize(&e.path), e);
    }
    let ar = Archive {
        source,
        data,
        streamed,
        by_name,
        limits,
        release,
    };
    warn_unsafe(
        source,
        index.entries.iter().map(|e| e.path.as_str()),
        &mut diags,
    );

    // docker save, skopeo and buildkit always end the archive with zero
    // blocks; a cut exactly between two members leaves a well-formed prefix
    // that only the missing marker betrays. (Layers are not held to this:
    // old engines wrote layer tars without it.)
    if index.error.is_none() {
        let end = index.entries.last().map_or(0, |e| {
            e.data_offset.saturating_add(e.size.div_ceil(512) * 512)
        });
        if len.saturating_sub(end) < 512 {
            diags.push(Diagnostic::error(
                source,
                format!(
                    "archive ends at byte {} without the end-of-archive marker: it is probably truncated after {} entries",
                    len,
                    index.entries.len()
                ),
            ));
        }
    }

    let mut specs = None;
    if ar.by_name.contains_key("manifest.json") {
        specs = from_manifest_json(&ar, &mut diags).filter(|s| !s.is_empty());
    }
    if specs.is_none()
        && ar.by_name.contains_key("index.json")
        && ar.by_name.contains_key("oci-layout")
    {
        let s = from_oci(&ar, &mut diags);
        if !s.is_empty() {
            specs = Some(s);
        }
    }
    if specs.is_none() && ar.by_name.keys().any(|k| k.ends_with("/json")) {
        let s = from_v1(&ar, &mut diags);
        if !s.is_empty() {
            specs = Some(s);
        }
    }
    let Some(specs) = specs else {
        diags.push(Diagnostic::error(
            source,
            "no image found: neither manifest.json, an OCI index.json nor pre-1.10 layer json describes one",
        ));
        return (Vec::new(), diags);
    };
    let images = specs
        .into_iter()
        .map(|s| build_image(&ar, s, &mut diags))
        .collect();
    (images, diags)
}
