//! Endpoints for operators and orchestrators: `/healthz` (alive), `/readyz` (store
//! writable, listeners bound, users started, not stopping) and `/metrics` (OpenMetrics
//! text, see [`crate::metrics`] and docs/metrics.md).
//!
//! On the main listener `/metrics` answers only `Authorization: Bearer
//! CONVOS_METRICS_TOKEN` or a logged-in admin; on its own `--metrics-listen` address
//! (meant for a private network) it answers anyone. Must not: show anything per user.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::{FromRequestParts, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::session::{bearer, Admin};
use super::AppState;

/// What `/readyz` reports besides the store; set by [`crate::daemon`].
#[derive(Debug, Default)]
pub struct Ready {
    listening: AtomicBool,
    users_started: AtomicBool,
    stopping: AtomicBool,
}

impl Ready {
    /// Every listener is bound and about to accept.
    pub fn set_listening(&self) {
        self.listening.store(true, Ordering::Relaxed);
    }

    /// Every user's actor was started.
    pub fn set_users_started(&self) {
        self.users_started.store(true, Ordering::Relaxed);
    }

    /// Shutdown began: not ready any more, so a balancer stops sending new clients.
    pub fn set_stopping(&self) {
        self.stopping.store(true, Ordering::Relaxed);
    }
}

/// The longest `/readyz` waits for the store's writer.
const STORE_TIMEOUT: Duration = Duration::from_secs(2);

/// `/healthz` and `/readyz`, on every listener.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// The `--metrics-listen` app: `/metrics` without authentication, and the health checks.
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics_open))
        .merge(routes())
        .with_state(state)
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"ok": true}))
}

async fn readyz(State(state): State<AppState>) -> Response {
    let ready = &state.ready;
    let store = matches!(
        tokio::time::timeout(STORE_TIMEOUT, state.store.check_writable()).await,
        Ok(Ok(()))
    );
    let checks = serde_json::json!({
        "store": store,
        "listeners": ready.listening.load(Ordering::Relaxed),
        "users": ready.users_started.load(Ordering::Relaxed),
        "stopping": ready.stopping.load(Ordering::Relaxed),
    });
    let ok = store
        && ready.listening.load(Ordering::Relaxed)
        && ready.users_started.load(Ordering::Relaxed)
        && !ready.stopping.load(Ordering::Relaxed);
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(serde_json::json!({"ok": ok, "checks": checks})),
    )
        .into_response()
}

/// `/metrics` on the main listener: the metrics token, else an admin's session.
pub async fn metrics(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    if !token_matches(req.headers(), state.config.metrics_token.as_ref()) {
        let (mut parts, _) = req.into_parts();
        if let Err(e) = Admin::from_request_parts(&mut parts, &state).await {
            return e.into_response();
        }
    }
    metrics_open(State(state)).await
}

async fn metrics_open(State(state): State<AppState>) -> Response {
    let text = crate::metrics::encode(crate::metrics::Snapshot {
        users: state.users.len(),
        store_queue_depth: state.store.queue_depth(),
    });
    (
        [
            (header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response()
}

/// Whether the request carries `Authorization: Bearer TOKEN` with the configured
/// metrics token. Compares SHA-256 digests, so the time taken says nothing about the token.
fn token_matches(headers: &HeaderMap, token: Option<&crate::model::Secret>) -> bool {
    let Some(token) = token.filter(|t| !t.expose().is_empty()) else {
        return false;
    };
    let Some(given) = bearer(headers) else {
        return false;
    };
    crate::account::token_hash(given) == crate::account::token_hash(token.expose())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Secret;
    use axum::http::HeaderValue;

    #[test]
    fn metrics_token() {
        let secret = Secret::new("s3cret-token");
        let mut h = HeaderMap::new();
        assert!(!token_matches(&h, Some(&secret)));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer s3cret-token"),
        );
        assert!(token_matches(&h, Some(&secret)));
        assert!(!token_matches(&h, None));
        assert!(!token_matches(&h, Some(&Secret::new(""))));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer s3cret-tokenX"),
        );
        assert!(!token_matches(&h, Some(&secret)));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic s3cret-token"),
        );
        assert!(!token_matches(&h, Some(&secret)));
    }
}
