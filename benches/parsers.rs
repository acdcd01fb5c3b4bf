//! Throughput of the json-file log parser over a synthetic ~20 MB log built
//! from the record shapes of `samples/logs/` (dockerd 20.10 json-file):
//! stdout info lines, some stderr errors, attrs, escaped quotes and ANSI
//! escapes, and one record in 2,000 starts a 40,000-char line that dockerd
//! split into three 16 KiB partials (about 10% of the bytes).
//!
//! Also: `docker logs -t` text through the scanner's text entry point
//! (issue #11), the chunked log reader, kernel logs over `samples/kernel/*.txt`,
//! inspect over `samples/bundle/host/docker-inspect-all.json`, the tar index
//! and image analysis over `samples/images/pbloated_1.0.oci-gzip.tar`,
//! tar-split over the largest layer of `samples/real-data-root` (issue #14),
//! and a whole `coroner::run` over `samples/bundle` (issue #5).
//!
//! `cargo bench --bench parsers`; set `CORONER_BENCH_DUMP=/path` to also
//! write the buffer out (to compare with `wc -l` or `jq`).

use std::hint::black_box;
use std::time::Duration;

use coroner::archive::{tar_index, tar_split};
use coroner::ingest::{image, inspect, json_log, kernel};
use coroner::model::Limits;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const TARGET_BYTES: usize = 20 << 20;

/// A small deterministic generator (xorshift), so runs compare.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn record(out: &mut String, log_json: &str, stream: &str, attrs: bool, nanos: u64) {
    let secs = 1_200 + nanos / 1_000_000_000;
    let frac = nanos % 1_000_000_000;
    out.push_str("{\"log\":\"");
    out.push_str(log_json);
    out.push_str("\",\"stream\":\"");
    out.push_str(stream);
    out.push('"');
    if attrs {
        out.push_str(",\"attrs\":{\"tag\":\"api|api_1|sha256:a5e164d1b144e1e3\"}");
    }
    // dockerd trims trailing zeros of the fraction.
    let mut f = format!("{frac:09}");
    while f.ends_with('0') {
        f.pop();
    }
    let dot = if f.is_empty() { "" } else { "." };
    out.push_str(&format!(
        ",\"time\":\"2026-11-29T03:{:02}:{:02}{dot}{f}Z\"}}\n",
        (secs / 60) % 60,
        secs % 60
    ));
}

fn synthetic() -> Vec<u8> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = String::with_capacity(TARGET_BYTES + 64 * 1024);
    let mut t = 0u64;
    let mut n = 0u64;
    while out.len() < TARGET_BYTES {
        n += 1;
        t += rng.next() % 2_000_000;
        let r = rng.next() % 10_000;
        if r < 9_600 {
            let line = match r % 4 {
                0 => format!("GET /api/v1/orders/{} 200 {}ms\\n", rng.next() % 100_000, rng.next() % 900),
                1 => format!(
                    "level=info msg=\\\"request served\\\" path=/health status=200 req={:016x}\\n",
                    rng.next()
                ),
                2 => format!(
                    "172.17.0.{} - - [29/Nov/2026:03:20:02 +0000] \\\"GET / HTTP/1.1\\\" 200 612 \\\"-\\\" \\\"curl/8.5.0\\\" \\\"-\\\"\\n",
                    rng.next() % 255
                ),
                _ => format!("\\u001b[32mINFO\\u001b[0m worker {} processed batch {} in {}us\\n", n % 8, n, rng.next() % 10_000),
            };
            record(&mut out, &line, "stdout", r % 50 == 0, t);
        } else if r < 9_995 {
            let line = match r % 3 {
                0 => format!(
                    "level=error msg=\\\"upstream timeout\\\" upstream=payments attempt={}\\n",
                    rng.next() % 20
                ),
                1 => "dial tcp: lookup redis: no such host\\n".to_string(),
                _ => format!(
                    "Traceback (most recent call last):\\n  File \\\"/app/main.py\\\", line {}, in handler\\n",
                    rng.next() % 400
                ),
            };
            record(&mut out, &line, "stderr", false, t);
        } else {
            // A 40,000-char stdout line as three partial records, with a
            // stderr record interleaved.
            let body = "x".repeat(16_384);
            record(&mut out, &body, "stdout", false, t);
            record(
                &mut out,
                "panic: runtime error: index out of range [3] with length 3\\n",
                "stderr",
                false,
                t,
            );
            record(&mut out, &body, "stdout", false, t);
            let rest = format!("{}\\n", "x".repeat(40_000 - 2 * 16_384));
            record(&mut out, &rest, "stdout", false, t);
        }
    }
    out.into_bytes()
}

