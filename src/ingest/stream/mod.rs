//! Tar archives read as a stream, once: a compressed tar input
//! ([`ingest_tar_stream`]) and an archive nested in a streamed one
//! ([`ingest_tar_reader`]). [`classify`] decides on the way what the
//! archive is, [`members`] ingests a bundle's members as they pass, and
//! [`compressed`] decodes a large compressed member as it streams.

mod classify;
mod compressed;
mod members;

use std::io::Read;

use self::classify::{Classified, StreamWalk};
use self::members::MemberPass;
use super::bundle::damage;
use super::dispatch::{cannot_decompress, decoded_before};
use super::{Ingested, InputRecord};
use crate::archive::compress::{self, Compression};
use crate::archive::tar_index;
use crate::model::{ArtifactKind, Diagnostic, Limits};

/// A decoder whose stream, for its reader, ends where it breaks: the first
/// decoding error other than the cap is kept aside ([`Cut::cause`]) and
/// every read after it gives end of input, so a walk over a cut `.tar.gz`,
/// `.tar.xz` or `.tar.zst` sees the bytes decoded before the cut as a
/// truncated archive, which is what the in-memory path makes of
/// `compress::inflate_partial`. A cap error (a bomb, not a cut) is given
/// again on every later read, so a walk stopped by it and the drain after
/// it both end with the error inflating the input whole would have met.
pub(super) struct Cut<R> {
    inner: R,
    cause: Option<std::io::Error>,
    cut: bool,
    capped: Option<String>,
    produced: u64,
}

impl<R: Read> Cut<R> {
    pub(super) fn new(inner: R) -> Cut<R> {
        Cut {
            inner,
            cause: None,
            cut: false,
            capped: None,
            produced: 0,
        }
    }

    /// The decoding error the stream ended at, if it was cut (once; the
    /// stream stays ended).
    pub(super) fn cause(&mut self) -> Option<std::io::Error> {
        self.cause.take()
    }

    /// True once the stream was cut.
    pub(super) fn cut(&self) -> bool {
        self.cut
    }

    /// The bytes decoded so far (before the cut, once cut).
    pub(super) fn produced(&self) -> u64 {
        self.produced
    }
}

impl<R: Read> Read for Cut<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(msg) = &self.capped {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                msg.clone(),
            ));
        }
        if self.cut {
            return Ok(0);
        }
        match self.inner.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Err(e),
            Err(e) if compress::is_cap_error(&e) => {
                self.capped = Some(e.to_string());
                Err(e)
            }
            Err(e) => {
                self.cause = Some(e);
                self.cut = true;
                Ok(0)
            }
            Ok(n) => {
                self.produced += n as u64;
                Ok(n)
            }
        }
    }
}

/// A compressed tar input read as a stream, never inflated whole, in one
/// pass ([`StreamWalk`]): a bundle's members are ingested as they stream by
/// (json-file logs parsed as they come; other members read into memory, at
/// most `--max-member-bytes` each, and ingested in parallel batches, in
/// order), an image archive's layers are indexed on the way, and the full
/// index then tells which it was. A damaged archive is worded from the
/// same pass: the index words tar damage as the in-memory walk would. A
/// stream cut part way ([`Cut`]) keeps the members read before the cut and
/// adds the decoder's error ([`decoded_before`]), as the in-memory path
/// does with what `inflate_partial` decoded; a cap hit (a bomb) makes the
/// whole input unknown with the cap's error, as inflating it would.
/// Returns `None` (the caller inflates in memory) only for the rare image
/// archive whose members did not all reach image analysis. Once the
/// entries suggest an image archive or an export, bundle member work
/// stops; if the archive turns out to be a bundle after all, a second pass
/// walks its members (the only case decompressed twice).
pub(super) fn ingest_tar_stream(
    path: &str,
    data: &[u8],
    cap: u64,
    depth: u32,
    bytes: u64,
    limits: &Limits,
    release: &(dyn Fn(&[u8]) + Sync),
) -> Option<Ingested> {
    let comp = Compression::sniff(data);
    let cannot = |e: &dyn std::fmt::Display| cannot_decompress(path, bytes, comp, e);
    let decoder =
        || compress::decoder_from(comp, compress::Releasing::new(data, release), cap).map(Cut::new);
    let mut walk = StreamWalk::new(path, depth, limits);
    let walked = decoder().and_then(|mut r| {
        tar_index::index_stream_visit(&mut r, limits, |e, body| walk.visit(e, body))
            .map(|done| (done, r.cause()))
    });
    let ((index, end), cut) = match walked {
        Ok(done) => done,
        Err(e) => return Some(cannot(&e)),
    };
    let decoded = end.len;
    let damaged = damage(path, &index);
    let kept = index.entries.len();
    let whole = walk.bundle_whole();
    let mut out = match walk.classify(&index, end, bytes) {
        Classified::Done(out) => out,
        Classified::ImageNotRead => return None,
        Classified::Bundle {
            mut out, results, ..
        } if whole => match results {
            Ok(results) => {
                results.into_iter().for_each(|p| out.absorb(p));
                out
            }
            Err(e) => return Some(cannot(&e)),
        },
        Classified::Bundle { mut out, .. } => {
            drop(index);
            let mut pass = MemberPass::new(path, depth, limits);
            let reader = match decoder() {
                Ok(r) => r,
                Err(e) => return Some(cannot(&e)),
            };
            // The first pass met any damage already; this one stops at it.
            let mut seq = 0;
            let _ = tar_index::walk_stream(reader, limits, |e, body| {
                pass.visit(seq, &e, body);
                seq += 1;
            });
            match pass.finish(kept) {
                Ok(results) => results.into_iter().for_each(|p| out.absorb(p)),
                Err(e) => return Some(cannot(&e)),
            }
            out
        }
    };
    if let Some(d) = damaged {
        out.diagnostics.insert(0, d);
    }
    if let Some(e) = cut {
        out.diagnostics
            .push(decoded_before(path, comp, &e, decoded));
    }
    Some(out)
}

