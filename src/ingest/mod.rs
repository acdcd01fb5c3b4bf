//! From user paths to parsed artifacts. Every file is identified by its
//! bytes (compression magic, tar headers, JSON shape, kernel line shapes),
//! never by its name; archives are opened in memory and their members
//! identified the same way, recursively up to a nesting limit.
//!
//! Invariant: nothing here writes to disk, and a damaged input becomes a
//! diagnostic while the walk goes on with the rest.

pub mod detect;
pub mod events;
pub mod fs_export;
pub mod host;
pub mod image;
pub mod inspect;
pub mod json_log;
pub mod kernel;
mod zip_bundle;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::archive::compress::{self, Compression};
use crate::archive::tar_index;
use crate::model::{ArtifactKind, Diagnostic, Limits};
use crate::{Progress, ProgressEvent};

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
}

#[derive(Debug, Default)]
pub struct Ingested {
    pub inputs: Vec<InputRecord>,
    pub diagnostics: Vec<Diagnostic>,
    pub items: Vec<Parsed>,
}

impl Ingested {
    fn absorb(&mut self, other: Ingested) {
        self.inputs.extend(other.inputs);
        self.diagnostics.extend(other.diagnostics);
        self.items.extend(other.items);
    }
}

/// Reads every path (files, directories, archives) and identifies and parses
/// what it holds. Runs on the current rayon pool; output order follows the
/// sorted paths, whatever the thread count.
pub fn ingest(paths: &[PathBuf], limits: &Limits) -> Ingested {
    ingest_with_progress(paths, limits, None)
}

/// Sums progress from every worker and sends it to the hook in order.
struct Tracker<'h> {
    hook: &'h Progress,
    total: u64,
    done: Mutex<u64>,
}

impl Tracker<'_> {
    fn advance(&self, path: &str, n: u64) {
        // The hook runs under the lock, so events leave in order.
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        *done = done.saturating_add(n).min(self.total);
        self.hook.send(&ProgressEvent {
            bytes_done: *done,
            bytes_total: self.total,
            path: path.to_string(),
        });
    }
}

/// [`ingest`], telling `progress` how many bytes of the input files have
/// been read (per file, and per window inside large json-file logs).
pub fn ingest_with_progress(
    paths: &[PathBuf],
    limits: &Limits,
    progress: Option<&Progress>,
) -> Ingested {
    let mut out = Ingested::default();
    let mut files = Vec::new();
    for p in paths {
        collect_files(p, &mut files, &mut out.diagnostics);
    }
    files.sort();
    files.dedup();
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
        .map(|f| ingest_file(f, limits, tracker.as_ref()))
        .collect();
    for p in parts {
        out.absorb(p);
    }
    out
}

