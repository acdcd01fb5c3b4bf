//! Compression detected by magic bytes, never by file name, and inflated
//! through a reader that refuses to produce more than the configured cap
//! (gzip, zstd and xz bombs stop at the cap with an error naming it).

use std::io::{self, Read};

use flate2::read::MultiGzDecoder;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Xz,
}

impl Compression {
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else if head.starts_with(&XZ_MAGIC) {
            Compression::Xz
        } else {
            Compression::None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "uncompressed",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Xz => "xz",
        }
    }
}

/// The xz stream header magic (`.xz`, `.tar.xz`; sos's default).
const XZ_MAGIC: [u8; 6] = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

/// The most memory an xz stream may ask for (its dictionary): `xz -9`
/// needs 65 MiB to decode, so this only refuses hand-made headers.
const XZ_MEMLIMIT: u64 = 320 << 20;

/// The error inside the `InvalidData` that [`CappedReader`] fails with, so
/// callers can tell a bomb from damage ([`is_cap_error`]).
#[derive(Debug)]
struct CapExceeded(u64);

impl std::fmt::Display for CapExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "decompressed size exceeds the limit of {} bytes (raise it with --max-decompressed-bytes)",
            self.0
        )
    }
}

impl std::error::Error for CapExceeded {}

/// True when `e` is [`CappedReader`]'s cap, not damage in the stream.
pub fn is_cap_error(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<CapExceeded>())
}

/// Wraps a reader and fails with `InvalidData` once more than `cap` bytes
/// have come out of it.
pub struct CappedReader<R> {
    inner: R,
    produced: u64,
    cap: u64,
}

impl<R: Read> CappedReader<R> {
    pub fn new(inner: R, cap: u64) -> Self {
        CappedReader {
            inner,
            produced: 0,
            cap,
        }
    }
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        if self.produced > self.cap {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                CapExceeded(self.cap),
            ));
        }
        Ok(n)
    }
}

/// A streaming decoder over `data` for the detected compression, capped.
pub fn decoder<'a>(data: &'a [u8], cap: u64) -> io::Result<Box<dyn Read + Send + 'a>> {
    Ok(match Compression::sniff(data) {
        Compression::None => Box::new(CappedReader::new(data, cap)),
        Compression::Gzip => Box::new(CappedReader::new(MultiGzDecoder::new(data), cap)),
        Compression::Zstd => {
            let mut d = zstd::stream::read::Decoder::with_buffer(data)?;
            // Frames may ask for windows up to 2 GiB; allow what zstd's CLI
            // allows with --long=31 and no more.
            d.window_log_max(31)?;
            Box::new(CappedReader::new(d, cap))
        }
        Compression::Xz => Box::new(CappedReader::new(xz(data)?, cap)),
    })
}

/// Reads a slice (e.g. of a file mapping), handing each consumed 8 MiB to
/// `release` so the caller can let those pages go.
pub struct Releasing<'a> {
    data: &'a [u8],
    pos: usize,
    released: usize,
    release: &'a (dyn Fn(&[u8]) + Sync),
}

impl<'a> Releasing<'a> {
    pub fn new(data: &'a [u8], release: &'a (dyn Fn(&[u8]) + Sync)) -> Self {
        Releasing {
            data,
            pos: 0,
            released: 0,
            release,
        }
    }
}

impl Read for Releasing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        if self.pos - self.released >= 8 << 20 {
            (self.release)(&self.data[self.released..self.pos]);
            self.released = self.pos;
        }
        Ok(n)
    }
}

/// A streaming decoder for `comp` over any reader, capped.
pub fn decoder_from<'a, R: Read + Send + 'a>(
    comp: Compression,
    reader: R,
    cap: u64,
) -> io::Result<Box<dyn Read + Send + 'a>> {
    Ok(Box::new(decode(comp, reader, cap)?))
}

/// [`decoder_from`] without boxing, for readers that are not `Send` (an
/// archive member's body while its archive is being walked).
pub fn decode<'a, R: Read + 'a>(
    comp: Compression,
    reader: R,
    cap: u64,
) -> io::Result<Decoded<'a, R>> {
    Ok(match comp {
        Compression::None => Decoded::Plain(CappedReader::new(reader, cap)),
        Compression::Gzip => Decoded::Gzip(Box::new(CappedReader::new(
            MultiGzDecoder::new(reader),
            cap,
        ))),
        Compression::Zstd => {
            let mut d = zstd::stream::read::Decoder::new(reader)?;
            d.window_log_max(31)?;
            Decoded::Zstd(CappedReader::new(d, cap))
        }
        Compression::Xz => Decoded::Xz(Box::new(CappedReader::new(xz(reader)?, cap))),
    })
}

