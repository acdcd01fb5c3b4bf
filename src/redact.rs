//! Secret redaction, applied to every string of a report before it is
//! rendered in any format, and to error messages. The name stays, the value
//! goes: `DATABASE_URL=postgres://app:[REDACTED:1]@db:5432/prod`.
//!
//! Equal secrets get the same numbered token (`[REDACTED:1]`, `[REDACTED:2]`,
//! …) so a reader can still see that two containers share one password. The
//! numbers follow the first appearance of each value in a deterministic walk
//! of the report's JSON form (object keys sorted, arrays in order): the same
//! inputs give the same tokens whatever the thread count. Tokens are never
//! derived from the secret itself (no hash), so they cannot be guessed back.
//!
//! Invariant: every output path goes through `redact_report` or `redact`
//! unless the user passed the loud `--show-secrets` flag.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use regex::{Captures, Regex};

/// The token `redact` writes in place of a secret (numbered tokens are
/// `[REDACTED:n]`).
pub const MASK: &str = "[REDACTED]";

/// Names whose values are secrets: password, passwd, pwd, secret, token,
/// api key, access key, credential, auth, private key, and `*KEY`.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let words: Vec<&str> = n
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    // `public_key_path`, `TOKEN_FILE`, `SECRET_NAME`: where a secret lives or
    // what it is called, not the secret.
    if words.last().is_some_and(|w| {
        matches!(
            *w,
            "file"
                | "path"
                | "id"
                | "name"
                | "dir"
                | "type"
                | "url"
                | "uri"
                | "endpoint"
                | "header"
                | "mode"
                | "method"
                | "enabled"
                | "ttl"
                | "length"
                | "len"
                | "expiry"
                | "expires"
                | "timeout"
                | "host"
                | "port"
                | "provider"
                | "size"
                | "count"
                | "version"
                | "algorithm"
                | "alg"
                | "format"
                | "location"
        )
    }) {
        return false;
    }
    if words.iter().any(|w| *w == "public" || *w == "pub") {
        return false;
    }
    const SUBSTR: &[&str] = &[
        "password",
        "passwd",
        "secret",
        "token",
        "apikey",
        "credential",
        "privatekey",
        "accesskey",
        "passphrase",
        "sessionid",
        "cookie",
        "clientsecret",
        "signingkey",
        "encryptionkey",
    ];
    let joined: String = words.concat();
    if SUBSTR.iter().any(|s| joined.contains(s)) {
        return true;
    }
    words.iter().any(|w| {
        matches!(
            *w,
            "pwd" | "pass" | "auth" | "authorization" | "key" | "creds" | "dsn" | "pat"
        ) || (w.ends_with("key")
            && w.len() > 3
            && !matches!(
                *w,
                "monkey" | "hotkey" | "turkey" | "donkey" | "jockey" | "hockey"
            ))
    })
}

struct Rules {
    pem: Regex,
    url_cred: Regex,
    auth_header: Regex,
    auth_scheme: Regex,
    jwt: Regex,
    prefixed: Regex,
    flag_space: Regex,
    mysql_p: Regex,
    assignment: Regex,
    json_pair: Regex,
}