fn display(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn collect_files(p: &Path, files: &mut Vec<PathBuf>, diags: &mut Vec<Diagnostic>) {
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

fn ingest_file(path: &Path, limits: &Limits, tracker: Option<&Tracker>) -> Ingested {
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

/// True when `head`, the first bytes of some content, is a json-file log
/// (not compressed, not a tar archive): such content is parsed as it
/// streams, never held whole.
fn is_log_head(head: &[u8]) -> bool {
    Compression::sniff(head) == Compression::None
        && !tar_index::looks_like_tar(head)
        && detect::is_json_log(head)
}

/// A json-file log parsed as `reader` streams it.
fn log_from_reader(
    path: &str,
    reader: &mut dyn Read,
    bytes: u64,
    limits: &Limits,
) -> std::io::Result<Ingested> {
    json_log::parse_reader(path, reader, limits, json_log::CHUNK_BYTES, &mut |_| {})
        .map(|log| log_input(path, bytes, log))
}

fn log_input(path: &str, bytes: u64, mut log: json_log::LogFile) -> Ingested {
    let mut out = Ingested::default();
    out.inputs.push(InputRecord {
        path: path.to_string(),
        kind: ArtifactKind::JsonLog,
        bytes,
    });
    out.diagnostics.extend(std::mem::take(&mut log.diagnostics));
    out.items.push(Parsed::Log(log));
    out
}

/// Identifies and parses one artifact's bytes. `depth` counts enclosing
/// archives and compression layers.
pub fn ingest_bytes(path: &str, data: &[u8], depth: u32, bytes: u64, limits: &Limits) -> Ingested {
    ingest_bytes_releasing(path, data, depth, bytes, limits, &|_| {})
}

/// [`ingest_bytes`], calling `release` with image layers and bundle members
/// once read (see `ingest_mapped`).
fn ingest_bytes_releasing(
    path: &str,
    data: &[u8],
    depth: u32,
    bytes: u64,
    limits: &Limits,
    release: &(dyn Fn(&[u8]) + Sync),
) -> Ingested {
    let mut out = Ingested::default();
    let record = |kind| InputRecord {
        path: path.to_string(),
        kind,
        bytes,
    };
    if depth > limits.max_nesting {
        out.inputs.push(record(ArtifactKind::Unknown));
        out.diagnostics.push(Diagnostic::error(
            path,
            format!(
                "nested more than {} archives or compression layers deep; not opened (raise with --max-nesting)",
                limits.max_nesting
            ),
        ));
        return out;
    }
    if data.is_empty() && json_log::name_info(path).0.is_some() {
        // An empty `<id>-json.log`: the container wrote nothing. Its content
        // cannot say what it is, so the name does, and only for this.
        out.inputs.push(record(ArtifactKind::JsonLog));
        out.items
            .push(Parsed::Log(json_log::parse(path, data, limits)));
        return out;
    }
    if data.is_empty() {
        out.inputs.push(record(ArtifactKind::Unknown));
        out.diagnostics
            .push(Diagnostic::warning(path, "empty file; nothing to analyse"));
        return out;
    }
    let comp = Compression::sniff(data);
    if comp != Compression::None {
        let cap = compress::cap_for(
            data.len() as u64,
            limits.max_decompressed_bytes,
            limits.max_ratio,
        );
        let head = if depth < limits.max_nesting {
            compress::head(data, 64 * 1024, cap).ok()
        } else {
            None
        };
        let plain = head
            .as_deref()
            .filter(|h| Compression::sniff(h) == Compression::None);
        if plain.is_some_and(is_log_head) {
            // Stream the log through the capped decoder in chunks rather
            // than inflating it whole.
            let input = compress::Releasing::new(data, release);
            let parsed = compress::decoder_from(comp, input, cap)
                .and_then(|mut r| log_from_reader(path, &mut r, bytes, limits));
            return match parsed {
                Ok(part) => part,
                Err(e) => {
                    out.inputs.push(record(ArtifactKind::Unknown));
                    out.diagnostics.push(Diagnostic::error(
                        path,
                        format!("cannot decompress ({}): {e}", comp.as_str()),
                    ));
                    out
                }
            };
        }
        if plain.is_some_and(tar_index::looks_like_tar) {
            if let Some(out) = ingest_tar_stream(path, data, cap, depth + 1, bytes, limits, release)
            {
                return out;
            }
        }
        return match compress::inflate_partial(data, limits.max_decompressed_bytes, limits.max_ratio)
        {
            (inner, None) => ingest_bytes(path, &inner, depth + 1, bytes, limits),
            // A cut `.tar.gz`/`.tar.xz`: the entries decoded before the cut
            // are used, and the tar walk reports where it stopped.
            (inner, Some(e)) if !compress::is_cap_error(&e) && tar_index::looks_like_tar(&inner) => {
                let mut part = ingest_bytes(path, &inner, depth + 1, bytes, limits);
                part.diagnostics.push(Diagnostic::error(
                    path,
                    format!(
                        "cannot decompress ({}): {e}; the {} bytes decoded before it were used",
                        comp.as_str(),
                        inner.len()
                    ),
                ));
                part
            }
            (_, Some(e)) => {
                out.inputs.push(record(ArtifactKind::Unknown));
                out.diagnostics.push(Diagnostic::error(
                    path,
                    format!("cannot decompress ({}): {e}", comp.as_str()),
                ));
                out
            }
        };
    }
    if tar_index::looks_like_tar(data) {
        return ingest_tar(path, data, depth, bytes, limits, release);
    }
    if crate::archive::zip::looks_like_zip(data) {
        return zip_bundle::ingest_zip(path, data, depth, bytes, limits);
    }
    let (kind, parsed, diags) = detect::identify(path, data, limits);
    out.inputs.push(record(kind));
    out.diagnostics.extend(diags);
    out.items.extend(parsed);
    out
}

fn ingest_tar(
    path: &str,
    data: &[u8],
    depth: u32,
    bytes: u64,
    limits: &Limits,
    release: &(dyn Fn(&[u8]) + Sync),
) -> Ingested {
    let mut out = Ingested::default();
    let record = |kind| InputRecord {
        path: path.to_string(),
        kind,
        bytes,
    };
    let index = tar_index::index_slice_releasing(data, limits, release);
    out.diagnostics.extend(damage(path, &index));
    if image::is_image_archive(&index) {
        out.inputs.push(record(ArtifactKind::ImageArchive));
        let (images, diags) = image::analyze_releasing(path, data, &index, limits, release);
        out.diagnostics.extend(diags);
        out.items.push(Parsed::Images(images));
        return out;
    }
    if fs_export::has_export_shape(&index) {
        out.inputs.push(record(ArtifactKind::FsExport));
        let (mut export, diags) = fs_export::analyze(path, &index);
        export.hostname = fs_export::hostname(data, &index);
        out.diagnostics.extend(diags);
        out.items.push(Parsed::Export(export));
        return out;
    }
    out.inputs.push(record(ArtifactKind::Bundle));
    let marker = index.error.is_some() || tar_index::has_end_marker(data, &index);
    bundle_warnings(path, &index, marker, &mut out);
    let members: Vec<&tar_index::TarEntry> = index
        .entries
        .iter()
        .filter(|e| e.kind == tar_index::EntryKind::File)
        .collect();
    let parts: Vec<Ingested> = members
        .par_iter()
        .map(|e| {
            let member = format!("{path}!/{}", tar_index::normalize(&e.path));
            if e.size > limits.max_member_bytes {
                return oversized(member, e.size);
            }
            let body = tar_index::body(data, e);
            let part = ingest_bytes_releasing(&member, body, depth + 1, e.size, limits, release);
            release(body);
            part
        })
        .collect();
    for p in parts {
        out.absorb(p);
    }
    out
}

/// The diagnostic for an archive whose walk stopped at damage, if it did.
fn damage(path: &str, index: &tar_index::TarIndex) -> Option<Diagnostic> {
    index.error.as_ref().map(|err| {
        Diagnostic::error(
            path,
            format!(
                "{err}; the {} entries before the damage were used",
                index.entries.len()
            ),
        )
    })
}

fn oversized(member: String, size: u64) -> Ingested {
    let mut o = Ingested::default();
    o.inputs.push(InputRecord {
        path: member.clone(),
        kind: ArtifactKind::Unknown,
        bytes: size,
    });
    o.diagnostics.push(Diagnostic::error(
        member,
        format!("member of {size} bytes exceeds --max-member-bytes; skipped"),
    ));
    o
}

/// A compressed tar input read as a stream, never inflated whole, in one
/// pass ([`StreamWalk`]): a bundle's members are ingested as they stream by
/// (json-file logs parsed as they come; other members read into memory, at
/// most `--max-member-bytes` each, and ingested in parallel batches, in
/// order), an image archive's layers are indexed on the way, and the full
/// index then tells which it was. Returns `None` (the caller inflates in
/// memory) for damaged archives, whose diagnostics the in-memory path words
/// exactly, and for the rare image archive whose members did not all reach
/// image analysis. Once the entries look like an image archive or an export
/// ([`Suspect`]), bundle member work stops; if the archive turns out to be
/// a bundle after all, a second pass walks its members (the only case
/// decompressed twice).
fn ingest_tar_stream(
    path: &str,
    data: &[u8],
    cap: u64,
    depth: u32,
    bytes: u64,
    limits: &Limits,
    release: &(dyn Fn(&[u8]) + Sync),
) -> Option<Ingested> {
    let comp = Compression::sniff(data);
    let mut walk = StreamWalk::new(path, depth, limits);
    let (index, end) = compress::decoder_from(comp, compress::Releasing::new(data, release), cap)
        .and_then(|r| tar_index::index_stream_visit(r, limits, |e, body| walk.visit(e, body)))
        .ok()?;
    if index.error.is_some() {
        return None;
    }
    let second_pass = !walk.speculating || walk.withheld;
    let mut out = match walk.classify(&index, end, bytes) {
        Classified::Done(out) => return Some(out),
        Classified::ImageNotRead | Classified::Bundle(_, None) => return None,
        Classified::Bundle(mut out, Some(results)) if !second_pass => {
            results.into_iter().for_each(|p| out.absorb(p));
            return Some(out);
        }
        Classified::Bundle(out, _) => out,
    };
    drop(index);
    let mut pass = MemberPass::new(path, depth, limits);
    let reader = compress::decoder_from(comp, compress::Releasing::new(data, release), cap).ok()?;
    if tar_index::walk_stream(reader, limits, |e, body| pass.visit(&e, body)).is_some() {
        return None;
    }
    for p in pass.finish()? {
        out.absorb(p);
    }
    Some(out)
}

/// A tar archive that is itself a member of a streamed archive (a `docker
/// save` inside a `.tar.gz` bundle), read in one pass from the member's body
/// or from its decoder ([`stream_compressed`]): no second pass and no in-memory fallback exist here, so
/// damage is reported as the stream shows it, and a bundle whose first
/// entries looked like an image archive or export (so member work stopped)
/// gets a warning that members were passed over. `Err` when the outer
/// stream failed.
fn ingest_tar_reader(
    path: &str,
    body: &mut dyn Read,
    depth: u32,
    bytes: u64,
    limits: &Limits,
) -> std::io::Result<Ingested> {
    let mut walk = StreamWalk::new(path, depth, limits);
    let (index, end) = tar_index::index_stream_visit(body, limits, |e, b| walk.visit(e, b))?;
    let damaged = damage(path, &index);
    let lost = walk.withheld || !walk.speculating;
    let mut out = match walk.classify(&index, end, bytes) {
        Classified::Done(out) => out,
        Classified::ImageNotRead => {
            let mut out = Ingested::default();
            out.inputs.push(InputRecord {
                path: path.to_string(),
                kind: ArtifactKind::ImageArchive,
                bytes,
            });
            out.diagnostics.push(Diagnostic::error(
                path,
                "image archive inside a streamed archive, with members outside the image layouts; not analysed (unpack the outer archive and run coroner on the image archive)",
            ));
            out
        }
        Classified::Bundle(mut out, results) => {
            if lost {
                out.diagnostics.push(Diagnostic::warning(
                    path,
                    "members of this archive were passed over while it looked like an image archive or container export, and it proved to be a bundle; they are not in the report (unpack the outer archive to include them)",
                ));
            }
            match results {
                Some(results) => results.into_iter().for_each(|p| out.absorb(p)),
                None => return Err(std::io::Error::other("a member could not be read")),
            }
            out
        }
    };
    if let Some(d) = damaged {
        out.diagnostics.insert(0, d);
    }
    Ok(out)
}

/// What a [`StreamWalk`] found.
enum Classified {
    /// An image archive or export, analysed.
    Done(Ingested),
    /// An image archive some of whose members went elsewhere.
    ImageNotRead,
    /// A bundle: its record and warnings, and the members ingested on the
    /// way (`None` when a member could not be read).
    Bundle(Ingested, Option<Vec<Ingested>>),
}

/// One pass over a streamed tar: members with image-layout names are read
/// for image analysis while every entry so far is image-shaped (layers
/// indexed, small documents kept), the others ingested as bundle members,
/// and an export's `etc/hostname` is kept.
struct StreamWalk<'a> {
    path: &'a str,
    limits: &'a Limits,
    pass: MemberPass<'a>,
    suspect: Suspect,
    /// Bundle member work goes on (it stops once the entries look like an
    /// image archive or export).
    speculating: bool,
    members: Option<image::StreamedMembers>,
    /// Some members went to image analysis, not to the bundle pass.
    withheld: bool,
    /// Some image-shaped member went to the bundle pass, not to image
    /// analysis.
    diverted: bool,
    hostname: Option<Vec<u8>>,
}

impl<'a> StreamWalk<'a> {
    fn new(path: &'a str, depth: u32, limits: &'a Limits) -> StreamWalk<'a> {
        StreamWalk {
            path,
            limits,
            pass: MemberPass::new(path, depth, limits),
            suspect: Suspect::default(),
            speculating: true,
            members: Some(image::StreamedMembers::default()),
            withheld: false,
            diverted: false,
            hostname: None,
        }
    }

    fn visit(&mut self, e: &tar_index::TarEntry, body: &mut dyn Read) {
        if self.members.is_some() && !image::image_shaped(&e.path) {
            self.members = None;
        }
        let stop = self.speculating && self.suspect.note(e);
        if stop {
            self.speculating = false;
            self.pass.reset();
        }
        if let Some(m) = self
            .members
            .as_mut()
            .filter(|_| image::image_member_name(&e.path))
        {
            self.withheld = true;
            if m.visit(e, body, self.limits).is_err() {
                self.members = None;
                self.diverted = true;
            }
            return;
        }
        self.diverted |= self.members.is_some() && e.kind == tar_index::EntryKind::File;
        if tar_index::normalize(&e.path) == "etc/hostname" {
            self.hostname = None;
            let mut b = Vec::new();
            if fs_export::hostname_sized(e) && body.read_to_end(&mut b).is_ok() {
                if self.speculating {
                    self.pass.visit(e, &mut b.as_slice());
                }
                self.hostname = Some(b);
                return;
            }
        }
        if self.speculating {
            self.pass.visit(e, body);
        }
    }

    fn classify(
        self,
        index: &tar_index::TarIndex,
        end: tar_index::StreamEnd,
        bytes: u64,
    ) -> Classified {
        let mut out = Ingested::default();
        let record = |kind| InputRecord {
            path: self.path.to_string(),
            kind,
            bytes,
        };
        if image::is_image_archive(index) {
            let Some(members) = self.members.filter(|_| !self.diverted) else {
                return Classified::ImageNotRead;
            };
            out.inputs.push(record(ArtifactKind::ImageArchive));
            let (images, diags) =
                image::analyze_streamed(self.path, index, end, &members, self.limits);
            out.diagnostics.extend(diags);
            out.items.push(Parsed::Images(images));
            return Classified::Done(out);
        }
        if fs_export::has_export_shape(index) {
            out.inputs.push(record(ArtifactKind::FsExport));
            let (mut export, diags) = fs_export::analyze(self.path, index);
            export.hostname = self.hostname.as_deref().and_then(fs_export::hostname_of);
            out.diagnostics.extend(diags);
            out.items.push(Parsed::Export(export));
            return Classified::Done(out);
        }
        out.inputs.push(record(ArtifactKind::Bundle));
        bundle_warnings(self.path, index, end.marker, &mut out);
        Classified::Bundle(out, self.pass.finish())
    }
}

/// Tells, from the entries seen so far, that a streamed archive is probably
/// an image archive or a filesystem export rather than a bundle, so members
/// need not be ingested speculatively. Only a hint: the full index decides.
#[derive(Default)]
struct Suspect {
    /// Some entry would not belong in an image archive.
    not_image: bool,
}

impl Suspect {
    fn note(&mut self, e: &tar_index::TarEntry) -> bool {
        let n = tar_index::normalize(&e.path);
        let n = n.strip_suffix('/').unwrap_or(n);
        if n == ".dockerenv" || n == "dev" || n == "etc/hostname" {
            return true;
        }
        self.not_image |= !image::image_shaped(&e.path);
        if self.not_image {
            return false;
        }
        let hex = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
        let (dir, base) = n.rsplit_once('/').unwrap_or(("", n));
        matches!(
            n,
            "oci-layout" | "index.json" | "manifest.json" | "repositories"
        ) || (hex(dir) && (base == "layer.tar" || base == "json"))
    }
}

/// Buffered members of a streamed bundle are ingested in parallel once this
/// many bytes are waiting.
const STREAM_BATCH_BYTES: usize = 64 << 20;

/// The members of a streamed bundle, ingested as the walk reaches them.
struct MemberPass<'a> {
    path: &'a str,
    depth: u32,
    limits: &'a Limits,
    results: Vec<Ingested>,
    batch: Vec<(String, u64, Vec<u8>)>,
    batch_bytes: usize,
    failed: bool,
}

