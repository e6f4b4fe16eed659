//! The session cookie and the session rows behind it: reading the token from `Cookie`,
//! `Set-Cookie` values (HttpOnly, SameSite=Lax, Secure under https), starting a session,
//! noting its use, and recording how a user signed in.
//!
//! Must not: log a token or a cookie value.

use axum::http::{header, HeaderMap, HeaderValue};
use tracing::warn;

use crate::account;
use crate::model::{SignInMethod, User, UserId};
use crate::store::SessionDevice;
use crate::web::{AppState, Error};

/// The session cookie's name.
pub const COOKIE: &str = "convos_session";

/// How long a session lives.
pub const SESSION_TTL_MS: i64 = 30 * 24 * 3600 * 1000;

/// The user of an unexpired session, noting (at most every few minutes) that it was used.
pub(crate) async fn session_used(
    state: &AppState,
    token_hash: &str,
) -> Result<Option<UserId>, Error> {
    let Some((user_id, last_seen)) = state.store.session(token_hash).await? else {
        return Ok(None);
    };
    touch(state, token_hash, last_seen);
    Ok(Some(user_id))
}

/// The user record of an unexpired session, noting its use like [`session_used`].
pub(crate) async fn session_user_used(
    state: &AppState,
    token_hash: &str,
) -> Result<Option<crate::model::User>, Error> {
    let Some((user, last_seen)) = state.store.session_with_user(token_hash).await? else {
        return Ok(None);
    };
    touch(state, token_hash, last_seen);
    Ok(Some(user))
}

/// Notes, at most every few minutes, that a session was used.
fn touch(state: &AppState, token_hash: &str, last_seen: i64) {
    const TOUCH_EVERY_MS: i64 = 5 * 60 * 1000;
    if crate::time::now_ms().saturating_sub(last_seen) >= TOUCH_EVERY_MS {
        let (store, hash) = (state.store.clone(), token_hash.to_owned());
        tokio::spawn(async move {
            if let Err(e) = store.touch_session(&hash).await {
                tracing::debug!(error = %e, "cannot note a session's use");
            }
        });
    }
}

/// The session token from the `Cookie` header(s).
pub(crate) fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, v)| *k == COOKIE && !v.is_empty())
        .map(|(_, v)| v)
}

fn cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    set_cookie(state, COOKIE, value, max_age)
}

/// A `Set-Cookie` value for cookie `name` of ours: HttpOnly, SameSite=Lax, `Secure` when
/// the daemon is reached over https.
pub(crate) fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    // Tokens are base64url, so this cannot fail; an empty cookie is the safe fallback.
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that ends the browser's session.
pub(crate) fn clear_cookie(state: &AppState) -> HeaderValue {
    cookie(state, "", 0)
}

/// Starts a session for `user` on `device` and returns its `Set-Cookie` value.
pub(crate) async fn start_session(
    state: &AppState,
    user: &User,
    device: &SessionDevice,
) -> Result<HeaderValue, Error> {
    Ok(new_session(state, user, device).await?.0)
}

/// Starts a session for `user` on `device`: its `Set-Cookie` value and the token's hash.
pub(crate) async fn new_session(
    state: &AppState,
    user: &User,
    device: &SessionDevice,
) -> Result<(HeaderValue, String), Error> {
    let token = account::new_token();
    let hash = account::token_hash(token.expose());
    let expires = crate::time::now_ms() + SESSION_TTL_MS;
    state
        .store
        .create_session(&hash, user.id, expires, device)
        .await?;
    Ok((cookie(state, token.expose(), SESSION_TTL_MS / 1000), hash))
}

/// Notes how `user` signed in, for the admin's list; a failure is only logged.
pub(crate) async fn record_sign_in(
    state: &AppState,
    user: &User,
    method: SignInMethod,
    provider: &str,
) {
    if let Err(e) = state.store.record_sign_in(user.id, method, provider).await {
        warn!(error = %e, "cannot record the sign-in method");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_cookie_is_found() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; convos_session=tok; b=2"),
        );
        assert_eq!(session_token(&h), Some("tok"));
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1"));
        h.append(header::COOKIE, HeaderValue::from_static("convos_session=x"));
        assert_eq!(session_token(&h), Some("x"));
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("convos_sessionx=1; convos_session="),
        );
        assert_eq!(session_token(&h), None);
    }
}
