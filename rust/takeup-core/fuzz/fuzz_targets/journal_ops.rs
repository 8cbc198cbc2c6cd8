//! Arbitrary sequences of journal state transitions: the invariants hold after every one.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    takeup_core::fuzzing::journal_ops(data);
});
