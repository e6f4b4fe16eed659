//! Accounts: register, login, logout, sessions (HttpOnly cookie, hashed token), the
//! logged-in user extractor, admin endpoints.

use axum::Router;

use super::AppState;

/// Routes under `/api` for accounts.
pub fn routes() -> Router<AppState> {
    Router::new()
}
