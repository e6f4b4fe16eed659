//! API tokens as the settings page and scripts see them (`/api/user/tokens`).

use serde::{Deserialize, Serialize};

use crate::model::TokenScope;

/// A token as listed: its value is shown once, at creation, and never again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub scope: TokenScope,
    /// RFC 3339.
    pub created: String,
    /// RFC 3339, `null` when never used (updated at most every few minutes).
    pub last_used: Option<String>,
}

/// `GET /api/user/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ApiTokenList {
    pub tokens: Vec<ApiToken>,
}

/// `POST /api/user/tokens`: a name (1–64 characters) and a scope.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct ApiTokenRequest {
    pub name: String,
    pub scope: TokenScope,
}

/// The answer to `POST /api/user/tokens`: the token, and its value, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ApiTokenCreated {
    #[serde(flatten)]
    pub token: ApiToken,
    /// Send it as `Authorization: Bearer SECRET`.
    pub secret: String,
}

/// `POST /api/connection/{cid}/conversation/{conversation}/send`: a message or a command,
/// as typed in the input box.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    pub message: String,
}