fn rules() -> &'static Rules {
    static R: OnceLock<Rules> = OnceLock::new();
    R.get_or_init(|| Rules {
        pem: Regex::new(r"(?s)-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----(.*?)(-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)")
            .expect("static regex"),
        // user:password@ in any scheme; the password runs to the last `@`
        // of the authority (unencoded `@` in passwords is common).
        url_cred: Regex::new(r"(?i)\b([a-z][a-z0-9+.-]{1,20}://)([^:/?#@\s]*):([^/?#\s]+)@").expect("static regex"),
        auth_header: Regex::new(r#"(?i)\b((?:proxy-)?authorization\s*[:=]\s*)(?:(bearer|basic|token|digest|negotiate|apikey|aws4-hmac-sha256)\s+)?([^\s"',;\]}]+)"#)
            .expect("static regex"),
        auth_scheme: Regex::new(r"(?i)\b(bearer|basic)\s+([A-Za-z0-9._~+/=-]{8,})").expect("static regex"),
        jwt: Regex::new(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}").expect("static regex"),
        prefixed: Regex::new(concat!(
            r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[0-9A-Z]{16}\b",
            r"|\bgh[pousr]_[A-Za-z0-9]{20,}",
            r"|\bgithub_pat_[A-Za-z0-9_]{20,}",
            r"|\bgl(?:pat|ptt|dt|rt)-[A-Za-z0-9_-]{20,}",
            r"|\bxox[abposre]-[A-Za-z0-9-]{10,}",
            r"|\b[sr]k_(?:live|test)_[A-Za-z0-9]{10,}",
            r"|\bnpm_[A-Za-z0-9]{36}\b",
            r"|\bAIza[0-9A-Za-z_-]{35}",
            r"|\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}",
        ))
        .expect("static regex"),
        // --password hunter2, -token abc (a space, not `=`).
        flag_space: Regex::new(r#"(^|[\s"'])(--?[A-Za-z][A-Za-z0-9_.-]{1,80})\s+("[^"]*"|'[^']*'|[^\s"'-][^\s"']*)"#)
            .expect("static regex"),
        mysql_p: Regex::new(r"(\s-p)([^\s-][^\s]*)").expect("static regex"),
        // NAME=value, NAME: value, --name=value, --build-arg NAME=value,
        // Server=…;Password=…; and ?token=… in URLs.
        assignment: Regex::new(
            r#"(?i)(^|[\s,;{(\["'`&?/-])([A-Za-z_][A-Za-z0-9_.-]{1,80})(\s*[=:]\s*|=)("[^"]*"|'[^']*'|[^\s,;&"'`)\]}]+)"#,
        )
        .expect("static regex"),
        json_pair: Regex::new(r#""([A-Za-z_][A-Za-z0-9_.-]{1,80})"\s*:\s*"((?:[^"\\]|\\.)*)""#).expect("static regex"),
    })
}

/// Replaces every match of `re` through `f`, keeping the borrow when
/// nothing matched.
fn apply<'a>(s: Cow<'a, str>, re: &Regex, f: impl FnMut(&Captures) -> String) -> Cow<'a, str> {
    let out = match re.replace_all(&s, f) {
        Cow::Owned(o) => Some(o),
        Cow::Borrowed(_) => None,
    };
    match out {
        Some(o) => Cow::Owned(o),
        None => s,
    }
}

/// Like `apply`, for `name <sep> value` rules: `f` returns the token for a
/// secret value (group `value`), or `None` to keep it, in which case the
/// search resumes right after the name, so `dump: secret: x` still finds
/// `secret: x` inside what looked like the value of `dump`.
fn apply_pairs<'a>(
    s: Cow<'a, str>,
    re: &Regex,
    name: usize,
    value: usize,
    mut f: impl FnMut(&Captures) -> Option<String>,
) -> Cow<'a, str> {
    let mut out = String::new();
    let mut last = 0;
    let mut pos = 0;
    while pos <= s.len() {
        let Some(c) = re.captures_at(&s, pos) else {
            break;
        };
        let (Some(n), Some(v)) = (c.get(name), c.get(value)) else {
            break;
        };
        match f(&c) {
            Some(token) => {
                out.push_str(&s[last..v.start()]);
                out.push_str(&token);
                last = v.end();
                pos = v.end();
            }
            None => pos = n.end(),
        }
    }
    if last == 0 {
        return s;
    }
    out.push_str(&s[last..]);
    Cow::Owned(out)
}

/// Keeps the quotes around a masked value: `"x y"` becomes `"[REDACTED:1]"`.
fn quoted(value: &str, token: String) -> String {
    match value.chars().next() {
        Some(q @ ('"' | '\'')) if value.len() >= 2 && value.ends_with(q) => {
            format!("{q}{token}{q}")
        }
        _ => token,
    }
}

fn is_mask(v: &str) -> bool {
    v.starts_with("[REDACTED")
}

