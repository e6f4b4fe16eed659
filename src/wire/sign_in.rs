//! Sign-in as the login page and the admin's user list see it: the OpenID Connect
//! providers offered, how each user signs in, and what logging out asks of the browser.

use serde::Serialize;

use crate::model::SignInMethod;

/// An OpenID Connect provider on the login page: a "Sign in with LABEL" button that goes
/// to `GET /api/oidc/NAME/start`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct OidcProvider {
    pub name: String,
    pub label: String,
}

/// One way a user has signed in (admin's user list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SignIn {
    pub method: SignInMethod,
    /// The OpenID provider's name (`oidc` only).
    pub provider: Option<String>,
    /// The provider's label, when it is still configured.
    pub label: Option<String>,
    /// The last time, RFC 3339.
    pub last: String,
}

/// A user in the admin's list: the User object and how they sign in (most recent first;
/// empty when they have not signed in since this was recorded).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AdminUser {
    #[serde(flatten)]
    pub user: super::User,
    pub sign_ins: Vec<SignIn>,
}

/// `POST /api/user/logout`: when the session was started by an OpenID provider that
/// offers RP-initiated logout, where to send the browser to sign out there too.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LoggedOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub end_session_url: Option<String>,
}
