//! The images an archive describes, read from its layout's documents:
//! `manifest.json` (legacy and Docker 25+), an OCI `index.json` with its
//! nested indexes, or a pre-1.10 `repositories` with `<id>/json` chains.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::analyze::Archive;
use super::layout::{blob_member, digest_from_name};
use crate::archive::tar_index::normalize;
use crate::model::Diagnostic;

/// One layer as an image's manifest lists it.
#[derive(Clone, Debug)]
pub(super) struct LayerSpec {
    /// Normalised member name of the layer blob, if known.
    pub(super) member: String,
    /// Blob digest when the layout names one.
    pub(super) digest: String,
}

/// One image as the archive's manifest (or index, or `repositories`) names it.
#[derive(Clone, Debug, Default)]
pub(super) struct ImageSpec {
    /// Where in the archive the image was described, for diagnostics.
    pub(super) origin: String,
    pub(super) refs: Vec<String>,
    pub(super) config_member: Option<String>,
    pub(super) id: String,
    pub(super) layers: Vec<LayerSpec>,
    /// Pre-1.10 layouts: each layer's v1 `json` member, base first.
    pub(super) v1_jsons: Vec<String>,
}

pub(super) fn str_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn refs_of(annotations: Option<&Value>) -> Vec<String> {
    let Some(a) = annotations else {
        return Vec::new();
    };
    for key in [
        "io.containerd.image.name",
        "org.opencontainers.image.ref.name",
    ] {
        if let Some(s) = a.get(key).and_then(Value::as_str) {
            if !s.is_empty() {
                return vec![s.to_string()];
            }
        }
    }
    Vec::new()
}

/// Images from a legacy or Docker 25 `manifest.json`.
pub(super) fn from_manifest_json(
    ar: &Archive,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<ImageSpec>> {
    let v = ar.json("manifest.json", "manifest.json", diags)?;
    let Some(list) = v.as_array() else {
        diags.push(Diagnostic::error(
            ar.member_path("manifest.json"),
            format!(
                "manifest.json is {} where a list of images was expected; no image described here",
                if v.is_null() { "null" } else { "not a list" }
            ),
        ));
        return None;
    };
    let mut out = Vec::new();
    for (i, m) in list.iter().enumerate() {
        let origin = format!("manifest.json[{i}]");
        let config = m.get("Config").and_then(Value::as_str).map(str::to_string);
        if config.is_none() {
            diags.push(Diagnostic::error(
                ar.member_path("manifest.json"),
                format!("{origin} has no Config; its configuration is unknown"),
            ));
        }
        let layers: Vec<LayerSpec> = match m.get("Layers") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(|s| LayerSpec {
                    member: normalize(s).to_string(),
                    digest: digest_from_name(s),
                })
                .collect(),
            _ => {
                diags.push(Diagnostic::error(
                    ar.member_path("manifest.json"),
                    format!("{origin} has no Layers list"),
                ));
                Vec::new()
            }
        };
        out.push(ImageSpec {
            origin,
            refs: str_list(m.get("RepoTags")),
            id: config.as_deref().map(digest_from_name).unwrap_or_default(),
            config_member: config.map(|c| normalize(&c).to_string()),
            layers,
            v1_jsons: Vec::new(),
        });
    }
    Some(out)
}

/// Images from an OCI image layout: index.json → (nested indexes) →
/// manifests, in index order; layers in each manifest's `layers` order.
pub(super) fn from_oci(ar: &Archive, diags: &mut Vec<Diagnostic>) -> Vec<ImageSpec> {
    let mut out = Vec::new();
    let Some(index) = ar.json("index.json", "index.json", diags) else {
        return out;
    };
    let mut seen = HashSet::new();
    walk_index(ar, &index, "index.json", &[], 0, &mut seen, &mut out, diags);
    // One manifest tagged twice is one image with two refs.
    let mut merged: Vec<ImageSpec> = Vec::new();
    for spec in out {
        match merged.iter_mut().find(|m| m.origin == spec.origin) {
            Some(m) => {
                for r in spec.refs {
                    if !m.refs.contains(&r) {
                        m.refs.push(r);
                    }
                }
            }
            None => merged.push(spec),
        }
    }
    merged
}