/// Random-looking: long enough, and letters mixed with digits or both cases
/// (`hunter2`, `dXNlcjpwYXNz`), unlike prose (`authentication`).
fn looks_random(v: &str) -> bool {
    let digits = v.chars().any(|c| c.is_ascii_digit());
    let lower = v.chars().any(|c| c.is_ascii_lowercase());
    let upper = v.chars().any(|c| c.is_ascii_uppercase());
    let alpha = lower || upper;
    v.len() >= 8 && ((digits && alpha) || (lower && upper))
}

/// Auth scheme words after `Authorization:` are kept; the credential goes.
fn is_scheme_word(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "bearer" | "basic" | "token" | "digest" | "negotiate" | "apikey" | "aws4-hmac-sha256"
    )
}

/// Hands out tokens: `[REDACTED:n]` numbered by first appearance (one
/// counter per report), or the plain `[REDACTED]` for one-off messages.
#[derive(Debug, Default)]
pub struct Redactor {
    numbered: bool,
    tokens: HashMap<String, usize>,
    order: Vec<String>,
}

impl Redactor {
    /// Equal secrets share a `[REDACTED:n]` token, numbered from 1.
    pub fn numbered() -> Redactor {
        Redactor {
            numbered: true,
            ..Redactor::default()
        }
    }

    /// Every secret becomes `[REDACTED]`.
    pub fn plain() -> Redactor {
        Redactor::default()
    }

    /// Distinct secrets seen so far.
    pub fn count(&self) -> usize {
        self.order.len()
    }

    fn token(&mut self, secret: &str) -> String {
        if !self.numbered {
            return MASK.to_string();
        }
        let next = self.order.len() + 1;
        let n = *self
            .tokens
            .entry(secret.to_string())
            .or_insert_with(|| next);
        if n == next {
            self.order.push(secret.to_string());
        }
        format!("[REDACTED:{n}]")
    }

