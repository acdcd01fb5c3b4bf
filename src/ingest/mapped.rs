//! One input file read through a read-only mapping: large json-file logs
//! through windows unmapped as they go, anything else mapped whole with a
//! release hook that drops pages once read and reports the furthest byte
//! released as progress.

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use super::dispatch::{
    docker_logs_input, ingest_bytes, ingest_bytes_releasing, is_log_head, log_input,
};
use super::progress::Tracker;
use super::walk::display;
use super::{detect, docker_logs, json_log, podman, Ingested, InputRecord};
use crate::archive::compress::Compression;
use crate::archive::tar_index;
use crate::model::{ArtifactKind, Diagnostic, Limits};

pub(super) fn ingest_file(path: &Path, limits: &Limits, tracker: Option<&Tracker>) -> Ingested {
    let name = display(path);
    let sent = AtomicU64::new(0);
    let out = ingest_file_inner(path, &name, limits, &|n| {
        sent.fetch_add(n, AtomicOrdering::Relaxed);
        if let Some(t) = tracker {
            t.advance(&name, n);
        }
    });
    if let Some(t) = tracker {
        let len = fs::metadata(path).map_or(0, |m| m.len());
        let sent = sent.load(AtomicOrdering::Relaxed);
        if len > sent {
            t.advance(&name, len - sent);
        }
    }
    out
}

fn ingest_file_inner(
    path: &Path,
    name: &str,
    limits: &Limits,
    progress: &(dyn Fn(u64) + Sync),
) -> Ingested {
    let name = name.to_string();
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            let mut out = Ingested::default();
            out.diagnostics
                .push(Diagnostic::error(&name, format!("cannot open: {e}")));
            out.inputs.push(InputRecord {
                path: name,
                kind: ArtifactKind::Unknown,
                bytes: 0,
            });
            return out;
        }
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len == 0 {
        return ingest_bytes(&name, &[], 0, len, limits);
    }
    // SAFETY: the mapping is read-only; coroner's inputs are collected
    // artifacts, not files another process is expected to truncate while we
    // read. A concurrent truncation would be a SIGBUS, which is documented.
    match unsafe { memmap2::Mmap::map(&file) } {
        Ok(map) => {
            if is_log_head(&map[..map.len().min(64 * 1024)]) {
                // A whole-file mapping would count every page read toward
                // RSS: read large logs through windows unmapped as we go.
                drop(map);
                if let Ok(log) =
                    json_log::parse_file(&name, &file, limits, json_log::CHUNK_BYTES, &mut |n| {
                        progress(n)
                    })
                {
                    return log_input(&name, len, log);
                }
                // SAFETY: as above.
                return match unsafe { memmap2::Mmap::map(&file) } {
                    Ok(map) => ingest_mapped(&name, &map, len, limits, &|_| {}),
                    Err(e) => unmappable(&name, len, e),
                };
            }
            let head = &map[..map.len().min(64 * 1024)];
            let text =
                Compression::sniff(head) == Compression::None && !tar_index::looks_like_tar(head);
            if text && detect::is_k8s_file(&name, head, len) {
                // Like a json-file log: windows, never the whole file.
                drop(map);
                if let Ok(mut log) = podman::k8s_file::parse_file(
                    &name,
                    &file,
                    limits,
                    json_log::CHUNK_BYTES,
                    &mut |n| progress(n),
                ) {
                    let mut out = Ingested::default();
                    out.inputs.push(InputRecord {
                        path: name.clone(),
                        kind: ArtifactKind::K8sFileLog,
                        bytes: len,
                    });
                    out.diagnostics.extend(std::mem::take(&mut log.diagnostics));
                    out.items.push(super::Parsed::Log(log));
                    return out;
                }
                // SAFETY: as above.
                return match unsafe { memmap2::Mmap::map(&file) } {
                    Ok(map) => ingest_mapped(&name, &map, len, limits, &|_| {}),
                    Err(e) => unmappable(&name, len, e),
                };
            }
            if let Some(shape) = text
                .then(|| detect::docker_logs_shape(&name, head, len))
                .flatten()
            {
                // Like a json-file log: windows, never the whole file.
                drop(map);
                if let Ok(d) = docker_logs::parse_file(
                    &name,
                    &file,
                    shape,
                    limits,
                    json_log::CHUNK_BYTES,
                    &mut |n| progress(n),
                ) {
                    return docker_logs_input(&name, len, d);
                }
                // SAFETY: as above.
                return match unsafe { memmap2::Mmap::map(&file) } {
                    Ok(map) => ingest_mapped(&name, &map, len, limits, &|_| {}),
                    Err(e) => unmappable(&name, len, e),
                };
            }
            ingest_mapped(&name, &map, len, limits, progress)
        }
        Err(e) => unmappable(&name, len, e),
    }
}

/// Ingests a mapped file, letting the kernel drop mapped pages once a layer
/// or bundle member has been read: resident pages of a mapping count toward
/// RSS, and each is needed once. The furthest byte released so far is the
/// progress reported (walks release as they go, so a large archive, plain
/// or compressed, shows progress before it is done).
fn ingest_mapped(
    name: &str,
    map: &memmap2::Mmap,
    len: u64,
    limits: &Limits,
    progress: &(dyn Fn(u64) + Sync),
) -> Ingested {
    const PAGE: usize = 4096;
    let base = map.as_ptr() as usize;
    let reached = AtomicU64::new(0);
    let release = |s: &[u8]| {
        let start = s.as_ptr() as usize;
        // Only slices of this mapping, never memory of a decompressed copy.
        if s.is_empty() || start < base || start + s.len() > base + map.len() {
            return;
        }
        let end = (start - base + s.len()) as u64;
        let before = reached.fetch_max(end, AtomicOrdering::Relaxed);
        if end > before {
            progress(end - before);
        }
        let from = (start - base).div_ceil(PAGE) * PAGE;
        let to = (start - base + s.len()) / PAGE * PAGE;
        if to > from {
            // SAFETY: the mapping is a read-only file mapping never written
            // through: dropped pages are read again from the file on the next
            // access, so every slice of it keeps its bytes.
            let _ = unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from, to - from)
            };
        }
    };
    ingest_bytes_releasing(name, map, 0, len, limits, &release)
}

fn unmappable(name: &str, len: u64, e: std::io::Error) -> Ingested {
    let mut out = Ingested::default();
    out.diagnostics
        .push(Diagnostic::error(name, format!("cannot map file: {e}")));
    out.inputs.push(InputRecord {
        path: name.to_string(),
        kind: ArtifactKind::Unknown,
        bytes: len,
    });
    out
}
