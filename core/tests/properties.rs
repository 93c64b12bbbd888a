//! Properties over arbitrary input (proptest, on stable): the parsers round-trip what they format
//! and never panic on anything, whatever a caller or a server hands them.

use plexctl_core::psk::{self, Psk};
use plexctl_core::{EnvPrefix, IdentityRef, Problem, Ttl, timefmt};
use proptest::prelude::*;
use uuid::Uuid;

proptest! {
    #[test]
    fn psk_round_trips(env in "[a-z]{1,12}", id: u128, secret: [u8; 16]) {
        let id = Uuid::from_u128(id);
        let plaintext = psk::format(&env, id, &secret).unwrap();
        let text = plaintext.expose_secret();
        prop_assert_eq!(text.len(), 4 + env.len() + 1 + 44);
        let parsed = Psk::parse(text).unwrap();
        prop_assert_eq!(parsed.id(), id);
        prop_assert_eq!(psk::token_id(text).unwrap(), id);
        // The redaction keeps the environment only.
        prop_assert_eq!(plaintext.to_string(), format!("psk_{env}_****"));
    }

    #[test]
    fn psk_parsing_never_panics(s in ".*") {
        let _ = Psk::parse(&s);
        let _ = psk::token_id(&s);
    }

    #[test]
    fn psk_like_garbage_never_panics(s in "psk_[a-z]{0,5}_[0-9A-Za-z_é-]{0,50}") {
        match Psk::parse(&s) {
            Ok(p) => prop_assert_eq!(psk::token_id(&s).unwrap(), p.id()),
            Err(e) => prop_assert_eq!(psk::token_id(&s).unwrap_err(), e),
        }
    }

    #[test]
    fn input_parsers_never_panic(s in ".*") {
        let _ = s.parse::<Ttl>();
        let _ = s.parse::<EnvPrefix>();
        let _ = s.parse::<IdentityRef>();
        let _ = plexctl_core::input::parse_uuid("id", &s);
    }

    #[test]
    fn ttls_round_trip(secs in 1u64..=(10 * 365 * 24 * 3600)) {
        let ttl = Ttl::from_secs(secs).unwrap();
        prop_assert_eq!(ttl.to_string().parse::<Ttl>().unwrap(), ttl);
    }

    #[test]
    fn timestamps_round_trip_to_the_microsecond(unix in -62_135_596_800i64..253_402_300_799, micros in 0u32..1_000_000) {
        let t = time::OffsetDateTime::from_unix_timestamp(unix).unwrap()
            + time::Duration::microseconds(i64::from(micros));
        let text = timefmt::format(t);
        let back = time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339).unwrap();
        prop_assert_eq!(back, t);
        prop_assert!(text.ends_with("+00:00"));
    }

    #[test]
    fn problem_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = serde_json::from_slice::<Problem>(&body);
        let _ = serde_json::from_slice::<plexctl_core::IssuedToken>(&body);
        let _ = serde_json::from_slice::<plexctl_core::RotatedToken>(&body);
        let _ = serde_json::from_slice::<Vec<plexctl_core::TokenSummary>>(&body);
        let _ = serde_json::from_slice::<plexctl_core::ServiceToken>(&body);
        let _ = serde_json::from_slice::<plexctl_core::RotationPreview>(&body);
        let _ = serde_json::from_slice::<plexctl_core::RotationTrigger>(&body);
    }
}
