//! `docker export` tarballs: a container's merged filesystem, recognised by
//! `.dockerenv` and the init-layer files, and its drift from the image.

use std::collections::{HashMap, HashSet};

use crate::archive::tar_index::{self, normalize, EntryKind, TarIndex};
use crate::ingest::image::{self, FileEntry, Image, PathSize};
use crate::model::Diagnostic;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FsExport {
    pub source: String,
    pub files: u64,
    pub size_bytes: u64,
    pub largest_files: Vec<PathSize>,
    pub largest_dirs: Vec<PathSize>,
    pub setuid: Vec<String>,
    pub world_writable: Vec<String>,
    /// Content of `etc/hostname`, trimmed, when it is a small non-empty
    /// file (`docker export` usually leaves it empty).
    pub hostname: Option<String>,
    /// Every entry of the export, sorted by path (paths start with `/`);
    /// `layer` is always 0.
    pub entries: Vec<FileEntry>,
}

/// Paths the runtime's init layer adds to every container (plus the
/// pseudo-filesystems' mount points); they say nothing about the workload.
fn is_init_path(p: &str) -> bool {
    let p = normalize(p);
    matches!(
        p,
        ".dockerenv"
            | "etc/hostname"
            | "etc/hosts"
            | "etc/resolv.conf"
            | "etc/mtab"
            | "dev"
            | "proc"
            | "sys"
    ) || p.starts_with("dev/")
        || p.starts_with("proc/")
        || p.starts_with("sys/")
}

/// True when the entries have the shape of a container filesystem export
/// (`.dockerenv`, or the init layer's empty files and `dev`). Image archives
/// are told apart first: callers ask `image::is_image_archive` before this,
/// so neither walk runs twice.
pub fn has_export_shape(index: &TarIndex) -> bool {
    // The last entry of each name wins, as extraction would; only five
    // names matter, so no map of the whole archive.
    const NAMES: [&str; 5] = [
        ".dockerenv",
        "etc/hostname",
        "etc/hosts",
        "etc/resolv.conf",
        "dev",
    ];
    let mut by: [Option<(EntryKind, u64)>; 5] = [None; 5];
    for e in &index.entries {
        let n = normalize(&e.path);
        if let Some(i) = NAMES.iter().position(|&k| k == n) {
            by[i] = Some((e.kind, e.size));
        }
    }
    if by[0].is_some_and(|(k, _)| k == EntryKind::File) {
        return true;
    }
    let empty_file = |i: usize| by[i].is_some_and(|(k, s)| k == EntryKind::File && s == 0);
    empty_file(1) && empty_file(2) && empty_file(3) && by[4].is_some()
}

/// True when one entry, seen early in a streamed archive, makes an export
/// likely (`.dockerenv`, `dev`, `etc/hostname`). Only a hint; the full
/// index decides ([`has_export_shape`]).
pub fn suggests_export(name: &str) -> bool {
    matches!(normalize(name), ".dockerenv" | "dev" | "etc/hostname")
}

pub fn analyze(source: &str, index: &TarIndex) -> (FsExport, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut unsafe_names = 0usize;
    // Later duplicates win, as extraction would: sort by name then by
    // position, keep the last of each name.
    let mut named: Vec<(&str, usize)> = Vec::with_capacity(index.entries.len());
    for (i, e) in index.entries.iter().enumerate() {
        if tar_index::is_unsafe_name(&e.path) && !normalize(&e.path).is_empty() {
            unsafe_names += 1;
            if unsafe_names <= 20 {
                diags.push(Diagnostic::warning(
                    format!("{source}!/{}", e.path),
                    format!(
                        "entry {:?} would escape the root if extracted (absolute, `..` or backslash); kept verbatim, never extracted",
                        e.path
                    ),
                ));
            }
        }
        let p = normalize(&e.path);
        if !(p.is_empty() || p == ".") {
            named.push((p, i));
        }
    }
    named.sort_unstable();
    let mut entries: Vec<FileEntry> = Vec::with_capacity(named.len());
    for (j, &(p, i)) in named.iter().enumerate() {
        if named.get(j + 1).is_some_and(|next| next.0 == p) {
            continue;
        }
        let e = &index.entries[i];
        entries.push(FileEntry {
            path: format!("/{p}"),
            size: if e.kind == EntryKind::File { e.size } else { 0 },
            mode: e.mode,
            kind: e.kind,
            layer: 0,
        });
    }
    if unsafe_names > 20 {
        diags.push(Diagnostic::warning(
            source,
            format!("{} more entries with unsafe names", unsafe_names - 20),
        ));
    }
    let regular = || entries.iter().filter(|f| f.kind == EntryKind::File);
    let out = FsExport {
        source: source.to_string(),
        files: regular().count() as u64,
        size_bytes: regular().map(|f| f.size).sum(),
        largest_files: image::largest_files(&entries, 20),
        largest_dirs: image::largest_dirs(&entries, 10),
        setuid: regular()
            .filter(|f| f.mode & 0o6000 != 0)
            .map(|f| f.path.clone())
            .collect(),
        world_writable: regular()
            .filter(|f| f.mode & 0o002 != 0)
            .map(|f| f.path.clone())
            .collect(),
        entries,
        hostname: None,
    };
    (out, diags)
}

/// The export's `etc/hostname`, trimmed, if it is a non-empty regular file
/// of at most 255 bytes; `data` is the uncompressed archive `index` indexes.
pub fn hostname(data: &[u8], index: &TarIndex) -> Option<String> {
    let e = index
        .entries
        .iter()
        .rev()
        .find(|e| normalize(&e.path) == "etc/hostname")?;
    if !hostname_sized(e) {
        return None;
    }
    hostname_of(tar_index::body(data, e))
}

