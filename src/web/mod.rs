//! The HTTP side: the axum router, its error type, security headers, embedded assets,
//! and the listeners it is served on. Only this module names axum.
//!
//! It holds no state that a user actor owns; it asks for it.

pub mod access;
pub mod admin;
pub mod api;
pub mod assets;
pub mod auth;
pub mod cluster;
mod error;
pub mod events;
pub mod files;
pub mod history;
pub mod live;
pub mod openapi;
pub mod ops;
pub mod origin;
pub mod preview;
pub mod push;
pub mod pwa;
pub mod serve;
pub mod session;
pub mod sessions;
pub mod state;
pub mod tls;
pub mod tokens;
pub mod transport;

#[cfg(test)]
mod tests;

pub use error::{Error, ErrorItem};
pub use state::{AppState, Config};

use axum::extract::{OriginalUri, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tower_http::set_header::SetResponseHeaderLayer;

/// Content-Security-Policy: no inline script; media from the camera (blob:) for calls.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; \
object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(auth::routes())
        .merge(admin::routes())
        .merge(api::routes())
        .merge(history::routes())
        .merge(preview::routes())
        .merge(tokens::routes())
        .merge(sessions::routes())
        .merge(push::routes())
        .fallback(api_not_found)
        // Answers are per user and change all the time: never kept by a browser's cache
        // (a back button must not show another moment's data) nor by a shared one.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    Router::new()
        .merge(ops::routes())
        .route("/metrics", get(ops::metrics))
        .merge(events::routes())
        .merge(files::routes())
        .nest("/api", api)
        .route("/api", get(openapi_document))
        .route("/manifest.webmanifest", get(pwa::manifest))
        .route("/sw.js", get(pwa::service_worker))
        .fallback(static_or_index)
        .layer(tower_http::limit::RequestBodyLimitLayer::new(1024 * 1024))
        // Uploads have their own, larger limit: merged after the 1 MiB layer.
        .merge(files::upload_routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cluster::forward,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            transport::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cluster::peer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::layer,
        ))
        .with_state(state)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
}

async fn openapi_document() -> Json<serde_json::Value> {
    Json(openapi::document())
}

async fn api_not_found(OriginalUri(uri): OriginalUri) -> Error {
    Error::not_found(uri.path())
}

/// Static files first; any other GET is a client-side route and gets `index.html`.
async fn static_or_index(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
) -> Response {
    let path = req.uri().path();
    if path.starts_with("/api/") {
        return Error::not_found(path).into_response();
    }
    if let Some(res) = assets::file(path, req.headers()) {
        return res;
    }
    if path.starts_with("/assets/") {
        return (StatusCode::NOT_FOUND, "Not found.").into_response();
    }
    assets::index(&origin::base_path(req.headers(), &state.config))
}
