//! The rule catalogue's ids: one table, in the order of REPORT-CONTRACT.md
//! (docs/report-contract.md). The kebab-case names are the contract; the
//! enum is what code matches on, so a misspelt id no longer compiles.

use std::fmt;

macro_rules! rule_ids {
    ($($variant:ident => $name:literal,)*) => {
        /// A rule of the catalogue. Its `as_str` is the stable id in every report.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId {
            $($variant,)*
        }

        impl RuleId {
            /// Every rule, in catalogue order.
            pub const ALL: &'static [RuleId] = &[$(RuleId::$variant,)*];

            /// The id as written in reports (kebab-case).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(RuleId::$variant => $name,)*
                }
            }

            /// The rule with this id, if it is in the catalogue.
            pub fn from_name(s: &str) -> Option<RuleId> {
                match s {
                    $($name => Some(RuleId::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

rule_ids! {
    OomKilled => "oom-killed",
    OomChildKilled => "oom-child-killed",
    StopTimeoutKill => "stop-timeout-kill",
    SigtermExit => "sigterm-exit",
    Segfault => "segfault",
    Abort => "abort",
    CommandNotFound => "command-not-found",
    ExitedImmediately => "exited-immediately",
    AppErrorExit => "app-error-exit",
    CrashLoop => "crash-loop",
    Unhealthy => "unhealthy",
    PortMismatch => "port-mismatch",
    VolumePermissionDenied => "volume-permission-denied",
    LogsUnavailable => "logs-unavailable",
    CrashSignature => "crash-signature",
    LogErrors => "log-errors",
    DnsFailure => "dns-failure",
    SecretsInEnv => "secrets-in-env",
    UnmatchedKernelEvent => "unmatched-kernel-event",
    ImageWastedSpace => "image-wasted-space",
    ImageBloat => "image-bloat",
    ImageTagConflict => "image-tag-conflict",
    Pid1IgnoresSignal => "pid1-ignores-signal",
    HeapExceedsLimit => "heap-exceeds-limit",
    LogsRotatedOut => "logs-rotated-out",
    PortConflict => "port-conflict",
    WrongArchitecture => "wrong-architecture",
    ImagePullFailure => "image-pull-failure",
    HealthProbeBroken => "health-probe-broken",
    MemoryNearLimit => "memory-near-limit",
    KernelHungTask => "kernel-hung-task",
    KernelError => "kernel-error",
    RuntimeError => "runtime-error",
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for RuleId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for RuleId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

#[cfg(test)]
mod tests {
    use super::RuleId;

    #[test]
    fn every_id_round_trips_and_is_kebab_case() {
        for &r in RuleId::ALL {
            assert_eq!(RuleId::from_name(r.as_str()), Some(r));
            assert!(r
                .as_str()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        }
        assert_eq!(RuleId::from_name("no-such-rule"), None);
    }
}
