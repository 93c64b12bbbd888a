//! The token list's direct scanner against serde_json: whenever the scanner answers, serde_json
//! answers the same (`fuzzing::token_list` asserts it); otherwise the body goes to serde_json.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plexctl_core::fuzzing;

fuzz_target!(|data: &[u8]| {
    let _ = fuzzing::token_list(data);
});
