//! A Docker data root (`/var/lib/docker` as a disk acquisition copies it),
//! as a directory or inside an archive, recognised by the shape of its
//! paths wherever it sits in the inputs: `containers/<64 hex>/config.v2.json`,
//! `image/<driver>/imagedb/`, `image/<driver>/layerdb/`, `volumes/<name>/_data`,
//! `overlay2/<mount id>/diff`.
//!
//! Reading happens in two steps. Each file (or archive entry) of such a
//! path becomes a [`Piece`] as it is met ([`claim`], [`piece_from_bytes`],
//! [`piece_from_entry`]): the small documents are kept, image layers keep
//! only their compressed tar-split stream, volume data and a container's
//! upper layer only their names, sizes and modes (their bodies are never
//! read). Once every input is read, [`assemble`] groups the pieces by data
//! root and turns them into what the rest of the tool already knows:
//! containers in the inspect model (`config.v2.json` merged with
//! `hostconfig.json`), images analysed from tar-split
//! ([`image::analyze_layered`]), and a [`DataRoot`] with each container's
//! own changes and the volumes. Container logs are not claimed: they are
//! read by the json-file reader like any other log.

mod assemble;
mod changes;
mod graph;

pub use assemble::assemble;
pub use changes::{Change, ChangeKind};

use crate::archive::tar_index::{EntryKind, TarEntry};
use crate::model::Limits;

/// What a data root tells beyond containers and images.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DataRoot {
    /// The data root's path (a directory, or `archive!/prefix`).
    pub root: String,
    pub containers: Vec<ContainerExtra>,
    pub volumes: Vec<Volume>,
}

/// A container's facts that only its data root directory holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContainerExtra {
    pub id: String,
    /// Which config it was read from: `config.v2.json` (Docker 1.10 and
    /// later) or `config.json` (Docker 1.x, beside a `graph/` image store).
    pub config_file: String,
    /// The `hostname` file beside its config.
    pub hostname: String,
    /// `nameserver` lines of its `resolv.conf`.
    pub nameservers: Vec<String>,
    /// overlay2 mount id (`layerdb/mounts/<id>/mount-id`).
    pub mount_id: String,
    /// True when `overlay2/<mount id>/diff` was in the evidence, so
    /// `changes` is the container's whole upper layer.
    pub upper_layer: bool,
    pub changes: Vec<Change>,
    /// Where the upper layer was read from.
    pub upper_path: String,
    /// What the engine mounted into it from `containers/<id>/mounts/`
    /// (`secrets`, `shm`) and `containers/<id>/shm`: names only.
    pub mounts: Vec<String>,
}

/// A named volume (`volumes/<name>/_data`, or a record of
/// `volumes/metadata.db`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Volume {
    pub name: String,
    /// The driver recorded in `volumes/metadata.db`; `local` when the
    /// database is absent (volumes under `volumes/<name>/_data` are the
    /// local driver's).
    pub driver: String,
    pub size_bytes: u64,
    pub files: u64,
    /// Owner of `_data` (uid, gid), when its metadata was in the evidence.
    pub owner: Option<(u64, u64)>,
    pub path: String,
}

