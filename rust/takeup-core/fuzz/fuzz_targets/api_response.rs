//! Every parser of server answers (auth, identity, assets, part URLs, S3 errors) on arbitrary
//! bytes: must never panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    takeup_core::fuzzing::api_response(data);
});
