//! The manifest loader's parse of an app or a release manifest (`generator::fuzz::manifest`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| generator::fuzz::manifest(data));