fn bench_json_log(c: &mut Criterion) {
    let data = synthetic();
    if let Ok(path) = std::env::var("CORONER_BENCH_DUMP") {
        std::fs::write(&path, &data).expect("write dump");
    }
    let limits = Limits::default();
    let path = "bench/0000000000000000000000000000000000000000000000000000000000000000-json.log";
    let probe = json_log::parse(path, &data, &limits);
    assert_eq!(probe.bad_records, 0);
    eprintln!(
        "synthetic json-file log: {} bytes, {} records, {} lines, {} stderr, {} templates",
        data.len(),
        probe.records,
        probe.lines,
        probe.stderr_lines,
        probe.templates.len()
    );
    assert!(probe.lines > 50_000 && probe.stderr_lines > 0 && !probe.templates.is_empty());
    let mut group = c.benchmark_group("json_log");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("parse", |b| {
        b.iter(|| json_log::parse(black_box(path), black_box(&data), &limits))
    });
    group.finish();
}

/// The same log through the chunked reader (8 MiB chunks, parallel
/// speculative scans merged in order) that ingest uses for files.
fn bench_json_log_chunked(c: &mut Criterion) {
    let data = synthetic();
    let limits = Limits::default();
    let path = "bench/0000000000000000000000000000000000000000000000000000000000000000-json.log";
    let mut group = c.benchmark_group("json_log");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("parse_reader_8MiB", |b| {
        b.iter(|| {
            json_log::parse_reader(
                path,
                &mut &data[..],
                &limits,
                json_log::CHUNK_BYTES,
                &mut |_| {},
            )
        })
    });
    group.finish();
}

/// A ~20 MB `docker logs -t` text log (issue #11): docker/cli's nine-digit
/// stamps, app lines of the shapes above, about 3 % errors, a Go panic now
/// and then, and stray Latin-1 bytes in one line in 500.
fn synthetic_text() -> Vec<u8> {
    let mut rng = Rng(0x5eed_7e47);
    let mut out = Vec::with_capacity(TARGET_BYTES + 4096);
    let mut nanos = 0u64;
    while out.len() < TARGET_BYTES {
        nanos += 50_000 + rng.next() % 250_000;
        let secs = 1_200 + nanos / 1_000_000_000;
        let stamp = format!(
            "2026-11-29T03:{:02}:{:02}.{:09}Z ",
            (secs / 60) % 60,
            secs % 60,
            nanos % 1_000_000_000
        );
        let r = rng.next();
        let text = match r % 1000 {
            0..=24 => format!(
                "level=error msg=\"upstream timeout\" upstream=payments attempt={} err=\"context deadline exceeded\"",
                r % 7
            ),
            25..=29 => format!("level=error msg=\"lookup redis on 127.0.0.11:53: no such host\" id={r:x}"),
            30 if r % 7 == 0 => "panic: runtime error: invalid memory address or nil pointer dereference".to_string(),
            31 => format!("caf\u{e9} ouvert id={}", r % 1000),
            _ => format!(
                "level=info msg=\"request served\" method=GET path=/api/v1/orders/{} status=200 bytes={} duration={}ms",
                r % 100_000,
                r % 9000,
                r % 999
            ),
        };
        out.extend_from_slice(stamp.as_bytes());
        if text.starts_with("caf") {
            // Latin-1, as a `docker logs` of a `local`-driver container holds it.
            out.extend_from_slice(b"caf\xe9");
            out.extend_from_slice(&text.as_bytes()["caf\u{e9}".len()..]);
        } else {
            out.extend_from_slice(text.as_bytes());
        }
        out.push(b'\n');
    }
    out
}

