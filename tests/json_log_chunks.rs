//! Issue #5: a json-file log read in chunks (mapped windows, streamed
//! decompression, parallel speculative scans merged in order) must give
//! exactly what one pass over the whole file gives, wherever the chunk
//! boundaries fall: inside partial chains, between the records of a chain,
//! next to bad lines, with the template-key cap reached mid-chunk.

use coroner::archive::compress::inflate;
use coroner::ingest::json_log::{parse, parse_reader, Chunked, LogFile};
use coroner::model::Limits;

const P: &str = "x/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-json.log";

/// Splits `data` into chunks of about `size` bytes ending at newlines, the
/// way the file and stream readers do.
fn split(data: &[u8], size: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let end = size.min(rest.len());
        let cut = match rest[..end].iter().rposition(|&b| b == b'\n') {
            Some(nl) if end < rest.len() => nl + 1,
            _ if end == rest.len() => end,
            _ => rest[end..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(rest.len(), |p| end + p + 1),
        };
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out
}

fn chunked(data: &[u8], size: usize, batch: usize, limits: &Limits) -> LogFile {
    let mut c = Chunked::new(P, limits);
    for b in split(data, size).chunks(batch) {
        c.push_batch(b);
    }
    c.finish()
}

fn pool(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .expect("pool")
}

fn check_all_ways(name: &str, data: &[u8], limits: &Limits, sizes: &[usize]) {
    let whole = parse(P, data, limits);
    for threads in [1, 2] {
        pool(threads).install(|| {
            for &size in sizes {
                for batch in [1, 2, 5] {
                    let got = chunked(data, size, batch, limits);
                    assert!(
                        got == whole,
                        "{name}: chunks of {size} B, batches of {batch}, {threads} threads differ:\n{got:#?}\nvs\n{whole:#?}"
                    );
                }
                let mut seen = 0u64;
                let got = parse_reader(P, &mut &data[..], limits, size, &mut |n| seen += n)
                    .expect("in-memory reader");
                assert!(got == whole, "{name}: reader with {size} B chunks differs");
                assert_eq!(seen, data.len() as u64, "{name}: progress bytes");
            }
        });
    }
}

fn rec(log: &str, stream: &str, time: &str) -> String {
    format!(
        "{{\"log\":{},\"stream\":\"{stream}\",\"time\":\"{time}\"}}\n",
        serde_json::to_string(log).expect("string")
    )
}

#[test]
fn every_sample_log_chunked_equals_single_pass() {
    let dir = format!("{}/samples/logs", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("samples/logs")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n != "PROVENANCE.md")
        .collect();
    names.sort();
    assert!(names.len() >= 10);
    for name in names {
        let bytes = std::fs::read(format!("{dir}/{name}")).expect("read");
        let data = if name.ends_with(".gz") {
            inflate(&bytes, 1 << 30, 1000).expect("inflate")
        } else {
            bytes
        };
        check_all_ways(&name, &data, &Limits::default(), &[1, 1024, 4096, 1 << 20]);
    }
}

/// Both streams interleaved with 16 KiB partial chains of up to five
/// records, so chains straddle every chunk size tried; bad records, CRLF,
/// blank lines, a BOM, times out of order, a chain over the line cap and an
/// unterminated chain at the end.
fn synthetic() -> Vec<u8> {
    let mut s = String::from("\u{feff}");
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut rnd = |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    for i in 0..3000u64 {
        let stream = if rnd(4) == 0 { "stderr" } else { "stdout" };
        let t = format!(
            "2026-11-29T03:{:02}:{:02}.{}Z",
            (i / 60) % 60,
            i % 60,
            rnd(1000) + 1
        );
        match rnd(20) {
            0 => {
                // A long line dockerd split into 16 KiB partials.
                let parts = 1 + rnd(4);
                for p in 0..parts {
                    let body = format!("{} chunk {p} of line {i} error ", "x".repeat(16 * 1024 - 30));
                    s.push_str(&rec(&body, stream, &t));
                }
                s.push_str(&rec(&format!("end of {i}\n"), stream, &t));
            }
            1 => s.push_str("not a record\n"),
            2 => s.push_str(&rec(&format!("crlf {i}\n"), stream, &t).replace('\n', "\r\n")),
            3 => s.push('\n'),
            4 => s.push_str(&rec(
                &format!("dial tcp: lookup db{i}: no such host\n"),
                stream,
                "2026-11-29T02:00:00Z",
            )),
            5 => s.push_str(&format!(
                "{{\"stream\":\"{stream}\",\"log\":\"slow path {i} panic: boom\\n\",\"time\":\"{t}\"}}\n"
            )),
            _ => s.push_str(&rec(&format!("line {i} ok id=42\n"), stream, &t)),
        }
    }
    for _ in 0..40 {
        s.push_str(&rec(&"y".repeat(3000), "stdout", "2026-11-29T04:00:00Z"));
    }
    s.push_str(&rec(
        "capped chain ends error\n",
        "stdout",
        "2026-11-29T04:00:00Z",
    ));
    s.push_str(&rec("open at eof ", "stderr", "2026-11-29T04:00:01Z"));
    s.into_bytes()
}

#[test]
fn synthetic_partial_chains_straddling_chunk_boundaries() {
    let data = synthetic();
    let limits = Limits {
        max_line_bytes: 50_000,
        ..Limits::default()
    };
    check_all_ways(
        "synthetic",
        &data,
        &limits,
        &[1024, 1500, 4096, 16 * 1024 + 7, 100_000],
    );
    let f = parse(P, &data, &limits);
    assert!(f.lines > 2000 && f.bad_records > 0 && !f.open_at_eof.is_empty());
    assert!(!f.diagnostics.is_empty());
}

/// More distinct error templates than `MAX_TEMPLATE_KEYS`: a parallel chunk
/// cannot know which of its new keys the file admits, so the merge must
/// rescan and still count exactly.
#[test]
fn template_key_cap_reached_inside_chunks() {
    let mut s = String::new();
    let word = |mut n: usize| {
        let mut w = String::new();
        loop {
            w.push((b'a' + (n % 26) as u8) as char);
            n /= 26;
            if n == 0 {
                break w;
            }
        }
    };
    for i in 0..12_000 {
        s.push_str(&rec(&format!("error {}\n", word(i)), "stdout", "T"));
        if i % 7 == 0 {
            s.push_str(&rec("error common\n", "stdout", "T"));
            s.push_str(&rec(
                &format!("error {}\n", word(11_999 - i)),
                "stdout",
                "T",
            ));
        }
    }
    check_all_ways(
        "templates",
        s.as_bytes(),
        &Limits::default(),
        &[64 * 1024, 200_000],
    );
}
