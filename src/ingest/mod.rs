//! From user paths to parsed artifacts. Every file is identified by its
//! bytes (compression magic, tar headers, JSON shape, kernel line shapes),
//! never by its name; archives are opened in memory and their members
//! identified the same way, recursively up to a nesting limit.
//!
//! Invariant: nothing here writes to disk, and a damaged input becomes a
//! diagnostic while the walk goes on with the rest.
//!
//! The concerns live one per module: [`walk`] turns paths into sorted
//! files, [`progress`] sums what was read, [`mapped`] maps a file and lets
//! its pages go, [`dispatch`] identifies bytes and sends them to their
//! reader, [`bundle`] opens a tar held in memory, and [`stream`] reads a
//! compressed tar (or one nested in it) once, as it streams.

pub mod compose_logs;
pub mod data_root;
pub mod detect;
pub mod docker_logs;
pub mod events;
pub mod events_text;
pub mod fs_export;
pub mod host;
pub mod host_text;
pub mod image;
pub mod inspect;
pub mod journal;
pub mod json_log;
pub mod kernel;
pub mod podman;
pub mod tables;

mod bundle;
mod decode;
mod dispatch;
mod layout_dir;
mod mapped;
mod progress;
mod quiet;
mod stream;
mod walk;
mod zip_bundle;

use std::fs;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Mutex;

use rayon::prelude::*;

use crate::model::{ArtifactKind, Diagnostic, Limits};
use crate::Progress;

pub use dispatch::ingest_bytes;
use progress::Tracker;
pub use quiet::{fold_not_relevant, NotRelevant};

/// One input as the report lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputRecord {
    pub path: String,
    pub kind: ArtifactKind,
    pub bytes: u64,
}

/// What one artifact turned into.
#[derive(Debug)]
pub enum Parsed {
    Inspect(inspect::InspectFile),
    Log(json_log::LogFile),
    /// `docker logs` text output (stream unknown).
    DockerLogs(docker_logs::DockerLogs),
    /// Kernel logs are parsed once the whole input is known (syslog stamps
    /// need a year from elsewhere), so their text is kept.
    KernelText {
        path: String,
        text: Vec<u8>,
    },
    Events(events::EventLog),
    Images(Vec<image::Image>),
    Export(fs_export::FsExport),
    Host(host::HostFact),
    /// dockerd's journal (`journalctl -u docker`), its typed lines.
    Journal(journal::DaemonLog),
    /// `docker compose logs` output, split per container (stream unknown).
    ComposeLogs(compose_logs::ComposeLogs),
    /// One file or entry of a Docker data root, as met; [`ingest`] puts
    /// them together into containers, images and a [`Parsed::DataRoot`].
    DataRootPiece(Box<data_root::Piece>),
    /// A data root's own facts: each container's changes, the volumes.
    DataRoot(data_root::DataRoot),
    /// libpod's storage JSON (`containers.json`, `images.json`); [`ingest`]
    /// attaches it to the inspect containers by id.
    PodmanStorage(podman::storage::Storage),
}

#[derive(Debug, Default)]
pub struct Ingested {
    pub inputs: Vec<InputRecord>,
    pub diagnostics: Vec<Diagnostic>,
    pub items: Vec<Parsed>,
    /// Folders of files read that are not evidence (see `quiet`).
    pub not_relevant: Vec<NotRelevant>,
}

impl Ingested {
    pub(crate) fn absorb(&mut self, other: Ingested) {
        self.inputs.extend(other.inputs);
        self.diagnostics.extend(other.diagnostics);
        self.items.extend(other.items);
        self.not_relevant.extend(other.not_relevant);
    }
}

/// Reads every path (files, directories, archives) and identifies and parses
/// what it holds. Runs on the current rayon pool; output order follows the
/// sorted paths, whatever the thread count.
pub fn ingest(paths: &[PathBuf], limits: &Limits) -> Ingested {
    ingest_with_progress(paths, limits, None)
}

/// [`ingest`], telling `progress` how many bytes of the input files have
/// been read (per file, and per window inside large json-file logs).
pub fn ingest_with_progress(
    paths: &[PathBuf],
    limits: &Limits,
    progress: Option<&Progress>,
) -> Ingested {
    let mut out = Ingested::default();
    let mut walked = walk::Walked::default();
    for p in paths {
        walk::collect(p, &mut walked);
    }
    out.diagnostics.append(&mut walked.diags);
    let mut files = walked.files;
    files.sort();
    files.dedup();
    walked.layouts.sort();
    walked.layouts.dedup();
    let tracker = progress.map(|hook| Tracker {
        hook,
        total: files
            .iter()
            .map(|f| fs::metadata(f).map_or(0, |m| m.len()))
            .sum(),
        done: Mutex::new(0),
    });
    if let Some(t) = &tracker {
        t.advance("", 0);
    }
    let parts: Vec<Ingested> = files
        .par_iter()
        .map(|f| mapped::ingest_file(f, limits, tracker.as_ref()))
        .collect();
    for p in parts {
        out.absorb(p);
    }
    let layouts: Vec<Ingested> = walked
        .layouts
        .par_iter()
        .map(|d| layout_dir::ingest_layout_dir(d, limits))
        .collect();
    for p in layouts {
        out.absorb(p);
    }
    out.items.extend(
        walked
            .pieces
            .into_iter()
            .map(|p| Parsed::DataRootPiece(Box::new(p))),
    );
    data_root::assemble(&mut out, limits);
    podman::storage::attach(&mut out.items);
    out
}

/// Reads until `buf` is full or the reader ends; the bytes read.
pub(crate) fn read_full(r: &mut dyn Read, mut buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while !buf.is_empty() {
        match r.read(buf) {
            Ok(0) => break,
            Ok(k) => {
                n += k;
                buf = &mut buf[k..];
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
