//! The words that make a log line an error line or a crash/DNS/permission/
//! not-found/address-in-use signature, and the one literal prefilter that
//! every such line matches.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::bytes::{Regex, RegexSet};

use super::SignatureKind;

/// Literal stems of the error words and signature triggers, the first
/// letter dropped so one stem serves lower case and Capitalised spellings,
/// plus UPPER case where that is common (ERROR, FATAL, PANIC, FAIL). A plain
/// alternation of at most 32 literals lets `regex` use its SIMD "slim Teddy"
/// multi-literal searcher (several GB/s), where the equivalent `(?i)`
/// alternation runs its lazy DFA at about 0.5 GB/s. Unusual case (`ErrOr`,
/// `DENIED`) is therefore missed on stdout; stderr lines are always analysed.
pub(super) const PREFILTER_STEMS: [&str; 32] = [
    "rror",
    "RROR",
    "atal",
    "ATAL",
    "anic",
    "ANIC",
    "xception",
    "raceback",
    "fail",
    "Fail",
    "FAIL",
    "enied",
    "efused",
    "imeout",
    "imed out",
    "annot",
    "ot found",
    "unable",
    "Unable",
    "o such",
    "ncaught",
    "SIGSEGV",
    "egmentation",
    "dumped",
    "ot known",
    "resol",
    "getaddrinfo",
    "isbehaving",
    "EACCES",
    "ermitted",
    "lready in use",
    "EADDRINUSE",
];

pub(super) struct Patterns {
    /// Union of error words and signature triggers: a line it does not
    /// match is neither an error line nor a signature.
    /// Searched with `aho-corasick` directly: the packed (Teddy) searcher
    /// reports where a literal starts, where `regex` confirmed each hit with
    /// a forward and a reverse DFA search.
    pub(super) prefilter: AhoCorasick,
    pub(super) error: Regex,
    /// A line that states a level below error (`INFO:root:…` of Python's
    /// logging, `level=info`, glog's `I1202`, `[DEBUG]`): on stderr, where
    /// many programs write every log line, it is not an error line.
    pub(super) benign: Regex,
    pub(super) signatures: Vec<(SignatureKind, Regex)>,
    /// The signature patterns as one set, for a single pass per line.
    pub(super) signature_set: RegexSet,
}

pub(super) fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("static pattern");
        let sigs: [(SignatureKind, &str); 5] = [
                (
                    SignatureKind::Crash,
                    "(?i:\\bpanic:|fatal error:|Traceback \\(most recent call last\\)|\\bUncaught\\b|unhandled exception|\
                        Exception in thread|segmentation fault|core dumped)|SIGSEGV|\\bFATAL\\b",
                ),
                (
                    SignatureKind::Dns,
                    "(?i:no such host|Name or service not known|Temporary failure in name resolution|could not resolve|\
                        getaddrinfo ENOTFOUND|server misbehaving|bad address ')|EAI_AGAIN",
                ),
                (
                    SignatureKind::PermissionDenied,
                    "(?i:permission denied|Operation not permitted)|EACCES",
                ),
                (
                    SignatureKind::NotFound,
                    "(?i)exec format error|executable file not found|\\bexec\\b.*no such file or directory|\
                        (?:^|[\\s/])(?:sh|bash|ash|dash|zsh|env|exec)(?::\\s*\\d+)?:.*: not found",
                ),
                (
                    SignatureKind::AddressInUse,
                    "(?i:address already in use)|EADDRINUSE",
                ),
            ];
        Patterns {
            prefilter: AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(PREFILTER_STEMS)
                .expect("static literals"),
            error: re(
                "(?i)error|fatal|panic|exception|traceback|failed|failure|denied|refused|timeout|timed out|cannot|unable|no such",
            ),
            benign: re(
                "(?i)^[\\d\\s:.,/TZ+-]*\\[?(?:info|debug|trace|notice|warn|warning)\\]?(?:[\\s:\\]]|$)\
                 |^[IDW]\\d{4} \\d\
                 |\\blevel=\"?(?:info|debug|trace|notice|warn|warning)\\b\
                 |\"level\"\\s*:\\s*\"(?:info|debug|trace|notice|warn|warning)\"",
            ),
            signatures: sigs.iter().map(|(k, p)| (*k, re(p))).collect(),
            signature_set: RegexSet::new(sigs.iter().map(|(_, p)| p)).expect("static patterns"),
        }
    })
}
