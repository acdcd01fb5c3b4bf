//! Log rules: crash signatures, grouped error lines, permission errors on
//! volumes, and logs that a logging driver never kept.

use super::finding;
use super::{Confidence, Finding, RuleId, Severity};
use crate::correlate::ContainerRecord;
use crate::format::clip;
use crate::ingest::json_log::SignatureKind;
use crate::model::Evidence;

fn is_root(user: &str) -> bool {
    let u = user.split(':').next().unwrap_or("");
    u.is_empty() || u == "0" || u == "root"
}

pub fn rules(r: &ContainerRecord, out: &mut Vec<Finding>) {
    let c = &r.c;
    // podman's k8s-file driver writes a file on the host (`ctr.log`), and
    // `podman logs`/`docker logs` read journald's: when the bundle holds
    // the file or that text (sos's `podman logs -t`), the logs are there.
    let k8s_file_read =
        matches!(c.log_driver.as_str(), "k8s-file" | "journald") && r.logs.is_some();
    if !c.log_driver.is_empty()
        && c.log_driver != "json-file"
        && c.log_driver != "local"
        && !k8s_file_read
    {
        out.push(finding(
            RuleId::LogsUnavailable,
            Severity::Warning,
            r,
            format!("{} logs with the `{}` driver: the bundle cannot hold its logs", c.name, c.log_driver),
            format!(
                "The container's logging driver is `{}`, not `json-file` or `local`, so Docker kept no log file on the host and `docker logs` shows nothing.{}",
                c.log_driver,
                if c.log_driver == "none" { " With `none`, the output was discarded entirely." } else { " The output went to that driver's destination." }
            ),
            if c.log_driver == "none" {
                "Run it again with the default `json-file` driver (or `local`) to see why it fails; keep `--log-driver none` only for containers whose output truly does not matter.".into()
            } else {
                format!("Look for the output in the `{}` destination (journal, log aggregator); add it to the support bundle.", c.log_driver)
            },
            vec![c.evidence(c.lines.log_type, format!("\"Type\": \"{}\"", c.log_driver))],
        ));
    }
    let Some(logs) = &r.logs else { return };

    if let Some(s) = logs.signature(SignatureKind::Crash) {
        let mut ev = vec![s.first.evidence.clone()];
        if s.last.evidence != s.first.evidence {
            ev.push(s.last.evidence.clone());
        }
        // The log and a non-zero exit in inspect are two records of one crash.
        let failed = c.exit_code != 0 && c.status != "running";
        // A container known only from its log (no inspect) has no exit code.
        let exit_known = matches!(c.status.as_str(), "exited" | "dead");
        let cause = if exit_known {
            format!(
                "The last one is the most likely cause of the exit (exit code {}).",
                c.exit_code
            )
        } else if c.status == "running" {
            "The last one is the most recent; the container is running now (restarted, or the crash was in a child process).".to_string()
        } else {
            "The last one is the most likely cause of the exit; the inputs hold no exit code for it.".to_string()
        };
        let basis = if failed && exit_known {
            format!(
                " Backed by the log's crash line and inspect's exit code {}, which agree.",
                c.exit_code
            )
        } else if exit_known || c.status == "running" {
            " Backed by the log alone; the container did not exit with an error.".to_string()
        } else {
            " Backed by the log alone: no inspect output or event says how the container ended."
                .to_string()
        };
        out.push(finding(
            RuleId::CrashSignature,
            Severity::Critical,
            r,
            format!("{} logged a crash: {}", c.name, clip(&s.last.evidence.excerpt, 100)),
            format!(
                "The logs hold {} crash signature(s) (panic, uncaught exception, traceback or fatal error). {cause}{basis}",
                s.count
            ),
            "Fix the failing code path shown in the evidence; the lines before it usually say which input triggered it.".into(),
            ev,
        ).confidence(if failed && exit_known { Confidence::Confirmed } else { Confidence::Likely }));
    }

    if let Some(s) = logs.signature(SignatureKind::PermissionDenied) {
        let mounts: Vec<&str> = c.mounts.iter().map(|m| m.destination.as_str()).collect();
        let on_mount = mounts
            .iter()
            .find(|d| !d.is_empty() && s.first.evidence.excerpt.contains(*d));
        if !is_root(&c.user) && (on_mount.is_some() || !mounts.is_empty()) {
            let m = on_mount.copied().or(mounts.first().copied()).unwrap_or("");
            let mount = c.mounts.iter().find(|x| x.destination == m);
            let vol = mount
                .map(|x| {
                    if x.name.is_empty() {
                        x.source.clone()
                    } else {
                        format!("volume `{}`", x.name)
                    }
                })
                .unwrap_or_default();
            out.push(finding(
                RuleId::VolumePermissionDenied,
                Severity::Critical,
                r,
                format!("{} cannot write to {m}: permission denied", c.name),
                format!(
                    "The container runs as user `{}` (not root), and {vol} mounted at `{m}` is not writable by that user (typically owned by root), so the write failed with `permission denied`.",
                    c.user
                ),
                format!(
                    "Give the mount to the container's user: `chown -R {} <host path>` for a bind mount, or an init step that runs `chown` as root for a named volume; or run with a matching `--user`.",
                    c.user
                ),
                vec![
                    c.evidence(c.lines.user, format!("\"User\": \"{}\"", c.user)),
                    s.first.evidence.clone(),
                ],
            ));
        }
    }
}

/// `log-errors`: the error templates no worse finding of the container
/// already cites (a crash signature, the repeated error of a crash loop), so
/// that the same line is not told twice. Runs after the container's other
/// rules; when every template is cited above, it does not fire.
pub fn log_errors(r: &ContainerRecord, out: &mut Vec<Finding>) {
    let c = &r.c;
    let Some(logs) = &r.logs else { return };
    let (kept, cited): (Vec<_>, Vec<_>) = logs.templates.iter().partition(|t| {
        !super::link::cited_above(out, &c.name, Severity::Info, &t.example.evidence)
    });
    if kept.is_empty() {
        return;
    }
    let total: u64 = kept.iter().map(|t| t.count).sum();
    let ev: Vec<Evidence> = kept
        .iter()
        .take(5)
        .map(|t| t.example.evidence.clone())
        .collect();
    let list = kept
        .iter()
        .take(5)
        .map(|t| format!("{} × `{}`", t.count, clip(&t.template, 120)))
        .collect::<Vec<_>>()
        .join("; ");
    let left_out = if cited.is_empty() {
        String::new()
    } else {
        format!(
            " Left out: {} more pattern(s), {} line(s), that a more severe finding above already cites.",
            cited.len(),
            cited.iter().map(|t| t.count).sum::<u64>()
        )
    };
    out.push(finding(
        RuleId::LogErrors,
        Severity::Info,
        r,
        format!(
            "{} logged {} {}error line(s) in {} pattern(s)",
            c.name,
            total,
            if cited.is_empty() { "" } else { "other " },
            kept.len()
        ),
        format!("Error lines grouped with numbers and ids masked: {list}.{left_out}"),
        "Start with the most frequent pattern and the one closest to the exit.".into(),
        ev,
    ));
}
