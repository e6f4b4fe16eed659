//! Accounts: register, login and logout (`login`, with its rate limits in `limit`),
//! OpenID Connect sign-in (`oidc`), the user object ([`user_view`], shared by
//! `GET /api/user` and the socket's `load`) and the user's own account endpoints. Who is
//! asking is decided by `web::session`; admin endpoints live in `web::admin`.
//!
//! Must not: log passwords, tokens or cookies.

mod limit;
mod login;
mod oidc;

use std::time::Instant;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use tracing::{info, warn};

use super::error::body;
use super::session::{clear_cookie, Session};
use super::{live, AppState, Error};
use crate::account::{self, Settings};
use crate::model::{Secret, User};
use crate::wire;

/// Routes under `/api` for accounts.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/user/register", post(login::register))
        .route("/user/login", post(login::login))
        .route("/user/logout", post(login::logout).get(login::logout_get))
        .route("/oidc/{name}/start", axum::routing::get(oidc::start))
        .route("/oidc/{name}/callback", axum::routing::get(oidc::callback))
        .route(
            "/user",
            axum::routing::get(get_user)
                .post(update_user)
                .delete(delete_user),
        )
}

/// The User object of docs/api.md without `connections`/`conversations`: email, uid,
/// roles, registered, highlight_keywords, unread, default/forced connection, rtc.
pub async fn user_view(state: &AppState, user: &User, with: Include) -> wire::User {
    let settings = match Settings::load(&state.store, state.config.open_to_public).await {
        Ok(s) => s,
        Err(e) => {
            warn!(error = %e, "cannot load settings, using defaults");
            Settings::load_defaults(state.config.open_to_public)
        }
    };
    let snapshot = if with.connections || with.conversations {
        let asked = state
            .actor(user)
            .ask(|reply| crate::user::Request::Snapshot { reply })
            .await;
        asked.ok()
    } else {
        None
    };
    // As in Convos: the number of unread notifications (highlights), shown on the badge;
    // with a snapshot, of the messages published by its seq (later ones arrive as events).
    let upto = snapshot.as_ref().and_then(|s| s.published_id);
    let unread = match state.store.unread_notifications_upto(user.id, upto).await {
        Ok(n) => n,
        Err(e) => {
            warn!(error = %e, "cannot count unread notifications");
            0
        }
    };
    let mut view = user_object(state, &settings, user, unread);
    if let Some(s) = snapshot {
        view.connections = with.connections.then_some(s.connections);
        view.conversations = with.conversations.then_some(s.conversations);
        view.seq = Some(s.seq);
    } else {
        view.connections = with.connections.then(Vec::new);
        view.conversations = with.conversations.then(Vec::new);
    }
    view
}

/// What [`user_view`] adds to the account.
#[derive(Debug, Clone, Copy, Default)]
pub struct Include {
    pub connections: bool,
    pub conversations: bool,
}

impl Include {
    /// Connections and conversations: what a browser loads at start.
    pub const ALL: Include = Include {
        connections: true,
        conversations: true,
    };
}

/// [`user_view`] of the account alone, from already loaded settings.
pub(super) fn user_object(
    state: &AppState,
    settings: &Settings,
    user: &User,
    unread: u64,
) -> wire::User {
    wire::User {
        email: user.email.clone(),
        uid: user.id.0,
        roles: if user.admin {
            vec!["admin".into()]
        } else {
            vec![]
        },
        registered: crate::time::format_ms(user.created_at),
        highlight_keywords: user.highlight_keywords.clone(),
        auto_away: user.auto_away(),
        prefs: user.prefs(),
        quiet_hours: user.quiet_hours(),
        unread,
        default_connection: settings.default_connection.clone(),
        forced_connection: settings.forced_connection,
        video_service: String::new(),
        rtc: state
            .config
            .rtc
            .for_user(&user.id.to_string(), crate::time::now_ms() / 1000),
        default_server: crate::irc::url::Config::parse(
            &settings.default_connection,
            &crate::user::default_nick(&user.email),
        )
        .ok()
        .map(|c| wire::Server::from(&c)),
        connections: None,
        conversations: None,
        seq: None,
    }
}

/// Lets the user's actor know its account changed (highlight keywords, roles).
pub(super) async fn tell_user_changed(state: &AppState, user: &User) {
    if let Some(handle) = state.users.get(user.id) {
        handle
            .tell(crate::user::Request::UserChanged(Box::new(user.clone())))
            .await;
    }
}

#[derive(Deserialize, Default)]
struct UserQuery {
    #[serde(default)]
    connections: Option<String>,
    #[serde(default)]
    conversations: Option<String>,
}

fn flag(v: &Option<String>) -> bool {
    v.as_deref().and_then(crate::flag::parse).unwrap_or(false)
}