/// Where a path sits in a data root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Rel {
    Config(String),
    /// `containers/<id>/config.json`: Docker 1.x's container config (read
    /// only when no `config.v2.json` sits beside it).
    ConfigV1(String),
    /// `graph/<id>/json`, `graph/<id>/tar-data.json.gz`, `graph/<id>/layersize`:
    /// Docker 1.x's image store, one directory per layer.
    Graph(String, GraphPart),
    /// `repositories-<driver>`: Docker 1.x's tags.
    RepositoriesV1,
    /// `volumes/metadata.db`: the volume store's bolt database.
    VolumeDb,
    /// `containers/<id>/mounts/<rest>` and `containers/<id>/shm/<rest>`
    /// (`rest` empty for the directory itself): listed, never read.
    MountEntry(String, String),
    HostConfig(String),
    Hostname(String),
    Resolv(String),
    Repositories,
    ImageConfig(String),
    /// `imagedb/metadata/sha256/<id>/parent`: the image it was built on.
    ImageParent(String),
    /// `layerdb/sha256/<chain>/<part>`
    Layer(String, LayerPart),
    /// `layerdb/mounts/<container>/mount-id`
    MountId(String),
    /// `volumes/<name>/_data/<rest>` (`rest` empty for `_data` itself)
    VolumeEntry(String, String),
    /// `overlay2/<mount id>/diff/<rest>` (`rest` empty for `diff` itself)
    UpperEntry(String, String),
    /// Anything else of the data root's own bookkeeping (metadata, links,
    /// checksums): claimed so it is not read as an unknown artifact.
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GraphPart {
    Json,
    TarSplit,
    Size,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LayerPart {
    Diff,
    Parent,
    TarSplit,
}

/// One file or entry of a data root, as met.
#[derive(Clone, Debug)]
pub struct Piece {
    pub(crate) root: String,
    pub(crate) rel: Rel,
    pub(crate) path: String,
    /// The body, for documents and small files; empty otherwise.
    pub(crate) body: Vec<u8>,
    pub(crate) size: u64,
    /// Set when the body was not kept because of a limit.
    pub(crate) dropped: Option<String>,
    pub(crate) kind: EntryKind,
    /// Mode and owner, when known (archive headers, directory metadata).
    pub(crate) mode: Option<u32>,
    pub(crate) owner: Option<(u64, u64)>,
}

pub(crate) fn hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// An overlay2 layer directory: a 64-hex id, or an init layer `<hex>-init`.
fn overlay_id(s: &str) -> bool {
    hex64(s.strip_suffix("-init").unwrap_or(s))
}

fn rel_of(rest: &[&str]) -> Option<Rel> {
    use Rel::*;
    Some(match rest {
        ["containers", id, f] if hex64(id) => match *f {
            "config.v2.json" => Config(id.to_string()),
            "hostconfig.json" => HostConfig(id.to_string()),
            "hostname" => Hostname(id.to_string()),
            "resolv.conf" => Resolv(id.to_string()),
            "config.json" => ConfigV1(id.to_string()),
            "shm" | "mounts" => MountEntry(id.to_string(), f.to_string()),
            "hosts" | "resolv.conf.hash" => Other,
            _ => return None,
        },
        ["containers", id, dir @ ("mounts" | "shm"), tail @ ..] if hex64(id) => {
            MountEntry(id.to_string(), [&[*dir][..], tail].concat().join("/"))
        }
        ["containers", id, "checkpoints", _, ..] if hex64(id) => Other,
        ["graph", id, part] if hex64(id) => match *part {
            "json" => Graph(id.to_string(), GraphPart::Json),
            "tar-data.json.gz" => Graph(id.to_string(), GraphPart::TarSplit),
            "layersize" => Graph(id.to_string(), GraphPart::Size),
            _ => Other,
        },
        ["graph", "_tmp", ..] => Other,
        [name] if name.starts_with("repositories-") => RepositoriesV1,
        ["linkgraph.db"] => Other,
        ["image", _, "repositories.json"] => Repositories,
        ["image", _, "imagedb", "content", "sha256", id] if hex64(id) => {
            ImageConfig(id.to_string())
        }
        ["image", _, "imagedb", "metadata", "sha256", id, "parent"] if hex64(id) => {
            ImageParent(id.to_string())
        }
        ["image", _, "imagedb", "metadata", ..] => Other,
        ["image", _, "layerdb", "sha256", chain, part] if hex64(chain) => match *part {
            "diff" => Layer(chain.to_string(), LayerPart::Diff),
            "parent" => Layer(chain.to_string(), LayerPart::Parent),
            "tar-split.json.gz" => Layer(chain.to_string(), LayerPart::TarSplit),
            _ => Other,
        },
        ["image", _, "layerdb", "mounts", id, "mount-id"] if hex64(id) => MountId(id.to_string()),
        ["image", _, "layerdb", "mounts", id, _] if hex64(id) => Other,
        ["image", _, "layerdb", "tmp", ..] | ["image", _, "distribution", ..] => Other,
        ["volumes", "metadata.db"] => VolumeDb,
        ["volumes", "backingFsBlockDev"] => Other,
        ["volumes", name, "_data", tail @ ..] if !name.is_empty() => {
            VolumeEntry(name.to_string(), tail.join("/"))
        }
        ["volumes", name, "opts.json"] if !name.is_empty() => Other,
        ["overlay2", id, "diff", tail @ ..] if overlay_id(id) => {
            UpperEntry(id.to_string(), tail.join("/"))
        }
        ["overlay2", id, "lower" | "link" | "committed"] if overlay_id(id) => Other,
        ["overlay2", id, "work" | "merged", ..] if overlay_id(id) => Other,
        ["overlay2", "l", _] => Other,
        // overlay (Docker 17.x and before): `upper` is a container's own
        // layer, `root` an image layer's whole tree.
        ["overlay", id, "upper", tail @ ..] if overlay_id(id) => {
            UpperEntry(id.to_string(), tail.join("/"))
        }
        ["overlay", id, "root" | "merged" | "work", ..] if overlay_id(id) => Other,
        ["overlay", id, "lower-id"] if overlay_id(id) => Other,
        // aufs (Docker before overlay2): the same, with `.wh.` files.
        ["aufs", "diff", id, tail @ ..] if overlay_id(id) => {
            UpperEntry(id.to_string(), tail.join("/"))
        }
        ["aufs", "layers" | "mnt", _, ..] => Other,
        // The engine's own bolt databases: nothing the report reads.
        ["network", "files", "local-kv.db"] | ["builder", "fscache.db"] => Other,
        ["buildkit", db] if db.ends_with(".db") => Other,
        _ => return None,
    })
}

/// Whether `path` (a file's path, or `archive!/member`) lies in a data
/// root: the root's path and where in it. The leftmost match wins, so a
/// data root kept inside a container's upper layer stays that layer's file.
pub(crate) fn claim(path: &str) -> Option<(String, Rel)> {
    let segs: Vec<&str> = path.split('/').collect();
    for i in 0..segs.len() {
        if !matches!(
            segs[i],
            "containers"
                | "image"
                | "volumes"
                | "overlay2"
                | "overlay"
                | "graph"
                | "linkgraph.db"
                | "aufs"
                | "network"
                | "builder"
                | "buildkit"
        ) && !(i + 1 == segs.len() && segs[i].starts_with("repositories-"))
        {
            continue;
        }
        if let Some(rel) = rel_of(&segs[i..]) {
            let root = segs[..i].join("/");
            let root = if root.is_empty() {
                ".".to_string()
            } else {
                root
            };
            return Some((root, rel));
        }
    }
    None
}

/// Bodies kept whole: documents up to `--max-json-bytes`, a layer's
/// tar-split up to `--max-member-bytes`, small files up to 64 KiB.
fn keep_limit(rel: &Rel, limits: &Limits) -> u64 {
    match rel {
        Rel::Config(_)
        | Rel::ConfigV1(_)
        | Rel::HostConfig(_)
        | Rel::Repositories
        | Rel::RepositoriesV1
        | Rel::ImageConfig(_)
        | Rel::Graph(_, GraphPart::Json)
        | Rel::VolumeDb => limits.max_json_bytes,
        Rel::Layer(_, LayerPart::TarSplit) | Rel::Graph(_, GraphPart::TarSplit) => {
            limits.max_member_bytes
        }
        Rel::Graph(_, GraphPart::Size) => 64 * 1024,
        Rel::Hostname(_)
        | Rel::Resolv(_)
        | Rel::Layer(..)
        | Rel::MountId(_)
        | Rel::ImageParent(_) => 64 * 1024,
        Rel::VolumeEntry(..) | Rel::UpperEntry(..) | Rel::MountEntry(..) | Rel::Other => 0,
    }
}

/// A claimed file's piece from its bytes.
pub(crate) fn piece_from_bytes(
    path: &str,
    root: String,
    rel: Rel,
    data: &[u8],
    limits: &Limits,
) -> Piece {
    let limit = keep_limit(&rel, limits);
    let (body, dropped) = if limit == 0 {
        (Vec::new(), None)
    } else if data.len() as u64 > limit {
        (
            Vec::new(),
            Some(format!(
                "{} bytes, over the limit of {limit} bytes for this data-root file (raise --max-json-bytes or --max-member-bytes); not read",
                data.len()
            )),
        )
    } else {
        (data.to_vec(), None)
    };
    Piece {
        root,
        rel,
        path: path.to_string(),
        body,
        size: data.len() as u64,
        dropped,
        kind: EntryKind::File,
        mode: None,
        owner: None,
    }
}

/// The piece of an archive entry that is volume data or a container's
/// upper layer (any kind of entry, its body never read); `None` for
/// anything else, which is read as usual.
pub(crate) fn piece_from_entry(member: &str, e: &TarEntry) -> Option<Piece> {
    let (root, rel) = claim(member)?;
    if !matches!(
        rel,
        Rel::VolumeEntry(..) | Rel::UpperEntry(..) | Rel::MountEntry(..)
    ) {
        return None;
    }
    Some(Piece {
        root,
        rel,
        path: member.to_string(),
        body: Vec::new(),
        size: if e.kind == EntryKind::File { e.size } else { 0 },
        dropped: None,
        kind: e.kind,
        mode: Some(e.mode),
        owner: Some((e.uid, e.gid)),
    })
}

/// The piece of a directory entry met by the walk (volume data and upper
/// layers are listed from metadata, never read).
pub(crate) fn piece_from_metadata(path: &str, meta: &std::fs::Metadata) -> Option<Piece> {
    use std::os::unix::fs::MetadataExt;
    let (root, rel) = claim(path)?;
    let ft = meta.file_type();
    let kind = if ft.is_symlink() {
        EntryKind::Symlink
    } else if ft.is_dir() {
        EntryKind::Dir
    } else if ft.is_file() {
        EntryKind::File
    } else {
        EntryKind::Other
    };
    Some(Piece {
        root,
        rel,
        path: path.to_string(),
        body: Vec::new(),
        size: if kind == EntryKind::File {
            meta.len()
        } else {
            0
        },
        dropped: None,
        kind,
        mode: Some(meta.mode() & 0o7777),
        owner: Some((u64::from(meta.uid()), u64::from(meta.gid()))),
    })
}

/// What the walk does with a directory of a data root.
pub(crate) enum DirRole {
    /// Listed from metadata, never read: volume data, a container's upper
    /// layer (`root` and the layer's id given, to tell it from an image
    /// layer's directory).
    Listed {
        upper: Option<(String, String)>,
    },
    /// Not read at all: a running container's `merged` view (the union of
    /// its image and upper layer) and overlayfs's `work` directory.
    Skipped,
    Walked,
}

/// Whether a directory's whole subtree is listed from metadata by the walk
/// instead of read: `volumes/<name>/_data`, `overlay2/<id>/diff`,
/// `aufs/diff/<id>`.
pub(crate) fn dir_role(path: &str) -> DirRole {
    match claim(path) {
        Some((_, Rel::VolumeEntry(_, rest))) if rest.is_empty() => DirRole::Listed { upper: None },
        Some((_, Rel::MountEntry(_, rest))) if !rest.contains('/') => {
            DirRole::Listed { upper: None }
        }
        Some((root, Rel::UpperEntry(id, rest))) if rest.is_empty() => DirRole::Listed {
            upper: Some((root, id)),
        },
        _ => {
            let segs: Vec<&str> = path.rsplitn(3, '/').collect();
            match segs.as_slice() {
                ["merged" | "work", id, rest] if overlay_id(id) && rest.ends_with("overlay2") => {
                    DirRole::Skipped
                }
                ["merged" | "work" | "root", id, rest]
                    if overlay_id(id) && (rest == &"overlay" || rest.ends_with("/overlay")) =>
                {
                    DirRole::Skipped
                }
                _ => DirRole::Walked,
            }
        }
    }
}

/// True for a data root's own bookkeeping links (`overlay2/l/<short id>`),
/// which the walk passes over in silence.
pub(crate) fn bookkeeping_link(path: &str) -> bool {
    matches!(claim(path), Some((_, Rel::Other)))
}

/// The mount ids of the containers of the data root at `root`, read from
/// `image/<driver>/layerdb/mounts/<id>/mount-id` (and `init-id`): the layer
/// directories that are containers' own, not images'.
pub(crate) fn container_mounts(root: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    // Docker 1.x (`graph/`, no layerdb): a container's layer is named
    // after the container itself.
    if let Ok(ids) = std::fs::read_dir(root.join("containers")) {
        for e in ids.flatten() {
            let n = e.file_name().to_string_lossy().to_string();
            if hex64(&n) {
                out.push(n);
            }
        }
    }
    let Ok(drivers) = std::fs::read_dir(root.join("image")) else {
        out.sort();
        return out;
    };
    for d in drivers.flatten() {
        let Ok(mounts) = std::fs::read_dir(d.path().join("layerdb").join("mounts")) else {
            continue;
        };
        for m in mounts.flatten() {
            for f in ["mount-id", "init-id"] {
                let p = m.path().join(f);
                // Small files only, and never through a link.
                if std::fs::symlink_metadata(&p).is_ok_and(|x| x.is_file() && x.len() < 4096) {
                    if let Ok(s) = std::fs::read_to_string(&p) {
                        out.push(s.trim().to_string());
                    }
                }
            }
        }
    }
    out.sort();
    out
}