#[allow(clippy::too_many_arguments)]
fn walk_index(
    ar: &Archive,
    index: &Value,
    origin: &str,
    inherited: &[String],
    depth: u32,
    seen: &mut HashSet<String>,
    out: &mut Vec<ImageSpec>,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(manifests) = index.get("manifests").and_then(Value::as_array) else {
        return;
    };
    for (i, d) in manifests.iter().enumerate() {
        let here = format!("{origin} manifests[{i}]");
        let ann = d.get("annotations");
        if ann
            .and_then(|a| a.get("vnd.docker.reference.type"))
            .is_some_and(|t| t == "attestation-manifest")
        {
            continue;
        }
        let mut refs = refs_of(ann);
        if refs.is_empty() {
            refs = inherited.to_vec();
        }
        let Some(digest) = d.get("digest").and_then(Value::as_str) else {
            diags.push(Diagnostic::error(
                ar.member_path(origin),
                format!("{here} has no digest"),
            ));
            continue;
        };
        let Some(member) = blob_member(digest) else {
            diags.push(Diagnostic::error(
                ar.member_path(origin),
                format!("{here} has an unusable digest {digest:?}"),
            ));
            continue;
        };
        if !seen.insert(member.clone()) && depth > 0 {
            continue;
        }
        let Some(doc) = ar.json(&member, "manifest blob", diags) else {
            continue;
        };
        let media = d
            .get("mediaType")
            .or_else(|| doc.get("mediaType"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let is_index = media.contains("index")
            || media.contains("manifest.list")
            || doc.get("manifests").is_some();
        if is_index {
            if depth >= 8 {
                diags.push(Diagnostic::error(
                    ar.member_path(&member),
                    "image indexes nested more than 8 deep; not followed",
                ));
                continue;
            }
            walk_index(ar, &doc, &member, &refs, depth + 1, seen, out, diags);
            continue;
        }
        let Some(layers) = doc.get("layers").and_then(Value::as_array) else {
            diags.push(Diagnostic::error(
                ar.member_path(&member),
                format!("{here}: neither an image manifest nor an index (media type {media:?}); skipped"),
            ));
            continue;
        };
        let config_digest = doc
            .get("config")
            .and_then(|c| c.get("digest"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let mut spec = ImageSpec {
            origin: member.clone(),
            refs,
            config_member: blob_member(config_digest),
            id: config_digest.to_string(),
            ..Default::default()
        };
        for (j, l) in layers.iter().enumerate() {
            let dg = l.get("digest").and_then(Value::as_str).unwrap_or("");
            match blob_member(dg) {
                Some(m) => spec.layers.push(LayerSpec {
                    member: m,
                    digest: dg.to_string(),
                }),
                None => {
                    diags.push(Diagnostic::error(
                        ar.member_path(&member),
                        format!("layers[{j}] has an unusable digest {dg:?}; the layer is missing from the analysis"),
                    ));
                    spec.layers.push(LayerSpec {
                        member: String::new(),
                        digest: dg.to_string(),
                    });
                }
            }
        }
        out.push(spec);
    }
}

/// Images from a pre-1.10 layout: `repositories` and `<v1id>/json` chained
/// by `parent`.
pub(super) fn from_v1(ar: &Archive, diags: &mut Vec<Diagnostic>) -> Vec<ImageSpec> {
    let mut jsons: BTreeMap<String, Value> = BTreeMap::new();
    let mut names: Vec<&str> = ar.by_name.keys().copied().collect();
    names.sort();
    for n in names {
        if let Some(id) = n.strip_suffix("/json") {
            if !id.contains('/') {
                if let Some(v) = ar.json(n, "v1 layer json", diags) {
                    jsons.insert(id.to_string(), v);
                }
            }
        }
    }
    // Tips: what `repositories` names, else every id nobody names as parent.
    let mut tips: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if ar.by_name.contains_key("repositories") {
        if let Some(Value::Object(repos)) = ar.json("repositories", "repositories", diags) {
            for (repo, tags) in repos {
                if let Value::Object(tags) = tags {
                    for (tag, id) in tags {
                        if let Some(id) = id.as_str() {
                            tips.entry(id.to_string())
                                .or_default()
                                .push(format!("{repo}:{tag}"));
                        }
                    }
                }
            }
        }
    }
    if tips.is_empty() {
        let parents: HashSet<&str> = jsons
            .values()
            .filter_map(|v| v.get("parent").and_then(Value::as_str))
            .collect();
        for id in jsons.keys() {
            if !parents.contains(id.as_str()) {
                tips.insert(id.clone(), Vec::new());
            }
        }
    }
    let mut out = Vec::new();
    for (tip, refs) in tips {
        let mut chain = Vec::new();
        let mut cur = Some(tip.clone());
        let mut seen = HashSet::new();
        while let Some(id) = cur {
            if !seen.insert(id.clone()) || chain.len() > 10_000 {
                diags.push(Diagnostic::error(
                    ar.member_path(&format!("{id}/json")),
                    "parent chain loops; the chain stops here",
                ));
                break;
            }
            let Some(j) = jsons.get(&id) else {
                diags.push(Diagnostic::error(
                    ar.member_path(&format!("{id}/json")),
                    "layer json named as an image or parent is missing from the archive",
                ));
                break;
            };
            chain.push(id.clone());
            cur = j.get("parent").and_then(Value::as_str).map(str::to_string);
        }
        chain.reverse();
        out.push(ImageSpec {
            origin: "repositories".to_string(),
            refs,
            config_member: Some(format!("{tip}/json")),
            id: tip.clone(),
            layers: chain
                .iter()
                .map(|id| LayerSpec {
                    member: format!("{id}/layer.tar"),
                    digest: id.clone(),
                })
                .collect(),
            v1_jsons: chain.iter().map(|id| format!("{id}/json")).collect(),
        });
    }
    out
}
