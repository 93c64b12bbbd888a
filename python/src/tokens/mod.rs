//! The API-token family: `Client.issue_token`, `list_tokens`, `delete_token`, `rotate_token`.

mod model;

use plexctl_core::IssueTokenRequest;
use plexctl_core::tokens::parse_token_id;
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::client::Client;
use crate::convert::ToDoor;
use crate::errors::Error;
use crate::input;

pub(crate) use model::{IssuedToken, RotatedToken, TokenSummary};

#[pymethods]
impl Client {
    /// Issues a new API token (`POST /v1/auth/tokens`); the plaintext is returned exactly once.
    #[pyo3(signature = (identity_ref, env_prefix, ttl=None))]
    fn issue_token(
        &self,
        py: Python<'_>,
        identity_ref: &str,
        env_prefix: &str,
        ttl: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<IssuedToken> {
        // The core's order: identity ref, env prefix, then the lifetime.
        let mut req = IssueTokenRequest::new(
            identity_ref.parse().map_err(Error)?,
            env_prefix.parse().map_err(Error)?,
        );
        if let Some(ttl) = ttl {
            req = req.ttl(input::ttl(ttl)?);
        }
        self.call(py, |c| c.issue_token(&req))?.to_door(py)
    }

    /// Lists the caller's tokens (`GET /v1/auth/tokens`); summaries never carry a plaintext.
    ///
    /// Each summary keeps its core value and converts a field when it is read, so a list of
    /// 10,000 costs one small object per token, not 60,000 Python values.
    fn list_tokens<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = self
            .call(py, |c| c.list_tokens())?
            .into_iter()
            .map(|t| TokenSummary::new_untracked(py, t))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }

    /// Revokes a token at once (`DELETE /v1/auth/tokens/{id}`).
    fn delete_token(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<()> {
        let id = input::id(id, "id", parse_token_id)?;
        self.call(py, |c| c.delete_token(id))
    }

    /// Rotates a token (`POST /v1/auth/tokens/{id}/rotate`): the new plaintext, exactly once.
    fn rotate_token(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<RotatedToken> {
        let id = input::id(id, "id", parse_token_id)?;
        self.call(py, |c| c.rotate_token(id))?.to_door(py)
    }
}
