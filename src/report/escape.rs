//! Output safety: input text (log lines, kernel lines, file names) may hold
//! ANSI/OSC escape sequences, C0/C1 control characters, bidi overrides,
//! invisible characters and Markdown or HTML. Every format shows such
//! characters escaped, never raw; Markdown punctuation and HTML
//! metacharacters from input are neutralised on top.
//!
//! Invalid UTF-8 never gets this far: ingest decodes input bytes lossily,
//! so a bad byte arrives as U+FFFD, a visible glyph that is left as it is.

use std::borrow::Cow;
use std::fmt::Write;

/// True for a character that must never reach a report raw: it would move
/// the cursor, retitle or clear a terminal, reorder the text around it, or
/// hide itself (issue #10).
///
/// - C0 controls (tab excepted: renderers turn it into a space), DEL and
///   the C1 controls U+0080–U+009F (U+009B is a one-byte CSI on terminals
///   that honour 8-bit controls);
/// - bidi marks, embeddings, overrides and isolates: U+061C, U+200E/F,
///   U+202A–U+202E, U+2066–U+2069;
/// - line and paragraph separators U+2028/U+2029;
/// - zero-width and invisible format characters: U+180E, U+200B–U+200D,
///   U+2060–U+2064, U+206A–U+206F, U+FEFF, the interlinear annotation
///   controls U+FFF9–U+FFFB and the tag characters U+E0000–U+E007F (which
///   can carry a whole hidden ASCII message).
pub fn needs_escape(c: char) -> bool {
    let u = c as u32;
    (u < 0x20 && c != '\t')
        || u == 0x7f
        || (0x80..=0x9f).contains(&u)
        || matches!(
            u,
            0x061c
                | 0x180e
                | 0x200b..=0x200f
                | 0x2028..=0x202e
                | 0x2060..=0x2064
                | 0x2066..=0x206f
                | 0xfeff
                | 0xfff9..=0xfffb
                | 0xe0000..=0xe007f
        )
}