async fn get_user(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<UserQuery>,
) -> Json<wire::User> {
    let with = Include {
        connections: flag(&q.connections),
        conversations: flag(&q.conversations),
    };
    Json(user_view(&state, &session.user, with).await)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserUpdate {
    #[serde(default)]
    highlight_keywords: Option<Vec<String>>,
    #[serde(default)]
    auto_away: Option<crate::model::AutoAway>,
    #[serde(default)]
    prefs: Option<crate::model::Prefs>,
    #[serde(default)]
    quiet_hours: Option<crate::notify::QuietHours>,
    #[serde(default)]
    password: Option<Secret>,
    #[serde(default)]
    old_password: Option<Secret>,
}

/// Keywords: trimmed, non-empty, unique, at most 100 of at most 100 characters.
fn clean_keywords(raw: Vec<String>) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::new();
    for k in raw {
        let k = k.trim().to_owned();
        if k.is_empty() || out.contains(&k) {
            continue;
        }
        if k.chars().count() > 100 || out.len() >= 100 {
            return Err(Error::new(
                StatusCode::BAD_REQUEST,
                "Too many or too long highlight keywords.",
                "/highlight_keywords",
            ));
        }
        out.push(k);
    }
    Ok(out)
}

async fn update_user(
    State(state): State<AppState>,
    session: Session,
    req: Result<Json<UserUpdate>, JsonRejection>,
) -> Result<Response, Error> {
    let req = body(req)?;
    let token_hash = session.token_hash;
    let mut user = session.user;
    let keywords = req.highlight_keywords.map(clean_keywords).transpose()?;
    if let Some(a) = &req.auto_away {
        a.check()
            .map_err(|m| Error::new(StatusCode::BAD_REQUEST, m, "/auto_away"))?;
    }
    if let Some(p) = &req.prefs {
        p.check()
            .map_err(|m| Error::new(StatusCode::BAD_REQUEST, m, "/prefs"))?;
    }
    if let Some(q) = &req.quiet_hours {
        q.check()
            .map_err(|m| Error::new(StatusCode::BAD_REQUEST, m, "/quiet_hours"))?;
    }
    if let Some(password) = req.password {
        account::check_password(&password)?;
        let old = req.old_password.unwrap_or_default();
        check_own_password(&user, old, "/old_password", "Invalid old password.").await?;
        // Other sessions end (a stolen cookie stops working), this one goes on: the
        // person who just proved they know the password is the one using it.
        account::set_password(&state.store, &user, password, Some(&token_hash)).await?;
        state.live.end(user.id, live::Ended::AllBut(&token_hash));
        info!(user = %user.id, "password changed");
    }
    let mut changed = false;
    if let Some(k) = keywords {
        state
            .store
            .set_highlight_keywords(user.id, k.clone())
            .await?;
        user.highlight_keywords = k;
        changed = true;
    }
    // Auto-away, quiet hours and preferences live in the one settings object: one write.
    let before = user.settings.clone();
    if let Some(a) = req.auto_away {
        user.settings = user.settings_with_auto_away(&a);
    }
    if let Some(q) = req.quiet_hours {
        user.settings = user.settings_with_quiet_hours(&q);
    }
    if let Some(p) = req.prefs {
        user.settings = user.settings_with_prefs(&p);
    }
    if user.settings != before {
        state
            .store
            .set_user_settings(user.id, user.settings.clone())
            .await?;
        changed = true;
    }
    if changed {
        tell_user_changed(&state, &user).await;
    }
    Ok(Json(user_view(&state, &user, Include::default()).await).into_response())
}

/// Checks the logged-in user's own password (a stolen session must not take over the
/// account), counted like logins: 429 after too many failures.
async fn check_own_password(
    user: &User,
    password: Secret,
    path: &str,
    wrong: &str,
) -> Result<(), Error> {
    let account_key = format!("email:{}", user.email);
    let limiter = login::login_limiter();
    if !limiter.reserve(&[&account_key], Instant::now()) {
        return Err(login::too_many());
    }
    match account::verify_password(Some(user.password_hash.clone()), password).await {
        Ok(account::Verified::No) => Err(Error::new(StatusCode::BAD_REQUEST, wrong, path)),
        Ok(_) => {
            limiter.refund(&account_key);
            Ok(())
        }
        Err(e) => {
            limiter.refund(&account_key);
            Err(Error::from(e))
        }
    }
}

#[derive(Deserialize)]
struct Delete {
    password: Secret,
}

/// Deleting one's own account takes the current password: a session left open on a
/// shared computer must not be enough to erase everything.
async fn delete_user(
    State(state): State<AppState>,
    session: Session,
    req: Result<Json<Delete>, JsonRejection>,
) -> Result<Response, Error> {
    let req = body(req)?;
    check_own_password(
        &session.user,
        req.password,
        "/password",
        "Invalid password.",
    )
    .await?;
    let id = session.user.id;
    state.users.delete(id);
    state.store.delete_user(id).await?;
    state.live.end(id, live::Ended::All);
    info!(user = %id, "deleted own account");
    Ok((
        [(header::SET_COOKIE, clear_cookie(&state))],
        Json(wire::Empty {}),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_cleaned() {
        let k = clean_keywords(vec![
            " rust ".into(),
            "".into(),
            "rust".into(),
            "irc".into(),
        ])
        .expect("valid");
        assert_eq!(k, vec!["rust", "irc"]);
        assert!(clean_keywords(vec!["x".repeat(101)]).is_err());
    }
}
