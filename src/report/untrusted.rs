//! `Untrusted`: text that came from an input (names, images, statuses, log
//! lines, kernel process names, paths, messages…). It has no `Display`, no
//! `Deref` and no `as_str`: the only ways to write it are the escaper of
//! each output format (`text`, `md`, `md_paragraph`, `html`), so a renderer
//! cannot put raw input on a terminal or in a page by forgetting a call.
//! JSON is escaped by serde: the type is `#[serde(transparent)]`, so the
//! report's JSON form is a plain string.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::escape;

#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Untrusted(String);

impl Untrusted {
    pub fn new(s: impl Into<String>) -> Untrusted {
        Untrusted(s.into())
    }

    /// For a terminal: control, C1, bidi and zero-width characters made visible.
    pub fn text(&self) -> Cow<'_, str> {
        escape::visible(&self.0)
    }

    /// For inline Markdown.
    pub fn md(&self) -> String {
        escape::md_inline(&self.0)
    }

    /// For Markdown that starts a paragraph.
    pub fn md_paragraph(&self) -> String {
        escape::md_paragraph(&self.0)
    }

    /// For inline Markdown as a code span (`escape::md_code`).
    pub fn md_code(&self) -> String {
        escape::md_code(&self.0)
    }

    /// A code span for a GFM table cell (`escape::md_code_cell`).
    pub fn md_code_cell(&self) -> String {
        escape::md_code_cell(&self.0)
    }

    /// Inline Markdown whose backtick pairs are real code spans (`escape::md_rich`).
    pub fn md_rich(&self) -> String {
        escape::md_rich(&self.0)
    }

    /// `md_rich` for a table cell.
    pub fn md_rich_cell(&self) -> String {
        escape::md_rich_cell(&self.0)
    }

    /// `md_rich` for text that starts a paragraph.
    pub fn md_rich_paragraph(&self) -> String {
        escape::md_rich_paragraph(&self.0)
    }

    /// For HTML content and quoted attribute values.
    pub fn html(&self) -> String {
        escape::html(&self.0)
    }

    /// Lines for a fenced Markdown code block whose fence no line can close.
    pub fn md_code_block(lines: &[Untrusted]) -> String {
        let raw: Vec<String> = lines.iter().map(|l| l.0.clone()).collect();
        escape::md_code_block(&raw)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The text itself, for analysis, comparisons and tests. Renderers never
    /// call it (a test in `report` checks their sources).
    pub fn unescaped(&self) -> &str {
        &self.0
    }

    /// The first `n` characters, with `…` where it was cut (see `format::clip`).
    pub fn clip(&self, n: usize) -> Untrusted {
        Untrusted(crate::format::clip(&self.0, n))
    }
}

impl Untrusted {
    /// The first `n` characters.
    pub fn take(&self, n: usize) -> Untrusted {
        Untrusted(self.0.chars().take(n).collect())
    }

    /// At most `n` characters: a longer text keeps `n - 1` and ends in `…`.
    pub fn shorten(&self, n: usize) -> Untrusted {
        if self.0.chars().count() > n {
            Untrusted(
                self.0
                    .chars()
                    .take(n.saturating_sub(1))
                    .chain(['…'])
                    .collect(),
            )
        } else {
            self.clone()
        }
    }
}

impl Untrusted {
    /// For HTML, with `` `…` `` spans as `<code>` elements (escaped inside).
    pub fn html_code(&self) -> String {
        escape::html_code_spans(&self.0)
    }

    /// As a percent-encoded URI reference (SARIF's `artifactLocation.uri`).
    pub fn uri(&self) -> String {
        escape::uri(&self.0)
    }
}

impl From<String> for Untrusted {
    fn from(s: String) -> Untrusted {
        Untrusted(s)
    }
}

impl From<&str> for Untrusted {
    fn from(s: &str) -> Untrusted {
        Untrusted(s.to_string())
    }
}

impl From<&String> for Untrusted {
    fn from(s: &String) -> Untrusted {
        Untrusted(s.clone())
    }
}

impl PartialEq<str> for Untrusted {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Untrusted {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Untrusted {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

/// Joins untrusted pieces with a separator of ours, still untrusted.
pub fn join(parts: &[Untrusted], sep: &str) -> Untrusted {
    Untrusted(
        parts
            .iter()
            .map(|p| p.0.as_str())
            .collect::<Vec<_>>()
            .join(sep),
    )
}

#[cfg(test)]
mod tests {
    use super::Untrusted;

    #[test]
    fn every_format_escapes() {
        let u = Untrusted::new("a\x1b]0;t\x07b\u{9b}c\u{202e}<x>*");
        assert!(!u
            .text()
            .chars()
            .any(|c| c == '\x1b' || c == '\u{9b}' || c == '\u{202e}'));
        assert!(!u.md().contains('\x1b') && u.md().contains("\\<x\\>"));
        assert!(!u.html().contains('<') && !u.html().contains('\x1b'));
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            "\"a\\u001b]0;t\\u0007b\u{9b}c\u{202e}<x>*\""
        );
    }

    /// Renderers write input only through the escapers.
    #[test]
    fn renderers_never_unwrap_untrusted_text() {
        for (name, src) in [
            ("text.rs", include_str!("text.rs")),
            ("markdown.rs", include_str!("markdown.rs")),
            ("html/mod.rs", include_str!("html/mod.rs")),
            ("html/timeline.rs", include_str!("html/timeline.rs")),
            ("sarif.rs", include_str!("sarif.rs")),
        ] {
            assert!(!src.contains(".unescaped()"), "{name} writes raw input");
        }
    }
}
