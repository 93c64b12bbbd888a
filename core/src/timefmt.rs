//! How result timestamps serialize: RFC 3339 in UTC, written as `+00:00` with whole seconds or
//! exactly six fractional digits ([`text`] writes the same instant with `Z`, for people). Every RFC 3339 parser reads it, and so does Python 3.9's
//! `datetime.fromisoformat`, which rejects `Z` and fractions of other lengths. Any RFC 3339
//! timestamp deserializes.

use serde::{Deserializer, Serializer};
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

const WHOLE: &[FormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+00:00");
const MICROS: &[FormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]+00:00");

/// Formats `t` as this crate writes every timestamp.
pub fn format(t: OffsetDateTime) -> String {
    // A server may send 9999-12-31T23:59:59-01:00, which is in year 10000 in UTC: no panic.
    let Some(utc) = t.checked_to_offset(time::UtcOffset::UTC) else {
        return t.to_string();
    };
    let items = if utc.microsecond() == 0 {
        WHOLE
    } else {
        MICROS
    };
    // Only a year outside 0..=9999 fails to format; fall back to time's own rendering.
    utc.format(items).unwrap_or_else(|_| utc.to_string())
}

const WHOLE_Z: &[FormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
const MICROS_Z: &[FormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Formats `t` for text a person reads (the plexctl documentation's form): UTC with `Z`, whole
/// seconds or exactly six fractional digits.
pub fn text(t: OffsetDateTime) -> String {
    let Some(utc) = t.checked_to_offset(time::UtcOffset::UTC) else {
        return t.to_string();
    };
    let items = if utc.microsecond() == 0 {
        WHOLE_Z
    } else {
        MICROS_Z
    };
    utc.format(items).unwrap_or_else(|_| utc.to_string())
}

/// `#[serde(with = "crate::timefmt")]`.
pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(*t))
}

/// `#[serde(with = "crate::timefmt")]`.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
    time::serde::rfc3339::deserialize(d)
}

/// `#[serde(with = "crate::timefmt::option")]`.
pub mod option {
    use super::*;

    /// Serializes `None` as null.
    pub fn serialize<S: Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_some(&super::format(*t)),
            None => s.serialize_none(),
        }
    }

    /// Deserializes null (or a missing field, with `#[serde(default)]`) as `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        time::serde::rfc3339::option::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    #[test]
    fn times_past_year_9999_in_utc_do_not_panic() {
        let late = datetime!(9999-12-31 23:59:59 -01:00);
        assert!(!super::format(late).is_empty());
        assert!(!super::text(late).is_empty());
    }

    #[test]
    fn text_uses_z() {
        assert_eq!(
            super::text(datetime!(2026-05-02 12:00:00 +02:00)),
            "2026-05-02T10:00:00Z"
        );
        assert_eq!(
            super::text(datetime!(2026-05-02 10:00:00.123456789 UTC)),
            "2026-05-02T10:00:00.123456Z"
        );
    }

    #[test]
    fn whole_seconds_or_six_digits_in_utc() {
        assert_eq!(
            super::format(datetime!(2026-11-25 10:00:00 +02:00)),
            "2026-11-25T08:00:00+00:00"
        );
        assert_eq!(
            super::format(datetime!(2026-11-25 10:00:00.123456789 UTC)),
            "2026-11-25T10:00:00.123456+00:00"
        );
        assert_eq!(
            super::format(datetime!(2026-11-25 10:00:00.5 UTC)),
            "2026-11-25T10:00:00.500000+00:00"
        );
    }
}