/// An `etc/hostname` entry small enough to be read as a hostname.
pub fn hostname_sized(e: &tar_index::TarEntry) -> bool {
    e.kind == EntryKind::File && e.size > 0 && e.size <= 255
}

/// The trimmed content of `etc/hostname`, if not empty.
pub fn hostname_of(body: &[u8]) -> Option<String> {
    let h = String::from_utf8_lossy(body).trim().to_string();
    (!h.is_empty()).then_some(h)
}

/// How a container's filesystem differs from its image's final view.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drift {
    /// In the export, not in the image (size as exported).
    pub added: Vec<PathSize>,
    /// Same path, different size, type or mode (size as exported).
    pub changed: Vec<PathSize>,
    /// In the image, gone from the export (size in the image).
    pub deleted: Vec<PathSize>,
}

/// Compares an image's final view with a container export of it, ignoring
/// the init-layer files (`.dockerenv`, `etc/hostname`, `etc/hosts`,
/// `etc/resolv.conf`, `etc/mtab`, `dev/*`, `proc`, `sys`). Each list is
/// sorted by path.
pub fn drift(image: &Image, export: &FsExport) -> Drift {
    let img: HashMap<&str, &FileEntry> = image
        .files
        .iter()
        .filter(|f| !is_init_path(&f.path))
        .map(|f| (f.path.as_str(), f))
        .collect();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut d = Drift::default();
    for f in export.entries.iter().filter(|f| !is_init_path(&f.path)) {
        seen.insert(f.path.as_str());
        let ps = PathSize {
            path: f.path.clone(),
            size: f.size,
        };
        match img.get(f.path.as_str()) {
            None => d.added.push(ps),
            Some(i) => {
                // Hardlinks export as links or files depending on order; a
                // link and a file of the same path are the same content.
                let same_kind = i.kind == f.kind
                    || matches!(
                        (i.kind, f.kind),
                        (EntryKind::File, EntryKind::Hardlink)
                            | (EntryKind::Hardlink, EntryKind::File)
                    );
                let size_differs = i.kind == f.kind && i.size != f.size;
                if !same_kind || size_differs || (i.mode & 0o7777) != (f.mode & 0o7777) {
                    d.changed.push(ps);
                }
            }
        }
    }
    for f in image.files.iter().filter(|f| !is_init_path(&f.path)) {
        if !seen.contains(f.path.as_str()) {
            d.deleted.push(PathSize {
                path: f.path.clone(),
                size: f.size,
            });
        }
    }
    d.added.sort();
    d.changed.sort();
    d.deleted.sort();
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::tar_index::{TarEntry, TarIndex};

    fn entry(path: &str, kind: EntryKind, size: u64, mode: u32) -> TarEntry {
        TarEntry {
            path: path.to_string(),
            kind,
            size,
            mode,
            uid: 0,
            gid: 0,
            link: None,
            data_offset: 0,
        }
    }

    fn fe(path: &str, kind: EntryKind, size: u64, mode: u32) -> FileEntry {
        FileEntry {
            path: path.to_string(),
            size,
            mode,
            kind,
            layer: 0,
        }
    }

    #[test]
    fn recognises_exports_and_flags_modes() {
        use EntryKind::*;
        let idx = TarIndex {
            entries: vec![
                entry(".dockerenv", File, 0, 0o755),
                entry("dev/", Dir, 0, 0o755),
                entry("etc/hostname", File, 0, 0o755),
                entry("usr/bin/su", File, 100, 0o4755),
                entry("tmp/drop", File, 5, 0o666),
                entry("tmp/link", Symlink, 0, 0o777),
                entry("../evil", File, 1, 0o644),
            ],
            error: None,
        };
        assert!(has_export_shape(&idx));
        let (e, diags) = analyze("x.tar", &idx);
        assert_eq!(e.files, 5);
        assert_eq!(e.size_bytes, 106);
        assert_eq!(e.setuid, vec!["/usr/bin/su"]);
        assert_eq!(e.world_writable, vec!["/tmp/drop"]);
        assert_eq!(diags.len(), 1);
        assert!(diags[0].message.contains("../evil"));
    }

    #[test]
    fn drift_lists_added_changed_deleted_and_ignores_init_files() {
        use EntryKind::*;
        let img = Image {
            files: vec![
                fe("/app", Dir, 0, 0o755),
                fe("/app/a", File, 10, 0o644),
                fe("/app/b", File, 10, 0o644),
                fe("/app/c", File, 10, 0o644),
                fe("/app/d", File, 10, 0o644),
                fe("/etc/hosts", File, 5, 0o644),
            ],
            ..Default::default()
        };
        let export = FsExport {
            entries: vec![
                fe("/.dockerenv", File, 0, 0o755),
                fe("/app", Dir, 0, 0o755),
                fe("/app/a", File, 10, 0o644),
                fe("/app/b", File, 11, 0o644),
                fe("/app/c", File, 10, 0o755),
                fe("/app/new", File, 3, 0o644),
                fe("/dev/console", File, 0, 0o755),
                fe("/etc/hosts", File, 0, 0o755),
            ],
            ..Default::default()
        };
        let d = drift(&img, &export);
        let paths = |v: &[PathSize]| v.iter().map(|p| p.path.clone()).collect::<Vec<_>>();
        assert_eq!(paths(&d.added), vec!["/app/new"]);
        assert_eq!(paths(&d.changed), vec!["/app/b", "/app/c"]);
        assert_eq!(paths(&d.deleted), vec!["/app/d"]);
    }
}
