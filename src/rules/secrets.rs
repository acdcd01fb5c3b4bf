//! `secrets-in-env`: secrets in a container's environment, labels, command
//! or health check, and in an image's build history. The finding names the
//! variables; the evidence keeps the raw entry so the report-wide redaction
//! gives each value its shared `[REDACTED:n]` token (and `--show-secrets`
//! really shows it).

use super::finding;
use super::{Finding, RuleId, Severity};
use crate::correlate::ContainerRecord;
use crate::model::Evidence;
use crate::redact::redact;

/// The names (or a description) of secret-bearing entries among `items`,
/// with the raw entry (redacted later, with the rest of the report).
pub fn secret_entries(items: &[String]) -> Vec<(String, String)> {
    items
        .iter()
        .filter_map(|e| {
            let red = redact(e);
            if red != *e {
                let name = e.split(['=', ' ']).next().unwrap_or("").to_string();
                Some((name, e.clone()))
            } else {
                None
            }
        })
        .collect()
}

pub fn container(r: &ContainerRecord, out: &mut Vec<Finding>) {
    let c = &r.c;
    let mut ev: Vec<Evidence> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for (name, red) in secret_entries(&c.env) {
        names.push(name);
        ev.push(c.evidence(c.lines.env, red));
    }
    let labels: Vec<String> = c.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    for (name, red) in secret_entries(&labels) {
        names.push(format!("label {name}"));
        ev.push(c.evidence(None, format!("label {red}")));
    }
    let mut cmd = vec![c.path.clone()];
    cmd.extend(c.args.iter().cloned());
    let cmd = cmd.join(" ");
    if redact(&cmd) != cmd {
        names.push("the command line".into());
        ev.push(c.evidence(c.lines.cmd, cmd));
    }
    let hc = c.healthcheck.join(" ");
    if redact(&hc) != hc {
        names.push("the health check".into());
        ev.push(c.evidence(c.lines.healthcheck, hc));
    }
    if names.is_empty() {
        return;
    }
    out.push(finding(
        RuleId::SecretsInEnv,
        Severity::Warning,
        r,
        format!("{} carries secrets in plain text: {}", c.name, names.join(", ")),
        "Anyone who can run `docker inspect` on this host, or read a support bundle like this one, can read these values. They are redacted in this report.".into(),
        "Move them to Docker/Kubernetes secrets or a secrets manager mounted as files (`/run/secrets/...`), and rotate the exposed values: they have already left the host in this bundle.".into(),
        ev,
    ));
}

/// `secrets-in-env` for an image: build arguments and tokens baked into
/// `history[].created_by` (Docker records `|1 NPM_TOKEN=… /bin/sh -c …` for
/// every `RUN` after an `ARG`) and secrets in the config's `Env`. Anyone who
/// pulls the image can read both with `docker history --no-trunc` or
/// `docker inspect`.
pub fn image(img: &crate::ingest::image::Image, name: &str, out: &mut Vec<Finding>) {
    let mut ev: Vec<crate::model::Evidence> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for (n, red) in secret_entries(&img.config.env) {
        if !names.contains(&n) {
            names.push(n);
        }
        ev.push(super::ev(&Evidence::new(
            img.source.clone(),
            None,
            format!("config Env {red}"),
        )));
    }
    let mut steps = 0usize;
    for (k, h) in img.history.iter().enumerate() {
        let red = redact(&h.created_by);
        if red == h.created_by {
            continue;
        }
        steps += 1;
        let layer = match h.layer {
            Some(l) => format!("layer {}", l + 1),
            None => "no layer".to_string(),
        };
        ev.push(super::ev(&Evidence::new(
            img.source.clone(),
            None,
            // Raw here: the whole report is redacted once, with shared tokens.
            format!("history[{k}] ({layer}) created_by: {}", h.created_by),
        )));
    }
    if steps > 0 {
        names.push(format!("{steps} build step(s) in the history"));
    }
    if names.is_empty() {
        return;
    }
    out.push(Finding {
        rule: RuleId::SecretsInEnv,
        severity: Severity::Warning,
        container: None,
        image: Some(name.to_string()),
        title: format!("image {name} carries secrets in plain text: {}", names.join(", ")),
        explanation: "Build arguments and `ENV` values are stored in the image config: anyone who can pull this image reads them with `docker history --no-trunc` or `docker inspect`, even if no layer contains them. They are redacted in this report.".into(),
        suggestion: "Pass build-time secrets with `RUN --mount=type=secret,id=...` (BuildKit) instead of `ARG`/`ENV`, provide runtime secrets as Docker secrets or files under `/run/secrets/`, rebuild the image, and rotate the exposed values.".into(),
        evidence: ev,
        confidence: super::Confidence::Likely,
        caused_by: None,
    });
}