/// A capped reader of plain, gzip, zstd or xz bytes.
pub enum Decoded<'a, R: Read> {
    Plain(CappedReader<R>),
    /// Boxed: the inflater's state is large.
    Gzip(Box<CappedReader<MultiGzDecoder<R>>>),
    Zstd(CappedReader<zstd::stream::read::Decoder<'a, io::BufReader<R>>>),
    /// Boxed: the decoder's state is large.
    Xz(Box<CappedReader<XzDecoder<R>>>),
}

impl<R: Read> Read for Decoded<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoded::Plain(r) => r.read(buf),
            Decoded::Gzip(r) => r.read(buf),
            Decoded::Zstd(r) => r.read(buf),
            Decoded::Xz(r) => r.read(buf),
        }
    }
}

/// The xz decoder: liblzma, the library `xz` itself uses (built from
/// source, no system library), single-threaded, reading every stream of a
/// concatenation as `xz -dc` does; a stream asking for more than
/// [`XZ_MEMLIMIT`] fails before the memory is taken.
pub type XzDecoder<R> = liblzma::read::XzDecoder<R>;

fn xz<R: Read>(reader: R) -> io::Result<XzDecoder<R>> {
    let stream =
        liblzma::stream::Stream::new_stream_decoder(XZ_MEMLIMIT, liblzma::stream::CONCATENATED)
            .map_err(io::Error::other)?;
    Ok(liblzma::read::XzDecoder::new_stream(reader, stream))
}

/// The decompressed-size cap for `compressed` input bytes: the smaller of
/// `max_bytes` and `compressed * max_ratio`, but at least 64 MiB.
pub fn cap_for(compressed: u64, max_bytes: u64, max_ratio: u64) -> u64 {
    max_bytes.min(compressed.saturating_mul(max_ratio).max(64 << 20))
}

/// Decodes at most `n` bytes from the start of compressed `data` (to
/// identify what it holds before choosing how to read the rest).
pub fn head(data: &[u8], n: usize, cap: u64) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    decoder(data, cap)?.take(n as u64).read_to_end(&mut out)?;
    Ok(out)
}

/// [`inflate`], keeping what was decoded when the stream fails part way
/// (a cut download): the bytes before the failure, and the failure.
pub fn inflate_partial(
    data: &[u8],
    max_bytes: u64,
    max_ratio: u64,
) -> (Vec<u8>, Option<io::Error>) {
    let cap = cap_for(data.len() as u64, max_bytes, max_ratio);
    let mut out = Vec::new();
    let err = decoder(data, cap)
        .and_then(|mut r| r.read_to_end(&mut out))
        .err();
    (out, err)
}

/// Inflates `data` completely into memory. The cap is the smaller of
/// `max_bytes` and `data.len() * max_ratio` (but at least 64 MiB, so small
/// highly compressible logs still open).
pub fn inflate(data: &[u8], max_bytes: u64, max_ratio: u64) -> io::Result<Vec<u8>> {
    let cap = cap_for(data.len() as u64, max_bytes, max_ratio);
    let mut out = Vec::new();
    let mut r = decoder(data, cap)?;
    r.read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn sniffs_by_magic() {
        assert_eq!(Compression::sniff(&gzip(b"x")), Compression::Gzip);
        assert_eq!(
            Compression::sniff(&zstd::encode_all(&b"x"[..], 1).unwrap()),
            Compression::Zstd
        );
        assert_eq!(Compression::sniff(&xz(b"x")), Compression::Xz);
        assert_eq!(Compression::sniff(b"{\"log\""), Compression::None);
    }

    fn xz(data: &[u8]) -> Vec<u8> {
        let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn xz_streams_concatenate_stop_at_the_cap_and_keep_what_a_cut_held() {
        let mut both = xz(b"hello ");
        both.extend(xz(b"world"));
        assert_eq!(inflate(&both, 1 << 20, 1000).unwrap(), b"hello world");
        let bomb = xz(&vec![0u8; 8 << 20]);
        let err = inflate(&bomb, 1 << 20, 1_000_000).unwrap_err();
        assert!(is_cap_error(&err), "{err}");
        assert!(err.to_string().contains("exceeds the limit"), "{err}");
        let text: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let packed = xz(&text);
        let (partial, err) = inflate_partial(&packed[..packed.len() / 2], 1 << 30, 1000);
        let err = err.expect("a cut stream fails");
        assert!(!is_cap_error(&err));
        assert!(!partial.is_empty() && text.starts_with(&partial));
    }

    #[test]
    fn multi_member_gzip_reads_every_member() {
        let mut both = gzip(b"hello ");
        both.extend(gzip(b"world"));
        assert_eq!(inflate(&both, 1 << 20, 1000).unwrap(), b"hello world");
    }

    #[test]
    fn a_bomb_stops_at_the_cap() {
        let zeros = vec![0u8; 8 << 20];
        let z = zstd::encode_all(&zeros[..], 3).unwrap();
        let err = inflate(&z, 1 << 20, 1_000_000).unwrap_err();
        assert!(err.to_string().contains("exceeds the limit"), "{err}");
    }
}