/// Replaces every character of [`needs_escape`] with a visible escape
/// (`\x1b`, `\n`, `\r`, `\u{202e}`); tabs become spaces. Borrows when
/// there is nothing to replace.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| needs_escape(c) || c == '\t') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push(' '),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) && (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Escapes text for inline Markdown: control characters made visible, and
/// every CommonMark punctuation character that could start markup escaped,
/// so input can neither inject HTML nor links, tables or emphasis.
pub fn md_inline(s: &str) -> String {
    let v = visible(s);
    let mut out = String::with_capacity(v.len() + 8);
    for c in v.chars() {
        if matches!(
            c,
            '\\' | '`'
                | '*'
                | '_'
                | '['
                | ']'
                | '<'
                | '>'
                | '|'
                | '#'
                | '!'
                | '~'
                | '{'
                | '}'
                | '('
                | ')'
                | '&'
                | '@'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Escapes text that starts a Markdown paragraph: `md_inline`, plus the
/// characters that only mean something at the start of a line (`-`, `+`,
/// `=` for lists and setext headings, `1.`/`1)` for ordered lists) and
/// leading spaces (four of them would start an indented code block).
pub fn md_paragraph(s: &str) -> String {
    let e = md_inline(s.trim_start());
    let digits = e.chars().take_while(|c| c.is_ascii_digit()).count();
    let next = e[digits..].chars().next();
    if digits == 0 && matches!(next, Some('-' | '+' | '=')) {
        format!("\\{e}")
    } else if (1..=9).contains(&digits) && matches!(next, Some('.' | ')')) {
        format!("{}\\{}", &e[..digits], &e[digits..])
    } else {
        e
    }
}

/// Escapes text for HTML element content and quoted attribute values:
/// control characters made visible first, then `& < > " '` as entities, so
/// input can neither open a tag nor break out of an attribute.
pub fn html(s: &str) -> String {
    let v = visible(s);
    let mut out = String::with_capacity(v.len() + 16);
    for c in v.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A fenced code block whose fence is longer than any backtick run inside,
/// so content can never close it early.
pub fn md_code_block(lines: &[String]) -> String {
    let body: Vec<String> = lines.iter().map(|l| visible(l).into_owned()).collect();
    let mut longest = 0;
    for l in &body {
        let mut run = 0;
        for c in l.chars() {
            if c == '`' {
                run += 1;
                longest = longest.max(run);
            } else {
                run = 0;
            }
        }
    }
    let fence = "`".repeat((longest + 1).max(3));
    format!("{fence}text\n{}\n{fence}\n", body.join("\n"))
}

/// Percent-encodes a path into a URI reference (RFC 3986): unreserved
/// characters, `/` and the sub-delimiters stay; every other byte, `:`
/// included (a `:` in the first segment would read as a scheme), becomes
/// `%XX`.
pub fn uri(path: &str) -> String {
    let mut o = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            );
        if keep {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// HTML like [`html`], with each `` `…` `` span of the text as a `<code>`
/// element holding the escaped span (issue #13). A backtick without its
/// pair stays a backtick. Only our own `<code>` tags are written: the
/// content of a span is escaped like any other text.
pub fn html_code_spans(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    let mut rest = s;
    while let Some(open) = rest.find('`') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('`') else {
            break;
        };
        let code = &after[..close];
        out.push_str(&html(&rest[..open]));
        if code.trim().is_empty() {
            // `` or ` `: not a span, keep the backticks.
            out.push_str(&html(&rest[open..open + close + 2]));
        } else {
            out.push_str("<code>");
            out.push_str(&html(code));
            out.push_str("</code>");
        }
        rest = &after[close + 1..];
    }
    out.push_str(&html(rest));
    out
}

/// An inline code span holding `s` verbatim (control characters made
/// visible): delimited by a backtick run longer than any run inside, so no
/// content can close it, and padded with a space when the content starts or
/// ends with a backtick or a space (CommonMark strips one space on each
/// side). Nothing inside a code span is markup: no HTML, link, emphasis or
/// @mention. Empty text gives nothing.
pub fn md_code(s: &str) -> String {
    let v = visible(s);
    if v.is_empty() {
        return String::new();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in v.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let edge = |c: Option<char>| matches!(c, Some('`' | ' '));
    let pad = if (edge(v.chars().next()) || edge(v.chars().last())) && !v.chars().all(|c| c == ' ')
    {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{v}{pad}{fence}")
}

/// [`md_code`] for a GFM table cell: `|` written `\|`, which the table
/// parser turns back into `|` before the span is read, so input cannot end
/// the cell.
pub fn md_code_cell(s: &str) -> String {
    md_code(s).replace('|', "\\|")
}

/// Text with our own backtick code spans (rule texts quote commands and
/// values as `` `docker run --memory` ``): each matched backtick pair
/// becomes a real code span ([`md_code`], so any backtick inside is safe),
/// and everything else is escaped as [`md_inline`]. An unmatched backtick
/// is shown escaped. `cell` writes the spans for a table cell.
fn md_rich_parts(s: &str, cell: bool) -> Vec<(bool, String)> {
    let mut parts: Vec<(bool, String)> = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while let Some(k) = rest.find('`') {
        let n = rest[k..].chars().take_while(|&c| c == '`').count();
        let after = &rest[k + n..];
        // The closing run: exactly `n` backticks.
        let mut close = None;
        let mut i = 0;
        while let Some(j) = after[i..].find('`') {
            let at = i + j;
            let m = after[at..].chars().take_while(|&c| c == '`').count();
            if m == n {
                close = Some(at);
                break;
            }
            i = at + m;
        }
        match close {
            Some(at) if at > 0 => {
                text.push_str(&rest[..k]);
                if !text.is_empty() {
                    parts.push((false, std::mem::take(&mut text)));
                }
                let code = &after[..at];
                parts.push((
                    true,
                    if cell {
                        md_code_cell(code)
                    } else {
                        md_code(code)
                    },
                ));
                rest = &after[at + n..];
            }
            _ => {
                text.push_str(&rest[..k + n]);
                rest = after;
            }
        }
    }
    text.push_str(rest);
    if !text.is_empty() {
        parts.push((false, text));
    }
    parts
}

fn md_rich_join(parts: Vec<(bool, String)>, paragraph: bool) -> String {
    let mut out = String::new();
    for (k, (code, p)) in parts.into_iter().enumerate() {
        if code {
            out.push_str(&p);
        } else if k == 0 && paragraph {
            out.push_str(&md_paragraph(&p));
        } else {
            out.push_str(&md_inline(&p));
        }
    }
    out
}

/// Inline Markdown with real code spans for our backtick pairs.
pub fn md_rich(s: &str) -> String {
    md_rich_join(md_rich_parts(s, false), false)
}

/// [`md_rich`] for a table cell.
pub fn md_rich_cell(s: &str) -> String {
    md_rich_join(md_rich_parts(s, true), false)
}

/// [`md_rich`] for text that starts a paragraph ([`md_paragraph`]'s rules
/// for the first piece of text).
pub fn md_rich_paragraph(s: &str) -> String {
    md_rich_join(md_rich_parts(s.trim_start(), false), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_are_visible() {
        assert_eq!(visible("a\x1b[31mred"), "a\\x1b[31mred");
        assert_eq!(visible("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(visible("\u{9b}"), "\\x9b");
        assert_eq!(visible("plain"), "plain");
    }

    #[test]
    fn c0_del_and_c1_are_visible() {
        assert_eq!(visible("\0a\x07b\x08c"), "\\x00a\\x07b\\x08c");
        assert_eq!(visible("a\r\nb"), "a\\r\\nb");
        assert_eq!(visible("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");
        assert_eq!(visible("\x1b[2J\x1b[31m"), "\\x1b[2J\\x1b[31m");
        assert_eq!(visible("x\x7fy"), "x\\x7fy");
        assert_eq!(visible("\u{80}\u{9b}31m\u{9f}"), "\\x80\\x9b31m\\x9f");
        // Tabs are spacing, not control: they stay readable as a space.
        assert_eq!(visible("a\tb"), "a b");
        // Latin-1 letters just above C1 are text.
        assert_eq!(visible("caf\u{e9} \u{a0}"), "caf\u{e9} \u{a0}");
    }

    #[test]
    fn bidi_marks_overrides_and_isolates_are_visible() {
        for (c, shown) in [
            ('\u{061c}', "\\u{061c}"),
            ('\u{200e}', "\\u{200e}"),
            ('\u{200f}', "\\u{200f}"),
            ('\u{202a}', "\\u{202a}"),
            ('\u{202b}', "\\u{202b}"),
            ('\u{202c}', "\\u{202c}"),
            ('\u{202d}', "\\u{202d}"),
            ('\u{202e}', "\\u{202e}"),
            ('\u{2066}', "\\u{2066}"),
            ('\u{2067}', "\\u{2067}"),
            ('\u{2068}', "\\u{2068}"),
            ('\u{2069}', "\\u{2069}"),
            ('\u{2028}', "\\u{2028}"),
            ('\u{2029}', "\\u{2029}"),
        ] {
            assert_eq!(visible(&format!("a{c}b")), format!("a{shown}b"));
        }
    }

    #[test]
    fn zero_width_and_invisible_characters_are_visible() {
        for (c, shown) in [
            ('\u{200b}', "\\u{200b}"),
            ('\u{200c}', "\\u{200c}"),
            ('\u{200d}', "\\u{200d}"),
            ('\u{2060}', "\\u{2060}"),
            ('\u{2064}', "\\u{2064}"),
            ('\u{206f}', "\\u{206f}"),
            ('\u{180e}', "\\u{180e}"),
            ('\u{feff}', "\\u{feff}"),
            ('\u{fffb}', "\\u{fffb}"),
            ('\u{e0041}', "\\u{e0041}"),
        ] {
            assert_eq!(visible(&format!("a{c}b")), format!("a{shown}b"));
        }
        // Visible neighbours are left alone.
        assert_eq!(
            visible("\u{2010}\u{2030}\u{2070}"),
            "\u{2010}\u{2030}\u{2070}"
        );
    }

    #[test]
    fn replacement_character_from_invalid_utf8_stays_as_is() {
        let lossy = String::from_utf8_lossy(b"ok\xff\xc3(");
        assert_eq!(visible(&lossy), "ok\u{fffd}\u{fffd}(");
    }

    #[test]
    fn no_escaper_lets_any_hostile_character_through() {
        let all: String = (0..=0x10ffffu32).filter_map(char::from_u32).collect();
        for (name, out) in [
            ("visible", visible(&all).into_owned()),
            ("md_inline", md_inline(&all)),
            ("md_paragraph", md_paragraph(&all)),
            ("html", html(&all)),
            ("md_code_block", md_code_block(&[all.clone()])),
            ("md_code", md_code(&all)),
            ("md_rich", md_rich(&format!("a `{all}` b"))),
            (
                "md_rich_paragraph",
                md_rich_paragraph(&format!("`{all}` b {all}")),
            ),
        ] {
            let bad: Vec<String> = out
                .chars()
                .filter(|&c| needs_escape(c) && c != '\n')
                .map(|c| format!("U+{:04X}", c as u32))
                .collect();
            assert!(bad.is_empty(), "{name} let through {bad:?}");
            assert!(!out.contains('\t'), "{name} let a tab through");
        }
        for (name, out) in [
            ("visible", visible(&all).into_owned()),
            ("md_inline", md_inline(&all)),
            ("html", html(&all)),
            ("md_code", md_code(&all)),
            ("md_rich", md_rich(&format!("x `{all}` y"))),
        ] {
            assert!(!out.contains('\n'), "{name} let a line break through");
        }
    }

    #[test]
    fn markdown_and_html_show_bidi_and_zero_width() {
        assert_eq!(
            md_inline("a\u{202e}b\u{200b}"),
            "a\\\\u\\{202e\\}b\\\\u\\{200b\\}"
        );
        assert_eq!(html("a\u{2066}b\u{feff}"), "a\\u{2066}b\\u{feff}");
        let b = md_code_block(&["x\u{200d}y".to_string()]);
        assert!(b.contains("x\\u{200d}y"), "{b}");
    }

    #[test]
    fn html_cannot_inject() {
        let s = html("<script>\"onmouseover='x'&\x1b[31m");
        assert_eq!(
            s,
            "&lt;script&gt;&quot;onmouseover=&#39;x&#39;&amp;\\x1b[31m"
        );
    }

    #[test]
    fn markdown_cannot_inject() {
        let s = md_inline("<script>[x](http://e)|*b*");
        assert!(s
            .char_indices()
            .all(|(i, c)| c != '<' || s[..i].ends_with('\\')));
        assert!(s.contains("\\<script\\>"));
        // GitHub would notify @users and link emails; input must not ping anyone.
        assert_eq!(md_inline("@admin"), "\\@admin");
        assert_eq!(md_paragraph("- item"), "\\- item");
        assert_eq!(md_paragraph("12. item"), "12\\. item");
        assert_eq!(md_paragraph("    code"), "code");
        assert_eq!(md_paragraph("=== "), "\\=== ");
        assert_eq!(md_paragraph("pweb is down"), "pweb is down");
        let b = md_code_block(&["```".to_string(), "end".into()]);
        assert!(b.starts_with("````text"));
    }

    #[test]
    fn uris_are_percent_encoded_references() {
        assert_eq!(uri("a b/c#d%e:f"), "a%20b/c%23d%25e%3Af");
        assert_eq!(
            uri("bundle.tar.gz!/var/log/x.log"),
            "bundle.tar.gz!/var/log/x.log"
        );
        assert_eq!(uri("\u{e9}<>\"`"), "%C3%A9%3C%3E%22%60");
    }

    #[test]
    fn backtick_spans_become_escaped_code() {
        assert_eq!(
            html_code_spans("run `docker rm -f <x>` & retry"),
            "run <code>docker rm -f &lt;x&gt;</code> &amp; retry"
        );
        assert_eq!(html_code_spans("a ` b"), "a ` b");
        assert_eq!(html_code_spans("``x"), "``x");
        assert_eq!(html_code_spans("`<script>`"), "<code>&lt;script&gt;</code>");
        assert_eq!(html_code_spans("`a` `b"), "<code>a</code> `b");
    }

    #[test]
    fn code_spans_cannot_be_closed_by_content() {
        assert_eq!(md_code("docker run"), "`docker run`");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("``x"), "``` ``x ```");
        assert_eq!(md_code("x "), "` x  `");
        assert_eq!(md_code(""), "");
        assert_eq!(md_code("a\x1b"), "`a\\x1b`");
        assert_eq!(md_code("\x1b[31m"), "`\\x1b[31m`");
        assert_eq!(md_code_cell("a|b"), "`a\\|b`");
    }

    #[test]
    fn rich_text_has_real_code_spans_and_escapes_the_rest() {
        assert_eq!(
            md_rich("Raise it (`docker run --memory`) <b>"),
            "Raise it \\(`docker run --memory`\\) \\<b\\>"
        );
        // A backtick inside quoted input makes the span longer, never open.
        assert_eq!(md_rich("error: `a``b`"), "error: ```a``b```");
        // An unmatched backtick is escaped.
        assert_eq!(md_rich("it`s"), "it\\`s");
        assert_eq!(md_rich_paragraph("- `x` y"), "\\- `x` y");
        assert_eq!(md_rich_paragraph("`x` - y"), "`x` - y");
        assert_eq!(md_rich_cell("`a|b` | c"), "`a\\|b` \\| c");
    }
}
