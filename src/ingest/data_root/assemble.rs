//! The pieces of each data root put together once every input is read:
//! containers (config merged with hostconfig), images from imagedb and
//! layerdb, each container's changes, the volumes.

use std::collections::BTreeMap;

use serde_json::Value;

use super::changes::{changes, UpperEntry};
use super::{ContainerExtra, DataRoot, LayerPart, Piece, Rel, Volume};
use crate::archive::tar_index::EntryKind;
use crate::ingest::image::{self, Image, LayerInput};
use crate::ingest::{inspect, Ingested, InputRecord, Parsed};
use crate::model::{ArtifactKind, Diagnostic, Limits};

/// Replaces the data-root pieces among `out.items` by what they make up,
/// one data root at a time in path order: one input record per data root,
/// its containers, its images and a [`Parsed::DataRoot`].
pub fn assemble(out: &mut Ingested, limits: &Limits) {
    let items = std::mem::take(&mut out.items);
    let mut roots: BTreeMap<String, Vec<Piece>> = BTreeMap::new();
    for it in items {
        match it {
            Parsed::DataRootPiece(p) => roots.entry(p.root.clone()).or_default().push(*p),
            other => out.items.push(other),
        }
    }
    for (root, mut pieces) in roots {
        pieces.sort_by(|a, b| a.path.cmp(&b.path));
        let part = one_root(&root, &pieces, limits);
        out.absorb(part);
    }
}

#[derive(Default)]
struct LayerInfo<'a> {
    diff: String,
    parent: String,
    tar_split: Option<&'a Piece>,
    path: String,
}

fn text(p: &Piece) -> String {
    String::from_utf8_lossy(&p.body).trim().to_string()
}

pub(super) fn json(p: &Piece, what: &str, diags: &mut Vec<Diagnostic>) -> Option<Value> {
    if let Some(why) = &p.dropped {
        diags.push(Diagnostic::error(&p.path, format!("{what}: {why}")));
        return None;
    }
    match serde_json::from_slice::<Value>(&p.body) {
        Ok(v) => Some(v),
        Err(e) => {
            diags.push(Diagnostic::error(
                &p.path,
                format!(
                    "{what} is not valid JSON: {e}; hint: a truncated copy? re-collect the file"
                ),
            ));
            None
        }
    }
}

/// `config.v2.json` keeps mounts as a `MountPoints` map; inspect output
/// has a `Mounts` array. The same facts, in the inspect shape.
fn mounts_from_mount_points(cfg: &Value) -> Option<Value> {
    let Value::Object(m) = cfg.get("MountPoints")? else {
        return None;
    };
    let arr: Vec<Value> = m
        .values()
        .map(|mp| {
            let g = |k: &str| mp.get(k).cloned().unwrap_or(Value::Null);
            serde_json::json!({
                "Type": g("Type"),
                "Name": g("Name"),
                "Source": g("Source"),
                "Destination": g("Destination"),
                "Driver": g("Driver"),
                "RW": g("RW"),
            })
        })
        .collect();
    Some(Value::Array(arr))
}

