//! Kernel log parsing in every supported shape (dmesg, -T, iso, syslog,
//! journalctl).
#![no_main]
use coroner::ingest::kernel;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kernel::looks_like_kernel_log(data);
    let _ = kernel::parse("fuzz-dmesg", data, &kernel::KernelContext::default());
});
