//! Docker 1.x's image store (`graph/<id>/`, before the content-addressed
//! `image/<driver>/imagedb` of Docker 1.10): one directory per layer, each
//! with its own `json` (the layer's config: `created`, `container_config`,
//! `parent`), `layersize` and `tar-data.json.gz` (the layer's tar headers,
//! the same tar-split stream as layerdb's), and the tags in
//! `repositories-<driver>`. Each image is a chain of layers walked down
//! `parent`; its history is one entry per layer, its config the top
//! layer's, and it is analysed from tar-split like a layerdb image.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{GraphPart, Piece, Rel};
use crate::ingest::image::{self, Image, LayerInput};
use crate::model::{Diagnostic, Limits};

/// A chain longer than this is taken for a loop (Docker capped it at 127).
const MAX_CHAIN: usize = 1000;

#[derive(Default)]
struct GraphLayer<'a> {
    json: Option<&'a Piece>,
    tar_split: Option<&'a Piece>,
}

/// The images of a Docker 1.x graph: the tagged ones, the ones a container
/// runs, and the other leaves (a layer no other layer builds on).
pub(super) fn images(
    pieces: &[Piece],
    used: &[String],
    limits: &Limits,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Image> {
    let mut layers: BTreeMap<&str, GraphLayer> = BTreeMap::new();
    let mut repositories = Vec::new();
    for p in pieces {
        match &p.rel {
            Rel::Graph(id, part) => {
                let l = layers.entry(id.as_str()).or_default();
                match part {
                    GraphPart::Json => l.json = Some(p),
                    GraphPart::TarSplit => l.tar_split = Some(p),
                    GraphPart::Size => {}
                }
            }
            Rel::RepositoriesV1 => repositories.push(p),
            _ => {}
        }
    }
    if layers.is_empty() {
        return Vec::new();
    }
    let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in repositories {
        let Some(v) = super::assemble::json(p, "repositories file", diags) else {
            continue;
        };
        if let Some(Value::Object(repos)) = v.get("Repositories") {
            for (repo, refs) in repos {
                if let Value::Object(refs) = refs {
                    for (tag, id) in refs {
                        if let Some(id) = id.as_str() {
                            let r = if tag.contains(':') || tag.contains('@') {
                                tag.clone()
                            } else {
                                format!("{repo}:{tag}")
                            };
                            tags.entry(bare(id).to_string()).or_default().push(r);
                        }
                    }
                }
            }
        }
    }
    let mut configs: BTreeMap<&str, Value> = BTreeMap::new();
    for (id, l) in &layers {
        let Some(p) = l.json else { continue };
        if let Some(v) = super::assemble::json(p, "graph layer json", diags) {
            configs.insert(id, v);
        }
    }
    let parent_of = |v: &Value| -> String {
        let p = v
            .get("parent")
            .or_else(|| v.get("parent_id"))
            .and_then(Value::as_str)
            .unwrap_or("");
        bare(p).to_string()
    };
    let parents: BTreeSet<String> = configs.values().map(parent_of).collect();
    let mut out = Vec::new();
    for (id, top) in &configs {
        let tagged = tags.contains_key(*id);
        let run = used.iter().any(|u| bare(u) == *id);
        if !tagged && !run && parents.contains(*id) {
            continue;
        }
        // Top to base, then reversed: history and layers run base first.
        let mut chain: Vec<&str> = vec![*id];
        let mut missing = None;
        let mut next = parent_of(top);
        while !next.is_empty() && chain.len() < MAX_CHAIN {
            match configs.get_key_value(next.as_str()) {
                Some((k, v)) if !chain.contains(k) => {
                    chain.push(*k);
                    next = parent_of(v);
                }
                Some(_) => break,
                None => {
                    missing = Some(next.clone());
                    break;
                }
            }
        }
        chain.reverse();
        let path = layers[*id].json.map(|p| p.path.clone()).unwrap_or_default();
        if let Some(m) = &missing {
            diags.push(Diagnostic::warning(
                &path,
                format!(
                    "image {id}: its parent layer {m} is not in graph/ (not copied?); the layers below it are not counted"
                ),
            ));
        }
        let history: Vec<Value> = chain
            .iter()
            .map(|l| {
                let v = &configs[l];
                let cmd = v
                    .pointer("/container_config/Cmd")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .unwrap_or_default();
                serde_json::json!({
                    "created": v.get("created").cloned().unwrap_or(Value::Null),
                    "created_by": cmd,
                })
            })
            .collect();
        let cfg = serde_json::json!({
            "created": top.get("created").cloned().unwrap_or(Value::Null),
            "architecture": top.get("architecture").cloned().unwrap_or(Value::Null),
            "os": top.get("os").cloned().unwrap_or(Value::Null),
            "config": top.get("config").cloned().unwrap_or(Value::Null),
            "history": history,
            "rootfs": {"type": "layers", "diff_ids": chain.clone()},
        });
        let inputs: Vec<LayerInput> = chain
            .iter()
            .map(|l| {
                let g = &layers[l];
                let tar_split = g.tar_split.filter(|p| p.dropped.is_none());
                if let Some(p) = g.tar_split.filter(|p| p.dropped.is_some()) {
                    if let Some(why) = &p.dropped {
                        diags.push(Diagnostic::error(&p.path, why.clone()));
                    }
                }
                LayerInput {
                    digest: l.to_string(),
                    path: g
                        .tar_split
                        .or(g.json)
                        .map(|p| p.path.clone())
                        .unwrap_or_default(),
                    tar_split: tar_split.map(|p| p.body.as_slice()),
                }
            })
            .collect();
        let refs = tags.get(*id).cloned().unwrap_or_default();
        let (img, d) = image::analyze_layered(&path, id, refs, &cfg, &inputs, limits);
        diags.extend(d);
        out.push(img);
    }
    out
}

fn bare(id: &str) -> &str {
    id.strip_prefix("sha256:").unwrap_or(id)
}