fn one_root(root: &str, pieces: &[Piece], limits: &Limits) -> Ingested {
    let mut out = Ingested::default();
    out.inputs.push(InputRecord {
        path: root.to_string(),
        kind: ArtifactKind::DataRoot,
        bytes: pieces.iter().map(|p| p.size).sum(),
    });
    let mut configs = BTreeMap::new();
    let mut configs_v1 = BTreeMap::new();
    let mut container_mounts: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut volume_db = None;
    let mut hostconfigs = BTreeMap::new();
    let mut hostnames = BTreeMap::new();
    let mut resolvs = BTreeMap::new();
    let mut image_configs = BTreeMap::new();
    let mut repositories = Vec::new();
    let mut layers: BTreeMap<&str, LayerInfo> = BTreeMap::new();
    let mut mount_ids = BTreeMap::new();
    let mut parents: Vec<String> = Vec::new();
    let mut uppers: BTreeMap<&str, Vec<&Piece>> = BTreeMap::new();
    let mut volumes: BTreeMap<&str, Vec<&Piece>> = BTreeMap::new();
    for p in pieces {
        match &p.rel {
            Rel::Config(id) => {
                configs.insert(id.as_str(), p);
            }
            Rel::ConfigV1(id) => {
                configs_v1.insert(id.as_str(), p);
            }
            Rel::MountEntry(id, rest) => {
                // `mounts/<name>` and `shm` itself: what was mounted in.
                let name = match rest.split('/').collect::<Vec<_>>().as_slice() {
                    ["mounts", name] => Some(format!("mounts/{name}")),
                    ["shm"] => Some("shm".to_string()),
                    _ => None,
                };
                if let Some(n) = name {
                    container_mounts.entry(id.as_str()).or_default().push(n);
                }
            }
            Rel::VolumeDb => volume_db = Some(p),
            Rel::Graph(..) | Rel::RepositoriesV1 => {}
            Rel::HostConfig(id) => {
                hostconfigs.insert(id.as_str(), p);
            }
            Rel::Hostname(id) => {
                hostnames.insert(id.as_str(), p);
            }
            Rel::Resolv(id) => {
                resolvs.insert(id.as_str(), p);
            }
            Rel::Repositories => repositories.push(p),
            Rel::ImageConfig(id) => {
                image_configs.insert(id.as_str(), p);
            }
            Rel::Layer(chain, part) => {
                let l = layers.entry(chain.as_str()).or_default();
                match part {
                    LayerPart::Diff => l.diff = text(p),
                    LayerPart::Parent => l.parent = text(p),
                    LayerPart::TarSplit => {
                        l.path = p.path.clone();
                        if let Some(why) = &p.dropped {
                            out.diagnostics
                                .push(Diagnostic::error(&p.path, why.clone()));
                        } else {
                            l.tar_split = Some(p);
                        }
                    }
                }
            }
            Rel::ImageParent(_) => {
                let parent = text(p);
                if let Some(hex) = parent.strip_prefix("sha256:") {
                    parents.push(hex.to_string());
                }
            }
            Rel::MountId(id) => {
                mount_ids.insert(id.as_str(), text(p));
            }
            Rel::UpperEntry(mount, _) => uppers.entry(mount.as_str()).or_default().push(p),
            Rel::VolumeEntry(name, _) => volumes.entry(name.as_str()).or_default().push(p),
            Rel::Other => {}
        }
    }

    // Docker 1.x kept `config.json`; a data root migrated to 1.10 keeps
    // it beside `config.v2.json`, which then wins.
    let mut config_file: BTreeMap<&str, &str> = BTreeMap::new();
    for (id, p) in configs_v1 {
        if !configs.contains_key(id) {
            configs.insert(id, p);
            config_file.insert(id, "config.json");
        }
    }

    // Tags: repositories.json maps repository → ref → image id.
    let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in &repositories {
        let Some(v) = json(p, "repositories.json", &mut out.diagnostics) else {
            continue;
        };
        if let Some(Value::Object(repos)) = v.get("Repositories") {
            for refs in repos.values() {
                if let Value::Object(refs) = refs {
                    for (r, id) in refs {
                        if let (false, Some(id)) = (r.contains('@'), id.as_str()) {
                            tags.entry(id.to_string()).or_default().push(r.clone());
                        }
                    }
                }
            }
        }
    }

    // Images: each config's diff ids, walked down the chain ids of layerdb.
    let mut by_parent_diff: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    for (chain, l) in &layers {
        by_parent_diff.insert((l.parent.as_str(), l.diff.as_str()), chain);
    }
    // What `docker images` hides: untagged build steps of another image,
    // run by no container. They would repeat their child's findings.
    let used: Vec<String> = configs
        .values()
        .filter_map(|p| {
            let v: Value = serde_json::from_slice(&p.body).ok()?;
            v.get("Image").and_then(Value::as_str).map(str::to_string)
        })
        .collect();
    let mut images: Vec<Image> = Vec::new();
    let mut intermediate = 0usize;
    for (hex, p) in &image_configs {
        let id = format!("sha256:{hex}");
        if parents.iter().any(|x| x == hex) && !tags.contains_key(&id) && !used.contains(&id) {
            intermediate += 1;
            continue;
        }
        let Some(cfg) = json(p, "image config", &mut out.diagnostics) else {
            continue;
        };
        let diff_ids: Vec<String> = cfg
            .pointer("/rootfs/diff_ids")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let mut inputs = Vec::new();
        let mut parent = String::new();
        let mut lost = false;
        for d in &diff_ids {
            let chain = if lost {
                None
            } else {
                by_parent_diff.get(&(parent.as_str(), d.as_str())).copied()
            };
            match chain {
                Some(c) => {
                    let l = &layers[c];
                    inputs.push(LayerInput {
                        digest: d.clone(),
                        path: if l.path.is_empty() {
                            format!("{}/image/…/layerdb/sha256/{c}", root)
                        } else {
                            l.path.clone()
                        },
                        tar_split: l.tar_split.map(|p| p.body.as_slice()),
                    });
                    parent = format!("sha256:{c}");
                }
                None => {
                    lost = true;
                    inputs.push(LayerInput {
                        digest: d.clone(),
                        path: p.path.clone(),
                        tar_split: None,
                    });
                }
            }
        }
        if lost {
            out.diagnostics.push(Diagnostic::warning(
                &p.path,
                format!("image {id}: some of its layers are not in layerdb (not copied?); their files are not counted"),
            ));
        }
        let refs = tags.remove(&id).unwrap_or_default();
        let (img, diags) = image::analyze_layered(&p.path, &id, refs, &cfg, &inputs, limits);
        // Layers missing from layerdb were said once above.
        out.diagnostics.extend(
            diags
                .into_iter()
                .filter(|d| !(lost && d.message.contains("has no tar-split"))),
        );
        images.push(img);
    }

    let _ = intermediate;
    images.extend(super::graph::images(
        pieces,
        &used,
        limits,
        &mut out.diagnostics,
    ));
    // Containers, in the inspect model.
    let mut extras = Vec::new();
    for (id, p) in &configs {
        let file_name = config_file.get(id).copied().unwrap_or("config.v2.json");
        let Some(mut cfg) = json(p, &format!("container {file_name}"), &mut out.diagnostics) else {
            continue;
        };
        let mut sources = vec![p.path.clone()];
        if let Some(hp) = hostconfigs.get(id) {
            if let Some(hc) = json(hp, "container hostconfig.json", &mut out.diagnostics) {
                if let Value::Object(m) = &mut cfg {
                    m.insert("HostConfig".to_string(), hc);
                }
                sources.push(hp.path.clone());
            }
        }
        if cfg.get("Mounts").is_none() {
            if let (Some(mounts), Value::Object(m)) = (mounts_from_mount_points(&cfg), &mut cfg) {
                m.insert("Mounts".to_string(), mounts);
            }
        }
        let mut file = inspect::parse(&p.path, &p.body, &cfg);
        let hostname = hostnames.get(id).map(|h| text(h)).unwrap_or_default();
        for c in &mut file.containers {
            c.sources = sources.clone();
            if c.hostname.is_empty() {
                c.hostname = hostname.clone();
            }
        }
        out.diagnostics.append(&mut file.diagnostics);
        let workdir = cfg
            .pointer("/Config/WorkingDir")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let image_id = cfg.get("Image").and_then(Value::as_str).unwrap_or("");
        // Docker 1.x has no layerdb: the container's layer is named after it.
        let mount_id = mount_ids
            .get(id)
            .cloned()
            .or_else(|| uppers.contains_key(id).then(|| id.to_string()))
            .unwrap_or_default();
        let upper = uppers
            .get(mount_id.as_str())
            .filter(|_| !mount_id.is_empty());
        let files = images
            .iter()
            .find(|i| i.id == image_id)
            .map(|i| i.files.as_slice());
        let (change_list, upper_path) = match upper {
            Some(list) => {
                let entries: Vec<UpperEntry> = list
                    .iter()
                    .filter_map(|p| match &p.rel {
                        Rel::UpperEntry(_, rel) => Some(UpperEntry {
                            rel: rel.as_str(),
                            kind: p.kind,
                            size: p.size,
                            mode: p.mode,
                        }),
                        _ => None,
                    })
                    .collect();
                let dir = list
                    .iter()
                    .map(|p| p.path.as_str())
                    .min_by_key(|s| s.len())
                    .unwrap_or("")
                    .to_string();
                (changes(&entries, files, &workdir), dir)
            }
            None => (Vec::new(), String::new()),
        };
        let nameservers = resolvs
            .get(id)
            .map(|r| {
                String::from_utf8_lossy(&r.body)
                    .lines()
                    .filter_map(|l| l.trim().strip_prefix("nameserver"))
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let mut mounts = container_mounts.remove(id).unwrap_or_default();
        mounts.sort();
        mounts.dedup();
        extras.push(ContainerExtra {
            id: id.to_string(),
            config_file: file_name.to_string(),
            mounts,
            hostname,
            nameservers,
            upper_layer: upper.is_some(),
            mount_id,
            changes: change_list,
            upper_path,
        });
        out.items.push(Parsed::Inspect(file));
    }
    if !images.is_empty() {
        out.items.push(Parsed::Images(images));
    }

    let drivers = volume_db
        .map(|p| volume_records(&p.body))
        .unwrap_or_default();
    let mut vols: Vec<Volume> = volumes
        .into_iter()
        .map(|(name, list)| {
            let files = list.iter().filter(|p| p.kind == EntryKind::File);
            let owner = list
                .iter()
                .find(|p| matches!(&p.rel, Rel::VolumeEntry(_, r) if r.is_empty()))
                .and_then(|p| p.owner);
            let path = list
                .iter()
                .map(|p| p.path.as_str())
                .min_by_key(|s| s.len())
                .unwrap_or("")
                .to_string();
            Volume {
                name: name.to_string(),
                driver: drivers
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| "local".to_string()),
                size_bytes: files.clone().map(|p| p.size).sum(),
                files: files.count() as u64,
                owner,
                path,
            }
        })
        .collect();
    // A volume of another driver has no `_data` here: only its record.
    if let Some(db) = volume_db {
        for (name, driver) in &drivers {
            if !vols.iter().any(|v| &v.name == name) {
                vols.push(Volume {
                    name: name.clone(),
                    driver: driver.clone(),
                    path: db.path.clone(),
                    ..Default::default()
                });
            }
        }
        vols.sort_by(|a, b| a.name.cmp(&b.name));
    }
    out.items.push(Parsed::DataRoot(DataRoot {
        root: root.to_string(),
        containers: extras,
        volumes: vols,
    }));
    out
}

/// The volumes recorded in `volumes/metadata.db`, name → driver. The file
/// is a bolt database; there is no bolt reader in Rust worth a dependency,
/// and the store keeps each volume as a JSON value
/// (`{"Name":…,"Driver":…,"Labels":…,"Options":…}`) written whole into a
/// leaf page, so the JSON objects are found by scanning the bytes. A page
/// freed by bolt's copy-on-write may still hold an older copy of a record
/// (or one of a volume since removed): a name's driver never changes, so
/// duplicates agree.
fn volume_records(db: &[u8]) -> BTreeMap<String, String> {
    const KEY: &[u8] = b"{\"Name\":\"";
    let mut out = BTreeMap::new();
    let mut at = 0;
    while let Some(i) = memchr::memmem::find(&db[at..], KEY) {
        let start = at + i;
        at = start + KEY.len();
        let mut it = serde_json::Deserializer::from_slice(&db[start..]).into_iter::<Value>();
        let Some(Ok(v)) = it.next() else { continue };
        let (Some(name), Some(driver)) = (
            v.get("Name").and_then(Value::as_str),
            v.get("Driver").and_then(Value::as_str),
        ) else {
            continue;
        };
        if !name.is_empty() && !driver.is_empty() {
            out.entry(name.to_string())
                .or_insert_with(|| driver.to_string());
        }
    }
    out
}