    /// Redacts secrets in free text: logs, kernel lines, commands, env entries.
    pub fn redact<'a>(&mut self, text: &'a str) -> Cow<'a, str> {
        let r = rules();
        let mut s: Cow<str> = Cow::Borrowed(text);
        if s.contains("PRIVATE KEY") {
            s = apply(s, &r.pem, |c| {
                let body = &c[2];
                if body.is_empty() || is_mask(body) {
                    return c[0].to_string();
                }
                format!("-----BEGIN {}-----{}{}", &c[1], self.token(body), &c[3])
            });
        }
        if s.contains("://") {
            s = apply(s, &r.url_cred, |c| {
                if is_mask(&c[3]) {
                    return c[0].to_string();
                }
                format!("{}{}:{}@", &c[1], &c[2], self.token(&c[3]))
            });
        }
        s = apply(s, &r.jwt, |c| self.token(&c[0]));
        s = apply(s, &r.prefixed, |c| self.token(&c[0]));
        s = apply(s, &r.auth_header, |c| {
            let v = &c[3];
            if is_mask(v) || (c.get(2).is_none() && is_scheme_word(v)) {
                return c[0].to_string();
            }
            let scheme = c
                .get(2)
                .map_or(String::new(), |m| format!("{} ", m.as_str()));
            format!("{}{scheme}{}", &c[1], self.token(v))
        });
        s = apply(s, &r.auth_scheme, |c| {
            if !looks_random(&c[2]) {
                return c[0].to_string();
            }
            format!("{} {}", &c[1], self.token(&c[2]))
        });
        if s.contains('"') {
            s = apply_pairs(s, &r.json_pair, 1, 2, |c| {
                let v = &c[2];
                (is_secret_name(&c[1]) && !v.is_empty() && !is_mask(v) && !looks_like_reference(v))
                    .then(|| self.token(v))
            });
        }
        if s.contains('-') {
            s = apply_pairs(s, &r.flag_space, 2, 3, |c| {
                let bare = c[3].trim_matches(|ch| ch == '"' || ch == '\'');
                let name = c[2].trim_start_matches('-');
                (is_secret_name(name)
                    && !bare.is_empty()
                    && !is_mask(bare)
                    && !looks_like_reference(bare))
                .then(|| quoted(&c[3], self.token(bare)))
            });
            if s.contains("mysql") || s.contains("mariadb") {
                s = apply(s, &r.mysql_p, |c| {
                    if is_mask(&c[2]) {
                        return c[0].to_string();
                    }
                    format!("{}{}", &c[1], self.token(&c[2]))
                });
            }
        }
        if s.contains('=') || s.contains(':') {
            s = apply_pairs(s, &r.assignment, 2, 4, |c| {
                let bare = c[4].trim_matches(|ch| ch == '"' || ch == '\'');
                // `/run/DB_PASSWORD=x` in a path is an assignment;
                // `/etc/passwd: denied` is a file name and a message.
                let path_then_colon = &c[1] == "/" && c[3].contains(':');
                (is_secret_name(&c[2])
                    && !path_then_colon
                    && !bare.is_empty()
                    && !is_mask(bare)
                    && !is_scheme_word(bare)
                    && !looks_like_reference(bare))
                .then(|| quoted(&c[4], self.token(bare)))
            });
        }
        s
    }

    /// Redacts every string inside a JSON value, in place, walking objects in
    /// key order and arrays in order.
    pub fn redact_json(&mut self, v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) => {
                if let Cow::Owned(o) = self.redact(s) {
                    *s = o;
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| self.redact_json(x)),
            serde_json::Value::Object(m) => m.values_mut().for_each(|x| self.redact_json(x)),
            _ => {}
        }
    }

    /// Second pass: a random-looking secret found once (next to its name)
    /// is also masked where it appears bare, e.g. a password echoed in a log.
    fn sweep_json(&self, v: &mut serde_json::Value) {
        let mut known: Vec<&String> = self
            .order
            .iter()
            .filter(|s| looks_random(s) && !s.contains('\n'))
            .collect();
        if known.is_empty() || !self.numbered {
            return;
        }
        known.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        let alt: Vec<String> = known.iter().map(|s| regex::escape(s)).collect();
        let Ok(re) = regex::RegexBuilder::new(&alt.join("|"))
            .size_limit(64 << 20)
            .build()
        else {
            return;
        };
        fn walk(v: &mut serde_json::Value, re: &Regex, tokens: &HashMap<String, usize>) {
            match v {
                serde_json::Value::String(s) => {
                    if let Cow::Owned(o) = re.replace_all(s, |c: &Captures| {
                        format!("[REDACTED:{}]", tokens.get(&c[0]).copied().unwrap_or(0))
                    }) {
                        *s = o;
                    }
                }
                serde_json::Value::Array(a) => a.iter_mut().for_each(|x| walk(x, re, tokens)),
                serde_json::Value::Object(m) => m.values_mut().for_each(|x| walk(x, re, tokens)),
                _ => {}
            }
        }
        walk(v, &re, &self.tokens);
    }
}

/// Redacts secrets in free text with the plain `[REDACTED]` token: for
/// error messages and one-off strings.
pub fn redact(text: &str) -> Cow<'_, str> {
    Redactor::plain().redact(text)
}

/// `$VAR`, `${VAR}` and file paths are references to secrets, not secrets.
fn looks_like_reference(v: &str) -> bool {
    const FILE_EXT: &[&str] = &[
        ".json", ".pem", ".key", ".crt", ".p12", ".txt", ".yaml", ".yml",
    ];
    v.starts_with('$')
        || v.starts_with("/run/secrets/")
        || (v.starts_with('/') && FILE_EXT.iter().any(|e| v.ends_with(e)))
        || v == "true"
        || v == "false"
        || v == "null"
}

/// Redacts every string inside a JSON value, in place (plain tokens).
pub fn redact_json(v: &mut serde_json::Value) {
    Redactor::plain().redact_json(v)
}

/// Redacts every string of a report: a walk over its JSON form, so no field
/// can be forgotten when the schema grows. Equal secrets share one numbered
/// token, numbered in walk order.
pub fn redact_report(report: &crate::report::schema::Report) -> crate::report::schema::Report {
    let mut v = serde_json::to_value(report).expect("report types always serialise");
    let original = v.clone();
    let mut r = Redactor::numbered();
    r.redact_json(&mut v);
    r.sweep_json(&mut v);
    restore_tokens(&mut v, &original);
    let mut out: crate::report::schema::Report =
        serde_json::from_value(v).expect("redaction keeps the report's shape");
    out.keep_derived_from(report);
    out
}

