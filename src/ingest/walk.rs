//! From user paths to the sorted list of files to read: directories are
//! listed in name order, links to files followed, links to directories
//! not (they could loop).
//!
//! Evidence stays inside the evidence: inside a directory given on the
//! command line, a link whose target resolves outside that directory is
//! never followed (on a suspect disk mounted for analysis, an absolute link
//! would resolve into the analyst's own host); it gets one diagnostic
//! naming the link and its target. A path given on the command line is
//! read as given, link or not.
//!
//! Two kinds of directory are not read file by file: a data root's volume
//! data and container upper layers (`volumes/<name>/_data`,
//! `overlay2/<id>/diff`) are listed from metadata, their bodies never read
//! (see [`super::data_root`]); an image layout directory (an OCI layout or
//! an extracted `docker save`) is read whole as one image archive.

use std::fs;
use std::path::{Path, PathBuf};

use super::data_root::{self, Piece};
use crate::model::Diagnostic;

pub(super) fn display(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// What the walk found.
#[derive(Default)]
pub(super) struct Walked {
    pub files: Vec<PathBuf>,
    /// Directories holding an image layout, read as one archive each.
    pub layouts: Vec<PathBuf>,
    /// Data-root entries listed from metadata.
    pub pieces: Vec<Piece>,
    pub diags: Vec<Diagnostic>,
    /// Per data root met: its containers' layer ids.
    mounts: std::collections::BTreeMap<String, Vec<String>>,
}

/// Walks one path given on the command line.
pub(super) fn collect(p: &Path, out: &mut Walked) {
    let meta = match fs::metadata(p) {
        Ok(m) => m,
        Err(e) => {
            let how = if fs::symlink_metadata(p).is_ok() {
                format!("dangling symbolic link: {e}")
            } else {
                format!("cannot read: {e}; hint: check the path and its permissions")
            };
            out.diags.push(Diagnostic::error(display(p), how));
            return;
        }
    };
    if meta.is_dir() {
        // The root the evidence must stay inside: the directory as given,
        // its links resolved.
        let root = fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        walk_dir(p, &root, out);
    } else if meta.is_file() {
        out.files.push(p.to_path_buf());
    }
}

/// True when `p` holds an image layout: `oci-layout` with `index.json`
/// and `blobs/`, or a `docker save` `manifest.json` beside layer
/// directories or `blobs/`.
fn is_layout_dir(p: &Path) -> bool {
    let has = |n: &str| fs::symlink_metadata(p.join(n)).is_ok();
    let dir = |n: &str| fs::symlink_metadata(p.join(n)).is_ok_and(|m| m.is_dir());
    if has("oci-layout") && has("index.json") && dir("blobs") {
        return true;
    }
    if !fs::symlink_metadata(p.join("manifest.json")).is_ok_and(|m| m.is_file()) {
        return false;
    }
    if dir("blobs") {
        return true;
    }
    fs::read_dir(p).is_ok_and(|rd| {
        rd.filter_map(Result::ok).any(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            data_root::hex64(&n) && e.path().join("layer.tar").exists()
        })
    })
}

fn walk_dir(p: &Path, root: &Path, out: &mut Walked) {
    if is_layout_dir(p) {
        out.layouts.push(p.to_path_buf());
        return;
    }
    let role = data_root::dir_role(&display(p));
    if let data_root::DirRole::Skipped = role {
        return;
    }
    if let data_root::DirRole::Listed { upper } = role {
        if let Some((droot, id)) = upper {
            // An image layer's directory (not a container's): its files
            // are the image's, known from tar-split; not read.
            let mounts = out
                .mounts
                .entry(droot.clone())
                .or_insert_with(|| data_root::container_mounts(Path::new(&droot)));
            if mounts.binary_search(&id).is_err() {
                return;
            }
        }
        list_metadata(p, root, out);
        return;
    }
    let mut children: Vec<PathBuf> = match fs::read_dir(p) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            out.diags.push(Diagnostic::error(
                display(p),
                format!("cannot list directory: {e}"),
            ));
            return;
        }
    };
    children.sort();
    for c in children {
        let meta = match fs::symlink_metadata(&c) {
            Ok(m) => m,
            Err(e) => {
                out.diags
                    .push(Diagnostic::error(display(&c), format!("cannot read: {e}")));
                continue;
            }
        };
        if meta.file_type().is_symlink() {
            if data_root::bookkeeping_link(&display(&c)) {
                continue;
            }
            follow_link(&c, root, out);
        } else if meta.is_dir() {
            walk_dir(&c, root, out);
        } else if meta.is_file() {
            out.files.push(c);
        }
    }
}

