//! Admin endpoints under `/api`: the user list, role changes and deletion, invite links,
//! server settings; and the public part of the settings that the login page needs.

use crate::wire;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tracing::info;

use super::auth;
use super::error::body;
use super::session::Admin;
use super::{AppState, Error};
use crate::account::{self, settings, Settings};
use crate::model::User;
use crate::store::TokenPurpose;

/// Admin routes under `/api`, plus `GET /api/settings/public`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users", get(list_users))
        .route("/user/{email}", post(update_user).delete(delete_user))
        .route("/user/{email}/invite", post(invite))
        .route("/settings", get(get_settings).post(update_settings))
        .route("/settings/public", get(public_settings))
}

async fn settings(state: &AppState) -> Result<Settings, Error> {
    Ok(Settings::load(&state.store, state.config.open_to_public).await?)
}

async fn list_users(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<wire::UserList>, Error> {
    let settings = settings(&state).await?;
    let users = state.store.users().await?;
    let mut sign_ins = state.store.sign_ins().await?;
    let label = |provider: &str| {
        state
            .config
            .oidc
            .as_ref()
            .and_then(|o| o.label(provider))
            .map(str::to_string)
    };
    let users = users
        .iter()
        .map(|u| wire::AdminUser {
            user: auth::user_object(&state, &settings, u, 0),
            sign_ins: sign_ins
                .remove(&u.id)
                .unwrap_or_default()
                .into_iter()
                .map(|s| wire::SignIn {
                    method: s.method,
                    label: label(&s.provider),
                    provider: (!s.provider.is_empty()).then_some(s.provider),
                    last: crate::time::format_ms(s.last_at),
                })
                .collect(),
        })
        .collect();
    Ok(Json(wire::UserList { users }))
}

/// The user named in the path, or 404.
async fn target(state: &AppState, email: &str) -> Result<User, Error> {
    let not_found = || Error::not_found(format!("/api/user/{email}"));
    let email = account::normalize_email(email).map_err(|_| not_found())?;
    state
        .store
        .user_by_email(&email)
        .await?
        .ok_or_else(not_found)
}

/// 400 when `user` is the last admin: someone must be able to administer the server.
async fn keep_an_admin(state: &AppState, user: &User) -> Result<(), Error> {
    if !user.admin {
        return Ok(());
    }
    let admins = state
        .store
        .users()
        .await?
        .iter()
        .filter(|u| u.admin)
        .count();
    if admins <= 1 {
        return Err(Error::new(
            StatusCode::BAD_REQUEST,
            "The last admin cannot be removed.",
            "/roles",
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEdit {
    #[serde(default)]
    admin: Option<bool>,
    #[serde(default)]
    roles: Option<Vec<String>>,
}

async fn update_user(
    State(state): State<AppState>,
    _: Admin,
    Path(email): Path<String>,
    req: Result<Json<UserEdit>, JsonRejection>,
) -> Result<Json<wire::User>, Error> {
    let req = body(req)?;
    let mut user = target(&state, &email).await?;
    let admin = match (req.admin, &req.roles) {
        (Some(a), _) => Some(a),
        (None, Some(roles)) => {
            if let Some(bad) = roles.iter().find(|r| r.as_str() != "admin") {
                return Err(Error::new(
                    StatusCode::BAD_REQUEST,
                    format!("Unknown role {bad:?}."),
                    "/roles",
                ));
            }
            Some(roles.iter().any(|r| r == "admin"))
        }
        (None, None) => None,
    };
    if let Some(admin) = admin.filter(|a| *a != user.admin) {
        if !admin {
            keep_an_admin(&state, &user).await?;
        }
        state.store.set_admin(user.id, admin).await?;
        info!(user = %user.id, admin, "roles changed");
        user.admin = admin;
        auth::tell_user_changed(&state, &user).await;
    }
    Ok(Json(
        auth::user_view(&state, &user, auth::Include::default()).await,
    ))
}

async fn delete_user(
    State(state): State<AppState>,
    _: Admin,
    Path(email): Path<String>,
) -> Result<Json<wire::Empty>, Error> {
    let user = target(&state, &email).await?;
    keep_an_admin(&state, &user).await?;
    state.users.delete(user.id);
    state.store.delete_user(user.id).await?;
    state.live.end(user.id, super::live::Ended::All);
    info!(user = %user.id, "deleted by an admin");
    Ok(Json(wire::Empty {}))
}

/// The request's parts needed to build a link: headers and URI authority.
struct LinkBase(Option<url::Url>);

impl FromRequestParts<AppState> for LinkBase {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        Ok(LinkBase(super::origin::base_url(
            &parts.headers,
            parts.uri.authority(),
            &state.config,
        )))
    }
}

/// An invite link for a new e-mail; for an existing user, a password-reset link.
async fn invite(
    State(state): State<AppState>,
    _: Admin,
    Path(email): Path<String>,
    LinkBase(base): LinkBase,
) -> Result<Json<wire::Invite>, Error> {
    let email = account::normalize_email(&email)?;
    let base = base.ok_or_else(|| {
        Error::new(
            StatusCode::BAD_REQUEST,
            "Cannot tell the server's address: set CONVOS_REQUEST_BASE.",
            "/",
        )
    })?;
    let existing = state.store.user_by_email(&email).await?.is_some();
    let purpose = if existing {
        TokenPurpose::PasswordReset
    } else {
        TokenPurpose::Invite
    };
    let link = account::create_link(&state.store, purpose, &email).await?;
    info!(existing, "invite link created");
    Ok(Json(wire::Invite {
        url: account::link_url(&base, &email, &link.token, existing),
        expires: crate::time::format_ms(link.expires_at),
        existing,
    }))
}

/// The settings as the admin sees them, with the read-only `pending_import`.
async fn admin_settings(state: &AppState) -> Result<Json<wire::AdminSettings>, Error> {
    Ok(Json(wire::AdminSettings {
        settings: settings(state).await?,
        pending_import: state.config.pending_import.clone(),
    }))
}

async fn get_settings(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<wire::AdminSettings>, Error> {
    admin_settings(&state).await
}

async fn update_settings(
    State(state): State<AppState>,
    _: Admin,
    req: Result<Json<settings::Update>, JsonRejection>,
) -> Result<Json<wire::AdminSettings>, Error> {
    let req = body(req)?;
    Settings::update(&state.store, req).await?;
    info!("settings changed");
    admin_settings(&state).await
}

/// What the login and register pages need; no login required.
async fn public_settings(
    State(state): State<AppState>,
) -> Result<Json<wire::PublicSettings>, Error> {
    let s = settings(&state).await?;
    let first_user = state.store.users().await?.is_empty();
    Ok(Json(wire::PublicSettings {
        organization_name: s.organization_name,
        organization_url: s.organization_url,
        contact: s.contact,
        open_to_public: s.open_to_public,
        first_user,
        default_connection: s.default_connection,
        forced_connection: s.forced_connection,
        oidc: state
            .config
            .oidc
            .iter()
            .flat_map(|o| o.providers())
            .map(|p| wire::OidcProvider {
                name: p.name.clone(),
                label: p.label.clone(),
            })
            .collect(),
        password_login: !state.config.oidc.as_ref().is_some_and(|o| o.only()),
    }))
}
