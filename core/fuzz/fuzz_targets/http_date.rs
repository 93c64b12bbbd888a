//! The `Sunset` (HTTP-date) and `Retry-After` parsers on any header value.
//!
//! Asserts: nothing panics (dates far outside the clock's range are `None`, not an overflow), and
//! a `Retry-After` wait is bounded: never more than a day, whatever the server asks for.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use plexctl_core::fuzzing;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(at) = fuzzing::http_date(text) {
            // An HTTP-date has a four-digit year, so it lands between 1970 (the parser's floor)
            // and the end of 9999.
            assert!(
                (0..=253_402_300_799).contains(&at),
                "HTTP-date out of range: {at}"
            );
        }
    }
    if let Some(wait) = fuzzing::retry_after(data) {
        assert!(
            wait <= Duration::from_secs(24 * 60 * 60),
            "unbounded Retry-After: {wait:?}"
        );
    }
});
