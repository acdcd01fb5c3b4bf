//! Links each `docker export` to the container it was taken from and to the
//! image that container was created from, then computes the drift (what the
//! container added, changed and deleted compared with the image).
//!
//! `docker export` leaves `etc/hostname` empty, so the link is made from
//! whatever the inputs give, most reliable first:
//! 1. a container whose name, or 12/64-hex id, appears in the export's path
//!    (`exports/pweb.tar` ↔ container `pweb`);
//! 2. a non-empty `etc/hostname` equal to a container's `Config.Hostname`;
//! 3. otherwise the image whose final view shares the most identical
//!    entries (path, type, size) with the export, if at least half of the
//!    union of both views agrees.
//!
//! A matched container gives the image through its inspect `Image` id, then
//! its `Config.Image` ref.

use std::collections::HashSet;

use super::ContainerRecord;
use crate::archive::tar_index::EntryKind;
use crate::ingest::fs_export::{self, Drift, FsExport};
use crate::ingest::image::{FileEntry, Image};

/// What one export was linked to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExportLink {
    /// Index into `Analysis::containers`.
    pub container: Option<usize>,
    /// Index into `Analysis::images`.
    pub image: Option<usize>,
    /// The image as a ref (or id) even when its archive is not an input.
    pub image_name: Option<String>,
    /// "container-name", "container-id", "hostname", "closest-image".
    pub matched_by: Option<&'static str>,
    pub drift: Option<Drift>,
}

/// Jaccard share of identical entries (path, type, size) below which the
/// closest image is not considered the export's image.
const MIN_SIMILARITY: f64 = 0.5;

/// One link per export, in `exports` order.
pub fn link(
    exports: &[FsExport],
    containers: &[ContainerRecord],
    images: &[Image],
) -> Vec<ExportLink> {
    exports
        .iter()
        .map(|x| link_one(x, containers, images))
        .collect()
}

fn link_one(x: &FsExport, containers: &[ContainerRecord], images: &[Image]) -> ExportLink {
    let mut out = ExportLink::default();
    if let Some((i, how)) = container_for(x, containers) {
        out.container = Some(i);
        out.matched_by = Some(how);
        let c = &containers[i].c;
        out.image = image_of(&c.image_id, &c.image, images);
        out.image_name = match out.image {
            Some(k) => Some(image_name(&images[k])),
            None if !c.image.is_empty() => Some(c.image.clone()),
            None if !c.image_id.is_empty() => Some(c.image_id.clone()),
            None => None,
        };
    } else if let Some(k) = closest_image(x, images) {
        out.image = Some(k);
        out.image_name = Some(image_name(&images[k]));
        out.matched_by = Some("closest-image");
    }
    out.drift = out.image.map(|k| fs_export::drift(&images[k], x));
    out
}

/// The first ref of an image, else its id.
pub fn image_name(img: &Image) -> String {
    img.refs.first().cloned().unwrap_or_else(|| img.id.clone())
}

fn image_of(id: &str, reference: &str, images: &[Image]) -> Option<usize> {
    let bare = |s: &str| s.strip_prefix("sha256:").unwrap_or(s).to_string();
    if !id.is_empty() {
        if let Some(k) = images.iter().position(|m| bare(&m.id) == bare(id)) {
            return Some(k);
        }
    }
    if reference.is_empty() {
        return None;
    }
    // `Config.Image` may omit `:latest`.
    let with_tag = if reference
        .rsplit('/')
        .next()
        .is_some_and(|l| l.contains(':'))
    {
        reference.to_string()
    } else {
        format!("{reference}:latest")
    };
    images
        .iter()
        .position(|m| m.refs.iter().any(|r| r == reference || *r == with_tag))
}

/// The export's path split into words: every path component (archive
/// suffixes removed) and its `-`/`_`/`.`-separated parts.
fn path_words(source: &str) -> Vec<String> {
    let mut words = Vec::new();
    for comp in source.split(['/', '\\', '!']).filter(|c| !c.is_empty()) {
        let mut stem = comp;
        for suf in [".gz", ".tgz", ".zst", ".tar", ".export"] {
            stem = stem.strip_suffix(suf).unwrap_or(stem);
        }
        for suf in [".tar", ".export"] {
            stem = stem.strip_suffix(suf).unwrap_or(stem);
        }
        words.push(stem.to_string());
        words.extend(
            stem.split(['-', '_', '.'])
                .filter(|w| !w.is_empty())
                .map(str::to_string),
        );
    }
    words
}

fn container_for(x: &FsExport, containers: &[ContainerRecord]) -> Option<(usize, &'static str)> {
    let words = path_words(&x.source);
    // (a) name: a whole stem or one of its parts, or a stem that starts or
    // ends with the name at a separator (`my-app-export` ↔ `my-app`); the
    // longest such name wins.
    let sep = |c: Option<char>| c.map_or(true, |c| matches!(c, '-' | '_' | '.'));
    let names_it = |w: &str, name: &str| {
        w == name
            || (w.starts_with(name) && sep(w[name.len()..].chars().next()))
            || (w.ends_with(name) && sep(w[..w.len() - name.len()].chars().next_back()))
    };
    let mut best: Option<usize> = None;
    for (i, r) in containers.iter().enumerate() {
        let name = &r.c.name;
        if !name.is_empty()
            && words.iter().any(|w| names_it(w, name))
            && best.map_or(true, |b| containers[b].c.name.len() < name.len())
        {
            best = Some(i);
        }
    }
    if let Some(i) = best {
        return Some((i, "container-name"));
    }
    // (a) id: 12 to 64 hex digits in the path that prefix one container's id.
    for w in &words {
        if w.len() >= 12 && w.len() <= 64 && w.bytes().all(|b| b.is_ascii_hexdigit()) {
            let w = w.to_ascii_lowercase();
            let hits: Vec<usize> = containers
                .iter()
                .enumerate()
                .filter(|(_, r)| r.c.id.starts_with(&w))
                .map(|(i, _)| i)
                .collect();
            if hits.len() == 1 {
                return Some((hits[0], "container-id"));
            }
        }
    }
    // (b) hostname.
    if let Some(h) = &x.hostname {
        let hits: Vec<usize> = containers
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.c.hostname.is_empty() && r.c.hostname == *h)
            .map(|(i, _)| i)
            .collect();
        if hits.len() == 1 {
            return Some((hits[0], "hostname"));
        }
    }
    None
}

