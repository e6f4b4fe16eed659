//! `Authorization: Bearer` requests: the header's token, and the session of an API token
//! (created and revoked by `web::tokens`), noting its use at most every few minutes.
//!
//! Must not: log token values.

use axum::http::{header, HeaderMap, StatusCode};

use super::{Session, Via};
use crate::account;
use crate::web::{AppState, Error};

/// A token's `last_used` is written at most this often (a busy bot would otherwise write
/// on every request).
const TOUCH_EVERY_MS: i64 = 5 * 60 * 1000;

/// The token of an `Authorization: Bearer TOKEN` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The session of a request carrying the API token `token`; 401 `Invalid API token.`
/// for an unknown or revoked one.
pub(super) async fn authenticate(state: &AppState, token: &str) -> Result<Session, Error> {
    let invalid = || Error::new(StatusCode::UNAUTHORIZED, "Invalid API token.", "/");
    let token_hash = account::token_hash(token);
    let found = state
        .store
        .api_token_use(&token_hash)
        .await?
        .ok_or_else(invalid)?;
    let user = state.store.user(found.user_id).await?.ok_or_else(invalid)?;
    let now = crate::time::now_ms();
    if found
        .last_used_at
        .is_none_or(|t| now.saturating_sub(t) >= TOUCH_EVERY_MS)
    {
        let (store, id) = (state.store.clone(), found.id);
        tokio::spawn(async move {
            if let Err(e) = store.touch_api_token(id).await {
                tracing::debug!(error = %e, "cannot note an API token's use");
            }
        });
    }
    Ok(Session {
        user,
        token_hash,
        via: Via::Token {
            id: found.id,
            scope: found.scope,
        },
    })
}

/// Whether a token still exists for `session` (checked by open WebSockets).
pub(super) async fn still_valid(state: &AppState, session: &Session) -> bool {
    matches!(
        state.store.api_token_use(&session.token_hash).await,
        Ok(Some(t)) if t.user_id == session.user.id
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn bearer_tokens() {
        let cases = [
            ("Bearer abc", Some("abc")),
            ("bearer  abc ", Some("abc")),
            ("Basic abc", None),
            ("Bearer ", None),
            ("Bearer", None),
        ];
        for (value, want) in cases {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            assert_eq!(bearer(&h), want, "{value}");
        }
    }
}
