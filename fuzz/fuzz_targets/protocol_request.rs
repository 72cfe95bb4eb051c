//! Every request parser of the five protocols (`e2e_tests::fuzz::protocol_request`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| e2e_tests::fuzz::protocol_request(data));
