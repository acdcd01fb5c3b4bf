//! Output safety: input text (log lines, kernel lines, file names) may hold
//! ANSI/OSC escape sequences, C0/C1 control characters, bidi overrides and
//! Markdown or HTML. Text and Markdown show such characters escaped, never
//! raw; Markdown punctuation from input is neutralised.

use std::borrow::Cow;

fn is_dangerous(c: char) -> bool {
    let u = c as u32;
    (u < 0x20 && c != '\t')
        || u == 0x7f
        || (0x80..=0x9f).contains(&u)
        || matches!(u, 0x200e | 0x200f | 0x061c | 0x202a..=0x202e | 0x2066..=0x2069 | 0x2028 | 0x2029 | 0xfeff)
}

/// Replaces control, C1 and bidi characters with visible escapes
/// (`\x1b`, `\n`, `\u{202e}`); tabs become spaces.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_dangerous(c) || c == '\t') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push(' '),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if is_dangerous(c) && (c as u32) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if is_dangerous(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
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
}