/// A link met inside a directory: followed only to a file inside `root`.
fn follow_link(c: &Path, root: &Path, out: &mut Walked) {
    let target = fs::read_link(c)
        .map(|t| display(&t))
        .unwrap_or_else(|_| "?".to_string());
    let resolved = match fs::canonicalize(c) {
        Ok(r) => r,
        Err(e) => {
            out.diags.push(Diagnostic::warning(
                display(c),
                format!("dangling symbolic link to {target:?}: {e}"),
            ));
            return;
        }
    };
    if !resolved.starts_with(root) {
        out.diags.push(Diagnostic::warning(
            display(c),
            format!(
                "symbolic link to {target:?} resolves to {:?}, outside the input {:?}; not followed (evidence stays inside the evidence)",
                display(&resolved),
                display(root)
            ),
        ));
        return;
    }
    match fs::metadata(c) {
        Ok(m) if m.is_file() => out.files.push(c.to_path_buf()),
        Ok(_) => out.diags.push(Diagnostic::warning(
            display(c),
            "symbolic link to a directory; not followed",
        )),
        Err(e) => out.diags.push(Diagnostic::warning(
            display(c),
            format!("dangling symbolic link: {e}"),
        )),
    }
}

/// Lists a volume's data or a container's upper layer from metadata: every
/// entry (links and device files included, as they are) becomes a piece;
/// nothing is opened and no link is followed.
fn list_metadata(p: &Path, root: &Path, out: &mut Walked) {
    let mut stack = vec![p.to_path_buf()];
    while let Some(d) = stack.pop() {
        let meta = match fs::symlink_metadata(&d) {
            Ok(m) => m,
            Err(e) => {
                out.diags
                    .push(Diagnostic::error(display(&d), format!("cannot read: {e}")));
                continue;
            }
        };
        if let Some(piece) = data_root::piece_from_metadata(&display(&d), &meta) {
            out.pieces.push(piece);
        }
        if meta.is_dir() {
            let mut children: Vec<PathBuf> = match fs::read_dir(&d) {
                Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
                Err(e) => {
                    out.diags.push(Diagnostic::error(
                        display(&d),
                        format!("cannot list directory: {e}"),
                    ));
                    continue;
                }
            };
            children.sort();
            stack.extend(children.into_iter().rev());
        }
    }
    let _ = root;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_out_of_the_input_is_named_and_not_followed() {
        let base = std::env::temp_dir().join(format!("coroner-walk-{}", std::process::id()));
        let inside = base.join("evidence");
        let outside = base.join("host");
        fs::create_dir_all(inside.join("sub")).unwrap();
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("secret.txt"), "host file").unwrap();
        fs::write(inside.join("sub/real.txt"), "inside").unwrap();
        std::os::unix::fs::symlink(outside.join("secret.txt"), inside.join("abs")).unwrap();
        std::os::unix::fs::symlink("../../host/secret.txt", inside.join("sub/rel")).unwrap();
        std::os::unix::fs::symlink("real.txt", inside.join("sub/ok")).unwrap();
        let mut w = Walked::default();
        collect(&inside, &mut w);
        let names: Vec<String> = w.files.iter().map(|f| display(f)).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names
            .iter()
            .all(|n| !n.ends_with("abs") && !n.ends_with("rel")));
        assert_eq!(w.diags.len(), 2, "{:?}", w.diags);
        assert!(w
            .diags
            .iter()
            .all(|d| d.message.contains("outside the input") && d.message.contains("secret.txt")));
        // Given on the command line, a link is read as given.
        let mut w = Walked::default();
        collect(&inside.join("abs"), &mut w);
        assert_eq!(w.files.len(), 1);
        fs::remove_dir_all(&base).unwrap();
    }
}
