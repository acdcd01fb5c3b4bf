//! A large compressed member of a streamed archive, decoded as it streams
//! when it holds a tar or a json-file log; anything else is handed back
//! with the compressed bytes read while deciding.

use std::io::Read;

use super::ingest_tar_reader;
use crate::archive::compress::{self, Compression};
use crate::archive::tar_index;
use crate::ingest::dispatch::{decoded_before, is_log_head, log_from_reader};
use crate::ingest::{read_full, Ingested};
use crate::model::Limits;

/// What [`stream_compressed`] did with a member.
pub(super) enum Streamed {
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
pub(super) fn stream_compressed(
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
            Ok(dec) => {
                // A cut stream ends where it breaks ([`super::Cut`]): a
                // tar keeps the members before the cut, as reading the
                // member whole does; a log is damaged, as read whole.
                let mut dec = super::Cut::new(dec);
                let mut plain = vec![0u8; 64 * 1024];
                match read_full(&mut dec, &mut plain) {
                    Err(_) => None,
                    Ok(_) if dec.cut() => None,
                    Ok(n) => {
                        plain.truncate(n);
                        let tar = tar_index::looks_like_tar(&plain);
                        if tar || is_log_head(&plain) {
                            // Decided: stop recording, read on.
                            *kept.borrow_mut() = None;
                            let mut r = std::io::Cursor::new(plain).chain(&mut dec);
                            let done = if tar {
                                ingest_tar_reader(member, &mut r, depth + 1, size, limits)
                            } else {
                                log_from_reader(member, &mut r, size, limits)
                            };
                            Some(match (done, dec.cause()) {
                                (Ok(mut out), Some(e)) if tar => {
                                    out.diagnostics.push(decoded_before(
                                        member,
                                        comp,
                                        &e,
                                        dec.produced(),
                                    ));
                                    Ok(out)
                                }
                                (_, Some(e)) => Err(e),
                                (done, None) => done,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ingest_bytes;
    use std::path::Path;

    /// Issue #11: a compressed member cut part way and decoded as it
    /// streams ingests as the same bytes read whole do: a tar keeps the
    /// members before the cut and says the decoder's error, a log stays
    /// damaged. The real sosreport of samples/sos, cut at several offsets.
    #[test]
    fn a_cut_member_streams_as_read_whole() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/sos");
        let zst = std::fs::read(root.join("sosreport-qhost-2026.tar.zst")).unwrap();
        let limits = Limits::default();
        let mut kept = 0;
        for (ext, packed) in [
            ("zst", zst.clone()),
            ("xz", {
                let tar = zstd::decode_all(&zst[..]).unwrap();
                let mut w = liblzma::write::XzEncoder::new(Vec::new(), 1);
                std::io::Write::write_all(&mut w, &tar).unwrap();
                w.finish().unwrap()
            }),
        ] {
            for cut in [packed.len() / 4, packed.len() / 2, packed.len() - 5] {
                let data = &packed[..cut];
                let member = format!("o.tar!/s.tar.{ext}@{cut}");
                let comp = Compression::sniff(data);
                let head = data[..data.len().min(64 * 1024)].to_vec();
                let mut body = &data[head.len()..];
                let streamed =
                    match stream_compressed(&member, cut as u64, comp, head, &mut body, 2, &limits)
                    {
                        Ok(Streamed::Done(out)) => out,
                        Ok(Streamed::Read(_)) => continue,
                        Err(e) => panic!("{member}: {e}"),
                    };
                let whole = ingest_bytes(&member, data, 2, cut as u64, &limits);
                assert_eq!(format!("{streamed:#?}"), format!("{whole:#?}"), "{member}");
                if streamed.inputs.len() > 1 {
                    let last = &streamed.diagnostics.last().unwrap().message;
                    assert!(
                        last.ends_with("bytes decoded before it were used"),
                        "{last}"
                    );
                    kept += 1;
                }
            }
        }
        assert!(kept >= 4, "{kept}");
    }
}
