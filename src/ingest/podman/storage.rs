//! libpod's storage JSON, as containers/storage writes it under
//! `/var/lib/containers/storage/`: `overlay-containers/containers.json`
//! (one record per container: `id`, `names`, `image`, `layer`, `metadata`,
//! `created`) and `overlay-images/images.json` (one per image: `id`,
//! `names`, `digest`, `layer`, `created`). Both are a JSON array of
//! objects, recognised by content (the keys), never by name.
//!
//! The records are attached to the containers read from `podman inspect`
//! by id ([`attach`]); a container's image record is found through the
//! container's `image` id. libpod's own state (`libpod/bolt_state.db`) is a
//! BoltDB file, not JSON, and is not read.

use serde_json::Value;

use crate::ingest::{inspect, Parsed};
use crate::time::Timestamp;

/// One `containers.json` record.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredContainer {
    pub id: String,
    pub names: Vec<String>,
    /// The image id (64 hex, no `sha256:`).
    pub image: String,
    /// The container's read-write layer (`overlay/<layer>/diff`).
    pub layer: String,
    /// `metadata` is itself JSON text; its `image-name`.
    pub image_name: String,
    pub created: Option<Timestamp>,
}

/// One `images.json` record.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredImage {
    pub id: String,
    pub names: Vec<String>,
    pub digest: String,
    /// The image's top layer.
    pub layer: String,
    pub created: Option<Timestamp>,
}

/// What one storage file held, and where it came from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Storage {
    pub path: String,
    pub containers: Vec<StoredContainer>,
    pub images: Vec<StoredImage>,
}

/// A container's storage facts, once attached: its record, the file it came
/// from, and its image's record when `images.json` was in the inputs too.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContainerStorage {
    pub source: String,
    pub container: StoredContainer,
    pub image: Option<StoredImage>,
    pub image_source: Option<String>,
}

