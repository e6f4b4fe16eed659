//! Settings → Sessions: the user's logged-in devices, and ending any one of them
//! (`GET /api/user/sessions`, `DELETE /api/user/sessions/{id}`). Only a person in a
//! browser may do this (API tokens get 403), and only for their own sessions.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};

use super::session::{Interactive, Via};
use super::{live, AppState, Error};
use crate::store::{SessionInfo, SESSION_ID_LEN};
use crate::wire;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/user/sessions", get(list))
        .route("/user/sessions/{id}", delete(end))
}

/// "Firefox on Linux", "Safari on iPhone", "curl": what a User-Agent says the device is.
/// woothee: a small, maintained parser (no regex database to ship or update).
pub fn device_name(user_agent: &str) -> String {
    let known = |s: &str| !s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN;
    let Some(r) = woothee::parser::Parser::new().parse(user_agent) else {
        return String::new();
    };
    match (known(r.name), known(r.os)) {
        (true, true) => format!("{} on {}", r.name, r.os),
        (true, false) if r.name == "HTTP Library" && known(r.version) => r.version.to_string(),
        (true, false) => r.name.to_owned(),
        (false, true) => r.os.to_owned(),
        (false, false) => String::new(),
    }
}

fn view(s: SessionInfo, current: &str) -> wire::SessionView {
    wire::SessionView {
        id: s.token_hash[..SESSION_ID_LEN.min(s.token_hash.len())].to_owned(),
        device: device_name(&s.device.user_agent),
        user_agent: s.device.user_agent,
        address: s.device.address,
        created: crate::time::format_ms(s.created_at),
        last_seen: crate::time::format_ms(s.last_seen.max(s.created_at)),
        expires: crate::time::format_ms(s.expires_at),
        current: s.token_hash == current,
    }
}

async fn list(
    State(state): State<AppState>,
    Interactive(s): Interactive,
) -> Result<Json<wire::SessionList>, Error> {
    // A proxy-header sign-in has no session row: it lists the stored ones, none current.
    let current = if s.via == Via::Cookie {
        s.token_hash.as_str()
    } else {
        ""
    };
    let sessions = state.store.sessions_of(s.user.id).await?;
    Ok(Json(wire::SessionList {
        sessions: sessions.into_iter().map(|x| view(x, current)).collect(),
    }))
}

/// Ends one of the user's sessions: its cookie stops working and its open WebSockets close.
/// Ending the current one is logging out (the cookie is cleared too).
async fn end(
    State(state): State<AppState>,
    Interactive(s): Interactive,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let Some(hash) = state.store.delete_session_of(s.user.id, &id).await? else {
        return Err(Error::new(StatusCode::NOT_FOUND, "No such session.", "/id"));
    };
    state.live.end(s.user.id, live::Ended::One(&hash));
    tracing::info!(user = %s.user.id, "session ended from the settings");
    let body = Json(serde_json::json!({}));
    if s.via == Via::Cookie && hash == s.token_hash {
        Ok((
            [(header::SET_COOKIE, super::session::clear_cookie(&state))],
            body,
        )
            .into_response())
    } else {
        Ok(body.into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::device_name;

    #[test]
    fn devices_are_named_from_their_user_agent() {
        assert_eq!(
            device_name(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
            ),
            "Firefox on Windows 10"
        );
        assert_eq!(
            device_name("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"),
            "Safari on iPhone"
        );
        assert_eq!(device_name("curl/8.0"), "curl");
        assert_eq!(device_name(""), "");
        assert_eq!(device_name("\u{0}garbage \u{ffff}"), "");
    }
}
