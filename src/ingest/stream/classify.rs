//! The streaming classifier: one pass over a streamed tar that feeds
//! bundle members, image-layout members and an export's `etc/hostname` to
//! where they belong while the entries so far allow, then classifies the
//! archive from its full index.

use std::io::Read;

use super::members::{MemberError, MemberPass};
use crate::archive::tar_index;
use crate::ingest::bundle::bundle_warnings;
use crate::ingest::image::layout;
use crate::ingest::{fs_export, image, Ingested, InputRecord, Parsed};
use crate::model::{ArtifactKind, Limits};

/// What a [`StreamWalk`] found.
pub(super) enum Classified {
    /// An image archive or export, analysed.
    Done(Ingested),
    /// An image archive some of whose members went elsewhere.
    ImageNotRead,
    /// A bundle: its record and warnings, and the members ingested on the
    /// way (the first that could not be read, if one could not); `whole`
    /// when those are all its members.
    Bundle {
        out: Ingested,
        results: Result<Vec<Ingested>, MemberError>,
        whole: bool,
    },
}

/// Where image-layout members go.
enum ImageWork {
    /// Every entry so far is image-shaped and every image-layout member
    /// went to image analysis.
    Collecting(image::StreamedMembers),
    /// Every entry so far is image-shaped, but an image-shaped file went to
    /// the bundle pass (or could not be read): an image archive is not
    /// analysed from the stream.
    Lost,
    /// Some entry is not image-shaped: not a `docker save` (an OCI layout
    /// may still be one, but is then not analysed from the stream).
    NotShaped,
}

/// How much of the bundle member work has been done.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BundleWork {
    /// Every file so far went to the bundle pass.
    Whole,
    /// The pass goes on, but some files went to image analysis instead.
    Partial,
    /// The entries look like an image archive or an export: member work
    /// stopped and what it had done was dropped.
    Stopped,
}

/// One pass over a streamed tar: members with image-layout names are read
/// for image analysis while every entry so far is image-shaped (layers
/// indexed, small documents kept), the others ingested as bundle members
/// until the entries suggest an image archive or export, and an export's
/// `etc/hostname` is kept.
pub(super) struct StreamWalk<'a> {
    path: &'a str,
    limits: &'a Limits,
    pass: MemberPass<'a>,
    image: ImageWork,
    bundle: BundleWork,
    /// Entries visited so far.
    seen: usize,
    /// The last `etc/hostname` entry (its position, and its body when it is
    /// sized as a hostname) and the one before it, in case the stream ended
    /// inside the last.
    hostname: [Option<(usize, Option<Vec<u8>>)>; 2],
}

impl<'a> StreamWalk<'a> {
    pub(super) fn new(path: &'a str, depth: u32, limits: &'a Limits) -> StreamWalk<'a> {
        StreamWalk {
            path,
            limits,
            pass: MemberPass::new(path, depth, limits),
            image: ImageWork::Collecting(image::StreamedMembers::default()),
            bundle: BundleWork::Whole,
            seen: 0,
            hostname: [None, None],
        }
    }

    pub(super) fn visit(&mut self, e: &tar_index::TarEntry, body: &mut dyn Read) {
        let seq = self.seen;
        self.seen += 1;
        if !layout::image_shaped(&e.path) {
            self.image = ImageWork::NotShaped;
        }
        let shaped = !matches!(self.image, ImageWork::NotShaped);
        if self.bundle != BundleWork::Stopped
            && (fs_export::suggests_export(&e.path) || shaped && layout::suggests_image(&e.path))
        {
            self.bundle = BundleWork::Stopped;
            self.pass.reset();
        }
        if let ImageWork::Collecting(members) = &mut self.image {
            if layout::image_member_name(&e.path) {
                if self.bundle == BundleWork::Whole {
                    self.bundle = BundleWork::Partial;
                }
                if members.visit(e, body, self.limits).is_err() {
                    self.image = ImageWork::Lost;
                }
                return;
            }
            if e.kind == tar_index::EntryKind::File {
                self.image = ImageWork::Lost;
            }
        }
        let working = self.bundle != BundleWork::Stopped;
        if tar_index::normalize(&e.path) == "etc/hostname" {
            let mut b = Vec::new();
            let read = fs_export::hostname_sized(e) && body.read_to_end(&mut b).is_ok();
            self.hostname = [
                Some((seq, read.then(|| b.clone()))),
                self.hostname[0].take(),
            ];
            if read {
                if working {
                    self.pass.visit(seq, e, &mut b.as_slice());
                }
                return;
            }
        }
        if working {
            self.pass.visit(seq, e, body);
        }
    }

    /// Whether the bundle pass saw every member (no second pass needed).
    pub(super) fn bundle_whole(&self) -> bool {
        self.bundle == BundleWork::Whole
    }

    pub(super) fn classify(
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
        let kept = index.entries.len();
        if image::is_image_archive(index) {
            let ImageWork::Collecting(members) = self.image else {
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
            // The last `etc/hostname` the index keeps, as in memory.
            export.hostname = self
                .hostname
                .iter()
                .flatten()
                .find(|(seq, _)| *seq < kept)
                .and_then(|(_, b)| b.as_deref())
                .and_then(fs_export::hostname_of);
            out.diagnostics.extend(diags);
            out.items.push(Parsed::Export(export));
            return Classified::Done(out);
        }
        out.inputs.push(record(ArtifactKind::Bundle));
        // As in memory, a damaged archive is not also said to lack its end.
        bundle_warnings(
            self.path,
            index,
            index.error.is_some() || end.marker,
            &mut out,
        );
        Classified::Bundle {
            out,
            results: self.pass.finish(kept),
            whole: self.bundle == BundleWork::Whole,
        }
    }
}
