//! Who is asking: the logged-in user of a request, from the session cookie, an API token
//! (`Authorization: Bearer`) or a trusted proxy's header, as the extractors [`Session`],
//! [`Interactive`], [`Sender`] and [`Admin`]; the `Origin` check on writes; cookies and
//! session rows (`cookie`), API token lookup (`bearer`), the proxy sign-in (`proxy`) and
//! what a request says about its client (`client`).
//!
//! A leaf of the web layer: every handler module imports it, it imports none of them.
//! Must not: log passwords, tokens or cookies.

mod bearer;
mod client;
mod cookie;
pub mod proxy;

pub use bearer::bearer;
pub(crate) use client::{ClientIp, Device, SameOrigin};
pub(crate) use cookie::{
    clear_cookie, new_session, record_sign_in, session_token, session_used, session_user_used,
    set_cookie, start_session,
};
pub use cookie::{COOKIE, SESSION_TTL_MS};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};

use super::origin::origin_allowed_at;
use super::{AppState, Error};
use crate::account;
use crate::model::{TokenScope, User};

/// The logged-in user of a request, from the session cookie or an API token
/// (`Authorization: Bearer`, which wins over a cookie). Rejects with 401
/// `Need to log in first.` (or `Invalid API token.`); a cookie session on methods other
/// than GET/HEAD/OPTIONS with 403 `Invalid origin.` when the `Origin` header is not our
/// own (see [`super::origin::origin_allowed`]); a token on those methods with 403 (only
/// handlers taking [`Sender`] let a `send` token write).
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    /// SHA-256 hex of the cookie token or API token: its key in the store.
    pub token_hash: String,
    /// How the request proved who it is.
    pub via: Via,
}

/// How a request authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The session cookie of a browser: everything the user may do.
    Cookie,
    /// An API token (managed by `web::tokens`).
    Token { id: i64, scope: TokenScope },
    /// A trusted reverse proxy's sign-in header (see [`proxy`]): like a cookie.
    Proxy,
}

impl Session {
    /// Whether this request may send messages and commands.
    pub fn may_send(&self) -> bool {
        matches!(
            self.via,
            Via::Cookie
                | Via::Proxy
                | Via::Token {
                    scope: TokenScope::Send,
                    ..
                }
        )
    }

    /// Whether an API token authenticated the request.
    pub fn is_token(&self) -> bool {
        matches!(self.via, Via::Token { .. })
    }

    /// Whether the session (or API token) still exists and still belongs to the user
    /// (checked again when a WebSocket opens).
    pub(crate) async fn alive(&self, state: &AppState) -> bool {
        match self.via {
            Via::Token { .. } => return bearer::still_valid(state, self).await,
            Via::Proxy => return matches!(state.store.user(self.user.id).await, Ok(Some(_))),
            Via::Cookie => {}
        }
        matches!(
            session_used(state, &self.token_hash).await,
            Ok(Some(id)) if id == self.user.id
        )
    }

    /// The request's identity, by API token or cookie, once per request.
    pub(crate) async fn identify(parts: &mut Parts, state: &AppState) -> Result<Session, Error> {
        if let Some(s) = parts.extensions.get::<Session>() {
            return Ok(s.clone());
        }
        let session = match bearer(&parts.headers) {
            // Browsers never add this header cross-site without CORS (which we do not
            // offer), so a token needs no Origin check.
            Some(token) => bearer::authenticate(state, token).await?,
            None if state.config.proxy_auth.is_some() => {
                check_origin(parts, state)?;
                match proxy::identify(parts, state).await? {
                    Some(s) => s,
                    None => Self::by_cookie(parts, state).await?,
                }
            }
            None => Self::by_cookie(parts, state).await?,
        };
        parts.extensions.insert(session.clone());
        Ok(session)
    }

    /// The session of the cookie (after the Origin check).
    async fn by_cookie(parts: &Parts, state: &AppState) -> Result<Session, Error> {
        check_origin(parts, state)?;
        let token = session_token(&parts.headers).ok_or_else(need_login)?;
        let token_hash = account::token_hash(token);
        let user = session_user_used(state, &token_hash)
            .await?
            .ok_or_else(need_login)?;
        Ok(Session {
            user,
            token_hash,
            via: Via::Cookie,
        })
    }
}

/// A logged-in admin; rejects others with 403 `Only admins can do that.`, and API
/// tokens with 403: they never carry admin powers.
#[derive(Debug, Clone)]
pub struct Admin(pub Session);

/// A person in a browser (session cookie): API tokens get 403. For managing tokens.
#[derive(Debug, Clone)]
pub struct Interactive(pub Session);

/// Someone who may send messages and commands: a browser session, or a `send` token.
#[derive(Debug, Clone)]
pub struct Sender(pub Session);

/// 403 for an API token on an endpoint tokens may not use.
fn token_refused() -> Error {
    Error::new(StatusCode::FORBIDDEN, "API tokens cannot do that.", "/")
}

/// 401 `Need to log in first.`
pub(crate) fn need_login() -> Error {
    Error::new(StatusCode::UNAUTHORIZED, "Need to log in first.", "/")
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let session = Session::identify(parts, state).await?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if session.is_token() && !safe {
            return Err(token_refused());
        }
        Ok(session)
    }
}

impl FromRequestParts<AppState> for Interactive {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let session = Session::identify(parts, state).await?;
        if session.is_token() {
            return Err(token_refused());
        }
        Ok(Interactive(session))
    }
}

impl FromRequestParts<AppState> for Sender {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let session = Session::identify(parts, state).await?;
        if !session.may_send() {
            return Err(Error::new(
                StatusCode::FORBIDDEN,
                "This API token may only read.",
                "/",
            ));
        }
        Ok(Sender(session))
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let Interactive(session) = Interactive::from_request_parts(parts, state).await?;
        if !session.user.admin {
            return Err(Error::new(
                StatusCode::FORBIDDEN,
                "Only admins can do that.",
                "/",
            ));
        }
        Ok(Admin(session))
    }
}

/// 403 `Invalid origin.` for a state-changing request from another origin.
pub(crate) fn check_origin(parts: &Parts, state: &AppState) -> Result<(), Error> {
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || origin_allowed_at(&parts.headers, parts.uri.authority(), &state.config) {
        return Ok(());
    }
    Err(Error::new(StatusCode::FORBIDDEN, "Invalid origin.", "/"))
}
