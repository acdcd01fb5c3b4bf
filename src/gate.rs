//! The CI gate on image efficiency, like dive's `--ci`: limits on wasted
//! bytes, the wasted share and efficiency, checked against every image of a
//! report. The library evaluates; the binary prints and picks the exit code.

use std::fmt;

use crate::report::schema::{Image, Report};

/// Limits; `None` means the rule is not checked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Gate {
    /// Fail when an image wastes more than this many bytes.
    pub max_wasted_bytes: Option<u64>,
    /// Fail when `wasted / (size + wasted)` is above this (0.0–1.0).
    pub max_wasted_ratio: Option<f64>,
    /// Fail when `size / (size + wasted)` is below this (0.0–1.0).
    pub min_efficiency: Option<f64>,
}

impl Gate {
    /// True when no limit is set.
    pub fn is_empty(&self) -> bool {
        self.max_wasted_bytes.is_none()
            && self.max_wasted_ratio.is_none()
            && self.min_efficiency.is_none()
    }
}

/// One rule checked against one image.
#[derive(Clone, Debug, PartialEq)]
pub struct GateResult {
    /// "max-wasted-bytes", "max-wasted-ratio" or "min-efficiency".
    pub rule: &'static str,
    /// The image's first ref, else its id.
    pub image: String,
    pub pass: bool,
    /// The measured value and the limit, formatted for the line.
    pub value: String,
    pub limit: String,
    /// "<=" or ">=": what passing means.
    pub op: &'static str,
}

impl fmt::Display for GateResult {
    /// `PASS max-wasted-bytes pbloated:1.0: 8291456 <= 10000000`; a failing
    /// line shows the comparison that does not hold (`8291456 > 1000000`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match (self.pass, self.op) {
            (true, op) => op,
            (false, "<=") => ">",
            (false, _) => "<",
        };
        write!(
            f,
            "{} {} {}: {} {} {}",
            if self.pass { "PASS" } else { "FAIL" },
            self.rule,
            self.image,
            self.value,
            op,
            self.limit
        )
    }
}

/// `wasted / (size + wasted)`, 0.0 for an empty image.
pub fn wasted_ratio(i: &Image) -> f64 {
    let total = i.size_bytes + i.wasted_bytes;
    if total == 0 {
        0.0
    } else {
        i.wasted_bytes as f64 / total as f64
    }
}

fn efficiency(i: &Image) -> f64 {
    let total = i.size_bytes + i.wasted_bytes;
    if total == 0 {
        1.0
    } else {
        i.size_bytes as f64 / total as f64
    }
}

/// Every set rule against every image, in report order (images, then
/// rules in the order of `Gate`'s fields). Empty when no limit is set or
/// the report holds no image.
pub fn evaluate(report: &Report, gate: &Gate) -> Vec<GateResult> {
    let mut out = Vec::new();
    for i in &report.images {
        let image = i.refs.first().unwrap_or(&i.id).unescaped().to_string();
        if let Some(max) = gate.max_wasted_bytes {
            out.push(GateResult {
                rule: "max-wasted-bytes",
                image: image.clone(),
                pass: i.wasted_bytes <= max,
                value: i.wasted_bytes.to_string(),
                limit: max.to_string(),
                op: "<=",
            });
        }
        if let Some(max) = gate.max_wasted_ratio {
            let r = wasted_ratio(i);
            out.push(GateResult {
                rule: "max-wasted-ratio",
                image: image.clone(),
                pass: r <= max,
                value: format!("{r:.4}"),
                limit: max.to_string(),
                op: "<=",
            });
        }
        if let Some(min) = gate.min_efficiency {
            // Recomputed from the byte counts: the report's value is rounded.
            let e = efficiency(i);
            out.push(GateResult {
                rule: "min-efficiency",
                image: image.clone(),
                pass: e >= min,
                value: format!("{e:.4}"),
                limit: min.to_string(),
                op: ">=",
            });
        }
    }
    out
}

/// True when any result failed.
pub fn failed(results: &[GateResult]) -> bool {
    results.iter().any(|r| !r.pass)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(size: u64, wasted: u64) -> Report {
        Report {
            images: vec![Image {
                refs: vec!["x:1".into()],
                size_bytes: size,
                wasted_bytes: wasted,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn limits_and_lines() {
        let r = report(600, 400);
        let g = Gate {
            max_wasted_bytes: Some(400),
            max_wasted_ratio: Some(0.3),
            min_efficiency: Some(0.6),
        };
        let res = evaluate(&r, &g);
        let lines: Vec<String> = res.iter().map(|x| x.to_string()).collect();
        assert_eq!(
            lines,
            [
                "PASS max-wasted-bytes x:1: 400 <= 400",
                "FAIL max-wasted-ratio x:1: 0.4000 > 0.3",
                "PASS min-efficiency x:1: 0.6000 >= 0.6",
            ]
        );
        assert!(failed(&res));
        assert!(evaluate(&r, &Gate::default()).is_empty());
        // An empty image wastes nothing and is fully efficient.
        let res = evaluate(&report(0, 0), &g);
        assert!(!failed(&res), "{res:?}");
    }
}
