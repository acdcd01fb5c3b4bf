//! A container's own changes, read from its overlay2 upper layer
//! (`overlay2/<mount id>/diff`) as `docker diff` reports them, offline:
//! what it added, modified and deleted. On disk, overlayfs marks a deletion
//! with a character device (0:0) of the deleted name; in a layer tar it is a
//! `.wh.<name>` file and an opaque directory a `.wh..wh..opq` file. Both
//! forms are read. Whether a path is added or modified is decided against
//! the image's merged view, when the image is known.

use crate::archive::tar_index::EntryKind;
use crate::ingest::image::FileEntry;

/// What happened to one path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
    /// A directory made opaque: everything the image had under it is hidden.
    Replaced,
}

impl ChangeKind {
    /// The word the report uses (`docker diff`'s A, C, D; `replaced` for
    /// an opaque directory).
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Modified => "modified",
            ChangeKind::Deleted => "deleted",
            ChangeKind::Replaced => "replaced",
        }
    }
}

/// One path of a container's upper layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Absolute path inside the container.
    pub path: String,
    pub kind: ChangeKind,
    /// Bytes, for regular files.
    pub size: u64,
    /// Mode bits when known.
    pub mode: Option<u32>,
    /// What an SRE looks for: `tmp` (written under /tmp or /var/tmp),
    /// `app-dir` (under the working directory), `executable` (a new or
    /// changed file with an execute bit), `setuid` (setuid or setgid),
    /// `large` (a write of 10 MiB or more).
    pub flags: Vec<&'static str>,
}

/// A write at least this large is flagged `large`.
pub const LARGE_WRITE: u64 = 10 << 20;

/// One entry of the upper layer: path inside `diff` (no leading `/`), kind,
/// size, mode.
pub(crate) struct UpperEntry<'a> {
    pub rel: &'a str,
    pub kind: EntryKind,
    pub size: u64,
    pub mode: Option<u32>,
}

fn in_image(image: Option<&[FileEntry]>, path: &str) -> Option<bool> {
    image.map(|files| {
        files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .is_ok()
    })
}

fn under(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    !dir.is_empty()
        && path.len() > dir.len()
        && path.starts_with(dir)
        && path.as_bytes()[dir.len()] == b'/'
}

/// The changes of one upper layer. `image` is the image's merged view
/// (sorted by path) when known; `workdir` the container's working
/// directory. Directories are listed only when new (the parents of a
/// changed file are copied up by overlayfs and say nothing).
pub(crate) fn changes(
    entries: &[UpperEntry],
    image: Option<&[FileEntry]>,
    workdir: &str,
) -> Vec<Change> {
    let mut out = Vec::new();
    for e in entries {
        if e.rel.is_empty() {
            continue;
        }
        let (parent, name) = match e.rel.rfind('/') {
            Some(i) => (&e.rel[..i], &e.rel[i + 1..]),
            None => ("", e.rel),
        };
        let abs = |p: &str, n: &str| {
            if p.is_empty() {
                format!("/{n}")
            } else {
                format!("/{p}/{n}")
            }
        };
        if name == ".wh..wh..opq" {
            out.push(Change {
                path: if parent.is_empty() {
                    "/".to_string()
                } else {
                    format!("/{parent}")
                },
                kind: ChangeKind::Replaced,
                size: 0,
                mode: None,
                flags: Vec::new(),
            });
            continue;
        }
        if let Some(target) = name.strip_prefix(".wh.") {
            if target.is_empty() || target.starts_with(".wh.") {
                continue;
            }
            out.push(Change {
                path: abs(parent, target),
                kind: ChangeKind::Deleted,
                size: 0,
                mode: None,
                flags: Vec::new(),
            });
            continue;
        }
        let path = abs(parent, name);
        if e.kind == EntryKind::Other && e.size == 0 {
            // overlayfs's whiteout: a character device 0:0.
            out.push(Change {
                path,
                kind: ChangeKind::Deleted,
                size: 0,
                mode: None,
                flags: Vec::new(),
            });
            continue;
        }
        let known = in_image(image, &path);
        if e.kind == EntryKind::Dir && known != Some(false) {
            continue;
        }
        let kind = if known == Some(true) {
            ChangeKind::Modified
        } else {
            ChangeKind::Added
        };
        let mut flags = Vec::new();
        if under(&path, "/tmp") || under(&path, "/var/tmp") {
            flags.push("tmp");
        }
        if workdir != "/" && under(&path, workdir) {
            flags.push("app-dir");
        }
        let file = e.kind == EntryKind::File;
        if let Some(m) = e.mode {
            if file && m & 0o111 != 0 {
                flags.push("executable");
            }
            if file && m & 0o6000 != 0 {
                flags.push("setuid");
            }
        }
        if file && e.size >= LARGE_WRITE {
            flags.push("large");
        }
        out.push(Change {
            path,
            kind,
            size: if file { e.size } else { 0 },
            mode: e.mode,
            flags,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path).then(a.kind.cmp(&b.kind)));
    out.dedup_by(|a, b| a.path == b.path && a.kind == b.kind);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fe(path: &str, kind: EntryKind) -> FileEntry {
        FileEntry {
            path: path.to_string(),
            size: 1,
            mode: 0o644,
            kind,
            layer: 0,
        }
    }

    #[test]
    fn whiteouts_opaque_and_flags_like_docker_diff() {
        let image = vec![
            fe("/app", EntryKind::Dir),
            fe("/app/old.js", EntryKind::File),
            fe("/etc", EntryKind::Dir),
            fe("/etc/passwd", EntryKind::File),
            fe("/tmp", EntryKind::Dir),
        ];
        let e = |rel, kind, size, mode| UpperEntry {
            rel,
            kind,
            size,
            mode: Some(mode),
        };
        let entries = [
            e("etc", EntryKind::Dir, 0, 0o755),
            e("etc/passwd", EntryKind::File, 900, 0o644),
            e("app/old.js", EntryKind::Other, 0, 0),
            e("app/.wh.gone", EntryKind::File, 0, 0),
            e("tmp/x", EntryKind::File, 20 << 20, 0o4755),
            e("app/new", EntryKind::Dir, 0, 0o755),
            e("app/new/.wh..wh..opq", EntryKind::File, 0, 0),
            e("app/run.sh", EntryKind::File, 10, 0o755),
        ];
        let ch = changes(&entries, Some(&image), "/app");
        let view: Vec<(&str, &str, Vec<&str>)> = ch
            .iter()
            .map(|c| (c.path.as_str(), c.kind.as_str(), c.flags.clone()))
            .collect();
        assert_eq!(
            view,
            vec![
                ("/app/gone", "deleted", vec![]),
                ("/app/new", "added", vec!["app-dir"]),
                ("/app/new", "replaced", vec![]),
                ("/app/old.js", "deleted", vec![]),
                ("/app/run.sh", "added", vec!["app-dir", "executable"]),
                ("/etc/passwd", "modified", vec![]),
                (
                    "/tmp/x",
                    "added",
                    vec!["tmp", "executable", "setuid", "large"]
                ),
            ]
        );
        // Without the image, nothing can be called modified.
        let ch = changes(&entries, None, "/");
        assert!(ch.iter().all(|c| c.kind != ChangeKind::Modified));
    }
}