/// `docker logs -t` text through the json-file scanner's text entry point.
fn bench_docker_logs_text(c: &mut Criterion) {
    use coroner::ingest::docker_logs::{self, Shape};
    let data = synthetic_text();
    let limits = Limits::default();
    let path = "bench/docker_logs_-t_0123456789ab";
    let probe = docker_logs::parse(path, &data, Shape::Stamped, &limits);
    let physical = data.iter().filter(|&&c| c == b'\n').count() as u64;
    assert_eq!(probe.log.lines, physical, "every line counted");
    assert!(!probe.log.templates.is_empty() && !probe.log.signatures.is_empty());
    eprintln!(
        "synthetic docker logs text: {} bytes, {} lines, {} templates",
        data.len(),
        probe.log.lines,
        probe.log.templates.len()
    );
    let mut group = c.benchmark_group("docker_logs_text");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("parse", |b| {
        b.iter(|| docker_logs::parse(black_box(path), black_box(&data), Shape::Stamped, &limits))
    });
    group.finish();
}

fn sample(rel: &str) -> Vec<u8> {
    let p = format!("{}/samples/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn bench_kernel(c: &mut Criterion) {
    let dir = format!("{}/samples/kernel", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("samples/kernel")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read");
            (p.to_string_lossy().into_owned(), bytes)
        })
        .collect();
    files.sort();
    let total: usize = files.iter().map(|f| f.1.len()).sum();
    let ctx = kernel::KernelContext {
        year_hint: Some(2026),
    };
    let mut group = c.benchmark_group("kernel");
    group.throughput(Throughput::Bytes(total as u64));
    group.bench_function("parse_all_samples", |b| {
        b.iter(|| {
            for (p, t) in &files {
                black_box(kernel::parse(p, t, &ctx));
            }
        })
    });
    group.finish();
}

fn bench_inspect(c: &mut Criterion) {
    let data = sample("bundle/host/docker-inspect-all.json");
    let mut group = c.benchmark_group("inspect");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("parse_docker_inspect_all", |b| {
        b.iter(|| {
            let v: serde_json::Value = serde_json::from_slice(black_box(&data)).expect("json");
            inspect::parse("docker-inspect-all.json", &data, &v)
        })
    });
    group.finish();
}

fn bench_image(c: &mut Criterion) {
    let data = sample("images/pbloated_1.0.oci-gzip.tar");
    let limits = Limits::default();
    let mut group = c.benchmark_group("image");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("tar_index_oci_gzip", |b| {
        b.iter(|| tar_index::index_slice(black_box(&data), &limits))
    });
    group.bench_function("analyze_oci_gzip", |b| {
        b.iter(|| {
            let idx = tar_index::index_slice(&data, &limits);
            image::analyze("pbloated_1.0.oci-gzip.tar", &data, &idx, &limits)
        })
    });
    group.finish();
}

/// The largest layer's `tar-split.json.gz` of the real data root (#14),
/// inflated: the headers of a layer read without its bodies.
fn bench_tar_split(c: &mut Criterion) {
    let gz = sample("real-data-root/docker-data-root-prodweb01.tar.gz");
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(&gz[..]));
    let mut text = Vec::new();
    for e in ar.entries().expect("tar") {
        let mut e = e.expect("entry");
        if e.path_bytes().ends_with(b"/tar-split.json.gz") {
            let mut z = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut z).expect("read");
            let mut t = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&z[..]), &mut t)
                .expect("gzip");
            if t.len() > text.len() {
                text = t;
            }
        }
    }
    let limits = Limits::default();
    let mut group = c.benchmark_group("tar_split");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("index_largest_real_layer", |b| {
        b.iter(|| tar_split::index(black_box(&text[..]), &limits))
    });
    group.finish();
}

fn bench_run(c: &mut Criterion) {
    let config = coroner::Config::new(vec![format!(
        "{}/samples/bundle",
        env!("CARGO_MANIFEST_DIR")
    )
    .into()]);
    let mut group = c.benchmark_group("run");
    group.sample_size(20);
    group.bench_function("samples_bundle", |b| b.iter(|| coroner::run(&config)));
    group.finish();
}

criterion_group!(
    benches,
    bench_json_log,
    bench_json_log_chunked,
    bench_docker_logs_text,
    bench_kernel,
    bench_inspect,
    bench_image,
    bench_tar_split,
    bench_run
);
criterion_main!(benches);
