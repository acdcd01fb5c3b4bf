//! JSON output: exactly the `coroner.report/v1` contract, pretty-printed,
//! with a trailing newline. serde_json escapes every control character.

use super::schema::Report;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("report types always serialise");
    s.push('\n');
    s
}
