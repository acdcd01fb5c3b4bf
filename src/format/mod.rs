//! Formatting helpers every stage may use: sizes in binary units, lines
//! clipped for one-line summaries, and the exit-code table. This module sits
//! at the bottom: it imports nothing from the crate, so `rules` and `report`
//! can both use it without one importing the other.

pub mod exit_code;

pub use exit_code::{exit_meaning, signal_name};

/// Human-readable bytes, binary units: `64 MiB`, `1.9 MiB`, `512 B`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut u = 0;
    v /= 1024.0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if (v - v.round()).abs() < 0.05 {
        format!("{:.0} {}", v, UNITS[u])
    } else {
        format!("{:.1} {}", v, UNITS[u])
    }
}

/// A log line shortened for a one-line summary.
pub fn clip_line(s: &str) -> String {
    clip(s, 120)
}

/// Shortens `s` to `n` characters, marking the cut with `…`.
pub fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}
