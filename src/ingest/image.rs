//! `docker save` archives in every layout (legacy with manifest.json,
//! pre-1.10 with `repositories`, Docker 25+ OCI, pure OCI layout, kaniko)
//! analysed layer by layer into a merged view: size, wasted bytes, largest
//! files and bloat.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Read};

use rayon::prelude::*;
use serde_json::Value;

use crate::archive::compress::{self, Compression};
use crate::archive::tar_index::{self, normalize, EntryKind, TarEntry, TarIndex};
use crate::model::{Diagnostic, Limits};
use crate::time::Timestamp;

mod merge;

pub use merge::{largest_dirs, largest_files};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageConfig {
    pub exposed_ports: Vec<String>,
    pub env: Vec<String>,
    pub cmd: Vec<String>,
    pub entrypoint: Vec<String>,
    pub user: String,
    pub healthcheck: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistoryEntry {
    pub created: Option<Timestamp>,
    pub created_by: String,
    pub empty_layer: bool,
    /// Index into `Image::layers` for entries that made a layer.
    pub layer: Option<usize>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layer {
    pub digest: String,
    /// Uncompressed bytes of regular files the layer adds.
    pub size_bytes: u64,
    pub created_by: String,
    pub files: u64,
    /// Bytes of lower-layer files this layer hides (whiteouts, opaque dirs, overwrites).
    pub wasted_bytes: u64,
    pub compression: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PathSize {
    pub path: String,
    pub size: u64,
}

/// A file that occupies a lower layer but is not visible in the final image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WastedFile {
    pub path: String,
    pub size: u64,
    pub added_in: usize,
    pub hidden_by: usize,
    /// "whiteout", "opaque" or "overwrite".
    pub how: &'static str,
    /// What hid it: the removed path (whiteout), the opaque directory, or
    /// the path written over.
    pub root: String,
}

/// Content that the seed's bloat table says should not ship.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bloat {
    /// "package-cache", "git", "node_modules", "build-tools", "tests-docs", "build-logs".
    pub category: &'static str,
    pub layer: usize,
    pub bytes: u64,
    pub files: u64,
    pub example_paths: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Image {
    pub source: String,
    pub refs: Vec<String>,
    /// Config digest, `sha256:…`.
    pub id: String,
    pub created: Option<Timestamp>,
    pub config: ImageConfig,
    pub history: Vec<HistoryEntry>,
    pub layers: Vec<Layer>,
    /// Bytes of regular files in the final merged view.
    pub size_bytes: u64,
    /// Bytes of lower-layer regular files hidden in the final view.
    pub wasted_bytes: u64,
    /// `size_bytes / (size_bytes + wasted_bytes)`, 1.0 when both are 0: the
    /// share of the bytes shipped in layers that a container can still see.
    ///
    /// This differs from dive's "image efficiency" on purpose. dive only
    /// considers paths touched in more than one layer, so a directory removed
    /// with `rm -rf` (one whiteout for the directory, not one per file) does
    /// not count the files under it; it also counts every copy of a file
    /// rewritten several times, the visible copy included. Here every
    /// lower-layer regular file hidden by a whiteout, an opaque directory, an
    /// overwrite or a non-directory replacing a directory counts exactly
    /// once, and the visible copy never counts as waste.
    pub efficiency: f64,
    pub largest_files: Vec<PathSize>,
    pub largest_dirs: Vec<PathSize>,
    pub wasted_files: Vec<WastedFile>,
    pub bloat: Vec<Bloat>,
    /// The final merged view, sorted by path (paths start with `/`):
    /// every visible entry, directories included. Sizes are 0 for
    /// everything but regular files.
    pub files: Vec<FileEntry>,
}

/// One path of a merged filesystem view (image or export).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    pub mode: u32,
    pub kind: EntryKind,
    /// Index of the layer that put this entry in place (0 for exports).
    pub layer: usize,
}

/// Members that belong in an image archive; anything else means the archive
/// is something else that happens to hold a `manifest.json`.
pub(crate) fn image_shaped(name: &str) -> bool {
    let n = normalize(name);
    if n.is_empty() {
        return true;
    }
    let (dir, base) = match n.rfind('/') {
        Some(i) => (&n[..i], &n[i + 1..]),
        None => ("", n),
    };
    if dir.is_empty() {
        return matches!(
            base,
            "manifest.json" | "repositories" | "index.json" | "oci-layout" | "blobs"
        ) || base.ends_with(".json")
            || base.ends_with(".tar")
            || base.ends_with(".tar.gz")
            || base.starts_with("sha256:")
            || (base.len() == 64 && base.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    if n.starts_with("blobs/") {
        return true;
    }
    !dir.contains('/') && matches!(base, "layer.tar" | "json" | "VERSION")
}

/// Member names only image layouts use (a stricter test than
/// [`image_shaped`], which also admits any top-level `.json` or `.tar`): a
/// 64-hex layer directory, `blobs/`, the layouts' index files, and
/// digest-named top-level configs and layers.
pub(crate) fn image_member_name(name: &str) -> bool {
    let n = normalize(name);
    let hex = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
    match n.split_once('/') {
        Some((first, _)) => hex(first) || first == "blobs",
        None => {
            let stem = [".json", ".tar.gz", ".tar"]
                .iter()
                .find_map(|x| n.strip_suffix(x))
                .unwrap_or(n);
            matches!(
                n,
                "manifest.json" | "repositories" | "index.json" | "oci-layout"
            ) || hex(stem)
                || stem.starts_with("sha256:")
        }
    }
}

/// True when the archive's entries make up a `docker save` or OCI image layout.
pub fn is_image_archive(index: &TarIndex) -> bool {
    // One pass, no set of names: this runs on every archive, and a
    // container export has tens of thousands of entries.
    let hex = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let (mut oci_layout, mut index_json, mut legacy, mut shaped) = (false, false, false, true);
    for e in &index.entries {
        let n = normalize(&e.path);
        match n {
            "oci-layout" => oci_layout = true,
            "index.json" => index_json = true,
            // Any one docker-save member is enough when every member is
            // image-shaped: a save cut short may have lost manifest.json.
            "manifest.json" | "repositories" => legacy = true,
            _ if !legacy && shaped => {
                let (dir, base) = n.rsplit_once('/').unwrap_or(("", n));
                legacy = (hex(dir) && (base == "layer.tar" || base == "json"))
                    || (dir.is_empty() && base.strip_suffix(".json").is_some_and(hex));
            }
            _ => {}
        }
        shaped = shaped && image_shaped(&e.path);
        if !shaped && oci_layout && index_json {
            break;
        }
    }
    (oci_layout && index_json) || (legacy && shaped)
}

/// One layer as an image's manifest lists it.
#[derive(Clone, Debug)]
struct LayerSpec {
    /// Normalised member name of the layer blob, if known.
    member: String,
    /// Blob digest when the layout names one.
    digest: String,
}

/// One image as the archive's manifest (or index, or `repositories`) names it.
#[derive(Clone, Debug, Default)]
struct ImageSpec {
    /// Where in the archive the image was described, for diagnostics.
    origin: String,
    refs: Vec<String>,
    config_member: Option<String>,
    id: String,
    layers: Vec<LayerSpec>,
    /// Pre-1.10 layouts: each layer's v1 `json` member, base first.
    v1_jsons: Vec<String>,
}

struct Archive<'a> {
    source: &'a str,
    /// The archive's bytes; empty when it was streamed (`streamed` then
    /// holds what was read on the way).
    data: &'a [u8],
    streamed: Option<&'a StreamedMembers>,
    by_name: HashMap<&'a str, &'a TarEntry>,
    limits: &'a Limits,
    /// Told when a layer's bytes are no longer needed (see [`analyze_releasing`]).
    release: &'a (dyn Fn(&[u8]) + Sync),
}

impl<'a> Archive<'a> {
    fn member_path(&self, member: &str) -> String {
        format!("{}!/{}", self.source, member)
    }

    fn body(&self, member: &str) -> Option<&'a [u8]> {
        let e = self.by_name.get(normalize(member))?;
        if e.kind != EntryKind::File {
            return None;
        }
        match self.streamed {
            Some(s) => s.bodies.get(normalize(member)).map(Vec::as_slice),
            None => Some(tar_index::body(self.data, e)),
        }
    }

    fn json(&self, member: &str, what: &str, diags: &mut Vec<Diagnostic>) -> Option<Value> {
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

fn blob_member(digest: &str) -> Option<String> {
    let (alg, hex) = digest.split_once(':')?;
    if alg.is_empty()
        || hex.is_empty()
        || alg.contains('/')
        || hex.contains('/')
        || hex.contains("..")
    {
        return None;
    }
    Some(format!("blobs/{alg}/{hex}"))
}

/// `sha256:…` from a config or layer member name, when the name carries one.
fn digest_from_name(name: &str) -> String {
    let n = normalize(name);
    if let Some(rest) = n.strip_prefix("blobs/") {
        if let Some((alg, hex)) = rest.split_once('/') {
            return format!("{alg}:{hex}");
        }
    }
    if n.starts_with("sha256:") {
        return n.to_string();
    }
    let stem = n
        .strip_suffix(".json")
        .or_else(|| n.strip_suffix(".tar.gz"))
        .or_else(|| n.strip_suffix(".tar"))
        .unwrap_or(n);
    if stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit()) {
        return format!("sha256:{stem}");
    }
    String::new()
}

fn str_list(v: Option<&Value>) -> Vec<String> {
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
fn from_manifest_json(ar: &Archive, diags: &mut Vec<Diagnostic>) -> Option<Vec<ImageSpec>> {
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
fn from_oci(ar: &Archive, diags: &mut Vec<Diagnostic>) -> Vec<ImageSpec> {
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
fn from_v1(ar: &Archive, diags: &mut Vec<Diagnostic>) -> Vec<ImageSpec> {
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

/// A layer's entries, read from its (possibly compressed) blob.
#[derive(Clone)]
struct LayerScan {
    entries: Vec<TarEntry>,
    compression: &'static str,
    error: Option<String>,
}

fn scan_layer(body: &[u8], limits: &Limits, release: &(dyn Fn(&[u8]) + Sync)) -> LayerScan {
    let comp = Compression::sniff(body);
    if comp == Compression::None {
        let idx = tar_index::index_slice_releasing(body, limits, release);
        return LayerScan {
            entries: idx.entries,
            compression: comp.as_str(),
            error: idx.error,
        };
    }
    scan_compressed_layer(comp, compress::Releasing::new(body, release), limits)
}

/// A gzip or zstd layer's entries, walked as `reader` inflates.
fn scan_compressed_layer(comp: Compression, reader: impl Read, limits: &Limits) -> LayerScan {
    let mut entries = Vec::new();
    let error = match compress::decode(comp, reader, limits.max_decompressed_bytes) {
        Ok(r) => tar_index::walk_stream(r, limits, |e, _| entries.push(e)),
        Err(e) => Some(format!("cannot start {} decompression: {e}", comp.as_str())),
    };
    LayerScan {
        entries,
        compression: comp.as_str(),
        error,
    }
}

/// What a streamed image archive leaves for analysis: each tar member's
/// entries (a layer, plain, gzip or zstd), indexed as the stream went by,
/// and the bodies of the other members up to `--max-json-bytes` (manifests,
/// configs, indexes). Memory follows the entry count and those small
/// documents, not the archive.
#[derive(Default)]
pub struct StreamedMembers {
    bodies: HashMap<String, Vec<u8>>,
    layers: HashMap<String, LayerScan>,
    /// Bytes of documents kept so far; together they may not pass
    /// `--max-json-bytes` (a hostile archive of many large documents).
    kept: u64,
    /// Documents not kept because of that budget.
    dropped: HashSet<String>,
}

impl StreamedMembers {
    /// Reads one member of a streamed archive. An error means the member's
    /// body could not be read (the archive stream failed).
    pub fn visit(&mut self, e: &TarEntry, body: &mut dyn Read, limits: &Limits) -> io::Result<()> {
        if e.kind != EntryKind::File {
            return Ok(());
        }
        let name = normalize(&e.path).to_string();
        let mut head = Vec::with_capacity(512);
        body.take(512).read_to_end(&mut head)?;
        let comp = Compression::sniff(&head);
        if comp == Compression::None && !tar_index::looks_like_tar(&head) {
            if e.size <= limits.max_json_bytes {
                // A document is kept whole; anything else (a foreign blob)
                // only by its first bytes, which say why it does not parse.
                let first = head.iter().find(|b| !b.is_ascii_whitespace());
                if matches!(first, Some(b'{' | b'[')) {
                    if self.kept.saturating_add(e.size) > limits.max_json_bytes {
                        self.dropped.insert(name);
                        return Ok(());
                    }
                    body.read_to_end(&mut head)?;
                    self.kept += head.len() as u64;
                }
                self.bodies.insert(name, head);
            }
            return Ok(());
        }
        let reader = io::Cursor::new(head).chain(body);
        // As `scan_layer` reads a layer held in memory: plain layers with
        // the damage checks of an index, compressed ones walked.
        let scan = if comp == Compression::None {
            let (entries, error) = match tar_index::index_stream(reader, limits) {
                Ok((idx, _)) => (idx.entries, idx.error),
                Err(err) => (Vec::new(), Some(err.to_string())),
            };
            LayerScan {
                entries,
                compression: comp.as_str(),
                error,
            }
        } else {
            scan_compressed_layer(comp, reader, limits)
        };
        self.layers.insert(name, scan);
        Ok(())
    }
}

fn parse_config(
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
            let streamed = ar.streamed.and_then(|s| s.layers.get(normalize(&l.member)));
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
    // History aligned with layers: entries that made a layer, in order.
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
    if !img.history.is_empty() && k != img.layers.len() {
        diags.push(Diagnostic::warning(
            ar.member_path(spec.config_member.as_deref().unwrap_or(&spec.origin)),
            format!(
                "image {name}: history lists {k} layer-making steps but the image has {} layers; alignment may be off",
                img.layers.len()
            ),
        ));
    }
    let merged = merge::merge(&layer_entries);
    drop(layer_entries);
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
    img.largest_files = merge::largest_files(&merged.files, 20);
    img.largest_dirs = merge::largest_dirs(&merged.files, 10);
    img.bloat = merge::bloat(&merged.files);
    img.wasted_files = merged.wasted_files;
    img.files = merged.files;
    img
}

/// Analyses every image in an uncompressed archive held in `data`.
pub fn analyze(
    source: &str,
    data: &[u8],
    index: &TarIndex,
    limits: &Limits,
) -> (Vec<Image>, Vec<Diagnostic>) {
    analyze_releasing(source, data, index, limits, &|_| {})
}

/// [`analyze`], calling `release` with each layer's bytes once the layer
/// is scanned, so a caller reading a mapped file can let those pages go
/// (layers are read once; peak RSS then follows the layers in flight, not
/// the archive).
pub fn analyze_releasing(
    source: &str,
    data: &[u8],
    index: &TarIndex,
    limits: &Limits,
    release: &(dyn Fn(&[u8]) + Sync),
) -> (Vec<Image>, Vec<Diagnostic>) {
    analyze_inner(
        source,
        data,
        data.len() as u64,
        None,
        index,
        limits,
        release,
    )
}

/// [`analyze`] for an archive read as a stream (a compressed `docker save`):
/// `index` and `end` from the walk, `members` filled by
/// [`StreamedMembers::visit`] on the way. Same report as reading the
/// inflated archive whole.
pub fn analyze_streamed(
    source: &str,
    index: &TarIndex,
    end: tar_index::StreamEnd,
    members: &StreamedMembers,
    limits: &Limits,
) -> (Vec<Image>, Vec<Diagnostic>) {
    analyze_inner(source, &[], end.len, Some(members), index, limits, &|_| {})
}

fn analyze_inner(
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
