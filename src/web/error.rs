//! The web layer's one error type: a status and messages safe to show, in Convos's shape
//! `{"errors":[{"message":..,"path":..}]}`. Errors of the modules below convert with `?`;
//! internal causes are logged once here and answered with a plain 500, never sent.

use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::{account, files, store, user};

/// One error of an API response, as in Convos: `{"errors":[{"message":..,"path":..}]}`.
#[derive(Debug, Serialize, Clone)]
pub struct ErrorItem {
    pub message: String,
    pub path: String,
}

/// The web layer's error: a status and messages safe to show. Internal causes are
/// logged where they happen, never sent.
#[derive(Debug)]
pub struct Error {
    pub status: StatusCode,
    pub errors: Vec<ErrorItem>,
}

impl Error {
    /// An error with one message about `path` (a request path or a JSON pointer).
    pub fn new(status: StatusCode, message: impl Into<String>, path: impl Into<String>) -> Self {
        Error {
            status,
            errors: vec![ErrorItem {
                message: message.into(),
                path: path.into(),
            }],
        }
    }

    /// 404 `Not found.`
    pub fn not_found(path: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found.", path)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body {
            errors: Vec<ErrorItem>,
        }
        (
            self.status,
            Json(Body {
                errors: self.errors,
            }),
        )
            .into_response()
    }
}

/// A JSON body, or a 400/415 in our error shape.
pub(super) fn body<T>(r: Result<Json<T>, JsonRejection>) -> Result<T, Error> {
    r.map(|Json(v)| v).map_err(Error::from)
}

/// A body that is not the JSON asked for: 400 (bad JSON), 415 (not JSON), 422 (wrong
/// fields), with serde's message.
impl From<JsonRejection> for Error {
    fn from(e: JsonRejection) -> Self {
        Error::new(e.status(), e.body_text(), "/")
    }
}

/// Logs an internal failure once and hides it behind a 500.
pub(super) fn internal(err: impl std::fmt::Display) -> Error {
    tracing::error!(error = %err, "request failed");
    Error::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error.", "/")
}

impl From<store::Error> for Error {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::NotFound(_) => Error::not_found("/"),
            store::Error::Invalid(m) => Error::new(StatusCode::BAD_REQUEST, m, "/"),
            store::Error::Conflict(what) => Error::new(
                StatusCode::CONFLICT,
                format!("The {what} already exists."),
                "/",
            ),
            store::Error::Full => Error::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "The server's disk is full: nothing was saved.",
                "/",
            ),
            store::Error::Timeout => Error::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "That took too long and was stopped.",
                "/",
            ),
            other => internal(other),
        }
    }
}

/// An actor's refusal; its message is for the user.
impl From<user::Error> for Error {
    fn from(e: user::Error) -> Self {
        match e {
            user::Error::NoConnection | user::Error::NoConversation => Error::not_found("/"),
            user::Error::NotConnected => Error::new(StatusCode::BAD_REQUEST, "Not connected.", "/"),
            user::Error::Invalid(m) => Error::new(StatusCode::BAD_REQUEST, m, "/"),
            user::Error::Forbidden(m) => Error::new(StatusCode::FORBIDDEN, m, "/url"),
            // The actor stopped: the account was deleted meanwhile, the daemon stops, or
            // the user is moving to another daemon (`crate::cluster`).
            user::Error::Gone => Error::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again in a moment.",
                "/",
            ),
            other => internal(other),
        }
    }
}

impl From<account::Error> for Error {
    fn from(e: account::Error) -> Self {
        use account::Error as E;
        match e {
            E::InvalidEmail => Error::new(StatusCode::BAD_REQUEST, "Invalid email.", "/email"),
            E::PasswordTooShort => {
                Error::new(StatusCode::BAD_REQUEST, "Password too short.", "/password")
            }
            E::EmailTaken => Error::new(StatusCode::CONFLICT, "Email is taken.", "/email"),
            E::Busy => Error::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Server busy, try again.",
                "/",
            ),
            e @ (E::Hash(_) | E::Store(_)) => internal(e),
        }
    }
}

/// Upload limits are the user's to fix; a full disk is 507 as in the store.
impl From<files::Error> for Error {
    fn from(e: files::Error) -> Self {
        use files::Error as E;
        match e {
            E::TooLarge(_) | E::Quota { .. } | E::Count(_) => {
                Error::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string(), "/")
            }
            E::Empty | E::Body(_) | E::Stalled => {
                Error::new(StatusCode::BAD_REQUEST, e.to_string(), "/")
            }
            E::Io { ref source, .. } if source.raw_os_error() == Some(28) => Error::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "The server's disk is full: nothing was saved.",
                "/",
            ),
            E::Io { .. } => internal(e),
            E::Store(s) => s.into(),
        }
    }
}

/// An admin's settings change: what is invalid names its field.
impl From<account::settings::UpdateError> for Error {
    fn from(e: account::settings::UpdateError) -> Self {
        match e {
            account::settings::UpdateError::Invalid(i) => {
                Error::new(StatusCode::BAD_REQUEST, i.message, format!("/{}", i.field))
            }
            account::settings::UpdateError::Store(e) => Error::from(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_errors_map_to_statuses() {
        let cases: Vec<(Error, StatusCode)> = vec![
            (store::Error::NotFound("user").into(), StatusCode::NOT_FOUND),
            (
                store::Error::Invalid("x".into()).into(),
                StatusCode::BAD_REQUEST,
            ),
            (store::Error::Full.into(), StatusCode::INSUFFICIENT_STORAGE),
            (
                store::Error::Timeout.into(),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                store::Error::Closed.into(),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
            (user::Error::NoConversation.into(), StatusCode::NOT_FOUND),
            (
                user::Error::Forbidden("no".into()).into(),
                StatusCode::FORBIDDEN,
            ),
            (user::Error::Gone.into(), StatusCode::SERVICE_UNAVAILABLE),
            (account::Error::EmailTaken.into(), StatusCode::CONFLICT),
            (account::Error::Busy.into(), StatusCode::SERVICE_UNAVAILABLE),
            (files::Error::Empty.into(), StatusCode::BAD_REQUEST),
        ];
        for (err, status) in cases {
            assert_eq!(err.status, status, "{err:?}");
        }
        // Internal causes are never sent.
        let e: Error = store::Error::Write("disk says /secret/path".into()).into();
        assert_eq!(e.errors[0].message, "Internal error.");
    }
}