/// Puts back the fields that are typed in the schema (instants, enum
/// tokens): they hold no input text, and a secret swept out of one (digits
/// of a timestamp, say) would no longer parse back into the report.
fn restore_tokens(v: &mut serde_json::Value, original: &serde_json::Value) {
    for (list, keys) in [
        ("timeline", &["time", "kind"][..]),
        ("findings", &["rule", "severity"][..]),
        ("diagnostics", &["severity"][..]),
    ] {
        let (Some(to), Some(from)) = (
            v.get_mut(list).and_then(|x| x.as_array_mut()),
            original.get(list).and_then(|x| x.as_array()),
        ) else {
            continue;
        };
        for (x, y) in to.iter_mut().zip(from) {
            for k in keys {
                if let (Some(slot), Some(val)) = (x.get_mut(*k), y.get(*k)) {
                    *slot = val.clone();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_typed_timeline_fields_even_when_a_secret_matches_their_digits() {
        use crate::report::schema::*;
        let mut r = Report::default();
        r.containers.push(Container {
            name: "c".into(),
            mounts: vec!["DB_PASSWORD=29T03:20:28".into()],
            ..Default::default()
        });
        r.timeline.push(TimelineEntry {
            time: crate::time::Timestamp::parse_rfc3339("2026-11-29T03:20:28.235153122Z").unwrap(),
            container: Some("c".into()),
            source: "at 29T03:20:28".into(),
            event: "started".into(),
            kind: TimelineKind::Started,
            sources: vec![],
            exit_code: None,
            oom_killed: false,
        });
        let out = redact_report(&r);
        assert_eq!(out.timeline[0].time, r.timeline[0].time);
        assert_eq!(out.timeline[0].kind, TimelineKind::Started);
        assert!(!out.timeline[0].source.unescaped().contains("29T03"));
    }

    #[test]
    fn env_values_with_secret_names_go() {
        assert_eq!(
            redact("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            "AWS_SECRET_ACCESS_KEY=[REDACTED]"
        );
        assert_eq!(redact("DB_PASSWORD=hunter2"), "DB_PASSWORD=[REDACTED]");
        assert_eq!(redact("API_KEY=abc123"), "API_KEY=[REDACTED]");
        assert_eq!(redact("LOG_LEVEL=info"), "LOG_LEVEL=info");
        assert_eq!(redact("PATH=/usr/bin:/bin"), "PATH=/usr/bin:/bin");
        assert_eq!(redact("KEYBOARD=us"), "KEYBOARD=us");
    }

    #[test]
    fn url_credentials_keep_user_and_host() {
        assert_eq!(
            redact("DATABASE_URL=postgres://app:S3cr3tPassw0rd@db.internal:5432/prod"),
            "DATABASE_URL=postgres://app:[REDACTED]@db.internal:5432/prod"
        );
        assert_eq!(
            redact("see http://example.com/a:b"),
            "see http://example.com/a:b"
        );
    }

    #[test]
    fn tokens_headers_and_keys() {
        let s = "Authorization: Bearer abcdefghijklmnop.qrs";
        assert!(!redact(s).contains("abcdefghijklmnop"), "{}", redact(s));
        assert!(!redact("key AKIAIOSFODNN7EXAMPLE used").contains("AKIAIOSFODNN7EXAMPLE"));
        assert!(!redact("ghp_abcdefghijklmnopqrstuvwxyz0123456789").contains("ghp_abc"));
        assert!(!redact("glpat-abcdefghijklmnopqrstu").contains("glpat-abc"));
        assert!(!redact("xoxb-1234567890-abcdef").contains("1234567890"));
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert!(!redact(jwt).contains("dozjg"));
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----";
        assert!(!redact(pem).contains("MIIEow"));
    }

    #[test]
    fn build_args_and_json_pairs() {
        let s = "/bin/sh -c #(nop) ARG NPM_TOKEN=npm_abcdefghijklmnopqrstuvwxyz0123456789";
        assert!(!redact(s).contains("abcdefghij"), "{}", redact(s));
        assert_eq!(
            redact(r#"{"password": "x1"}"#),
            r#"{"password": "[REDACTED]"}"#
        );
        assert_eq!(redact("--password=secret1"), "--password=[REDACTED]");
    }

    #[test]
    fn redaction_is_idempotent() {
        let once = redact("DATABASE_URL=postgres://app:pw@db/x TOKEN=abc").into_owned();
        assert_eq!(redact(&once), once);
    }
    #[test]
    fn equal_secrets_share_a_numbered_token() {
        let mut r = Redactor::numbered();
        let a = r
            .redact("DB_PASSWORD=hunter22 API_TOKEN=xyz789abc")
            .into_owned();
        let b = r.redact("--password hunter22").into_owned();
        assert_eq!(a, "DB_PASSWORD=[REDACTED:1] API_TOKEN=[REDACTED:2]");
        assert_eq!(b, "--password [REDACTED:1]");
        assert_eq!(r.count(), 2);
    }

    #[test]
    fn connection_strings_headers_and_flags() {
        let s = "Server=db;Database=app;User Id=sa;Password=S3cret!x;Encrypt=true";
        assert_eq!(
            redact(s),
            "Server=db;Database=app;User Id=sa;Password=[REDACTED];Encrypt=true"
        );
        assert_eq!(
            redact("mongodb+srv://admin:p4ss@w0rd@cluster0.example.net/db"),
            "mongodb+srv://admin:[REDACTED]@cluster0.example.net/db"
        );
        assert_eq!(
            redact("redis://:r3dis@cache:6379/0"),
            "redis://:[REDACTED]@cache:6379/0"
        );
        assert_eq!(
            redact("Authorization: Basic dXNlcjpwYXNzd29yZA=="),
            "Authorization: Basic [REDACTED]"
        );
        assert_eq!(
            redact("run --password hunter2 --port 5432"),
            "run --password [REDACTED] --port 5432"
        );
        assert_eq!(redact("secret: 8f3a9c2e11b0"), "secret: [REDACTED]");
        assert_eq!(
            redact("config dump: secret: 8f3a9c2e11b0"),
            "config dump: secret: [REDACTED]"
        );
        assert_eq!(
            redact("mysql -uroot -pS3cr3t db"),
            "mysql -uroot -p[REDACTED] db"
        );
        assert!(!redact("sk_live_abcdefghij0123456789").contains("abcdefghij"));
        assert_eq!(redact("X-Api-Key: k3y9f00b4r"), "X-Api-Key: [REDACTED]");
        assert_eq!(
            redact(r#"{"user":"app","password":"p w d"}"#),
            r#"{"user":"app","password":"[REDACTED]"}"#
        );
        assert_eq!(redact(r#"password: "a b c""#), r#"password: "[REDACTED]""#);
        assert_eq!(
            redact("cannot write /out/DB_PASSWORD=hunter2x: denied"),
            "cannot write /out/DB_PASSWORD=[REDACTED] denied"
        );
        assert!(!redact("npm_abcdefghijklmnopqrstuvwxyz0123456789").contains("abcdefghij"));
    }

    #[test]
    fn ordinary_values_stay() {
        for keep in [
            "PATH=/usr/local/sbin:/usr/local/bin",
            "LOG_LEVEL=debug",
            "KEYBOARD=us",
            "public_key_path=/etc/ssh/id.pub",
            "TOKEN_FILE=/run/secrets/token",
            "image sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "container 28addf748080e3d7f0a5af4eb4d11fb9874f90b9d7f10f682e885e7eb9324015",
            "HTTP basic authentication failed",
            "Authorization: Bearer [REDACTED:1]",
            "see http://example.com/a:b",
            "GOOGLE_APPLICATION_CREDENTIALS=/secrets/sa.json",
            "OAUTH_CLIENT_ID=my-app",
            "PASSWORD=",
            "open /etc/passwd: permission denied",
            "ERROR: open /data/snapshot.db: permission denied",
        ] {
            assert_eq!(redact(keep), keep);
        }
    }
}