/// A tar archive that is itself a member of a streamed archive (a `docker
/// save` inside a `.tar.gz` bundle), read in one pass from the member's body
/// or from its decoder ([`compressed::stream_compressed`]): no second pass
/// and no in-memory fallback exist here, so a bundle whose first entries
/// looked like an image archive or export (so member work stopped) gets a
/// warning that members were passed over. `Err` when the outer stream
/// failed.
pub(super) fn ingest_tar_reader(
    path: &str,
    body: &mut dyn Read,
    depth: u32,
    bytes: u64,
    limits: &Limits,
) -> std::io::Result<Ingested> {
    let mut walk = StreamWalk::new(path, depth, limits);
    let (index, end) = tar_index::index_stream_visit(body, limits, |e, b| walk.visit(e, b))?;
    let damaged = damage(path, &index);
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
        Classified::Bundle {
            mut out,
            results,
            whole,
        } => {
            if !whole {
                out.diagnostics.push(Diagnostic::warning(
                    path,
                    "members of this archive were passed over while it looked like an image archive or container export, and it proved to be a bundle; they are not in the report (unpack the outer archive to include them)",
                ));
            }
            results
                .map_err(std::io::Error::other)?
                .into_iter()
                .for_each(|p| out.absorb(p));
            out
        }
    };
    if let Some(d) = damaged {
        out.diagnostics.insert(0, d);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ingest_bytes;
    use std::path::{Path, PathBuf};

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

    /// Issue #10: a damaged compressed archive is read once. A 30 MiB
    /// bundle of incompressible members cut inside its last member streams
    /// to its diagnostic without handing back to the in-memory inflate
    /// (`Some`), and the release hook sees each compressed byte at most once
    /// (no second pass) and nearly all of them (one pass to the end).
    #[test]
    fn a_damaged_compressed_archive_is_read_once() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut noise = |n: usize| {
            let mut v = Vec::with_capacity(n);
            while v.len() < n {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                v.extend_from_slice(&state.to_le_bytes());
            }
            v.truncate(n);
            v
        };
        let mut b = tar::Builder::new(Vec::new());
        for name in ["a.bin", "b.bin", "c.bin"] {
            let body = noise(10 << 20);
            let mut h = tar::Header::new_gnu();
            h.set_size(body.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, &body[..]).unwrap();
        }
        let tar = b.into_inner().unwrap();
        let cut = &tar[..tar.len() - (5 << 20)];
        let data = zstd::encode_all(cut, 1).unwrap();
        let limits = Limits::default();
        let cap = compress::cap_for(
            data.len() as u64,
            limits.max_decompressed_bytes,
            limits.max_ratio,
        );
        let released = std::sync::atomic::AtomicU64::new(0);
        let count = |s: &[u8]| {
            released.fetch_add(s.len() as u64, std::sync::atomic::Ordering::Relaxed);
        };
        let out = ingest_tar_stream(
            "d.tar.zst",
            &data,
            cap,
            1,
            data.len() as u64,
            &limits,
            &count,
        )
        .expect("streamed, not inflated in memory");
        let released = released.into_inner();
        assert!(
            released <= data.len() as u64,
            "{released} of {}",
            data.len()
        );
        assert!(released + (8 << 20) >= data.len() as u64, "{released}");
        assert_eq!(out.inputs[0].kind, ArtifactKind::Bundle);
        assert!(
            out.diagnostics[0]
                .message
                .starts_with("archive is truncated: entry \"c.bin\" claims 10485760 bytes"),
            "{:?}",
            out.diagnostics
        );
        // The cut member is not ingested; the two before it are.
        let paths: Vec<&str> = out.inputs.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(paths, ["d.tar.zst", "d.tar.zst!/a.bin", "d.tar.zst!/b.bin"]);
    }
}