impl<'a> MemberPass<'a> {
    fn new(path: &'a str, depth: u32, limits: &'a Limits) -> MemberPass<'a> {
        MemberPass {
            path,
            depth,
            limits,
            results: Vec::new(),
            batch: Vec::new(),
            batch_bytes: 0,
            failed: false,
        }
    }

    /// Drops what was ingested so far (speculative work no longer needed).
    fn reset(&mut self) {
        self.failed = false;
        self.results.clear();
        self.batch.clear();
        self.batch_bytes = 0;
    }

    fn flush(&mut self) {
        let (depth, limits) = (self.depth, self.limits);
        let parts: Vec<Ingested> = self
            .batch
            .par_iter()
            .map(|(m, size, body)| ingest_bytes(m, body, depth + 1, *size, limits))
            .collect();
        self.batch.clear();
        self.batch_bytes = 0;
        self.results.extend(parts);
    }

    fn visit(&mut self, e: &tar_index::TarEntry, body: &mut dyn Read) {
        let (depth, limits) = (self.depth, self.limits);
        if self.failed || e.kind != tar_index::EntryKind::File {
            return;
        }
        let member = format!("{}!/{}", self.path, tar_index::normalize(&e.path));
        if e.size > limits.max_member_bytes {
            self.flush();
            self.results.push(oversized(member, e.size));
            return;
        }
        let mut head = vec![0u8; (e.size as usize).min(64 * 1024)];
        let n = match read_full(body, &mut head) {
            Ok(n) => n,
            Err(_) => {
                self.failed = true;
                return;
            }
        };
        head.truncate(n);
        if depth < limits.max_nesting && is_log_head(&head) {
            self.flush();
            let mut r = std::io::Cursor::new(head).chain(body);
            match log_from_reader(&member, &mut r, e.size, limits) {
                Ok(part) => self.results.push(part),
                Err(_) => self.failed = true,
            }
            return;
        }
        if depth < limits.max_nesting
            && e.size > STREAM_BATCH_BYTES as u64
            && tar_index::looks_like_tar(&head)
        {
            // A large uncompressed archive (a docker save or export in a
            // compressed bundle) is walked as it streams, not held whole.
            self.flush();
            let mut r = std::io::Cursor::new(head).chain(body);
            match ingest_tar_reader(&member, &mut r, depth + 1, e.size, limits) {
                Ok(part) => self.results.push(part),
                Err(_) => self.failed = true,
            }
            return;
        }
        let comp = Compression::sniff(&head);
        let head = if depth + 1 < limits.max_nesting
            && e.size > STREAM_BATCH_BYTES as u64
            && comp != Compression::None
        {
            // A large compressed member (a `docker save | gzip`, a rotated
            // log) is decoded as it streams when it holds a tar or a
            // json-file log, as the same bytes on their own would be.
            self.flush();
            match stream_compressed(&member, e.size, comp, head, body, depth + 1, limits) {
                Ok(Streamed::Done(part)) => {
                    self.results.push(part);
                    return;
                }
                Ok(Streamed::Read(bytes)) => bytes,
                Err(_) => {
                    self.failed = true;
                    return;
                }
            }
        } else {
            head
        };
        let mut buf = head;
        // The size is bounded by --max-member-bytes; reserving it exactly
        // avoids doubling (untouched capacity of a lying header costs no RSS).
        let _ = buf.try_reserve_exact((e.size as usize).saturating_sub(buf.len()));
        if body.read_to_end(&mut buf).is_err() {
            self.failed = true;
            return;
        }
        self.batch_bytes += buf.len();
        self.batch.push((member, e.size, buf));
        if self.batch_bytes >= STREAM_BATCH_BYTES || self.batch.len() >= 4096 {
            self.flush();
        }
    }

    /// The members' results in archive order; `None` when a read failed.
    fn finish(mut self) -> Option<Vec<Ingested>> {
        if self.failed {
            return None;
        }
        self.flush();
        Some(self.results)
    }
}

