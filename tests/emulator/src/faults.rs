//! Faults: what goes wrong on the API paths, set from Rust or from the control API.

use serde::{Deserialize, Serialize};

use crate::state::Shared;

/// A fault injected into the API paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// What goes wrong.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Only requests whose path starts with this; `None` for every API path.
    #[serde(default)]
    pub path_prefix: Option<String>,
    /// How many requests it applies to; `None` until cleared.
    #[serde(default)]
    pub count: Option<u32>,
}

/// The kinds of [`Fault`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with this status and a Problem body.
    Status {
        /// The HTTP status.
        status: u16,
        /// The Problem `code`.
        #[serde(default)]
        code: Option<String>,
    },
    /// A reverse proxy's `502 Bad Gateway` HTML page.
    HtmlBadGateway,
    /// Close the connection without any response.
    Drop,
    /// A 200 `application/json` answer whose body is truncated JSON.
    MalformedJson,
    /// A 200 answer with a valid-looking JSON body of about this many bytes.
    Oversized {
        /// Body size.
        bytes: usize,
    },
    /// Wait this long, then answer normally.
    Latency {
        /// Delay in milliseconds.
        ms: u64,
    },
    /// Rotate answers carry a `Sunset` header this many seconds off `rotation_deadline`.
    SunsetSkew {
        /// The skew.
        seconds: i64,
    },
}

impl Shared {
    /// Takes one use of the fault that applies to `path`, if any (a `SunsetSkew` is left for the
    /// rotate handler).
    pub(crate) fn take_fault(&self, path: &str, sunset: bool) -> Option<FaultKind> {
        let mut inner = self.lock();
        let fault = inner.fault.as_mut()?;
        if fault
            .path_prefix
            .as_deref()
            .is_some_and(|p| !path.starts_with(p))
        {
            return None;
        }
        if matches!(fault.kind, FaultKind::SunsetSkew { .. }) != sunset {
            return None;
        }
        let kind = fault.kind.clone();
        if let Some(n) = fault.count.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                inner.fault = None;
            }
        }
        Some(kind)
    }
}
