//! From user paths to the sorted list of files to read: directories are
//! listed in name order, links to files followed, links to directories
//! not (they could loop).

use std::fs;
use std::path::{Path, PathBuf};

use crate::model::Diagnostic;

pub(super) fn display(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

pub(super) fn collect_files(p: &Path, files: &mut Vec<PathBuf>, diags: &mut Vec<Diagnostic>) {
    let meta = match fs::symlink_metadata(p) {
        Ok(m) => m,
        Err(e) => {
            diags.push(Diagnostic::error(
                display(p),
                format!("cannot read: {e}; hint: check the path and its permissions"),
            ));
            return;
        }
    };
    if meta.file_type().is_symlink() {
        // Follow links to files; links to directories could loop.
        match fs::metadata(p) {
            Ok(m) if m.is_file() => files.push(p.to_path_buf()),
            Ok(_) => diags.push(Diagnostic::warning(
                display(p),
                "symbolic link to a directory; not followed",
            )),
            Err(e) => diags.push(Diagnostic::warning(
                display(p),
                format!("dangling symbolic link: {e}"),
            )),
        }
    } else if meta.is_dir() {
        let mut children: Vec<PathBuf> = match fs::read_dir(p) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => {
                diags.push(Diagnostic::error(
                    display(p),
                    format!("cannot list directory: {e}"),
                ));
                return;
            }
        };
        children.sort();
        for c in children {
            collect_files(&c, files, diags);
        }
    } else if meta.is_file() {
        files.push(p.to_path_buf());
    }
}