/// What [`stream_compressed`] did with a member.
enum Streamed {
    /// Ingested as it streamed.
    Done(Ingested),
    /// Neither a tar nor a json-file log inside: the compressed bytes read
    /// so far, for the caller to read on and ingest whole.
    Read(Vec<u8>),
}

/// Keeps a copy of what passes through while `kept` is `Some`.
struct Recorder<'r> {
    inner: &'r mut dyn Read,
    kept: &'r std::cell::RefCell<Option<Vec<u8>>>,
}

impl Read for Recorder<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(k) = self.kept.borrow_mut().as_mut() {
            k.extend_from_slice(&buf[..n]);
        }
        Ok(n)
    }
}

/// A compressed member of `size` bytes whose first bytes are `head`, at
/// `depth` (the depth `ingest_bytes` would give it): decoded as it streams,
/// as `ingest_bytes` would read the same bytes held whole, when what comes
/// out is a tar archive ([`ingest_tar_reader`]) or a json-file log. The
/// compressed bytes read while deciding are recorded, so anything else goes
/// back to the caller unchanged. `Err` when the member cannot be read.
fn stream_compressed(
    member: &str,
    size: u64,
    comp: Compression,
    head: Vec<u8>,
    body: &mut dyn Read,
    depth: u32,
    limits: &Limits,
) -> std::io::Result<Streamed> {
    let cap = compress::cap_for(size, limits.max_decompressed_bytes, limits.max_ratio);
    let kept = std::cell::RefCell::new(Some(head.clone()));
    let verdict = {
        let recorder = Recorder {
            inner: &mut *body,
            kept: &kept,
        };
        let input = std::io::Cursor::new(head).chain(recorder);
        match compress::decode(comp, input, cap) {
            Err(_) => None,
            Ok(mut dec) => {
                let mut plain = vec![0u8; 64 * 1024];
                match read_full(&mut dec, &mut plain) {
                    Err(_) => None,
                    Ok(n) => {
                        plain.truncate(n);
                        let tar = tar_index::looks_like_tar(&plain);
                        if tar || is_log_head(&plain) {
                            // Decided: stop recording, read on.
                            *kept.borrow_mut() = None;
                            let mut r = std::io::Cursor::new(plain).chain(dec);
                            Some(if tar {
                                ingest_tar_reader(member, &mut r, depth + 1, size, limits)
                            } else {
                                log_from_reader(member, &mut r, size, limits)
                            })
                        } else {
                            None
                        }
                    }
                }
            }
        }
    };
    match verdict {
        Some(done) => done.map(Streamed::Done),
        None => Ok(Streamed::Read(kept.into_inner().unwrap_or_default())),
    }
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

/// Warnings about a bundle archive as a whole: a missing end marker (only
/// checked when the walk found no damage) and names that would escape it.
fn bundle_warnings(path: &str, index: &tar_index::TarIndex, marker: bool, out: &mut Ingested) {
    if !marker {
        out.diagnostics.push(Diagnostic::warning(
            path,
            format!(
                "no end-of-archive marker after {} entries: the archive may have been cut short; every entry read was used",
                index.entries.len()
            ),
        ));
    }
    let unsafe_names: Vec<&str> = index
        .entries
        .iter()
        .filter(|e| tar_index::is_unsafe_name(&e.path))
        .map(|e| e.path.as_str())
        .collect();
    if !unsafe_names.is_empty() {
        out.diagnostics.push(Diagnostic::warning(
            path,
            format!(
                "{} entr{} would escape the archive if extracted (kept verbatim, never extracted): {}",
                unsafe_names.len(),
                if unsafe_names.len() == 1 { "y" } else { "ies" },
                unsafe_names.iter().take(5).map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compressed image archives and exports are analysed as they stream
    /// (layers indexed on the way, nothing inflated whole) with the same
    /// result as inflating them: every compressed archive in samples/images.
    #[test]
    fn compressed_images_and_exports_stream_to_the_same_result() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/images");
        let limits = Limits::default();
        let mut seen = 0;
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        for p in names {
            let data = std::fs::read(&p).unwrap();
            let comp = Compression::sniff(&data);
            if comp == Compression::None {
                continue;
            }
            let name = p.display().to_string();
            let cap = compress::cap_for(
                data.len() as u64,
                limits.max_decompressed_bytes,
                limits.max_ratio,
            );
            let streamed =
                ingest_tar_stream(&name, &data, cap, 1, data.len() as u64, &limits, &|_| {})
                    .unwrap_or_else(|| panic!("{name}: fell back to inflating in memory"));
            let inflated =
                compress::inflate(&data, limits.max_decompressed_bytes, limits.max_ratio).unwrap();
            let whole = ingest_bytes(&name, &inflated, 1, data.len() as u64, &limits);
            assert_eq!(format!("{streamed:?}"), format!("{whole:?}"), "{name}");
            assert!(
                matches!(
                    streamed.inputs[0].kind,
                    ArtifactKind::ImageArchive | ArtifactKind::FsExport
                ),
                "{name}: {:?}",
                streamed.inputs[0].kind
            );
            seen += 1;
        }
        assert!(
            seen >= 5,
            "only {seen} compressed archives in samples/images"
        );
    }

    /// An uncompressed archive inside a streamed one is walked from the
    /// member's body in one pass, with the result of reading it whole: the
    /// real image archives and export in samples/images and the real
    /// sosreport bundle in samples/sos, inflated.
    #[test]
    fn archives_nested_in_a_stream_read_in_one_pass_as_in_memory() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let limits = Limits::default();
        let mut kinds = Vec::new();
        for name in [
            "images/pbloated_1.0.tar.gz",
            "images/pweb-and-api.tar.gz",
            "images/test-docker-image.tar.zst",
            "images/pbatch.tar.zst",
            "sos/sosreport-qhost-2026.tar.zst",
        ] {
            let data = std::fs::read(root.join(name)).unwrap();
            let tar =
                compress::inflate(&data, limits.max_decompressed_bytes, limits.max_ratio).unwrap();
            let member = format!("outer.tar.gz!/{name}");
            let streamed =
                ingest_tar_reader(&member, &mut &tar[..], 2, tar.len() as u64, &limits).unwrap();
            let whole = ingest_bytes(&member, &tar, 2, tar.len() as u64, &limits);
            assert_eq!(format!("{streamed:?}"), format!("{whole:?}"), "{name}");
            kinds.push(streamed.inputs[0].kind);
        }
        assert!(kinds.contains(&ArtifactKind::ImageArchive));
        assert!(kinds.contains(&ArtifactKind::FsExport));
        assert!(kinds.contains(&ArtifactKind::Bundle));
    }

    /// A streamed image archive keeps its JSON documents in memory; together
    /// they stay within --max-json-bytes, and one not kept is said.
    #[test]
    fn streamed_image_documents_share_the_json_budget() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/images/pweb-and-api.tar.gz");
        let data = std::fs::read(&p).unwrap();
        let run = |limits: &Limits| {
            let cap = compress::cap_for(
                data.len() as u64,
                limits.max_decompressed_bytes,
                limits.max_ratio,
            );
            ingest_tar_stream(
                "a.tar.gz",
                &data,
                cap,
                1,
                data.len() as u64,
                limits,
                &|_| {},
            )
            .unwrap()
        };
        let said = |out: &Ingested| {
            out.diagnostics
                .iter()
                .any(|d| d.message.contains("together pass the JSON limit"))
        };
        assert!(!said(&run(&Limits::default())));
        // Each document fits 4 KiB; together (8.8 KB) they do not.
        let tight = Limits {
            max_json_bytes: 4096,
            ..Limits::default()
        };
        let out = run(&tight);
        assert!(said(&out), "{:?}", out.diagnostics);
    }

    /// A nested bundle that starts like an export has no second pass: what
    /// was passed over is said, not silently lost.
    #[test]
    fn nested_bundle_that_looked_like_an_export_says_what_it_passed_over() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let inspect = std::fs::read(root.join("bundle/containers/pworker/inspect.json")).unwrap();
        let mut b = tar::Builder::new(Vec::new());
        for (name, body) in [
            ("etc/hostname", &b"web-1\n"[..]),
            ("inspect.json", &inspect[..]),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_size(body.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, body).unwrap();
        }
        let tar = b.into_inner().unwrap();
        let out = ingest_tar_reader(
            "o.tar.gz!/b.tar",
            &mut &tar[..],
            2,
            tar.len() as u64,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(out.inputs[0].kind, ArtifactKind::Bundle);
        assert!(
            out.diagnostics
                .iter()
                .any(|d| d.message.contains("passed over")),
            "{:?}",
            out.diagnostics
        );
    }
}
