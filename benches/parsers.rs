//! Throughput of the json-file log parser over a synthetic ~20 MB log built
//! from the record shapes of `samples/logs/` (dockerd 20.10 json-file):
//! stdout info lines, some stderr errors, attrs, escaped quotes and ANSI
//! escapes, and one record in 2,000 starts a 40,000-char line that dockerd
//! split into three 16 KiB partials (about 10% of the bytes).
//!
//! `cargo bench --bench parsers`; set `CORONER_BENCH_DUMP=/path` to also
//! write the buffer out (to compare with `wc -l` or `jq`).

use std::hint::black_box;
use std::time::Duration;

use coroner::ingest::json_log;
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

criterion_group!(benches, bench_json_log);
criterion_main!(benches);
