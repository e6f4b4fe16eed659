//! Web Push devices (`/api/push`): the VAPID public key to subscribe with, the user's
//! devices, adding this browser and removing one. Browser sessions only (an API token
//! cannot add a device or see endpoints).
//!
//! A subscription is checked before it is stored: an http(s) endpoint of sane length, a
//! P-256 point and a 16-byte auth secret; where the endpoint may be reached is the
//! outbound policy's word at every push.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use tracing::info;

use super::error::body;
use super::session::Interactive;
use super::{AppState, Error};
use crate::{store, wire};

/// Longest endpoint URL, in bytes (real ones are under 1 KiB).
const MAX_ENDPOINT: usize = 2048;
/// Longest device name, in characters.
const MAX_NAME: usize = 64;

/// Routes under `/api`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/push", get(settings))
        .route("/push/devices", post(subscribe))
        .route("/push/device/{id}", delete(remove))
}

fn view(s: store::PushSubscription) -> wire::PushDevice {
    wire::PushDevice {
        id: s.id,
        name: s.name,
        endpoint: s.endpoint,
        created: crate::time::format_ms(s.created_at),
        last_used: s.last_used_at.map(crate::time::format_ms),
    }
}

fn public_key(state: &AppState) -> Result<String, Error> {
    state
        .push
        .as_ref()
        .map(|p| p.public_key().to_owned())
        .ok_or_else(|| Error::new(StatusCode::SERVICE_UNAVAILABLE, "Web Push is off.", "/"))
}

async fn settings(
    State(state): State<AppState>,
    Interactive(s): Interactive,
) -> Result<Json<wire::PushSettings>, Error> {
    let public_key = public_key(&state)?;
    let devices = state.store.push_subscriptions(s.user.id).await?;
    Ok(Json(wire::PushSettings {
        public_key,
        devices: devices.into_iter().map(view).collect(),
    }))
}

/// base64url (padding tolerated) of exactly `len` bytes.
fn key(raw: &str, len: usize) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(raw.trim().trim_end_matches('='))
        .ok()
        .filter(|k| k.len() == len)
}

fn check(req: &wire::PushSubscribe) -> Result<String, Error> {
    let bad = |msg: &str, path: &str| Error::new(StatusCode::BAD_REQUEST, msg, path);
    url::Url::parse(&req.endpoint)
        .ok()
        .filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
        .filter(|_| req.endpoint.len() <= MAX_ENDPOINT)
        .filter(|u| u.username().is_empty() && u.password().is_none())
        .ok_or_else(|| bad("The endpoint must be an http(s) URL.", "/endpoint"))?;
    key(&req.keys.p256dh, 65)
        .filter(|k| web_push_native::p256::PublicKey::from_sec1_bytes(k).is_ok())
        .ok_or_else(|| bad("p256dh must be a P-256 public key.", "/keys/p256dh"))?;
    key(&req.keys.auth, 16).ok_or_else(|| bad("auth must be 16 bytes.", "/keys/auth"))?;
    let name = req.name.trim();
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(bad(
            "A device name is one line of at most 64 characters.",
            "/name",
        ));
    }
    Ok(if name.is_empty() {
        "This device".to_owned()
    } else {
        name.to_owned()
    })
}

async fn subscribe(
    State(state): State<AppState>,
    Interactive(s): Interactive,
    req: Result<Json<wire::PushSubscribe>, JsonRejection>,
) -> Result<Json<wire::PushDevice>, Error> {
    let req = body(req)?;
    public_key(&state)?;
    let name = check(&req)?;
    let sub = state
        .store
        .save_push_subscription(
            s.user.id,
            req.endpoint,
            req.keys.p256dh.trim().trim_end_matches('=').to_owned(),
            req.keys.auth.trim().trim_end_matches('=').to_owned(),
            name,
        )
        .await?;
    info!(user = %s.user.id, device = sub.id, "push device added");
    Ok(Json(view(sub)))
}

async fn remove(
    State(state): State<AppState>,
    Interactive(s): Interactive,
    Path(id): Path<String>,
) -> Result<Json<wire::Empty>, Error> {
    let not_found = || Error::not_found("/id");
    let id: i64 = id.parse().map_err(|_| not_found())?;
    if !state.store.delete_push_subscription(s.user.id, id).await? {
        return Err(not_found());
    }
    info!(user = %s.user.id, device = id, "push device removed");
    Ok(Json(wire::Empty {}))
}
