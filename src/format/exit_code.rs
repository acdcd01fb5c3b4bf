//! The exit-code table: what a container's exit code says about its death.

/// Signal name for a signal number (Linux x86/arm numbering).
pub fn signal_name(n: i64) -> Option<&'static str> {
    Some(match n {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        10 => "SIGUSR1",
        11 => "SIGSEGV",
        12 => "SIGUSR2",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => return None,
    })
}

/// Plain words for an exit code, as a support engineer would say them.
pub fn exit_meaning(code: i64) -> String {
    match code {
        0 => "clean exit".into(),
        1 => "application error (generic failure)".into(),
        2 => "application error (often misuse of a shell builtin or bad arguments)".into(),
        125 => "the container runtime itself failed to run the container".into(),
        126 => "the command was found but could not be executed (permission or format)".into(),
        127 => "command not found".into(),
        137 => "128 + 9: killed by SIGKILL (the OOM killer, or docker stop/kill after the timeout)"
            .into(),
        139 => "128 + 11: SIGSEGV, a segmentation fault".into(),
        143 => "128 + 15: SIGTERM, graceful termination (should be 0 after cleanup)".into(),
        134 => "128 + 6: SIGABRT, the process aborted (assertion or abort())".into(),
        c if c > 128 && c < 160 => match signal_name(c - 128) {
            Some(s) => format!("128 + {}: killed by {s}", c - 128),
            None => format!("128 + {}: killed by signal {}", c - 128, c - 128),
        },
        c if c < 0 => "negative exit code: the runtime could not report a real exit status".into(),
        c => format!("application-defined error code {c}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_of_the_seed() {
        assert!(exit_meaning(137).contains("SIGKILL"));
        assert!(exit_meaning(139).contains("SIGSEGV"));
        assert!(exit_meaning(143).contains("SIGTERM"));
        assert!(exit_meaning(130).contains("SIGINT"));
        assert_eq!(exit_meaning(0), "clean exit");
    }
}
