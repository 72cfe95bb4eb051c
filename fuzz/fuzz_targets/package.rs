//! The APK and IPA readers (`generator::fuzz::package`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| generator::fuzz::package(data));
