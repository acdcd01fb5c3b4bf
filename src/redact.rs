//! Secret redaction, applied to every string of a report before it is
//! rendered in any format, and to error messages. The name stays, the value
//! goes: `DATABASE_URL=postgres://app:[REDACTED]@db:5432/prod`.
//!
//! Invariant: every output path goes through `redact_report` or `redact`
//! unless the user passed the loud `--show-secrets` flag.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::Regex;

pub const MASK: &str = "[REDACTED]";

/// Names whose values are secrets: password, passwd, pwd, secret, token,
/// api key, access key, credential, auth, private key, and `*KEY`.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let words: Vec<&str> = n
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
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
    ];
    let joined: String = words.concat();
    if SUBSTR.iter().any(|s| joined.contains(s)) {
        return true;
    }
    words.iter().any(|w| {
        matches!(
            *w,
            "pwd" | "pass" | "auth" | "authorization" | "key" | "secret" | "creds" | "dsn"
        ) || (w.ends_with("key") && !matches!(*w, "monkey" | "hotkey" | "turkey"))
    }) && !words
        .iter()
        .all(|w| matches!(*w, "public" | "key" | "id" | "path" | "file"))
        && !words
            .last()
            .is_some_and(|w| matches!(*w, "file" | "path" | "id" | "name" | "dir" | "type"))
}

struct Rules {
    pem: Regex,
    url_cred: Regex,
    auth_header: Regex,
    jwt: Regex,
    prefixed: Regex,
    assignment: Regex,
    json_pair: Regex,
}

fn rules() -> &'static Rules {
    static R: OnceLock<Rules> = OnceLock::new();
    R.get_or_init(|| Rules {
        pem: Regex::new(r"(?s)-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)")
            .expect("static regex"),
        url_cred: Regex::new(r"(?i)\b([a-z][a-z0-9+.-]{1,20}://)([^:/?#@\s]*):([^@/\s]+)@").expect("static regex"),
        auth_header: Regex::new(r"(?i)\b(authorization\s*[:=]\s*)?(bearer|basic|token)\s+([A-Za-z0-9._~+/=-]{8,})")
            .expect("static regex"),
        jwt: Regex::new(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}").expect("static regex"),
        prefixed: Regex::new(concat!(
            r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
            r"|\bghp_[A-Za-z0-9]{20,}",
            r"|\bgh[ousr]_[A-Za-z0-9]{20,}",
            r"|\bgithub_pat_[A-Za-z0-9_]{20,}",
            r"|\bglpat-[A-Za-z0-9_-]{20,}",
            r"|\bxox[abposr]-[A-Za-z0-9-]{10,}",
            r"|\b[sr]k_live_[A-Za-z0-9]{10,}",
            r"|\bnpm_[A-Za-z0-9]{36}\b",
        ))
        .expect("static regex"),
        // NAME=value, NAME: value, --name=value, --build-arg NAME=value.
        assignment: Regex::new(
            r#"(?i)(^|[\s,;{(\["'`&?-])([A-Za-z_][A-Za-z0-9_.-]{1,80})(\s*[=:]\s*|=)("[^"]*"|'[^']*'|[^\s,;&"'`)\]}]+)"#,
        )
        .expect("static regex"),
        json_pair: Regex::new(r#""([A-Za-z_][A-Za-z0-9_.-]{1,80})"\s*:\s*"((?:[^"\\]|\\.)*)""#).expect("static regex"),
    })
}

/// Redacts secrets in free text: logs, kernel lines, commands, env entries.
pub fn redact(text: &str) -> Cow<'_, str> {
    let r = rules();
    let mut s: Cow<str> = Cow::Borrowed(text);
    if s.contains("PRIVATE KEY-----") {
        s = Cow::Owned(
            r.pem
                .replace_all(&s, "-----BEGIN ${1}PRIVATE KEY-----[REDACTED]")
                .into_owned(),
        );
    }
    if s.contains("://") {
        if let Cow::Owned(o) = r.url_cred.replace_all(&s, "${1}${2}:[REDACTED]@") {
            s = Cow::Owned(o);
        }
    }
    if let Cow::Owned(o) = r.jwt.replace_all(&s, MASK) {
        s = Cow::Owned(o);
    }
    if let Cow::Owned(o) = r.prefixed.replace_all(&s, MASK) {
        s = Cow::Owned(o);
    }
    if let Cow::Owned(o) = r.auth_header.replace_all(&s, |c: &regex::Captures| {
        if c[3].starts_with('[') {
            return c[0].to_string();
        }
        format!("{}{} {MASK}", c.get(1).map_or("", |m| m.as_str()), &c[2])
    }) {
        s = Cow::Owned(o);
    }
    if s.contains('"') {
        if let Cow::Owned(o) = r.json_pair.replace_all(&s, |c: &regex::Captures| {
            if is_secret_name(&c[1]) && !c[2].is_empty() && &c[2] != MASK {
                format!("\"{}\": \"{MASK}\"", &c[1])
            } else {
                c[0].to_string()
            }
        }) {
            s = Cow::Owned(o);
        }
    }
    if s.contains('=') || s.contains(':') {
        if let Cow::Owned(o) = r.assignment.replace_all(&s, |c: &regex::Captures| {
            let value = &c[4];
            let bare = value.trim_matches(|ch| ch == '"' || ch == '\'');
            if is_secret_name(&c[2])
                && !bare.is_empty()
                && !bare.starts_with("[REDACTED")
                && !looks_like_reference(bare)
            {
                format!("{}{}{}{MASK}", &c[1], &c[2], &c[3])
            } else {
                c[0].to_string()
            }
        }) {
            s = Cow::Owned(o);
        }
    }
    s
}

/// `$VAR`, `${VAR}` and file paths are references to secrets, not secrets.
fn looks_like_reference(v: &str) -> bool {
    v.starts_with('$')
        || v.starts_with("/run/secrets/")
        || v == "true"
        || v == "false"
        || v == "null"
}

/// Redacts every string inside a JSON value, in place.
pub fn redact_json(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => {
            if let Cow::Owned(o) = redact(s) {
                *s = o;
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(redact_json),
        serde_json::Value::Object(m) => m.values_mut().for_each(redact_json),
        _ => {}
    }
}

/// Redacts every string of a report: a walk over its JSON form, so no field
/// can be forgotten when the schema grows.
pub fn redact_report(report: &crate::report::schema::Report) -> crate::report::schema::Report {
    let mut v = serde_json::to_value(report).expect("report types always serialise");
    redact_json(&mut v);
    serde_json::from_value(v).expect("redaction keeps the report's shape")
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
