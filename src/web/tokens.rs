//! API tokens for scripts and bots: create (the value is shown once), list and revoke
//! one's own tokens from a browser session; authenticate `Authorization: Bearer` requests;
//! and `POST .../send`, the HTTP way to send a message that a `send` token may use.
//!
//! A token is 32 random bytes (base64url), stored as its SHA-256 like session tokens. What
//! a token may do is decided by the extractors of `web::session`: a `read` token only
//! GETs (and follows `/events`), a `send` token may also send; no token manages tokens,
//! passwords, the account or the server. Must not: log token values.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use tracing::info;

use super::error::body;
use super::session::{Interactive, Sender};
use super::{live, AppState, Error};
use crate::{account, store, user, wire};

/// Longest token name, in characters.
const MAX_NAME: usize = 64;

/// Routes under `/api`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/user/tokens", get(list).post(create))
        .route("/user/token/{id}", delete(revoke))
        .route(
            "/connection/{cid}/conversation/{conversation}/send",
            post(send),
        )
}

fn view(t: store::ApiToken) -> wire::ApiToken {
    wire::ApiToken {
        id: t.id,
        name: t.name,
        scope: t.scope,
        created: crate::time::format_ms(t.created_at),
        last_used: t.last_used_at.map(crate::time::format_ms),
    }
}

async fn list(
    State(state): State<AppState>,
    Interactive(s): Interactive,
) -> Result<Json<wire::ApiTokenList>, Error> {
    let tokens = state.store.api_tokens(s.user.id).await?;
    Ok(Json(wire::ApiTokenList {
        tokens: tokens.into_iter().map(view).collect(),
    }))
}

/// A name: trimmed, 1–64 characters, no control characters.
fn clean_name(raw: &str) -> Result<String, Error> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(Error::new(
            StatusCode::BAD_REQUEST,
            format!("A token needs a name of 1 to {MAX_NAME} characters."),
            "/name",
        ));
    }
    Ok(name.to_owned())
}

async fn create(
    State(state): State<AppState>,
    Interactive(s): Interactive,
    req: Result<Json<wire::ApiTokenRequest>, JsonRejection>,
) -> Result<Json<wire::ApiTokenCreated>, Error> {
    let req = body(req)?;
    let name = clean_name(&req.name)?;
    let secret = account::new_token();
    let token = state
        .store
        .create_api_token(
            s.user.id,
            name,
            account::token_hash(secret.expose()),
            req.scope,
        )
        .await?;
    info!(user = %s.user.id, token = token.id, scope = token.scope.as_str(), "api token created");
    Ok(Json(wire::ApiTokenCreated {
        token: view(token),
        secret: secret.expose().to_owned(),
    }))
}

async fn revoke(
    State(state): State<AppState>,
    Interactive(s): Interactive,
    Path(id): Path<String>,
) -> Result<Json<wire::Empty>, Error> {
    let not_found = || Error::not_found("/id");
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let hash = state
        .store
        .revoke_api_token(s.user.id, id)
        .await?
        .ok_or_else(not_found)?;
    // Its event streams stop now, not at their next check.
    state.live.end(s.user.id, live::Ended::One(&hash));
    info!(user = %s.user.id, token = id, "api token revoked");
    Ok(Json(wire::Empty {}))
}

/// Sends a message or command to a conversation, like the input box (and the
/// WebSocket's `send`); answers what was sent.
async fn send(
    State(state): State<AppState>,
    Sender(s): Sender,
    Path((cid, conversation)): Path<(String, String)>,
    req: Result<Json<wire::SendRequest>, JsonRejection>,
) -> Result<Json<wire::Sent>, Error> {
    let req = body(req)?;
    let handle = state.actor(&s.user);
    let sent = handle
        .ask(|reply| user::Request::Send {
            connection_id: cid,
            conversation_id: conversation,
            message: req.message,
            reply_to: None,
            reply,
        })
        .await?;
    Ok(Json(sent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(clean_name("  my bot ").expect("valid"), "my bot");
        assert!(clean_name("").is_err());
        assert!(clean_name("   ").is_err());
        assert!(clean_name(&"x".repeat(65)).is_err());
        assert!(clean_name(&"é".repeat(64)).is_ok());
        assert!(clean_name("a\nb").is_err());
    }
}