fn text(o: &Value, key: &str) -> String {
    o.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

fn names(o: &Value) -> Vec<String> {
    match o.get("names") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn created(o: &Value) -> Option<Timestamp> {
    o.get("created")
        .and_then(Value::as_str)
        .and_then(Timestamp::parse_rfc3339)
}

fn is_record(o: &Value) -> bool {
    o.get("id").is_some_and(Value::is_string)
        && o.get("layer").is_some_and(Value::is_string)
        && (o.get("names").is_some() || o.get("created").is_some())
        && o.get("Id").is_none()
        && o.get("State").is_none()
}

/// A container record has an `image`; an image record a `digest` or
/// `big-data-names` and no `image`.
fn is_container_record(o: &Value) -> bool {
    is_record(o) && o.get("image").is_some_and(Value::is_string)
}

fn is_image_record(o: &Value) -> bool {
    is_record(o)
        && o.get("image").is_none()
        && (o.get("digest").is_some() || o.get("big-data-names").is_some())
}

/// True when `v` is `containers.json` or `images.json`: a non-empty array
/// whose first element has the keys of a storage record.
pub fn is_storage(v: &Value) -> bool {
    match v {
        Value::Array(a) => a
            .first()
            .is_some_and(|o| is_container_record(o) || is_image_record(o)),
        _ => false,
    }
}

/// Reads a storage file already parsed as JSON. Elements that are neither
/// record are skipped (a damaged record loses itself, not the file).
pub fn parse(path: &str, v: &Value) -> Storage {
    let mut out = Storage {
        path: path.to_string(),
        ..Storage::default()
    };
    let Value::Array(a) = v else { return out };
    for o in a {
        if is_container_record(o) {
            let meta: Option<Value> = o
                .get("metadata")
                .and_then(Value::as_str)
                .and_then(|m| serde_json::from_str(m).ok());
            out.containers.push(StoredContainer {
                id: text(o, "id"),
                names: names(o),
                image: text(o, "image"),
                layer: text(o, "layer"),
                image_name: meta
                    .as_ref()
                    .map_or_else(String::new, |m| text(m, "image-name")),
                created: created(o),
            });
        } else if is_image_record(o) {
            out.images.push(StoredImage {
                id: text(o, "id"),
                names: names(o),
                digest: text(o, "digest"),
                layer: text(o, "layer"),
                created: created(o),
            });
        }
    }
    out
}

/// An image id as podman inspect writes it (`Image`: 64 hex) or Docker
/// (`sha256:…`), compared without the prefix.
fn bare(id: &str) -> &str {
    id.strip_prefix("sha256:").unwrap_or(id)
}

/// Moves every [`Parsed::PodmanStorage`] of `out` onto the inspect
/// containers with the same id. Records of containers that no inspect
/// output names are dropped: storage alone says nothing of a container's
/// fate. Inputs are visited in their (sorted) order, so the first record
/// of an id wins whatever the thread count.
pub(crate) fn attach(items: &mut Vec<Parsed>) {
    let mut stores = Vec::new();
    items.retain_mut(|p| match p {
        Parsed::PodmanStorage(s) => {
            stores.push(std::mem::take(s));
            false
        }
        _ => true,
    });
    if stores.is_empty() {
        return;
    }
    let find_image = |id: &str| {
        stores.iter().find_map(|s| {
            s.images
                .iter()
                .find(|i| !i.id.is_empty() && i.id == bare(id))
                .map(|i| (i.clone(), s.path.clone()))
        })
    };
    let find_container = |id: &str| {
        stores.iter().find_map(|s| {
            s.containers
                .iter()
                .find(|c| !c.id.is_empty() && c.id == id)
                .map(|c| (c.clone(), s.path.clone()))
        })
    };
    for p in items.iter_mut() {
        let Parsed::Inspect(f) = p else { continue };
        for c in &mut f.containers {
            if c.storage.is_some() {
                continue;
            }
            let Some((sc, source)) = find_container(&c.id) else {
                continue;
            };
            let image = find_image(&sc.image).or_else(|| find_image(&c.image_id));
            let (image, image_source) = match image {
                Some((i, s)) => (Some(i), Some(s)),
                None => (None, None),
            };
            c.storage = Some(Box::new(ContainerStorage {
                source,
                container: sc,
                image,
                image_source,
            }));
        }
    }
}

/// `podman network inspect` output (netavark's shape: `name`, `id`,
/// `driver`, `network_interface`, `subnets`): read, but not evidence of a
/// container's fate.
pub fn is_network(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.first().is_some_and(|o| {
            o.get("name").is_some_and(Value::is_string)
                && o.get("driver").is_some_and(Value::is_string)
                && o.get("network_interface").is_some()
        }),
        _ => false,
    }
}

/// Whether an inspect container was written by podman: podman's own
/// inspect fields, conmon's PID, its cgroup under libpod, or a storage
/// record.
pub fn is_podman(c: &inspect::Container) -> bool {
    c.podman || c.conmon_pid != 0 || c.cgroup_path.contains("libpod") || c.storage.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_record_is_skipped_not_the_file() {
        let v: Value = serde_json::from_str(
            r#"[{"id":"a","names":["x"],"image":"i","layer":"l","metadata":"{not json"},
                {"id":7,"layer":"l"},
                {"id":"b","names":["y"],"image":"i","layer":"m","created":"2026-12-02T03:19:56Z"}]"#,
        )
        .unwrap();
        assert!(is_storage(&v));
        let s = parse("c.json", &v);
        let ids: Vec<_> = s.containers.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(s.containers[0].image_name, "");
        assert!(s.containers[1].created.is_some());
    }

    #[test]
    fn inspect_output_and_other_arrays_are_not_storage() {
        for doc in [
            r#"[{"Id":"a","State":{}}]"#,
            r#"[{"id":"a","State":{},"layer":"l","names":[]}]"#,
            r#"[]"#,
            r#"[1,2]"#,
            r#"{"id":"a","layer":"l","names":[]}"#,
        ] {
            let v: Value = serde_json::from_str(doc).unwrap();
            assert!(!is_storage(&v), "{doc}");
        }
    }
}
