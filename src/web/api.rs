//! Connections, conversations, messages, search and notifications under `/api`.

use axum::Router;

use super::AppState;

/// Routes under `/api` for chat data.
pub fn routes() -> Router<AppState> {
    Router::new()
}
