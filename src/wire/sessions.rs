//! The user's sign-in sessions as Settings → Sessions sees them (`/api/user/sessions`).

use serde::Serialize;

/// One session: a browser (or other client) that logged in and has not logged out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SessionView {
    /// Names the session in `DELETE /api/user/sessions/{id}`.
    pub id: String,
    /// What the device is, read from its User-Agent ("Firefox on Linux"), or `""`.
    pub device: String,
    /// The User-Agent as sent (at most 256 characters).
    pub user_agent: String,
    /// The address it logged in from (`""` when unknown).
    pub address: String,
    /// RFC 3339.
    pub created: String,
    /// RFC 3339: when it was last used (to within a few minutes).
    pub last_seen: String,
    /// RFC 3339: when it ends (sooner if logged out or ended here).
    pub expires: String,
    /// The session of this request.
    pub current: bool,
}

/// `GET /api/user/sessions`: the most recently used first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SessionList {
    pub sessions: Vec<SessionView>,
}
