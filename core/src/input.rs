//! Typed inputs that parse before anything touches the wire: [`IdentityRef`], [`EnvPrefix`],
//! [`Ttl`] and ids. A value of these types is valid by construction.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use uuid::Uuid;

use crate::error::{Error, Result};

/// The identity an API token binds to: `user:<uuid>` or `service:<uuid>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentityRef {
    /// A User.
    User(Uuid),
    /// A ServiceIdentity.
    Service(Uuid),
}

impl FromStr for IdentityRef {
    type Err = Error;

    /// Parses `user:<uuid>` or `service:<uuid>`.
    ///
    /// # Errors
    /// A usage error (exit code 2) for any other form.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::usage("identity_ref", "expected user:<uuid> or service:<uuid>");
        let (kind, id) = s.split_once(':').ok_or_else(bad)?;
        let id = Uuid::try_parse(id)
            .ok()
            .filter(|id| !id.is_nil())
            .ok_or_else(bad)?;
        match kind {
            "user" => Ok(IdentityRef::User(id)),
            "service" => Ok(IdentityRef::Service(id)),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for IdentityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentityRef::User(id) => write!(f, "user:{id}"),
            IdentityRef::Service(id) => write!(f, "service:{id}"),
        }
    }
}

/// The environment segment encoded into a psk plaintext. The public API issues only these three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnvPrefix {
    /// `dev`.
    Dev,
    /// `stage`.
    Stage,
    /// `prod`.
    Prod,
}

impl EnvPrefix {
    /// The wire value: `dev`, `stage` or `prod`.
    pub fn as_str(self) -> &'static str {
        match self {
            EnvPrefix::Dev => "dev",
            EnvPrefix::Stage => "stage",
            EnvPrefix::Prod => "prod",
        }
    }
}

impl FromStr for EnvPrefix {
    type Err = Error;

    /// Parses `dev`, `stage` or `prod` (exactly, lowercase).
    ///
    /// # Errors
    /// A usage error (exit code 2) for anything else.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "dev" => Ok(EnvPrefix::Dev),
            "stage" => Ok(EnvPrefix::Stage),
            "prod" => Ok(EnvPrefix::Prod),
            _ => Err(Error::usage("env_prefix", "expected dev, stage or prod")),
        }
    }
}

impl fmt::Display for EnvPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token lifetime in whole seconds, at least one second.
///
/// Parsed from humantime durations such as `1h`, `30m`, `90s`, `1h30m` or `24h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ttl(u64);

impl Ttl {
    /// A TTL of `seconds` seconds.
    ///
    /// # Errors
    /// A usage error (exit code 2) when `seconds` is 0 or larger than the wire's `i64`.
    pub fn from_secs(seconds: u64) -> Result<Ttl> {
        if seconds == 0 || seconds > i64::MAX as u64 {
            return Err(Error::usage(
                "ttl",
                "expected a duration of at least one second",
            ));
        }
        Ok(Ttl(seconds))
    }

    /// The TTL in seconds (the wire's `ttl_seconds`).
    pub fn as_secs(self) -> u64 {
        self.0
    }
}

impl TryFrom<Duration> for Ttl {
    type Error = Error;

    /// Converts a whole number of seconds.
    ///
    /// # Errors
    /// A usage error when the duration has a sub-second part or is shorter than one second.
    fn try_from(d: Duration) -> Result<Ttl> {
        if d.subsec_nanos() != 0 {
            return Err(Error::usage("ttl", "expected a whole number of seconds"));
        }
        Ttl::from_secs(d.as_secs())
    }
}

impl FromStr for Ttl {
    type Err = Error;

    /// Parses a duration such as `1h`, `30m`, `90s` or `1h30m`.
    ///
    /// # Errors
    /// A usage error (exit code 2) for a malformed duration, zero, or a sub-second part.
    fn from_str(s: &str) -> Result<Ttl> {
        let d = humantime::parse_duration(s.trim()).map_err(|_| {
            Error::usage("ttl", "expected a duration such as 1h, 30m, 90s or 1h30m")
        })?;
        Ttl::try_from(d)
    }
}

impl fmt::Display for Ttl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}",
            humantime::format_duration(Duration::from_secs(self.0))
        )
    }
}

/// Parses a UUID argument (`id`, `node_id`, `domain_id`, ...). The nil UUID names nothing the
/// server has, so it is refused here rather than sent.
///
/// # Errors
/// A usage error (exit code 2) naming `field` when `s` is not a UUID or is the nil UUID.
pub fn parse_uuid(field: &'static str, s: &str) -> Result<Uuid> {
    match Uuid::try_parse(s.trim()) {
        Ok(id) if id.is_nil() => Err(Error::usage(field, "the nil UUID names nothing")),
        Ok(id) => Ok(id),
        Err(_) => Err(Error::usage(field, "expected a UUID")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_refs() {
        let id = "0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2";
        let u: IdentityRef = format!("user:{id}").parse().unwrap();
        assert_eq!(u.to_string(), format!("user:{id}"));
        let s: IdentityRef = format!("service:{id}").parse().unwrap();
        assert!(matches!(s, IdentityRef::Service(_)));
        for bad in [
            "",
            "user",
            "user:",
            "user:nope",
            "user:00000000-0000-0000-0000-000000000000",
            "group:0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2",
            id,
        ] {
            let e = bad.parse::<IdentityRef>().unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn env_prefixes() {
        assert_eq!("stage".parse::<EnvPrefix>().unwrap(), EnvPrefix::Stage);
        for bad in ["Prod", "qa", "", "prod "] {
            assert_eq!(bad.parse::<EnvPrefix>().unwrap_err().exit_code(), 2);
        }
    }

    #[test]
    fn ttls() {
        assert_eq!("1h".parse::<Ttl>().unwrap().as_secs(), 3600);
        assert_eq!("30m".parse::<Ttl>().unwrap().as_secs(), 1800);
        assert_eq!("90s".parse::<Ttl>().unwrap().as_secs(), 90);
        assert_eq!("1h30m".parse::<Ttl>().unwrap().as_secs(), 5400);
        assert_eq!("24h".parse::<Ttl>().unwrap().as_secs(), 86400);
        for bad in ["", "0s", "1.5x", "soon", "500ms", "-1h"] {
            assert_eq!(bad.parse::<Ttl>().unwrap_err().exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn uuids() {
        assert!(parse_uuid("id", "0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a3").is_ok());
        let e = parse_uuid("id", "not-a-uuid").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let nil = parse_uuid("node_id", "00000000-0000-0000-0000-000000000000").unwrap_err();
        assert_eq!(nil.exit_code(), 2);
        assert!(nil.to_string().contains("nil"), "{nil}");
        assert!(e.to_string().contains("id"));
    }
}
