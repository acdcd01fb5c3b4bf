//! An image layout stored as a directory (an OCI image layout with
//! `oci-layout`, `index.json` and `blobs/`, or an extracted `docker save`),
//! read exactly as its tar form: the directory's files are laid end to end as a tar stream
//! (headers made here, bodies read from the files as the walk asks for
//! them) and walked by the streaming image reader. Nothing is written;
//! each blob is read once, as it streams.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::stream::ingest_tar_reader;
use super::walk::display;
use super::{Ingested, InputRecord};
use crate::model::{ArtifactKind, Diagnostic, Limits};

/// The directory as a tar stream.
struct DirTar {
    files: Vec<(String, PathBuf, u64)>,
    next: usize,
    buf: Vec<u8>,
    at: usize,
    body: Option<(Option<fs::File>, u64)>,
    pad: usize,
    ended: bool,
    errors: Vec<Diagnostic>,
}

impl Read for DirTar {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.at < self.buf.len() {
                let n = out.len().min(self.buf.len() - self.at);
                out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
                self.at += n;
                return Ok(n);
            }
            if let Some((file, left)) = &mut self.body {
                if *left > 0 {
                    let want = out.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                    let n = match file {
                        Some(f) => f.read(&mut out[..want])?,
                        None => 0,
                    };
                    // A file that shrank (or failed to open) reads as zeros
                    // up to the size its header promised.
                    let n = if n == 0 {
                        out[..want].fill(0);
                        want
                    } else {
                        n
                    };
                    *left -= n as u64;
                    return Ok(n);
                }
                self.body = None;
                self.buf = vec![0; self.pad];
                self.at = 0;
                continue;
            }
            if let Some((name, path, size)) = self.files.get(self.next) {
                self.next += 1;
                let mut h = tar::Header::new_gnu();
                if h.set_path(name).is_err() {
                    self.errors.push(Diagnostic::warning(
                        display(path),
                        "name too long for the image layout reader; skipped",
                    ));
                    continue;
                }
                h.set_size(*size);
                h.set_mode(0o644);
                h.set_entry_type(tar::EntryType::Regular);
                h.set_cksum();
                self.buf = h.as_bytes().to_vec();
                self.at = 0;
                let file = match fs::File::open(path) {
                    Ok(f) => Some(f),
                    Err(e) => {
                        self.errors.push(Diagnostic::error(
                            display(path),
                            format!("cannot open: {e}"),
                        ));
                        None
                    }
                };
                self.body = Some((file, *size));
                self.pad = ((512 - (*size % 512)) % 512) as usize;
                continue;
            }
            if !self.ended {
                self.ended = true;
                self.buf = vec![0; 1024];
                self.at = 0;
                continue;
            }
            return Ok(0);
        }
    }
}

/// Files under `dir` (relative names, sorted); links followed only to files
/// inside `dir`, others named in a diagnostic.
fn list(
    dir: &Path,
    root: &Path,
    rel: &str,
    out: &mut Vec<(String, PathBuf, u64)>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut children: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            diags.push(Diagnostic::error(
                display(dir),
                format!("cannot list directory: {e}"),
            ));
            return;
        }
    };
    children.sort();
    for c in children {
        let name = c
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let rel_name = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let Ok(lmeta) = fs::symlink_metadata(&c) else {
            continue;
        };
        if lmeta.file_type().is_symlink() {
            match fs::canonicalize(&c) {
                Ok(r) if r.starts_with(root) => {}
                Ok(r) => {
                    diags.push(Diagnostic::warning(
                        display(&c),
                        format!("symbolic link resolves to {:?}, outside the input {:?}; not followed (evidence stays inside the evidence)", display(&r), display(root)),
                    ));
                    continue;
                }
                Err(e) => {
                    diags.push(Diagnostic::warning(
                        display(&c),
                        format!("dangling symbolic link: {e}"),
                    ));
                    continue;
                }
            }
            match fs::metadata(&c) {
                Ok(m) if m.is_file() => out.push((rel_name, c, m.len())),
                _ => {}
            }
        } else if lmeta.is_dir() {
            list(&c, root, &rel_name, out, diags);
        } else if lmeta.is_file() {
            out.push((rel_name, c, lmeta.len()));
        }
    }
}

/// Reads an image layout directory as one image archive.
pub(super) fn ingest_layout_dir(dir: &Path, limits: &Limits) -> Ingested {
    let name = display(dir);
    let root = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut diags = Vec::new();
    let mut files = Vec::new();
    list(dir, &root, "", &mut files, &mut diags);
    let bytes = files.iter().map(|f| f.2).sum();
    let mut reader = DirTar {
        files,
        next: 0,
        buf: Vec::new(),
        at: 0,
        body: None,
        pad: 0,
        ended: false,
        errors: Vec::new(),
    };
    let mut out = match ingest_tar_reader(&name, &mut reader, 1, bytes, limits) {
        Ok(out) => out,
        Err(e) => {
            let mut out = Ingested::default();
            out.inputs.push(InputRecord {
                path: name.clone(),
                kind: ArtifactKind::Unknown,
                bytes,
            });
            out.diagnostics.push(Diagnostic::error(
                &name,
                format!("cannot read the image layout: {e}"),
            ));
            out
        }
    };
    out.diagnostics.extend(diags);
    out.diagnostics.append(&mut reader.errors);
    out
}