fn key(f: &FileEntry) -> (&str, u8, u64) {
    let k = match f.kind {
        EntryKind::Dir => 1,
        EntryKind::Symlink => 2,
        EntryKind::File | EntryKind::Hardlink => 3,
        _ => 4,
    };
    (f.path.as_str(), k, f.size)
}

/// The image whose final view is most like the export (Jaccard over
/// identical entries); ties go to the first image in input order.
fn closest_image(x: &FsExport, images: &[Image]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (k, img) in images.iter().enumerate() {
        if img.files.is_empty() {
            continue;
        }
        let same = identical_entries(&x.entries, &img.files);
        let union = x.entries.len() + img.files.len() - same;
        let score = same as f64 / union.max(1) as f64;
        if score >= MIN_SIMILARITY && best.map_or(true, |(_, s)| score > s) {
            best = Some((k, score));
        }
    }
    best.map(|(k, _)| k)
}

/// How many entries of `a` have an identical entry (path, kind, size) in
/// `b`. Both lists come sorted by path with one entry per path (an export's
/// entries, an image's final view), so a merge walk counts them; anything
/// else is counted through a set.
fn identical_entries(a: &[FileEntry], b: &[FileEntry]) -> usize {
    let strictly_sorted = |v: &[FileEntry]| v.windows(2).all(|w| w[0].path < w[1].path);
    if !(strictly_sorted(a) && strictly_sorted(b)) {
        let set: HashSet<(&str, u8, u64)> = a.iter().map(key).collect();
        return b.iter().filter(|f| set.contains(&key(f))).count();
    }
    let (mut i, mut j, mut same) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].path.cmp(&b[j].path) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                same += usize::from(key(&a[i]) == key(&b[j]));
                i += 1;
                j += 1;
            }
        }
    }
    same
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_entries_merge_walk_agrees_with_a_set() {
        let f = |path: &str, kind: EntryKind, size: u64| FileEntry {
            path: path.to_string(),
            size,
            mode: 0o644,
            kind,
            layer: 0,
        };
        let a = vec![
            f("/a", EntryKind::Dir, 0),
            f("/a/x", EntryKind::File, 3),
            f("/a/y", EntryKind::File, 4),
            f("/b", EntryKind::Symlink, 0),
            f("/c", EntryKind::File, 9),
        ];
        let b = vec![
            f("/a", EntryKind::Dir, 0),
            f("/a/x", EntryKind::File, 3),
            f("/a/y", EntryKind::File, 5),
            f("/b", EntryKind::File, 0),
            f("/d", EntryKind::File, 9),
        ];
        assert_eq!(identical_entries(&a, &b), 2);
        let mut shuffled = b.clone();
        shuffled.reverse();
        assert_eq!(
            identical_entries(&a, &shuffled),
            2,
            "unsorted input goes through the set"
        );
    }

    #[test]
    fn words_of_export_paths() {
        let w = path_words("/x/exports/pweb.tar.gz");
        assert!(w.contains(&"pweb".to_string()), "{w:?}");
        let w = path_words("bundle.tar!/exports/my-app_export.tar");
        assert!(w.contains(&"my-app_export".to_string()));
        assert!(w.contains(&"my".to_string()) && w.contains(&"export".to_string()));
    }

    fn rec(name: &str, id: &str) -> ContainerRecord {
        ContainerRecord {
            c: crate::ingest::inspect::Container {
                name: name.into(),
                id: id.into(),
                ..Default::default()
            },
            logs: None,
            events: Vec::new(),
            oom_kills: Vec::new(),
            segfaults: Vec::new(),
            matched_by: "inspect",
        }
    }

    #[test]
    fn export_names_container_by_name_or_id() {
        let id = "8662ec72cf214a21dadf67d950d1e839d0a75fe1a248facd8e5cf9df1c12b1fd";
        let cs = vec![rec("app", "1234"), rec("my-app", id), rec("web", "5678")];
        let x = |source: &str| FsExport {
            source: source.into(),
            ..Default::default()
        };
        assert_eq!(
            container_for(&x("e/my-app-export.tar"), &cs),
            Some((1, "container-name"))
        );
        assert_eq!(
            container_for(&x("e/app.tar.gz"), &cs),
            Some((0, "container-name"))
        );
        assert_eq!(container_for(&x("e/webserver.tar"), &cs), None);
        assert_eq!(
            container_for(&x("e/8662ec72cf21.tar"), &cs),
            Some((1, "container-id"))
        );
        let mut h = x("e/rootfs.tar");
        h.hostname = Some("web-host".into());
        assert_eq!(container_for(&h, &cs), None);
        let mut cs = cs;
        cs[2].c.hostname = "web-host".into();
        assert_eq!(container_for(&h, &cs), Some((2, "hostname")));
    }
}
